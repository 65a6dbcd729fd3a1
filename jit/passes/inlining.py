"""Inline calls of script functions and methods: the callee's graph is copied
in place of ``prim::CallFunction`` / ``prim::CallMethod``, so later passes (and
the fuser) see one graph. Forks stay calls: they run concurrently."""
from __future__ import annotations

from jit.ir import Graph, Node
from jit.ir.cloning import copy_nodes_into

MAX_INLINED_CALLS = 10_000  # script code cannot recurse; this only stops a broken graph from hanging


def inline_calls(graph: Graph) -> int:
    """Inline every script call in ``graph`` (calls in inlined code too); returns how many."""
    inlined = 0
    while True:
        calls = [node for node in graph.all_nodes() if callee_of(node) is not None]
        if not calls:
            return inlined
        for call in calls:
            _inline(call, callee_of(call))
        inlined += len(calls)
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
