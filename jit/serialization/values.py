"""Typed values in the manifest: types as annotation text, values as JSON guided by
their type, arrays as tensor numbers (their records and bytes: ``storages``).

Decoding checks every value against its type and every array against its
description, so a manifest that lies raises a SerializationError naming the
attribute, never a wrong module.
"""
from __future__ import annotations

import ast
import math

import numpy as np

import device as _device
from jit import types as T
from jit.api import _matches
from jit.errors import CompilationError, SerializationError
from jit.frontend.annotations import resolve_annotation

from .storages import ALLOWED_DTYPES, TensorReader, TensorWriter

_SPECIAL_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def type_text(kind: T.Type) -> str:
    return T.erase_refinement(kind).annotation_str()


def parse_type(text, resolver, where: str) -> T.Type:
    """The type that annotation ``text`` names, with the archive's classes in ``resolver``."""
    if not isinstance(text, str) or len(text) > 10_000:
        raise SerializationError(f"{where}: the type {str(text)[:80]!r} is not an annotation")
    try:
        expression = ast.parse(text.strip(), mode="eval").body
        return resolve_annotation(expression, resolver, lambda _node: None)
    except (SyntaxError, ValueError, RecursionError):
        raise SerializationError(f"{where}: the type {text[:80]!r} is not an annotation") from None
    except CompilationError as error:
        raise SerializationError(f"{where}: the type {text[:80]!r}: {error.message}") from None


# -- values ------------------------------------------------------------------------------------
def encode(value, kind: T.Type, tensors: TensorWriter, where: str):
    """The JSON form of ``value``, of script type ``kind``."""
    kind = T.erase_refinement(kind)

    def fail():
        raise SerializationError(f"{where} holds a {type(value).__name__}, which is not a {kind.annotation_str()}")

    if isinstance(kind, T.OptionalType):
        return None if value is None else encode(value, kind.element, tensors, where)
    if isinstance(kind, T.UnionType):
        for number, option in enumerate(kind.options):
            if _matches(value, option):
                return {"option": number, "value": encode(value, option, tensors, where)}
        fail()
    if kind == T.NONE:
        return None if value is None else fail()
    if kind == T.BOOL:
        return bool(value) if isinstance(value, (bool, np.bool_)) else fail()
    if kind == T.INT:
        return int(value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else fail()
    if kind == T.FLOAT:
        if not isinstance(value, (float, int, np.floating)) or isinstance(value, bool):
            fail()
        value = float(value)
        return value if math.isfinite(value) else repr(value)
    if kind == T.STR:
        return value if isinstance(value, str) else fail()
    if kind == T.DTYPE:
        return np.dtype(value).name
    if kind == T.DEVICE:
        return str(value) if isinstance(value, _device.Device) else fail()
    if isinstance(kind, T.TensorType):
        return {"tensor": tensors.add(value)} if _device.is_array(value) else fail()
    if isinstance(kind, T.TupleType):
        if not isinstance(value, tuple) or len(value) != len(kind.elements):
            fail()
        return [encode(v, e, tensors, f"{where}[{i}]") for i, (v, e) in enumerate(zip(value, kind.elements))]
    if isinstance(kind, (T.ListType, T.VarTupleType)):
        if not isinstance(value, (list, tuple)):
            fail()
        return [encode(v, kind.element, tensors, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(kind, T.DictType):
        if not isinstance(value, dict):
            fail()
        return [[encode(k, kind.key, tensors, f"{where} key"), encode(v, kind.value, tensors, f"{where}[{k!r}]")]
                for k, v in value.items()]
    if isinstance(kind, T.ClassType) and kind.kind == "class":
        if not isinstance(value, kind.python_class):
            fail()
        return {name: encode(getattr(value, name), member, tensors, f"{where}.{name}")
                for name, member in kind.attributes.items()}
    raise SerializationError(f"{where} has type {kind.annotation_str()}, which cannot be saved")


def decode(data, kind: T.Type, tensors: TensorReader, where: str, map_device):
    """The value that ``encode`` gave ``data`` for, checked against ``kind``; the
    containers it builds are charged to the budget of ``tensors`` (the load's)."""

    def fail(what="a value"):
        raise SerializationError(f"{where}: {_shorten(data)} is not {what} of type {kind.annotation_str()}")

    if isinstance(kind, T.OptionalType):
        return None if data is None else decode(data, kind.element, tensors, where, map_device)
    if isinstance(kind, T.UnionType):
        if not isinstance(data, dict) or type(data.get("option")) is not int \
                or not 0 <= data["option"] < len(kind.options):
            fail()
        return decode(data.get("value"), kind.options[data["option"]], tensors, where, map_device)
    if kind == T.NONE:
        return None if data is None else fail()
    if kind == T.BOOL:
        return data if type(data) is bool else fail()
    if kind == T.INT:
        return data if type(data) is int else fail()
    if kind == T.FLOAT:
        if isinstance(data, str) and data in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[data]
        return float(data) if type(data) in (int, float) else fail()
    if kind == T.STR:
        return data if isinstance(data, str) else fail()
    if kind == T.DTYPE:
        return np.dtype(data) if isinstance(data, str) and data in ALLOWED_DTYPES else fail("a dtype")
    if kind == T.DEVICE:
        try:
            return map_device(_device.Device(data))
        except (TypeError, ValueError):
            fail("a device")
    if isinstance(kind, T.TensorType):
        if not isinstance(data, dict) or set(data) != {"tensor"}:
            fail()
        return tensors.get(data["tensor"], where)
    if isinstance(kind, T.TupleType):
        if not isinstance(data, list) or len(data) != len(kind.elements):
            fail()
        _charge(tensors, len(data), where)
        items = [decode(d, e, tensors, f"{where}[{i}]", map_device) for i, (d, e) in enumerate(zip(data, kind.elements))]
        return kind.cls(*items) if isinstance(kind, T.NamedTupleType) else tuple(items)
    if isinstance(kind, (T.ListType, T.VarTupleType)):
        if not isinstance(data, list):
            fail()
        _charge(tensors, len(data), where)
        items = [decode(d, kind.element, tensors, f"{where}[{i}]", map_device) for i, d in enumerate(data)]
        return items if isinstance(kind, T.ListType) else tuple(items)
    if isinstance(kind, T.DictType):
        if not isinstance(data, list) or not all(isinstance(p, list) and len(p) == 2 for p in data):
            fail()
        _charge(tensors, 2 * len(data), where)
        return {decode(k, kind.key, tensors, f"{where} key", map_device):
                decode(v, kind.value, tensors, f"{where}[{_shorten(k)}]", map_device) for k, v in data}
    if isinstance(kind, T.ClassType) and kind.kind == "class":
        if not isinstance(data, dict) or set(data) != set(kind.attributes):
            fail("an object")
        _charge(tensors, 2 * len(data), where)
        obj = kind.python_class.__new__(kind.python_class)
        for name, member in kind.attributes.items():
            setattr(obj, name, decode(data[name], member, tensors, f"{where}.{name}", map_device))
        return obj
    raise SerializationError(f"{where} has type {kind.annotation_str()}, which an archive cannot hold")


def _charge(tensors, items, where):
    """Count a container decode builds against the load's budget (``tensors`` carries it;
    None where no arrays can occur, such as a type's constants, decoded once each)."""
    if tensors is not None:
        tensors.budget.charge_decoded(items, where)


def _shorten(data) -> str:
    text = repr(data)
    return text if len(text) <= 60 else text[:57] + "..."
