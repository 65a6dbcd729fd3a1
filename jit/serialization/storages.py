"""Arrays in an archive, as torch's storages: arrays that are one array in memory
(the same array held twice, views of one buffer) are saved as one storage, a run
of raw bytes, and each array as a view of it (byte offset, shape, strides), so
that they load as views of one array again.

Loading trusts nothing: every view must lie inside its storage, each storage
entry is read once, and every byte read is charged to the load's budget.
Version-1 archives (one ``.npy`` entry per array) are still read.
"""
from __future__ import annotations

import io
import math
import sys
import tokenize

import numpy as np

import device as _device
from jit.errors import SerializationError

# dtypes an archive may hold: no objects, strings, records or datetimes.
ALLOWED_DTYPES = frozenset(np.dtype(name).name for name in (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128"))
MAX_DIMS = 64
_INDEX_LIMIT = 1 << 62  # sizes and strides NumPy and CuPy index with (intp)
STORAGE_PREFIX, V1_TENSOR_PREFIX = "storages/", "tensors/"


def extent(shape, strides, itemsize):
    """(lowest byte, one past the highest byte) the elements of a view cover,
    relative to its first element, in exact integers; None when it has no elements."""
    if 0 in shape:
        return None
    low = sum(stride * (size - 1) for size, stride in zip(shape, strides) if stride < 0)
    high = itemsize + sum(stride * (size - 1) for size, stride in zip(shape, strides) if stride > 0)
    return low, high


def _is_big_endian(dtype) -> bool:
    return dtype.byteorder == ">" or (dtype.byteorder == "=" and sys.byteorder == "big")


# -- saving --------------------------------------------------------------------------------------
class TensorWriter:
    """Numbers the arrays of a save (an array held twice is one tensor) and, at
    ``finish()``, groups those whose bytes overlap into storages and writes them."""

    def __init__(self, archive):
        self.archive, self.records, self.storages, self.numbers = archive, [], [], {}
        self.held = []  # the numbered arrays, kept alive so that their ids and addresses stay theirs

    def add(self, array) -> int:
        key = id(array)
        if key in self.numbers:
            return self.numbers[key]
        if np.dtype(array.dtype).name not in ALLOWED_DTYPES:
            raise SerializationError(f"an array of dtype {array.dtype} cannot be saved (allowed: "
                                     f"{', '.join(sorted(ALLOWED_DTYPES))})")
        self.numbers[key] = len(self.held)
        self.held.append(array)
        self.records.append(None)  # filled in by finish()
        return self.numbers[key]

    def finish(self):
        """Write every storage entry and fill in the tensor records."""
        spans = [_memory_span(array) for array in self.held]
        for members in _storage_groups(spans):
            number = len(self.storages)
            if spans[members[0]] is None:  # a scalar or an empty array: a storage of its own
                array = self.held[members[0]]
                buffer = np.frombuffer(np.asarray(_device.to(array, "cpu")).tobytes(), np.uint8)
                self.records[members[0]] = self._record(array, number, 0)
            else:
                low, high = min(spans[n][1] for n in members), max(spans[n][2] for n in members)
                buffer = np.zeros(high - low, np.uint8)  # bytes no saved array covers stay zero
                for member in members:
                    array, offset = self.held[member], spans[member][3] - low
                    values = np.asarray(_device.to(array, "cpu"))
                    np.ndarray(values.shape, values.dtype, buffer=buffer, offset=offset,
                               strides=array.strides)[...] = values
                    self.records[member] = self._record(array, number, offset)
            entry = f"{STORAGE_PREFIX}{number}.bin"
            self.archive.add(entry, buffer.data)
            self.storages.append({"entry": entry, "nbytes": int(buffer.nbytes)})

    @staticmethod
    def _record(array, storage, offset):
        dtype, scalar = np.dtype(array.dtype), isinstance(array, np.generic)
        record = {"storage": storage, "offset": offset, "dtype": dtype.name, "shape": list(array.shape),
                  "strides": [] if scalar else list(array.strides), "device": str(_device.of(array)),
                  "scalar": scalar}
        if _is_big_endian(dtype):
            record["byteorder"] = "big"
        return record


def _memory_span(array):
    """(address space, lowest byte, one past the highest, first element's address) of
    an array's elements; None for a scalar or an empty array, which share nothing."""
    if isinstance(array, np.generic) or array.size == 0:
        return None
    if isinstance(array, np.ndarray):
        space, first = "cpu", array.__array_interface__["data"][0]
    else:  # a CuPy array
        space, first = str(_device.of(array)), array.data.ptr
    low, high = extent(array.shape, array.strides, array.dtype.itemsize)
    return space, first + low, first + high, first


def _storage_groups(spans):
    """The tensor numbers of each storage, each list in order, the storages in the
    order of their first tensor (so that saving twice gives the same bytes)."""
    groups, current, end = [], None, None
    placed = sorted((span[0], span[1], span[2], n) for n, span in enumerate(spans) if span is not None)
    for space, low, high, number in placed:
        if current is not None and space == current[0] and low < end:
            current[1].append(number)
            end = max(end, high)
        else:
            current, end = (space, [number]), high
            groups.append(current[1])
    groups += [[n] for n, span in enumerate(spans) if span is None]
    return sorted((sorted(group) for group in groups), key=lambda group: group[0])


# -- loading -------------------------------------------------------------------------------------
class TensorReader:
    """The arrays of a load. Every record is checked (and every storage charged to
    ``budget``) up front; arrays are read on first use and placed by
    ``place(array, saved Device, where)``."""

    def __init__(self, archive, manifest, place, budget):
        self.archive, self.place, self.budget, self.where = archive, place, budget, archive.where
        self.records = manifest.get("tensors")
        if not isinstance(self.records, list):
            raise SerializationError(f"{self.where}: the manifest's 'tensors' is not a list")
        self.loaded, self.placed_storages = {}, {}
        if archive.version == 1:
            self.storages = None
            self._check_version_1()
        else:
            self.storages = manifest.get("storages")
            if not isinstance(self.storages, list):
                raise SerializationError(f"{self.where}: the manifest's 'storages' is not a list")
            self._check_storages()

    def get(self, number, where: str):
        if type(number) is not int or not 0 <= number < len(self.records):
            raise SerializationError(f"{self.where}: {where} refers to tensor {number!r}, which the manifest "
                                     f"does not list ({len(self.records)} tensors)")
        if number not in self.loaded:
            self.loaded[number] = self._read_view(number) if self.storages is not None else self._read_npy(number)
        return self.loaded[number]

    def device_of(self, number) -> _device.Device:
        return _saved_device(self.records[number], f"{self.where}: tensor {number}")

    # -- checks, before anything is read ---------------------------------------------------------
    def _entry(self, name, prefix, what):
        if not isinstance(name, str) or not name.startswith(prefix) or not self.archive.has(name):
            raise SerializationError(f"{self.where}: {what} names the entry {str(name)[:80]!r}, which is not an "
                                     f"entry under {prefix!r} in the file")
        return self.archive.size_of(name)

    def _tensor_record(self, number):
        record = self.records[number]
        where = f"{self.where}: tensor {number}"
        if not isinstance(record, dict):
            raise SerializationError(f"{where}: its record is not an object")
        dtype, shape = record.get("dtype"), record.get("shape")
        if not isinstance(dtype, str) or dtype not in ALLOWED_DTYPES:
            raise SerializationError(f"{where}: dtype {dtype!r} is not one an archive may hold (no object, string or "
                                     "record arrays)")
        if not isinstance(shape, list) or len(shape) > MAX_DIMS \
                or not all(type(s) is int and 0 <= s < _INDEX_LIMIT for s in shape):
            raise SerializationError(f"{where}: shape {_shorten(shape)} is not a list of sizes (at most {MAX_DIMS})")
        dtype = np.dtype(dtype)
        if record.get("byteorder", "little") not in ("little", "big"):
            raise SerializationError(f"{where}: byteorder {_shorten(record.get('byteorder'))} is not 'little' or 'big'")
        dtype = dtype.newbyteorder(">" if record.get("byteorder") == "big" else "<")
        declared = math.prod(max(s, 1) for s in shape) * dtype.itemsize
        self.budget.check_declared(declared, f"tensor {number}, {dtype.name}{tuple(shape)},")
        _saved_device(record, where)
        return record, where, dtype, tuple(shape)

    def _check_version_1(self):
        """Version 1: one .npy entry per array, never one entry for two."""
        users = {}
        for number in range(len(self.records)):
            record, where, _, _ = self._tensor_record(number)
            entry = record.get("entry")
            size = self._entry(entry, V1_TENSOR_PREFIX, f"tensor {number}")
            if users.setdefault(entry, number) != number:
                raise SerializationError(f"{where}: its entry {entry!r} is also tensor {users[entry]}'s; in a "
                                         "version-1 archive each array has its own entry")
            self.budget.charge(size, f"tensor {number}'s entry {entry!r}")

    def _check_storages(self):
        users = {}
        for number, storage in enumerate(self.storages):
            what = f"storage {number}"
            if not isinstance(storage, dict) or type(storage.get("nbytes")) is not int or storage["nbytes"] < 0:
                raise SerializationError(f"{self.where}: {what} is not an object with an 'entry' and a size "
                                         "('nbytes')")
            entry = storage.get("entry")
            size = self._entry(entry, STORAGE_PREFIX, what)
            if users.setdefault(entry, number) != number:
                raise SerializationError(f"{self.where}: {what} reads the entry {entry!r}, which is storage "
                                         f"{users[entry]}'s; tensors share bytes only as views of one storage")
            if size != storage["nbytes"]:
                raise SerializationError(f"{self.where}: {what} declares {storage['nbytes']} bytes, but its entry "
                                         f"{entry!r} holds {size}")
            self.budget.charge(size, what)
        devices = {}
        for number in range(len(self.records)):
            record, where, dtype, shape = self._tensor_record(number)
            storage, offset, strides = record.get("storage"), record.get("offset"), record.get("strides")
            if type(storage) is not int or not 0 <= storage < len(self.storages):
                raise SerializationError(f"{where}: its storage {_shorten(storage)} is not one of the "
                                         f"{len(self.storages)} storages the manifest lists")
            if not isinstance(strides, list) or len(strides) != len(shape) \
                    or not all(type(s) is int and -_INDEX_LIMIT < s < _INDEX_LIMIT for s in strides):
                raise SerializationError(f"{where}: strides {_shorten(strides)} are not {len(shape)} byte steps, one "
                                         "per dimension")
            nbytes = self.storages[storage]["nbytes"]
            if type(offset) is not int or not 0 <= offset <= nbytes:
                raise SerializationError(f"{where}: offset {_shorten(offset)} is not a byte offset inside storage "
                                         f"{storage} ({nbytes} bytes)")
            span = extent(shape, strides, dtype.itemsize)
            if span is not None and not (0 <= offset + span[0] and offset + span[1] <= nbytes):
                raise SerializationError(
                    f"{where}: {dtype.name}{shape} with strides {tuple(strides)} at offset {offset} covers bytes "
                    f"{offset + span[0]} to {offset + span[1]}, outside storage {storage} (0 to {nbytes})")
            saved = _saved_device(record, where)
            if devices.setdefault(storage, (saved, number))[0] != saved:
                raise SerializationError(f"{where} was saved on {saved}, but tensor {devices[storage][1]} of the same "
                                         f"storage {storage} on {devices[storage][0]}; a storage lives on one device")

    # -- reading ---------------------------------------------------------------------------------
    def _read_view(self, number):
        record = self.records[number]
        where = f"{self.where}: tensor {number}"
        dtype = np.dtype(record["dtype"]).newbyteorder(">" if record.get("byteorder") == "big" else "<")
        storage = self._storage(record["storage"], _saved_device(record, where), where)
        try:
            view = _view_of(storage, dtype, tuple(record["shape"]), tuple(record["strides"]), record["offset"])
        except (ValueError, TypeError, OverflowError) as error:
            raise SerializationError(f"{where}: cannot be made a view of storage {record['storage']} ({error})") \
                from None
        return view[()] if record.get("scalar") is True and view.ndim == 0 and isinstance(view, np.ndarray) else view

    def _storage(self, number, saved, where):
        if number not in self.placed_storages:
            data = self.archive.read(self.storages[number]["entry"])
            host = np.frombuffer(data, np.uint8).copy()  # writeable: views written through are seen by the others
            del data
            self.placed_storages[number] = self.place(host, saved, where)
        return self.placed_storages[number]

    def _read_npy(self, number):
        record = self.records[number]
        where = f"{self.where}: tensor {number}"
        data = self.archive.read(record["entry"])
        array = _parse_npy(data, np.dtype(record["dtype"]), tuple(record["shape"]), where)
        if record.get("scalar") is True and array.ndim == 0:
            array = array[()]
        return self.place(array, _saved_device(record, where), where)


def _view_of(storage, dtype, shape, strides, offset):
    """The view of ``storage`` (a 1-d uint8 NumPy or CuPy array) the record describes."""
    if isinstance(storage, np.ndarray):
        return np.ndarray(shape, dtype, buffer=storage, offset=offset, strides=strides)
    cupy = _device.cupy_module()
    return cupy.ndarray(shape, dtype, memptr=storage.data + offset, strides=strides)


def _saved_device(record, where) -> _device.Device:
    try:
        return _device.Device(record.get("device"))
    except (TypeError, ValueError, AttributeError):
        raise SerializationError(f"{where}: device {_shorten(record.get('device'))} is not a device name") from None


def _parse_npy(data: bytes, dtype, shape, where):
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        saved_shape, fortran, saved_dtype = header(stream)
    # What NumPy's header reader raises for a header that is not a dict literal: it tokenizes the header
    # (TokenError for an unclosed bracket) before literal_eval parses it (SyntaxError, RecursionError...).
    except (ValueError, TypeError, SyntaxError, OverflowError, MemoryError, RecursionError,
            tokenize.TokenError) as error:
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


def _shorten(data) -> str:
    text = repr(data)
    return text if len(text) <= 60 else text[:57] + "..."
