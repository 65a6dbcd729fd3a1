"""Freezing: module attributes read by a method become constants.

A chain of ``prim::GetAttr`` from ``self`` that ends in a value (a parameter, a
buffer, a number, a tuple...) is replaced by that value as a constant, unless
the attribute, or an object on the way to it, is assigned anywhere in the graph
(``prim::SetAttr``), is named in ``preserved`` (top-level attribute names), or
holds a list or dict (script code may change those in place). Modules and
script objects themselves are never constants; their reads go once unused.
"""
from __future__ import annotations

from jit import types as T
from jit.ir import Graph, Value
from jit.ir.constants import insert_constant

_FOLDABLE = (bool, int, float, str, type(None), tuple)


def fold_module_attributes(graph: Graph, module, preserved=()) -> int:
    """Fold the attribute reads of ``graph`` (a method of ``module``, whose first
    input is self) into constants; returns how many reads were folded."""
    self_value = graph.inputs[0]
    assigned = {_path(node.inputs[0], self_value) + (node["name"],)
                for node in graph.all_nodes() if node.kind == "prim::SetAttr"}
    assigned.discard(None)
    folded = 0
    for node in list(graph.all_nodes()):
        if node.kind != "prim::GetAttr" or not node.is_inserted():
            continue
        path = _path(node.output, self_value)
        if path is None or path[0] in preserved or _touches(path, assigned):
            continue
        value = _read(module, path)
        if not _foldable(value, node.output.type):
            continue
        node.output.replace_all_uses_with(insert_constant(value, node, _constant_type(value, node.output.type)))
        folded += 1
    return folded


def _path(value: Value, self_value: Value):
    """The attribute names from self to ``value``, or None when it is not read from self."""
    names = []
    while value is not self_value:
        if value.node.kind != "prim::GetAttr":
            return None
        names.append(value.node["name"])
        value = value.node.inputs[0]
    return tuple(reversed(names))


def _touches(path: tuple, assigned: set) -> bool:
    """Whether an assignment rebinds this attribute or an object on the way to it."""
    return any(path[:len(target)] == target for target in assigned if target is not None)


def _read(module, path):
    value = module
    for name in path:
        value = getattr(value, name)
    return value


def _foldable(value, declared: T.Type) -> bool:
    if isinstance(declared, (T.ClassType, T.ListType, T.DictType)):
        return False
    if hasattr(value, "__array__") and hasattr(value, "dtype") and hasattr(value, "shape"):
        return True
    if isinstance(value, tuple):
        return all(_foldable(item, T.ANY) for item in value)
    return isinstance(value, _FOLDABLE) or type(value).__name__ in ("dtype", "Device")


def _constant_type(value, declared: T.Type) -> T.Type:
    try:
        own = T.type_of_constant(value)
    except TypeError:
        return declared
    if isinstance(own, T.TensorType):
        return own
    return declared if own.is_subtype_of(declared) else own
