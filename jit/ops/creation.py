"""Array creation beyond the shaped factories: ranges (``linspace``, ``logspace``,
``geomspace``), matrices (``eye``, ``identity``, ``tri``, ``diag``, ``vander``),
grids and index arrays (``meshgrid``, ``indices``, ``tril_indices``...) and the
array conversions (``ascontiguousarray``...).

A range of Python numbers is a NumPy array, as in eager code; one from arrays
lives on their device.
"""
from __future__ import annotations

from .declare import arrays_signature, given, numpy_op, same_shape

MAX_ARRAYS = 6  # of the functions of any number of arrays (np.meshgrid(*xi)), as arguments
_ARRAYS = arrays_signature(MAX_ARRAYS)


_RANGE = "num: int = 50, endpoint: bool = True"
numpy_op("linspace", f"start: array, stop: array, {_RANGE}, dtype: dtype = None, axis: int = 0", positional=2)
numpy_op("logspace", f"start: array, stop: array, {_RANGE}, base: array = 10.0, dtype: dtype = None, axis: int = 0",
         positional=2)
numpy_op("geomspace", f"start: array, stop: array, {_RANGE}, dtype: dtype = None, axis: int = 0", positional=2)
numpy_op("eye", "N: int, M: int? = None, k: int = 0, dtype: dtype = np.float64")
numpy_op("identity", "n: int, dtype: dtype = None")
numpy_op("tri", "N: int, M: int? = None, k: float = 0, dtype: dtype = np.float64")  # NumPy takes a float k
numpy_op("diag", "v: array, k: int = 0", aliases=True)  # of a matrix: a view of its diagonal
numpy_op("diagflat", "v: array, k: int = 0")
numpy_op("vander", "x: array, N: int? = None, increasing: bool = False")
numpy_op("indices", "dimensions: ints, dtype: dtype = np.int64")
numpy_op("tril_indices", "n: int, k: int = 0, m: int? = None", returns="tuple2")
numpy_op("triu_indices", "n: int, k: int = 0, m: int? = None", returns="tuple2")
numpy_op("tril_indices_from", "arr: tensor, k: int = 0", returns="tuple2")
numpy_op("triu_indices_from", "arr: tensor, k: int = 0", returns="tuple2")
numpy_op("diag_indices", "n: int, ndim: int = 2", returns="tuple")
numpy_op("diag_indices_from", "arr: tensor", returns="tuple")
numpy_op("meshgrid", f"{_ARRAYS}, *, sparse: bool = False, indexing: str = 'xy'", returns="tuple",
         impl=lambda xp, *args: xp.meshgrid(*given(*args[:-2]), sparse=args[-2], indexing=args[-1]),
         doc=f"np.meshgrid(*xi, sparse=False, indexing='xy') of up to {MAX_ARRAYS} arrays: a tuple of arrays")
for _name in ("ascontiguousarray", "asfortranarray", "asanyarray"):
    numpy_op(_name, "a: array, dtype: dtype = None", shape=same_shape, aliases=True)  # the input when it fits
# Window functions: M points (float64).
for _window in ("bartlett", "blackman", "hamming", "hanning"):
    numpy_op(_window, "M: int")
numpy_op("kaiser", "M: int, beta: float")
