"""NumPy's remaining ufuncs: float decomposition (``ldexp``, ``frexp``, ``modf``,
``nextafter``, ``spacing``), ``float_power``, ``divmod``, and the integer ones
(``gcd``, ``lcm``, ``bitwise_count``).

``float_power`` (``power`` computed in float64 or wider), ``nextafter``, ``ldexp``,
``spacing``, ``gcd`` and ``lcm`` fuse on both renderers, with NumPy's edge cases
(gcd of negatives and of the minimum int, lcm overflow wrapping as
``|a| / gcd * |b|``, nextafter's direction, spacing of inf and NaN).
``bitwise_count`` runs unfused, as NumPy's loop: the vocabulary has no popcount. The
multi-output ones (``divmod``, ``frexp``, ``modf``) give a tuple of arrays, as
NumPy does.
"""
from __future__ import annotations

import math

import numpy as np

from jit import types as T

from . import raising
from . import type_rules as R
from .arithmetic import numpy_function, ufunc_op
from .registry import ARRAY_LIKE, Arg, OpDef, register
from .scalar_expr import fn

ufunc_op("float_power", fn.power, doc="np.float_power: power in float64 (or wider); fuses")
ufunc_op("nextafter", fn.nextafter)
# The kernels hold the int exponent in a float (exact up to 2**24 in float32; beyond, the result saturates).
ufunc_op("ldexp", fn.ldexp)
# NumPy's npy_spacing: NaN for infinities, else the next float away from zero minus x (so
# spacing(-0.0) is the smallest subnormal, positive); its float16 loop steps toward +inf instead.
def _spacing(x):
    below = fn.constant(lambda dtype: math.inf if dtype == np.float16 else -math.inf, x)
    return fn.where(fn.isinf(x), math.nan, fn.nextafter(x, fn.where(x < 0, below, fn.constant(math.inf, x))) - x)


ufunc_op("spacing", _spacing)
ufunc_op("gcd", fn.gcd)
ufunc_op("lcm", fn.lcm)
ufunc_op("bitwise_count", None, doc="np.bitwise_count: runs unfused (NumPy's loop)")


def _outputs_rule(ufunc):
    """A ufunc with several outputs: each output's dtype from NumPy's loop, the broadcast shape."""

    def rule(infos):
        tensors = R.tensor_types(infos)
        promoted = [R.promotion_operand(i) for i in infos]
        shape = R.broadcast_shapes([t.shape if R.is_tensor(t) else () for t in (i.type for i in infos)])
        dtypes = [None] * ufunc.nout
        if all(p is not None for p in promoted):
            try:
                dtypes = ufunc.resolve_dtypes((*promoted, *([None] * ufunc.nout)))[ufunc.nin:]
            except (TypeError, np.exceptions.DTypePromotionError) as error:
                raise TypeError(f"np.{ufunc.__name__} does not support these arguments: {error}") from None
        device = R.common_device(tensors) if tensors else "cpu"
        return T.TupleType([T.TensorType(d, shape, device) for d in dtypes])

    rule.ufunc = ufunc
    return rule


def _multi_output_op(name, doc):
    ufunc = getattr(np, name)
    args = [Arg("x", ARRAY_LIKE)] if ufunc.nin == 1 else [Arg("x1", ARRAY_LIKE), Arg("x2", ARRAY_LIKE)]
    placeholders = ", ".join(f"{{{i}}}" for i in range(ufunc.nin))
    register(OpDef(f"np::{name}", args, T.TupleType([T.TENSOR] * ufunc.nout), _outputs_rule(ufunc),
                   template=f"{{xp}}.{name}({placeholders})", spellings=[numpy_function(name)], doc=doc,
                   raises=raising.elementwise()))


_multi_output_op("divmod", "np.divmod(x1, x2): (floor_divide, remainder); runs unfused")
_multi_output_op("frexp", "np.frexp(x): (mantissa, int32 exponent); runs unfused")
_multi_output_op("modf", "np.modf(x): (fractional part, integral part); runs unfused")
