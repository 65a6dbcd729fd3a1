"""The CUDA renderer and launcher of reduction kernels (``kernels.ir.ReductionKernel``).

One block per row, grid-striding over rows: in each stage every thread strides the row
(thread t reads elements t, t + blockDim, ...: coalesced for a last-axis row) into its own
accumulators, which the block then combines: a warp shuffle tree, then the warps' partials
through shared memory, and the result back to every thread through shared memory, so that
finalize instructions, later stages and the element pass read row values as plain locals.
Combining in a fixed tree makes the result deterministic for a given block size.

Accumulators (NumPy's semantics, kernels.ir.Reduce): float sums and products in double,
rounded once (the CPU renderer's choice, within about 1 ulp); integer sums and products in
the wide unsigned type, so that they wrap as NumPy's without C's undefined overflow; max/min
keep a NaN; argmax/argmin combine (value, index) pairs by value, then the first NaN, then
the smaller index, so ties and NaNs give NumPy's first index. A call with an empty iteration
space runs the fallback (NumPy's answer, warning or error).

A reduction over every axis with one stage and no element outputs (``np.sum(x * y)``, a mean,
an argmax of everything: ``grid_wide``) is reduced by the whole grid instead (the GRID variant):
each block combines its grid-stride share into a partial in global memory, takes a ticket
(``atomicInc`` after a fence), and the block that takes the last one combines the partials in
block order, finalizes and stores: one launch, deterministic for a given grid (no float atomics).
Other full reductions (several stages, element outputs: a softmax over everything) are one row,
reduced by one block.

Arrays are read through element strides passed as arguments (any layout, broadcast as stride
0); 32-bit index arithmetic when every extent fits in 31 bits, else 64-bit.
"""
from __future__ import annotations

import threading
import time

import numpy as np

from .cuda import _HALF, _INDEX, _OFFSET, _VALUE, _WIDE_UNSIGNED, SCALAR_PARAMETERS, STORAGE, Build, CudaRenderer, \
    _strided_arguments
from .ir import ROW_SIZE, Const, Layout, ReductionKernel, UnsupportedKernel, layout_of, reduction_identity
from .launch import dtype_refusal, dynamic_shape, first_line, python_int_checks

__all__ = ["render_reduction", "reduction_parameters", "CudaReductionKernel", "build_reduction"]

ROWS, GRID = "rows", "grid"  # the variant families: one block per row; the whole grid on one row
PARTIALS = 1024  # the most blocks a GRID launch uses (its partial buffers' length)


def _kind(dtype: str) -> str:
    return np.dtype(dtype).kind


def _accumulator_type(op: str, dtype: str) -> str:
    """The C type a thread accumulates ``op`` of ``dtype`` values in (one CUDA shuffles)."""
    kind = _kind(dtype)
    if op in ("all", "any") or kind == "b":
        return "int"
    if op == "sum":
        return "double" if kind == "f" else _WIDE_UNSIGNED[dtype]
    if op == "prod" and kind != "f":
        return _WIDE_UNSIGNED[dtype]
    if kind == "f":  # (a float product in its dtype: NumPy's overflows and underflows where a double's would not)
        return "double" if dtype == "float64" else "float"
    if dtype in ("int64", "uint64"):
        return STORAGE[dtype]
    return "int" if kind == "i" else "unsigned int"


def _c_literal(value, ctype: str) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    if value == -(1 << 63):
        return "(-9223372036854775807LL - 1)"
    return f"(({ctype}){value}{'ULL' if value >= (1 << 63) else 'LL'})"


def _combine(op: str, ctype: str, a: str, b: str) -> str:
    """``op``'s combination of two accumulators (a comes first in the row)."""
    if op in ("sum", "prod") and ctype == "int":  # of booleans: or, and
        return f"({a} {'|' if op == 'sum' else '&'} {b})"
    if op == "sum":
        return f"(({ctype})({a} + {b}))"
    if op == "prod":
        return f"(({ctype})({a} * {b}))"
    if op == "all":
        return f"({a} & {b})"
    if op == "any":
        return f"({a} | {b})"
    compare = ">=" if op == "max" else "<="
    nan = f" || {a} != {a}" if ctype in ("float", "double") else ""
    return f"(({a} {compare} {b}{nan}) ? {a} : {b})"


class _Printer:
    def __init__(self, kernel: ReductionKernel, layout: Layout | None, bits: int, grid: bool = False):
        self.kernel, self.layout, self.bits, self.grid = kernel, layout, bits, grid
        self.index, self.offset = _INDEX[bits], _OFFSET[bits]
        self.printer = CudaRenderer(kernel)
        self.printer.dtypes[ROW_SIZE] = "int64"
        self.helpers: dict = {}
        self.shared: list = []
        self.lines: list = []

    @property
    def static(self) -> bool:
        return self.layout is not None and self.layout.shape is not None

    def size(self, d: int) -> str:
        return f"{self.layout.shape[d]}u" if self.static else f"n{d}"

    def emit(self, depth: int, text: str):
        self.lines.append("    " * depth + text)

    def decompose(self, depth: int, counter: str, dims):
        """Lines splitting ``counter`` into the indices of ``dims`` (C order)."""
        if not dims:
            return
        self.emit(depth, f"{self.index} _rest_{counter} = {counter};")
        for d in reversed(dims[1:]):
            self.emit(depth, f"const {self.index} i{d} = _rest_{counter} % {self.size(d)};")
            self.emit(depth, f"_rest_{counter} /= {self.size(d)};")
        self.emit(depth, f"const {self.index} i{dims[0]} = _rest_{counter};")

    def loads(self, depth: int, names):
        rank = self.kernel.rank
        for k, operand in enumerate(self.kernel.arrays):
            if operand.name not in names:
                continue
            lead = rank - operand.rank
            offset = " + ".join(f"({self.offset})i{lead + d} * s{k}_{d}" for d in range(operand.rank))
            text = f"{operand.name}_p[{offset}]"
            if operand.dtype == "float16":
                text = f"half_to_float({text})"
            self.emit(depth, f"const {_VALUE[operand.dtype]} {operand.name} = {text};")

    def element_pass(self, depth: int, body, tail_reads, tail):
        """A strided pass over the row's elements: indices, loads, ``body``, then ``tail`` lines."""
        first, step = ("threadIdx.x", "blockDim.x") if not self.grid else \
            (f"({self.index})blockIdx.x * blockDim.x + threadIdx.x", f"({self.index})blockDim.x * gridDim.x")
        self.emit(depth, f"for ({self.index} _e = {first}; _e < _row_size; _e += {step}) {{")
        self.decompose(depth + 1, "_e", list(self.kernel.axes))
        reads = {a for instr in body for a in instr.args if not isinstance(a, Const)} | set(tail_reads)
        self.loads(depth + 1, reads)
        for instr in body:
            self.emit(depth + 1, self.printer.instruction(instr))
        for line in tail:
            self.emit(depth + 1, line)
        self.emit(depth, "}")

    def value(self, name) -> str:
        return self.printer.literal(name) if isinstance(name, Const) else name

    def identity(self, op: str, dtype: str, ctype: str) -> str:
        value = reduction_identity(op, dtype)
        if isinstance(value, float):  # +-inf, as the renderer prints float literals
            return f"(({ctype}){self.printer.literal(Const(value, 'float64'))})"
        return _c_literal(value, ctype)

    def block_combine(self, depth: int, reduce, ctype: str, identity: str):
        """Lines combining every thread's accumulator ``acc_<target>`` (with ``_at`` for arg
        reductions) over the block; afterwards every thread holds the row's."""
        acc = f"acc_{reduce.target}"
        arg = reduce.op in ("argmax", "argmin")
        for line in [f"__shared__ {ctype} share_{reduce.target}[32];"] + \
                ([f"__shared__ long long share_{reduce.target}_at[32];"] if arg else []):
            if line not in self.shared:
                self.shared.append(line)
            step = self.arg_helper(reduce.op, ctype)
        e = self.emit
        e(depth, f"for (int _o = warpSize / 2; _o > 0; _o /= 2) {{")
        e(depth + 1, f"const {ctype} _other = __shfl_down_sync(0xffffffffu, {acc}, _o);")
        if arg:
            e(depth + 1, f"const long long _other_at = __shfl_down_sync(0xffffffffu, {acc}_at, _o);")
            e(depth + 1, f"{step}({acc}, {acc}_at, _other, _other_at);")
        else:
            e(depth + 1, f"{acc} = {_combine(reduce.op, ctype, acc, '_other')};")
        e(depth, "}")
        e(depth, f"if (_lane == 0) {{ share_{reduce.target}[_warp] = {acc};"
                 + (f" share_{reduce.target}_at[_warp] = {acc}_at;" if arg else "") + " }")
        e(depth, "__syncthreads();")
        e(depth, "if (_warp == 0) {")
        e(depth + 1, f"{acc} = _lane < _warps ? share_{reduce.target}[_lane] : {identity};")
        if arg:
            e(depth + 1, f"{acc}_at = _lane < _warps ? share_{reduce.target}_at[_lane] : 0x7fffffffffffffffLL;")
        e(depth + 1, f"for (int _o = warpSize / 2; _o > 0; _o /= 2) {{")
        e(depth + 2, f"const {ctype} _other = __shfl_down_sync(0xffffffffu, {acc}, _o);")
        if arg:
            e(depth + 2, f"const long long _other_at = __shfl_down_sync(0xffffffffu, {acc}_at, _o);")
            e(depth + 2, f"{step}({acc}, {acc}_at, _other, _other_at);")
        else:
            e(depth + 2, f"{acc} = {_combine(reduce.op, ctype, acc, '_other')};")
        e(depth + 1, "}")
        e(depth + 1, f"if (_lane == 0) {{ share_{reduce.target}[0] = {acc};"
                     + (f" share_{reduce.target}_at[0] = {acc}_at;" if arg else "") + " }")
        e(depth, "}")
        e(depth, "__syncthreads();")
        e(depth, f"{acc} = share_{reduce.target}[0];" + (f" {acc}_at = share_{reduce.target}_at[0];" if arg else ""))
        e(depth, "__syncthreads();  // every thread has read it before the buffer is reused")

    def grid_combine(self, depth: int, finals):
        """Each block's partials to global memory; the block that finishes last (a ticket taken
        after a fence) combines them in block order, so the result does not depend on timing.
        The others return: only the last block finalizes and stores."""
        e = self.emit
        self.shared.append("__shared__ bool last_block;")
        e(depth, "if (threadIdx.x == 0) {")
        for reduce, _, _ in finals:
            e(depth + 1, f"partial_{reduce.target}[blockIdx.x] = acc_{reduce.target};")
            if reduce.op in ("argmax", "argmin"):
                e(depth + 1, f"partial_{reduce.target}_at[blockIdx.x] = acc_{reduce.target}_at;")
        e(depth + 1, "__threadfence();")
        e(depth + 1, "last_block = atomicInc(ticket, gridDim.x - 1) == gridDim.x - 1;  // wraps to 0: reusable")
        e(depth, "}")
        e(depth, "__syncthreads();")
        e(depth, "if (!last_block) return;")
        e(depth, "__threadfence();")
        for reduce, ctype, identity in finals:
            acc, arg = f"acc_{reduce.target}", reduce.op in ("argmax", "argmin")
            e(depth, f"{acc} = {identity};" + (f" {acc}_at = 0x7fffffffffffffffLL;" if arg else ""))
            e(depth, "for (unsigned int _b = threadIdx.x; _b < gridDim.x; _b += blockDim.x) {")
            e(depth + 1, f"const {ctype} _part = ((volatile {ctype}*)partial_{reduce.target})[_b];")
            if arg:
                e(depth + 1, f"{self.arg_helper(reduce.op, ctype)}({acc}, {acc}_at, _part, "
                             f"((volatile long long*)partial_{reduce.target}_at)[_b]);")
            else:
                e(depth + 1, f"{acc} = {_combine(reduce.op, ctype, acc, '_part')};")
            e(depth, "}")
            self.block_combine(depth, reduce, ctype, identity)

    def arg_helper(self, op: str, ctype: str) -> str:
        """``<op>_step_<type>(v, i, v2, i2)``: (v, i) becomes the better of the two pairs: the greater
        (smaller) value, a NaN over any number, the smaller index on a tie."""
        name = f"{op}_step_{ctype.replace(' ', '_')}"
        better = ">" if op == "argmax" else "<"
        nan = ctype in ("float", "double")
        lines = [f"static __device__ __forceinline__ void {name}({ctype}& v, long long& i, {ctype} v2, "
                 f"long long i2) {{"]
        if nan:
            lines += ["    const bool n = v != v, n2 = v2 != v2;",
                      "    if (n || n2) { if (n2 && (!n || i2 < i)) { v = v2; i = i2; } return; }"]
        lines += [f"    if (v2 {better} v || (v2 == v && i2 < i)) {{ v = v2; i = i2; }}", "}"]
        self.helpers[name] = "\n".join(lines) + "\n"
        return name

    def stage(self, depth: int, stage):
        inits, updates, finals = [], [], []
        for instr in stage.body:
            self.printer.dtypes[instr.target] = instr.dtype
        for reduce in stage.reduces:
            value_dtype = reduce.value.dtype if isinstance(reduce.value, Const) else self.printer.dtypes[reduce.value]
            base = {"argmax": "max", "argmin": "min"}.get(reduce.op, reduce.op)
            ctype = _accumulator_type(base, value_dtype)
            identity = self.identity(base, value_dtype if base in ("max", "min") else reduce.dtype, ctype)
            acc, value = f"acc_{reduce.target}", self.value(reduce.value)
            if reduce.op in ("all", "any"):
                value = f"(int)({value} != 0)"
            elif ctype == "int" and _kind(value_dtype) == "b":
                value = f"(int){value}"
            else:
                value = f"({ctype}){value}"
            inits.append(f"{ctype} {acc} = {identity};")
            if reduce.op in ("argmax", "argmin"):
                inits.append(f"long long {acc}_at = 0x7fffffffffffffffLL;")
                step = self.arg_helper(reduce.op, ctype)
                updates.append(f"{step}({acc}, {acc}_at, {value}, (long long)_e);")
            else:
                updates.append(f"{acc} = {_combine(reduce.op, ctype, acc, value)};")
            finals.append((reduce, ctype, identity))
        for line in inits:
            self.emit(depth, line)
        reads = {r.value for r in stage.reduces if not isinstance(r.value, Const)}
        self.element_pass(depth, stage.body, reads, updates)
        for reduce, ctype, identity in finals:
            self.block_combine(depth, reduce, ctype, identity)
        if self.grid:
            self.grid_combine(depth, finals)
        for reduce, ctype, identity in finals:
            self.emit(depth, f"const {_VALUE[reduce.dtype]} {reduce.target} = {self.result(reduce, ctype)};")
            self.printer.dtypes[reduce.target] = reduce.dtype
        for instr in stage.finalize:
            self.emit(depth, self.printer.instruction(instr))

    def result(self, reduce, ctype: str) -> str:
        acc = f"acc_{reduce.target}"
        if reduce.op in ("argmax", "argmin"):
            return f"{acc}_at"
        if reduce.dtype == "bool":
            return f"({acc} != 0)"
        if reduce.dtype == "float16":
            self.helpers.setdefault("half", _HALF)
            return f"round_half_d((double){acc})"
        return f"(({_VALUE[reduce.dtype]}){acc})"

    def render(self) -> str:
        kernel = self.kernel
        rank, kept = kernel.rank, kernel.kept
        params = reduction_parameters(kernel, self.layout, self.bits, self.grid)
        signature = ", ".join(f"{t} __restrict__ {name}" if t.endswith("*") else f"const {t} {name}"
                              for name, t in params)
        e = self.emit
        e(0, f'extern "C" __global__ void {variant_name(kernel, (GRID if self.grid else ROWS, self.bits))}'
             f'({signature}) {{')
        row_count = " * ".join(self.size(d) for d in kept) if kept else "1u"
        e(1, f"const {self.index} _rows = {row_count};")
        e(1, f"const {self.index} _row_size = {' * '.join(self.size(d) for d in kernel.axes)};")
        e(1, f"const long long {ROW_SIZE} = (long long)_row_size;")
        e(1, "const int _lane = threadIdx.x % warpSize, _warp = threadIdx.x / warpSize;")
        e(1, "const int _warps = (blockDim.x + warpSize - 1) / warpSize;")
        for operand in kernel.operands:
            if operand.is_array and operand.rank == 0:
                text = f"{operand.name}_p[0]"
                e(1, f"const {_VALUE[operand.dtype]} {operand.name} = "
                     + (f"half_to_float({text});" if operand.dtype == "float16" else f"{text};"))
        if kernel.element_outputs:  # C strides of the full-shape outputs
            for d in range(rank - 1, -1, -1):
                stride = "1" if d == rank - 1 else f"_c{d + 1} * ({self.offset}){self.size(d + 1)}"
                e(1, f"const {self.offset} _c{d} = {stride};")  # underscored: formulas name constants c0, c1...
        shared_at = len(self.lines)
        if self.grid:  # every block takes part in the one row
            e(1, f"{{ const {self.index} _row = 0;")
        else:
            e(1, f"for ({self.index} _row = blockIdx.x; _row < _rows; _row += gridDim.x) {{")
        self.decompose(2, "_row", list(kept))
        for stage in kernel.stages:
            self.stage(2, stage)
        if kernel.element_outputs:
            stores = []
            for output in kernel.element_outputs:
                value = self.value(output.value)
                value = f"float_to_half({value})" if output.dtype == "float16" else value
                offset = " + ".join(f"({self.offset})i{d} * _c{d}" for d in range(rank))
                stores.append(f"{output.name}[{offset}] = {value};")
            self.printer.dtypes.update((i.target, i.dtype) for i in kernel.element_body)
            self.element_pass(2, kernel.element_body, {o.value for o in kernel.element_outputs}, stores)
        if kernel.row_outputs:
            e(2, "if (threadIdx.x == 0) {")
            for output in kernel.row_outputs:
                value = f"float_to_half({output.value})" if output.dtype == "float16" else output.value
                e(3, f"{output.name}[_row] = {value};")
            e(2, "}")
        e(1, "}")
        e(0, "}")
        self.lines[shared_at:shared_at] = ["    " + line for line in self.shared]
        uses_half = any(d == "float16" for d in [o.dtype for o in kernel.operands] + [o.dtype for o in kernel.outputs])
        if uses_half:
            self.helpers.setdefault("half", _HALF)
        helpers = {**self.printer.helpers, **self.helpers}
        how = "the grid on one row" if self.grid else "a block per row"
        header = [f"// ArrayScript reduction kernel {kernel.name}: {how}, {self.bits}-bit indices"]
        return "\n".join(header + list(helpers.values()) + self.lines) + "\n"


def variant_name(kernel: ReductionKernel, key) -> str:
    mode, bits = key
    return f"{kernel.name}_{mode}{bits}"


def grid_wide(kernel: ReductionKernel) -> bool:
    """Whether the kernel is reduced by the whole grid (GRID): every axis reduced, one stage, no
    element outputs (np.sum(x * y), a mean, an argmax of everything)."""
    return not kernel.kept and len(kernel.stages) == 1 and not kernel.element_outputs


def _partials(kernel: ReductionKernel) -> list:
    """(name, C type) of the grid variant's per-block partial buffers, one per accumulator."""
    found = []
    for reduce in kernel.stages[0].reduces:
        value_dtype = reduce.value.dtype if isinstance(reduce.value, Const) else _value_dtype(kernel, reduce.value)
        base = {"argmax": "max", "argmin": "min"}.get(reduce.op, reduce.op)
        found.append((f"partial_{reduce.target}", _accumulator_type(base, value_dtype)))
        if base != reduce.op:
            found.append((f"partial_{reduce.target}_at", "long long"))
    return found


_NUMPY = {"int": "int32", "unsigned int": "uint32", "long long": "int64", "unsigned long long": "uint64",
          "float": "float32", "double": "float64"}


def _value_dtype(kernel: ReductionKernel, name: str) -> str:
    defined = {o.name: o.dtype for o in kernel.operands}
    defined.update((i.target, i.dtype) for i in kernel.stages[0].body)
    return defined[name]


def reduction_parameters(kernel: ReductionKernel, layout: Layout | None, bits: int, grid: bool = False) -> list:
    """(name, C type) of the kernel's parameters: row outputs, element outputs, (GRID: the partial
    buffers and the ticket counter), operands, the sizes (DYNAMIC), each array's element strides."""
    params = [(o.name, f"{STORAGE[o.dtype]}*") for o in (*kernel.row_outputs, *kernel.element_outputs)]
    if grid:
        params += [(name, f"{ctype}*") for name, ctype in _partials(kernel)] + [("ticket", "unsigned int*")]
    for operand in kernel.operands:
        if operand.is_array and operand.rank == 0:
            params.append((f"{operand.name}_p", f"const {STORAGE[operand.dtype]}*"))
        elif operand.is_array:
            params.append((f"{operand.name}_p", f"const {STORAGE[operand.dtype]}*"))
        else:
            params.append((operand.name, SCALAR_PARAMETERS[operand.dtype]))
    if layout is None or layout.shape is None:
        params += [(f"n{d}", _INDEX[bits]) for d in range(kernel.rank)]
    for k, operand in enumerate(kernel.arrays):
        params += [(f"s{k}_{d}", _OFFSET[bits]) for d in range(operand.rank)]
    return params


def render_reduction(kernel: ReductionKernel, layout: Layout | None, key) -> str:
    """The CUDA C source of ``kernel``'s variant ``key`` = (ROWS or GRID, index bits) (STATIC sizes
    from ``layout``, else arguments)."""
    mode, bits = key
    if mode not in (ROWS, GRID) or bits not in (32, 64):
        raise ValueError(f"no reduction kernel variant {key!r}: the variants are ({ROWS!r} or {GRID!r}, 32 or 64)")
    if mode == GRID and not grid_wide(kernel):
        raise ValueError(f"kernel {kernel.name} is not reduced grid-wide")
    return _Printer(kernel, layout, bits, grid=mode == GRID).render()


class CudaReductionKernel:
    """A reduction kernel ready to run (``kernels.cuda.CudaKernel``'s conventions: ``launch``,
    ``report``, ``variants``, ``source(key)``; the backend compiles and allocates)."""

    def __init__(self, kernel: ReductionKernel, layout: Layout | None, backend, fallback=None):
        refusal = dtype_refusal(kernel, STORAGE, "CUDA")
        if refusal is not None:
            raise UnsupportedKernel(refusal)
        self.kernel, self.layout, self.backend, self.fallback = kernel, layout, backend, fallback
        self.variants: dict = {}
        self.builds: list = []
        self._lock = threading.Lock()
        self.mode = GRID if grid_wide(kernel) else ROWS
        self.source((self.mode, 32))  # what the renderer refuses leaves the group unfused now
        self.launch = self._make_launcher()
        if getattr(backend, "eager", False):
            try:
                self.variant((self.mode, 32))
            except Exception as error:  # NVRTC's compile errors
                raise UnsupportedKernel(f"the CUDA kernel did not compile: {first_line(error)}") from error

    @property
    def static(self) -> bool:
        return self.layout is not None

    def source(self, key) -> str:
        return render_reduction(self.kernel, self.layout, key)

    def variant(self, key):
        found = self.variants.get(key)
        if found is not None:
            return found
        with self._lock:
            if key not in self.variants:
                start = time.perf_counter()
                name = variant_name(self.kernel, key)
                try:
                    run, how = self.backend.compile(self.source(key), name,
                                                    reduction_parameters(self.kernel, self.layout, key[1],
                                                                         key[0] == GRID))
                except Exception as error:
                    raise RuntimeError(f"the CUDA kernel {name} did not compile: {error}") from error
                self.builds.append(Build(key, time.perf_counter() - start, how))
                self.variants[key] = run
        return self.variants[key]

    def report(self) -> str:
        built = "; ".join(map(str, self.builds)) or "compiled on first launch"
        return (f"{'STATIC' if self.static else 'DYNAMIC'} CUDA reduction kernel {self.kernel.name} "
                f"on {self.backend.name}, {built}")

    def run(self, rows: int, shape, outputs, operands):
        """Launches the variant for these arrays; False when a stride is not whole elements."""
        arrays = [a for a, o in zip(operands, self.kernel.operands) if o.is_array and o.rank > 0]
        count = int(np.prod(shape))
        bits, strides = _strided_arguments(arrays, shape, count)
        if bits is None:
            return False
        index = np.uint32 if bits == 32 else np.uint64
        passed = []
        for value, operand in zip(operands, self.kernel.operands):
            if not operand.is_array:
                passed.append({"int64": np.int64, "uint64": np.uint64, "float64": np.float64,
                               "bool": np.bool_}[operand.dtype](value))
            else:
                passed.append(value)
        sizes = [] if self.static else [index(s) for s in shape]
        threads = getattr(self.backend, "threads", 256)
        if self.mode == ROWS:
            self.variant((ROWS, bits))(rows * threads, (*outputs, *passed, *sizes, *strides))
            return True
        empty = self.backend.empty
        scratch = [empty((PARTIALS,), np.dtype(_NUMPY[ctype])) for _, ctype in _partials(self.kernel)]
        ticket = empty((1,), np.uint32)
        ticket.fill(0)
        work = min(count, PARTIALS * threads)  # at most PARTIALS blocks
        self.variant((GRID, bits))(work, (*outputs, *scratch, ticket, *passed, *sizes, *strides))
        return True

    def _make_launcher(self):
        kernel = self.kernel
        rank, axes, kept = kernel.rank, kernel.axes, kernel.kept
        names = [o.name for o in kernel.operands]
        arrays = kernel.arrays
        fallback = f"return _self.fallback({', '.join(names)})"
        namespace = {"_empty": self.backend.empty, "_bshape": np.broadcast_shapes,
                     "_self": self}
        for output in kernel.outputs:
            namespace[f"_dt_{output.name}"] = np.dtype(output.dtype)
        lines = [f"def launch({', '.join(names)}):"]
        lines += python_int_checks(kernel, fallback)
        from .cpu_reduction import partial_read_checks, reduced_size_checks  # noqa: PLC0415 - the CPU rules
        if self.static:
            sizes = [str(s) for s in self.layout.shape]
        else:
            shape_lines, sizes = dynamic_shape(kernel, on_mismatch=fallback)
            lines += shape_lines
            lines += reduced_size_checks(kernel, sizes, fallback)
        lines += [f"    if {check}: {fallback}" for check in partial_read_checks(kernel, sizes)]  # STATIC too
        lines.append(f"    if {' * '.join(sizes)} == 0: {fallback}")  # NumPy's answer for empty rows
        rows = " * ".join(sizes[d] for d in kept) if kept else "1"
        lines.append(f"    _rows = {rows}")
        for output in kernel.row_outputs:
            lines.append(f"    {output.name} = _empty((_rows,), _dt_{output.name})")
        full_shape = f"({', '.join(sizes)},)"
        for output in kernel.element_outputs:
            lines.append(f"    {output.name} = _empty({full_shape}, _dt_{output.name})")
        outputs = ", ".join(o.name for o in (*kernel.row_outputs, *kernel.element_outputs))
        lines.append(f"    if not _self.run(_rows, {full_shape}, ({outputs},), ({''.join(n + ', ' for n in names)})):")
        lines.append(f"        {fallback}")
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
        exec(compile(source, f"<arrayscript CUDA launcher {kernel.name}>", "exec"), namespace)  # noqa: S102
        return namespace["launch"]


def build_reduction(kernel: ReductionKernel, backend, static_shapes=None, fallback=None) -> CudaReductionKernel:
    """A CudaReductionKernel: STATIC for these exact operand shapes, else DYNAMIC."""
    layout = None
    if static_shapes is not None:
        _, layout = layout_of(kernel, [tuple(s) for s in static_shapes], True)
    return CudaReductionKernel(kernel, layout, backend, fallback)
