"""Constant propagation: run at compile time what only depends on constants.

A node is folded when every input is a constant and running it early changes
nothing observable: it is a registered op with no side effects (print, raise),
deterministic (random draws), not structural, and its result is not a mutable
container. An array result is folded only when it does not escape (see
``aliasing``): a returned constant array could be written by the caller and
change the next call's result; nor is a node reading an array that is written
in place (an array constant a trace captured, written at each call: the alias
analysis). Folding that raises (``1 // 0``) leaves the node,
so the error comes at run time as in eager code. ``prim::If`` with a constant
condition becomes its taken branch; a loop that runs zero times becomes its
initial values; ``a, b = (2, 3)`` unpacks at compile time. A tuple built of
literal constants (``axis=(-1,)``, a loaded LayerNorm's normalized_shape) becomes
one tuple constant, as TorchScript does, so the fuser can copy it into each group
that reads it; equal tuples folded in one run share one object, so CSE pools them.
"""
from __future__ import annotations

import numpy as np

import device as _device
from jit import types as T
from jit.ir import Block, Graph, Node, constant_value
from jit.ir.alias_analysis import AliasDb
from jit.ir.constants import insert_constant
from jit.ops import NOT_CONSTANT

from .aliasing import escapes

_BUILDERS = frozenset({"prim::TupleConstruct", "prim::ListConstruct", "prim::SliceConstruct", "prim::DictConstruct"})
MAX_FOLDED_ELEMENTS = 1 << 16  # arrays made from scalars alone (np.zeros(n)) are folded only when this small


# What a folded tuple may hold: values the code printer writes as literals and nothing can mutate.
_TUPLE_LITERALS = (bool, int, float, str, type(None))  # exact types: np.float64 is a float too


def propagate_constants(graph: Graph) -> int:
    """Fold what can be folded everywhere in ``graph``; returns how many nodes went."""
    return _visit(graph.block, AliasDb(graph), {})


def _visit(block: Block, db: AliasDb, tuples: dict) -> int:
    """``tuples``: the tuple constants folded so far in this run, by their value's key."""
    folded = 0
    for node in block.nodes:
        if node.kind == "prim::If":
            condition = constant_value(node.inputs[0])
            if type(condition) is bool:
                folded += _visit(node.blocks[0 if condition else 1], db, tuples)
                _take_branch(node, 0 if condition else 1)
                folded += 1
                continue
        elif node.kind == "prim::Loop" and _never_runs(node):
            for output, initial in zip(node.outputs, node.inputs[2:]):
                output.replace_all_uses_with(initial)
            node.destroy()
            folded += 1
            continue
        elif node.kind == "prim::TupleUnpack":
            folded += _unpack(node)
            continue
        for inner in node.blocks:
            folded += _visit(inner, db, tuples)
        if node.kind == "prim::TupleConstruct":
            folded += _fold_tuple(node, tuples)
        elif _fold(node, db):
            folded += 1
    return folded


def _take_branch(node: Node, index: int):
    branch = node.blocks[index]
    for inner in list(branch.nodes):
        inner.move_before(node)
    for output, result in zip(node.outputs, branch.returns):
        output.replace_all_uses_with(result)
    node.destroy()


def _never_runs(loop: Node) -> bool:
    trips, condition = constant_value(loop.inputs[0]), constant_value(loop.inputs[1])
    return condition is False or (type(trips) is int and trips <= 0)


def _unpack(node: Node) -> int:
    values = constant_value(node.inputs[0])
    if not isinstance(values, tuple) or len(values) != len(node.outputs):
        return 0
    for output, item in zip(node.outputs, values):
        output.replace_all_uses_with(insert_constant(item, node, _constant_type(item, output.type)))
    node.destroy()
    return 1


def _fold_tuple(node: Node, tuples: dict) -> int:
    """A tuple of literal constants (nested tuples of them too) becomes one constant."""
    output = node.output
    if isinstance(output.type, T.NamedTupleType) or not isinstance(output.type, T.TupleType):
        return 0  # a namedtuple is built by its class at run time
    value = constant_value(output)
    key = _literal_key(value)
    if key is None:
        return 0
    kind = _constant_type(value, output.type)
    if kind is None:
        return 0
    value = tuples.setdefault((key, kind), value)  # one object per equal tuple: CSE pools it by identity
    output.replace_all_uses_with(insert_constant(value, node, kind))
    node.destroy()
    return 1


def _literal_key(value):
    """A hashable key telling equal literal tuples apart by value and by element type
    (``(1,)`` from ``(True,)`` and ``(1.0,)``); None for what is not such a tuple."""
    if isinstance(value, tuple):
        keys = [_literal_key(item) for item in value]
        return None if None in keys else ("tuple", *keys)
    if type(value) in _TUPLE_LITERALS or isinstance(value, np.dtype):
        return (type(value).__name__, repr(value))
    return None


def _fold(node: Node, db: AliasDb) -> bool:
    op = node.op
    if (op is None or op.structural or op.side_effects or op.nondeterministic or len(node.outputs) != 1
            or node.kind in _BUILDERS or isinstance(node.output.type, (T.ListType, T.DictType))):
        return False
    if any(db.knows(v) and db.is_written(v) for v in node.inputs):
        return False  # what it reads changes at run time
    arguments = [constant_value(v) for v in node.inputs]
    if any(a is NOT_CONSTANT for a in arguments):
        return False
    try:
        result = op(*arguments)
    except Exception:  # noqa: BLE001 - the same error will come at run time, where eager code raises it
        return False
    if _device.is_array(result):
        if escapes(node.output):
            return False
        if result.size > MAX_FOLDED_ELEMENTS and not any(_device.is_array(a) for a in arguments):
            return False
    elif isinstance(result, np.generic) and isinstance(node.output.type, T.TensorType) and escapes(node.output):
        return False
    kind = _constant_type(result, node.output.type)
    if kind is None:
        return False
    node.output.replace_all_uses_with(insert_constant(result, node, kind))
    node.destroy()
    return True


def _constant_type(value, declared: T.Type):
    """The type of a folded constant: the declared type of the value it replaces
    (so its users' types stay what their rules give), refined for an array; None
    when the value does not belong to the declared type."""
    try:
        own = T.type_of_constant(value)
    except TypeError:
        return None
    if isinstance(own, T.TensorType) and isinstance(declared, T.TensorType):
        return own if own.is_subtype_of(declared) else declared
    return declared if own.is_subtype_of(declared) else None
