"""The CPU renderer and launcher of reduction kernels (``kernels.ir.ReductionKernel``).

The generated Numba function has the elementwise kernels' shape (``kernels.cpu``):
a serial ``nogil`` function over a range [start, stop) of rows, which the launcher
splits over the same thread pool. Each row runs the kernel's stages as loops over
the reduced dimensions, innermost last, so that a last-axis row is read contiguously;
a row of a few thousand elements stays in L1/L2 between the passes, so softmax and
layer norm read each row from memory once and write it once. Row outputs go into a
flat array of one value per row, which the launcher reshapes to the reduced shape.

Generated locals start with an underscore (``_row``, ``_e``, ``_acc_*``, ``_buf_*``): no IR name does.

Accumulators, per ``Reduce`` (NumPy's semantics, kernels.ir.Reduce): float sums accumulate
in float64 and round once (a float32 sum in the pass that computes its values by float32 blocks
first: SUM_BLOCK); float products in their dtype; int64/uint64 sums and products in
uint64 (NumPy's wrap-around without LLVM's no-signed-wrap assumption); max/min/
argmax/argmin keep the first NaN. A call with an empty row or no rows runs the
fallback, which gives NumPy's exact answer, warning or error.

The last stage's row buffers are the rows of element outputs of their dtype where rows are
contiguous: softmax writes exp into its output row, sums it and scales it in place.

A division of the last pass by a row value (softmax's sum, layer norm's deviation) is a
multiplication by its reciprocal where that is a normal number: within 1.5 ulps of NumPy's
quotient (0.5), and 17% off layer norm's time; 0, inf, NaN and the extremes divide.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import cpu_math
from .cpu import (_HEADER, ANNOUNCE, OWN_BLOCK, UNWATCHED, CompiledKernels, CpuRenderer, _nested_key, _Variant,
                  line_elements, num_threads, operand_types)
from .ir import ROW_SIZE, Const, Layout, ReductionKernel, UnsupportedKernel, layout_of, reduction_identity
from .launch import dynamic_shape, python_int_checks

__all__ = ["render_reduction", "CpuReductionKernel", "build_reduction", "element_reads"]


def _literal(value, dtype: str) -> str:
    if dtype == "bool":
        return repr(bool(value))
    if isinstance(value, float) and not np.isfinite(value):
        return f"{dtype}({'-inf' if value < 0 else 'inf'})"
    return f"{dtype}({value!r})"


def accumulator_dtype(op: str, dtype: str) -> str:
    """The dtype a ``Reduce``'s accumulator (and a split reduction's partials) holds: a float sum
    in float64 (more accurate than NumPy's pairwise; in an elementwise pass, of blocks: SUM_BLOCK); a
    float product in its dtype, so that it overflows and underflows where NumPy's does; int64/uint64
    sums and products in uint64 (NumPy's wrap-around without LLVM's no-signed-wrap assumption);
    all/any in bool; the rest in ``dtype``."""
    kind = np.dtype(dtype).kind
    if op in ("all", "any"):
        return "bool"
    if op in ("sum", "prod"):
        if kind == "f":
            return "float64" if op == "sum" else dtype
        if dtype in ("int64", "uint64"):
            return "uint64"
    return dtype


class _ReductionPrinter:
    def __init__(self, kernel: ReductionKernel, layout: Layout):
        self.kernel, self.layout = kernel, layout
        self.printer = CpuRenderer(kernel)
        self.printer.dtypes[ROW_SIZE] = "int64"
        self.lines: list = []
        self.setup: list = []  # lines run once per call, before the row loop
        self.buffer_rows: dict = {}  # buffered value -> (flat array, row offset) where it is an output's row
        self.prefetched = False  # whether a pass has asked for the next row's lines (prefetch_lines)

    def row_of(self, output: str) -> tuple:
        """(element output ``output`` flattened, the offset of the current row in it), its reduced axes
        trailing. Helpers take the whole array and the offset: a slice per row costs two reference
        count updates (with the vector registers saved around them)."""
        flat = f"_flat_{output}"
        lines = [f"{flat} = {output}.reshape(-1)",
                 *(f"_st_{output}_{d} = {output}.strides[{d}] // {output}.itemsize" for d in self.kernel.kept)]
        self.setup += [line for line in lines if line not in self.setup]
        return flat, " + ".join(f"i{d} * _st_{output}_{d}" for d in self.kernel.kept)

    def buffer_item(self, value: str) -> str:
        """The element ``_e`` of ``value``'s row buffer."""
        if value in self.buffer_rows:  # unsigned: no wrap-around test, so the loop vectorizes
            return f"{self.buffer_rows[value][0]}[uint64(_at_{value} + _e)]"
        return f"_buf_{value}[_e]"

    def size(self, d: int) -> str:
        shape = self.layout.shape
        if shape is None or (d in self.kernel.axes and _small_row(shape, self.kernel.axes)):
            return f"n{d}"
        return str(shape[d])

    def emit(self, depth: int, text: str):
        self.lines.append("    " * depth + text)

    def emit_indices(self, depth: int, dims, flat: str) -> None:
        """``i<d>`` for each of ``dims`` from ``flat``, their C-order flat index."""
        self.emit(depth, f"_rest = {flat}")
        for d in reversed(dims):
            if d == dims[0]:
                self.emit(depth, f"i{d} = _rest")
            else:
                self.emit(depth, f"i{d} = _rest % {self.size(d)}")
                self.emit(depth, f"_rest //= {self.size(d)}")

    def element_body(self, depth: int, body, tail, reads) -> None:
        """One element's loads (of what ``body`` and ``reads`` read), ``body``, then ``tail``."""
        self.loads(depth, _names_read(body, reads))
        for instr in body:
            self.emit(depth, self.printer.instruction(instr))
        for line in tail:
            self.emit(depth, line)

    def load_values(self, depth: int, defined, source: str) -> None:
        """Each row value of ``defined`` ([(name, dtype)]) read from ``source`` (``{}``: its name)."""
        for name, dtype in defined:
            self.printer.dtypes[name] = dtype
            self.emit(depth, f"{name} = {source.format(name)}")

    def loads(self, depth: int, names):
        arrays = self.kernel.arrays
        rank = self.kernel.rank
        for operand, flags in zip(arrays, self.layout.broadcast):
            if operand.name not in names:
                continue
            offset = rank - operand.rank
            index = ", ".join("0" if flag else f"i{offset + d}" for d, flag in enumerate(flags))
            self.emit(depth, f"{operand.name} = {operand.name}_array[{index}]")

    def output_rows(self, values) -> dict:
        """{buffered value: the row of an element output it is kept in}: the last stage's row
        buffers are the rows of outputs of their dtype, where rows are contiguous (the reduced
        axes trailing). The last pass then reads each element of the row before it writes it, and
        the output's lines come into the cache during the stage's heavy pass instead of stalling
        the light last one (softmax 18% faster)."""
        kernel, rank = self.kernel, self.kernel.rank
        if not kernel.kept or tuple(kernel.axes) != tuple(range(rank - len(kernel.axes), rank)):
            return {}
        free = [o for o in kernel.element_outputs]
        rows = {}
        for value in values:
            output = next((o for o in free if o.dtype == self.printer.dtypes[value] != "bool"), None)
            if output is not None:
                free.remove(output)
                rows[value] = self.row_of(output.name)
        return rows

    def row_reciprocals(self) -> dict:
        """{row value: dtype} of the float32/float64 row values the last pass divides by (softmax's
        sum, layer norm's deviation): where a row's divisor has a normal reciprocal, the pass
        multiplies by it (a multiplication is several times cheaper than a division), within
        1.5 ulps of the quotient; elsewhere (0, inf, NaN, the extremes) it divides."""
        rows = {r.target for stage in self.kernel.stages for r in stage.reduces}
        rows |= {instr.target for stage in self.kernel.stages for instr in stage.finalize}
        dtypes = {**self.printer.dtypes, **{instr.target: instr.dtype for instr in self.kernel.element_body}}
        found = {}
        for instr in self.kernel.element_body:
            divisor = instr.args[1] if instr.op == "/" and len(instr.args) == 2 else None
            dividend = instr.args[0] if divisor is not None else None
            dividend_dtype = dividend.dtype if isinstance(dividend, Const) else dtypes.get(dividend)
            if isinstance(divisor, str) and divisor in rows and instr.dtype in _RECIPROCAL_RANGE \
                    and dtypes.get(divisor) == instr.dtype == dividend_dtype:
                found[divisor] = instr.dtype
        return found

    def element_loop(self, depth: int, body, tail, counter: bool = False, buffered=frozenset(),
                     reciprocals=None, sums=()) -> None:
        """One pass over the row's elements: loads, ``body`` (its ``buffered`` values read back from
        the row buffers of the last stage instead of computed again; a division by one of
        ``reciprocals`` a multiplication by ``_inv_<divisor>``), then the ``tail`` lines. Each of
        ``sums`` (float sums, _blocked_sums) accumulates in the pass, by blocks of the innermost axis, each
        block of the row's first such pass asking for the next row's part of it (prefetch_lines)."""
        if counter:
            self.emit(depth, "_e = 0")
        axes = self.kernel.axes
        reads = _names_read(body, tail.reads)
        prefetches = self.prefetch_lines(reads) if sums and not self.prefetched else []
        for d in axes[:-1] if sums else axes:
            self.emit(depth, f"for i{d} in range({self.size(d)}):")
            depth += 1
        if sums:
            inner = axes[-1]
            self.emit(depth, f"for _block in range(0, {self.size(inner)}, {SUM_BLOCK}):")
            for reduce in sums:
                self.emit(depth + 1, f"_blocksum_{reduce.target} = {reduce.dtype}(0.0)")
            for line in prefetches:
                self.emit(depth + 1, line)
            self.prefetched = self.prefetched or bool(prefetches)
            block_loop = f"for i{inner} in range(_block, min(_block + {SUM_BLOCK}, {self.size(inner)})):"
            self.emit(depth + 1, block_loop)
            depth += 2
        self.loads(depth, reads)
        for instr in body:
            if instr.target in buffered:
                self.emit(depth, f"{instr.target} = {self.buffer_item(instr.target)}")
            elif reciprocals and instr.op == "/" and instr.args[1] in reciprocals \
                    and instr.dtype == reciprocals[instr.args[1]]:
                self.printer.dtypes[instr.target] = instr.dtype
                self.emit(depth, f"{instr.target} = {instr.dtype}({self.printer.arg(instr.args[0])} * "
                                 f"_inv_{instr.args[1]})")
            else:
                self.emit(depth, self.printer.instruction(instr))
        for line in tail.lines:
            self.emit(depth, line)
        for line in self.block_sum_lines(sums):
            self.emit(depth, line)
        if counter:
            self.emit(depth, "_e += 1")
        for reduce in sums:
            acc = f"_acc_{reduce.target}"
            self.emit(depth - 1, f"{acc} = float64({acc} + float64(_blocksum_{reduce.target}))")
        if sums:  # (after the row: a check in the block loop kept LLVM from unrolling it, 2x slower)
            outer = depth - (2 + len(axes) - 1)
            wide = self.sum_again_in_float64(outer, sums)
            if wide:
                self.element_loop(outer + 1, body, _Tail(wide, reads))

    def prefetch_lines(self, reads) -> list:
        """A block's prefetches of the next row's part of it, for the row's first pass that sums by blocks.
        As the second pass (softmax's exp, layer norm's variance) it works on a row in the cache while memory
        is idle; as the first (RMSNorm's squares) the next row streams in beside this one (softmax over
        (4096, 1024) float32, two threads: 1.9 -> 1.5 ms; blocks in RMSNorm's output pass cost more than
        they gained). ``reads``: the names the pass reads."""
        if not self.rows_follow():
            return []
        return self.prefetches(reads, self.kernel.element_outputs, SUM_BLOCK, f"(_row + 1) * {ROW_SIZE} + _block")

    def rows_follow(self) -> bool:
        """Whether the row loop's next row starts ROW_SIZE elements on in every whole operand and element
        output: rows reduced over the last axis alone."""
        return self.kernel.axes == (self.kernel.rank - 1,) and bool(self.kernel.kept)

    def prefetches(self, names, written, count, start: str) -> list:
        """Lines prefetching the elements ``start`` + range(``count``) of each whole operand among ``names``
        (PREFETCHT0) and owning them in each of ``written`` (PREFETCHW), a cache line a prefetch."""
        kernel = self.kernel
        wanted = [("prefetch", f"{o.name}_array", o.dtype) for o, flags in zip(kernel.arrays, self.layout.broadcast)
                  if o.name in names and o.rank == kernel.rank and not any(flags)]
        wanted += [("prefetch_to_write", o.name, o.dtype) for o in written]
        lines = []
        for function, array, dtype in wanted:
            lines += [f"for _line in range(0, {count}, {line_elements(dtype)}):",
                      f"    {function}({array}, {start} + _line)"]
        return lines

    def block_sum_lines(self, sums) -> list:
        """Each of ``sums`` added into its block's partial sum (see SUM_BLOCK)."""
        return [f"_blocksum_{r.target} = reassociable_add(_blocksum_{r.target}, {self.printer.arg(r.value)})"
                for r in sums]

    def sum_again_in_float64(self, depth: int, sums) -> list:
        """Where float32 ones of ``sums`` have accumulators that are not finite (see _finite): the test, their
        resets, and the lines (returned) that sum each value again in float64 in a pass the caller emits."""
        narrow = [reduce for reduce in sums if reduce.dtype == "float32"]
        if not narrow:
            return []
        self.emit(depth, f"if not ({_finite(f'_acc_{r.target}' for r in narrow)}):")
        for reduce in narrow:
            self.emit(depth + 1, f"_acc_{reduce.target} = float64(0.0)")
        return [f"_acc_{r.target} = _acc_{r.target} + float64({self.printer.arg(r.value)})" for r in narrow]

    def reduce_lines(self, reduce):
        """(init lines, per-element lines, final lines) of one accumulator."""
        op, dt, target = reduce.op, reduce.dtype, reduce.target
        value = self.printer.arg(reduce.value)
        value_dtype = reduce.value.dtype if isinstance(reduce.value, Const) else self.printer.dtypes[reduce.value]
        acc = f"_acc_{target}"
        kind = np.dtype(dt).kind
        if op in ("sum", "prod"):
            symbol = "+" if op == "sum" else "*"
            wide = None if kind == "b" else accumulator_dtype(op, dt)
            if wide is None:  # bool sum/prod: or/and
                start = reduction_identity(op, dt)
                combine = "|" if op == "sum" else "&"
                return [f"{acc} = {start!r}"], [f"{acc} = {acc} {combine} {value}"], [f"{target} = {acc}"]
            identity = reduction_identity(op, dt)
            init = f"{acc} = {wide}({identity!r})"
            update = f"{acc} = {wide}({acc} {symbol} {wide}({value}))"
            return [init], [update], [f"{target} = {dt}({acc})"]
        if op in ("max", "min"):
            compare = ">" if op == "max" else "<"
            init = f"{acc} = {_literal(reduction_identity(op, dt), dt)}"
            if kind == "f":
                update = f"if {value} {compare} {acc} or {value} != {value}: {acc} = {value}"
                # once NaN, acc stays NaN: no number compares greater than it, and a NaN replaces a NaN
                return [init], [update], [f"{target} = {acc}"]
            if kind == "b":
                combine = "|" if op == "max" else "&"
                return [init], [f"{acc} = {acc} {combine} {value}"], [f"{target} = {acc}"]
            return [init], [f"if {value} {compare} {acc}: {acc} = {value}"], [f"{target} = {acc}"]
        if op in ("argmax", "argmin"):
            compare = ">" if op == "argmax" else "<"
            base = "max" if op == "argmax" else "min"
            vkind = np.dtype(value_dtype).kind
            init = [f"{acc} = {_literal(reduction_identity(base, value_dtype), value_dtype)}", f"{acc}_at = 0"]
            if vkind == "f":
                init.append(f"{acc}_nan = False")
                update = [f"if not {acc}_nan and ({value} {compare} {acc} or {value} != {value}):",
                          f"    {acc} = {value}", f"    {acc}_at = _e", f"    {acc}_nan = {value} != {value}"]
            else:
                update = [f"if {value} {compare} {acc}:", f"    {acc} = {value}", f"    {acc}_at = _e"]
            return init, update, [f"{target} = int64({acc}_at)"]
        if op in ("all", "any"):
            truth = value if value_dtype == "bool" else f"({value} != 0)"
            combine = "&" if op == "all" else "|"
            return [f"{acc} = {op == 'all'!r}"], [f"{acc} = {acc} {combine} {truth}"], [f"{target} = {acc}"]
        raise UnsupportedKernel(f"reduction {op!r} has no CPU form")

    def render(self) -> str:
        kernel = self.kernel
        rank, kept = kernel.rank, kernel.kept
        row_names = [o.name for o in kernel.row_outputs]
        element_names = [o.name for o in kernel.element_outputs]
        array_names = {o.name for o in kernel.arrays}
        params = ["start", "stop", "_sync", *row_names, *element_names, *(f"n{d}" for d in range(rank)),
                  *(f"{o.name}_array" if o.name in array_names else o.name for o in kernel.operands)]
        self.emit(0, "@njit(nogil=True, error_model=\"numpy\", cache=True)")
        self.emit(0, f"def {kernel.name}({', '.join(params)}):")
        self.emit(0, ANNOUNCE)
        row_size = " * ".join(self.size(d) for d in kernel.axes)
        self.emit(1, f"{ROW_SIZE} = int64({row_size})")
        setup_at = len(self.lines)  # per-call row buffers and flat views, inserted here at the end
        self.emit(1, "for _row in range(start, stop):")
        if kept:
            self.emit_indices(2, kept, "_row")
        last_buffered = frozenset()
        buffering = [index for index, stage in enumerate(kernel.stages) if stage.body and kept]
        for stage_index, stage in enumerate(kernel.stages):
            last_buffered = frozenset()
            inits, updates, finals = [], [], []
            counter = any(r.op in ("argmax", "argmin") for r in stage.reduces)
            self.printer.dtypes.update((instr.target, instr.dtype) for instr in stage.body)
            for reduce in stage.reduces:
                init, update, final = self.reduce_lines(reduce)
                inits += init
                updates += update
                finals += final
                self.printer.dtypes[reduce.target] = reduce.dtype
            for line in inits:
                self.emit(2, line)
            reads = {r.value for r in stage.reduces if not isinstance(r.value, Const)}
            rows = self.direct_rows(stage)
            if rows is not None:  # each accumulator one vectorized helper call over a contiguous input row
                for reduce in stage.reduces:
                    self.emit_row_helper(reduce, *rows[reduce.value])
            elif stage.body and kept and _blocked_sums(stage, self.printer.dtypes) and self.long_rows():
                # the sums accumulate in the elementwise pass; its values are kept in row buffers only
                # where the last pass reads them back (softmax's exp)
                last = stage_index == buffering[-1]
                read_back = {i.target for i in stage.body} & {i.target for i in kernel.element_body}
                kept_values = sorted(v for v in reads if v in read_back) if last else []
                last_buffered = frozenset(kept_values)
                self.buffer_values(kept_values, self.output_rows(kept_values))
                self.element_loop(2, stage.body, _Tail([f"{self.buffer_item(v)} = {v}" for v in kept_values], reads),
                                  bool(kept_values), sums=stage.reduces)
            elif stage.body and kept:
                # Two loops: the elementwise work into a row buffer (a loop LLVM vectorizes: no
                # accumulator carried across iterations), then the accumulation over the buffer.
                values = sorted(reads)
                last_buffered = frozenset(v for v in values if v in {i.target for i in stage.body})
                rows_of = self.output_rows(values) if stage_index == buffering[-1] else {}
                self.buffer_values(values, rows_of)
                self.element_loop(2, stage.body, _Tail([f"{self.buffer_item(v)} = {v}" for v in values], reads), True)
                if all(_row_helper(reduce, self.printer.dtypes) for reduce in stage.reduces):
                    for reduce in stage.reduces:  # a vectorized helper over each buffer
                        value = reduce.value
                        row = (self.buffer_rows[value][0], f"_at_{value}") if value in self.buffer_rows else (f"_buf_{value}", "0")
                        self.emit_row_helper(reduce, *row)
                else:
                    self.emit(2, f"for _e in range({ROW_SIZE}):")
                    for value in values:
                        self.emit(3, f"{value} = {self.buffer_item(value)}")
                    for line in updates:
                        self.emit(3, line)
            else:
                self.element_loop(2, stage.body, _Tail(updates, reads), counter)
            for line in finals:
                self.emit(2, line)
            for instr in stage.finalize:
                self.emit(2, self.printer.instruction(instr))
        if kernel.element_outputs:
            if not self.prefetched and self.rows_follow() and self.long_rows():
                # no pass asked for the next row: own its first OWN_BLOCK elements of the outputs before this pass
                # writes (x / x.sum(-1, keepdims=True) over (4096, 1024) float32: 0.81 -> 0.74 ms in L3, 1.55 -> 1.37
                # from memory); a burst of read prefetches here was slower
                span = min(OWN_BLOCK, self.layout.shape[rank - 1])
                for line in self.prefetches((), kernel.element_outputs, span, f"(_row + 1) * {ROW_SIZE}"):
                    self.emit(2, line)
            index = ", ".join(f"i{d}" for d in range(rank))
            # an output whose row buffer this pass reads is written as it was read: LLVM then sees one
            # address (through two arrays it checks for overlap at run time, finds it, and runs scalar)
            read_back = {instr.target for instr in kernel.element_body} & last_buffered
            kept_in = {flat: value for value, (flat, _) in self.buffer_rows.items() if value in read_back}
            stores = [f"{self.buffer_item(kept_in[f'_flat_{o.name}'])} = {o.value}" if f"_flat_{o.name}" in kept_in
                      else f"{o.name}[{index}] = {o.value}" for o in kernel.element_outputs]
            tail = _Tail(stores, {o.value for o in kernel.element_outputs})
            # the same name is the same instruction in every pass (lowering repeats them): reuse the buffer
            reciprocals = self.row_reciprocals()
            if reciprocals:
                safe = " and ".join(f"{_RECIPROCAL_RANGE[dt][0]} <= abs({d}) <= {_RECIPROCAL_RANGE[dt][1]}"
                                    for d, dt in reciprocals.items())
                for d, dt in reciprocals.items():
                    self.emit(2, f"_inv_{d} = {dt}({dt}(1.0) / {d})")
                self.emit(2, f"if {safe}:")
                self.element_loop(3, kernel.element_body, tail, bool(last_buffered), last_buffered,
                                  reciprocals=reciprocals)
                self.emit(2, "else:")
                self.element_loop(3, kernel.element_body, tail, bool(last_buffered), last_buffered)
            else:
                self.element_loop(2, kernel.element_body, tail, bool(last_buffered), last_buffered)
        for output in kernel.row_outputs:
            self.emit(2, f"{output.name}[_row] = {output.value}")
        self.lines[setup_at:setup_at] = ["    " + line for line in self.setup]
        return "\n".join([_HEADER + cpu_math.source_of(self.printer.helpers), "", *self.lines]) + "\n"

    def long_rows(self) -> bool:
        """Whether the rows have BLOCKED_SUM_MIN_ROW elements or more (a STATIC shape's)."""
        shape = self.layout.shape
        return shape is not None and math.prod(shape[d] for d in self.kernel.axes) >= BLOCKED_SUM_MIN_ROW

    def long_inner_rows(self) -> bool:
        """Whether a split pass's innermost loops are that long: 1-d chunks are, or a STATIC last dimension."""
        shape = self.layout.shape
        return self.kernel.rank == 1 or (shape is not None and shape[-1] >= BLOCKED_SUM_MIN_ROW)

    def buffer_values(self, values, rows_of) -> None:
        """A row buffer for each of ``values``: its row of an element output (``rows_of``) or its own."""
        for value in values:
            dtype = self.printer.dtypes[value]
            if value in rows_of:
                self.buffer_rows[value] = rows_of[value]
                self.emit(2, f"_at_{value} = {rows_of[value][1]}")
            else:
                self.setup.append(f"_buf_{value} = np.empty({ROW_SIZE}, {'bool_' if dtype == 'bool' else dtype})")

    def emit_row_helper(self, reduce, row: str, offset: str) -> None:
        helper = _row_helper(reduce, self.printer.dtypes)
        call = self.printer.helper(helper, row, offset, ROW_SIZE)
        acc = f"_acc_{reduce.target}"
        if reduce.op == "sum":
            self.emit(2, f"{acc} = float64({acc} + {call})")
        elif reduce.op in ("argmax", "argmin"):  # the index in the row, as the element loop's _e
            self.emit(2, f"{acc}_at = {call}")
        else:  # the accumulator starts at the identity: the row's extreme is the result
            self.emit(2, f"{acc} = {call}")

    def direct_rows(self, stage):
        """{operand: (its flat array, its current row's offset)} when every accumulator of this
        body-less stage has a row helper and reads a whole-rank operand that is not broadcast along
        trailing reduced axes; else None (an element loop)."""
        kernel, rank = self.kernel, self.kernel.rank
        axes = tuple(kernel.axes)
        if stage.body or not kernel.kept or axes != tuple(range(rank - len(axes), rank)):
            return None
        flags = {o.name: f for o, f in zip(kernel.arrays, self.layout.broadcast)}
        rows = {}
        for reduce in stage.reduces:
            value = reduce.value
            if isinstance(value, Const) or value not in flags or not _row_helper(reduce, self.printer.dtypes):
                return None
            operand_flags = flags[value]
            if len(operand_flags) != rank or any(operand_flags[d] for d in axes):
                return None
            # an operand may be strided (Numba compiles an 'A' version): its row is a slice
            index = ", ".join("0" if operand_flags[d] else f"i{d}" for d in kernel.kept)
            row = f"{value}_array[{index}]"
            rows[value] = (row if len(axes) == 1 else f"{row}.reshape({ROW_SIZE})", "0")
        return rows


# Where 1 / d is a normal number (its error 0.5 ulp), x * (1 / d) is within 1.5 ulps of x / d.
_RECIPROCAL_RANGE = {"float32": ("float32(1.1754943508222875e-38)", "float32(8.507059173023462e+37)"),
                     "float64": ("2.2250738585072014e-308", "4.49423283715579e+307")}


class _Tail:
    """Lines that end an element pass, and the names they read (operands among them are loaded)."""

    def __init__(self, lines, reads):
        self.lines, self.reads = list(lines), set(reads)


# A full reduction (every axis reduced: ``x.sum()``, ``np.log(p).sum()``, ``x.var()``) is one row:
# serial, and its float accumulator carried from element to element keeps LLVM from vectorizing
# the loop (log(p).sum() of 10**6 float64 ran at 0.2x NumPy). Such a kernel is split instead: each
# stage's pass reduces chunks of the outermost dimension into partials, on the threads, through a
# block buffer and the vectorized row helpers; a serial step combines the partials and finalizes;
# the element outputs are a last chunked pass. The chunk count depends only on the shape, so a
# result does not change with the number of threads.
SPLIT_BLOCK = 1024  # a block's buffer stays in L1
SPLIT_CHUNK_ELEMENTS = 16384
SPLIT_CHUNKS = 64
_SPLIT_OPS = frozenset({"sum", "prod", "max", "min", "all", "any"})


def splits(kernel: ReductionKernel) -> bool:
    """Whether ``kernel`` renders as a split full reduction (argmax/argmin keep the one-row form)."""
    return not kernel.kept and all(r.op in _SPLIT_OPS for stage in kernel.stages for r in stage.reduces)


def split_chunks(outer: int, total: int) -> int:
    return max(1, min(outer, total // SPLIT_CHUNK_ELEMENTS, SPLIT_CHUNKS))


class _SplitPrinter(_ReductionPrinter):
    """A split full reduction: ``kernel(start, stop, sync, first, last, *partials, *row_values,
    *row_outputs, *element_outputs, chunks, n0.., *operands)`` runs phases ``first`` to ``last``:
    phase 2s reduces chunks [start, stop) of stage s into its partials, phase 2s + 1 combines them
    and finalizes (stores the stage's row values, and after the last stage the row outputs); phase
    2 * len(stages) writes the element outputs of chunks [start, stop)."""

    @staticmethod
    def row_values(kernel):
        """[(name, dtype)] of each stage's row values, per stage."""
        per_stage = []
        for stage in kernel.stages:
            values = [(r.target, r.dtype) for r in stage.reduces]
            values += [(instr.target, instr.dtype) for instr in stage.finalize]
            per_stage.append(values)
        return per_stage

    def render(self) -> str:
        kernel, rank = self.kernel, self.kernel.rank
        stages, per_stage = kernel.stages, self.row_values(kernel)
        parts = [f"_part_{r.target}" for stage in stages for r in stage.reduces]
        values = [f"_rv_{name}" for stage in per_stage for name, _ in stage]
        params = ["start", "stop", "_sync", "first", "last", *parts, *values, *(o.name for o in kernel.row_outputs),
                  *(o.name for o in kernel.element_outputs), "chunks", *(f"n{d}" for d in range(rank)),
                  *(f"{o.name}_array" if o.is_array and o.rank > 0 else o.name for o in kernel.operands)]
        self.emit(0, "@njit(nogil=True, error_model=\"numpy\", cache=True)")
        self.emit(0, f"def {kernel.name}({', '.join(params)}):")
        self.emit(0, ANNOUNCE)
        self.emit(1, f"{ROW_SIZE} = int64({' * '.join(self.size(d) for d in range(rank))})")
        setup_at = len(self.lines)
        self.emit(1, "for _phase in range(first, last + 1):")
        defined = []
        for index, stage in enumerate(stages):
            self.emit(2, f"{'if' if index == 0 else 'elif'} _phase == {2 * index}:")
            self.stage_pass(stage, defined)
            self.emit(2, f"elif _phase == {2 * index + 1}:")
            self.finish(stage, defined, per_stage[index], last=index == len(stages) - 1)
            defined = defined + per_stage[index]
        if kernel.element_outputs:
            self.emit(2, "else:")
            self.element_pass(defined)
        self.lines[setup_at:setup_at] = ["    " + line for line in self.setup]
        return "\n".join([_HEADER + cpu_math.source_of(self.printer.helpers), "", *self.lines]) + "\n"

    # The innermost loops run over unsigned indices: a signed range that does not start at 0 gets Numba's
    # wrap-around test for negative indices, which kept LLVM's vector loop from running (a 1-d
    # np.exp(x).sum() took twice as long as the same elements in 2-d, whose inner ranges start at 0).
    def chunk_loops(self, depth: int, chunk_lines=()):
        """The loops over chunks [start, stop) (each starting with ``chunk_lines``) and over the
        dimensions outside the innermost one: (the chunk loop's body depth, the innermost loop's
        depth). The innermost dimension's range is (_first_i, _last_i)."""
        self.emit(depth, "for _chunk in range(start, stop):")
        depth += 1
        chunk_depth = depth
        self.emit(depth, f"_lo = {self.size(0)} * _chunk // chunks")
        self.emit(depth, f"_hi = {self.size(0)} * (_chunk + 1) // chunks")
        for line in chunk_lines:
            self.emit(depth, line)
        return chunk_depth, self.chunk_rows(depth)

    def chunk_rows(self, depth: int) -> int:
        """The loops over a chunk's dimensions outside the innermost one: the innermost loop's depth."""
        rank = self.kernel.rank
        if rank == 1:
            self.emit(depth, "_first_i, _last_i = _lo, _hi")
            return depth
        self.emit(depth, "for i0 in range(_lo, _hi):")
        depth += 1
        for d in range(1, rank - 1):
            self.emit(depth, f"for i{d} in range({self.size(d)}):")
            depth += 1
        self.emit(depth, f"_first_i, _last_i = 0, {self.size(rank - 1)}")
        return depth

    def stage_pass(self, stage, defined) -> None:
        inner = f"i{self.kernel.rank - 1}"
        self.load_values(3, defined, "_rv_{}[0]")
        self.printer.dtypes.update((instr.target, instr.dtype) for instr in stage.body)
        lines = [self.reduce_lines(reduce) for reduce in stage.reduces]
        reads = {r.value for r in stage.reduces if not isinstance(r.value, Const)}
        helped = all(_row_helper(reduce, self.printer.dtypes) for reduce in stage.reduces)
        chunk_depth, depth = self.chunk_loops(3, [line for init, _, _ in lines for line in init])
        if _blocked_sums(stage, self.printer.dtypes) and self.long_inner_rows():  # sums accumulated in the pass
            self.emit(depth, f"for _b in range(_first_i, _last_i, {SUM_BLOCK}):")
            for reduce in stage.reduces:
                self.emit(depth + 1, f"_blocksum_{reduce.target} = {reduce.dtype}(0.0)")
            self.emit(depth + 1, f"for {inner} in range(uint64(_b), uint64(min(_b + {SUM_BLOCK}, _last_i))):")
            self.element_body(depth + 2, stage.body, self.block_sum_lines(stage.reduces), reads)
            for reduce in stage.reduces:
                self.combine(depth + 1, reduce, f"float64(_blocksum_{reduce.target})", "float64")
            wide = self.sum_again_in_float64(chunk_depth, stage.reduces)  # (after the chunk, as a row's)
            if wide:
                depth = self.chunk_rows(chunk_depth + 1)
                self.emit(depth, f"for {inner} in range(uint64(_first_i), uint64(_last_i)):")
                self.element_body(depth + 1, stage.body, wide, reads)
        elif helped:  # the body into block buffers (a loop LLVM vectorizes), each reduced by its helper
            values = sorted(reads)
            for value in values:
                dtype = self.printer.dtypes[value]
                self.setup.append(f"_buf_{value} = np.empty({SPLIT_BLOCK}, {'bool_' if dtype == 'bool' else dtype})")
            self.emit(depth, f"for _b in range(_first_i, _last_i, {SPLIT_BLOCK}):")
            self.emit(depth + 1, f"_b_end = min(_b + {SPLIT_BLOCK}, _last_i)")
            self.emit(depth + 1, "_e = 0")
            self.emit(depth + 1, f"for {inner} in range(uint64(_b), uint64(_b_end)):")  # (see chunk_loops)
            self.element_body(depth + 2, stage.body, [f"_buf_{v}[_e] = {v}" for v in values] + ["_e += 1"], reads)
            for reduce in stage.reduces:
                helper = self.printer.helper(_row_helper(reduce, self.printer.dtypes), f"_buf_{reduce.value}",
                                             "0", "_b_end - _b")
                self.combine(depth + 1, reduce, helper, "float64" if reduce.op == "sum" else reduce.dtype)
        else:  # integer and bool accumulators vectorize as they are
            self.emit(depth, f"for {inner} in range(uint64(_first_i), uint64(_last_i)):")
            self.element_body(depth + 1, stage.body, [line for _, update, _ in lines for line in update], reads)
        for reduce in stage.reduces:
            self.printer.dtypes[reduce.target] = reduce.dtype
            self.emit(chunk_depth, f"_part_{reduce.target}[_chunk] = _acc_{reduce.target}")

    def combine(self, depth: int, reduce, value: str, dtype: str) -> None:
        """Fold ``value`` (a block's reduction, or a chunk's partial) into the accumulator by the
        Reduce's own update."""
        name = f"_blk_{reduce.target}"
        self.printer.dtypes[name] = dtype
        self.emit(depth, f"{name} = {value}")
        _, update, _ = self.reduce_lines(dataclasses.replace(reduce, value=name))
        for line in update:
            self.emit(depth, line)

    def finish(self, stage, defined, own, last: bool) -> None:
        self.load_values(3, defined, "_rv_{}[0]")
        for reduce in stage.reduces:
            init, _, final = self.reduce_lines(reduce)
            for line in init:
                self.emit(3, line)
            self.emit(3, "for _c in range(chunks):")
            self.combine(4, reduce, f"_part_{reduce.target}[_c]", accumulator_dtype(reduce.op, reduce.dtype))
            for line in final:
                self.emit(3, line)
            self.printer.dtypes[reduce.target] = reduce.dtype
        for instr in stage.finalize:
            self.emit(3, self.printer.instruction(instr))
        for name, _ in own:
            self.emit(3, f"_rv_{name}[0] = {name}")
        if last:
            for output in self.kernel.row_outputs:
                self.emit(3, f"{output.name}[0] = {output.value}")

    def element_pass(self, defined) -> None:
        kernel = self.kernel
        self.load_values(3, defined, "_rv_{}[0]")
        _, depth = self.chunk_loops(3)
        inner = f"i{kernel.rank - 1}"
        self.emit(depth, f"for {inner} in range(uint64(_first_i), uint64(_last_i)):")
        index = ", ".join(f"i{d}" for d in range(kernel.rank))
        stores = [f"{o.name}[{index}] = {o.value}" for o in kernel.element_outputs]
        self.element_body(depth + 1, kernel.element_body, stores, {o.value for o in kernel.element_outputs})


# A reduction that keeps the innermost dimension (x.max(axis=0), x.std(axis=0), a middle axis) has
# rows that are columns: a row's elements lie a whole line apart, and row by row that is a scalar,
# strided walk (x.max(axis=0) ran at 0.25x NumPy, (x - x.mean(0)) / x.std(0) at 0.2x). Such a
# kernel runs tiles of consecutive rows instead, in memory order: its accumulators and row values are
# arrays over the tile, each reduced element a contiguous, vectorized loop over it. A tile is COLUMN_TILE
# wide (batch norm of (4096, 1024) float32: 16 wide 8.3 ms, 64 2.0, 256 1.7, 1024 2.5), narrower where a
# STATIC shape's last size would give a thread no tile; the width is a literal of the source (read from
# an argument, batch norm took 2.3 times as long). A column's arithmetic is the same in any tile.
COLUMN_TILE = 256
COLUMN_TILE_MIN = 16


COLUMN_PREFETCH_ROWS = 4  # ahead of a column pass's row (8 and 16 were no better)


def column_width(last) -> int:
    """The tile width of a column kernel whose innermost dimension has ``last`` indices (None: DYNAMIC;
    its launch takes a ``narrow_width`` variant where wide tiles would leave a thread idle)."""
    if last is None:
        return COLUMN_TILE
    share = -(-last // num_threads())
    return min(COLUMN_TILE, max(COLUMN_TILE_MIN, -(-share // COLUMN_TILE_MIN) * COLUMN_TILE_MIN))


def narrow_width(last: int, threads: int) -> int:
    """The tile width of a DYNAMIC column kernel's narrow variant for a line of ``last`` indices: the
    power of two from COLUMN_TILE_MIN to COLUMN_TILE / 2 that gives each thread a tile, as wide as
    that allows (16-wide tiles of 200 columns: standardize 1.3x as long as one 256-wide tile)."""
    share = -(-last // threads)
    width = COLUMN_TILE_MIN
    while width < share and width < COLUMN_TILE // 2:
        width *= 2
    return width


def columns(kernel: ReductionKernel) -> bool:
    """Whether ``kernel`` renders as column tiles (its innermost dimension kept)."""
    return bool(kernel.kept) and kernel.kept[-1] == kernel.rank - 1


class _ColumnPrinter(_ReductionPrinter):
    """``kernel(start, stop, sync, *row_outputs, *element_outputs, n0.., *operands)`` over tiles
    [start, stop): tile t covers rows t // tiles_per_line (the kept dimensions but the last) and
    ``width`` consecutive indices of the last dimension from (t % tiles_per_line) * width."""

    def accumulators(self, reduce) -> list:
        """[(local name, dtype)] of the locals ``reduce_lines`` keeps for ``reduce``."""
        acc = f"_acc_{reduce.target}"
        if reduce.op in ("argmax", "argmin"):
            value_dtype = reduce.value.dtype if isinstance(reduce.value, Const) else self.printer.dtypes[reduce.value]
            names = [(acc, value_dtype), (f"{acc}_at", "int64")]
            return names + [(f"{acc}_nan", "bool")] if np.dtype(value_dtype).kind == "f" else names
        return [(acc, "bool" if reduce.dtype == "bool" else accumulator_dtype(reduce.op, reduce.dtype))]

    def __init__(self, kernel: ReductionKernel, layout: Layout, width: int | None = None):
        super().__init__(kernel, layout)
        self.width = width or column_width(None if layout.shape is None else layout.shape[kernel.rank - 1])

    def render(self) -> str:
        kernel, rank = self.kernel, self.kernel.rank
        last = rank - 1
        params = ["start", "stop", "_sync", *(o.name for o in kernel.row_outputs),
                  *(o.name for o in kernel.element_outputs),
                  *(f"n{d}" for d in range(rank)),
                  *(f"{o.name}_array" if o.is_array and o.rank > 0 else o.name for o in kernel.operands)]
        self.emit(0, "@njit(nogil=True, error_model=\"numpy\", cache=True)")
        self.emit(0, f"def {kernel.name}({', '.join(params)}):")
        self.emit(0, ANNOUNCE)
        width = self.width
        self.emit(1, f"{ROW_SIZE} = int64({' * '.join(self.size(d) for d in kernel.axes)})")
        self.emit(1, f"_tiles_per_line = ({self.size(last)} + {width - 1}) // {width}")
        setup_at = len(self.lines)
        self.emit(1, "for _tile in range(start, stop):")
        self.emit(2, f"_j0 = (_tile % _tiles_per_line) * {width}")
        self.emit(2, f"_width = min({width}, {self.size(last)} - _j0)")
        self.emit(2, f"_row0 = _tile // _tiles_per_line * {self.size(last)} + _j0")
        if kernel.kept[:-1]:
            self.emit_indices(2, kernel.kept[:-1], "_tile // _tiles_per_line")
        defined = []  # [(row value, dtype)] of the stages so far
        for stage in kernel.stages:
            self.printer.dtypes.update((instr.target, instr.dtype) for instr in stage.body)
            counter = any(r.op in ("argmax", "argmin") for r in stage.reduces)
            lines = [self.reduce_lines(reduce) for reduce in stage.reduces]
            kept_locals = [name_dtype for reduce in stage.reduces for name_dtype in self.accumulators(reduce)]
            self.setup += [f"_v{name} = np.empty({width}, {_numba_dtype(dtype)})" for name, dtype in kept_locals]
            self.emit(2, "for _j in range(_width):")
            for init, _, _ in lines:
                for line in init:
                    name, expression = line.split(" = ", 1)
                    self.emit(3, f"_v{name}[_j] = {expression}")
            if counter:
                self.emit(2, "_e = 0")
            depth = self.reduced_loops(2)
            reads = {r.value for r in stage.reduces if not isinstance(r.value, Const)}
            self.prefetch_rows_ahead(depth, stage.body, reads, ())
            self.column_loop(depth, defined)
            self.element_body(depth + 1, stage.body, [f"{name} = _v{name}[_j]" for name, _ in kept_locals]
                              + [line for _, update, _ in lines for line in update]
                              + [f"_v{name}[_j] = {name}" for name, _ in kept_locals], reads)
            if counter:
                self.emit(depth, "_e += 1")
            self.emit(2, "for _j in range(_width):")
            self.load_values(3, defined, "_tv_{}[_j]")
            for name, _ in kept_locals:
                self.emit(3, f"{name} = _v{name}[_j]")
            own = []
            for reduce, (_, _, final) in zip(stage.reduces, lines):
                for line in final:
                    self.emit(3, line)
                self.printer.dtypes[reduce.target] = reduce.dtype
                own.append((reduce.target, reduce.dtype))
            for instr in stage.finalize:
                self.emit(3, self.printer.instruction(instr))
                own.append((instr.target, instr.dtype))
            for name, dtype in own:
                self.setup.append(f"_tv_{name} = np.empty({width}, {_numba_dtype(dtype)})")
                self.emit(3, f"_tv_{name}[_j] = {name}")
            defined += own
        if kernel.element_outputs:
            depth = self.reduced_loops(2)
            self.prefetch_rows_ahead(depth, kernel.element_body, {o.value for o in kernel.element_outputs},
                                     kernel.element_outputs)
            self.column_loop(depth, defined)
            index = ", ".join(f"i{d}" for d in range(rank))
            self.element_body(depth + 1, kernel.element_body,
                              [f"{o.name}[{index}] = {o.value}" for o in kernel.element_outputs],
                              {o.value for o in kernel.element_outputs})
        if kernel.row_outputs:
            self.emit(2, "for _j in range(_width):")
            self.load_values(3, defined, "_tv_{}[_j]")
            for output in kernel.row_outputs:
                self.emit(3, f"{output.name}[_row0 + _j] = {output.value}")
        self.lines[setup_at:setup_at] = ["    " + line for line in self.setup]
        return "\n".join([_HEADER + cpu_math.source_of(self.printer.helpers), "", *self.lines]) + "\n"

    def reduced_loops(self, depth: int) -> int:
        for d in self.kernel.axes:
            self.emit(depth, f"for i{d} in range({self.size(d)}):")
            depth += 1
        return depth

    def prefetch_rows_ahead(self, depth: int, body, reads, written) -> None:
        """Prefetches of the tile's part of the row COLUMN_PREFETCH_ROWS on, in each pass over a matrix's
        columns (axis 0 reduced): the tile's rows lie a line apart, each in its own page, where the hardware's
        prefetcher does not follow (batch norm over (4096, 1024) float32: 2.91 -> 2.27 ms in L3)."""
        kernel = self.kernel
        if kernel.rank != 2 or tuple(kernel.axes) != (0,):
            return
        for line in self.prefetches(_names_read(body, reads), written, "_width",
                                    f"(i0 + {COLUMN_PREFETCH_ROWS}) * {self.size(1)} + _j0"):
            self.emit(depth, line)

    def column_loop(self, depth: int, defined) -> None:
        """The contiguous loop over the tile's columns, with the row values of earlier stages."""
        self.emit(depth, "for _j in range(_width):")
        self.emit(depth + 1, f"i{self.kernel.rank - 1} = _j0 + _j")
        self.load_values(depth + 1, defined, "_tv_{}[_j]")


def _numba_dtype(dtype: str) -> str:
    return "bool_" if dtype == "bool" else dtype


def render_reduction(kernel: ReductionKernel, layout: Layout, column_width: int | None = None) -> str:
    """The Python source of ``kernel`` for ``layout``: a module defining the Numba function
    ``kernel(start, stop, sync, *row_outputs, *element_outputs, n0.., *operands)`` over rows [start, stop)
    (a column kernel's over tiles ``column_width`` wide, by default its layout's)."""
    if splits(kernel):
        return _SplitPrinter(kernel, layout).render()
    if columns(kernel):
        return _ColumnPrinter(kernel, layout, column_width).render()
    return _ReductionPrinter(kernel, layout).render()


def numba_reduction_signature(kernel: ReductionKernel):
    import numba  # noqa: PLC0415 - loaded with the first kernel, not with ArrayScript
    from numba import types  # noqa: PLC0415 - as numba above

    arguments = [types.int64] * 3  # start, stop, sync
    arguments += [types.Array(numba.from_dtype(np.dtype(o.dtype)), 1, "C") for o in kernel.row_outputs]
    arguments += [types.Array(numba.from_dtype(np.dtype(o.dtype)), kernel.rank, "C") for o in kernel.element_outputs]
    arguments += [types.int64] * kernel.rank
    return tuple(arguments) + operand_types(kernel)


def numba_split_signature(kernel: ReductionKernel):
    import numba  # noqa: PLC0415 - loaded with the first kernel, not with ArrayScript
    from numba import types  # noqa: PLC0415 - as numba above

    def row(dtype):
        return types.Array(numba.from_dtype(np.dtype(dtype)), 1, "C")

    arguments = [types.int64] * 5  # start, stop, sync, first, last
    arguments += [row(accumulator_dtype(r.op, r.dtype)) for stage in kernel.stages for r in stage.reduces]
    arguments += [row(dtype) for stage in _SplitPrinter.row_values(kernel) for _, dtype in stage]
    arguments += [row(o.dtype) for o in kernel.row_outputs]
    arguments += [types.Array(numba.from_dtype(np.dtype(o.dtype)), kernel.rank, "C") for o in kernel.element_outputs]
    arguments += [types.int64] * (1 + kernel.rank)
    return tuple(arguments) + operand_types(kernel)


def element_reads(kernel: ReductionKernel) -> dict:
    """Output name -> the array operands its value depends on, through row values too: an output
    whose arrays do not broadcast to the iteration shape would be smaller in NumPy."""
    reads = {o.name: {o.name} for o in kernel.operands if o.is_array and o.rank > 0}

    def walk(instrs):
        for instr in instrs:
            reads[instr.target] = set().union(*(reads.get(a, set()) for a in instr.args if not isinstance(a, Const)))

    for stage in kernel.stages:
        walk(stage.body)
        for reduce in stage.reduces:
            reads[reduce.target] = set(reads.get(reduce.value, set())) if not isinstance(reduce.value, Const) else set()
        walk(stage.finalize)
    walk(kernel.element_body)
    result = {o.name: reads.get(o.value, set()) for o in kernel.outputs}
    for stage in kernel.stages:  # what a reduction reads must span the iteration space too
        for reduce in stage.reduces:
            result[reduce.target] = reads[reduce.target]
    return result


def partial_read_checks(kernel: ReductionKernel, sizes) -> list:
    """Conditions under which a DYNAMIC call must run the fallback: a value computed from only
    some of the arrays would not span the iteration space (``sizes``), as the kernel assumes."""
    every = {o.name for o in kernel.arrays}
    full = f"({', '.join(sizes)},)"
    checks = []
    for used in element_reads(kernel).values():
        used = used & every
        if used != every:
            shapes = ", ".join(f"{n}.shape" for n in sorted(used))
            checks.append(f"_bshape({shapes}) != {full}" if used else f"{full} != ({', '.join(['1'] * kernel.rank)},)")
    return checks


def reduced_size_checks(kernel: ReductionKernel, sizes, fallback: str) -> list:
    """Launcher lines that run the fallback where a reduced size is not the one the kernel needs."""
    return [f"    if {sizes[axis]} != {size}: {fallback}" for axis, size in zip(kernel.axes, kernel.reduced_sizes)]


# A row of at most this many elements with literal loop bounds is unrolled whole by LLVM, and an
# unrolled chain of max/min/argmax selects took it minutes to compile ((2, 4, 5): more than 100 s,
# campaign seed 70968): a STATIC kernel reads such a row's sizes from its arguments instead.
UNROLLED_ROW_LIMIT = 512


def _small_row(shape, axes) -> bool:
    return int(np.prod([shape[d] for d in axes])) <= UNROLLED_ROW_LIMIT


# A float sum of an elementwise pass accumulates in it: each block of SUM_BLOCK elements of the innermost
# axis into partial sums of the value's dtype that LLVM keeps in vector lanes (reassociable_add), each
# block's total then into the float64 accumulator. float32 with 16 lanes: a lane adds at most 8 elements
# and its block total 4 lane sums more, so the sum is within 13 ulps of the sum of the magnitudes
# (NumPy's pairwise float32 sum: 21 for 1024 elements, more for longer rows); a float32 exp or square
# then runs 16 lanes wide, where a float64 accumulator in the loop made LLVM take 8.
SUM_BLOCK = 128
# Shorter rows (and DYNAMIC ones) keep the row buffer and the helper: their blocks' horizontal sums and
# tails cost more than the pass saves ((x * 1.5).sum(axis=1) of float32 rows of 16 to 300 took 1.3-1.6
# times as long; rows of 1000, 0.75)
BLOCKED_SUM_MIN_ROW = 4 * SUM_BLOCK


def _names_read(body, reads) -> set:
    """The names ``body``'s instructions read, and ``reads``."""
    return {a for instr in body for a in instr.args if not isinstance(a, Const)} | set(reads)


def _finite(names) -> str:
    """The test that each of ``names`` is finite. Where a float32 sum's accumulator is not, its values are
    summed again in float64 (a row's, or a split chunk's): two of them
    near float32's largest can overflow in one lane where NumPy's order, and the exact sum, is finite; an
    inf or NaN among them gives the same sum either way."""
    return " and ".join(f"abs({name}) <= {float(np.finfo(np.float64).max)!r}" for name in names)


def _blocked_sums(stage, dtypes) -> bool:
    """Whether every accumulator of ``stage`` is a float32/float64 sum of a value of its own dtype."""
    return bool(stage.reduces) and all(
        r.op == "sum" and not isinstance(r.value, Const) and r.dtype in ("float32", "float64")
        and dtypes.get(r.value) == r.dtype for r in stage.reduces)


def _row_helper(reduce, dtypes):
    """The kernels.cpu_math helper that reduces a contiguous row for ``reduce``, or None."""
    if isinstance(reduce.value, Const):
        return None
    if reduce.op == "sum" and np.dtype(reduce.dtype).kind == "f":
        return "_sum_row_f64"
    if reduce.op in ("max", "min") and reduce.dtype in ("float32", "float64") and dtypes.get(reduce.value) == reduce.dtype:
        return f"_{reduce.op}_row_f{reduce.dtype[-2:]}"
    if reduce.op in ("argmax", "argmin"):
        dtype = dtypes.get(reduce.value)
        if dtype in ("float32", "float64"):
            return f"_{reduce.op}_row_f{dtype[-2:]}"
        return f"_{reduce.op}_row_int" if dtype is not None and np.dtype(dtype).kind in "iu" else None
    return None


class CpuReductionKernel(CompiledKernels):
    """A reduction kernel ready to run on NumPy arrays; the conventions of ``kernels.cpu.CpuKernel``
    (``launch``, ``report``, STATIC ``layout`` or DYNAMIC variants per broadcast pattern, the
    fallback for what the kernel cannot take)."""
    kind = "reduction kernel"

    def __init__(self, kernel, layout, fallback=None, first_layout=None):
        self._narrow_variants: dict = {}  # (broadcast, width) -> a narrow column variant, or None (narrow_variant)
        super().__init__(kernel, layout, fallback, first_layout)

    def compile_variant(self, layout: Layout, column_width: int | None = None) -> _Variant:
        kernel = self.kernel
        signature = numba_split_signature(kernel) if splits(kernel) else numba_reduction_signature(kernel)
        return _Variant(render_reduction(kernel, layout, column_width), kernel.name, signature)

    def narrow_variant(self, broadcast: tuple, width: int):
        """A DYNAMIC column kernel's variant with tiles ``width`` wide (``narrow_width``), for calls whose
        lines are too short for every thread to get a COLUMN_TILE-wide tile (np.exp(x).sum(axis=0) of 64
        columns was one tile: one thread); None when it cannot compile (the wide variant runs)."""
        return self.compiled_once(self._narrow_variants, (broadcast, width),
                                  lambda: self.compile_variant(Layout(broadcast), width))

    def _make_launcher(self):
        kernel = self.kernel
        rank, axes, kept = kernel.rank, kernel.axes, kernel.kept
        names = [o.name for o in kernel.operands]
        arrays = kernel.arrays
        fallback = f"return _self.fallback({', '.join(names)})"
        from .thread_pool import run_parallel as parallel  # noqa: PLC0415 - Numba is loaded by now

        namespace = {"_empty": np.empty, "_parallel": parallel, "_unwatched": UNWATCHED,
                     "_bshape": np.broadcast_shapes, "_self": self, "_uint64": np.uint64}
        for output in kernel.outputs:
            namespace[f"_dt_{output.name}"] = np.dtype(output.dtype)
        passed = [f"{o.name}[()]" if o.is_array and o.rank == 0 else
                  (f"_uint64({o.name})" if not o.is_array and o.dtype == "uint64" else o.name)
                  for o in kernel.operands]
        lines = [f"def launch({', '.join(names)}):"]
        lines += python_int_checks(kernel, fallback)
        if self.static:
            sizes = [str(s) for s in self.layout.shape]
            namespace["_run"] = self.variants[self.layout.broadcast].function
            if int(np.prod(self.layout.shape)) == 0:
                lines.append(f"    {fallback}")
            # a STATIC shape does not make an output that reads only row values span it
            # (np.absolute(x.any(keepdims=True)).imag is NumPy's (1,), not x's shape: seed 23157)
            lines += [f"    if {check}: {fallback}" for check in partial_read_checks(kernel, sizes)]
        else:
            shape_lines, sizes = dynamic_shape(kernel, on_mismatch=fallback)
            lines += shape_lines
            lines += reduced_size_checks(kernel, sizes, fallback)
            flags = [f"({o.name}.shape[{d}] == 1 and n{rank - o.rank + d} != 1)" for o in arrays for d in range(o.rank)]
            key = _nested_key(arrays, flags)
            lines.append(f"    if {' * '.join(sizes)} == 0: {fallback}")  # NumPy's answer for empty rows
            lines.append(f"    _run = _self.variants.get({key})")
            lines.append(f"    if _run is None: _run = _self.variant({key})")
            lines.append(f"    if _run is None: {fallback}")
            lines.append("    _run = _run.function")
            lines += [f"    if {check}: {fallback}" for check in partial_read_checks(kernel, sizes)]
        rows = " * ".join(sizes[d] for d in kept) if kept else "1"
        lines.append(f"    _rows = {rows}")
        for output in kernel.row_outputs:
            lines.append(f"    {output.name} = _empty(_rows, _dt_{output.name})")
        full_shape = f"({', '.join(sizes)},)"
        for output in kernel.element_outputs:
            lines.append(f"    {output.name} = _empty({full_shape}, _dt_{output.name})")
        total = " * ".join(sizes)
        if splits(kernel):
            lines += self._split_launch(sizes, passed, total, namespace)
        else:
            call_args = ", ".join([o.name for o in kernel.row_outputs] + [o.name for o in kernel.element_outputs]
                                  + sizes + passed)
            count = "_rows"
            if columns(kernel):
                width = column_width(self.layout.shape[rank - 1] if self.static else None)  # as the source's
                last = sizes[rank - 1]
                lines.append(f"    _tiles = _rows // {last} * (({last} + {width - 1}) // {width})")
                if not self.static:
                    threads = num_threads()
                    namespace["_narrow_width"] = narrow_width
                    lines.append(f"    if _tiles < {threads} and {last} > {COLUMN_TILE_MIN} and {total} >= {self.parallel_min}:")
                    lines.append(f"        _width = _narrow_width({last}, {threads})")
                    lines.append(f"        _narrow = _self.narrow_variant({key}, _width)")
                    lines.append("        if _narrow is not None:")
                    lines.append(f"            _run, _tiles = _narrow.function, _rows // {last} * (({last} + _width - 1) // _width)")
                count = "_tiles"
            lines.append(f"    if {total} >= {self.parallel_min} and {count} > 1: "
                         f"_parallel(_run, {count}, ({call_args},))")
            lines.append(f"    else: _run(0, {count}, _unwatched, {call_args})")
        results = []
        for output in kernel.outputs:
            if output in kernel.row_outputs:
                shape = [("1" if d in axes else sizes[d]) for d in range(rank)] if output.keepdims \
                    else [sizes[d] for d in kept]
                if not shape:  # a full reduction: NumPy's scalar (or the op's 0-d array)
                    results.append(f"{output.name}.reshape(())" if output.zero_d else f"{output.name}[0]")
                else:
                    results.append(f"{output.name}.reshape(({', '.join(shape)},))")
            else:
                results.append(output.name)
        lines.append(f"    return {results[0] if len(results) == 1 else '(' + ', '.join(results) + ',)'}")
        source = "\n".join(lines) + "\n"
        self.launcher_source = source
        exec(compile(source, f"<arrayscript launcher {kernel.name}>", "exec"), namespace)  # noqa: S102
        return namespace["launch"]


    def _split_launch(self, sizes, passed, total, namespace) -> list:
        """Launcher lines of a split full reduction (``_SplitPrinter``): one call runs every phase
        where the work is small or one chunk; else each stage's chunk pass (and the element pass)
        on the threads, and each combining step on the calling thread."""
        kernel = self.kernel
        namespace["_chunks_of"] = split_chunks
        lines = [f"    _chunks = _chunks_of({sizes[0]}, {total}) if {total} >= {self.parallel_min} else 1"]
        arrays = []
        for stage in kernel.stages:
            for reduce in stage.reduces:
                namespace[f"_dt_part_{reduce.target}"] = np.dtype(accumulator_dtype(reduce.op, reduce.dtype))
                lines.append(f"    _part_{reduce.target} = _empty(_chunks, _dt_part_{reduce.target})")
                arrays.append(f"_part_{reduce.target}")
        for stage in _SplitPrinter.row_values(kernel):
            for name, dtype in stage:
                namespace[f"_dt_rv_{name}"] = np.dtype(dtype)
                lines.append(f"    _rv_{name} = _empty(1, _dt_rv_{name})")
                arrays.append(f"_rv_{name}")
        arrays += [o.name for o in kernel.row_outputs] + [o.name for o in kernel.element_outputs]
        rest = ", ".join(arrays + ["_chunks"] + list(sizes) + passed)
        phases = 2 * len(kernel.stages) + (1 if kernel.element_outputs else 0)
        lines.append(f"    if _chunks == 1: _run(0, 1, _unwatched, 0, {phases - 1}, {rest})")
        lines.append("    else:")
        for phase in range(phases):
            if phase % 2 == 0:  # a chunk pass
                lines.append(f"        _parallel(_run, _chunks, ({phase}, {phase}, {rest}))")
            else:
                lines.append(f"        _run(0, 1, _unwatched, {phase}, {phase}, {rest})")
        return lines


def build_reduction(kernel: ReductionKernel, static_shapes=None, fallback=None) -> CpuReductionKernel:
    """A CpuReductionKernel: STATIC for these exact operand shapes, else DYNAMIC (compiled ahead for
    operands that broadcast only by rank)."""
    if static_shapes is not None:
        _, layout = layout_of(kernel, [tuple(s) for s in static_shapes], True)
        return CpuReductionKernel(kernel, layout, fallback)
    plain = Layout(tuple((False,) * o.rank for o in kernel.arrays))
    return CpuReductionKernel(kernel, None, fallback, first_layout=plain)
