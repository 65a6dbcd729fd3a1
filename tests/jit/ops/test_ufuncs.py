"""jit.ops.ufuncs against eager NumPy: the float decomposition, integer and
multi-output ufuncs over dtypes and layouts (0-d, empty, strided, broadcast),
their edge values (gcd of negatives and of the minimum int, lcm overflow,
spacing of inf and NaN, bitwise_count of negatives), and float_power fused."""
from __future__ import annotations

import numpy as np
import pytest

import jit

from ...helpers import assert_same, script_source
from .samples import DTYPES, array, assert_op_matches_eager, binary_layouts, unary_layouts

UNARY = ["spacing", "bitwise_count", "frexp", "modf"]
BINARY = ["float_power", "ldexp", "nextafter", "gcd", "lcm", "divmod"]
COVERS = {f"np::{name}" for name in UNARY + BINARY}
INTEGERS = [np.int8, np.int32, np.int64, np.uint8, np.uint64]


def _each(cases, run):
    for name, *args in cases:
        try:
            run(*args)
        except AssertionError as error:
            raise AssertionError(f"[{name}] {error}") from None


@pytest.mark.parametrize("name", UNARY)
def test_unary(name):
    source = f"def f(a):\n    return np.{name}(a)\n"
    for dtype in DTYPES:
        _each(unary_layouts(dtype), lambda a: assert_op_matches_eager(f"np::{name}", source, a))


@pytest.mark.parametrize("name", BINARY)
def test_binary(name):
    source = f"def f(a, b):\n    return np.{name}(a, b)\n"
    pairs = [(np.float32, np.float32), (np.float64, np.int32), (np.float32, np.int64), (np.int64, np.int64),
             (np.int8, np.uint8), (np.bool_, np.bool_)]
    for left, right in pairs:
        _each(binary_layouts(left, right), lambda a, b: assert_op_matches_eager(f"np::{name}", source, a, b))


def _integer_extremes(dtype):
    info = np.iinfo(dtype)
    values = np.array([info.min, info.min + 1, -7, -1, 0, 1, 6, 12, info.max - 1, info.max], dtype=object)
    values = values[(values >= info.min) & (values <= info.max)].astype(dtype)
    a, b = np.meshgrid(values, values)
    return a, b


@pytest.mark.parametrize("dtype", INTEGERS, ids=lambda d: np.dtype(d).name)
def test_gcd_lcm_and_bitwise_count_at_the_integer_limits(dtype):
    a, b = _integer_extremes(dtype)
    for name in ("gcd", "lcm"):
        assert_op_matches_eager(f"np::{name}", f"def f(a, b):\n    return np.{name}(a, b)\n", a, b)
    assert_op_matches_eager("np::bitwise_count", "def f(a):\n    return np.bitwise_count(a)\n", a)


def test_float_edges():
    specials = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324,
                         np.finfo(np.float64).max, np.finfo(np.float64).tiny])
    for dtype in (np.float32, np.float64):
        with np.errstate(over="ignore"):  # float64's max is inf in float32
            x = specials.astype(dtype)
        a, b = np.meshgrid(x, x)
        assert_op_matches_eager("np::spacing", "def f(a):\n    return np.spacing(a)\n", x)
        assert_op_matches_eager("np::nextafter", "def f(a, b):\n    return np.nextafter(a, b)\n", a, b)
        assert_op_matches_eager("np::frexp", "def f(a):\n    return np.frexp(a)\n", x)
        assert_op_matches_eager("np::modf", "def f(a):\n    return np.modf(a)\n", x)
        assert_op_matches_eager("np::divmod", "def f(a, b):\n    return np.divmod(a, b)\n", a, b)
        exponents = np.array([-1100, -1075, -150, -1, 0, 1, 128, 1024, 5000], np.int32)
        assert_op_matches_eager("np::ldexp", "def f(a, b):\n    return np.ldexp(a, b)\n", x[:, None], exponents)
        assert_op_matches_eager("np::float_power", "def f(a, b):\n    return np.float_power(a, b)\n", a, b)


def test_multi_output_results_unpack_and_rebuild():
    source = ("def f(a, b):\n    q, r = np.divmod(a, b)\n    m, e = np.frexp(a)\n    frac, whole = np.modf(a)\n"
              "    return q * b + r, np.ldexp(m, e), frac + whole, e\n")
    function, eager = script_source(source)
    a, b = array(np.float64, (3, 4), 1), array(np.float64, (4,), 2, special=False)
    with np.errstate(all="ignore"):
        for _ in range(3):  # the profiled, specialized and fused runs
            assert_same(function(a, b), eager(a, b))
    assert function(a, b)[3].dtype == np.int32


def test_float_power_fuses_and_matches_eager():
    source = "def f(a, b):\n    return np.float_power(np.abs(a) + 1, b) * 2.0\n"
    function, eager = script_source(source)
    a, b = array(np.float32, (64, 16), 3), array(np.int32, (16,), 4)
    with np.errstate(all="ignore"):
        for _ in range(3):
            assert_same(function(a, b), eager(a, b))
    graph = jit.last_executed_optimized_graph()
    top = {node.kind for node in graph.block.nodes}
    assert "np::float_power" not in top and "prim::FusionGroup" in top, str(graph)


def test_a_trace_records_the_new_entries():
    def f(a):
        b = a.copy()
        np.put(b, [0], 5.0)
        q, r = np.divmod(b, 2.0)
        return q + r + np.linalg.slogdet(a).logabsdet + np.spacing(a) + np.ldexp(a, 2)

    traced = jit.trace(f, (np.eye(3) * 2.0,))
    kinds = {node.kind for node in traced.graph.all_nodes()}
    assert {"np::put", "np::divmod", "np::linalg.slogdet", "np::spacing", "np::ldexp"} <= kinds
    other = np.eye(3) * 3.0 + 0.1
    assert_same(traced(other), f(other))


def test_the_builtin_divmod_on_numbers_and_arrays():
    """Python's divmod: ints and floats as Python computes them (floor semantics, a signed
    zero remainder, ZeroDivisionError), arrays as np.divmod."""
    source = ("def f(a, b, n: int, m: int, x: float):\n    q, r = divmod(a, b)\n"
              "    return q, r, divmod(n, m), divmod(x, 0.75), divmod(n, x), np.divmod(n, m)\n")
    function, eager = script_source(source)
    a, b = array(np.float64, (3, 4), 1), array(np.int32, (4,), 2, special=False)
    with np.errstate(all="ignore"):
        for n, m, x in [(7, -2, -3.5), (-7, 3, 2.0), (-2**62, 5, -0.5)]:
            for _ in range(2):
                assert_same(function(a, b, n, m, x), eager(a, b, n, m, x))
    with pytest.raises(ZeroDivisionError):
        function(a, b, 1, 0, 1.0)
