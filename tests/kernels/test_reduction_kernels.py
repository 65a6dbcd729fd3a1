"""Reduction kernels (kernels.ir.ReductionKernel) on the CPU renderer, against NumPy: every
Reduce op, the last axis, a middle axis and all axes, keepdims, int/float/bool dtypes, NaN,
empty rows (the fallback), and a float32 accuracy bound."""
from __future__ import annotations

import math
import platform
import re

import numpy as np
import pytest

from kernels import cpu
from kernels.backend import CPU
from kernels.ir import (ROW_SIZE, Const, Instr, Operand, Output, Reduce, ReductionKernel, RowOutput, Stage,
                        UnsupportedKernel)

OPS = ("sum", "prod", "max", "min", "argmax", "argmin", "all", "any")


def _every_reduction(dtype: str, rank: int, axes: tuple) -> ReductionKernel:
    """One stage computing each op of OPS over ``axes``, stored without and with keepdims."""
    total = np.sum(np.ones(1, dtype)).dtype.name  # NumPy's sum/prod dtype
    body = (Instr("wide", "cast", ("a0",), total),) if total != dtype else ()
    value = "wide" if body else "a0"
    reduces = (Reduce("s", "sum", value, total), Reduce("p", "prod", value, total),
               Reduce("hi", "max", "a0", dtype), Reduce("lo", "min", "a0", dtype),
               Reduce("ahi", "argmax", "a0", "int64"), Reduce("alo", "argmin", "a0", "int64"),
               Reduce("every", "all", "a0", "bool"), Reduce("some", "any", "a0", "bool"))
    rows = tuple(RowOutput(f"{r.target}_{k}", r.target, r.dtype, keepdims=k == "kept")
                 for r in reduces for k in ("flat", "kept"))
    return ReductionKernel(f"every_{dtype}_{rank}_{''.join(map(str, axes))}", (Operand("a0", dtype, rank),), rank,
                           axes, (Stage(body, reduces),), rows)


def _numpy_every(x, axes):
    axis = axes if len(axes) > 1 else axes[0]
    flat_axis = None if len(axes) == x.ndim else axis  # argmax takes one axis or all of them
    results = []
    for name in OPS:
        function = getattr(np, name)
        use = flat_axis if name.startswith("arg") else axis
        results += [function(x, axis=use), function(x, axis=use, keepdims=True)]
    return tuple(results)


NAMES = tuple(f"{op}{k}" for op in OPS for k in ("", "-keepdims"))


def differences(names, actual, expected, rtol=1e-5, atol=1e-6) -> list:
    """Where a kernel's results differ from NumPy's, one line each: type, shape, dtype or value
    (floats within ``rtol``, a float or {name: rtol}, and ``atol``; NaN where NumPy has NaN)."""
    found = []
    for name, a, e in zip(names, actual, expected):
        if type(a) is not type(e) or np.shape(a) != np.shape(e) or np.asarray(a).dtype != np.asarray(e).dtype:
            found.append(f"{name}: {type(a).__name__} {np.shape(a)} {np.asarray(a).dtype} instead of "
                         f"{type(e).__name__} {np.shape(e)} {np.asarray(e).dtype}")
        elif np.asarray(e).dtype.kind == "f":
            tolerance = rtol[name] if isinstance(rtol, dict) else rtol
            if not np.allclose(a, e, rtol=tolerance, atol=atol, equal_nan=True):
                found.append(f"{name}: {a!r} instead of {e!r}")
        elif not np.array_equal(a, e):
            found.append(f"{name}: {a!r} instead of {e!r}")
    return found


def _mismatches(kernel, x, axes) -> list:
    with np.errstate(all="ignore"):
        expected = _numpy_every(x, axes)
        actual = cpu.build(kernel, None, lambda a: _numpy_every(a, axes)).launch(x)
    return differences(NAMES, actual, expected)


@pytest.mark.parametrize("dtype, axes", [("float64", (2,)), ("float64", (1,)), ("float32", (0, 1, 2)),
                                         ("int32", (2,)), ("bool", (1,))])
def test_every_reduction_matches_numpy(dtype, axes):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((3, 4, 5)) * 3).astype(dtype)
    if dtype == "int32":
        x[0, 0, :] = 7  # ties: the first index wins
    kernel = _every_reduction(dtype, 3, axes)
    assert not _mismatches(kernel, x, axes)
    assert not _mismatches(kernel, x[:, :, ::-1], axes)  # a strided layout, same kernel (DYNAMIC)


def test_nan_propagates_and_is_found_first():
    x = np.arange(24, dtype=np.float64).reshape(4, 6)
    x[1, 2] = x[1, 4] = np.nan
    x[2, 0] = np.nan
    x[3, :] = -np.inf  # every element the identity: argmax is 0
    assert not _mismatches(_every_reduction("float64", 2, (1,)), x, (1,))


def test_empty_rows_run_the_fallback():
    kernel = _every_reduction("float64", 2, (1,))
    calls = []

    def fallback(a):
        calls.append(a.shape)
        return np.sum(a, axis=1)

    launched = cpu.build(kernel, None, fallback)
    assert launched.launch(np.ones((3, 0))).shape == (3,) and calls == [(3, 0)]


def test_softmax_shape_stages_and_a_float32_accuracy_bound():
    """softmax of rows of 10**6 float32 elements: the sum accumulates in float32 blocks added in
    float64, so it is within 1e-6 (relative) of NumPy's pairwise float32 result and closer to the
    exact sum."""
    x = Operand("a0", "float32", 2)
    shifted = (Instr("d", "-", ("a0", "m"), "float32"), Instr("e", "exp", ("d",), "float32"))
    kernel = ReductionKernel(
        "softmax_test", (x,), 2, (1,),
        (Stage((), (Reduce("m", "max", "a0", "float32"),)), Stage(shifted, (Reduce("s", "sum", "e", "float32"),))),
        (RowOutput("total", "s", "float32"),), shifted + (Instr("y", "/", ("e", "s"), "float32"),),
        (Output("out", "y", "float32"),), order=("out", "total"))
    a = np.random.default_rng(1).random((2, 10 ** 6), dtype=np.float32)
    out, total = cpu.build(kernel, [a.shape]).launch(a)
    e = np.exp(a - a.max(axis=1, keepdims=True))
    np.testing.assert_allclose(total, e.sum(axis=1), rtol=1e-6)
    exact = e.astype(np.float64).sum(axis=1)
    assert np.all(np.abs(total - exact) <= np.abs(e.sum(axis=1) - exact) + np.spacing(total))
    np.testing.assert_allclose(out, e / e.sum(axis=1, keepdims=True), rtol=1e-5)


def _scaled_sum_kernel(name: str) -> ReductionKernel:
    body = (Instr("v", "*", ("a0", Const(1.5, "float32")), "float32"),)
    return ReductionKernel(name, (Operand("a0", "float32", 2),), 2, (1,),
                           (Stage(body, (Reduce("s", "sum", "v", "float32"),)),),
                           (RowOutput("total", "s", "float32"),), (), (), order=("total",))


@pytest.mark.parametrize("size", [512, 1000, 1024, 4099, 100_000])
def test_a_float32_sum_in_an_elementwise_pass_is_within_numpys_pairwise_bound(size):
    """A float32 sum fused into the pass that computes its values (sum(a * 1.5, axis=1)) adds blocks of
    cpu_reduction.SUM_BLOCK elements in float32 lanes and the blocks in float64: every row is within
    21 ulps of the sum of the magnitudes (NumPy's pairwise bound for 1024 elements; 13 with 16 lanes)
    plus the result's rounding, and over rows of a thousand elements or more its errors add to less
    than NumPy's."""
    kernel = _scaled_sum_kernel(f"blocked_sum_{size}")
    built = cpu.build(kernel, [(64, size)])
    variant = built.variants[built.layout.broadcast]
    assert "_blocksum_s = reassociable_add(_blocksum_s, v)" in variant.source
    if size == 1024:  # the pass and its partial sums run in vector lanes (LLVM's vector loop)
        namespace = {}  # (compiled again, uncached: Numba shows no assembly of cached code)
        source = variant.source.replace("cache=True", "cache=False")
        exec(compile(source, "<blocked sum>", "exec"), namespace)  # noqa: S102 - our source
        function = namespace[kernel.name]
        function(0, 1, cpu.UNWATCHED, np.empty(64, np.float32), 64, size, np.ones((64, size), np.float32))
        assembly = next(iter(function.inspect_asm().values()))
        assert re.search(r"\bvaddps\s+[^\n]*%[yz]mm", assembly), "no packed float32 additions"
    a = (np.random.default_rng(3).standard_normal((64, size)) + 0.1).astype(np.float32)
    total = built.launch(a)
    v = a * np.float32(1.5)
    exact = np.array([math.fsum(row) for row in v.astype(np.float64)])
    magnitude = np.abs(v.astype(np.float64)).sum(axis=1)
    error = np.abs(total.astype(np.float64) - exact)
    assert np.all(error <= 21 * 2.0 ** -24 * magnitude + np.spacing(np.abs(total)) / 2)
    if size >= 1000:
        assert error.sum() < np.abs(v.sum(axis=1).astype(np.float64) - exact).sum()


@pytest.mark.parametrize("size", [1000, 1024])
def test_a_row_whose_float32_lanes_overflow_is_summed_again_in_float64(size):
    """Products of +-3e38 in runs of 8, 16, ...: two of one sign in a lane overflow float32 where the exact sum
    is 0 (or, where a run is left over, beyond float32: inf); the kernel sums such a row again in float64 and
    gives the exact sum rounded, where NumPy's own float32 order gives NaN."""
    k = np.arange(size)
    a = np.array([np.where((k // run) % 2 == 0, 2e38, -2e38) for run in (1, 2, 4, 8, 16, 64)], np.float32)
    built = cpu.build(_scaled_sum_kernel(f"overflowing_lanes_{size}"), [a.shape])
    assert "_blocksum_s = reassociable_add(" in built.variants[built.layout.broadcast].source
    with np.errstate(all="ignore"):
        total = built.launch(a)
        exact = (a.astype(np.float64) * 1.5).sum(axis=1).astype(np.float32)
    np.testing.assert_array_equal(total, exact)


def test_short_and_dynamic_rows_keep_the_row_buffer_and_its_helper():
    """Rows below BLOCKED_SUM_MIN_ROW (and DYNAMIC ones) sum their pass's values by the row helper: blocks'
    horizontal sums cost more than the pass saves there."""
    a = np.random.default_rng(5).standard_normal((40, 300)).astype(np.float32)
    for shapes in ([a.shape], None):
        built = cpu.build(_scaled_sum_kernel("short_rows"), shapes)
        source = next(iter(built.variants.values())).source if shapes is None else \
            built.variants[built.layout.broadcast].source
        assert "_sum_row_f64(" in source and "reassociable_add" not in source.split("def ")[-1]
        np.testing.assert_allclose(built.launch(a), (a * np.float32(1.5)).sum(axis=1), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_division_by_a_row_value_is_within_1_5_ulps_and_exact_at_the_extremes(dtype):
    """x / s for a row sum s: a multiplication by 1 / s where that is a normal number (within
    1.5 ulps of the quotient), a division where it is not: rows summing to a subnormal, to
    0, to more than 1 / tiny, to inf or NaN give NumPy's quotients exactly."""
    x = Operand("a0", dtype, 2)
    kernel = ReductionKernel(
        f"row_divide_{dtype}", (x,), 2, (1,), (Stage((), (Reduce("s", "sum", "a0", dtype),)),),
        (RowOutput("total", "s", dtype, keepdims=True),), (Instr("y", "/", ("a0", "s"), dtype),),
        (Output("out", "y", dtype),), order=("out", "total"))
    info = np.finfo(dtype)
    rng = np.random.default_rng(3)
    fast = [rng.standard_normal(64), np.full(64, info.tiny)]  # sums 2**-120 (float32): a normal reciprocal
    slow = [np.full(64, info.tiny / 256), np.zeros(64), np.full(64, info.max / 32), np.full(64, info.max / 128),
            np.r_[np.inf, np.ones(63)], np.r_[np.nan, np.ones(63)], np.r_[1.0, -1.0, np.zeros(62)]]
    a = np.array(fast + slow, dtype=dtype)
    built = cpu.build(kernel, [a.shape])
    assert "_inv_s" in built.variants[built.layout.broadcast].source
    with np.errstate(all="ignore"):
        out, total = built.launch(a)
        expected = a / total  # the kernel's own row sums (in float64, rounded once)
    np.testing.assert_array_equal(out[len(fast):], expected[len(fast):])  # the extremes divide
    ulps = np.abs(out[:len(fast)] - expected[:len(fast)]) / np.spacing(np.abs(expected[:len(fast)]))
    assert ulps.max() <= 1.5


def test_row_buffers_kept_in_the_output_rows_over_two_trailing_axes():
    """The last stage's buffers (a float32 and a float64 value) are the rows of the outputs of
    their dtypes, over two reduced axes (a reshaped row), and their sums accumulate in the pass that
    keeps them; each element is read before it is written, so the results are the unfused ones."""
    x = Operand("a0", "float32", 3)
    body = (Instr("e", "exp", ("a0",), "float32"), Instr("w", "cast", ("a0",), "float64"),
            Instr("w2", "*", ("w", "w"), "float64"))
    kernel = ReductionKernel(
        "two_buffers", (x,), 3, (1, 2), (Stage(body, (Reduce("s", "sum", "e", "float32"),
                                                      Reduce("q", "sum", "w2", "float64"))),), (),
        body + (Instr("p", "/", ("e", "s"), "float32"), Instr("n", "/", ("w2", "q"), "float64"),
                Instr("m", "+", ("p", "a0"), "float32")),
        (Output("out_n", "n", "float64"), Output("out_p", "p", "float32"), Output("out_m", "m", "float32")),
        order=("out_n", "out_p", "out_m"))
    a = np.random.default_rng(4).standard_normal((5, 24, 30)).astype(np.float32)  # rows of 720 (BLOCKED_SUM_MIN_ROW)
    built = cpu.build(kernel, [a.shape])
    source = built.variants[built.layout.broadcast].source
    # both sums accumulate in the pass that computes e and w2, which keeps them in the outputs' rows
    assert "_blocksum_s = reassociable_add(_blocksum_s, e)" in source and "_blocksum_q = reassociable_add(_blocksum_q, w2)" in source
    assert "_flat_out_p[uint64(_at_e + _e)] = e" in source and "_flat_out_n[uint64(_at_w2 + _e)] = w2" in source
    # the last pass reads e back from out_p's row and writes p there through the same array (one
    # address for LLVM: a run-time overlap test would find it and run the scalar loop)
    assert "_flat_out_p[uint64(_at_e + _e)] = p" in source and "out_m[i0, i1, i2] = m" in source
    out_n, out_p, out_m = built.launch(a)
    e = np.exp(a)
    p = e / e.astype(np.float64).sum(axis=(1, 2), keepdims=True).astype(np.float32)
    w2 = a.astype(np.float64) ** 2
    np.testing.assert_allclose(out_p, p, rtol=2e-6)
    np.testing.assert_allclose(out_n, w2 / w2.sum(axis=(1, 2), keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(out_m, p + a, rtol=2e-6, atol=1e-6)


def test_mean_with_row_size_and_a_broadcast_operand():
    x, w = Operand("a0", "float64", 2), Operand("a1", "float64", 1)
    kernel = ReductionKernel(
        "centered_test", (x, w), 2, (1,),
        (Stage((), (Reduce("s", "sum", "a0", "float64"),),
               (Instr("n", "cast", (ROW_SIZE,), "float64"), Instr("mean", "/", ("s", "n"), "float64"))),),
        (RowOutput("mean_out", "mean", "float64", keepdims=True),),
        (Instr("d", "-", ("a0", "mean"), "float64"), Instr("y", "*", ("d", "a1"), "float64")),
        (Output("out", "y", "float64"),))
    a, b = np.random.default_rng(2).random((5, 7)), np.arange(7.0)
    out, mean = cpu.build(kernel).launch(a, b)
    np.testing.assert_allclose(mean, a.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(out, (a - a.mean(axis=1, keepdims=True)) * b)


def test_ir_checks_and_backends():
    x = Operand("a0", "float32", 2)
    with pytest.raises(ValueError, match="reads 'm' before"):
        ReductionKernel("bad", (x,), 2, (1,), (Stage((Instr("t", "-", ("a0", "m"), "float32"),),
                                                     (Reduce("m", "max", "t", "float32"),)),),
                        (RowOutput("o", "m", "float32"),))
    with pytest.raises(ValueError, match="sum of float32 into float64"):
        ReductionKernel("bad", (x,), 2, (1,), (Stage((), (Reduce("s", "sum", "a0", "float64"),)),),
                        (RowOutput("o", "s", "float64"),))
    with pytest.raises(ValueError, match="axes"):
        ReductionKernel("bad", (x,), 2, (2,), (Stage((), (Reduce("s", "sum", "a0", "float32"),)),),
                        (RowOutput("o", "s", "float32"),))
    kernel = ReductionKernel("ok", (x,), 2, (0, 1), (Stage((), (Reduce("s", "sum", "a0", "float32"),)),),
                             (RowOutput("o", "s", "float32"),))
    assert CPU.supports(kernel)
    assert isinstance(cpu.build(kernel).launch(np.ones((2, 3), np.float32)), np.float32)  # NumPy's scalar
    with pytest.raises(UnsupportedKernel):
        ReductionKernel("f16", (Operand("a0", "bfloat", 1),), 1, (0,),
                        (Stage((), (Reduce("s", "sum", "a0", "bfloat"),)),), (RowOutput("o", "s", "bfloat"),))
    with pytest.raises(ValueError, match="order"):
        ReductionKernel("bad", (x,), 2, (1,), (Stage((), (Reduce("s", "sum", Const(1.0, "float32"), "float32"),)),),
                        (RowOutput("o", "s", "float32"),), order=("o", "o"))


def _arg_kernel(dtype: str, rank: int, axes: tuple, body: bool) -> ReductionKernel:
    """argmax and argmin over ``axes`` of the operand (a direct row) or of a0 * 1 (a row buffer)."""
    value = "a0"
    instrs = ()
    if body:
        instrs = (Instr("t", "*", ("a0", Const(1, dtype)), dtype),)
        value = "t"
    reduces = (Reduce("hi", "argmax", value, "int64"), Reduce("lo", "argmin", value, "int64"))
    return ReductionKernel(f"arg_{dtype}_{rank}_{''.join(map(str, axes))}_{int(body)}", (Operand("a0", dtype, rank),),
                           rank, axes, (Stage(instrs, reduces),),
                           tuple(RowOutput(f"{r.target}_out", r.target, "int64") for r in reduces))


@pytest.mark.parametrize("body", [False, True], ids=["direct row", "row buffer"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "uint64", "int64"])
def test_row_argmax_and_argmin_give_numpys_first_index(dtype, body):
    """The vectorized row helpers (the extreme, then its first index): the first NaN where a row has
    one, the first of ties, -0.0 and 0.0 equal, integer extremes; one trailing axis and two."""
    rng = np.random.default_rng(11)
    x = rng.integers(-3, 4, size=(40, 6, 33)).astype(dtype) if np.dtype(dtype).kind in "iu" else \
        rng.standard_normal((40, 6, 33)).astype(dtype)
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    if info is None:
        x[0, :, 5] = x[0, :, 20] = np.nan           # the first NaN of each row
        x[1, :, :] = np.nan
        x[2, :, :] = 0.0
        x[2, :, 7] = -0.0                          # equal to 0.0: index 0 wins both
        x[3, :, :] = np.inf
        x[3, :, 30] = -np.inf
        x[4, 2, 32] = np.nan                       # the last element of a row
    else:
        x[0, :, 9] = x[0, :, 12] = info.max        # ties at the extremes
        x[1, :, 3] = x[1, :, 31] = info.min
        x[2, :, :] = 1
    for axes in ((2,), (1, 2)):
        kernel = _arg_kernel(dtype, 3, axes, body)
        built = cpu.build(kernel, [x.shape])
        assert "_argmax_row_" in built.variants[built.layout.broadcast].source
        got_hi, got_lo = built.launch(x)
        flat = x.reshape(x.shape[0], -1) if axes == (1, 2) else x
        with np.errstate(invalid="ignore"):
            np.testing.assert_array_equal(got_hi, np.argmax(flat, axis=-1))
            np.testing.assert_array_equal(got_lo, np.argmin(flat, axis=-1))


def _masked_softmax_kernel(name: str) -> ReductionKernel:
    """softmax((a0 + a2) * a1) of float32 rows with a float64 mask on its exponentials (a1 broadcast along
    the rows): the max pass, the exp-and-sum pass (its second over a row), the output pass."""
    scaled = (Instr("w", "+", ("a0", "a2"), "float32"), Instr("v", "*", ("w", "a1"), "float32"))
    shifted = scaled + (Instr("d", "-", ("v", "top"), "float32"), Instr("e", "exp", ("d",), "float32"),
                        Instr("wide", "cast", ("e",), "float64"), Instr("m", "*", ("wide", "mask"), "float64"))
    operands = (Operand("a0", "float32", 2), Operand("a1", "float32", 1), Operand("a2", "float32", 2),
                Operand("mask", "float64", 2))
    return ReductionKernel(name, operands, 2, (1,),
                           (Stage(scaled, (Reduce("top", "max", "v", "float32"),)),
                            Stage(shifted, (Reduce("s", "sum", "m", "float64"),))),
                           (), shifted + (Instr("y", "/", ("m", "s"), "float64"),), (Output("out", "y", "float64"),),
                           order=("out",))


def _rms_kernel(name: str) -> ReductionKernel:
    """a0 / sqrt(mean(a0 * a0)) of float32 rows: the sum's pass, then the output pass (its second)."""
    square = (Instr("q", "*", ("a0", "a0"), "float32"),)
    finalize = (Instr("root", "sqrt", ("s",), "float32"),)
    return ReductionKernel(name, (Operand("a0", "float32", 2),), 2, (1,),
                           (Stage(square, (Reduce("s", "sum", "q", "float32"),), finalize),),
                           (), (Instr("y", "/", ("a0", "root"), "float32"),), (Output("out", "y", "float32"),),
                           order=("out",))


def _passes(source: str) -> list:
    """The kernel's passes over a row (its loops at the row loop's depth), each as its text."""
    body = source.split("for _row in range(start, stop):\n", 1)[1]
    return re.split(r"\n(?=        (?:for|if|else)\b)", body)[1:]


def _compiled_prefetches(source: str, name: str, *arguments) -> int:
    namespace = {}  # compiled again, uncached: Numba shows no assembly of cached code
    exec(compile(source.replace("cache=True", "cache=False"), f"<{name}>", "exec"), namespace)  # noqa: S102
    function = namespace[name]
    function(0, 1, cpu.UNWATCHED, *arguments)
    return len(re.findall(r"\bprefetcht0\b", next(iter(function.inspect_asm().values()))))


X86 = platform.machine().lower() in ("x86_64", "amd64")


def test_the_second_pass_over_a_row_prefetches_the_next_rows_lines_of_each_whole_operand():
    """softmax's exp-and-sum pass asks, block by block, for the next row's cache lines of every operand it
    reads whole (one prefetch a 64-byte line: 16 float32 or 8 float64 elements), not of the one broadcast
    along the rows, and its other passes ask for none; results are NumPy's for C-contiguous operands and
    strided ones (there the prefetch is nothing), the last row's next row being past the array. It also
    asks to own the output's next row, which a later pass writes."""
    shape = (64, 1024)
    built = cpu.build(_masked_softmax_kernel("prefetching_softmax"), [shape, shape[1:], shape, shape])
    source = built.variants[built.layout.broadcast].source
    passes = _passes(source)
    second = [p for p in passes if "_blocksum_s" in p]
    assert len(second) == 1 and "for _line in range(0, 128, 16):\n" in second[0] \
        and "for _line in range(0, 128, 8):\n" in second[0]
    for name in ("a0", "a2", "mask"):
        assert f"prefetch({name}_array, (_row + 1) * row_size + _block + _line)" in second[0]
    assert source.count("prefetch(") == 3 and "prefetch(a1_array" not in source
    # and the output's next row, to be written: owned before its stores
    assert "    prefetch_to_write(out, (_row + 1) * row_size + _block + _line)" in second[0]
    assert source.count("prefetch_to_write(") == 1
    rng = np.random.default_rng(11)
    a0, a2 = (rng.standard_normal(shape).astype(np.float32) for _ in range(2))
    a1 = rng.standard_normal(shape[1]).astype(np.float32)
    mask = (rng.random(shape) < 0.5).astype(np.float64)
    wide = rng.standard_normal((shape[0], 2 * shape[1])).astype(np.float32)
    for x in (a0, wide[:, ::2]):  # C-contiguous, then a strided view
        v = (x + a2) * a1
        m = np.exp(v - v.max(axis=1, keepdims=True)).astype(np.float64) * mask
        np.testing.assert_allclose(built.launch(x, a1, a2, mask), m / m.sum(axis=1, keepdims=True), rtol=1e-6)
    if X86:  # the pass runs the prefetches (x86's instruction)
        assert _compiled_prefetches(source, "prefetching_softmax", np.empty(shape), *shape, a0, a1, a2, mask) >= 3


def test_a_first_pass_that_sums_by_blocks_prefetches_and_the_output_pass_does_not():
    """RMSNorm's sum of squares, its first pass over a row, asks for the next row as it streams this one
    (blocks in its output pass instead cost more than they gained); a second such pass asks for nothing more."""
    shape = (64, 1024)
    built = cpu.build(_rms_kernel("prefetching_rms"), [shape])
    source = built.variants[built.layout.broadcast].source
    passes = _passes(source)
    first = [p for p in passes if "_blocksum_s" in p]
    assert len(first) == 1 and "prefetch(a0_array, (_row + 1) * row_size + _block + _line)" in first[0]
    assert source.count("prefetch(") == 1 and "_inv_root" in source
    assert "prefetch_to_write(out, (_row + 1) * row_size + _block + _line)" in first[0]
    a = np.random.default_rng(12).standard_normal(shape).astype(np.float32)
    a[3] *= np.float32(1e-30)  # squares that underflow: a root of 0, outside the reciprocal's range (inf, as NumPy)
    with np.errstate(divide="ignore"):
        expected = a / np.sqrt((a * a).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(built.launch(a), expected, rtol=2e-6)
    if X86:
        assert _compiled_prefetches(source, "prefetching_rms", np.empty(shape, np.float32), *shape, a) >= 1
    twice = ReductionKernel("two_blocked_sums", (Operand("a0", "float32", 2),), 2, (1,),
                            (Stage((Instr("q", "*", ("a0", "a0"), "float32"),), (Reduce("s", "sum", "q", "float32"),)),
                             Stage((Instr("d", "-", ("a0", "s"), "float32"),), (Reduce("t", "sum", "d", "float32"),))),
                            (RowOutput("total", "t", "float32"),), (), (), order=("total",))
    built = cpu.build(twice, [shape])
    assert built.variants[built.layout.broadcast].source.count("prefetch(") == 1
    np.testing.assert_allclose(built.launch(a), (a - (a * a).sum(axis=1, keepdims=True)).sum(axis=1), rtol=1e-5)


@pytest.mark.parametrize("index", [-(2 ** 62), -1, 0, 5, 6, 2 ** 62])
def test_prefetches_change_nothing_and_stay_inside_the_array(index):
    """prefetch and prefetch_to_write compile for any array and int64 index and change nothing: C-contiguous
    and strided arrays, an empty one, indices before and past the ends (clamped to the array)."""
    from numba import njit  # noqa: PLC0415

    from kernels.numba_intrinsics import prefetch, prefetch_to_write  # noqa: PLC0415

    @njit(cache=False)
    def touch(array, at):
        prefetch(array, at)
        prefetch_to_write(array, at)
        return array.sum()

    a = np.arange(6.0)
    for array in (a, a[::2], np.empty(0), np.arange(12, dtype=np.int8).reshape(3, 4)):
        before = array.copy()
        assert touch(array, index) == before.sum()
        np.testing.assert_array_equal(array, before)


def _normalize_kernel(name: str) -> ReductionKernel:
    """a0 / sum(a0) over the last axis: the sum's helper pass, then the output pass, no blocked sums."""
    return ReductionKernel(name, (Operand("a0", "float32", 2),), 2, (1,), (Stage((), (Reduce("s", "sum", "a0", "float32"),)),),
                           (), (Instr("y", "/", ("a0", "s"), "float32"),), (Output("out", "y", "float32"),),
                           order=("out",))


@pytest.mark.parametrize("shape", [(64, 1024), (16, 5000)])
def test_an_output_pass_no_pass_prefetched_for_owns_the_outputs_next_row_first(shape):
    """Where no pass asked for the next row (a helper's sum, then the output pass), the output pass first
    owns the output's next row, its first 1024 elements for longer rows; no read prefetch (slower there)."""
    built = cpu.build(_normalize_kernel(f"owning_normalize_{shape[1]}"), [shape])
    source = built.variants[built.layout.broadcast].source
    assert "prefetch(" not in source.split("def ")[-1]
    assert source.count("prefetch_to_write(out, (_row + 1) * row_size + _line)") == 1
    assert f"for _line in range(0, {min(1024, shape[1])}, 16):" in source
    a = np.random.default_rng(13).random(shape, dtype=np.float32) + np.float32(0.5)
    np.testing.assert_allclose(built.launch(a), a / a.sum(axis=1, keepdims=True), rtol=2e-6)
