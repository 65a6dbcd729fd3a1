"""Comparing arrays as wholes or with tolerances: ``isclose``, ``allclose``,
``array_equal``, ``array_equiv``; and the element tests that are functions
rather than ufuncs (``isreal``, ``iscomplex``, ``nan_to_num``)."""
from __future__ import annotations

import math

import numpy as np

from . import type_rules as R
from .declare import broadcast_shape, given, numpy_op, same_shape
from .scalar_expr import fn


def _isclose(x, y, rtol, atol, equal_nan):
    """NumPy's isclose, step by step: ``|x - y| <= atol + rtol * |y|`` where y is finite,
    or ``x == y`` (equal infinities); with ``equal_nan`` two NaNs too."""
    close = fn.logical_and(fn.absolute(x - y) <= atol + rtol * fn.absolute(y), fn.isfinite(y))
    result = fn.logical_or(close, fn.eq(x, y))
    return fn.logical_or(result, fn.logical_and(fn.isnan(x), fn.isnan(y))) if equal_nan else result


def _isclose_compute(infos, result):
    """NumPy makes b inexact (``result_type(b, 1.0)``) and computes ``x - y`` and ``x == y``
    in the promotion of a with that; the tolerance is in b's dtype. A Python number b
    stays a Python float, whose tolerance NumPy computes in Python: that form runs unfused,
    as does a tolerance that is not finite (NumPy warns about it)."""
    a, b, rtol, atol = infos[:4]
    if not R.is_tensor(b.type):
        raise TypeError("np.isclose with a Python number as b computes its tolerance in Python floats, "
                        "which a kernel does not reproduce")
    if not all(math.isfinite(t.value) for t in (rtol, atol) if t.is_constant):
        raise TypeError("np.isclose warns about a tolerance that is not finite")
    inexact_b = np.result_type(R.promotion_operand(b), 1.0)
    return [np.result_type(R.promotion_operand(a), inexact_b), inexact_b, None, None, None]


def _nan_to_num(x, nan, posinf, neginf):
    """NaN to ``nan``, infinities to ``posinf``/``neginf`` (the dtype's largest and smallest
    finite values by default); arrays that are not floats are returned as they are."""
    largest = fn.constant(lambda dtype: float(np.finfo(dtype).max), x) if posinf is None else posinf
    smallest = fn.constant(lambda dtype: float(np.finfo(dtype).min), x) if neginf is None else neginf
    infinite = fn.where(x > 0, largest, smallest)
    return fn.if_float(x, fn.where(fn.isnan(x), nan, fn.where(fn.isinf(x), infinite, x)), x)


def _angle(z, deg):
    """``arctan2(0, z)`` for real z (pi for negative numbers and -0.0), times 180/pi in degrees."""
    radians = fn.arctan2(0, z)
    return radians * (180 / math.pi) if deg else radians


def _signed_infinity(positive):
    """NumPy's isposinf and isneginf: ``isinf(x) & (signbit(x) is not positive)``, on x as a float."""
    def formula(x):
        negative = fn.signbit(x)
        return fn.logical_and(fn.isinf(x), fn.logical_not(negative) if positive else negative)

    return formula


def _as_float(infos, result):
    """Integer and bool inputs are tested as floats (signbit has only float loops); any float
    keeps their sign and finiteness."""
    dtype = infos[0].type.dtype if R.is_tensor(infos[0].type) else None
    return [np.result_type(dtype, np.float32) if dtype is not None else np.dtype(np.float64)]


_TOLERANCES = "rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False"
numpy_op("isclose", f"a: array, b: array, {_TOLERANCES}", positional=2, shape=broadcast_shape(0, 1),
         formula=_isclose, compute=_isclose_compute, static=("rtol", "atol", "equal_nan"))
numpy_op("allclose", f"a: array, b: array, {_TOLERANCES}", positional=2, returns="bool")
numpy_op("array_equal", "a1: array, a2: array, equal_nan: bool = False", positional=2, returns="bool")
numpy_op("array_equiv", "a1: array, a2: array", positional=2, returns="bool")
numpy_op("isreal", "x: array", shape=same_shape)
numpy_op("iscomplex", "x: array", shape=same_shape)
numpy_op("isrealobj", "x: array", returns="bool")
numpy_op("iscomplexobj", "x: array", returns="bool")
# copy=False would write into x: only the copying form (writes are jit.ops.mutation's).
numpy_op("nan_to_num", "x: array, *, nan: float = 0.0, posinf: float? = None, neginf: float? = None", shape=same_shape,
         formula=_nan_to_num, static=("nan", "posinf", "neginf"))
numpy_op("isposinf", "x: array", shape=same_shape, formula=_signed_infinity(True), compute=_as_float)
numpy_op("isneginf", "x: array", shape=same_shape, formula=_signed_infinity(False), compute=_as_float)
# np.fix is np.trunc in NumPy 2 (integers and bools are themselves).
numpy_op("fix", "x: array", shape=same_shape, formula=lambda x: fn.if_float(x, fn.trunc(x), x))
numpy_op("real_if_close", "a: array, tol: float = 100", shape=same_shape, aliases=True)
numpy_op("asarray_chkfinite", "a: array, dtype: dtype = None", shape=same_shape, aliases=True)
numpy_op("shares_memory", "a: tensor, b: tensor", positional=2, returns="bool")
numpy_op("may_share_memory", "a: tensor, b: tensor", positional=2, returns="bool")
numpy_op("isfortran", "a: tensor", returns="bool")
numpy_op("angle", "z: array, deg: bool = False", shape=same_shape, formula=_angle, static=("deg",))
numpy_op("packbits", "a: array, axis: int? = None, bitorder: str = 'big'")
numpy_op("unpackbits", "a: array, axis: int? = None, count: int? = None, bitorder: str = 'big'")

# Dtype arithmetic, as NumPy 2 promotes (Python numbers are weak).
numpy_op("result_type", "x1: array|dtype, x2: array|dtype? = None, x3: array|dtype? = None, x4: array|dtype? = None",
         returns="dtype", impl=lambda xp, *args: xp.result_type(*given(*args)),
         doc="np.result_type(*arrays_and_dtypes) of up to 4")
numpy_op("promote_types", "type1: dtype, type2: dtype", positional=2, returns="dtype")
numpy_op("can_cast", "from_: tensor|dtype, to: dtype, casting: str = 'safe'", positional=2, returns="bool")
