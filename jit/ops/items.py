"""``x.item()``: an array's one element as a Python number (NumPy's ndarray.item).

Its type is the array's kind: float for floating dtypes, int for integers, bool for
bools, as NumPy returns them. Where the dtype is not known when compiling (an
unannotated parameter) it is ``Scalar`` (int, float or bool); profiling and
specialization give it the dtype's kind.
"""
from __future__ import annotations

import numpy as np

from jit import types as T

from . import type_rules as R
from .registry import Arg, OpDef, Spelling, register


def _item_rule(infos):
    source = infos[0].type
    if not R.is_tensor(source):
        raise TypeError(f"item() is a method of arrays, not of {source.annotation_str()}")
    dtype = source.dtype
    if dtype is None:
        return T.NUMBER
    if dtype == np.bool_:
        return T.BOOL
    if np.issubdtype(dtype, np.integer):
        return T.INT
    if np.issubdtype(dtype, np.floating):
        return T.FLOAT
    raise TypeError(f"item() of a {dtype} array is not a number script code has (int, float, bool)")


def _item(xp, a):
    return a.item()


register(OpDef("np::item", [Arg("a", T.TENSOR)], T.NUMBER, _item_rule, impl=_item,
               spellings=[Spelling("method", "item")],
               doc="x.item(): the one element of x as a Python number (raises for other sizes)", raises=True))
