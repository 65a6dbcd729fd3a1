"""Numba's code generation, set once per process before ArrayScript first compiles with it
(kernels, and the eager erf of jit.ops): here, below both, so that each can ask for it.

On a CPU with AVX-512, LLVM's tuning for Intel's cores (and Numba's host CPU name)
keeps vector loops at 256 bits ("prefer-256-bit"), which halves the lanes of every
vectorized kernel loop: a float32 exp runs 16 lanes per instruction instead of 8 and
a fused softmax is about 20% faster with them (bench/results/reductions_cpu.md). So
unless the environment chooses Numba's CPU features itself (``NUMBA_CPU_FEATURES``)
or ``ARRAYSCRIPT_WIDE_VECTORS=0`` says not to, the host's features are used with that
preference off. Numba reads them when it starts compiling; after that, nothing
changes (someone compiled with Numba first), and the kernels run at LLVM's width.
"""
from __future__ import annotations

import os
import threading

_lock = threading.Lock()
_done = False
WIDE_VECTORS_VARIABLE = "ARRAYSCRIPT_WIDE_VECTORS"


def configure() -> None:
    """Set Numba's CPU features for wide vectors, once, if Numba has not compiled yet."""
    global _done
    if _done:
        return
    with _lock:
        if _done:
            return
        _done = True
        if os.environ.get(WIDE_VECTORS_VARIABLE, "1") == "0" or os.environ.get("NUMBA_CPU_FEATURES"):
            return
        import numba  # noqa: PLC0415 - loaded with the first kernel, not with ArrayScript
        from numba.core.registry import cpu_target  # noqa: PLC0415 - as numba above

        if "_toplevel_target_context" in cpu_target.__dict__ or numba.config.CPU_FEATURES is not None:
            return  # Numba's code generator exists: its features are fixed
        features = wide_vector_features()
        if features is not None:
            numba.config.CPU_FEATURES = features


def wide_vector_features() -> str | None:
    """The host's LLVM feature string with the 256-bit preference off, or None when the
    host has no AVX-512 (nothing to widen)."""
    import llvmlite.binding as llvm  # noqa: PLC0415 - Numba's LLVM, loaded with it

    features = llvm.get_host_cpu_features()
    if not features.get("avx512f"):
        return None
    return features.flatten() + ",-prefer-256-bit"
