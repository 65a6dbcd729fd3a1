"""Expression inlining: which values the Python code generators (``.code``, the executor)
may print inside their one use. Inlining calls is a graph rewrite: ``jit.passes.inlining``."""
from __future__ import annotations

from jit import types as T

from .alias_analysis import values_not_to_move
from .effects import has_effect, may_raise
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


# An inlined value nests inside its user's expression; a chain of single-use values
# (``x = x + 1.0`` ten thousand times) gets a name every MAX_INLINE_DEPTH links, so
# that printed and generated Python stay far inside the parser's limits (200 nested
# parentheses; about 3 per level in generated code) however long the chain.
MAX_INLINE_DEPTH = 16


def inlinable_values(block: Block, refined: bool = False, left_out=None) -> set:
    """ids of the values ``can_inline`` allows, in ``block`` and the blocks nested in
    it, with no inlined expression nesting more than MAX_INLINE_DEPTH values deep,
    and none moved past a node whose running is seen (see ``_keep_observable_order``).
    ``refined``: the graph's refined types hold for every run (a specialization).
    ``left_out(node)``: the input positions the consumer's expression for ``node``
    does not evaluate (the executor reads a factory's ``like=`` only for its array
    module); a value used there is computed by a statement of its own, so that its
    error is still raised."""
    found: set[int] = set()
    _collect_inlinable(block, found, {})
    found -= values_not_to_move(block, found)  # reads do not cross writes of their memory; written arrays are names
    if left_out is not None:
        found -= {id(node.inputs[index]) for node in _all_nodes(block) for index in left_out(node)}
    _keep_observable_order(block, found, refined)
    return found


def _all_nodes(block: Block):
    pending = [block]
    while pending:
        current = pending.pop()
        for node in current.nodes:
            yield node
            pending.extend(node.blocks)


def _collect_inlinable(block: Block, found: set, depth: dict):
    """Add ``block``'s inlinable values to ``found``; ``depth``: id(value) -> how many
    inlined values its expression nests (inputs come first in program order)."""
    for node in block.nodes:
        for inner in node.blocks:
            _collect_inlinable(inner, found, depth)
        if not can_inline(node):
            continue
        operands = node.inputs
        if node.blocks:  # a short circuit inlines whole only if all its computed values did
            word, first, second = short_circuit(node)
            computed = node.blocks[0] if word == "and" else node.blocks[1]
            if not all(n.kind == "prim::Constant" or id(n.output) in found for n in computed.nodes):
                continue
            operands = (first, second)
        nesting = 1 + max((depth.get(id(v), 0) for v in operands), default=0)
        if nesting <= MAX_INLINE_DEPTH:
            found.add(id(node.output))
            depth[id(node.output)] = nesting


def _keep_observable_order(top: Block, found: set, refined: bool):
    """Take out of ``found`` the values whose inlining would reorder nodes that may
    raise or have effects: eager code raises the first error of its statements, so
    ``v = x + n; c = math.atanh(n); return v`` must not become ``return x + n`` after
    the atanh. An inlined value runs where its expression is evaluated: operands in
    input order (the printer's and the executor's expressions both read them left
    to right), each before the node using it. Taking a value out can expose another
    reordering, so the check repeats until none is left (a round or two in practice)."""
    blocks = [top] + [inner for node in _all_nodes(top) for inner in node.blocks]
    seen: dict = {}

    def observable(node: Node) -> bool:
        known = seen.get(id(node))
        if known is None:
            if node.kind in ("prim::If", "prim::Loop"):  # control flow is seen only through its nodes
                known = any(observable(inner) for block in node.blocks for inner in block.nodes)
            else:
                known = has_effect(node) or may_raise(node, refined)
            seen[id(node)] = known
        return known

    while True:
        moved = set()
        for block in blocks:
            moved |= _reordered(block, found, observable)
        for block in blocks:  # a short circuit inlines whole or not at all
            owner = block.owning_node
            if (owner is not None and owner.outputs and id(owner.outputs[0]) in found
                    and any(n.kind != "prim::Constant" and (id(n.output) not in found or id(n.output) in moved)
                            for n in block.nodes)):
                moved.add(id(owner.outputs[0]))
        moved &= found
        if not moved:
            return
        found -= moved


def _reordered(block: Block, found: set, observable) -> set:
    """ids of the observable inlined values of ``block`` that would run after an
    observable node placed later in the block, and of the operands of a loop (whose
    order the consumers do not fix) when more than one of them computes observable nodes."""
    position = {id(n): i for i, n in enumerate(block.nodes)}
    order: list = []  # block nodes, in the order the printed code evaluates them
    moved: set = set()

    def inlined(value) -> bool:
        return id(value) in found and position.get(id(value.node)) is not None

    def evaluate(values, in_input_order: bool):
        if not in_input_order:  # a loop's operands: fine while at most one of them holds observable nodes
            trees = [_tree(v.node, inlined) for v in values if inlined(v)]
            holding = [tree for tree in trees if any(observable(n) for n in tree)]
            if len(holding) > 1:
                moved.update(id(tree[-1].output) for tree in holding)
        for value in values:
            if inlined(value):
                order.extend(_tree(value.node, inlined))

    for node in block.nodes:
        if node.kind == "prim::Constant" or (node.outputs and id(node.outputs[0]) in found):
            continue
        evaluate(node.inputs, node.kind != "prim::Loop")
        order.append(node)
    owner = block.owning_node
    evaluate(block.returns, owner is None or owner.kind != "prim::Loop")
    latest, inverted = -1, False
    for node in order:
        inverted = inverted or position[id(node)] < latest
        latest = max(latest, position[id(node)])
    if not inverted:  # every node runs in block order: nothing to check
        return moved
    latest_observable = -1
    for node in order:
        if observable(node):
            if position[id(node)] < latest_observable:
                moved.add(id(node.output))  # only an inlined value runs after its place
            latest_observable = max(latest_observable, position[id(node)])
    return moved


def _tree(node: Node, inlined) -> list:
    """``node`` and the inlined values it computes, in the order they run."""
    nodes = []
    for value in node.inputs:
        if inlined(value):
            nodes.extend(_tree(value.node, inlined))
    nodes.append(node)
    return nodes
