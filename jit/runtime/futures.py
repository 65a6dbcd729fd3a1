"""``jit.fork`` / ``jit.wait``: run a call on a thread pool and collect its result.

NumPy and CuPy release the GIL inside their kernels, so forked calls overlap
where the work is in arrays. A task that has not started when someone waits for
it runs in the waiting thread instead: a task that forks and waits inside the
pool can never deadlock it, however many are queued.
"""
from __future__ import annotations

import os
import threading
import typing
from concurrent.futures import ThreadPoolExecutor

from jit import ops

_T = typing.TypeVar("_T")
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="jit-fork")
        return _pool


def _forget_pool_in_child() -> None:
    """A forked child gets a copy of the pool without its threads: it makes its own on first use."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_in_child)


class Future(typing.Generic[_T]):
    """The result of ``jit.fork``: ``jit.wait(future)`` (or ``future.wait()``) gives
    the call's value, or raises the exception the call raised. In annotations,
    ``jit.Future[T]``."""

    def __init__(self, function, args, kwargs):
        self._call = (function, args, kwargs)
        self._claim = threading.Lock()
        self._finished = threading.Event()
        self._value = None
        self._error: BaseException | None = None

    def _run(self):
        if not self._claim.acquire(blocking=False):  # started elsewhere (a worker, or a waiter)
            return
        function, args, kwargs = self._call
        self._call = None  # let the arguments go once the call is made
        try:
            self._value = function(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - carried to wait()
            self._error = error
        finally:
            self._finished.set()

    def done(self) -> bool:
        return self._finished.is_set()

    def wait(self):
        self._run()
        self._finished.wait()
        if self._error is not None:
            raise self._error
        return self._value

    def value(self):
        """The result of a finished call (as torch.jit.Future.value)."""
        if not self.done():
            raise RuntimeError("the forked call has not finished; use jit.wait(future)")
        return self.wait()

    def __repr__(self):
        return f"<jit.Future {'done' if self.done() else 'pending'}>"


def fork(function, *args, **kwargs) -> Future:
    """Start ``function(*args, **kwargs)`` on the thread pool; returns its Future.
    In script code the function is a script function, a method or submodule, or
    a Python function (which runs in Python)."""
    if not callable(function):
        raise TypeError(f"jit.fork needs a callable, got {type(function).__name__}")
    future = Future(function, args, kwargs)
    _executor().submit(future._run)
    return future


def wait(future: Future):
    """The value of a forked call; re-raises the exception it raised."""
    if not isinstance(future, Future):
        raise TypeError(f"jit.wait takes a jit.Future (from jit.fork), got {type(future).__name__}")
    return future.wait()


fork.__jit_fork__ = True
ops.add_spelling(ops.lookup("prim::wait"), ops.Spelling("function", "jit.wait", wait))
