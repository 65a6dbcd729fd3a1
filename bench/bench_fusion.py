"""The CPU fusion benchmark: scripted+fused against NumPy eager, numexpr, a
hand-written Numba loop, and torch.compile / torch.jit.script when torch is
installed, on gelu_bias, small, a 10-op chain and an MLP, float32. All timings
of a workload are interleaved in one run on one machine; the table gives the
best of the rounds and each one's speed-up over NumPy eager. A second part
measures kernel compilation: the first process compiles, a second one loads
the kernel from the disk cache.

    python bench/bench_fusion.py            # writes bench/results/fusion_cpu.md
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import workloads  # noqa: E402
from bench.publish import publish  # noqa: E402

ROUNDS = {"small": 2000, "gelu_bias": 15, "chain10": 15, "mlp": 10}


def _competitors(name: str, args):
    entries = {"NumPy eager": lambda: workloads.EAGER[name](*args)}
    scripted = workloads.scripted(name)
    for _ in range(3):  # profile, specialize, then steady state
        scripted(*args)
    entries["ArrayScript (scripted+fused)"] = lambda: scripted(*args)
    try:
        import numexpr  # noqa: PLC0415

        expression = workloads.NUMEXPR.get("gelu_bias" if name == "small" else name)
        if expression is not None:
            local = {"x": args[0], "b": args[1]} if name in ("gelu_bias", "small") else {"x": args[0], "y": args[1]}
            entries["numexpr"] = lambda: numexpr.evaluate(expression, local_dict=local)
    except ImportError:
        pass
    loop = workloads.numba_by_hand()[name]
    loop(*args)
    entries["Numba loop by hand"] = lambda: loop(*args)
    entries.update(_torch_entries(name, args))
    return entries, scripted


def _torch_entries(name, args):
    try:
        import torch  # noqa: PLC0415
    except ImportError:
        return {}
    tensors = [torch.from_numpy(a) for a in args]
    # The same function body, its `np` bound to torch's functions: one definition of each workload.
    function = workloads.with_array_module(workloads.EAGER[name], types.SimpleNamespace(tanh=torch.tanh))
    entries = {}
    with torch.no_grad():
        for label, make in (("torch.jit.script", torch.jit.script), ("torch.compile", torch.compile)):
            try:
                compiled = make(function)
                for _ in range(3):
                    compiled(*tensors)
                entries[label] = lambda compiled=compiled: compiled(*tensors)
            except Exception as error:  # noqa: BLE001 - a backend missing on this machine: leave the row out
                print(f"{label} skipped on {name}: {type(error).__name__}: {error}", file=sys.stderr)
    return entries


def _measure(entries: dict, rounds: int) -> dict:
    """Best time per call of each entry, the entries interleaved round by round."""
    inner = 50 if rounds >= 1000 else 1
    best = {label: float("inf") for label in entries}
    for _ in range(rounds // inner if inner > 1 else rounds):
        for label, call in entries.items():
            start = time.perf_counter()
            for _ in range(inner):
                call()
            best[label] = min(best[label], (time.perf_counter() - start) / inner)
    return best


COMPILE_PROGRAM = textwrap.dedent('''
    import json, time
    started = time.perf_counter()
    import numba
    numba.njit(lambda: 1)()  # Numba's per-process start-up (LLVM), paid once whatever the kernels
    ready = time.perf_counter()
    import numpy as np
    import jit
    from bench import workloads
    x, b = workloads.inputs("gelu_bias")
    function = workloads.scripted("gelu_bias")
    function(x, b)
    function(x, b)
    group = function._executor.current()[0].report.fusion.details["groups"][0]
    variant = group.kernel.compiled[0]
    print(json.dumps({"numba_start": ready - started, "kernel": variant.seconds, "hit": variant.cache_hit}))
''')


def _compile_times() -> list:
    """(first process, second process) kernel times for gelu_bias, on an empty cache."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as directory:
        environment = dict(os.environ, ARRAYSCRIPT_CACHE_DIR=directory, PYTHONPATH=str(root))
        runs = []
        for _ in range(2):
            done = subprocess.run([sys.executable, "-c", COMPILE_PROGRAM], capture_output=True, text=True,
                                  env=environment, check=True, cwd=root)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return runs


def main():
    lines = [f"# CPU fusion benchmark ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
             f"numpy {np.__version__})", "",
             "`python bench/bench_fusion.py`: best time per call, all entries of a workload interleaved in one run; "
             "speed-up = NumPy eager time / entry time.", ""]
    for name in ("gelu_bias", "small", "chain10", "mlp"):
        args = workloads.inputs(name)
        entries, scripted = _competitors(name, args)
        reference = workloads.EAGER[name](*args)
        result = scripted(*args)
        error = float(np.max(np.abs(result - reference)))
        best = _measure(entries, ROUNDS[name])
        shapes = " ".join(str(a.shape) for a in args)
        lines += [f"## {name} {shapes} float32 (max |fused - eager| = {error:.2e})", "",
                   "| entry | time | speed-up vs NumPy |", "|---|---|---|"]
        base = best["NumPy eager"]
        for label, seconds in best.items():
            shown = f"{seconds * 1e6:.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"
            lines.append(f"| {label} | {shown} | {base / seconds:.2f}x |")
        lines.append("")
        if name == "mlp":
            lines += ["Fused groups of the MLP: " + "; ".join(
                n.describe() for n in scripted._executor.current()[0].report.fusion.details["groups"]), ""]
    first, second = _compile_times()
    lines += ["## Compiling the gelu_bias kernel (empty cache, then a second process)", "",
              "| process | Numba start-up (once per process) | kernel |", "|---|---|---|",
              f"| first: compiles | {first['numba_start'] * 1e3:.0f} ms | {first['kernel'] * 1e3:.0f} ms "
              f"(cache hit: {first['hit']}) |",
              f"| second: disk cache | {second['numba_start'] * 1e3:.0f} ms | {second['kernel'] * 1e3:.1f} ms "
              f"(cache hit: {second['hit']}) |", ""]
    publish(lines, "fusion_cpu.md")


if __name__ == "__main__":
    main()
