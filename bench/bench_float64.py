"""Fused float64 kernels against eager NumPy on (4096, 1024) float64: each workload
scripted with ``jit.script`` (the real script path: trace, fuse, one CPU kernel),
checked against NumPy, then both timed interleaved in one run; the table gives the
best of the rounds and the ratio NumPy time / fused time. exp, expm1, log, log1p,
tanh, sin, cos, erf and power (an array exponent: pow) use kernels.cpu_math's
vectorized float64 helpers. On a shared 2-core machine the numbers are noisy.

    python bench/bench_float64.py            # writes bench/results/float64_cpu.md
"""
from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jit  # noqa: E402
import jit.nn.functional as F  # noqa: E402
from bench.publish import publish  # noqa: E402

ROUNDS = 7


def exp_affine(x):
    return np.exp(x) * 0.5 + 1.0


def softplus(x):
    return np.log1p(np.exp(x))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def gaussian_log_likelihood(x, mu, sigma):
    z = (x - mu) / sigma
    return -0.5 * z * z - np.log(sigma) - 0.9189385332046727


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))


def expm1_scaled(x):
    return np.expm1(x * 0.1) * 10.0


def log_abs(x):
    return np.log(np.abs(x) + 1e-3)


def sin(x):
    return np.sin(x) * 0.5


def cos(x):
    return np.cos(x) * 0.5 + 1.0


def gelu_erf(x, b):
    return F.gelu(x + b)


def power(x, y):
    return np.power(np.abs(x) + 1.0, y)


def log_likelihood_total(x, mu: float, sigma: float):
    """Pythran's log_likelihood benchmark, written out of place: a full reduction of exp and log."""
    return np.log(np.exp(-(x - mu) ** 2 / (2 * sigma ** 2)) / (2.5066282746310002 * sigma)).sum()


def standardize_columns(x):
    """Column statistics (reductions over axis 0) broadcast back: a feature scaler."""
    return (x - x.mean(axis=0)) / x.std(axis=0)


WORKLOADS = [exp_affine, softplus, sigmoid, gaussian_log_likelihood, gelu_tanh, expm1_scaled, log_abs, sin, cos,
             gelu_erf, power, log_likelihood_total, standardize_columns]


def _inputs(function, rng):
    x = rng.standard_normal((4096, 1024)) * 3.0
    if function is gelu_erf:
        return x, rng.standard_normal(1024)
    if function is gaussian_log_likelihood:
        return x, rng.standard_normal(1024), rng.uniform(0.5, 2.0, 1024)
    if function is power:
        return x, rng.uniform(-2.0, 2.0, (4096, 1024))
    if function is log_likelihood_total:
        return x, 0.1, 1.1
    return (x,)


def _best(function, arguments, times):
    started = time.perf_counter()
    function(*arguments)
    times.append(time.perf_counter() - started)


def main():
    rng = np.random.default_rng(0)
    lines = [f"# Fused float64 kernels vs eager NumPy ({platform.machine()}, 2 shared cores, numpy {np.__version__})",
             "", "`python bench/bench_float64.py`: (4096, 1024) float64, best of "
             f"{ROUNDS} interleaved rounds per entry; ratio = NumPy time / fused time (above 1: fused is faster). "
             "Noisy: the machine's 2 cores are shared.", "",
             "| workload | NumPy eager | ArrayScript fused | ratio | max diff (rel. above 1) |",
             "|---|---|---|---|---|"]
    for function in WORKLOADS:
        arguments = _inputs(function, rng)
        scripted = jit.script(function)
        for _ in range(3):  # profile, specialize, compile
            fused = scripted(*arguments)
        expected = function(*arguments)
        # relative where |result| >= 1, absolute below (GELU's 1 + tanh cancels to ~0 for x << 0)
        difference = float(np.max(np.abs(fused - expected) / np.maximum(np.abs(expected), 1.0)))
        eager, ours = [], []
        for _ in range(ROUNDS):
            _best(function, arguments, eager)
            _best(scripted, arguments, ours)
        lines.append(f"| {function.__name__} | {min(eager) * 1e3:.2f} ms | {min(ours) * 1e3:.2f} ms | "
                     f"{min(eager) / min(ours):.2f}x | {difference:.1e} |")
    publish(lines + [""], "float64_cpu.md")


if __name__ == "__main__":
    main()
