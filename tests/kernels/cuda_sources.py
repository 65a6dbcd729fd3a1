"""The CUDA source of every variant of every kernel the CUDA kernel tests generate,
rendered once per session (the ``every_cuda_source`` fixture) for the nvcc and NVRTC
checks, and the translation units they compile it in."""
from __future__ import annotations

import numpy as np

import jit.nn.functional as F
from kernels import cuda

from ..helpers import script_source
from . import emulated_gpu
from .test_cuda import every_case


class _NoCompile:
    """A backend for rendering only: nothing is compiled or run."""
    eager, device_index, name = False, None, "no backend"
    empty = staticmethod(np.empty)

    @staticmethod
    def address(array):
        return array.ctypes.data

    def compile(self, source, name, params):
        raise AssertionError("rendering only")


def every_source(monkeypatch) -> dict:
    """source -> variant name, for every variant of every kernel of every case."""
    sources = {}
    for source, args, kind in every_case():
        scripted, _ = script_source(source, F=F)
        graph = emulated_gpu.specialize(scripted, args, kind, _NoCompile(), monkeypatch)
        for kernel in emulated_gpu.kernels_of(graph):
            modes = [cuda.FLAT, cuda.VECTOR, cuda.STRIDED] + ([cuda.BAKED] if kernel.static else [])
            for key in [(mode, bits) for mode in modes for bits in (32, 64)]:
                sources.setdefault(kernel.source(key), cuda._variant_name(kernel.kernel, key))
    return sources


def batches(sources: dict, size: int) -> list:
    """Lists of at most ``size`` sources with distinct kernel names (extern "C" names
    must differ in one unit)."""
    found: list = []
    for text, name in sources.items():
        for batch in found:
            if len(batch) < size and name not in batch:
                batch[name] = text
                break
        else:
            found.append({name: text})
    return found


def unit(batch: dict) -> str:
    """One translation unit of ``batch``'s sources, each unchanged inside its own namespace."""
    return "".join(f"namespace variant{k} {{\n{text}}}\n" for k, text in enumerate(batch.values()))
