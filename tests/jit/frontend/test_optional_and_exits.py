"""Optional and None with refinement, raise, assert, print, isinstance,
jit.annotate and jit.is_scripting."""
from __future__ import annotations

import numpy as np
import pytest

import jit

from ...helpers import assert_matches_eager, node_kinds, script_source

COVERS = {"prim::is", "prim::is_not", "prim::unchecked_cast", "prim::print", "prim::RaiseException",
          "prim::Uninitialized", "prim::annotate", "prim::str"}


def test_the_seeds_optional_unwrap():
    function = assert_matches_eager('''
    def f(x: Optional[int], y: Optional[int], z: Optional[int]) -> int:
        if x is None:
            x = 1
        x = x + 1
        if y is not None and z is not None:
            x = y + z
        return x
    ''', (None, None, None), (5, None, 3), (None, 2, 3), (4, 2, 3))
    assert "prim::unchecked_cast" in set(node_kinds(function)) and "prim::is" in set(node_kinds(function))


def test_refinement_through_or_and_early_return():
    assert_matches_eager('''
    def f(x: Optional[int], y: Optional[float]) -> float:
        if x is None or y is None:
            return 0.0
        return x * y
    ''', (None, 1.5), (2, None), (2, 1.5))


def test_refinement_in_else_branches_with_not_and_ternaries():
    assert_matches_eager('''
    def f(x: Optional[int], n: int) -> int:
        if not (x is not None):
            r = n
        else:
            r = x * 10
        s = x + 1 if x is not None else -1
        t = 0 if x is None else x
        return r + s + t
    ''', (None, 3), (4, 3))


def test_optional_tensor_argument():
    function = assert_matches_eager('''
    def f(x, bias: Optional[Tensor] = None, scale: Optional[float] = None):
        if bias is not None:
            x = x + bias
        if scale is not None:
            x = x * scale
        return x
    ''', (np.ones(3), None, None), (np.ones(3), np.arange(3.0), None), (np.ones(3), np.arange(3.0), 2.0))
    assert function(np.ones(2)).tolist() == [1.0, 1.0]


def test_assert_raises_and_refines():
    function, eager = script_source('''
    def f(x: Optional[int], n: int) -> int:
        assert x is not None, "x is needed"
        assert n > 0, "n must be positive, got " + str(n)
        return x + n
    ''')
    assert function(2, 3) == 5
    with pytest.raises(jit.Error, match="AssertionError: x is needed"):
        function(None, 3)
    with pytest.raises(jit.Error, match="AssertionError: n must be positive, got -1"):
        function(2, -1)
    with pytest.raises(AssertionError):
        eager(None, 3)


def test_raise_in_a_branch_is_an_exit():
    function, eager = script_source('''
    def f(x: Optional[int], n: int) -> int:
        if x is None:
            raise ValueError("x is missing")
        if n < 0:
            raise ValueError("negative n: " + str(n))
        else:
            y = n * 2
        return x + y
    ''')
    assert function(1, 3) == eager(1, 3) == 7
    with pytest.raises(jit.Error, match="ValueError: x is missing"):
        function(None, 3)
    with pytest.raises(jit.Error, match="ValueError: negative n: -2"):
        function(1, -2)
    assert "prim::Uninitialized" in set(node_kinds(function))
    assert "raise ValueError(" in function.code


def test_returning_if_with_a_raising_branch():
    function, _ = script_source('''
    def f(x, n: int):
        if n > 0:
            return x * float(n)
        else:
            raise RuntimeError()
    ''')
    assert function(np.ones(2), 2).tolist() == [2.0, 2.0]
    with pytest.raises(jit.Error, match="^RuntimeError$"):
        function(np.ones(2), 0)


def test_conditions_known_at_compile_time_emit_one_branch():
    function = assert_matches_eager('''
    def f(x, n: int):
        if x is None:
            y = n + "never compiled"
        else:
            y = x * 2.0
        if isinstance(n, int) and True:
            y = y + 1.0
        if isinstance(n, float):
            y = y.undefined_method()
        return y
    ''', (np.ones(2), 3))
    assert set(node_kinds(function)) <= {"prim::Constant", "np::multiply", "np::add"}


def test_isinstance_refines_optionals():
    assert_matches_eager('''
    def f(x: Optional[int]) -> int:
        if isinstance(x, int):
            return x + 1
        return 0
    ''', (None,), (4,))
    assert_matches_eager('''
    def f(x: Optional[int]) -> bool:
        return jit.isinstance(x, Optional[int]) and not isinstance(x, (float, str))
    ''', (None,), (1,))


def test_annotated_none_can_be_reassigned():
    assert_matches_eager('''
    def f(n: int) -> int:
        x: Optional[int] = None
        y = jit.annotate(Optional[int], None)
        if n > 0:
            x = n
            y = 2 * n
        if x is None or y is None:
            return -1
        return x + y
    ''', (3,), (-3,))


def test_is_scripting_is_true_only_in_script_code():
    function, eager = script_source('''
    def f(x):
        if jit.is_scripting():
            return x + 1.0
        else:
            return x - 1.0
    ''')
    assert function(np.zeros(1)).tolist() == [1.0] and eager(np.zeros(1)).tolist() == [-1.0]


def test_print_writes_what_eager_writes(capsys):
    function, eager = script_source('''
    def f(x, n: int):
        print("n is", n, "and x is", x)
        print(n * 2.5, str(n) + "!", n is None)
        return x
    ''')
    eager(np.arange(3), 4)
    expected = capsys.readouterr().out
    function(np.arange(3), 4)
    assert capsys.readouterr().out == expected
    assert "prim::print" in set(node_kinds(function))


def test_identity_comparisons():
    assert_matches_eager("def f(x, y):\n    return x is y, x is not y\n", (np.ones(2), np.ones(2)))
    a = np.ones(2)
    assert_matches_eager("def f(x, y):\n    return x is y\n", (a, a))


def test_optional_without_refinement_is_an_error_with_a_hint():
    with pytest.raises(jit.CompilationError, match="it may be None here: check 'if x is not None:' first"):
        script_source("def f(x: Optional[int]) -> int:\n    return x + 1\n")
    with pytest.raises(jit.CompilationError, match="Type mismatch: r is set to type int in the true branch"):
        script_source("def f(x: Optional[int]):\n    if x is None:\n        r = 1\n    else:\n        r = 'a'\n"
                      "    return r\n")


def test_eager_helpers():
    from typing import Dict, List, Optional, Tuple

    assert jit.isinstance([1, 2], List[int]) and not jit.isinstance([1.5], List[int])
    assert jit.isinstance(None, Optional[int]) and jit.isinstance({"a": 1}, Dict[str, int])
    assert jit.isinstance((1, np.ones(2)), Tuple[int, jit.Tensor]) and not jit.isinstance(True, int)
    assert jit.annotate(List[int], []) == [] and jit.is_scripting() is False
    with pytest.raises(TypeError, match="not a type the script language knows"):
        jit.isinstance(1, set)
