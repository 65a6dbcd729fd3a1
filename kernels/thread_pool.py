"""The CPU kernels' threads: ``run_parallel(function, outer, arguments)`` runs
``function(start, stop, sync, *arguments)`` over slices of [0, outer), one per thread, the calling
thread taking the first.

Why not concurrent.futures: on this project's 2-core VM a thread that sleeps (on a lock, or waiting for
the GIL) wakes 20-50 us after it is signalled. A ThreadPoolExecutor call paid that at the worker's start
and at the caller's wake-up: layer norm over (4096, 1024) float32 took 0.73 ms on it against 0.63 with
Numba's OpenMP prange, and a (256, 1024) layer norm ran slower on two threads than on one. Here the
waits spin in native code with the GIL released, and a thread takes the GIL when no other wants it:

- the caller stores the task, resets each worker's ACK and posts the call's generation (POST) from
  native code, then waits there (at most ACK_SECONDS) for the last worker's ACK;
- worker 0 takes the task when it sees POST, worker w when worker w - 1 has acknowledged (or
  ACK_SECONDS later); the kernel itself stores its worker's ACK (``numba_intrinsics.announce(sync)``,
  its first statement), that is once that worker has released the GIL; the worker stores it after
  ``function`` returns where it does not announce;
- the caller runs its slice, then waits for each worker's DONE, which a worker stores from native code
  as it starts waiting for the next post: spinning for DONE_SECONDS, then sleeping between looks, so
  that a worker that has no core (a BLAS thread's spinning) gets the caller's.

A worker that sees no post for SPIN_SECONDS sleeps on a condition until a caller wants it; the caller
then does not wait for its ACK. Every spin pauses, and yields its core every 64 pauses: a spinning
worker that kept OpenBLAS's threads from their cores had doubled the transformer block's matmuls.
Calls from two threads at once do not share the pool: the second runs its whole range on its own thread.
"""
from __future__ import annotations

import os
import threading
import time
import warnings

import numpy as np
from numba import njit

from .cpu import UNWATCHED, num_threads
from .numba_intrinsics import load_acquire, spin_pause, store_release, yield_processor

SPIN_SECONDS = 0.001  # a worker's wait for the next call before it sleeps (OpenMP runtimes spin too)
ACK_SECONDS = 50e-6  # a spinning worker starts within about 10 us
DONE_SECONDS = 100e-6
_SLEEP_SECONDS = 50e-6  # the caller's sleep between looks at DONE once it has spun DONE_SECONDS
_LINE = 8  # int64 slots a 64-byte cache line holds: each flag has its own
_POST = 0


@njit(nogil=True, inline="always", cache=True)
def _relax(i):
    spin_pause()
    if i % 64 == 63:
        yield_processor()


@njit(nogil=True, cache=True)
def _wait(flags, wait_at, unchanged, spins):
    """flags[wait_at] once it is no longer ``unchanged``, or after ``spins`` pauses whatever it is."""
    for i in range(spins):
        seen = load_acquire(flags, wait_at)
        if seen != unchanged:
            return seen
        _relax(i)
    return load_acquire(flags, wait_at)


@njit(nogil=True, cache=True)
def _store(flags, store_at, value):
    store_release(flags, store_at, value)


@njit(nogil=True, cache=True)
def _store_then_wait(flags, store_at, value, wait_at, unchanged, spins):
    """flags[store_at] = value, then _wait: one native call, so that the store is made without the GIL."""
    store_release(flags, store_at, value)
    return _wait(flags, wait_at, unchanged, spins)


@njit(nogil=True, cache=True)
def _wait_all(flags, first, count, value, spins):
    """Whether flags[first + 2 * _LINE * k] == value for every k < count within ``spins`` pauses."""
    for i in range(spins):
        k = 0
        while k < count and load_acquire(flags, first + 2 * _LINE * k) == value:
            k += 1
        if k == count:
            return True
        _relax(i)
    return False


def _ack(worker: int) -> int:
    return _LINE * (1 + 2 * worker)


def _done(worker: int) -> int:
    return _LINE * (2 + 2 * worker)


class ThreadPool:
    def __init__(self, threads: int):
        self.threads = threads
        self.workers = threads - 1
        self.flags = np.zeros(_LINE * (1 + 2 * self.workers), np.int64)
        self.address = self.flags.ctypes.data
        self.generation = 0
        self.wanted = 0  # the generation sleeping workers wake for (set before its post)
        self.sleepers = 0
        self.condition = threading.Condition()
        self.busy = threading.Lock()
        self.task = None
        self.closed = False
        self.errors = [None] * self.workers
        self.spins_per_second = _calibrate(self.flags)
        self.window = max(1, int(self.spins_per_second * SPIN_SECONDS))
        self.done_window = max(1, int(self.spins_per_second * DONE_SECONDS))
        self.ack_window = max(1, int(self.spins_per_second * ACK_SECONDS))
        self.worker_threads = [threading.Thread(target=self._work, args=(worker,), name=f"arrayscript-{worker + 1}",
                                                 daemon=True) for worker in range(self.workers)]
        for thread in self.worker_threads:
            thread.start()

    def close(self) -> None:
        """End the workers (the process's pool lives as long as the process; a test's does not)."""
        with self.busy:
            self.closed = True
            with self.condition:
                self.wanted = -1
                self.condition.notify_all()
            _store(self.flags, _POST, -1)
        for thread in self.worker_threads:
            thread.join()

    def run(self, function, outer: int, arguments: tuple) -> None:
        threads = min(self.threads, outer)
        if threads <= 1 or self.closed or not self.busy.acquire(blocking=False):
            function(0, outer, UNWATCHED, *arguments)  # (a call from inside a slice, too)
            return
        try:
            if self.closed:  # closed while this call waited for the lock
                function(0, outer, UNWATCHED, *arguments)
            else:
                self._run(function, outer, threads, arguments)
        finally:
            self.busy.release()

    def _run(self, function, outer, threads, arguments):
        flags, workers = self.flags, self.workers
        bounds = [outer * t // threads for t in range(threads + 1)]
        for worker in range(workers):
            flags[_ack(worker)] = 0
        self.task = (function, bounds, arguments)
        self.generation = generation = self.generation + 1
        posted = False
        try:
            with self.condition:
                self.wanted = generation
                sleeping = self.sleepers
                if sleeping:
                    self.condition.notify_all()
            # posted from native code; a spinning worker starts at once, a sleeping one late anyway
            _store_then_wait(flags, _POST, generation, _ack(workers - 1), 0, 0 if sleeping else self.ack_window)
            posted = True
            function(bounds[0], bounds[1], UNWATCHED, *arguments)
        finally:
            if not posted:  # a signal's exception came first: a worker woken for this call waits for the post
                _store(flags, _POST, generation)
            self._finish(generation)

    def _finish(self, generation: int) -> None:
        """Wait for every worker's DONE, spinning for DONE_SECONDS, then sleeping between looks (a
        worker that has no core must get the caller's), and raise what a worker raised."""
        interrupted, window = None, self.done_window
        while True:
            try:
                if _wait_all(self.flags, _done(0), self.workers, generation, window):
                    break
                window = 1
                if not all(thread.is_alive() for thread in self.worker_threads):
                    raise RuntimeError("an ArrayScript kernel thread has ended during a call")  # (never seen)
                time.sleep(_SLEEP_SECONDS)
            except BaseException as error:  # noqa: BLE001 - a signal's: the workers still use the arrays
                interrupted = error
        self.task = None
        errors, self.errors = self.errors, [None] * self.workers
        if interrupted is not None:
            raise interrupted
        for error in errors:
            if error is not None:
                raise error

    def _work(self, worker: int) -> None:
        flags, seen = self.flags, 0
        ack, previous_ack = _ack(worker), (_ack(worker - 1) if worker else None)
        while True:
            posted = _store_then_wait(flags, _done(worker), seen, _POST, seen, self.window)
            if posted == seen:  # no call within the window: sleep until a caller wants this pool
                with self.condition:
                    self.sleepers += 1
                    while self.wanted == seen:
                        self.condition.wait()
                    self.sleepers -= 1
                while posted == seen:  # woken for a call, whose post follows: waited for natively, as a
                    # look per window from Python would hold the GIL that the caller needs
                    posted = _store_then_wait(flags, _done(worker), seen, _POST, seen, self.done_window)
            seen = posted
            if self.closed:
                return
            if previous_ack is not None:  # one thread at a time takes the GIL to start its slice
                _wait(flags, previous_ack, 0, self.ack_window)
            function, bounds, arguments = self.task
            try:
                if worker + 2 < len(bounds):
                    function(bounds[worker + 1], bounds[worker + 2], self.address + 8 * ack, *arguments)
            except BaseException as error:  # noqa: BLE001 - the caller raises it
                self.errors[worker] = error
            finally:  # acknowledged for a function that does not announce (or raised first)
                _store(flags, ack, 1)
            del function, arguments


def _calibrate(flags) -> float:
    """Pauses a second: PAUSE takes from 10 to 140 cycles by CPU model."""
    spins = 1 << 14
    _wait(flags, _POST, 0, 1)  # compiled (or loaded) before it is timed
    start = time.perf_counter()
    _wait(flags, _POST, 0, spins)
    return spins / max(time.perf_counter() - start, 1e-9)


_pool: ThreadPool | None = None
_pool_lock = threading.Lock()
_no_pool = False  # one thread, or its threads could not start: kernels run on the calling thread


def pool() -> ThreadPool | None:
    """The process's pool, made on first use (the environment is read once); None with one thread."""
    global _pool, _no_pool
    if _pool is None and not _no_pool:
        with _pool_lock:
            if _pool is None and not _no_pool:
                threads = num_threads()
                try:
                    if threads > 1:
                        _pool = ThreadPool(threads)
                except RuntimeError as error:  # "can't start new thread": a limit of the process's
                    warnings.warn(f"ArrayScript runs its kernels on one thread: its threads could not start ({error})",
                                  RuntimeWarning, stacklevel=3)
                _no_pool = _pool is None
    return _pool


def run_parallel(function, outer: int, arguments: tuple) -> None:
    """Run ``function(start, stop, sync, *arguments)`` over [0, outer) in slices, one per thread;
    the calling thread takes the first. ``sync`` is the address a kernel announces its start on."""
    threads = pool()
    if threads is None:
        function(0, outer, UNWATCHED, *arguments)
    else:
        threads.run(function, outer, arguments)


def _forget_pool_in_child() -> None:
    """A forked child has none of its parent's threads, but a copy of the pool that believes them
    waiting: work posted to it would wait forever. The child makes its own pool on first use."""
    global _pool, _pool_lock, _no_pool
    _pool, _pool_lock, _no_pool = None, threading.Lock(), False


os.register_at_fork(after_in_child=_forget_pool_in_child)
