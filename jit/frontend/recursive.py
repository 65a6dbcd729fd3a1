"""Recursive scripting (the seeds' PyTorch 1.2 rule: opt-out, not opt-in).

A plain Python function that script code calls is compiled along with its
caller, once per (function, argument types), and the ScriptFunction shared by
every caller: calls are ``prim::CallFunction``, which the inliner inlines and
``jit.save`` saves. A plain Python class called from script code is compiled as
a script class. Only ``@jit.ignore`` keeps a call in Python and ``@jit.unused``
makes it raise. A callee that cannot compile is a CompilationError that shows
the chain of callers and suggests ``@jit.ignore``; recursion is refused, as
TorchScript refuses it.

Parameters of a callee are typed as any script function's (annotation, else the
default's type, else Tensor), except that an unannotated parameter takes the type
of the argument it is called with (``g(x, 2)`` and ``g(x, 0.5)`` are two
compilations). An argument that is a Python function, operator, module or class
(``act=np.tanh``, ``g(x, my_helper)``) is no graph value: the callee is compiled
with the parameter bound to it.
"""
from __future__ import annotations

import contextlib
import inspect
import sys
import threading
import types as _pytypes

import numpy as np

import device as _device
from jit import types as T
from jit.errors import CompilationError

from .sugared import (BuiltinType, ModuleValue, NamedTupleClass, OpFunction, PythonClassValue, PythonFunctionValue,
                      ScriptClassValue, ScriptFunctionValue, SimpleValue)

# Functions of these packages (and of Python's standard library) are not compiled
# from their source: what script code reaches of them is the operator registry.
_LIBRARIES = frozenset({"numpy", "cupy", "scipy", "numba", "jit", "fuser", "kernels", "device", "torch"})

# Each function's compilations live on the function itself ({key: ScriptFunction}), and go with it.
_VARIANTS = "__jit_compiled_variants__"
_state = threading.local()
_lock = threading.RLock()


def _stack() -> list:
    if not hasattr(_state, "stack"):
        _state.stack = []
    return _state.stack


@contextlib.contextmanager
def compiling(function):
    """Marks ``function`` as being compiled (jit.script's own functions and methods
    too), so that a call back into it is reported as recursion."""
    stack = _stack()
    stack.append(function)
    try:
        yield
    finally:
        stack.pop()


def _being_compiled(function) -> bool:
    return any(entry is function for entry in _stack())


def is_static_python_value(obj) -> bool:
    """A Python object a parameter may be bound to at compile time: a function, an
    operator, a class or a module (``act=np.tanh``), never an array or a number."""
    if isinstance(obj, _pytypes.ModuleType):
        return True
    return callable(obj) and not _device.is_array(obj) and not isinstance(obj, (np.dtype, np.generic))


def static_defaults(function) -> dict:
    """The parameters whose default is a Python function, operator, class or module
    (``act=np.tanh``): bound to it at compile time, as a call that omits them would."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in signature.parameters.values()
            if p.default is not p.empty and is_static_python_value(p.default)}


def _static_key(sugared):
    """What identifies a compile-time argument in the cache key, or None when the
    sugared value is not one (it is a graph value, or holds one)."""
    if isinstance(sugared, OpFunction) and not isinstance(sugared, BuiltinType):
        return ("op",) + tuple((op.name, getattr(spelling, "name", None), getattr(spelling, "kind", None))
                               for op, spelling in sugared.overloads)
    if isinstance(sugared, BuiltinType):
        return ("type", sugared.python_type)
    if isinstance(sugared, PythonFunctionValue):
        return ("python", sugared.function, sugared.mode)
    if isinstance(sugared, ScriptFunctionValue):
        return ("script", sugared.function)
    if isinstance(sugared, ModuleValue):
        return ("module", sugared.module, sugared.path)
    if isinstance(sugared, ScriptClassValue):
        return ("class", sugared.kind)
    if isinstance(sugared, PythonClassValue):
        return ("pyclass", sugared.cls)
    if isinstance(sugared, NamedTupleClass):
        return ("namedtuple", sugared.kind.cls)
    return None


def library_of(obj) -> str | None:
    """The library (numpy, math, ...) ``obj`` belongs to, when it is not user code."""
    module = getattr(obj, "__module__", None) or ""
    top = module.split(".")[0]
    if top in _LIBRARIES or top in sys.stdlib_module_names or top == "builtins":
        return top
    return None


def refuse_uncompilable_function(function, name, loc):
    """A Python callable script code cannot compile: a builtin, a library's function,
    a bound method of a Python object. The error names it and suggests @jit.ignore."""
    hint = ("; to call it in Python, call it from a function marked @jit.ignore (not saveable), or use "
            "an operator (python -m jit.ops lists them)")
    if isinstance(function, _pytypes.MethodType):
        raise CompilationError(f"'{name}' is a method bound to a Python object of type "
                               f"'{type(function.__self__).__name__}', which script code cannot call (it calls "
                               f"methods of modules and script class objects){hint}", loc)
    library = library_of(function)
    if not isinstance(function, _pytypes.FunctionType) or library is not None:
        what = f"a function of '{library}'" if library not in (None, "builtins") else "a Python builtin"
        raise CompilationError(f"'{name}' is {what} that the operator registry does not cover, so script code "
                               f"cannot call it{hint}", loc)


def emit_compiled_call(emitter, function, args, keywords, loc, fork=False):
    """A call of the plain Python ``function`` from script code: compile it for these
    arguments (or reuse the compilation) and emit ``prim::CallFunction``."""
    name = getattr(function, "__qualname__", getattr(function, "__name__", "function"))
    refuse_uncompilable_function(function, name, loc)
    if _being_compiled(function):
        raise CompilationError(f"'{name}' calls itself (directly or through the functions it calls); recursion is "
                               "not supported in script code, as in TorchScript: write it as a loop", loc)
    signature = inspect.signature(function)
    plain = all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in signature.parameters.values())
    statics, values, argument_types = {}, {}, {}
    if plain:
        try:
            bound = signature.bind(*args, **keywords)
        except TypeError as error:
            raise CompilationError(f"{name}(): {error}", loc) from None
        for parameter in signature.parameters.values():
            if parameter.name in bound.arguments:
                sugared, arg_loc = bound.arguments[parameter.name]
            else:  # the default, passed as if written at the call (the callee has none)
                sugared, arg_loc = emitter.resolve_python(parameter.default, parameter.name, loc), loc
            if _static_key(sugared) is not None:
                statics[parameter.name] = sugared
                continue
            value = sugared.as_value(emitter, arg_loc)
            values[parameter.name] = (SimpleValue(value), arg_loc)
            if parameter.annotation is parameter.empty:
                argument_types[parameter.name] = T.erase_refinement(value.type)
    callee = compiled_variant(function, name, argument_types if plain else None, statics, loc)
    return emitter.emit_script_call(callee, [], values, loc, fork=fork)  # named distinctly there


def distinctly_named(emitter, callee):
    """``callee``, or a copy under another name when the caller already calls a different
    function of that name (``softmax`` from two modules): printed code calls by name."""
    called = emitter.__dict__.setdefault("_callees_by_name", {})
    name, count = callee.name, 0
    while called.get(name, callee) is not callee and called[name].graph is not callee.graph:
        count += 1
        name = f"{callee.name}_{count}"
    if name != callee.name:
        callee = _renamed(callee, name)
    called[name] = callee
    return callee


def _renamed(callee, name):
    """The same compiled function under another printed name (made once per name)."""
    from jit.runtime import ScriptFunction  # noqa: PLC0415 - the runtime sits beside the frontend

    from .emitter import CompiledFunction  # noqa: PLC0415 - the emitter imports this module

    with _lock:
        aliases = callee.__dict__.setdefault("_renamed", {})
        if name not in aliases:
            compiled = CompiledFunction(name, callee.qualname, callee.graph, callee.parameters, callee.return_type,
                                        None)
            compiled.recompile = callee._recompile  # its variants for Python numbers are the callee's
            aliases[name] = ScriptFunction(compiled, callee.original, number_parameters=callee.number_parameters)
            aliases[name].static_arguments = callee.static_arguments
        return aliases[name]


def compiled_variant(function, name, argument_types, statics, loc):
    """The ScriptFunction of ``function`` for these parameter types and compile-time
    arguments: from the cache, or compiled now (with the caller chain on an error)."""
    from jit.runtime import ScriptFunction  # noqa: PLC0415 - the runtime sits beside the frontend

    from . import compile_function  # noqa: PLC0415 - this module is part of the frontend package

    key = (tuple(sorted((argument_types or {}).items(), key=lambda item: item[0])),
           tuple(sorted(((n, _static_key(s)) for n, s in statics.items()), key=lambda item: item[0])))
    with _lock:
        found = function.__dict__.get(_VARIANTS, {}).get(key)
        if found is not None:
            return found
    try:
        compiled = compile_function(function, argument_types=argument_types, static_arguments=statics)
    except CompilationError as error:
        raise chained(error, f"'{name}'", loc) from None
    with _lock:
        variants = function.__dict__.setdefault(_VARIANTS, {})
        if key in variants:  # compiled meanwhile by another thread
            return variants[key]
        if not statics:  # argument types that annotations override give the same code: share it
            same = next((v for v in variants.values() if not v.static_arguments and _same_signature(v, compiled)),
                        None)
            if same is not None:
                variants[key] = same
                return same
        # Printed code calls a callee by name: each variant of a function gets its own.
        count = len({id(v) for v in variants.values()})
        compiled.name = compiled.name if count == 0 else f"{compiled.name}_{count}"
        callee = ScriptFunction(compiled, function)
        callee.static_arguments = sorted(statics)  # bound at compile time: not parameters of the callee
        variants[key] = callee
        return callee


def _same_signature(function, compiled) -> bool:
    return [(p.name, p.type) for p in function.parameters] == [(p.name, p.type) for p in compiled.parameters] \
        and function.return_type == compiled.return_type


def chained(error: CompilationError, what: str, loc) -> CompilationError:
    """``error``, raised while compiling ``what`` for the call at ``loc``, with that
    call added to its chain of callers (TorchScript's 'is being compiled since it was
    called from'); the innermost link suggests @jit.ignore."""
    context = f"{what} is being compiled since it was called from '{loc.source.function_name}'"
    first = not getattr(error, "has_call_chain", False)
    if first:
        context += f" (mark {what} @jit.ignore to run it in Python instead; an ignored call is not saved)"
    result = error.called_from(context, loc)
    result.has_call_chain = True
    return result


def compile_called_class(cls, loc) -> T.ClassType:
    """The script class of the plain Python class ``cls`` that script code calls."""
    from .classes import compile_class  # noqa: PLC0415 - classes compiles with the emitter

    existing = T.class_type_of(cls)
    if existing is not None:
        return existing
    try:
        return compile_class(cls)
    except CompilationError as error:
        raise chained(error, f"the class '{cls.__qualname__}'", loc) from None


def is_compilable_class(obj) -> bool:
    """A plain Python class of user code (not a builtin, library, exception or module class)."""
    if not isinstance(obj, type) or library_of(obj) is not None or issubclass(obj, BaseException):
        return False
    from jit.nn import Module  # noqa: PLC0415 - nn sits beside the frontend

    return not issubclass(obj, Module)
