"""What the IR knows of a value at compile time, in the form type rules take."""
from __future__ import annotations

from jit import types as T
from jit.ops import NOT_CONSTANT, ArgInfo

from .graph import Value

_BUILT_IN_PLACE = ("prim::TupleConstruct", "prim::ListConstruct")


def constant_value(value: Value):
    """The Python value of ``value`` when it is a compile-time constant, else NOT_CONSTANT.
    Tuples and slices built from constants are constants too."""
    return arg_info(value).value


def arg_info(value: Value) -> ArgInfo:
    """What a type rule may rely on about ``value``: its type, its constant value, and
    the elements of a tuple (or of a list nothing mutates) built in place."""
    node = value.node
    if node.kind == "prim::Constant":
        return ArgInfo(value.type, node["value"])
    if node.kind == "prim::ListConstruct" and any(_may_mutate(use.user) for use in value.uses):
        return ArgInfo(value.type)  # appended to, or changed, after it was built
    if node.kind in _BUILT_IN_PLACE:
        elements = [arg_info(v) for v in node.inputs]
        known = all(e.is_constant for e in elements) and node.kind == "prim::TupleConstruct"
        return ArgInfo(value.type, tuple(e.value for e in elements) if known else NOT_CONSTANT, elements)
    if node.kind == "prim::SliceConstruct":
        parts = [constant_value(v) for v in node.inputs]
        return ArgInfo(value.type, slice(*parts) if NOT_CONSTANT not in parts else NOT_CONSTANT)
    return ArgInfo(value.type)


def _may_mutate(user) -> bool:
    op = user.op
    return op is None or op.structural or op.side_effects


def insert_constant(value, before, output_type=None) -> Value:
    """A new ``prim::Constant`` holding ``value``, inserted before node ``before``."""
    kind = output_type if output_type is not None else T.type_of_constant(value)
    node = before.graph.create("prim::Constant", [], [kind], before.source_range, value=value)
    node.insert_before(before)
    return node.output
