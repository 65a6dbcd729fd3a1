"""The CPU renderer: a kernel, for one layout, as a Numba function; compiled
once, cached on disk (``kernels.cache``), and launched across threads.

Shape of the generated code, chosen by measurement on a 2-core AVX-512 machine
(tanh-GELU on (4096, 1024) float32): each kernel is a serial
``@njit(nogil=True, error_model="numpy", cache=True)`` function over a range
of the outer dimension, and the launcher splits that dimension over a small
thread pool. ``error_model="numpy"`` is what lets LLVM vectorize the loop (the
Python model adds a zero-divisor branch to every division); the float32
transcendental functions come from ``kernels.cpu_math`` because libm's are
scalar. ``parallel=True`` was tried and measured worse for this use: 1.0 s to
compile instead of 0.2 s, 0.36 s to load from the disk cache instead of 3 ms,
and 70-90 us to launch, more than a whole (8, 128) call. The pool's threads
sleep between kernels, so they do not compete with OpenBLAS's threads in a
model that alternates matmuls and fused groups. A per-kernel ``prange`` splitter
over the serial function (measured again on the 2-core machine) joins in 10 us
instead of the pool's 40-120 us, but GNU OpenMP's threads spin after each region:
the transformer block ran 2.4x slower, and with ``OMP_WAIT_POLICY=passive`` (a
process-wide setting, not ours to make) it gained only what noise hides.

A STATIC kernel bakes the iteration shape and the broadcast pattern into its
loops; a DYNAMIC one reads the sizes from its arguments and is compiled once
per broadcast pattern (its layout class) on first sight. Array layouts (C or
strided, including negative strides) are Numba's own type specialization.
"""
from __future__ import annotations

import abc
import math
import os
import re
import threading
import time

import numpy as np

from device import numba_setup, python_builtins
from device.scalar_vocabulary import LDEXP_EXPONENT_LIMIT

from . import cache, cpu_math
from .ir import (LOGICAL, ORDERING, SUPPORTED_DTYPES, Const, Kernel, Layout, ReductionKernel, UnsupportedKernel,
                 layout_of, uniform_power_form)
from .launch import broadcast_error, dtype_refusal, dynamic_shape, first_line, partial_output_checks, python_int_checks
from .rendering import Renderer

DTYPES = SUPPORTED_DTYPES - {"float16"}  # Numba has no float16 arithmetic
# Below this many elements a kernel runs on the calling thread: handing work to
# the pool costs more than it saves. An elementwise kernel waits for more (parallel_min_elements).
PARALLEL_MIN_ELEMENTS = 1 << 16
# The elements times instructions (a helper call counting as HELPER_WEIGHT of them, exp and log as
# CHEAP_HELPER_WEIGHT) from which the pool pays: its submit, wake and join cost about 60 us here, and
# x * 2 + 1 over 65,536 float64 took 81 us on two threads, 16 on one (two pay from about 500,000
# elements; for np.exp(x) * 2 + 1 from about 200,000, for one arcsinh from about 70,000).
PARALLEL_MIN_WORK = 1 << 21
HELPER_WEIGHT = 16
CHEAP_HELPER_WEIGHT = 4
_CHEAP_HELPERS = frozenset({"_exp_f32", "_log_f32", "_tanh_f32", "_exp_f64", "_log_f64"})
# Below this many elements a kernel does not write a strided view itself (launch_rows): making the
# flat span of the view costs about what copying a fresh result into it does (cs231n's RNN at
# (3, 6, 4): 20 us a call copying, 75 writing into h[:, t]; even and better from 64 x 512 on).
ROWS_MIN_ELEMENTS = 1 << 16

_HEADER = cpu_math.HEADER
# float32 functions with helpers of their own (sin, cos, tan: a float32 form in blocks of medium arguments);
# every other float32 function of cpu_math.FLOAT64_OPS runs its float64 helper (NumPy's float32 loops are
# within a few ulps: this is within 1 of the float32 value)
_FLOAT_HELPERS = {("exp", "float32"): "_exp_f32", ("tanh", "float32"): "_tanh_f32",
                  ("erf", "float32"): "_erf_f32", ("log", "float32"): "_log_f32",
                  **{(op, "float32"): name for op, name in cpu_math.FLOAT32_TRIG.items()},
                  **{(op, "float64"): name for op, name in cpu_math.FLOAT64_OPS.items()}}
_MATH = {"exp": "math.exp", "expm1": "math.expm1", "log": "math.log", "log2": "math.log2", "log10": "math.log10",
         "log1p": "math.log1p", "sqrt": "math.sqrt", "cbrt": "np.cbrt", "sin": "math.sin", "cos": "math.cos",
         "tan": "math.tan", "arcsin": "math.asin", "arccos": "math.acos", "arctan": "math.atan",
         "sinh": "math.sinh", "cosh": "math.cosh", "tanh": "math.tanh", "arcsinh": "math.asinh",
         "arccosh": "math.acosh", "arctanh": "math.atanh", "erf": "math.erf", "floor": "np.floor",
         "ceil": "np.ceil", "trunc": "np.trunc", "rint": "np.rint", "arctan2": "np.arctan2",
         "hypot": "math.hypot", "copysign": "math.copysign", "fmod": "np.fmod", "exp2": "np.exp2"}
# Functions whose libm form (Numba's) gives a positive NaN outside their domain, where NumPy gives the
# machine's invalid-operation NaN (kernels.cpu_math._domain_f64).
# (sqrt and log2 give it already; log and log1p are kernels.cpu_math's own.)
_DOMAIN_ENDS = frozenset({"arccos", "arcsin", "arccosh", "arctanh", "log10"})
_INT_HELPERS = {"floor_divide": "_floor_divide_int", "remainder": "_remainder_int", "fmod": "_fmod_int"}
_FLOAT_DIVISION = {"floor_divide": "_floor_divide_float", "remainder": "_remainder_float"}


def _is_float(dtype: str) -> bool:
    return dtype.startswith("float")


def _is_int(dtype: str) -> bool:
    return "int" in dtype


class CpuRenderer(Renderer):
    """Numba-Python: one assignment per instruction; collects the kernels.cpu_math helpers they call."""
    name = "CPU"

    def __init__(self, kernel: Kernel):
        super().__init__(kernel)
        self.helpers: set = set()

    def arg(self, value) -> str:
        if isinstance(value, Const):
            if value.dtype == "bool":
                return repr(bool(value.value))
            number = value.value
            if isinstance(number, float) and not np.isfinite(number):
                text = "nan" if np.isnan(number) else ("inf" if number > 0 else "-inf")
            else:
                text = repr(number if _is_float(value.dtype) else int(number))
            return f"{value.dtype}({text})"
        return value

    def helper(self, name: str, *args) -> str:
        self.helpers.add(name)
        return f"{name}({', '.join(args)})"

    def instruction(self, instr) -> str:
        text = self.expression(instr)
        self.dtypes[instr.target] = instr.dtype
        return f"{instr.target} = {text}"

    # -- one rule per primitive (e: kernels.rendering.Operation) ----------------------
    def _bitwise(self, e):
        return f"bool({e.a} {e.op} {e.b})" if e.dt == "bool" else f"{e.dt}({e.a} {e.op} {e.b})"

    def _arithmetic(self, e):
        if e.dt == "bool" and e.op in ("+", "*"):  # NumPy's add and multiply of booleans are or and and
            return f"bool({e.a} {'|' if e.op == '+' else '&'} {e.b})"
        if e.wraps and e.dt.startswith("int"):
            # Numba marks signed arithmetic no-signed-wrap, so LLVM may assume it does not
            # overflow; in uint64 it wraps, as NumPy's does, and the conversion back keeps the bits.
            return f"{e.dt}(uint64({e.a}) {e.op} uint64({e.b}))"
        return f"{e.dt}({e.a} {e.op} {e.b})"

    def _shift(self, e):
        dt, a, b = e.dt, e.a, e.b
        bits = np.dtype(dt).itemsize * 8
        beyond = f"{dt}(0)" if e.op == "<<" or dt.startswith("u") else f"({dt}(-1) if {a} < 0 else {dt}(0))"
        return f"({dt}({a} {e.op} {b}) if 0 <= {b} < {bits} else {beyond})"

    def _maximum(self, e):
        compare = ">" if e.op == "maximum" else "<"  # equal: NumPy gives the second (signed zeros)
        return f"({e.a} if ({e.a} {compare} {e.b} or {e.a} != {e.a}) else {e.b})"

    def _division(self, e):  # floor_divide, remainder, fmod
        if _is_int(e.dt) and e.op in _INT_HELPERS:
            return f"{e.dt}({self.helper(_INT_HELPERS[e.op], e.a, e.b)})"
        if e.op in _FLOAT_DIVISION:
            return f"{e.dt}({self.helper(_FLOAT_DIVISION[e.op], e.a, e.b)})"
        return self._math(e)

    def _rounding(self, e):  # floor, ceil, trunc, rint
        return self._math(e) if _is_float(e.dt) else e.a  # NumPy 2 rounds integers to themselves

    def _math(self, e):
        if (e.op, e.dt) in _FLOAT_HELPERS:
            return self.helper(_FLOAT_HELPERS[(e.op, e.dt)], *e.args)
        if e.dt == "float32" and e.op in cpu_math.FLOAT64_OPS:  # (a libm call would keep the loop scalar)
            return f"float32({self.helper(cpu_math.FLOAT64_OPS[e.op], *(f'float64({a})' for a in e.args))})"
        if not _is_float(e.dt):
            return None
        result = f"{e.dt}({_MATH[e.op]}({', '.join(e.args)}))"
        if e.op in _DOMAIN_ENDS:  # (float16 has no CPU kernels: kernels.cpu.DTYPES)
            return self.helper(f"_domain_f{e.dt[-2:]}", result, e.a)
        return result

    def _uniform_power(self, e):
        """NumPy's power for an exponent that is one value for all elements (kernels.ir.UNIFORM_POWERS):
        the closed form of a constant exponent, else a branch on the exponent (the same for every element)."""
        if not _is_float(e.dt):
            return None
        dt, a, b = e.dt, e.a, e.b
        closed = {-1.0: f"{dt}({dt}(1.0) / {a})", 0.0: f"{dt}(1.0)", 0.5: f"{dt}(math.sqrt({a}))", 1.0: a,
                  2.0: f"{dt}({a} * {a})"}
        exponent = e.instr.args[1]
        if isinstance(exponent, Const) and float(exponent.value) in closed:
            return closed[float(exponent.value)]  # without the pow helper, which it does not call
        return uniform_power_form(closed, self._general_power(e), exponent, b,
                                  lambda condition, then, otherwise: f"({then} if {condition} else {otherwise})")

    def _general_power(self, e):
        """pow by the vectorized float64 helper (libm's is one call per element); float32 through it too,
        the double result rounded once more (within 1 ulp of NumPy's float32 power)."""
        call = self.helper("_pow_f64", f"float64({e.a})", f"float64({e.b})")
        return call if e.dt == "float64" else f"{e.dt}({call})"

    code_for_op = {
        **dict.fromkeys(_MATH, _math),  # the library functions; the entries below take precedence
        **dict.fromkeys(ORDERING, lambda r, e: f"({e.a} {e.op} {e.b})"),
        **dict.fromkeys(LOGICAL, lambda r, e: f"(({e.a} != 0) {'&' if e.op == 'and' else '|'} ({e.b} != 0))"),
        "not": lambda r, e: f"({e.a} == 0)",
        **dict.fromkeys(("&", "|", "^"), _bitwise),
        **dict.fromkeys(("+", "-", "*", "/"), _arithmetic),
        **dict.fromkeys(("<<", ">>"), _shift),
        "neg": lambda r, e: f"{e.dt}(-{e.a})",
        "invert": lambda r, e: f"(not {e.a})" if e.dt == "bool" else f"{e.dt}(~{e.a})",
        "cast": lambda r, e: f"({e.a} != 0)" if e.dt == "bool" else f"{e.dt}({e.a})",
        **dict.fromkeys(("eq", "ne"), lambda r, e: f"({e.a} {'==' if e.op == 'eq' else '!='} {e.b})"),
        "where": lambda r, e: f"({e.b} if {e.a} else {e.args[2]})",
        **dict.fromkeys(("maximum", "minimum"), _maximum),
        "isnan": lambda r, e: f"({e.a} != {e.a})" if _is_float(e.source) else "False",
        "isinf": lambda r, e: f"(abs({e.a}) == inf)" if _is_float(e.source) else "False",
        "isfinite": lambda r, e: f"(({e.a} - {e.a}) == 0)" if _is_float(e.source) else "True",
        "signbit": lambda r, e: f"np.signbit({e.a})" if _is_float(e.source) else None,
        "absolute": lambda r, e: f"{e.dt}(abs({e.a}))" if e.dt != "bool" else e.a,
        "sign": lambda r, e: f"({e.dt}(1) if {e.a} > 0 else ({e.dt}(-1) if {e.a} < 0 else {e.a}))",
        "power": lambda r, e: r._general_power(e) if _is_float(e.dt) else None,
        "nextafter": lambda r, e: f"{e.dt}(np.nextafter({e.a}, {e.b}))" if _is_float(e.dt) else None,
        **{name: (lambda helper: lambda r, e: f"{e.dt}({r.helper(helper, e.a, e.b)})" if _is_int(e.dt) else None)(
            f"_{name}_int") for name in ("gcd", "lcm")},
        "popcount": lambda r, e: f"{e.dt}({r.helper('_popcount_int', e.a)})" if _is_int(e.dt) else None,
        "frexp_mantissa": lambda r, e: f"{e.dt}(math.frexp({e.a})[0])" if _is_float(e.dt) else None,
        "frexp_exponent": lambda r, e: f"{e.dt}(math.frexp({e.a})[1])" if _is_float(e.dt) else None,
        "ldexp": lambda r, e: (f"{e.dt}(math.ldexp({e.a}, int(min(max({e.b}, -{LDEXP_EXPONENT_LIMIT}.0), "
                               f"{LDEXP_EXPONENT_LIMIT}.0))))" if _is_float(e.dt) else None),
        "power_uniform": _uniform_power,
        **dict.fromkeys(("floor_divide", "remainder", "fmod"), _division),
        **dict.fromkeys(("floor", "ceil", "trunc", "rint"), _rounding),
    }


def render(kernel: Kernel, layout: Layout, rows_output: int | None = None) -> str:
    """The Python source of ``kernel`` for ``layout``: a module defining the
    Numba function ``kernel(start, stop, sync, *outputs, *operands)`` that computes the
    outer-dimension indices [start, stop). With ``rows_output`` (an output's index, rank >= 2)
    that output is ``out_flat, out_s0, ..., out_s{rank-2}, out_n1, ...``: the memory a view with
    unit inner stride spans, as a C-contiguous 1-d array, its outer strides in elements and its
    sizes, so that the inner loop still vectorizes (a strided 'A' array compiles to a scalar loop)."""
    printer = CpuRenderer(kernel)
    rank = kernel.rank
    arrays = kernel.arrays
    loads, body = [], [printer.instruction(instr) for instr in kernel.body]
    for operand, flags in zip(arrays, layout.broadcast):
        offset = rank - operand.rank
        index = ", ".join("0" if flag else f"i{offset + d}" for d, flag in enumerate(flags))
        loads.append(f"{operand.name} = {operand.name}_array[{index}]")
    loop_index = ", ".join(f"i{d}" for d in range(rank))
    stores = [f"{o.name}[{loop_index}] = {o.value}" for o in kernel.outputs]
    output_params = [o.name for o in kernel.outputs]
    sizes_from = f"{kernel.outputs[0].name}.shape[{{}}]"
    if rows_output is not None:
        output = kernel.outputs[rows_output]
        name = output.name
        offset = " + ".join(f"i{d} * {name}_s{d}" for d in range(rank - 1))
        # an unsigned index: a signed one's wrap-around test keeps the loop scalar (3x the time)
        stores[rows_output] = f"{name}_flat[uint64({offset} + i{rank - 1})] = {output.value}"
        output_params[rows_output:rows_output + 1] = [f"{name}_flat", *(f"{name}_s{d}" for d in range(rank - 1)),
                                                      *(f"{name}_n{d}" for d in range(1, rank))]
        sizes_from = f"{name}_n{{}}"
    array_names = {o.name for o in arrays}
    params = ["start", "stop", "_sync", *output_params,
              *(f"{o.name}_array" if o.name in array_names else o.name for o in kernel.operands)]
    lines = ["@njit(nogil=True, error_model=\"numpy\", cache=True)",
             f"def {kernel.name}({', '.join(params)}):",
             ANNOUNCE]
    for d in range(1, rank):
        size = layout.shape[d] if layout.shape is not None else sizes_from.format(d)
        lines.append(f"    n{d} = {size}")
    # A 1-d kernel's loop is its vector loop: with a signed index, Numba's wrap-around test for a negative
    # one kept LLVM's vector loop from running (np.exp(x * 0.5) + 1 over 64,000 float32 took 12 times as long)
    check = _medium_trig_check(kernel, body)
    owned = _owned_ahead(kernel, layout, rows_output)
    if check is None and owned:
        lines += _owning_loops(rank, layout.shape, owned, loads + body + stores)
    elif check is None:
        lines.append("    for i0 in range(uint64(start), uint64(stop)):" if rank == 1 else "    for i0 in range(start, stop):")
        for d in range(1, rank):
            lines.append("    " * (d + 1) + f"for i{d} in range(n{d}):")
        lines += ["    " * (rank + 1) + line for line in loads + body + stores]
    else:
        lines += _medium_trig_blocks(rank, loads, check, body, stores)
        printer.helpers |= {cpu_math.MEDIUM_TRIG[name] for name in printer.helpers & cpu_math.MEDIUM_TRIG.keys()}
    return "\n".join([_HEADER + cpu_math.source_of(printer.helpers), "", *lines]) + "\n"


# Outputs of this many bytes or more are owned ahead of their stores (_owned_ahead): smaller ones are
# likelier to be in the cache already, where the prefetches are only instructions.
OWN_AHEAD_MIN_BYTES = 1 << 20
# elements: a longer innermost loop runs by blocks; each row or block owns the span this far on (4 KiB of
# float32: the next row's or block's, where prefetching the same block of a 4096-wide next row gained nothing)
OWN_BLOCK = 1024
CACHE_LINE_BYTES = 64  # x86's and most ARM cores': the span of one prefetch
_CHEAP_MATH = frozenset({"sqrt", "floor", "ceil", "trunc", "rint", "copysign"})  # an instruction each


def _owned_ahead(kernel: Kernel, layout: Layout, rows_output) -> list:
    """[(output, its elements a cache line)] that the loop asks to own (PREFETCHW) ahead of its stores: a
    store to a line not owned reads it first, and waits (x * 2.0 + 1.0 over (4096, 1024) float32: 1.45 ->
    1.12 ms in L3, 1.56 -> 1.26 from memory). Kernels that memory bounds only: a STATIC shape, large
    C-contiguous outputs (not a view's span, ``rows_output``), rows of OWN_BLOCK / 8 or more, no math
    helper nor libm call (a GELU's tanh hides the stores' reads: 1.44 -> 1.50 ms)."""
    shape = layout.shape
    if shape is None or (kernel.rank > 1 and shape[-1] < OWN_BLOCK // 8):
        return []
    if any(_math_helper(i) is not None or (i.op in _MATH and i.op not in _CHEAP_MATH) for i in kernel.body):
        return []
    return [(output.name, line_elements(output.dtype)) for index, output in enumerate(kernel.outputs)
            if index != rows_output and math.prod(shape) * np.dtype(output.dtype).itemsize >= OWN_AHEAD_MIN_BYTES]


def line_elements(dtype: str) -> int:
    """Elements of ``dtype`` a cache line: a prefetch's step."""
    return max(1, CACHE_LINE_BYTES // np.dtype(dtype).itemsize)


def _owning_loops(rank: int, shape, owned, inner) -> list:
    """The loop nest, each innermost row (1-d: each block of OWN_BLOCK elements; a row longer than that:
    each of its blocks) first asking to own the span of each of ``owned`` OWN_BLOCK elements on."""
    if rank == 1:
        lines = [f"    for _block in range(start, stop, {OWN_BLOCK}):"]
        here, span, depth = "_block", OWN_BLOCK, 2
        inner_loop = f"for i0 in range(uint64(_block), uint64(min(_block + {OWN_BLOCK}, stop))):"
    else:
        last = shape[-1]
        lines = ["    for i0 in range(start, stop):"]
        lines += ["    " * (d + 1) + f"for i{d} in range(n{d}):" for d in range(1, rank - 1)]
        depth = rank
        row = "i0"
        for d in range(1, rank - 1):
            row = f"({row} * n{d} + i{d})"
        if last <= OWN_BLOCK:  # the row's own loop, unchanged (its trip count LLVM's constant)
            here, span = f"{row} * n{rank - 1}", last
            inner_loop = f"for i{rank - 1} in range(n{rank - 1}):"
        else:
            lines.append("    " * depth + f"for _block in range(0, n{rank - 1}, {OWN_BLOCK}):")
            depth += 1
            here, span = f"{row} * n{rank - 1} + _block", OWN_BLOCK
            end = f"_block + {OWN_BLOCK}" if last % OWN_BLOCK == 0 else f"min(_block + {OWN_BLOCK}, n{rank - 1})"
            inner_loop = f"for i{rank - 1} in range(_block, {end}):"
    for name, step in owned:
        lines += ["    " * depth + f"for _line in range(0, {span}, {step}):",
                  "    " * (depth + 1) + f"prefetch_to_write({name}, {here} + {OWN_BLOCK} + _line)"]
    lines.append("    " * depth + inner_loop)
    return lines + ["    " * (depth + 1) + line for line in inner]


# A 1-d kernel decides the reduction of its trig functions block by block, a kernel of more dimensions
# row by row (each of its outer indices).
MEDIUM_BLOCK = 1024
_TRIG_CALL = re.compile(r"\b(" + "|".join(cpu_math.MEDIUM_TRIG) + r")\(")


def _medium_trig_check(kernel: Kernel, body) -> list | None:
    """The lines that compute the arguments of the kernel's sin, cos and tan and or into ``_far`` whether one is
    not below cpu_math.MEDIUM_LIMIT (or is NaN), when those arguments take only arithmetic (computing them
    twice costs little); else None. Where ``_far`` stays 0, a block's trig functions reduce by the medium
    reduction (the same values, in 0.4 of the time of Payne-Hanek's)."""
    lines = dict(zip((instr.target for instr in kernel.body), body))
    targets = {instr.target: instr for instr in kernel.body}
    arguments = [instr.args[0] for instr in kernel.body
                 if _FLOAT_HELPERS.get((instr.op, instr.dtype)) in cpu_math.MEDIUM_TRIG]
    if not arguments or any(isinstance(a, Const) for a in arguments):
        return None
    needed, pending = [], list(arguments)
    while pending:
        name = pending.pop()
        if name in targets and name not in needed:
            needed.append(name)
            pending += [a for a in targets[name].args if not isinstance(a, Const)]
    if any(targets[name].op in _MATH or targets[name].op.startswith("power") for name in needed):
        return None  # a call (a helper, libm) among them: not computed twice
    prefix = [lines[instr.target] for instr in kernel.body if instr.target in needed]
    return prefix + [f"_far = _far | int64(not (abs(float64({a})) < {cpu_math.MEDIUM_LIMIT!r}))" for a in arguments]


def _medium_trig_blocks(rank: int, loads, check, body, stores) -> list:
    """The loops of a kernel whose trig functions may reduce by the medium reduction: for each block (1-d) or
    row, a pass computing ``_far``, then the block with the medium forms where it is 0, else as before."""
    medium = [_TRIG_CALL.sub(lambda m: cpu_math.MEDIUM_TRIG[m.group(1)] + "(", line) for line in body]
    if rank == 1:
        lines = [f"    for _b in range(uint64(start), uint64(stop), uint64({MEDIUM_BLOCK})):",
                 f"        _b_end = min(_b + uint64({MEDIUM_BLOCK}), uint64(stop))"]
    else:
        lines = ["    for i0 in range(start, stop):"]

    def nest(depth: int, inner) -> list:
        loops = ["for i0 in range(_b, _b_end):"] if rank == 1 else [f"for i{d} in range(n{d}):" for d in range(1, rank)]
        return (["    " * (depth + k) + loop for k, loop in enumerate(loops)]
                + ["    " * (depth + len(loops)) + line for line in inner])

    lines += ["        _far = int64(0)"] + nest(2, loads + check)
    lines += ["        if _far == 0:"] + nest(3, loads + medium + stores)
    lines += ["        else:"] + nest(3, loads + body + stores)
    return lines


def numba_signature(kernel: Kernel, rows_output: int | None = None):
    """The Numba signature of a call with C-contiguous arrays (Python scalars as
    64-bit numbers), compiled ahead of the first call; ``rows_output`` as in ``render``."""
    import numba  # noqa: PLC0415 - loaded with the first kernel, not with ArrayScript
    from numba import types  # noqa: PLC0415 - as numba above

    rank = kernel.rank
    arguments = [types.int64, types.int64, types.int64]  # start, stop, sync
    for index, output in enumerate(kernel.outputs):
        if index == rows_output:
            arguments += [types.Array(numba.from_dtype(np.dtype(output.dtype)), 1, "C"), *([types.int64] * (2 * rank - 2))]
        else:
            arguments.append(types.Array(numba.from_dtype(np.dtype(output.dtype)), rank, "C"))
    return tuple(arguments) + operand_types(kernel)


def operand_types(kernel) -> tuple:
    """The Numba types of a kernel's operands: C-contiguous arrays, 0-d arrays by value, Python
    scalars as 64-bit numbers."""
    import numba  # noqa: PLC0415 - loaded with the first kernel, not with ArrayScript
    from numba import types  # noqa: PLC0415 - as numba above

    arguments = []
    for operand in kernel.operands:
        scalar = numba.from_dtype(np.dtype(operand.dtype))
        if operand.is_array and operand.rank > 0:
            arguments.append(types.Array(scalar, operand.rank, "C"))
        elif operand.is_array:
            arguments.append(scalar)
        else:
            arguments.append({"bool": types.boolean, "int64": types.int64,
                              "uint64": types.uint64}.get(operand.dtype, types.float64))
    return tuple(arguments)


class _Variant:
    """One compiled (kernel, layout): the Numba dispatcher of ``source``'s function ``name``,
    compiled for ``signature``, and how it was obtained."""

    def __init__(self, source: str, name: str, signature):
        self.source = source
        with python_builtins.untouched():  # numba reads builtins as it loads and compiles: a trace's range is not one
            import numba  # noqa: F401, PLC0415 - imported once per process; not part of the kernel's time
            start = time.perf_counter()
            module = cache.load_module(self.source)
            self.function = getattr(module, name)
            hits_before = sum(self.function.stats.cache_hits.values())
            self.function.compile(signature)
        self.seconds = time.perf_counter() - start
        self.cache_hit = sum(self.function.stats.cache_hits.values()) > hits_before
        self.module_name = module.__name__


class CompiledKernels(abc.ABC):
    """What both CPU kernel kinds share: the STATIC layout or the DYNAMIC variants per broadcast
    pattern, compiled on first sight; ``fallback`` for what cannot compile. A subclass says
    how a layout becomes source (``compile_variant``) and writes ``_make_launcher``."""
    kind = "kernel"

    def __init__(self, kernel, layout: Layout | None, fallback=None, first_layout: Layout | None = None):
        refusal = dtype_refusal(kernel, DTYPES, "CPU")
        if refusal is not None:
            raise UnsupportedKernel(refusal)
        self.kernel, self.layout, self.fallback = kernel, layout, fallback
        self.parallel_min = parallel_min_elements(kernel)  # (the launcher and every rows launch read it)
        self.variants: dict = {}
        self._rows_variants: dict = {}  # (broadcast, output) -> the rows-output variant, or None (CpuKernel.launch_rows)
        self.failures: dict = {}
        self._lock = threading.Lock()
        initial = layout if layout is not None else first_layout
        if initial is not None:
            try:
                self.variants[initial.broadcast] = self.compile_variant(initial)
            except UnsupportedKernel:
                raise
            except Exception as error:  # Numba's typing or lowering errors, a full disk...
                raise UnsupportedKernel(f"the kernel did not compile: {first_line(error)}") from error
        self.launch = self._make_launcher()

    @abc.abstractmethod
    def compile_variant(self, layout: Layout) -> _Variant:
        """The compiled variant of the kernel for ``layout``."""

    @abc.abstractmethod
    def _make_launcher(self):
        """The generated ``launch(*operands)`` function."""

    @property
    def static(self) -> bool:
        return self.layout is not None

    @property
    def compiled(self) -> list:
        return list(self.variants.values())

    def report(self) -> str:
        variant = self.compiled[0]
        how = (f"loaded from the disk cache in {variant.seconds * 1e3:.1f} ms" if variant.cache_hit
               else f"compiled in {variant.seconds:.2f} s")
        return f"{'STATIC' if self.static else 'DYNAMIC'} {self.kind} {self.kernel.name}, {how}"

    def compiled_once(self, cache: dict, key, make):
        """``cache[key]``, made by ``make()`` under the lock on first use: a variant, or None when it
        cannot compile (Numba's errors; the caller falls back to another form)."""
        if key not in cache:
            with self._lock:
                if key not in cache:
                    try:
                        cache[key] = make()
                    except Exception:  # noqa: BLE001 - Numba's errors: the caller's other form serves
                        cache[key] = None
        return cache[key]

    def variant(self, broadcast: tuple):
        """The compiled variant for a broadcast pattern, or None when it cannot compile."""
        found = self.variants.get(broadcast)
        if found is not None or broadcast in self.failures:
            return found
        with self._lock:
            if broadcast not in self.variants and broadcast not in self.failures:
                try:
                    self.variants[broadcast] = self.compile_variant(Layout(broadcast))
                except Exception as error:
                    self.failures[broadcast] = first_line(error)
        return self.variants.get(broadcast)


class CpuKernel(CompiledKernels):
    """A kernel ready to run on NumPy arrays: ``launch(*operands)`` returns the
    output array (a tuple when there are several); ``launch(*operands, _out=view)``
    (with several outputs ``_into=k`` names the one) writes that output into ``view`` when it
    has the iteration shape and is C-contiguous or has rows the rows variant writes
    (``launch_rows``), and returns it; otherwise a fresh array, which the caller copies. ``layout`` is the STATIC layout, or None for a
    DYNAMIC kernel. ``fallback(*operands)`` computes the same unfused; it runs
    for a layout that cannot compile, or an output that turns out smaller than
    the iteration shape. Raises UnsupportedKernel when even the first layout
    cannot be built."""
    launches_into = True  # see launch's _out (fuser.inplace_store)

    def compile_variant(self, layout: Layout) -> _Variant:
        return _Variant(render(self.kernel, layout), self.kernel.name, numba_signature(self.kernel))

    def launch_rows(self, broadcast: tuple, out: np.ndarray, outer: int, total: int, operands: tuple,
                    into: int = 0, outputs: tuple | None = None):
        """Write output ``into`` into ``out``, a view that is not C-contiguous, through the rows
        variant (see ``render``), the other ``outputs`` (fresh arrays) as usual; ``out`` (with several
        outputs, all of them, ``out`` at ``into``) when done, None when its strides do not suit (the
        caller computes a fresh array) or that variant cannot compile."""
        spans = _row_spans(out)
        if spans is None:
            return None
        variant = self.compiled_once(self._rows_variants, (broadcast, into), lambda: _Variant(
            render(self.kernel, Layout(broadcast, self.layout and self.layout.shape), rows_output=into),
            self.kernel.name, numba_signature(self.kernel, rows_output=into)))
        if variant is None:  # computed fresh and copied instead
            return None
        written = (*spans, *out.shape[1:])
        others = outputs or (out,)
        arguments = (*others[:into], *written, *others[into + 1:], *operands)
        if total >= self.parallel_min and outer > 1:
            from .thread_pool import run_parallel  # noqa: PLC0415 - Numba is loaded by now (large calls only)

            run_parallel(variant.function, outer, arguments)
        else:
            variant.function(0, outer, UNWATCHED, *arguments)
        return out if outputs is None else (*outputs[:into], out, *outputs[into + 1:])

    def _make_launcher(self):
        kernel = self.kernel
        names = [o.name for o in kernel.operands]
        arrays = kernel.arrays
        from .thread_pool import run_parallel as parallel  # noqa: PLC0415 - Numba is loaded by now

        namespace = {"_empty": np.empty, "_parallel": parallel, "_unwatched": UNWATCHED,
                     "_mismatch": broadcast_error, "_bshape": np.broadcast_shapes, "_self": self}
        for index, output in enumerate(kernel.outputs):
            namespace[f"_dt{index}"] = np.dtype(output.dtype)
        namespace["_uint64"] = np.uint64  # Numba types a Python int as int64
        passed = [f"{o.name}[()]" if o.is_array and o.rank == 0 else
                  (f"_uint64({o.name})" if not o.is_array and o.dtype == "uint64" else o.name)
                  for o in kernel.operands]
        several = len(kernel.outputs) > 1  # output _into (0 for one output) may be written into _out
        lines = [f"def launch({', '.join(names + ['_out=None'] + (['_into=0'] if several else []))}):"]
        lines += python_int_checks(kernel, f"return _self.fallback({', '.join(names)})")
        if self.static:
            shape = self.layout.shape
            namespace["_run"] = self.variants[self.layout.broadcast].function
            sizes = [str(s) for s in shape]
        else:
            shape_lines, sizes = dynamic_shape(kernel)
            lines += shape_lines
            flags = [f"({o.name}.shape[{d}] == 1 and n{kernel.rank - o.rank + d} != 1)"
                     for o in arrays for d in range(o.rank)]
            key = _nested_key(arrays, flags)
            lines.append(f"    _run = _self.variants.get({key})")
            lines.append(f"    if _run is None: _run = _self.variant({key})")
            lines.append(f"    if _run is None: return _self.fallback({', '.join(names)})")
            lines.append("    _run = _run.function")
            for check in partial_output_checks(kernel, sizes):
                lines.append(f"    if {check}: return _self.fallback({', '.join(names)})")
        out_shape = f"({', '.join(sizes)},)"
        outputs = [o.name for o in kernel.outputs]
        # _out: a fresh result when it has another shape or strides the kernel cannot write (the caller copies)
        broadcast = repr(self.layout.broadcast) if self.static else key
        rows_call = (f"_self.launch_rows({broadcast}, _out, {sizes[0]}, {' * '.join(sizes)}, "
                     f"({''.join(a + ', ' for a in passed)})")
        if not several:
            lines.append(f"    if _out is None: {outputs[0]} = _empty({out_shape}, _dt0)")
            lines.append(f"    elif _out.shape != {out_shape}: return _self.fallback({', '.join(names)})")
            lines.append(f"    elif _out.flags.c_contiguous: {outputs[0]} = _out")
            if kernel.rank >= 2:
                lines.append(f"    elif {' * '.join(sizes)} >= {ROWS_MIN_ELEMENTS} and {rows_call}) is not None: return _out")
            lines.append(f"    else: {outputs[0]} = _empty({out_shape}, _dt0)")
        else:
            lines.append("    if _out is None:")
            lines += [f"        {name} = _empty({out_shape}, _dt{index})" for index, name in enumerate(outputs)]
            lines.append(f"    elif _out.shape != {out_shape}: return _self.fallback({', '.join(names)})")
            lines.append("    else:")
            lines.append("        _whole = _out.flags.c_contiguous")
            lines += [f"        {name} = _out if _whole and _into == {index} else _empty({out_shape}, _dt{index})"
                      for index, name in enumerate(outputs)]
            if kernel.rank >= 2:
                lines.append(f"        _rows = None if _whole or {' * '.join(sizes)} < {ROWS_MIN_ELEMENTS} else "
                             f"{rows_call}, _into, ({''.join(o + ', ' for o in outputs)}))")
                lines.append("        if _rows is not None: return _rows")
        call_args = ", ".join(outputs + passed)
        total, outer = " * ".join(sizes), sizes[0]
        if not self.static:
            lines.append(f"    _total = {total}")
            lines.append(f"    if _total >= {self.parallel_min} and {outer} > 1: "
                         f"_parallel(_run, {outer}, ({call_args},))")
            lines.append(f"    elif _total: _run(0, {outer}, _unwatched, {call_args})")
        else:
            count = int(np.prod(self.layout.shape))
            if count >= self.parallel_min and int(outer) > 1:
                lines.append(f"    _parallel(_run, {outer}, ({call_args},))")
            elif count:
                lines.append(f"    _run(0, {outer}, _unwatched, {call_args})")
        lines.append(f"    return {outputs[0] if len(outputs) == 1 else '(' + ', '.join(outputs) + ',)'}")
        source = "\n".join(lines) + "\n"
        self.launcher_source = source
        exec(compile(source, f"<arrayscript launcher {kernel.name}>", "exec"), namespace)  # noqa: S102
        return namespace["launch"]


def _math_helper(instr) -> str | None:
    """The vectorized math helper ``instr`` calls ("float64": a float64 one, for power and float32 functions
    without their own), or None."""
    helper = _FLOAT_HELPERS.get((instr.op, instr.dtype))
    if helper is None and (instr.op == "power" or (instr.dtype == "float32" and instr.op in cpu_math.FLOAT64_OPS)):
        return "float64"
    return helper


def parallel_min_elements(kernel) -> int:
    """The elements from which a kernel runs on the pool: PARALLEL_MIN_WORK over its cost per element, from
    PARALLEL_MIN_ELEMENTS to PARALLEL_MIN_WORK; a reduction's (each stage a reduce more) at most 2**20, as
    large ones were always split (a split reduction hands each stage to the pool: more round trips)."""
    if isinstance(kernel, ReductionKernel):
        instructions = [i for stage in kernel.stages for i in (*stage.body, *stage.finalize)] + list(kernel.element_body)
        cost = len(instructions) + sum(len(stage.reduces) for stage in kernel.stages)
        ceiling = 1 << 20
    else:
        instructions, cost, ceiling = kernel.body, len(kernel.body), PARALLEL_MIN_WORK
    for instr in instructions:
        helper = _math_helper(instr)
        if helper is not None:
            cost += CHEAP_HELPER_WEIGHT if helper in _CHEAP_HELPERS else HELPER_WEIGHT
    return min(ceiling, max(PARALLEL_MIN_ELEMENTS, PARALLEL_MIN_WORK // max(cost, 1)))


def _row_spans(out: np.ndarray):
    """(the memory ``out`` spans as a C-contiguous 1-d array, its outer strides in elements)
    for a writeable view with unit inner stride whose rows do not overlap and run forward
    (``h[:, t]``, ``x[:, :k]``), else None."""
    itemsize = out.itemsize
    if out.strides[-1] != itemsize or not out.flags.writeable or out.size == 0:
        return None
    strides, extent = [], out.shape[-1]  # extent: elements spanned by the inner dimensions
    for size, stride in zip(reversed(out.shape[:-1]), reversed(out.strides[:-1])):
        step, rest = divmod(stride, itemsize)
        if size > 1 and (rest or step < extent):
            return None
        strides.append(step if size > 1 else 0)
        extent += (size - 1) * step if size > 1 else 0
    flat = np.lib.stride_tricks.as_strided(out, shape=(extent,), strides=(itemsize,))
    return (flat, *reversed(strides))


def _nested_key(arrays, flags) -> str:
    grouped, position = [], 0
    for operand in arrays:
        part = flags[position:position + operand.rank]
        position += operand.rank
        grouped.append("(" + "".join(f"{f}, " for f in part) + ")")
    return "(" + "".join(f"{g}, " for g in grouped) + ")"


# A kernel's first statement: on its thread-pool slices it tells the caller that this thread now runs
# without the GIL (kernels.thread_pool); the serial calls and the caller's own slice pass UNWATCHED.
ANNOUNCE = "    announce(_sync)"
_UNWATCHED_SLOT = np.zeros(8, np.int64)
UNWATCHED = _UNWATCHED_SLOT.ctypes.data


def num_threads() -> int:
    """Threads a large kernel uses: NUMBA_NUM_THREADS, or every core."""
    value = os.environ.get("NUMBA_NUM_THREADS")
    return max(1, int(value)) if value and value.isdigit() else max(1, os.cpu_count() or 1)


_warm = threading.Event()


def warm_up() -> None:
    """Start Numba (import, LLVM) on a background thread, once per process: it
    takes about half a second, which a profiled call can hide."""
    if _warm.is_set():
        return
    _warm.set()

    def start():
        import numba  # noqa: PLC0415 - the point of warming up: imported on this thread, not the caller's

        numba_setup.configure()
        numba.njit(lambda: 0)()

    global _warming
    _warming = threading.Thread(target=start, name="arrayscript-numba-start", daemon=True)
    _warming.start()


_warming: threading.Thread | None = None


def _finish_warming_before_fork() -> None:
    """A child forked while the warm-up compiles would inherit Numba's compiler lock held by a
    thread it does not have, and hang at its first compile: fork waits for it (a second at most)."""
    if _warming is not None and _warming is not threading.current_thread():
        _warming.join()


os.register_at_fork(before=_finish_warming_before_fork)


def build(kernel: Kernel, static_shapes=None, fallback=None) -> CpuKernel:
    """A CpuKernel: STATIC when ``static_shapes`` gives the exact shape of each
    array operand, else DYNAMIC, compiled ahead for operands that broadcast only
    by rank (a bias row against a batch), other patterns on first sight."""
    if isinstance(kernel, ReductionKernel):
        from .cpu_reduction import build_reduction  # noqa: PLC0415 - it imports this module
        return build_reduction(kernel, static_shapes, fallback)
    if static_shapes is not None:
        _, layout = layout_of(kernel, [tuple(s) for s in static_shapes], True)
        return CpuKernel(kernel, layout, fallback)
    plain = Layout(tuple((False,) * o.rank for o in kernel.arrays))
    return CpuKernel(kernel, None, fallback, first_layout=plain)
