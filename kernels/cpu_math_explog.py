"""Vectorizable float64 base-2 and base-10 logarithms, exp2, sinh and cosh for kernels.cpu_math, written
branch-free so that LLVM vectorizes the loops that call them: each lane computes every case and selects its own.

log2 and log10 are fdlibm's (FreeBSD msun's e_log2.c, e_log10.c): x = 2**k (1 + f) reduced as kernels.cpu_math's
_log_parts_f64 does, f - f*f/2 carried as a 21-bit head (whose product with 1/ln2's or 1/ln10's head is exact) and
a tail, k (k log10(2)) added with that sum's error kept: exact at powers of 2 (log2) and of 10 (log10). exp2 takes
x = n + t, t exact, t ln2 as a double-double, exp of it by _exp_f64's Taylor polynomial with 1 + r summed exactly,
scaled by ldexp. sinh and cosh are (exp(|x|) -+ exp(-|x|)) / 2 from one exp as a double-double and one division,
rounded once and then scaled by 2**(n - 1), and sinh a Taylor polynomial below 0.5, where that cancels (as fdlibm's
2t - t*t / (t + 1) for t = expm1(|x|) does: 2 ulps off): within 1 ulp up to the overflow threshold, where fdlibm
and glibc square exp(|x| / 2) (2 ulps off), and overflowing exactly where NumPy's do (beyond 710.4758600739439).
All are within 1 ulp of the correctly rounded value (tests/kernels/test_cpu_math_explog.py).

The split constants are computed here from 40-digit decimals (_split), not typed in.
"""
from __future__ import annotations

import decimal
import struct
from fractions import Fraction


def _bits(value: float) -> int:
    return struct.unpack("<q", struct.pack("<d", value))[0]


def _split(value: decimal.Decimal) -> tuple:
    """value as hi + lo: hi the nearest float with its low 32 mantissa bits cleared (21 significant bits,
    so that its product with another 21-bit head, or with an exponent k, is exact), lo the rest rounded."""
    nearest = float(Fraction(value))
    hi = struct.unpack("<d", struct.pack("<q", _bits(nearest) & ~0xFFFFFFFF))[0]
    return hi, float(Fraction(value) - Fraction(hi))


def _constants() -> dict:
    context = decimal.Context(prec=40)
    ln2, ln10 = context.ln(decimal.Decimal(2)), context.ln(decimal.Decimal(10))
    ivln2_hi, ivln2_lo = _split(context.divide(1, ln2))
    ivln10_hi, ivln10_lo = _split(context.divide(1, ln10))
    log10_2_hi, log10_2_lo = _split(context.divide(ln2, ln10))
    ln2_double = float(Fraction(ln2))
    return {"IVLN2_HI": ivln2_hi, "IVLN2_LO": ivln2_lo, "IVLN10_HI": ivln10_hi, "IVLN10_LO": ivln10_lo,
            "LOG10_2_HI": log10_2_hi, "LOG10_2_LO": log10_2_lo,
            "LN2": ln2_double, "LN2_LO": float(Fraction(ln2) - Fraction(ln2_double))}


CONSTANTS = _constants()

_SOURCES = {
    "_log_head_f64": '''
def _log_head_f64(f, hfsq, r):
    # log(1 + f) = hi + lo, hi = f - hfsq with its low 32 bits cleared (21 bits: its product with a
    # 21-bit constant is exact), lo the rest: f - hfsq in extra precision, as fdlibm's log2 and log10
    hi = int64(float64(f - hfsq).view(int64) & int64(-4294967296)).view(float64)
    return hi, (f - hi) - hfsq + r
''',
    "_log_domain_f64": '''
def _log_domain_f64(y, x):
    y = -inf if x == 0.0 else y
    y = _INVALID_NAN if x < 0.0 else y
    y = x if x == inf else y
    return y if x == x else x
''',
    "_log2_f64": '''
def _log2_f64(x):
    # log2(x) = k + (hi + lo) / ln2, 1/ln2 in two parts; k + hi / ln2's head summed with its error
    # (Fast2Sum: |k| >= 1 > |hi / ln2| or k = 0), so that x near sqrt(2) and 1/sqrt(2) keep their digits.
    dk, f, hfsq, r = _log_parts_f64(x)
    hi, lo = _log_head_f64(f, hfsq, r)
    val_hi = hi * {IVLN2_HI!r}
    val_lo = (lo + hi) * {IVLN2_LO!r} + lo * {IVLN2_HI!r}
    w = dk + val_hi
    val_lo = val_lo + ((dk - w) + val_hi)
    return _log_domain_f64(val_lo + w, x)
''',
    "_log10_f64": '''
def _log10_f64(x):
    # log10(x) = k log10(2) + (hi + lo) / ln10, log10(2) and 1/ln10 each in two parts (their heads' products
    # exact), the heads' sum with its error, as _log2_f64
    dk, f, hfsq, r = _log_parts_f64(x)
    hi, lo = _log_head_f64(f, hfsq, r)
    val_hi = hi * {IVLN10_HI!r}
    y2 = dk * {LOG10_2_HI!r}
    val_lo = dk * {LOG10_2_LO!r} + (lo + hi) * {IVLN10_LO!r} + lo * {IVLN10_HI!r}
    w = y2 + val_hi
    val_lo = val_lo + ((y2 - w) + val_hi)
    return _log_domain_f64(val_lo + w, x)
''',
    "_exp2_f64": '''
def _exp2_f64(x):
    # exp2(x) = 2**n exp(t ln2), n = round(x) (from the low bits of x + 1.5 * 2**52), t = x - n exact,
    # t ln2 = hi + lo (an fma gives hi's error), exp of that (_exp_kernel_f64) scaled by 2**n. From 1025 on
    # the clamp overflows to inf; below -1075 the result is +0, selected: those lanes compute exp2(0) (an
    # underflowing product costs a microcode assist, see _exp_f64). Subnormal results are the scaling's
    # rounding of e, a double rounding (as NumPy's): within 1 ulp, a quarter misrounded just below 2**-1022.
    # (Rounding them once from e + e_low, by 1 + e * 2**(n + 1022), made every exp2 60% slower.)
    underflow = x < -1075.0
    c = 0.0 if underflow else min(x, 1025.0)
    shifted = c + 6755399441055744.0
    t = c - (shifted - 6755399441055744.0)
    hi = t * {LN2!r}
    lo = fma(t, {LN2!r}, -hi) + t * {LN2_LO!r}
    e, _ = _exp_kernel_f64(hi, lo)
    k = float64(shifted).view(int64) - int64(4843621399236968448)  # n: the bits of 1.5 * 2**52 off
    # (this line as _exp_f64 spells it: kernels.cpu_math._FACTORED_SCALINGS replaces it without AVX-512)
    y = ldexp(e, int32(k))  # rounded once: under- and overflows as NumPy's exp does
    y = 0.0 if underflow else y
    return y if x == x else x
''',
    "_exp_kernel_f64": '''
def _exp_kernel_f64(r, r_low):
    # exp(r + r_low) as e + e_low for |r| <= ln2/2 and r_low below r's ulp: _exp_f64's Taylor polynomial
    # (_exp_taylor_f64), 1 + r summed with its error, so that e is rounded once (about 1% misrounded)
    p = _exp_taylor_f64(r)
    head = 1.0 + r
    rest = ((1.0 - head) + r) + ((r * r) * p + r_low * head)
    e = head + rest
    return e, (head - e) + rest
''',
    "_exp_reduced_f64": '''
def _exp_reduced_f64(a):
    # exp(a) = 2**n (e + e_low) for 0 <= a (a clamped to 711, beyond overflow): n = round(a / ln2) from the
    # low bits of a / ln2 + 1.5 * 2**52, r = a - n ln2 in two parts as _expm1_f64_core, its rounding carried
    c = min(a, 711.0)
    shifted = c * 1.4426950408889634 + 6755399441055744.0
    n = shifted - 6755399441055744.0
    r_high = c - n * 0.6931471803691238  # exact: the first part of ln2 has 32 bits
    r_part = n * 1.9082149292705877e-10
    r = r_high - r_part
    e, e_low = _exp_kernel_f64(r, (r_high - r) - r_part)
    return float64(shifted).view(int64) - int64(4843621399236968448), e, e_low
''',
    "_half_exp_pair_f64": '''
def _half_exp_pair_f64(a, sign):
    # (exp(a) + sign * exp(-a)) / 2 for a >= 0 (sign 1.0) or a >= 0.5 (sign -1.0) rounded once: with exp(a) =
    # 2**n (e + e_low), it is 2**(n - 1) (e + e_low + sign * q), q = 2**-2n / (e + e_low) from one division
    # and its remainder (an fma). Its sum is rounded once and then scaled exactly: the scaling overflows
    # where NumPy's sinh and cosh do (beyond 710.4758600739439), without fdlibm's exp(a / 2) squared
    # (2 ulps off there). From n = 40 on q is below 2**-80 of the sum and 2**-80 stands in for 2**-2n.
    n, high, low = _exp_reduced_f64(a)
    m = min(n, int64(40))
    g = int64((int64(1023) - m - m) << int64(52)).view(float64)  # 2**-2m
    inverse = g / high
    remainder = fma(-inverse, high, g) - inverse * low  # g - inverse * (high + low), the fma exact
    inverse_low = remainder * (inverse * int64((int64(1023) + m + m) << int64(52)).view(float64))  # / high
    q = sign * inverse
    s = high + q
    e = s + ((((high - s) + q) + low) + sign * inverse_low)  # high - s + q exact: |q| <= high
    k = n - int64(1)
    # (this line as _exp_f64 spells it: kernels.cpu_math._FACTORED_SCALINGS replaces it without AVX-512)
    y = ldexp(e, int32(k))  # rounded once: under- and overflows as NumPy's exp does
    return y
''',
    "_sinh_f64": '''
def _sinh_f64(x):
    # Below 0.5 x + x * z * P(z), z = x * x, P the Taylor polynomial to x**15 (fdlibm's 2t - t*t / (t + 1)
    # for t = expm1(x) cancels: 2 ulps off), from 0.5 on (exp(|x|) - exp(-|x|)) / 2 rounded once (the
    # polynomial would misround 8% of the arguments just below 1, this 1%).
    z = x * x
    p = 7.647163731819816e-13
    p = fma(p, z, 1.6059043836821613e-10)
    p = fma(p, z, 2.505210838544172e-08)
    p = fma(p, z, 2.7557319223985893e-06)
    p = fma(p, z, 0.0001984126984126984)
    p = fma(p, z, 0.008333333333333333)
    p = fma(p, z, 0.16666666666666666)
    small = x + x * (z * p)  # keeps -0.0; z underflows only below 1e-154, where x is the result
    a = abs(x)
    y = small if a < 0.5 else math.copysign(_half_exp_pair_f64(a, -1.0), x)
    return y if x == x else x
''',
    "_cosh_f64": '''
def _cosh_f64(x):
    # (exp(|x|) + exp(-|x|)) / 2 rounded once, everywhere: the sum does not cancel (fdlibm's
    # 1 + t*t / (2 (1 + t)) below ln2/2, t = expm1(|x|), costs an expm1 more and misrounds more often)
    y = _half_exp_pair_f64(abs(x), 1.0)
    return y if x == x else x
''',
}
SOURCES = {name: source.format(**CONSTANTS) for name, source in _SOURCES.items()}
# Numba inlines every one into its caller (which gives it the caller's flags): a kernel with a call left in it
# is not vectorized, and LLVM's inliner left sinh and cosh as calls.
INLINED = frozenset(_SOURCES)
OPS = {"log2": "_log2_f64", "log10": "_log10_f64", "exp2": "_exp2_f64", "sinh": "_sinh_f64", "cosh": "_cosh_f64"}
