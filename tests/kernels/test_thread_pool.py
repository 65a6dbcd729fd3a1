"""kernels.thread_pool: its slices cover the range once on distinct threads, a worker's exception reaches
the caller, a second calling thread runs its range itself, and workers that have gone to sleep wake for the
next call. Each test makes its own pool of three threads, so that the two-worker handshake runs on any
machine (on fewer cores the threads take turns)."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from kernels import cpu, thread_pool


@pytest.fixture
def pool():
    threads = thread_pool.ThreadPool(3)
    yield threads
    threads.close()
    assert not any(thread.is_alive() for thread in threads.worker_threads)


def _record(start, stop, sync, sink):
    sink.append((start, stop, threading.get_ident()))


def test_slices_cover_the_range_once_on_three_threads(pool):
    for outer in (3, 10, 1001):
        seen = []
        pool.run(_record, outer, (seen,))
        covered = sorted(i for start, stop, _ in seen for i in range(start, stop))
        assert covered == list(range(outer))
        assert len({thread for _, _, thread in seen}) == 3, seen


def test_fewer_rows_than_threads_run_on_fewer_threads(pool):
    seen = []
    pool.run(_record, 2, (seen,))
    assert sorted((start, stop) for start, stop, _ in seen) == [(0, 1), (1, 2)]
    seen.clear()
    pool.run(_record, 1, (seen,))
    assert [(start, stop) for start, stop, _ in seen] == [(0, 1)] and seen[0][2] == threading.get_ident()


def _fail_on_a_worker(start, stop, sync, caller):
    if threading.get_ident() != caller:
        raise ValueError(f"slice {start}:{stop} failed")


def test_a_workers_exception_reaches_the_caller_and_the_pool_goes_on(pool):
    with pytest.raises(ValueError, match="slice .* failed"):
        pool.run(_fail_on_a_worker, 10, (threading.get_ident(),))
    seen = []
    pool.run(_record, 10, (seen,))
    assert sorted(i for start, stop, _ in seen for i in range(start, stop)) == list(range(10))


def test_a_second_calling_thread_runs_its_range_itself(pool):
    inside, release = threading.Event(), threading.Event()

    def blocking(start, stop, sync):
        if start == 0:
            inside.set()
            release.wait(30)

    caller = threading.Thread(target=pool.run, args=(blocking, 10, ()))
    caller.start()
    assert inside.wait(30)
    seen = []
    pool.run(_record, 10, (seen,))  # while the first call holds the pool
    release.set()
    caller.join(30)
    assert [(start, stop, thread) for start, stop, thread in seen] == [(0, 10, threading.get_ident())]


def test_sleeping_workers_wake_for_the_next_call(pool):
    seen = []
    pool.run(_record, 10, (seen,))
    deadline = time.monotonic() + 30
    while pool.sleepers < pool.workers and time.monotonic() < deadline:
        time.sleep(thread_pool.SPIN_SECONDS)
    assert pool.sleepers == pool.workers, "both workers sleep once no call comes within their window"
    seen.clear()
    pool.run(_record, 10, (seen,))
    assert sorted(i for start, stop, _ in seen for i in range(start, stop)) == list(range(10))
    assert len({thread for _, _, thread in seen}) == 3


def test_kernels_announce_their_start_and_run_on_the_pool(pool, monkeypatch):
    """A kernel's first statement stores 1 at its sync address: the handshake the caller waits for
    (a function that does not announce is acknowledged after it returns, as _record is)."""
    from kernels.ir import Instr, Kernel, Operand, Output

    kernel = Kernel("k", (Operand("a0", "float64", 2),), (Instr("t0", "tanh", ("a0",), "float64"),),
                    (Output("out0", "t0", "float64"),), 2)
    built = cpu.build(kernel, [(600, 400)])
    variant = built.variants[built.layout.broadcast]
    lines = variant.source.splitlines()
    assert lines[lines.index(next(line for line in lines if line.startswith("def k("))) + 1] == cpu.ANNOUNCE
    slot = np.zeros(1, np.int64)
    x = np.random.default_rng(3).standard_normal((600, 400))
    out = np.empty_like(x)
    variant.function(0, 600, slot.ctypes.data, out, x)
    assert slot[0] == 1
    np.testing.assert_allclose(out, np.tanh(x), rtol=1e-15, atol=0)
    monkeypatch.setattr(thread_pool, "_pool", pool)
    np.testing.assert_allclose(built.launch(x), np.tanh(x), rtol=1e-15, atol=0)
    assert "_parallel(" in built.launcher_source


def test_a_call_after_close_runs_on_the_calling_thread():
    pool = thread_pool.ThreadPool(3)
    pool.close()
    seen = []
    pool.run(_record, 10, (seen,))
    assert seen == [(0, 10, threading.get_ident())]


def _slow_write(start, stop, sync, out, caller):
    if threading.get_ident() != caller:
        time.sleep(0.05)  # a worker's slice ends well after the caller's
    out[start:stop] = np.arange(start, stop)


def test_the_caller_returns_once_every_worker_has_finished(pool):
    for _ in range(3):
        out = np.full(30, -1)
        pool.run(_slow_write, 30, (out, threading.get_ident()))
        np.testing.assert_array_equal(out, np.arange(30))


def test_each_slice_gets_its_threads_acknowledgement_address(pool):
    """A worker's kernel announces on the worker's ACK slot (the caller's own slice on UNWATCHED), the
    address kernels.numba_intrinsics.announce stores 1 at."""
    seen = []
    pool.run(lambda start, stop, sync, sink: sink.append((threading.get_ident(), sync)), 3, (seen,))
    by_thread = dict(seen)
    assert by_thread.pop(threading.get_ident()) == cpu.UNWATCHED
    workers = {thread.ident: worker for worker, thread in enumerate(pool.worker_threads)}
    assert {workers[thread]: sync for thread, sync in by_thread.items()} == {
        worker: pool.address + 8 * thread_pool._ack(worker) for worker in range(pool.workers)}


def test_a_call_from_inside_a_slice_runs_on_its_own_thread(pool):
    inner = []

    def outer_slice(start, stop, sync):
        seen = []
        pool.run(_record, 4, (seen,))
        inner.append({thread for _, _, thread in seen} == {threading.get_ident()})

    pool.run(outer_slice, 3, ())
    assert inner == [True, True, True]


def test_errors_of_the_caller_and_of_a_worker_both_reach_the_caller(pool):
    def both(start, stop, sync, caller):
        raise (KeyError if threading.get_ident() == caller else ValueError)(start)

    with pytest.raises(ValueError) as raised:
        pool.run(both, 3, (threading.get_ident(),))
    assert isinstance(raised.value.__context__, KeyError), "the worker's error names the caller's as its context"



def test_threads_that_cannot_start_leave_kernels_on_the_calling_thread(monkeypatch):
    def refuse(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(thread_pool, "_pool", None)
    monkeypatch.setattr(thread_pool, "_no_pool", False)
    monkeypatch.setattr(thread_pool, "num_threads", lambda: 3)
    monkeypatch.setattr(threading.Thread, "start", refuse)
    seen = []
    with pytest.warns(RuntimeWarning, match="runs its kernels on one thread: its threads could not start"):
        thread_pool.run_parallel(_record, 10, (seen,))
    assert seen == [(0, 10, threading.get_ident())]
    thread_pool.run_parallel(_record, 10, (seen,))  # asked once: no second warning, still serial
    assert seen[1] == (0, 10, threading.get_ident())
