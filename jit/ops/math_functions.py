"""Python's ``math`` module on Python numbers (``math::exp``...).

These keep ``math``'s own semantics, which differ from NumPy's: ``math.floor``
returns an int, ``math.sqrt(-1.0)`` raises ValueError instead of giving NaN.
"""
from __future__ import annotations

import math

import numpy as np

from jit import types as T

from . import raising
from . import type_rules as R
from .registry import Arg, OpDef, Spelling, register


def _hint(name):
    numpy_name = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "atan2": "arctan2", "pow": "power",
                  "fabs": "absolute"}.get(name, name)
    alternative = f"np.{numpy_name}" if hasattr(np, numpy_name) else "the NumPy functions"
    return f"math functions take Python numbers; use {alternative} on arrays"


# Defined for every float, inf and NaN included, and never overflowing.
_TOTAL = frozenset({"atan", "atan2", "tanh", "erf", "erfc", "fabs", "copysign", "isnan", "isinf", "isfinite",
                    "radians", "degrees"})


def _math_op(name, arity, result):
    names = ["x"] if arity == 1 else ["x", "y"]
    placeholders = ", ".join(f"{{{i}}}" for i in range(arity))
    return register(OpDef(f"math::{name}", [Arg(n, T.NUMBER) for n in names], result, R.fixed(result),
                          template=f"_math.{name}({placeholders})",
                          spellings=[Spelling("function", f"math.{name}", getattr(math, name))],
                          hint=_hint(name), doc=f"math.{name}", raises=raising.math_function(name in _TOTAL)))


for _name in ("exp", "expm1", "log2", "log10", "log1p", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan",
              "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "erf", "erfc", "fabs", "gamma", "lgamma",
              "radians", "degrees"):
    _math_op(_name, 1, T.FLOAT)
for _name in ("atan2", "pow", "fmod", "copysign", "hypot"):
    _math_op(_name, 2, T.FLOAT)
for _name in ("floor", "ceil", "trunc"):
    _math_op(_name, 1, T.INT)
for _name in ("isnan", "isinf", "isfinite"):
    _math_op(_name, 1, T.BOOL)

# math.log takes an optional base.
register(OpDef("math::log", [Arg("x", T.NUMBER), Arg("base", T.UnionType([T.NONE, T.INT, T.FLOAT]), None)],
               T.FLOAT, R.fixed(T.FLOAT), hint=_hint("log"),
               render_fn=lambda args, xp: f"_math.log({args[0]})" if args[1] == "None" else f"_math.log({args[0]}, {args[1]})",
               impl=lambda xp, x, base=None: math.log(x) if base is None else math.log(x, base),
               spellings=[Spelling("function", "math.log", math.log)], doc="math.log(x[, base])"))
