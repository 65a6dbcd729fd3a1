"""A process forked after ArrayScript has run threads (a multiprocessing pool with the fork start
method, Linux's default before Python 3.14) runs its kernels and jit.fork tasks itself: the
parent's thread pools have no threads in the child, and their copies must not be used there."""
from __future__ import annotations

import multiprocessing
import sys

import numpy as np
import pytest

import jit
from kernels import cpu

pytestmark = pytest.mark.skipif(sys.platform == "win32" or "fork" not in multiprocessing.get_all_start_methods(),
                                reason="the fork start method is POSIX's")

CHILD_SECONDS = 120  # a hang fails the test instead of stalling the suite


@jit.script
def _scaled_tanh(x):
    return np.tanh(x) * 2.0 + 1.0


def _large():
    return np.random.default_rng(7).standard_normal((600, 400))  # above the tanh kernel's parallel_min_elements: the pool runs it


def _child_kernel(_):
    return _scaled_tanh(_large())


def _child_futures(_):
    futures = [jit.fork(np.add, np.full(3, float(i)), 1.0) for i in range(4)]
    return [jit.wait(f) for f in futures]


def _fresh(x):
    return np.exp(-x) * 3.0 - x


def _child_compiles(_):
    return jit.script(_fresh)(_large())  # scripted, and its kernel compiled or loaded, in the child


def _in_forked_children(task):
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = pool.map_async(task, range(2)).get(timeout=CHILD_SECONDS)
        pool.terminate()
    return results


def test_a_forked_child_runs_large_kernels_after_the_parent_has():
    x = _large()
    for _ in range(3):  # the parent's pool has started its threads
        parent = _scaled_tanh(x)
    assert x.size >= cpu.PARALLEL_MIN_ELEMENTS
    for child in _in_forked_children(_child_kernel):
        np.testing.assert_array_equal(child, parent)
    np.testing.assert_allclose(parent, np.tanh(x) * 2.0 + 1.0, rtol=1e-12, atol=1e-14)  # tanh near -1: cancellation in the last bits


def test_a_forked_child_runs_jit_fork_tasks_after_the_parent_has():
    assert jit.wait(jit.fork(np.add, np.ones(2), 1.0)).tolist() == [2.0, 2.0]  # the parent's pool exists
    for child in _in_forked_children(_child_futures):
        assert [r.tolist() for r in child] == [[i + 1.0] * 3 for i in range(4)]


def test_fork_waits_for_the_background_numba_start():
    """The warm-up thread compiles under Numba's lock; a child forked meanwhile would inherit it held."""
    cpu._warm.clear()
    cpu.warm_up()  # a fresh warm-up thread, forked over at once
    for child in _in_forked_children(_child_compiles):
        np.testing.assert_allclose(child, _fresh(_large()), rtol=1e-12, atol=1e-14)  # tanh near -1: cancellation in the last bits
