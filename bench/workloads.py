"""The fusion workloads: defined once in ``jit.benchmarking.workloads`` (installed,
so that ``arrayscript bench`` runs them too); the bench/ scripts import them here."""
from jit.benchmarking.workloads import (C, EAGER, NUMEXPR, chain10, gelu_bias, inputs, mlp,  # noqa: F401
                                        numba_by_hand, scripted, with_array_module)

# -- reductions (issue 21): each written once in NumPy, the baseline and what jit.script compiles --
import numpy as np  # noqa: E402


def softmax(x):
    m = x.max(axis=-1, keepdims=True)
    e = np.exp(x - m)
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def layer_norm(x, w, b):
    mean = x.mean(axis=-1, keepdims=True)
    centered = x - mean
    variance = (centered * centered).mean(axis=-1, keepdims=True)
    return centered / np.sqrt(variance + 1e-5) * w + b


def rms_norm(x, w):
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + 1e-6) * w


def transformer_block(x, wq, wk, wv, wo, w1, b1, w2, b2, g1, e1, g2, e2):
    """One pre-norm block, one head: layer norm, attention (softmax of scaled scores), residual,
    layer norm, a tanh-GELU MLP, residual; everything but the matmuls fuses."""
    mean = x.mean(axis=-1, keepdims=True)
    centered = x - mean
    h = centered / np.sqrt((centered * centered).mean(axis=-1, keepdims=True) + 1e-5) * g1 + e1
    scores = (h @ wq) @ np.swapaxes(h @ wk, 1, 2) * 0.0625
    m = scores.max(axis=-1, keepdims=True)
    p = np.exp(scores - m)
    p = p / p.sum(axis=-1, keepdims=True)
    x = x + (p @ (h @ wv)) @ wo
    mean = x.mean(axis=-1, keepdims=True)
    centered = x - mean
    h = centered / np.sqrt((centered * centered).mean(axis=-1, keepdims=True) + 1e-5) * g2 + e2
    f = h @ w1 + b1
    f = 0.5 * f * (1.0 + np.tanh(0.7978845608028654 * (f + 0.044715 * f * f * f)))
    return x + (f @ w2 + b2)


REDUCTIONS = {"softmax": softmax, "log_softmax": log_softmax, "layer_norm": layer_norm, "rms_norm": rms_norm,
              "transformer_block": transformer_block}


def reduction_inputs(name: str):
    """float32 inputs: (4096, 1024) rows for the row workloads, (8, 128, 256) for the block."""
    rng = np.random.default_rng(0)

    def normal(*shape, scale=1.0):
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(scale)

    if name in ("softmax", "log_softmax"):
        return (normal(4096, 1024),)
    if name == "layer_norm":
        return normal(4096, 1024), normal(1024), normal(1024)
    if name == "rms_norm":
        return normal(4096, 1024), normal(1024)
    if name == "transformer_block":
        d = 256
        return (normal(8, 128, d), *(normal(d, d, scale=d ** -0.5) for _ in range(4)), normal(d, 4 * d, scale=d ** -0.5),
                normal(4 * d), normal(4 * d, d, scale=(4 * d) ** -0.5), normal(d), normal(d), normal(d), normal(d),
                normal(d))
    raise KeyError(name)
