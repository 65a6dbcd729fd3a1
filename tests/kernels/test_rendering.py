"""Every renderer against the one scalar vocabulary (device.scalar_vocabulary): each
primitive is printed by an entry of the renderer's ``code_for_op`` or refused in its
``refused`` table, and every primitive prints at every dtype NumPy has a loop for
(unless kernels.legalization says why no kernel computes it). The printed code's
results are checked against NumPy by tests/fuser (Numba) and tests/kernels/test_cuda.py
(the CUDA C through the host shim)."""
from __future__ import annotations

import numpy as np
import pytest

from device import scalar_vocabulary as vocabulary
from kernels import cpu, cuda, ir, legalization

RENDERERS = {"cpu": (cpu.CpuRenderer, cpu.DTYPES), "cuda": (cuda.CudaRenderer, cuda.DTYPES)}


def _render(which: str, kernel: ir.Kernel) -> str:
    layout = ir.Layout(tuple((False,) * o.rank for o in kernel.arrays))
    return cpu.render(kernel, layout) if which == "cpu" else cuda.render(kernel, layout, (cuda.FLAT, 32))


def _numpy_has_loop(primitive, dtype: str) -> bool:
    """Whether NumPy's reference computes ``primitive`` on arguments of ``dtype`` in that dtype."""
    reference = primitive.reference
    if primitive.name in ("where", "cast", "erf", "ldexp"):  # ldexp: an exponent held in the float dtype
        return primitive.name in ("where", "cast") or np.dtype(dtype).kind == "f"
    char = np.dtype(dtype).char
    inputs = char * primitive.arity
    return any(loop.split("->")[0] == inputs for loop in reference.types)


def _kernel(primitive, dtype: str) -> ir.Kernel:
    arguments = ["a0", "a1", "a2"][:primitive.arity]
    operand_dtypes = ["bool", dtype, dtype] if primitive.name == "where" else [dtype] * primitive.arity
    result = {vocabulary.BOOL: "bool", vocabulary.TARGET: "float64"}.get(primitive.result, dtype)
    operands = tuple(ir.Operand(name, d, 1) for name, d in zip(arguments, operand_dtypes))
    body = (ir.Instr("t0", primitive.name, tuple(arguments), result),)
    return ir.Kernel("k", operands, body, (ir.Output("out0", "t0", result),), 1)


@pytest.mark.parametrize("which", sorted(RENDERERS))
def test_every_primitive_is_rendered_or_refused(which):
    renderer, _ = RENDERERS[which]
    missing = set(vocabulary.PRIMITIVES) - set(renderer.code_for_op) - set(renderer.refused)
    assert not missing, f"the {renderer.name} renderer neither prints nor refuses {sorted(missing)}"
    unknown = (set(renderer.code_for_op) | set(renderer.refused)) - set(vocabulary.PRIMITIVES)
    assert not unknown, f"the {renderer.name} renderer prints primitives the vocabulary lacks: {sorted(unknown)}"


CASES = [(which, name) for which in sorted(RENDERERS) for name in sorted(vocabulary.PRIMITIVES)]


@pytest.mark.parametrize("which,name", CASES, ids=[f"{w}-{n}" for w, n in CASES])
def test_every_primitive_prints_at_every_numpy_dtype(which, name):
    primitive = vocabulary.PRIMITIVES[name]
    dtypes = [d for d in sorted(RENDERERS[which][1]) if _numpy_has_loop(primitive, d)]
    assert dtypes, f"NumPy has no loop of {name} at any {which} dtype"
    for dtype in dtypes:
        kernel = _kernel(primitive, dtype)
        reason = legalization.refusal(name, dtype)
        if reason is not None:
            with pytest.raises(ir.UnsupportedKernel, match=reason):
                _render(which, kernel)
            continue
        assert "t0 = " in _render(which, kernel), f"{name} on {dtype}"


def test_integer_power_is_refused_once_for_every_renderer():
    """One refusal (kernels.legalization), the same message from both renderers."""
    kernel = _kernel(vocabulary.PRIMITIVES["power"], "int32")
    for which in RENDERERS:
        with pytest.raises(ir.UnsupportedKernel, match="integer power raises on negative exponents"):
            _render(which, kernel)


def test_float16_is_rounded_back_only_after_inexact_results():
    """CUDA computes float16 in float32: rounded after exp, not after a selection (maximum)."""
    operands = (ir.Operand("a0", "float16", 1),)
    body = (ir.Instr("t0", "exp", ("a0",), "float16"), ir.Instr("t1", "maximum", ("t0", "a0"), "float16"))
    kernel = ir.Kernel("k", operands, body, (ir.Output("out0", "t1", "float16"),), 1)
    legal = legalization.legalize(kernel, cuda.CudaRenderer.wider)
    assert legal.rounded == {"t0"}
    source = _render("cuda", kernel)
    assert "t0 = round_half(expf(a0));" in source and "t1 = ((t0 > a0 || t0 != t0) ? t0 : a0);" in source
