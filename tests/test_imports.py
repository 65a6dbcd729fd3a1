"""Every package imports on its own, first, in a fresh interpreter (DESIGN.md:
"Layers and who may import whom"), and ``jit`` imported after it still fuses:
the fusion pass is registered from above, not by an import that closes a cycle."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .helpers import assert_same

ROOT = Path(__file__).resolve().parents[1]
FIRST = ["device", "kernels", "fuser", "jit", "jit.ops", "jit.ir", "jit.types", "kernels.cpu", "kernels.cuda",
         "kernels.backend", "fuser.grouping", "fuser.lowering", "jit.runtime.optimization"]

# After the module under test, jit: a scripted elementwise chain must become one FusionGroup.
_THEN_FUSE = '''
import importlib, json, sys
import numpy as np
first = importlib.import_module(sys.argv[1])
import jit
from jit.runtime import optimization

@jit.script
def f(x, y):
    return np.tanh(x * y + 1.0) - y

x, y = np.linspace(-2.0, 2.0, 24).reshape(4, 6), np.full((4, 6), 0.5)
results = [f(x, y) for _ in range(3)]  # profiled, then the specialization
graph = jit.last_executed_optimized_graph()
print(json.dumps({"module": first.__name__, "groups": sum(n.kind == "prim::FusionGroup" for n in graph.all_nodes()),
                  "passes": [p.__module__ + ":" + p.__name__ for p in optimization.fusion_passes()],
                  "result": results[-1].tolist()}))
'''


def _fresh(program: Path, code: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``code`` as a file (jit.script reads its functions' source) in a new interpreter."""
    program.write_text(code)
    return subprocess.run([sys.executable, str(program), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("module", FIRST)
def test_package_imports_first_in_a_fresh_interpreter_and_jit_then_fuses(module, tmp_path):
    done = _fresh(tmp_path / "first.py", _THEN_FUSE, module)
    assert done.returncode == 0, f"importing {module} first failed:\n{done.stderr}"
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["module"] == module
    assert report["passes"] == ["fuser:fuse_elementwise"]
    assert report["groups"] == 1, report
    x, y = np.linspace(-2.0, 2.0, 24).reshape(4, 6), np.full((4, 6), 0.5)
    assert_same(np.array(report["result"]), np.tanh(x * y + 1.0) - y)


def test_device_and_kernels_do_not_import_jit_or_fuser(tmp_path):
    done = _fresh(tmp_path / "lower.py", "import sys, device, kernels.backend, kernels.cpu, kernels.cuda, kernels.launch\n"
                  "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jit', 'fuser')))")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
