"""The scalar vocabulary: every primitive an elementwise formula and a kernel
instruction may use, with its arity, the kind of its result and its NumPy
reference. ``jit.ops.scalar_expr`` (the formula language), ``kernels.ir`` (the
instructions) and both renderers read this one table; adding a primitive is a
row here, a formula that calls it, and one entry in each renderer's
``code_for_op``.

It lives in ``device``, the bottom layer, because two layers read it that may
not import each other: ``jit.ops`` may import only ``device`` and ``kernels``
imports ``device``. It imports NumPy and nothing of ArrayScript, as ``device`` does.

Result kinds: SAME (the dtype the arguments share after promotion), BOOL,
BRANCHES (``where``: its second and third arguments' dtype) and TARGET (the
instruction's own dtype: ``cast``). ``exact`` marks primitives whose float
result is one of their arguments or exactly representable in their dtype
(selections, sign changes, rounding to an integer): a renderer that computes
a narrow float in a wider one (float16 in float32) need not round them back.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAME, BOOL, BRANCHES, TARGET = "same", "bool", "branches", "target"
OPERATOR, UNARY, FUNCTION, KERNEL = "operator", "unary", "function", "kernel"


@dataclass(frozen=True)
class Primitive:
    name: str  # a binary symbol (``+``), a unary operator (``neg``) or a function name (``exp``)
    arity: int
    form: str  # OPERATOR, UNARY, FUNCTION; KERNEL: introduced by lowering, not written in formulas
    result: str = SAME
    reference: object = None  # NumPy's implementation (None: filled in by its module, or kernel-only)
    exact: bool = False


def _operators():
    arithmetic = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide}
    ordering = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
    bitwise = {"&": np.bitwise_and, "|": np.bitwise_or, "^": np.bitwise_xor, "<<": np.left_shift,
               ">>": np.right_shift}
    logical = {"and": np.logical_and, "or": np.logical_or}
    rows = [Primitive(s, 2, OPERATOR, SAME, f) for s, f in {**arithmetic, **bitwise}.items()]
    rows += [Primitive(s, 2, OPERATOR, BOOL, f, exact=True) for s, f in {**ordering, **logical}.items()]
    rows += [Primitive("neg", 1, UNARY, SAME, np.negative, exact=True),
             Primitive("invert", 1, UNARY, SAME, np.invert, exact=True),
             Primitive("not", 1, UNARY, BOOL, np.logical_not, exact=True)]
    return rows, frozenset(ordering), frozenset(logical)


LDEXP_EXPONENT_LIMIT = 100000  # beyond it every finite nonzero float is 0 or inf either way


def ldexp_of_float_exponent(x, e):
    """NumPy's ldexp for an exponent held as a float (kernels compute both in one dtype)."""
    e = np.asarray(e)
    if e.dtype.kind == "f":
        e = np.clip(e, -LDEXP_EXPONENT_LIMIT, LDEXP_EXPONENT_LIMIT).astype(np.int64)
    return np.ldexp(x, e)


def _same_dtype(result, like):
    return np.asarray(result).astype(np.asarray(like).dtype)


def _part_of(ufunc, function):
    """``function`` (a part of ``ufunc``, in its argument's dtype), with ``types`` as a ufunc's: its loops."""
    function.types = [f"{loop.split('->')[0]}->{loop.split('->')[0]}" for loop in ufunc.types]
    return function


def _functions():
    inexact = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "cbrt", "sin", "cos", "tan",
               "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh"]
    rows = [Primitive(name, 1, FUNCTION, SAME, getattr(np, name)) for name in inexact]
    rows.append(Primitive("erf", 1, FUNCTION, SAME, None))  # jit.ops.special gives its reference (NumPy has no erf)
    rows += [Primitive(name, 1, FUNCTION, SAME, getattr(np, name), exact=True)
             for name in ("floor", "ceil", "trunc", "rint", "absolute", "sign")]
    rows += [Primitive(name, 1, FUNCTION, BOOL, getattr(np, name), exact=True)
             for name in ("isnan", "isinf", "isfinite", "signbit")]
    rows += [Primitive(name, 2, FUNCTION, SAME, getattr(np, name))
             for name in ("arctan2", "hypot", "power", "fmod", "remainder", "floor_divide")]
    rows += [Primitive(name, 2, FUNCTION, SAME, getattr(np, name), exact=True)
             for name in ("maximum", "minimum", "copysign", "nextafter")]
    rows += [Primitive(name, 2, FUNCTION, SAME, getattr(np, name), exact=True) for name in ("gcd", "lcm")]
    # NumPy's bitwise_count (the set bits of |x|), in the integer's own dtype; frexp's two parts,
    # the exponent held in the float dtype (an integer there, as ldexp's is)
    rows += [Primitive("popcount", 1, FUNCTION, SAME,
                       _part_of(np.bitwise_count, lambda x: _same_dtype(np.bitwise_count(x), x)), exact=True),
             Primitive("frexp_mantissa", 1, FUNCTION, SAME, _part_of(np.frexp, lambda x: np.frexp(x)[0]), exact=True),
             Primitive("frexp_exponent", 1, FUNCTION, SAME,
                       _part_of(np.frexp, lambda x: _same_dtype(np.frexp(x)[1], x)), exact=True)]
    # ldexp(x, e) with e converted to x's float dtype (an integer there); clamped where every result saturates
    rows.append(Primitive("ldexp", 2, FUNCTION, SAME, ldexp_of_float_exponent))
    rows += [Primitive("eq", 2, FUNCTION, BOOL, np.equal, exact=True),
             Primitive("ne", 2, FUNCTION, BOOL, np.not_equal, exact=True),
             Primitive("where", 3, FUNCTION, BRANCHES, np.where, exact=True)]
    # Kernel instructions that formulas do not write: lowering makes them (NumPy's power fast
    # path for a uniform exponent, kernels.ir.UNIFORM_POWERS; the conversion to a dtype).
    rows += [Primitive("power_uniform", 2, KERNEL, SAME, np.power),
             Primitive("cast", 1, KERNEL, TARGET, None)]
    return rows


_operator_rows, ORDERING, LOGICAL = _operators()
PRIMITIVES = {p.name: p for p in _operator_rows + _functions()}

BINARY_OPERATORS = frozenset(p.name for p in PRIMITIVES.values() if p.form == OPERATOR)
UNARY_OPERATORS = frozenset(p.name for p in PRIMITIVES.values() if p.form == UNARY)
FUNCTIONS = {p.name: p.arity for p in PRIMITIVES.values() if p.form in (FUNCTION, KERNEL)}
FORMULA_FUNCTIONS = frozenset(p.name for p in PRIMITIVES.values() if p.form == FUNCTION)
BOOL_RESULTS = frozenset(p.name for p in PRIMITIVES.values() if p.result == BOOL)
EXACT = frozenset(p.name for p in PRIMITIVES.values() if p.exact)
