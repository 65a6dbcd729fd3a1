"""NumPy's remaining ufuncs: float decomposition (``ldexp``, ``frexp``, ``modf``,
``nextafter``, ``spacing``), ``float_power``, ``divmod``, and the integer ones
(``gcd``, ``lcm``, ``bitwise_count``).

``float_power`` (``power`` computed in float64 or wider), ``nextafter``, ``ldexp``,
``spacing``, ``gcd``, ``lcm`` and ``bitwise_count`` fuse on both renderers, with NumPy's
edge cases (gcd of negatives and of the minimum int, lcm overflow wrapping as
``|a| / gcd * |b|``, nextafter's direction, spacing of inf and NaN, the bits of |x|).
The multi-output ones (``divmod``, ``frexp``, ``modf``) give a tuple of arrays, as
NumPy does; their formulas give one expression per output, so they fuse where the
tuple is unpacked or indexed (``fuser.multi_output``).
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from jit import types as T

from . import raising
from . import type_rules as R
from .arithmetic import numpy_function, ufunc_op
from .registry import ARRAY_LIKE, SCALAR_RESULT, Arg, OpDef, Spelling, register
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
ufunc_op("bitwise_count", fn.popcount, doc="np.bitwise_count: the set bits of |x|, as uint8; fuses")


def _outputs_rule(ufunc, pyop=None):
    """A ufunc with several outputs: each output's dtype from NumPy's loop, the broadcast shape.
    With no array argument it is Python's ``pyop`` (the builtin ``divmod``) on scalars."""

    def rule(infos):
        tensors = R.tensor_types(infos)
        if not tensors and pyop is not None:
            return R.python_scalar_result(pyop, infos)
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


def _multi_output_op(name, formula, doc, builtin=None):
    """``builtin``: the Python function that spells it too (``divmod``): on arrays NumPy's, on numbers Python's."""
    ufunc = getattr(np, name)
    args = [Arg("x", ARRAY_LIKE)] if ufunc.nin == 1 else [Arg("x1", ARRAY_LIKE), Arg("x2", ARRAY_LIKE)]
    placeholders = ", ".join(f"{{{i}}}" for i in range(ufunc.nin))
    spellings = [numpy_function(name)]
    returns = T.TupleType([T.TENSOR] * ufunc.nout)
    if builtin is not None:
        spellings.append(Spelling("function", builtin.__name__, builtin))
        returns = T.TupleType([SCALAR_RESULT] * ufunc.nout)
    register(OpDef(f"np::{name}", args, returns, _outputs_rule(ufunc, builtin),
                   template=f"{{xp}}.{name}({placeholders})", spellings=spellings, doc=doc, formula=formula,
                   scalar_template=f"{builtin.__name__}({placeholders})" if builtin is not None else None,
                   raises=raising.elementwise(builtin)))


# NumPy's npy_divmod: the floor_divide and remainder primitives are its two halves.
_multi_output_op("divmod", lambda a, b: (fn.floor_divide(a, b), fn.remainder(a, b)),
                 "np.divmod(x1, x2) and divmod(a, b): (floor_divide, remainder); fuses where unpacked",
                 builtin=builtins.divmod)
# C's frexp leaves the exponent of inf and NaN unspecified; NumPy's is 0.
_multi_output_op("frexp", lambda x: (fn.frexp_mantissa(x), fn.where(fn.isfinite(x), fn.frexp_exponent(x), 0)),
                 "np.frexp(x): (mantissa, int32 exponent); fuses where unpacked")
# The fraction keeps x's sign (modf(-2.0) is (-0.0, -2.0)); an infinity's is a signed zero.
_multi_output_op("modf", lambda x: (fn.where(fn.isinf(x), fn.copysign(0.0, x), fn.copysign(x - fn.trunc(x), x)),
                                    fn.trunc(x)),
                 "np.modf(x): (fractional part, integral part); fuses where unpacked")
