"""device.numba_setup: Numba's CPU features for wide vectors, set before Numba first compiles
(a kernel, or the eager erf), unless the environment chooses them or opts out (run in fresh
processes: Numba reads its features once)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import llvmlite.binding as llvm
import pytest

ROOT = Path(__file__).resolve().parents[2]
HAS_AVX512 = bool(llvm.get_host_cpu_features().get("avx512f"))

# A fused kernel runs, then the process prints Numba's CPU features and whether the kernel's
# vector loops use 512-bit registers.
PROBE = """
import numpy as np, numba, jit
from kernels import cpu_math, cache
def f(x):
    return np.exp(x) * 2.0 + 1.0
scripted = jit.script(f)
x = np.linspace(-3, 3, 4096, dtype=np.float32)
for _ in range(3):
    assert np.allclose(scripted(x), f(x), rtol=1e-6)
helpers = cache.load_module(cpu_math.shared_module_source())
@numba.njit
def loop(a, o):
    for i in range(a.shape[0]):
        o[i] = helpers._exp_f32(a[i])
loop(x, x.copy())
print(repr(numba.config.CPU_FEATURES))
print("zmm" in loop.inspect_asm(loop.signatures[0]))
"""


def _probe(tmp_path, **environment):
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CPU_FEATURES", "ARRAYSCRIPT_WIDE_VECTORS")}
    env.update(environment, PYTHONPATH=str(ROOT))
    probe = tmp_path / "probe.py"  # jit.script reads the function's source from its file
    probe.write_text(PROBE)
    done = subprocess.run([sys.executable, str(probe)], env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    features, wide = done.stdout.split()
    return features, wide == "True"


def test_the_default_widens_vectors_exactly_where_the_host_has_avx512(tmp_path):
    features, wide = _probe(tmp_path)
    if HAS_AVX512:
        assert features.endswith(",-prefer-256-bit'") and wide
    else:
        assert features == "None"


def test_the_environment_opts_out_or_chooses_the_features_itself(tmp_path):
    features, wide = _probe(tmp_path, ARRAYSCRIPT_WIDE_VECTORS="0")
    assert features == "None" and not wide
    chosen = llvm.get_host_cpu_features().flatten()
    features, _ = _probe(tmp_path, NUMBA_CPU_FEATURES=chosen)
    assert features == repr(chosen)  # Numba's own variable, left as it is


@pytest.mark.skipif(not HAS_AVX512, reason="the host has no AVX-512: nothing to widen")
def test_numba_compiling_first_keeps_its_features():
    from device import numba_setup

    code = ("import numba\nnumba.njit(lambda: 0)()\nfrom device import numba_setup\nnumba_setup.configure()\n"
            "print(numba.config.CPU_FEATURES)")
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CPU_FEATURES", "ARRAYSCRIPT_WIDE_VECTORS")}
    done = subprocess.run([sys.executable, "-c", code], env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=120, check=True)
    assert done.stdout.strip() == "None"
    assert numba_setup.wide_vector_features().endswith(",-prefer-256-bit")


def test_the_eager_erf_compiling_first_sets_the_same_features():
    """jit.ops' eager erf compiles with Numba (a profiled run of a function using erf may be the
    process's first compile): it configures first, so the kernels that follow are wide too."""
    code = ("import numpy as np, numba\nfrom jit.ops import special\nspecial.erf(np, np.ones(3))\n"
            "print(numba.config.CPU_FEATURES)")
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CPU_FEATURES", "ARRAYSCRIPT_WIDE_VECTORS")}
    done = subprocess.run([sys.executable, "-c", code], env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=120, check=True)
    assert (done.stdout.strip() != "None") == HAS_AVX512
