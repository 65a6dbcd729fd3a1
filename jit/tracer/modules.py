"""Tracing modules: the traced module keeps the original's submodules,
parameters and buffers, and each traced method reads them as attributes.

While a module is traced, the arrays in its (and its submodules') parameter and
buffer registries are replaced by proxies, so whatever ``forward`` does with
``self.weight`` is recorded as ``prim::GetAttr`` of the parameter, not baked in.
A call of a submodule becomes a ``prim::CallMethod`` of its ``forward``, traced
into its own graph (as TorchScript does: ``traced.linear.code`` works); a
submodule that is already a ScriptModule keeps its compiled code and control
flow. Every traced module gets its own type: two instances of one class can
trace differently.
"""
from __future__ import annotations

from contextlib import contextmanager

from jit.errors import TracingError
from jit.frontend.calls import name_attribute_value
from jit.frontend.modules import module_type
from jit.frontend.sugared import SimpleValue
from jit.ir.printer import graph_text
from jit.nn import Module
from jit.runtime import ScriptFunction
from jit.runtime.module import ScriptModule

from . import locations
from .functions import parameter_names, trace_into
from .proxies import Traced, TracedArray
from .recorder import refined_type


class TracedParameter(TracedArray):
    """A parameter or buffer while its module is traced: read as an attribute of
    the module whose method is being recorded."""

    __slots__ = ("_owner", "_name")

    def __init__(self, array, owner, name, recorder):
        super().__init__(array, None, recorder, None, aliased=True)
        self._owner, self._name = owner, name

    def _traced_value_in(self, recorder, loc):
        if self._frame is not None:  # assigned in place: now a value of the trace
            return super()._traced_value_in(recorder, loc)
        return read_attribute(recorder, self._owner, self._name, self._concrete, loc)


class ModuleTree:
    """The modules of a traced module, their paths from the root and their types."""

    def __init__(self, root):
        self.root = root
        self.paths: dict[int, tuple] = {}
        self.modules: dict[int, Module] = {}
        self.types: dict[int, object] = {}
        self._index(root, ())
        self._type_of(root)

    def _index(self, module, path):
        if id(module) in self.paths:
            return  # shared: reached by its first path
        self.paths[id(module)], self.modules[id(module)] = path, module
        if isinstance(module, ScriptModule):
            return
        for name, child in module._modules.items():
            if child is not None:
                self._index(child, path + (name,))

    def _type_of(self, module):
        kind = self.types.get(id(module))
        if kind is None:
            if isinstance(module, ScriptModule):
                kind = module._type
            else:
                children = {name: self._type_of(child) for name, child in module._modules.items() if child is not None}
                kind = module_type(module, children, shared=False)
                kind.sources = {}  # a traced module's methods are the traced ones
            self.types[id(module)] = kind
        return kind

    def relative_path(self, base, module):
        """The attribute path from ``base`` to ``module``, or None when ``module`` is not inside it."""
        if base is None or id(base) not in self.paths or id(module) not in self.paths:
            return None
        start, target = self.paths[id(base)], self.paths[id(module)]
        return target[len(start):] if target[:len(start)] == start else None

    @contextmanager
    def parameters_traced(self, recorder):
        """Parameters and buffers replaced by proxies for the duration of the trace."""
        replaced = []
        for module in self.modules.values():
            if isinstance(module, ScriptModule):
                continue
            for registry in (module._parameters, module._buffers):
                for name, array in list(registry.items()):
                    if array is not None:
                        replaced.append((registry, name, array))
                        registry[name] = TracedParameter(array, module, name, recorder)
        try:
            yield
        finally:
            for registry, name, array in replaced:
                registry[name] = array

    def build(self) -> ScriptModule:
        """The traced ScriptModule tree, sharing the original's arrays."""
        made = {}

        def make(module):
            if isinstance(module, ScriptModule):
                return module
            if id(module) not in made:
                submodules = {name: make(child) for name, child in module._modules.items() if child is not None}
                made[id(module)] = ScriptModule(self.types[id(module)], module, submodules)
                object.__setattr__(made[id(module)], "_traced_training", module.training)
            return made[id(module)]

        return make(self.root)


def read_attribute(recorder, owner, name, concrete, loc):
    """``self.a.b.name`` in the current graph, for an array attribute of ``owner``;
    baked as a constant (with a warning) where the current method cannot reach it."""
    frame = recorder.frame
    path = recorder.tree.relative_path(frame.module, owner) if recorder.tree is not None else None
    if path is None:
        recorder.parameter_names.setdefault(id(concrete), f"{type(owner).__name__}.{name}")
        return recorder.bake(concrete, loc)
    return read_path(recorder, path + (name,), concrete, loc)


def read_path(recorder, path, final, loc):
    """The value at ``path`` from the current method's self: one prim::GetAttr per
    step, each read once per graph."""
    frame = recorder.frame
    value, module = frame.self_value, frame.module
    for index, name in enumerate(path):
        key = path[:index + 1]
        last = index == len(path) - 1
        result = final if last else module._modules[name]
        if key not in frame.reads:
            kind = refined_type(final) if last and not isinstance(final, Module) else recorder.tree.types[id(result)]
            frame.reads[key] = name_attribute_value(recorder.run_node("prim::GetAttr", [value], [kind], loc,
                                                                      {"name": name}, results=[result]).output, name)
        value, module = frame.reads[key], result
    return value


def note_parameters(recorder, module):
    """Name ``module``'s arrays, so that baking one into a trace says which it is."""
    for name, array in list(module.named_parameters()) + list(module.named_buffers()):
        recorder.parameter_names.setdefault(id(array), f"{type(module).__name__}.{name}")


def call_module(recorder, module, args, kwargs):
    """A module called while tracing: a method call where the traced module can
    reach it, else its forward run (and recorded) inline."""
    loc = locations.source_range()
    path = recorder.tree.relative_path(recorder.frame.module, module) if recorder.tree is not None else None
    if isinstance(module, ScriptModule):
        if path is None:
            raise TracingError(f"a traced function called the ScriptModule {module.original_name}, which a trace can "
                               "only record as a method call of a submodule: make it a submodule of a module and "
                               "trace that module (jit.trace(module, inputs))", loc)
        owner = read_path(recorder, path, module, loc) if path else recorder.frame.self_value
        values = [(SimpleValue(recorder.value_of(arg, loc)), loc) for arg in args]
        keywords = {name: (SimpleValue(recorder.value_of(arg, loc)), loc) for name, arg in kwargs.items()}
        with recorder.internal():
            result = recorder.emit_method_call(owner, "forward", values, keywords, loc)
        return recorder.wrap(result.value, loc)
    if not path or kwargs or not all(_traceable_argument(arg) for arg in args):
        if path is None:
            note_parameters(recorder, module)
        return module.forward(*args, **kwargs)
    kind = recorder.tree.types[id(module)]
    concrete_args = [_concrete(arg) for arg in args]
    compiled, result = trace_into(recorder, module.forward, parameter_names(module.forward, len(args)),
                                  concrete_args, "forward", f"{kind.name}.forward", module, kind)
    method = kind.methods.get("forward")
    if method is None:
        method = kind.methods["forward"] = ScriptFunction(compiled, type(module).forward)
    elif graph_text(method.graph, erased=True) != graph_text(compiled.graph, erased=True):
        locations.warn(f"the submodule {type(module).__name__} traced differently in this call than in its first "
                       "call; the traced module uses the first trace for every call")
    owner = read_path(recorder, path, module, loc)
    arguments = [(SimpleValue(recorder.value_of(arg, loc)), loc) for arg in args]
    with recorder.internal():
        values = recorder.bind_signature(method.parameters[1:], f"{kind.name}.forward()", arguments, {}, loc)
    node = recorder.run_node("prim::CallMethod", [owner] + values, [method.return_type], loc, {"name": "forward"},
                             results=[result])
    return recorder.wrap(node.output, loc)


def _traceable_argument(arg) -> bool:
    if isinstance(arg, TracedArray):
        return True
    if isinstance(arg, (tuple, list)) and arg:
        return all(_traceable_argument(item) for item in arg)
    if isinstance(arg, dict) and arg:
        return all(isinstance(k, str) for k in arg) and all(_traceable_argument(v) for v in arg.values())
    return False


def _concrete(arg):
    if isinstance(arg, Traced):
        return arg._concrete
    if isinstance(arg, (tuple, list)):
        return type(arg)(_concrete(item) for item in arg)
    if isinstance(arg, dict):
        return {key: _concrete(item) for key, item in arg.items()}
    return arg
