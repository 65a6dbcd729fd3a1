"""Parameter initialisation, drawn from NumPy's global generator on the CPU in
float64 and stored as float32 (as torch's defaults); ``manual_seed`` makes it
reproducible (and dropout's masks with it, which draw from the same generator)."""
from __future__ import annotations

import math

import numpy as np

import device as _device


def manual_seed(seed: int) -> None:
    """Seed the generators that parameter initialisation and dropout draw from:
    NumPy's global one, and CuPy's when CuPy is loaded."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed takes an int, got {type(seed).__name__}")
    np.random.seed(int(seed) % 2 ** 32)
    cupy = _device.cupy_module()
    if cupy is not None and _device.cuda_is_available():
        cupy.random.seed(int(seed) % 2 ** 32)


def uniform(shape, bound: float, dtype=np.float32):
    """Uniform on [-bound, bound)."""
    return np.random.uniform(-bound, bound, size=shape).astype(dtype)


def normal(shape, dtype=np.float32):
    return np.random.standard_normal(size=shape).astype(dtype)


def fan_in_bound(fan_in: int) -> float:
    """torch's default bound for Linear weights and biases (kaiming_uniform with a=sqrt(5))."""
    return 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
