"""Full reductions split over chunks (kernels.cpu_reduction._SplitPrinter): large enough that
the chunk passes run on the threads and several partials combine, against NumPy. Every op that
splits, every dtype family, NaN in the last chunk, integer wrap-around, ranks 1-3, strided and
broadcast operands; multi-stage kernels (var, std, logsumexp) and element outputs through
jit.script; and the float32 accuracy bound."""
from __future__ import annotations

import math

import numpy as np
import pytest

import jit
from kernels import cpu, cpu_reduction
from kernels.ir import Const, Instr, Operand, Reduce, ReductionKernel, RowOutput, Stage

from .test_reduction_kernels import differences

SPLIT_OPS = ("sum", "prod", "max", "min", "all", "any")
SHAPES = [(300_000,), (700, 300), (40, 50, 60)]


def _kernel(dtype: str, rank: int) -> ReductionKernel:
    total = np.sum(np.ones(1, dtype)).dtype.name  # NumPy's sum/prod dtype
    body = (Instr("wide", "cast", ("a0",), total),) if total != dtype else ()
    value = "wide" if body else "a0"
    reduces = (Reduce("s", "sum", value, total), Reduce("p", "prod", value, total),
               Reduce("hi", "max", "a0", dtype), Reduce("lo", "min", "a0", dtype),
               Reduce("every", "all", "a0", "bool"), Reduce("some", "any", "a0", "bool"))
    rows = tuple(RowOutput(f"{r.target}_out", r.target, r.dtype) for r in reduces)
    return ReductionKernel(f"split_{dtype}_{rank}", (Operand("a0", dtype, rank),), rank, tuple(range(rank)),
                           (Stage(body, reduces),), rows)


def _data(dtype: str, shape, rng):
    if dtype == "bool":
        return rng.random(shape) < 0.999  # all() is False somewhere, any() True
    if dtype.startswith("int"):
        return rng.integers(-1000, 1000, shape).astype(dtype)
    # 2, 1/2 in pairs, and 1: every partial product is a power of two near 1, so each product is
    # exact whatever its order (a float product rounds in its dtype, as NumPy's does)
    steps = rng.choice([-1, 0, 1], (int(np.prod(shape)) + 1) // 2)
    k = np.stack([steps, -steps], axis=1).ravel()[:int(np.prod(shape))]
    return np.ldexp(1.0, k).reshape(shape).astype(dtype)


def _launch(x, dtype):
    """(the split kernel's results, NumPy's) for each of SPLIT_OPS over every axis of ``x``."""
    kernel = _kernel(dtype, x.ndim)
    assert cpu_reduction.splits(kernel)
    built = cpu.build(kernel)
    assert "_parallel(" in built.launcher_source
    assert cpu_reduction.split_chunks(x.shape[0], x.size) > 1, "several partials are combined"
    with np.errstate(all="ignore"):
        return built.launch(x), tuple(getattr(np, op)(x) for op in SPLIT_OPS)


def _mismatches(x, dtype) -> list:
    """Where the split kernel differs from NumPy (type, or value: float32 products round in
    float32, in another order than NumPy's)."""
    actual, expected = _launch(x, dtype)
    return differences(SPLIT_OPS, actual, expected, rtol={op: 1e-4 if op == "prod" else 1e-6 for op in SPLIT_OPS},
                       atol=0)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8", "bool"])
def test_split_full_reductions_match_numpy(dtype, shape):
    x = _data(dtype, shape, np.random.default_rng(len(shape)))
    assert not _mismatches(x, dtype)


def test_a_strided_operand_splits_too():
    x = _data("float64", (700, 600), np.random.default_rng(3))[:, ::2]
    assert not _mismatches(x, "float64")
    assert not _mismatches(np.ascontiguousarray(x).T, "float64")


def test_nan_in_the_last_chunk_reaches_the_result():
    for dtype in ("float32", "float64"):
        x = _data(dtype, (300_000,), np.random.default_rng(4))
        x[-1] = np.nan
        actual, _ = _launch(x, dtype)
        assert all(np.isnan(actual[SPLIT_OPS.index(op)]) for op in ("sum", "prod", "max", "min"))
        assert not _mismatches(x, dtype)
        x[-1], x[5] = 0.5, np.nan  # and in the first
        assert not _mismatches(x, dtype)


def test_int64_sums_and_products_wrap_as_numpy_does():
    rng = np.random.default_rng(5)
    x = rng.integers(2**60, 2**62, 200_000, dtype=np.int64)  # the sum wraps many times
    x[::1000] = rng.integers(-7, 7, 200)
    actual, _ = _launch(x, "int64")
    assert actual[0] == int(x.astype(object).sum() + 2**63) % 2**64 - 2**63  # the wrapped sum, exactly
    assert not _mismatches(x, "int64")
    assert not _mismatches(x.astype(np.uint64), "uint64")


def _sum(a):
    return a.sum()


def test_the_float32_sum_is_within_one_ulp_of_the_exact_sum():
    x = np.random.default_rng(6).standard_normal(1_000_003).astype(np.float32) + np.float32(0.25)
    actual = jit.script(_sum)(x)
    exact = math.fsum(x.astype(np.float64))
    assert abs(float(actual) - exact) <= float(np.spacing(np.float32(exact)))


def _scaled_sum(a):
    return (a * np.float32(1.5)).sum()


@pytest.mark.parametrize("shape", [(1_000_003,), (1001, 999)])
def test_a_float32_sum_of_a_pass_is_within_numpys_pairwise_bound_and_rounded_correctly_here(shape):
    """(a * 1.5).sum(): each block of the chunk passes sums its products in float32 lanes (SUM_BLOCK), the
    blocks and chunks add in float64: within 21 ulps of the sum of the magnitudes plus the result's
    rounding, and here the float32 nearest the exact sum, as near as NumPy's pairwise sum or nearer."""
    x = np.random.default_rng(7).standard_normal(shape).astype(np.float32) + np.float32(0.25)
    actual = jit.script(_scaled_sum)(x)
    v = (x * np.float32(1.5)).astype(np.float64).reshape(-1)
    exact = math.fsum(v)
    error = abs(float(actual) - exact)
    assert error <= 21 * 2.0 ** -24 * float(np.abs(v).sum()) + float(np.spacing(np.float32(exact))) / 2
    assert error <= float(np.spacing(np.float32(exact))) / 2 and error <= abs(float(_scaled_sum(x)) - exact)


@pytest.mark.parametrize("run", [8, 64])
def test_a_block_whose_float32_lanes_overflow_is_summed_again_in_float64(run):
    """300,000 products of +-3e38 in runs: a block's lanes overflow float32 where the exact sum is 0 (runs of 8)
    or beyond float32 (64: inf); that block's chunk is summed again in float64, so the result is the exact
    sum rounded, where NumPy's float32 order gives NaN."""
    k = np.arange(300_000)
    x = np.where((k // run) % 2 == 0, 2e38, -2e38).astype(np.float32)
    body = (Instr("v", "*", ("a0", Const(1.5, "float32")), "float32"),)
    kernel = ReductionKernel(f"overflowing_split_{run}", (Operand("a0", "float32", 1),), 1, (0,),
                             (Stage(body, (Reduce("s", "sum", "v", "float32"),)),), (RowOutput("total", "s", "float32"),))
    built = cpu.build(kernel, [x.shape])
    source = built.variants[built.layout.broadcast].source
    assert cpu_reduction.splits(kernel) and "_acc_s = _acc_s + float64(v)" in source
    with np.errstate(all="ignore"):
        actual = built.launch(x)
        exact = np.float32((x.astype(np.float64) * 1.5).sum())
    assert actual == exact


def _moments(x):
    return x.mean(), x.var(), x.std(), np.max(np.abs(x))


def _log_softmax_all(x):
    shifted = x - x.max()
    return shifted - np.log(np.exp(shifted).sum())


def _weighted(x, w):
    return (x * w).sum(), np.abs(x - w).max()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_scripted_multi_stage_full_reductions_match_numpy(dtype):
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((600, 500)) * 3 + 1).astype(dtype)
    tolerance = dict(rtol=2e-6 if dtype == "float32" else 1e-12)
    for function, args in ((_moments, (x,)), (_log_softmax_all, (x,)), (_weighted, (x, x[0]))):
        scripted = jit.script(function)
        for _ in range(2):  # profiled, then optimized
            actual, expected = scripted(*args), function(*args)
        assert "prim::FusionGroup" in str(scripted.graph_for(*args)), function.__name__
        for a, e in zip(np.atleast_1d(actual) if not isinstance(actual, tuple) else actual,
                        np.atleast_1d(expected) if not isinstance(expected, tuple) else expected):
            assert np.asarray(a).dtype == np.asarray(e).dtype and np.shape(a) == np.shape(e)
            np.testing.assert_allclose(a, e, atol=1e-5 if dtype == "float32" else 1e-12, **tolerance)
