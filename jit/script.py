"""``jit.script``: compile a function into a ScriptFunction."""
from __future__ import annotations

import inspect
import os

from .frontend import compile_function
from .frontend.classes import compile_class, method
from .frontend.modules import methods_to_compile, module_type
from .nn import Module
from .runtime import ScriptFunction
from .runtime.module import ScriptModule


def jit_enabled() -> bool:
    """False when ARRAYSCRIPT_JIT=0: script (and trace) return their argument unchanged."""
    return os.environ.get("ARRAYSCRIPT_JIT", "1").strip().lower() not in ("0", "false", "no", "off")


def script(obj):
    """Compile ``obj`` to script code; usable as a decorator.

    A function becomes a ``ScriptFunction`` with the same call signature, whose
    ``.graph`` and ``.code`` show what was compiled. An ``nn.Module`` instance
    becomes a ``ScriptModule``: its forward, the methods that calls and the
    @jit.export methods compiled, recursively through its submodules. A class
    becomes a script class (the class itself is returned). With ARRAYSCRIPT_JIT=0 in the
    environment, ``obj`` comes back unchanged, for debugging in plain Python.
    """
    if not jit_enabled():
        return obj
    if isinstance(obj, ScriptFunction):
        return obj
    if inspect.isfunction(obj):
        return ScriptFunction(compile_function(obj), obj)
    if inspect.isclass(obj) and issubclass(obj, Module):
        raise TypeError(f"jit.script takes an instance of an nn.Module, not the class {obj.__qualname__}: "
                        f"jit.script({obj.__name__}(...))")
    if inspect.isclass(obj):
        compile_class(obj)
        return obj  # the class itself, usable from Python and script code alike
    if isinstance(obj, Module):
        return _script_module(obj, {})
    raise TypeError(f"jit.script compiles functions, classes and modules, not a {type(obj).__name__} ({obj!r})")


def _script_module(module, memo) -> ScriptModule:
    """The ScriptModule of ``module``, its submodules scripted first (a submodule that
    appears twice is scripted once, and shared)."""
    if isinstance(module, ScriptModule):
        return module
    if id(module) in memo:
        return memo[id(module)]
    submodules = {name: _script_module(child, memo) for name, child in module._modules.items() if child is not None}
    kind = module_type(module, {name: child._type for name, child in submodules.items()})
    for name in methods_to_compile(kind):
        method(kind, name, None)
    scripted = ScriptModule(kind, module, submodules)
    memo[id(module)] = scripted
    return scripted
