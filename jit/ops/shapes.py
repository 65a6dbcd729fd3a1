"""Shape and layout ops, array properties, and indexing.

These execute as the ndarray methods or ``xp`` functions NumPy users write;
views stay views, as in eager code. The type rules compute result shapes from
constant arguments (``x.reshape(x.shape[0], -1)`` keeps what is known).
"""
from __future__ import annotations

import math

import numpy as np

from jit import types as T

from . import raising
from . import type_rules as R
from .arithmetic import numpy_function
from .reductions import AXIS
from .registry import ARRAY_LIKE, Arg, OpDef, Spelling, register
from .static_args import element_types, index_items, int_sequence

SHAPE = T.UnionType([T.INT, T.SequenceType(T.INT)])
TENSORS = T.SequenceType(T.TENSOR)


def _tensor(info_type, dtype=None, shape=None):
    return T.TensorType(dtype if dtype is not None else info_type.dtype, shape, info_type.device)


def reshape_shape(shape, new_shape):
    if new_shape is None:
        return None
    if new_shape.count(-1) > 1:
        raise TypeError("can only specify one unknown dimension (-1) in a reshape")
    if -1 in new_shape and shape is not None and None not in shape and None not in new_shape:
        known = math.prod(n for n in new_shape if n != -1)
        total = math.prod(shape)
        if known == 0 or total % known:
            raise TypeError(f"cannot reshape an array of size {total} into shape {new_shape}")
        return tuple(total // known if n == -1 else n for n in new_shape)
    if shape is not None and None not in shape and None not in new_shape and math.prod(shape) != math.prod(new_shape):
        raise TypeError(f"cannot reshape an array of size {math.prod(shape)} into shape {new_shape}")
    return tuple(None if n == -1 else n for n in new_shape)


def _reshape_rule(infos):
    source = infos[0].type
    return _tensor(source, shape=reshape_shape(source.shape, int_sequence(infos[1])))


def _transpose_rule(infos):
    source, axes = infos[0].type, infos[1]
    if source.shape is None:
        return _tensor(source)
    if axes.is_constant and axes.value is None:
        return _tensor(source, shape=source.shape[::-1])
    order = int_sequence(axes)
    if order is None or None in order:
        return _tensor(source, shape=(None,) * len(source.shape))
    if len(order) != len(source.shape):
        raise TypeError(f"axes {order} don't match an array of dimension {len(source.shape)}")
    order = R.normalize_axes(order, len(source.shape), "axes")
    return _tensor(source, shape=tuple(source.shape[a] for a in order))


def _swapaxes_rule(infos):
    source = infos[0].type
    if source.shape is None or not (infos[1].is_constant and infos[2].is_constant):
        return _tensor(source, shape=None if source.shape is None else (None,) * len(source.shape))
    first, second = R.normalize_axes((infos[1].value,), len(source.shape))[0], \
        R.normalize_axes((infos[2].value,), len(source.shape))[0]
    shape = list(source.shape)
    shape[first], shape[second] = shape[second], shape[first]
    return _tensor(source, shape=tuple(shape))


def _expand_dims_rule(infos):
    source, axis = infos[0].type, infos[1]
    if source.shape is None or not axis.is_constant:
        return _tensor(source)
    axes = (axis.value,) if isinstance(axis.value, int) else tuple(axis.value)
    ndim = len(source.shape) + len(axes)
    inserted = R.normalize_axes(axes, ndim)
    rest = iter(source.shape)
    return _tensor(source, shape=tuple(1 if i in inserted else next(rest) for i in range(ndim)))


def _squeeze_rule(infos):
    source, axis = infos[0].type, infos[1]
    if source.shape is None or not axis.is_constant:
        return _tensor(source)
    if axis.value is None:
        if None in source.shape:
            return _tensor(source)
        return _tensor(source, shape=tuple(n for n in source.shape if n != 1))
    axes = R.normalize_axes(axis.value, len(source.shape), int_axis_of_0d=True)
    for a in axes:
        if source.shape[a] not in (1, None):
            raise TypeError(f"cannot select an axis to squeeze out which has size not equal to one (axis {a})")
    return _tensor(source, shape=tuple(n for i, n in enumerate(source.shape) if i not in axes))


def _joined_dtype(types, function):
    dtypes = [t.dtype for t in types]
    if not types or any(d is None for d in dtypes):  # not `None in`: np.dtype('float64') == None
        return None
    return np.asarray(function([np.ones(1, d) for d in dtypes])).dtype


def _of_unknown_count(sequence_type):
    """The result for a list whose length is unknown: its elements' dtype and device."""
    element = getattr(sequence_type, "element", None)
    if isinstance(element, T.TensorType):
        return T.TensorType(element.dtype, None, element.device)
    return T.TENSOR


def _joined_inputs(info, function, what):
    """(element types, dtype, device) of the arrays that concatenate/stack join,
    or (None, result, None) when the count of arrays is unknown."""
    types = element_types(info)
    if types is None:
        return None, _of_unknown_count(info.type), None
    if not types:
        raise TypeError(f"need at least one array to {what}")
    return types, _joined_dtype(types, function), R.common_device(types)


def _concatenate_rule(infos):
    axis = infos[1]
    types, dtype, device = _joined_inputs(infos[0], np.concatenate, "concatenate")
    if types is None:
        return dtype
    shapes = [t.shape for t in types]
    if None in shapes or not axis.is_constant:
        return T.TensorType(dtype, None, device)
    if axis.value is None:
        sizes = [math.prod(s) if None not in s else None for s in shapes]
        return T.TensorType(dtype, (None if None in sizes else sum(sizes),), device)
    ndim = len(shapes[0])
    if any(len(s) != ndim for s in shapes):
        raise TypeError("all the input arrays must have the same number of dimensions")
    (a,) = R.normalize_axes((axis.value,), ndim)
    result = []
    for i in range(ndim):
        sizes = [s[i] for s in shapes]
        if i == a:
            result.append(None if None in sizes else sum(sizes))
        else:
            known = {n for n in sizes if n is not None}
            if len(known) > 1:
                raise TypeError(f"concatenate: sizes {sorted(known)} differ along axis {i}")
            result.append(known.pop() if known else None)
    return T.TensorType(dtype, tuple(result), device)


def _stack_rule(infos):
    axis = infos[1]
    types, dtype, device = _joined_inputs(infos[0], np.stack, "stack")
    if types is None:
        return dtype
    shapes = {t.shape for t in types}
    if len(shapes) != 1 or None in shapes or not axis.is_constant:
        return T.TensorType(dtype, None, device)
    (shape,) = shapes
    (a,) = R.normalize_axes((axis.value,), len(shape) + 1)
    return T.TensorType(dtype, shape[:a] + (len(types),) + shape[a:], device)


def _split_rule(infos):
    source = infos[0].type
    return T.ListType(T.TensorType(source.dtype, None, source.device) if source.is_refined() else T.TENSOR)


def _broadcast_to_rule(infos):
    source = infos[0].type
    shape = int_sequence(infos[1])
    if shape is not None and source.shape is not None:
        R.broadcast_shapes([source.shape, shape])
    return _tensor(source, shape=shape)


def _ravel_rule(infos):
    source = infos[0].type
    size = None if source.shape is None or None in source.shape else math.prod(source.shape)
    return _tensor(source, shape=(size,))


def _same_rule(infos):
    return infos[0].type


register(OpDef("np::reshape", [Arg("a", T.TENSOR), Arg("shape", SHAPE)], T.TENSOR, _reshape_rule,
               template="{0}.reshape({1})",
               spellings=[numpy_function("reshape", aliases={"newshape": "shape"}),
                          Spelling("method", "reshape", varargs="shape")],
               doc="np.reshape(a, shape), x.reshape(*shape)", aliases=True, raises=raising.reshape))
# axes may be one int: x.transpose(0) of a 1-d array passes its one axis as the vararg.
register(OpDef("np::transpose", [Arg("a", T.TENSOR), Arg("axes", T.UnionType([T.NONE, T.INT, T.SequenceType(T.INT)]),
                                                         None)],
               T.TENSOR, _transpose_rule, template="{0}.transpose({1})",
               spellings=[numpy_function("transpose"), Spelling("method", "transpose", varargs="axes"),
                          Spelling("property", "T")],
               doc="np.transpose(a, axes), x.transpose(*axes), x.T", aliases=True,
               raises=raising.axes_known("axes")))
register(OpDef("np::swapaxes", [Arg("a", T.TENSOR), Arg("axis1", T.INT), Arg("axis2", T.INT)], T.TENSOR,
               _swapaxes_rule, template="{0}.swapaxes({1}, {2})",
               spellings=[numpy_function("swapaxes"), Spelling("method", "swapaxes")], aliases=True,
               raises=raising.axes_known("axis1", "axis2")))
register(OpDef("np::expand_dims", [Arg("a", T.TENSOR), Arg("axis", SHAPE)], T.TENSOR, _expand_dims_rule,
               template="{xp}.expand_dims({0}, {1})", spellings=[numpy_function("expand_dims")], aliases=True,
               raises=raising.axes_known("axis")))
register(OpDef("np::squeeze", [Arg("a", T.TENSOR), Arg("axis", AXIS, None)], T.TENSOR, _squeeze_rule,
               template="{0}.squeeze({1})",
               spellings=[numpy_function("squeeze"), Spelling("method", "squeeze")], aliases=True,
               raises=raising.squeeze))
register(OpDef("np::concatenate", [Arg("arrays", TENSORS), Arg("axis", T.UnionType([T.NONE, T.INT]), 0)],
               T.TENSOR, _concatenate_rule, template="{xp}.concatenate({0}, axis={1})",
               spellings=[numpy_function("concatenate")], raises=raising.joined(same_shapes=False)))
register(OpDef("np::stack", [Arg("arrays", TENSORS), Arg("axis", T.INT, 0)], T.TENSOR, _stack_rule,
               template="{xp}.stack({0}, axis={1})", spellings=[numpy_function("stack")],
               raises=raising.joined(same_shapes=True)))
register(OpDef("np::split", [Arg("ary", T.TENSOR), Arg("indices_or_sections", SHAPE), Arg("axis", T.INT, 0)],
               T.ListType(T.TENSOR), _split_rule, template="{xp}.split({0}, {1}, axis={2})",
               spellings=[numpy_function("split")], doc="np.split: a list of views", aliases=True))
register(OpDef("np::broadcast_to", [Arg("array", T.TENSOR), Arg("shape", SHAPE)], T.TENSOR, _broadcast_to_rule,
               template="{xp}.broadcast_to({0}, {1})", spellings=[numpy_function("broadcast_to")], aliases=True,
               raises=raising.broadcast_to))
register(OpDef("np::ravel", [Arg("a", T.TENSOR)], T.TENSOR, _ravel_rule, template="{0}.ravel()",
               spellings=[numpy_function("ravel"), Spelling("method", "ravel")], aliases=True, raises=False))
# np.copy builds an array (a NumPy scalar becomes a 0-d array); the method keeps a
# scalar a scalar. NumPy's other functions call the method, so only copy needs two entries.
register(OpDef("np::copy", [Arg("a", T.TENSOR)], T.TENSOR, _same_rule, template="{xp}.copy({0})",
               spellings=[numpy_function("copy")], doc="np.copy(a): a new array", raises=False))
register(OpDef("np::ndarray.copy", [Arg("a", T.TENSOR)], T.TENSOR, _same_rule, template="{0}.copy()",
               spellings=[Spelling("method", "copy")], doc="x.copy(): a copy of the same kind", raises=False))

# Properties. x.shape is NumPy's tuple: typed Tuple[int, ...] (its length is the rank).
SHAPE_TUPLE = T.VarTupleType(T.INT)
register(OpDef("np::shape", [Arg("a", ARRAY_LIKE)], SHAPE_TUPLE, R.fixed(SHAPE_TUPLE),
               template="{0}.shape", spellings=[Spelling("property", "shape"), numpy_function("shape")],
               raises=False))
register(OpDef("np::ndim", [Arg("a", ARRAY_LIKE)], T.INT, R.fixed(T.INT), template="{0}.ndim",
               spellings=[Spelling("property", "ndim"), numpy_function("ndim")], raises=False))
register(OpDef("np::size", [Arg("a", ARRAY_LIKE)], T.INT, R.fixed(T.INT), template="{0}.size",
               spellings=[Spelling("property", "size"), numpy_function("size")], raises=False))
register(OpDef("np::dtype", [Arg("a", T.TENSOR)], T.DTYPE, R.fixed(T.DTYPE), template="{0}.dtype",
               spellings=[Spelling("property", "dtype")], raises=False))


# Indexing: x[index] with ints, slices, None, ..., arrays, and tuples of those.
INDEX_ITEM_TYPES = (T.IntType, T.SliceType, T.NoneType, T.EllipsisType, T.TensorType, T.BoolType)


def index_result_shape(shape, items):
    """NumPy's result shape for basic indexing (and a single advanced index)."""
    for item in items:
        if not isinstance(item.type, INDEX_ITEM_TYPES):
            raise TypeError(f"arrays are indexed by ints, slices, None, ..., arrays or tuples of those, "
                            f"not {item.type.annotation_str()}")
    if sum(isinstance(i.type, T.EllipsisType) for i in items) > 1:
        raise TypeError("an index can only have a single ellipsis ('...')")
    advanced = [i for i in items if isinstance(i.type, (T.TensorType, T.BoolType))]
    if shape is None:
        return None
    consumed = sum(isinstance(i.type, (T.IntType, T.SliceType)) for i in items)
    if advanced:
        return _advanced_index_shape(shape, items, advanced)
    if consumed > len(shape):
        raise TypeError(f"too many indices for array: array is {len(shape)}-dimensional, "
                        f"but {consumed} were indexed")
    result, axis = [], 0
    for item in items:
        kind = type(item.type)
        if kind is T.NoneType:
            result.append(1)
        elif kind is T.EllipsisType:
            span = len(shape) - consumed
            result.extend(shape[axis:axis + span])
            axis += span
        elif kind is T.IntType:
            size = shape[axis]
            if item.is_constant and size is not None and not -size <= item.value < size:
                raise TypeError(f"index {item.value} is out of bounds for axis {axis} with size {size}")
            axis += 1
        else:  # slice
            size = shape[axis]
            known = item.is_constant and size is not None
            result.append(len(range(*item.value.indices(size))) if known else None)
            axis += 1
    result.extend(shape[axis:])
    return tuple(result)


def _advanced_index_shape(shape, items, advanced):
    if len(items) != 1:
        return None
    index = advanced[0].type
    if not isinstance(index, T.TensorType) or index.shape is None or index.dtype is None:
        return None
    if index.dtype == np.bool_:
        if len(index.shape) > len(shape):
            raise TypeError("too many indices for array: the boolean index has more dimensions than the array")
        return (None,) + shape[len(index.shape):]
    if not np.issubdtype(index.dtype, np.integer):
        raise TypeError(f"arrays used as indices must be of integer or boolean type, not {index.dtype}")
    if len(shape) == 0:
        raise TypeError("too many indices for array: array is 0-dimensional, but 1 were indexed")
    return index.shape + shape[1:]


def _getitem_rule(infos):
    source = infos[0].type
    return _tensor(source, shape=index_result_shape(source.shape, index_items(infos[1])))


register(OpDef("np::getitem", [Arg("a", T.TENSOR), Arg("index", T.ANY)], T.TENSOR, _getitem_rule,
               template="{0}[{1}]", spellings=[Spelling("subscript", "[]")],
               doc="x[index]: ints, slices, None, ..., arrays; basic indexing gives views", aliases=True,
               raises=raising.basic_index))
