"""The backend protocol (kernels.backend): one object per backend with ``name``,
``dtypes``, ``supports(kernel)``, ``build(kernel, static_shapes, fallback)``,
``warm_up()`` and ``available()``, found by ``backend_for(device)``. The CPU
backend builds Numba kernels; the CUDA backend builds CUDA C kernels, run here
by the host shim (g++) in place of a GPU, and says why it is not available
where CuPy or a device is missing."""
from __future__ import annotations

import numpy as np
import pytest

import device
from kernels import backend as backends
from kernels import cpu, cuda, host_shim
from kernels.ir import Const, Instr, Kernel, Operand, Output, UnsupportedKernel

from ..helpers import assert_same

GPU = device.Device("cuda:0")


def _scaled_exp(name: str, dtype: str = "float64") -> Kernel:
    """out = exp(a0 + a1) * 0.5, a1 broadcast along the rows."""
    return Kernel(name, (Operand("a0", dtype, 2), Operand("a1", dtype, 1)),
                  (Instr("t0", "+", ("a0", "a1"), dtype), Instr("t1", "exp", ("t0",), dtype),
                   Instr("t2", "*", ("t1", Const(0.5, dtype)), dtype)),
                  (Output("out0", "t2", dtype),), 2)


def _eager(x, b):
    return np.exp(x + b) * x.dtype.type(0.5)


def _inputs(dtype="float64"):
    rng = np.random.default_rng(0)
    return rng.standard_normal((5, 7)).astype(dtype), rng.standard_normal(7).astype(dtype)


def _unfused(x, b):
    raise AssertionError("the kernel takes these layouts: the fallback must not run")


@pytest.mark.parametrize("where", ["cpu", "cuda:0"])
def test_each_backend_has_the_protocol(where):
    backend = backends.backend_for(where)
    assert isinstance(backend.name, str) and backend.name
    assert isinstance(backend.dtypes, frozenset) and {"float32", "float64", "int64", "bool"} <= backend.dtypes
    for member in ("supports", "build", "warm_up", "available"):
        assert callable(getattr(backend, member)), f"{backend!r} lacks {member}()"
    support = backend.supports(_scaled_exp(f"protocol_{backend.name}"))
    ok, reason = support
    assert ok and bool(support) and reason is None


def test_backend_for_gives_one_object_per_device():
    assert backends.backend_for("cpu") is backends.backend_for(device.Device("cpu")) is backends.CPU
    assert backends.backend_for(None) is backends.CPU, "a device not known is NumPy's"
    gpu = backends.backend_for(GPU)
    assert isinstance(gpu, backends.CudaBackend) and gpu.device == GPU
    assert backends.backend_for("cuda:0") is gpu and backends.backend_for("cuda:1") is not gpu
    assert (backends.CPU.name, gpu.name) == ("CPU", "CUDA")


def test_supports_gives_the_reason_for_a_dtype_the_backend_lacks():
    half = _scaled_exp("half_exp", "float16")
    support = backends.CPU.supports(half)
    assert not support and support.ok is False
    assert support.reason == "float16 is not supported by the CPU kernels"
    with pytest.raises(UnsupportedKernel, match="float16 is not supported by the CPU kernels"):
        backends.CPU.build(half)
    assert backends.backend_for(GPU).supports(half), "the CUDA kernels compute float16 (in float32)"


@pytest.mark.parametrize("static", [True, False])
def test_the_cpu_backend_builds_a_kernel_equal_to_numpy(static):
    x, b = _inputs()
    kernel = _scaled_exp(f"backend_cpu_{static}")
    built = backends.CPU.build(kernel, [x.shape, b.shape] if static else None, _unfused)
    assert isinstance(built, cpu.CpuKernel) and built.static is static
    assert_same(built.launch(x, b), _eager(x, b))
    assert kernel.name in built.report()


@pytest.mark.parametrize("static", [True, False])
def test_the_cuda_backend_builds_a_kernel_the_host_shim_runs_equal_to_numpy(static, tmp_path, monkeypatch):
    if host_shim.compiler() is None:
        pytest.skip("no g++ on the PATH: the host shim cannot compile the CUDA C kernels")
    compiler = host_shim.HostBackend(directory=str(tmp_path))
    monkeypatch.setattr(cuda, "backend_for", lambda dev: compiler)  # the compiler a GPU's CupyBackend would be
    x, b = _inputs("float32")
    built = backends.backend_for(GPU).build(_scaled_exp(f"backend_cuda_{static}", "float32"),
                                            [x.shape, b.shape] if static else None, _unfused)
    assert isinstance(built, cuda.CudaKernel) and built.static is static
    assert_same(built.launch(x, b), _eager(x, b))


def test_the_cuda_backend_without_cupy_is_not_available_and_says_why(monkeypatch):
    monkeypatch.setattr(device, "cupy_module", lambda: None)
    gpu = backends.backend_for(GPU)
    available, reason = gpu.available()
    assert not available and reason == "cuda:0 needs CuPy, which is not installed"
    with pytest.raises(UnsupportedKernel, match="CuPy is not installed"):  # the fuser leaves the group unfused
        gpu.build(_scaled_exp("backend_no_cupy"), None, _unfused)
    assert backends.CPU.available() == (True, None)


def test_the_cuda_backend_with_cupy_but_no_device_is_not_available(monkeypatch):
    class NoDevice:
        class cuda:
            class runtime:
                @staticmethod
                def getDeviceCount():
                    raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    monkeypatch.setattr(device, "cupy_module", lambda: NoDevice)
    assert backends.backend_for("cuda:1").available() == (False, "cuda:1: CuPy sees no CUDA device")


def test_warm_up_all_warms_each_backend_made(monkeypatch):
    warmed = []
    monkeypatch.setattr(cpu, "warm_up", lambda: warmed.append("cpu"))
    monkeypatch.setattr(backends.CudaBackend, "warm_up", lambda self: warmed.append(str(self.device)))
    backends.backend_for(GPU)
    backends.warm_up_all()
    assert warmed[0] == "cpu" and "cuda:0" in warmed
