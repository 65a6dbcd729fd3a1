"""Writes into arrays in script code, with NumPy's semantics: item, slice, mask
and integer-array assignment, augmented assignment in place, out=, in-place
methods, writes through views seen through the base and back, and writes into a
caller's array seen by the caller. Eager NumPy is the oracle: each function is
run eagerly and scripted on copies of the same inputs, and both the results and
the inputs afterwards must agree."""
from __future__ import annotations

import copy
import io

import numpy as np
import pytest

import jit
from jit.ops.mutation import IN_PLACE_OPERATORS
from tests.helpers import assert_same, node_kinds, script_source


def check(source, *args, name=None, calls=3):
    """Script ``source``; over several calls (profiling, then the optimized
    specialization) results and the arguments after the call agree with eager."""
    scripted, eager = script_source(source, name)
    for _ in range(calls):
        mine, theirs = copy.deepcopy(args), copy.deepcopy(args)
        with np.errstate(all="ignore"):
            assert_same(scripted(*mine), eager(*theirs))
        assert_same(mine, theirs, "the arguments after the call")
    return scripted


def matrix(rows=4, cols=5, dtype=np.float64):
    return (np.arange(rows * cols, dtype=dtype).reshape(rows, cols) - 7) / 3


# -- assignment targets -----------------------------------------------------------------------------
def test_item_slice_mask_and_integer_array_assignment():
    check("""
    def f(x, idx, w):
        x[0, 1] = 5.0
        x[:, 2] = -1.0
        x[1:3] = x[1:3] * 2.0
        x[x < 0] = 0.0
        x[idx] = w
        return x
    """, matrix(), np.array([3, 1]), np.full((2, 5), 9.0))


def test_row_update_in_a_loop():
    check("""
    def rnn(xs, w: float):
        h = np.zeros((xs.shape[0], xs.shape[1]))
        prev = np.zeros(xs.shape[0])
        for t in range(xs.shape[1]):
            prev = np.tanh(xs[:, t] + prev * w)
            h[:, t] = prev
        return h
    """, matrix(3, 6), 0.5)


def test_augmented_assignment_writes_the_array_in_place():
    check("""
    def f(x, y):
        alias = x
        x += y
        x *= 2.0
        x -= 1
        return alias, x
    """, matrix(), matrix() + 1)


def test_augmented_assignment_on_numbers_and_scalars_rebinds():
    check("""
    def f(x):
        n = 0
        n += 2
        total = x.sum()
        before = total
        total += 1.0
        return n, before, total
    """, matrix())


def test_augmented_item_assignment_reads_modifies_writes():
    # repeated integer indices write once (no accumulation), as NumPy does
    check("""
    def f(out, idx, w):
        out[idx] += w
        out[1:3, 0] += 10.0
        out[out > 5] *= 0.5
        return out
    """, matrix(), np.array([0, 2, 0]), np.array([[1.0] * 5] * 3))


def test_integer_target_casts_same_kind_or_raises_as_numpy():
    scripted, eager = script_source("""
    def f(x):
        x += 1.5
        return x
    """)
    with pytest.raises(TypeError):
        eager(np.arange(3))
    with pytest.raises(TypeError):
        scripted(np.arange(3))
    check("""
    def g(x):
        x += 2
        x[0] = 7.9
        return x
    """, np.arange(4))


def test_out_argument_and_copyto():
    check("""
    def f(a, b, c):
        r = np.add(a, b, out=c)
        np.multiply(a, 2.0, out=a)
        np.copyto(b, 3.0)
        return r, c
    """, matrix(), matrix() + 1, np.zeros((4, 5)))


def test_in_place_methods():
    check("""
    def f(x, y):
        x.fill(2.0)
        np.fill_diagonal(y, -1.0)
        y.sort()
        return x, y
    """, matrix(), np.random.default_rng(0).standard_normal((4, 4)))


# -- views --------------------------------------------------------------------------------------------
VIEWS = {"row": "x[1]", "column": "x[:, 2]", "slice": "x[1:3, ::2]", "reshape": "x.reshape(20)",
         "transpose": "x.transpose()", "T": "x.T", "ravel": "x.ravel()"}


@pytest.mark.parametrize("view", sorted(VIEWS))
@pytest.mark.parametrize("reader", sorted(VIEWS))
def test_write_through_a_view_is_seen_through_every_other(view, reader):
    check(f"""
    def f(x):
        v = {VIEWS[view]}
        r = {VIEWS[reader]}
        before = r * 1.0
        v[...] = v * 10.0 + 1.0
        return before, r * 1.0, x
    """, matrix())


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_write_into_the_base_is_seen_through_a_view(view):
    check(f"""
    def f(x):
        v = {VIEWS[view]}
        s = v.sum()
        x[1:3] = 100.0
        x += 1.0
        return s, v.sum(), v * 1.0
    """, matrix())


def test_write_into_a_callers_array_is_seen_by_the_caller():
    scripted, _ = script_source("""
    def scale_(x, factor: float):
        x *= factor
        x[0] = 0.0
    """)
    array = np.arange(1.0, 6.0)
    assert scripted(array, 2.0) is None
    np.testing.assert_array_equal(array, [0.0, 4.0, 6.0, 8.0, 10.0])


def test_only_arrays_lists_and_dicts_take_item_assignment():
    with pytest.raises(jit.CompilationError, match="cannot assign to an element of a"):
        script_source("""
        def f(x):
            t = (x, x)
            t[0] = x
            return t
        """)[0]


# -- every write op of the registry -------------------------------------------------------------------
COVERS = {"np::setitem", "np::fill", "np::copyto", "np::fill_diagonal", "np::sort_in_place", "np::partition_in_place",
          *(f"np::{name}" for name in IN_PLACE_OPERATORS.values())}


def test_every_write_op_compiles_to_its_node_and_runs_as_numpy():
    scripted = check("""
    def f(x, i, m, s):
        x[0] = 1.0
        x += 1.0
        x -= 0.5
        x *= 3.0
        x /= 2.0
        x //= 1.0
        x %= 7.0
        x **= 2.0
        s @= s
        i &= 6
        i |= 1
        i ^= 3
        i <<= 2
        i >>= 1
        x.fill(2.5)
        np.copyto(x, m)
        np.fill_diagonal(s, 0.0)
        m.sort(axis=0)
        s.partition(1)
        return x, i, m, s
    """, matrix(), np.arange(6), matrix()[::-1].copy(), np.random.default_rng(1).standard_normal((3, 3)))
    assert COVERS <= set(node_kinds(scripted))


def test_functions_that_write_print_as_writes_and_save_and_load():
    scripted = check("""
    def f(x, y):
        keep = x
        x[0, 1:] = y[0, 1:]
        x += y
        keep -= 1.0
        x[x > 2.0] *= 0.5
        return x
    """, matrix(), matrix() * 2)
    code = scripted.code
    assert "x[0, 1:] = " in code and "+= y" in code and "-= 1.0" in code and "*= 0.5" in code
    buffer = io.BytesIO()
    jit.save(scripted, buffer)
    buffer.seek(0)
    loaded = jit.load(buffer)
    assert loaded.code == code
    mine, theirs = matrix(), matrix()
    assert_same(loaded(mine, matrix() * 2), scripted(theirs, matrix() * 2))
    assert_same(mine, theirs)


def test_a_compiled_helper_that_writes_its_argument():
    scripted = check("""
    def zero_first_row(a):
        a[0] = 0.0

    def f(x):
        before = x.sum()
        zero_first_row(x)
        after = x.sum()
        return before, after, x
    """, matrix(), name="f")
    assert "prim::CallFunction" in node_kinds(scripted) or "np::setitem" in node_kinds(scripted)
