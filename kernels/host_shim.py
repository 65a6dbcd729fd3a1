"""Runs generated CUDA C on the host, to check it without a GPU.

The kernel source is compiled unchanged as C++ (g++), after a prelude that
defines ``__global__``, ``__device__``, ``blockIdx``, ``threadIdx``,
``blockDim`` and ``gridDim`` for one thread at a time, and host versions of
the few device intrinsics the renderer calls (float16 conversions through
GCC's ``_Float16``; bit casts). The library is loaded with ctypes and the
kernel is called once per (block, thread) of a small grid, in turn: the
kernels have no shared memory or synchronisation, so this is the GPU's
result, and the grid-stride loops are exercised with several blocks and
threads. Index arithmetic, layouts, NumPy's integer and float16 semantics
are checked this way against NumPy; the device's own math library is not
(glibc's functions stand in for CUDA's). With ``sanitize=True`` the source is
compiled with UBSan's integer checks (signed overflow, shifts, division by
zero): C's undefined behaviour, which NVRTC may exploit as any C++ compiler
does, is reported on stderr ("runtime error: ...") instead of passing silently.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading

import numpy as np

PRELUDE = r"""
#define ARRAYSCRIPT_HOST 1
#include <math.h>
#include <string.h>
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__ __restrict
struct arrayscript_dim3 { unsigned int x, y, z; };
static arrayscript_dim3 threadIdx, blockIdx, blockDim, gridDim;
extern "C" void arrayscript_set_thread(unsigned int block, unsigned int thread, unsigned int blocks,
                                       unsigned int threads) {
    blockIdx.x = block; threadIdx.x = thread; gridDim.x = blocks; blockDim.x = threads;
    blockIdx.y = blockIdx.z = threadIdx.y = threadIdx.z = 0; gridDim.y = gridDim.z = blockDim.y = blockDim.z = 1;
}
static inline float half_to_float(unsigned short h) { _Float16 f; memcpy(&f, &h, 2); return (float)f; }
static inline unsigned short float_to_half(float x) {
    _Float16 f = (_Float16)x; unsigned short h; memcpy(&h, &f, 2); return h;
}
static inline unsigned short double_to_half(double x) {
    _Float16 f = (_Float16)x; unsigned short h; memcpy(&h, &f, 2); return h;
}
static inline double bits_to_double(long long b) { double d; memcpy(&d, &b, 8); return d; }
#line 1 "kernel.cu"
"""
_C_TYPES = {"bool": ctypes.c_bool, "signed char": ctypes.c_int8, "short": ctypes.c_int16, "int": ctypes.c_int32,
            "long long": ctypes.c_int64, "unsigned char": ctypes.c_uint8, "unsigned short": ctypes.c_uint16,
            "unsigned int": ctypes.c_uint32, "unsigned long long": ctypes.c_uint64, "float": ctypes.c_float,
            "double": ctypes.c_double}


# The undefined behaviour of integer code; float-to-int casts out of range are left out (NumPy's are undefined too).
SANITIZE_FLAGS = ("-fsanitize=signed-integer-overflow,shift,integer-divide-by-zero",)


class ShimUnavailable(RuntimeError):
    """No C++ compiler with _Float16 here; the message says what is missing."""


def compiler() -> str | None:
    return shutil.which(os.environ.get("CXX", "g++"))


class HostBackend:
    """A CudaKernel backend that compiles with g++ and runs on NumPy arrays over a
    grid of ``blocks`` x ``threads`` one-thread calls."""
    eager = False
    device_index = None
    name = "the host shim"

    def __init__(self, blocks: int = 3, threads: int = 4, directory: str | None = None, sanitize: bool = False):
        if compiler() is None:
            raise ShimUnavailable("no C++ compiler (g++) on the PATH")
        self.blocks, self.threads = blocks, threads
        self.flags = list(SANITIZE_FLAGS) if sanitize else []
        self.directory = directory or tempfile.mkdtemp(prefix="arrayscript-shim-")
        self.sources: list = []  # every variant compiled, for other checks (nvcc)
        self._lock = threading.Lock()

    empty = staticmethod(np.empty)

    @staticmethod
    def address(array) -> int:
        return array.ctypes.data

    def compile(self, source: str, name: str, params):
        self.sources.append((name, source))
        library = self.library(source)
        function = getattr(library, name)
        function.restype = None
        function.argtypes = [ctypes.c_void_p if t.endswith("*") else _C_TYPES[t] for _, t in params]
        set_thread = library.arrayscript_set_thread
        set_thread.argtypes = [ctypes.c_uint] * 4
        blocks_wanted, threads = self.blocks, self.threads

        pointers = [t.endswith("*") for _, t in params]

        def run(work, args):
            held = [np.asarray(a) if pointer else a for a, pointer in zip(args, pointers)]  # alive during the calls
            converted = [a.ctypes.data if pointer else _number(a) for a, pointer in zip(held, pointers)]
            blocks = max(1, min(blocks_wanted, -(-work // threads)))
            for block in range(blocks):
                for thread in range(threads):
                    set_thread(block, thread, blocks, threads)
                    function(*converted)

        return run, "built by g++ for the host shim"

    def library(self, source: str):
        """The kernel source compiled with the prelude and loaded (compiled once per source)."""
        digest = hashlib.sha256(" ".join([*self.flags, source]).encode()).hexdigest()[:24]
        path = os.path.join(self.directory, f"kernel_{digest}.so")
        with self._lock:
            if not os.path.exists(path):
                code = os.path.join(self.directory, f"kernel_{digest}.cpp")
                with open(code, "w") as handle:
                    handle.write(PRELUDE + source)
                done = subprocess.run([compiler(), "-std=c++17", "-O1", "-shared", "-fPIC", "-Wall", "-Werror",
                                       "-Wno-unknown-pragmas", "-Wno-unused-function", "-Wno-unused-variable",
                                       "-Wno-unused-but-set-variable", *self.flags, code, "-o", path],
                                      capture_output=True, text=True)
                if done.returncode != 0:
                    raise RuntimeError(f"g++ rejected the kernel source:\n{done.stderr}\n{source}")
        return ctypes.CDLL(path)


def _number(value):
    return value.item() if isinstance(value, np.generic) else value
