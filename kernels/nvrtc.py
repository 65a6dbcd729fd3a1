"""NVRTC through ctypes: CUDA C to PTX and a cubin for an explicit GPU
architecture, compiled with exactly the options the caller gives, cached on disk.

The CUDA backend compiles here rather than through ``cupy.RawModule(code=...)``,
which appends ``-ftz=true`` after the caller's options (NVRTC keeps the last
one), and loads the cubin with ``cupy.RawModule(path=...)``, which keeps CuPy's
device and stream handling. Nothing here needs a GPU or CuPy, so CI compiles
every generated kernel with the same function and options the backend uses.

libnvrtc is looked for, in order: ``$ARRAYSCRIPT_NVRTC`` (a path to the
library); CuPy 14's own lookup (``cuda.pathfinder``); the ``nvidia-cuda-nvrtc``
wheels (which ``cupy-cuda13x[ctk]`` installs); a CUDA toolkit (``$CUDA_PATH``,
``$CUDA_HOME``, /usr/local/cuda); the system's library path.

Binaries are kept in ``<cache root>/cuda-nvrtc<version>/`` (the root of
kernels.cache), named by the hash of NVRTC's version, the architecture, the
options and the source; the source is written beside each one, for reading.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import glob
import hashlib
import importlib.util
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from .cache import cache_root, write_atomically

INSTALL_HINT = "install arrayscript[cuda] (CuPy with NVRTC), or nvidia-cuda-nvrtc for NVRTC alone"
_NVRTC_SUCCESS = 0


class NvrtcNotFound(RuntimeError):
    """No loadable libnvrtc; the message says where it was looked for."""


class CompileError(RuntimeError):
    """NVRTC rejected a source or an option; the message carries its log."""


@dataclass(frozen=True)
class Compiled:
    ptx: str
    cubin: bytes | None  # only for a real architecture (sm_XX)
    log: str


def _candidates() -> list:
    """(where, path) of each libnvrtc to try, in order."""
    found = []
    try:
        from cuda.pathfinder import load_nvidia_dynamic_lib  # noqa: PLC0415 - CuPy 14's dependency, optional here

        path = load_nvidia_dynamic_lib("nvrtc").abs_path
        if path:  # None where it found the library loaded without learning from where
            found.append(("cuda.pathfinder", path))
    except Exception:  # not installed, or it found nothing
        pass
    spec = importlib.util.find_spec("nvidia")
    for root in (spec.submodule_search_locations or []) if spec is not None else []:
        wheels = [p for p in glob.glob(os.path.join(root, "*", "lib", "libnvrtc.so*")) if "builtins" not in p]
        found += [("the nvidia wheels", p) for p in sorted(wheels, reverse=True)]  # cu13 before cuda_nvrtc (12)
    for variable in ("CUDA_PATH", "CUDA_HOME"):
        if os.environ.get(variable):
            found += [(f"${variable}", p) for p in sorted(glob.glob(os.path.join(os.environ[variable], "lib64",
                                                                                "libnvrtc.so*")), reverse=True)]
    found += [("/usr/local/cuda", p) for p in sorted(glob.glob("/usr/local/cuda/lib64/libnvrtc.so*"), reverse=True)]
    system = ctypes.util.find_library("nvrtc")
    if system:
        found.append(("the system's library path", system))
    return [(where, p) for where, p in found if "builtins" not in os.path.basename(p)]


@functools.lru_cache(maxsize=None)
def library() -> ctypes.CDLL:
    """The loaded libnvrtc, its functions typed (found once per process)."""
    explicit = os.environ.get("ARRAYSCRIPT_NVRTC")
    tried = []
    for where, path in [("$ARRAYSCRIPT_NVRTC", explicit)] if explicit else _candidates():
        try:
            return _typed(ctypes.CDLL(path))
        except (OSError, AttributeError) as error:  # not loadable, or a library without NVRTC's functions
            tried.append(f"{path} ({where}): {error}")
    looked = "; ".join(tried) or "no libnvrtc in CuPy's lookup, the nvidia wheels, a CUDA toolkit or the system"
    raise NvrtcNotFound(f"NVRTC not found: {INSTALL_HINT}. Looked for: {looked}")


def _typed(lib: ctypes.CDLL) -> ctypes.CDLL:
    p, size, integer = ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(ctypes.c_int)
    strings = ctypes.POINTER(ctypes.c_char_p)
    signatures = {
        "nvrtcVersion": [integer, integer],
        "nvrtcGetNumSupportedArchs": [integer],
        "nvrtcGetSupportedArchs": [integer],
        "nvrtcCreateProgram": [ctypes.POINTER(p), ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int, strings, strings],
        "nvrtcCompileProgram": [p, ctypes.c_int, strings],
        "nvrtcDestroyProgram": [ctypes.POINTER(p)],
        "nvrtcGetProgramLogSize": [p, size], "nvrtcGetProgramLog": [p, ctypes.c_char_p],
        "nvrtcGetPTXSize": [p, size], "nvrtcGetPTX": [p, ctypes.c_char_p],
        "nvrtcGetCUBINSize": [p, size], "nvrtcGetCUBIN": [p, ctypes.c_char_p],
    }
    for name, arguments in signatures.items():
        function = getattr(lib, name)
        function.argtypes, function.restype = arguments, ctypes.c_int
    lib.nvrtcGetErrorString.argtypes, lib.nvrtcGetErrorString.restype = [ctypes.c_int], ctypes.c_char_p
    return lib


def _check(result: int, what: str):
    if result != _NVRTC_SUCCESS:
        raise CompileError(f"{what}: {library().nvrtcGetErrorString(result).decode()}")


def version() -> tuple:
    """(major, minor) of the NVRTC found."""
    major, minor = ctypes.c_int(), ctypes.c_int()
    _check(library().nvrtcVersion(ctypes.byref(major), ctypes.byref(minor)), "nvrtcVersion")
    return major.value, minor.value


@functools.lru_cache(maxsize=None)
def supported_architectures() -> tuple:
    """The compute capabilities NVRTC compiles for, as integers (90 for sm_90)."""
    count = ctypes.c_int()
    _check(library().nvrtcGetNumSupportedArchs(ctypes.byref(count)), "nvrtcGetNumSupportedArchs")
    found = (ctypes.c_int * count.value)()
    _check(library().nvrtcGetSupportedArchs(found), "nvrtcGetSupportedArchs")
    return tuple(found)


def architecture_for(compute_capability: int) -> str:
    """``sm_XX`` (a cubin) for a device NVRTC knows; for a newer one, PTX of the newest
    architecture NVRTC has (``compute_XX``), which the driver compiles on load."""
    known = supported_architectures()
    if compute_capability in known:
        return f"sm_{compute_capability}"
    older = [a for a in known if a <= compute_capability]
    if not older:
        major, minor = version()
        raise CompileError(f"NVRTC {major}.{minor} compiles for {', '.join(f'sm_{a}' for a in known)}, "
                           f"not for this device's sm_{compute_capability}")
    return f"compute_{max(older)}"


def compile_cuda(source: str, options, architecture: str, filename: str = "kernel.cu") -> Compiled:
    """``source`` compiled by NVRTC with ``options`` then ``--gpu-architecture=<architecture>``
    (``sm_90``: PTX and a cubin; ``compute_90``: PTX only)."""
    lib = library()
    arguments = [*options, f"--gpu-architecture={architecture}"]
    program = ctypes.c_void_p()
    _check(lib.nvrtcCreateProgram(ctypes.byref(program), source.encode(), filename.encode(), 0, None, None),
           "nvrtcCreateProgram")
    try:
        encoded = (ctypes.c_char_p * len(arguments))(*(a.encode() for a in arguments))
        result = lib.nvrtcCompileProgram(program, len(arguments), encoded)
        log = _read(lib.nvrtcGetProgramLogSize, lib.nvrtcGetProgramLog, program).rstrip(b"\0").decode(errors="replace")
        if result != _NVRTC_SUCCESS:
            raise CompileError(f"NVRTC {lib.nvrtcGetErrorString(result).decode()} with options "
                               f"{' '.join(arguments)}:\n{log.strip()}")
        ptx = _read(lib.nvrtcGetPTXSize, lib.nvrtcGetPTX, program).rstrip(b"\0").decode()
        cubin = _read(lib.nvrtcGetCUBINSize, lib.nvrtcGetCUBIN, program) if architecture.startswith("sm_") else None
        return Compiled(ptx, cubin, log)
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(program))


def _read(get_size, get, program) -> bytes:
    size = ctypes.c_size_t()
    _check(get_size(program, ctypes.byref(size)), get_size.__name__)
    buffer = ctypes.create_string_buffer(size.value)
    _check(get(program, buffer), get.__name__)
    return buffer.raw


_lock = threading.Lock()


def cached_binary(source: str, options, architecture: str) -> tuple:
    """(path of the cubin, or of the PTX for a ``compute_XX`` architecture; whether it
    was compiled now rather than found in the disk cache)."""
    major, minor = version()
    key = "\0".join([f"nvrtc {major}.{minor}", architecture, *options, source])
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    directory = cache_root() / f"cuda-nvrtc{major}.{minor}"
    path = directory / f"{digest}.{'cubin' if architecture.startswith('sm_') else 'ptx'}"
    if path.exists():
        return path, False
    compiled = compile_cuda(source, options, architecture)
    with _lock:
        directory.mkdir(parents=True, exist_ok=True)
    write_atomically(path.with_suffix(".cu"), source)
    write_atomically(path, compiled.cubin if compiled.cubin is not None else compiled.ptx)
    return path, True


def source_of(binary: Path) -> str:
    """The CUDA C a cached binary was compiled from."""
    return Path(binary).with_suffix(".cu").read_text()
