"""The CPU reduction benchmark (issue 21): softmax, log_softmax, layer norm, RMSNorm (4096x1024
float32) and a transformer block (8x128x256), scripted+fused against NumPy eager (and torch /
JAX when they are installed: torch's built-in kernels, jax.jit of the same NumPy code). Each
result is checked against NumPy before it is timed; the table gives the median of the rounds.

    python bench/bench_reductions.py [--repeats N]   # writes bench/results/reductions_cpu.md
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import jit  # noqa: E402
from fuser.reduction_lowering import fused_reductions  # noqa: E402
from bench import workloads  # noqa: E402
from bench.publish import publish  # noqa: E402


def _median_ms(function, args, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def _competitors(name):
    found = {}
    try:
        import torch  # noqa: PLC0415
        import torch.nn.functional as TF  # noqa: PLC0415
        builtin = {"softmax": lambda x: torch.softmax(x, -1), "log_softmax": lambda x: torch.log_softmax(x, -1),
                   "layer_norm": lambda x, w, b: TF.layer_norm(x, (x.shape[-1],), w, b)}
        if name in builtin:
            found["torch (built-in)"] = (builtin[name], torch.from_numpy)
    except ImportError:
        pass
    try:
        import jax  # noqa: PLC0415
        import jax.numpy as jnp  # noqa: PLC0415
        jitted = jax.jit(workloads.with_array_module(workloads.REDUCTIONS[name], jnp))
        found["jax.jit"] = (lambda *a: jitted(*a).block_until_ready(), jnp.asarray)
    except ImportError:
        pass
    return found


def main():
    with fused_reductions():  # the default; explicit, so the table never measures them off
        run()


def run():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=20)
    options = parser.parse_args()
    rows, extra = [], set()
    for name, eager in workloads.REDUCTIONS.items():
        args = workloads.reduction_inputs(name)
        scripted = jit.script(eager)
        for _ in range(3):
            result = scripted(*args)
        expected = eager(*args)
        np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-5)
        groups = sum(n.kind == "prim::FusionGroup" for n in jit.last_executed_optimized_graph().all_nodes())
        numpy_ms = _median_ms(eager, args, options.repeats)
        fused_ms = _median_ms(scripted, args, options.repeats)
        row = {"workload": f"{name} {args[0].shape}", "NumPy": numpy_ms, "ArrayScript": fused_ms, "groups": groups}
        for label, (function, convert) in _competitors(name).items():
            converted = [convert(a) for a in args]
            function(*converted)
            row[label] = _median_ms(function, converted, options.repeats)
            extra.add(label)
        rows.append(row)
    columns = ["NumPy", "ArrayScript", *sorted(extra)]
    lines = ["# CPU reductions (python bench/bench_reductions.py)", "",
             f"float32, median of {options.repeats} calls (ms) after warm-up; speed-up over NumPy in brackets; "
             "groups: fusion groups in the optimized graph. torch and JAX: columns appear when installed.", "",
             "| workload | " + " | ".join(columns) + " | groups |", "|---|" + "---|" * (len(columns) + 1)]
    for row in rows:
        cells = [f"{row[c]:.3f} ({row['NumPy'] / row[c]:.2f}x)" if c in row else "-" for c in columns]
        lines.append(f"| {row['workload']} | " + " | ".join(cells) + f" | {row['groups']} |")
    publish(lines, "reductions_cpu.md")


if __name__ == "__main__":
    main()
