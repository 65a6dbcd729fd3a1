"""Sorting and searching: ``sort``, ``argsort``, ``partition``, ``argpartition``,
``searchsorted``, ``lexsort``. ``x.sort()`` and ``x.partition()`` sort in place:
they belong with the writes (``jit.ops.mutation``)."""
from __future__ import annotations

from .declare import flat_or_same, numpy_op, same_shape
from .registry import Spelling

_SORT = "axis: int? = -1, kind: str? = None"
numpy_op("sort", f"a: array, {_SORT}, *, stable: bool? = None", shape=flat_or_same(1))
numpy_op("argsort", f"a: array, {_SORT}, *, stable: bool? = None", method=True, shape=flat_or_same(1))
numpy_op("partition", "a: array, kth: index, axis: int? = -1", positional=2)
numpy_op("argpartition", "a: array, kth: index, axis: int? = -1", positional=2)
numpy_op("ndarray.argpartition", "a: tensor, kth: index, axis: int? = -1", op_name="np::ndarray.argpartition",
         template="{0}.argpartition({1}, axis={2})", spellings=[Spelling("method", "argpartition")],
         doc="x.argpartition(kth, axis=-1): arrays only (a NumPy scalar has no argpartition)")
numpy_op("searchsorted", "a: tensor, v: array, side: str = 'left', sorter: tensor? = None", method=True,
         positional=2, shape=lambda infos: same_shape(infos[1:]))
numpy_op("lexsort", "keys: arrays, axis: int = -1")
