"""Fusion on a real GPU: every case of the CUDA kernel tests (tests/kernels/test_cuda.py)
run on CuPy arrays through the executor, against the same function run eagerly by
NumPy on the host copies; modules moved with .cuda() / .to(); mixed devices; CuPy's
current stream; no host copies; 64-bit indices. Skipped cleanly without CuPy or a
CUDA device."""
from __future__ import annotations

import numpy as np
import pytest

import device
import jit
import jit.nn.functional as F
from jit import nn

if not device.cuda_is_available():
    pytest.skip("needs CuPy and a CUDA device (install arrayscript[cuda] on a GPU machine)", allow_module_level=True)

from ..helpers import FLOAT_TOLERANCE, script_source  # noqa: E402
from ..kernels.test_cuda import _GELU_BIAS, every_case  # noqa: E402

cupy = device.cupy_module()
CASES = [case for case in every_case() if not any(isinstance(a, np.generic) for a in case[1])]


def _gpu(value):
    return device.to(value, "cuda:0") if isinstance(value, np.ndarray) else value


def _assert_close(actual, expected):
    """Equal to eager NumPy: dtype, shape, device, and values within the float tolerance
    (CUDA's math library differs from glibc's by an ulp or two)."""
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            _assert_close(a, e)
        return
    assert device.of(actual) == device.Device("cuda:0"), "the result left the GPU"
    host = device.to(actual, "cpu")
    assert host.dtype == expected.dtype and host.shape == expected.shape
    if expected.dtype.kind == "f":
        rtol, atol = FLOAT_TOLERANCE[expected.dtype]
        np.testing.assert_allclose(host, expected, rtol=4 * rtol, atol=4 * atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(host, expected)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_every_kernel_case_matches_eager_numpy(case):
    source, args, kind = CASES[case]
    previous = jit.set_fusion_strategy([(kind, 2)])
    try:
        scripted, eager = script_source(source, F=F)
        gpu_args = [_gpu(a) for a in args]
        with np.errstate(all="ignore"):
            scripted(*gpu_args)
            actual = scripted(*gpu_args)
            expected = eager(*args)
        assert "prim::FusionGroup" in str(jit.last_executed_optimized_graph())
        _assert_close(actual, expected)
    finally:
        jit.set_fusion_strategy(previous)


def test_explain_names_the_cuda_kernel_and_its_compile_time():
    scripted, _ = script_source(_GELU_BIAS, F=F)
    x, b = _gpu(np.ones((64, 32), np.float32)), _gpu(np.ones(32, np.float32))
    scripted(x, b)
    scripted(x, b)
    text = str(jit.explain(scripted, x, b))
    assert "CUDA kernel fused_" in text and "built by NVRTC" in text, text


def test_a_module_moved_to_the_gpu_runs_fused_there():
    jit.manual_seed(0)
    model = nn.Sequential(nn.Linear(32, 64), nn.GELU(), nn.Linear(64, 8))
    x = np.random.default_rng(1).standard_normal((16, 32)).astype(np.float32)
    expected = model(x)
    for moved in (jit.script(model.cuda()), jit.script(model.to("cuda:0"))):
        moved(_gpu(x))
        _assert_close(moved(_gpu(x)), expected)
        assert "prim::FusionGroup" in str(jit.last_executed_optimized_graph())


def test_arrays_on_different_devices_raise_naming_them():
    scripted, _ = script_source("def f(x, y):\n    return np.tanh(x) + y\n")
    with pytest.raises(RuntimeError, match="different devices"):
        scripted(_gpu(np.ones(4, np.float32)), np.ones(4, np.float32))


def test_kernels_run_on_the_current_stream_and_copy_nothing_to_the_host(monkeypatch):
    scripted, eager = script_source(_GELU_BIAS, F=F)
    x = np.random.default_rng(2).standard_normal((256, 128)).astype(np.float32)
    b = np.random.default_rng(3).standard_normal(128).astype(np.float32)
    gx, gb = _gpu(x), _gpu(b)
    scripted(gx, gb)
    scripted(gx, gb)

    def no_copy(*args, **kwargs):
        raise AssertionError("a device-to-host copy during a fused call")

    monkeypatch.setattr(cupy.ndarray, "get", no_copy)
    monkeypatch.setattr(cupy, "asnumpy", no_copy)
    stream = cupy.cuda.Stream(non_blocking=True)
    with stream:
        actual = scripted(gx, gb)
    stream.synchronize()
    monkeypatch.undo()
    _assert_close(actual, eager(x, b))


def test_64_bit_indices_past_two_billion_elements():
    count = (1 << 31) + 5
    x = cupy.ones(count, dtype=cupy.uint8)
    y = cupy.full(count, 2, dtype=cupy.uint8)
    scripted, _ = script_source("def f(x, y):\n    return x * y + x\n")
    scripted(x, y)
    result = scripted(x, y)
    assert int(result[-1]) == 3 and int(result[0]) == 3 and int(result.sum(dtype=cupy.int64)) == 3 * count


def test_strict_fusion_passes_for_a_fused_gpu_block():
    scripted, _ = script_source("def f(x):\n    with jit.strict_fusion():\n        y = np.tanh(x) * 2.0 + x\n"
                                "    return y\n")
    x = _gpu(np.linspace(-2, 2, 64, dtype=np.float32))
    scripted(x)
    _assert_close(scripted(x), np.tanh(device.to(x, "cpu")) * 2.0 + device.to(x, "cpu"))
