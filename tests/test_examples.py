"""The example scripts, run as a user runs them, in their short modes."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(name, *args):
    result = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True,
                            timeout=600, env=dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_gpt_inference_decodes_the_same_tokens_eager_scripted_and_loaded():
    out = run_example("gpt_inference.py", "--small")
    decoded = dict(re.findall(r"^(eager|scripted) +-> (\[[\d, ]+\])", out, re.MULTILINE))
    assert set(decoded) == {"eager", "scripted"} and decoded["eager"] == decoded["scripted"]
    assert len(decoded["eager"].split(",")) == 6
    assert re.search(r"loaded with map_location='cpu' -> " + re.escape(decoded["eager"]), out)
    assert "jit.explain of one decoding step:" in out and "x [np::add, nn::gelu] -> STATIC kernel" in out
    assert "OK: eager, scripted and loaded decode the same tokens" in out


def test_dask_inference_on_the_threaded_scheduler_equals_eager():
    pytest.importorskip("dask.array", reason="dask is not installed (pip install arrayscript[dask])")
    out = run_example("dask_inference.py", "--small", "--threads")
    assert "256 sequences of 16 tokens in chunks of 32 on the threaded scheduler" in out
    assert "OK: all 256 next tokens equal eager's" in out
