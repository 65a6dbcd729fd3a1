"""examples/gpu_cpu_export.py, the FAQ's GPU-vs-CPU workflow, runs as a user runs
it: the CPU half everywhere, the GPU half where CUDA is (tests/gpu checks that)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

import device
import jit

EXAMPLE = Path(__file__).parents[3] / "examples" / "gpu_cpu_export.py"


def test_the_export_example_saves_and_reloads_the_cpu_model(tmp_path):
    done = subprocess.run([sys.executable, str(EXAMPLE), "--out", str(tmp_path)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "cpu.pt on the CPU: matches eager" in done.stdout
    if not device.cuda_is_available():
        assert "GPU half skipped: no CUDA device here" in done.stdout
        assert not (tmp_path / "gpu.pt").exists()
    loaded = jit.load(tmp_path / "cpu.pt")
    assert "CONSTANTS.c0" in loaded.code, "the trace baked the plain array in, as the FAQ warns"
    assert loaded(np.zeros((2, 16), dtype=np.float32)).shape == (2, 4)
