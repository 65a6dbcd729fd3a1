"""``jit.trace``, ``jit.trace_module``, ``jit.is_tracing`` and ``jit.script_if_tracing``."""
from __future__ import annotations

import copy
import functools
import warnings
from contextlib import contextmanager

from jit import _tracing
from jit.errors import TracerWarning
from jit.nn import Module
from jit.runtime import ScriptFunction
from jit.runtime.module import ScriptModule
from jit.script import jit_enabled, script

from . import checking, factories, python_functions  # noqa: F401 - python_functions adds its wrappers
from .functions import as_arguments, parameter_names, trace_into
from .modules import ModuleTree, note_parameters
from .recorder import Recorder


def is_tracing() -> bool:
    """True while this thread records a trace (in script code: False)."""
    return _tracing.current() is not None


is_tracing.__jit_is_scripting__ = False  # the constant script code compiles it to


@contextmanager
def _recording(recorder):
    previous = _tracing.enter(recorder)
    factories.install()
    try:
        yield recorder
    finally:
        factories.uninstall()
        _tracing.leave(previous)
        recorder.finished = True


def trace(func, example_inputs, *, check_trace=True, check_inputs=None, check_tolerance=1e-5):
    """Record what ``func`` does with ``example_inputs`` (an array or a tuple of
    arguments) as a graph: a ScriptFunction, or for an ``nn.Module`` a ScriptModule
    whose ``forward`` is traced (``jit.trace_module``). With ``check_trace`` the
    trace is re-traced on ``check_inputs`` (default: the example) and the graphs
    and outputs compared with the Python function's."""
    if not jit_enabled():
        return func
    if isinstance(func, (ScriptModule, ScriptFunction)):
        warnings.warn("the input to jit.trace is already compiled (a ScriptModule or ScriptFunction); tracing it is "
                      "a no-op, so it is returned as it is", TracerWarning, stacklevel=2)
        return func
    if isinstance(func, Module):
        checks = None if check_inputs is None else [{"forward": inputs} for inputs in check_inputs]
        return trace_module(func, {"forward": example_inputs}, check_trace=check_trace, check_inputs=checks,
                            check_tolerance=check_tolerance)
    if not callable(func):
        raise TypeError(f"jit.trace takes a function or an nn.Module, not a {type(func).__name__}")
    arguments = as_arguments(example_inputs)
    compiled, bakes = _trace_function(func, arguments)
    traced = ScriptFunction(compiled, func)
    if check_trace:
        checking.check_depends_on_inputs(traced.graph, bakes, f"of {_name_of(func)}")
        checking.warn_nondeterministic(traced.graph)
        for inputs in ([arguments] if check_inputs is None else [as_arguments(i) for i in check_inputs]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", TracerWarning)
                again, _ = _trace_function(func, copy.deepcopy(inputs))
            checking.compare_graphs(traced.graph, again.graph, f"of {_name_of(func)}")
            checking.compare_outputs(func, traced, inputs, check_tolerance)
    return traced


def _name_of(func) -> str:
    name = getattr(func, "__name__", "traced")
    if name.startswith("__") and name.endswith("__") and getattr(func, "__self__", None) is not None:
        name = f"{type(func.__self__).__name__}_{name.strip('_')}"  # obj.__call__: saved code defines no dunder
    return name if name.isidentifier() and not name.startswith("__") else "traced_function"


def _trace_function(func, arguments):
    recorder = Recorder()
    owner = getattr(func, "__self__", None)
    if isinstance(owner, Module):  # a bound method: its module's arrays are baked, and say so
        for module in owner.modules():
            note_parameters(recorder, module)
    name = _name_of(func)
    with _recording(recorder):
        compiled, _ = trace_into(recorder, func, parameter_names(func, len(arguments)), arguments, name,
                                 getattr(func, "__qualname__", name))
    return compiled, recorder.bakes


def trace_module(mod, inputs, *, check_trace=True, check_inputs=None, check_tolerance=1e-5):
    """Trace methods of ``mod``: ``inputs`` maps each method name to its example
    inputs. Returns a ScriptModule with the original's submodules, parameters and
    buffers and one traced method per name. ``check_inputs`` is a list of such dicts."""
    if not jit_enabled():
        return mod
    if not isinstance(mod, Module):
        raise TypeError(f"jit.trace_module takes an nn.Module, not a {type(mod).__name__}")
    if isinstance(mod, ScriptModule):
        raise TypeError(f"{mod.original_name} is already a ScriptModule; trace the original module")
    if not isinstance(inputs, dict) or not inputs:
        raise TypeError("jit.trace_module takes a dict {method name: example inputs}, e.g. {'forward': (x,)}")
    for name in inputs:
        if not callable(getattr(mod, name, None)):
            raise AttributeError(f"{type(mod).__name__} has no method '{name}' to trace")
    traced, bakes = _trace_module(mod, inputs)
    if check_trace:
        for name in inputs:
            checking.check_depends_on_inputs(getattr(traced, name).graph, bakes, f"of {type(mod).__name__}.{name}")
            checking.warn_nondeterministic(getattr(traced, name).graph)
        for check in ([inputs] if check_inputs is None else check_inputs):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", TracerWarning)
                again, _ = _trace_module(mod, copy.deepcopy(check))
            for name, example in check.items():
                checking.compare_graphs(getattr(traced, name).graph, getattr(again, name).graph,
                                        f"of {type(mod).__name__}.{name}")
                checking.compare_outputs(getattr(mod, name), getattr(traced, name), as_arguments(example),
                                         check_tolerance)
    return traced


def _trace_module(mod, inputs) -> tuple[ScriptModule, list[str]]:
    tree = ModuleTree(mod)
    recorder = Recorder(tree)
    kind = tree.types[id(mod)]
    with _recording(recorder), tree.parameters_traced(recorder):
        for name, example in inputs.items():
            method = getattr(mod, name)
            arguments = as_arguments(example)
            compiled, _ = trace_into(recorder, method, parameter_names(method, len(arguments)), arguments, name,
                                     f"{kind.name}.{name}", mod, kind)
            kind.methods[name] = ScriptFunction(compiled, getattr(type(mod), name, None))
    return tree.build(), recorder.bakes


def script_if_tracing(fn):
    """``fn`` runs as plain Python, except while tracing: then it is scripted (on
    first use) and its call recorded with its control flow. Script code calling it
    calls the scripted function."""
    scripted = None

    def compiled():
        nonlocal scripted
        if scripted is None:
            scripted = script(fn)
        return scripted

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not is_tracing():
            return fn(*args, **kwargs)
        return compiled()(*args, **kwargs)

    wrapper.__jit_scripted__ = compiled
    return wrapper
