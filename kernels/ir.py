"""The kernel IR: what one fusion group computes, element by element.

A ``Kernel`` has operands (arrays, read with broadcasting, and Python scalars
passed by value), a straight-line body of typed scalar instructions, and the
instruction results it stores into fresh output arrays. Every output has the
kernel's iteration shape: the broadcast of its array operands' shapes.

Instructions use the vocabulary of the operators' scalar formulas
(``device.scalar_vocabulary``, one table for formulas, this IR and the renderers): the binary
symbols (``+``, ``<``, ``&``, ``and``...), the unary ``neg``, ``invert`` and
``not``, the primitive functions (``exp``, ``maximum``, ``where``...),
``cast`` and ``power_uniform`` (NumPy's power for an exponent that is one value
for every element, ``UNIFORM_POWERS``); each carries its result dtype, and its arguments are operand or
instruction names, or ``Const``. The semantics are NumPy's, which each renderer
(``kernels.cpu`` for Numba, the CUDA C renderer) reproduces.

How operands are laid out in memory is not part of the kernel: a ``Layout``
says which of each array's dimensions broadcast and, for a STATIC kernel, the
exact iteration shape. A renderer prints a (kernel, layout) pair.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from device import scalar_vocabulary as vocabulary

# The instruction vocabulary is device.scalar_vocabulary's; these are its kernel views.
BINARY_OPS = vocabulary.BINARY_OPERATORS
ORDERING = vocabulary.ORDERING  # <, <=, >, >=
LOGICAL = vocabulary.LOGICAL  # and, or (of truth values)
UNARY_OPS = vocabulary.UNARY_OPERATORS
FUNCTIONS = vocabulary.FUNCTIONS  # name -> arity
BOOL_RESULTS = vocabulary.BOOL_RESULTS  # every instruction whose result is bool, whatever its arguments
# ``power_uniform(x, e)``: x ** e where e is one value for every element, as NumPy's float32 and
# float64 power loops compute it when the exponent is a single broadcast value (inner-loop stride
# 0): these exponents in closed form (1/x, 1, sqrt(x), x, x*x), any other by pow. They differ from
# pow at sqrt(-inf) = nan, sqrt(-0.0) = -0.0, pow(sNaN, 0) and in pow's rounding (up to 1 ulp).
UNIFORM_POWERS = (-1.0, 0.0, 0.5, 1.0, 2.0)


def uniform_power_form(closed: dict, general: str, exponent, b: str, select) -> str:
    """A renderer's power for a uniform exponent: ``closed[value]`` (its closed form for each of
    UNIFORM_POWERS) for a constant exponent, else ``select(condition, then, otherwise)`` chained
    over them on the exponent ``b``, ending in ``general`` (pow)."""
    if isinstance(exponent, Const):
        return closed.get(float(exponent.value), general)
    for value in reversed(UNIFORM_POWERS):
        general = select(f"{b} == {value!r}", closed[value], general)
    return general
# What some renderer supports (each renderer says which: kernels.cpu.DTYPES, kernels.cuda.DTYPES).
SUPPORTED_DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                              "float16", "float32", "float64"})


@dataclass(frozen=True)
class Const:
    value: bool | int | float
    dtype: str


@dataclass(frozen=True)
class Operand:
    """A kernel input: an array of ``rank`` dimensions (0: a 0-d array or NumPy
    scalar, passed by value) or, when ``is_array`` is False, a Python number.
    ``limits``: for a Python int, the (lowest, highest) value the kernel computes
    exactly (the dtypes it is converted to hold it); the launcher runs a call with
    any other value unfused, so that NumPy answers it (exactly, or with its error)."""
    name: str
    dtype: str
    rank: int
    is_array: bool = True
    limits: tuple | None = None


@dataclass(frozen=True)
class Instr:
    target: str
    op: str
    args: tuple
    dtype: str


@dataclass(frozen=True)
class Output:
    name: str
    value: str  # the instruction (or operand) it stores
    dtype: str


@dataclass(frozen=True)
class Kernel:
    name: str
    operands: tuple
    body: tuple
    outputs: tuple
    rank: int  # of the iteration space, at least 1

    def __post_init__(self):
        if self.rank < 1:  # a 0-d result is one element; NumPy's scalar-or-array answer is kept unfused
            raise UnsupportedKernel("kernels iterate over at least one dimension")
        defined = {o.name: o.dtype for o in self.operands}
        for instr in self.body:
            if instr.op not in BINARY_OPS and instr.op not in UNARY_OPS and instr.op not in FUNCTIONS:
                raise ValueError(f"kernel {self.name}: unknown instruction {instr.op!r}")
            for arg in instr.args:
                if not isinstance(arg, Const) and arg not in defined:
                    raise ValueError(f"kernel {self.name}: {instr.target} reads {arg!r} before it is defined")
            defined[instr.target] = instr.dtype
        for output in self.outputs:
            if output.value not in defined:
                raise ValueError(f"kernel {self.name}: output {output.name} stores undefined {output.value!r}")
        for dtype in set(defined.values()) | {o.dtype for o in self.outputs}:
            if dtype not in SUPPORTED_DTYPES:
                raise UnsupportedKernel(f"{dtype} is not supported by the generated kernels")

    @property
    def arrays(self) -> tuple:
        """The operands read per element (arrays of rank >= 1)."""
        return tuple(o for o in self.operands if o.is_array and o.rank > 0)

    def structure(self) -> str:
        """A text that is equal for two kernels exactly when they compute the same."""
        lines = [f"rank {self.rank}"]
        lines += [f"in {o.name} {o.dtype} {o.rank} {'array' if o.is_array else 'scalar'}"
                  + (f" {o.limits[0]}..{o.limits[1]}" if o.limits else "") for o in self.operands]
        lines += [f"{i.target} {i.dtype} = {i.op}({', '.join(map(repr, i.args))})" for i in self.body]
        lines += [f"out {o.name} {o.dtype} = {o.value}" for o in self.outputs]
        return "\n".join(lines)

    def digest(self) -> str:
        return hashlib.sha1(self.structure().encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Layout:
    """How a call lays out the kernel's arrays: ``broadcast[k][d]`` is True where
    dimension d of the k-th array operand has size 1 and the iteration space does
    not (it is read at index 0). ``shape`` is the iteration shape of a STATIC
    kernel, None for a DYNAMIC one (it takes sizes from its arguments)."""
    broadcast: tuple
    shape: tuple | None = None


class UnsupportedKernel(Exception):
    """The group cannot become a kernel; the message says why (for explain)."""


def layout_of(kernel: Kernel, shapes, static: bool) -> tuple:
    """(iteration shape, Layout) for array operands of these shapes (NumPy's
    broadcasting rules; raises ValueError as NumPy does when they do not broadcast)."""
    shape = np.broadcast_shapes(*shapes) if shapes else ()
    if len(shape) < kernel.rank:
        shape = (1,) * (kernel.rank - len(shape)) + tuple(shape)
    broadcast = []
    for operand_shape in shapes:
        offset = len(shape) - len(operand_shape)
        broadcast.append(tuple(size == 1 and shape[offset + d] != 1 for d, size in enumerate(operand_shape)))
    return tuple(shape), Layout(tuple(broadcast), tuple(shape) if static else None)
