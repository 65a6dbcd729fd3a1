"""The kernel IR and the CPU renderer on their own: what STATIC and DYNAMIC
kernels bake in, the thread split, and the IR's own checks."""
from __future__ import annotations

import platform
import re

import numpy as np
import pytest

from kernels import cpu, thread_pool
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
    thread_pool.run_parallel(lambda start, stop, sync, sink: sink.append((start, stop)), 10, (seen,))
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


def _scale_shift(name: str, rank: int, dtype: str = "float32", op: str = "*") -> Kernel:
    """(a0 op 2) + a1, two outputs (the sum, and a0 op 2), a1 broadcast along a0's rows."""
    return Kernel(name, (Operand("a0", dtype, rank), Operand("a1", dtype, 1)),
                  (Instr("t0", op, ("a0", Const(2.0, dtype)), dtype), Instr("t1", "+", ("t0", "a1"), dtype)),
                  (Output("out0", "t1", dtype), Output("out1", "t0", dtype)), rank)


def _owning(source: str) -> list:
    return re.findall(r"prefetch_to_write\((\w+), (.*) \+ _line\)", source)


@pytest.mark.parametrize("shape, ahead", [((1 << 20,), "_block + 1024"), ((1000, 1024), "i0 * n1 + 1024"),
                                          ((300, 3000), "i0 * n1 + _block + 1024"),
                                          ((64, 4096), "i0 * n1 + _block + 1024"),
                                          ((8, 40, 1024), "(i0 * n1 + i1) * n2 + 1024"), ((20000, 128), "i0 * n1 + 1024")])
def test_a_memory_bound_kernel_owns_its_large_outputs_next_rows_before_it_stores(shape, ahead):
    """Each innermost row (1-d: block of 1024 elements; a longer row: each of its blocks) first asks to own the
    span 1024 elements on of each large output (PREFETCHW), 16 float32 a line; results are NumPy's, the last
    spans being past the outputs, and a row past 1024 not a multiple of it ends its last block early."""
    name = f"owning_{'_'.join(map(str, shape))}"
    kernel = _scale_shift(name, len(shape))
    layout = Layout(((False,) * len(shape), (False,)), shape)
    source = cpu.render(kernel, layout)
    assert _owning(source) == [("out0", ahead), ("out1", ahead)]
    assert f"for _line in range(0, {min(1024, shape[-1])}, 16):" in source
    assert ("min(_block + 1024, n1)" in source) == (shape == (300, 3000))
    rng = np.random.default_rng(len(shape))
    a0 = rng.standard_normal(shape).astype(np.float32)
    a1 = rng.standard_normal(shape[-1] if len(shape) > 1 else 1).astype(np.float32)
    built = cpu.build(kernel, [shape, a1.shape])
    total, doubled = built.launch(a0, a1)
    np.testing.assert_array_equal(doubled, a0 * np.float32(2))
    np.testing.assert_array_equal(total, a0 * np.float32(2) + a1)
    if shape == (1000, 1024) and platform.machine().lower() in ("x86_64", "amd64"):
        namespace = {}  # compiled again, uncached (Numba shows no assembly of cached code), and vectorized
        exec(compile(source.replace("cache=True", "cache=False"), f"<{name}>", "exec"), namespace)  # noqa: S102
        function = namespace[name]
        function(0, 2, cpu.UNWATCHED, np.empty(shape, np.float32), np.empty(shape, np.float32), a0, a1)
        assembly = next(iter(function.inspect_asm().values()))
        assert re.search(r"\bprefetch(w|t0)\b", assembly) and re.search(r"\bvaddps\s+[^\n]*%[yz]mm", assembly)


def test_kernels_the_memory_does_not_bound_own_nothing_ahead():
    """No prefetches: small outputs, rows shorter than 128, a DYNAMIC shape, math beyond single instructions
    (a helper's tanh, libm's arctan: compute hides the stores' reads), a view's span (rows_output)."""
    big = Layout(((False, False), (False,)), (1000, 1024))
    assert _owning(cpu.render(_scale_shift("own_small", 2), Layout(((False, False), (False,)), (100, 1024)))) == []
    assert _owning(cpu.render(_scale_shift("own_short_rows", 2), Layout(((False, False), (False,)), (100000, 64)))) == []
    assert _owning(cpu.render(_scale_shift("own_dynamic", 2), Layout(((False, False), (False,))))) == []
    assert _owning(cpu.render(_bias_tanh("own_tanh"), Layout(((False, False), (False,)), (1000, 1024)))) == []
    arctan = Kernel("own_arctan", (Operand("a0", "float64", 2),), (Instr("t0", "arctan", ("a0",), "float64"),),
                    (Output("out0", "t0", "float64"),), 2)
    assert _owning(cpu.render(arctan, Layout(((False, False),), (1000, 1024)))) == []
    assert [o for o, _ in _owning(cpu.render(_scale_shift("own_rows", 2), big, rows_output=0))] == ["out1"]
    root = Kernel("own_sqrt", (Operand("a0", "float64", 2),), (Instr("t0", "sqrt", ("a0",), "float64"),),
                  (Output("out0", "t0", "float64"),), 2)  # an instruction: owned, 8 float64 a line
    source = cpu.render(root, Layout(((False, False),), (1000, 1024)))
    assert _owning(source) == [("out0", "i0 * n1 + 1024")] and "for _line in range(0, 1024, 8):" in source
