"""Whether this thread is recording a trace.

A leaf module (it imports nothing of ours), so that the code that must notice a
trace — ``nn.Module.__call__``, ``ScriptFunction`` and ``ScriptModule`` calls —
can ask without importing the tracer. ``active`` counts the traces running in
any thread: the common case, no trace at all, costs one global read.
"""
from __future__ import annotations

import threading

active = 0
_local = threading.local()
_lock = threading.Lock()


def current():
    """The recorder of this thread's trace, or None."""
    return _local.__dict__.get("recorder") if active else None


def enter(recorder):
    global active
    with _lock:
        active += 1
    previous = _local.__dict__.get("recorder")
    _local.recorder = recorder
    return previous


def leave(previous):
    global active
    _local.recorder = previous
    with _lock:
        active -= 1
