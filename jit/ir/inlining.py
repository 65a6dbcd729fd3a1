"""Which values an expression-printing consumer may inline into their one use."""
from __future__ import annotations

from .graph import Block, Node


def can_inline(node: Node) -> bool:
    """A pure, single-output node whose only use is in its own block may be
    computed where it is used. The code printer prints such values inside the
    expression that uses them; the executor does the same, which also lets NumPy
    reuse the temporaries of ``a + b - c`` as eager code does."""
    if len(node.outputs) != 1 or node.blocks or node.kind == "prim::Constant":
        return False
    op = node.op
    if op.structural or op.side_effects or op.nondeterministic:
        return False
    uses = node.output.uses
    return len(uses) == 1 and uses[0].user.owning_block is node.owning_block


def inlinable_values(block: Block) -> set:
    """ids of the values ``can_inline`` allows, in ``block`` and the blocks nested in it."""
    found = set()
    for node in block.nodes:
        if can_inline(node):
            found.add(id(node.output))
        for inner in node.blocks:
            found |= inlinable_values(inner)
    return found
