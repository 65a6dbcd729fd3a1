"""Special functions NumPy lacks, for the eager implementations of ops.

``erf`` (exact GELU needs it): on NumPy arrays a Numba-compiled ufunc over the C
library's ``erf``/``erff``, built on first use and cached on disk by Numba; on
CuPy arrays ``cupyx.scipy.special.erf``. Integer and bool inputs give float64 and
float16 computes in float32, as NumPy's own float functions do.
"""
from __future__ import annotations

import math
import threading

import numpy as np

from device import numba_setup, python_builtins

from . import scalar_expr

_lock = threading.Lock()
_numpy_erf = None


def _erf_scalar(x):
    return math.erf(x)


def _compiled_numpy_erf():
    global _numpy_erf
    if _numpy_erf is None:
        with _lock:
            if _numpy_erf is None:
                with python_builtins.untouched():  # numba reads builtins as it loads and compiles: a trace's math.erf is not one
                    import numba  # noqa: PLC0415 - numba is slow to import; only erf needs it here

                    numba_setup.configure()  # the kernels compiled later get the same CPU features
                    _numpy_erf = numba.vectorize(
                        ["float32(float32)", "float64(float64)"], cache=True, nopython=True)(_erf_scalar)
    return _numpy_erf


def erf(xp, x):
    """The error function of ``x`` elementwise, on x's device."""
    if xp is not np:
        from cupyx.scipy import special as cupy_special  # noqa: PLC0415 - optional dependency

        return cupy_special.erf(x)
    x = np.asarray(x)
    if x.dtype == np.float16:
        return _compiled_numpy_erf()(x.astype(np.float32)).astype(np.float16)
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float64)
    result = _compiled_numpy_erf()(x)
    return result[()] if result.ndim == 0 else result


def _reference_erf(x):
    return erf(np, x)


scalar_expr.PRIMITIVES["erf"] = (1, _reference_erf)
