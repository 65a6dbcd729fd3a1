"""The alias analysis (jit.ir.alias_analysis) and the passes that ask it: which
values may share memory, which nodes write it, and CSE, DCE, peephole forwarding,
constant propagation, loop unrolling and expression inlining kept correct across
writes. Results are checked against eager NumPy on copies of the same inputs."""
from __future__ import annotations

import copy

import numpy as np

from jit import types as T
from jit.ir.alias_analysis import EXTERNAL, AliasDb, values_not_to_move
from jit.ir.expression_inlining import inlinable_values
from jit.passes import (eliminate_common_subexpressions, eliminate_dead_code, peephole, propagate_constants,
                        propagate_types, unroll_loops)

from ...helpers import assert_same, kinds_of, run_graph, script_source, transformed

F64 = T.TensorType(np.dtype(np.float64), (4, 5))


def _matrix():
    return np.arange(20.0).reshape(4, 5) / 7 - 1


def _value(graph, name):
    return next(v for n in graph.all_nodes() for v in n.outputs if v.has_debug_name() and v.debug_name == name)


def _same_on_copies(graph, scripted, eager, *args):
    mine, theirs = copy.deepcopy(args), copy.deepcopy(args)
    assert_same(run_graph(graph, scripted, *mine), eager(*theirs))
    assert_same(mine, theirs, "the arguments after the call")


def test_views_share_memory_with_their_base_and_new_arrays_do_not():
    scripted, _ = script_source("""
        def f(x, y):
            v = x[1:3]
            t = v.T
            fresh = x * 2.0
            other = fresh + 1.0
            fresh[0] = 1.0
            return t, other, y
    """)
    graph = scripted.graph
    db = AliasDb(graph)
    x, y = graph.inputs
    v, t, fresh, other = (_value(graph, n) for n in ("v", "t", "fresh", "other"))
    assert db.may_alias(v, x) and db.may_alias(t, x)
    assert db.may_alias(x, y)  # a caller may pass one array twice
    assert db.memory(x) == EXTERNAL
    assert not db.may_alias(fresh, x) and not db.may_alias(fresh, other)
    assert db.is_written(fresh) and not db.is_written(other) and not db.is_written(x)


def test_loop_carried_values_and_if_results_alias_what_they_come_from():
    scripted, _ = script_source("""
        def f(x, flag: bool):
            a = x * 1.0
            b = x + 1.0
            for i in range(3):
                a = a[::1]
            if flag:
                c = b
            else:
                c = b.T
            c[0] = 0.0
            return a, c
    """)
    graph = scripted.graph
    db = AliasDb(graph)
    loop = next(n for n in graph.block.nodes if n.kind == "prim::Loop")
    first = loop.inputs[2]
    assert db.may_alias(loop.outputs[0], first)
    written = next(n for n in graph.block.nodes if n.kind == "np::setitem").inputs[0]
    assert db.is_written(written) and db.may_alias(written, _value(graph, "b"))
    assert not db.is_written(first)


def test_cse_does_not_merge_two_reads_with_a_write_between():
    scripted, eager = script_source("""
        def f(x):
            s1 = np.tanh(x).sum()
            x[0] = 10.0
            s2 = np.tanh(x).sum()
            s3 = np.tanh(x).sum()
            return s1, s2, s3
    """)
    graph, removed = transformed(scripted, eliminate_common_subexpressions)
    assert kinds_of(graph).count("np::tanh") == 2  # s3 repeats s2 (no write between); s1 stays apart
    assert removed >= 2
    _same_on_copies(graph, scripted, eager, _matrix())


def test_cse_keeps_reads_in_a_loop_apart_from_reads_before_it_when_the_loop_writes():
    scripted, eager = script_source("""
        def f(x):
            before = x.sum()
            total = x.sum() * 0.0
            for i in range(3):
                total = total + x.sum()
                x[i] = 5.0
            return before, total
    """)
    graph, _ = transformed(scripted, eliminate_common_subexpressions)
    assert kinds_of(graph).count("np::sum") == 2  # the two before the loop merge; the one in it stays
    _same_on_copies(graph, scripted, eager, _matrix())


def test_cse_never_merges_an_array_that_is_written():
    scripted, eager = script_source("""
        def f(x):
            a = x + 1.0
            b = x + 1.0
            a[0] = -5.0
            return b.sum(), a.sum()
    """)
    graph, _ = transformed(scripted, eliminate_common_subexpressions)
    assert kinds_of(graph).count("np::add") == 2
    _same_on_copies(graph, scripted, eager, _matrix())


def test_dead_code_keeps_writes_and_the_views_they_write_through():
    scripted, eager = script_source("""
        def f(x):
            local = np.zeros(3)
            local[0] = 1.0
            v = x[1]
            v[:] = 2.0
            y = x * 3.0
            y += 1.0
            return x
    """)
    graph, _ = transformed(scripted, eliminate_dead_code)
    kinds = kinds_of(graph)
    assert kinds.count("np::setitem") == 2 and "np::iadd" in kinds and kinds.count("np::getitem") == 1
    _same_on_copies(graph, scripted, eager, _matrix())


def _typed_peephole(graph):
    propagate_types(graph)
    return peephole(graph)


def test_peephole_does_not_forward_a_copy_that_is_written():
    scripted, eager = script_source("""
        def f(x):
            y = x * 1
            x[0] = 7.0
            z = x.astype(np.float64)
            z[1] = -7.0
            return y.sum(), x.sum(), z.sum()
    """)
    graph, _ = transformed(scripted, _typed_peephole, F64)
    assert "np::multiply" in kinds_of(graph) and "np::astype" in kinds_of(graph)
    _same_on_copies(graph, scripted, eager, _matrix())
    # nothing written: x * 1 still becomes x
    plain, _ = script_source("def g(x):\n    y = x * 1\n    return y.sum()\n")
    graph, rewrites = transformed(plain, _typed_peephole, F64)
    assert rewrites == 1 and "np::multiply" not in kinds_of(graph)


def test_constant_propagation_does_not_fold_an_array_that_is_written():
    scripted, eager = script_source("""
        def f(x):
            acc = np.zeros(3) + 1.0
            acc[0] += 1.0
            return acc + x.sum()
    """)
    graph, _ = transformed(scripted, propagate_constants)
    for _ in range(3):  # a folded constant written at run time would change every later call
        _same_on_copies(graph, scripted, eager, _matrix())
    for _ in range(3):
        assert_same(scripted(_matrix()), eager(_matrix()))


def test_unrolled_loops_keep_the_order_of_writes():
    scripted, eager = script_source("""
        def f(x):
            out = np.zeros((3, 5))
            for i in range(3):
                out[i] = x[i] + out[i - 1]
            return out
    """)
    graph, unrolled = transformed(scripted, unroll_loops)
    assert unrolled == 1 and "prim::Loop" not in kinds_of(graph)
    _same_on_copies(graph, scripted, eager, _matrix())


def test_inlined_expressions_are_not_moved_past_a_write():
    scripted, eager = script_source("""
        def f(x):
            y = x * 2.0
            x[0] = 100.0
            return y + 1.0
    """)
    graph = scripted.graph
    candidates = inlinable_values(graph.block)
    y = id(_value(graph, "y"))
    assert y in values_not_to_move(graph.block, candidates | {y})
    _same_on_copies(graph, scripted, eager, _matrix())
    assert "y = x * 2" in scripted.code and "x[0] = 100.0" in scripted.code


def test_a_read_of_written_memory_is_inlined_where_no_write_comes_between():
    """``cell(xs[i], h)``: the read runs right before the call, where it was written."""
    scripted, eager = script_source("""
        def f(xs, h):
            for i in range(xs.shape[0]):
                v = xs[i]
                h = np.tanh(v + h)
                xs[i] = h
            return h
    """)
    assert "np.tanh(xs[i] + h0)" in scripted.code
    _same_on_copies(scripted.graph, scripted, eager, _matrix(), _matrix()[0])
