"""Per-call overhead of the executor: a scripted 8-op elementwise function on an
(8, 128) float32 array against the same Python function called eagerly (and
under torch.jit.script when torch is installed).

    python bench/bench_overhead.py [--repeat N] [--number N]

At this size the arrays are tiny and the time is dispatch: the scripted call
adds ScriptFunction.__call__, the dispatcher's guards and the specialization's
prologue to the same NumPy calls. Prints a Markdown table and writes it to
bench/results/overhead_cpu.md; each figure is the best of N timings of
``number`` calls, all measured in one run, interleaved so that machine noise
hits every contender alike.
"""
from __future__ import annotations

import argparse
import platform
import sys
import timeit
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jit  # noqa: E402
from bench.publish import publish  # noqa: E402


def eight_ops(x, b):
    y = x * 0.5 + b
    y = y * y - 1.0
    y = np.tanh(y) + np.exp(-y)
    return np.maximum(y, 0.0) / 3.0


def torch_contender(x, b):
    try:
        import torch  # noqa: PLC0415 - optional comparison
    except ImportError:
        return None

    def eight_ops_torch(x, b):
        y = x * 0.5 + b
        y = y * y - 1.0
        y = torch.tanh(y) + torch.exp(-y)
        return torch.clamp_min(y, 0.0) / 3.0

    scripted = torch.jit.script(eight_ops_torch)
    tx, tb = torch.from_numpy(x), torch.from_numpy(b)
    return lambda: scripted(tx, tb)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--number", type=int, default=2000)
    options = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 128), dtype=np.float32)
    b = rng.standard_normal(128, dtype=np.float32)
    scripted = jit.script(eight_ops)
    for _ in range(3):  # profile, specialize, run specialized
        scripted(x, b)
    np.testing.assert_allclose(scripted(x, b), eight_ops(x, b), rtol=1e-6)
    contenders = {"NumPy eager": lambda: eight_ops(x, b), "jit.script (specialized, unfused)": lambda: scripted(x, b)}
    torch_call = torch_contender(x, b)
    if torch_call is not None:
        contenders["torch.jit.script"] = torch_call
    best = {name: float("inf") for name in contenders}
    for _ in range(options.repeat):
        for name, call in contenders.items():
            best[name] = min(best[name], timeit.timeit(call, number=options.number) / options.number)
    eager = best["NumPy eager"]
    lines = [f"# Per-call overhead: 8 elementwise ops on (8, 128) float32 ({platform.processor() or platform.machine()}, "
             f"Python {platform.python_version()}, NumPy {np.__version__})", "",
             "`python bench/bench_overhead.py` — best of "
             f"{options.repeat} x {options.number} calls, interleaved in one run.", "",
             "| contender | us per call | time / NumPy eager |", "|---|---|---|"]
    for name, seconds in best.items():
        lines.append(f"| {name} | {seconds * 1e6:.2f} | {seconds / eager:.3f} |")
    lines += ["", f"Steady-state scripted overhead: {(best['jit.script (specialized, unfused)'] / eager - 1) * 100:+.1f}% "
              "(target before fusion: at most +15%)."]
    publish(lines, "overhead_cpu.md")


if __name__ == "__main__":
    main()
