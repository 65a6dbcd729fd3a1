"""The fuser across writes: a group never moves a read of memory across a write
of it (the write is a barrier, as the alias analysis says), a pair of equal
reads with a write between stays two reads, and the results and the written
arrays equal eager NumPy's after the optimized specialization runs. Writes
themselves stay setitem nodes; a group that ends in one may write into its view
(fuser.inplace_store, tests/fuser/test_inplace_store.py)."""
from __future__ import annotations

import numpy as np

from ..helpers import optimized_against_eager, script_source


def _array(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _optimized(source, *args, calls=3):
    """Run the scripted function ``calls`` times on copies of ``args`` against eager;
    the last optimized graph."""
    scripted, eager = script_source(source)
    return optimized_against_eager(scripted, eager, args, calls)


def _group_contents(graph):
    return [[n.kind for n in node["Subgraph"].block.nodes if n.kind != "prim::Constant"]
            for node in graph.all_nodes() if node.kind == "prim::FusionGroup"]


def _top_level(graph):
    return [n for n in graph.block.nodes if n.kind != "prim::Constant"]


def test_groups_do_not_move_reads_across_a_write():
    graph = _optimized("""
    def f(x, y):
        a = x * 2.0 + y
        x[0] = 0.0
        b = x * 2.0 + y
        return a - 1.0, b - 1.0
    """, _array(4, 5), _array(4, 5, seed=1))
    nodes = _top_level(graph)
    write = next(i for i, n in enumerate(nodes) if n.kind == "np::setitem")
    groups = [i for i, n in enumerate(nodes) if n.kind == "prim::FusionGroup"]
    assert len(groups) == 2 and groups[0] < write < groups[1]  # the two equal reads stay apart
    assert all(kinds.count("np::multiply") == 1 for kinds in _group_contents(graph))


def test_in_place_arithmetic_between_fused_reads():
    graph = _optimized("""
    def f(x, y):
        t = np.tanh(x) * y
        x += 1.0
        u = np.exp(x) * y + t
        x *= u
        return t, u
    """, _array(3, 7), _array(3, 7, seed=1))
    kinds = [n.kind for n in _top_level(graph)]
    assert kinds.count("np::iadd") == 1 and kinds.count("np::imul") == 1


def test_row_update_through_a_view_in_a_loop():
    _optimized("""
    def f(xs, w: float):
        h = np.zeros((xs.shape[0], xs.shape[1]), dtype=np.float32)
        prev = np.zeros(xs.shape[0], dtype=np.float32)
        for t in range(xs.shape[1]):
            prev = np.tanh(xs[:, t] * 0.5 + prev * w)
            h[:, t] = prev
        return h
    """, _array(5, 9), 0.25)


def test_a_write_into_an_input_read_at_another_offset():
    # out[1:] reads what out[:-1] = ... has just written: NumPy computes the right side first
    _optimized("""
    def f(out, y):
        out[:-1] = out[1:] * 2.0 + y[1:]
        out[1:] += out[:-1] * 0.5
        return out
    """, _array(12), _array(12, seed=1))
