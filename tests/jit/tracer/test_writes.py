"""Writes into arrays under tracing: recorded as the writes they are (never
dropped or baked), so the traced function gives eager NumPy's results and leaves
its arguments as eager code does, on the example inputs and on others. The same
cases as tests/jit/frontend/test_mutation.py, traced."""
from __future__ import annotations

import copy
import io
import warnings

import numpy as np
import pytest

import jit
from jit import TracerWarning
from jit.ir import verify

from ...helpers import assert_same, node_kinds


def traced_check(function, example, *others):
    """Trace ``function`` on a copy of ``example`` without a TracerWarning; on copies
    of each argument tuple the trace and eager agree on results and on the arguments after."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", TracerWarning)
        traced = jit.trace(function, copy.deepcopy(example))
    verify(traced.graph)
    for arguments in (example, *others):
        mine, theirs = copy.deepcopy(arguments), copy.deepcopy(arguments)
        assert_same(traced(*mine), function(*theirs))
        assert_same(mine, theirs, "the arguments after the call")
    return traced


def matrix(rows=4, cols=5):
    return (np.arange(rows * cols, dtype=np.float64).reshape(rows, cols) - 7) / 3


def test_item_slice_mask_and_integer_array_assignment():
    def f(x, idx, w):
        x[0, 1] = 5.0
        x[:, 2] = -1.0
        x[1:3] = x[1:3] * 2.0
        x[x < 0] = 0.0
        x[idx] = w
        x[:2, 0] = [7.0, 8.0]
        return x

    traced = traced_check(f, (matrix(), np.array([3, 1]), np.full((2, 5), 9.0)),
                          (matrix(6, 5) * -1, np.array([0, 5]), np.arange(10.0).reshape(2, 5)))
    assert node_kinds(traced).count("np::setitem") == 6


def test_augmented_assignment_and_augmented_item_assignment():
    def f(x, y, idx):
        alias = x
        x += y
        x *= 2.0
        x[idx] += 1.0
        x[1:3, 0] -= 10.0
        total = x.sum()
        total += 1.0
        return alias, x, total

    traced = traced_check(f, (matrix(), matrix() + 1, np.array([0, 2, 0])),
                          (matrix(3, 2), np.ones(2), np.array([1])))
    assert {"np::iadd", "np::imul", "np::isub"} <= set(node_kinds(traced))


def test_out_argument_fill_and_in_place_sort():
    def f(a, b, c):
        r = np.add(a, b, out=c)
        np.multiply(a, 2.0, out=a)
        b.fill(3.0)
        a.sort()
        return r, c

    traced = traced_check(f, (matrix(), matrix() + 1, np.zeros((4, 5))),
                          (-matrix(2, 3), matrix(2, 3), np.ones((2, 3))))
    assert "np::copyto" in node_kinds(traced) and "np::fill" in node_kinds(traced)


VIEWS = {"row": lambda x: x[1], "column": lambda x: x[:, 2], "slice": lambda x: x[1:3, ::2],
         "reshape": lambda x: x.reshape(-1), "transpose": lambda x: x.transpose(), "T": lambda x: x.T,
         "ravel": lambda x: x.ravel()}


@pytest.mark.parametrize("view", sorted(VIEWS))
@pytest.mark.parametrize("reader", sorted(VIEWS))
def test_write_through_a_view_is_seen_through_every_other(view, reader):
    def f(x):
        v = VIEWS[view](x)
        r = VIEWS[reader](x)
        before = r * 1.0
        v[...] = v * 10.0 + 1.0
        return before, r * 1.0, x

    traced = traced_check(f, (matrix(),), (matrix() * 2,))
    before, after, x = traced(matrix() * 3)
    assert not np.array_equal(before, after)  # the trace kept the write, and the reader sees it
    np.testing.assert_array_equal(after, VIEWS[reader](x))


def test_write_into_the_callers_array_and_a_row_update_loop():
    def rnn(xs, h):
        prev = np.zeros(xs.shape[0])
        for t in range(6):  # a Python loop: unrolled into the trace
            prev = np.tanh(xs[:, t] + prev * 0.5)
            h[:, t] = prev
        return prev

    traced = traced_check(rnn, (matrix(3, 6), np.zeros((3, 6))), (matrix(3, 6) * 2, np.ones((3, 6))))
    h = np.zeros((3, 6))
    traced(matrix(3, 6), h)
    expected = np.zeros((3, 6))
    rnn(matrix(3, 6), expected)
    assert_same(h, expected)


def test_a_trace_that_writes_saves_and_loads():
    def f(x, y):
        x[0] = y.sum()
        x += 1.0
        return x * 2.0

    traced = traced_check(f, (matrix(), matrix()))
    buffer = io.BytesIO()
    jit.save(traced, buffer)
    buffer.seek(0)
    loaded = jit.load(buffer)
    mine, theirs = matrix(), matrix()
    assert_same(loaded(mine, matrix()), f(theirs, matrix()))
    assert_same(mine, theirs)


def test_out_into_an_array_the_trace_did_not_make_warns_and_keeps_its_values():
    def f(x):
        plain = np.array(x + 1.0, order="F")  # with order=, NumPy converts it without the trace: a constant
        plain //= x
        return plain

    x = matrix() + 10.0
    with pytest.warns(TracerWarning, match="writes into an array the trace did not make"):
        traced = jit.trace(f, (x.copy(),), check_trace=False)
    assert_same(traced(x.copy()), f(x.copy()))


WEIGHTS = np.linspace(-1.0, 1.0, 12).reshape(3, 4)  # a module-level array the trace does not follow


def test_zeros_like_of_a_global_array_follows_traced_writes():
    # Karpathy's min-char-rnn accumulates gradients into np.zeros_like of its global weights: the
    # buffer was a plain array, so the trace baked its final value (with a warning). Called from
    # the traced code, the *_like factories record, and the writes into the buffer with them.
    def f(x):
        grad = np.zeros_like(WEIGHTS)
        grad += x * 2.0
        np.clip(grad, -1.5, 1.5, out=grad)
        ones = np.ones_like(WEIGHTS, dtype=np.float32)
        ones[0] = x[1]
        return grad, ones, np.full_like(WEIGHTS, 3.0) - x

    x, other = matrix(3, 4), matrix(3, 4) * -0.5 + 0.25
    with warnings.catch_warnings():
        warnings.simplefilter("error", TracerWarning)  # nothing is baked
        traced = jit.trace(f, (x,), check_trace=False)
    assert_same(traced(other), f(other))
    assert "np::zeros_like" in node_kinds(traced)


def test_the_corpus_rnn_loss_traces_gradients_that_follow_the_hidden_state():
    from ...corpus.programs import min_char_rnn  # noqa: PLC0415 - the corpus program

    rng = np.random.default_rng(0)
    inputs, targets = [1, 2, 3, 0], [2, 3, 0, 0]
    hidden, other = rng.standard_normal((12, 1)), rng.standard_normal((12, 1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        traced = jit.trace(min_char_rnn.lossFun, (inputs, targets, hidden), check_trace=False)
    assert not [w for w in caught if "did not make" in str(w.message)]
    assert_same(traced(inputs, targets, other), min_char_rnn.lossFun(inputs, targets, other))
