"""Saving and loading on a real GPU: a CUDA model comes back on its device, or on
the CPU with map_location; the FAQ export example runs its GPU half. Skipped
cleanly where CuPy or a CUDA device is missing."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import device
import jit
from jit import nn

if not device.cuda_is_available():
    pytest.skip("needs CuPy and a CUDA device (install arrayscript[cuda] on a GPU machine)", allow_module_level=True)

X = np.random.default_rng(4).standard_normal((8, 16)).astype(np.float32)


def test_a_gpu_model_loads_on_its_device_or_on_the_cpu():
    jit.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 8), nn.GELU(), nn.Linear(8, 4))
    expected = model(X)
    scripted = jit.script(model.to("cuda:0"))
    buffer = io.BytesIO()
    jit.save(scripted, buffer)
    buffer.seek(0)
    on_gpu = jit.load(buffer)
    assert all(device.of(a) == "cuda:0" for a in on_gpu.parameters())
    np.testing.assert_allclose(device.to(on_gpu(device.to(X, "cuda:0")), "cpu"), expected, rtol=1e-5, atol=1e-5)
    buffer.seek(0)
    on_cpu = jit.load(buffer, map_location="cpu")
    assert all(device.of(a) == "cpu" for a in on_cpu.parameters())
    np.testing.assert_allclose(on_cpu(X), expected, rtol=1e-5, atol=1e-5)


def test_the_export_example_runs_its_gpu_half(tmp_path):
    example = Path(__file__).parents[2] / "examples" / "gpu_cpu_export.py"
    done = subprocess.run([sys.executable, str(example), "--out", str(tmp_path)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "gpu.pt on the GPU: matches eager" in done.stdout
    assert "pitfall: gpu.pt loaded, then .cpu(), fails on CPU inputs" in done.stdout
    assert "map_location='cpu') moves the baked array too" in done.stdout


def test_views_of_one_gpu_buffer_load_as_views_of_one_buffer():
    cupy = device.cupy_module()
    weight = cupy.arange(32, dtype=cupy.float32).reshape(4, 8)
    holder = nn.Linear(8, 4).to("cuda:0")
    holder.weight = nn.Parameter(weight)
    holder.register_buffer("transposed", weight.T)
    holder.register_buffer("columns", weight[:, ::-2])
    buffer = io.BytesIO()
    jit.save(jit.script(holder), buffer)
    buffer.seek(0)
    loaded = jit.load(buffer)
    for got, want in ((loaded.weight, weight), (loaded.transposed, weight.T), (loaded.columns, weight[:, ::-2])):
        assert device.of(got) == "cuda:0" and got.strides == want.strides
        np.testing.assert_array_equal(got.get(), want.get())
    assert cupy.shares_memory(loaded.weight, loaded.transposed)
    loaded.weight[1, 7] = -1.0  # seen through the transpose and the reversed columns
    assert float(loaded.transposed[7, 1]) == -1.0 and float(loaded.columns[1, 0]) == -1.0
