"""Ops with several outputs in a fusion group (``divmod``, ``frexp``, ``modf``).

Their node gives a tuple; the graph reads its elements with ``prim::TupleUnpack`` or
``prim::TupleIndex`` of a constant. Such a node fuses only where every use of its tuple is
such a read, and the reads join its group: the kernel stores the elements, never the tuple.
"""
from __future__ import annotations

from jit import types as T
from jit.ir import arg_info

ELEMENT_READS = ("prim::TupleUnpack", "prim::TupleIndex")


def has_tuple_formula(node) -> bool:
    op = node.op
    return (op is not None and op.fusible and len(node.outputs) == 1
            and isinstance(node.output.type, T.TupleType))


def is_element_read(node) -> bool:
    """A read of an element of a fusible multi-output node's tuple."""
    if node.kind not in ELEMENT_READS or not node.inputs or not has_tuple_formula(node.inputs[0].node):
        return False
    if node.kind == "prim::TupleIndex":
        info = arg_info(node.inputs[1])
        return info.is_constant and type(info.value) is int
    return True


def tuple_refusal(node) -> str | None:
    """Why a multi-output node cannot fuse: its tuple is used as a tuple, or an element is not an array."""
    for element in node.output.type.elements:
        if not isinstance(element, T.TensorType):
            return "its results are not all arrays"
    for use in node.output.uses:
        if not is_element_read(use.user) or use.user.owning_block is not node.owning_block:
            return f"its tuple is used whole (by {use.user.kind}), not only unpacked"
    return None


def element_types(node) -> list:
    """The array types a (fusible) node gives: its output's, or each element of its tuple."""
    output = node.output.type
    return list(output.elements) if isinstance(output, T.TupleType) else [output]
