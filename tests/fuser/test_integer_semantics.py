"""NumPy 2's integer semantics in fused kernels and in the unfused path, against
eager NumPy: Python ints the dtype cannot hold (NEP 50: compared exactly,
dropped by np.clip, OverflowError where NumPy raises), the same through an
``n: int`` parameter whatever a later call passes, wrap-around of every signed
width (no overflow the compiler may assume away), Python ints above 2**63 - 1
with uint64 arrays, and fills np.full cannot hold. Each case runs under STATIC
and DYNAMIC specializations; where a kernel should compute the answer the test
checks it ran, and where NumPy must (it raises, or answers what no kernel
reproduces) that the unfused path or the launcher's fallback did."""
from __future__ import annotations

import numpy as np
import pytest

import jit
from jit import ops

from ..helpers import assert_same, script_source

SIGNED = ["int8", "int16", "int32", "int64"]
UNSIGNED = ["uint8", "uint16", "uint32", "uint64"]
INTEGERS = SIGNED + UNSIGNED
COMPARISONS = ["<", "<=", ">", ">=", "==", "!="]


@pytest.fixture(params=["STATIC", "DYNAMIC"])
def strategy(request):
    previous = jit.set_fusion_strategy([(request.param, 20)])
    yield request.param
    jit.set_fusion_strategy(previous)


def edges(dtype) -> np.ndarray:
    """min, -1, 0, 1, max (those the dtype has)."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return np.array([False, True, True, False])
    limits = np.iinfo(dtype)
    return np.array(sorted({limits.min, max(limits.min, -1), 0, 1, limits.max}), dtype)


def beyond(dtype) -> list:
    """Python ints just outside the dtype's range, and far outside it."""
    limits = np.iinfo(dtype)
    return [limits.min - 1, limits.max + 1, -2**64, 2**64]


def outcome(function, args):
    """('value', result) or ('raises', exception type, message)."""
    try:
        with np.errstate(all="ignore"):
            return ("value", function(*args))
    except Exception as error:  # noqa: BLE001 - the error is the outcome compared
        return ("raises", type(error), str(error))


def assert_same_outcome(actual, expected, where):
    assert actual[0] == expected[0], f"{where}: script gave {actual}, eager {expected}"
    if expected[0] == "value":
        assert_same(actual[1], expected[1], where)
    else:
        assert actual[1:] == expected[1:], f"{where}: script raised {actual[1:]}, eager {expected[1:]}"


def kernels_of(graph) -> list:
    return [node["kernel"] for node in graph.all_nodes() if node.kind == "prim::FusionGroup"]


class FallbackCounter:
    """Counts the calls in which a kernel's launcher handed the work to NumPy."""

    def __init__(self, kernels):
        self.count = 0
        for kernel in kernels:
            kernel.fallback = self.wrap(kernel.fallback)

    def wrap(self, fallback):
        def counted(*args):
            self.count += 1
            return fallback(*args)
        return counted


def run_checked(source, *calls, fused=None):
    """Script ``source``; the first arguments profile it and build the specialization
    (twice, compared with eager each time); then every call in ``calls`` is compared
    with eager. ``fused``: the specialization must hold a kernel (None: when eager
    does not raise). Returns (graph, the fallback counter, the scripted function)."""
    scripted, eager = script_source(source)
    first = calls[0]
    expected = outcome(eager, first)
    for _ in range(2):
        assert_same_outcome(outcome(scripted, first), expected, f"{source} on {first}")
    graph = jit.last_executed_optimized_graph()
    kernels = kernels_of(graph)
    if fused or (fused is None and expected[0] == "value"):
        assert kernels, f"nothing fused:\n{graph}"
    counter = FallbackCounter(kernels)
    for args in calls:
        assert_same_outcome(outcome(scripted, args), outcome(eager, args), f"{source} on {args}")
    return graph, counter, scripted


# -- 1. Python int constants beyond the dtype ----------------------------------------------

def _limits_and_beyond(dtype):
    if dtype == "bool":
        return [-1, 2, 2**63, -2**63 - 1, 2**64]  # a bool array meets a Python int as int64
    limits = np.iinfo(dtype)
    return [limits.min - 1, limits.min, limits.max, limits.max + 1, -1, 2**64]


def _just_beyond(dtype):
    return [-2**63 - 1, 2**64] if dtype == "bool" else [int(np.iinfo(dtype).min) - 1, int(np.iinfo(dtype).max) + 1]


COMPARISON_CASES = [(d, c) for d in [*INTEGERS, "bool"] for c in _limits_and_beyond(d)]


@pytest.mark.parametrize("dtype,constant", COMPARISON_CASES, ids=[f"{d}-{c}" for d, c in COMPARISON_CASES])
def test_comparisons_with_any_python_int_are_exact_in_the_kernel(dtype, constant, strategy):
    """A comparison NumPy makes exactly (NEP 50) is exact in the kernel, on both sides."""
    terms = [f"(x {op} {constant})" for op in COMPARISONS] + [f"({constant} {op} x)" for op in COMPARISONS]
    source = (f"def f(x):\n    y = x > 0\n    return ({' ^ y, '.join(terms)} ^ y,)\n")
    x = edges(dtype)
    _, counter, _ = run_checked(source, (x,), (x[::-1].copy(),))
    assert counter.count == 0, "the kernel computed every call itself"


def test_the_reported_comparison_and_clip_and_where(strategy):
    """The three patterns of the report, on the values it gives."""
    x64 = np.array([0, 5, 2**64 - 1], np.uint64)
    run_checked("def f(x):\n    return (x >= -2) | (x < 0)\n", (x64,))
    x8 = np.array([0, 5, 255], np.uint8)
    run_checked("def f(x):\n    return np.clip(x, -1, 300) + 0\n", (x8,))
    run_checked("def f(x, y):\n    return np.where(x > 2147483648, y, x)\n", (x8, x8[::-1].copy()))


ARITHMETIC = ["(x + {c}) * 2", "(x - {c}) + x", "({c} * x) - x", "(x & {c}) | x", "(x | {c}) + x",
              "(x ^ {c}) + x", "(x // {c}) + x", "(x % {c}) + x", "np.maximum(x, {c}) + x",
              "np.minimum({c}, x) + x", "np.fmod(x, {c}) + x", "(x << {c}) + x", "(x >> {c}) + x"]
ARITHMETIC_CASES = [(d, e) for d in INTEGERS for e in ARITHMETIC]


@pytest.mark.parametrize("dtype,expression", ARITHMETIC_CASES, ids=[f"{d}-{e}" for d, e in ARITHMETIC_CASES])
def test_arithmetic_with_a_python_int_beyond_the_dtype_raises_as_numpy_does(dtype, expression):
    """NumPy raises OverflowError; the node stays unfused, with NumPy's message as the
    reason, and the call raises that error. The limits themselves fuse."""
    x = edges(dtype)
    limits = np.iinfo(dtype)
    for constant in (limits.min - 1, limits.max + 1):
        source = f"def f(x):\n    return {expression.format(c=constant)}\n"
        scripted, eager = script_source(source)
        for _ in range(2):
            assert_same_outcome(outcome(scripted, (x,)), outcome(eager, (x,)), source)
        assert outcome(eager, (x,))[1] is OverflowError
        explanation = str(jit.explain(scripted, x))
        assert f"NumPy raises OverflowError for the Python int {constant}" in explanation, explanation
    for constant in (limits.min or 2, limits.max):  # (x + 0 and 1 * x are simplified to x: nothing to fuse)
        if ">>" in expression or "<<" in expression:
            constant = limits.max if dtype.startswith("u") else 3
        source = f"def f(x):\n    return {expression.format(c=constant)}\n"
        run_checked(source, (x,))


CLIP_CASES = [(d, lo, hi) for d in [*INTEGERS, "bool"]
              for lo, hi in [("min - 1", "max + 1"), ("min - 1", "None"), ("None", "max + 1"), ("min", "max"),
                             ("min - 1", "1"), ("1", "max + 1"), ("max + 1", "min - 1"), ("1", "min - 1"),
                             ("max + 1", "1"), ("-1", "300"), ("-2**64", "2**64")]]


@pytest.mark.parametrize("dtype,low,high", CLIP_CASES, ids=[f"{d}-[{lo}, {hi}]" for d, lo, hi in CLIP_CASES])
def test_clip_treats_python_int_bounds_as_numpy_does(dtype, low, high, strategy):
    """NumPy drops a bound at or beyond the dtype's own limit and raises for one beyond
    the other limit; the kernel drops it too, and a raising clip stays unfused."""
    limits = np.iinfo(dtype) if dtype != "bool" else np.iinfo(np.int64)
    values = {"min": limits.min, "max": limits.max}
    low, high = (str(eval(bound, {}, values)) for bound in (low, high))  # noqa: S307 - the test's own text
    source = f"def f(x):\n    return np.clip(x, {low}, {high}) + 0\n"
    x = edges(dtype)
    _, counter, _ = run_checked(source, (x,), (x[::-1].copy(),))
    assert counter.count == 0


def define_eager(source):
    return script_source(source)[1]


WHERE_CASES = [(d, c) for d in INTEGERS for c in _limits_and_beyond(d)]


@pytest.mark.parametrize("dtype,constant", WHERE_CASES, ids=[f"{d}-{c}" for d, c in WHERE_CASES])
def test_where_with_a_python_int_beyond_the_dtype_gives_numpys_answer(dtype, constant, strategy):
    """np.where casts such an int (wrapping it, or raising); the node is left to NumPy,
    while an int the dtype holds fuses."""
    source = f"def f(x):\n    return np.where(x > 0, x, {constant}) + x\n"
    x = edges(dtype)
    run_checked(source, (x,), fused=np.iinfo(dtype).min <= constant <= np.iinfo(dtype).max)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_python_int_no_float_holds_raises_as_numpy_does(dtype, strategy):
    x = np.array([0.0, 1.5, -2.0], dtype)
    for source in ("def f(x):\n    return (x + 2**1100) * 2\n", "def f(x):\n    return (x < 2**1100) | (x > 0)\n"):
        scripted, eager = script_source(source)
        for _ in range(3):
            assert_same_outcome(outcome(scripted, (x,)), outcome(eager, (x,)), source)
    run_checked("def f(x):\n    return (x + 2**70) * 2, (x < 2**70) | (x > 0)\n", (x,))


# -- 2. the same through an int parameter, whatever a later call passes ----------------------

PARAMETER_EXPRESSIONS = ["(x + n) * 2", "(x <= n) * 1", "(n < x) | (x == n)", "np.clip(x, n, x) + 0",
                         "np.where(x > 0, x, n) + x", "np.maximum(x, n) - x", "(x & n) + 1"]
PARAMETER_CASES = [(d, e) for d in [*INTEGERS, "bool"] for e in PARAMETER_EXPRESSIONS
                   if d != "bool" or "&" not in e]


@pytest.mark.parametrize("dtype,expression", PARAMETER_CASES, ids=[f"{d}-{e}" for d, e in PARAMETER_CASES])
def test_an_int_parameter_gets_numpys_answer_for_every_value(dtype, expression, strategy):
    """Built with n = 1, then called with the limits (computed by the kernel) and with
    values beyond them (the launcher hands them to NumPy: its answer or its error)."""
    source = f"def f(x, n: int):\n    return {expression}\n"
    x = edges(dtype)
    if dtype == "bool":  # a bool array meets an int as int64
        inside, outside = [1, 0, -1, 2**63 - 1, -2**63], [2**63, -2**63 - 1, 2**64]
    else:
        limits = np.iinfo(dtype)
        inside, outside = [int(limits.min), int(limits.max), 0], beyond(dtype)
        (inside if dtype == "uint64" else outside).append(2**63)
    _, counter, scripted = run_checked(source, (x, 1), *[(x, n) for n in inside])
    assert counter.count == 0, "values the kernel's dtypes hold run in the kernel"
    eager = define_eager(source)
    for n in outside:
        before = counter.count
        assert_same_outcome(outcome(scripted, (x, n)), outcome(eager, (x, n)), f"{source} on n = {n}")
        assert counter.count == before + 1, f"n = {n} is beyond what the kernel holds: NumPy answers it"


def test_the_reported_parameter_cases(strategy):
    x8 = np.array([0, 5, 255, 1], np.uint8)
    _, counter, _ = run_checked("def f(x, n: int):\n    return (x + n) * 2\n", (x8, 1), (x8, 3), (x8, -1))
    assert counter.count == 1
    x32 = np.array([0, 7], np.uint32)
    _, counter, _ = run_checked("def f(x, n: int):\n    return (x <= n) * 1\n", (x32, 1), (x32, -1))
    assert counter.count == 1


def test_an_int_parameter_converts_to_float32_as_numpy_does(strategy):
    """NumPy rounds a Python int to a double, then to float32 (rounding twice)."""
    x = np.zeros(3, np.float32)
    n = 2**60 + 2**36 + 1  # rounds differently straight to float32
    _, counter, _ = run_checked("def f(x, n: int):\n    return (x + n) * 1\n", (x, 1), (x, n), (x, -n))
    assert counter.count == 0


# -- 4. wrap-around of every signed width ------------------------------------------------------

WRAP_EXPRESSIONS = ["(x + 1) > x", "(x - 1) < x", "np.sign(x * x) + 0", "(x * x) < 0", "(-x) < 0",
                    "np.absolute(x) >= 0", "(x * 2) // 2 == x", "(x // -1) + 0", "(x % -1) + x",
                    "np.fmod(x, -1) + x", "((x << 1) >> 1) == x", "np.square(x) >= 0", "x * x * x + 1",
                    "(x + x) - x == x", "(x + (x - x)) * 3 > x", "np.negative(x) + 0"]


def wrap_expressions(dtype) -> list:
    """WRAP_EXPRESSIONS but those dividing by -1 for an unsigned dtype (NumPy raises
    OverflowError for them, which would make the whole call raise)."""
    return [e for e in WRAP_EXPRESSIONS if not (dtype.startswith("u") and "-1" in e)]


def _overflowing(dtype) -> np.ndarray:
    """Edge values plus ones whose square and double overflow."""
    dtype = np.dtype(dtype)
    limits = np.iinfo(dtype)
    root = int(np.sqrt(float(limits.max))) + 1
    values = {limits.min, limits.min + 1, max(limits.min, -1), 0, 1, 2, limits.max - 1, limits.max,
              root, limits.max // 2 + 1}
    if dtype.kind == "i":
        values |= {-root, limits.min // 2 - 1}
    return np.array(sorted(values), dtype)


@pytest.mark.parametrize("dtype", INTEGERS)
def test_integer_arithmetic_wraps_at_every_width(dtype, strategy):
    """Each expression compared with x == x, so that each is its own group's output."""
    source = f"def f(x):\n    return ({', '.join(f'({e}) == (x == x)' for e in wrap_expressions(dtype))},)\n"
    x = _overflowing(dtype)
    _, counter, _ = run_checked(source, (x,), (x[::-1].copy(),), fused=True)
    assert counter.count == 0


def test_a_mask_from_an_overflowing_product_selects_as_numpy_does(strategy):
    x = np.array([3037000500, 3, -3037000500, 2**32], np.int64)  # x * x wraps negative for the first and third
    run_checked("def f(x):\n    m = (x * x) < 0\n    return x[m]\n", (x,))


# -- 5. Python ints above 2**63 - 1 with uint64 arrays -----------------------------------------

def test_python_ints_above_int64_with_uint64_arrays(strategy):
    x = np.array([0, 5, 2**63, 2**64 - 1], np.uint64)
    for source in ("def f(x):\n    return (x + 2**63) * 1\n", "def f(x):\n    return (x > 2**64 - 1) | (x < 1)\n",
                   "def f(x):\n    return np.where(x < 2**63, x, 2**64 - 1) + 0\n",
                   "def f(x):\n    return np.clip(x, 2**63, 2**64 - 1) + 0\n"):
        run_checked(source, (x,))
    source = "def f(x, n: int):\n    return (x + n) * 1, (x >= n) | (x == 0)\n"
    _, counter, _ = run_checked(source, (x, 1), (x, 2**63), (x, 2**64 - 1), (x, 0))
    assert counter.count == 0, "a uint64-only int parameter is passed as uint64"
    _, counter, _ = run_checked(source, (x, 1), (x, -1), (x, 2**64))
    assert counter.count == 2


# -- 3. fills, and the unfused path of every elementwise op ------------------------------------

FILL_SOURCES = ["def f(x):\n    return np.full_like(x, {c})\n",
                "def f(x):\n    return np.full_like(x, {c}, dtype=np.{d})\n",
                "def f(x):\n    return np.full(x.shape, {c}, dtype=np.{d})\n",
                "def f(x):\n    return np.full((2, 3), {c})\n"]


@pytest.mark.parametrize("dtype", [*INTEGERS, "bool"])
def test_full_with_a_fill_the_dtype_cannot_hold_raises_as_numpy_does(dtype):
    x = edges(dtype)
    fills = [*_just_beyond(dtype), 2.5]
    for template in FILL_SOURCES:
        for fill in fills:
            source = template.format(c=fill, d=dtype if dtype != "bool" else "bool_")
            scripted, eager = script_source(source)
            for _ in range(3):
                assert_same_outcome(outcome(scripted, (x,)), outcome(eager, (x,)), source)
        parameter = "def f(x, n: int):\n" + template.format(c="n", d=dtype if dtype != "bool" else "bool_") \
            .split("\n", 1)[1]
        scripted, eager = script_source(parameter)
        for fill in [1] + _limits_and_beyond(dtype):
            assert_same_outcome(outcome(scripted, (x, fill)), outcome(eager, (x, fill)), f"{parameter} n={fill}")


def _binary_numpy_functions() -> list:
    """``np.<name>`` of every two-argument elementwise op in the registry."""
    found = []
    for op in ops.all_ops():
        if op.fusible and op.namespace == "np" and sum(not a.static for a in op.args) == 2 \
                and hasattr(np, op.short_name):
            found.append(op.short_name)
    return sorted(found)


UNFUSED_EXPRESSIONS = [*(f"np.{name}(x, {{c}})" for name in _binary_numpy_functions()),
                       *(f"np.{name}({{c}}, x)" for name in _binary_numpy_functions()),
                       "x + {c}", "{c} - x", "x < {c}", "{c} == x", "x ** {c}",
                       "np.clip(x, {c}, None)", "np.clip(x, None, {c})", "np.clip(x, -{c}, {c})",
                       "np.where(x > 0, x, {c})", "np.where(x > 0, {c}, x)"]
# Beyond the range of some dtype each: unsigned, 8, 16, 32 and 64 bits, any.
OUT_OF_RANGE = [-1, 300, 70000, 2**32, 2**63, -2**63 - 1, 2**64]


@pytest.mark.parametrize("expression", UNFUSED_EXPRESSIONS)
def test_the_unfused_path_gives_numpys_answer_for_python_ints_beyond_the_dtype(expression):
    """With fusion off, each op on every integer dtype and bool, with the int written
    in the source and passed as an int parameter: the executor's code is NumPy's."""
    arrays = [edges(dtype) for dtype in [*INTEGERS, "bool"]]
    with jit.fuser("none"):
        for constant in OUT_OF_RANGE:
            source = f"def f(x):\n    return {expression.format(c=constant)}\n"
            scripted, eager = script_source(source)
            for x in arrays:
                assert_same_outcome(outcome(scripted, (x,)), outcome(eager, (x,)), f"{source} on {x.dtype}")
        source = f"def f(x, n: int):\n    return {expression.format(c='n')}\n"
        scripted, eager = script_source(source)
        for x in arrays:
            for n in [1, 0, *OUT_OF_RANGE]:
                assert_same_outcome(outcome(scripted, (x, n)), outcome(eager, (x, n)), f"{source} on {x.dtype}, {n}")
