"""What the type rules and the may-raise rules read of a shape, axes or index
argument: its static value where it is known. A leaf of ``jit.ops`` (over
``registry``), so that ``shapes`` and ``raising`` both import it at the top."""
from __future__ import annotations

from jit import types as T

from .registry import ArgInfo

__all__ = ["element_types", "index_items", "int_sequence"]


def int_sequence(info):
    """The ints of a shape/axes argument, None for unknown members; None when
    even the length is unknown."""
    if info.is_constant:
        value = info.value
        return (value,) if isinstance(value, int) else tuple(value)
    if info.elements is not None:
        return tuple(e.value if e.is_constant else None for e in info.elements)
    if isinstance(info.type, T.TupleType):
        return (None,) * len(info.type.elements)
    if info.type == T.INT:
        return (None,)
    return None


def element_types(info):
    """The types of a sequence argument's elements, or None when not known."""
    if info.elements is not None:
        return [e.type for e in info.elements]
    if isinstance(info.type, T.TupleType):
        return list(info.type.elements)
    return None


def index_items(info):
    """The items of an index argument as ArgInfos (a tuple index gives several)."""
    if isinstance(info.type, T.TupleType):
        if info.elements is not None:
            return list(info.elements)
        values = info.value if info.is_constant else [None] * len(info.type.elements)
        return [ArgInfo(t, v) if info.is_constant else ArgInfo(t) for t, v in zip(info.type.elements, values)]
    return [info]
