"""Tracing one function (or one method of a module) into a CompiledFunction:
its inputs become graph inputs and proxies, its outputs the graph's returns.

Inputs and outputs may be arrays, Python numbers (int, float, bool: graph inputs
of that type, TracedNumbers to the traced code) or tuples, lists and dicts of
arrays. A graph input gets the example's concrete type (``Float(3, 4, device=cpu)``); the
function's parameters keep the plain script types, so the traced function takes
other shapes wherever the recorded operations allow.
"""
from __future__ import annotations

import inspect
import keyword

import numpy as np

from jit import types as T
from jit.errors import TracingError
from jit.frontend import CompiledFunction, ParameterSpec
from jit.ir import Graph
from jit.passes import eliminate_dead_code

from . import locations
from .proxies import Traced, TracedArray, TracedNumber, TracedShape
from .recorder import Frame, is_tensor_value, refined_type


def parameter_names(function, count: int, skip_self: bool = False) -> list[str]:
    """Names for the graph inputs: the function's own parameter names where it has them."""
    names = []
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    for parameter in parameters:
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            names.append(parameter.name)
    if skip_self and names and names[0] == "self" and not inspect.ismethod(function):
        names = names[1:]
    names = [n for n in names[:count] if n.isidentifier() and not keyword.iskeyword(n) and n != "self"]
    taken = set(names)
    index = 0
    while len(names) < count:
        candidate = f"input_{index}"
        index += 1
        if candidate not in taken:
            names.append(candidate)
    return names


def as_arguments(example_inputs) -> tuple:
    """``example_inputs`` as a tuple of arguments (a single array is one argument)."""
    return example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)


def input_type(value, where: str) -> T.Type:
    """The graph input type of an example argument: a refined tensor, or a tuple,
    list or dict of them."""
    if is_tensor_value(value):
        return refined_type(value)
    if type(value) in _NUMBER_TYPES:
        return _NUMBER_TYPES[type(value)]
    if isinstance(value, tuple) and not T.is_namedtuple_class(type(value)):
        return T.TupleType(input_type(item, f"{where}[{index}]") for index, item in enumerate(value))
    if isinstance(value, list):
        if not value:
            raise TracingError(f"jit.trace: {where} is an empty list; its element type cannot be traced")
        for index, item in enumerate(value):
            input_type(item, f"{where}[{index}]")
        return _same_type(value, where)
    if isinstance(value, dict):
        if not value or not all(isinstance(k, str) for k in value):
            raise TracingError(f"jit.trace: {where} must be a non-empty dict with str keys")
        for key, item in value.items():
            input_type(item, f"{where}[{key!r}]")
        return T.DictType(T.STR, T.erase_refinement(_same_type(list(value.values()), where).element))
    raise TracingError(f"jit.trace: {where} is a {type(value).__name__}; traced functions take arrays, Python "
                       "numbers (int, float, bool), or tuples, lists and dicts of arrays. Make other values "
                       "constants of the function (a default or a closure), or script it with jit.script")


# A Python number argument is a graph input of its type; the traced function takes other numbers.
_NUMBER_TYPES = {bool: T.BOOL, int: T.INT, float: T.FLOAT}


def _same_type(items, where):
    element = None
    for index, item in enumerate(items):
        kind = T.erase_refinement(input_type(item, f"{where}[{index}]"))
        element = kind if element is None else T.unify(element, kind)
        if element is None:
            raise TracingError(f"jit.trace: the elements of {where} have different structures")
    return T.ListType(element)


def trace_into(recorder, call, names, arguments, name, qualname, module=None, self_type=None):
    """Run ``call`` on proxies of ``arguments`` in a new graph; returns the graph as
    a CompiledFunction and what the call returned (concrete values). For a method,
    ``module`` is its module and ``self_type`` the module's type."""
    graph = Graph()
    self_value = None
    if self_type is not None:
        self_value = graph.add_input(self_type, "self")
    frame = Frame(graph, module, self_value)
    if self_value is not None:
        frame.concrete[id(self_value)] = module
    recorder.frames.append(frame)
    try:
        proxies, parameters = [], []
        if self_type is not None:
            parameters.append(ParameterSpec("self", self_type))
        for parameter_name, argument in zip(names, arguments):
            kind = input_type(argument, f"the argument '{parameter_name}'")
            value = graph.add_input(kind, parameter_name)
            frame.concrete[id(value)] = argument
            if type(argument) in _NUMBER_TYPES:  # a number input, bool included, stands for itself as a size does
                proxies.append(TracedNumber(argument, value, recorder, frame))
            else:
                proxies.append(_mark_inputs(recorder.wrap(value)))
            parameters.append(ParameterSpec(parameter_name, T.erase_refinement(kind)))
        result = call(*proxies)
        loc = locations.source_range()
        _check_output(recorder, result, "the output")
        output = recorder.value_of(result, loc, output=True)
        graph.register_output(output)
        concrete = frame.concrete[id(output)]
    finally:
        recorder.frames.pop()
    _drop_unused_unpacks(frame)
    eliminate_dead_code(graph, refined=False)  # the trace runs on other shapes too: keep what may raise there
    return CompiledFunction(name, qualname, graph, parameters, T.erase_refinement(output.type), None), concrete


def _drop_unused_unpacks(frame):
    """The tracer hands the elements of a shape, tuple, list or dict to Python one
    node each (``x.shape`` gives every size); the ones the traced code never used
    are the tracer's own, not the function's, and go whatever they could raise."""
    for node in reversed(frame.unpacks):
        if node.is_inserted() and not any(output.uses for output in node.outputs):
            node.destroy()


def _mark_inputs(proxy):
    """Inputs are the caller's arrays: writes into them are visible outside."""
    if isinstance(proxy, TracedArray):
        proxy._aliased = True
    elif isinstance(proxy, (tuple, list)):
        for item in proxy:
            _mark_inputs(item)
    elif isinstance(proxy, dict):
        for item in proxy.values():
            _mark_inputs(item)
    return proxy


def _check_output(recorder, result, where):
    """Outputs the tracer can follow: traced values, arrays (constants), numbers,
    None, strings, and tuples, lists and dicts of those."""
    if isinstance(result, (Traced, TracedShape)) or result is None or type(result) in (int, float, bool, str):
        return
    if is_tensor_value(result):
        what = "a NumPy scalar" if isinstance(result, np.generic) else "an array"
        locations.warn(f"{where} of the traced function is {what} the trace did not compute from its inputs: it "
                       "is recorded as a constant")
        return
    if isinstance(result, (tuple, list)):
        for index, item in enumerate(result):
            _check_output(recorder, item, f"{where}[{index}]")
        return
    if isinstance(result, dict):
        for key, item in result.items():
            _check_output(recorder, item, f"{where}[{key!r}]")
        return
    raise TracingError(f"{where} of the traced function is a {type(result).__module__}.{type(result).__qualname__}, "
                       "which a trace cannot follow: traced functions return arrays, numbers, or tuples, lists and "
                       "dicts of them", locations.source_range())
