"""``jit.script``: compile a function into a ScriptFunction."""
from __future__ import annotations

import inspect
import os
import sys

from . import types as T
from .frontend import compile_function
from .frontend.classes import compile_class, method
from .frontend.modules import methods_to_compile, module_type
from .nn import Module
from .errors import CompilationError
from .runtime import ScriptFunction
from .runtime.variants import PerCallFunction, compiles_for_numbers, number_candidates
from .runtime.module import ScriptModule


def jit_enabled() -> bool:
    """False when ARRAYSCRIPT_JIT=0: script (and trace) return their argument unchanged."""
    return os.environ.get("ARRAYSCRIPT_JIT", "1").strip().lower() not in ("0", "false", "no", "off")


def script(obj, *, example_inputs=None):
    """Compile ``obj`` to script code; usable as a decorator.

    A function becomes a ``ScriptFunction`` with the same call signature, whose
    ``.graph`` and ``.code`` show what was compiled. An ``nn.Module`` instance
    becomes a ``ScriptModule``: its forward, the methods that calls and the
    @jit.export methods compiled, recursively through its submodules. A class
    becomes a script class (the class itself is returned). With ARRAYSCRIPT_JIT=0 in the
    environment, ``obj`` comes back unchanged, for debugging in plain Python.

    ``example_inputs``, a list of argument tuples, types a function's unannotated
    parameters from the values they get in those calls (the calls are not run).
    """
    if not jit_enabled():
        return obj
    if example_inputs is not None and not inspect.isfunction(obj):
        raise TypeError(f"jit.script: example_inputs types the parameters of a function, not of a "
                        f"{type(obj).__name__}; annotate the parameters instead")
    if isinstance(obj, ScriptFunction):
        return obj
    if inspect.isfunction(obj):
        types = None if example_inputs is None else _types_from_examples(obj, example_inputs)
        definition_locals = _definition_locals(obj, sys._getframe(1))
        try:
            compiled = compile_function(obj, parameter_types=types, definition_locals=definition_locals)
        except CompilationError as error:
            return _compiled_per_call(obj, error, types, definition_locals)
        return ScriptFunction(compiled, obj)
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


def _compiled_per_call(fn, error, types, definition_locals):
    """For a function whose code compiles only with Python numbers in some unannotated
    parameters (``range(n)``, ``math.sin(c)``): a PerCallFunction, which compiles a
    variant for each call's numbers. Any other compile error is raised here: the one met
    with those numbers where they got past the first."""
    candidates = {name: kind for name, kind in number_candidates(fn).items() if name not in (types or {})}

    def recompile(number_types):
        return compile_function(fn, parameter_types={**(types or {}), **number_types},
                                definition_locals=definition_locals)

    compiling_types, met = compiles_for_numbers(recompile, candidates, error) if candidates else (None, error)
    if compiling_types is None:
        raise met
    return PerCallFunction.of(fn, recompile, candidates, error, compiling_types)


def _definition_locals(fn, frame):
    """The locals of ``frame`` when it is the one that ran ``fn``'s def (``@jit.script``
    on a function defined inside another): its annotations may name them."""
    if frame is not None and fn.__code__ in frame.f_code.co_consts and frame.f_locals is not frame.f_globals:
        return dict(frame.f_locals)
    return None


def _types_from_examples(fn, example_inputs) -> dict:
    """Parameter name -> type, for the unannotated parameters of ``fn`` that the example
    calls pass: the type of each value (arrays are Tensor), int and float together
    float, a None with another type Optional of it."""
    if not isinstance(example_inputs, list) or not all(isinstance(e, tuple) for e in example_inputs):
        raise TypeError("jit.script: example_inputs must be a list of argument tuples, e.g. [(x, 1.0), (y, 2.0)], "
                        f"not {type(example_inputs).__name__}")
    signature = inspect.signature(fn)
    unannotated = [name for name, p in signature.parameters.items() if p.annotation is inspect.Parameter.empty]
    seen: dict = {}  # name -> (type, number of the example that gave it)
    for number, example in enumerate(example_inputs, 1):
        try:
            bound = signature.bind(*example).arguments
        except TypeError as error:
            raise TypeError(f"jit.script: example_inputs[{number - 1}] does not fit "
                            f"{fn.__qualname__}{signature}: {error}") from None
        for name in unannotated:
            if name not in bound:
                continue
            try:
                kind = T.erase_refinement(T.refined_type_of_value(bound[name]))
            except TypeError:
                raise TypeError(f"jit.script: example_inputs[{number - 1}] passes a {type(bound[name]).__name__} "
                                f"for '{name}', which no script type describes") from None
            if name in seen:
                merged = _merge_example_types(seen[name][0], kind)
                if merged is None:
                    raise TypeError(f"jit.script: example_inputs disagree on the type of '{name}': "
                                    f"{seen[name][0].annotation_str()} in example {seen[name][1] - 1}, "
                                    f"{kind.annotation_str()} in example {number - 1}; annotate it")
                kind = merged
            seen[name] = (kind, seen.get(name, (None, number))[1])
    return {name: kind for name, (kind, _) in seen.items() if kind != T.NONE}


def _merge_example_types(a, b):
    if {a, b} == {T.INT, T.FLOAT}:
        return T.FLOAT
    return T.unify(a, b)
