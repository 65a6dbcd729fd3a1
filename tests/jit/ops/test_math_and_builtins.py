"""Python's math functions and builtins, and the tuple, list and slice primitives."""
from __future__ import annotations

import math

import numpy as np
import pytest

import jit
from jit import ops

from ...helpers import run_both
from .samples import array, assert_op_matches_eager, scripted

MATH_UNARY = [op.short_name for op in ops.all_ops() if op.namespace == "math" and len(op.args) == 1]
MATH_BINARY = [op.short_name for op in ops.all_ops() if op.namespace == "math" and len(op.args) == 2
               and op.short_name != "log"]

COVERS = {f"math::{n}" for n in MATH_UNARY + MATH_BINARY} | {
    "math::log", "prim::Float", "prim::Int", "prim::Bool", "prim::not", "prim::len", "prim::min", "prim::max",
    "prim::TupleConstruct", "prim::TupleIndex", "prim::TupleUnpack", "prim::TupleSlice", "prim::ListConstruct",
    "prim::ListIndex", "prim::ListSlice", "prim::ListUnpack", "prim::range_length", "prim::range_array", "np::item"}


@pytest.mark.parametrize("name", MATH_UNARY)
def test_math_unary(name):
    """math keeps Python's semantics: floor gives an int, sqrt(-1.0) raises ValueError."""
    for kind, values in (("float", [0.5, -2.25, 0.0, 1e300]), ("int", [3, -1, 0]), ("bool", [True])):
        for value in values:
            assert_op_matches_eager(f"math::{name}", f"def f(x: {kind}):\n    return math.{name}(x)\n", value)


@pytest.mark.parametrize("name", MATH_BINARY)
def test_math_binary(name):
    for x, y in ((1.5, 2.0), (-3.0, 0.5), (2, 3), (0.0, 0.0)):
        kinds = ", ".join(f"{n}: {type(v).__name__}" for n, v in (("x", x), ("y", y)))
        assert_op_matches_eager(f"math::{name}", f"def f({kinds}):\n    return math.{name}(x, y)\n", x, y)


def test_math_log_and_constants():
    assert_op_matches_eager("math::log", "def f(x: float):\n    return math.log(x)\n", 2.5)
    assert_op_matches_eager("math::log", "def f(x: float, b: int):\n    return math.log(x, b)\n", 8.0, 2)
    assert_op_matches_eager("math::log", "def f(x: float):\n    return math.log(x) * math.pi + math.e - math.tau + math.inf\n", 2.5)
    with pytest.raises(jit.CompilationError, match="use np.exp on arrays"):
        scripted("def f(a: Tensor):\n    return math.exp(a)\n")  # unannotated: compiled per call for numbers


CASTS = [("prim::Float", "float(a)"), ("prim::Int", "int(a)"), ("prim::Bool", "bool(a)")]


@pytest.mark.parametrize("op, expression", CASTS, ids=[e for _, e in CASTS])
def test_casts_of_arrays(op, expression):
    """One-element arrays convert; larger ones raise NumPy's error."""
    source = f"def f(a):\n    return {expression}\n"
    for dtype in (np.float32, np.int64, np.bool_):
        for a in (array(dtype, ()), array(dtype, (1, 1)), array(dtype, (3,)), array(dtype, (0,))):
            assert_op_matches_eager(op, source, a)


@pytest.mark.parametrize("op, expression", CASTS, ids=[e for _, e in CASTS])
@pytest.mark.parametrize("kind, value", [("int", -3), ("float", 2.75), ("bool", True), ("float", -0.0)])
def test_casts_of_numbers(op, expression, kind, value):
    assert_op_matches_eager(op, f"def f(a: {kind}):\n    return {expression}\n", value)


def test_casts_of_strings():
    assert_op_matches_eager("prim::Int", "def f():\n    return int('42') + int(3.9)\n")
    assert_op_matches_eager("prim::Float", "def f():\n    return float('inf') - float('1.5')\n")


@pytest.mark.parametrize("kind, value", [("bool", True), ("int", 0), ("float", 2.5)])
def test_not(kind, value):
    assert_op_matches_eager("prim::not", f"def f(a: {kind}):\n    return not a\n", value)
    for a in (np.array([0.0]), np.array(3), np.array([1, 2])):
        assert_op_matches_eager("prim::not", "def f(a):\n    return not a\n", a)


def test_len():
    source = "def f(a, t: Tuple[int, int, int], n: int):\n    return len(a) + len(t) + len(a.shape) + len(range(n))\n"
    assert_op_matches_eager("prim::len", source, array(np.float32, (4, 2)), (1, 2, 3), 5)
    assert_op_matches_eager("prim::len", "def f(a):\n    return len(a)\n", array(np.float32, ()))
    assert_op_matches_eager("prim::range_length", "def f(a: int, b: int, s: int):\n    return len(range(a, b, s))\n", 2, 11, 3)
    assert_op_matches_eager("prim::range_length", "def f(a: int, b: int, s: int):\n    return len(range(a, b, s))\n", 2, 11, 0)


def test_a_range_as_array_data():
    """np.asarray(range(...)) as NumPy makes it: int64, float64 when empty (NumPy's empty sequence)."""
    for expression in ("range(2, 11, 3)", "range(4, 4)", "range(3)", "range(5, -2, -2)"):
        assert_op_matches_eager("prim::range_array", f"def f():\n    return np.asarray({expression})\n")
    function, eager = scripted("def f(a: int, b: int, s: int):\n    return np.asarray(range(a, b, s))\n")
    for bounds in ((2, 11, 3), (5, 5, 1), (3, -4, -3), (2, 11, 0)):  # the dtype is known when it runs; step 0 raises
        run_both(function, eager, *bounds)


@pytest.mark.parametrize("name", ["min", "max"])
def test_min_max_of_numbers(name):
    assert_op_matches_eager(f"prim::{name}", f"def f(a: int, b: int):\n    return {name}(a, b, 7)\n", 3, -9)
    assert_op_matches_eager(f"prim::{name}", f"def f(a: float, b: float):\n    return {name}(a, b)\n", 3.5, math.nan)
    # An int and a float give a float, as TorchScript's max(int, float) -> float (Python returns either).
    function, eager = scripted(f"def f(a: int, b: float):\n    return {name}(a, b)\n")
    for a, b in ((3, 2.5), (-1, 0.5)):
        assert type(function(a, b)) is float and function(a, b) == eager(a, b)
    # 0-d arrays (reductions) and numbers: an array of the arrays' dtype, equal to Python's pick.
    assert_op_matches_eager(f"prim::{name}", f"def f(a, b: float):\n    return {name}(a.max(), b) * a\n",
                            array(np.float32, (3,)), 0.25)
    with pytest.raises(jit.CompilationError, match="take numbers or 0-d arrays"):
        scripted(f"def f(a: str, b: float):\n    return {name}(a, b)\n")


def test_item():
    """x.item(): a Scalar until converted (the dtype is known only at run time)."""
    for dtype in (np.float32, np.int64, np.bool_):
        assert_op_matches_eager("np::item", "def f(a):\n    return a.max().item()\n", array(dtype, (4,)))
        assert_op_matches_eager("np::item", "def f(a):\n    return float(a.sum().item()) * 2.0\n", array(dtype, (4,)))


def test_tuples():
    source = ("def f(a, t: Tuple[int, float, int]):\n    x, y, z = t\n    u = (a, x)\n"
              "    return u[0] * t[1] + z + t[-1] + len(t[1:])\n")
    assert_op_matches_eager("prim::TupleConstruct", source, array(np.float32, (2,)), (1, 2.5, 3))
    assert_op_matches_eager("prim::TupleUnpack", source, array(np.float32, (2,)), (1, 2.5, 3))
    assert_op_matches_eager("prim::TupleIndex", "def f(a):\n    return a.shape[-1] + a.shape[0]\n", array(np.float32, (2, 5)))
    assert_op_matches_eager("prim::TupleSlice", "def f(a, i: int):\n    return a.shape[i:]\n", array(np.float32, (2, 5, 3)), 1)
    with pytest.raises(jit.CompilationError, match="out of range"):
        scripted("def f(t: Tuple[int, int]):\n    return t[2]\n")


def test_lists():
    assert_op_matches_eager("prim::ListConstruct", "def f(a, b):\n    return np.stack([a, b, a])\n", array(np.float32, (2,)),
          array(np.float32, (2,)))
    assert_op_matches_eager("prim::ListIndex", "def f(a, i: int):\n    x = [a, a + 1.0, a * 2.0]\n    return x[i]\n",
          array(np.float32, (2,)), -1)
    assert_op_matches_eager("prim::ListSlice", "def f(a):\n    x = [a, a + 1.0, a * 2.0]\n    return np.concatenate(x[::2])\n",
          array(np.float32, (2,)))
    assert_op_matches_eager("prim::ListUnpack", "def f(a):\n    b, c = np.split(a, 2)\n    return b\n", array(np.float32, (4,)))
    assert_op_matches_eager("prim::ListUnpack", "def f(a):\n    b, c = np.split(a, 4)\n    return b\n", array(np.float32, (4,)))
    assert_op_matches_eager("prim::ListConstruct", "def f(n: int):\n    return [n, 2 * n]\n", 4)
    with pytest.raises(jit.CompilationError, match="same type"):
        scripted("def f(a: Tensor, n: int):\n    return [a, n]\n")
