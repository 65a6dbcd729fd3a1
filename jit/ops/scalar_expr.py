"""The per-element formula language of elementwise operators.

An elementwise op declares its formula as a Python function over symbolic
inputs, for example ``lambda x: 0.5 * x * (1.0 + fn.erf(x * SQRT1_2))``. The
result is a small expression tree that the kernel renderers print (C for CUDA,
Python for Numba). Inputs arrive already cast to the op's compute dtype (the
NumPy loop's input dtypes); constants take the compute dtype, as NumPy's weak
Python scalars do.

Every primitive here has NumPy's semantics (``maximum`` propagates NaN,
``remainder`` follows the divisor's sign, integer arithmetic wraps), which the
renderers must reproduce. ``evaluate`` is the reference: it runs a formula with
NumPy, and tests compare it with the op's eager implementation.
"""
from __future__ import annotations

import math

import numpy as np

from device import scalar_vocabulary as vocabulary

# The vocabulary is one table (device.scalar_vocabulary); these are its formula views.
# Primitive functions: name -> (arity, NumPy reference implementation).
PRIMITIVES = {name: (vocabulary.PRIMITIVES[name].arity, vocabulary.PRIMITIVES[name].reference)
              for name in sorted(vocabulary.FORMULA_FUNCTIONS)}
# Binary operator symbols and unary operators -> NumPy reference.
BINARY = {name: vocabulary.PRIMITIVES[name].reference for name in sorted(vocabulary.BINARY_OPERATORS)}
UNARY = {name: vocabulary.PRIMITIVES[name].reference for name in sorted(vocabulary.UNARY_OPERATORS)}


def _wrap(value) -> "Expr":
    if isinstance(value, Expr):
        return value
    if isinstance(value, (bool, int, float)):
        return Const(value)
    raise TypeError(f"a formula can only combine expressions and Python numbers, got {value!r}")


class Expr:
    """A node of a formula. Arithmetic and ordering operators build new nodes;
    equality is ``fn.eq``/``fn.ne`` so that nodes stay hashable."""
    __slots__ = ()

    def __add__(self, other): return Binary("+", self, _wrap(other))
    def __radd__(self, other): return Binary("+", _wrap(other), self)
    def __sub__(self, other): return Binary("-", self, _wrap(other))
    def __rsub__(self, other): return Binary("-", _wrap(other), self)
    def __mul__(self, other): return Binary("*", self, _wrap(other))
    def __rmul__(self, other): return Binary("*", _wrap(other), self)
    def __truediv__(self, other): return Binary("/", self, _wrap(other))
    def __rtruediv__(self, other): return Binary("/", _wrap(other), self)
    def __lt__(self, other): return Binary("<", self, _wrap(other))
    def __le__(self, other): return Binary("<=", self, _wrap(other))
    def __gt__(self, other): return Binary(">", self, _wrap(other))
    def __ge__(self, other): return Binary(">=", self, _wrap(other))
    def __and__(self, other): return Binary("&", self, _wrap(other))
    def __or__(self, other): return Binary("|", self, _wrap(other))
    def __xor__(self, other): return Binary("^", self, _wrap(other))
    def __lshift__(self, other): return Binary("<<", self, _wrap(other))
    def __rshift__(self, other): return Binary(">>", self, _wrap(other))
    def __neg__(self): return Unary("neg", self)
    def __invert__(self): return Unary("invert", self)
    __hash__ = object.__hash__

    def children(self) -> tuple:
        return ()


class Input(Expr):
    """The op's input number ``index``, cast to the compute dtype."""
    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index

    def __repr__(self):
        return f"in{self.index}"


class Const(Expr):
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return repr(self.value)


class Binary(Expr):
    __slots__ = ("op", "lhs", "rhs")

    def __init__(self, op: str, lhs: Expr, rhs: Expr):
        assert op in BINARY, op
        self.op, self.lhs, self.rhs = op, lhs, rhs

    def __repr__(self):
        return f"({self.lhs!r} {self.op} {self.rhs!r})"

    def children(self):
        return (self.lhs, self.rhs)


class Unary(Expr):
    __slots__ = ("op", "operand")

    def __init__(self, op: str, operand: Expr):
        assert op in UNARY, op
        self.op, self.operand = op, operand

    def __repr__(self):
        return f"{self.op}({self.operand!r})"

    def children(self):
        return (self.operand,)


class Call(Expr):
    __slots__ = ("name", "args")

    def __init__(self, name: str, args):
        arity = PRIMITIVES[name][0]
        if len(args) != arity:
            raise TypeError(f"formula primitive {name} takes {arity} arguments, got {len(args)}")
        self.name, self.args = name, tuple(_wrap(a) for a in args)

    def __repr__(self):
        return f"{self.name}({', '.join(map(repr, self.args))})"

    def children(self):
        return self.args


class Cast(Expr):
    """Conversion to ``dtype`` (for example a comparison's bool to the compute float)."""
    __slots__ = ("operand", "dtype")

    def __init__(self, operand: Expr, dtype):
        self.operand, self.dtype = _wrap(operand), np.dtype(dtype)

    def __repr__(self):
        return f"{self.dtype.name}({self.operand!r})"

    def children(self):
        return (self.operand,)


class Like(Expr):
    """The Python number ``value`` in the dtype of ``like`` (not weak): NumPy's C loops
    compute constants such as ``180.0f / NPY_PIf`` in the loop's own type. ``value`` may
    be a function of that dtype (``finfo(dtype).eps``)."""
    __slots__ = ("value", "like")

    def __init__(self, value, like: Expr):
        self.value, self.like = value, _wrap(like)

    def number(self, dtype):
        return self.value(np.dtype(dtype)) if callable(self.value) else self.value

    def __repr__(self):
        return f"like({self.value!r}, {self.like!r})"

    def children(self):
        return (self.like,)


class IfFloat(Expr):
    """``then`` where ``like`` has a float dtype, else ``otherwise``: chosen when the formula
    is lowered (dtypes are static), as NumPy's functions branch on ``dtype.kind``."""
    __slots__ = ("like", "then", "otherwise")

    def __init__(self, like: Expr, then, otherwise):
        self.like, self.then, self.otherwise = _wrap(like), _wrap(then), _wrap(otherwise)

    def __repr__(self):
        return f"if_float({self.like!r}, {self.then!r}, {self.otherwise!r})"

    def children(self):
        return (self.like, self.then, self.otherwise)


class _FunctionNamespace:
    """``fn.tanh(x)``, ``fn.where(c, a, b)``...: calls of formula primitives."""

    def __getattr__(self, name):
        if name not in PRIMITIVES:
            raise AttributeError(f"no formula primitive named {name!r}")
        return lambda *args: Call(name, args)

    @staticmethod
    def logical_and(a, b): return Binary("and", _wrap(a), _wrap(b))
    @staticmethod
    def logical_or(a, b): return Binary("or", _wrap(a), _wrap(b))
    @staticmethod
    def logical_not(a): return Unary("not", _wrap(a))
    @staticmethod
    def cast(a, dtype): return Cast(a, dtype)
    @staticmethod
    def constant(value, like): return Like(value, like)
    @staticmethod
    def if_float(like, then, otherwise): return IfFloat(like, then, otherwise)


fn = _FunctionNamespace()

SQRT1_2 = math.sqrt(0.5)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


INPUT = object()  # marks an argument that is a run-time input of the formula


def build(formula, arguments):
    """The expression tree of ``formula``. ``arguments`` has one entry per canonical
    argument of the op: ``INPUT`` for a run-time value (it becomes ``Input(i)``,
    i the argument's index), else the compile-time value itself (a static
    argument, or None for an omitted bound). A formula of an op with several
    outputs (``divmod``) gives a tuple, one expression per output."""
    result = formula(*[Input(i) if a is INPUT else a for i, a in enumerate(arguments)])
    return tuple(map(_wrap, result)) if isinstance(result, tuple) else _wrap(result)


def inputs_of(expr: Expr) -> set:
    """Indices of the inputs an expression reads."""
    if isinstance(expr, Input):
        return {expr.index}
    found = set()
    for child in expr.children():
        found |= inputs_of(child)
    return found


def evaluate(expr: Expr, values):
    """Run a formula with NumPy; ``values[i]`` is argument i, already in its compute dtype."""
    if isinstance(expr, Input):
        return values[expr.index]
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Binary):
        return BINARY[expr.op](evaluate(expr.lhs, values), evaluate(expr.rhs, values))
    if isinstance(expr, Unary):
        return UNARY[expr.op](evaluate(expr.operand, values))
    if isinstance(expr, Cast):
        return np.asarray(evaluate(expr.operand, values)).astype(expr.dtype)
    if isinstance(expr, IfFloat):
        chosen = expr.then if np.asarray(evaluate(expr.like, values)).dtype.kind == "f" else expr.otherwise
        return evaluate(chosen, values)
    if isinstance(expr, Like):
        dtype = np.asarray(evaluate(expr.like, values)).dtype
        return dtype.type(expr.number(dtype))
    if isinstance(expr, Call):
        reference = PRIMITIVES[expr.name][1]
        return reference(*[evaluate(a, values) for a in expr.args])
    raise TypeError(f"not a formula node: {expr!r}")
