"""``jit.script``: compile a function into a ScriptFunction."""
from __future__ import annotations

import inspect
import os

from .frontend import compile_function
from .frontend.classes import compile_class
from .runtime import ScriptFunction


def jit_enabled() -> bool:
    """False when ARRAYSCRIPT_JIT=0: script (and trace) return their argument unchanged."""
    return os.environ.get("ARRAYSCRIPT_JIT", "1").strip().lower() not in ("0", "false", "no", "off")


def script(obj):
    """Compile ``obj`` to script code; usable as a decorator.

    A function becomes a ``ScriptFunction`` with the same call signature, whose
    ``.graph`` and ``.code`` show what was compiled. With ARRAYSCRIPT_JIT=0 in the
    environment, ``obj`` comes back unchanged, for debugging in plain Python.
    """
    if not jit_enabled():
        return obj
    if isinstance(obj, ScriptFunction):
        return obj
    if inspect.isfunction(obj):
        return ScriptFunction(compile_function(obj), obj)
    if inspect.isclass(obj):
        compile_class(obj)
        return obj  # the class itself, usable from Python and script code alike
    raise TypeError(f"jit.script compiles functions, classes and modules, not a {type(obj).__name__} ({obj!r})")
