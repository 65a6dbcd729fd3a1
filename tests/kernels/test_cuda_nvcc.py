"""Every kernel the CUDA kernel tests generate, in every variant (flat, vector,
strided and, for STATIC kernels, baked; 32- and 64-bit indices), compiled by
nvcc: to PTX for sm_80, and through ptxas to a cubin for sm_90, which also
checks the inline PTX of the float16 conversions. Sources are compiled many
to a translation unit, each unchanged inside its own namespace. Skipped with
the reason where nvcc is not on the PATH."""
from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import jit.nn.functional as F
from kernels import cuda

from ..helpers import script_source
from . import emulated_gpu
from .test_cuda import every_case

BATCH = 200  # sources per nvcc run: about a second each
TARGETS = [("-ptx", "sm_80"), ("-cubin", "sm_90")]


class _NoCompile:
    """A backend for rendering only: nothing is compiled or run."""
    eager, device_index, name = False, None, "no backend"
    empty = staticmethod(np.empty)

    @staticmethod
    def address(array):
        return array.ctypes.data

    def compile(self, source, name, params):
        raise AssertionError("rendering only")


def _every_source(monkeypatch) -> dict:
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


def _batches(sources: dict) -> list:
    """Lists of sources with distinct kernel names (extern "C" names must differ in one unit)."""
    batches: list = []
    for text, name in sources.items():
        for batch in batches:
            if len(batch) < BATCH and name not in batch:
                batch[name] = text
                break
        else:
            batches.append({name: text})
    return batches


def test_every_generated_kernel_compiles_with_nvcc(tmp_path, monkeypatch):
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("nvcc is not on the PATH: install the CUDA toolkit to compile the kernels to PTX")
    sources = _every_source(monkeypatch)
    assert len(sources) > 1000, "the cases generate far fewer kernels than expected"
    jobs = []
    for number, batch in enumerate(_batches(sources)):
        unit = tmp_path / f"batch{number}.cu"
        unit.write_text("".join(f"namespace variant{k} {{\n{text}}}\n" for k, text in enumerate(batch.values())))
        for kind, arch in TARGETS:
            output = unit.with_suffix(f".{arch}.{kind[1:]}")
            command = [nvcc, kind, f"-arch={arch}", "-diag-suppress", "177", str(unit), "-o", str(output)]
            jobs.append((batch, output, arch, command))

    def compile_one(job):
        return job, subprocess.run(job[3], capture_output=True, text=True)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(compile_one, jobs))
    failures = [f"{output.name}:\n{done.stderr[:4000]}" for (_, output, _, _), done in results if done.returncode]
    assert not failures, "\n".join(failures)
    for batch, output, arch, _ in jobs:
        if output.suffix == ".ptx":
            text = output.read_text()
            assert f".target {arch}" in text
            entries = {line.split()[-1].rstrip("(") for line in text.splitlines() if line.startswith(".visible .entry")}
            assert entries == set(batch), "every kernel of the unit is in its PTX"
        else:
            assert output.read_bytes()[:4] == b"\x7fELF", f"{output.name} is not a cubin"
