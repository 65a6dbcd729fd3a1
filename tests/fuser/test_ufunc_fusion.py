"""The fused forms of jit.ops.ufuncs on the CPU renderer against eager NumPy at their
edges: gcd and lcm at the integer limits (negatives, the minimum int, lcm overflow),
nextafter, spacing and ldexp at the special floats and far exponents."""
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
