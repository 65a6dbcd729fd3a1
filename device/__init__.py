"""Where arrays live: NumPy on the CPU, CuPy on CUDA devices.

This package imports nothing else of ArrayScript. CuPy is optional: without it
(or without a GPU) every function here still works for CPU arrays, and asking
for a CUDA device raises an error that says how to get one.
"""
from __future__ import annotations

import re

import numpy

__all__ = ["Device", "of", "to", "cuda_is_available", "array_module", "cupy_module", "is_array"]

_DEVICE_PATTERN = re.compile(r"^(cpu|cuda)(?::(\d+))?$")

_cupy = None
_cupy_checked = False


def cupy_module():
    """The cupy module, or None when CuPy is not installed or cannot load."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy  # noqa: PLC0415 - optional dependency, imported on first need

            _cupy = cupy
        except Exception:  # ImportError, or a CuPy built for another CUDA
            _cupy = None
    return _cupy


class Device:
    """A device name: ``cpu``, ``cuda`` (the current CUDA device) or ``cuda:N``.

    Hashable and comparable; ``str()`` is the canonical name.
    """

    __slots__ = ("type", "index")

    def __init__(self, spec: "str | Device", index: int | None = None):
        if isinstance(spec, Device):
            if index is not None:
                raise ValueError("Device(Device, index) is ambiguous: pass a string such as 'cuda:1'")
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"Device expects a string such as 'cpu' or 'cuda:0', got {type(spec).__name__}")
        match = _DEVICE_PATTERN.match(spec.strip())
        if match is None:
            raise ValueError(
                f"invalid device {spec!r}: expected 'cpu', 'cuda' or 'cuda:N' with N a device index")
        kind, text_index = match.group(1), match.group(2)
        if text_index is not None and index is not None:
            raise ValueError(f"device {spec!r} already has an index; do not pass index={index}")
        if text_index is not None:
            index = int(text_index)
        if index is not None and (not isinstance(index, int) or index < 0):
            raise ValueError(f"device index must be a non-negative int, got {index!r}")
        if kind == "cpu" and index not in (None, 0):
            raise ValueError(f"invalid device {spec!r}: there is only one CPU device ('cpu')")
        self.type = kind
        self.index = index if kind == "cuda" else None

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"Device({str(self)!r})"

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = Device(other)
            except ValueError:
                return False
        return isinstance(other, Device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (Device, (str(self),))

    def resolved(self) -> "Device":
        """The same device with the current CUDA index filled in for plain ``cuda``."""
        if self.type == "cuda" and self.index is None:
            return Device("cuda", _require_cupy("cuda").cuda.runtime.getDevice())
        return self


CPU = Device("cpu")


def _as_device(dev) -> Device:
    return dev if isinstance(dev, Device) else Device(dev)


def _require_cupy(what: str):
    cupy = cupy_module()
    if cupy is None:
        raise RuntimeError(
            f"{what} needs CuPy, which is not installed: install arrayscript[cuda] "
            "(or arrayscript[cuda12] for CUDA 12 drivers), or use the CPU device 'cpu'")
    return cupy


def cuda_is_available() -> bool:
    """True when CuPy is installed and can see at least one CUDA device."""
    cupy = cupy_module()
    if cupy is None:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no driver, or no device
        return False


def _is_cupy_array(obj) -> bool:
    cupy = cupy_module() if type(obj).__module__.startswith("cupy") else None
    return cupy is not None and isinstance(obj, cupy.ndarray)


def is_array(obj) -> bool:
    """True for what ArrayScript calls a tensor: a NumPy array or scalar, or a CuPy array."""
    return isinstance(obj, (numpy.ndarray, numpy.generic)) or _is_cupy_array(obj)


def of(array) -> Device:
    """The device an array lives on."""
    if isinstance(array, (numpy.ndarray, numpy.generic)):
        return CPU
    if _is_cupy_array(array):
        return Device("cuda", array.device.id)
    raise TypeError(f"device.of expects a NumPy or CuPy array, got {type(array).__name__}")


def array_module(dev_or_array):
    """numpy for the CPU (or a CPU array), cupy for a CUDA device (or a CuPy array)."""
    if isinstance(dev_or_array, (numpy.ndarray, numpy.generic)):
        return numpy
    if isinstance(dev_or_array, (str, Device)):
        dev = _as_device(dev_or_array)
        return numpy if dev.type == "cpu" else _require_cupy(f"device {dev}")
    if _is_cupy_array(dev_or_array):
        return cupy_module()
    raise TypeError(
        f"array_module expects a Device, a device name or an array, got {type(dev_or_array).__name__}")


def to(array, dev):
    """A copy of ``array`` on ``dev``, or ``array`` itself when it is already there."""
    target = _as_device(dev)
    source = of(array)
    if target.type == "cpu":
        return array if source.type == "cpu" else array.get()
    cupy = _require_cupy(f"moving an array to {target}")
    if not cuda_is_available():
        raise RuntimeError(f"cannot move an array to {target}: CuPy sees no CUDA device")
    target = target.resolved()
    if source == target:
        return array
    with cupy.cuda.Device(target.index):
        if source.type == "cpu":
            return cupy.asarray(array)
        return cupy.array(array, copy=True)
