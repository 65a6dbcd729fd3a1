"""The CUDA renderer of reduction kernels, checked without a GPU: the host shim runs each block's
threads at once (a std::thread each, __syncthreads as a barrier, warp shuffles through a per-warp
buffer), so the block-per-row kernels with their shuffles and shared memory run on the host and
are compared with NumPy. Small warps (4 lanes, 8-thread blocks) run the several-warp paths with
few threads; one case runs real 32-lane warps. Also the shim itself, with a hand-written block
reduction, and every kernel here compiled by nvcc for sm_80 and sm_90 where nvcc is installed."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from kernels import cuda, cuda_reduction, host_shim
from kernels.backend import CudaBackend
from kernels.ir import ROW_SIZE, Instr, Operand, Output, Reduce, ReductionKernel, RowOutput, Stage
import device

import jit.nn.functional as F
from fuser.reduction_lowering import fused_reductions

from ..helpers import assert_same, script_source
from . import emulated_gpu


@pytest.fixture(autouse=True)
def _reductions_fused():
    """Reductions fuse only where they are turned on (fuser.reduction_lowering): here they are."""
    with fused_reductions():
        yield

OPS = ("sum", "prod", "max", "min", "argmax", "argmin", "all", "any")
RESULT = {"argmax": "int64", "argmin": "int64", "all": "bool", "any": "bool"}
SOURCES: dict = {}  # name -> source of every kernel built here, for nvcc


@pytest.fixture(scope="module")
def small_warps(tmp_path_factory):
    if host_shim.compiler() is None:
        pytest.skip("no g++ on the PATH: the host shim cannot compile the CUDA C kernels")
    return host_shim.HostBackend(blocks=3, threads=8, warp=4, directory=str(tmp_path_factory.mktemp("shim")))


# -- the shim's cooperative blocks ------------------------------------------------------------

_BLOCK_SUM = r"""
extern "C" __global__ void block_sum(float* out, float* spread, const float* x, const unsigned int n) {
    __shared__ float partial[32];
    float acc = 0.0f;
    for (unsigned i = threadIdx.x; i < n; i += blockDim.x) acc += x[blockIdx.x * n + i];
    for (int offset = warpSize / 2; offset > 0; offset /= 2) acc += __shfl_down_sync(0xffffffffu, acc, offset);
    if (threadIdx.x % warpSize == 0) partial[threadIdx.x / warpSize] = acc;
    __syncthreads();
    float total = 0.0f;
    for (unsigned w = 0; w < (blockDim.x + warpSize - 1) / warpSize; ++w) total += partial[w];
    float everyone = (float)threadIdx.x;  // a butterfly: every lane ends with its warp's sum of lanes
    for (int mask = warpSize / 2; mask > 0; mask /= 2) everyone += __shfl_xor_sync(0xffffffffu, everyone, mask);
    spread[blockIdx.x * blockDim.x + threadIdx.x] = everyone;
    if (threadIdx.x == 0) out[blockIdx.x] = total;
    __syncthreads();
}
"""
_BLOCK_SUM_PARAMS = [("out", "float*"), ("spread", "float*"), ("x", "const float*"), ("n", "unsigned int")]


@pytest.mark.parametrize("warp,threads", [(4, 8), (32, 64)])
def test_the_shim_runs_a_block_reduction_with_shuffles_and_shared_memory(warp, threads, tmp_path):
    if host_shim.compiler() is None:
        pytest.skip("no g++ on the PATH")
    backend = host_shim.HostBackend(warp=warp, directory=str(tmp_path))
    launch = backend.launcher(_BLOCK_SUM, "block_sum", _BLOCK_SUM_PARAMS)
    x = np.random.default_rng(1).integers(-50, 50, (3, 37)).astype(np.float32)  # exact float sums
    out, spread = np.zeros(3, np.float32), np.zeros(3 * threads, np.float32)
    launch(3, threads, [out, spread, x, np.uint32(37)])
    np.testing.assert_array_equal(out, x.sum(axis=1))
    lanes = np.arange(threads).reshape(-1, warp)
    expected = np.repeat(lanes.sum(axis=1), warp).astype(np.float32)
    np.testing.assert_array_equal(spread, np.tile(expected, 3))


def test_a_barrier_some_threads_skip_is_an_error_not_a_hang(tmp_path):
    if host_shim.compiler() is None:
        pytest.skip("no g++ on the PATH")
    source = r"""
extern "C" __global__ void diverge(float* out) {
    if (threadIdx.x == 0) return;
    __syncthreads();
    out[threadIdx.x] = 1.0f;
}
"""
    backend = host_shim.HostBackend(warp=4, directory=str(tmp_path))
    launch = backend.launcher(source, "diverge", [("out", "float*")])
    with pytest.raises(RuntimeError, match=r"__syncthreads\(\) was not reached by every thread"):
        launch(1, 8, [np.zeros(8, np.float32)])


def test_a_shuffle_from_a_lane_that_does_not_exist_is_an_error(tmp_path):
    if host_shim.compiler() is None:
        pytest.skip("no g++ on the PATH")
    backend = host_shim.HostBackend(warp=4, directory=str(tmp_path))
    launch = backend.launcher(_BLOCK_SUM, "block_sum", _BLOCK_SUM_PARAMS)
    with pytest.raises(RuntimeError, match="read a lane that does not exist"):  # 6 threads: a 2-lane warp
        launch(1, 6, [np.zeros(1, np.float32), np.zeros(6, np.float32), np.ones(5, np.float32), np.uint32(5)])


# -- reduction kernels against NumPy ----------------------------------------------------------

def _every_op_kernel(dtype: str, rank: int, axes: tuple, keepdims: bool = False) -> ReductionKernel:
    """One stage reducing x by every op, each into its own row output."""
    reduces, outputs = [], []
    for op in OPS:
        if op in ("sum", "prod") and dtype == "bool":
            continue
        result = RESULT.get(op, dtype)
        reduces.append(Reduce(f"r_{op}", op, "x", result))
        outputs.append(RowOutput(f"out_{op}", f"r_{op}", result, keepdims))
    return ReductionKernel(f"every_{dtype}_{rank}_{''.join(map(str, axes))}{'_k' if keepdims else ''}",
                           (Operand("x", dtype, rank),), rank, axes, (Stage(reduces=tuple(reduces)),),
                           row_outputs=tuple(outputs))


def _expected(op: str, x, axes: tuple, keepdims: bool):
    """NumPy's ``op`` over ``axes``, argmax/argmin as the index in C order over the reduced axes."""
    kept = [d for d in range(x.ndim) if d not in axes]
    rows = np.moveaxis(x, axes, range(x.ndim - len(axes), x.ndim)).reshape([x.shape[d] for d in kept] + [-1])
    with np.errstate(all="ignore"):
        if op in ("sum", "prod"):  # float sums and products in float64, rounded once (kernels.ir.Reduce)
            wide = np.float64 if x.dtype.kind == "f" else x.dtype
            result = getattr(np, op)(rows.astype(wide), axis=-1).astype(x.dtype)
        else:
            result = getattr(np, op)(rows, axis=-1)
    if keepdims:
        result = result.reshape([1 if d in axes else x.shape[d] for d in range(x.ndim)])
    return result[()] if result.ndim == 0 else result


def _values(dtype: str, shape, seed: int):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        values = rng.random(shape) < 0.8
        values.reshape(-1)[: shape[-1]] = True  # a row of every truth value
        return values
    if np.dtype(dtype).kind == "f":  # halves: ties for argmax, exact sums, no product overflow
        values = (rng.integers(1, 5, shape) * 0.5 * rng.choice([-1, 1], shape)).astype(dtype)
        flat = values.reshape(-1)
        flat[3] = np.nan  # a NaN in the first row, and a zero, for all/any
        flat[len(flat) // 2] = 0
        return values
    info = np.iinfo(dtype)
    values = rng.integers(max(info.min, -100), min(info.max, 100), shape).astype(dtype)
    values.reshape(-1)[-1] = info.max  # sums and products that wrap
    return values


CASES = [("float32", (5, 37), (1,), False), ("float32", (37, 5), (0,), False),
         ("float32", (3, 4, 5), (0, 2), True), ("float32", (3, 4, 9), (0, 1, 2), False),
         ("float64", (6, 11), (1,), False), ("float16", (4, 13), (1,), False),
         ("int32", (5, 19), (1,), False), ("int64", (3, 4, 5), (0, 1, 2), False),
         ("uint8", (7, 10), (1,), True), ("bool", (4, 9), (1,), False)]


@pytest.mark.parametrize("dtype,shape,axes,keepdims", CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_every_reduction_matches_numpy(dtype, shape, axes, keepdims, small_warps):
    kernel = _every_op_kernel(dtype, len(shape), axes, keepdims)
    built = cuda_reduction.build_reduction(kernel, small_warps, None, fallback=_no_fallback)
    x = _values(dtype, shape, 3)
    for view in (x, x[..., ::-1]):  # contiguous, and negative strides
        results = built.launch(view)
        for output, actual in zip(kernel.outputs, results):
            op = output.name[4:]
            expected = _expected(op, view, axes, keepdims)
            if op in ("sum", "prod") and dtype == "float16":  # float16: within float16's rounding
                np.testing.assert_allclose(actual.astype(np.float64), expected.astype(np.float64), rtol=1e-3)
                continue
            assert_same(actual, expected, f"{op} of {dtype}{shape} over {axes}")
    key = (built.mode, 32)
    SOURCES[cuda_reduction.variant_name(kernel, key)] = built.source(key)


def _no_fallback(*args):
    raise AssertionError("the kernel ran its fallback")


def _softmax(dtype="float32") -> ReductionKernel:
    x = Operand("x", dtype, 2)
    return ReductionKernel(
        f"softmax_{dtype}", (x,), 2, (1,),
        stages=(Stage(reduces=(Reduce("m", "max", "x", dtype),)),
                Stage(body=(Instr("d", "-", ("x", "m"), dtype), Instr("ex", "exp", ("d",), dtype)),
                      reduces=(Reduce("s", "sum", "ex", dtype),))),
        element_body=(Instr("d2", "-", ("x", "m"), dtype), Instr("e2", "exp", ("d2",), dtype),
                      Instr("y", "/", ("e2", "s"), dtype)),
        element_outputs=(Output("y_out", "y", dtype),))


def _layer_norm() -> ReductionKernel:
    """Mean, then the variance about it (finalize instructions reading ROW_SIZE and a scalar), then
    the normalized row times a weight row that broadcasts."""
    x, w = Operand("x", "float32", 2), Operand("w", "float32", 1)
    eps = Operand("eps", "float64", 0, is_array=False)
    return ReductionKernel(
        "layer_norm", (x, w, eps), 2, (1,),
        stages=(Stage(reduces=(Reduce("s", "sum", "x", "float32"),),
                      finalize=(Instr("count", "cast", (ROW_SIZE,), "float32"),
                                Instr("mean", "/", ("s", "count"), "float32"))),
                Stage(body=(Instr("d", "-", ("x", "mean"), "float32"), Instr("sq", "*", ("d", "d"), "float32")),
                      reduces=(Reduce("v", "sum", "sq", "float32"),),
                      finalize=(Instr("var", "/", ("v", "count"), "float32"),
                                Instr("eps32", "cast", ("eps",), "float32"),
                                Instr("shifted", "+", ("var", "eps32"), "float32"),
                                Instr("sd", "sqrt", ("shifted",), "float32")))),
        element_body=(Instr("d2", "-", ("x", "mean"), "float32"), Instr("n", "/", ("d2", "sd"), "float32"),
                      Instr("y", "*", ("n", "w"), "float32")),
        element_outputs=(Output("y_out", "y", "float32"),),
        row_outputs=(RowOutput("mean_out", "mean", "float32", keepdims=True),))


def _softmax_expected(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_softmax_reads_a_row_twice_and_writes_it_once(small_warps, tmp_path):
    x = np.random.default_rng(5).standard_normal((7, 45)).astype(np.float32)
    built = cuda_reduction.build_reduction(_softmax(), small_warps, None, fallback=_no_fallback)
    assert_same(built.launch(x), _softmax_expected(x))
    assert_same(built.launch(x.T.copy().T), _softmax_expected(x))  # a column-major input: the strides
    real_warps = host_shim.HostBackend(blocks=2, threads=64, warp=32, directory=str(tmp_path))
    static = cuda_reduction.build_reduction(_softmax(), real_warps, [x.shape], fallback=_no_fallback)
    assert_same(static.launch(x), _softmax_expected(x))
    assert "STATIC CUDA reduction kernel softmax_float32 on the host shim" in static.report()
    SOURCES["softmax_float32_rows32"] = built.source((cuda_reduction.ROWS, 32))
    SOURCES["softmax_float32_rows64"] = static.source((cuda_reduction.ROWS, 64))


def test_layer_norm_two_stages_and_a_broadcast_weight(small_warps):
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((6, 29)).astype(np.float32), rng.standard_normal(29).astype(np.float32)
    built = cuda_reduction.build_reduction(_layer_norm(), small_warps, None, fallback=_no_fallback)
    y, mean = built.launch(x, w, 1e-5)
    expected_mean = x.mean(axis=1, keepdims=True)
    var = ((x - expected_mean) ** 2).mean(axis=1, keepdims=True)
    assert_same(mean, expected_mean)
    assert_same(y, ((x - expected_mean) / np.sqrt(var + np.float32(1e-5)) * w).astype(np.float32))
    SOURCES["layer_norm_rows32"] = built.source((cuda_reduction.ROWS, 32))


def test_a_full_reduction_is_reduced_by_the_whole_grid(small_warps):
    """Every block's partials, combined by the block that finishes last; launched twice, as the
    ticket counter must come back to zero."""
    kernel = _every_op_kernel("float32", 2, (0, 1))
    built = cuda_reduction.build_reduction(kernel, small_warps, None, fallback=_no_fallback)
    assert built.mode == cuda_reduction.GRID
    x = _values("float32", (5, 41), 8)
    x[np.isnan(x)] = 1.5  # a NaN would decide every op but argmax and any
    for _ in range(2):
        for output, actual in zip(kernel.outputs, built.launch(x)):
            assert_same(actual, _expected(output.name[4:], x, (0, 1), False), output.name)
    x[2, 7] = np.nan
    assert_same(built.launch(x)[kernel.outputs.index(kernel.row_outputs[4])], np.argmax(x))
    SOURCES[cuda_reduction.variant_name(kernel, (cuda_reduction.GRID, 32))] = built.source((cuda_reduction.GRID, 32))


def test_a_full_reduction_with_element_outputs_is_one_row(small_warps):
    kernel = ReductionKernel(
        "softmax_all", (Operand("x", "float32", 2),), 2, (0, 1),
        stages=_softmax().stages, element_body=_softmax().element_body, element_outputs=_softmax().element_outputs)
    built = cuda_reduction.build_reduction(kernel, small_warps, [(4, 9)], fallback=_no_fallback)
    assert built.mode == cuda_reduction.ROWS
    x = np.random.default_rng(9).standard_normal((4, 9)).astype(np.float32)
    e = np.exp(x - x.max())
    assert_same(built.launch(x), e / e.sum())


# -- script functions whose reductions the fuser groups, run on the emulated GPU ----------------

SCRIPTS = {
    "softmax": "def f(x, w):\n    e = np.exp(x - np.max(x, axis=1, keepdims=True))\n"
               "    return e / np.sum(e, axis=1, keepdims=True)\n",
    "layer_norm": "def f(x, w):\n    m = np.mean(x, axis=-1, keepdims=True)\n"
                  "    v = np.var(x, axis=-1, keepdims=True)\n"
                  "    return (x - m) / np.sqrt(v + 1e-5) * w\n",
    "logsumexp": "def f(x, w):\n    m = np.max(x, axis=1)\n"
                 "    return m + np.log(np.sum(np.exp(x - np.max(x, axis=1, keepdims=True)), axis=1))\n",
    "first_axis": "def f(x, w):\n    return np.sum(x * 2.0, axis=0) + w\n",
    "everything": "def f(x, w):\n    return np.sum(x * x)\n",
    "argmax": "def f(x, w):\n    return np.argmax(x + w, axis=1)\n",
    "any": "def f(x, w):\n    return np.any(x > w, axis=1, keepdims=True)\n",
    # a formula constant (c0) beside the element outputs' strides: they once shared the name
    "scaled_softmax": "def f(x, w):\n    return F.softmax(x * 2.0, dim=1)\n",
    "nn_logsumexp_rms_norm": "def f(x, w):\n    return F.logsumexp(x, 1), F.rms_norm(x, [33], w)\n",
}


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_fused_reductions_of_script_functions_match_eager(name, small_warps, monkeypatch):
    scripted, eager = script_source(SCRIPTS[name], F=F)
    rng = np.random.default_rng(11)
    x, w = rng.standard_normal((6, 33)).astype(np.float32), rng.standard_normal(33).astype(np.float32)
    for kind in ("STATIC", "DYNAMIC"):
        actual, graph = emulated_gpu.run(scripted, [x, w], kind, small_warps, monkeypatch)
        assert_same(actual, eager(x, w))
        kernels = emulated_gpu.kernels_of(graph)
        assert any(isinstance(k, cuda_reduction.CudaReductionKernel) for k in kernels), graph.fusion_notes
        for kernel in kernels:
            for key in kernel.variants:
                SOURCES[cuda_reduction.variant_name(kernel.kernel, key) if isinstance(
                    kernel, cuda_reduction.CudaReductionKernel) else cuda._variant_name(kernel.kernel, key)] = \
                    kernel.source(key)


def test_a_zero_d_operand_and_float16_rows(small_warps):
    """A 0-d array read once per thread, float16 loads, element stores and row stores."""
    x, scale = Operand("x", "float16", 2), Operand("scale", "float16", 0)
    kernel = ReductionKernel(
        "scaled_softmax16", (x, scale), 2, (1,),
        stages=(Stage(body=(Instr("xs", "*", ("x", "scale"), "float16"),),
                      reduces=(Reduce("m", "max", "xs", "float16"),)),
                Stage(body=(Instr("xs2", "*", ("x", "scale"), "float16"), Instr("d", "-", ("xs2", "m"), "float16"),
                            Instr("ex", "exp", ("d",), "float16")),
                      reduces=(Reduce("s", "sum", "ex", "float16"),))),
        element_body=(Instr("xs3", "*", ("x", "scale"), "float16"), Instr("d2", "-", ("xs3", "m"), "float16"),
                      Instr("e2", "exp", ("d2",), "float16"), Instr("y", "/", ("e2", "s"), "float16")),
        element_outputs=(Output("y_out", "y", "float16"),), row_outputs=(RowOutput("m_out", "m", "float16"),))
    built = cuda_reduction.build_reduction(kernel, small_warps, None, fallback=_no_fallback)
    values = np.random.default_rng(12).standard_normal((5, 21)).astype(np.float16)
    factor = np.array(1.5, np.float16)
    y, m = built.launch(values, factor)
    scaled = values * factor
    assert_same(m, scaled.max(axis=1))
    e = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    expected = e / e.astype(np.float64).sum(axis=1, keepdims=True).astype(np.float16)
    np.testing.assert_array_equal(y, expected)
    SOURCES["scaled_softmax16_rows32"] = built.source((cuda_reduction.ROWS, 32))


def test_empty_rows_and_no_rows_run_the_fallback(small_warps):
    called = []
    built = cuda_reduction.build_reduction(_every_op_kernel("float32", 2, (1,)), small_warps, None,
                                           fallback=lambda x: called.append(x.shape) or "fallback")
    assert built.launch(np.zeros((3, 0), np.float32)) == "fallback"
    assert built.launch(np.zeros((0, 4), np.float32)) == "fallback"
    assert called == [(3, 0), (0, 4)]


def test_the_cuda_backend_supports_reduction_kernels():
    kernel = _every_op_kernel("float32", 2, (1,))
    assert CudaBackend(device.Device("cuda:0")).supports(kernel)


def test_every_reduction_kernel_compiles_with_nvcc(tmp_path):
    """The IR kernels above in both index widths, and what the tests above built (file order)."""
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("nvcc is not on the PATH: install the CUDA toolkit to compile the kernels to PTX")
    every_op = [_every_op_kernel(dtype, len(shape), axes, keepdims) for dtype, shape, axes, keepdims in CASES]
    for kernel in every_op + [_softmax(), _softmax("float16"), _layer_norm()]:
        for bits in (32, 64):  # rendered here too, so that this test stands alone
            key = (cuda_reduction.GRID if cuda_reduction.grid_wide(kernel) else cuda_reduction.ROWS, bits)
            SOURCES.setdefault(cuda_reduction.variant_name(kernel, key),
                               cuda_reduction.render_reduction(kernel, None, key))
    unit = tmp_path / "reductions.cu"
    unit.write_text("".join(f"namespace variant{k} {{\n{text}}}\n" for k, text in enumerate(SOURCES.values())))
    for kind, arch in (("-ptx", "sm_80"), ("-cubin", "sm_90")):
        output = tmp_path / f"reductions.{arch}.{kind[1:]}"
        done = subprocess.run([nvcc, kind, f"-arch={arch}", "-diag-suppress", "177", str(unit), "-o", str(output)],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[:4000]
        if kind == "-ptx":
            entries = {line.split()[-1].rstrip("(") for line in output.read_text().splitlines()
                       if line.startswith(".visible .entry")}
            assert entries == set(SOURCES)
        else:
            assert output.read_bytes()[:4] == b"\x7fELF"
