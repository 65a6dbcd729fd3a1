"""The float64 inverse trigonometric helpers (kernels.cpu_math_inverse) against the correctly rounded
value (the same function in x86's 80-bit long double, rounded once) and against NumPy's own float64
loops: spread bit patterns, dense samples where fdlibm's intervals meet, every pair of special values
for arctan2; fused into kernels over float64 and float32 arrays by jit.script, vectorized."""
from __future__ import annotations

import re

import numpy as np
import pytest

from kernels import cpu, cpu_math

from ..helpers import script_source
from .test_cpu_math import SPECIAL64, _run64, _sweep64, correctly_rounded, worst_ulps64

# arctan: where fdlibm's intervals meet (7/16, 11/16, 19/16, 39/16), tiny, huge; arcsin/arccos: 0.5 and
# 0.975 (fdlibm's cases), near 1, tiny
ATAN_RANGES = [(0.0, 1e-300), (0.0, 1e-8), (0.42, 0.45), (0.68, 0.7), (1.17, 1.2), (2.4, 2.5), (0.0, 10.0),
               (10.0, 1e20), (1e20, 1.7976931348623157e308)]
ASIN_RANGES = [(0.0, 1e-300), (0.0, 1e-8), (0.0, 0.5), (0.49, 0.51), (0.5, 0.975), (0.97, 0.98), (0.975, 1.0),
               (1.0 - 1e-9, 1.0)]
EDGES = [7 / 16, 11 / 16, 19 / 16, 39 / 16, 0.5, 0.975, 1.0, 1.0000000000000002, 0.9999999999999999, 2.0 ** 60]
CASES = [("arctan", np.arctan, ATAN_RANGES), ("arcsin", np.arcsin, ASIN_RANGES), ("arccos", np.arccos, ASIN_RANGES)]


def _arguments(dense):
    edges = np.array(EDGES)
    return np.concatenate([_sweep64(*dense), edges, -edges, np.nextafter(edges, 0), np.nextafter(edges, 2)])


@pytest.mark.parametrize("op, reference, dense", CASES, ids=[case[0] for case in CASES])
def test_within_one_ulp_of_the_correctly_rounded_value_and_of_numpy(op, reference, dense):
    x = _arguments(dense)
    got = _run64(op, x)
    worst, at = worst_ulps64(got, correctly_rounded(reference, x))
    assert worst <= 1, f"{op}({x[at]!r}) is {worst} ulps off"
    with np.errstate(all="ignore"):
        numpy = reference(x)
    assert worst_ulps64(got, numpy)[0] <= 2  # NumPy's own loops are within 1 ulp of it here too
    outside = np.isnan(numpy) & ~np.isnan(x)  # (a signaling NaN's sign differs between NumPy's own loops)
    assert outside.any() or op == "arctan"
    np.testing.assert_array_equal(np.signbit(got[outside]), np.signbit(numpy[outside]))  # the machine's NaN


def _arctan2_arguments():
    rng = np.random.default_rng(7)
    special = np.array(SPECIAL64 + [7 / 16, 2.4375, 1e308, -1e308])
    y_special, x_special = (a.ravel() for a in np.meshgrid(special, special))
    magnitudes = np.exp(rng.uniform(-740.0, 709.0, 200_000))  # every ratio, subnormal to huge
    signs = rng.choice([-1.0, 1.0], (2, 200_000))
    y = np.concatenate([rng.uniform(-1.0, 1.0, 100_000), signs[0] * magnitudes, y_special,
                        rng.uniform(0.4, 2.5, 50_000) * 1e307, rng.uniform(0.4, 2.5, 50_000) * 1e-310])
    x = np.concatenate([rng.uniform(-1.0, 1.0, 100_000), signs[1] * rng.permutation(magnitudes), x_special,
                        rng.uniform(0.9, 1.1, 50_000) * 1e307, rng.uniform(0.9, 1.1, 50_000) * 1e-310])
    return y, x


def test_arctan2_within_one_ulp_of_the_correctly_rounded_value_at_every_ratio_and_special_pair():
    """Ratios beyond 2**56 and below 2**-60 (pi/2 and 0 or pi whatever the other's size), huge pairs (2x + 3y
    would overflow unscaled), subnormal pairs, and each pair of special values as NumPy gives it."""
    y, x = _arctan2_arguments()
    got = _run64("arctan2", y, x)
    worst, at = worst_ulps64(got, correctly_rounded(np.arctan2, y, x))
    assert worst <= 1, f"arctan2 is {worst} ulps off at {at}"
    with np.errstate(all="ignore"):
        numpy = np.arctan2(y, x)
    assert worst_ulps64(got, numpy)[0] <= 2
    # where either is 0, infinite or NaN: signed zeros, +-pi, +-pi/2, +-pi/4, +-3pi/4 and NaN as NumPy's
    special = (y == 0) | (x == 0) | ~np.isfinite(y) | ~np.isfinite(x)
    assert special.sum() > 300
    np.testing.assert_array_equal(got[special], numpy[special])
    np.testing.assert_array_equal(np.signbit(got[special]), np.signbit(numpy[special]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_kernels_call_the_helpers_and_match_numpy(dtype):
    """jit.script fuses arctan2, arcsin, arccos and arctan into one CPU kernel that calls the helpers,
    not libm (float32 through the float64 helpers: within 1 ulp of NumPy's float32 loops)."""
    scripted, eager = script_source("""
        def haversine(lat1, lon1, lat2, lon2):
            a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
            return 2 * np.arcsin(np.sqrt(a)), 2 * np.arctan2(np.sqrt(a), np.sqrt(1 - a)), np.arccos(1 - 2 * a), np.arctan(a)
    """)
    rng = np.random.default_rng(3)
    args = [rng.uniform(-1.5, 1.5, (64, 96)).astype(dtype) for _ in range(4)]
    with np.errstate(all="ignore"):
        for _ in range(3):  # profile, specialize, compile
            got = scripted(*args)
        expected = eager(*args)
    for value, reference in zip(got, expected):
        assert value.dtype == reference.dtype
        np.testing.assert_allclose(value, reference, rtol=4 * np.finfo(dtype).eps, atol=4 * np.finfo(dtype).eps)
    groups = scripted._executor.current()[0].report.fusion.details["groups"]
    sources = [variant.source for group in groups for variant in group.kernel.compiled]
    for helper in ("_asin_f64(", "_atan2_f64(", "_acos_f64(", "_atan_f64("):
        assert any(helper in source for source in sources), f"no kernel calls {helper}"
    assert not any(re.search(r"math\.(asin|acos|atan)|np\.arctan2", source) for source in sources), "libm is still called"


def test_the_helpers_are_vectorized():
    source = cpu_math.source_of(["_atan2_f64", "_asin_f64", "_acos_f64", "_atan_f64"])
    loop_source = """
@njit(error_model="numpy")
def loop(a, b, out):
    for i in range(a.shape[0]):
        out[i] = _atan2_f64(a[i], b[i]) + _asin_f64(b[i]) + _acos_f64(a[i]) + _atan_f64(b[i])
"""
    namespace = {}
    exec(compile(cpu._HEADER + source + loop_source, "<inverse helpers>", "exec"), namespace)  # noqa: S102 - our source
    a, b = np.linspace(-1.0, 1.0, 1001), np.linspace(1.0, -1.0, 1001)
    out = np.empty_like(a)
    namespace["loop"](a, b, out)
    np.testing.assert_allclose(out, np.arctan2(a, b) + np.arcsin(b) + np.arccos(a) + np.arctan(b), rtol=1e-15, atol=1e-15)
    assembly = next(iter(namespace["loop"].inspect_asm().values()))
    assert re.search(r"\bvdivpd\s+%[yz]mm", assembly), "the divisions are not packed"
    assert "atan" not in assembly and "asin" not in assembly, "a libm call is left"


UNARY_OPS = sorted(op for op in cpu_math.FLOAT64_OPS if op != "arctan2" and (op, "float32") not in cpu._FLOAT_HELPERS)


@pytest.mark.parametrize("op", UNARY_OPS)
def test_a_float32_function_without_its_own_helper_is_its_float64_helper_rounded_once(op):
    """float32 kernels run the float64 helper (a libm call would keep the loop scalar), as the libm form
    computed in double did: the float64 value rounded to float32, within NumPy's float32 loops' ulps."""
    from .test_cpu_math import _run as run32, _sweep  # noqa: PLC0415 - float32 sweeps
    x = _sweep((0.0, 1.0), (1.0, 100.0))
    reference = getattr(np, op)
    with np.errstate(all="ignore"):
        got = run32(op, x)
        expected = reference(x.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(got, expected)
