"""The kernel IR and the CPU renderer on their own: what STATIC and DYNAMIC
kernels bake in, the thread split, and the IR's own checks."""
from __future__ import annotations

import numpy as np
import pytest

from kernels import cpu
from kernels.ir import Const, Instr, Kernel, Layout, Operand, Output, UnsupportedKernel, layout_of


def _bias_tanh(name="bias_tanh"):
    return Kernel(name, (Operand("a0", "float32", 2), Operand("a1", "float32", 1), Operand("a2", "float64", 0, False)),
                  (Instr("t0", "+", ("a0", "a1"), "float32"), Instr("t1", "tanh", ("t0",), "float32"),
                   Instr("c2", "cast", (Const(0.5, "float32"),), "float32"),
                   Instr("t3", "cast", ("a2",), "float32"),
                   Instr("t4", "*", ("t1", "t3"), "float32"), Instr("t5", "+", ("t4", "c2"), "float32")),
                  (Output("out0", "t5", "float32"), Output("out1", "t0", "float32")), 2)


def _expected(x, b, scale):
    y = x + b
    return np.tanh(y) * np.float32(scale) + np.float32(0.5), y


def test_static_kernels_bake_sizes_and_dynamic_ones_read_them():
    kernel = _bias_tanh()
    static = cpu.render(kernel, Layout(((False, False), (False,)), (300, 7)))
    dynamic = cpu.render(kernel, Layout(((False, False), (False,))))
    assert "n1 = 7" in static and ".shape" not in static
    assert "n1 = out0.shape[1]" in dynamic
    assert "_tanh_f32(" in static, "float32 tanh uses the vectorizable form"
    broadcast = cpu.render(kernel, Layout(((True, False), (False,))))
    assert "a0_array[0, i1]" in broadcast and "a1_array[i1]" in broadcast


@pytest.mark.parametrize("static", [True, False])
def test_launch_matches_numpy_and_splits_large_work(static):
    kernel = _bias_tanh(f"bias_tanh_{static}")
    x = np.random.default_rng(0).standard_normal((800, 400)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal(400).astype(np.float32)
    assert x.size >= cpu.parallel_min_elements(kernel)
    built = cpu.build(kernel, [x.shape, b.shape] if static else None)
    out, y = built.launch(x, b, 2.0)
    expected, expected_y = _expected(x, b, 2.0)
    np.testing.assert_allclose(out, expected, rtol=2e-6, atol=1e-6)
    np.testing.assert_array_equal(y, expected_y)
    assert out.flags.c_contiguous and out.dtype == np.float32
    assert "_parallel(" in built.launcher_source, "800 x 400 elements are split over the threads"


def test_run_parallel_covers_the_range_once():
    seen = []
    cpu.run_parallel(lambda start, stop, sync, sink: sink.append((start, stop)), 10, (seen,))
    covered = sorted(i for start, stop in seen for i in range(start, stop))
    assert covered == list(range(10))


def test_the_ir_checks_names_and_dtypes():
    with pytest.raises(ValueError, match="reads 'nope' before it is defined"):
        Kernel("k", (Operand("a0", "float32", 1),), (Instr("t0", "exp", ("nope",), "float32"),),
               (Output("out0", "t0", "float32"),), 1)
    with pytest.raises(UnsupportedKernel, match="complex64 is not supported by the generated kernels"):
        Kernel("k", (Operand("a0", "complex64", 1),), (Instr("t0", "exp", ("a0",), "complex64"),),
               (Output("out0", "t0", "complex64"),), 1)
    half = Kernel("k", (Operand("a0", "float16", 1),), (Instr("t0", "exp", ("a0",), "float16"),),
                  (Output("out0", "t0", "float16"),), 1)  # the CUDA renderer computes float16; Numba cannot
    with pytest.raises(UnsupportedKernel, match="float16 is not supported by the CPU kernels"):
        cpu.build(half)


def test_layout_of_follows_numpy_broadcasting():
    kernel = _bias_tanh()
    shape, layout = layout_of(kernel, [(5, 1), (3,)], static=True)
    assert shape == (5, 3) and layout.broadcast == ((False, True), (False,)) and layout.shape == (5, 3)
    with pytest.raises(ValueError):
        layout_of(kernel, [(5, 2), (3,)], static=False)


def test_the_pool_takes_a_kernel_from_as_many_elements_as_its_work_pays_for():
    """Cheap arithmetic waits for about 500,000 elements, an exp for more than a dearer helper does; none
    goes below PARALLEL_MIN_ELEMENTS or above PARALLEL_MIN_WORK."""
    def kernel(*ops):
        body, previous = [], "a0"
        for index, op in enumerate(ops):
            body.append(Instr(f"t{index}", op, (previous,) if op not in ("*", "+") else (previous, Const(2.0, "float64")),
                              "float64"))
            previous = f"t{index}"
        return Kernel("k", (Operand("a0", "float64", 1),), tuple(body), (Output("out0", previous, "float64"),), 1)

    cheap, exp, dear = (cpu.parallel_min_elements(kernel(*ops)) for ops in (("*", "+"), ("exp", "*", "+"),
                                                                             ("arcsinh", "*", "+")))
    assert cheap >= 1 << 19 and cheap > exp > dear >= cpu.PARALLEL_MIN_ELEMENTS
    assert cpu.parallel_min_elements(kernel(*(["arcsinh"] * 40))) == cpu.PARALLEL_MIN_ELEMENTS
    assert cpu.parallel_min_elements(kernel("*")) == cpu.PARALLEL_MIN_WORK
