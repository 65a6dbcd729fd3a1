"""The CuPy backend of the CUDA kernels, run in CI against the fake CuPy of
tests/device (two devices of sm_90): a scripted function called with CuPy arrays
fuses into a CUDA kernel that NVRTC compiles (kernels.nvrtc, the backend's
options) to a cubin for the device's architecture, cached on disk and loaded
with RawModule(path=...) on the arrays' device whatever the current one is
(the fake checks the cubin's architecture, then runs the CUDA C kept beside it
with the host shim), launched with the grid the device's properties give on
the current stream; its result matches NumPy. Without NVRTC, or with one the
driver cannot load, the group stays unfused and explain says why. tests/gpu's
layout cases and CUDA graph check run here too, on the fake's device views and
captures."""
from __future__ import annotations

import json

import pytest

from kernels import nvrtc

from ..gpu import layouts
from ..helpers import require_host_shim_and_nvrtc, run_with_fake_cupy

_GELU = "def f(x, b):\\n    y = x + b\\n    return 0.5 * y * (1.0 + np.tanh(0.7978845608 * (y + 0.044715 * y * y * y)))\\n"

_PROGRAM = '''
    import json, os, pathlib, tempfile
    os.environ.update({environment})
    import numpy as np
    import cupy, device, jit
    from tests import helpers
    helpers.SOURCE_DIR = pathlib.Path(tempfile.mkdtemp())
    scripted, eager = helpers.script_source("{source}")
    rng = np.random.default_rng(0)
    x, b = rng.standard_normal((37, 29)).astype(np.float32), rng.standard_normal(29).astype(np.float32)
    {prepare}
    report = {{}}
    with cupy.cuda.Device(1):
        gx, gb = device.to(x, "cuda:1"), device.to(b, "cuda:1")
    scripted(gx, gb)
    stream = cupy.cuda.Stream(non_blocking=True)
    with stream:
        results = [scripted(gx, gb)]  # current device 0, arrays on 1
    report["devices"] = [str(device.of(r)) for r in results]
    report["error"] = float(np.max(np.abs(results[0].get() - eager(x, b))))
    report["launches"] = [list(map(str, launch)) for launch in cupy.launches]
    report["stream"] = str(stream)
    report["loaded"] = [[str(path), dev] for path, dev in cupy.loaded]
    report["explain"] = [line for line in str(jit.explain(scripted, gx, gb)).splitlines()
                         if "FusionGroup(" in line or "not fused" in line]
    print(json.dumps(report))
'''


def _run(environment: dict, prepare: str = "pass") -> dict:
    program = _PROGRAM.format(environment=repr(environment), source=_GELU, prepare=prepare)
    return json.loads(run_with_fake_cupy(program).strip().splitlines()[-1])


def test_a_scripted_function_on_cupy_arrays_runs_its_nvrtc_cubin(tmp_path):
    require_host_shim_and_nvrtc()
    major, minor = nvrtc.version()
    report = _run({"ARRAYSCRIPT_CACHE_DIR": str(tmp_path)})
    assert report["devices"] == ["cuda:1"]
    assert report["error"] < 1e-6
    ((name, grid, block, dev, stream),) = report["launches"]  # the first call profiles, unfused
    assert name.startswith("fused_add_multiply_tanh") and name.endswith("_baked32")
    assert (grid, block, dev) == ("(4,)", "(8,)", "1"), "grid: 2 SMs x 16 threads / 8 per block; on the arrays' device"
    assert stream == report["stream"], "the kernel ran on the stream current at the call"
    ((path, loaded_on),) = report["loaded"]
    assert path.startswith(str(tmp_path)) and path.endswith(".cubin") and loaded_on == 1
    assert nvrtc.source_of(path).count(f'extern "C" __global__ void {name}(') == 1
    assert "STATIC CUDA kernel fused_add_multiply_tanh" in report["explain"][0]
    assert f"baked/32-bit built by NVRTC {major}.{minor} for sm_90 in" in report["explain"][0]

    again = _run({"ARRAYSCRIPT_CACHE_DIR": str(tmp_path)})  # a second process: the cubin comes from disk
    assert again["error"] < 1e-6 and [p for p, _ in again["loaded"]] == [path]
    assert f"baked/32-bit loaded for sm_90 from the NVRTC {major}.{minor} disk cache in" in again["explain"][0]


def test_without_nvrtc_the_group_stays_unfused_and_explain_says_how_to_get_it(tmp_path):
    missing = tmp_path / "libnvrtc.so.13"
    report = _run({"ARRAYSCRIPT_NVRTC": str(missing), "ARRAYSCRIPT_CACHE_DIR": str(tmp_path)})
    assert report["error"] < 1e-6, "the unfused ops still run"
    assert report["launches"] == [] and report["loaded"] == []
    assert not any("FusionGroup(" in line for line in report["explain"])
    assert any("NVRTC not found: install arrayscript[cuda]" in line and str(missing) in line
               for line in report["explain"]), report["explain"]


def test_an_nvrtc_newer_than_the_driver_leaves_the_group_unfused_naming_the_extra(tmp_path):
    require_host_shim_and_nvrtc()
    if nvrtc.version()[0] <= 12:
        pytest.skip("this NVRTC is not newer than a CUDA 12.4 driver")
    report = _run({"ARRAYSCRIPT_CACHE_DIR": str(tmp_path)},
                  prepare="cupy.cuda.runtime.driverGetVersion = staticmethod(lambda: 12040)")
    assert report["error"] < 1e-6 and report["launches"] == []
    assert any("driver cannot load: install arrayscript[cuda12]" in line for line in report["explain"]), \
        report["explain"]


def test_the_gpu_layout_recipes_make_the_kernel_tests_layouts():
    layouts.check_host_twins()


def test_layouts_sliced_on_the_device_arrive_as_such_and_run_their_variants():
    """tests/gpu's layout cases on the fake CuPy: views of device bases stay strided,
    reversed, transposed or misaligned, and each launches the variant the kernel tests expect."""
    require_host_shim_and_nvrtc()
    output = run_with_fake_cupy('''
        import json, pathlib, tempfile
        from tests import helpers
        from tests.gpu import layouts
        helpers.SOURCE_DIR = pathlib.Path(tempfile.mkdtemp())
        made = layouts.gpu_layouts()
        ran = {f"{name} {kind}": layouts.run_layout_case(name, kind, made, lambda a: a.data.ptr)
               for name in sorted(made) for kind in ("STATIC", "DYNAMIC")}
        print(json.dumps(ran))
    ''')
    ran = json.loads(output.strip().splitlines()[-1])
    assert ran["misaligned DYNAMIC"][0].endswith("_flat32") and ran["negative strides STATIC"][0].endswith("_strided32")
    assert ran["0-size STATIC"] == [], "nothing to launch for no elements"
    assert all(ran[case] for case in ran if not case.startswith("0-size")), ran


def test_the_op_tests_sample_views_keep_their_strides_on_the_device():
    """tests/gpu/test_gpu_ops.py's ``gpu()``: each sample view is a view of a device base."""
    output = run_with_fake_cupy('''
        import json
        import numpy as np
        from tests.gpu.layouts import on_gpu
        from tests.jit.ops import test_elementwise, test_shapes
        from tests.jit.ops.samples import DTYPES, binary_layouts, unary_layouts
        host = [a for d in DTYPES for _, a in unary_layouts(d)]
        host += [a for pair in test_elementwise.DTYPE_PAIRS for _, *arrays in binary_layouts(*pair) for a in arrays]
        host += [make(np.float32) for make in test_shapes.LAYOUTS.values()]
        placed = [on_gpu(np.asarray(a)) for a in host]
        print(json.dumps({"views": sum(not np.asarray(a).flags.c_contiguous for a in host),
                          "same": all(p.strides == np.asarray(a).strides and p.device.id == 0
                                      and np.array_equal(p.get(), a, equal_nan=True) for p, a in zip(placed, host))}))
    ''')
    report = json.loads(output.strip().splitlines()[-1])
    assert report["same"] and report["views"] > 10, report



_CAPTURE = '''
    import json, pathlib, tempfile
    import cupy, device
    from kernels import cuda
    from tests import helpers
    from tests.gpu import capture
    helpers.SOURCE_DIR = pathlib.Path(tempfile.mkdtemp())
    compile_as_built = cuda.CupyBackend.compile

    def compile_with(self, source, name, params):  # the backend's launch, as the case has it
        run, how = compile_as_built(self, source, name, params)

        def launch(work, args):
            {launch}
        return launch, how

    cuda.CupyBackend.compile = compile_with
    for path in capture.HOST_COPIES:
        capture.check_a_host_copy_fails_a_capture(cupy, path)
    try:
        capture.check_a_fused_call_is_captured(cupy, lambda a: device.to(a, "cuda:0"))
        failure = None
    except Exception as error:
        failure = f"{{type(error).__name__}}: {{error}}"
    fused = [launch for launch in cupy.launches if launch[0].startswith("fused_")]
    print(json.dumps({{"failure": failure, "last stream": str(fused[-1][4])}}))
'''


@pytest.mark.parametrize("launch, failure", [
    ("run(work, args)", None),
    ("cupy.asnumpy(args[0]); run(work, args)", "cudaErrorStreamCaptureUnsupported: get()"),
    ("float(args[0].sum()); run(work, args)", "cudaErrorStreamCaptureUnsupported: float()"),
    ("with cupy.cuda.Stream.null: run(work, args)", "the graph's outputs (a kernel ran outside the capture?)"),
], ids=["as built", "asnumpy in the launch", "float() in the launch", "launch on the null stream"])
def test_the_capture_check_passes_the_backend_and_fails_a_host_copy_or_another_stream(launch, failure):
    """tests/gpu's CUDA graph check on the fake CuPy (which captures as CUDA does): the
    backend as built passes, its last fused launch on the captured stream; the same
    backend with a host copy in its launch, or launching on the legacy stream, fails it."""
    require_host_shim_and_nvrtc()
    report = json.loads(run_with_fake_cupy(_CAPTURE.format(launch=launch)).strip().splitlines()[-1])
    if failure is None:
        assert report == {"failure": None, "last stream": "<fake stream stream>"}, report
    else:
        assert report["failure"] is not None and failure in report["failure"], report
