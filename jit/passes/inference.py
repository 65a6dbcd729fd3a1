"""Rewrites for inference, after freezing: dropout that does not train goes, and
Linear layers with constant weights get their weights transposed once, ahead of
time, so each call multiplies by a C-contiguous ``weight.T``."""
from __future__ import annotations

from jit.ir import Graph, constant_value
from jit.ir.constants import insert_constant
from jit.ops import NOT_CONSTANT

import device as _device


def remove_dropout(graph: Graph) -> int:
    """Replace ``nn::dropout(x, p, training=False)`` (and p == 0) by x, which is what
    it returns; returns how many went. (An integer x, which dropout rejects, then
    passes through: inference code has already run it in training.)"""
    removed = 0
    for node in list(graph.all_nodes()):
        if node.kind != "nn::dropout":
            continue
        p, training = constant_value(node.inputs[1]), constant_value(node.inputs[2])
        if type(p) is float and 0.0 <= p <= 1.0 and (training is False or p == 0.0):
            node.output.replace_all_uses_with(node.inputs[0])
            node.destroy()
            removed += 1
    return removed


def pretranspose_linear_weights(graph: Graph) -> int:
    """``nn::linear(x, W, b)`` with W a constant becomes ``x @ Wt + b`` with Wt the
    C-contiguous transpose of W, made once here; returns how many were rewritten."""
    rewritten = 0
    for node in list(graph.all_nodes()):
        if node.kind != "nn::linear":
            continue
        weight = constant_value(node.inputs[1])
        if weight is NOT_CONSTANT or not _device.is_array(weight) or weight.ndim != 2:
            continue
        xp = _device.array_module(weight)
        transposed = insert_constant(xp.ascontiguousarray(weight.T), node)
        product = graph.create("np::matmul", [node.inputs[0], transposed], [node.output.type], node.source_range)
        product.insert_before(node)
        result = product.output
        if constant_value(node.inputs[2]) is not None:
            added = graph.create("np::add", [result, node.inputs[2]], [node.output.type], node.source_range)
            added.insert_before(node)
            result = added.output
        node.output.replace_all_uses_with(result)
        node.destroy()
        rewritten += 1
    return rewritten
