"""``fma(a, b, c)``: a * b + c rounded once, for the float64 helpers of kernels.cpu_math.

Kernels compile without FMA contraction (a fused a * b + c would round differently from NumPy's
loops), and Numba inlines the helpers into them with the kernel's flags, so the helpers' polynomials
ran as a multiplication and an addition per term. The helpers spell their Horner steps with this
intrinsic instead: LLVM's fma, which it vectorizes (one vfmadd for 8 lanes). Their bounds were
checked with contraction (tests/kernels/test_cpu_math.py), which gives these same roundings.
Imported by the generated helper module, which imports Numba anyway.
"""
from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["fma"]


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
