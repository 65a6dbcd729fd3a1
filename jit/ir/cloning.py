"""Copying graphs and blocks: specialization works on a copy of a function's
graph, and inlining and loop unrolling copy a body into another block."""
from __future__ import annotations

from .graph import Block, Graph, Node, Value


def copy_graph(graph: Graph) -> tuple[Graph, dict]:
    """A copy of ``graph`` and the map from id(original value) to its copy."""
    copy = Graph()
    value_map: dict[int, Value] = {}
    for value in graph.inputs:
        value_map[id(value)] = _copy_name(value, copy.add_input(value.type), True)
    copy_nodes_into(graph.block, copy.block, value_map, exact_names=True)
    for value in graph.outputs:
        copy.register_output(value_map[id(value)])
    return copy, value_map


def copy_nodes_into(source: Block, target: Block, value_map: dict, before: Node | None = None, *,
                    exact_names: bool = False) -> None:
    """Copy the nodes of ``source`` into ``target`` (at its end, or before ``before``).
    ``value_map`` maps source's parameters and the outer values the nodes use (a value
    of ``target``'s graph that is not in it stands for itself);
    it gains the copied outputs, so the caller finds what ``source`` returns.
    Copies keep the variable names (``x.3`` becomes a fresh ``x``) unless ``exact_names``."""
    anchor = before if before is not None else target.return_node
    for node in source.nodes:
        copy_node(node, target.graph, value_map, exact_names).insert_before(anchor)


def copy_node(node: Node, graph: Graph, value_map: dict, exact: bool = False) -> Node:
    """A copy of ``node`` (with its blocks) in ``graph``, not inserted; its inputs are
    mapped through ``value_map``, which gains its outputs."""
    copy = graph.create(node.kind, [value_map.get(id(v), v) for v in node.inputs], [v.type for v in node.outputs],
                        node.source_range, **node.attrs)
    for old, new in zip(node.outputs, copy.outputs):
        value_map[id(old)] = _copy_name(old, new, exact)
    for block in node.blocks:
        inner = copy.add_block()
        for param in block.params:
            value_map[id(param)] = _copy_name(param, inner.add_param(param.type), exact)
        copy_nodes_into(block, inner, value_map, exact_names=exact)
        for value in block.returns:
            inner.register_output(value_map.get(id(value), value))
    return copy


def _copy_name(old: Value, new: Value, exact: bool) -> Value:
    if old.has_debug_name():
        new.set_debug_name(old.debug_name if exact else _base_name(old.debug_name))
    return new


def _base_name(name: str) -> str:
    head, _, suffix = name.rpartition(".")
    return head if head and suffix.isdigit() else name
