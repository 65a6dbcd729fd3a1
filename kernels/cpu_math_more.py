"""Vectorizable float64 tan, cbrt, arcsinh, arccosh and arctanh for kernels.cpu_math: fdlibm's methods
and coefficients (FreeBSD msun's), written branch-free so that LLVM vectorizes the loops that call them
(each lane computes every case and selects its own); as libm calls those loops stayed scalar.

tan reduces as sin and cos do (_quadrant_f64: Payne-Hanek, exact up to 1.8e308), then fdlibm's
__kernel_tan, with its tan(pi/4 - x) form from 0.6744 on and -1/tan by a corrected division, one division
per lane (numerator and denominator selected). cbrt is FreeBSD's: a first guess from the bits, a
polynomial to 23 bits, rounded to 23 bits so that t * t is exact, then one Halley step whose residual
x - t**3 is one FMA (FreeBSD's two divisions there become one). arcsinh and arccosh take log(x + sqrt(...))
below 2**28 with the argument carried as a double plus a correction (the sum's, the square's and the square
root's rounding errors, so that near 0 and 1 no digits are lost), log(2|x|) above (log|x| + ln2 from
2**1023 on); arctanh is log((1 + |x|) / (1 - |x|)) / 2 with the quotient's residual carried as well. The
logs are _log_f64_core's. Bounds: tests/kernels/test_cpu_math_more.py.
"""
from __future__ import annotations

SOURCES = {
    "_tan_f64": '''
def _tan_f64(x):
    # x = q pi/2 + hi + lo; tan(x) = tan(hi + lo) for q even, -1/tan(hi + lo) odd. tan is odd, so the
    # kernel takes |hi| (lo with it) and the sign is x's times hi's.
    a = abs(x)
    q, hi, lo = _quadrant_f64(a)
    flip = (hi < 0.0) != (float64(x).view(int64) < int64(0))  # -0.0 is negative
    head = abs(hi)
    tail = -lo if hi < 0.0 else lo
    odd = (q & uint64(1)) == uint64(1)
    # fdlibm's __kernel_tan (its coefficients): from 0.6744 on tan(pi/4 - h) is better conditioned
    upper = head >= 0.6743354797363281  # the high word 0x3fe59428
    head_upper = (0.7853981633974483 - head) + (3.061616997868383e-17 - tail)
    h = head_upper if upper else head
    l = 0.0 if upper else tail
    z = h * h
    w = z * z
    r = 1.33333333333201242699e-01 + w * (2.18694882948595424599e-02 + w * (3.59207910759131235356e-03
        + w * (5.88041240820264096874e-04 + w * (7.81794442939557092300e-05 + w * -1.85586374855275456654e-05))))
    v = z * (5.39682539762260521377e-02 + w * (8.86323982359930005737e-03 + w * (1.45620945432529025516e-03
             + w * (2.46463134818469906812e-04 + w * (7.14072491382608190305e-05 + w * 2.59073051863633712884e-05)))))
    s = z * h
    r = l + z * (s * (r + v) + l)
    r = r + 3.33333333333334091986e-01 * s
    t = h + r  # tan(h + l) below 0.6744
    sign = -1.0 if odd else 1.0
    # the one division: fdlibm's w*w / (w + sign) (w = t here) for the upper form, -1/t for the odd quadrants
    quotient = (t * t if upper else -1.0) / (t + sign if upper else t)
    upper_result = sign - 2.0 * (h - (quotient - r))
    # -1/t corrected as fdlibm does: t and the quotient cut to 21 bits, so their product is exact
    t_top = int64(float64(t).view(int64) & int64(-4294967296)).view(float64)
    t_rest = r - (t_top - h)  # t_top + t_rest = h + r
    q_top = int64(float64(quotient).view(int64) & int64(-4294967296)).view(float64)
    odd_result = q_top + quotient * ((1.0 + q_top * t_top) + q_top * t_rest)
    y = upper_result if upper else (odd_result if odd else t)
    y = -y if flip else y
    y = _INVALID_NAN if a == inf else y
    return y if x == x else x
''',
    "_cbrt_f64": '''
def _cbrt_f64(x):
    # FreeBSD's s_cbrt.c (its constants) on |x| = a: the exponent's third from the high word (hx / 3 + B1),
    # 5 bits; t * P(t**3 / a), 23 bits; rounded up to 23 bits (t * t exact); Halley's step
    # t + t (a - t**3) / (2 t**3 + a) with the residual a - t * (t * t) rounded once by an FMA: within about
    # 0.5 ulps, so perfect cubes come out exact. Below 2**-900 a is first scaled by 2**162 (the result by
    # 2**-54), so that the residual, 2**-24 of a, is never subnormal (FreeBSD's 2**54 and B2 leave it so here);
    # the quotient's terms are quartered so that 2 t**3 + a (t rounded up) does not overflow near the largest double.
    a = abs(x)
    tiny = a < 1.1830521861667747e-271  # 2**-900
    m = a * (5.846006549323612e+48 if tiny else 1.0)  # 2**162
    high = float64(m).view(uint64) >> uint64(32)
    third = (high * uint64(1431655766)) >> uint64(32)  # high // 3 for high < 2**31, as one vpmuludq
    t = uint64((third + uint64(715094163)) << uint64(32)).view(float64)
    r = (t * t) * (t / m)
    t = t * ((1.87595182427177009643 + r * (-1.88497979543377169875 + r * 1.621429720105354466140))
             + ((r * r) * r) * (-0.758397934778766047437 + r * 0.145996192886612446982))
    t = int64((float64(t).view(int64) + int64(2147483648)) & int64(-1073741824)).view(float64)
    s = t * t
    residual = fma(-t, s, m)
    y = t + t * ((0.25 * residual) / (t * (0.5 * s) + 0.25 * m))
    y = y * (5.551115123125783e-17 if tiny else 1.0)  # 2**-54
    y = math.copysign(y, x)
    return y if 0.0 < a < inf else x  # zeros, infinities and NaN are themselves
''',
    "_arcsinh_f64": '''
def _arcsinh_f64(x):
    # s_asinh.c's cases, branch-free, on |x| = a. Below 2**28 log(a + sqrt(1 + a*a)) with every rounding
    # carried: 1 + a*a = w + w_err (the product's error by FMA, the sum's by TwoSum), sqrt of it
    # sq + (sq_res + w_err) / (2 sq) with sq_res = w - sq*sq exact, a + sq = u + e; so the log's argument is
    # u (1 + c), c = (2 sq e + sq_res + w_err) / (2 sq u), one division. From 2**28 on log(2a); below
    # 2**-28 x itself.
    a = abs(x)
    p = a * a
    p_err = fma(a, a, -p)
    w = 1.0 + p
    w_back = w - 1.0
    w_err = ((1.0 - (w - w_back)) + (p - w_back)) + p_err
    sq = math.sqrt(w)
    sq_res = fma(-sq, sq, w)
    u = a + sq
    e = a - (u - sq)  # sq >= a: Fast2Sum
    c = (2.0 * sq * e + (sq_res + w_err)) / (2.0 * sq * u)
    large = a >= 268435456.0
    doubled = a < 8.98846567431158e307  # 2**1023: 2a is finite
    u = (a + a if doubled else a) if large else u
    c = 0.0 if large else c
    y = _log_f64_core(u, c) + (0.0 if doubled else 0.6931471805599453)
    y = a if a < 3.725290298461914e-09 or a == inf else y
    y = math.copysign(y, x)
    return y if x == x else x
''',
    "_arccosh_f64": '''
def _arccosh_f64(x):
    # e_acosh.c's cases, branch-free. Below 2**28 log(x + sqrt(x*x - 1)) with every rounding carried, as in
    # _arcsinh_f64: t = x - 1 is exact, x*x - 1 = t*t + 2t = w + w_err; near 1, where the result is
    # sqrt(2t), this keeps the square root's digits. From 2**28 on log(2x).
    t = x - 1.0
    p = t * t
    p_err = fma(t, t, -p)
    two_t = t + t
    w = p + two_t
    w_back = w - p
    w_err = ((p - (w - w_back)) + (two_t - w_back)) + p_err
    sq = math.sqrt(w)
    sq_res = fma(-sq, sq, w)
    u = x + sq
    e = sq - (u - x)  # x >= sq: Fast2Sum
    c = (2.0 * sq * e + (sq_res + w_err)) / (2.0 * sq * u)  # 0/0 at x = 1, selected away
    large = x >= 268435456.0
    doubled = x < 8.98846567431158e307
    u = (x + x if doubled else x) if large else u
    c = 0.0 if large else c
    y = _log_f64_core(u, c) + (0.0 if doubled else 0.6931471805599453)
    y = 0.0 if x == 1.0 else y
    y = x if x == inf else y
    y = _INVALID_NAN if x < 1.0 else y
    return y if x == x else x
''',
    "_arctanh_f64": '''
def _arctanh_f64(x):
    # e_atanh.c's cases, branch-free, on |x| = a: log(u) / 2 for u = (1 + a) / (1 - a), its numerator and
    # denominator each a double and its exact rounding error (Fast2Sum: 1 >= a) and the quotient's
    # residual (one FMA, exact) carried into the log as c; below 2**-28 x itself, at 1 inf. Divisions
    # dominate its time (a vector division takes 16 cycles for 8 lanes): u and c share one.
    a = abs(x)
    n = 1.0 + a
    n_err = a - (n - 1.0)
    d = 1.0 - a
    d_err = (1.0 - d) - a
    inverse = 1.0 / (d * n)  # 1/d and 1/n from one division
    u = (n * inverse) * n  # n / d within about 2 ulps: the residual corrects it
    residual = fma(-u, d, n) + (n_err - u * d_err)  # (n + n_err) - u (d + d_err)
    c = (residual * inverse) * d  # residual / (d u) = residual / n to about 2 ulps
    y = 0.5 * _log_f64_core(u, c)
    y = inf if a == 1.0 else y
    y = a if a < 3.725290298461914e-09 else y
    y = math.copysign(y, x)
    y = _INVALID_NAN if a > 1.0 else y
    return y if x == x else x
''',
}

# _tan_f64 is inlined as _sin_f64 is (its reduction makes it too big for LLVM's inliner, and a call leaves
# the loop scalar); the others are small enough for LLVM to inline into the kernel loop itself.
INLINED = frozenset({"_tan_f64"})
OPS = {"tan": "_tan_f64", "cbrt": "_cbrt_f64", "arcsinh": "_arcsinh_f64", "arccosh": "_arccosh_f64",
       "arctanh": "_arctanh_f64"}
