"""The arrayscript command and ARRAYSCRIPT_JIT=0, run as a user runs them."""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

import device
from jit.serialization.archive import FORMAT_VERSION


def run(args, timeout=300, **env):
    return subprocess.run(args, capture_output=True, text=True, env=dict(os.environ, **env), timeout=timeout)


def arrayscript():
    found = shutil.which("arrayscript")
    return [found] if found else [sys.executable, "-m", "jit.cli"]


def test_demo_scripts_the_transformer_fuses_it_and_matches_eager_before_and_after_loading():
    result = run(arrayscript() + ["demo", "--batch", "2", "--tokens", "16"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "a GPT-style transformer written with jit.nn" in out and "input ids (2, 16)" in out
    assert "def forward(self: CausalSelfAttention, x: Tensor) -> Tensor:" in out  # its script code
    assert "second call: specializes and compiles the fused kernels ..." in out  # the progress line
    assert re.search(r"logits float32\(2, 16, 1024\); largest difference from eager: \S+ \(agrees with eager", out)
    # what fused: the GELU with its bias add; the attention's scale and mask with its softmax, and the
    # residual adds with the next layer norm, each one reduction kernel
    assert re.search(r"\d+ fusion groups, \d+ distinct kernels:", out)
    assert "x [np::add, nn::gelu] -> STATIC kernel" in out
    assert "x [np::multiply, np::add, nn::softmax] -> STATIC reduction kernel" in out
    assert "x [np::add, np::add, nn::layer_norm] -> STATIC reduction kernel" in out
    assert re.search(r"\d+ x matmul is not elementwise", out)
    rows = re.findall(r"^\| (eager NumPy|scripted, fusion off|scripted \+ fused) +\| +[\d.]+ ms \| +[\d.]+x \|$", out,
                      re.MULTILINE)
    assert rows == ["eager NumPy", "scripted, fusion off", "scripted + fused"]
    # the saved file ran in a process that could not import jit.models, and agreed
    assert "load in a fresh process that cannot import jit.models" in out
    assert re.search(r"jit.load: a GPT in .*the kernels from the disk cache:\n  STATIC (reduction )?kernel", out)
    assert out.count("(agrees") == 2
    assert "OK: the scripted model matches eager NumPy, fused and after loading" in out


def test_demo_options_and_errors():
    result = run([sys.executable, "-m", "jit.cli", "demo", "--tokens", "65"])
    assert result.returncode == 2 and "--tokens must be between 1 and the model's context, 64; got 65" in result.stderr
    result = run([sys.executable, "-m", "jit.cli", "demo", "--batch", "0"])
    assert result.returncode == 2 and "--batch must be at least 1, got 0" in result.stderr
    result = run([sys.executable, "-m", "jit.cli", "bench", "--workloads", "matmul"])
    assert result.returncode == 2 and "invalid choice: 'matmul' (choose from 'all', 'elementwise', 'reductions')" \
        in result.stderr
    if not device.cuda_is_available():
        for command in ("demo", "bench"):
            result = run([sys.executable, "-m", "jit.cli", command, "--device", "cuda"])
            assert result.returncode == 2 and "no CUDA device is available" in result.stderr


def test_bench_quick_checks_every_entry_and_writes_the_table(tmp_path):
    # the default: the elementwise workloads and the reductions (issue 21), every installed library
    result = run(arrayscript() + ["bench", "--quick", "--out", str(tmp_path)], timeout=900)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    workloads = ("gelu_bias", "small", "chain10", "mlp", "softmax", "masked_softmax", "log_softmax", "layer_norm",
                 "rms_norm", "batch_norm", "mse_loss", "column_argmax", "transformer_block")
    for workload in workloads:
        assert re.search(rf"^## {workload} .* float32 \(max \|ArrayScript - NumPy\| = [\d.e+-]+\)$", out, re.MULTILINE)
        assert f"bench: {workload} " in result.stderr and "checking every entry against NumPy" in result.stderr
    assert len(re.findall(r"^\| NumPy eager \| [\d.]+ [mu]s \| 1\.00x \|$", out, re.MULTILINE)) == len(workloads)
    ours = r"^\| ArrayScript \(scripted\+fused\) \| [\d.]+ [mu]s \| [\d.]+x \|$"
    assert len(re.findall(ours, out, re.MULTILINE)) == len(workloads)
    # a dependency: always measured, on the elementwise workloads, which it has loops for
    assert len(re.findall(r"^\| Numba loop by hand \| [\d.]+ [mu]s \| [\d.]+x \|$", out, re.MULTILINE)) == 4
    assert out.count("Numba loop by hand: has no form of this workload") == len(workloads) - 4
    if importlib.util.find_spec("torch") is not None:  # softmax (twice), log_softmax, layer/RMS/batch norm, MSE, argmax
        assert len(re.findall(r"^\| torch \(built-in\) \| [\d.]+ [mu]s \| [\d.]+x \|$", out, re.MULTILINE)) == 8
    assert "wrong result" not in out and "failed:" not in out
    # under softmax (twice), log_softmax and the three norms: the memory floor, timed with the entries
    floor = (r"^Memory floor: one fused read of the first input and write of its size \(x \* 2\.0 \+ 1\.0\) took "
             r"[\d.]+ [mu]s in these rounds, [\d.]+x NumPy; ArrayScript took [\d.]+x the floor\.$")
    assert len(re.findall(floor, out, re.MULTILINE)) == 6
    assert (tmp_path / "bench.md").read_text() in out
    try:
        import matplotlib  # noqa: F401, PLC0415
    except ImportError:
        assert "matplotlib is not installed (pip install arrayscript[bench]): no chart" in out
    else:
        assert (tmp_path / "bench.png").read_bytes().startswith(b"\x89PNG")


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


def _floor_that_cannot_script(x):
    return x.no_such_attribute * 2.0


def test_a_memory_floor_that_fails_leaves_the_table_without_its_line(monkeypatch):
    from jit.benchmarking import comparison, report, workloads  # noqa: PLC0415

    monkeypatch.setattr(workloads, "memory_floor", _floor_that_cannot_script)
    outcomes = comparison.run("cpu", quick=True, workload_names=("softmax",), say=lambda line: None)
    assert outcomes[0].floor_seconds is None
    assert comparison.REFERENCE in outcomes[0].seconds and comparison.ARRAYSCRIPT in outcomes[0].seconds
    table = report.markdown(outcomes, "cpu", quick=True)
    assert "## softmax (512, 1024) float32" in table and "Memory floor" not in table
