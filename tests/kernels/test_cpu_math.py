"""The CPU kernels' own float32 functions (kernels.cpu_math) against NumPy over
float32: 2**20 bit patterns spread evenly over all of them (both signs, subnormals,
infinities, NaNs), every 97th float32 where a function bends or saturates, and
the special values, each run through a built one-instruction kernel; the float64
ones the same way over spread bit patterns, the special values and dense samples."""
from __future__ import annotations

import re

import numpy as np
import pytest

from jit.ops import special
from kernels import cache, cpu, cpu_math
from kernels.ir import Instr, Kernel, Operand, Output

SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e-45, -1e-45, 1.1754942e-38, 1.17549435e-38,
           3.4028235e38, -3.4028235e38, 0.55, 0.5493061, 1.0, 8.0, 9.0, 9.010913, 9.1, 10.0, 88.72284, -103.97208]


def _floats_between(low, high):
    """Every 97th float32 in [low, high] (0 <= low < high), with both signs."""
    bits = np.arange(np.float32(low).view(np.int32), np.float32(high).view(np.int32), 97, dtype=np.int32)
    positive = bits.view(np.float32)
    return np.concatenate([positive, -positive])


def _sweep(*dense_ranges):
    spread = np.linspace(0, 2 ** 32 - 1, 2 ** 20, dtype=np.uint64).astype(np.uint32).view(np.float32)
    return np.concatenate([spread, np.array(SPECIAL, np.float32), *(_floats_between(*r) for r in dense_ranges)])


def _ordered(values):
    """float32 bits as integers that count ulps across zero (-0.0 and 0.0 both 0)."""
    bits = values.view(np.int32).astype(np.int64)
    return np.where(bits < 0, -(bits & 0x7FFFFFFF), bits)


def _run(op, x):
    kernel = Kernel(f"sweep_{op}", (Operand("a0", "float32", 1),), (Instr("t0", op, ("a0",), "float32"),),
                    (Output("out0", "t0", "float32"),), 1)
    result = cpu.build(kernel).launch(x)
    return result[0] if isinstance(result, tuple) else result


def _erf(x):
    return special.erf(np, x)


# op, NumPy's function, the ulps allowed, where to look closely (tanh: around 0.55, where it and
# glibc switch formulas, and 7-10, where it rounds to 1 from 9.01 on; the others where they bend)
CASES = [("tanh", np.tanh, 2, [(1e-6, 1e-3), (0.4, 0.7), (7.0, 10.0)]),
         ("exp", np.exp, 3, [(1e-6, 1e-3), (80.0, 89.0), (100.0, 105.0)]),
         ("log", np.log, 4, [(0.6, 1.5), (0.0, 1e-37)]),
         ("erf", _erf, 8, [(0.0, 1e-37), (0.5, 4.5)])]


@pytest.mark.parametrize("op, reference, ulps, dense", CASES, ids=[case[0] for case in CASES])
def test_float32_function_is_within_its_ulps_of_numpy(op, reference, ulps, dense):
    x = _sweep(*dense)
    with np.errstate(all="ignore"):
        got, expected = _run(op, x), reference(x)
    assert got.dtype == np.float32 and expected.dtype == np.float32
    nan = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(got), nan, err_msg=f"{op}: NaN where NumPy has none, or none where it has")
    distance = np.abs(_ordered(got[~nan]) - _ordered(expected[~nan]))
    worst = int(np.argmax(distance))
    assert distance[worst] <= ulps, (f"{op}({x[~nan][worst]!r}) is {got[~nan][worst]!r}, NumPy's "
                                     f"{expected[~nan][worst]!r}: {distance[worst]} ulps apart, {ulps} allowed")
    zeros = expected == 0
    np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(expected[zeros]),
                                  err_msg=f"{op}: the sign of a zero result differs from NumPy's")


def test_tanh_is_within_one_ulp_of_the_correctly_rounded_value():
    """NumPy's float32 tanh is itself up to 1 ulp off, so 2 ulps from it above could hide
    2 from the true value; NumPy's float64 tanh, rounded to float32, is the true value."""
    x = _sweep((1e-6, 1e-3), (0.4, 0.7), (7.0, 10.0))
    x = x[~np.isnan(x)]
    got, expected = _run("tanh", x), np.tanh(x.astype(np.float64)).astype(np.float32)
    distance = np.abs(_ordered(got) - _ordered(expected))
    worst = int(np.argmax(distance))
    assert distance[worst] <= 1, f"tanh({x[worst]!r}) is {got[worst]!r}, correctly rounded {expected[worst]!r}"


def test_tanh_stays_below_one_until_it_rounds_to_one():
    """Issue 23: float32 tanh was 1 from 7.9 on, so log1p(tanh(x)) was -inf. It rounds to
    1 from 9.010914 on (NumPy's from 10.0, 1 ulp below 1 until then)."""
    below = np.array([7.9, 8.0, 8.5, 9.0, 9.01], np.float32)
    ones = np.array([10.0, 20.0, 3.4028235e38, np.inf], np.float32)
    x = np.concatenate([below, ones, -below, -ones])
    got, expected = _run("tanh", x), np.tanh(x)
    np.testing.assert_array_equal(np.abs(got) < 1, np.abs(expected) < 1)


# -- float64 ---------------------------------------------------------------------------------------
SPECIAL64 = [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 5e-324, -5e-324, 2.2250738585072014e-308,
             2.225073858507201e-308, 1.7976931348623157e308, -1.7976931348623157e308, 1.0, -1.0, 0.5, 0.55,
             0.3465735902799726, 0.34657359027997264, 19.0, 19.1, 22.0, 709.782712893384, 709.7827128933841,
             -708.3964185322641, -745.1332191019411, -745.1332191019412, -38.0, -40.0, 1e-300, -1e-300]


def _ordered64(values):
    """float64 bits as integers that count ulps across zero (-0.0 and 0.0 both 0)."""
    bits = values.view(np.int64)
    return np.where(bits < 0, -(bits & 0x7FFFFFFFFFFFFFFF), bits)


def _sweep64(*dense_ranges):
    """2**18 bit patterns spread evenly over all float64s, the special values, and 20,000
    uniform samples of each range (with both signs) where the function bends or saturates."""
    spread = (np.arange(2 ** 18, dtype=np.uint64) * np.uint64((2 ** 64 - 1) // 2 ** 18)).view(np.float64)
    uniform = np.random.default_rng(21).uniform
    dense = [uniform(low, high, 20_000) for low, high in dense_ranges]
    return np.concatenate([spread, np.array(SPECIAL64), *dense, *(-d for d in dense)])


def _run64(op, x):
    kernel = Kernel(f"sweep64_{op}", (Operand("a0", "float64", 1),), (Instr("t0", op, ("a0",), "float64"),),
                    (Output("out0", "t0", "float64"),), 1)
    result = cpu.build(kernel).launch(x)
    return result[0] if isinstance(result, tuple) else result


# op, NumPy's function, the ulps allowed, where to look closely
CASES64 = [("exp", np.exp, 1, [(0.0, 1.0), (700.0, 710.0), (708.0, 746.0), (0.0, 1e-10)]),
           ("expm1", np.expm1, 1, [(0.0, 1.0), (0.3, 0.8), (0.0, 1e-10), (30.0, 45.0), (700.0, 710.0)]),
           ("log", np.log, 1, [(0.5, 2.0), (0.99, 1.01), (0.0, 1e-300), (1e300, 1.7e308)]),
           ("log1p", np.log1p, 1, [(0.0, 1.0), (0.0, 1e-10), (1.0, 1e10), (0.99, 1.0)]),
           ("tanh", np.tanh, 2, [(0.0, 1.0), (0.0, 1e-10), (0.5, 0.6), (15.0, 25.0)])]


@pytest.mark.parametrize("op, reference, ulps, dense", CASES64, ids=[case[0] for case in CASES64])
def test_float64_function_is_within_its_ulps_of_numpy(op, reference, ulps, dense):
    x = _sweep64(*dense)
    with np.errstate(all="ignore"):
        got, expected = _run64(op, x), reference(x)
    assert got.dtype == np.float64 and expected.dtype == np.float64
    nan = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(got), nan, err_msg=f"{op}: NaN where NumPy has none, or none where it has")
    distance = np.abs(_ordered64(got[~nan]) - _ordered64(expected[~nan]))
    worst = int(np.argmax(distance))
    assert distance[worst] <= ulps, (f"{op}({x[~nan][worst]!r}) is {got[~nan][worst]!r}, NumPy's "
                                     f"{expected[~nan][worst]!r}: {distance[worst]} ulps apart, {ulps} allowed")
    zeros = expected == 0
    np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(expected[zeros]),
                                  err_msg=f"{op}: the sign of a zero result differs from NumPy's")


LOOP = """
@njit(error_model="numpy")
def softplus_tanh(a, out):
    for i in range(a.shape[0]):
        out[i] = _log1p_f64(_exp_f64(a[i])) + _tanh_f64(a[i])
"""


def test_float64_helpers_are_used_and_vectorized():
    """The float64 kernel calls the helper, not libm, and its loop is packed (AVX2/AVX-512)."""
    source = cpu_math.source_of(["_exp_f64", "_log1p_f64", "_tanh_f64"])
    namespace = {}
    exec(compile(cpu._HEADER + source + LOOP, "<float64 helpers>", "exec"), namespace)  # noqa: S102 - our source
    loop = namespace["softplus_tanh"]
    x = np.linspace(-30.0, 30.0, 1001)
    out = np.empty_like(x)
    loop(x, out)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(out, np.log1p(np.exp(x)) + np.tanh(x), rtol=1e-15, atol=0)
    assembly = next(iter(loop.inspect_asm().values()))
    assert re.search(r"\bv(fmadd|fmsub|fnmadd|mul|add)\w*pd\s+%[yz]mm", assembly), "no packed float64 arithmetic"


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_row_max_and_min_helpers_equal_numpy_and_keep_nan(dtype):
    """The reduction kernels' max/min over a row (integer keys that sort as the floats do): NumPy's
    value for rows of infinities, subnormals and random values, NaN wherever a row holds one. The
    sign of a zero result is not compared: NumPy's own depends on the order of the zeros."""
    module = cache.load_module(cpu_math.shared_module_source())
    bits = np.finfo(dtype).bits
    row_max, row_min = getattr(module, f"_max_row_f{bits}"), getattr(module, f"_min_row_f{bits}")
    rng = np.random.default_rng(3)
    tiny = np.finfo(dtype).smallest_subnormal
    rows = [rng.standard_normal(n).astype(dtype) for n in (1, 7, 64, 1001)]
    rows += [np.array(r, dtype) for r in ([-np.inf, -np.inf], [np.inf, -np.inf, 1.0], [-tiny, tiny, 0.0],
                                          [-tiny, -2 * tiny], [np.finfo(dtype).max, -np.finfo(dtype).max])]
    for row in rows:
        assert row_max(row, row.size) == row.max() and row_min(row, row.size) == row.min(), row
        for place in (0, row.size - 1):
            with_nan = row.copy()
            with_nan[place] = np.nan
            assert np.isnan(row_max(with_nan, row.size)) and np.isnan(row_min(with_nan, row.size))
    if bits == 32:  # compiled afresh: a function loaded from Numba's cache has no assembly to show
        namespace = {}
        source = cpu_math.HEADER + '@njit(error_model="numpy")' + cpu_math.SOURCES["_max_row_f32"]
        exec(compile(source, "<row max>", "exec"), namespace)  # noqa: S102 - our source
        fresh = namespace["_max_row_f32"]
        assert fresh(rows[-3], rows[-3].size) == rows[-3].max()
        assembly = next(iter(fresh.inspect_asm().values()))
        assert re.search(r"\bvpmax\w*\s+%[yz]mm", assembly), "the float32 row max is not packed"
