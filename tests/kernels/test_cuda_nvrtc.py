"""Every kernel the CUDA kernel tests generate, in every variant (the set
test_cuda_nvcc compiles with nvcc), compiled by NVRTC through the function the
CUDA backend compiles with (kernels.nvrtc.compile_cuda) and its exact options
(kernels.cuda.NVRTC_OPTIONS), for sm_90 (and one batch for sm_80) given explicitly, and the
PTX read for the NumPy float semantics the kernels promise:

- no flush to zero: ``.ftz`` only on the ``.approx`` instructions inside CUDA's
  math library (its own range-reduced steps; CUDA's ulp bounds include them);
  never on a comparison, an add, a multiply, a conversion;
- no contraction: every float add, sub and mul carries an explicit rounding
  (``.rn``), which ptxas does not fuse into an fma (PTX ISA, "add"/"mul": only
  those without a rounding modifier may be turned into fused multiply-adds); a
  kernel that calls no math function and uses 32-bit indices has no fma, no
  approximate instruction, and IEEE division and square root (64-bit index
  arithmetic is done by the compiler with double-precision reciprocals, and the
  math library uses fma on purpose, so those are left out of this one check).

The same checks run on kernels compiled with the options cupy.RawModule would
use (``-ftz=true``, contraction on) and must find each fault there. Skipped with
the reason where libnvrtc cannot be found (the test extra installs it)."""
from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from kernels import cuda, nvrtc

from .cuda_sources import batches, unit

# Under pytest -n (--dist loadgroup) these tests share one worker, which renders the sources
# once (the every_cuda_source session fixture) and compiles them once (the module fixture).
pytestmark = pytest.mark.xdist_group("cuda_sources")
BATCH = 200  # sources per NVRTC call: the first batch is also compiled for sm_80
ARCHITECTURES = ["sm_80", "sm_90"]
CUPY_RAWMODULE_OPTIONS = ("--std=c++14", "-ftz=true")  # RawModule(code=...) with the old options: its -ftz last
# Math-library calls the renderer prints; their inlined code uses fma and .approx on purpose.
_LIBRARY_CALL = re.compile(r"\b(exp|exp2|expm1|log|log2|log10|log1p|sin|cos|tan|asin|acos|atan|sinh|cosh|tanh|asinh|acosh|atanh|erf|"
                           r"atan2|fmod|pow|cbrt|hypot)f?\(")
_INSTRUCTION = re.compile(r"^\s+(?:@!?%p\d+\s+)?([a-z][\w.]*)", re.M)
_ROUNDING = (".rn", ".rz", ".rm", ".rp")


def _require_nvrtc():
    try:
        nvrtc.version()
    except nvrtc.NvrtcNotFound as error:
        pytest.skip(str(error))


def _compile_all(batches, options, architectures) -> list:
    """(batch, architecture, Compiled) for every batch and architecture."""
    jobs = [(batch, arch) for batch in batches for arch in architectures]

    def one(job):
        batch, arch = job
        return batch, arch, nvrtc.compile_cuda(unit(batch), options, arch)

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return list(pool.map(one, jobs))


def entries(ptx: str) -> dict:
    """kernel name -> its ``.entry`` body, for every kernel of a PTX module."""
    parts = re.split(r"^\.visible \.entry (\w+)\(", ptx, flags=re.M)
    return {name: re.split(r"^\.(?:visible|weak|extern)?\s*\.?func\b", body, flags=re.M)[0]
            for name, body in zip(parts[1::2], parts[2::2])}


def flush_to_zero_faults(ptx: str) -> list:
    return sorted({op for op in _INSTRUCTION.findall(ptx) if ".ftz" in op and ".approx" not in op})


def contractible_faults(ptx: str) -> list:
    """Float adds, subs and muls without a rounding modifier: ptxas may fuse them."""
    return sorted({op for op in _INSTRUCTION.findall(ptx)
                   if re.match(r"(add|sub|mul)\.", op) and re.search(r"\.f(32|64)$", op)
                   and not any(r in op for r in _ROUNDING)})


def plain_kernel_faults(body: str) -> list:
    """In a kernel without math calls and with 32-bit indices: no fma, nothing approximate,
    IEEE division and square root."""
    faults = set()
    for op in _INSTRUCTION.findall(body):
        if op.startswith("fma") or ".approx" in op:
            faults.add(op)
        elif re.match(r"(div|sqrt|rcp)\.", op) and re.search(r"\.f(32|64)$", op) and ".rn" not in op:
            faults.add(op)
    return sorted(faults)


def is_plain(name: str, source: str) -> bool:
    return name.endswith("32") and not _LIBRARY_CALL.search(source)


@pytest.fixture(scope="module")
def sources(request):
    _require_nvrtc()
    return request.getfixturevalue("every_cuda_source")


@pytest.fixture(scope="module")
def compiled(sources):
    """Every batch for the last architecture; the first batch for the others (the PTX
    checks read what NVRTC's front end emits, which the architecture barely changes)."""
    units = batches(sources, BATCH)
    every = _compile_all(units, cuda.NVRTC_OPTIONS, ARCHITECTURES[-1:])
    return _compile_all(units[:1], cuda.NVRTC_OPTIONS, ARCHITECTURES[:-1]) + every


def test_every_generated_kernel_compiles_with_nvrtc_for_each_architecture(compiled):
    for batch, arch, result in compiled:
        assert f".target {arch}" in result.ptx
        assert set(entries(result.ptx)) == set(batch), "every kernel of the unit is in its PTX"
        assert result.cubin[:4] == b"\x7fELF", f"no cubin for {arch}"
    assert {arch for _, arch, _ in compiled} == set(ARCHITECTURES)


def test_no_flush_to_zero_in_any_kernel(compiled):
    faults = {f"{arch}: {op}" for _, arch, result in compiled for op in flush_to_zero_faults(result.ptx)}
    assert not faults, sorted(faults)


def test_no_float_add_or_multiply_left_for_ptxas_to_contract(compiled):
    faults = {f"{arch}: {op}" for _, arch, result in compiled for op in contractible_faults(result.ptx)}
    assert not faults, sorted(faults)


def test_kernels_without_math_calls_have_no_fma_and_ieee_division(compiled):
    checked, faults = 0, []
    for batch, arch, result in compiled:
        for name, body in entries(result.ptx).items():
            if is_plain(name, batch[name]):
                checked += 1
                faults += [f"{arch} {name}: {op}" for op in plain_kernel_faults(body)]
    assert checked > 500, f"only {checked} kernels without math calls were checked"
    assert not faults, faults[:20]


def test_the_checks_find_flush_to_zero_and_contraction_under_cupys_options(sources):
    """The options RawModule(code=...) compiled with: each check above finds its fault."""
    mixes = {text: name for text, name in sources.items()  # a = x * y + y over the dtype mixes
             if name.startswith("fused_multiply_add_") and is_plain(name, text)}
    (batch,) = batches(mixes, BATCH)
    ((_, _, faulty),) = _compile_all([batch], CUPY_RAWMODULE_OPTIONS, ["sm_90"])
    assert flush_to_zero_faults(faulty.ptx), "FTZ under -ftz=true was not seen"
    assert contractible_faults(faulty.ptx), "unrounded float adds under contraction were not seen"
    fused = [name for name, body in entries(faulty.ptx).items() if any(op.startswith("fma")
                                                                       for op in plain_kernel_faults(body))]
    assert fused, "no contracted multiply-add was seen with contraction on"
    ((_, _, ours),) = _compile_all([batch], cuda.NVRTC_OPTIONS, ["sm_90"])
    assert not any(plain_kernel_faults(entries(ours.ptx)[name]) for name in fused)


def test_the_backend_gets_a_cached_cubin_of_the_same_compile(sources, tmp_path, monkeypatch):
    monkeypatch.setenv("ARRAYSCRIPT_CACHE_DIR", str(tmp_path))
    source, name = next(iter(sources.items()))
    path, fresh = nvrtc.cached_binary(source, cuda.NVRTC_OPTIONS, "sm_90")
    assert fresh and path.suffix == ".cubin" and str(path).startswith(str(tmp_path))
    assert path.read_bytes() == nvrtc.compile_cuda(source, cuda.NVRTC_OPTIONS, "sm_90").cubin
    assert nvrtc.source_of(path) == source
    assert nvrtc.cached_binary(source, cuda.NVRTC_OPTIONS, "sm_90") == (path, False)
    other, fresh = nvrtc.cached_binary(source, cuda.NVRTC_OPTIONS, "sm_80")
    assert fresh and other != path, "the architecture is part of the cache key"
    ptx_path, _ = nvrtc.cached_binary(source, cuda.NVRTC_OPTIONS, "compute_90")
    assert ptx_path.suffix == ".ptx" and f".entry {name}(" in ptx_path.read_text()


def test_architectures_follow_the_device_and_nvrtc():
    _require_nvrtc()
    known = nvrtc.supported_architectures()
    assert 80 in known and 90 in known
    assert nvrtc.architecture_for(90) == "sm_90"
    assert nvrtc.architecture_for(max(known) + 1) == f"compute_{max(known)}", "a newer device gets PTX"
    with pytest.raises(nvrtc.CompileError, match="not for this device's sm_10"):
        nvrtc.architecture_for(10)


def test_a_bad_option_or_source_is_an_error_naming_it():
    _require_nvrtc()
    with pytest.raises(nvrtc.CompileError, match="--no-such-option"):
        nvrtc.compile_cuda('extern "C" __global__ void k() {}', ("--no-such-option",), "sm_90")
    with pytest.raises(nvrtc.CompileError, match="undefined_name"):
        nvrtc.compile_cuda('extern "C" __global__ void k(float* o) { o[0] = undefined_name; }', (), "sm_90")
