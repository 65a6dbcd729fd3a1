"""Peephole rules: small local rewrites that specialized types make safe.

- ``x * 1``, ``1 * x``, ``x / 1``, ``x + 0``, ``0 + x``, ``x - 0`` become ``x`` when
  the result has exactly x's type (dtype and shape known: ``int_array * 1.0`` is
  a float array, not x). For floats this maps -0.0 + 0 to -0.0 where NumPy gives
  +0.0; they compare equal.
- ``x.astype(d)`` becomes ``x`` when x is known to have dtype d.
- ``x.shape``, ``x.ndim``, ``x.size``, ``x.dtype``, ``len(x)`` become constants when
  the specialized type knows them.
- ``x.T.T`` (two transposes that cancel) becomes ``x``.

Forwarding makes one array serve two names, so it is done only when the
rewritten result does not escape (see ``aliasing``) and, for a copy (``x * 1``,
``astype``), when neither array is written in place (the alias analysis), and drops
the node, so only where it cannot raise (``dead_code.may_raise``).
"""
from __future__ import annotations

import numpy as np

from jit import types as T
from jit.ir import Graph, Node, Value, constant_value
from jit.ir.alias_analysis import AliasDb
from jit.ir.constants import insert_constant
from jit.ops import NOT_CONSTANT

from .aliasing import escapes
from .dead_code import may_raise

_IDENTITIES = {"np::multiply": (1, True), "np::divide": (1, False), "np::add": (0, True), "np::subtract": (0, False)}


def peephole(graph: Graph) -> int:
    """Apply the rules everywhere in ``graph``; returns how many rewrites were made."""
    rewrites = 0
    db = AliasDb(graph)
    for node in list(graph.all_nodes()):
        if not node.is_inserted():
            continue
        replacement = _rewrite(node)
        if replacement is not None and node.kind != "np::transpose" \
                and (db.is_written(node.output) or db.is_written(replacement)):
            continue  # a copy of an array that is written: one of them would see the other's writes
        if replacement is not None:
            node.output.replace_all_uses_with(replacement)
            node.destroy()
            rewrites += 1
    return rewrites


def _rewrite(node: Node) -> Value | None:
    kind = node.kind
    if kind in _IDENTITIES:
        return _forward(node, _identity_operand(node, *_IDENTITIES[kind]))
    if kind == "np::astype":
        source, dtype = node.inputs[0], constant_value(node.inputs[1])
        known = source.type.dtype if isinstance(source.type, T.TensorType) else None
        if known is not None and dtype is not NOT_CONSTANT and _same_dtype(known, dtype):
            return _forward(node, source)
        return None
    if kind == "np::transpose":
        return _forward(node, _cancelled_transposes(node))
    if kind in ("np::shape", "np::ndim", "np::size", "np::dtype", "prim::len"):
        value = _known_property(kind, node.inputs[0].type)
        if value is not None:
            return insert_constant(value, node, node.output.type)
    return None


def _identity_operand(node: Node, neutral, commutes: bool):
    left, right = node.inputs
    if _is_number(right, neutral):
        return left
    if commutes and _is_number(left, neutral):
        return right
    return None


def _is_number(value: Value, expected) -> bool:
    constant = constant_value(value)
    return type(constant) in (int, float) and constant == expected


def _forward(node: Node, source: Value | None) -> Value | None:
    """``source`` if ``node``'s result may be replaced by it, else None."""
    if source is None or not _exactly_known(source.type) or source.type != node.output.type or may_raise(node):
        return None
    if isinstance(source.type, T.TensorType) and escapes(node.output):
        return None
    return source


def _exactly_known(kind: T.Type) -> bool:
    if isinstance(kind, T.TensorType):
        return kind.dtype is not None and kind.shape is not None
    return kind in (T.INT, T.BOOL)  # a float is not: -0.0 + 0 is printed 0.0


def _same_dtype(known: np.dtype, requested) -> bool:
    try:
        return np.dtype(requested) == known
    except TypeError:
        return False


def _cancelled_transposes(node: Node) -> Value | None:
    inner = node.inputs[0].node
    if inner.kind != "np::transpose":
        return None
    source = inner.inputs[0]
    if not isinstance(source.type, T.TensorType) or source.type.ndim is None:
        return None
    order = list(range(source.type.ndim))
    for axes in (constant_value(inner.inputs[1]), constant_value(node.inputs[1])):
        if axes is NOT_CONSTANT:
            return None
        if axes is None:
            permutation = list(reversed(range(len(order))))
        else:  # x.transpose(0) of a 1-d array: one int
            permutation = [axes] if isinstance(axes, int) else list(axes)
        if sorted(permutation) != list(range(len(order))):
            return None
        order = [order[axis] for axis in permutation]
    return source if order == list(range(len(order))) else None


def _known_property(kind: str, source: T.Type):
    if not isinstance(source, T.TensorType):
        return None
    shape = source.shape
    if kind == "np::dtype":
        return source.dtype
    if kind == "np::ndim":
        return None if shape is None else len(shape)
    if shape is None or None in (shape if kind != "prim::len" else shape[:1]):
        return None
    if kind == "np::shape":
        return shape
    if kind == "np::size":
        return int(np.prod(shape, dtype=np.int64))
    return shape[0] if shape else None
