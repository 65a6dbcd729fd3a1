"""Reductions in fusion groups: which reduction nodes may join a group, whether a group
holding them is one row domain, and its lowering to a ``kernels.ir.ReductionKernel``.

A group with reductions has one iteration space, the shape of the reductions' inputs,
and one set of reduced axes. Its values are ELEMENT values (that full shape) or ROW
values (a reduction's result, and elementwise work on row values and scalars only).
An element op may read a row value where NumPy's broadcasting puts it back on its row:
a keepdims result, or a result without the reduced axes when those are the leading ones.
How each reduction is computed is its registry entry's ``kernel_form`` (jit.ops.reductions).
A normalization's normalized_shape may be sizes DYNAMIC types leave unknown: the kernel checks
them when it runs (``ReductionKernel.reduced_sizes``). A constant ``dtype=`` is the result's
dtype, in which the kernel converts and accumulates, where that is what NumPy does.
"""
from __future__ import annotations

import contextlib

import numpy as np

from jit import types as T
from jit.ir import arg_info
from jit.ops import type_rules as R
from jit.ops.static_args import int_sequence
from kernels.ir import ROW_SIZE, Instr, Operand, Output, Reduce, ReductionKernel, RowOutput, Stage, UnsupportedKernel
from kernels.ir import Const as KConst

from .lowering import _PYTHON_SCALARS, _Lowering, _Weak

__all__ = ["fused_reductions", "fuses_alone", "is_reduction", "reduction_node_refusal", "group_refusal", "lower_reduction_group"]


# Forms whose result is an element value (the full shape), computed from reductions of its rows.
ELEMENT_FORMS = frozenset({"softmax", "log_softmax", "layer_norm", "rms_norm"})
# Forms over the trailing normalized_shape dims.
NORMALIZATIONS = frozenset({"layer_norm", "rms_norm"})


# On by default; ``fused_reductions(False)`` keeps every reduction a NumPy call (to compare,
# or to measure what fusing them gives).
_enabled = True


@contextlib.contextmanager
def fused_reductions(on: bool = True):
    """Within the block, reductions (and softmax, log_softmax, layer_norm) fuse with elementwise work
    in the specializations built there (``on``), or do not (``on=False``)."""
    global _enabled
    previous, _enabled = _enabled, on
    try:
        yield
    finally:
        _enabled = previous


def is_reduction(node) -> bool:
    """A reduction, or an op computed from reductions (jit.nn's softmax, log_softmax, layer_norm),
    while reductions are fused."""
    return _enabled and node.op is not None and getattr(node.op, "kernel_form", None) is not None


# The arguments of reductions a kernel takes as constant int sequences (read as axes_of).
_STATIC_SEQUENCES = ("normalized_shape", "dim", "axis")


def is_static_shape_list(node) -> bool:
    """A list of constant ints read only as the axes or normalized_shape of reductions."""
    # Not a tuple: constant propagation folds a tuple of constants into one constant, which groups copy.
    return (node.kind == "prim::ListConstruct" and node.outputs and node.output.uses
            and all(arg_info(v).is_constant and type(arg_info(v).value) is int for v in node.inputs)
            and all(is_reduction(u.user) and u.index < len(u.user.op.args)
                    and u.user.op.args[u.index].name in _STATIC_SEQUENCES for u in node.output.uses))


def fuses_alone(node) -> bool:
    """A node worth a kernel by itself: softmax, layer norm, logsumexp, var and std are several
    NumPy passes each (x.var(): a mean, a centered temporary, its squares, their sum); and a
    comparison reduction that keeps the innermost axis (x.argmax(axis=0)), which NumPy walks column by
    column a line apart, where the column kernel reads memory in order (float32 (200000, 64), best of
    10: argmax 58 -> 2.3 ms, max 6.1 -> 1.7, any 7.2 -> 4.3; (4096, 1024): argmax 20 -> 0.8 ms). These
    give NumPy's exact answer; a lone float sum stays NumPy's, whose rounding (it adds row by row in
    the array's dtype) the kernel's float64 accumulator would not reproduce, for 1.1-1.6x."""
    if not is_reduction(node):
        return False
    return node.op.kernel_form in ELEMENT_FORMS | {"logsumexp", "var", "std"} or (
        node.op.kernel_form in _EXACT_COLUMN_FORMS and _keeps_innermost_axis(node))


_EXACT_COLUMN_FORMS = frozenset({"max", "min", "argmax", "argmin", "all", "any"})


def _keeps_innermost_axis(node) -> bool:
    source = node.inputs[0].type
    if not isinstance(source, T.TensorType) or source.ndim is None or source.ndim < 2:
        return False
    info = _static(node, "axis")
    if info is None or not info.is_constant or info.value is None:
        return False
    try:
        return source.ndim - 1 not in axes_of(node)
    except (TypeError, ValueError):  # an axis out of range: NumPy's error, unfused
        return False


def _gives_rows(node) -> bool:
    return node.op.kernel_form not in ELEMENT_FORMS


def _static(node, name):
    for arg, value in zip(node.op.args, node.inputs):
        if arg.name == name:
            return arg_info(value)
    return None


def reduction_node_refusal(node, static: bool) -> str | None:
    """Why this reduction node cannot be fused (None when it can)."""
    name = node.op.short_name
    source = node.inputs[0].type
    if not isinstance(source, T.TensorType) or source.dtype is None or source.ndim is None:
        return f"{name}: the dtype or rank of its input is not known"
    if source.ndim == 0:
        return f"{name} of a 0-d array is one element"
    if static and None in source.shape:
        return f"{name}: the shape of its input is not known"
    for option in ("axis", "keepdims", "ddof", "dim", "keepdim", "eps"):
        info = _static(node, option)
        if info is not None and not info.is_constant:
            return f"{name}: its {option} is not a constant"
    normalized = _static(node, "normalized_shape")
    if normalized is not None:
        sizes = int_sequence(normalized)
        value = node.inputs[next(i for i, a in enumerate(node.op.args) if a.name == "normalized_shape")]
        if sizes is None or None in sizes or not (normalized.is_constant or is_static_shape_list(value.node)):
            return f"{name}: its normalized_shape is not a list of constants"
        trailing = source.shape[source.ndim - len(sizes):] if len(sizes) <= source.ndim else None
        # A size not known (DYNAMIC) is checked by the kernel when it runs (ReductionKernel.reduced_sizes).
        if trailing is None or any(n is not None and n != size for n, size in zip(trailing, sizes)):
            return f"{name}: its normalized_shape {tuple(sizes)} does not match its input's trailing sizes"
    output = node.output.type
    if not isinstance(output, T.TensorType) or output.dtype is None or output.ndim is None:
        return f"{name}: its result's dtype or rank is not known"
    dtype = _static(node, "dtype")
    if dtype is not None and not (dtype.is_constant and dtype.value is None):
        reason = _requested_dtype_refusal(node, dtype, source.dtype, output.dtype)
        if reason is not None:
            return reason
    for option in ("weight", "bias"):
        info = _static(node, option)
        if info is not None and not (info.is_constant and info.value is None) and info.type is not T.NONE:
            if not isinstance(info.type, T.TensorType) or info.type.dtype != output.dtype:
                return f"{name}: its {option} is not an array of the result's dtype {output.dtype}"
    if node.op.kernel_form in NORMALIZATIONS and output.ndim != source.ndim:
        return f"{name}: its weight or bias changes the result's rank"
    if np.dtype(source.dtype).kind not in "biuf" or np.dtype(output.dtype).kind not in "biuf":
        return f"{name} of {source.dtype} is not fused"
    if np.dtype(source.dtype) == np.float16:
        return f"{name} of float16 is not fused"
    return None


def _requested_dtype_refusal(node, info, source, result) -> str | None:
    """Why a reduction's ``dtype=`` does not fuse, or None. The kernel converts each element to
    the requested dtype (the result's) and accumulates in it, as NumPy does: any float32/float64,
    and for sum and prod of bools and ints a 64-bit int too (a narrower int accumulator wraps
    where a kernel's arithmetic widens; floats to ints NumPy casts with its own rules)."""
    name = node.op.short_name
    if not info.is_constant:
        return f"{name}: its dtype is not a constant"
    requested = np.dtype(result)
    if requested.name in ("float32", "float64"):
        return None
    if (requested.kind in "iu" and requested.itemsize == 8 and node.op.kernel_form in ("sum", "prod")
            and np.dtype(source).kind in "biu"):
        return None
    return f"{name} of {np.dtype(source).name} with dtype={requested.name} is not fused: the kernel would not " \
           "accumulate as NumPy does"


def axes_of(node) -> tuple:
    ndim = node.inputs[0].type.ndim
    form = node.op.kernel_form
    if form in ("softmax", "log_softmax", "logsumexp"):
        return tuple(sorted(R.normalize_axes(_static(node, "dim").value, ndim, "dim")))
    if form in NORMALIZATIONS:
        return tuple(range(ndim - len(int_sequence(_static(node, "normalized_shape"))), ndim))
    return tuple(sorted(R.normalize_axes(_static(node, "axis").value, ndim)))


def _level_of_members(members):
    """id(value) -> "row" for the row values among the members' outputs (the rest are element
    values), the reductions, and the iteration rank; raises ValueError with the reason."""
    member_ids = set(map(id, members))
    reductions = [m for m in members if is_reduction(m)]
    rank = reductions[0].inputs[0].type.ndim
    axes = axes_of(reductions[0])
    rows = set()
    for member in members:
        if is_static_shape_list(member):
            continue
        inner = [v for v in member.inputs if id(v.node) in member_ids]
        if is_reduction(member):
            if member.inputs[0].type.ndim != rank or axes_of(member) != axes:
                raise ValueError("its reductions reduce different axes or ranks")
            if id(member.inputs[0]) in rows:
                raise ValueError("a reduction of a reduced value is not one row domain")
            if _gives_rows(member):
                rows.add(id(member.output))
            continue
        outside_tensor = any(isinstance(v.type, T.TensorType) and id(v.node) not in member_ids
                             and not _is_scalar_literal(v) for v in member.inputs)
        row_inputs = [v for v in inner if id(v) in rows]
        element_inputs = [v for v in inner if id(v) not in rows and isinstance(v.type, T.TensorType)]
        if row_inputs and not element_inputs and not outside_tensor:
            if len({v.type.ndim for v in row_inputs}) != 1:
                raise ValueError("it combines reduced values of different ranks")
            rows.add(id(member.output))
            continue
        for value in row_inputs:  # a row value read per element: it must broadcast back onto its row
            ndim = value.type.ndim
            if ndim != rank and axes != tuple(range(rank - ndim)):
                raise ValueError(f"%{value.debug_name} (reduced without keepdims) would broadcast "
                                 "across the rows, not along them")
    return rows, reductions, rank, axes


def _is_scalar_literal(value) -> bool:
    return value.node.kind == "prim::Constant" and not isinstance(value.node["value"], (np.ndarray, np.generic))


def group_refusal(merged, outputs, static: bool) -> str | None:
    """Why ``merged`` (members holding a reduction) is not one row-domain kernel, or None."""
    try:
        rows, reductions, rank, axes = _level_of_members(merged)
    except ValueError as error:
        return str(error)
    member_ids = set(map(id, merged))
    full = reductions[0].inputs[0].type.shape
    if static and any(r.inputs[0].type.shape != full for r in reductions):
        return "its reductions' inputs differ in shape"
    for member in merged:
        if is_reduction(member) or is_static_shape_list(member):
            continue
        value = member.output
        if not isinstance(value.type, T.TensorType) or value.type.ndim is None:
            return f"%{value.debug_name} is not an array of known rank"
        if id(value) in rows:
            continue
        if value.type.ndim != rank or (static and tuple(value.type.shape) != tuple(full)):
            return (f"%{value.debug_name} ({value.type.shape}) is neither the reduced shape nor the "
                    f"reductions' input shape {tuple(full) if full is not None else ''}")
        if not static and any(id(v) in rows for v in member.inputs) and not any(
                id(v.node) in member_ids and id(v) not in rows and isinstance(v.type, T.TensorType)
                for v in member.inputs):
            # gcd(prod(x, keepdims=True) outside, x.max()): its shape is the outside array's, not the rows'
            return (f"%{value.debug_name} combines a reduced value with arrays from outside the group only: "
                    "its shape is not known to be the rows'")
        if static:
            for operand in member.inputs:
                if id(operand.node) not in member_ids and isinstance(operand.type, T.TensorType) \
                        and not _is_scalar_literal(operand):
                    try:
                        if np.broadcast_shapes(operand.type.shape, full) != tuple(full):
                            return f"%{operand.debug_name} does not broadcast to the group's shape"
                    except ValueError:
                        return f"%{operand.debug_name} does not broadcast to the group's shape"
    return None


def lower_reduction_group(subgraph, name: str) -> ReductionKernel:
    return _ReductionLowering(subgraph, name).reduction_kernel()


class _ReductionLowering(_Lowering):
    def __init__(self, subgraph, name: str):
        self.graph, self.name = subgraph, name
        self.body, self.env, self.dtypes, self.operands, self.python_ints = [], {}, {}, [], set()
        self.compute = {id(node): node.op.compute_dtypes([arg_info(v) for v in node.inputs])
                        for node in subgraph.block.nodes
                        if node.kind != "prim::Constant" and not is_static_shape_list(node) and not is_reduction(node)}

    def reduction_kernel(self) -> ReductionKernel:
        self.dtypes[ROW_SIZE] = "int64"
        self.axes = None
        self.rank = 0
        self.reduced_sizes = ()  # a normalization's normalized_shape, which the kernel checks when it runs
        for index, value in enumerate(self.graph.inputs):
            operand_name = f"a{index}"
            if isinstance(value.type, T.TensorType):
                operand = Operand(operand_name, value.type.dtype.name, value.type.ndim)
            elif value.type == T.INT:
                operand = self.python_int(operand_name, value)
            elif value.type in _PYTHON_SCALARS:
                operand = Operand(operand_name, _PYTHON_SCALARS[value.type], 0, is_array=False)
            else:  # e.g. layer_norm's normalized_shape read from an attribute: the kernel needs it constant
                raise UnsupportedKernel(f"its input %{value.debug_name} is a {value.type.annotation_str()}, "
                                        "not an array, a number or a constant")
            self.operands.append(operand)
            self.env[id(value)] = operand_name
            self.dtypes[operand_name] = operand.dtype
        for node in self.graph.block.nodes:
            if node.kind == "prim::Constant":
                self.env[id(node.output)] = _Weak(node["value"])
            elif is_reduction(node):
                self.env[id(node.output)] = self.reduction(node)
            elif is_static_shape_list(node):  # axes or normalized_shape: read as axes_of(node)
                self.env[id(node.output)] = _Weak(None)
            else:
                self.env[id(node.output)] = self.node(node)
        if self.axes is None:
            raise UnsupportedKernel("the group holds no reduction")
        stored = []
        for index, value in enumerate(self.graph.outputs):
            result = self.env[id(value)]
            dtype = value.type.dtype.name
            if isinstance(result, _Weak) or self.dtypes[result] != dtype:
                result = self.cast(result, dtype)
            # torch-like ops (nn::logsumexp) return a 0-d array where NumPy's reductions return a scalar
            stored.append((f"out{index}", result, dtype, value.type.ndim, value.node.kind.startswith("nn::")))
        return self.assemble(stored)

    # -- one reduction node ---------------------------------------------------------
    def reduction(self, node) -> str:
        source = node.inputs[0].type
        axes = axes_of(node)
        if self.axes is not None and (axes != self.axes or source.ndim != self.rank):
            raise UnsupportedKernel("its reductions reduce different axes")
        self.axes, self.rank = axes, source.ndim
        form = node.op.kernel_form
        if form in NORMALIZATIONS:
            sizes = tuple(int_sequence(_static(node, "normalized_shape")))
            if self.reduced_sizes and sizes != self.reduced_sizes:
                raise UnsupportedKernel(f"its normalizations' normalized_shapes {self.reduced_sizes} and {sizes} differ")
            self.reduced_sizes = sizes
        x = self.env[id(node.inputs[0])]
        out = node.output.type.dtype.name
        if form in ("sum", "prod", "max", "min"):
            return self.reduce(form, self.convert(x, out), out)
        if form in ("argmax", "argmin"):
            return self.reduce(form, x, "int64")
        if form in ("all", "any"):
            return self.reduce(form, x, "bool")
        value = self.convert(x, out)
        if form in ("softmax", "log_softmax"):  # as jit.ops.nn_functional's _softmax, _log_softmax
            shifted = self.emit("-", (value, self.reduce("max", value, out)), out)
            exponent = self.emit("exp", (shifted,), out)
            total = self.reduce("sum", exponent, out)
            if form == "softmax":
                return self.emit("/", (exponent, total), out)
            return self.emit("-", (shifted, self.emit("log", (total,), out)), out)
        if form == "logsumexp":  # as jit.ops.nn_functional's _logsumexp
            peak = self.reduce("max", value, out)
            peak = self.emit("where", (self.emit("isfinite", (peak,), "bool"), peak, self.constant(0.0, out)), out)
            total = self.reduce("sum", self.emit("exp", (self.emit("-", (value, peak), out),), out), out)
            return self.emit("+", (self.emit("log", (total,), out), peak), out)
        if form == "rms_norm":  # as _rms_norm
            squares = self.reduce("sum", self.emit("*", (value, value), out), out)
            eps = _static(node, "eps").value
            eps = self.constant(float(np.finfo(out).eps if eps is None else eps), out)
            mean_square = self.emit("/", (squares, self.cast(ROW_SIZE, out)), out)
            result = self.emit("/", (value, self.emit("sqrt", (self.emit("+", (mean_square, eps), out),), out)), out)
            return self.affine(node, result, out, ("weight",))
        # mean, var, std: NumPy's _mean/_var, in the result's float dtype; layer_norm as _layer_norm
        mean = self.emit("/", (self.reduce("sum", value, out), self.cast(ROW_SIZE, out)), out)
        if form == "layer_norm":
            centered = self.emit("-", (value, mean), out)
            squares = self.reduce("sum", self.emit("*", (centered, centered), out), out)
            variance = self.emit("/", (squares, self.cast(ROW_SIZE, out)), out)
            eps = self.constant(float(_static(node, "eps").value), out)
            result = self.emit("/", (centered, self.emit("sqrt", (self.emit("+", (variance, eps), out),), out)), out)
            return self.affine(node, result, out, ("weight", "bias"))
        if form == "mean":
            return mean
        deviation = self.emit("-", (value, mean), out)
        squares = self.reduce("sum", self.emit("*", (deviation, deviation), out), out)
        ddof = _static(node, "ddof").value
        count = self.emit("-", (self.cast(ROW_SIZE, "float64"), KConst(float(ddof), "float64")), "float64")
        count = self.emit("maximum", (count, KConst(0.0, "float64")), "float64")
        variance = self.emit("/", (squares, self.cast(count, out)), out)
        return variance if form == "var" else self.emit("sqrt", (variance,), out)

    def affine(self, node, result, out: str, options) -> str:
        """``result * weight`` and ``+ bias``, for those of ``options`` the call gives."""
        for option in options:
            index = next(i for i, a in enumerate(node.op.args) if a.name == option)
            given = self.env[id(node.inputs[index])] if index < len(node.inputs) else None
            if given is not None and not (isinstance(given, _Weak) and given.value is None):
                result = self.emit("*" if option == "weight" else "+", (result, given), out)
        return result

    def reduce(self, op: str, value, dtype: str) -> str:
        target = f"r{len(self.body)}"
        self.body.append(Reduce(target, op, value, dtype))
        self.dtypes[target] = dtype
        return target

    # -- stages -----------------------------------------------------------------------
    def assemble(self, stored) -> ReductionKernel:
        level = {o.name: ("element" if o.is_array and o.rank > 0 else "none") for o in self.operands}
        level[ROW_SIZE] = "none"
        after = dict.fromkeys(level, 0)  # how many stages must finish before a name is known
        producer = {}
        for item in self.body:
            if isinstance(item, Reduce):
                names = [] if isinstance(item.value, KConst) else [item.value]
                if names and level[names[0]] == "row":
                    raise UnsupportedKernel("a reduction of a reduced value is not one row domain")
                level[item.target], after[item.target] = "row", (after[names[0]] if names else 0) + 1
            else:
                names = [a for a in item.args if not isinstance(a, KConst)]
                levels = {level[a] for a in names}
                level[item.target] = "element" if "element" in levels else ("row" if "row" in levels else "none")
                after[item.target] = max([after[a] for a in names] + [0])
            producer[item.target] = item
        stages = max(after[r.target] for r in self.body if isinstance(r, Reduce))

        def closure(roots):
            """The element/none instructions the roots need, in body order."""
            needed, pending = set(), [r for r in roots if not isinstance(r, KConst)]
            while pending:
                name = pending.pop()
                item = producer.get(name)
                if name in needed or item is None or level[name] == "row":
                    continue
                needed.add(name)
                pending += [a for a in item.args if not isinstance(a, KConst)]
            return tuple(i for i in self.body if isinstance(i, Instr) and i.target in needed)

        row_done = set()

        def row_instructions(stage):
            chosen = []
            for item in self.body:
                if isinstance(item, Instr) and level[item.target] == "row" and after[item.target] == stage + 1:
                    chosen.append(item)
            extra = closure([a for i in chosen for a in i.args])
            picked = [i for i in extra if i.target not in row_done] + chosen
            row_done.update(i.target for i in picked)
            return tuple(sorted(picked, key=self.body.index))

        stage_list = []
        for stage in range(stages):
            reduces = tuple(r for r in self.body if isinstance(r, Reduce) and after[r.target] == stage + 1)
            body = closure([r.value for r in reduces])
            stage_list.append(Stage(body, reduces, row_instructions(stage)))
        elements, rows = [], []
        row_rank = self.rank - len(self.axes)
        for name, value, dtype, ndim, zero_d in stored:
            if level[value] == "row":
                if ndim not in (self.rank, row_rank):
                    raise UnsupportedKernel(f"{name} is a reduced value of rank {ndim}")
                rows.append(RowOutput(name, value, dtype, keepdims=ndim == self.rank and row_rank != self.rank,
                                      zero_d=zero_d))
            elif ndim == self.rank:
                elements.append(Output(name, value, dtype))
            else:
                raise UnsupportedKernel(f"{name} has rank {ndim}, not the group's {self.rank}")
        element_body = closure([o.value for o in elements])
        return ReductionKernel(self.name, tuple(self.operands), self.rank, self.axes, tuple(stage_list),
                               tuple(rows), element_body, tuple(elements), tuple(n for n, *_ in stored),
                               self.reduced_sizes)
