"""The type of a scripted module, inferred from an nn.Module instance (TorchScript's
concrete module type).

Parameters and buffers are Tensors (None when unset), submodules have their own
module types, ``training`` is a bool, and every other attribute is typed from
its value, from a class-level annotation (``names: List[str]``), or from
``jit.Attribute(value, T)``. Names in ``__constants__`` or annotated
``jit.Final[T]`` are constants, baked into the code. An attribute whose type
cannot be inferred is an error only where a method uses it, and the error says
how to annotate it. Instances whose types come out equal share one type (and its
compiled methods).
"""
from __future__ import annotations

import inspect
import typing

import numpy as np

import device as _device
from jit import types as T
from jit.errors import CompilationError

from .annotations import type_of_python_annotation

# Attributes nn.Module keeps for itself.
_INTERNAL = frozenset({"_parameters", "_buffers", "_non_persistent_buffers", "_modules", "training",
                       "_attribute_types"})

_types_by_key: dict = {}
_names_taken: dict = {}


def module_type(module, child_types: dict, shared: bool = True) -> T.ClassType:
    """The module type of ``module``; ``child_types`` gives its submodules' types.
    ``shared``: modules whose types come out equal get one type (not so for traced
    modules, whose methods belong to one instance)."""
    from jit.nn import Module, ModuleDict, ModuleList, Sequential  # noqa: PLC0415 - nn sits beside the frontend

    cls = type(module)
    qualname = cls.__qualname__
    constants, annotations = _declared(cls, Module)
    attributes, slots, values, unusable, python_values = {"training": T.BOOL}, {}, {}, {}, {}
    for registry in ("_parameters", "_buffers"):
        for name, array in getattr(module, registry).items():
            attributes[name] = T.NONE if array is None else T.TENSOR
            slots[name] = registry
    for name, child in module._modules.items():
        attributes[name] = T.NONE if child is None else child_types[name]
        slots[name] = "_modules"
    declared_types = module.__dict__.get("_attribute_types", {})
    for name, value in module.__dict__.items():
        if name in _INTERNAL or name in slots:
            continue
        if name in constants:
            values[name] = _constant(qualname, name, value)
        elif name in declared_types or name in annotations:
            declared = declared_types.get(name, annotations.get(name))
            if not _value_fits(value, declared):
                raise CompilationError(f"module {qualname}: attribute '{name}' is declared as "
                                       f"{declared.annotation_str()} but holds a {type(value).__name__}")
            attributes[name] = declared
        elif _is_python_function(value):
            python_values[name] = value
        else:
            try:
                attributes[name] = _type_of_attribute(value)
            except TypeError as error:
                unusable[name] = str(error)
    missing = [name for name in constants if name not in values and name not in slots]
    for name in missing:
        if hasattr(cls, name) and not callable(getattr(cls, name)):
            values[name] = _constant(qualname, name, getattr(cls, name))
    container = "list" if isinstance(module, (Sequential, ModuleList)) else \
        "dict" if isinstance(module, ModuleDict) else None
    key = (cls, tuple(attributes.items()), tuple((n, type(v), v) for n, v in values.items()),
           tuple((n, id(v)) for n, v in python_values.items()), tuple(unusable.items()), container,
           tuple(module._modules) if container else ())
    existing = _types_by_key.get(key) if shared else None
    if existing is not None:
        return existing
    kind = T.ClassType(_unique_name(cls.__name__), cls, "module")
    kind.attributes, kind.slots, kind.constants = attributes, slots, values
    kind.python_values, kind.unusable, kind.container = python_values, unusable, container
    kind.submodules = list(module._modules) if container else []
    kind.sources = _method_sources(cls, Module)
    if shared:
        _types_by_key[key] = kind
    return kind


def methods_to_compile(kind) -> list:
    """``forward`` (when the class defines one) and the methods marked ``@jit.export``."""
    names = ["forward"] if "forward" in kind.sources else []
    return names + [name for name, function in kind.sources.items()
                    if getattr(function, "__jit_export__", False) and name != "forward"]


def _declared(cls, base):
    """(constant names, annotated attribute types) declared by the class and its bases."""
    constants, annotations = set(), {}
    for klass in reversed(cls.__mro__):
        if klass is object or issubclass(base, klass):
            continue
        constants |= set(klass.__dict__.get("__constants__", ()))
        raw = klass.__dict__.get("__annotations__", {})
        try:
            hints = typing.get_type_hints(klass, include_extras=True)
        except Exception:  # noqa: BLE001 - unresolvable names: the raw annotations
            hints = raw
        for name in raw:
            hint = hints.get(name, raw[name])
            if typing.get_origin(hint) is typing.Final or hint is typing.Final:
                constants.add(name)
                continue
            try:
                annotations[name] = type_of_python_annotation(hint)
            except TypeError as error:
                raise CompilationError(f"module {cls.__qualname__}: the annotation of '{name}': {error}") from None
    return constants, annotations


def _constant(qualname, name, value):
    if isinstance(value, list):
        value = tuple(value)  # TorchScript makes constant lists tuples
    if isinstance(value, type) and issubclass(value, np.generic):
        value = np.dtype(value)
    if not _is_constant_value(value):
        raise CompilationError(f"module {qualname}: '{name}' is a constant (in __constants__ or Final) but its value "
                               f"is a {type(value).__name__}; constants are int, float, bool, str, None, a dtype, a "
                               "Device, or a tuple of those")
    return value


def _is_constant_value(value) -> bool:
    if isinstance(value, tuple):
        return all(_is_constant_value(v) for v in value)
    return isinstance(value, (bool, int, float, str, type(None), np.dtype, _device.Device))


def _is_python_function(value) -> bool:
    return inspect.isfunction(value) or inspect.isbuiltin(value) or getattr(value, "is_script_function", False) \
        or type(value).__name__ == "ufunc"


def _type_of_attribute(value) -> T.Type:
    """The script type of an attribute's value; TypeError says how to declare it."""
    if isinstance(value, (list, dict)) and not value:
        what, example = ("list", "List[int]") if isinstance(value, list) else ("dict", "Dict[str, int]")
        raise TypeError(f"it is an empty {what}, whose element type cannot be inferred; annotate it in the class "
                        f"body (name: {example}) or assign it with jit.Attribute({'[]' if what == 'list' else '{}'}, "
                        f"{example})")
    if isinstance(value, dict):
        keys = {_type_of_attribute(k) for k in value}
        members = [_type_of_attribute(v) for v in value.values()]
        element = members[0]
        for member in members[1:]:
            element = T.unify(element, member)
            if element is None:
                raise TypeError("its values have different types; annotate it in the class body")
        if len(keys) != 1 or next(iter(keys)) not in (T.STR, T.INT, T.FLOAT):
            raise TypeError("its keys must all be str, all int or all float")
        return T.DictType(next(iter(keys)), element)
    if isinstance(value, list):
        element = _type_of_attribute(value[0])
        for item in value[1:]:
            element = T.unify(element, _type_of_attribute(item))
            if element is None:
                raise TypeError("its elements have different types; a list holds one type")
        return T.ListType(element)
    if isinstance(value, tuple) and not T.is_namedtuple_class(type(value)):
        return T.TupleType(_type_of_attribute(v) for v in value)
    try:
        return T.erase_refinement(T.refined_type_of_value(value))
    except TypeError:
        raise TypeError(f"a {type(value).__module__}.{type(value).__qualname__} has no script type (script code "
                        "uses arrays, int, float, bool, str, None, lists, dicts, tuples, script classes and "
                        "modules)") from None


def _value_fits(value, declared) -> bool:
    from jit.api import _matches  # noqa: PLC0415 - the runtime check jit.isinstance makes

    return _matches(value, declared)


def _method_sources(cls, base) -> dict:
    """The Python functions of a module class and its bases below nn.Module: the
    methods script code may call, compiled when first used."""
    sources = {}
    for klass in reversed(cls.__mro__):
        if klass is object or issubclass(base, klass):
            continue
        for name, function in klass.__dict__.items():
            if inspect.isfunction(function) and name != "__init__":
                sources[name] = function
    return sources


def _unique_name(base: str) -> str:
    """Type names print in code: distinct types of one class get distinct names."""
    count = _names_taken.get(base, 0)
    _names_taken[base] = count + 1
    return base if count == 0 else f"{base}_{count}"
