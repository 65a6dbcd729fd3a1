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
    return _visit(graph.block, max_trip_count, max_unrolled_nodes)[0]


def _visit(block: Block, max_trip_count: int, max_nodes: int) -> tuple[int, int]:
    """(loops unrolled, nodes left) in ``block`` and the blocks nested in it. Sizes
    come up from the inner blocks, so nested loops are not recounted at each level."""
    unrolled, size = 0, 0
    for node in block.nodes:
        inner_size = 0
        for inner in node.blocks:
            count, nodes = _visit(inner, max_trip_count, max_nodes)
            unrolled, inner_size = unrolled + count, inner_size + nodes
        trips = _trip_count(node)
        if trips is not None and trips <= max_trip_count and trips * inner_size <= max_nodes:
            size += trips * (inner_size - _unroll(node, trips))
            unrolled += 1
        else:
            size += 1 + inner_size
    return unrolled, size


def _trip_count(node: Node):
    if node.kind != "prim::Loop":
        return None
    trips, starts = constant_value(node.inputs[0]), constant_value(node.inputs[1])
    goes_on = constant_value(node.blocks[0].returns[0])
    if type(trips) is not int or starts is not True or goes_on is not True:
        return None
    return max(trips, 0)


def _unroll(loop: Node, trips: int) -> int:
    """Replace ``loop`` by ``trips`` copies of its body (one trip: the body itself,
    moved out, so nested loops are not copied once per level); returns how many constants
    of the body went to the top of the graph instead of into each copy (else nested
    loops unrolled in turn would copy their inner loops' constants once per level)."""
    body = loop.blocks[0]
    top = loop.graph.block
    first = top.param_node.next
    constants = [node for node in body.nodes if node.kind == "prim::Constant"]
    for constant in constants:
        constant.move_before(first)
    carried = list(loop.inputs[2:])
    if trips == 1:  # the body itself goes before the loop: nothing to copy
        number = insert_constant(0, loop)
        number.node.move_before(first)
        for param, value in zip(body.params, [number] + carried):
            param.replace_all_uses_with(value)
        for node in body.nodes:
            node.move_before(loop)
        carried, trips = list(body.returns[1:]), 0
    for iteration in range(trips):
        number = insert_constant(iteration, loop)
        number.node.move_before(first)
        value_map = {id(body.params[0]): number}
        value_map.update({id(param): value for param, value in zip(body.params[1:], carried)})
        copy_nodes_into(body, loop.owning_block, value_map, before=loop)
        carried = [value_map.get(id(result), result) for result in body.returns[1:]]
    for output, value in zip(loop.outputs, carried):
        output.replace_all_uses_with(value)
    loop.destroy()
    return len(constants)
