"""The medium reduction of the float64 sin, cos and tan (kernels.cpu_math._quadrant_medium_f64, fdlibm's three
steps with 33-bit parts of pi/2) gives the bits of the Payne-Hanek one below its limit, the doubles nearest
multiples of pi/2 included; CPU kernels take it block by block (1-d) or row by row where every trig argument
is below the limit, Payne-Hanek elsewhere, and match NumPy either way. The float32 forms there
(_sincos_medium_f32) are within 1 ulp too, and give the float64 helper's rounded value but in rare cases."""
from __future__ import annotations

import re
import struct

import numpy as np
import pytest

from kernels import cpu, cpu_math

from ..helpers import script_source
from .test_cpu_math import _assert_within_ulps64, _exactly_reduced, _hardest_arguments

# fdlibm's pio2_1, pio2_1t, pio2_2, pio2_2t, pio2_3, pio2_3t (e_rem_pio2.c), as its hexadecimal words
FDLIBM_PIO2 = [(0x3FF921FB, 0x54400000), (0x3DD0B461, 0x1A626331), (0x3DD0B461, 0x1A600000),
               (0x3BA3198A, 0x2E037073), (0x3BA3198A, 0x2E000000), (0x397B839A, 0x252049C1)]


def test_the_parts_of_pi_over_2_are_fdlibms():
    parts = [struct.unpack("<d", struct.pack("<II", low, high))[0] for high, low in FDLIBM_PIO2]
    assert list(cpu_math.medium_pio2_parts()) == parts


def _helpers_loop(names):
    source = cpu._HEADER + cpu_math.source_of(names)
    for name in names:
        source += f"""
@njit(error_model="numpy")
def loop{name}(a, out):
    for i in range(a.shape[0]):
        out[i] = {name}(a[i])
"""
    namespace = {}
    exec(compile(source, "<medium trig>", "exec"), namespace)  # noqa: S102 - our source
    return {name: namespace[f"loop{name}"] for name in names}


def _below_the_limit():
    rng = np.random.default_rng(11)
    limit = cpu_math.MEDIUM_LIMIT
    hardest = _hardest_arguments(range(-52, 20))
    hardest = hardest[np.abs(hardest) < limit]
    return np.concatenate([rng.uniform(-limit, limit, 200_000), rng.uniform(-10.0, 10.0, 100_000),
                           np.geomspace(1e-300, limit, 50_000), hardest, np.nextafter(limit, 0.0) * np.array([1, -1]),
                           [0.0, -0.0, 0.7853981633974483, 0.7853981633974484, 5e-324]]), hardest


@pytest.mark.parametrize("op", ["sin", "cos", "tan"])
def test_the_medium_reduction_gives_payne_hanek_bits_below_its_limit(op):
    x, hardest = _below_the_limit()
    assert hardest.size > 100
    loops = _helpers_loop([f"_{op}_f64", f"_{op}_medium_f64"])
    exact, medium = np.empty_like(x), np.empty_like(x)
    loops[f"_{op}_f64"](x, exact)
    loops[f"_{op}_medium_f64"](x, medium)
    np.testing.assert_array_equal(medium.view(np.int64), exact.view(np.int64))
    if op != "tan":  # and within 1 ulp of the exactly reduced value where the reduction is hardest
        at = np.isin(x, hardest)
        _assert_within_ulps64(op, x[at], medium[at], _exactly_reduced(op, x[at]), 1)


FUNCTION = """
    def waves(x, y):
        return np.sin(x * 0.5) * 2.0, np.cos(x) * y, np.tan(x - y)
"""


@pytest.mark.parametrize("shape", [(5000,), (40, 300)], ids=["1-d blocks", "2-d rows"])
def test_kernels_take_the_medium_reduction_where_every_argument_allows(shape):
    """Blocks (rows) with a huge, infinite or NaN argument take Payne-Hanek, the others the medium reduction:
    within 1 ulp of NumPy everywhere (tan within 2: NumPy's own is 1 off)."""
    scripted, eager = script_source(FUNCTION)
    rng = np.random.default_rng(2)
    x, y = rng.uniform(-100.0, 100.0, shape), rng.uniform(-2.0, 2.0, shape)
    x.flat[3000] = 1e300  # the third block of 1-d, the tenth row of 2-d
    x.flat[4500] = np.inf
    x.flat[10] = np.nan
    x.flat[20] = 823548.9
    with np.errstate(all="ignore"):
        for _ in range(3):  # profile, specialize, compile
            got = scripted(x, y)
        expected = eager(x, y)
    for value, reference, ulps in zip(got, expected, (1, 2, 2)):
        _assert_within_ulps64("waves", x.ravel(), value.ravel(), reference.ravel(), ulps)
    groups = scripted._executor.current()[0].report.fusion.details["groups"]
    sources = [variant.source for group in groups for variant in group.kernel.compiled]
    assert any("_sin_medium_f64(" in source and "_sin_f64(" in source for source in sources)
    assert any(re.search(r"_far = _far \| int64\(not", source) for source in sources)


def test_a_trig_argument_computed_by_a_call_keeps_payne_hanek():
    """exp's argument would be computed twice: that kernel does not check, and reduces as before (sin of exp's
    value, which is within 1 ulp of NumPy's: an absolute tolerance of that ulp's effect)."""
    scripted, eager = script_source("""
        def damped(x):
            return np.sin(np.exp(x)) * 0.5
    """)
    x = np.linspace(-3.0, 3.0, 2000)
    for _ in range(3):
        got = scripted(x)
    np.testing.assert_allclose(got, eager(x), rtol=1e-15, atol=4 * np.spacing(np.exp(3.0)))
    groups = scripted._executor.current()[0].report.fusion.details["groups"]
    sources = [variant.source for group in groups for variant in group.kernel.compiled]
    assert sources and not any("_far" in source for source in sources)


def _float32_arguments():
    """float32 arguments below the limit: random bit patterns, the float32s nearest multiples of pi/2 (and
    their neighbours), subnormals, and the signed zeros."""
    rng = np.random.default_rng(12)
    top = int(np.float32(cpu_math.MEDIUM_LIMIT).view(np.uint32))
    random = rng.integers(0, top, 1_000_000, dtype=np.uint32).view(np.float32)
    nearest = (np.arange(1, 1 << 19) * (np.pi / 2)).astype(np.float32)
    nearest = np.concatenate([nearest, np.nextafter(nearest, np.float32(0)), np.nextafter(nearest, np.float32(np.inf))])
    nearest = nearest[nearest < cpu_math.MEDIUM_LIMIT]
    special = np.array([0.0, 1e-45, 1e-40, 1.1754944e-38, 1e-8, 0.7853982, 1.5707964], np.float32)
    x = np.concatenate([random, nearest, special])
    return np.concatenate([x, -x])


@pytest.mark.parametrize("op", ["sin", "cos", "tan"])
def test_the_float32_forms_are_within_one_ulp_and_the_float64_helpers_value_but_rarely(op):
    """Over all positive float32s below the limit (run once, 1.2e9 of them) the float32 forms were within
    0.5000003 ulps of the exact value and differed from the float64 value rounded in 3 (sin), 0 (cos) and 6
    (tan) cases; here a sample of them, the hardest reductions among it, both signs."""
    x = _float32_arguments()
    loops = _helpers_loop([f"_{op}_f32", f"_{op}_medium_f32"])
    rounded, medium = np.empty_like(x), np.empty_like(x)
    loops[f"_{op}_f32"](x, rounded)
    loops[f"_{op}_medium_f32"](x, medium)
    exact = getattr(np, op)(x.astype(np.float64))
    error = np.abs(medium.astype(np.float64) - exact) / np.spacing(np.abs(exact).astype(np.float32))
    assert error.max() < 0.5001
    assert np.count_nonzero(medium != rounded) <= 2
    assert np.array_equal(np.signbit(medium[exact == 0]), np.signbit(exact[exact == 0]))  # sin(-0.0) is -0.0


ROPE = """
    def rotate(x, angle):
        return x * np.cos(angle) - np.roll(x, 1, axis=-1) * np.sin(angle), np.tan(angle * np.float32(0.5))
"""


@pytest.mark.parametrize("shape", [(5000,), (40, 300)], ids=["1-d blocks", "2-d rows"])
def test_float32_kernels_take_the_float32_forms_where_every_argument_allows(shape):
    """A rotary embedding's float32 cos and sin, and a tan: blocks (rows) with a huge, infinite or NaN angle take
    the float64 helpers, the others the float32 forms; within 2 ulps of NumPy's float32 loops (their own
    error) everywhere, the rotation's of its terms."""
    scripted, eager = script_source(ROPE)
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(np.float32)
    angle = rng.uniform(-1000.0, 1000.0, shape).astype(np.float32)
    angle.flat[3000] = 3e38
    angle.flat[4500] = np.inf
    angle.flat[10] = np.nan
    with np.errstate(all="ignore"):
        for _ in range(3):  # profile, specialize, compile
            got = scripted(x, angle)
        expected = eager(x, angle)
    for value, reference, magnitude in zip(got, expected, (np.abs(x) + np.abs(np.roll(x, 1, axis=-1)), 0)):
        np.testing.assert_array_equal(np.isnan(value), np.isnan(reference))
        finite = np.isfinite(reference)
        # the rotation: 2 ulps of its terms' magnitudes (it cancels); tan: 2 ulps of itself
        scale = np.spacing(np.maximum(np.abs(reference), magnitude).astype(np.float32))[finite]
        assert np.all(np.abs(value[finite].astype(np.float64) - reference[finite]) <= 2 * scale)
    groups = scripted._executor.current()[0].report.fusion.details["groups"]
    sources = [variant.source for group in groups for variant in group.kernel.compiled]
    assert any("_cos_medium_f32(" in source and "_sin_medium_f32(" in source and "_cos_f32(" in source
               for source in sources)
