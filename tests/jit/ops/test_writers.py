"""The in-place writers by index (jit.ops.mutation: np.put, a.put, np.place,
np.putmask, np.put_along_axis) against eager NumPy: the written array, a view's
base, the alias analysis's view of the write (a read after it sees it), errors."""
from __future__ import annotations

import numpy as np
import pytest

import jit

from ...helpers import assert_same, script_source

COVERS = {"np::put", "np::place", "np::putmask", "np::put_along_axis"}

SOURCE = """\
def f(a, m, i):
    before = a * 1.0
    np.put(a, [0, 2], [10.0, 20.0])
    a.put(i, 5.0, mode="clip")
    np.place(a, m, [1.0, 2.0])
    np.putmask(a, a > 15.0, -1.0)
    row = a[1]
    np.put(row, 1, 99.0)
    np.put_along_axis(a, np.argsort(a, axis=1)[:, :1], 0.5, axis=1)
    return before, a * 2.0, a
"""


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64], ids=lambda d: np.dtype(d).name)
def test_writers_write_as_numpy_does(dtype):
    function, eager = script_source(SOURCE)
    kinds = {node.kind for node in function.graph.all_nodes()}
    assert COVERS <= kinds, str(function.graph)
    base = np.arange(12).reshape(3, 4).astype(dtype)
    m, i = base % 3 == 0, np.array([1, 30])
    for _ in range(3):  # profiled, specialized (and fused around the writes) runs
        mine, theirs = base.copy(), base.copy()
        assert_same(function(mine, m, i), eager(theirs, m, i))
        assert_same(mine, theirs)


def test_writers_on_strided_views_and_empty_arrays():
    function, eager = script_source(SOURCE)
    for make in (lambda: np.arange(24.0).reshape(3, 8)[:, ::2], lambda: np.zeros((0, 4))):
        mine, theirs = make(), make()
        m = np.zeros(mine.shape, bool)
        try:
            outcome = eager(theirs, m, np.array([0]))
        except IndexError:  # np.put into an empty array
            with pytest.raises(IndexError):
                function(mine, m, np.array([0]))
            continue
        assert_same(function(mine, m, np.array([0])), outcome)
        assert_same(mine, theirs)


def test_put_mode_and_out_of_range_errors_are_numpys():
    function, eager = script_source("def f(a, i):\n    np.put(a, i, 1.0)\n    return a\n")
    with pytest.raises(IndexError):
        eager(np.zeros(3), np.array([7]))
    with pytest.raises(IndexError):
        function(np.zeros(3), np.array([7]))
    with pytest.raises(jit.CompilationError, match="mode must be"):
        script_source("def f(a):\n    np.put(a, 0, 1.0, mode='nope')\n    return a\n")
    with pytest.raises(jit.CompilationError, match="expected a value of type 'Tensor' for argument 'a'"):
        script_source("def f(a: float):\n    np.putmask(a, True, 1.0)\n    return a\n")


def test_writers_and_multi_output_ufuncs_save_and_load():
    from ...helpers import reloaded

    function, eager = script_source("def f(a, m):\n    np.putmask(a, m, 0.0)\n    np.put(a, [1], 7.0)\n"
                                    "    q, r = np.divmod(a, 2.0)\n    return q, r, np.frexp(a)[1]\n")
    loaded = reloaded(function)
    base, m = np.arange(6.0).reshape(2, 3), np.arange(6).reshape(2, 3) % 2 == 0
    mine, theirs = base.copy(), base.copy()
    assert_same(loaded(mine, m), eager(theirs, m))
    assert_same(mine, theirs)
