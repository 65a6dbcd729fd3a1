"""Constant propagation folds pure nodes of constants, takes constant branches,
drops loops that never run, unpacks constant tuples, and leaves effects, random
draws, errors and escaping arrays alone."""
from __future__ import annotations

import numpy as np

from jit.passes import propagate_constants

from ...helpers import assert_same, kinds_of, run_graph, script_source, transformed


def test_folds_arithmetic_branches_loops_and_unpacks():
    scripted, eager = script_source("""
        def f(x):
            a, b = (2, 3)
            n = a * b + 1
            if n > 5:
                y = x * n
            else:
                y = x - n
            for i in range(0):
                y = y + 100.0
            return y + float(a)
    """)
    graph, count = transformed(scripted, propagate_constants)
    assert count >= 4
    kinds = kinds_of(graph)
    assert "prim::If" not in kinds and "prim::Loop" not in kinds and "prim::TupleUnpack" not in kinds
    assert kinds.count("np::multiply") == 1 and "np::subtract" not in kinds
    x = np.arange(6.0)
    assert_same(run_graph(graph, scripted, x), eager(x))


def test_keeps_effects_randomness_errors_and_returned_arrays():
    scripted, eager = script_source("""
        def f(x, flag: bool):
            print("once")
            noise = np.random.rand(2)
            zero = 1 // 0 if flag else 0
            made = np.zeros(3)
            inside = np.ones(3) * 2.0
            return x + inside, made, noise.shape[0] + zero
    """)
    graph, _ = transformed(scripted, propagate_constants)
    kinds = kinds_of(graph)
    assert "prim::print" in kinds and "np::random.random" in kinds and "np::shape" in kinds
    assert "np::floor_divide" in kinds, "1 // 0 raises when it runs, not when folded"
    assert "np::zeros" in kinds, "a returned array stays a fresh array each call"
    assert "np::ones" not in kinds and "np::multiply" not in kinds, "an array only read is folded"
    result = run_graph(graph, scripted, np.arange(3.0), False)
    assert result[1] is not run_graph(graph, scripted, np.arange(3.0), False)[1]
    assert_same(result[0], eager(np.arange(3.0), False)[0])
