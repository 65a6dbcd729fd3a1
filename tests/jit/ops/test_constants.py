"""NumPy's constants and machine limits (jit.ops.constants) against eager NumPy."""
from __future__ import annotations

import numpy as np
import pytest

from ...helpers import run_both
from .samples import array, assert_op_matches_eager, scripted

CONSTANTS = ["np.pi * a + np.e", "a - np.euler_gamma", "a[np.newaxis]", "np.maximum(a, -np.inf)",
             "np.where(a > 0, a, np.nan)"]


@pytest.mark.parametrize("expression", CONSTANTS)
def test_numpy_constants(expression):
    """np.pi, np.e, np.euler_gamma, np.inf, np.nan, np.newaxis are constants of script code."""
    function, eager = scripted(f"def f(a):\n    return {expression}\n")
    run_both(function, eager, array(np.float32, (2, 3)))


LIMITS = [("np::finfo", "a + np.finfo(a.dtype).eps"), ("np::finfo", "np.finfo(np.float32).max"),
          ("np::finfo", "np.finfo(a.dtype).bits + np.finfo(np.float64).precision"),
          ("np::finfo", "np.maximum(a, np.finfo(a.dtype).tiny) * np.finfo(np.float16).resolution"),
          ("np::finfo", "np.finfo(a.dtype).smallest_normal + np.finfo(a.dtype).min"),
          ("np::iinfo", "np.iinfo(np.int8).max + np.iinfo(np.uint16).min"), ("np::iinfo", "np.iinfo(a.dtype).bits")]
COVERS = {op for op, _ in LIMITS}


@pytest.mark.parametrize("op, expression", LIMITS, ids=[e for _, e in LIMITS])
def test_machine_limits(op, expression):
    """Float fields are NumPy scalars of the dtype (a float16 array plus eps stays float16);
    an integer dtype's finfo (or a float's iinfo) raises NumPy's ValueError."""
    for dtype in (np.float16, np.float32, np.float64, np.int32):
        assert_op_matches_eager(op, f"def f(a):\n    return {expression}\n", array(dtype, (2, 3)))
