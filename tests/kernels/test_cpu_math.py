"""The CPU kernels' own float32 functions (kernels.cpu_math) against NumPy over
float32: 2**20 bit patterns spread evenly over all of them (both signs, subnormals,
infinities, NaNs), every 97th float32 where a function bends or saturates, and
the special values, each run through a built one-instruction kernel; the float64
ones the same way over spread bit patterns, the special values and dense samples,
and sin and cos also where doubles come closest to multiples of pi/2, against an
exact reduction where NumPy's own is off."""
from __future__ import annotations

import math
import re
from fractions import Fraction

import llvmlite.binding as llvm
import numpy as np
import pytest

import jit.nn.functional as F
from jit.ops import special
from kernels import cache, cpu, cpu_math
from kernels.ir import Instr, Kernel, Operand, Output

from ..helpers import script_source

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
    _assert_within_ulps32(op, x, got, expected, ulps)


def test_float32_exp_is_within_1_ulp_of_correct_rounding_at_every_float_of_its_edges():
    """Every float32 where exp overflows, turns subnormal and rounds to 0, each side of each edge
    (the kernel has no selects for them: its clamp's bounds give inf and 0; the whole range was
    checked so once, 130 s), against exp in float64 rounded once."""
    edges = [(88.37, 88.76), (-87.4, -87.3), (-103.98, -103.96), (-104.1, -103.99),
             (-0.3467, -0.3465), (0.3465, 0.3467)]  # the last two: where the reduction's n steps
    x = np.concatenate([_every_float32(low, high) for low, high in edges] + [np.float32([np.inf, -np.inf, np.nan])])
    with np.errstate(all="ignore"):
        got, expected = _run("exp", x), np.exp(x.astype(np.float64)).astype(np.float32)
    _assert_within_ulps32("exp", x, got, expected, 1)


def _every_float32(low, high):
    """Every float32 in [low, high]."""
    if high <= 0:
        return -_every_float32(-high, -low)
    if low < 0:
        return np.concatenate([_every_float32(low, 0.0), _every_float32(0.0, high)])
    start, stop = np.float32([low, high]).view(np.int32)
    return np.arange(start, stop + 1, dtype=np.int32).view(np.float32)


SCALED_LOOP = """
import numpy as np
from numba import njit
@njit(error_model="numpy")
def loop(helper, a, out):
    for i in range(a.shape[0]):
        out[i] = helper(a[i])
"""


@pytest.mark.parametrize("helper, x", [
    ("_exp_f32", np.concatenate([np.linspace(-110.0, 90.0, 200_001, dtype=np.float32),
                                 _every_float32(-104.1, -103.96), _every_float32(88.37, 88.76),
                                 np.float32([np.inf, -np.inf, np.nan, 0.0, -0.0])])),
    ("_exp_f64", np.concatenate([np.linspace(-760.0, 720.0, 400_001), np.linspace(-745.2, -708.3, 100_001),
                                 [np.inf, -np.inf, np.nan, 709.78, 709.79, -0.0]])),
    ("_expm1_f64", np.concatenate([np.linspace(-50.0, 720.0, 400_001), np.linspace(38.0, 41.0, 10_001),
                                   [np.inf, -np.inf, np.nan, 709.78, 709.79, -0.0, 1e-300]])),
    ("_tanh_f64", np.linspace(-25.0, 25.0, 400_001))], ids=["exp32", "exp64", "expm1", "tanh64"])
def test_exp_scaling_by_ldexp_and_by_two_factors_round_alike(helper, x):
    """exp's 2**k is one vscalef where Numba's CPU has AVX-512 and two factors of shifted bits elsewhere:
    both round once, so the two helper modules give the same bits (and the vscalef is there)."""
    (by_ldexp, by_factors), (assembly, _) = scaled_both_ways(helper, x)
    assert "vscalef" in assembly or "avx512f" not in _cpu_features(), "ldexp is not one vscalef"
    assert np.array_equal(by_ldexp.view(x.dtype.str.replace("f", "i")), by_factors.view(x.dtype.str.replace("f", "i")))


def scaled_both_ways(helper: str, x):
    """((``helper`` over ``x`` from the helper module with ldexp, from the one with two factors), the
    assembly of each loop)."""
    results, assemblies = [], []
    for vector_ldexp in (True, False):
        helpers = cache.load_module(cpu_math.shared_module_source(vector_ldexp=vector_ldexp))
        namespace = {}
        exec(compile(SCALED_LOOP, "<scaled>", "exec"), namespace)  # noqa: S102 - our source
        out = np.empty_like(x)
        namespace["loop"](getattr(helpers, helper), x, out)
        results.append(out)
        assemblies.append(next(iter(namespace["loop"].inspect_asm().values())))
    return results, assemblies


def _assert_within_ulps32(op, x, got, expected, ulps):
    """NaN where NumPy has NaN, else at most ``ulps`` apart, and zeros with its sign."""
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


def _run64(op, *arrays):
    operands = tuple(Operand(f"a{i}", "float64", 1) for i in range(len(arrays)))
    kernel = Kernel(f"sweep64_{op}", operands, (Instr("t0", op, tuple(o.name for o in operands), "float64"),),
                    (Output("out0", "t0", "float64"),), 1)
    result = cpu.build(kernel).launch(*arrays)
    return result[0] if isinstance(result, tuple) else result


# sin, cos: both sides of pi/4 (where the reduction starts), and small to huge arguments
TRIG_RANGES = [(0.0, 1.0), (0.7, 0.9), (1.0, 100.0), (1e3, 1e6), (1e15, 1e17), (1e20, 1e23),
               (1e300, 1.7976931348623157e308)]
# erf: where its pieces meet (0.84375, 1.25, 1 / 0.35, 6), tiny and subnormal arguments
ERF_RANGES = [(0.0, 1e-300), (0.0, 1e-8), (0.0, 0.84375), (0.8, 1.3), (1.2, 3.0), (2.8, 2.9), (2.5, 6.5), (5.9, 30.0)]
# op, NumPy's function, the ulps allowed, where to look closely
CASES64 = [("exp", np.exp, 1, [(0.0, 1.0), (700.0, 710.0), (708.0, 746.0), (0.0, 1e-10)]),
           ("expm1", np.expm1, 1, [(0.0, 1.0), (0.3, 0.8), (0.0, 1e-10), (30.0, 45.0), (700.0, 710.0)]),
           ("log", np.log, 1, [(0.5, 2.0), (0.99, 1.01), (0.0, 1e-300), (1e300, 1.7e308)]),
           ("log1p", np.log1p, 1, [(0.0, 1.0), (0.0, 1e-10), (1.0, 1e10), (0.99, 1.0)]),
           ("tanh", np.tanh, 1, [(0.0, 1.0), (0.0, 1e-10), (0.6, 0.65), (0.5, 0.6), (15.0, 25.0)]),
           ("sin", np.sin, 1, TRIG_RANGES),
           ("cos", np.cos, 1, TRIG_RANGES),
           ("erf", _erf, 1, ERF_RANGES)]


@pytest.mark.parametrize("op, reference, ulps, dense", CASES64, ids=[case[0] for case in CASES64])
def test_float64_function_is_within_its_ulps_of_numpy(op, reference, ulps, dense):
    x = _sweep64(*dense)
    with np.errstate(all="ignore"):
        got, expected = _run64(op, x), reference(x)
    _assert_within_ulps64(op, x, got, expected, ulps)


def _assert_within_ulps64(op, x, got, expected, ulps):
    """NaN where the reference (NumPy's) has NaN, else at most ``ulps`` apart, and zeros with its sign."""
    assert got.dtype == np.float64 and expected.dtype == np.float64
    worst, at = worst_ulps64(got, expected)
    assert worst <= ulps, (f"{op}({x[at]!r}) is {got[at]!r}, the reference {expected[at]!r}: {worst} ulps apart, "
                           f"{ulps} allowed")


def worst_ulps64(got, reference) -> tuple:
    """(the largest distance in ulps where ``reference`` is a number, its index), once NaN is found where the
    reference has NaN and nowhere else, and zeros with its signs."""
    nan = np.isnan(reference)
    np.testing.assert_array_equal(np.isnan(got), nan, err_msg="NaN where the reference has none, or none where it has")
    zeros = reference == 0
    np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(reference[zeros]),
                                  err_msg="the sign of a zero differs from the reference's")
    if nan.all():
        return 0, 0
    distance = np.abs(_ordered64(got[~nan]) - _ordered64(reference[~nan]))
    at = int(np.argmax(distance))
    return int(distance[at]), int(np.flatnonzero(~nan)[at])


def correctly_rounded(function, *arrays):
    """``function`` of float64 arguments in x86's 80-bit long double (11 more bits), rounded to float64 once."""
    with np.errstate(all="ignore"):
        return function(*(a.astype(np.longdouble) for a in arrays)).astype(np.float64)


# The doubles nearest k * pi/2 (below), and values where glibc, and so NumPy, is right
TRIG_SPECIAL = [0.0, -0.0, 5e-324, -5e-324, 1e-300, 2.2250738585072014e-308, 0.7853981633974483, 0.7853981633974484,
                1e22, 2.0 ** 1000, 1.7e308, 1.7976931348623157e308, np.inf, -np.inf, np.nan]


@pytest.mark.parametrize("op, reference", [("sin", np.sin), ("cos", np.cos)], ids=["sin", "cos"])
def test_float64_sin_and_cos_near_multiples_of_half_pi(op, reference):
    """Up to k = 2**17 the doubles nearest k * pi/2 and their neighbours, where the reduction cancels
    the most bits, and the special values: within 1 ulp of NumPy, NaN for the infinities."""
    near = np.arange(1, 2 ** 17 + 1) * (np.pi / 2)
    x = np.concatenate([np.array(TRIG_SPECIAL), near, np.nextafter(near, 0.0), np.nextafter(near, np.inf)])
    x = np.concatenate([x, -x])
    with np.errstate(all="ignore"):
        got, expected = _run64(op, x), reference(x)
    _assert_within_ulps64(op, x, got, expected, 1)


_TWO_OVER_PI_BITS = 2400  # x * 2/pi to within 2**-1370 for the largest double


def _closest_to_multiples_of_half_pi(exponent):
    """Doubles m * 2**exponent (2**52 <= m < 2**53) that lie closest to multiples of pi/2: the first
    multiples in that range of the last denominators below 2**53 of the continued fraction of
    2**exponent * 2/pi (mod 1), whose multiples come nearest to integers."""
    two_over_pi = Fraction(cpu_math._two_over_pi_bits(_TWO_OVER_PI_BITS), 1 << _TWO_OVER_PI_BITS)
    value = (two_over_pi * Fraction(2) ** exponent) % 1
    before, denominator, denominators = 1, 0, []
    while value:
        whole = math.floor(value)
        before, denominator = denominator, whole * denominator + before
        if denominator >= 1 << 53:
            break
        denominators.append(denominator)
        value = 1 / (value - whole)
    found = []
    for q in denominators[-3:]:
        first = -(-(1 << 52) // q)
        found += [math.ldexp(j * q, exponent) for j in (first, first + 1) if j * q < 1 << 53]
    return found


def _hardest_arguments(exponents):
    """Those doubles for each of the exponents, with both signs."""
    x = np.array([value for exponent in exponents for value in _closest_to_multiples_of_half_pi(exponent)])
    return np.concatenate([x, -x])


def _exactly_reduced(op, x):
    """sin or cos of each x by x * 2/pi = q + f in exact fractions, then NumPy's sin and cos of f * pi/2
    rounded, corrected to first order by its rounding error."""
    two_over_pi = Fraction(cpu_math._two_over_pi_bits(_TWO_OVER_PI_BITS), 1 << _TWO_OVER_PI_BITS)
    quadrants, reduced, errors = [], [], []
    for value in x:
        y = Fraction(float(value)) * two_over_pi
        q = round(y)
        r = (y - q) / two_over_pi
        quadrants.append(q % 4)
        reduced.append(float(r))
        errors.append(float(r - Fraction(reduced[-1])))
    q, r, error = np.array(quadrants), np.array(reduced), np.array(errors)
    sin, cos = np.sin(r) + np.cos(r) * error, np.cos(r) - np.sin(r) * error
    if op == "cos":  # cos(x) = sin(x + pi/2)
        q = (q + 1) % 4
    return np.choose(q, [sin, cos, -sin, -cos])


def test_float64_sin_and_cos_at_the_hardest_reductions():
    """Where a double lies closest to a multiple of pi/2, for exponents across the whole range (and
    6381956970095103 * 2**797, the closest of all, is found among them), sin and cos are within 1 ulp
    of the exactly reduced value. NumPy's (glibc's) cos is 8 ulps off at that one."""
    x = _hardest_arguments([*range(-52, 972, 8), 797])
    assert 6381956970095103 * 2.0 ** 797 in x
    for op in ("sin", "cos"):
        _assert_within_ulps64(op, x, _run64(op, x), _exactly_reduced(op, x), 1)


def test_float64_pi_bits_round_to_pi():
    """The 2/pi the reduction's table is cut from: pi from its first 60 bits, and from 2400, rounds to np.pi."""
    for bits in (60, _TWO_OVER_PI_BITS):
        assert float(Fraction(2 << bits, cpu_math._two_over_pi_bits(bits))) == np.pi


CONTRACTED_LOOP = """
@njit(error_model="numpy", fastmath={{"contract"}})
def contracted(a, out):
    for i in range(a.shape[0]):
        out[i] = {helper}(a[i])
"""


@pytest.mark.parametrize("op, reference, dense", [("sin", np.sin, TRIG_RANGES), ("cos", np.cos, TRIG_RANGES),
                                                   ("erf", _erf, ERF_RANGES)], ids=["sin", "cos", "erf"])
def test_float64_inlined_helpers_with_fma_contraction(op, reference, dense):
    """The kernels compile sin, cos and erf (inlined) without contraction, as the tests above run them;
    in a caller that lets a * b + c fuse into one FMA they keep the same bounds."""
    namespace = {}
    source = cpu._HEADER + cpu_math.source_of([f"_{op}_f64"]) + CONTRACTED_LOOP.format(helper=f"_{op}_f64")
    exec(compile(source, "<contracted>", "exec"), namespace)  # noqa: S102 - our source
    hardest = _hardest_arguments(range(-52, 972, 64)) if op in ("sin", "cos") else np.array([])
    x = np.concatenate([_sweep64(*dense), hardest])
    got = np.empty_like(x)
    namespace["contracted"](x, got)
    with np.errstate(all="ignore"):
        expected = reference(x)
    if hardest.size:
        expected[-hardest.size:] = _exactly_reduced(op, hardest)
    _assert_within_ulps64(op, x, got, expected, 1)
    assembly = next(iter(namespace["contracted"].inspect_asm().values()))
    assert re.search(r"\bvfn?m(add|sub)\w*pd\s", assembly) or "fma" not in _cpu_features(), "nothing was contracted"


def _cpu_features():
    """What Numba's LLVM may use on this CPU."""
    return {name.lstrip("+") for name in llvm.get_host_cpu_features().flatten().split(",") if name.startswith("+")}


# helpers, the loop's body, its NumPy form
VECTORIZED = [(["_exp_f64", "_log1p_f64", "_tanh_f64"], "_log1p_f64(_exp_f64(a[i])) + _tanh_f64(a[i])",
               lambda x: np.log1p(np.exp(x)) + np.tanh(x)),
              (["_sin_f64", "_cos_f64"], "_sin_f64(a[i]) + _cos_f64(a[i]) + 3.0",
               lambda x: np.sin(x) + np.cos(x) + 3.0),
              (["_erf_f64"], "_erf_f64(a[i]) + 2.0", lambda x: _erf(x) + 2.0),
              (["_pow_f64"], "_pow_f64(abs(a[i]) + 1.0, a[i])", lambda x: np.power(np.abs(x) + 1.0, x))]


@pytest.mark.parametrize("helpers, body, reference", VECTORIZED, ids=["exp-log1p-tanh", "sin-cos", "erf", "power"])
def test_float64_helpers_are_used_and_vectorized(helpers, body, reference):
    """The float64 kernel calls the helper, not libm, and its loop is packed (AVX2/AVX-512)."""
    source = cpu_math.source_of(helpers)
    loop_source = f"""
@njit(error_model="numpy")
def loop(a, out):
    for i in range(a.shape[0]):
        out[i] = {body}
"""
    namespace = {}
    exec(compile(cpu._HEADER + source + loop_source, "<float64 helpers>", "exec"), namespace)  # noqa: S102 - our source
    loop = namespace["loop"]
    x = np.linspace(-30.0, 30.0, 1001)
    out = np.empty_like(x)
    loop(x, out)
    with np.errstate(all="ignore"):
        # (atol: NumPy's terms are within an ulp or two themselves; log1p(exp(x)) + tanh(x) cancels near -0.5)
        np.testing.assert_allclose(out, reference(x), rtol=1e-15, atol=2 * np.finfo(np.float64).eps)
    assembly = next(iter(loop.inspect_asm().values()))
    assert re.search(r"\bv(fmadd|fmsub|fnmadd|mul|add)\w*pd\s+%[yz]mm", assembly), "no packed float64 arithmetic"


def test_fused_float64_kernels_call_the_helpers_and_match_numpy():
    """jit.script fuses sin, cos and exact GELU (its erf) into CPU kernels that call the helpers, not
    libm, over spread bit patterns (all exponents, NaN, the infinities) and the special values: sin and
    cos within 1 ulp of eager NumPy, 2 * GELU within 2 ulps of itself and 1 of x (1 + erf cancels)."""
    scripted, eager = script_source("""
        def sin_cos_gelu(x):
            return np.sin(x) * 2.0, np.cos(x) * 0.5, F.gelu(x) * 2.0  # a lone GELU is not fused
    """, F=F)
    spread = (np.arange(2 ** 14, dtype=np.uint64) * np.uint64((2 ** 64 - 1) // 2 ** 14)).view(np.float64)
    x = np.concatenate([spread, np.resize(TRIG_SPECIAL, 2 ** 10), np.linspace(-10.0, 10.0, 2 ** 12)]).reshape(84, 256)
    with np.errstate(all="ignore"):
        for _ in range(3):  # profile, specialize, compile
            got = scripted(x)
        expected = eager(x)
    for op, value, reference in zip(("sin", "cos"), got, expected):
        _assert_within_ulps64(op, x.ravel(), value.ravel(), reference.ravel(), 1)
    finite = np.isfinite(expected[2])
    allowed = 2 * np.spacing(np.abs(expected[2][finite])) + np.spacing(np.abs(x[finite]))
    assert np.all(np.abs(got[2][finite] - expected[2][finite]) <= allowed)
    np.testing.assert_array_equal(got[2][~finite], expected[2][~finite])
    groups = scripted._executor.current()[0].report.fusion.details["groups"]
    sources = [variant.source for group in groups for variant in group.kernel.compiled]
    for helper in ("_sin_f64(", "_cos_f64(", "_erf_f64("):
        assert any(helper in source for source in sources), f"no kernel calls {helper}"
    assert not any(f"math.{name}" in source for source in sources for name in ("sin", "cos", "erf")), \
        "a kernel still calls libm"


# -- power -----------------------------------------------------------------------------------------

# Exponents where pow's cases part: integers (odd, even, huge: from 2**53 on all are even), half-integers
# and others (a negative base gives NaN), the smallest and largest, the infinities, NaN, both zeros.
POWER_EXPONENTS = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 7.0, -7.0, 0.5, -0.5, 1.5, -2.5, 1 / 3, np.pi, 3.7,
                   -1074.5, 1023.0, 2.0 ** 52 + 1, -(2.0 ** 52 + 1), 2.0 ** 53, 2.0 ** 53 + 2, 2.0 ** 63, 1e300, -1e300,
                   1.7976931348623157e308, -1.7976931348623157e308, 5e-324, -5e-324, 1e-300, -1e-300, np.inf, -np.inf,
                   np.nan, -np.nan]
# Bases: near 1 (where log x is tiny and y * log x must keep its digits), tiny, subnormal and huge
POWER_BASE_RANGES = [(0.5, 2.0), (0.999, 1.001), (1.0 - 1e-12, 1.0 + 1e-12), (0.0, 1e-300),
                     (0.0, 2.2250738585072014e-308), (1e300, 1.7976931348623157e308)]


def _run_power(x, y):
    dtype = str(x.dtype)
    kernel = Kernel(f"sweep_power_{dtype}", (Operand("a0", dtype, 1), Operand("a1", dtype, 1)),
                    (Instr("t0", "power", ("a0", "a1"), dtype),), (Output("out0", "t0", dtype),), 1)
    result = cpu.build(kernel).launch(x, y)
    return result[0] if isinstance(result, tuple) else result


def _power_cases():
    """(x, y) pairs: every swept base with each exponent in turn and with a random one, spread bit
    patterns against spread bit patterns, and bases with exponents that land y * log x from below
    the subnormals to beyond overflow."""
    x = _sweep64(*POWER_BASE_RANGES)
    rng = np.random.default_rng(21)
    spread = (np.arange(2 ** 18, dtype=np.uint64) * np.uint64((2 ** 64 - 1) // 2 ** 18)).view(np.float64)
    near_edges = rng.uniform(0.5, 2.0, 200_000)
    with np.errstate(all="ignore"):
        y_to_edges = rng.uniform(-746.0, 710.0, near_edges.size) / np.log(near_edges)
    xs = [x, x, spread, near_edges, -near_edges]
    ys = [np.resize(POWER_EXPONENTS, x.size), rng.uniform(-60.0, 60.0, x.size), rng.permutation(spread),
          y_to_edges, np.round(y_to_edges)]
    return np.concatenate(xs), np.concatenate(ys)


def test_float64_power_is_within_one_ulp_of_numpy():
    """The kernels' float64 pow (the _pow_f64 helper) against np.power: within 1 ulp, NaN where it has NaN."""
    x, y = _power_cases()
    with np.errstate(all="ignore"):
        got, expected = _run_power(x, y), np.power(x, y)
    _assert_within_ulps64("power", x, got, expected, 1)


def test_float64_power_special_cases_are_exact():
    """Every special value against every exponent, each bit as NumPy has it (the NaNs as NaN) where C99
    fixes the result: x or y 0, 1, -1, inf or NaN, |y| huge (inf or 0) or tiny (1), a negative base with
    a non-integer exponent (NaN), the odd integers' signs; and within 1 ulp everywhere else."""
    bases = np.array(SPECIAL64 + [-0.5, -2.0, -3.7, 1.0 - 2.0 ** -53, 1.0 + 2.0 ** -52, -(1.0 + 2.0 ** -52)])
    x = np.repeat(bases, len(POWER_EXPONENTS))
    y = np.tile(POWER_EXPONENTS, bases.size)
    with np.errstate(all="ignore"):
        got, expected = _run_power(x, y), np.power(x, y)
    _assert_within_ulps64("power", x, got, expected, 1)
    special = np.array([0.0, 1.0, np.inf])
    fixed = (np.isin(np.abs(x), special) | np.isnan(x) | np.isin(np.abs(y), special[[0, 2]]) | np.isnan(y)
             | (np.abs(y) >= 1e300) | (np.abs(y) <= 1e-300) | np.isnan(expected))
    assert fixed.sum() > x.size // 2
    nan = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(got[fixed]), nan[fixed])
    np.testing.assert_array_equal(got[fixed & ~nan].view(np.int64), expected[fixed & ~nan].view(np.int64),
                                  err_msg="a special case's bits differ from NumPy's (sign of a zero or an inf)")
    assert np.array_equal(np.signbit(got[~nan]), np.signbit(expected[~nan])), "a power with the wrong sign"


def test_float64_power_rounds_subnormal_results_once():
    """Where x**n (n an integer) is subnormal, the helper rounds it once, to the subnormal's own precision:
    each result is the exact power (in fractions) correctly rounded."""
    rng = np.random.default_rng(23)
    x = np.concatenate([rng.uniform(0.5, 0.9, 300), rng.uniform(1.1, 2.0, 300)])
    n = np.round(rng.uniform(-745.0, -708.5, x.size) / np.log(x))
    got = _run_power(x, n)
    exact = np.array([float(Fraction(float(base)) ** int(power)) for base, power in zip(x, n)])
    assert np.sum(exact < 2.2250738585072014e-308) > x.size // 2
    np.testing.assert_array_equal(got, exact)


def test_float64_power_with_fma_contraction():
    """The kernels compile the power without contraction; in a caller that fuses a * b + c into FMAs
    it keeps its bound: every product its sums lean on is exact."""
    namespace = {}
    loop = CONTRACTED_LOOP.replace("{helper}(a[i])", "_pow_f64(a[i], b[i])").replace("(a, out)", "(a, b, out)")
    exec(compile(cpu._HEADER + cpu_math.source_of(["_pow_f64"]) + loop.format(), "<contracted>", "exec"),  # noqa: S102
         namespace)
    x, y = _power_cases()
    got = np.empty_like(x)
    namespace["contracted"](x, y, got)
    with np.errstate(all="ignore"):
        expected = np.power(x, y)
    _assert_within_ulps64("power", x, got, expected, 1)
    assembly = next(iter(namespace["contracted"].inspect_asm().values()))
    assert re.search(r"\bvfn?m(add|sub)\w*pd\s", assembly) or "fma" not in _cpu_features(), "nothing was contracted"


def test_float32_power_is_within_one_ulp_of_numpy():
    """float32 pow is the float64 helper's result rounded once more: within 1 ulp of NumPy's float32 power."""
    x = _sweep((0.5, 2.0), (0.0, 1e-37))
    exponents = np.array([e for e in POWER_EXPONENTS if not abs(e) > 3.4e38], np.float32)  # those float32 has
    specials = np.array(SPECIAL, np.float32)
    random = np.random.default_rng(22).uniform(-40.0, 40.0, x.size).astype(np.float32)
    x, y = (np.concatenate([x, x, np.repeat(specials, exponents.size)]),
            np.concatenate([np.resize(exponents, x.size), random, np.tile(exponents, specials.size)]))
    with np.errstate(all="ignore"):
        got, expected = _run_power(x, y), np.power(x, y)
    _assert_within_ulps32("power", x, got, expected, 1)
