"""Inputs for fuzzed programs: every dtype, edge values, and odd memory layouts.

An input is described by a small spec (``ArraySpec``, ``ScalarSpec``) that
builds the same value every time and prints itself as Python code
(``spec([[1, 2]], "int8", "transposed")``), so a failing call can be pasted
into a test as it is (``spec(...)``, ``npscalar(...)``, plain numbers; ``inf``
and ``nan`` from math).
"""
from __future__ import annotations

from math import inf, nan  # noqa: F401 - printed specs name them

import numpy as np

DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64")
INTEGER_DTYPES = tuple(d for d in DTYPES if d[0] in "iu")
FLOAT_DTYPES = ("float16", "float32", "float64")
# contiguous (C order), .T of a C array, flipped on every axis (negative strides), every other
# element of a wider buffer, Fortran order, one byte off the allocation's alignment, and
# np.broadcast_to (stride 0, read-only).
LAYOUTS = ("contiguous", "transposed", "negative", "strided", "fortran", "misaligned", "broadcast")


def edge_values(dtype: str) -> list:
    """The values where implementations tend to differ: extremes, zeros of both signs,
    NaN and infinities, subnormals, -1 and the values next to the extremes."""
    kind = np.dtype(dtype)
    if kind == np.bool_:
        return [False, True]
    if kind.kind in "iu":
        info = np.iinfo(kind)
        values = [0, 1, 2, info.max, info.max - 1, info.min]
        if kind.kind == "i":
            values += [-1, -2, info.min + 1]
        return values
    info = np.finfo(kind)
    return [0.0, -0.0, nan, inf, -inf, 1.0, -1.0, 0.5, -2.5, float(info.max), -float(info.max),
            float(info.tiny), float(info.smallest_subnormal), -float(info.smallest_subnormal), float(info.eps)]


def random_values(rng, dtype: str, shape, edge_rate: float = 0.0, small_ints: bool = False) -> np.ndarray:
    """A C-contiguous array of ``shape``; each element is an edge value with
    probability ``edge_rate``. ``small_ints``: int64 and uint64 extremes left out
    (see the generator's ``int64_extremes`` option)."""
    kind = np.dtype(dtype)
    shape = tuple(shape)
    if kind == np.bool_:
        return rng.random(shape) < 0.5
    if kind.kind in "iu":
        low = 0 if kind.kind == "u" else -9
        values = rng.integers(low, 10, shape).astype(kind)
    else:
        values = (rng.standard_normal(shape) * 3).astype(kind)
        if rng.random() < 0.3:  # whole and half numbers: rounding ties, exact comparisons
            values = (np.round(values * 2) / 2).astype(kind)
    edges = [v for v in edge_values(dtype)
             if not (small_ints and dtype in ("int64", "uint64") and abs(int(v)) > 2 ** 31)]
    if edge_rate and values.size:
        mask = rng.random(shape) < edge_rate
        picks = np.array(edges, dtype=object)[rng.integers(0, len(edges), shape)]
        with np.errstate(all="ignore"):
            values = np.where(mask, np.array(picks.tolist(), dtype=kind) if shape else kind.type(picks), values)
        values = np.asarray(values, dtype=kind)
    return np.array(values, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)


def arr(values, dtype: str, layout: str = "contiguous", shape=None) -> np.ndarray:
    """The array with these (logical) values and dtype, laid out in memory as
    ``layout`` says. For ``broadcast``, ``values`` is the array broadcast to ``shape``."""
    logical = np.array(values, dtype=dtype)
    if layout == "broadcast":
        return np.broadcast_to(logical, tuple(shape))
    if layout == "contiguous" or logical.ndim == 0:
        return logical
    if layout == "transposed":
        return np.ascontiguousarray(logical.T).T
    if layout == "negative":
        return np.ascontiguousarray(np.flip(logical))[(slice(None, None, -1),) * logical.ndim]
    if layout == "strided":
        wide = np.zeros(logical.shape[:-1] + (2 * logical.shape[-1],), dtype=dtype)
        wide[..., ::2] = logical
        return wide[..., ::2]
    if layout == "fortran":
        return np.asfortranarray(logical)
    if layout == "misaligned":
        if logical.itemsize == 1:
            return logical
        buffer = np.zeros(logical.nbytes + logical.itemsize, dtype=np.uint8)
        view = buffer[1:1 + logical.nbytes].view(dtype).reshape(logical.shape)
        view[...] = logical
        return view
    raise ValueError(f"unknown layout {layout!r}")


def _literal(value) -> str:
    """A Python literal for one element (floats exact: repr round-trips)."""
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (inf, -inf):
            return "inf" if value > 0 else "-inf"
    return repr(value)


def _list_literal(values) -> str:
    if isinstance(values, list):
        return "[" + ", ".join(_list_literal(v) for v in values) + "]"
    return _literal(values)


class ArraySpec:
    """An array argument: logical values (a C-contiguous array), dtype and layout.
    ``numpy_scalar``: the value is a NumPy scalar (``np.float32(2.5)``), not an array."""

    def __init__(self, values: np.ndarray, layout: str = "contiguous", shape=None, numpy_scalar=False):
        self.values = np.array(values, order="C")
        self.layout, self.shape, self.numpy_scalar = layout, shape, numpy_scalar

    @property
    def dtype(self) -> str:
        return self.values.dtype.name

    @property
    def logical_shape(self) -> tuple:
        return tuple(self.shape) if self.layout == "broadcast" else self.values.shape

    def build(self):
        if self.numpy_scalar:
            return self.values.dtype.type(self.values[()])
        return arr(self.values, self.dtype, self.layout, self.shape)

    def code(self) -> str:
        """The spec as the call that makes it (``spec``, ``npscalar``)."""
        if self.numpy_scalar:
            return f"npscalar({_literal(self.values[()].item())}, {self.dtype!r})"
        values = _list_literal(self.values.tolist())
        if self.layout == "broadcast":
            return f"spec({values}, {self.dtype!r}, 'broadcast', {tuple(self.shape)!r})"
        if self.layout == "contiguous":
            return f"spec({values}, {self.dtype!r})"
        return f"spec({values}, {self.dtype!r}, {self.layout!r})"

    def replaced(self, values=None, layout=None, shape=None) -> "ArraySpec":
        values = self.values if values is None else values
        layout = self.layout if layout is None else layout
        shape = self.shape if shape is None else shape
        return ArraySpec(values, layout, shape, self.numpy_scalar)

    def __repr__(self):
        return self.code()


def spec(values, dtype: str, layout: str = "contiguous", shape=None) -> ArraySpec:
    """An array argument: ``arr(values, dtype, layout, shape)`` built afresh for each call."""
    return ArraySpec(np.array(values, dtype=dtype), layout, shape)


def npscalar(value, dtype: str) -> ArraySpec:
    """A NumPy scalar argument (``np.float32(2.5)``)."""
    return ArraySpec(np.array(value, dtype=dtype), numpy_scalar=True)


def as_spec(value):
    """A spec for ``value``: specs as they are, Python numbers as ScalarSpec."""
    if isinstance(value, (ArraySpec, ScalarSpec)):
        return value
    if type(value) in (int, float, bool):
        return ScalarSpec(value)
    raise TypeError(f"an argument is a spec (spec(...), npscalar(...)) or a Python number, not {type(value).__name__}")


class ScalarSpec:
    """A Python int, float or bool argument."""

    def __init__(self, value):
        self.value = value

    def build(self):
        return self.value

    def code(self) -> str:
        return _literal(self.value)

    def __repr__(self):
        return self.code()
