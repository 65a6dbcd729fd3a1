"""Shape churn: a scripted elementwise function (tanh-GELU with a bias) called with
a new shape on every call, per-call time against eager NumPy.

    python bench/bench_churn.py [--calls N] [--repeat N]

Contenders, all measured in one run, interleaved:
- "before": every call takes the profiling path, as all churn calls did before
  DYNAMIC covered them; reproduced by ``set_num_profiled_runs`` too large for any
  signature to finish its profile (the same instrumented code, the same misses);
- a strategy without DYNAMIC entries, ``[("STATIC", 2)]``: STATIC specializations
  wait for a shape that recurs, so under churn every call is profiled as before;
- the default strategy with ``jit.fuser("none")``: the DYNAMIC specialization, unfused;
- the default strategy: two STATIC specializations, then one DYNAMIC fused one.
"From fresh" is a new function's first N calls (profiling and builds included);
"steady" is N further calls, again with shapes it has not seen. Each figure is the
best of ``repeat`` rounds. Prints a Markdown table and writes
bench/results/churn_cpu.md.
"""
from __future__ import annotations

import argparse
import contextlib
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jit  # noqa: E402
from bench.publish import publish  # noqa: E402
from jit.runtime import settings  # noqa: E402


def gelu_bias(x, b):
    y = x + b
    return 0.5 * y * (1.0 + np.tanh(0.7978845608 * (y + 0.044715 * y * y * y)))


@contextlib.contextmanager
def configured(strategy, profiled_runs: int, fuser: str):
    previous_strategy = jit.set_fusion_strategy(strategy)
    previous_runs = jit.set_num_profiled_runs(profiled_runs)
    try:
        with jit.fuser(fuser):
            yield
    finally:
        jit.set_fusion_strategy(previous_strategy)
        jit.set_num_profiled_runs(previous_runs)


CONTENDERS = {
    "before: every call profiled": (list(settings.DEFAULT_STRATEGY), 1 << 40, "default"),
    "strategy [('STATIC', 2)] (no DYNAMIC)": ([("STATIC", 2)], 1, "default"),
    "default strategy, jit.fuser('none')": (list(settings.DEFAULT_STRATEGY), 1, "none"),
    "default strategy (DYNAMIC after STATIC 2)": (list(settings.DEFAULT_STRATEGY), 1, "default"),
}


def shapes(start: int, stop: int):
    """Distinct (rows, columns) shapes, one for each n in [start, stop)."""
    return [(8 + n % 64, 32 + n // 64) for n in range(start, stop)]


def inputs(shape_list):
    rng = np.random.default_rng(0)
    return [(rng.standard_normal(s, dtype=np.float32), rng.standard_normal(s[-1], dtype=np.float32))
            for s in shape_list]


def timed(call, batch) -> float:
    start = time.perf_counter()
    for x, b in batch:
        call(x, b)
    return (time.perf_counter() - start) / len(batch)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    fresh_best = {name: float("inf") for name in ["NumPy eager", *CONTENDERS]}
    steady_best = dict(fresh_best)
    specializations = {}
    warm, warm_inputs = jit.script(gelu_bias), inputs([(4, 4)])[0]
    for _ in range(3):  # profile, build, run: Numba and the kernel cache start before any timing
        warm(*warm_inputs)
    # Every round scripts new functions, so only a round's two batches must differ.
    first, later = inputs(shapes(0, options.calls)), inputs(shapes(options.calls, 2 * options.calls))
    for _ in range(options.repeat):
        for batch, best in ((first, fresh_best), (later, steady_best)):
            best["NumPy eager"] = min(best["NumPy eager"], timed(gelu_bias, batch))
        for name, (strategy, runs, fuser) in CONTENDERS.items():
            scripted = jit.script(gelu_bias)
            with configured(strategy, runs, fuser):
                fresh_best[name] = min(fresh_best[name], timed(scripted, first))
                steady_best[name] = min(steady_best[name], timed(scripted, later))
                x, b = later[-1]
                np.testing.assert_allclose(scripted(x, b), gelu_bias(x, b), rtol=2e-6, atol=2e-6)
                executor = scripted._executor
                specializations[name] = (", ".join(s.kind for s in executor.current()) or "none",
                                         executor.profiled_calls, executor.fallback_calls)
    eager = steady_best["NumPy eager"]
    lines = [f"# Shape churn: tanh-GELU + bias, a new float32 shape every call ({platform.machine()}, "
             f"Python {platform.python_version()}, NumPy {np.__version__})", "",
             f"`python bench/bench_churn.py --calls {options.calls} --repeat {options.repeat}` — shapes "
             "(8..71, 32..), best of the rounds, all in one run. \"before\" is every call on the profiling "
             "path (set_num_profiled_runs too large to finish), what churn ran before DYNAMIC covered it.", "",
             "| contender | us per call, from fresh | us per call, steady | steady / NumPy | "
             "specializations | profiled calls | unoptimized calls |", "|---|---|---|---|---|---|---|"]
    for name in fresh_best:
        kinds, profiled, fallback = specializations.get(name, ("-", "-", "-"))
        lines.append(f"| {name} | {fresh_best[name] * 1e6:.1f} | {steady_best[name] * 1e6:.1f} | "
                     f"{steady_best[name] / eager:.2f} | {kinds} | {profiled} | {fallback} |")
    lines += ["", "Profiled and unoptimized call counts are for one function over 2 x calls "
              "(its fresh and steady batches) of the last round."]
    publish(lines, "churn_cpu.md")


if __name__ == "__main__":
    main()
