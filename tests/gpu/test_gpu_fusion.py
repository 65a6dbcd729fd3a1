"""Fusion on a real GPU: every case of the CUDA kernel tests (tests/kernels/test_cuda.py)
run on CuPy arrays through the executor, against the same function run eagerly by
NumPy on the host copies; every layout built on the device (views of GPU bases)
launching the variant the kernel tests expect; NumPy's float semantics (subnormals
kept, no multiply-add contraction); modules moved with .cuda() / .to(); mixed
devices; a fused call captured in a CUDA graph (so it runs on the current stream
and copies nothing to the host); 64-bit indices. Skipped cleanly without CuPy or a
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

from ..helpers import script_source  # noqa: E402
from ..kernels.test_cuda import _GELU_BIAS, every_case  # noqa: E402
from .capture import HOST_COPIES, check_a_fused_call_is_captured, check_a_host_copy_fails_a_capture  # noqa: E402
from .layouts import assert_close_to_eager, gpu_layouts, run_layout_case  # noqa: E402

cupy = device.cupy_module()
# The layout cases (_GELU_BIAS over LAYOUTS) are built on the device by test_every_layout_built_on_the_gpu;
# the others have C-contiguous arrays, which device.to copies as they are.
CASES = [case for case in every_case()
         if case[0] != _GELU_BIAS and not any(isinstance(a, np.generic) for a in case[1])]
GPU_LAYOUTS = gpu_layouts()


def _gpu(value):
    if not isinstance(value, np.ndarray):
        return value
    assert value.flags.c_contiguous, "a view would arrive as a contiguous copy: build it on the device"
    return device.to(value, "cuda:0")


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
        assert_close_to_eager(actual, expected)
    finally:
        jit.set_fusion_strategy(previous)


def test_explain_names_the_cuda_kernel_and_its_compile_time():
    scripted, _ = script_source(_GELU_BIAS, F=F)
    x, b = _gpu(np.ones((64, 32), np.float32)), _gpu(np.ones(32, np.float32))
    scripted(x, b)
    scripted(x, b)
    text = str(jit.explain(scripted, x, b))
    assert "CUDA kernel fused_" in text and " NVRTC " in text and " for sm_" in text, text


def test_a_module_moved_to_the_gpu_runs_fused_there():
    jit.manual_seed(0)
    model = nn.Sequential(nn.Linear(32, 64), nn.GELU(), nn.Linear(64, 8))
    x = np.random.default_rng(1).standard_normal((16, 32)).astype(np.float32)
    expected = model(x)
    for moved in (jit.script(model.cuda()), jit.script(model.to("cuda:0"))):
        moved(_gpu(x))
        assert_close_to_eager(moved(_gpu(x)), expected)
        assert "prim::FusionGroup" in str(jit.last_executed_optimized_graph())


def test_arrays_on_different_devices_raise_naming_them():
    scripted, _ = script_source("def f(x, y):\n    return np.tanh(x) + y\n")
    with pytest.raises(RuntimeError, match="different devices"):
        scripted(_gpu(np.ones(4, np.float32)), np.ones(4, np.float32))


@pytest.mark.parametrize("path", list(HOST_COPIES))
def test_a_host_copy_fails_a_stream_capture(path):
    check_a_host_copy_fails_a_capture(cupy, path)


def test_a_fused_call_runs_on_the_current_stream_and_copies_nothing_to_the_host():
    check_a_fused_call_is_captured(cupy, _gpu)


@pytest.mark.parametrize("kind", ["STATIC", "DYNAMIC"])
@pytest.mark.parametrize("layout", sorted(GPU_LAYOUTS))
def test_every_layout_built_on_the_gpu_runs_its_variant(layout, kind):
    run_layout_case(layout, kind, GPU_LAYOUTS, lambda a: a.data.ptr)


def test_float_semantics_are_numpys_subnormals_kept_and_no_contraction():
    """Bit for bit: float32 subnormals survive arithmetic and comparisons (no FTZ), and
    x * y + z rounds twice (no fma): (1 + 2**-12)**2 rounds to 1 + 2**-11, so the sum is 0,
    where an fma gives 2**-24 and the comparison flips."""
    source = "def f(x, y, z):\n    t = x * y + z\n    return t, t > 0, np.sign(z * 0.5), z * 0.5 + 0.0\n"
    scripted, eager = script_source(source)
    near_one = np.float32(1 + 2 ** -12)
    x = np.full(64, near_one, np.float32)
    z = np.full(64, -(np.float32(1 + 2 ** -11)), np.float32)
    z[1::2] = np.float32(3e-39)  # subnormal, and half of it too
    args = [_gpu(a) for a in (x, x.copy(), z)]
    scripted(*args)
    actual = scripted(*args)
    assert "prim::FusionGroup" in str(jit.last_executed_optimized_graph())
    expected = eager(x, x.copy(), z)
    assert expected[0][0] == 0 and not expected[1][0] and expected[2][1] == 1, "the inputs show what they should"
    for got, wanted in zip(actual, expected):
        host = device.to(got, "cpu")
        assert host.dtype == wanted.dtype and host.tobytes() == wanted.tobytes(), (host[:4], wanted[:4])


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
    assert_close_to_eager(scripted(x), np.tanh(device.to(x, "cpu")) * 2.0 + device.to(x, "cpu"))
