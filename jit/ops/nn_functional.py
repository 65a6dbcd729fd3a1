"""The ``jit.nn.functional`` operators (``nn::relu``, ``nn::gelu``...).

Their eager implementations are the reference: ``jit.nn.functional`` calls
exactly these. Float inputs keep their dtype; other inputs compute in float64.
``F.tanh`` is NumPy's ``np.tanh`` itself, so it needs no entry here.
"""
from __future__ import annotations

import numpy as np

from jit import types as T

from . import raising, special
from . import type_rules as R
from .reductions import matmul_shape, stacked_matmul
from .registry import Arg, ArgInfo, OpDef, register
from .scalar_expr import SQRT1_2, SQRT_2_OVER_PI, fn
from .shapes import SHAPE, int_sequence

_OPTIONAL_TENSOR = T.OptionalType(T.TENSOR)


def _as_float(xp, x):
    dtype = R.float_result_dtype(x.dtype)
    return x if x.dtype == dtype else x.astype(dtype)


def _float_rule(infos):
    source = infos[0].type
    return T.TensorType(R.float_result_dtype(source.dtype), source.shape, source.device)


def _same_type_rule(infos):
    return infos[0].type


def _nn_op(name, args, rule, *, impl=None, template=None, formula=None, **options):
    return register(OpDef(f"nn::{name}", args, T.TENSOR, rule, impl=impl, template=template,
                          formula=formula, **options))


# relu is np.maximum(x, 0): 0 is a weak scalar, so floats and ints keep their dtype
# (bool becomes int64); NaN stays NaN, as np.maximum does.
_maximum_rule = R.elementwise(np.maximum)
_nn_op("relu", [Arg("input", T.TENSOR)], lambda infos: _maximum_rule([infos[0], ArgInfo(T.INT, 0)]),
       template="{xp}.maximum({0}, 0)", formula=lambda x: fn.maximum(x, 0), doc="max(x, 0)",
       raises=raising.elementwise())


def _sigmoid(xp, x):
    x = _as_float(xp, x)
    with np.errstate(over="ignore"):  # exp(-x) -> inf gives the right limit, 0
        return 1 / (1 + xp.exp(-x))


def _silu(xp, x):
    x = _as_float(xp, x)
    with np.errstate(over="ignore"):
        return x / (1 + xp.exp(-x))


def _gelu(xp, x, approximate="none"):
    x = _as_float(xp, x)
    if approximate == "tanh":
        return 0.5 * x * (1 + xp.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return 0.5 * x * (1 + special.erf(xp, x * SQRT1_2))


def _gelu_formula(x, approximate):
    if approximate == "tanh":
        return 0.5 * x * (1.0 + fn.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
    return 0.5 * x * (1.0 + fn.erf(x * SQRT1_2))


_nn_op("sigmoid", [Arg("input", T.TENSOR)], _float_rule, impl=_sigmoid,
       formula=lambda x: 1.0 / (1.0 + fn.exp(-x)), doc="1 / (1 + exp(-x))", raises=raising.elementwise())
_nn_op("silu", [Arg("input", T.TENSOR)], _float_rule, impl=_silu,
       formula=lambda x: x / (1.0 + fn.exp(-x)), doc="x * sigmoid(x)", raises=raising.elementwise())
_nn_op("gelu", [Arg("input", T.TENSOR), Arg("approximate", T.STR, "none", static=True)], _float_rule,
       impl=_gelu, formula=_gelu_formula, doc="x * Phi(x); approximate='tanh' for the tanh form",
       raises=raising.elementwise(array_args=(0,)))


def _softmax(xp, x, dim=-1):
    x = _as_float(xp, x)
    shifted = x - x.max(axis=dim, keepdims=True)
    exponent = xp.exp(shifted)
    return exponent / exponent.sum(axis=dim, keepdims=True)


def _log_softmax(xp, x, dim=-1):
    x = _as_float(xp, x)
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))


def _softmax_rule(infos):
    source, dim = infos[0].type, infos[1]
    if source.shape is not None and dim.is_constant:
        R.normalize_axes(dim.value, max(1, len(source.shape)), "dim")
    return _float_rule(infos)


# kernel_form: a fused kernel computes these as their impls do, from row reductions
# (fuser.reduction_lowering; jit.ops.reductions has the plain reductions' forms).
_nn_op("softmax", [Arg("input", T.TENSOR), Arg("dim", T.INT, -1)], _softmax_rule, impl=_softmax,
       doc="exp(x) / sum(exp(x)) along dim, computed stably", raises=raising.along_axis).kernel_form = "softmax"
_nn_op("log_softmax", [Arg("input", T.TENSOR), Arg("dim", T.INT, -1)], _softmax_rule, impl=_log_softmax,
       doc="x - logsumexp(x) along dim, computed stably",
       raises=raising.along_axis).kernel_form = "log_softmax"


def _logsumexp(xp, x, dim, keepdim=False):
    x = _as_float(xp, x)
    axes = R.normalize_axes(dim, max(1, x.ndim), "dim")
    if x.ndim == 0:
        x = x.reshape(1)
    if any(x.shape[a] == 0 for a in axes):  # torch's: log(0) = -inf (max would raise)
        peak = xp.full(tuple(1 if i in axes else n for i, n in enumerate(x.shape)), -np.inf, x.dtype)
    else:
        peak = x.max(axis=axes, keepdims=True)
    peak = xp.where(xp.isfinite(peak), peak, 0)  # a row of -inf, inf or NaN is not shifted
    with np.errstate(divide="ignore"):
        result = xp.log(xp.exp(x - peak).sum(axis=axes, keepdims=True)) + peak
    return result if keepdim else result.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))


def _logsumexp_rule(infos):
    source, dim, keepdim = infos[0].type, infos[1], infos[2]
    shape = None
    if source.shape is not None and dim.is_constant and keepdim.is_constant:
        axes = R.normalize_axes(dim.value, max(1, len(source.shape)), "dim")
        full = source.shape or (1,)
        shape = tuple(1 if i in axes else n for i, n in enumerate(full)) if keepdim.value else \
            tuple(n for i, n in enumerate(full) if i not in axes)
    return T.TensorType(R.float_result_dtype(source.dtype), shape, source.device)


_nn_op("logsumexp", [Arg("input", T.TENSOR), Arg("dim", T.UnionType([T.INT, T.SequenceType(T.INT)])),
                     Arg("keepdim", T.BOOL, False)], _logsumexp_rule, impl=_logsumexp,
       doc="log(sum(exp(x))) along dim, computed stably (torch.logsumexp)",
       raises=raising.along_axis).kernel_form = "logsumexp"


def _normalized_axes(name, x, normalized_shape):
    dims = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(x.shape[x.ndim - len(dims):]) != dims:
        raise ValueError(f"{name}: normalized_shape {dims} does not match the trailing "
                         f"dimensions of an input of shape {x.shape}")
    return tuple(range(x.ndim - len(dims), x.ndim))


def _layer_norm(xp, x, normalized_shape, weight=None, bias=None, eps=1e-5):
    x = _as_float(xp, x)
    axes = _normalized_axes("layer_norm", x, normalized_shape)
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    variance = (centered * centered).mean(axis=axes, keepdims=True)
    result = centered / xp.sqrt(variance + eps)
    if weight is not None:
        result = result * weight
    if bias is not None:
        result = result + bias
    return result


_scale_rule, _shift_rule = R.elementwise(np.multiply), R.elementwise(np.add)


def _normalized_rule(name, affine):
    """The type rule of a normalization over the trailing normalized_shape dims, then
    ``* weight`` (and ``+ bias``) where ``affine`` names those arguments' positions."""
    def rule(infos):
        source, normalized = infos[0].type, int_sequence(infos[1])
        if source.shape is not None and normalized is not None and None not in normalized:
            trailing = source.shape[len(source.shape) - len(normalized):]
            if len(normalized) > len(source.shape) or any(
                    s is not None and s != n for s, n in zip(trailing, normalized)):
                raise TypeError(f"{name}: normalized_shape {tuple(normalized)} does not match "
                                f"an input of shape {source.shape}")
        return _affine_result(_float_rule(infos), [(rule_, infos[i]) for rule_, i in affine])
    return rule


def _affine_result(result, steps):
    # result * weight + bias: NumPy broadcasts and promotes (a (1, 1, 1) weight adds an axis)
    for rule, info in steps:
        if R.is_tensor(info.type):
            result = rule([ArgInfo(result), info])
        elif info.type != T.NONE:  # an Optional[Tensor]: applied or not, only known when it runs
            return T.TENSOR
    return result


_nn_op("layer_norm",
       [Arg("input", T.TENSOR), Arg("normalized_shape", SHAPE), Arg("weight", _OPTIONAL_TENSOR, None),
        Arg("bias", _OPTIONAL_TENSOR, None), Arg("eps", T.FLOAT, 1e-5)],
       _normalized_rule("layer_norm", ((_scale_rule, 2), (_shift_rule, 3))), impl=_layer_norm,
       doc="normalize over the trailing normalized_shape dims").kernel_form = "layer_norm"


def _rms_norm(xp, x, normalized_shape, weight=None, eps=None):
    x = _as_float(xp, x)
    axes = _normalized_axes("rms_norm", x, normalized_shape)
    eps = float(np.finfo(x.dtype).eps) if eps is None else eps  # torch's default
    result = x / xp.sqrt((x * x).mean(axis=axes, keepdims=True) + eps)
    return result if weight is None else result * weight


_nn_op("rms_norm",
       [Arg("input", T.TENSOR), Arg("normalized_shape", SHAPE), Arg("weight", _OPTIONAL_TENSOR, None),
        Arg("eps", T.OptionalType(T.FLOAT), None)],
       _normalized_rule("rms_norm", ((_scale_rule, 2),)), impl=_rms_norm,
       doc="x / sqrt(mean(x * x) + eps) over the trailing normalized_shape dims, then * weight "
           "(torch.nn.functional.rms_norm; eps None: the dtype's machine epsilon)").kernel_form = "rms_norm"


def _linear(xp, x, weight, bias=None):
    result = stacked_matmul(x, weight.T)
    return result if bias is None else result + bias


def _linear_rule(infos):
    x, weight, bias = (i.type for i in infos)
    weight_t = None if weight.shape is None else weight.shape[::-1]
    shape = matmul_shape(x.shape, weight_t)
    dtypes = [t.dtype for t in (x, weight, bias) if R.is_tensor(t)]
    dtype = None if any(d is None for d in dtypes) else np.result_type(*dtypes)  # not `None in`: dtype == None
    if R.is_tensor(bias) and shape is not None and bias.shape is not None:
        shape = R.broadcast_shapes([shape, bias.shape])
    return T.TensorType(dtype, shape, R.common_device([x, weight]))


_nn_op("linear", [Arg("input", T.TENSOR), Arg("weight", T.TENSOR), Arg("bias", _OPTIONAL_TENSOR, None)],
       _linear_rule, impl=_linear, doc="x @ weight.T + bias")


def _dropout(xp, x, p=0.5, training=True):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"dropout expects a floating-point array, got {x.dtype}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return xp.zeros_like(x)
    random = np.random if xp is np else xp.random
    keep = random.random_sample(x.shape) >= p
    return x * keep / x.dtype.type(1.0 - p)


_nn_op("dropout", [Arg("input", T.TENSOR), Arg("p", T.FLOAT, 0.5), Arg("training", T.BOOL, True)],
       _same_type_rule, impl=_dropout, side_effects=True, nondeterministic=True,
       doc="zero elements with probability p and scale by 1/(1-p) when training")


def _embedding(xp, indices, weight):
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"embedding indices must be integers, got {indices.dtype}")
    return xp.take(weight, indices, axis=0)


def _embedding_rule(infos):
    indices, weight = infos[0].type, infos[1].type
    if indices.dtype is not None and not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"embedding indices must be integers, got {indices.dtype}")
    shape = None if indices.shape is None or weight.shape is None else indices.shape + weight.shape[1:]
    return T.TensorType(weight.dtype, shape, weight.device)


_nn_op("embedding", [Arg("input", T.TENSOR), Arg("weight", T.TENSOR)], _embedding_rule, impl=_embedding,
       doc="rows of weight selected by integer indices")
