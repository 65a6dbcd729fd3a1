"""Every kernel the CUDA kernel tests generate, in every variant (flat, vector,
strided and, for STATIC kernels, baked; 32- and 64-bit indices), compiled by
nvcc to PTX for sm_80, and that PTX assembled by ptxas to a cubin for sm_90,
which also checks the inline PTX of the float16 conversions. (The kernels use
no ``__CUDA_ARCH__`` branches, so a second front-end run for sm_90 would
compile the same code again; NVRTC's sm_90 front end is checked in
test_cuda_nvrtc.) Sources are compiled many to a translation unit, each
unchanged inside its own namespace. Skipped with the reason where nvcc or
ptxas is not on the PATH."""
from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .cuda_sources import batches, unit

# Under pytest -n (--dist loadgroup) this and the NVRTC tests share one worker, which renders
# the sources once (the every_cuda_source session fixture).
pytestmark = pytest.mark.xdist_group("cuda_sources")
BATCH = 700  # sources per nvcc run (each run costs about 0.6 s more than its kernels)
PTX_ARCH, CUBIN_ARCH = "sm_80", "sm_90"


def test_every_generated_kernel_compiles_with_nvcc(tmp_path, request):
    nvcc, ptxas = shutil.which("nvcc"), shutil.which("ptxas")
    if nvcc is None or ptxas is None:
        pytest.skip("nvcc or ptxas is not on the PATH: install the CUDA toolkit to compile the kernels to PTX")
    sources = request.getfixturevalue("every_cuda_source")
    jobs = []
    for number, batch in enumerate(batches(sources, BATCH)):
        path = tmp_path / f"batch{number}.cu"
        path.write_text(unit(batch))
        ptx, cubin = path.with_suffix(f".{PTX_ARCH}.ptx"), path.with_suffix(f".{CUBIN_ARCH}.cubin")
        commands = [[nvcc, "-ptx", f"-arch={PTX_ARCH}", "-diag-suppress", "177", str(path), "-o", str(ptx)],
                    [ptxas, f"-arch={CUBIN_ARCH}", str(ptx), "-o", str(cubin)]]
        jobs.append((batch, ptx, cubin, commands))

    def compile_one(job):
        """The first failing step's output, or None."""
        for command in job[3]:
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode:
                return f"{Path(command[0]).name} {job[1].stem}:\n{done.stderr[:4000]}"
        return None

    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = [failure for failure in pool.map(compile_one, jobs) if failure]
    assert not failures, "\n".join(failures)
    for batch, ptx, cubin, _ in jobs:
        text = ptx.read_text()
        assert f".target {PTX_ARCH}" in text
        entries = {line.split()[-1].rstrip("(") for line in text.splitlines() if line.startswith(".visible .entry")}
        assert entries == set(batch), "every kernel of the unit is in its PTX"
        assert cubin.read_bytes()[:4] == b"\x7fELF", f"{cubin.name} is not a cubin"
