"""``ScriptModule``: a scripted nn.Module.

It is an ``nn.Module`` whose parameters, buffers, attributes and submodules
(themselves ScriptModules) are those of the module it was made from — the same
arrays, as TorchScript shares them — and whose methods are the compiled methods
of its module type. ``forward`` and the exported methods are callable from
Python; each has ``.graph`` and ``.code``.
"""
from __future__ import annotations

from jit import _tracing
from jit.nn.module import Module

from .archived import Archived
from .codegen import ArgumentError, converter


class ScriptMethod:
    """A compiled method bound to its module: callable, with ``graph``, ``code`` and ``schema``."""

    def __init__(self, function, owner):
        self.function, self.owner = function, owner
        self.name = function.name

    def __call__(self, *args, **kwargs):
        return self.function.run(self.owner, *args, **kwargs)

    def graph_for(self, *args, **kwargs):
        return self.function.graph_for(self.owner, *args, **kwargs)

    @property
    def graph(self):
        return self.function.graph

    @property
    def code(self) -> str:
        return self.function.code

    @property
    def schema(self) -> str:
        return self.function.schema

    def __repr__(self):
        return f"<ScriptMethod {self.owner.original_name}.{self.name}>"


class ScriptModule(Archived, Module):
    """A module compiled to script code (``jit.script(module)``)."""

    is_script_module = True

    def __init__(self, kind, original, submodules: dict):
        super().__init__()
        registries = {"_parameters": original._parameters, "_buffers": original._buffers,
                      "_modules": {name: submodules.get(name) for name in original._modules}}
        attributes = {name: _copied_containers(getattr(original, name)) for name in kind.attributes
                      if name not in kind.slots}
        self._fill(kind, type(original).__name__, registries, original._non_persistent_buffers, attributes)

    @classmethod
    def rebuilt(cls, kind, original_name, registries, non_persistent_buffers, attributes):
        """A ScriptModule from its parts (a loaded one: no nn.Module to copy)."""
        module = cls.__new__(cls)
        Module.__init__(module)
        module._fill(kind, original_name, registries, non_persistent_buffers, attributes)
        return module

    def _fill(self, kind, original_name, registries, non_persistent_buffers, attributes):
        object.__setattr__(self, "_type", kind)
        object.__setattr__(self, "_original_name", original_name)
        for registry, entries in registries.items():
            getattr(self, registry).update(entries)
        self._non_persistent_buffers.update(non_persistent_buffers)
        for name, value in attributes.items():
            object.__setattr__(self, name, value)
        for name, value in kind.constants.items():
            object.__setattr__(self, name, value)

    @property
    def original_name(self) -> str:
        return self._original_name

    def _get_name(self):
        return "RecursiveScriptModule"

    def extra_repr(self):
        return f"original_name={self._original_name}"

    # -- methods ----------------------------------------------------------------------------
    def _method(self, name):
        function = self._type.methods.get(name)
        if function is None:
            if name in self._type.sources:
                raise AttributeError(f"'{self._original_name}.{name}' was not compiled: only forward, the methods "
                                     "it calls and @jit.export methods are; mark it @jit.export")
            raise AttributeError(f"'{self._original_name}' (a ScriptModule) has no method '{name}'")
        return ScriptMethod(function, self)

    def __getattr__(self, name):  # only for names not found the ordinary way
        kind = self.__dict__.get("_type")
        if kind is not None and (name in kind.methods or name in kind.sources):
            return self._method(name)
        try:
            return super().__getattr__(name)
        except AttributeError:
            raise AttributeError(f"the scripted {self.__dict__.get('_original_name')} has no attribute "
                                 f"'{name}'") from None

    @property
    def forward(self):
        return self._method("forward")

    def __call__(self, *args, **kwargs):
        if _tracing.active:
            recorder = _tracing.current()
            if recorder is not None:  # a trace records the call, control flow and all
                return recorder.call_module(self, args, kwargs)
        forward = self._type.methods.get("forward")
        if forward is None:
            return self._method("forward")  # raises the error that says why
        return forward.run(self, *args, **kwargs)  # with its variants for Python numbers

    def train(self, mode: bool = True):
        super().train(mode)
        traced_in = self.__dict__.get("_traced_training")
        if traced_in is not None and traced_in != mode:
            from jit.tracer.locations import warn  # noqa: PLC0415 - the tracer sits above the runtime

            warn(f"{self._original_name} was traced in {'training' if traced_in else 'eval'} mode: its trace "
                          f"recorded that mode's behaviour (dropout...) and does not change with "
                 f".{'train()' if mode else 'eval()'}; trace it again in the mode you will run it in")
        return self

    @property
    def graph(self):
        return self._method("forward").graph

    def graph_for(self, *args, **kwargs):
        """forward's optimized graph for these arguments (``ScriptFunction.graph_for``)."""
        return self._method("forward").graph_for(*args, **kwargs)

    @property
    def code(self) -> str:
        return self._method("forward").code

    # -- containers: a scripted Sequential, ModuleList or ModuleDict indexes as the original --
    def _container(self, operation):
        if self._type.container is None:
            raise TypeError(f"the scripted {self._original_name} does not support {operation}")
        return self._type.container

    def __len__(self):
        self._container("len()")
        return len(self._modules)

    def __iter__(self):
        kind = self._container("iteration")
        return iter(self._modules) if kind == "dict" else iter(self._modules.values())

    def __getitem__(self, index):
        if self._container("indexing") == "dict":
            return self._modules[index]
        modules = list(self._modules.values())
        if isinstance(index, slice):
            raise TypeError(f"a scripted {self._original_name} cannot be sliced; index it or iterate over it")
        return modules[index]

    def __contains__(self, key):
        self._container("'in'")
        return key in self._modules

    def keys(self):
        self._container("keys()")
        return self._modules.keys()

    def values(self):
        self._container("values()")
        return self._modules.values()

    def items(self):
        self._container("items()")
        return self._modules.items()

    def __setattr__(self, name, value):
        kind = self.__dict__.get("_type")
        if kind is not None and name in kind.constants:
            raise AttributeError(f"'{name}' is a constant of the scripted {self._original_name}; it cannot be set")
        if kind is not None and name in kind.attributes and name not in kind.slots:
            expected = kind.attributes[name]
            try:
                value = converter(expected, self._original_name, name)(value)
            except ArgumentError:
                raise TypeError(f"the attribute '{name}' of the scripted {self._original_name} has type "
                                f"{expected.annotation_str()}; it cannot hold a {type(value).__name__} (declare "
                                "wider types in the class body, e.g. name: Optional[float])") from None
            object.__setattr__(self, name, value)
            return
        super().__setattr__(name, value)


def _copied_containers(value):
    """Lists and dicts become the scripted module's own (as TorchScript converts them);
    arrays and other objects inside stay shared."""
    if isinstance(value, list):
        return [_copied_containers(v) for v in value]
    if isinstance(value, dict):
        return {k: _copied_containers(v) for k, v in value.items()}
    return value
