"""The CPU reduction benchmark (issue 21): softmax, log_softmax, layer norm, RMSNorm (4096x1024
float32) and a transformer block (8x128x256), the reduction part of ``arrayscript bench``
(jit/benchmarking): scripted+fused against NumPy eager, torch eager, ``torch.compile``, torch's
built-in kernels and ``jax.jit`` where installed, each checked against NumPy before it is timed,
all entries of a workload interleaved in one run; best of the rounds, in the table format of
fusion_cpu.md.

    python bench/bench_reductions.py   # writes bench/results/reductions_cpu.md
    arrayscript bench --quick --workloads reductions   # a short run of the same
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.publish import publish  # noqa: E402
from jit.benchmarking import comparison, report  # noqa: E402 - the engine arrayscript bench runs too


def main():
    outcomes = comparison.run("cpu", workload_names=comparison.REDUCTION_WORKLOADS)
    table = report.markdown(outcomes, "cpu", quick=False, title="CPU reductions (python bench/bench_reductions.py)")
    publish(table.splitlines(), "reductions_cpu.md")


if __name__ == "__main__":
    main()
