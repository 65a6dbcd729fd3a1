"""Unrolling copies the body of small constant loops without break; loops with
a break, a variable or large trip count, or a big body stay."""
from __future__ import annotations

import numpy as np

from jit.ir import cloning
from jit.passes import propagate_constants, unroll_loops

from ...helpers import assert_same, kinds_of, run_graph, script_source, transformed


def test_small_loops_unroll_inner_first():
    scripted, eager = script_source("""
        def f(x):
            total = x
            for i in range(3):
                for j in range(2):
                    total = total * 0.5 + float(i * j)
            return total
    """)
    graph, count = transformed(scripted, unroll_loops)
    assert count == 2  # the inner loop (in the body), then the outer, whose copies hold the unrolled inner one
    assert "prim::Loop" not in kinds_of(graph) and kinds_of(graph).count("np::multiply") == 12  # total * 0.5 and i * j, 6 times
    propagate_constants(graph)
    x = np.arange(4.0)
    assert_same(run_graph(graph, scripted, x), eager(x))


def test_loops_that_must_stay():
    scripted, eager = script_source("""
        def f(x, n: int):
            for i in range(n):
                x = x + 1.0
            for i in range(100):
                x = x * 1.01
            for i in range(4):
                if float(x.sum()) > 1000.0:
                    break
                x = x * 2.0
            return x
    """)
    graph, count = transformed(scripted, unroll_loops)
    assert count == 0 and kinds_of(graph).count("prim::Loop") == 3
    for n in (0, 3):
        assert_same(run_graph(graph, scripted, np.arange(3.0), n), eager(np.arange(3.0), n))


def test_nested_single_trip_loops_unroll_without_copies(monkeypatch):
    depth = 20  # as deep as Python nests loops
    headers = "".join("    " * (level + 1) + f"for i{level} in range(1):\n" for level in range(depth))
    scripted, eager = script_source(f"def f(x):\n    y = x\n{headers}" + "    " * (depth + 1)
                                    + "y = y * 0.5 + float(i0 + i19)\n    return y\n")
    copied = []
    original = cloning.copy_node
    monkeypatch.setattr(cloning, "copy_node", lambda *args, **kwargs: copied.append(1) or original(*args, **kwargs))
    graph, count = transformed(scripted, unroll_loops)
    monkeypatch.undo()
    assert count == depth and "prim::Loop" not in kinds_of(graph)
    assert len(copied) == sum(1 for _ in scripted.graph.all_nodes())  # only transformed's copy of the graph
    x = np.arange(3.0)
    assert_same(run_graph(graph, scripted, x), eager(x))
