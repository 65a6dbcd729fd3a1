"""The benchmark's workloads, each written once as plain NumPy (the eager baseline,
what jit.script compiles, and with ``with_array_module`` what torch, JAX and CuPy
run) and, where a library needs its own spelling, once for that library: the
elementwise ones (gelu_bias, small, chain10, mlp) and the reductions of issue 21
(softmax, log_softmax, layer_norm, rms_norm, transformer_block), a softmax of causally masked
scores (most of exp underflows), batch norm (column reductions) and an MSE loss (a full reduction). The reductions
spell a row maximum ``np.amax``: ``Tensor.max(dim)`` returns (values, indices)."""
from __future__ import annotations

import math
import types

import numpy as np

import jit

C = math.sqrt(2.0 / math.pi)
LAYER_NORM_EPS = 1e-5
RMS_NORM_EPS = 1e-6
BATCH_NORM_EPS = 1e-5


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


def softmax(x):
    e = np.exp(x - np.amax(x, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(x):
    shifted = x - np.amax(x, axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def layer_norm(x, w, b):
    centered = x - x.mean(axis=-1, keepdims=True)
    variance = (centered * centered).mean(axis=-1, keepdims=True)
    return centered / np.sqrt(variance + LAYER_NORM_EPS) * w + b


def rms_norm(x, w):
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + RMS_NORM_EPS) * w


def batch_norm(x, w, b):
    """Training-mode batch norm of (batch, features): statistics over axis 0, column reductions."""
    centered = x - x.mean(axis=0)
    variance = (centered * centered).mean(axis=0)
    return centered / np.sqrt(variance + BATCH_NORM_EPS) * w + b


def memory_floor(x):
    """One read of x and one write of a result of its size, fused: a softmax or a norm of x can be
    no faster than about this on the same machine (the floor line under the reduction tables)."""
    return x * 2.0 + 1.0


# the workloads whose result is their first input's shape: each table also times memory_floor
FLOOR_WORKLOADS = ("softmax", "masked_softmax", "log_softmax", "layer_norm", "rms_norm", "batch_norm")


def column_argmax(x):
    """argmax over the leading axis (a class per column of scores): NumPy walks each column a line
    apart; alone, the reduction fuses as a column kernel."""
    return x.argmax(axis=0)


def mse_loss(p, t):
    """A full reduction: the mean of every squared difference."""
    d = p - t
    return (d * d).mean()


def transformer_block(x, wq, wk, wv, wo, w1, b1, w2, b2, g1, e1, g2, e2):
    """One pre-norm block, one head: layer norm, attention (softmax of scaled scores), residual,
    layer norm, a tanh-GELU MLP, residual; everything but the matmuls fuses. Written out in
    full: script code cannot call the functions above (they live in the jit package)."""
    centered = x - x.mean(axis=-1, keepdims=True)
    h = centered / np.sqrt((centered * centered).mean(axis=-1, keepdims=True) + LAYER_NORM_EPS) * g1 + e1
    scores = (h @ wq) @ np.swapaxes(h @ wk, 1, 2) * 0.0625
    p = np.exp(scores - np.amax(scores, axis=-1, keepdims=True))
    x = x + (p / p.sum(axis=-1, keepdims=True) @ (h @ wv)) @ wo
    centered = x - x.mean(axis=-1, keepdims=True)
    h = centered / np.sqrt((centered * centered).mean(axis=-1, keepdims=True) + LAYER_NORM_EPS) * g2 + e2
    f = h @ w1 + b1
    f = 0.5 * f * (1.0 + np.tanh(0.7978845608028654 * (f + 0.044715 * f * f * f)))
    return x + (f @ w2 + b2)


def with_array_module(function, module):
    """``function`` with the name ``np`` in its body meaning ``module`` (torch's functions)."""
    namespace = dict(function.__globals__, np=module)
    return types.FunctionType(function.__code__, namespace, function.__name__, function.__defaults__)


def torch_built_in(name: str, torch):
    """torch's own kernel for reduction workload ``name`` (``None`` where torch has none)."""
    functional = torch.nn.functional
    return {"softmax": lambda x: torch.softmax(x, -1), "masked_softmax": lambda x: torch.softmax(x, -1),
            "log_softmax": lambda x: torch.log_softmax(x, -1),
            "layer_norm": lambda x, w, b: functional.layer_norm(x, x.shape[-1:], w, b, eps=LAYER_NORM_EPS),
            "rms_norm": lambda x, w: functional.rms_norm(x, x.shape[-1:], w, eps=RMS_NORM_EPS),
            "batch_norm": lambda x, w, b: functional.batch_norm(x, None, None, w, b, training=True,
                                                                eps=BATCH_NORM_EPS),
            "mse_loss": lambda p, t: functional.mse_loss(p, t), "column_argmax": lambda x: torch.argmax(x, 0)}.get(name)


NUMEXPR = {
    "gelu_bias": "0.5 * (x + b) * (1 + tanh(0.7978845608028654 * ((x + b) + 0.044715 * (x + b) * (x + b) * (x + b))))",
    "chain10": "((((x * 1.5 + y) * 0.5 - x) * ((x * 1.5 + y) * 0.5 - x) + 0.25) * y - (x * 1.5 + y)) * 0.75 + 1.0",
}


def inputs(name: str, quick: bool = False):
    """The float32 inputs of workload ``name``; ``quick``: an eighth of the rows (a short run)."""
    rng = np.random.default_rng(0)
    rows = 512 if quick else 4096

    def normal(*shape, scale=1.0):
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(scale)

    if name == "gelu_bias":
        return normal(rows, 1024), normal(1024)
    if name == "small":
        return normal(8, 128), normal(128)
    if name == "chain10":
        return normal(rows, 1024), normal(rows, 1024)
    if name == "mlp":
        return (normal(rows // 16, 1024), normal(1024, 4096) * np.float32(0.03), normal(4096),
                normal(4096, 1024) * np.float32(0.015), normal(1024))
    if name in ("softmax", "log_softmax"):
        return (normal(rows, 1024),)
    if name == "masked_softmax":  # attention scores with a causal mask's -1e9 above the diagonal
        scores = normal(rows, 1024)
        scores[np.triu_indices(rows, 1, 1024)] = np.float32(-1e9)
        return (scores,)
    if name == "layer_norm":
        return normal(rows, 1024), normal(1024), normal(1024)
    if name == "rms_norm":
        return normal(rows, 1024), normal(1024)
    if name == "batch_norm":
        return normal(rows, 1024, scale=2.0) + np.float32(0.5), normal(1024), normal(1024)
    if name == "mse_loss":
        return normal(rows, 1024), normal(rows, 1024)
    if name == "column_argmax":
        return (normal(rows, 1024),)
    if name == "transformer_block":  # (batch, tokens, width) = (8, 128, 256); quick: one sequence
        d = 256
        return (normal(rows // 512, 128, d), *(normal(d, d, scale=d ** -0.5) for _ in range(4)),
                normal(d, 4 * d, scale=d ** -0.5), normal(4 * d), normal(4 * d, d, scale=(4 * d) ** -0.5),
                normal(d), normal(d), normal(d), normal(d), normal(d))
    raise KeyError(name)


EAGER = {"gelu_bias": gelu_bias, "small": gelu_bias, "chain10": chain10, "mlp": mlp, "softmax": softmax,
         "masked_softmax": softmax,
         "log_softmax": log_softmax, "layer_norm": layer_norm, "rms_norm": rms_norm, "batch_norm": batch_norm,
         "mse_loss": mse_loss, "column_argmax": column_argmax, "transformer_block": transformer_block}
ELEMENTWISE = ("gelu_bias", "small", "chain10")  # all elementwise: what cupy.fuse can take


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
