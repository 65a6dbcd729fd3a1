"""Vectorizable float64 inverse trigonometric functions for kernels.cpu_math (arctan, arctan2, arcsin,
arccos): fdlibm's methods and coefficients (s_atan.c, e_atan2.c, e_asin.c, e_acos.c), written
branch-free so that LLVM vectorizes the loops that call them: each lane computes every case and
selects its own. Where fdlibm divides twice (atan2's y / x, then its reduction of that ratio; asin's
rational and its square root's correction), these divide once, a fraction of the selected numerator
and denominator: a vector division is the slowest instruction of the loop.
"""
from __future__ import annotations

SOURCES = {
    "_atan_ratio_f64": '''
def _atan_ratio_f64(y, x):
    # atan(y / x) for y, x >= 0 (not both 0 or both inf), by fdlibm's intervals of r = y / x: atan(r)
    # below 7/16, else atan(c) + atan((r - c) / (1 + c r)) for c = 0.5, 1, 1.5, and pi/2 + atan(-1 / r)
    # from 39/16; each reduced argument is one fraction of y and x (times 2 for 0.5 and 1.5, so that
    # its terms are exact or rounded once). x, y from 2**1000 on are scaled down, so 3y + 2x is finite.
    scale = 5.960464477539063e-08 if max(x, y) > 1.0715086071862673e+301 else 1.0
    x = x * scale
    y = y * scale
    first = y < 0.4375 * x
    second = y < 0.6875 * x
    third = y < 1.1875 * x
    fourth = y < 2.4375 * x
    numerator = y if first else (2.0 * y - x if second else (y - x if third else (
        fma(-3.0, x, 2.0 * y) if fourth else -x)))
    denominator = x if first else (2.0 * x + y if second else (x + y if third else (
        fma(3.0, y, 2.0 * x) if fourth else y)))
    t = numerator / denominator
    hi = 0.0 if first else (4.63647609000806093515e-01 if second else (7.85398163397448278999e-01 if third else (
        9.82793723247329054082e-01 if fourth else 1.57079632679489655800e+00)))
    lo = 0.0 if first else (2.26987774529616870924e-17 if second else (3.06161699786838301793e-17 if third else (
        1.39033110312309984516e-17 if fourth else 6.12323399573676603587e-17)))
    z = t * t
    w = z * z
    odd = z * (3.33333333333329318027e-01 + w * (1.42857142725034663711e-01 + w * (9.09088713343650656196e-02
               + w * (6.66107313738753120669e-02 + w * (4.97687799461593236017e-02 + w * 1.62858201153657823623e-02)))))
    even = w * (-1.99999999998764832476e-01 + w * (-1.11111104054623557880e-01 + w * (-7.69187620504482999495e-02
                + w * (-5.83357013379057348645e-02 + w * -3.65315727442169155270e-02))))
    return hi - ((t * (odd + even) - lo) - t)  # below 7/16: t - t * (odd + even), as fdlibm's
''',
    "_atan_f64": '''
def _atan_f64(x):
    y = math.copysign(_atan_ratio_f64(abs(x), 1.0), x)
    return y if x == x else x
''',
    "_atan2_f64": '''
def _atan2_f64(y, x):
    # atan(|y| / |x|), then the quadrant: pi - it where x < 0 (or is -0.0), y's sign. The ratio's special
    # values: y = 0 gives 0 (x = 0 too), both infinite pi/4; x = 0 or y = inf give pi/2 from the ratio.
    # Where |y| / |x| exceeds 2**56, the result is pi/2 whatever x's sign (pi - (pi/2 - 1 / r) would round up).
    ay = abs(y)
    ax = abs(x)
    z = _atan_ratio_f64(ay, ax)
    z = 0.0 if ay == 0.0 else z
    z = 7.85398163397448278999e-01 if ay == inf and ax == inf else z
    steep = ay * 1.3877787807814457e-17 > ax or (ax == 0.0 and ay != 0.0)  # (2**-56: no overflow)
    left = math.copysign(1.0, x) < 0.0 and not steep
    z = 3.14159265358979311600e+00 - (z - 1.2246467991473531772e-16) if left else z
    z = math.copysign(z, y)
    return z if x == x and y == y else x + y
''',
    "_asin_acos_core_f64": '''
def _asin_acos_core_f64(x):
    # (|x| >= 0.5, s, d) for fdlibm's asin and acos: below 0.5, d = x * R(x*x), R = P / Q its rational
    # (asin(x) = x + d); from 0.5 on, with z = (1 - |x|) / 2 (exact) and s = sqrt(z) rounded,
    # asin(s) = s + s R(z) and sqrt(z) = s + (z - s*s) / (2 s): d = 2 s R(z) + (z - s*s) / s, so that
    # 2 asin(sqrt(z)) = 2 s + d, as one fraction (2 s*s P + e Q) / (s Q), e = z - s*s exact by an fma.
    a = abs(x)
    big = a >= 0.5
    z = (1.0 - a) * 0.5 if big else x * x
    s = math.sqrt(z)
    p = z * (1.66666666666666657415e-01 + z * (-3.25565818622400915405e-01 + z * (2.01212532134862925881e-01
             + z * (-4.00555345006794114027e-02 + z * (7.91534994289814532176e-04 + z * 3.47933107596021167570e-05)))))
    q = 1.0 + z * (-2.40339491173441421878e+00 + z * (2.02094576023350569471e+00 + z * (-6.88283971605453293030e-01
                   + z * 7.70381505559019352791e-02)))
    e = fma(-s, s, z)
    numerator = (2.0 * (z - e)) * p + e * q if big else x * p
    denominator = s * q if big else q
    d = numerator / (1.0 if denominator == 0.0 else denominator)  # |x| = 1: s = 0, d = 0
    return big, s, d
''',
    "_asin_f64": '''
def _asin_f64(x):
    big, s, d = _asin_acos_core_f64(x)
    # pi/2 - (2 s + d), its first difference with its rounding error (|pi/2| >= 2 s)
    head = 1.57079632679489655800e+00 - (s + s)
    error = (1.57079632679489655800e+00 - head) - (s + s)
    large = head + (error - (d - 6.12323399573676603587e-17))
    y = math.copysign(large, x) if big else x + d
    y = _INVALID_NAN if abs(x) > 1.0 else y
    return y if x == x else x
''',
    "_acos_f64": '''
def _acos_f64(x):
    big, s, d = _asin_acos_core_f64(x)
    small = 1.57079632679489655800e+00 - (x - (6.12323399573676603587e-17 - d))
    right = (s + s) + d  # 2 asin(sqrt((1 - x) / 2))
    head = 3.14159265358979311600e+00 - (s + s)  # pi - that for x <= -0.5, as asin's
    error = (3.14159265358979311600e+00 - head) - (s + s)
    left = head + (error - (d - 1.2246467991473531772e-16))
    y = small if not big else (right if x > 0.0 else left)
    y = _INVALID_NAN if abs(x) > 1.0 else y
    return y if x == x else x
''',
}
INLINED = frozenset({"_atan_ratio_f64", "_atan_f64", "_atan2_f64", "_asin_acos_core_f64", "_asin_f64", "_acos_f64"})
OPS = {"arctan": "_atan_f64", "arctan2": "_atan2_f64", "arcsin": "_asin_f64", "arccos": "_acos_f64"}
