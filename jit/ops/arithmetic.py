"""Elementwise operators: Python's arithmetic, comparison, bitwise and unary
operators, NumPy's elementwise math, ``where``, ``clip`` and ``astype``.

Ops spelled with a Python operator execute as that operator: on arrays it is the
NumPy ufunc (NumPy 2 promotion with weak Python scalars), on two Python scalars
it is Python's own arithmetic (``7 // 2`` is the int 3), exactly as eager code.
"""
from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from jit import types as T

from . import raising
from . import type_rules as R
from .registry import ARRAY_LIKE, OPERAND, SCALAR_RESULT, Arg, OpDef, Spelling, add_template_global, register
from .scalar_expr import fn


def numpy_function(name, **options) -> Spelling:
    """The spelling ``np.<name>(...)``; NumPy converts Python scalars to arrays."""
    return Spelling("function", f"np.{name}", getattr(np, name), scalars_to_array=True, **options)


def _ufunc_args(ufunc, arg_type=ARRAY_LIKE):
    names = ["x"] if ufunc.nin == 1 else [f"x{i + 1}" for i in range(ufunc.nin)]
    return [Arg(n, arg_type) for n in names]


def ufunc_op(name, formula, *, symbol=None, pyop=None, builtin=None, methods=(), scalar_template=None, doc="",
             raises=None, compute=None):
    """Register ``np::<name>`` for the NumPy ufunc ``np.<name>``.

    symbol: the Python operator that spells it (``+``, ``unary -``); its template is
    that operator, and ``pyop`` gives its meaning on two Python scalars.
    builtin: a Python builtin that spells it (``abs``)."""
    ufunc = getattr(np, name)
    args = _ufunc_args(ufunc, OPERAND if symbol is not None else ARRAY_LIKE)
    spellings = [numpy_function(name)]
    placeholders = [f"{{{i}}}" for i in range(ufunc.nin)]
    if symbol is not None:
        spellings.append(Spelling("operator", symbol))
        operator_text = symbol.removeprefix("unary ")
        template = (f"{operator_text}{placeholders[0]}" if ufunc.nin == 1
                    else f"{placeholders[0]} {operator_text} {placeholders[1]}")
    elif builtin is not None:
        spellings.append(Spelling("function", builtin.__name__, builtin))
        template = f"{builtin.__name__}({', '.join(placeholders)})"
    else:
        template = f"{{xp}}.{name}({', '.join(placeholders)})"
    spellings += [Spelling("method", m) for m in methods]
    scalar_meaning = pyop if pyop is not None else builtin
    returns = SCALAR_RESULT if scalar_meaning is not None else T.TENSOR
    return register(OpDef(f"np::{name}", args, returns, R.elementwise(ufunc, scalar_meaning),
                          template=template, formula=formula, spellings=spellings,
                          scalar_template=scalar_template, doc=doc or f"np.{name}", compute=compute,
                          raises=raises if raises is not None else raising.elementwise(scalar_meaning)))


def python_power(base, exponent):
    """``base ** exponent`` on Python numbers, keeping the static type the rule gave:
    int for two ints, float otherwise. Python itself gives a float for a negative
    int exponent and a complex for a fractional power of a negative float, which
    no static type describes, so those raise instead."""
    result = base ** exponent
    if isinstance(result, complex):
        raise ValueError(f"{base!r} ** {exponent!r} is a complex number; script functions have no complex "
                         "scalars (use np.power on arrays, which gives NaN)")
    if type(result) is float and type(base) in (int, bool) and type(exponent) in (int, bool):
        raise ValueError(f"{base!r} ** {exponent!r}: an int raised to a negative int is a float in Python, but "
                         "this expression is typed int; write float(base) ** exponent")
    return result


add_template_global("_python_power", python_power)


# Python's binary operators.
ufunc_op("add", lambda a, b: a + b, symbol="+", pyop=operator.add)
ufunc_op("subtract", lambda a, b: a - b, symbol="-", pyop=operator.sub)
ufunc_op("multiply", lambda a, b: a * b, symbol="*", pyop=operator.mul)
ufunc_op("divide", lambda a, b: a / b, symbol="/", pyop=operator.truediv)
ufunc_op("floor_divide", fn.floor_divide, symbol="//", pyop=operator.floordiv)
ufunc_op("remainder", fn.remainder, symbol="%", pyop=operator.mod)
ufunc_op("power", fn.power, raises=raising.elementwise(exponent=1),
         doc="np.power (the ** operator is np::power_operator)")

_power_rule = R.elementwise(np.power, operator.pow)


def _power_operator_rule(infos):
    """``a ** b`` is ``ndarray.__pow__``: np.power, but for an array to the Python int 2
    NumPy runs np.square, whose bool loop gives int8 where np.power's gives int64 (its
    other shortcuts, reciprocal and sqrt on float arrays, keep np.power's dtype). A
    NumPy scalar base takes np.power's route, so a bool of shape () (array or scalar)
    and an int only known at run time leave the dtype unknown."""
    result = _power_rule(infos)
    base, exponent = infos
    bool_array = R.is_tensor(base.type) and base.type.dtype is not None and base.type.dtype.kind == "b"
    if not bool_array or exponent.type != T.INT or (exponent.is_constant and exponent.value != 2):
        return result
    squared = exponent.is_constant and base.type.shape is not None and len(base.type.shape) > 0
    dtype = np.square.resolve_dtypes((base.type.dtype, None))[-1] if squared else None
    return T.TensorType(dtype, result.shape, result.device)


_power_operator_rule.ufunc = np.power
register(OpDef(
    "np::power_operator", [Arg("x1", OPERAND), Arg("x2", OPERAND)], SCALAR_RESULT, _power_operator_rule,
    template="{0} ** {1}", formula=fn.power, spellings=[Spelling("operator", "**")],
    scalar_template="_python_power({0}, {1})", raises=raising.elementwise(operator.pow, exponent=1),
    doc="a ** b: ndarray.__pow__ (np.power but for NumPy's shortcuts: an array ** 2 is np.square)"))

ufunc_op("bitwise_and", lambda a, b: a & b, symbol="&", pyop=operator.and_)
ufunc_op("bitwise_or", lambda a, b: a | b, symbol="|", pyop=operator.or_)
ufunc_op("bitwise_xor", lambda a, b: a ^ b, symbol="^", pyop=operator.xor)
ufunc_op("left_shift", lambda a, b: a << b, symbol="<<", pyop=operator.lshift)
ufunc_op("right_shift", lambda a, b: a >> b, symbol=">>", pyop=operator.rshift)

# Comparisons (chained comparisons are split by the frontend).
ufunc_op("less", lambda a, b: a < b, symbol="<", pyop=operator.lt)
ufunc_op("less_equal", lambda a, b: a <= b, symbol="<=", pyop=operator.le)
ufunc_op("greater", lambda a, b: a > b, symbol=">", pyop=operator.gt)
ufunc_op("greater_equal", lambda a, b: a >= b, symbol=">=", pyop=operator.ge)


def _equality_op(name, formula, symbol, pyop):
    """``==``/``!=``: elementwise on arrays; on anything else Python's comparison,
    so that dtypes, strings and devices compare too."""
    numeric = R.elementwise(getattr(np, name), pyop)

    def rule(infos):
        if any(R.is_tensor(i.type) for i in infos) or all(i.type in T.PYTHON_SCALAR_TYPES for i in infos):
            return numeric(infos)
        return T.BOOL

    rule.ufunc = numeric.ufunc
    args = [Arg("x1", T.ANY), Arg("x2", T.ANY)]
    return register(OpDef(f"np::{name}", args, SCALAR_RESULT, rule, template=f"{{0}} {symbol} {{1}}",
                          formula=formula, spellings=[numpy_function(name), Spelling("operator", symbol)],
                          doc=f"np.{name}", raises=raising.equality(pyop)))


_equality_op("equal", fn.eq, "==", operator.eq)
_equality_op("not_equal", fn.ne, "!=", operator.ne)

# Unary operators.
ufunc_op("negative", lambda x: -x, symbol="unary -", pyop=operator.neg)
ufunc_op("positive", lambda x: x, symbol="unary +", pyop=operator.pos)
ufunc_op("invert", lambda x: ~x, symbol="unary ~", pyop=operator.invert)
ufunc_op("absolute", fn.absolute, builtin=builtins.abs)

# NumPy's elementwise math.
for _name in ("exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "sin", "cos", "tan",
              "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "floor", "ceil",
              "trunc", "rint",
              "sign", "isnan", "isinf", "isfinite"):
    ufunc_op(_name, getattr(fn, _name))
ufunc_op("square", lambda x: x * x)
ufunc_op("reciprocal", lambda x: 1 / x)
ufunc_op("arctan2", fn.arctan2)
ufunc_op("fmod", fn.fmod)
ufunc_op("maximum", fn.maximum)
ufunc_op("minimum", fn.minimum)
ufunc_op("logical_and", fn.logical_and)
ufunc_op("logical_or", fn.logical_or)
ufunc_op("logical_xor", lambda a, b: fn.ne(fn.logical_not(a), fn.logical_not(b)))
ufunc_op("logical_not", fn.logical_not)

# Primitives of their own (device.scalar_vocabulary).
ufunc_op("hypot", fn.hypot)
ufunc_op("copysign", fn.copysign)
ufunc_op("cbrt", fn.cbrt)
ufunc_op("signbit", fn.signbit)


def _float16_in_float32(ufunc):
    """Compute dtypes of a formula composed of several primitives: NumPy's float16 loop of
    ``ufunc`` converts to float32, computes and rounds once, so the formula runs in float32."""

    def compute(infos, result):
        loop = ufunc.resolve_dtypes((*[R.promotion_operand(i) for i in infos], *([None] * ufunc.nout)))
        return [np.dtype(np.float32) if dtype == np.float16 else dtype for dtype in loop[:ufunc.nin]]

    return compute


def _logaddexp(x, y, log1p_of_exp, at_equal):
    """NumPy's npy_logaddexp and npy_logaddexp2: equal arguments (infinities of one sign)
    first, then the larger plus the log of one plus the smaller's exponential; NaN last."""
    difference = x - y
    return fn.where(fn.eq(x, y), x + at_equal,
                    fn.where(difference > 0, x + log1p_of_exp(-difference),
                             fn.where(difference <= 0, y + log1p_of_exp(difference), difference)))


ufunc_op("logaddexp", lambda x, y: _logaddexp(x, y, lambda d: fn.log1p(fn.exp(d)), math.log(2.0)),
         compute=_float16_in_float32(np.logaddexp))
ufunc_op("logaddexp2", lambda x, y: _logaddexp(x, y, lambda d: math.log2(math.e) * fn.log1p(fn.exp2(d)), 1.0),
         compute=_float16_in_float32(np.logaddexp2))
# NumPy's loops multiply by a constant computed in the loop's type (180.0f / NPY_PIf for float32).
for _name in ("deg2rad", "radians"):
    ufunc_op(_name, lambda x: x * (fn.constant(math.pi, x) / 180.0), compute=_float16_in_float32(getattr(np, _name)))
for _name in ("rad2deg", "degrees"):
    ufunc_op(_name, lambda x: x * (fn.constant(180.0, x) / math.pi), compute=_float16_in_float32(getattr(np, _name)))
ufunc_op("fabs", fn.absolute)
# NumPy's fmax and fmin: the argument that is not NaN.
ufunc_op("fmax", lambda a, b: fn.where(fn.logical_or(a >= b, fn.isnan(b)), a, b))
ufunc_op("fmin", lambda a, b: fn.where(fn.logical_or(a <= b, fn.isnan(b)), a, b))
ufunc_op("heaviside", lambda x1, x2: fn.where(x1 < 0, 0.0, fn.where(x1 > 0, 1.0, fn.where(fn.eq(x1, 0), x2, x1))))


def _probe_rule(function, array_args):
    """dtype by running ``function`` on one-element probes (Python scalars stay
    Python scalars, so NumPy treats them as weak), shape by broadcasting."""

    def rule(infos):
        operands = [infos[i] for i in array_args if infos[i].type != T.NONE]
        tensors = R.tensor_types(operands)
        shape = R.broadcast_shapes([t.shape if R.is_tensor(t) else () for t in (i.type for i in operands)])
        dtype = None
        if all(R.promotion_operand(i) is not None for i in operands):
            probes = [np.ones(1, i.type.dtype) if R.is_tensor(i.type) else _weak_probe(i) for i in infos]
            try:
                dtype = np.asarray(function(*probes)).dtype
            except (TypeError, ValueError, OverflowError) as error:
                raise TypeError(str(error)) from None
        return T.TensorType(dtype, shape, R.common_device(tensors))

    return rule


def _weak_probe(info):
    """A Python value standing for a non-array argument (NumPy treats it as weak)."""
    if info.type == T.NONE:
        return None
    if info.is_constant:
        return info.value
    return {T.INT: 1, T.FLOAT: 1.0, T.BOOL: True}[info.type]


register(OpDef(
    "np::where", [Arg("condition", ARRAY_LIKE), Arg("x", ARRAY_LIKE), Arg("y", ARRAY_LIKE)], T.TENSOR,
    _probe_rule(np.where, (0, 1, 2)), template="{xp}.where({0}, {1}, {2})",
    formula=lambda c, a, b: fn.where(c, a, b), spellings=[numpy_function("where")],
    compute=lambda infos, result: [np.dtype(bool), result.dtype, result.dtype],
    doc="np.where(condition, x, y)", raises=raising.elementwise()))

def _sinc(x):
    """NumPy's sinc, step by step: ``y = pi * x; y = where(y, y, finfo(y.dtype).eps); sin(y) / y``."""
    y = math.pi * x
    y = fn.where(fn.ne(y, 0), y, fn.constant(lambda dtype: float(np.finfo(dtype).eps), y))
    return fn.sin(y) / y


register(OpDef(
    "np::sinc", [Arg("x", ARRAY_LIKE)], T.TENSOR, _probe_rule(np.sinc, (0,)), template="{xp}.sinc({0})",
    formula=_sinc, spellings=[numpy_function("sinc")],
    compute=lambda infos, result: [result.dtype], doc="np.sinc (a NumPy function, not a ufunc)",
    raises=raising.elementwise()))

def _power_of_ten(n: int) -> float:
    """NumPy's power_of_ten (multiarray/calculation.c): a table up to 1e8, then repeated * 10."""
    if n < 9:
        return float(10 ** n)
    value = 1e8
    for _ in range(n - 8):
        value *= 10.0
    return value


def _round_formula(x, decimals):
    """NumPy's round (PyArray_Round): rint for 0 decimals, else scaled by 10**|decimals|,
    rint, scaled back; an integer with decimals >= 0 is itself."""
    if decimals == 0:
        return fn.rint(x)
    scale = _power_of_ten(abs(decimals))
    scaled = fn.rint(x * scale) / scale if decimals > 0 else fn.rint(x / scale) * scale
    return fn.if_float(x, scaled, x)


def _round_compute(infos, result):
    """An integer array with negative decimals is rounded in float64 and converted back."""
    array, decimals = infos
    integer = R.is_tensor(array.type) and array.type.dtype is not None and array.type.dtype.kind in "iu"
    negative = decimals.is_constant and decimals.value < 0
    return [np.dtype(np.float64) if integer and negative else result.dtype, None]


register(OpDef(
    "np::round", [Arg("a", ARRAY_LIKE), Arg("decimals", T.INT, 0, static=True)], T.TENSOR,
    _probe_rule(np.round, (0,)), template="{xp}.round({0}, {1})", formula=_round_formula, compute=_round_compute,
    spellings=[numpy_function("round"), Spelling("function", "np.around", np.around, scalars_to_array=True),
               Spelling("method", "round")],
    doc="np.round(a, decimals), np.around, x.round(decimals)", raises=raising.elementwise()))

_OPTIONAL_NUMBER = T.UnionType([T.NONE, T.TENSOR, T.INT, T.FLOAT, T.BOOL])


def _clip_formula(a, low, high):
    result = a if low is None else fn.maximum(a, low)
    return result if high is None else fn.minimum(result, high)


def _clip_compute(infos, result):
    """Every argument in the result dtype, but a bound NumPy's clip drops: on an
    integer array, a Python int bound at or beyond the dtype's own limit is no
    bound (NumPy 2's ``_clip``; a bound beyond the other limit raises OverflowError)."""
    dtypes = [result.dtype, result.dtype, result.dtype]
    array = infos[0].type
    for index, info in ((1, infos[1]), (2, infos[2])):
        if info.is_constant and info.value is None:
            dtypes[index] = None
        elif R.is_tensor(array) and array.dtype.kind in "iu" and info.is_constant and type(info.value) is int:
            limits = np.iinfo(array.dtype)
            if info.value <= limits.min if index == 1 else info.value >= limits.max:
                dtypes[index] = None
    return dtypes


register(OpDef(
    "np::clip", [Arg("a", ARRAY_LIKE), Arg("a_min", _OPTIONAL_NUMBER, None), Arg("a_max", _OPTIONAL_NUMBER, None)],
    T.TENSOR, _probe_rule(np.clip, (0, 1, 2)), template="{xp}.clip({0}, {1}, {2})",
    formula=_clip_formula, compute=_clip_compute,
    spellings=[numpy_function("clip", aliases={"min": "a_min", "max": "a_max"}),
               Spelling("method", "clip", aliases={"min": "a_min", "max": "a_max"})],
    doc="np.clip(a, a_min, a_max), x.clip(min, max)", raises=raising.elementwise()))

DTYPE_LIKE = T.UnionType([T.DTYPE, T.STR])


def _astype_rule(infos):
    source, dtype = infos[0].type, infos[1]
    return T.TensorType(np.dtype(dtype.value) if dtype.is_constant else None, source.shape, source.device)


register(OpDef(
    "np::astype", [Arg("x", T.TENSOR), Arg("dtype", DTYPE_LIKE, static=True)], T.TENSOR, _astype_rule,
    template="{0}.astype({1})", formula=lambda x, dtype: x,
    compute=lambda infos, result: [infos[0].type.dtype, None],
    spellings=[Spelling("method", "astype"), numpy_function("astype")],
    doc="x.astype(dtype): a converted copy", raises=raising.constant_arguments("dtype")))
