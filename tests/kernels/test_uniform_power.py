"""``power_uniform`` in both renderers: a constant exponent printed as NumPy's closed form
(kernels.ir.UNIFORM_POWERS), any other constant as pow, and a runtime exponent as a branch
on its value. What the kernels compute is checked against eager NumPy in
tests/fuser/test_power_semantics.py."""
from __future__ import annotations

import pytest

from kernels import cpu, cuda
from kernels.ir import UNIFORM_POWERS, Const, Instr, Kernel, Layout, Operand, Output

OTHER_POWERS = (3.0, -0.5)


def power_kernel(dtype: str) -> Kernel:
    """One power_uniform per constant exponent (t0, t1...), and one of the 0-d operand a1 (the last)."""
    exponents = (*UNIFORM_POWERS, *OTHER_POWERS)
    body = [Instr(f"t{i}", "power_uniform", ("a0", Const(e, dtype)), dtype) for i, e in enumerate(exponents)]
    body.append(Instr(f"t{len(body)}", "power_uniform", ("a0", "a1"), dtype))
    return Kernel("k", (Operand("a0", dtype, 1), Operand("a1", dtype, 0)), tuple(body),
                  tuple(Output(f"out{i}", instr.target, dtype) for i, instr in enumerate(body)), 1)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_cpu_renderer_folds_constant_exponents_and_branches_on_others(dtype):
    text = cpu.render(power_kernel(dtype), Layout(((False,),)))
    def pow_of(a, b):  # kernels.cpu_math._pow_f64 (float32 rounded from its float64 result)
        call = f"_pow_f64(float64({a}), float64({b}))"
        return call if dtype == "float64" else f"{dtype}({call})"

    closed = [f"t0 = {dtype}({dtype}(1.0) / a0)", f"t1 = {dtype}(1.0)", f"t2 = {dtype}(math.sqrt(a0))", "t3 = a0",
              f"t4 = {dtype}(a0 * a0)", f"t5 = {pow_of('a0', f'{dtype}(3.0)')}",
              f"t6 = {pow_of('a0', f'{dtype}(-0.5)')}"]
    assert all(line in text for line in closed), text
    branch = next(line.strip() for line in text.splitlines() if line.strip().startswith("t7 = "))
    assert branch == (f"t7 = ({dtype}({dtype}(1.0) / a0) if a1 == -1.0 else ({dtype}(1.0) if a1 == 0.0 else "
                      f"({dtype}(math.sqrt(a0)) if a1 == 0.5 else (a0 if a1 == 1.0 else ({dtype}(a0 * a0) "
                      f"if a1 == 2.0 else {pow_of('a0', 'a1')})))))"), branch


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_the_cuda_renderer_folds_constant_exponents_and_branches_on_others(dtype):
    text = cuda.render(power_kernel(dtype), None, (cuda.FLAT, 32))
    f = "" if dtype == "float64" else "f"
    rounded = (lambda e: f"round_half({e})") if dtype == "float16" else (lambda e: e)
    closed = [f"t0 = {rounded(f'(1.0{f} / a0)')};", f"t1 = {rounded(f'1.0{f}')};", f"t2 = {rounded(f'sqrt{f}(a0)')};",
              f"t3 = {rounded('a0')};", f"t4 = {rounded('(a0 * a0)')};"]
    assert all(line in text for line in closed), text
    assert text.count(f"pow{f}(a0, ") == 3, text  # 3.0, -0.5 and the runtime exponent's last case
    branch = next(line.strip() for line in text.splitlines() if " t7 = " in line)
    assert branch.endswith(rounded(f"(a1 == -1.0 ? (1.0{f} / a0) : (a1 == 0.0 ? 1.0{f} : (a1 == 0.5 ? sqrt{f}(a0) : "
                                   f"(a1 == 1.0 ? a0 : (a1 == 2.0 ? (a0 * a0) : pow{f}(a0, a1))))))") + ";"), branch
