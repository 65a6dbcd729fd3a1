"""Inline calls of script functions and methods: the callee's graph is copied
in place of ``prim::CallFunction`` / ``prim::CallMethod``, so later passes (and
the fuser) see one graph. Forks stay calls: they run concurrently."""
from __future__ import annotations

from jit.ir import MAX_BLOCK_DEPTH, Graph, Node, block_depth, depth_of
from jit.ir.cloning import copy_nodes_into

MAX_INLINED_CALLS = 10_000  # script code cannot recurse; this only stops a broken graph from hanging


def inline_calls(graph: Graph) -> int:
    """Inline every script call in ``graph`` (calls in inlined code too); returns how many.
    A call whose callee's blocks would nest deeper than MAX_BLOCK_DEPTH where it is
    called stays a call."""
    inlined = 0
    kept: set[int] = set()
    depths: dict[int, int] = {}  # id(callee) -> how deep its blocks nest
    while True:
        calls = [node for node in graph.all_nodes() if id(node) not in kept and callee_of(node) is not None]
        if not calls:
            if inlined:
                _unpack_returned_tuples(graph)
            return inlined
        for call in calls:
            callee = callee_of(call)
            if id(callee) not in depths:
                depths[id(callee)] = block_depth(callee.graph.block)
            if depth_of(call) + depths[id(callee)] > MAX_BLOCK_DEPTH:
                kept.add(id(call))
                continue
            _inline(call, callee)
            inlined += 1
        if inlined > MAX_INLINED_CALLS:
            raise RuntimeError(f"inlining did not finish after {inlined} calls: the graph calls itself")


def callee_of(node: Node):
    """The ScriptFunction a call node runs, or None when it is not a script call."""
    if node.kind == "prim::CallFunction":
        target = node.inputs[0].node
        function = target["value"] if target.kind == "prim::Constant" else None
        return function if getattr(function, "is_script_function", False) else None
    if node.kind == "prim::CallMethod":
        return node.inputs[0].type.methods.get(node["name"])
    return None


def _inline(call: Node, function) -> None:
    callee = function.graph
    arguments = call.inputs[1:] if call.kind == "prim::CallFunction" else call.inputs
    value_map = {id(param): argument for param, argument in zip(callee.inputs, arguments)}
    copy_nodes_into(callee.block, call.owning_block, value_map, before=call)
    call.output.replace_all_uses_with(value_map.get(id(callee.outputs[0]), callee.outputs[0]))
    call.destroy()


def _unpack_returned_tuples(graph: Graph) -> None:
    """``a, b = helper(x)`` once ``helper`` is inlined: the unpacked values are the
    elements its return built (a tuple is immutable, so they are the same arrays), which
    lets the fuser see through the call boundary."""
    for node in list(graph.all_nodes()):
        if node.kind != "prim::TupleUnpack" or not node.is_inserted():
            continue
        built = node.inputs[0].node
        if built.kind != "prim::TupleConstruct" or len(built.inputs) != len(node.outputs) \
                or any(o.type != e.type for o, e in zip(node.outputs, built.inputs)):
            continue  # (a type refined on one side only: the pair stays)
        for output, element in zip(node.outputs, built.inputs):
            output.replace_all_uses_with(element)
        node.destroy()
        if not built.output.uses:
            built.destroy()
