"""The disk cache of CPU kernels: a second process loads what the first
compiled, two processes compiling the same kernel at once both succeed, and a
kernel file, once written, is never rewritten."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from kernels import cache, cpu_math

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = textwrap.dedent('''
    import json, sys
    import numpy as np
    import jit

    @jit.script
    def gelu_bias(x, b):
        y = x + b
        return 0.5 * y * (1.0 + np.tanh(0.7978845608 * (y + 0.044715 * y * y * y)))

    x = np.linspace(-4, 4, 64 * 48, dtype=np.float32).reshape(64, 48)
    b = np.linspace(-1, 1, 48, dtype=np.float32)
    gelu_bias(x, b)
    result = gelu_bias(x, b)
    y = x + b
    expected = 0.5 * y * (1.0 + np.tanh(np.float32(0.7978845608) * (y + np.float32(0.044715) * y * y * y)))
    specialization = gelu_bias._executor.current()[0]
    group = specialization.report.fusion.details["groups"][0]
    variant = group.kernel.compiled[0]
    print(json.dumps({"cache_hit": variant.cache_hit, "seconds": variant.seconds, "module": variant.module_name,
                      "error": float(np.max(np.abs(result - expected)))}))
''')


def _start(directory: Path, program: Path):
    environment = dict(os.environ, ARRAYSCRIPT_CACHE_DIR=str(directory), PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, str(program)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=environment)


def _finish(process) -> dict:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_a_second_process_loads_the_kernel_from_disk(tmp_path):
    program = tmp_path / "program.py"
    program.write_text(PROGRAM)
    first = _finish(_start(tmp_path / "cache", program))
    second = _finish(_start(tmp_path / "cache", program))
    assert first["cache_hit"] is False and second["cache_hit"] is True
    assert first["module"] == second["module"]
    assert first["error"] < 1e-6 and second["error"] < 1e-6
    files = list((tmp_path / "cache").rglob("*.py"))
    helpers = cache.module_name(cpu_math.shared_module_source())  # the tanh helper's module, shared by kernels
    assert sorted(f.stem for f in files) == sorted([first["module"], helpers])
    assert list((tmp_path / "cache").rglob("*.nbi")), "Numba's index of the compiled code is beside the source"


def test_two_processes_compiling_the_same_kernel_at_once(tmp_path):
    program = tmp_path / "program.py"
    program.write_text(PROGRAM)
    processes = [_start(tmp_path / "cache", program) for _ in range(2)]
    results = [_finish(p) for p in processes]
    assert all(r["error"] < 1e-6 for r in results)
    assert results[0]["module"] == results[1]["module"]
    assert not list((tmp_path / "cache").rglob("*.tmp")), "no temporary file is left behind"
    third = _finish(_start(tmp_path / "cache", program))
    assert third["cache_hit"] is True


def test_a_kernel_file_is_written_once(tmp_path, monkeypatch):
    monkeypatch.setenv("ARRAYSCRIPT_CACHE_DIR", str(tmp_path))
    source = "VALUE = 41 + 1\n"
    module = cache.load_module(source)
    assert module.VALUE == 42
    path = Path(module.__file__)
    stamp = path.stat().st_mtime_ns
    cache._modules.clear()
    assert cache.load_module(source).VALUE == 42
    assert path.stat().st_mtime_ns == stamp, "rewriting would invalidate Numba's cache entries"
    assert path.parent.name.startswith("cpu-py") and path.parent.parent == tmp_path


def test_the_default_directory_is_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("ARRAYSCRIPT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir().parent == tmp_path / "arrayscript"


def test_a_changed_intrinsic_makes_every_kernel_a_new_file():
    """Numba keys a kernel's cached machine code on its own file, and the intrinsics' code (announce's
    store among it) is compiled into it: their source's hash is in the text every kernel's file is named by."""
    import hashlib
    from pathlib import Path

    from kernels import cpu_math, numba_intrinsics

    digest = hashlib.sha256(Path(numba_intrinsics.__file__).read_bytes()).hexdigest()[:16]
    assert f"intrinsics {digest}" in cpu_math.HEADER
    assert cpu_math.HEADER in cpu_math.shared_module_source()
