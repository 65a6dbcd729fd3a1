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
"""
from __future__ import annotations

import functools

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["fma", "ldexp", "reassociable_add", "vector_ldexp"]


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
