"""kernels.cpu_math_more's float64 tan, cbrt, arcsinh, arccosh and arctanh, each run through a built
one-instruction kernel over spread bit patterns, the special values and dense samples where it bends, against
the correctly rounded value: the same function in np.longdouble (x86's 80-bit libm, 11 more bits) rounded to
float64. Each is within 1 ulp of it, and so within 2 of NumPy's, itself up to 1 off (measured here too)."""
from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest

from kernels import cpu, cpu_math

from ..helpers import script_source
from .test_cpu_math import (CONTRACTED_LOOP, SPECIAL64, TRIG_RANGES, _TWO_OVER_PI_BITS, _assert_within_ulps32,
                            _hardest_arguments, _run, _run64, _sweep, _sweep64, correctly_rounded, worst_ulps64)

# The ulps allowed from the correctly rounded value, and NumPy's own largest error (of these sweeps, against
# the same oracle), which is also asserted, so that a NumPy that changed would show here.
ULPS = 1
NUMPY_ULPS = 1
# The last doubles below 1 and above it, where arctanh goes to inf and arccosh to 0
BELOW_ONE = 1.0 - np.arange(1, 2001) * 2.0 ** -53
ABOVE_ONE = 1.0 + np.arange(1, 2001) * 2.0 ** -52
# op, where to look closely
RANGES = {
    # below pi/4 (the reduction starts there), 0.6744 (__kernel_tan's tan(pi/4 - x) form), near pi/2, tiny
    "tan": [*TRIG_RANGES, (0.66, 0.69), (1.5, 1.65), (0.0, 1e-8), (0.0, 1e-300)],
    # subnormals, 2**-900 (where the scaling starts), 1 to a million, the largest doubles
    "cbrt": [(0.0, 2.2250738585072014e-308), (1e-272, 1e-270), (0.0, 1.0), (1.0, 1e6), (1e300, 1.7976931348623157e308)],
    # 2**-28 (x itself below), 2 (fdlibm's forms part), 2**28 (log(2x) above), 2**1023 (log(x) + ln2 above)
    "arcsinh": [(0.0, 1e-8), (0.0, 1.0), (1.9, 2.1), (2.6e8, 2.8e8), (8e307, 1.7976931348623157e308)],
    "arccosh": [(1.0, 1.0 + 1e-10), (1.0, 1.1), (0.9, 1.0), (1.9, 2.1), (2.6e8, 2.8e8),
                (8e307, 1.7976931348623157e308)],
    "arctanh": [(0.0, 1e-8), (0.0, 0.6), (0.45, 0.55), (0.9, 1.0), (1.0 - 1e-10, 1.0), (1.0, 1.1)],
}
OPS = list(RANGES)


def _near_half_pi_multiples():
    """The doubles nearest k * pi/2 for k up to 2**17 and their neighbours (tan's poles and zeros)."""
    near = np.arange(1, 2 ** 17 + 1) * (np.pi / 2)
    return np.concatenate([near, np.nextafter(near, 0.0), np.nextafter(near, np.inf)])


def _arguments(op):
    extra = {"tan": _near_half_pi_multiples(), "arccosh": ABOVE_ONE, "arctanh": BELOW_ONE}.get(op, np.array([]))
    return np.concatenate([_sweep64(*RANGES[op]), extra, -extra])


@pytest.mark.parametrize("op", OPS)
def test_float64_function_is_within_one_ulp_of_the_correctly_rounded_value(op):
    x = _arguments(op)
    got, exact = _run64(op, x), correctly_rounded(getattr(np, op), x)
    with np.errstate(all="ignore"):
        numpy = getattr(np, op)(x)
    for what, value, reference, bound in (("NumPy against the correctly rounded value", numpy, exact, NUMPY_ULPS),
                                          ("the helper against the correctly rounded value", got, exact, ULPS),
                                          ("the helper against NumPy", got, numpy, ULPS + NUMPY_ULPS)):
        worst, at = worst_ulps64(value, reference)
        assert worst <= bound, f"{op}({x[at]!r}), {what}: {value[at]!r}, {reference[at]!r}: {worst} ulps apart"

def _exactly_reduced_tan(x):
    """tan of each x by x * 2/pi = q + f in exact fractions, then tan(f * pi/2) in long double (f * pi/2
    given as a double and its rest), or -1 over it for odd q."""
    two_over_pi = Fraction(cpu_math._two_over_pi_bits(_TWO_OVER_PI_BITS), 1 << _TWO_OVER_PI_BITS)
    result = []
    for value in x:
        y = Fraction(float(value)) * two_over_pi
        q = round(y)
        r = (y - q) / two_over_pi
        head = float(r)
        t = np.tan(np.longdouble(head) + np.longdouble(float(r - Fraction(head))))
        result.append(t if q % 2 == 0 else -1 / t)
    return np.array(result).astype(np.float64)


def test_float64_tan_at_the_hardest_reductions():
    """Where doubles lie closest to multiples of pi/2 (exponents across the whole range, and
    6381956970095103 * 2**797): within 1 ulp of tan exactly reduced (as are long double tan and NumPy's)."""
    x = _hardest_arguments([*range(-52, 972, 8), 797])
    exact = _exactly_reduced_tan(x)
    for name, value, bound in (("long double tan", correctly_rounded(np.tan, x), 0), ("NumPy's tan", np.tan(x), NUMPY_ULPS),
                               ("the helper", _run64("tan", x), ULPS)):
        worst, at = worst_ulps64(value, exact)
        assert worst <= bound, f"{name} of {x[at]!r} is {value[at]!r}, exactly reduced {exact[at]!r}: {worst} ulps"


def test_float64_cbrt_of_perfect_cubes_is_exact():
    """n**3 * 2**(3k) for n up to 2**17 (so that n**3 is a double) and k from the subnormals to the largest
    doubles: cbrt is n * 2**k exactly, as NumPy's is."""
    n = np.arange(1, 2 ** 17 + 1, dtype=np.float64)
    k = np.arange(-358, 325, 7)
    root = np.ldexp(n[:, None], k[None, :]).ravel()
    cube = np.ldexp((n ** 3)[:, None], 3 * k[None, :]).ravel()
    exact = np.ldexp(cube, np.repeat(-3 * k[None, :], n.size, axis=0).ravel()) == np.repeat(n ** 3, k.size)
    root, cube = root[exact], cube[exact]  # not those rounded as subnormals
    assert np.sum(cube < 2.2250738585072014e-308) > 1000 and np.sum(cube > 1e300) > 1000
    assert np.array_equal(np.cbrt(cube), root), "NumPy's cbrt of a perfect cube is not exact"
    assert np.array_equal(_run64("cbrt", np.concatenate([cube, -cube])), np.concatenate([root, -root]))


# Where the functions' cases part or their domains end, and NaNs with payloads
EDGES = [0.5, -0.5, 2.0, -2.0, 1.0 - 2.0 ** -53, -(1.0 - 2.0 ** -53), 1.0 + 2.0 ** -52, -(1.0 + 2.0 ** -52),
         2.0 ** -28, 2.0 ** 28, 2.0 ** 1023, -(2.0 ** 1023), 1.1830521861667747e-271, np.pi / 2, -np.pi / 2,
         0.6743354797363281, 0.7853981633974483, 1e300, -1e300]
PAYLOAD_NANS = np.array([0x7FF8000000000123, 0xFFF8000000000123, 0x7FF80000DEADBEEF], np.uint64).view(np.float64)


@pytest.mark.parametrize("op", OPS)
def test_float64_special_values_are_numpys(op):
    """Where NumPy's result is 0, an infinity or NaN, the helper's has the same bits (a NaN argument is
    returned as it is, payload and sign; a domain error is the machine's invalid-operation NaN, whose sign
    NumPy's has too: arccosh(0.5), arctanh(2), tan(inf)); elsewhere within the bound of NumPy's."""
    x = np.concatenate([np.array(SPECIAL64 + EDGES), PAYLOAD_NANS])
    with np.errstate(all="ignore"):
        got, numpy = _run64(op, x), getattr(np, op)(x)
    fixed = (numpy == 0) | np.isinf(numpy) | np.isnan(numpy)
    np.testing.assert_array_equal(got[fixed].view(np.uint64), numpy[fixed].view(np.uint64),
                                  err_msg=f"{op}: a special value's bits differ from NumPy's")
    nan_arguments = np.isnan(x)
    np.testing.assert_array_equal(got[nan_arguments].view(np.uint64), x[nan_arguments].view(np.uint64))
    worst, at = worst_ulps64(got, numpy)
    assert worst <= ULPS + NUMPY_ULPS, f"{op}({x[at]!r}) is {got[at]!r}, NumPy's {numpy[at]!r}: {worst} ulps apart"


@pytest.mark.parametrize("op", OPS)
def test_float64_helpers_with_fma_contraction(op):
    """The kernels compile the helpers without contraction (the tests above); in a caller that fuses a * b + c
    into FMAs they keep the same bound."""
    helper = cpu_math.FLOAT64_OPS[op]
    namespace = {}
    source = cpu._HEADER + cpu_math.source_of([helper]) + CONTRACTED_LOOP.format(helper=helper)
    exec(compile(source, "<contracted>", "exec"), namespace)  # noqa: S102 - our source
    x = _arguments(op)
    got = np.empty_like(x)
    namespace["contracted"](x, got)
    exact = correctly_rounded(getattr(np, op), x)
    worst, at = worst_ulps64(got, exact)
    assert worst <= ULPS, f"{op}({x[at]!r}) is {got[at]!r}, correctly rounded {exact[at]!r}: {worst} ulps apart"


# A domain for each function in the loop and the fused kernel below
DOMAINS = {"tan": (-30.0, 30.0), "cbrt": (-30.0, 30.0), "arcsinh": (-30.0, 30.0), "arccosh": (1.0, 30.0),
           "arctanh": (-0.999, 0.999)}


@pytest.mark.parametrize("op", OPS)
def test_float64_helper_is_vectorized(op):
    """A loop over the helper (NumPy's function is a libm call in Numba) has packed float64 arithmetic."""
    helper = cpu_math.FLOAT64_OPS[op]
    loop_source = f"""
@njit(error_model="numpy")
def loop(a, out):
    for i in range(a.shape[0]):
        out[i] = {helper}(a[i]) * 2.0
"""
    namespace = {}
    exec(compile(cpu._HEADER + cpu_math.source_of([helper]) + loop_source, "<float64 helper>", "exec"),  # noqa: S102
         namespace)
    loop = namespace["loop"]
    x = np.linspace(*DOMAINS[op], 1001)
    out = np.empty_like(x)
    loop(x, out)
    np.testing.assert_allclose(out, getattr(np, op)(x) * 2.0, rtol=1e-15, atol=0)
    assembly = next(iter(loop.inspect_asm().values()))
    assert re.search(r"\bv(fmadd|fmsub|fnmadd|mul|add|div)\w*pd\s+%[yz]mm", assembly), "no packed float64 arithmetic"


# NumPy's float32 functions' largest errors from the correctly rounded float32 (its float64 function
# rounded) over these arguments; the kernels' float32 is the float64 helper rounded, within 1 of it.
NUMPY_FLOAT32_ULPS = {"tan": 3, "cbrt": 2, "arcsinh": 1, "arccosh": 1, "arctanh": 1}
LIBM = {"tan": "math.tan(", "cbrt": "np.cbrt(", "arcsinh": "math.asinh(", "arccosh": "math.acosh(",
        "arctanh": "math.atanh("}


def _fused_arguments():
    spread = (np.arange(2 ** 14, dtype=np.uint64) * np.uint64((2 ** 64 - 1) // 2 ** 14)).view(np.float64)
    dense = [np.linspace(low, high, 2 ** 11) for low, high in DOMAINS.values()]
    special = np.resize(np.array(SPECIAL64 + EDGES), 2 ** 10)
    return np.concatenate([spread, special, *dense]).reshape(-1, 256)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fused_kernels_call_the_helpers_and_match_numpy(dtype):
    """jit.script fuses each function into a CPU kernel (over a 2-d array) that calls the helper, not libm:
    float64 within 2 ulps of eager NumPy, float32 (the float64 helper rounded) within 1 of the correctly
    rounded float32 and 1 + NumPy's own error of NumPy's; NaNs where NumPy's are, with their signs."""
    scripted, eager = script_source("""
        def more_functions(x):
            return np.tan(x) * 2.0, np.cbrt(x) * 2.0, np.arcsinh(x) * 2.0, np.arccosh(x) * 2.0, np.arctanh(x) * 2.0
    """)
    with np.errstate(all="ignore"):
        x = _fused_arguments().astype(dtype)
        for _ in range(3):  # profile, specialize, compile
            got = scripted(x)
        expected = eager(x)
    for op, value, reference in zip(OPS, got, expected):
        assert value.dtype == x.dtype and value.shape == x.shape
        value, reference, flat = value.ravel(), reference.ravel(), x.ravel()
        nan = np.isnan(reference)
        np.testing.assert_array_equal(np.signbit(value[nan]), np.signbit(reference[nan]), err_msg=f"{op}: NaN signs")
        if dtype == "float64":
            worst, at = worst_ulps64(value, reference)
            assert worst <= ULPS + NUMPY_ULPS, f"{op}({flat[at]!r}) is {value[at]!r}, NumPy's {reference[at]!r}"
        else:
            _assert_within_ulps32(op, flat, value, reference, 1 + NUMPY_FLOAT32_ULPS[op])
            with np.errstate(all="ignore"):
                rounded = (2.0 * correctly_rounded(getattr(np, op), flat.astype(np.float64))).astype(np.float32)
            _assert_within_ulps32(op, flat, value, rounded, 1)
    groups = scripted._executor.current()[0].report.fusion.details["groups"]
    sources = [variant.source for group in groups for variant in group.kernel.compiled]
    for op in OPS:
        helper = cpu._FLOAT_HELPERS.get((op, dtype), cpu_math.FLOAT64_OPS[op])  # (float32 tan: _tan_f32)
        assert any(f"{helper}(" in source for source in sources), f"no kernel calls the {op} helper"
        assert not any(LIBM[op] in source for source in sources), f"a kernel still calls libm's {op}"


def test_float32_functions_are_within_one_ulp_of_the_correctly_rounded_float32():
    """float32 through the built kernel (the float64 helper, rounded once more) over 2**20 spread float32 bit
    patterns: within 1 ulp of the float64 oracle rounded to float32, and of NumPy's float32 within 1 + its error."""
    x = _sweep((0.0, 1e-37), (0.5, 2.0), (0.9, 1.1))
    for op in OPS:
        with np.errstate(all="ignore"):
            got, numpy = _run(op, x), getattr(np, op)(x)
            rounded = correctly_rounded(getattr(np, op), x.astype(np.float64)).astype(np.float32)
        _assert_within_ulps32(op, x, got, rounded, 1)
        _assert_within_ulps32(op, x, got, numpy, 1 + NUMPY_FLOAT32_ULPS[op])
        nan = np.isnan(numpy)
        np.testing.assert_array_equal(np.signbit(got[nan]), np.signbit(numpy[nan]), err_msg=f"{op}: NaN signs")
