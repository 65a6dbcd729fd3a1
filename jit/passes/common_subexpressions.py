"""Common-subexpression elimination: a pure node that repeats an earlier one
(same op, same inputs, same attributes) where the earlier one dominates it is
replaced by it. Constants of equal value merge too.

Pure: a registered op with no side effects, deterministic, not structural, and
not reading a list or dict (a mutation between the two reads would change the
second). Two array results that both escape (both returned, say) stay apart, so
a caller never gets one array under two names where eager code gave two. Reads
of memory that a node writes merge only with no write of it between them (the
alias analysis's write epochs), and a result that is written never merges.
"""
from __future__ import annotations

from jit import types as T
from jit.ir import Block, Graph, Node
from jit.ir.alias_analysis import AliasDb, epoch_key

from .aliasing import escapes

_SIMPLE = (bool, int, float, str, type(None))


def eliminate_common_subexpressions(graph: Graph) -> int:
    """Merge repeated computations everywhere in ``graph``; returns how many nodes went."""
    return _visit(graph.block, {}, _Writes(AliasDb(graph)))


class _Writes:
    """The alias analysis and, per alias set, how many writes of it came so far."""

    def __init__(self, db: AliasDb):
        self.db, self.epochs, self.count = db, {}, 0

    def passed(self, node: Node):
        for memory in self.db.writes(node):
            self.count += 1
            self.epochs[memory] = self.count


def _visit(block: Block, seen: dict, writes: _Writes) -> int:
    """``seen``: what dominates this block (everything before it in enclosing blocks),
    with this block's nodes while it is visited: they leave it at the block's end, so
    that sibling blocks do not each copy what came before them."""
    added = []
    try:
        return _visit_nodes(block, seen, added, writes)
    finally:
        for key in added:
            del seen[key]


def _visit_nodes(block: Block, seen: dict, added: list, writes: _Writes) -> int:
    removed = 0
    for node in block.nodes:
        if node.kind == "prim::Loop":  # a later iteration's reads follow this iteration's writes
            writes.passed(node)
        for inner in node.blocks:
            removed += _visit(inner, seen, writes)
        writes.passed(node)
        key = _key(node)
        if key is None:
            continue
        db = writes.db
        if any(db.is_written(v) for v in node.outputs):
            continue  # written later: it must stay an array of its own
        key = (*key, epoch_key(db, node, writes.epochs))
        earlier = seen.get(key)
        if earlier is None:
            seen[key] = node
            added.append(key)
            continue
        if any(isinstance(v.type, T.TensorType) and escapes(v) for v in earlier.outputs) \
                and any(isinstance(v.type, T.TensorType) and escapes(v) for v in node.outputs):
            continue
        for old, new in zip(node.outputs, earlier.outputs):
            old.replace_all_uses_with(new)
        node.destroy()
        removed += 1
    return removed


def _key(node: Node):
    if node.kind == "prim::Constant":
        value = node["value"]
        if type(value) in _SIMPLE:
            return ("const", type(value), repr(value), node.output.type)
        return ("const-object", id(value), node.output.type)
    op = node.op
    if op is None or node.blocks or op.structural or op.side_effects or op.nondeterministic:
        return None
    if any(isinstance(v.type, (T.ListType, T.DictType)) for v in node.inputs):
        return None
    if any(isinstance(v.type, (T.ListType, T.DictType)) for v in node.outputs):
        return None  # a new mutable container each time
    try:
        attributes = tuple(sorted(node.attrs.items()))
        hash(attributes)
    except TypeError:
        return None
    return (node.kind, tuple(id(v) for v in node.inputs), attributes, tuple(v.type for v in node.outputs))
