"""Fused float64 kernels against eager NumPy on (4096, 1024) float64: each workload
scripted with ``jit.script`` (the real script path: trace, fuse, one CPU kernel),
checked against NumPy, then both timed interleaved in one run; the table gives the
best of the rounds and the ratio NumPy time / fused time. exp, expm1, log, log1p,
tanh, sin, cos, erf, power (an array exponent: pow), arcsin, arccos, arctan2 and the others of
kernels.cpu_math.FLOAT64_OPS use its vectorized float64 helpers; a last table times float32 sin, cos and tan
(their float32 forms where a block's arguments are below cpu_math.MEDIUM_LIMIT). On a shared 2-core machine
the numbers are noisy.

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


def flat_log_sum(x):
    """A full reduction of a 1-d array (4M elements): the split kernel's chunks."""
    return np.log(np.abs(x) + 1.0).sum()


def haversine(lat1, lon1, lat2, lon2):
    """Great-circle distance (the form of Pythran's arc_distance): sin, cos, sqrt and arcsin."""
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * np.arcsin(np.sqrt(a))


def polar_angle(x, y):
    return np.arctan2(y, x) + np.arccos(np.clip(x * 0.1, -1.0, 1.0))


WORKLOADS = [exp_affine, softplus, sigmoid, gaussian_log_likelihood, gelu_tanh, expm1_scaled, log_abs, sin, cos,
             gelu_erf, power, log_likelihood_total, standardize_columns, flat_log_sum, haversine, polar_angle]


# One function each over 64,000 elements, below the kernels' threading threshold: one thread against
# NumPy's one, where a libm call in the loop (scalar) or a dearer helper shows.
def one_tanh(x):
    return np.tanh(x) * 0.5 + 1.0


def one_sin(x):
    return np.sin(x) * 0.5 + 1.0


def one_exp(x):
    return np.exp(x) * 0.5 + 1.0


def one_log(x):
    return np.log(x) * 0.5 + 1.0


def one_arctan(x):
    return np.arctan(x) * 0.5 + 1.0


def one_arcsin(x):
    return np.arcsin(x) * 0.5 + 1.0


def one_arccos(x):
    return np.arccos(x) * 0.5 + 1.0


def one_arctan2(x, y):
    return np.arctan2(x, y) * 0.5 + 1.0


def one_log10(x):
    return np.log10(x) * 0.5 + 1.0


def one_log2(x):
    return np.log2(x) * 0.5 + 1.0


def one_exp2(x):
    return np.exp2(x) * 0.5 + 1.0


def one_sinh(x):
    return np.sinh(x) * 0.5 + 1.0


def one_cosh(x):
    return np.cosh(x) * 0.5 + 1.0


def one_tan(x):
    return np.tan(x) * 0.5 + 1.0


def one_cbrt(x):
    return np.cbrt(x) * 0.5 + 1.0


def one_arcsinh(x):
    return np.arcsinh(x) * 0.5 + 1.0


def one_arctanh(x):
    return np.arctanh(x) * 0.5 + 1.0


SMALL_WORKLOADS = [one_tanh, one_sin, one_exp, one_log, one_arctan, one_arcsin, one_arccos, one_arctan2, one_log10,
                   one_log2, one_exp2, one_sinh, one_cosh, one_tan, one_cbrt, one_arcsinh, one_arctanh]
SMALL_ROUNDS = 200


def rotary32(x, y, angle):
    return x * np.cos(angle) - y * np.sin(angle)


def tan32(x):
    return np.tan(x) * np.float32(0.5)


FLOAT32_WORKLOADS = [rotary32, tan32]


def _float32_inputs(size):
    def make(function, rng):
        count = 1 if function is tan32 else 3
        arrays = [rng.uniform(-100.0, 100.0, size).astype(np.float32) for _ in range(count)]
        return tuple(arrays)
    return make


def _small_inputs(function, rng):
    x = rng.uniform(-0.99, 0.99, 64_000)  # every function's domain; 64,000 elements: one thread
    if function is one_arctan2:
        return x, rng.uniform(-0.99, 0.99, 64_000)
    if function in (one_log, one_log10, one_log2):
        return (np.abs(x) + 1e-3,)
    return (x,)


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
    if function is flat_log_sum:
        return (x.ravel(),)
    if function is haversine:
        return tuple(rng.uniform(-1.5, 1.5, (4096, 1024)) for _ in range(4))
    if function is polar_angle:
        return x, rng.standard_normal((4096, 1024))
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
    lines += _table(WORKLOADS, _inputs, ROUNDS, rng)
    lines += ["", f"One function each over 64,000 float64 (1-d) in (-0.99, 0.99), one thread (below the threading "
              f"threshold), best of {SMALL_ROUNDS} interleaved rounds:", "",
              "| workload | NumPy eager | ArrayScript fused | ratio | max diff (rel. above 1) |", "|---|---|---|---|---|"]
    lines += _table(SMALL_WORKLOADS, _small_inputs, SMALL_ROUNDS, rng)
    lines += ["", "float32 sin, cos and tan, arguments in (-100, 100): 64,000 elements (one thread) and (4096, 1024):",
              "", "| workload | NumPy eager | ArrayScript fused | ratio | max diff (rel. above 1) |", "|---|---|---|---|---|"]
    for size, rounds in ((64_000, SMALL_ROUNDS), ((4096, 1024), ROUNDS)):
        lines += [line.replace("| ", f"| {size} ", 1) for line in
                  _table(FLOAT32_WORKLOADS, _float32_inputs(size), rounds, rng)]
    publish(lines + [""], "float64_cpu.md")


def _table(workloads, make_inputs, rounds, rng):
    lines = []
    for function in workloads:
        arguments = make_inputs(function, rng)
        scripted = jit.script(function)
        for _ in range(3):  # profile, specialize, compile
            fused = scripted(*arguments)
        expected = function(*arguments)
        # relative where |result| >= 1, absolute below (GELU's 1 + tanh cancels to ~0 for x << 0)
        difference = float(np.max(np.abs(fused - expected) / np.maximum(np.abs(expected), 1.0)))
        eager, ours = [], []
        for _ in range(rounds):
            _best(function, arguments, eager)
            _best(scripted, arguments, ours)
        lines.append(f"| {function.__name__} | {min(eager) * 1e3:.3f} ms | {min(ours) * 1e3:.3f} ms | "
                     f"{min(eager) / min(ours):.2f}x | {difference:.1e} |")
    return lines


if __name__ == "__main__":
    main()
