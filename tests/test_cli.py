"""The arrayscript command and ARRAYSCRIPT_JIT=0, run as a user runs them."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

import device
from jit.serialization.archive import FORMAT_VERSION


def run(args, **env):
    return subprocess.run(args, capture_output=True, text=True, env=dict(os.environ, **env), timeout=300)


def arrayscript():
    found = shutil.which("arrayscript")
    return [found] if found else [sys.executable, "-m", "jit.cli"]


def test_demo_runs_on_the_cpu_and_matches_eager():
    result = run(arrayscript() + ["demo"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "graph(%x : Tensor," in out and "prim::Loop" in out and "np::tanh" in out
    assert "def demo_function(x: Tensor, y: Tensor, n: int) -> Tensor:" in out
    assert "largest difference from eager: 0" in out
    assert "OK: the scripted function matches eager NumPy" in out


def test_demo_options_and_errors():
    result = run([sys.executable, "-m", "jit.cli", "demo", "--shape", "4,3", "--steps", "0"])
    assert result.returncode == 0 and "(4, 3) float32 arrays, n=0" in result.stdout
    result = run([sys.executable, "-m", "jit.cli", "demo", "--shape", "4,x"])
    assert result.returncode == 2 and "--shape must be integers" in result.stderr
    if not device.cuda_is_available():
        result = run([sys.executable, "-m", "jit.cli", "demo", "--device", "cuda"])
        assert result.returncode == 2 and "no CUDA device is available" in result.stderr


SCRIPT = textwrap.dedent('''
    import numpy as np, jit

    @jit.script
    def f(x):
        return x * len({1, 2})   # a set literal: outside the language

    print(type(f).__name__, f(np.ones(2)).tolist())
''')


@pytest.mark.parametrize("value, expected", [("0", "function [2.0, 2.0]"), ("false", "function [2.0, 2.0]")])
def test_disabling_the_jit_returns_functions_unchanged(tmp_path, value, expected):
    path = tmp_path / "program.py"
    path.write_text(SCRIPT)
    result = run([sys.executable, str(path)], ARRAYSCRIPT_JIT=value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_with_the_jit_on_the_same_program_fails_to_compile(tmp_path):
    path = tmp_path / "program.py"
    path.write_text(SCRIPT)
    result = run([sys.executable, str(path)], ARRAYSCRIPT_JIT="1")
    assert result.returncode != 0 and "set literals are not supported" in result.stderr
    assert "<--- HERE" in result.stderr


def test_inspect_shows_modules_tensors_attributes_code_and_extra_files(tmp_path):
    import jit  # noqa: PLC0415
    from jit import nn  # noqa: PLC0415

    model = jit.script(nn.Sequential(nn.Linear(4, 3), nn.LayerNorm(3)))
    path = tmp_path / "model.pt"
    model.save(path, _extra_files={"notes.txt": "trained on CPU"})
    result = run(arrayscript() + ["inspect", str(path)])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"ArrayScript archive, format version {FORMAT_VERSION}")
    assert "module: Sequential" in out and "  0: Linear (type Linear" in out
    assert "parameter weight: float32(3, 4) on cpu" in out and "constant eps = 1e-05" in out
    assert "attribute training: bool = true" in out
    assert re.search(r"\| def forward\(self: Linear(_\d+)?, input: Tensor\) -> Tensor:", out)
    assert "notes.txt (14 bytes)" in out
    brief = run(arrayscript() + ["inspect", "--no-code", str(path)])
    assert brief.returncode == 0 and "| def" not in brief.stdout and "    method Linear" in brief.stdout
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a model")
    result = run(arrayscript() + ["inspect", str(bad)])
    assert result.returncode == 1 and "is not an ArrayScript archive: it is not a zip file" in result.stderr
