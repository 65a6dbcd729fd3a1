"""Operators that write arrays in place: item, slice, mask and integer-array
assignment (``x[i] = v``), augmented assignment on arrays (``x += y``), the
destination of ``out=`` (``np.copyto``) and the in-place ndarray methods.

Each declares the argument it writes (``OpDef.writes``), which makes it an
effect: no pass drops it or moves a read of the same memory across it (see
``jit.ir.alias_analysis``). An augmented assignment returns its target, as
Python's ``operator.iadd`` does: the array itself for an ndarray, a new value for
an immutable NumPy scalar, which is why the frontend rebinds the name to it.
"""
from __future__ import annotations

import operator

import numpy as np

from jit import types as T

from . import type_rules as R
from .registry import ARRAY_LIKE, Arg, OpDef, Spelling, for_operator, register
from .shapes import index_items, index_result_shape

_WRITTEN = Arg("a", T.TENSOR)


def _target(info, what):
    if not R.is_tensor(info.type):
        raise TypeError(f"{what} writes into an array, not a {info.type.annotation_str()}")
    return info.type


def _setitem_rule(infos):
    target = _target(infos[0], "x[index] = value")
    if target.shape is not None:
        index_result_shape(target.shape, index_items(infos[1]))  # rejects what indexing would reject
    if not (R.is_tensor(infos[2].type) or infos[2].type in (T.INT, T.FLOAT, T.BOOL)):
        raise TypeError(f"x[index] = value takes an array or a number, not a {infos[2].type.annotation_str()}")
    return T.NONE


register(OpDef("np::setitem", [_WRITTEN, Arg("index", T.ANY), Arg("value", ARRAY_LIKE)], None, _setitem_rule,
               template="_operator.setitem({0}, {1}, {2})", writes=(0,),
               doc="x[index] = value: item, slice, boolean-mask and integer-array assignment, in place"))


def _in_place_rule(symbol, base):
    """``x op= y``: what ``x op y`` accepts, with the target's dtype and shape
    where the target is an array of rank > 0 (NumPy writes into it, casting
    same_kind); a 0-d target may be an immutable NumPy scalar, which gives
    ``x op y`` itself, so its dtype is known only where both agree."""
    def rule(infos):
        target = _target(infos[0], f"x {symbol}= y")
        try:
            combined = base.result_type(infos)
        except TypeError:  # NumPy's loop rejects the dtypes: the write raises its UFuncTypeError when it runs
            combined = T.TensorType(None, None, target.device)
        if target.ndim is None:
            return T.TensorType(None, None, target.device)
        if target.ndim > 0:
            return T.TensorType(target.dtype, target.shape, target.device)
        if combined.dtype == target.dtype and combined.shape == target.shape:
            return combined
        return T.TensorType(None, None, target.device)
    return rule


def _in_place_operator(symbol, python_name):
    base, _ = for_operator(symbol)
    register(OpDef(f"np::{python_name}", [_WRITTEN, Arg("b", ARRAY_LIKE)], T.TENSOR, _in_place_rule(symbol, base),
                   template=f"_operator.{python_name}({{0}}, {{1}})", spellings=[Spelling("operator", symbol + "=")],
                   aliases=True, writes=(0,),
                   doc=f"x {symbol}= y on an array: {base.name} written into x (operator.{python_name})"))


IN_PLACE_OPERATORS = {"+": "iadd", "-": "isub", "*": "imul", "/": "itruediv", "//": "ifloordiv", "%": "imod",
                      "**": "ipow", "@": "imatmul", "&": "iand", "|": "ior", "^": "ixor", "<<": "ilshift",
                      ">>": "irshift"}
for _symbol, _name in IN_PLACE_OPERATORS.items():
    if for_operator(_symbol) is not None:
        _in_place_operator(_symbol, _name)
assert all(hasattr(operator, name) for name in IN_PLACE_OPERATORS.values())


def _fill_rule(infos):
    _target(infos[0], "x.fill(value)")
    if not (R.is_tensor(infos[1].type) or infos[1].type in (T.INT, T.FLOAT, T.BOOL)):
        raise TypeError(f"x.fill takes a number, not a {infos[1].type.annotation_str()}")
    return T.NONE


register(OpDef("np::fill", [_WRITTEN, Arg("value", ARRAY_LIKE)], None, _fill_rule, template="{0}.fill({1})",
               spellings=[Spelling("method", "fill")], writes=(0,), doc="x.fill(value), in place"))


def _copyto_rule(infos):
    _target(infos[0], "np.copyto(dst, src)")
    if not (R.is_tensor(infos[1].type) or infos[1].type in (T.INT, T.FLOAT, T.BOOL)):
        raise TypeError(f"np.copyto copies an array or a number, not a {infos[1].type.annotation_str()}")
    if infos[2].is_constant and infos[2].value not in ("no", "equiv", "safe", "same_kind", "unsafe"):
        raise TypeError(f"np.copyto: casting must be 'no', 'equiv', 'safe', 'same_kind' or 'unsafe', "
                        f"not {infos[2].value!r}")
    return T.NONE


# The destination of out= too: np.add(a, b, out=c) is np.copyto(c, a + b), which casts as out= does.
register(OpDef("np::copyto", [Arg("dst", T.TENSOR), Arg("src", ARRAY_LIKE), Arg("casting", T.STR, "same_kind")],
               None, _copyto_rule, template="{xp}.copyto({0}, {1}, casting={2})",
               spellings=[Spelling("function", "np.copyto", np.copyto)], writes=(0,),
               doc="np.copyto(dst, src): src broadcast and cast into dst; also what out= compiles to"))


def _fill_diagonal_rule(infos):
    target = _target(infos[0], "np.fill_diagonal(a, val)")
    if target.ndim is not None and target.ndim < 2:
        raise TypeError("np.fill_diagonal: the array must be at least 2-d")
    return T.NONE


register(OpDef("np::fill_diagonal", [_WRITTEN, Arg("val", ARRAY_LIKE), Arg("wrap", T.BOOL, False)], None,
               _fill_diagonal_rule, template="{xp}.fill_diagonal({0}, {1}, {2})",
               spellings=[Spelling("function", "np.fill_diagonal", np.fill_diagonal)], writes=(0,),
               doc="np.fill_diagonal(a, val, wrap=False), in place"))


def _axis_rule(what, axis_index):
    def rule(infos):
        target = _target(infos[0], what)
        axis = infos[axis_index]
        if axis.type != T.INT:
            raise TypeError(f"{what}: axis must be an int, not a {axis.type.annotation_str()}")
        if target.ndim is not None and axis.is_constant:
            R.normalize_axes(axis.value, target.ndim)
        return T.NONE
    return rule


# ndarray.sort and ndarray.partition work in place and return None (np.sort and
# np.partition, in jit.ops.sorting, return new arrays).
register(OpDef("np::sort_in_place", [_WRITTEN, Arg("axis", T.INT, -1), Arg("kind", T.OptionalType(T.STR), None)],
               None, _axis_rule("x.sort()", 1), template="{0}.sort({1}, {2})",
               spellings=[Spelling("method", "sort")], writes=(0,), doc="x.sort(axis=-1, kind=None): sorts x in place"))
register(OpDef("np::partition_in_place", [_WRITTEN, Arg("kth", ARRAY_LIKE), Arg("axis", T.INT, -1)], None,
               _axis_rule("x.partition()", 2), template="{0}.partition({1}, {2})",
               spellings=[Spelling("method", "partition")], writes=(0,),
               doc="x.partition(kth, axis=-1): partitions x in place"))


def _indexed_write_rule(what, index_name, index_kinds):
    """An in-place writer ``np.<what>(a, <index>, values)``: a, an index of ``index_kinds``
    (an array, an int or a list of ints) and the values, an array or a number."""
    def rule(infos):
        _target(infos[0], f"np.{what}")
        index = infos[1].type
        if not (R.is_tensor(index) or index in index_kinds or isinstance(index, (T.ListType, T.TupleType))):
            raise TypeError(f"np.{what}: {index_name} must be an array, not a {index.annotation_str()}")
        if not (R.is_tensor(infos[2].type) or infos[2].type in (T.INT, T.FLOAT, T.BOOL)
                or isinstance(infos[2].type, (T.ListType, T.TupleType))):
            raise TypeError(f"np.{what}: the values must be an array or a number, not a {infos[2].type.annotation_str()}")
        return T.NONE
    return rule


_INDEX_LIKE = T.UnionType([T.TENSOR, T.INT, T.BOOL, T.ListType(T.INT), T.ListType(T.BOOL)])
_VALUES = T.UnionType([T.TENSOR, T.INT, T.FLOAT, T.BOOL, T.ListType(T.INT), T.ListType(T.FLOAT)])
_MODES = ("raise", "wrap", "clip")


def _put_rule(infos):
    rule = _indexed_write_rule("put", "ind", (T.INT,))
    if infos[3].is_constant and infos[3].value not in _MODES:
        raise TypeError(f"np.put: mode must be 'raise', 'wrap' or 'clip', not {infos[3].value!r}")
    return rule(infos)


# NumPy's in-place writers by flat index, mask and index array: each writes its first argument.
register(OpDef("np::put", [_WRITTEN, Arg("ind", _INDEX_LIKE), Arg("v", _VALUES), Arg("mode", T.STR, "raise")], None,
               _put_rule, template="{xp}.put({0}, {1}, {2}, mode={3})",
               spellings=[Spelling("function", "np.put", np.put), Spelling("method", "put")], writes=(0,),
               doc="np.put(a, ind, v, mode='raise'), a.put(...): flat-index assignment, in place"))
register(OpDef("np::place", [Arg("arr", T.TENSOR), Arg("mask", _INDEX_LIKE), Arg("vals", _VALUES)], None,
               _indexed_write_rule("place", "mask", (T.BOOL,)), template="{xp}.place({0}, {1}, {2})",
               spellings=[Spelling("function", "np.place", np.place)], writes=(0,),
               doc="np.place(arr, mask, vals): vals, repeated, into the masked places, in place"))
register(OpDef("np::putmask", [_WRITTEN, Arg("mask", _INDEX_LIKE), Arg("values", _VALUES)], None,
               _indexed_write_rule("putmask", "mask", (T.BOOL,)), template="{xp}.putmask({0}, {1}, {2})",
               spellings=[Spelling("function", "np.putmask", np.putmask)], writes=(0,),
               doc="np.putmask(a, mask, values): a[mask] = values at the same flat positions, in place"))


def _put_along_axis_rule(infos):
    target = _target(infos[0], "np.put_along_axis")
    if not R.is_tensor(infos[1].type):
        raise TypeError(f"np.put_along_axis: indices must be an array, not a {infos[1].type.annotation_str()}")
    axis = infos[3]
    if axis.type not in (T.INT, T.NONE):
        raise TypeError(f"np.put_along_axis: axis must be an int or None, not a {axis.type.annotation_str()}")
    if axis.is_constant and axis.value is not None and target.ndim is not None:
        R.normalize_axes(axis.value, target.ndim)
    return T.NONE


register(OpDef("np::put_along_axis", [Arg("arr", T.TENSOR), Arg("indices", T.TENSOR), Arg("values", ARRAY_LIKE),
                                      Arg("axis", T.OptionalType(T.INT))], None,
               _put_along_axis_rule, template="{xp}.put_along_axis({0}, {1}, {2}, {3})",
               spellings=[Spelling("function", "np.put_along_axis", np.put_along_axis)], writes=(0,),
               doc="np.put_along_axis(arr, indices, values, axis), in place"))
