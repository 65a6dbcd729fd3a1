"""Peephole rules on specialized types: identities, same-dtype astype, shape
queries of known shapes, double transposes; none where the types do not prove
them or where forwarding would let a returned array alias an input."""
from __future__ import annotations

import numpy as np

from jit import types as T
from jit.passes import eliminate_dead_code, peephole, propagate_constants, propagate_types

from ...helpers import assert_same, kinds_of, run_graph, script_source, transformed

F32 = T.TensorType(np.float32, (4, 3), "cpu")


def _rewritten(graph):
    propagate_types(graph)
    count = peephole(graph)
    propagate_constants(graph)
    eliminate_dead_code(graph)
    return count


def test_rules_fire_on_known_types_and_results_are_unchanged():
    scripted, eager = script_source("""
        def f(x):
            y = (x * 1 + 0 - 0) / 1
            z = y.astype(np.float32)
            w = z.T.T
            rows, cols = w.shape
            return np.tanh(w) * (rows + cols + w.ndim + w.size + len(w))
    """)
    graph, count = transformed(scripted, _rewritten, F32)
    kinds = kinds_of(graph)
    assert count >= 9
    for gone in ("np::multiply", "np::add", "np::subtract", "np::divide", "np::astype", "np::transpose", "np::shape"):
        assert gone not in kinds or (gone == "np::multiply" and kinds.count(gone) == 1), gone
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert_same(run_graph(graph, scripted, x), eager(x))


def test_no_rewrite_without_proof_or_when_the_result_escapes():
    scripted, eager = script_source("""
        def f(x, i):
            a = np.tanh(x * 1.0)
            b = i * 1.0
            return a, x + 0, x.astype(np.float64), b
    """)
    int_type = T.TensorType(np.int64, (4, 3), "cpu")
    graph, count = transformed(scripted, _rewritten, F32, int_type)
    assert count == 1, "only x * 1.0 inside tanh: x + 0 is returned, astype changes dtype, int * 1.0 is float"
    x, i = np.ones((4, 3), np.float32), np.ones((4, 3), np.int64)
    result = run_graph(graph, scripted, x, i)
    assert result[1] is not x
    assert_same(result, eager(x, i))


def test_transposes_that_do_not_cancel_stay():
    scripted, eager = script_source("""
        def f(x):
            return x.transpose(1, 0, 2).transpose(0, 2, 1) + 1.0
    """)
    graph, count = transformed(scripted, _rewritten, T.TensorType(np.float32, (2, 3, 4), "cpu"))
    assert count == 0 and kinds_of(graph).count("np::transpose") == 2
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    assert_same(run_graph(graph, scripted, x), eager(x))
