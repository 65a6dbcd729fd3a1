"""Joining and splitting beyond ``concatenate``/``stack``/``split``: ``hstack``,
``vstack``, ``dstack``, ``column_stack``, ``append``, ``array_split``, ``hsplit``,
``vsplit``, ``dsplit``. The splits give lists of views, as NumPy's do."""
from __future__ import annotations

from .declare import numpy_op

for _name in ("hstack", "vstack", "dstack", "column_stack"):
    numpy_op(_name, "tup: arrays")
numpy_op("append", "arr: array, values: array, axis: int? = None")
numpy_op("array_split", "ary: tensor, indices_or_sections: shape, axis: int = 0", returns="list", aliases=True)
for _name in ("hsplit", "vsplit", "dsplit"):
    numpy_op(_name, "ary: tensor, indices_or_sections: shape", returns="list", aliases=True)
