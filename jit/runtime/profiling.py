"""What a profiled run records of each array value: its Python type, dtype,
shape, device and whether it is C-contiguous; several runs merge into one
observation per value (sizes that differed become unknown)."""
from __future__ import annotations

import device as _device
from jit import types as T


class Observation:
    """What the profiled runs saw of one array value. ``consistent`` is False when
    runs saw different Python types, dtypes, ranks or devices: no guard can hold it."""

    __slots__ = ("python_type", "dtype", "shape", "device", "contiguous", "consistent")

    def __init__(self, python_type, dtype, shape, device, contiguous, consistent=True):
        self.python_type, self.dtype, self.shape = python_type, dtype, shape
        self.device, self.contiguous, self.consistent = device, contiguous, consistent

    @classmethod
    def of(cls, value) -> "Observation":
        flags = getattr(value, "flags", None)
        contiguous = True if flags is None else bool(flags.c_contiguous)
        return cls(type(value), value.dtype, tuple(value.shape), _device.of(value), contiguous)

    def merged(self, other: "Observation") -> "Observation":
        if not (self.consistent and other.consistent and self.python_type is other.python_type
                and self.dtype == other.dtype and self.device == other.device
                and len(self.shape) == len(other.shape)):
            return Observation(self.python_type, self.dtype, self.shape, self.device, False, consistent=False)
        shape = tuple(a if a == b else None for a, b in zip(self.shape, other.shape))
        return Observation(self.python_type, self.dtype, shape, self.device, self.contiguous and other.contiguous)

    def tensor_type(self, kind: str) -> T.TensorType:
        """The type a specialization of ``kind`` gives the value: exact sizes for
        STATIC (where the runs agreed), only the rank for DYNAMIC."""
        shape = self.shape if kind == "STATIC" else (None,) * len(self.shape)
        return T.TensorType(self.dtype, shape, self.device)

    def __repr__(self):
        return f"Observation({self.tensor_type('STATIC')}, contiguous={self.contiguous})"


class Profile:
    """The observations of profiled runs, by the index the profiling code gives each value."""

    def __init__(self):
        self.observations: dict[int, Observation] = {}
        self.runs = 0

    def recorder(self):
        """A fresh ``_profile(index, value)`` for one run, and the dict it fills."""
        seen: dict[int, Observation] = {}

        def record(index, value):
            if not _device.is_array(value):
                return
            observation = Observation.of(value)
            earlier = seen.get(index)
            seen[index] = observation if earlier is None else earlier.merged(observation)
        return record, seen

    def add_run(self, seen: dict) -> None:
        for index, observation in seen.items():
            earlier = self.observations.get(index)
            self.observations[index] = observation if earlier is None else earlier.merged(observation)
        self.runs += 1
