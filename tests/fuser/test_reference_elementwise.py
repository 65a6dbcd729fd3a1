"""The elementwise NumPy functions that are not ufuncs (``isclose``, ``nan_to_num``,
``angle``, ``real``, ``imag``, ``isposinf``, ``isneginf``, ``fix``) fuse with their keyword arguments and dtype mixes, and
match eager NumPy on NaN, infinities and signed zeros; the forms NumPy computes
outside its loops stay unfused with the reason. Every fusible op's plain call at each
dtype is in test_differential (CPU) and tests/kernels/test_cuda (CUDA C)."""
from __future__ import annotations

import numpy as np
import pytest

import jit

from ..helpers import script_source
from .test_differential import _fused_call, _values

CALLS = [
    "np.isclose(x, y)", "np.isclose(x, y, equal_nan=True)", "np.isclose(x, y, rtol=0.0, atol=1)",
    "np.isclose(x, x + 1e-6, 1e-3)", "np.isclose(y, x, atol=0.5, rtol=0.25, equal_nan=True)",
    "np.nan_to_num(x)", "np.nan_to_num(x, nan=-1.0, posinf=9.0)", "np.nan_to_num(x, neginf=-2, nan=3)",
    "np.angle(x)", "np.angle(x, deg=True)", "np.angle(x, True)", "np.real(x) + x.imag", "x.real * np.imag(y)",
    "np.isposinf(x) | np.isneginf(y)", "np.fix(x * 1.7) - np.fix(y)",
]
PAIRS = [("float32", "float32"), ("float64", "float32"), ("int32", "float32"), ("float32", "int32"),
         ("bool", "float64"), ("uint8", "uint8"), ("int32", "bool")]


@pytest.mark.parametrize("pair", PAIRS, ids="-".join)
@pytest.mark.parametrize("call", CALLS)
def test_fuses_and_matches_eager(call, pair):
    """In a group with a where and a negation: NaN, infinities and signed zeros included."""
    scripted, eager = script_source(f"def f(c, x, y):\n    return np.where(c, {call}, np.logical_not({call}))\n")
    x, y = _values(pair[0], 1), _values(pair[1], 2)
    y.flat[5:8] = x.flat[5:8]  # some equal elements, for isclose
    args = (_values("bool", 0), x, y)
    with np.errstate(all="ignore"):
        expected = eager(*args)
    if expected.dtype == np.float16:  # angle of small ints: NumPy's float16 loop, CUDA only (tests/kernels)
        return
    _fused_call(scripted, eager, *args)


@pytest.mark.parametrize("call, reason", [
    ("np.isclose(x, 0.5)", "computes its tolerance in Python floats"),
    ("np.isclose(x, y, atol=float('inf'))", "warns about a tolerance that is not finite"),
    ("np.isclose(x, y, rtol=r)", "its rtol is not a constant"),
    ("np.nan_to_num(x, nan=r)", "its nan is not a constant"),
])
def test_forms_numpy_computes_otherwise_stay_unfused_with_the_reason(call, reason):
    scripted, eager = script_source(f"def f(x, y, r: float):\n    return np.logical_not({call})\n")
    args = (_values("float32", 1), _values("float32", 2), 0.25)
    with np.errstate(all="ignore"):
        scripted(*args)
        result = scripted(*args)
        expected = eager(*args)
    np.testing.assert_array_equal(result, expected)
    assert reason in str(jit.explain(scripted, *args))
