"""Block reductions through the fake CuPy: its RawKernel launches a kernel's block of threads
at once (the host shim's launcher), so a CUDA reduction kernel's warp shuffles and its
barriers across warps (the fake's warps have 4 lanes, its blocks 8 threads) give NumPy's
results, as on a GPU."""
from __future__ import annotations

import json

import numpy as np

from ..helpers import require_host_shim_and_nvrtc, run_with_fake_cupy

_PROGRAM = '''
    import json, os, pathlib, tempfile
    os.environ["ARRAYSCRIPT_CACHE_DIR"] = tempfile.mkdtemp()
    import numpy as np
    import cupy, device, jit
    import jit.nn.functional as F
    from fuser.reduction_lowering import fused_reductions
    from tests import helpers
    helpers.SOURCE_DIR = pathlib.Path(tempfile.mkdtemp())
    scripted, eager = helpers.script_source(
        "def f(x):\\n    return F.softmax(x, dim=1), (x * x).sum(axis=1), (x * x).sum()\\n", F=F)
    x = np.random.default_rng(0).standard_normal((37, 300)).astype(np.float32)
    with fused_reductions():
        for _ in range(2):  # the first call profiles, unfused
            results = scripted(device.to(x, "cuda:0"))
        explain = str(jit.explain(scripted, device.to(x, "cuda:0")))
    print(json.dumps({"results": [r.get().tolist() for r in results], "eager": [np.asarray(w).tolist() for w in eager(x)],
                      "launches": [[name, str(grid), str(block)] for name, grid, block, _, _ in cupy.launches],
                      "kernels": [line for line in explain.splitlines() if "CUDA reduction kernel" in line]}))
'''


def test_reduction_kernels_run_through_the_fake_cupy_and_equal_numpy():
    require_host_shim_and_nvrtc()
    report = json.loads(run_with_fake_cupy(_PROGRAM).strip().splitlines()[-1])
    assert len(report["kernels"]) == 2, report["kernels"]  # softmax; x * x with its row sums and its total
    names = [name for name, _, _ in report["launches"]]
    assert len(names) == 2 and all(block == "(8,)" for _, _, block in report["launches"]), report["launches"]
    assert any("softmax" in name for name in names)
    softmax, row_sums, total = (np.array(r, dtype=np.float32) for r in report["results"])
    want_softmax, want_rows, want_total = (np.array(w, dtype=np.float32) for w in report["eager"])
    np.testing.assert_allclose(softmax, want_softmax, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(row_sums, want_rows, rtol=1e-6)
    np.testing.assert_allclose(total, want_total, rtol=1e-6)
