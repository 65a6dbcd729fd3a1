"""Scalar helpers the CPU renderer copies into the kernels that use them.

Numba calls libm for ``math.tanh`` and friends, one element at a time (these
wheels have no SVML), so a fused GELU ran slower than NumPy's SIMD loops.
The float32 helpers here are branch-free polynomial and rational forms that
LLVM vectorizes: erf as in Eigen, exp and log by range reduction with the
Cephes polynomials (the coefficients are theirs), tanh by a polynomial below
0.55 and through exp above (Eigen's rational was 7 ulps off and 1 from 7.9 on).
tanh is within 1 float32 ulp of the correctly rounded value (so 2 of NumPy's,
itself 1 off), exp within 3 ulps of NumPy, log 4, erf 8; all keep NaN,
infinities, signed zeros and the ends of the range (tests/kernels/test_cpu_math.py).
The float64 ones (``_f64``) are the same kind of code in double precision:
exp, expm1 (Taylor polynomials after a two-part ln2 reduction), log and log1p
(the fdlibm form, log1p carrying 1 + x's rounding error), and tanh through
expm1 (one Newton step on its division); exp, expm1, log and log1p are within 1 ulp of
NumPy, tanh within 2, with and without FMA contraction. sin and cos reduce every argument
by Payne-Hanek in integers (a 192-bit window of 2/pi's bits per exponent, gathered from
``two_over_pi_windows``: exact up to 1.8e308, where a Cody-Waite pi/2 loses the result near
multiples of pi/2), branch-free so that LLVM still vectorizes the loop, then fdlibm's kernels;
within 1 ulp of the correctly rounded value (NumPy's, glibc's, is 8 off at 6381956970095103 * 2**797).
erf is fdlibm's piecewise form with every piece computed and one selected, within 1 ulp of glibc's.
power is ARM's pow (optimized-routines) made branch-free: log x to about 2**-68 as a double-double from
a 128-row table, y times it with an exact head, exp of that pair from a 128-row table, subnormal results
rounded once; within 1 ulp of NumPy (about 0.52 of the correctly rounded value), C99's special cases exact.
The others give NumPy's definitions where Python's differ: floor division and
remainder of floats (``npy_divmod``), integer division and shifts, which NumPy
defines for zero divisors and large shift counts.

Each entry is the source of one function. All of them live in one generated module of
the disk cache (``shared_module_source``), compiled once per process and per signature
and cached by Numba (``cache=True``), so each kernel does not compile its own copies:
that was half of a small reduction kernel's cold compile. A kernel imports the ones it calls
by the module's name, a hash of every helper's source, so its own file and disk-cache key
still change whenever a helper does.
"""
from __future__ import annotations

import decimal
import fractions
import functools
import hashlib
import math
import pathlib

import numpy as np

from . import cache, cpu_math_explog, cpu_math_inverse, cpu_math_more, numba_intrinsics

# The intrinsics' code is compiled into each kernel, whose cached machine code Numba keys on the kernel's own
# file: their source's hash in every kernel's text makes a changed intrinsic a new kernel file.
INTRINSICS_HASH = hashlib.sha256(pathlib.Path(numba_intrinsics.__file__).read_bytes()).hexdigest()[:16]
HEADER = f"""\
import math
import numpy as np
from math import inf, nan
from numba import njit
from numpy import bool_, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64
from kernels.numba_intrinsics import (announce, fma, ldexp, prefetch, prefetch_to_write,  # intrinsics {INTRINSICS_HASH}
                                      reassociable_add)
"""

_DECORATOR = '@njit(error_model="numpy", cache=True)\n'
# These may fuse a * b + c into one rounding where the CPU has FMA, which halves their
# polynomials' instructions; their bounds were checked with and without.
_CONTRACTED = frozenset({"_tanh_f32", "_exp_f32", "_log_f32", "_erf_f32",
                         "_exp_f64", "_expm1_f64", "_log_f64", "_log1p_f64"})
_CONTRACTED_DECORATOR = '@njit(error_model="numpy", fastmath={"contract"}, cache=True)\n'
# Numba inlines these into their callers itself (which then gives them the callers' fastmath):
# LLVM's inliner left tanh with expm1 in it as a call, and sin and cos too, and a loop with a call is
# not vectorized. sin and cos hold their bounds with and without contraction.
_INLINED = frozenset({"_domain_f64", "_domain_f32", "_exp_taylor_f64", "_expm1_f64_core", "_log_parts_f64",
                      "_log_f64_core", "_tanh_f64", "_rem_pio2_f64", "_quadrant_f64",
                      "_sin_kernel_f64", "_cos_kernel_f64", "_sin_f64", "_cos_f64", "_erf_f64",
                      "_pow_log_f64", "_pow_exp_f64", "_pow_f64"})
_INLINED_DECORATOR = '@njit(error_model="numpy", fastmath={"contract"}, inline="always", cache=True)\n'

# Reassociation lets LLVM split the sum into vector lanes; only these helpers have it, so no
# formula's rounding changes (the sum is in float64 whatever order it takes).
_REASSOCIATED = frozenset({"_sum_row_f64"})
_REASSOCIATED_DECORATOR = '@njit(error_model="numpy", fastmath={"reassoc", "contract"}, cache=True)\n'

# A float row's max/min with NumPy's NaN (any NaN gives NaN). LLVM does not vectorize a float
# compare-and-select reduction (Numba puts no nnan flag on the select), so this reduces integer keys
# of the bit patterns, ordered as the floats are (vpmaxsd), and ors a NaN test of the bits beside.
_EXTREME_ROW = """
def _{op}_row_{suffix}(row, first, count):
    bits = row.view({int_type})
    best = {int_type}({start})
    nan = {int_type}(0)
    for e in range(uint64(first), uint64(first + count)):
        b = bits[e]
        key = {int_type}(b ^ {int_type}({int_type}(b >> {int_type}({shift})) & {int_type}({magnitude})))
        best = key if key {compare} best else best
        nan = {int_type}(nan | {int_type}({int_type}(b & {int_type}({magnitude})) > {int_type}({infinity})))
    if nan:
        return {float_type}(np.nan)
    return {int_type}(best ^ {int_type}({int_type}(best >> {int_type}({shift})) & {int_type}({magnitude}))).view({float_type})
"""


# The sin/cos reduction's 2/pi bits: for each biased exponent e from _FIRST_WINDOW_EXPONENT on (|x| >= 0.5),
# the 192 bits of 2/pi from 2**-(e - 1076) down, six 32-bit words, least significant first. Bits above
# those only add multiples of 4 quadrants to x * 2/pi; bits below add under 2**-137 of one.
# _rem_pio2_f64 spells out the row arithmetic (1021, 2047 - 1021 rows, 6 words).
_FIRST_WINDOW_EXPONENT = 1021
_WINDOW_BITS = 192


def _arctan_of_inverse(n: int, bits: int) -> int:
    """arctan(1/n) * 2**bits by its series, in integers (each term truncated)."""
    total, power, k, sign = 0, (1 << bits) // n, 1, 1
    while power:
        total += sign * (power // k)
        power //= n * n
        k, sign = k + 2, -sign
    return total


def _two_over_pi_bits(bits: int) -> int:
    """floor(2/pi * 2**bits), pi by Machin's formula with 64 guard bits."""
    guard = bits + 64
    pi = 4 * (4 * _arctan_of_inverse(5, guard) - _arctan_of_inverse(239, guard))
    return ((1 << (2 * guard + 1)) // pi) >> 64


def _half_pi() -> fractions.Fraction:
    """pi/2 to 256 bits, from pi's bits (Machin's formula)."""
    bits = 256
    pi = 4 * (4 * _arctan_of_inverse(5, bits + 64) - _arctan_of_inverse(239, bits + 64))
    return fractions.Fraction(pi, 1 << (bits + 65))  # (2 ** -64 of guard: its last bits are off)


def medium_pio2_parts() -> tuple:
    """pi/2 as fdlibm's medium reduction splits it: three 33-bit parts (each product with an n below
    2**20 exact) and the double nearest the rest after each."""
    parts, rest = [], _half_pi()
    for scale in (32, 65, 98):
        part = fractions.Fraction(int(rest * (1 << scale)), 1 << scale)  # the next 33 bits
        rest -= part
        parts += [float(part), float(rest)]
    return tuple(parts)


# Below this |x| sin, cos and tan may reduce by medium_pio2_parts (n = round(x * 2/pi) < 2**19, so that
# n times a 33-bit part is exact) instead of Payne-Hanek, whose six table gathers per lane are most of
# their time; kernels.cpu renders a loop's trig functions so where every argument of a block is below it.
MEDIUM_LIMIT = 823549.0  # just below 2**19 * pi/2
MEDIUM_TRIG = {"_sin_f64": "_sin_medium_f64", "_cos_f64": "_cos_medium_f64", "_tan_f64": "_tan_medium_f64"}


@functools.cache
def two_over_pi_windows():
    """The flat uint32 table the float64 sin and cos helpers gather their 2/pi bits from."""
    total = 2048 + _WINDOW_BITS
    bits = _two_over_pi_bits(total)
    words = []
    for exponent in range(_FIRST_WINDOW_EXPONENT, 2048):
        top = exponent - 1076 + _WINDOW_BITS - 1  # 2**-top: the weight of the window's last bit
        window = (bits >> (total - top)) & ((1 << _WINDOW_BITS) - 1)
        words.extend((window >> (32 * w)) & 0xFFFFFFFF for w in range(_WINDOW_BITS // 32))
    table = np.array(words, np.uint32)
    table.flags.writeable = False
    return table


# The float64 power's tables (as in ARM's optimized-routines pow), 128 rows each. log: x = 2**k z with z in
# [_POW_LOG_LOW, 2 * _POW_LOG_LOW), cut by its bits into 128 pieces; row i holds 1/c for a c near the middle of
# piece i, with 8 bits (so z * (1/c) - 1 is exact), log(c) cut to a multiple of 2**-43 (so k ln2_hi + it is
# exact) and the rest of log(c). exp: 2**(i/128) = H (1 + tail).
_POW_ROWS = 128
_POW_LOG_LOW_BITS = 0x3FE6955500000000  # 0x1.69555p-1: 1 lies inside a piece, whose 1/c is 1 (log(c) = 0)


def _exact_float(value) -> float:
    return float(fractions.Fraction(value))  # rounded once


@functools.cache
def pow_log_table():
    """The (128, 3) float64 rows 1/c, log(c)'s high part and its low part of the float64 power's log."""
    context = decimal.Context(prec=60)
    rows = []
    for i in range(_POW_ROWS):
        low, high = (_pow_log_z(_POW_LOG_LOW_BITS + (j << 45)) for j in (i, i + 1))
        center = (low + high) / 2
        steps = _POW_ROWS if center < 1 else 2 * _POW_ROWS  # 1/c in [1, 2) or [1/2, 1), to 8 bits
        inverse = fractions.Fraction(round(steps / center), steps)
        log_c = -context.ln(decimal.Decimal(inverse.numerator) / decimal.Decimal(inverse.denominator))
        log_c_high = fractions.Fraction(round(fractions.Fraction(log_c) * 2 ** 43), 2 ** 43)
        rows.append((float(inverse), float(log_c_high), _exact_float(fractions.Fraction(log_c) - log_c_high)))
    table = np.array(rows, np.float64)
    table.flags.writeable = False
    return table


def _pow_log_z(bits: int) -> fractions.Fraction:
    """The z of the log's reduction for these bits (its piece's end for the last one)."""
    if bits - _POW_LOG_LOW_BITS == _POW_ROWS << 45:
        return 2 * fractions.Fraction(np.int64(_POW_LOG_LOW_BITS).view(np.float64).item())
    bits -= (bits - _POW_LOG_LOW_BITS) & (0xFFF << 52)
    return fractions.Fraction(np.int64(bits).view(np.float64).item())


@functools.cache
def pow_exp_table():
    """The (128, 2) float64 rows H and tail, 2**(i/128) = H (1 + tail), of the float64 power's exp."""
    context = decimal.Context(prec=60)
    rows = []
    for i in range(_POW_ROWS):
        value = fractions.Fraction(context.exp(context.ln(decimal.Decimal(2)) * i / _POW_ROWS))
        high = float(value)
        rows.append((high, _exact_float((value - fractions.Fraction(high)) / fractions.Fraction(high))))
    table = np.array(rows, np.float64)
    table.flags.writeable = False
    return table


_TABLES = {"_TWO_OVER_PI": "two_over_pi_windows", "_POW_LOG": "pow_log_table", "_POW_EXP": "pow_exp_table"}


@functools.cache
def _tables_source() -> str:
    # Numba freezes the tables into the compiled helpers: their digest in the source renames the module
    # (and so misses the disk cache) whenever a table changes.
    digest = hashlib.sha256(b"".join(globals()[maker]().tobytes() for maker in _TABLES.values())).hexdigest()[:16]
    return (f"from kernels.cpu_math import {', '.join(_TABLES.values())}  # {digest}\n"
            + "".join(f"{name} = {maker}()\n" for name, maker in _TABLES.items()))


# A row's argmax/argmin, NumPy's first index: the row's extreme by the helper above, then the first
# index holding it (the first NaN where it is NaN) as an integer min reduction, which LLVM vectorizes;
# a (value, index) pair carried element to element stays scalar (float32 (4096, 1024) on one thread:
# 3.6 -> 0.79 ms, NumPy 0.66).
_ARG_ROW = """
def _arg{op}_row_{suffix}(row, first, count):
    best = _{op}_row_{suffix}(row, first, count)
    nan = best != best
    found = int64(count)
    for e in range(uint64(first), uint64(first + count)):
        v = row[e]
        hit = (v != v) if nan else (v == best)
        found = min(found, int64(e) - first if hit else int64(count))
    return found
"""

# An integer row's max/min (argmax's first pass; an integer accumulator vectorizes as it is).
_INTEGER_EXTREME_ROW = """
def _{op}_row_int(row, first, count):
    best = row[uint64(first)]
    for e in range(uint64(first), uint64(first + count)):
        v = row[e]
        best = v if v {compare} best else best
    return best
"""


def _arg_rows() -> dict:
    sources = {}
    for op, compare in (("max", ">"), ("min", "<")):
        sources[f"_{op}_row_int"] = _INTEGER_EXTREME_ROW.format(op=op, compare=compare)
        for suffix in ("f32", "f64", "int"):
            sources[f"_arg{op}_row_{suffix}"] = _ARG_ROW.format(op=op, suffix=suffix)
    return sources


def _extreme_rows() -> dict:
    sources = {}
    for float_type, int_type, bits, infinity in (("float32", "int32", 32, 0x7F800000),
                                                 ("float64", "int64", 64, 0x7FF0000000000000)):
        for op, compare, start in (("max", ">", -(1 << (bits - 1))), ("min", "<", (1 << (bits - 1)) - 1)):
            name = f"_{op}_row_f{bits}"
            sources[name] = _EXTREME_ROW.format(op=op, suffix=f"f{bits}", int_type=int_type, float_type=float_type,
                                                start=start, shift=bits - 1, magnitude=(1 << (bits - 1)) - 1,
                                                infinity=infinity, compare=compare)
    return sources


SOURCES = {
    "_sum_row_f64": '''
def _sum_row_f64(buffer, first, count):
    # buffer[first:first + count] summed in float64 (a reduction kernel's float sum); the caller
    # passes the whole array, as a slice per row would cost a reference count update each. An
    # unsigned index has no negative-index wrap-around, which would keep the loop from vectorizing.
    total = float64(0.0)
    for e in range(uint64(first), uint64(first + count)):
        total += float64(buffer[e])
    return total
''',
    **_extreme_rows(),
    **_arg_rows(),
    "_domain_f64": '''
def _domain_f64(result, x):
    # A libm function's NaN for an argument outside its domain (math.acos(2.0) is a positive NaN here):
    # the machine's invalid-operation NaN, as NumPy's; a NaN argument stays itself.
    return result if result == result or x != x else _INVALID_NAN
''',
    "_domain_f32": '''
def _domain_f32(result, x):
    return result if result == result or x != x else float32(_INVALID_NAN)
''',
    "_tanh_f32": '''
def _tanh_f32(x):
    # Below 0.55 an odd polynomial, a + a * s * P(s) with s = a * a; from 0.55 on
    # 1 - 2 / (exp(2a) + 1), whose errors shrink with 2 / (exp(2a) + 1) <= 0.5, so that
    # it rounds to 1 where tanhf does (9.0109) and not before. exp(2a) = 2**n * (1 + em),
    # em = expm1(r), r = 2a - n ln2 (ln2 split as in Cephes), so the denominator
    # 2**n * em + (2**n + 1) is rounded once. P and em's polynomial are minimax fits
    # (Lawson's weighted least squares, float32 coefficients fixed one at a time), with
    # relative errors 1e-9 and 3e-9 against float32's 6e-8.
    a = abs(x)
    s = a * a
    p = float32(-0.006242849)
    p = p * s + float32(0.021050714)
    p = p * s + float32(-0.053847548)
    p = p * s + float32(0.13332544)
    p = p * s + float32(-0.33333316)
    small = a + a * (s * p)
    t = min(a + a, float32(19.0))  # the result is 1 from 2 * 9.0109 on; keeps 2**n finite
    shifted = t * float32(1.44269504088896341) + float32(12582912.0)  # 1.5 * 2**23: n in the low bits
    n = shifted - float32(12582912.0)
    r = (t - n * float32(0.693359375)) - n * float32(-2.12194440e-4)
    q = float32(0.0013819825)
    q = q * r + float32(0.008368688)
    q = q * r + float32(0.041668277)
    q = q * r + float32(0.16666521)
    q = q * r + float32(0.49999994)
    em = r + (r * r) * q
    scale = int32((float32(shifted).view(int32) + int32(127)) << int32(23)).view(float32)
    large = float32(1.0) - float32(2.0) / (scale * em + (scale + float32(1.0)))
    y = large if a >= float32(0.55) else small  # NaN fails the test: the polynomial keeps it
    return float32(math.copysign(y, x))  # -0.0 and negative subnormals keep their sign
''',
    "_erf_f32": '''
def _erf_f32(x):
    c = min(max(x, float32(-4.0)), float32(4.0))
    x2 = c * c
    p = float32(-2.72614225801306e-10)
    p = p * x2 + float32(2.77068142495902e-08)
    p = p * x2 + float32(-2.10102402082508e-06)
    p = p * x2 + float32(-5.69250639462346e-05)
    p = p * x2 + float32(-7.34990630326855e-04)
    p = p * x2 + float32(-2.95459980854025e-03)
    p = p * x2 + float32(-1.60960333262415e-02)
    q = float32(-1.45660718464996e-05)
    q = q * x2 + float32(-2.13374055278905e-04)
    q = q * x2 + float32(-1.68282697438203e-03)
    q = q * x2 + float32(-7.37332916720468e-03)
    q = q * x2 + float32(-1.42647390514189e-02)
    y = float32(c * (p / q))  # c * p first underflows for subnormal c, 37 ulps off
    # From 3.919206 on the correctly rounded erf is 1; the rational is up to 7 ulps short of it.
    y = y if abs(c) < float32(3.919206) else (float32(1.0) if c > 0 else float32(-1.0))
    return y if x == x else x
''',
    "_exp_f32": '''
def _exp_f32(x):
    # The clamp's bounds make inf and 0 themselves: exp(88.73) overflows, exp(-104) rounds to 0.
    # Within 1 ulp of the correctly rounded exp for every float32 (checked exhaustively).
    underflow = x < float32(-104.0)  # +0, without the assists of an underflowing product (see _exp_f64)
    c = float32(0.0) if underflow else min(x, float32(88.73))
    n = np.floor(c * float32(1.44269504088896341) + float32(0.5))
    r = c - n * float32(0.693359375) - n * float32(-2.12194440e-4)
    p = float32(1.9875691500e-4)
    p = p * r + float32(1.3981999507e-3)
    p = p * r + float32(8.3334519073e-3)
    p = p * r + float32(4.1665795894e-2)
    p = p * r + float32(1.6666665459e-1)
    p = p * r + float32(5.0000001201e-1)
    e = (p * r + float32(1.0)) * r + float32(1.0)
    y = ldexp(e, int32(n))
    y = float32(0.0) if underflow else y
    return y if x == x else x
''',
    "_log_f32": '''
def _log_f32(x):
    tiny = x < float32(1.17549435e-38)
    scale = float32(8388608.0) if tiny else float32(1.0)  # subnormals: scale by 2**23 first
    bits = float32(x * scale).view(int32)
    e = float32(((bits >> int32(23)) & int32(255)) - int32(126)) - (float32(23.0) if tiny else float32(0.0))
    m = int32((bits & int32(-2139095041)) | int32(1056964608)).view(float32)
    low = m < float32(0.707106781186547524)
    e = e - float32(1.0) if low else e
    m = (m + m - float32(1.0)) if low else (m - float32(1.0))
    z = m * m
    y = float32(7.0376836292e-2)
    y = y * m + float32(-1.1514610310e-1)
    y = y * m + float32(1.1676998740e-1)
    y = y * m + float32(-1.2420140846e-1)
    y = y * m + float32(1.4249322787e-1)
    y = y * m + float32(-1.6668057665e-1)
    y = y * m + float32(2.0000714765e-1)
    y = y * m + float32(-2.4999993993e-1)
    y = y * m + float32(3.3333331174e-1)
    y = y * m * z
    y = y + float32(-2.12194440e-4) * e - float32(0.5) * z
    y = m + y + float32(0.693359375) * e
    y = float32(-inf) if x == float32(0.0) else y
    y = float32(_INVALID_NAN) if x < float32(0.0) else y
    y = x if x == float32(inf) else y
    return y if x == x else x
''',
    "_exp_f64": '''
def _exp_f64(x):
    # exp(x) = 2**n * exp(r), r = x - n ln2 in [-ln2/2, ln2/2] (ln2 in two parts, the first with
    # 21 trailing zero bits so n * its first part is exact); exp(r) by its Taylor series to r**13
    # (the next term is 4e-18 of the result). n comes from the low bits of x / ln2 + 1.5 * 2**52.
    # Below -746 the result is +0: those lanes compute exp(0) and select 0, since their last product
    # would underflow, and every underflow is a microcode assist (exp of 10**4 such values ran at 10 ns
    # an element, a fifth of NumPy's speed: Pythran's log_likelihood).
    underflow = x < -746.0
    c = 0.0 if underflow else min(x, 709.8)
    shifted = c * 1.4426950408889634 + 6755399441055744.0
    n = shifted - 6755399441055744.0
    r = (c - n * 0.6931471803691238) - n * 1.9082149292705877e-10
    p = 1.6059043836821613e-10
    p = p * r + 2.08767569878681e-09
    p = p * r + 2.505210838544172e-08
    p = p * r + 2.755731922398589e-07
    p = p * r + 2.755731922398589e-06
    p = p * r + 2.48015873015873e-05
    p = p * r + 0.0001984126984126984
    p = p * r + 0.001388888888888889
    p = p * r + 0.008333333333333333
    p = p * r + 0.041666666666666664
    p = p * r + 0.16666666666666666
    p = p * r + 0.5
    e = 1.0 + (r + (r * r) * p)
    k = float64(shifted).view(int64) - int64(4843621399236968448)  # the bits of 1.5 * 2**52
    y = ldexp(e, int32(k))  # rounded once: under- and overflows as NumPy's exp does
    y = 0.0 if underflow else y
    return y if x == x else x
''',
    "_log_parts_f64": '''
def _log_parts_f64(x):
    # For x > 0 finite (other lanes get garbage, never a trap): x = 2**k (1 + f) with 1 + f in
    # [sqrt(1/2), sqrt(2)) (k from the bits of x plus a sqrt(2) offset, so it is chosen without a compare;
    # subnormals by 2**54 first, k 54 less), and log(1 + f) = f - hfsq + r: k as a float, f (exact),
    # hfsq = f*f/2, r = s (hfsq + R(s*s)), s = f / (2 + f), R fdlibm's minimax polynomial (its coefficients).
    tiny = x < 2.2250738585072014e-308
    bits = float64(x * (18014398509481984.0 if tiny else 1.0)).view(int64) + int64(2638149301829632)
    k = (bits >> int64(52)) - (int64(1077) if tiny else int64(1023))
    f = int64((bits & int64(4503599627370495)) + int64(4604544269498187776)).view(float64) - 1.0
    dk = int64(k + int64(4843621399236968448)).view(float64) - 6755399441055744.0  # k as a float, packed
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * fma(w, fma(w, 1.531383769920937332e-01, 2.222219843214978396e-01), 3.999999999940941908e-01)
    t2 = z * fma(w, fma(w, fma(w, 1.479819860511658591e-01, 1.818357216161805012e-01), 2.857142874366239149e-01),
                 6.666666666666735130e-01)
    return dk, f, hfsq, s * (hfsq + (t2 + t1))
''',
    "_log_f64_core": '''
def _log_f64_core(u, c):
    # log(u) + c for u > 0 finite and c a correction below u's ulp: k ln2 in two parts plus log(1 + f)
    dk, f, hfsq, r = _log_parts_f64(u)
    return r + (dk * 1.90821492927058770002e-10 + c) - hfsq + f + dk * 6.93147180369123816490e-01
''',
    "_log_f64": '''
def _log_f64(x):
    return _log_domain_f64(_log_f64_core(x, 0.0), x)
''',
    "_log1p_f64": '''
def _log1p_f64(x):
    # log1p(x) = log(u) + e / u for u = 1 + x rounded and e its exact rounding error (TwoSum)
    u = 1.0 + x
    x_part = u - 1.0
    e = (1.0 - (u - x_part)) + (x - x_part)
    y = _log_f64_core(u, e / u)
    y = x if u == 1.0 else y  # |x| <= 2**-53, where log1p(x) rounds to x; keeps -0.0
    y = -inf if x == -1.0 else y
    y = _INVALID_NAN if x < -1.0 else y
    y = x if x == inf else y
    return y if x == x else x
''',
    "_expm1_f64": '''
def _expm1_f64(x):
    return _expm1_f64_core(x)
''',
    "_exp_taylor_f64": '''
def _exp_taylor_f64(r):
    # P(r) with exp(r) = 1 + r + r*r*P(r) for |r| <= ln2/2: exp's Taylor coefficients from 1/2 to 1/13!
    # (the next term is 4e-18 of the result), Horner steps by fma
    p = 1.6059043836821613e-10
    p = fma(p, r, 2.08767569878681e-09)
    p = fma(p, r, 2.505210838544172e-08)
    p = fma(p, r, 2.755731922398589e-07)
    p = fma(p, r, 2.755731922398589e-06)
    p = fma(p, r, 2.48015873015873e-05)
    p = fma(p, r, 0.0001984126984126984)
    p = fma(p, r, 0.001388888888888889)
    p = fma(p, r, 0.008333333333333333)
    p = fma(p, r, 0.041666666666666664)
    p = fma(p, r, 0.16666666666666666)
    p = fma(p, r, 0.5)
    return p
''',
    "_expm1_f64_core": '''
def _expm1_f64_core(x):
    # exp(x) - 1 = 2**n * em + (2**n - 1), em = expm1(r) for r = x - n ln2 (as in _exp_f64, the
    # rounding of r carried as cc); em = r + r*r*P(r) keeps tiny r exact. From n = 57 on the -1 is
    # lost anyway. Below -40 it rounds to -1.
    c = min(max(x, -40.0), 709.8)
    shifted = c * 1.4426950408889634 + 6755399441055744.0
    n = shifted - 6755399441055744.0
    hi = c - n * 0.6931471803691238
    lo = n * 1.9082149292705877e-10
    r = hi - lo
    cc = (hi - r) - lo
    p = _exp_taylor_f64(r)
    t = (r * r) * p
    em = r + t
    k = float64(shifted).view(int64) - int64(4843621399236968448)
    near = min(k, int64(56))
    scale = int64((near + int64(1023)) << int64(52)).view(float64)
    # (scale - 1) + scale * r exactly as a sum and its error (TwoSum), then the small terms
    whole = scale - 1.0
    part = scale * r
    s = whole + part
    part_back = s - whole
    error = (whole - (s - part_back)) + (part - part_back)
    y = s + (error + scale * (t + cc * (em + 1.0)))
    big = ldexp(em + 1.0, int32(k))
    y = big if k > int64(56) else y
    y = math.copysign(y, x)  # its sign is x's: keeps -0.0
    return y if x == x else x
''',
    "_tanh_f64": '''
def _tanh_f64(x):
    # Cephes's rational x + x z P(z) / Q(z), z = x*x, below 0.625; from there 1 - 2 / (e + 1), e = exp(2a),
    # with e + 1's rounding error and one Newton step taking out its and the quotient's roundings (and
    # exp's error shrinks by e / (e + 1)): within 1 ulp of tanh. Rounds to 1 from 19.06 on. One division
    # for both (a vector division takes 16 cycles for 8 lanes); 0.73 of the time of em / (em + 2) with
    # em = expm1(2a), the form before, which was 2 ulps off.
    a = min(abs(x), 22.0)
    small = a < 0.625
    z = a * a
    p = (-9.64399179425052238628e-1 * z - 9.92877231001918586564e1) * z - 1.61468768441708447952e3
    q = ((z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3) * z + 4.84406305325125486048e3
    e = _exp_f64(a + a)
    d = e + 1.0
    numerator = a * z * p if small else 2.0
    denominator = q if small else d
    denominator_error = 0.0 if small else (1.0 - d) + e  # exact: e >= 1
    r = 1.0 / denominator
    f = numerator * r
    f = f + (fma(-f, denominator, numerator) - f * denominator_error) * r
    y = a + f if small else 1.0 - f
    return math.copysign(y, x)  # NaN stays NaN
''',
    "_rem_pio2_f64": '''
def _rem_pio2_f64(a):
    # For a = |x| >= 0.5 finite: a * 2/pi = q + f, q the nearest integer (mod 4), as q and f * pi/2 in two
    # parts. a = m * 2**(e - 1075); m times the 192-bit window of 2/pi for e (32-bit words, so each
    # product is a vpmuludq) is exact mod 2**192, which is 4 quadrants. From the top: 2 bits of q, then
    # f in [-1/2, 1/2) as three pieces of 53 bits (each converts exactly), summed as hi + lo; times
    # pi/2 (its 52 bits split 26/26 by masks, so each partial product is exact even when contracted).
    bits = float64(a).view(uint64)
    row = min(max(int64(bits >> uint64(52)) - int64(1021), int64(0)), int64(1026)) * int64(6)  # inf: the last
    m = (bits & uint64(0xFFFFFFFFFFFFF)) | uint64(0x10000000000000)
    low32 = uint64(0xFFFFFFFF)
    s = uint64(32)
    ml = m & low32
    mh = m >> s
    w0 = uint64(_TWO_OVER_PI[row])
    w1 = uint64(_TWO_OVER_PI[row + int64(1)])
    w2 = uint64(_TWO_OVER_PI[row + int64(2)])
    w3 = uint64(_TWO_OVER_PI[row + int64(3)])
    w4 = uint64(_TWO_OVER_PI[row + int64(4)])
    w5 = uint64(_TWO_OVER_PI[row + int64(5)])
    l0 = ml * w0
    l1 = ml * w1
    l2 = ml * w2
    l3 = ml * w3
    l4 = ml * w4
    h0 = mh * w0
    h1 = mh * w1
    h2 = mh * w2
    h3 = mh * w3
    # column by column: each sum stays below 2**35, and its carry goes to the next
    d0 = l0 & low32
    column = (l1 & low32) + (l0 >> s) + (h0 & low32)
    d1 = column & low32
    column = (column >> s) + (l2 & low32) + (l1 >> s) + (h1 & low32) + (h0 >> s)
    d2 = column & low32
    column = (column >> s) + (l3 & low32) + (l2 >> s) + (h2 & low32) + (h1 >> s)
    d3 = column & low32
    column = (column >> s) + (l4 & low32) + (l3 >> s) + (h3 & low32) + (h2 >> s)
    d4 = column & low32
    column = (column >> s) + ml * w5 + (l4 >> s) + mh * w4 + (h3 >> s)  # only its low 32 bits are kept
    top = (column << s) | d4  # bits 191..128 of the product
    q = (top >> uint64(62)) + ((top >> uint64(61)) & uint64(1))  # rounded: bit 189 is f's sign
    f_high = float64(int64(top << uint64(2)) >> int64(11)) * 1.1102230246251565e-16  # bits 189..137 (signed)
    f_mid = float64(int64(((d4 & uint64(0x1FF)) << uint64(44)) | (((d3 << s) | d2) >> uint64(20)))) \\
        * 1.232595164407831e-32  # bits 136..84
    f_low = float64(int64(((d2 & uint64(0xFFFFF)) << uint64(33)) | (((d1 << s) | d0) >> uint64(31)))) \\
        * 1.3684555315672042e-48  # bits 83..31
    f = f_high + f_mid  # f_high is 0 or at least 2**-53 > f_mid: its error is exact as below
    f_error = (f_mid - (f - f_high)) + f_low
    f_top = int64(float64(f).view(int64) & int64(-134217728)).view(float64)  # 26 bits
    f_rest = f - f_top
    product = f * 1.5707963267948966
    error = ((f_top * 1.5707963109016418 - product) + f_top * 1.5893254712295857e-08 + f_rest * 1.5707963109016418) \\
        + f_rest * 1.5893254712295857e-08
    lo = error + (f * 6.123233995736766e-17 + f_error * 1.5707963267948966)
    hi = product + lo
    return q, hi, lo - (hi - product)
''',
    "_sin_kernel_f64": '''
def _sin_kernel_f64(x, y):
    # sin(x + y) for |x| <= pi/4, |y| below half x's ulp: fdlibm's __kernel_sin (its coefficients)
    z = x * x
    w = z * z
    r = 8.33333333332248946124e-03 + z * (-1.98412698298579493134e-04 + z * 2.75573137070700676789e-06) \\
        + z * w * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10)
    v = z * x
    return x - ((z * (0.5 * y - v * r) - y) - v * -1.66666666666666324348e-01)
''',
    "_cos_kernel_f64": '''
def _cos_kernel_f64(x, y):
    # cos(x + y) for |x| <= pi/4: fdlibm's __kernel_cos as FreeBSD writes it, branch-free
    z = x * x
    w = z * z
    r = z * (4.16666666666666019037e-02 + z * (-1.38888888888741095749e-03 + z * 2.48015872894767294178e-05)) \\
        + w * w * (-2.75573143513906633035e-07 + z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11))
    hz = 0.5 * z
    w = 1.0 - hz
    return w + (((1.0 - w) - hz) + (z * r - x * y))
''',
    # sin and cos compute the reduction for every argument and select (a branch to a slow path would
    # make the whole loop scalar); up to pi/4 the argument is its own reduction.
    "_quadrant_f64": '''
def _quadrant_f64(a):
    q, hi, lo = _rem_pio2_f64(a)
    small = a <= 0.7853981633974483
    return (uint64(0) if small else q), (a if small else hi), (0.0 if small else lo)
''',
    "_sin_f64": '''
def _sin_f64(x):
    a = abs(x)
    q, hi, lo = _quadrant_f64(a)
    q = q + uint64(2) * uint64(float64(x).view(int64) < int64(0))  # sin(-a) = -sin(a): the kernels are odd
    y = _cos_kernel_f64(hi, lo) if q & uint64(1) else _sin_kernel_f64(hi, lo)
    y = -y if q & uint64(2) else y
    return y if a < inf else x - x  # NaN for NaN and the infinities
''',
    "_cos_f64": '''
def _cos_f64(x):
    a = abs(x)
    q, hi, lo = _quadrant_f64(a)
    y = _sin_kernel_f64(hi, lo) if q & uint64(1) else _cos_kernel_f64(hi, lo)
    y = -y if (q + uint64(1)) & uint64(2) else y
    return y if a < inf else x - x
''',
    "_erf_f64": '''
def _erf_f64(x):
    # fdlibm's s_erf.c (its coefficients) branch-free: every piece is computed and the one for |x|
    # selected. Below 0.84375 x + x * p(z) / q(z), z = x * x (scaled by 8 below 2**-1015, where x * p
    # would round as a subnormal); to 1.25 erx + P(s) / Q(s), s = |x| - 1; to 6
    # 1 - exp(-t * t - 0.5625) * exp((t - c) * (t + c) + R / S) / c for c = |x| and t = c cut to 21 bits
    # (so t * t is exact), R / S of 1 / c**2 in two sets split at 1 / 0.35; from 6 on 1.
    z = x * x
    p = 1.28379167095512558561e-01 + z * (-3.25042107247001499370e-01 + z * (-2.84817495755985104766e-02
                                          + z * (-5.77027029648944159157e-03 + z * -2.37630166566501626084e-05)))
    q = 1.0 + z * (3.97917223959155352819e-01 + z * (6.50222499887672944485e-02 + z * (5.08130628187576562776e-03
                   + z * (1.32494738004321644526e-04 + z * -3.96022827877536812320e-06))))
    small = x + x * (p / q)
    small = 0.125 * (8.0 * x + 1.02703333676410069053e+00 * x) if abs(x) < 2.848094538889218e-306 else small
    a = abs(x)
    s = a - 1.0
    pa = -2.36211856075265944077e-03 + s * (4.14856118683748331666e-01 + s * (-3.72207876035701323847e-01
         + s * (3.18346619901161753674e-01 + s * (-1.10894694282396677476e-01 + s * (3.54783043256182359371e-02
         + s * -2.16637559486879084300e-03)))))
    qa = 1.0 + s * (1.06420880400844228286e-01 + s * (5.40397917702171048937e-01 + s * (7.18286544141962662868e-02
         + s * (1.26171219808761642112e-01 + s * (1.36370839120290507362e-02 + s * 1.19844998467991074170e-02)))))
    middle = 8.45062911510467529297e-01 + pa / qa
    c = min(max(a, 1.25), 6.0)  # keeps the unused lanes finite
    w = 1.0 / (c * c)
    ra = -9.86494403484714822705e-03 + w * (-6.93858572707181764372e-01 + w * (-1.05586262253232909814e+01
         + w * (-6.23753324503260060396e+01 + w * (-1.62396669462573470355e+02 + w * (-1.84605092906711035994e+02
         + w * (-8.12874355063065934246e+01 + w * -9.81432934416914548592e+00))))))
    sa = 1.0 + w * (1.96512716674392571292e+01 + w * (1.37657754143519042600e+02 + w * (4.34565877475229228821e+02
         + w * (6.45387271733267880336e+02 + w * (4.29008140027567833386e+02 + w * (1.08635005541779435134e+02
         + w * (6.57024977031928170135e+00 + w * -6.04244152148580987438e-02)))))))
    rb = -9.86494292470009928597e-03 + w * (-7.99283237680523006574e-01 + w * (-1.77579549177547519889e+01
         + w * (-1.60636384855821916062e+02 + w * (-6.37566443368389627722e+02 + w * (-1.02509513161107724954e+03
         + w * -4.83519191608651397019e+02)))))
    sb = 1.0 + w * (3.03380607434824582924e+01 + w * (3.25792512996573918826e+02 + w * (1.53672958608443695994e+03
         + w * (3.19985821950859553908e+03 + w * (2.55305040643316442583e+03 + w * (4.74528541206955367215e+02
         + w * -2.24409524465858183362e+01))))))
    ratio = ra / sa if c < 2.8571434020996094 else rb / sb
    t = int64(float64(c).view(int64) & int64(-4294967296)).view(float64)
    large = 1.0 - _exp_f64(-t * t - 0.5625) * _exp_f64((t - c) * (t + c) + ratio) / c
    y = middle if a < 1.25 else (large if a < 6.0 else 1.0)
    y = small if a < 0.84375 else math.copysign(y, x)
    return y if x == x else x
''',
    "_pow_log_f64": '''
def _pow_log_f64(ix):
    # log(x) as hi + lo (to about 2**-68 relatively) for ix the bits of x > 0, normal: x = 2**k z, z in
    # [0x1.69555p-1, 0x1.69555p0), and in piece i of pow_log_table, log(x) = k ln2 + log(c) + log1p(r),
    # r = z / c - 1 = z * (1/c) - 1 computed exactly in two parts (z's top 21 bits times 1/c's 8 is exact),
    # log1p(r) = r - r*r/2 + r**3 P(r) with ARM's coefficients. Every product a sum leans on is exact, so
    # FMA contraction changes nothing it needs.
    tmp = ix - int64(4604531861337669632)  # the bits of 0x1.69555p-1
    i = (tmp >> int64(45)) & int64(127)
    k = tmp >> int64(52)
    iz = ix - (tmp & int64(-4503599627370496))  # 0xfff << 52: z keeps the mantissa
    z = int64(iz).view(float64)
    kd = int64(k + int64(4843621399236968448)).view(float64) - 6755399441055744.0  # k as a float, packed
    inverse = _POW_LOG[i, 0]
    z_high = int64((iz + int64(2147483648)) & int64(-4294967296)).view(float64)
    r_high = z_high * inverse - 1.0
    r_low = (z - z_high) * inverse
    r = r_high + r_low
    t1 = kd * 0.6931471805598903 + _POW_LOG[i, 1]  # ln2 in two parts, the first with 11 trailing zeros
    t2 = t1 + r
    lo1 = kd * 5.497923018708371e-14 + _POW_LOG[i, 2]
    lo2 = t1 - t2 + r
    ar = -0.5 * r
    ar2 = r * ar
    ar3 = r * ar2
    ar_high = -0.5 * r_high
    ar_high2 = r_high * ar_high  # exact: r_high has at most 23 bits
    hi = t2 + ar_high2
    lo3 = r_low * (ar + ar_high)
    lo4 = t2 - hi + ar_high2
    p = ar3 * (-0.6666666666666679 + r * 0.5000000000000007 + ar2 * (0.7999999995323976 + r * -0.6666666663487739
                                                                      + ar2 * (-1.142909628459501 + r * 1.0000415263675542)))
    lo = lo1 + lo2 + lo3 + lo4 + p
    y = hi + lo
    return y, hi - y + lo
''',
    "_pow_exp_f64": '''
def _pow_exp_f64(x, xtail):
    # exp(x + xtail) for xtail far below x's ulp, or 0 and inf beyond 1000 (ARM's exp with its coefficients):
    # n = round(x * 128/ln2), r = x - n ln2/128 (ln2/128 in two parts) + xtail, 2**(n/128) = 2**e H (1 + tail)
    # from pow_exp_table, exp(x) = 2**e (H + H * (tail + expm1(r))). 2**e is two factors, 2**(e - 1009) * 2**1009
    # above 0 and 2**(e + 1022) * 2**-1022 below, so neither overflows; a result below 2**-1022 (y < 1 here) is
    # first rounded to its subnormal's precision as y + 1 - 1, which rounds it once, not twice.
    inside = abs(x) < 1000.0
    c = x if inside else (1000.0 if x > 0.0 else -1000.0)
    c_tail = xtail if inside else 0.0
    shifted = c * 184.6649652337873 + 6755399441055744.0
    n = shifted - 6755399441055744.0
    r = c + n * -0.005415212348111709 + n * -1.2864023111638346e-14 + c_tail  # n * the first part is exact
    k = float64(shifted).view(int64) - int64(4843621399236968448)  # the bits of 1.5 * 2**52
    i = k & int64(127)
    e = k >> int64(7)
    r2 = r * r
    tmp = _POW_EXP[i, 1] + r + r2 * (0.49999999999996786 + r * 0.16666666666665886) \\
        + r2 * r2 * (0.0416666808410674 + r * 0.008333335853059549)
    high = e > int64(0)
    shift = int64(1009) if high else int64(-1022)
    scale = int64(float64(_POW_EXP[i, 0]).view(int64) + ((e - shift) << int64(52))).view(float64)
    y = scale + scale * tmp
    # The rounding to a subnormal's precision, on 1.0 in the lanes above 0: there y is near 2**-1009
    # and its error a subnormal, which costs a microcode assist per element (pow took 8 ns, not 1).
    low_scale = 1.0 if high else scale
    low_y = low_scale + low_scale * tmp
    y_error = low_scale - low_y + low_scale * tmp
    one_up = 1.0 + low_y
    subnormal = (one_up + ((1.0 - one_up + low_y) + y_error)) - 1.0
    y = y if high or y >= 1.0 else subnormal
    return y * (5.486124068793689e+303 if high else 2.2250738585072014e-308)
''',
    "_pow_f64": '''
def _pow_f64(x, y):
    # NumPy's (C99's) pow: |x|**y = exp(y * log|x|), log|x| as hi + lo (_pow_log_f64), y * hi split into 26-bit
    # halves so that the head of the product is exact, then exp of the pair (_pow_exp_f64): about 0.52 ulps.
    # The sign and every special case are selected, branch-free: a branch would leave the loop scalar.
    ax = abs(x)
    tiny = ax < 2.2250738585072014e-308
    ix = float64(ax * (4503599627370496.0 if tiny else 1.0)).view(int64) \\
        - (int64(234187180623265792) if tiny else int64(0))  # subnormals by 2**52, their k by 52 less
    hi, lo = _pow_log_f64(ix)
    y_head = int64(float64(y).view(int64) & int64(-134217728)).view(float64)
    log_head = int64(float64(hi).view(int64) & int64(-134217728)).view(float64)
    z = _pow_exp_f64(y_head * log_head, (y - y_head) * log_head + y * ((hi - log_head) + lo))
    ay = abs(y)
    below = ay if ay < 9007199254740992.0 else 0.0  # from 2**53 on (and inf) every double is an even integer
    integer = float64(int64(below)) == below
    odd = integer and (int64(below) & int64(1)) == int64(1)
    negative = float64(x).view(int64) < int64(0)  # -0.0 too
    flip = negative and odd
    z = -z if flip else z
    z = _INVALID_NAN if x < 0.0 and not integer else z
    edge = inf if (y > 0.0) == (ax == inf) else 0.0  # x is 0 or inf
    edge = -edge if flip else edge
    z = edge if ax == 0.0 or ax == inf else z
    z = (1.0 if ax == 1.0 else (inf if (ax < 1.0) == (y < 0.0) else 0.0)) if ay == inf else z
    z = x + y if x != x or y != y else z
    return 1.0 if y == 0.0 or x == 1.0 else z
''',
    "_floor_divide_float": '''
def _floor_divide_float(a, b):
    if b == 0:
        return a / b
    mod = np.fmod(a, b)
    div = (a - mod) / b
    if mod != 0 and (b < 0) != (mod < 0):
        div -= 1
    if div != 0:
        floordiv = np.floor(div)
        if div - floordiv > 0.5:
            floordiv += 1
        return floordiv
    return np.copysign(0.0, a / b)
''',
    "_remainder_float": '''
def _remainder_float(a, b):
    mod = np.fmod(a, b)
    if b == 0:
        return mod
    if mod != 0:
        if (b < 0) != (mod < 0):
            mod += b
        return mod
    return np.copysign(0.0, b)
''',
    "_floor_divide_int": '''
def _floor_divide_int(a, b):
    if b == 0:
        return a - a
    if b == -1:
        return -a
    return a // b
''',
    "_remainder_int": '''
def _remainder_int(a, b):
    if b == 0 or b == -1:
        return a - a
    return a % b
''',
    "_fmod_int": '''
def _fmod_int(a, b):
    if b == 0 or b == -1:
        return a - a
    r = a % b
    if r != 0 and (r < 0) != (a < 0):
        r -= b
    return r
''',
    # NumPy's gcd and lcm: Euclid on the magnitudes in uint64, lcm = |a| / gcd * |b| wrapping;
    # the caller converts to the dtype, which wraps as NumPy's does (gcd(-128, 0) is -128 in int8).
    "_gcd_int": '''
def _gcd_int(a, b):
    x = uint64(0) - uint64(a) if a < 0 else uint64(a)
    y = uint64(0) - uint64(b) if b < 0 else uint64(b)
    while x != 0:
        x, y = y % x, x
    return y
''',
    # NumPy's bitwise_count: the set bits of |a| (of its bits as unsigned, for the minimum int), by SWAR,
    # which LLVM turns into its popcount instruction.
    "_popcount_int": '''
def _popcount_int(a):
    x = uint64(0) - uint64(a) if a < 0 else uint64(a)
    x = x - ((x >> uint64(1)) & uint64(0x5555555555555555))
    x = (x & uint64(0x3333333333333333)) + ((x >> uint64(2)) & uint64(0x3333333333333333))
    x = (x + (x >> uint64(4))) & uint64(0x0F0F0F0F0F0F0F0F)
    return (x * uint64(0x0101010101010101)) >> uint64(56)
''',
    "_lcm_int": '''
def _lcm_int(a, b):
    x = uint64(0) - uint64(a) if a < 0 else uint64(a)
    y = uint64(0) - uint64(b) if b < 0 else uint64(b)
    g, h = x, y
    while g != 0:
        g, h = h % g, g
    return uint64(0) if h == 0 else (x // h) * y
''',
}

# Without a vector ldexp (numba_intrinsics.vector_ldexp), exp's 2**k is two factors of shifted bits, so
# that k from -150 to 128 (float64: -1076 to 1024) needs no subnormal or infinite factor and the last
# product under- or overflows as NumPy's exp does: the same single rounding as ldexp's.
_FACTORED_SCALINGS = {
    "    y = ldexp(e, int32(n))\n": """\
    k = int32(n)
    half = int32(k >> int32(1))
    y = e * int32((half + int32(127)) << int32(23)).view(float32) \\
        * int32((k - half + int32(127)) << int32(23)).view(float32)
""",
    "    y = ldexp(e, int32(k))  # rounded once: under- and overflows as NumPy's exp does\n": """\
    half = k >> int64(1)
    y = e * int64((half + int64(1023)) << int64(52)).view(float64) \\
        * int64((k - half + int64(1023)) << int64(52)).view(float64)
""",
    "    big = ldexp(em + 1.0, int32(k))\n": """\
    half = k >> int64(1)
    big = (em + 1.0) * int64((half + int64(1023)) << int64(52)).view(float64) \\
        * int64((k - half + int64(1023)) << int64(52)).view(float64)
""",
}


def helper_source(name: str, vector_ldexp: bool | None = None) -> str:
    """The source of helper ``name``, its scalings as ``vector_ldexp`` (by default: what Numba's CPU has) says."""
    source = SOURCES[name]
    if vector_ldexp is None:
        vector_ldexp = numba_intrinsics.vector_ldexp()
    if not vector_ldexp:
        for line, factored in _FACTORED_SCALINGS.items():
            source = source.replace(line, factored)
    return source


# The float64 NumPy functions with a vectorized helper here (kernels.cpu renders the others as libm calls,
# which leave the loop scalar: a fused kernel with a libm arctan2 ran at a quarter of NumPy's speed), and
# the modules that hold more helpers, each with its SOURCES, INLINED (see _INLINED) and OPS.
FLOAT64_OPS = {"exp": "_exp_f64", "expm1": "_expm1_f64", "log": "_log_f64", "log1p": "_log1p_f64",
               "tanh": "_tanh_f64", "sin": "_sin_f64", "cos": "_cos_f64", "erf": "_erf_f64"}
for _module in (cpu_math_inverse, cpu_math_explog, cpu_math_more):
    SOURCES.update(_module.SOURCES)
    _INLINED |= _module.INLINED
    FLOAT64_OPS.update(_module.OPS)

SOURCES["_quadrant_medium_f64"] = """
def _quadrant_medium_f64(a):
    # _quadrant_f64 for 0 <= a < MEDIUM_LIMIT, fdlibm's medium reduction with all three steps: n = round(a * 2/pi)
    # (from the low bits of a * 2/pi + 1.5 * 2**52), a - n pi/2 with pi/2 in three 33-bit parts (each product
    # exact; the first difference exact, Sterbenz), each later difference's rounding error kept (exact, as
    # Fast2Sum's, or 0 where it cancels), then the rest of pi/2: hi + lo to about 150 bits of pi/2.
    shifted = a * 0.6366197723675814 + 6755399441055744.0
    n = shifted - 6755399441055744.0
    q = float64(shifted).view(uint64) & uint64(3)
    t = a - n * {P1}
    w = n * {P2}
    r = t - w
    error = (t - r) - w
    w = n * {P3}
    t = r
    r = t - w
    error = error + ((t - r) - w) - n * {P3T}
    hi = r + error
    lo = (r - hi) + error
    small = a <= 0.7853981633974483
    return (uint64(0) if small else q), (a if small else hi), (0.0 if small else lo)
""".format(**dict(zip(("P1", "P1T", "P2", "P2T", "P3", "P3T"), medium_pio2_parts())))
for _exact, _medium in MEDIUM_TRIG.items():
    SOURCES[_medium] = SOURCES[_exact].replace(f"def {_exact}(", f"def {_medium}(").replace("_quadrant_f64(", "_quadrant_medium_f64(")
_INLINED |= {"_quadrant_medium_f64", *MEDIUM_TRIG.values()}

def _horner_fma(variable: str, coefficients) -> str:
    """c0 + v * (c1 + v * (...)) as nested fma calls, ``coefficients`` lowest first."""
    text = repr(coefficients[-1])
    for coefficient in reversed(coefficients[:-1]):
        text = f"fma({variable}, {text}, {coefficient!r})"
    return text


# float32 sin, cos and tan: the float64 helper's value rounded once, or, in a block whose arguments are all below
# MEDIUM_LIMIT, a reduction and polynomials that need only float32's precision, in float64 (the float64 forms
# cost two thirds more: a fused float32 x * cos(t) + x * sin(t) over 64,000 elements ran at half NumPy's speed).
# r = x - n pi/2 by two FMAs: the first exact (x - n * hi is a multiple of 2**-52 below 1), the second leaves
# under 2**-80 of error; sin and cos of r by Taylor's series to r**13 and r**14 (2e-14 relative on |r| <= pi/4),
# so the float32 result is the float64 helper's but where the value lies within 2**-45 of a float32 midpoint.
SOURCES["_sincos_medium_f32"] = """
def _sincos_medium_f32(x):
    d = float64(x)
    shifted = d * 0.6366197723675814 + 6755399441055744.0
    n = shifted - 6755399441055744.0
    q = float64(shifted).view(uint64) & uint64(3)
    r = fma(-n, {HALF_PI_HI!r}, d)
    r = fma(-n, {HALF_PI_LO!r}, r)
    z = r * r
    s = r * fma(z, {SIN}, 1.0)  # (r times the series: the sign of -0.0 kept)
    c = fma(z, {COS}, 1.0)
    return q, s, c
""".format(HALF_PI_HI=float(_half_pi()), HALF_PI_LO=float(_half_pi() - fractions.Fraction(float(_half_pi()))),
           SIN=_horner_fma("z", [(-1) ** (k // 2) / math.factorial(k) for k in range(3, 14, 2)]),
           COS=_horner_fma("z", [(-1) ** (k // 2) / math.factorial(k) for k in range(2, 15, 2)]))
SOURCES["_sin_medium_f32"] = """
def _sin_medium_f32(x):
    q, s, c = _sincos_medium_f32(x)
    y = c if (q & uint64(1)) == uint64(1) else s
    return float32(-y if (q & uint64(2)) == uint64(2) else y)
"""
SOURCES["_cos_medium_f32"] = """
def _cos_medium_f32(x):
    q, s, c = _sincos_medium_f32(x)
    y = s if (q & uint64(1)) == uint64(1) else c
    return float32(-y if ((q + uint64(1)) & uint64(2)) == uint64(2) else y)
"""
SOURCES["_tan_medium_f32"] = """
def _tan_medium_f32(x):
    q, s, c = _sincos_medium_f32(x)
    odd = (q & uint64(1)) == uint64(1)
    return float32((-c if odd else s) / (s if odd else c))
"""
for _op in ("sin", "cos", "tan"):
    SOURCES[f"_{_op}_f32"] = f"""
def _{_op}_f32(x):
    return float32(_{_op}_f64(float64(x)))
"""
    MEDIUM_TRIG[f"_{_op}_f32"] = f"_{_op}_medium_f32"
_INLINED |= {"_sincos_medium_f32", "_sin_f32", "_cos_f32", "_tan_f32", "_sin_medium_f32", "_cos_medium_f32",
             "_tan_medium_f32"}
# float32 functions whose helper is float32's own (the others run the float64 helper: kernels.cpu)
FLOAT32_TRIG = {"sin": "_sin_f32", "cos": "_cos_f32", "tan": "_tan_f32"}


# The NaN an invalid operation gives on this machine (x86's default NaN has its sign bit set, as every
# NumPy loop's arccos(2), log(-1), (-2) ** 0.5 has; copysign and signbit show it: campaign seed 131315).
# The helpers return it where their domain ends; a literal nan is positive.
with np.errstate(invalid="ignore"):
    INVALID_NAN_SOURCE = "-nan" if np.signbit(np.float64(0.0) * np.float64(np.inf)) else "nan"


def shared_module_source(vector_ldexp: bool | None = None) -> str:
    """The module of every helper, in a fixed order (its scalings: helper_source)."""
    return _module_source(numba_intrinsics.vector_ldexp() if vector_ldexp is None else vector_ldexp)


@functools.cache
def _module_source(vector_ldexp: bool) -> str:  # (every kernel's source names it: built once)
    return HEADER + f"_INVALID_NAN = {INVALID_NAN_SOURCE}\n" + _tables_source() + "".join(
        f"\n{_decorator(name)}{helper_source(name, vector_ldexp).lstrip()}" for name in sorted(SOURCES))


def source_of(names) -> str:
    """The lines of a kernel module that bind the named helpers from the shared module."""
    if not names:
        return ""
    names = sorted(set(names))
    module = cache.module_name(shared_module_source())
    return (f"\nfrom kernels.cpu_math import shared_helpers\n"
            f"{', '.join(names)}, = shared_helpers({module!r}, {', '.join(map(repr, names))})\n")


def shared_helpers(module_name: str, *names):
    """The named helpers of the shared module, loaded (once per process) from the disk cache."""
    module = cache.load_module(shared_module_source())
    if module.__name__ != module_name:  # a kernel file rendered against other helpers than these
        raise ImportError(f"kernel helpers {module_name} are not this ArrayScript's ({module.__name__})")
    return tuple(getattr(module, name) for name in names)


def _decorator(name: str) -> str:
    if name in _REASSOCIATED:
        return _REASSOCIATED_DECORATOR
    if name in _INLINED:
        return _INLINED_DECORATOR
    return _CONTRACTED_DECORATOR if name in _CONTRACTED else _DECORATOR
