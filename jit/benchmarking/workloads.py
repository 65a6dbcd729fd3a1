"""The fusion workloads, each written once as plain NumPy (the eager baseline,
what jit.script compiles, and with ``with_array_module`` what torch, JAX and CuPy
run) and, where a library needs its own spelling, once for that library."""
from __future__ import annotations

import math
import types

import numpy as np

import jit

C = math.sqrt(2.0 / math.pi)


def gelu_bias(x, b):
    y = x + b
    return 0.5 * y * (1.0 + np.tanh(0.7978845608028654 * (y + 0.044715 * y * y * y)))


def chain10(x, y):
    """Ten cheap elementwise ops: memory-bound when unfused (ten passes over memory)."""
    a = x * 1.5 + y
    b = a * 0.5 - x
    c = b * b + 0.25
    d = c * y - a
    return d * 0.75 + 1.0


def mlp(x, w1, b1, w2, b2):
    h = x @ w1 + b1
    h = 0.5 * h * (1.0 + np.tanh(0.7978845608028654 * (h + 0.044715 * h * h * h)))
    return h @ w2 + b2


def with_array_module(function, module):
    """``function`` with the name ``np`` in its body meaning ``module`` (torch's functions)."""
    namespace = dict(function.__globals__, np=module)
    return types.FunctionType(function.__code__, namespace, function.__name__, function.__defaults__)


NUMEXPR = {
    "gelu_bias": "0.5 * (x + b) * (1 + tanh(0.7978845608028654 * ((x + b) + 0.044715 * (x + b) * (x + b) * (x + b))))",
    "chain10": "((((x * 1.5 + y) * 0.5 - x) * ((x * 1.5 + y) * 0.5 - x) + 0.25) * y - (x * 1.5 + y)) * 0.75 + 1.0",
}


def inputs(name: str, quick: bool = False):
    """The float32 inputs of workload ``name``; ``quick``: an eighth of the rows (a short run)."""
    rng = np.random.default_rng(0)
    rows = 512 if quick else 4096

    def normal(*shape):
        return rng.standard_normal(shape, dtype=np.float32)

    if name == "gelu_bias":
        return normal(rows, 1024), normal(1024)
    if name == "small":
        return normal(8, 128), normal(128)
    if name == "chain10":
        return normal(rows, 1024), normal(rows, 1024)
    if name == "mlp":
        return (normal(rows // 16, 1024), normal(1024, 4096) * np.float32(0.03), normal(4096),
                normal(4096, 1024) * np.float32(0.015), normal(1024))
    raise KeyError(name)


EAGER = {"gelu_bias": gelu_bias, "small": gelu_bias, "chain10": chain10, "mlp": mlp}


def scripted(name: str):
    return jit.script(EAGER[name])


def numba_by_hand():
    """Loops as a Numba user writes them: parallel=True over rows, math.tanh."""
    import numba  # noqa: PLC0415

    @numba.njit(parallel=True, fastmath=False, cache=True)
    def gelu_bias_loop(x, b):
        out = np.empty_like(x)
        for i in numba.prange(x.shape[0]):
            for j in range(x.shape[1]):
                y = x[i, j] + b[j]
                out[i, j] = np.float32(0.5) * y * (np.float32(1.0) + math.tanh(
                    np.float32(0.7978845608028654) * (y + np.float32(0.044715) * y * y * y)))
        return out

    @numba.njit(parallel=True, fastmath=False, cache=True)
    def chain10_loop(x, y):
        out = np.empty_like(x)
        for i in numba.prange(x.shape[0]):
            for j in range(x.shape[1]):
                a = x[i, j] * np.float32(1.5) + y[i, j]
                b = a * np.float32(0.5) - x[i, j]
                c = b * b + np.float32(0.25)
                d = c * y[i, j] - a
                out[i, j] = d * np.float32(0.75) + np.float32(1.0)
        return out

    def mlp_loop(x, w1, b1, w2, b2):
        return gelu_bias_loop(x @ w1, b1) @ w2 + b2

    return {"gelu_bias": gelu_bias_loop, "small": gelu_bias_loop, "chain10": chain10_loop, "mlp": mlp_loop}
