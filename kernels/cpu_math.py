"""Scalar helpers the CPU renderer copies into the kernels that use them.

Numba calls libm for ``math.tanh`` and friends, one element at a time (these
wheels have no SVML), so a fused GELU ran slower than NumPy's SIMD loops.
The float32 helpers here are branch-free polynomial and rational forms that
LLVM vectorizes: tanh and erf as in Eigen, exp and log by range reduction with
the Cephes polynomials (the coefficients are theirs). They stay within a few
float32 ulps of NumPy and keep NaN, infinities and the ends of the range.
The others give NumPy's definitions where Python's differ: floor division and
remainder of floats (``npy_divmod``), integer division and shifts, which NumPy
defines for zero divisors and large shift counts.

Each entry is the source of one function; a kernel module gets the ones it
calls (so the kernel's file, and its disk-cache key, holds all its code).
"""
from __future__ import annotations

_DECORATOR = '@njit(error_model="numpy")\n'

SOURCES = {
    "_tanh_f32": '''
def _tanh_f32(x):
    c = min(max(x, float32(-7.90531110763549805)), float32(7.90531110763549805))
    x2 = c * c
    p = float32(-2.76076847742355e-16)
    p = p * x2 + float32(2.00018790482477e-13)
    p = p * x2 + float32(-8.60467152213735e-11)
    p = p * x2 + float32(5.12229709037114e-08)
    p = p * x2 + float32(1.48572235717979e-05)
    p = p * x2 + float32(6.37261928875436e-04)
    p = p * x2 + float32(4.89352455891786e-03)
    q = float32(1.19825839466702e-06)
    q = q * x2 + float32(1.18534705686654e-04)
    q = q * x2 + float32(2.26843463243900e-03)
    q = q * x2 + float32(4.89352518554385e-03)
    y = float32(c * p / q)
    y = x if abs(x) < float32(0.0004) else y
    return y if x == x else x
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
    y = float32(c * p / q)
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
    return "".join(f"\n{_DECORATOR}{SOURCES[name].lstrip()}" for name in sorted(names))
