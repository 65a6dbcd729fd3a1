"""Unroll small loops: a ``prim::Loop`` with a constant trip count of at most
``max_trip_count``, no ``break`` (its condition stays a constant True) and a body
small enough is replaced by that many copies of its body, the iteration number a
constant in each. Inner loops are unrolled first. After unrolling, constant
propagation and the fuser see straight-line code."""
from __future__ import annotations

from jit.ir import Block, Graph, Node, constant_value
from jit.ir.cloning import copy_nodes_into
from jit.ir.constants import insert_constant

MAX_TRIP_COUNT = 8
MAX_UNROLLED_NODES = 256


def unroll_loops(graph: Graph, max_trip_count: int = MAX_TRIP_COUNT,
                 max_unrolled_nodes: int = MAX_UNROLLED_NODES) -> int:
    """Unroll the qualifying loops everywhere in ``graph``; returns how many."""
    return _visit(graph.block, max_trip_count, max_unrolled_nodes)


def _visit(block: Block, max_trip_count: int, max_nodes: int) -> int:
    unrolled = 0
    for node in block.nodes:
        for inner in node.blocks:
            unrolled += _visit(inner, max_trip_count, max_nodes)
        trips = _trip_count(node)
        if trips is not None and trips <= max_trip_count and trips * _size(node.blocks[0]) <= max_nodes:
            _unroll(node, trips)
            unrolled += 1
    return unrolled


def _trip_count(node: Node):
    if node.kind != "prim::Loop":
        return None
    trips, starts = constant_value(node.inputs[0]), constant_value(node.inputs[1])
    goes_on = constant_value(node.blocks[0].returns[0])
    if type(trips) is not int or starts is not True or goes_on is not True:
        return None
    return max(trips, 0)


def _size(block: Block) -> int:
    return sum(1 + sum(_size(inner) for inner in node.blocks) for node in block.nodes)


def _unroll(loop: Node, trips: int):
    body = loop.blocks[0]
    carried = list(loop.inputs[2:])
    for iteration in range(trips):
        value_map = {id(body.params[0]): insert_constant(iteration, loop)}
        value_map.update({id(param): value for param, value in zip(body.params[1:], carried)})
        copy_nodes_into(body, loop.owning_block, value_map, before=loop)
        carried = [value_map.get(id(result), result) for result in body.returns[1:]]
    for output, value in zip(loop.outputs, carried):
        output.replace_all_uses_with(value)
    loop.destroy()
