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

A ``ReductionKernel`` iterates over ROWS instead: the iteration space (the broadcast of its
array operands, ``rank`` dimensions) splits into the reduced dimensions ``axes`` and the kept
ones; a row is one index of the kept dimensions. For each row it runs its ``Stage``s in order,
each one pass over the row's elements (C order over the reduced dimensions) that evaluates the
stage's elementwise ``body`` and feeds its ``Reduce`` accumulators (sum, prod, max, min, argmax,
argmin, all, any: NumPy's identities, NaN propagation and first-index ties), then the stage's
per-row ``finalize`` instructions (a mean's division by ``ROW_SIZE``); then one last pass that
evaluates ``element_body`` and stores the full-shape ``element_outputs`` (softmax's
``exp(x - max) / sum``), and finally stores the per-row ``row_outputs`` (the reduced shape,
C-contiguous over the kept dimensions). Row values are read by later stages as one value per
row (the reduced value broadcast back). Details, scopes and each op's exact semantics:
``ReductionKernel`` and ``Reduce`` below.

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


# -- reduction kernels -------------------------------------------------------------------------
REDUCE_OPS = ("sum", "prod", "max", "min", "argmax", "argmin", "all", "any")
# Every instruction of a reduction kernel may read this name: the number of elements in one row
# (the product of the reduced dimensions' sizes), an int64.
ROW_SIZE = "row_size"


@dataclass(frozen=True)
class Reduce:
    """One accumulator of a stage: ``target`` (a row value) is ``op`` over the row of ``value``
    (an operand, a Const or an instruction of the stage's body).

    - ``sum``, ``prod``: ``value`` has ``dtype`` (lowering casts it first, as NumPy's dtype= does);
      identity 0 / 1; integers wrap as NumPy's do. float32 (and float16-free) float sums and
      products accumulate in float64 and round to ``dtype`` once at the end: NumPy's pairwise
      float32 sum is bounded by O(log n) ulps, this by about 1 ulp.
    - ``max``, ``min``: ``value`` has ``dtype``; identity -inf / +inf (floats), the integer limits,
      False / True (bool); a NaN propagates: once a NaN is seen the result is NaN. Empty rows
      never reach the kernel (NumPy raises; the launcher runs the fallback).
    - ``argmax``, ``argmin``: ``dtype`` is int64; the index of the first maximum (minimum) in the
      row's C order over the reduced dimensions; the first NaN wins over any number.
    - ``all``, ``any``: ``dtype`` is bool; ``value`` of any dtype, read as ``value != 0``."""
    target: str
    op: str
    value: object  # str or Const
    dtype: str


@dataclass(frozen=True)
class Stage:
    """One pass over every element of a row: ``body`` (elementwise instructions, per element)
    feeds ``reduces``; after the pass, ``finalize`` (per-row instructions) runs once per row."""
    body: tuple = ()
    reduces: tuple = ()
    finalize: tuple = ()


@dataclass(frozen=True)
class RowOutput:
    """A per-row value stored into the reduced shape (``keepdims``: with the reduced dimensions
    kept as size 1; the memory is the same: the kept dimensions' sizes, C-contiguous). ``zero_d``:
    a full reduction's result is a 0-d array (torch-like ops), not NumPy's scalar."""
    name: str
    value: str
    dtype: str
    keepdims: bool = False
    zero_d: bool = False


@dataclass(frozen=True)
class ReductionKernel:
    """A kernel over rows: the iteration space is ``rank`` dimensions (the broadcast of the array
    operands, as for ``Kernel``); ``axes`` (sorted, at least one) are the REDUCED dimensions, the
    others the KEPT ones. A row is one index of the kept dimensions; its elements are the indices
    of the reduced dimensions, visited in C order. For each row, in order:

    1. each ``Stage`` in turn: one pass over the row's elements evaluating ``stage.body`` per
       element and feeding its ``Reduce`` accumulators; then its ``finalize`` instructions, once;
    2. one last pass over the row's elements evaluating ``element_body`` and storing each of
       ``element_outputs`` (full iteration shape, like ``Kernel.outputs``) at that element;
       skipped when there are no element outputs;
    3. each of ``row_outputs`` is stored at the row's index.

    Names and scopes: element instructions (stage bodies, ``element_body``) may read operands
    (arrays at the element, with the layout's broadcasting; scalars), ``Const``, ``ROW_SIZE``,
    row values defined by earlier stages (Reduce targets and finalize targets: the same for
    every element of the row) and earlier instructions of the same body; a body never reads
    another body's instructions (lowering repeats what two passes both need). Per-row
    instructions (``finalize``) may read scalar operands (non-array, or 0-d), ``Const``,
    ``ROW_SIZE`` and row values defined before them. The instruction vocabulary is ``Kernel``'s.
    Row outputs of a full
    reduction (every dimension reduced, not keepdims) are 0-d: the launcher returns NumPy's
    scalar. A renderer may split rows over threads (CPU) or give each row a block (CUDA); a
    full reduction is one row."""
    name: str
    operands: tuple
    rank: int
    axes: tuple
    stages: tuple
    row_outputs: tuple = ()
    element_body: tuple = ()
    element_outputs: tuple = ()
    order: tuple = ()  # output names in the order a launch returns them; () is element then row outputs
    # The sizes the reduced dimensions must have (a layer norm's normalized_shape), () for any: a
    # DYNAMIC launch with other sizes runs the fallback, which raises NumPy's error.
    reduced_sizes: tuple = ()

    def __post_init__(self):
        if self.reduced_sizes and len(self.reduced_sizes) != len(self.axes):
            raise ValueError(f"kernel {self.name}: reduced_sizes {self.reduced_sizes} do not match axes {self.axes}")
        if self.order and sorted(self.order) != sorted(o.name for o in (*self.row_outputs, *self.element_outputs)):
            raise ValueError(f"kernel {self.name}: order {self.order} does not name each output once")
        if self.rank < 1:
            raise UnsupportedKernel("kernels iterate over at least one dimension")
        if not self.axes or tuple(sorted(set(self.axes))) != tuple(self.axes) \
                or not all(0 <= a < self.rank for a in self.axes):
            raise ValueError(f"kernel {self.name}: axes {self.axes} are not sorted dimensions of rank {self.rank}")
        if not self.row_outputs and not self.element_outputs:
            raise ValueError(f"kernel {self.name}: stores nothing")
        scalars = {o.name: o.dtype for o in self.operands if not (o.is_array and o.rank > 0)}
        arrays = {o.name: o.dtype for o in self.operands if o.is_array and o.rank > 0}
        rows = {**scalars, ROW_SIZE: "int64"}
        every = [rows]

        def check(instrs, defined, where):
            for instr in instrs:
                if instr.op not in BINARY_OPS and instr.op not in UNARY_OPS and instr.op not in FUNCTIONS:
                    raise ValueError(f"kernel {self.name}: unknown instruction {instr.op!r}")
                for arg in instr.args:
                    if not isinstance(arg, Const) and arg not in defined:
                        raise ValueError(f"kernel {self.name}: {where} {instr.target} reads {arg!r} "
                                         "before it is defined there")
                defined[instr.target] = instr.dtype

        for index, stage in enumerate(self.stages):
            element = {**rows, **arrays}
            check(stage.body, element, f"stage {index}")
            every.append(element)
            for reduce in stage.reduces:
                if reduce.op not in REDUCE_OPS:
                    raise ValueError(f"kernel {self.name}: unknown reduction {reduce.op!r}")
                if not isinstance(reduce.value, Const) and reduce.value not in element:
                    raise ValueError(f"kernel {self.name}: {reduce.target} reduces undefined {reduce.value!r}")
                if reduce.op in ("argmax", "argmin") and reduce.dtype != "int64" \
                        or reduce.op in ("all", "any") and reduce.dtype != "bool":
                    raise ValueError(f"kernel {self.name}: {reduce.op} gives {reduce.dtype}")
                value_dtype = reduce.value.dtype if isinstance(reduce.value, Const) else element[reduce.value]
                if reduce.op in ("sum", "prod", "max", "min") and value_dtype != reduce.dtype:
                    raise ValueError(f"kernel {self.name}: {reduce.op} of {value_dtype} into {reduce.dtype}")
                rows[reduce.target] = reduce.dtype
            check(stage.finalize, rows, "row instruction")
        element = {**rows, **arrays}
        check(self.element_body, element, "element instruction")
        every.append(element)
        for output in self.element_outputs:
            if output.value not in element:
                raise ValueError(f"kernel {self.name}: output {output.name} stores undefined {output.value!r}")
        for output in self.row_outputs:
            if output.value not in rows:
                raise ValueError(f"kernel {self.name}: row output {output.name} stores undefined {output.value!r}")
        dtypes = {d for names in every for d in names.values()}
        dtypes |= {o.dtype for o in (*self.row_outputs, *self.element_outputs)}
        for dtype in dtypes:
            if dtype not in SUPPORTED_DTYPES:
                raise UnsupportedKernel(f"{dtype} is not supported by the generated kernels")

    @property
    def arrays(self) -> tuple:
        return tuple(o for o in self.operands if o.is_array and o.rank > 0)

    @property
    def body(self) -> tuple:
        """Every instruction, stage by stage (what dtype checks and legalization read)."""
        return tuple(i for s in self.stages for i in (*s.body, *s.finalize)) + tuple(self.element_body)

    @property
    def outputs(self) -> tuple:
        """Every output (Output or RowOutput), in the order a launch returns them."""
        every = tuple(self.element_outputs) + tuple(self.row_outputs)
        if not self.order:
            return every
        by_name = {o.name: o for o in every}
        return tuple(by_name[name] for name in self.order)

    @property
    def kept(self) -> tuple:
        return tuple(d for d in range(self.rank) if d not in self.axes)

    def structure(self) -> str:
        lines = [f"rank {self.rank} reduce {self.axes}"]
        lines += [f"in {o.name} {o.dtype} {o.rank} {'array' if o.is_array else 'scalar'}"
                  + (f" {o.limits[0]}..{o.limits[1]}" if o.limits else "") for o in self.operands]

        def instrs(items):
            return [f"{i.target} {i.dtype} = {i.op}({', '.join(map(repr, i.args))})" for i in items]

        for index, stage in enumerate(self.stages):
            lines.append(f"stage {index}")
            lines += instrs(stage.body)
            lines += [f"{r.target} {r.dtype} = reduce {r.op}({r.value!r})" for r in stage.reduces]
            lines += ["row " + line for line in instrs(stage.finalize)]
        lines.append("elements")
        lines += instrs(self.element_body)
        lines += [f"out {o.name} {o.dtype} = {o.value}" for o in self.element_outputs]
        lines += [f"row out {o.name} {o.dtype} = {o.value}{' keepdims' if o.keepdims else ''}{' 0-d' if o.zero_d else ''}"
                  for o in self.row_outputs]
        lines.append(f"order {' '.join(o.name for o in self.outputs)}")
        if self.reduced_sizes:  # only then: the digests (and disk caches) of other kernels stay
            lines.append(f"reduced sizes {self.reduced_sizes}")
        return "\n".join(lines)

    def digest(self) -> str:
        return hashlib.sha1(self.structure().encode()).hexdigest()[:12]


def reduction_identity(op: str, dtype: str):
    """The value a ``Reduce`` accumulator starts from (NumPy's identity; for max/min the
    lowest/highest value of the dtype, so that the first element replaces it)."""
    kind = np.dtype(dtype).kind
    if op == "sum":
        return False if kind == "b" else 0
    if op == "prod":
        return True if kind == "b" else 1
    if op in ("max", "min"):
        high = op == "min"
        if kind == "f":
            return float("inf") if high else float("-inf")
        if kind == "b":
            return high
        limits = np.iinfo(dtype)
        return int(limits.max if high else limits.min)
    if op in ("all", "any"):
        return op == "all"
    raise ValueError(f"{op} has no identity (argmax and argmin track an index)")
