"""Runs generated CUDA C on the host, to check it without a GPU.

The kernel source is compiled unchanged as C++ (g++), after a prelude that
defines ``__global__``, ``__device__``, ``blockIdx``, ``threadIdx``,
``blockDim``, ``gridDim`` and ``warpSize`` (thread-local), and host versions of
the device intrinsics the renderer calls (float16 conversions through GCC's
``_Float16``; bit casts). The library is loaded with ctypes and launched over a
small grid, one block at a time. A kernel without block-level cooperation runs
its threads in turn, one at a time: it has no shared memory or
synchronisation, so this is the GPU's result, and the grid-stride loops are
exercised with several blocks and threads. A kernel that calls
``__syncthreads`` or a warp shuffle runs each block's threads truly at once,
one ``std::thread`` each: ``__syncthreads()`` is a barrier of the block,
``__shared__`` variables are ``static`` (one copy, which all threads of the
block share, as one block runs at a time), ``__shfl_down_sync`` and
``__shfl_xor_sync`` exchange through a per-warp buffer between two warp
barriers, and ``atomicAdd``/``atomicInc``/``__threadfence`` are GCC's atomics.
What would hang or be undefined on a GPU is reported as an error instead: a
barrier that some threads of the block exited without reaching, a shuffle that
reads a lane that does not exist.
Index arithmetic, layouts, NumPy's integer and float16 semantics
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
#define __shared__ static
struct arrayscript_dim3 { unsigned int x, y, z; };
static thread_local arrayscript_dim3 threadIdx, blockIdx, blockDim, gridDim;
static thread_local int warpSize = 32;
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
// Block-level cooperation, provided by the runtime library (RUNTIME, loaded before any kernel).
extern "C" void arrayscript_sync_block();
extern "C" void arrayscript_sync_warp();
extern "C" void arrayscript_exchange(const void* value, void* result, unsigned size, unsigned source);
typedef void (*arrayscript_body)(void** args, unsigned block, unsigned thread, unsigned blocks, unsigned threads,
                                 int warp);
extern "C" const char* arrayscript_grid(unsigned blocks, unsigned threads, int warp, bool cooperative,
                                        arrayscript_body body, void** args);
static inline void __syncthreads() { arrayscript_sync_block(); }
static inline void __syncwarp(unsigned = 0xffffffffu) { arrayscript_sync_warp(); }
static inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
template <typename T> static inline T atomicAdd(T* address, T value) {
    return __atomic_fetch_add(address, value, __ATOMIC_SEQ_CST);
}
static inline unsigned atomicInc(unsigned* address, unsigned limit) {  // CUDA's: wraps to 0 past limit
    unsigned old = __atomic_load_n(address, __ATOMIC_SEQ_CST);
    while (!__atomic_compare_exchange_n(address, &old, old >= limit ? 0u : old + 1u, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST)) {}
    return old;
}
template <typename T> static inline T arrayscript_shuffle(T value, unsigned source) {
    static_assert(sizeof(T) <= 8, "a shuffled value is at most 8 bytes");
    T result;
    arrayscript_exchange(&value, &result, sizeof(T), source);
    return result;
}
template <typename T> static inline T __shfl_down_sync(unsigned, T value, unsigned delta, int width = warpSize) {
    const unsigned lane = threadIdx.x % warpSize, base = lane - lane % width;
    return arrayscript_shuffle(value, lane + delta < base + width ? lane + delta : lane);
}
template <typename T> static inline T __shfl_xor_sync(unsigned, T value, int mask, int width = warpSize) {
    const unsigned lane = threadIdx.x % warpSize, source = lane ^ (unsigned)mask;
    return arrayscript_shuffle(value, source < lane - lane % width + width ? source : lane);
}
template <typename T> static inline T __shfl_sync(unsigned, T value, int source, int width = warpSize) {
    const unsigned lane = threadIdx.x % warpSize;
    return arrayscript_shuffle(value, lane - lane % width + (unsigned)source % width);
}
#line 1 "kernel.cu"
"""

# The shim's runtime: the grid launcher and the barriers, compiled once (with the C++ thread
# headers, which would triple every kernel's compile time) and loaded globally before the kernels.
RUNTIME = r"""
#include <string.h>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

// A reusable barrier of ``count`` threads that knows which of them have exited the kernel:
// one that all the running threads wait at, while others exited, is a GPU hang, reported.
struct barrier {
    std::mutex mutex;
    std::condition_variable released;
    unsigned count = 0, waiting = 0, exited = 0, generation = 0;
    const char* error = nullptr;
    const char* what = "";
    void release() {
        if (exited && !error) error = what;
        waiting = 0; ++generation; released.notify_all();
    }
    void wait() {
        std::unique_lock<std::mutex> lock(mutex);
        unsigned mine = generation;
        if (++waiting + exited >= count) release();
        else released.wait(lock, [&] { return mine != generation; });
    }
    void exit() {
        std::unique_lock<std::mutex> lock(mutex);
        ++exited;
        if (waiting && waiting + exited >= count) release();
    }
};
struct warp_state {
    barrier meeting;
    unsigned char slots[32][8];
    unsigned lanes = 0;
};
static barrier* block_barrier = nullptr;
static std::vector<warp_state>* warps = nullptr;
static unsigned warp_size = 32;
static thread_local unsigned current_thread = 0;
static const char* lane_error = nullptr;
static std::mutex lane_error_mutex;

static const char* outside = nullptr;  // a barrier met outside a cooperative launch
extern "C" const char* arrayscript_outside() { const char* seen = outside; outside = nullptr; return seen; }
static bool cooperating(const char* what) {
    if (block_barrier == nullptr) outside = what;
    return block_barrier != nullptr;
}
extern "C" void arrayscript_sync_block() {
    if (cooperating("__syncthreads() called outside a cooperative launch")) block_barrier->wait();
}
extern "C" void arrayscript_sync_warp() {
    if (cooperating("__syncwarp() called outside a cooperative launch"))
        (*warps)[current_thread / warp_size].meeting.wait();
}

// A warp shuffle: every lane writes its value into the warp's buffer, the warp meets, each reads
// its source lane's, and the warp meets again before the buffer is reused.
extern "C" void arrayscript_exchange(const void* value, void* result, unsigned size, unsigned source) {
    if (!cooperating("a warp shuffle called outside a cooperative launch")) { memcpy(result, value, size); return; }
    warp_state& warp = (*warps)[current_thread / warp_size];
    memcpy(warp.slots[current_thread % warp_size], value, size);
    warp.meeting.wait();
    if (source < warp.lanes) {
        memcpy(result, warp.slots[source], size);
    } else {
        memcpy(result, value, size);
        std::lock_guard<std::mutex> guard(lane_error_mutex);
        lane_error = "a warp shuffle read a lane that does not exist (the block is not a whole number of warps)";
    }
    warp.meeting.wait();
}

typedef void (*body_type)(void**, unsigned, unsigned, unsigned, unsigned, int);

// Runs the kernel over blocks x threads, one block at a time: its threads one after another, or
// (``cooperative``: the kernel meets at barriers) each on its own std::thread. Returns what went
// wrong, or nullptr.
extern "C" const char* arrayscript_grid(unsigned blocks, unsigned threads, int warp, bool cooperative,
                                        body_type body, void** args) {
    static std::mutex one_launch;  // the barriers, and each kernel's __shared__ statics, are one
    std::lock_guard<std::mutex> guard(one_launch);
    for (unsigned block = 0; block < blocks; ++block) {
        if (!cooperative) {
            for (unsigned thread = 0; thread < threads; ++thread) body(args, block, thread, blocks, threads, warp);
            continue;
        }
        barrier whole;
        whole.count = threads;
        whole.what = "__syncthreads() was not reached by every thread of the block";
        std::vector<warp_state> block_warps((threads + warp - 1) / warp);
        for (unsigned w = 0; w < block_warps.size(); ++w) {
            unsigned lanes = threads - w * warp < (unsigned)warp ? threads - w * warp : (unsigned)warp;
            block_warps[w].lanes = block_warps[w].meeting.count = lanes;
            block_warps[w].meeting.what = "a warp shuffle or __syncwarp() was not reached by every lane of the warp";
        }
        block_barrier = &whole;
        warps = &block_warps;
        warp_size = warp;
        lane_error = nullptr;
        std::vector<std::thread> running;
        for (unsigned thread = 0; thread < threads; ++thread) {
            running.emplace_back([&, thread] {
                current_thread = thread;
                body(args, block, thread, blocks, threads, warp);
                whole.exit();
                block_warps[thread / warp].meeting.exit();
            });
        }
        for (std::thread& t : running) t.join();
        block_barrier = nullptr;
        warps = nullptr;
        if (whole.error) return whole.error;
        for (warp_state& w : block_warps)
            if (w.meeting.error) return w.meeting.error;
        if (lane_error) return lane_error;
    }
    return nullptr;
}
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
    grid of ``blocks`` x ``threads`` threads, in warps of ``warp`` lanes (32 on every
    NVIDIA GPU; a smaller one runs a kernel's several-warp paths with fewer threads)."""
    eager = False
    device_index = None
    name = "the host shim"

    def __init__(self, blocks: int = 3, threads: int = 4, directory: str | None = None, sanitize: bool = False,
                 warp: int = 32):
        if compiler() is None:
            raise ShimUnavailable("no C++ compiler (g++) on the PATH")
        if not 1 <= warp <= 32 or warp & (warp - 1):
            raise ValueError(f"a warp of {warp} lanes: the shim's warps are a power of two up to 32")
        if threads > 1024:
            raise ValueError(f"{threads} threads per block: CUDA allows at most 1024")
        self.blocks, self.threads, self.warp = blocks, threads, warp
        self.flags = list(SANITIZE_FLAGS) if sanitize else []
        self.directory = directory or tempfile.mkdtemp(prefix="arrayscript-shim-")
        self.sources: list = []  # every variant compiled, for other checks (nvcc)
        self._lock = threading.Lock()

    empty = staticmethod(np.empty)

    @staticmethod
    def address(array) -> int:
        return array.ctypes.data

    def compile(self, source: str, name: str, params):
        """``run(work, args)``: ``name`` launched over min(blocks, ceil(work / threads)) blocks."""
        self.sources.append((name, source))
        launch = self.launcher(source, name, params)
        blocks_wanted, threads = self.blocks, self.threads

        def run(work, args):
            blocks = max(1, min(blocks_wanted, -(-work // threads)))
            launch(blocks, threads, args)

        return run, "built by g++ for the host shim"

    def launcher(self, source: str, name: str, params):
        """``launch(blocks, threads, args)``: the kernel run over that grid on the host (cooperatively,
        a std::thread per thread, when it meets at barriers); raises RuntimeError for what would hang
        or be undefined on the GPU."""
        types = [ctypes.c_void_p if t.endswith("*") else _C_TYPES[t] for _, t in params]
        cooperative = any(word in source for word in _COOPERATIVE)
        library = self.library(source + _trampoline(name, params, cooperative))
        entry = getattr(library, f"arrayscript_launch_{name}")
        entry.restype = ctypes.c_char_p
        entry.argtypes = [ctypes.c_uint, ctypes.c_uint, ctypes.c_int, ctypes.c_void_p]
        warp = self.warp

        def launch(blocks, threads, args):
            if len(args) != len(types):
                raise TypeError(f"{name} takes {len(types)} arguments, {len(args)} given")
            arrays = [np.asarray(a) if ctype is ctypes.c_void_p else a for a, ctype in zip(args, types)]
            held = [ctype(a.ctypes.data if ctype is ctypes.c_void_p else _number(a)) for a, ctype in zip(arrays, types)]
            pointers = (ctypes.c_void_p * len(held))(*[ctypes.addressof(value) for value in held])
            error = entry(blocks, threads, warp, pointers)
            if error is not None:
                raise RuntimeError(f"{name} on {blocks} x {threads} threads in the host shim: {error.decode()}")

        return launch

    def library(self, source: str):
        """The kernel source compiled with the prelude and loaded (compiled once per source)."""
        load_runtime()
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


# What makes a kernel's threads meet: they must then run at once.
_COOPERATIVE = ("__syncthreads", "__shfl_", "__syncwarp")


def _trampoline(name: str, params, cooperative: bool) -> str:
    """``arrayscript_launch_<name>(blocks, threads, warp, args)``: the kernel called with ``args[k]``
    pointing at its k-th argument, over the grid (the runtime's arrayscript_grid)."""
    arguments = ", ".join(f"*({t}*)args[{k}]" for k, (_, t) in enumerate(params))
    return (f"\nstatic void arrayscript_body_{name}(void** args, unsigned block, unsigned thread, unsigned blocks, "
            f"unsigned threads, int warp) {{\n"
            f"    arrayscript_set_thread(block, thread, blocks, threads);\n    warpSize = warp;\n"
            f"    {name}({arguments});\n}}\n"
            f'extern "C" const char* arrayscript_launch_{name}(unsigned blocks, unsigned threads, int warp, '
            f"void** args) {{\n"
            f"    return arrayscript_grid(blocks, threads, warp, {'true' if cooperative else 'false'}, "
            f"arrayscript_body_{name}, args);\n}}\n")


_runtime_lock = threading.Lock()
_runtime_library = None


def load_runtime():
    """The runtime library (RUNTIME), built once per compiler into the temporary directory and
    loaded with RTLD_GLOBAL, so that the kernel libraries' references to it resolve."""
    global _runtime_library
    with _runtime_lock:
        if _runtime_library is None:
            command = [compiler(), "-std=c++17", "-O2", "-shared", "-fPIC", "-pthread", "-Wall", "-Werror"]
            digest = hashlib.sha256(" ".join([*command, RUNTIME]).encode()).hexdigest()[:24]
            folder = os.path.join(tempfile.gettempdir(), "arrayscript-shim-runtime")
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, f"runtime_{digest}.so")
            if not os.path.exists(path):
                code = os.path.join(folder, f"runtime_{digest}.{os.getpid()}.cpp")
                with open(code, "w") as handle:
                    handle.write(RUNTIME)
                built = f"{path}.{os.getpid()}"
                done = subprocess.run([*command, code, "-o", built], capture_output=True, text=True)
                if done.returncode != 0:
                    raise ShimUnavailable(f"g++ could not build the host shim's runtime:\n{done.stderr}")
                os.replace(built, path)  # atomic: other processes build the same file
            _runtime_library = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
    return _runtime_library


def _number(value):
    return value.item() if isinstance(value, np.generic) else value
