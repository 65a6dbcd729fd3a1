"""The oracle of the archive mutation fuzzer (archive_mutations.py): what loading and
calling a case may do.

``jit.load`` either raises a ``jit.SerializationError`` raised where the data is read
(a message that names the file; never one of ``jit.load``'s catch-all conversions of
another exception, which counts as that exception escaping) or returns an object; a
loaded object, called with its seed's arguments, gives a result or raises an ordinary
exception (not one that only a broken load explains: ``INTERNAL_ERRORS``). Nothing
may be imported, opened outside the kernel cache, the repository and Python's own
trees, written, run as a process, or read from the environment (a secret put in it never shows up in a
result or message) while a case runs. ``arrayscript inspect`` on the same file gives
printable text or a SerializationError. A load past its time limit is a hang.
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import resource
import signal
import sys
import threading
import time
import traceback
import warnings

import numpy as np

from .archive_mutations import EXTRA_FILE, ROOT, Case, _arguments, _short

SECRET_VARIABLE = "ARRAYSCRIPT_FUZZ_SECRET"

# What a call of a loaded object raises only when the load built something broken (a method its
# type lists but has no code, generated code that does not run, a runtime that recurses), never
# as the script language's own error for what the program does (but for an AttributeError that the
# program's own code raises: reading an attribute that its class's __init__ did not set, as Python does).
INTERNAL_ERRORS = (SystemError, AttributeError, NameError, SyntaxError, AssertionError, RecursionError)


def _raised_by_the_program(error) -> bool:
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and frames[-1].filename.startswith("<arrayscript")


class Timeout(BaseException):
    """A case ran past its time limit (a BaseException: no ``except Exception`` in the loader takes it)."""


@contextlib.contextmanager
def time_limit(seconds: float, phase: str):
    """Raise Timeout in this (main) thread after ``seconds`` (Python code only: C loops run on)."""
    def expire(_signal, _frame):
        raise Timeout(phase)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Watch:
    """What a case may not do, watched while ``active``: open a file outside the
    kernel cache, the repository and Python's own trees, write one (but in the kernel
    cache), start a process, change the environment (a process-wide audit hook,
    installed once, idle otherwise)."""

    _installed = None

    def __init__(self):
        from kernels.cache import cache_root  # noqa: PLC0415

        self.cache = str(cache_root())
        self.readable = tuple({str(ROOT), sys.prefix, sys.base_prefix, self.cache, "/proc/", "/sys/", "/dev/",
                               *[p for p in sys.path if p and os.path.isdir(p)]})
        self.active, self.events = False, []

    @classmethod
    def installed(cls) -> "Watch":
        if cls._installed is None:
            cls._installed = cls()
            sys.addaudithook(cls._installed._hook)
        return cls._installed

    _FORBIDDEN = ("os.system", "subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
                  "os.kill", "os.putenv", "os.unsetenv", "os.chmod", "os.chown", "os.truncate", "os.rmdir",
                  "shutil.rmtree", "socket.connect", "socket.bind", "ctypes.dlopen", "builtins.input", "pdb.Pdb",
                  "webbrowser.open", "os.link", "os.symlink")
    _PATHS = {"os.remove": 0, "os.rename": 1, "os.mkdir": 0, "shutil.copyfile": 1, "shutil.move": 1}

    def _hook(self, event, args):
        if not self.active:
            return
        if event == "open":
            path, mode, flags = args
            if not isinstance(path, (str, bytes, os.PathLike)):
                return
            path = os.path.abspath(os.fsdecode(path))
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                (isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND))
            if writing and not path.startswith(self.cache):
                self.events.append(f"opened {path} for writing")
            elif not writing and not path.startswith(self.readable) and os.path.exists(path):
                self.events.append(f"opened {path}")
        elif event.startswith(self._FORBIDDEN):
            self.events.append(f"{event}{_short(args, 60)}")
        elif event in self._PATHS:
            path = os.fsdecode(args[self._PATHS[event]]) if isinstance(args[self._PATHS[event]], (str, bytes)) else ""
            if not os.path.abspath(path).startswith(self.cache):
                self.events.append(f"{event}({path!r})")


@dataclasses.dataclass
class Outcome:
    number: int
    seed: str
    description: str
    status: str                 # "loaded", "refused" (a clean SerializationError), "failure", "hang"
    call: str | None = None     # "ok", "raised", "timed out", "no forward" for a loaded case
    call_error: str | None = None  # the type a call raised
    key: str | None = None      # the failure's class: what escaped and where
    detail: str | None = None
    seconds: float = 0.0        # the whole case
    load_seconds: float = 0.0

    def as_dict(self):
        return dataclasses.asdict(self)


def _innermost(tb) -> str:
    """file:line (function) of the innermost frame of a traceback, relative to the repository."""
    frames = traceback.extract_tb(tb)
    if not frames:
        return "?"
    frame = frames[-1]
    path = os.path.relpath(frame.filename, ROOT) if frame.filename.startswith(str(ROOT)) else frame.filename
    return f"{path}:{frame.lineno} ({frame.name})"


def _contains(value, secret, budget=10_000) -> bool:
    """Whether ``secret`` is in the strings ``value`` holds (containers and objects, a bounded walk)."""
    pending = [value]
    while pending and budget > 0:
        item = pending.pop()
        budget -= 1
        if isinstance(item, str):
            if secret in item:
                return True
        elif isinstance(item, (bytes, bytearray)):
            if secret.encode() in item:
                return True
        elif isinstance(item, dict):
            pending += list(item.keys()) + list(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            pending += list(item)
        elif hasattr(item, "__dict__") and not isinstance(item, type):
            pending += list(vars(item).values())
        elif item is os.environ:
            return True
    return False


def _masked(error) -> type | None:
    """The exception that ``jit.load``'s catch-all turned into ``error`` (None: raised where the data is read)."""
    from jit.errors import CompilationError  # noqa: PLC0415
    from jit.serialization.loading import _failure  # noqa: PLC0415 - the catch-all's own message

    cause = error.__context__
    if cause is None or isinstance(cause, CompilationError) or not error.__suppress_context__:
        return None
    return type(cause) if str(error).endswith(_failure(cause)) else None


class Oracle:
    """Runs cases: loads, calls, and checks that nothing happened that may not."""

    def __init__(self, corpus, load_seconds=10.0, call_seconds=5.0, inspect=True):
        import jit  # noqa: PLC0415
        from jit.serialization.inspection import describe  # noqa: PLC0415

        self.jit, self.describe, self.corpus = jit, describe, corpus
        self.load_seconds, self.call_seconds, self.inspect = load_seconds, call_seconds, inspect
        self.secret = os.environ.setdefault(SECRET_VARIABLE, f"archive-fuzz-{os.getpid()}-secret")
        self.watch = Watch.installed()
        for name, data in corpus.items():  # what a valid load and call import and touch, before watching
            loaded = self._load(data, name)
            with np.errstate(all="ignore"):
                loaded(*_arguments(name))
            self.describe(io.BytesIO(data))
        from kernels import cpu  # noqa: PLC0415

        cpu.warm_up()  # Numba starts on a thread of its own, importing as it goes: before watching, not during
        for thread in threading.enumerate():
            if thread.name == "arrayscript-numba-start":
                thread.join()
        self.modules = set(sys.modules)

    def _load(self, data, seed, map_location=None):
        extra = {EXTRA_FILE: b""} if seed == "calls" else None
        return self.jit.load(io.BytesIO(data), map_location=map_location, _extra_files=extra)

    def run(self, case: Case) -> Outcome:
        outcome = Outcome(case.number, case.seed, case.description, "refused")
        self.modules = set(sys.modules)  # as the mutation left it (json.loads of odd bytes imports codecs)
        cwd = set(os.listdir("."))
        started = time.monotonic()
        self.watch.events.clear()
        self.watch.active = True
        try:
            self._check(case, outcome)
        finally:
            self.watch.active = False
            outcome.seconds = round(time.monotonic() - started, 4)
        problems = list(self.watch.events)
        new_modules = [m for m in set(sys.modules) - self.modules if not m.startswith("arrayscript_kernel_")]
        if new_modules:
            problems.append(f"imported {sorted(new_modules)[:5]}")
        created = set(os.listdir(".")) - cwd
        if created:
            problems.append(f"created {sorted(created)[:5]} in the working directory")
        if problems and outcome.status != "failure":
            outcome.status, outcome.key, outcome.detail = "failure", f"side effect: {problems[0][:60]}", "; ".join(
                problems)[:500]
        return outcome

    def _check(self, case, outcome):
        jit = self.jit
        started = time.monotonic()
        try:
            with time_limit(self.load_seconds, "load"):
                loaded = self._load(case.data, case.seed, case.map_location)
            outcome.load_seconds = round(time.monotonic() - started, 4)
        except Timeout:
            outcome.status, outcome.key = "hang", "load ran past the limit"
            outcome.detail = f"in {_innermost(sys.exc_info()[2])}"
            return
        except jit.SerializationError as error:
            outcome.load_seconds = round(time.monotonic() - started, 4)
            message = str(error)
            masked = _masked(error)
            if masked is not None:
                where = _innermost(error.__context__.__traceback__)
                outcome.status, outcome.key, outcome.detail = "failure", f"{masked.__name__} at {where}", message[:500]
            elif not message.strip() or "the file object" not in message:
                outcome.status, outcome.key = "failure", "error that does not name the file"
                outcome.detail = message[:500]
            elif self.secret in message:
                outcome.status, outcome.key, outcome.detail = "failure", "the environment in a message", message[:500]
            else:
                outcome.status = "refused"
            self._inspect(case, outcome)
            return
        except Exception as error:  # noqa: BLE001 - the failure this oracle looks for
            outcome.status, outcome.key = "failure", f"{type(error).__name__} at {_innermost(error.__traceback__)}"
            outcome.detail = f"{type(error).__name__}: {str(error)[:400]}"
            return
        outcome.status = "loaded"
        if getattr(loaded, "is_script_module", False) and "forward" not in loaded._type.methods:
            outcome.call = "no forward"  # a module of other methods only (a rename took forward away)
            self._inspect(case, outcome)
            return
        try:
            with time_limit(self.call_seconds, "call"), np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = loaded(*_arguments(case.seed))
            outcome.call = "ok"
        except Timeout:
            outcome.call, result = "timed out", None
        except INTERNAL_ERRORS as error:
            if isinstance(error, AttributeError) and _raised_by_the_program(error):  # __init__ did not set it
                outcome.call, outcome.call_error = "raised", "AttributeError"
                self._inspect(case, outcome)
                return
            outcome.status = "failure"
            outcome.key = f"call: {type(error).__name__} at {_innermost(error.__traceback__)}"
            outcome.detail = str(error)[:400]
            return
        except Exception as error:  # noqa: BLE001 - an ordinary error from a call of a changed program
            outcome.call, outcome.call_error, result = "raised", type(error).__name__, str(error)
        if _contains(result, self.secret):
            outcome.status, outcome.key = "failure", "the environment in a result"
            outcome.detail = _short(result, 300)
        self._inspect(case, outcome)

    def _inspect(self, case, outcome):
        """``arrayscript inspect`` on the same file: text without control characters, or a SerializationError."""
        if not self.inspect or outcome.status == "failure":
            return
        try:
            with time_limit(self.load_seconds, "inspect"):
                text = self.describe(io.BytesIO(case.data))
        except Timeout:
            outcome.status, outcome.key, outcome.detail = "hang", "inspect ran past the limit", \
                f"in {_innermost(sys.exc_info()[2])}"
            return
        except self.jit.SerializationError:
            return
        except Exception as error:  # noqa: BLE001
            outcome.status = "failure"
            outcome.key = f"inspect: {type(error).__name__} at {_innermost(error.__traceback__)}"
            outcome.detail = str(error)[:400]
            return
        if not all(line.isprintable() for line in text.split("\n")):
            outcome.status, outcome.key, outcome.detail = "failure", "inspect printed control characters", \
                _short(next(line for line in text.split("\n") if not line.isprintable()), 200)


@contextlib.contextmanager
def bounded_memory(extra_bytes: int):
    """Address space limited to what the process has now plus ``extra_bytes`` (restored after),
    so that a runaway allocation is a MemoryError, not the machine's memory."""
    with open("/proc/self/status") as status:
        size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    previous = resource.getrlimit(resource.RLIMIT_AS)
    limit = size + extra_bytes
    if previous[1] != resource.RLIM_INFINITY:
        limit = min(limit, previous[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, previous[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, previous)
