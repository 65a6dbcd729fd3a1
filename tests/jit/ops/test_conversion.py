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
    # A sequence of arrays holding numbers or lists (campaign seeds 70290, 70965, 61282).
    ("def f(k):\n    return np.lexsort([1]), np.lexsort([k, 0 * k]), np.lexsort([[3, 1, 2]])", (np.array([1, 0, 1]),)),
    ("def f(x):\n    return np.hstack((x, 0.5, [1.0, 2.0])), np.vstack(([1, 2, 3], x))", (np.arange(3.0),)),
    ("def f(k, x):\n    return np.choose(k, (x, -1.0)), np.choose(k, [2, 7])", (np.array([1, 0, 1]), np.arange(3.0))),
    ("def f(x, s: float):\n    t = (x, [s, s, s])\n    return np.stack(t), np.column_stack((x, s * x)), np.concatenate((x, [s]))",
     (np.arange(3, dtype=np.float32), 2.5)),
    ("def f(x, n: int):\n    ks = [n, 2 * n]\n    ks.append(1)\n    return np.lexsort(ks), np.hstack(ks)",
     (np.arange(3.0), 4)),
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
