"""LLVM intrinsics for the helpers of kernels.cpu_math, which LLVM vectorizes where Numba's own
spellings stay scalar or cost more. Imported by the generated helper module, which imports Numba anyway.

``fma(a, b, c)``: a * b + c rounded once. Kernels compile without FMA contraction (a fused a * b + c
would round differently from NumPy's loops), and Numba inlines the helpers into them with the kernel's
flags, so the helpers' polynomials ran as a multiplication and an addition per term. The helpers spell
their Horner steps with this intrinsic instead: LLVM's fma (one vfmadd for 8 lanes). Their bounds were
checked with contraction (tests/kernels/test_cpu_math.py), which gives these same roundings.

``ldexp(x, n)``: x * 2**n rounded once, for any int32 n (0 and inf beyond the range). With AVX-512
it is one vscalefps/vscalefpd for a vector; exp's scaling by 2**n had been two products of factors
built from shifted bits (seven instructions). Without AVX-512, LLVM's expansion of a vector ldexp is
scalar, so the helpers keep the factors there (``vector_ldexp``; kernels.cpu_math.helper_source).

``reassociable_add(a, b)``: a + b that LLVM may reassociate, so that a loop summing into it runs as
vector lanes of partial sums. Kernels compile without fast-math flags (a formula's rounding is
NumPy's); this marks only the accumulating addition, where a whole function's ``reassoc`` flag
would let LLVM reorder the formula's arithmetic too.

``announce(address)``, ``load_acquire(flags, index)``, ``store_release(flags, index, value)``,
``spin_pause()`` and ``yield_processor()``: the handshake of kernels.thread_pool, whose threads wait
for each other in native code (a wait on a lock or on the GIL sleeps, and a sleeping thread of this VM
woke 20-50 us late). A kernel's
first statement announces, on the int64 at ``address``, that its thread is running it without the GIL.

``prefetch(array, index)`` and ``prefetch_to_write(array, index)``: ask for the cache line of the array's
flat element ``index`` (clamped to the array) before it is read, or written (owned: a store then waits
for no read of the line): the kernels' passes fetch the data of their next rows meanwhile (kernels.cpu,
kernels.cpu_reduction). Nothing for an array Numba does not know to be C-contiguous.
"""
from __future__ import annotations

import functools
import os
import platform

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["announce", "fma", "ldexp", "load_acquire", "prefetch", "prefetch_to_write", "reassociable_add",
           "spin_pause", "store_release", "vector_ldexp", "yield_processor"]


def vector_ldexp() -> bool:
    """Whether Numba's code has AVX-512's vscalef (its CPU features, set or the host's)."""
    import numba  # noqa: PLC0415 - its config, once device.numba_setup has set it

    return "+avx512f" in (numba.config.CPU_FEATURES or _host_features()).split(",")


@functools.cache
def _host_features() -> str:
    import llvmlite.binding as llvm  # noqa: PLC0415 - Numba's LLVM, loaded with it

    return llvm.get_host_cpu_features().flatten()


@intrinsic
def fma(typingctx, a, b, c):
    if not (isinstance(a, types.Float) and a == b == c):
        return None

    def codegen(context, builder, signature, args):
        value_type = context.get_value_type(signature.return_type)
        function_type = ir.FunctionType(value_type, [value_type] * 3)
        function = builder.module.declare_intrinsic("llvm.fma", [value_type], function_type)
        return builder.call(function, args)

    return a(a, b, c), codegen


@intrinsic
def ldexp(typingctx, x, n):
    if not (isinstance(x, types.Float) and n == types.int32):
        return None

    def codegen(context, builder, signature, args):
        value_type, exponent_type = (context.get_value_type(t) for t in signature.args)
        function_type = ir.FunctionType(value_type, [value_type, exponent_type])
        function = builder.module.declare_intrinsic("llvm.ldexp", [value_type, exponent_type], function_type)
        return builder.call(function, args)

    return x(x, n), codegen


@intrinsic
def reassociable_add(typingctx, a, b):
    if not (isinstance(a, types.Float) and a == b):
        return None

    def codegen(context, builder, signature, args):
        total = builder.fadd(*args)
        total.flags.append("reassoc")
        return total

    return a(a, b), codegen


@intrinsic
def announce(typingctx, address):
    if address != types.int64:
        return None

    def codegen(context, builder, signature, args):
        slot = builder.inttoptr(args[0], ir.IntType(64).as_pointer())
        builder.store_atomic(ir.Constant(ir.IntType(64), 1), slot, ordering="release", align=8)
        return context.get_dummy_value()

    return types.none(address), codegen


def _prefetch_codegen(for_write: bool):
    def codegen(context, builder, signature, args):
        if signature.args[0].layout != "C":  # its flat index is not its memory order
            return context.get_dummy_value()
        data = context.make_array(signature.args[0])(context, builder, args[0])
        last = builder.sub(data.nitems, ir.Constant(data.nitems.type, 1))
        inside = builder.icmp_unsigned("<", args[1], data.nitems)  # a negative index is large
        element = builder.gep(data.data, [builder.select(inside, args[1], last)])
        byte = ir.IntType(8).as_pointer()
        int32 = ir.IntType(32)
        function = builder.module.declare_intrinsic("llvm.prefetch", [byte], ir.FunctionType(
            ir.VoidType(), [byte, int32, int32, int32]))
        # a read (PREFETCHT0) or a write (PREFETCHW), kept in every level of the cache, of data
        flags = (1 if for_write else 0, 3, 1)
        builder.call(function, [builder.bitcast(element, byte), *(ir.Constant(int32, v) for v in flags)])
        return context.get_dummy_value()

    return codegen


def _prefetch_typing(array, index) -> bool:
    return isinstance(array, types.Array) and index == types.int64


@intrinsic
def prefetch(typingctx, array, index):
    if not _prefetch_typing(array, index):
        return None
    return types.none(array, index), _prefetch_codegen(for_write=False)


@intrinsic
def prefetch_to_write(typingctx, array, index):
    if not _prefetch_typing(array, index):
        return None
    return types.none(array, index), _prefetch_codegen(for_write=True)


def _flat_int64(flags) -> bool:  # the slot's address is data + index: C-contiguous 1-d arrays only
    return isinstance(flags, types.Array) and flags.dtype == types.int64 and flags.ndim == 1 and flags.layout == "C"


def _slot(context, builder, array_type, array, index):
    data = context.make_array(array_type)(context, builder, array).data
    return builder.gep(data, [index])


@intrinsic
def load_acquire(typingctx, flags, index):
    if not (_flat_int64(flags) and index == types.int64):
        return None

    def codegen(context, builder, signature, args):
        slot = _slot(context, builder, signature.args[0], *args)
        return builder.load_atomic(slot, ordering="acquire", align=8)

    return types.int64(flags, index), codegen


@intrinsic
def store_release(typingctx, flags, index, value):
    if not (_flat_int64(flags) and index == value == types.int64):
        return None

    def codegen(context, builder, signature, args):
        slot = _slot(context, builder, signature.args[0], args[0], args[1])
        builder.store_atomic(args[2], slot, ordering="release", align=8)
        return context.get_dummy_value()

    return types.none(flags, index, value), codegen


_X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")


@intrinsic
def spin_pause(typingctx):
    def codegen(context, builder, signature, args):
        if _X86:  # PAUSE: a spinning core yields to its sibling
            function = builder.module.declare_intrinsic("llvm.x86.sse2.pause", fnty=ir.FunctionType(ir.VoidType(), []))
            builder.call(function, [])
        else:  # an ordering no compiler removes, so the loop still reloads
            builder.fence("seq_cst")
        return context.get_dummy_value()

    return types.none(), codegen


_SCHED_YIELD = hasattr(os, "sched_yield")  # POSIX's; elsewhere a spinning thread only pauses


@intrinsic
def yield_processor(typingctx):
    """sched_yield(): a spinning thread lets another runnable thread of its core run first (a BLAS
    thread that a spinning worker had kept waiting for its time slice)."""
    def codegen(context, builder, signature, args):
        if _SCHED_YIELD:
            function = builder.module.globals.get("sched_yield") or ir.Function(
                builder.module, ir.FunctionType(ir.IntType(32), []), "sched_yield")
            builder.call(function, [])
        return context.get_dummy_value()

    return types.none(), codegen
