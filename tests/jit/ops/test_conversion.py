"""np.array and np.asarray of numbers, arrays and (nested) tuples and lists of those,
against eager NumPy: dtype discovery (Python numbers are not weak in a list), stacking
of arrays, dtype=, copies and views, and NumPy's coercion of number tuples where an
array is expected (np.sum((1, 2)))."""
from __future__ import annotations

import numpy as np
import pytest

import jit

from ...helpers import assert_matches_eager, node_kinds

COVERS = {"np::array", "np::asarray"}

CASES = [
    # A list holds one type (the language's rule); a tuple mixes numbers as NumPy does.
    ("def f(a: float, b: int):\n    return np.array((a, b, 1.0)), np.array([a, 1.0])", (2.5, 3)),
    ("def f(a: int, b: bool):\n    return np.array((a, b)), np.array([b, b])", (4, True)),
    ("def f(a: int):\n    return np.asarray([[1, a], [3, 4]])", (7,)),
    ("def f(a: int):\n    return np.array((a, 2, 3), dtype=np.float32)", (7,)),
    ("def f(x):\n    return np.array([x, x + 1, x * 2])", (np.arange(6, dtype=np.float32).reshape(2, 3),)),
    ("def f(x):\n    return np.array([x, x], dtype=np.int16)", (np.arange(3.0),)),
    ("def f(x):\n    return np.array((x.sum(), 1.5))", (np.ones(2, np.float32),)),
    ("def f(x, n: int):\n    return x * np.array([n, 1]) + np.sum((n, n))", (np.ones(2, np.float32), 3)),
    ("def f(x):\n    return np.maximum(x, (0.5, 1.5, 2.5))", (np.arange(3, dtype=np.float32),)),
]


@pytest.mark.parametrize("source, args", CASES, ids=[c[0].splitlines()[1].strip() for c in CASES])
def test_conversion_matches_eager(source, args):
    scripted = assert_matches_eager(source, args)
    assert {"np::array", "np::asarray"} & set(node_kinds(scripted))


def test_asarray_of_an_array_is_the_array_and_array_copies():
    source = "def f(x):\n    return np.asarray(x), np.array(x)"
    scripted = assert_matches_eager(source, (np.arange(3.0),))
    x = np.arange(3.0)
    view, copy = scripted(x)
    assert view is x and copy is not x and not np.shares_memory(copy, x)


def test_what_is_not_array_data_is_a_compile_error():
    with pytest.raises(jit.CompilationError, match="np.array takes numbers, arrays"):
        assert_matches_eager('def f(x):\n    return np.array(["a", "b"])', (np.ones(2),))
