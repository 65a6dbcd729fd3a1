"""Dead-code elimination: remove nodes whose results nothing uses and whose
running nobody would notice.

A node goes when none of its outputs is used and it has no effect: not a call
(script, Python, method, fork), not an op with side effects (print, raise,
random draws, container mutation), not a node with blocks, and not an unpack
(``prim::ListUnpack`` checks the length at run time). Removing one node can
make its inputs dead, so the walk goes backwards through each block.
"""
from __future__ import annotations

from jit.ir import Block, Graph, Node

_KEPT = frozenset({"prim::CallFunction", "prim::CallMethod", "prim::PythonOp", "prim::fork", "prim::SetAttr",
                   "prim::CreateObject", "prim::ListUnpack", "prim::RaiseException",
                   "prim::Enter", "prim::Exit"})


def eliminate_dead_code(graph: Graph) -> int:
    """Remove dead nodes everywhere in ``graph``; returns how many."""
    return _visit(graph.block)


def has_effect(node: Node) -> bool:
    op = node.op
    return bool(node.blocks) or node.kind in _KEPT or op is None or op.side_effects


def _visit(block: Block) -> int:
    removed = 0
    for node in reversed(list(block.nodes)):
        for inner in node.blocks:
            removed += _visit(inner)
        if not has_effect(node) and not any(output.uses for output in node.outputs):
            node.destroy()
            removed += 1
    return removed
