"""break and continue, lowered to structured control flow, against eager."""
from __future__ import annotations

import numpy as np
import pytest

from ...helpers import assert_matches_eager, script_source


def test_the_seeds_break_and_continue_example(capsys):
    scripted, eager = script_source('''
    def f(n: int):
        for i in range(n):
            if i == 1:
                continue
            if i == 3:
                break
            print(i)
    ''')
    eager(5)
    expected = capsys.readouterr().out
    scripted(5)
    assert capsys.readouterr().out == expected == "0\n2\n"


def test_break_deep_in_branches_and_continue():
    function = assert_matches_eager('''
    def f(x, n: int):
        total = 0.0
        for i in range(n):
            if i % 2 == 1:
                continue
            value = float(x[i])
            if value < 0:
                if i > 2:
                    break
                total = total - 1.0
                continue
            total = total + value
        return total
    ''', *[(np.array([1.0, 5.0, -2.0, 7.0, -1.0, 3.0, 4.0, 8.0]), n) for n in (0, 1, 3, 8)])
    assert "break" not in str(function.graph)


def test_trailing_if_break_needs_no_flag():
    function = assert_matches_eager('''
    def f(n: int):
        k = 0
        for i in range(n):
            k = k + i
            if k > 10:
                break
        return k
    ''', (3,), (20,))
    assert function.code.splitlines()[2:6] == ["    for i in range(n):", "        k0 = k + i", "        k = k0",
                                                "        if k0 > 10: break"]


def test_while_loops_with_break_and_continue():
    assert_matches_eager('''
    def f(n: int):
        j = 0
        total = 0
        while j < n:
            j += 1
            if j == 3:
                continue
            if j > 6:
                break
            total += j
        k = 0
        while True:
            k += 2
            if k >= n:
                break
        return total, j, k
    ''', (0,), (4,), (10,))


def test_nested_loops_break_only_the_inner_one():
    assert_matches_eager('''
    def f(n: int):
        pairs = 0
        for i in range(n):
            for j in range(n):
                if j > i:
                    break
                if (i + j) % 3 == 0:
                    continue
                pairs += 1
            if pairs > 7:
                break
        return pairs
    ''', (0,), (4,), (9,))


def test_loop_with_break_reads_like_python():
    function, _ = script_source('''
    def f(x, n: int):
        for i in range(n):
            x = x * 2.0
            if float(x.sum()) > 100.0:
                break
        return x
    ''')
    assert "for i in range(n):" in function.code and "break" in function.code
    np.testing.assert_array_equal(function(np.ones(3), 10), np.full(3, 64.0))


@pytest.mark.parametrize("n", [0, 5])
def test_broken_flag_does_not_clash_with_a_user_variable(n):
    assert_matches_eager('''
    def f(n: int):
        broken = 7
        for i in range(n):
            if i == 2:
                broken = broken + 1
                break
            broken = broken * 2
        return broken
    ''', (n,))
