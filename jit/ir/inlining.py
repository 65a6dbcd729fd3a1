"""Which values an expression-printing consumer may inline into their one use."""
from __future__ import annotations

from jit import types as T

from .graph import Block, Node


def can_inline(node: Node) -> bool:
    """A pure, single-output node whose only use is in its own block may be
    computed where it is used. The code printer prints such values inside the
    expression that uses them; the executor does the same, which also lets NumPy
    reuse the temporaries of ``a + b - c`` as eager code does. A short-circuit
    ``prim::If`` (see ``short_circuit``) inlines as ``a and b`` / ``a or b``.
    Nodes reading a list or dict stay where they are: the container may change."""
    if node.kind == "prim::unchecked_cast":  # an identity: its input's name serves every use
        return True
    if len(node.outputs) != 1 or node.kind == "prim::Constant":
        return False
    if node.blocks:
        if short_circuit(node) is None:
            return False
    else:
        op = node.op
        if op.structural or op.side_effects or op.nondeterministic:
            return False
        if any(isinstance(v.type, (T.ListType, T.DictType)) for v in node.inputs):
            return False  # it reads a mutable container: moving it past a mutation would change what it reads
    uses = node.output.uses
    return len(uses) == 1 and uses[0].user.owning_block is node.owning_block


def short_circuit(node: Node):
    """("and" | "or", first, second) when ``node`` is the If the frontend makes for
    ``first and second`` / ``first or second``: one bool output, one branch giving
    a constant, the other computing ``second`` with pure nodes only; else None."""
    if node.kind != "prim::If" or len(node.outputs) != 1 or node.output.type != T.BOOL:
        return None
    then_block, else_block = node.blocks
    for kind, computed, constant_block, constant in (("and", then_block, else_block, False),
                                                     ("or", else_block, then_block, True)):
        result = constant_block.returns[0]
        if (result.node.kind == "prim::Constant" and result.node["value"] is constant
                and all(n.kind == "prim::Constant" for n in constant_block.nodes)
                and all(n.kind == "prim::Constant" or can_inline(n) for n in computed.nodes)):
            return kind, node.inputs[0], computed.returns[0]
    return None


def inlinable_values(block: Block) -> set:
    """ids of the values ``can_inline`` allows, in ``block`` and the blocks nested in it."""
    found = set()
    for node in block.nodes:
        if can_inline(node):
            found.add(id(node.output))
        for inner in node.blocks:
            found |= inlinable_values(inner)
    return found
