"""Remove attribute reads (``prim::GetAttr``) that nothing uses.

The frontend reads an attribute wherever code names it, also where only its
static type matters (``if self.gate is None:`` with a submodule that is None,
``len(self.layers)`` of a ModuleList); reading has no effect, so an unused read
can go.
"""
from __future__ import annotations

from jit.ir import Block, Graph


def eliminate_unused_attribute_reads(graph: Graph) -> int:
    """Remove unused prim::GetAttr nodes everywhere in ``graph``; returns how many."""
    return _visit(graph.block)


def _visit(block: Block) -> int:
    removed = 0
    for node in reversed(list(block.nodes)):  # later reads first: a read may only feed another
        for inner in node.blocks:
            removed += _visit(inner)
        if node.kind == "prim::GetAttr" and not node.output.uses:
            node.destroy()
            removed += 1
    return removed
