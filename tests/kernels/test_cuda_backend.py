"""The CuPy backend of the CUDA kernels, run in CI against the fake CuPy of
tests/device (two devices; RawModule compiles with the host shim): a scripted
function called with CuPy arrays fuses into a CUDA kernel compiled through
RawModule, launched with the grid the device's properties give, on the
arrays' device whatever the current one is, and its result matches NumPy."""
from __future__ import annotations

import json

import pytest

from kernels import host_shim

from ..helpers import run_with_fake_cupy


def test_a_scripted_function_on_cupy_arrays_runs_its_cuda_kernel():
    if host_shim.compiler() is None:
        pytest.skip("no g++ on the PATH: the fake CuPy compiles kernels with the host shim")
    output = run_with_fake_cupy('''
        import json, pathlib, tempfile
        import numpy as np
        import cupy, device, jit
        from tests import helpers
        helpers.SOURCE_DIR = pathlib.Path(tempfile.mkdtemp())
        scripted, eager = helpers.script_source(
            "def f(x, b):\\n    y = x + b\\n    return 0.5 * y * (1.0 + np.tanh(0.7978845608 * (y + 0.044715 * y * y * y)))\\n")
        rng = np.random.default_rng(0)
        x, b = rng.standard_normal((37, 29)).astype(np.float32), rng.standard_normal(29).astype(np.float32)
        report = {}
        with cupy.cuda.Device(1):
            gx, gb = device.to(x, "cuda:1"), device.to(b, "cuda:1")
        scripted(gx, gb)
        results = [scripted(gx, gb)]  # current device 0, arrays on 1
        report["devices"] = [str(device.of(r)) for r in results]
        report["error"] = float(np.max(np.abs(results[0].get() - eager(x, b))))
        report["launches"] = [list(map(str, launch)) for launch in cupy.launches]
        report["explain"] = [line for line in str(jit.explain(scripted, gx, gb)).splitlines() if "FusionGroup(" in line]
        print(json.dumps(report))
    ''')
    report = json.loads(output.strip().splitlines()[-1])
    assert report["devices"] == ["cuda:1"]
    assert report["error"] < 1e-6
    (name, grid, block, dev), = report["launches"]
    assert name.startswith("fused_add_multiply_tanh") and name.endswith("_baked32")
    assert (grid, block, dev) == ("(4,)", "(8,)", "1"), "grid: 2 SMs x 16 threads / 8 per block; on the arrays' device"
    assert "STATIC CUDA kernel fused_add_multiply_tanh" in report["explain"][0]
    assert "baked/32-bit built by NVRTC (or CuPy's disk cache) in" in report["explain"][0]
