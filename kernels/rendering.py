"""What every renderer shares: a renderer is a class with a ``code_for_op``
table (primitive -> rule printing one instruction), the few attributes its
language differs in, and an explicit ``refused`` table for the primitives it
does not print (tests/kernels/test_rendering.py fails for a vocabulary primitive
in neither). It prints the kernel that ``kernels.legalization`` checked and
annotated, one instruction at a time.
"""
from __future__ import annotations

from dataclasses import dataclass

from .ir import Const, Instr, Kernel, UnsupportedKernel
from .legalization import legalize


@dataclass(frozen=True)
class Operation:
    """One instruction as a rule sees it: its arguments already printed."""
    instr: Instr
    args: tuple  # printed arguments
    source: str  # the first argument's dtype
    wraps: bool  # the result wraps modulo 2**bits (kernels.legalization)

    @property
    def op(self) -> str:
        return self.instr.op

    @property
    def dt(self) -> str:
        return self.instr.dtype

    @property
    def a(self) -> str:
        return self.args[0]

    @property
    def b(self) -> str | None:
        return self.args[1] if len(self.args) > 1 else None


class Renderer:
    name = ""  # in refusals: "CPU", "CUDA"
    code_for_op: dict = {}  # primitive -> rule(renderer, Operation) -> text, or None where the dtype has no form
    refused: dict = {}  # primitive -> why this renderer does not print it
    wider: dict = {}  # dtype -> the float it is computed in (rounded back after each inexact result)

    def __init__(self, kernel: Kernel):
        self.kernel = kernel
        self.legal = legalize(kernel, self.wider)
        self.dtypes = {o.name: o.dtype for o in kernel.operands}

    def arg(self, value) -> str:
        raise NotImplementedError

    def round_back(self, dtype: str, text: str) -> str:
        """``text`` (computed in ``wider[dtype]``) rounded to ``dtype``."""
        raise NotImplementedError

    def dtype(self, value) -> str:
        return value.dtype if isinstance(value, Const) else self.dtypes[value]

    def expression(self, instr: Instr) -> str:
        rule = self.code_for_op.get(instr.op)
        operation = Operation(instr, tuple(self.arg(a) for a in instr.args), self.dtype(instr.args[0]),
                              instr.target in self.legal.wraps)
        text = rule(self, operation) if rule is not None else None
        if text is None:
            reason = self.refused.get(instr.op, "has no {name} kernel form")
            raise UnsupportedKernel(f"{instr.op} on {instr.dtype} {reason.format(name=self.name)}")
        if instr.target in self.legal.rounded:
            text = self.round_back(instr.dtype, text)
        return text
