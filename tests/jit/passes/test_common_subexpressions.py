"""CSE merges repeated pure computations and equal constants where the first
dominates the second, and keeps random draws, mutable containers, calls and
pairs of returned arrays apart."""
from __future__ import annotations

import numpy as np

from jit.passes import eliminate_common_subexpressions

from ...helpers import assert_same, kinds_of, run_graph, script_source, transformed


def test_merges_repeats_inside_branches_and_loops():
    scripted, eager = script_source("""
        def f(x, flag: bool):
            a = np.tanh(x) + 1.0
            b = np.tanh(x) + 1.0
            if flag:
                c = np.tanh(x) * 2.0
            else:
                c = np.exp(x)
            total = a
            for i in range(3):
                total = total + np.tanh(x)
            return a * b + c + total
    """)
    graph, removed = transformed(scripted, eliminate_common_subexpressions)
    assert removed >= 4
    assert kinds_of(graph).count("np::tanh") == 1
    x = np.linspace(-1, 1, 5)
    for flag in (True, False):
        assert_same(run_graph(graph, scripted, x, flag), eager(x, flag))


def test_keeps_random_draws_lists_and_two_returned_arrays_apart():
    scripted, _ = script_source("""
        def f(x):
            r1 = np.random.rand(3)
            r2 = np.random.rand(3)
            l1 = [1, 2]
            l2 = [1, 2]
            l1.append(3)
            return x + 1.0, x + 1.0, r1 + r2, len(l1) + len(l2)
    """)
    graph, _ = transformed(scripted, eliminate_common_subexpressions)
    kinds = kinds_of(graph)
    assert kinds.count("np::random.random") == 2 and kinds.count("prim::ListConstruct") == 2
    assert kinds.count("np::add") == 4, "both returned x + 1.0 stay: a caller may write to one"
    first, second, _, lengths = run_graph(graph, scripted, np.zeros(3))
    assert first is not second and lengths == 5


def test_what_a_branch_computes_is_not_reused_after_it_or_in_its_sibling():
    branches = "".join(f"    if n > {k}:\n        y = y + np.cos(x) * {k}.0 + np.cos(x)\n    else:\n        y = y - np.cos(x)\n"
                       for k in range(300))  # many sibling blocks: each sees only what dominates it
    scripted, eager = script_source(f"def f(x, n: int):\n    y = x\n{branches}    return y + np.cos(x)\n")
    graph, removed = transformed(scripted, eliminate_common_subexpressions)
    assert kinds_of(graph).count("np::cos") == 601  # one in each branch, and the one after them
    assert removed >= 300  # the second cos of each then-branch
    x = np.linspace(-1, 1, 5)
    for n in (0, 150, 300):
        assert_same(run_graph(graph, scripted, x, n), eager(x, n))
