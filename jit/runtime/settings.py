"""The executor's global settings: the fusion strategy, the fuser switch and the
number of profiled runs. Each setter returns the previous value; executors are
told of changes, so already-scripted functions follow them from their next
specialization decision on."""
from __future__ import annotations

import threading
import weakref

KINDS = ("STATIC", "DYNAMIC")
DEFAULT_STRATEGY = (("STATIC", 2), ("DYNAMIC", 10))
FUSERS = ("default", "none")

_lock = threading.Lock()
_strategy: tuple = DEFAULT_STRATEGY
_fuser = "default"
_profiled_runs = 1
_listeners: "weakref.WeakSet" = weakref.WeakSet()


def set_fusion_strategy(strategy):
    """Set the specialization budget: ``[("STATIC", n), ("DYNAMIC", m), ...]``, in
    order. The first n specializations of a function are for exact shapes, the next
    m for any shape of the same rank (dtype, device fixed); after that, calls that
    match none run the unfused graph. Returns the previous strategy as a list."""
    global _strategy
    entries = _validated(strategy)
    with _lock:
        previous, _strategy = _strategy, entries
    _notify()
    return [tuple(entry) for entry in previous]


def _validated(strategy) -> tuple:
    allowed = " or ".join(repr(k) for k in KINDS)
    if isinstance(strategy, (str, bytes)) or not hasattr(strategy, "__iter__"):
        raise ValueError(f"set_fusion_strategy takes a list of (kind, count) pairs such as "
                         f"[('STATIC', 2), ('DYNAMIC', 10)], not {strategy!r}")
    entries = []
    for index, entry in enumerate(strategy):
        if not isinstance(entry, (tuple, list)) or len(entry) != 2:
            raise ValueError(f"set_fusion_strategy: entry {index} ({entry!r}) is not a (kind, count) pair; "
                             f"kind is {allowed}")
        kind, count = entry
        if kind not in KINDS:
            raise ValueError(f"set_fusion_strategy: entry {index} has kind {kind!r}; the kinds are {allowed}")
        if type(count) is not int or count < 0:
            raise ValueError(f"set_fusion_strategy: entry {index} ({kind!r}, {count!r}) needs a count that is "
                             "an int >= 0")
        entries.append((kind, count))
    return tuple(entries)


def fusion_strategy() -> tuple:
    return _strategy


def specialization_kind(index: int):
    """"STATIC" or "DYNAMIC" for a function's specialization number ``index`` (from 0)
    under the current strategy, or None when the budget is spent."""
    for kind, count in _strategy:
        if index < count:
            return kind
        index -= count
    return None


def dynamic_budget_after(index: int) -> bool:
    """Whether the strategy has a DYNAMIC specialization after number ``index``."""
    for kind, count in _strategy:
        if kind == "DYNAMIC" and count and index + 1 < count:
            return True
        index -= count
    return False


class fuser:  # noqa: N801 - the contract's name, used as `with jit.fuser("none"):`
    """``jit.fuser("none")`` turns fusion off and ``jit.fuser("default")`` on, from
    now on; used as ``with jit.fuser(...):`` the previous setting comes back at the
    end of the block."""

    def __init__(self, name: str):
        global _fuser
        if name not in FUSERS:
            raise ValueError(f"jit.fuser: unknown fuser {name!r}; use one of {', '.join(map(repr, FUSERS))}")
        with _lock:
            self.previous, _fuser = _fuser, name
        _notify()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _fuser
        with _lock:
            _fuser = self.previous
        _notify()
        return False


def fusion_enabled() -> bool:
    return _fuser != "none"


def current_fuser() -> str:
    return _fuser


def set_num_profiled_runs(runs: int) -> int:
    """How many calls of a function (and of each new input signature) run
    instrumented before a specialization is built (default 1; 0 specializes on the
    first call from the argument types alone). Returns the previous number."""
    global _profiled_runs
    if type(runs) is not int or runs < 0:
        raise ValueError(f"set_num_profiled_runs takes an int >= 0, not {runs!r}")
    with _lock:
        previous, _profiled_runs = _profiled_runs, runs
    _notify()
    return previous


def num_profiled_runs() -> int:
    return _profiled_runs


def listen(executor) -> None:
    """``executor.settings_changed()`` is called after every change (held weakly)."""
    _listeners.add(executor)


def _notify():
    for executor in list(_listeners):
        executor.settings_changed()
