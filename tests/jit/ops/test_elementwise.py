"""Elementwise ops against eager NumPy: every ufunc over the dtypes and layouts,
every Python operator with arrays, weak Python scalars and two Python scalars,
and ``where``, ``clip`` and ``astype``."""
from __future__ import annotations

import re

import numpy as np
import pytest

import jit

from ...helpers import assert_same, refined_result_type, run_both
from .samples import DTYPES, FLOATS, array, binary_layouts, assert_op_matches_eager, python_value, scripted, unary_layouts

UNARY_UFUNCS = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "square", "reciprocal", "sin",
                "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
                "floor", "ceil", "trunc", "rint",
                "sign", "absolute", "isnan", "isinf", "isfinite", "logical_not", "negative", "positive", "invert",
                "cbrt", "signbit", "deg2rad", "rad2deg", "degrees", "radians", "fabs", "sinc"]
BINARY_FUNCTIONS = ["add", "subtract", "multiply", "divide", "floor_divide", "remainder", "power", "fmod",
                    "arctan2", "maximum", "minimum", "logical_and", "logical_or", "logical_xor", "bitwise_and",
                    "bitwise_or", "bitwise_xor", "left_shift", "right_shift", "less", "less_equal", "greater",
                    "greater_equal", "equal", "not_equal", "hypot", "copysign", "logaddexp", "logaddexp2", "fmax",
                    "fmin", "heaviside"]
OPERATORS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "//": "floor_divide", "%": "remainder",
             "**": "power_operator", "&": "bitwise_and", "|": "bitwise_or", "^": "bitwise_xor", "<<": "left_shift",
             ">>": "right_shift", "<": "less", "<=": "less_equal", ">": "greater", ">=": "greater_equal",
             "==": "equal", "!=": "not_equal"}
DTYPE_PAIRS = [(np.float32, np.float32), (np.float32, np.float64), (np.int32, np.float32), (np.int32, np.int64),
               (np.int64, np.int64), (np.bool_, np.bool_), (np.bool_, np.int32)]

COVERS = {f"np::{n}" for n in UNARY_UFUNCS + BINARY_FUNCTIONS} | {"np::power_operator", "np::where", "np::clip", "np::astype",
                                                                 "prim::NumToTensor", "np::round"}


def _each(cases, run):
    for name, *args in cases:
        try:
            run(*args)
        except AssertionError as error:
            raise AssertionError(f"[{name}] {error}") from None


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", UNARY_UFUNCS)
def test_unary_ufunc(name, dtype):
    source = f"def f(a):\n    return np.{name}(a)\n"
    _each(unary_layouts(dtype), lambda a: assert_op_matches_eager(f"np::{name}", source, a))


@pytest.mark.parametrize("pair", DTYPE_PAIRS, ids=lambda p: f"{np.dtype(p[0]).name}-{np.dtype(p[1]).name}")
@pytest.mark.parametrize("name", BINARY_FUNCTIONS)
def test_binary_ufunc(name, pair):
    source = f"def f(a, b):\n    return np.{name}(a, b)\n"
    _each(binary_layouts(*pair), lambda a, b: assert_op_matches_eager(f"np::{name}", source, a, b))


@pytest.mark.parametrize("pair", DTYPE_PAIRS, ids=lambda p: f"{np.dtype(p[0]).name}-{np.dtype(p[1]).name}")
@pytest.mark.parametrize("symbol", list(OPERATORS))
def test_binary_operator(symbol, pair):
    source = f"def f(a, b):\n    return a {symbol} b\n"
    _each(binary_layouts(*pair), lambda a, b: assert_op_matches_eager(f"np::{OPERATORS[symbol]}", source, a, b))


@pytest.mark.parametrize("reflected", [False, True], ids=["array-first", "scalar-first"])
@pytest.mark.parametrize("kind", ["int", "float", "bool"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("symbol", list(OPERATORS))
def test_operator_with_python_scalar(symbol, dtype, kind, reflected):
    """NumPy 2 promotion: Python int and float are weak (float32 + 1.5 is float32)."""
    expression = f"b {symbol} a" if reflected else f"a {symbol} b"
    source = f"def f(a, b: {kind}):\n    return {expression}\n"
    cases = [(f"{layout}, b={python_value(kind, seed)}", a, python_value(kind, seed))
             for seed, (layout, a) in enumerate(unary_layouts(dtype))]
    if symbol == "**" and kind == "int" and not reflected and dtype == np.bool_:
        _each(cases, lambda a, b: _assert_matches_with_unknown_dtype(source, a, b))
        return
    _each(cases, lambda a, b: assert_op_matches_eager(f"np::{OPERATORS[symbol]}", source, a, b))


def _assert_matches_with_unknown_dtype(source, *args):
    """Eager's result, from a rule that leaves the dtype unknown: ``bool_array ** n`` is
    np.square's int8 for n == 2 and np.power's int64 otherwise, and a NumPy bool scalar
    ** 2 is int64 where a 0-d array's is int8 (both have shape ())."""
    function, eager = scripted(source)
    with np.errstate(all="ignore"):
        run_both(function, eager, *args)
    assert refined_result_type(function.graph, args).dtype is None


SCALAR_KINDS = [("int", "int"), ("int", "float"), ("float", "int"), ("float", "float"), ("bool", "bool"),
                ("bool", "int")]


@pytest.mark.parametrize("kinds", SCALAR_KINDS, ids=lambda k: "-".join(k))
@pytest.mark.parametrize("symbol", list(OPERATORS))
def test_operator_on_python_scalars(symbol, kinds):
    """Two Python scalars follow Python: 7 // 2 is the int 3, 1 / 2 is 0.5, 3 / 0 raises."""
    source = f"def f(a: {kinds[0]}, b: {kinds[1]}):\n    return a {symbol} b\n"
    cases = [(f"{a}, {b}", a, b) for a in (python_value(kinds[0], 0), python_value(kinds[0], 1))
             for b in (python_value(kinds[1], 0), python_value(kinds[1], 1), python_value(kinds[1], 2))]

    if _python_rejects(f"a {symbol} b", kinds):
        # Python raises TypeError for these operand types whatever their values;
        # with static types that is a compile error.
        with pytest.raises(jit.CompilationError, match="unsupported operand"):
            scripted(source)
        return

    def run(a, b):
        if symbol == "**" and _power_changes_type(a, b):
            function, _ = scripted(source)
            with pytest.raises(ValueError, match=r"\*\*"):
                function(a, b)
            return
        assert_op_matches_eager(f"np::{OPERATORS[symbol]}", source, a, b)

    _each(cases, run)


def _python_rejects(expression, kinds):
    """Whether Python raises TypeError for ``expression`` on operands of these kinds."""
    samples = {"int": 3, "float": 1.5, "bool": True}
    names = dict(zip("ab", (samples[k] for k in kinds)))
    try:
        eval(expression, {"abs": abs, "np": np}, names)  # noqa: S307 - fixed test text
    except TypeError:
        return True
    return False


def _power_changes_type(a, b):
    """Python's ** gives a float for int ** negative int and a complex for a negative
    base to a fractional power: types the static int or float cannot hold."""
    try:
        result = a ** b
    except ZeroDivisionError:
        return False
    return isinstance(result, complex) or (type(result) is float and isinstance(a, int) and isinstance(b, int))


POWER_EXPONENTS = ["2", "3", "0", "-1", "0.5", "2.0", "-1.0", "True", "b"]


@pytest.mark.parametrize("exponent", POWER_EXPONENTS)
@pytest.mark.parametrize("dtype", [*DTYPES, np.uint8, np.float16], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("spelling, op", [("np.power(a, {})", "np::power"), ("a ** {}", "np::power_operator")],
                         ids=["np.power", "operator"])
def test_power_spellings_follow_numpy(spelling, op, dtype, exponent):
    """np.power is the ufunc; ``a ** b`` is ndarray.__pow__, which NumPy computes as
    np.square for the Python int 2 (a bool array ** 2 is int8, np.power of it int64),
    and as np.reciprocal and np.sqrt for -1 and 0.5 on float arrays (float16 ** 0.5
    of -0.0 is -0.0, np.power's 0.0)."""
    source = f"def f(a, b):\n    return {spelling.format(exponent)}\n"
    exponent_array = array(np.int32, (3, 4), 7)
    layouts = [*unary_layouts(dtype), ("0-d array", np.asarray(array(dtype, ())))]

    def check(a):
        b = exponent_array if a.shape == (3, 4) else np.int32(2)
        if op == "np::power_operator" and exponent == "2" and a.dtype == np.bool_ and a.ndim == 0:
            _assert_matches_with_unknown_dtype(source, a, b)
        else:
            assert_op_matches_eager(op, source, a, b)

    _each(layouts, check)


def test_bool_array_to_the_power_two_by_spelling():
    """The reproducer's two spellings side by side, with their NumPy dtypes."""
    function, eager = scripted("def f(x):\n    return np.power(x > 1, 2), (x > 1) ** 2, np.power(x > 1, 3)\n")
    x = np.array([1, 2, 3], np.uint8)
    assert_same(function(x), eager(x))
    assert [r.dtype for r in function(x)] == [np.power(x > 1, 2).dtype, ((x > 1) ** 2).dtype, np.power(x > 1, 3).dtype]


SCALAR_PAIRS = [("1.0", "2.0"), ("1", "2"), ("True", "False"), ("3", "2.5"), ("True", "2"), ("2.5", "False"),
                ("a", "b"), ("a", "2.0"), ("True", "b")]


@pytest.mark.parametrize("pair", SCALAR_PAIRS, ids="-".join)
@pytest.mark.parametrize("name", BINARY_FUNCTIONS)
def test_numpy_ufunc_of_python_scalars_is_a_numpy_scalar(name, pair):
    """NEP 50: a ufunc of Python scalars returns a NumPy scalar of NumPy's result dtype
    (np.equal(1.0, 2.0) is np.False_, np.add(1, 2) np.int64), literals or parameters."""
    source = f"def f(a: int, b: float):\n    return np.{name}({pair[0]}, {pair[1]})\n"
    for a, b in ((3, -0.5), (0, 2.0)):
        result = assert_op_matches_eager(f"np::{name}", source, a, b)
        assert isinstance(result, (np.generic, Exception)), f"np.{name}{pair}: {result!r}"


@pytest.mark.parametrize("call, kind", [("np.equal(s, t)", "str"), ("np.not_equal(l, l)", "List[int]"),
                                        ("np.equal(None, 1)", "None"), ("np.add(s, t)", "str"),
                                        ("np.less(s, 'b')", "str"), ("np.multiply(s, 2)", "str")])
def test_numpy_ufunc_of_other_python_values_is_refused(call, kind):
    """NumPy makes arrays of them (np.equal of two lists is elementwise), script does
    not: a compile error, never Python's == (or +) in np.equal's place."""
    source = f"from typing import List\ndef f(s: str, t: str, l: List[int]):\n    return {call}\n"
    with pytest.raises(jit.CompilationError, match=f"takes arrays and numbers in script code.*'{re.escape(kind)}'"):
        scripted(source)
    function, eager = scripted("from typing import List\ndef f(s: str, l: List[int]):\n    return s == 'b', l == l\n")
    assert_same(function("a", [1]), eager("a", [1]))


def test_int_power_with_negative_exponent_raises():
    """int ** int is typed int (2 ** 3 is 8, as in Python); Python's float for a
    negative exponent has no static type, so it raises instead of changing type."""
    function, _ = scripted("def f(a: int, b: int):\n    return a ** b\n")
    assert function(2, 3) == 8 and type(function(2, 3)) is int
    with pytest.raises(ValueError, match="an int raised to a negative int is a float"):
        function(3, -2)
    real, _ = scripted("def f(a: float, b: float):\n    return a ** b\n")
    assert real(2.0, -1.0) == 0.5
    with pytest.raises(ValueError, match="complex"):
        real(-8.0, 1 / 3)


@pytest.mark.parametrize("expression, op", [("-a", "np::negative"), ("+a", "np::positive"), ("~a", "np::invert"),
                                            ("abs(a)", "np::absolute"), ("np.abs(a)", "np::absolute")])
@pytest.mark.parametrize("kind", ["int", "float", "bool"])
def test_unary_operator_on_python_scalars(expression, op, kind):
    source = f"def f(a: {kind}):\n    return {expression}\n"
    if _python_rejects(expression, (kind,)):
        with pytest.raises(jit.CompilationError, match="bad operand"):
            scripted(source)
        return
    _each([(str(v), v) for v in (python_value(kind, 0), python_value(kind, 1))], lambda a: assert_op_matches_eager(op, source, a))


@pytest.mark.parametrize("expression", ["abs(a)", "-a", "+a", "~a"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_unary_operator_on_arrays(expression, dtype):
    op = {"abs(a)": "np::absolute", "-a": "np::negative", "+a": "np::positive", "~a": "np::invert"}[expression]
    source = f"def f(a):\n    return {expression}\n"
    _each(unary_layouts(dtype), lambda a: assert_op_matches_eager(op, source, a))


@pytest.mark.parametrize("kinds", [("float",), ("int",), ("int", "float"), ("bool", "int")], ids="-".join)
def test_numpy_function_on_python_scalars_gives_numpy_scalar(kinds):
    """np.exp(1.0) is np.float64, not a float: NumPy converts the scalar to an array."""
    params = ", ".join(f"{'ab'[i]}: {k}" for i, k in enumerate(kinds))
    call = "np.exp(a)" if len(kinds) == 1 else "np.add(a, b)"
    source = f"def f({params}):\n    return {call}\n"
    values = [python_value(k, 1) for k in kinds]
    result = assert_op_matches_eager("prim::NumToTensor", source, *values)
    assert isinstance(result, np.generic)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_where(dtype):
    source = "def f(c, a, b):\n    return np.where(c, a, b)\n"
    cases = [("same", array(np.bool_, (3, 4), 5), array(dtype, (3, 4), 1), array(np.float32, (3, 4), 2)),
             ("broadcast", array(np.bool_, (3, 1), 5), array(dtype, (4,), 1), array(dtype, (), 2)),
             ("0-size", np.bool_(True), array(dtype, (0, 3), 1), array(np.int32, (3,), 2)),
             ("views", array(np.bool_, (4, 3), 5).T, array(dtype, (3, 8), 1)[:, ::2], array(dtype, (4,), 2))]
    _each(cases, lambda c, a, b: assert_op_matches_eager("np::where", source, c, a, b))
    scalar_source = "def f(a, y: float):\n    return np.where(a > 0, a, y)\n"
    _each(unary_layouts(dtype), lambda a: assert_op_matches_eager("np::where", scalar_source, a, 0.5))


@pytest.mark.parametrize("expression", ["np.clip(a, -1, 2)", "np.clip(a, None, 2.5)", "a.clip(-1, None)",
                                        "a.clip(min=0)", "np.clip(a, lo, hi)"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_clip(expression, dtype):
    source = f"def f(a, lo, hi):\n    return {expression}\n"
    low, high = array(dtype, (4,), 8), array(dtype, (4,), 9)
    _each(unary_layouts(dtype), lambda a: assert_op_matches_eager("np::clip", source, a, low[: a.shape[-1]] if a.ndim else low[0],
                                                high[: a.shape[-1]] if a.ndim else high[0]))


@pytest.mark.parametrize("target", ["np.float32", "np.float64", "np.int32", "np.int64", "np.bool_", "float", "int",
                                    "bool", "'float32'", "b.dtype"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_astype(target, dtype):
    source = f"def f(a, b):\n    return a.astype({target})\n"
    other = np.zeros(2, np.int32)
    _each(unary_layouts(dtype), lambda a: assert_op_matches_eager("np::astype", source, a, other))


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_nan_and_infinity_propagate_as_in_numpy(dtype):
    values = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0], dtype)
    for source, op in [("def f(a):\n    return np.maximum(a, 0.5) * np.sign(a)\n", "np::maximum"),
                       ("def f(a):\n    return np.minimum(a, a[::-1]) / a\n", "np::minimum")]:
        assert_op_matches_eager(op, source, values)


@pytest.mark.parametrize("expression", ["np.round(a)", "np.round(a, 2)", "np.around(a, -1)", "a.round(1)",
                                        "a.round(decimals=-2)", "np.round(a, 12)", "np.round(b, 1)"])
@pytest.mark.parametrize("dtype", [*DTYPES, np.float16, np.int8], ids=lambda d: np.dtype(d).name)
def test_round(expression, dtype):
    """NumPy's round: rint, or scaled by 10**decimals around it; integers keep their dtype (negative
    decimals round them through float64), booleans round only with 0 decimals (float16)."""
    source = f"def f(a, b: float):\n    return {expression}\n"
    _each(unary_layouts(dtype), lambda a: assert_op_matches_eager("np::round", source, a, 2.345))


def test_round_with_decimals_known_only_at_run_time():
    """np.round(x, n) with n an int parameter: every n (negative too) as eager, on floats and ints."""
    function, eager = scripted("def f(a, n: int):\n    return np.round(a * 2, n) + 1\n")
    for dtype in (np.float64, np.float32, np.int32):
        a = array(dtype, (3, 4), 5)
        for n in (2, 2, 2, -1, 0, 3):  # the profiled and specialized runs, then other n
            with np.errstate(all="ignore"):
                assert_same(function(a, n), eager(a, n))
