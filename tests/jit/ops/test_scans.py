"""jit.ops.scans against eager NumPy: scans, differences, order statistics and
the nan* reductions over 0-d, empty and strided arrays (with NaN and infinities)."""
from __future__ import annotations

import numpy as np
import pytest

from .reference_cases import case_id, check_case

_AXES = ["", ", axis=0", ", axis=-1, keepdims=True", ", axis=(0, 1)"]
NAN_REDUCTIONS = [(f"np::{name}", f"np.{name}(a{axes})") for name in
                  ("nansum", "nanprod", "nanmean", "nanmax", "nanmin", "nanstd", "nanvar", "nanmedian", "ptp", "median",
                   "average", "count_nonzero") for axes in _AXES]
CASES = NAN_REDUCTIONS + [
    ("np::cumsum", "np.cumsum(a)"), ("np::cumsum", "np.cumsum(a, axis=1)"), ("np::cumsum", "a.cumsum(0, dtype=np.float32)"),
    ("np::cumprod", "np.cumprod(a, 0)"), ("np::cumprod", "a.cumprod()"),
    ("np::nancumsum", "np.nancumsum(a, axis=1)"), ("np::nancumprod", "np.nancumprod(a)"),
    ("np::cumulative_sum", "np.cumulative_sum(a, axis=0)"),
    ("np::cumulative_sum", "np.cumulative_sum(a, axis=-1, include_initial=True)"),
    ("np::cumulative_sum", "np.cumulative_sum(a)"), ("np::cumulative_prod", "np.cumulative_prod(a, axis=1)"),
    ("np::cumulative_prod", "np.cumulative_prod(a, axis=(0,))"),  # campaign seeds 70096, 90027
    ("np::cumulative_sum", "np.cumulative_sum(a, axis=(-1,), include_initial=True)"),
    ("np::diff", "np.diff(a)"), ("np::diff", "np.diff(a, 2, axis=0)"), ("np::diff", "np.diff(a, n=0)"),
    ("np::ediff1d", "np.ediff1d(a)"),
    ("np::average", "np.average(a, axis=0, weights=np.arange(a.shape[0]) + 1.0)"),
    ("np::average", "np.average(a, weights=np.ones_like(a, dtype=np.float32))"),
    ("np::nanargmax", "np.nanargmax(a, axis=0)"), ("np::nanargmin", "np.nanargmin(a, axis=-1, keepdims=True)"),
    ("np::nanargmax", "np.nanargmax(np.nan_to_num(a))"),
    ("np::nanstd", "np.nanstd(a, axis=0, ddof=1)"), ("np::nanvar", "np.nanvar(a, ddof=1, dtype=np.float32)"),
    ("np::nansum", "np.nansum(a, 1, dtype=np.float64)"),
    ("np::quantile", "np.quantile(a, 0.25)"), ("np::quantile", "np.quantile(a, 0.5, axis=0, keepdims=True)"),
    ("np::quantile", "np.quantile(a, np.linspace(0, 1, 3), axis=1, method='nearest')"),
    ("np::percentile", "np.percentile(a, 90)"), ("np::percentile", "np.percentile(a, 30, axis=-1, method='lower')"),
    ("np::nanquantile", "np.nanquantile(a, 0.75, axis=0)"), ("np::nanpercentile", "np.nanpercentile(a, 10)"),
    ("np::trapezoid", "np.trapezoid(a)"), ("np::trapezoid", "np.trapezoid(a, dx=0.5, axis=0)"),
    ("np::trapezoid", "np.trapezoid(a, np.arange(a.shape[-1]) * 2.0)"),
    ("np::cov", "np.cov(a)"), ("np::cov", "np.cov(a, rowvar=False, bias=True)"), ("np::corrcoef", "np.corrcoef(a)"),
    ("np::convolve", "np.convolve(a, a[::-1])", "v"), ("np::convolve", "np.convolve(a, a[:2], mode='same')", "v"),
    ("np::correlate", "np.correlate(a, a[:2])", "v"), ("np::correlate", "np.correlate(a, a, 'full')", "v"),
    ("np::interp", "np.interp(a, np.linspace(-3, 3, 4), np.linspace(0, 1, 4))"),
    ("np::interp", "np.interp(a, np.linspace(-3, 3, 4), np.linspace(0, 1, 4), left=-1.0, right=2.0)"),
    ("np::histogram", "np.histogram(np.nan_to_num(a, posinf=5.0, neginf=-5.0))[0]"),
    ("np::histogram", "np.histogram(np.nan_to_num(a, posinf=5.0, neginf=-5.0), 4, density=True)[1]"),
    ("np::polyval", "np.polyval(a, 0.5)", "v"), ("np::polyval", "np.polyval(a, a)", "v"),
    ("np::polyfit", "np.polyfit(np.arange(a.shape[0]) * 1.0, np.nan_to_num(a) * 1.0, 1)", "v"),
    ("np::polyder", "np.polyder(a)", "v"), ("np::polyder", "np.polyder(a, 2)", "v"), ("np::polyint", "np.polyint(a)", "v"),
    ("np::polyadd", "np.polyadd(a, b)", "u, w"), ("np::polysub", "np.polysub(a, b)", "u, w"),
    ("np::polymul", "np.polymul(a, b)", "u, w"),
    ("np::unwrap", "np.unwrap(a)"), ("np::unwrap", "np.unwrap(a, discont=4.0, axis=0)"),
    ("np::histogram2d", "np.histogram2d(a, a[::-1], 3)[0]", "v"),
    ("np::histogram2d", "np.histogram2d(a, 2 * a, bins=2, density=True)[2]", "v"),
    ("np::histogram_bin_edges", "np.histogram_bin_edges(np.nan_to_num(a, posinf=5.0, neginf=-5.0), bins=3)"),
]
COVERS = {case[0] for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_scans_and_reductions(case):
    op, expression, kind = (*case, "a") if len(case) == 2 else case
    check_case(op, expression, kind, dtypes=(np.float64, np.float32, np.int32, np.bool_))
