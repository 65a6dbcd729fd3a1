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
The others give NumPy's definitions where Python's differ: floor division and
remainder of floats (``npy_divmod``), integer division and shifts, which NumPy
defines for zero divisors and large shift counts.

Each entry is the source of one function; a kernel module gets the ones it
calls (so the kernel's file, and its disk-cache key, holds all its code).
"""
from __future__ import annotations

_DECORATOR = '@njit(error_model="numpy")\n'
# These may fuse a * b + c into one rounding where the CPU has FMA, which halves their
# polynomials' instructions; their bounds were checked with and without.
_CONTRACTED = frozenset({"_tanh_f32"})
_CONTRACTED_DECORATOR = '@njit(error_model="numpy", fastmath={"contract"})\n'

SOURCES = {
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
    c = min(max(x, float32(-104.0)), float32(88.73))
    n = np.floor(c * float32(1.44269504088896341) + float32(0.5))
    r = c - n * float32(0.693359375) - n * float32(-2.12194440e-4)
    p = float32(1.9875691500e-4)
    p = p * r + float32(1.3981999507e-3)
    p = p * r + float32(8.3334519073e-3)
    p = p * r + float32(4.1665795894e-2)
    p = p * r + float32(1.6666665459e-1)
    p = p * r + float32(5.0000001201e-1)
    e = p * r * r + r + float32(1.0)
    k = int32(n)
    half = int32(k >> int32(1))
    # 2**k as two factors, so that k from -150 to 128 needs no subnormal or infinite factor
    y = e * int32((half + int32(127)) << int32(23)).view(float32) \\
        * int32((k - half + int32(127)) << int32(23)).view(float32)
    y = float32(inf) if x > float32(88.7228394) else y
    y = float32(0.0) if x < float32(-103.972084) else y
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
    y = float32(nan) if x < float32(0.0) else y
    y = x if x == float32(inf) else y
    return y if x == x else x
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
}


def source_of(names) -> str:
    """The definitions of the named helpers, in a fixed order."""
    return "".join(f"\n{_CONTRACTED_DECORATOR if name in _CONTRACTED else _DECORATOR}{SOURCES[name].lstrip()}"
                   for name in sorted(names))
