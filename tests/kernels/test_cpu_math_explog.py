"""The float64 log2, log10, exp2, sinh and cosh helpers (kernels.cpu_math_explog) against the correctly
rounded value (the same function in x86's 80-bit long double, rounded once): within 1 ulp over spread bit
patterns and dense samples where each bends, and within that plus NumPy's own error (measured on the same
arguments) of NumPy's float64 loops; exact where the result is (powers of 2 and 10, exp2 of integers),
NumPy's special values and overflow thresholds bit for bit, exp2's subnormal results; fused into kernels over
float64 and float32 arrays by jit.script, vectorized, with and without FMA contraction and AVX-512's ldexp."""
from __future__ import annotations

import re
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from kernels import cpu, cpu_math, cpu_math_explog

from ..helpers import script_source
from .test_cpu_math import (SPECIAL64, _cpu_features, _ordered64, _run64, _sweep64, correctly_rounded,
                            scaled_both_ways, worst_ulps64)

TINY = 2.2250738585072014e-308  # the smallest normal
HUGE = 1.7976931348623157e308
OVERFLOW = 710.4758600739439  # the last double whose sinh and cosh are finite
# where each bends: log2/log10 near 1, sqrt(2) and 1/sqrt(2) (where k steps), subnormal, tiny and huge;
# exp2 near overflow, the smallest normal and subnormal results and 0, small |x|; sinh/cosh near 0, sinh's
# polynomial's end (0.5), where n steps (ln2/2), 22 (fdlibm's), log(DBL_MAX) and the overflow threshold
LOG_RANGES = [(0.5, 2.0), (0.99, 1.01), (1.0 - 1e-9, 1.0 + 1e-9), (0.70, 0.72), (1.40, 1.43), (0.0, TINY),
              (0.0, 1e-300), (1.0, 1e22), (1e300, HUGE)]
CASES = [("log2", LOG_RANGES), ("log10", LOG_RANGES),
         ("exp2", [(0.0, 1.0), (1023.0, 1025.0), (1023.99, 1024.0), (1021.0, 1023.0), (1074.0, 1076.0),
                   (1074.9, 1075.1), (0.0, 1e-10), (0.0, 1e-300), (0.0, 1100.0)]),
         ("sinh", [(0.0, 1e-300), (0.0, 1e-8), (0.0, 1.0), (0.3, 0.6), (0.9, 1.1), (1.0, 22.0), (21.0, 23.0),
                   (700.0, 711.0), (709.78, 710.48)]),
         ("cosh", [(0.0, 1e-300), (0.0, 1e-8), (0.0, 1.0), (0.3, 0.4), (0.9, 1.1), (1.0, 22.0), (21.0, 23.0),
                   (700.0, 711.0), (709.78, 710.48)])]
OPS = [case[0] for case in CASES]
ULPS = 1  # each helper's bound against the correctly rounded value


def _arguments(op, dense):
    """The sweep (exp2's dense ranges with both signs cover its negative edges) plus exact points: the powers
    of 2 and 10 with their neighbours for the logarithms, the integers and half-integers for exp2."""
    x = _sweep64(*dense)
    if op.startswith("log"):
        points = np.concatenate([np.ldexp(1.0, np.arange(-1074, 1024)), 10.0 ** np.arange(-323, 309)])
    elif op == "exp2":
        points = np.arange(-1100.0, 1100.0, 0.5)
    else:
        points = np.array([0.5, 0.3465735912322998, 1.0, 22.0, 709.7822265625, 709.782712893384, OVERFLOW])
    return np.concatenate([x, points, np.nextafter(points, -np.inf), np.nextafter(points, np.inf)])


@pytest.mark.parametrize("op, dense", CASES, ids=OPS)
def test_within_one_ulp_of_the_correctly_rounded_value_and_of_numpy(op, dense):
    """Against long double: 1 ulp (the worst for all five; about 1% of the arguments are misrounded, up to
    7% near sqrt(2) for the logarithms, as fdlibm's). Against NumPy's float64 loop: 1 + NumPy's own worst
    distance from long double on the same arguments (1 here, where NumPy has SVML's AVX-512 loops)."""
    x = _arguments(op, dense)
    got = _run64(op, x)
    exact = correctly_rounded(getattr(np, op), x)
    worst, at = worst_ulps64(got, exact)
    assert worst <= ULPS, f"{op}({x[at]!r}) is {got[at]!r}, correctly rounded {exact[at]!r}: {worst} ulps"
    with np.errstate(all="ignore"):
        numpy = getattr(np, op)(x)
    numpy_error = worst_ulps64(numpy, exact)[0]
    worst, at = worst_ulps64(got, numpy)
    assert worst <= ULPS + numpy_error, f"{op}({x[at]!r}) is {got[at]!r}, NumPy's {numpy[at]!r}: {worst} ulps"


@pytest.mark.parametrize("op", OPS)
def test_special_values_are_numpys_bit_for_bit(op):
    """Infinities, zeros (with their signs), the domain's ends and NaN as NumPy gives them: a NaN argument
    is itself (its sign and payload), the domain's NaN (log of a negative) the machine's invalid NaN."""
    special = np.array(SPECIAL64 + [-2.0, -1e-300, 1024.0, 1023.9999999999999, -1022.0, -1074.0, -1075.0,
                                    -1074.5, -1100.0, OVERFLOW, np.nextafter(OVERFLOW, np.inf), 710.5, 1e308])
    payloads = np.array([0x7FF8000000000123, 0xFFF8000000000ABC], np.uint64).view(np.float64)  # quiet NaNs
    special = np.concatenate([special, -special, payloads])
    got = _run64(op, special)
    with np.errstate(all="ignore"):
        numpy = getattr(np, op)(special)
    nan = np.isnan(numpy)
    np.testing.assert_array_equal(np.isnan(got), nan)
    exact = ~nan & (np.isinf(numpy) | (numpy == 0) | np.isinf(special) | (special == 0))
    np.testing.assert_array_equal(got[exact].view(np.int64), numpy[exact].view(np.int64))
    np.testing.assert_array_equal(np.signbit(got[nan]), np.signbit(numpy[nan]), err_msg="a NaN's sign")
    arguments_nan = np.isnan(special)
    np.testing.assert_array_equal(got[arguments_nan].view(np.int64), special[arguments_nan].view(np.int64))
    if op.startswith("log"):
        assert np.all(np.isnan(got[special < 0]))  # (their sign: NumPy's, checked above)


def test_exact_results():
    """log2 of every power of 2 (subnormal ones too) and log10 of 10**k for k in 0..22 are k; exp2 of every
    integer is that power of 2 (0 from -1075 down, inf from 1024 up); cosh(0) = 1. As NumPy gives them."""
    k = np.arange(-1074, 1024)
    powers = np.ldexp(1.0, k)
    np.testing.assert_array_equal(_run64("log2", powers), k.astype(np.float64))
    np.testing.assert_array_equal(np.log2(powers), k.astype(np.float64))
    decades = np.arange(23)
    np.testing.assert_array_equal(_run64("log10", 10.0 ** decades), decades.astype(np.float64))
    np.testing.assert_array_equal(np.log10(10.0 ** decades), decades.astype(np.float64))
    integers = np.arange(-1100, 1100)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(_run64("exp2", integers.astype(np.float64)), np.ldexp(1.0, integers))
    assert _run64("cosh", np.array([0.0, -0.0]))[0] == 1.0


def test_exp2_subnormal_results():
    """Below -1022 the results are subnormal: ldexp rounds exp's 53 bits to their precision, a double
    rounding (as NumPy's is here): within 1 ulp of the correctly rounded value everywhere, and misrounded
    only where those 53 bits fall on a midpoint: a quarter just below 2**-1022, none of 44 bits or fewer
    (x < -1030) but 1 in 24000 measured; exp2(-1075) is +0 (a tie, to even), exp2(-1074.5) 2**-1074."""
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-1075.0, -1022.0, 200_000), rng.uniform(-1075.0, -1073.0, 20_000),
                        [-1075.0, -1074.5, np.nextafter(-1075.0, 0.0)]])
    got, exact = _run64("exp2", x), correctly_rounded(np.exp2, x)
    assert worst_ulps64(got, exact)[0] <= 1
    short = x < -1030.0
    assert np.sum(got[short] != exact[short]) < short.sum() // 2000
    np.testing.assert_array_equal(got[-3:].view(np.int64), [0, 1, 1])


def test_sinh_and_cosh_overflow_where_numpy_does():
    """sinh and cosh are finite up to 710.4758600739439 and inf from the next double on, as NumPy's, and
    within 1 ulp of the exact value (mpmath, 200 bits) near there, where fdlibm's exp(|x| / 2) squared is 2 off."""
    below = np.array([OVERFLOW - 1e-9 * i for i in range(200)])
    x = np.concatenate([below, [np.nextafter(OVERFLOW, np.inf), 710.5, 711.0, 720.0, 1e300]])
    mpmath.mp.prec = 200
    for op in ("sinh", "cosh"):
        got = np.concatenate([_run64(op, x), _run64(op, -x)])
        with np.errstate(over="ignore"):
            numpy = np.concatenate([getattr(np, op)(x), getattr(np, op)(-x)])
        np.testing.assert_array_equal(np.isinf(got), np.isinf(numpy))
        assert np.all(np.isfinite(got[:below.size])) and np.all(np.isinf(got[below.size:x.size]))
        exact = np.array([float(getattr(mpmath, op)(mpmath.mpf(float(v)))) for v in below])
        assert np.max(np.abs(_ordered64(got[:below.size]) - _ordered64(exact))) <= 1


def test_split_constants():
    """Each split constant's head has its low 32 mantissa bits clear (so its products with 21-bit heads and
    with exponents are exact) and head + tail is the constant to 2**-75 of it (mpmath at 200 bits)."""
    mpmath.mp.prec = 200
    values = {"IVLN2": 1 / mpmath.log(2), "IVLN10": 1 / mpmath.log(10), "LOG10_2": mpmath.log10(2), "LN2": mpmath.log(2)}
    constants = cpu_math_explog.CONSTANTS
    for name, value in values.items():
        exact = Fraction(mpmath.nstr(value, 60, min_fixed=-1, max_fixed=1))
        head, tail = constants[f"{name}_HI" if name != "LN2" else "LN2"], constants[f"{name}_LO"]
        if name != "LN2":
            assert np.float64(head).view(np.int64) & 0xFFFFFFFF == 0
        else:
            assert head == float(exact)  # ln2 rounded, its tail the rest
        assert abs(Fraction(head) + Fraction(tail) - exact) < exact * Fraction(1, 2 ** 75)


@pytest.mark.parametrize("op", OPS)
def test_a_float32_kernel_is_the_float64_value_rounded_once(op):
    """float32 kernels run the float64 helper: NumPy's float64 function rounded to float32, every one
    (double rounding could differ only within 2**-29 of a float32 ulp's midpoint)."""
    from .test_cpu_math import _run as run32, _sweep  # noqa: PLC0415 - float32 sweeps
    x = _sweep((0.0, 1.0), (1.0, 100.0), (0.0, 1e-37))
    with np.errstate(all="ignore"):
        got = run32(op, x)
        expected = getattr(np, op)(x.astype(np.float64)).astype(np.float32)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_kernels_call_the_helpers_and_match_numpy(dtype):
    """jit.script fuses each function into a CPU kernel over a 2-d array that calls the helper, not libm.
    float64: within 2 ulps of the function's value (1 of ours, 1 of NumPy's) and 1 of the sum of eager
    NumPy's (op(x * 0.5) + 1 cancels near -1). float32: the float64 function rounded to float32, then the
    float32 sum, bit for bit, and so within 3 ulps of NumPy's float32 loops (log10's are 3 off) and 1 of the sum."""
    scripted, eager = script_source("""
        def explog(x):
            return (np.log2(x * 0.5) + 1.0, np.log10(x * 0.5) + 1.0, np.exp2(x * 0.5) + 1.0,
                    np.sinh(x * 0.5) + 1.0, np.cosh(x * 0.5) + 1.0)
    """)
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.uniform(-8.0, 8.0, 5000), rng.uniform(0.0, 1.0, 1000),
                             np.exp(rng.uniform(-80.0, 80.0, 138)), [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0]])
    x = rng.permutation(values).reshape(64, 96).astype(dtype)
    with np.errstate(all="ignore"):
        for _ in range(3):  # profile, specialize, compile
            got = scripted(x)
        expected = eager(x)
        rounded = [getattr(np, op)((x * dtype(0.5)).astype(np.float64)).astype(dtype) + dtype(1.0) for op in OPS]
    op_ulps = 2 if dtype == np.float64 else 3
    for op, value, reference, once in zip(OPS, got, expected, rounded):
        assert value.dtype == reference.dtype == dtype
        nan = np.isnan(reference)
        np.testing.assert_array_equal(np.isnan(value), nan, err_msg=op)
        finite = np.isfinite(reference)
        np.testing.assert_array_equal(value[~finite & ~nan], reference[~finite & ~nan], err_msg=op)
        with np.errstate(over="ignore"):
            allowed = op_ulps * np.spacing(np.abs(reference - dtype(1.0))) + np.spacing(np.abs(reference))
        error = np.abs(value[finite] - reference[finite])
        assert np.all(error <= allowed[finite]), f"{op}: {np.max(error / allowed[finite])} of the allowed error"
        if dtype == np.float32:
            np.testing.assert_array_equal(value, once, err_msg=op)
    groups = scripted._executor.current()[0].report.fusion.details["groups"]
    sources = [variant.source for group in groups for variant in group.kernel.compiled]
    for op in OPS:
        helper = cpu_math_explog.OPS[op]
        assert any(f"{helper}(" in source for source in sources), f"no kernel calls {helper}"
    assert not any(re.search(r"math\.(log2|log10|sinh|cosh)\(|np\.exp2\(", source) for source in sources), \
        "a kernel still calls libm"


LOOP = """
@njit(error_model="numpy"{flags})
def loop(a, out):
    for i in range(a.shape[0]):
        out[i] = {helper}(a[i])
"""


def _loop(helper, contracted=False):
    namespace = {}
    flags = ', fastmath={"contract"}' if contracted else ""
    source = cpu._HEADER + cpu_math.source_of([helper]) + LOOP.format(helper=helper, flags=flags)
    exec(compile(source, f"<{helper} loop>", "exec"), namespace)  # noqa: S102 - our source
    return namespace["loop"]


@pytest.mark.parametrize("op", OPS)
def test_the_helpers_are_vectorized(op):
    """A loop over the helper has packed float64 arithmetic (AVX2/AVX-512) and calls no libm function."""
    helper = cpu_math_explog.OPS[op]
    loop = _loop(helper)
    x = np.linspace(0.01, 30.0, 1001)
    out = np.empty_like(x)
    loop(x, out)
    np.testing.assert_allclose(out, getattr(np, op)(x), rtol=3e-16, atol=0)
    assembly = next(iter(loop.inspect_asm().values()))
    assert re.search(r"\bv(fmadd|fmsub|fnmadd|mul|add)\w*pd\s+%[yz]mm", assembly), "no packed float64 arithmetic"
    assert not re.search(r"\b(log2|log10|exp2|sinh|cosh|exp|log)\b", assembly.replace(helper, "")), "a libm call is left"


@pytest.mark.parametrize("op, dense", CASES, ids=OPS)
def test_bounds_hold_with_fma_contraction(op, dense):
    """The kernels compile the helpers (inlined: they take the kernel's flags) without contraction, as the
    tests above run them; in a caller that lets a * b + c fuse into one FMA they keep their bound."""
    loop = _loop(cpu_math_explog.OPS[op], contracted=True)
    x = _arguments(op, dense)
    got = np.empty_like(x)
    loop(x, got)
    assert worst_ulps64(got, correctly_rounded(getattr(np, op), x))[0] <= ULPS
    assembly = next(iter(loop.inspect_asm().values()))
    assert re.search(r"\bvfn?m(add|sub)\w*pd\s", assembly) or "fma" not in _cpu_features(), "nothing was contracted"


# the helper whose source holds each function's ldexp line
SCALED = {"exp2": "_exp2_f64", "sinh": "_half_exp_pair_f64", "cosh": "_half_exp_pair_f64"}


@pytest.mark.parametrize("op, dense", CASES[2:], ids=OPS[2:])
def test_scaling_by_ldexp_and_by_two_factors_round_alike(op, dense):
    """exp2's, sinh's and cosh's 2**k is one vscalef where Numba's CPU has AVX-512 and two factors of shifted
    bits elsewhere (kernels.cpu_math._FACTORED_SCALINGS replaces their ldexp lines): the same bits either way."""
    assert "ldexp(" in cpu_math.helper_source(SCALED[op], vector_ldexp=True)
    assert "ldexp(" not in cpu_math.helper_source(SCALED[op], vector_ldexp=False)
    x = _arguments(op, dense)
    (by_ldexp, by_factors), _ = scaled_both_ways(cpu_math_explog.OPS[op], x)
    np.testing.assert_array_equal(by_ldexp.view(np.int64), by_factors.view(np.int64))
