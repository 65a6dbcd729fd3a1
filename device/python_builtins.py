"""Python's own builtins and ``math`` functions, as they are, for code that compiles
Python functions (Numba types ``math.exp`` and ``range`` by what those names hold).

While a trace runs, the tracer puts stand-ins in place of ``len``, ``range`` and the
``math`` functions (``jit.tracer.python_functions``); Numba, compiling a kernel or
``np::erf``'s ufunc in the middle of a trace, would find a stand-in where it expects
the builtin. The tracer registers how to take its stand-ins out; ``untouched()``
does that around a compilation and puts them back after. It lives here, below every
other package, because the compiling code (``kernels``, ``jit.ops``) may not import
the tracer."""
from __future__ import annotations

import contextlib

_suspenders: list = []


def register_suspender(suspend) -> None:
    """``suspend()``: a context manager in which the builtins are the originals."""
    _suspenders.append(suspend)


@contextlib.contextmanager
def untouched():
    with contextlib.ExitStack() as stack:
        for suspend in _suspenders:
            stack.enter_context(suspend())
        yield
