"""``np.array`` and ``np.asarray``: arrays from Python numbers and from (nested)
tuples and lists of numbers or arrays, as NumPy builds them (``np.array([1, 2.5])``
is float64, ``np.array([a, b])`` stacks two arrays). ``np.asarray`` of an array is
that array; ``np.array`` copies it."""
from __future__ import annotations

import numpy as np

from jit import types as T

from . import type_rules as R
from .reductions import OPTIONAL_DTYPE
from .registry import Arg, OpDef, Spelling, register

# The dtype NumPy discovers for each Python number in a list (not weak: np.array([1.5]) is float64).
_NUMBER_DTYPES = {T.BOOL: np.dtype(np.bool_), T.INT: np.dtype(np.int64), T.FLOAT: np.dtype(np.float64)}


def is_array_data(kind: T.Type) -> bool:
    """Whether ``kind`` is a tuple or list of numbers or arrays, nested to any depth."""
    if isinstance(kind, T.TupleType):
        return all(_element_ok(e) for e in kind.elements)  # () is an empty float64 array
    if isinstance(kind, (T.ListType, T.VarTupleType)):
        return _element_ok(kind.element)
    return False


def _element_ok(kind):
    return kind in _NUMBER_DTYPES or isinstance(kind, T.TensorType) or is_array_data(kind)


def _layout(info):
    """(dtypes, shape, devices) of what np.array makes of ``info``; a size not known is None."""
    kind = info.type
    if kind in _NUMBER_DTYPES:
        return [_NUMBER_DTYPES[kind]], (), set()
    if isinstance(kind, T.TensorType):
        return [kind.dtype], kind.shape, {kind.device}
    if not is_array_data(kind):
        raise TypeError(f"np.array takes numbers, arrays, and tuples or lists of those, not {kind.annotation_str()}")
    if info.elements is not None:
        parts = [_layout(e) for e in info.elements]
        count = len(parts)
    else:
        element_types = kind.elements if isinstance(kind, T.TupleType) else [kind.element]
        parts = [_layout(_info_of(e)) for e in element_types]
        count = len(kind.elements) if isinstance(kind, T.TupleType) else None
    dtypes = [d for p in parts for d in p[0]] or [np.dtype(np.float64)]
    shapes = {p[1] for p in parts} or {()}
    inner = shapes.pop() if len(shapes) == 1 else None
    devices = set().union(*(p[2] for p in parts))
    return dtypes, None if inner is None else (count, *inner), devices


def _info_of(kind):
    from .registry import ArgInfo  # noqa: PLC0415 - registry defines it after the rules it imports

    return ArgInfo(kind)


def _conversion_rule(infos):
    source, dtype_info = infos
    dtypes, shape, devices = _layout(source)
    if dtype_info.is_constant and dtype_info.value is not None:
        dtype = np.dtype(dtype_info.value)
    else:
        dtype = None if any(d is None for d in dtypes) or not dtype_info.is_constant else np.result_type(*dtypes)
    devices.discard(None)
    device = devices.pop() if len(devices) == 1 else ("cpu" if not R.is_tensor(source.type) and not devices else None)
    return T.TensorType(dtype, shape, device)


for _name, _call in (("array", "array"), ("asarray", "asarray")):
    register(OpDef(f"np::{_name}", [Arg("object", T.ANY), Arg("dtype", OPTIONAL_DTYPE, None)], T.TENSOR,
                   _conversion_rule, template=f"{{xp}}.{_call}({{0}}, dtype={{1}})",
                   # np.asarray of a number is prim::NumToTensor; this overload takes the rest
                   spellings=[Spelling("function", f"np.{_name}", getattr(np, _name), overload=_name == "asarray")],
                   aliases=_name == "asarray",
                   doc=f"np.{_name}(object, dtype=None): an array from a number, an array, or a (nested) tuple or "
                       "list of those" + ("; an array is returned as it is" if _name == "asarray" else "; a copy")))
