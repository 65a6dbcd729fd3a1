"""The GPU fusion benchmark: scripted+fused ArrayScript against CuPy eager,
``cupy.fuse``, a hand-written ``cupy.ElementwiseKernel``, and torch eager and
``torch.compile`` when torch with CUDA is installed, on gelu_bias at
(4096, 1024) and (8192, 8192), small (8, 128), a 10-op chain at (8192, 8192)
and the MLP, float32; and (issue 21) softmax and layer norm at (4096, 1024)
against CuPy eager, torch eager, ``torch.compile`` and torch's built-in kernels
(cupy.fuse and an ElementwiseKernel take elementwise code only). The
device-to-device copy bandwidth is measured in the same run, and each
memory-bound result is given as achieved GB/s and as a fraction of it.
Timings of a workload are interleaved, best of the rounds. A round is a batch
of back-to-back calls with the device synchronized before and after it, and
its time per call is the batch's time over the number of calls: a throughput,
in which the host's launch overhead counts where it is longer than the GPU's
work (the small case), and no call waits for the one before.
Each torch.compile entry is compiled afresh for its workload's shapes
(``torch._dynamo.reset()``, ``dynamic=False``), as ArrayScript specializes.

    python bench/bench_gpu.py      # writes bench/results/fusion_gpu.md and fusion_gpu.png
"""
from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import device  # noqa: E402
import jit  # noqa: E402
from bench import workloads  # noqa: E402
from bench.publish import RESULTS, publish  # noqa: E402

SHAPES = {"gelu_bias": ((4096, 1024), (1024,)), "gelu_bias_large": ((8192, 8192), (8192,)),
          "small": ((8, 128), (128,)), "chain10_large": ((8192, 8192), (8192, 8192))}
EAGER = {"gelu_bias": workloads.gelu_bias, "gelu_bias_large": workloads.gelu_bias, "small": workloads.gelu_bias,
         "chain10_large": workloads.chain10, "mlp": workloads.mlp, "softmax": workloads.softmax,
         "layer_norm": workloads.layer_norm}
ELEMENTWISE = tuple(SHAPES)  # what cupy.fuse and an ElementwiseKernel take; the others: workloads.inputs
CALLS = {"small": 2000}  # calls per timing round where not CALLS_DEFAULT
CALLS_DEFAULT = 20
ROUNDS = 7

GELU_KERNEL = ("float32 x, float32 b", "float32 out",
               "float y = x + b; out = 0.5f * y * (1.0f + tanhf(0.7978845608028654f * (y + 0.044715f * y * y * y)))",
               "gelu_bias_by_hand")
CHAIN_KERNEL = ("float32 x, float32 y", "float32 out",
                "float a = x * 1.5f + y; float b = a * 0.5f - x; float c = b * b + 0.25f; float d = c * y - a; "
                "out = d * 0.75f + 1.0f", "chain10_by_hand")


def _inputs(name, cupy):
    rng = cupy.random.default_rng(0)
    if name not in ELEMENTWISE:
        return [cupy.asarray(a) for a in workloads.inputs(name)]
    return [rng.standard_normal(shape, dtype=cupy.float32) for shape in SHAPES[name]]


def _bytes_moved(name, args) -> int | None:
    """Bytes a memory-bound workload must read and write at least once."""
    if name == "mlp":
        return None
    return sum(a.nbytes for a in args) + args[0].nbytes


def _entries(name, args, cupy):
    function = EAGER[name]
    entries = {"CuPy eager": lambda: workloads.with_array_module(function, cupy)(*args)}
    if name in ELEMENTWISE:
        fused = cupy.fuse(workloads.with_array_module(function, cupy))
        entries["cupy.fuse"] = lambda: fused(*args)
        by_hand = cupy.ElementwiseKernel(*(CHAIN_KERNEL if name.startswith("chain") else GELU_KERNEL))
        entries["ElementwiseKernel by hand"] = lambda: by_hand(*args)
    elif name == "mlp":
        by_hand = cupy.ElementwiseKernel(*GELU_KERNEL)
        x, w1, b1, w2, b2 = args
        entries["ElementwiseKernel by hand"] = lambda: by_hand(x @ w1, b1) @ w2 + b2
    scripted = jit.script(function)
    for _ in range(3):  # profile, specialize, then steady state
        scripted(*args)
    entries["ArrayScript (scripted+fused)"] = lambda: scripted(*args)
    entries.update(_torch_entries(name, function, args))
    return entries, scripted


def _torch_entries(name, function, args):
    try:
        import torch  # noqa: PLC0415
    except ImportError:
        return {}
    if not torch.cuda.is_available():
        return {}
    tensors = [torch.from_dlpack(a) for a in args]
    eager = workloads.with_array_module(function, torch)
    torch._dynamo.reset()  # the workloads share code objects: without it a later shape gets a dynamic recompile
    compiled = torch.compile(eager, dynamic=False)
    compiled(*tensors)
    compiled(*tensors)
    found = {"torch eager": lambda: eager(*tensors), "torch.compile": lambda: compiled(*tensors)}
    built_in = workloads.torch_built_in(name, torch)
    if built_in is not None:
        found["torch (built-in)"] = lambda: built_in(*tensors)
    return found


def _time(call, calls: int, cupy) -> float:
    """Seconds per call over ``calls`` back-to-back calls, the device synchronized (every
    stream, torch's too) before the first and after the last."""
    device_now = cupy.cuda.Device()
    device_now.synchronize()
    start = time.perf_counter()
    for _ in range(calls):
        call()
    device_now.synchronize()
    return (time.perf_counter() - start) / calls


def _copy_bandwidth(cupy) -> float:
    """Device-to-device copy of 1 GiB: bytes read plus written per second."""
    source = cupy.ones(1 << 28, dtype=cupy.float32)
    target = cupy.empty_like(source)
    best = min(_time(lambda: cupy.copyto(target, source), 10, cupy) for _ in range(ROUNDS))
    return 2 * source.nbytes / best


def main():
    cupy = device.cupy_module()
    if not device.cuda_is_available():
        print("bench_gpu: needs CuPy and a CUDA device; nothing measured")
        return 0
    properties = cupy.cuda.runtime.getDeviceProperties(0)
    name_of_device = properties["name"].decode() if isinstance(properties["name"], bytes) else properties["name"]
    copy = _copy_bandwidth(cupy)
    lines = [f"# Fusion on the GPU: {name_of_device}", "",
             f"python bench/bench_gpu.py on {platform.node()}, CuPy {cupy.__version__}; float32; "
             f"each time is the best of {ROUNDS} interleaved rounds, a round being {CALLS_DEFAULT} back-to-back "
             f"calls ({CALLS['small']} for small) with the device synchronized before and after: time per call "
             "in a stream of calls, not the latency of one synchronized call.", "",
             f"ArrayScript's kernels: {_how_compiled()}; cupy.fuse and the ElementwiseKernel are compiled by "
             "CuPy with -ftz=true and contraction on.", "",
             f"Device-to-device copy bandwidth measured in this run: **{copy / 1e9:.0f} GB/s**.", "",
             "| workload | entry | time | vs CuPy eager | GB/s | of copy bandwidth |", "|---|---|---|---|---|---|"]
    plot = {}
    for workload in EAGER:
        args = _inputs(workload, cupy)
        entries, scripted = _entries(workload, args, cupy)
        expected = _host(entries["CuPy eager"]())
        for label, call in entries.items():
            result = _host(call())
            np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-4, err_msg=f"{workload}: {label}")
        best = {label: float("inf") for label in entries}
        for _ in range(ROUNDS):
            for label, call in entries.items():
                best[label] = min(best[label], _time(call, CALLS.get(workload, CALLS_DEFAULT), cupy))
        moved = _bytes_moved(workload, args)
        for label, seconds in best.items():
            speed = best["CuPy eager"] / seconds
            rate = f"{moved / seconds / 1e9:.0f}" if moved else "-"
            share = f"{moved / seconds / copy:.0%}" if moved else "-"
            lines.append(f"| {workload} | {label} | {seconds * 1e6:.1f} us | {speed:.2f}x | {rate} | {share} |")
        plot[workload] = {label: best["CuPy eager"] / s for label, s in best.items()}
        lines.append(f"| {workload} | (what fused) | {' / '.join(_groups(scripted, args))} | | | |")
    publish(lines, "fusion_gpu.md")
    _plot(plot, name_of_device)
    return 0


def _how_compiled() -> str:
    from kernels import cuda, nvrtc  # noqa: PLC0415
    from kernels.ir import UnsupportedKernel  # noqa: PLC0415

    try:
        backend = cuda.backend_for(device.Device("cuda:0"))
    except UnsupportedKernel as error:
        return f"none, every group unfused ({error})"
    return (f"NVRTC {'%d.%d' % nvrtc.version()} for {backend.architecture}, {' '.join(cuda.NVRTC_OPTIONS)} "
            "(NumPy's float semantics: no flush to zero, no multiply-add contraction)")


def _host(result):
    """A CuPy array or torch tensor as a NumPy array."""
    return result.get() if hasattr(result, "get") else result.cpu().numpy()


def _groups(scripted, args) -> list:
    notes = [line.strip() for line in str(jit.explain(scripted, *args)).splitlines() if "FusionGroup(" in line]
    return [note.split("-> ", 1)[-1] for note in notes] or ["nothing fused"]


def _plot(speedups: dict, device_name: str):
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    labels = sorted({label for row in speedups.values() for label in row})
    figure, axes = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(labels)
    for k, label in enumerate(labels):
        values = [speedups[w].get(label, 0) for w in speedups]
        axes.bar(np.arange(len(speedups)) + k * width, values, width, label=label)
    axes.set_xticks(np.arange(len(speedups)) + 0.4 - width / 2, list(speedups))
    axes.set_ylabel("speed-up over CuPy eager")
    axes.set_title(f"Fused elementwise work on {device_name}")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(RESULTS / "fusion_gpu.png", dpi=120)


if __name__ == "__main__":
    sys.exit(main())
