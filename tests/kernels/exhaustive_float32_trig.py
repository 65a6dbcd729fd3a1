"""Every positive float32 below kernels.cpu_math.MEDIUM_LIMIT through the float32 sin, cos and tan forms of a
medium block (_sin_medium_f32, ...): their largest error in ulps from the exact value (float64 NumPy as the
reference, rounded once) and how many differ from that value rounded to float32. Not collected by pytest (it
takes about two minutes); tests/kernels/test_medium_trig.py checks a sample.

    python -m tests.kernels.exhaustive_float32_trig
"""
from __future__ import annotations

import time

import numpy as np

from kernels import cpu_math

from .test_medium_trig import _helpers_loop

STEP = 1 << 24


def main():
    started = time.time()
    top = int(np.float32(cpu_math.MEDIUM_LIMIT).view(np.uint32))
    worst, differ = [0.0] * 3, [0] * 3
    names = ["_sin_medium_f32", "_cos_medium_f32", "_tan_medium_f32"]
    built = _helpers_loop(names)
    loops = [built[name] for name in names]
    for low in range(0, top, STEP):
        x = np.arange(low, min(low + STEP, top), dtype=np.uint32).view(np.float32)
        wide, out = x.astype(np.float64), np.empty_like(x)
        for index, (loop, reference) in enumerate(zip(loops, (np.sin, np.cos, np.tan))):
            loop(x, out)
            exact = reference(wide)
            rounded = exact.astype(np.float32)
            differ[index] += int(np.count_nonzero(out != rounded))
            ulps = np.abs(out.astype(np.float64) - exact) / np.spacing(np.abs(rounded)).astype(np.float64)
            worst[index] = max(worst[index], float(ulps.max()))
    print(f"{top} float32s: largest error in ulps (sin, cos, tan) {worst}; differ from the float64 value "
          f"rounded: {differ}; {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
