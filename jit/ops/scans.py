"""Reductions and scans beyond the ndarray reductions: cumulative sums and
products, differences, ``ptp``, ``average``, ``median``, quantiles, the ``nan*``
reductions, ``count_nonzero``, ``trapezoid``, ``cov``/``corrcoef``,
``convolve``/``correlate``, ``interp`` and ``histogram``."""
from __future__ import annotations

from .declare import flat_or_same, numpy_op, reduced_shape, same_shape

_KEEP = "*, keepdims: bool = False"
for _name in ("cumsum", "cumprod"):
    numpy_op(_name, "a: array, axis: int? = None, dtype: dtype = None", method=True, shape=flat_or_same(1))
for _name in ("nancumsum", "nancumprod"):
    numpy_op(_name, "a: array, axis: int? = None, dtype: dtype = None", shape=flat_or_same(1))
for _name in ("cumulative_sum", "cumulative_prod"):
    # NumPy takes a one-element tuple as the axis too (ufunc.accumulate does), and refuses longer ones.
    numpy_op(_name, "x: tensor, *, axis: axis = None, dtype: dtype = None, include_initial: bool = False",
             newer_than_cupy=True)
numpy_op("diff", "a: array, n: int = 1, axis: int = -1")
numpy_op("ediff1d", "ary: array")
numpy_op("ptp", f"a: array, axis: axis = None, {_KEEP}", shape=reduced_shape(1, 2))
numpy_op("average", f"a: array, axis: axis = None, weights: tensor? = None, {_KEEP}", shape=reduced_shape(1, 3))
numpy_op("median", f"a: array, axis: axis = None, {_KEEP}", shape=reduced_shape(1, 2))
numpy_op("nanmedian", f"a: array, axis: axis = None, {_KEEP}", shape=reduced_shape(1, 2))
for _name in ("quantile", "percentile", "nanquantile", "nanpercentile"):
    numpy_op(_name, f"a: array, q: array, axis: axis = None, *, method: str = 'linear', keepdims: bool = False",
             positional=2)
for _name in ("nansum", "nanprod", "nanmean"):
    numpy_op(_name, f"a: array, axis: axis = None, dtype: dtype = None, {_KEEP}", shape=reduced_shape(1, 3))
for _name in ("nanmax", "nanmin"):
    numpy_op(_name, f"a: array, axis: axis = None, {_KEEP}", shape=reduced_shape(1, 2))
for _name in ("nanargmax", "nanargmin"):
    numpy_op(_name, f"a: array, axis: int? = None, {_KEEP}", shape=reduced_shape(1, 2))
for _name in ("nanstd", "nanvar"):
    numpy_op(_name, f"a: array, axis: axis = None, dtype: dtype = None, ddof: float = 0, {_KEEP}",
             shape=reduced_shape(1, 4))
numpy_op("count_nonzero", f"a: array, axis: axis = None, {_KEEP}", shape=reduced_shape(1, 2),
         doc="np.count_nonzero: a NumPy int64 (NumPy 2), or an array with an axis")
numpy_op("trapezoid", "y: array, x: tensor? = None, dx: float = 1.0, axis: int = -1")
numpy_op("cov", "m: array, y: tensor? = None, rowvar: bool = True, bias: bool = False, ddof: int? = None")
numpy_op("corrcoef", "x: array, y: tensor? = None, rowvar: bool = True")
numpy_op("convolve", "a: array, v: array, mode: str = 'full'", positional=2)
numpy_op("correlate", "a: array, v: array, mode: str = 'valid'", positional=2)
numpy_op("interp", "x: array, xp: tensor, fp: tensor, left: float? = None, right: float? = None",
         positional=3, shape=same_shape)
numpy_op("histogram", "a: array, bins: int = 10, density: bool? = None", returns="tuple2",
         doc="np.histogram(a, bins=10, density=None) with an int bins: (counts, edges)")
numpy_op("histogram_bin_edges", "a: array, bins: int = 10")

# Polynomials as coefficient arrays (highest power first); their sizes follow the inputs' and deg.
numpy_op("polyval", "p: array, x: array", positional=2)
numpy_op("polyfit", "x: tensor, y: tensor, deg: int", positional=3)
numpy_op("polyder", "p: tensor, m: int = 1")
numpy_op("polyint", "p: tensor, m: int = 1")
for _name in ("polyadd", "polysub"):
    numpy_op(_name, "a1: array, a2: array", positional=2)
numpy_op("polymul", "a1: array, a2: array", positional=2, data_dependent=True)  # leading zeros are trimmed
numpy_op("unwrap", "p: array, discont: float? = None, axis: int = -1", shape=same_shape)
numpy_op("histogram2d", "x: tensor, y: tensor, bins: int = 10, density: bool? = None", positional=2, returns="tuple3",
         doc="np.histogram2d(x, y, bins=10, density=None) with an int bins: (counts, x edges, y edges)")
