"""Typed values in the manifest: types as annotation text, values as JSON guided by
their type, and arrays as ``.npy`` entries described by dtype, shape and device.

Decoding checks every value against its type and every array against its
description, so a manifest that lies raises a SerializationError naming the
attribute, never a wrong module.
"""
from __future__ import annotations

import ast
import io
import math

import numpy as np

import device as _device
from jit import types as T
from jit.errors import CompilationError, SerializationError
from jit.frontend.annotations import resolve_annotation

# dtypes an archive may hold: no objects, strings, records or datetimes.
ALLOWED_DTYPES = frozenset(np.dtype(name).name for name in (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128"))
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


# -- arrays ------------------------------------------------------------------------------------
class TensorWriter:
    """Numbers the arrays of a save (an array held twice is stored once) and writes them."""

    def __init__(self, archive):
        self.archive, self.records, self.numbers = archive, [], {}
        self.held = []  # the numbered arrays, kept alive so that their ids stay theirs

    def add(self, array) -> int:
        key = id(array)
        if key in self.numbers:
            return self.numbers[key]
        dev = _device.of(array)
        host = np.asarray(_device.to(array, "cpu"))
        if host.dtype.name not in ALLOWED_DTYPES:
            raise SerializationError(f"an array of dtype {host.dtype} cannot be saved (allowed: "
                                     f"{', '.join(sorted(ALLOWED_DTYPES))})")
        number = len(self.records)
        entry = f"tensors/{number}.npy"
        buffer = io.BytesIO()
        np.save(buffer, host, allow_pickle=False)
        self.archive.add(entry, buffer.getvalue())
        self.records.append({"entry": entry, "dtype": host.dtype.name, "shape": list(host.shape),
                             "device": str(dev), "scalar": isinstance(array, np.generic)})
        self.numbers[key] = number
        self.held.append(array)
        return number


class TensorReader:
    """The arrays of a load, read and checked on first use, placed by ``place(Device)``."""

    def __init__(self, archive, records, place):
        if not isinstance(records, list):
            raise SerializationError(f"{archive.where}: the manifest's 'tensors' is not a list")
        self.archive, self.records, self.place, self.loaded = archive, records, place, {}

    def get(self, number, where: str):
        if type(number) is not int or not 0 <= number < len(self.records):
            raise SerializationError(f"{self.archive.where}: {where} refers to tensor {number!r}, which the manifest "
                                     f"does not list ({len(self.records)} tensors)")
        if number not in self.loaded:
            self.loaded[number] = self._read(number, self.records[number])
        return self.loaded[number]

    def device_of(self, number) -> _device.Device:
        where = f"{self.archive.where}: tensor {number}"
        if not isinstance(self.records[number], dict):
            raise SerializationError(f"{where}: its record is not an object")
        return _saved_device(self.records[number], where)

    def _read(self, number, record):
        where = f"{self.archive.where}: tensor {number}"
        if not isinstance(record, dict):
            raise SerializationError(f"{where}: its record is not an object")
        dtype, shape = record.get("dtype"), record.get("shape")
        if not isinstance(dtype, str) or dtype not in ALLOWED_DTYPES:
            raise SerializationError(f"{where}: dtype {dtype!r} is not one an archive may hold (no object, string or "
                                     "record arrays)")
        if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape) or len(shape) > 64:
            raise SerializationError(f"{where}: shape {shape!r} is not a list of sizes")
        dev = _saved_device(record, where)
        data = self.archive.read(record.get("entry") if isinstance(record.get("entry"), str) else "")
        array = _parse_npy(data, np.dtype(dtype), tuple(shape), where)
        if record.get("scalar") is True and array.ndim == 0:
            array = array[()]
        return self.place(array, dev, where)


def _saved_device(record, where) -> _device.Device:
    try:
        return _device.Device(record.get("device"))
    except (TypeError, ValueError, AttributeError):
        raise SerializationError(f"{where}: device {record.get('device')!r} is not a device name") from None


def _parse_npy(data: bytes, dtype, shape, where):
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        saved_shape, fortran, saved_dtype = header(stream)
    except (ValueError, TypeError, SyntaxError, OverflowError, MemoryError) as error:
        raise SerializationError(f"{where}: not a valid .npy entry ({error})") from None
    if saved_dtype.hasobject or saved_dtype != dtype or tuple(saved_shape) != shape:
        raise SerializationError(f"{where}: the entry holds {saved_dtype}{tuple(saved_shape)}, but the manifest "
                                 f"says {dtype}{shape}")
    count = math.prod(shape)
    body = memoryview(data)[stream.tell():]
    if len(body) != count * dtype.itemsize:
        raise SerializationError(f"{where}: the entry holds {len(body)} bytes of data, not the "
                                 f"{count * dtype.itemsize} that {dtype}{shape} needs")
    array = np.frombuffer(body, dtype=dtype, count=count).reshape(shape, order="F" if fortran else "C")
    return array.copy()


# -- values ------------------------------------------------------------------------------------
def encode(value, kind: T.Type, tensors: TensorWriter, where: str):
    """The JSON form of ``value``, of script type ``kind``."""
    kind = T.erase_refinement(kind)

    def fail():
        raise SerializationError(f"{where} holds a {type(value).__name__}, which is not a {kind.annotation_str()}")

    if isinstance(kind, T.OptionalType):
        return None if value is None else encode(value, kind.element, tensors, where)
    if isinstance(kind, T.UnionType):
        from jit.api import _matches  # noqa: PLC0415 - the runtime check jit.isinstance makes

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
    """The value that ``encode`` gave ``data`` for, checked against ``kind``."""

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
        items = [decode(d, e, tensors, f"{where}[{i}]", map_device) for i, (d, e) in enumerate(zip(data, kind.elements))]
        return kind.cls(*items) if isinstance(kind, T.NamedTupleType) else tuple(items)
    if isinstance(kind, (T.ListType, T.VarTupleType)):
        if not isinstance(data, list):
            fail()
        items = [decode(d, kind.element, tensors, f"{where}[{i}]", map_device) for i, d in enumerate(data)]
        return items if isinstance(kind, T.ListType) else tuple(items)
    if isinstance(kind, T.DictType):
        if not isinstance(data, list) or not all(isinstance(p, list) and len(p) == 2 for p in data):
            fail()
        return {decode(k, kind.key, tensors, f"{where} key", map_device):
                decode(v, kind.value, tensors, f"{where}[{_shorten(k)}]", map_device) for k, v in data}
    if isinstance(kind, T.ClassType) and kind.kind == "class":
        if not isinstance(data, dict) or set(data) != set(kind.attributes):
            fail("an object")
        obj = kind.python_class.__new__(kind.python_class)
        for name, member in kind.attributes.items():
            setattr(obj, name, decode(data[name], member, tensors, f"{where}.{name}", map_device))
        return obj
    raise SerializationError(f"{where} has type {kind.annotation_str()}, which an archive cannot hold")


def _shorten(data) -> str:
    text = repr(data)
    return text if len(text) <= 60 else text[:57] + "..."
