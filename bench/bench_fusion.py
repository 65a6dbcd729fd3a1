"""The CPU fusion benchmark: scripted+fused against NumPy eager, numexpr, a
hand-written Numba loop, and torch eager / torch.compile and JAX when installed,
on gelu_bias, small, a 10-op chain and an MLP, float32: the elementwise part of
``arrayscript bench`` (jit/benchmarking; bench/bench_reductions.py runs the rest),
each entry checked against NumPy before it is timed, all timings of a workload interleaved in one run on one machine; the
table gives the best of the rounds and each one's speed-up over NumPy eager. A second part
measures kernel compilation: the first process compiles, a second one loads
the kernel from the disk cache.

    python bench/bench_fusion.py            # writes bench/results/fusion_cpu.md
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.publish import publish  # noqa: E402
from jit.benchmarking import comparison, report  # noqa: E402 - the engine arrayscript bench runs too

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
    outcomes = comparison.run("cpu")
    lines = report.markdown(outcomes, "cpu", quick=False,
                            title="CPU fusion benchmark (python bench/bench_fusion.py)").splitlines()
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
