"""Reading by index: ``take``, ``take_along_axis``, ``choose``, ``select``,
``diagonal``, ``isin``, ``digitize``, ``unravel_index``; and the reads whose
result size depends on the data (``nonzero``, ``argwhere``, ``flatnonzero``,
``extract``, ``compress``, ``unique``, ``bincount``), which run unfused with
every size of their result unknown."""
from __future__ import annotations

from jit import types as T

from .declare import numpy_op, same_shape, xp_function
from .registry import Spelling

numpy_op("take", "a: array, indices: index, axis: int? = None", method=True)
numpy_op("take_along_axis", "arr: tensor, indices: tensor, axis: int? = -1", positional=2)
numpy_op("choose", "a: array, choices: arrays", method=True, positional=2)
numpy_op("select", "condlist: arrays, choicelist: arrays, default: number = 0", positional=2)
numpy_op("diagonal", "a: array, offset: int = 0, axis1: int = 0, axis2: int = 1", method=True, aliases=True)
numpy_op("isin", "element: array, test_elements: array, *, invert: bool = False", shape=same_shape)
numpy_op("digitize", "x: array, bins: tensor, right: bool = False", shape=same_shape)
numpy_op("unravel_index", "indices: array, shape: ints", returns="tuple")
numpy_op("ravel_multi_index", "multi_index: arrays, dims: ints, mode: str = 'raise'")
numpy_op("ix_", "a1: tensor, a2: tensor? = None, a3: tensor? = None", returns="tuple",
         impl=lambda xp, *args: xp.ix_(*[a for a in args if a is not None]),
         doc="np.ix_(*args) of up to 3 index arrays")
numpy_op("nonzero", "a: array", returns="tuple", data_dependent=True, method=True)
numpy_op("argwhere", "a: array", data_dependent=True)
numpy_op("flatnonzero", "a: array", data_dependent=True)
numpy_op("extract", "condition: array, arr: array", data_dependent=True, positional=2)
numpy_op("compress", "condition: array, a: array, axis: int? = None", data_dependent=True, positional=2)
numpy_op("ndarray.compress", "a: tensor, condition: array, axis: int? = None", op_name="np::ndarray.compress",
         template="{0}.compress({1}, axis={2})", spellings=[Spelling("method", "compress")], data_dependent=True,
         doc="x.compress(condition, axis=None)")
numpy_op("unique", "ar: array, *, axis: int? = None, equal_nan: bool = True", data_dependent=True)
numpy_op("unique_values", "x: array", data_dependent=True, newer_than_cupy=True)
# Plain tuples, as np.linalg's results (see jit.ops.linalg): index them.
numpy_op("unique_counts", "x: array", data_dependent=True, returns="tuple2",
         impl=lambda xp, x: tuple(xp_function(xp, "unique_counts")(x)), doc="np.unique_counts(x): (values, counts)")
numpy_op("unique_inverse", "x: array", data_dependent=True, returns="tuple2",
         impl=lambda xp, x: tuple(xp_function(xp, "unique_inverse")(x)), doc="np.unique_inverse(x): (values, inverse_indices)")
numpy_op("unique_all", "x: array", data_dependent=True, returns=T.TupleType([T.TENSOR] * 4),
         impl=lambda xp, x: tuple(xp_function(xp, "unique_all")(x)),
         doc="np.unique_all(x): (values, indices, inverse_indices, counts)")
numpy_op("bincount", "x: array, weights: tensor? = None, minlength: int = 0", data_dependent=True)
numpy_op("intersect1d", "ar1: array, ar2: array, assume_unique: bool = False", data_dependent=True, positional=2)
numpy_op("union1d", "ar1: array, ar2: array", data_dependent=True, positional=2)
numpy_op("setdiff1d", "ar1: array, ar2: array, assume_unique: bool = False", data_dependent=True, positional=2)
numpy_op("setxor1d", "ar1: array, ar2: array, assume_unique: bool = False", data_dependent=True, positional=2)
