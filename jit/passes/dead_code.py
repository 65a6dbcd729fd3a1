"""Dead-code elimination: remove nodes whose results nothing uses and whose
running nobody would notice.

A node goes when none of its outputs is used, it has no effect (not a call
(script, Python, method, fork), not an op with side effects (print, raise,
random draws, container mutation), not a node with blocks, not an unpack
(``prim::ListUnpack`` checks the length at run time)), and it cannot raise:
eager code runs ``x.argmax(axis=0)`` even where only its shape is read, and
raises on an empty axis, so the node stays unless its inputs' types prove it
cannot (each op declares when, ``OpDef.raises``). Removing one node can make
its inputs dead, so the walk goes backwards through each block.
"""
from __future__ import annotations

from jit.ir import Block, Graph, Node
from jit.ir.effects import has_effect, may_raise

__all__ = ["eliminate_dead_code", "has_effect", "is_dead", "may_raise"]


def eliminate_dead_code(graph: Graph, refined: bool = True) -> int:
    """Remove dead nodes everywhere in ``graph``; returns how many. ``refined``:
    the refined types of the graph's values hold for every run (a specialization);
    False for a graph that will also run on other shapes and dtypes (a trace), whose
    nodes are then judged by their declared types."""
    return _visit(graph.block, refined)


def is_dead(node: Node, refined: bool = True) -> bool:
    """Whether ``node`` can go: nothing uses it, and running it has no effect and cannot raise."""
    return (not any(output.uses for output in node.outputs) and not has_effect(node)
            and not may_raise(node, refined))


def _visit(block: Block, refined: bool) -> int:
    removed = 0
    for node in reversed(list(block.nodes)):
        for inner in node.blocks:
            removed += _visit(inner, refined)
        if is_dead(node, refined):
            node.destroy()
            removed += 1
    return removed
