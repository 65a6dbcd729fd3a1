"""Sample inputs and the per-op check used by the op tests.

``assert_op_matches_eager(op_name, source, *args)`` scripts the one-op function in ``source``,
asserts its graph really contains ``op_name`` (so what a test claims to cover is
true), runs it and the eager function (equal results, or the same exception),
and checks the op's type rule: the refined type it predicts from the argument
types contains the result's actual dtype, shape and device.
"""
from __future__ import annotations

import numpy as np

from jit import types as T

from ...helpers import refined_result_type, run_both, script_source

DTYPES = [np.float32, np.float64, np.int32, np.int64, np.bool_]
FLOATS = [np.float32, np.float64]
_cache: dict = {}


def scripted(source):
    if source not in _cache:
        _cache[source] = script_source(source)
    return _cache[source]


def assert_op_matches_eager(op_name, source, *args):
    function, eager = scripted(source)
    kinds = {node.kind for node in function.graph.all_nodes()}
    assert op_name in kinds, f"{op_name} is not in the graph of:\n{source}\n{function.graph}"
    with np.errstate(all="ignore"):
        outcome = run_both(function, eager, *args)
    if isinstance(outcome, Exception) or any(node.blocks for node in function.graph.all_nodes()):
        return outcome
    predicted = refined_result_type(function.graph, args)
    actual = T.refined_type_of_value(outcome)
    assert actual.is_subtype_of(predicted), f"{op_name}: the rule predicts {predicted}, the result is {actual}"
    if isinstance(actual, T.TensorType):
        # same_dtype, not ==: np.dtype("float64") == None is True, so == passes a rule that gives no dtype
        assert T.same_dtype(predicted.dtype, actual.dtype), \
            f"{op_name}: predicted dtype {predicted.dtype}, got {actual.dtype}"
    return outcome


def array(dtype, shape, seed=0, special=True):
    """A sample array; floats get NaN, infinities and signed zeros when large enough."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    if np.issubdtype(dtype, np.integer):
        return rng.integers(-6, 7, shape).astype(dtype)
    values = (rng.standard_normal(shape) * 2.5).astype(dtype)
    if special and values.size >= 12:
        flat = values.reshape(-1)
        flat[[1, 4, 7, 9, 11]] = [np.nan, np.inf, -np.inf, 0.0, -0.0]
    return values


def unary_layouts(dtype, seed=0):
    """(name, array): 0-d, 0-size, contiguous, strided view, transposed view."""
    yield "0-d", array(dtype, (), seed)
    yield "0-size", array(dtype, (0, 3), seed)
    yield "contiguous", array(dtype, (3, 4), seed)
    yield "strided", array(dtype, (3, 8), seed)[:, ::2]
    yield "transposed", array(dtype, (4, 3), seed).T


def binary_layouts(left, right):
    """(name, a, b) pairs of array layouts, broadcasting included."""
    yield "same", array(left, (3, 4), 1), array(right, (3, 4), 2)
    yield "broadcast", array(left, (3, 1), 1), array(right, (4,), 2)
    yield "0-d", array(left, (), 1), array(right, (3, 4), 2)
    yield "0-size", array(left, (0, 3), 1), array(right, (3,), 2)
    yield "views", array(left, (3, 8), 1)[:, ::2], array(right, (4, 3), 2).T


def python_value(kind, seed=0):
    return {"int": [3, -2, 0][seed % 3], "float": [1.5, -0.25, 2.0][seed % 3], "bool": [True, False][seed % 2]}[kind]
