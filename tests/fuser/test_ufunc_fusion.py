"""The fused forms of jit.ops.ufuncs on the CPU renderer against eager NumPy at their
edges: gcd and lcm at the integer limits (negatives, the minimum int, lcm overflow),
nextafter, spacing and ldexp at the special floats and far exponents; bitwise_count at the
integer limits; divmod, frexp and modf (several outputs) fused where unpacked or indexed."""
from __future__ import annotations

import numpy as np
import pytest

import jit

from ..helpers import assert_same, script_source

INTEGERS = ["int8", "int16", "int32", "int64", "uint8", "uint32", "uint64"]


def _fused_matches_eager(source, *args):
    function, eager = script_source(source)
    with np.errstate(all="ignore"):
        expected = eager(*args)
        for _ in range(3):  # profiled, then the specialized and fused runs
            assert_same(function(*args), expected)
    top = [node.kind for node in jit.last_executed_optimized_graph().block.nodes]
    assert "prim::FusionGroup" in top, top
    return top


@pytest.mark.parametrize("dtype", INTEGERS)
def test_gcd_and_lcm_at_the_integer_limits(dtype):
    info = np.iinfo(dtype)
    values = [v for v in (info.min, info.min + 1, -12, -7, -1, 0, 1, 6, 8, 2**15 + 3, 2**31 - 1, info.max - 1, info.max)
              if info.min <= v <= info.max]
    a, b = (v.astype(dtype) for v in np.meshgrid(np.array(values, object), np.array(values, object)))
    _fused_matches_eager("def f(a, b):\n    return np.gcd(a, b), np.lcm(a, b), np.lcm(a, 6) + np.gcd(b, a)\n", a, b)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_steps_and_ldexp(dtype):
    specials = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1.7e308, 3.0, -2.5])
    with np.errstate(over="ignore"):
        x = np.tile(specials.astype(dtype), (9, 1))
    exponents = np.array([-10**8, -1075, -150, -1, 0, 1, 128, 1024, 2**31 - 1], np.int32)[:, None]
    _fused_matches_eager("def f(x, y, e):\n    return np.nextafter(x, y) * 1.0, np.spacing(x) + 0.0, "
                         "np.ldexp(x, e) + 0.0, np.ldexp(x, 3) - x\n", x, x[:, ::-1].copy(), exponents)


@pytest.mark.parametrize("dtype", [*INTEGERS, "int16", "uint16", "bool"])
def test_bitwise_count_at_the_integer_limits(dtype):
    if dtype == "bool":
        x = np.array([[True, False, True]])
    else:
        info = np.iinfo(dtype)
        x = np.array([[v for v in (info.min, info.min + 1, -2, -1, 0, 1, 6, 2**15 - 1, info.max - 1, info.max)
                       if info.min <= v <= info.max]], object).astype(dtype)
    top = _fused_matches_eager("def f(x):\n    return np.bitwise_count(x), np.bitwise_count(x) + 1\n", x)
    assert "np::bitwise_count" not in top, top


def _float_edges(dtype):
    specials = np.array([0.0, -0.0, 1.0, -1.0, -2.0, 2.5, -2.5, 0.75, np.inf, -np.inf, np.nan, 5e-324, 1e-40,
                         -3e38, 1.7e308, 7.0, -7.0])
    with np.errstate(over="ignore"):
        return specials.astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "int64", "uint8"])
def test_divmod_fuses_with_numpys_floor_semantics(dtype):
    if np.dtype(dtype).kind == "f":
        a, b = np.meshgrid(_float_edges(dtype), _float_edges(dtype))
    else:
        info = np.iinfo(dtype)
        values = np.array([v for v in (info.min, -7, -1, 0, 1, 3, info.max) if info.min <= v <= info.max], object)
        a, b = (v.astype(dtype) for v in np.meshgrid(values, values))
    top = _fused_matches_eager("def f(a, b):\n    q, r = np.divmod(a, b)\n    return q + 0, r + 0, q * b + r\n", a, b)
    assert not {"np::divmod", "prim::TupleUnpack"} & set(top), top


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_frexp_and_modf_fuse_unpacked_and_indexed(dtype):
    x = np.tile(_float_edges("float64") if dtype == "int32" else _float_edges(dtype), (2, 1))
    if dtype == "int32":
        x = np.nan_to_num(x[:, :7] * 100, nan=0.0).astype(dtype)
    source = ("def f(x):\n    m, e = np.frexp(x)\n    parts = np.modf(x)\n"
              "    return m * 1, e + 0, parts[0] + 0.0, parts[1] * 1, np.ldexp(m, e)\n")
    top = _fused_matches_eager(source, x)
    assert not {"np::frexp", "np::modf", "prim::TupleUnpack", "prim::TupleIndex"} & set(top), top


def test_a_tuple_used_whole_stays_unfused_with_its_reason():
    source = "def f(a, b):\n    t = np.divmod(a * 2.0, b)\n    return t\n"
    a, b = np.linspace(-3, 3, 12).reshape(3, 4), np.array([1.5, -2.0, 0.5, 3.0])
    function, eager = script_source(source)
    for _ in range(3):
        assert_same(function(a, b), eager(a, b))
    assert "np::divmod" in str(jit.last_executed_optimized_graph())
    assert "its tuple is used whole" in str(jit.explain(function, a, b))
