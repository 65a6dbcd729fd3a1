"""Each construct of the first language subset, scripted and compared with the
same function run eagerly (every function here also round-trips through .code)."""
from __future__ import annotations

import numpy as np
import pytest

import jit

from ...helpers import assert_matches_eager, assert_same, define, node_kinds, script_source

COVERS = {"prim::Constant", "prim::If", "prim::Loop"}

X = np.array([[0.5, -1.0, 2.0], [3.0, -0.25, 0.0]], np.float32)
Y = np.array([[1.5, 2.0, -3.0], [0.5, 1.0, 4.0]], np.float32)


def assert_scripted_matches_eager(source, *args):
    return assert_matches_eager(source, args)


README_EXAMPLE = """
def f(x, y, n: int):
    r = np.zeros_like(x)
    for i in range(n):
        if float(x.sum()) > 0.0:
            r = r + np.tanh(x * y) - 1.0
        else:
            r = r - y
    return r
"""


def test_the_readme_example():
    """The README's first example (the first issue's)."""
    function, demo_function = script_source(README_EXAMPLE)
    for x in (X, -X):
        for n in (0, 1, 3):
            assert_same(function(x, Y, n), demo_function(x, Y, n))
    assert {"prim::Loop", "prim::If", "np::tanh"} <= set(node_kinds(function))
    graph = str(function.graph)
    assert graph.startswith("graph(%x : Tensor,\n      %y : Tensor,\n      %n : int):")
    assert "prim::Loop(%n, " in graph and "block0(%i : int, " in graph


def test_the_seeds_loop_example():
    source = '''
    def foo(len):
        # type: (int) -> Tensor
        rv = np.zeros((3, 4))
        for i in range(len):
            if i < 10:
                rv = rv - 1.0
            else:
                rv = rv + 1.0
        return rv
    '''
    function = assert_scripted_matches_eager(source, 14)
    assert "def foo(len: int) -> Tensor:" in function.code
    assert "for i in range(len):" in function.code


def test_the_seeds_data_dependent_loop():
    source = '''
    def fn(x):
        result = x[0]
        for i in range(x.shape[0]):
            result = result * x[i]
        return result
    '''
    for shape in ((3, 4, 5), (4, 5, 6), (2, 3, 4)):
        assert_scripted_matches_eager(source, np.random.default_rng(0).random(shape))


def test_type_comment_with_a_tuple():
    source = '''
    def foo(x, tup):
        # type: (int, Tuple[Tensor, Tensor]) -> Tensor
        t0, t1 = tup
        return t0 + t1 + x
    '''
    assert_scripted_matches_eager(source, 3, (X, Y))


@pytest.mark.parametrize("signature", ["x, n: int, s: float, b: bool", "x: jit.Tensor, n: int = 2, s: float = 0.5, b: bool = True",
                                       "x: np.ndarray, n: 'int', s: 'float', b: bool"])
def test_parameter_annotations(signature):
    source = f"def f({signature}):\n    return x * n + s if b else x - n\n"
    assert_scripted_matches_eager(source, X, 3, 1.5, True)
    assert_scripted_matches_eager(source, X, 3, 1.5, False)
    function, eager = script_source(source)
    assert_same(function(X, n=4, s=2.0, b=True), eager(X, n=4, s=2.0, b=True))


def test_python_3_annotated_return_and_defaults():
    function = assert_scripted_matches_eager("def f(x, k: int = 2, scale: float = 1) -> Tuple[Tensor, int]:\n    return x * scale, k + 1\n", X)
    assert function.code.startswith("def f(x: Tensor, k: int = 2, scale: float = 1.0) -> Tuple[Tensor, int]:")
    assert_same(function(X, 5), (X * 1.0, 6))


def test_numbers_passed_for_float_and_int_parameters_convert():
    function, _ = script_source("def f(s: float, n: int):\n    return s / 2, n // 2\n")
    assert function(3, np.int64(7)) == (1.5, 3)
    assert type(function(np.float32(3.0), 7)[0]) is float


@pytest.mark.parametrize("expression", ["a and b", "a or b", "not a", "a and not b or b", "(a or b) and not (a and b)"])
def test_boolean_operators(expression):
    source = f"def f(a: bool, b: bool):\n    return {expression}\n"
    for a in (True, False):
        for b in (True, False):
            assert_scripted_matches_eager(source, a, b)


def test_and_or_short_circuit():
    source = '''
    def f(x, i: int):
        if i < x.shape[0] and float(x[i].sum()) > 0:
            return 1
        if i >= x.shape[0] or float(x[i].sum()) < 0:
            return 2
        return 3
    '''
    for i in (0, 1, 5):
        assert_scripted_matches_eager(source, X, i)


def test_conditions_on_arrays_and_numbers():
    source = '''
    def f(x, n: int, s: float):
        r = 0
        if x.sum():
            r = r + 1
        if n:
            r = r + 10
        if s:
            r = r + 100
        while n:
            n = n - 1
            r = r + 1000
        return r
    '''
    assert_scripted_matches_eager(source, X, 2, 0.0)
    assert_scripted_matches_eager(source, np.zeros(2), 0, 1.5)
    function, _ = script_source("def f(x):\n    return 1 if x else 0\n")
    with pytest.raises(ValueError, match="truth value of an array"):
        function(X)


@pytest.mark.parametrize("expression", ["a < b < c", "a <= b > c", "a == b == c", "a < b != c >= a",
                                        "0 <= a < 10"])
def test_chained_comparisons(expression):
    source = f"def f(a: int, b: int, c: int):\n    return {expression}\n"
    for values in ((1, 2, 3), (3, 2, 1), (2, 2, 2), (0, 5, 1)):
        assert_scripted_matches_eager(source, *values)


def test_chained_comparison_evaluates_the_middle_once_and_lazily():
    source = '''
    def f(x, i: int):
        return 0 <= i < x.shape[0] and float(x[i, 0]) > 0
    '''
    for i in (-1, 0, 1, 7):
        assert_scripted_matches_eager(source, X, i)


def test_ternary():
    assert_scripted_matches_eager("def f(x, y, n: int):\n    return x if n > 0 else y\n", X, Y, 1)
    assert_scripted_matches_eager("def f(x, y, n: int):\n    return (x if n > 0 else y) * (2 if n > 5 else 3)\n", X, Y, 7)


def test_if_elif_else_chains():
    source = '''
    def f(x, n: int):
        if n == 0:
            y = x
        elif n == 1:
            y = x * 2.0
        elif n < 5:
            y = -x
        else:
            y = np.zeros_like(x)
        return y
    '''
    for n in range(7):
        assert_scripted_matches_eager(source, X, n)


def test_if_without_else_keeps_the_previous_value():
    source = "def f(x, n: int):\n    y = x\n    if n > 0:\n        y = y + 1.0\n    return y\n"
    assert_scripted_matches_eager(source, X, 1)
    assert_scripted_matches_eager(source, X, 0)


@pytest.mark.parametrize("bounds", ["n", "2, n", "n, 1, -2", "-3", "1, 10, 3", "n, n"])
def test_range_loops(bounds):
    source = f"def f(x, n: int):\n    t = 0\n    for i in range({bounds}):\n        t = t + i\n        x = x * 1.5\n    return x, t\n"
    for n in (0, 5, 9):
        assert_scripted_matches_eager(source, X, n)


def test_range_step_of_zero_raises_like_python():
    function, _ = script_source("def f(n: int):\n    t = 0\n    for i in range(0, 10, n):\n        t = t + i\n    return t\n")
    with pytest.raises(ValueError, match="must not be zero"):
        function(0)


def test_loop_variable_after_the_loop():
    source = "def f(n: int):\n    i = -1\n    for i in range(n):\n        pass\n    return i\n"
    assert_scripted_matches_eager(source, 4)
    assert_scripted_matches_eager(source, 0)


def test_while_loops():
    source = '''
    def f(x, limit: float):
        steps = 0
        while float(np.abs(x).max()) < limit and steps < 100:
            x = x * 2.0
            steps += 1
        return x, steps
    '''
    assert_scripted_matches_eager(source, X, 50.0)
    assert_scripted_matches_eager(source, X, 0.0)


def test_nested_loops_and_branches_carry_values():
    source = '''
    def f(x, n: int):
        total = np.zeros_like(x)
        count = 0
        for i in range(n):
            for j in range(i):
                if (i + j) % 2 == 0:
                    total = total + x * float(j)
                    count += 1
                else:
                    total = total - 1.0
            k = 0
            while k < i:
                k += 2
                count = count + k
        return total, count
    '''
    for n in (0, 1, 4):
        assert_scripted_matches_eager(source, X, n)


def test_tuples_and_unpacking():
    source = '''
    def f(x, y):
        a, b = x, y
        a, b = b, a
        t = (a, b, 3)
        (p, q), r = (t[0], t[1]), t[2]
        return p - q * r, t
    '''
    assert_scripted_matches_eager(source, X, Y)


def test_augmented_assignment_writes_arrays_in_place_and_rebinds_numbers():
    source = '''
    def f(x, n: int):
        y = x
        y += 1.0
        y *= 2.0
        n -= 3
        n //= 2
        return y, n
    '''
    x = X.copy()
    function, eager = script_source(source)
    result = function(x, 10)
    np.testing.assert_array_equal(x, (X + 1.0) * 2.0)  # y is x: written in place, as NumPy (API.md) says
    assert result[0] is x
    assert result[1] == 3 and eager(X.copy(), 10)[1] == 3


def test_annotated_assignment():
    assert_scripted_matches_eager("def f(n: int):\n    s: float = n\n    t: int = 2\n    return s / t\n", 5)


def test_module_level_constants_and_dtypes():
    source = '''
    SCALE = 2.5
    SHAPE = (2, 3)
    KIND = np.float32

    def f(x):
        return (x * SCALE).astype(KIND).reshape(SHAPE) + math.pi + np.zeros(SHAPE, KIND)
    '''
    function = define(source, "f")
    scripted = jit.script(function)
    assert_same(scripted(X), function(X))


def test_closure_constants():
    scale = 3

    def make(offset):
        def f(x):
            return x * scale + offset
        return f

    with pytest.raises(jit.CompilationError):
        jit.script(lambda x: x)
    function = make(0.5)
    assert_same(jit.script(function)(X), function(X))


def test_early_return_rule_three():
    source = '''
    def f(x, n: int):
        if n < 0:
            return x
        y = x * float(n)
        if n > 10:
            return -y
        return y + 1.0
    '''
    for n in (-1, 3, 12):
        assert_scripted_matches_eager(source, X, n)


def test_return_in_both_branches_rule_two():
    source = '''
    def f(x, n: int):
        if n > 0:
            y = x + 1.0
            return y
        else:
            return x - 1.0
    '''
    assert_scripted_matches_eager(source, X, 1)
    assert_scripted_matches_eager(source, X, 0)


def test_function_without_return_gives_none():
    function = assert_scripted_matches_eager("def f(x):\n    y = x + 1.0\n", X)
    assert function(X) is None


def test_methods_properties_and_indexing_together():
    source = '''
    def f(x):
        rows, cols = x.shape
        m = x.mean(axis=1, keepdims=True)
        centered = (x - m)[:, ::-1]
        return centered.T.reshape(cols, rows).sum() + x.ndim + x.size, x.dtype
    '''
    assert_scripted_matches_eager(source, X)


def test_generated_code_reads_like_the_graph():
    function, eager = script_source("def f(x, y):\n    return np.tanh(x * y) + 1.0\n")
    last = function.generated_source.splitlines()[-1]
    location = f"{eager.__code__.co_filename}:{eager.__code__.co_firstlineno + 1}:11"
    assert last == f"    return ((_xp.tanh((x * y))) + 1.0)  # {location}"  # the user's line and column


def test_script_returns_a_script_function_with_the_original_attached():
    eager = define("def f(x):\n    '''Doubles x.'''\n    return x * 2.0\n", "f")
    function = jit.script(eager)
    assert isinstance(function, jit.ScriptFunction)
    assert function.__wrapped__ is eager and function.__doc__ == "Doubles x." and function.__name__ == "f"
    assert jit.script(function) is function
    assert function.schema == "f(x: Tensor) -> Tensor"
    assert repr(function) == "<ScriptFunction f(x: Tensor) -> Tensor>"
    with pytest.raises(TypeError, match="compiles functions"):
        jit.script(42)
