"""Reductions that keep the innermost dimension (kernels.cpu_reduction._ColumnPrinter: tiles of
consecutive rows, in memory order), against NumPy: every Reduce op over a leading axis, a middle
axis and two axes around a kept one; widths that are not a multiple of the tile; NaN and ties;
strided and broadcast operands; large enough for the threads; and multi-stage kernels with
element outputs (standardizing columns, a softmax over axis 0) through jit.script."""
from __future__ import annotations

import numpy as np
import pytest

import jit
from kernels import cpu, cpu_reduction

from kernels.ir import ROW_SIZE, Const, Instr, Operand, Output, Reduce, ReductionKernel, Stage

from .test_reduction_kernels import NAMES, OPS, _every_reduction, differences


def _numpy(x, axes):
    """NumPy's result of each op of OPS with and without keepdims; argmax/argmin over several axes
    as the kernel defines them: the index in the C order of the reduced dimensions."""
    axis = axes if len(axes) > 1 else axes[0]
    moved = np.moveaxis(x, axes, range(x.ndim - len(axes), x.ndim))
    flat = moved.reshape(moved.shape[:x.ndim - len(axes)] + (-1,))
    kept_shape = tuple(1 if d in axes else n for d, n in enumerate(x.shape))
    results = []
    for name in OPS:
        if name.startswith("arg"):
            found = getattr(np, name)(flat, axis=-1)
            results += [found, found.reshape(kept_shape)]
        else:
            results += [getattr(np, name)(x, axis=axis), getattr(np, name)(x, axis=axis, keepdims=True)]
    return tuple(results)


def _launch(kernel, x, axes, static=False):
    """(the kernel's results, NumPy's) for each op of OPS, without and with keepdims."""
    with np.errstate(all="ignore"):
        built = cpu.build(kernel, [x.shape] if static else None, lambda a: _numpy(a, axes))
        return built.launch(x), _numpy(x, axes)


def _mismatches(kernel, x, axes, static=False) -> list:
    """Where the column kernel differs from NumPy: type, shape, dtype or value (float32: NumPy's own
    sum is off by about n * 6e-8 * |x|)."""
    actual, expected = _launch(kernel, x, axes, static)
    return differences(NAMES, actual, expected, atol=3e-5)


@pytest.mark.parametrize("dtype, shape, axes", [
    ("float64", (700, 130), (0,)),        # a leading axis; 130 = two tiles and a partial one
    ("float32", (30, 41, 70), (1,)),      # a middle axis
    ("int64", (300, 7, 5), (0, 1)),       # the kept dimension narrower than a tile
    ("bool", (200, 3, 90), (0,)),
    ("float64", (6, 50, 4, 33), (0, 2)),  # reduced axes around a kept one
], ids=str)
def test_column_reductions_match_numpy(dtype, shape, axes):
    rng = np.random.default_rng(len(shape))
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    if dtype == "int64":
        x[:, 0, :] = 7  # ties: the first index wins
    kernel = _every_reduction(dtype, len(shape), axes)
    assert cpu_reduction.columns(kernel)
    assert not _mismatches(kernel, x, axes)
    assert not _mismatches(kernel, x[..., ::-1], axes)  # strided: the same DYNAMIC kernel


def test_large_column_reductions_run_on_the_threads():
    x = np.random.default_rng(1).standard_normal((1500, 300))
    kernel = _every_reduction("float64", 2, (0,))
    assert "_parallel(_run, _tiles" in cpu.build(kernel).launcher_source
    assert not _mismatches(kernel, x, (0,))


def test_a_static_narrow_shape_gives_each_thread_a_tile():
    x = np.random.default_rng(4).standard_normal((3000, 40))
    kernel = _every_reduction("float64", 2, (0,))
    assert cpu_reduction.column_width(40) < 40 <= cpu_reduction.COLUMN_TILE or cpu.num_threads() == 1
    assert "_parallel(_run, _tiles" in cpu.build(kernel, [x.shape]).launcher_source
    assert not _mismatches(kernel, x, (0,), static=True)
    assert not _mismatches(kernel, x, (0,))


@pytest.mark.parametrize("shape", [(9000, 40), (8000, 33), (200, 70, 20)], ids=str)
def test_a_dynamic_narrow_line_takes_the_narrow_tiles(shape, monkeypatch):
    # 40 columns are one 256-wide tile: a DYNAMIC kernel's one thread did the whole reduction.
    # The launch takes a narrower variant instead, a tile per thread (33: a partial last tile;
    # every op of OPS, argmax's ties and NaN included, against NumPy).
    monkeypatch.setattr(cpu_reduction, "num_threads", lambda: 2)  # as on any machine of 2 cores or more
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape)
    x.reshape(-1, shape[-1])[7, 3] = np.nan
    x[..., -1] = 2.0  # ties: the first index wins
    axes = (0,) if len(shape) == 2 else (0, 1)
    kernel = _every_reduction("float64", len(shape), axes)
    assert x.size >= cpu.parallel_min_elements(kernel)  # enough work for the pool
    built = cpu.build(kernel)
    assert "_self.narrow_variant(" in built.launcher_source
    with np.errstate(all="ignore"):
        actual, expected = built.launch(x), _numpy(x, axes)
    width = cpu_reduction.narrow_width(shape[-1], 2)
    assert cpu_reduction.COLUMN_TILE_MIN <= width < shape[-1] and -(-shape[-1] // width) >= 2
    assert list(built._narrow_variants) == [(((False,) * len(shape),), width)]
    assert f"_width = min({width}," in built._narrow_variants[(((False,) * len(shape),), width)].source
    assert not _mismatches(kernel, x, axes)
    for name, a, e in zip(NAMES, actual, expected):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=name)


def test_nan_and_infinities_in_columns():
    x = np.random.default_rng(2).standard_normal((400, 70))
    x[399, 3] = x[10, 3] = np.nan  # the first NaN wins argmax/argmin
    x[:, 5] = -np.inf  # every element the identity of max: argmax is 0
    x[0, 69] = np.nan  # in the last, partial tile
    kernel = _every_reduction("float64", 2, (0,))
    actual, _ = _launch(kernel, x, (0,))
    results = dict(zip(NAMES, actual))
    assert results["argmax"][3] == results["argmin"][3] == 10 and np.isnan(results["max"][69])
    assert results["max"][5] == -np.inf and results["argmax"][5] == 0
    assert not _mismatches(kernel, x, (0,))


def _standardize(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)


def _softmax_columns(x):
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def _scaled_column_sums(x, w):
    return (x * w).sum(axis=0), np.abs(x - w).max(axis=1)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_scripted_column_kernels_match_numpy(dtype):
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((900, 300)) * 2 + 1).astype(dtype)
    tolerance = dict(rtol=3e-6, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-13)
    for function, args in ((_standardize, (x,)), (_softmax_columns, (x,)), (_scaled_column_sums, (x, x[0]))):
        scripted = jit.script(function)
        for _ in range(2):  # profiled, then optimized
            actual, expected = scripted(*args), function(*args)
        assert "prim::FusionGroup" in str(scripted.graph_for(*args)), function.__name__
        for a, e in zip(actual if isinstance(actual, tuple) else (actual,),
                        expected if isinstance(expected, tuple) else (expected,)):
            assert a.dtype == e.dtype and a.shape == e.shape
            np.testing.assert_allclose(a, e, **tolerance)


def _column_batch_norm(name: str, dtype: str = "float32") -> ReductionKernel:
    """(a0 - mean) / sqrt(var + 1e-5) * a1 over axis 0 of a matrix, a1 broadcast along the columns."""
    centered = (Instr("c", "-", ("a0", "m"), dtype), Instr("q", "*", ("c", "c"), dtype))
    return ReductionKernel(
        name, (Operand("a0", dtype, 2), Operand("a1", dtype, 1)), 2, (0,),
        (Stage((), (Reduce("s", "sum", "a0", dtype),), (Instr("m", "/", ("s", ROW_SIZE), dtype),)),
         Stage(centered, (Reduce("v", "sum", "q", dtype),),
               (Instr("vm", "/", ("v", ROW_SIZE), dtype), Instr("ve", "+", ("vm", Const(1e-5, dtype)), dtype),
                Instr("r", "sqrt", ("ve",), dtype)))),
        (), centered[:1] + (Instr("n", "/", ("c", "r"), dtype), Instr("y", "*", ("n", "a1"), dtype)),
        (Output("out", "y", dtype),), order=("out",))


def test_each_pass_of_a_column_kernel_prefetches_its_tile_of_a_later_row():
    """Every pass over a tile's rows asks, row by row, for the tile's part of the row COLUMN_PREFETCH_ROWS
    on in each whole operand it reads (16 float32 a line), the output pass also to own the output's; not
    for the operand broadcast along the columns, nor in a column kernel of more than two dimensions. Results
    are NumPy's, C-contiguous and strided, the last rows' prefetches past the arrays."""
    shape = (700, 300)  # 300: tiles of the width the threads get, and a partial one
    built = cpu.build(_column_batch_norm("prefetching_columns"), [shape, shape[1:]])
    source = built.variants[built.layout.broadcast].source
    ahead = cpu_reduction.COLUMN_PREFETCH_ROWS
    assert source.count(f"prefetch(a0_array, (i0 + {ahead}) * 300 + _j0 + _line)") == 3
    assert source.count(f"prefetch_to_write(out, (i0 + {ahead}) * 300 + _j0 + _line)") == 1
    assert source.count("for _line in range(0, _width, 16):") == 4 and "prefetch(a1_array" not in source
    rng = np.random.default_rng(21)
    a1 = rng.standard_normal(shape[1]).astype(np.float32)
    wide = (rng.standard_normal((shape[0], 2 * shape[1])) * 2 + 1).astype(np.float32)
    for x in (np.ascontiguousarray(wide[:, :shape[1]]), wide[:, ::2]):
        centered = x - x.sum(axis=0) / np.float32(shape[0])
        expected = centered / np.sqrt((centered * centered).sum(axis=0) / np.float32(shape[0]) + np.float32(1e-5)) * a1
        np.testing.assert_allclose(built.launch(x, a1), expected, rtol=2e-5, atol=2e-6)
    three = _every_reduction("float32", 3, (0,))
    assert "prefetch" not in cpu.build(three, [(20, 6, 300)]).variants[((False, False, False),)].source.split("def ")[-1]
