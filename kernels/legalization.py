"""The one legalisation pass every renderer runs on a kernel before printing it.

It decides, in one place, what is not a matter of spelling: which instructions
no kernel computes (integer power: NumPy raises for a negative exponent, so it
is left to NumPy), which results a renderer computes in a wider float and must
round back to their dtype after each operation (float16 computed in float32,
as NumPy's float16 loops do; ``exact`` primitives need no rounding), and which
integer results wrap modulo 2**bits (NumPy's overflow, where a C compiler or
LLVM may assume signed arithmetic does not overflow). A renderer then spells
each case in its language: ``Legal.rounded`` and ``Legal.wraps`` name the
instructions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from device.scalar_vocabulary import EXACT

from .ir import Kernel, UnsupportedKernel

INTEGER_POWER = "integer power raises on negative exponents; it is left to NumPy"
WRAPPING = frozenset({"+", "-", "*", "neg"})  # NumPy's integer add, subtract, multiply, negative


def refusal(op: str, dtype) -> str | None:
    """Why no kernel computes ``op`` in ``dtype`` (its compute dtype), or None."""
    kind = np.dtype(dtype).kind
    if op == "power" and kind in "iub":
        return INTEGER_POWER
    if op == "power_uniform" and kind != "f":
        return "power_uniform is the fast path of NumPy's float power loops only"
    return None


@dataclass(frozen=True)
class Legal:
    kernel: Kernel
    rounded: frozenset  # instruction targets computed in a wider float and rounded back to their dtype
    wraps: frozenset  # integer instruction targets whose result wraps modulo 2**bits


def legalize(kernel: Kernel, wider: dict) -> Legal:
    """``kernel`` checked and annotated for a renderer that computes each dtype in ``wider``
    (for example {"float16": "float32"}) in that dtype instead; raises UnsupportedKernel
    for an instruction no kernel computes."""
    for instr in kernel.body:
        reason = refusal(instr.op, instr.dtype)
        if reason is not None:
            raise UnsupportedKernel(reason)
    rounded = frozenset(i.target for i in kernel.body
                        if i.dtype in wider and i.op not in EXACT and i.op != "cast")
    wraps = frozenset(i.target for i in kernel.body if i.op in WRAPPING and np.dtype(i.dtype).kind in "iu")
    return Legal(kernel, rounded, wraps)
