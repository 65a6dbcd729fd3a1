"""The comparative benchmark behind ``arrayscript bench`` and bench/bench_fusion.py.

Each workload of ``workloads`` runs under NumPy eager (the reference), ArrayScript
(scripted + fused) and whichever of numexpr, a Numba loop written by hand, torch
eager, ``torch.compile``, torch's built-in kernel (softmax, log_softmax, layer and
RMS norm), JAX (``jax.jit``) and CuPy (eager, ``cupy.fuse``) are installed; a
library with no form of a workload (numexpr and ``cupy.fuse`` take elementwise
code only) is listed as such. Every entry's result is checked against NumPy's before it is timed
(an entry that disagrees is reported and left out); all entries of a workload
are timed interleaved, round by round, in one run, and each keeps its best round.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field

import numpy as np

import device as _device

# torch's OpenMP threads spin after each op (OMP_WAIT_POLICY=ACTIVE), taking the cores from the entry
# timed next and from torch itself on a shared machine (softmax: 6 ms alone, 2 ms passive, here):
# every entry waits passively. Read when torch loads, so set before any builder imports it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import jit

from . import workloads

WORKLOADS = ("gelu_bias", "small", "chain10", "mlp")
REDUCTION_WORKLOADS = ("softmax", "masked_softmax", "log_softmax", "layer_norm", "rms_norm", "batch_norm",
                       "mse_loss", "column_argmax", "transformer_block")  # issue 21
WORKLOAD_SETS = {"all": WORKLOADS + REDUCTION_WORKLOADS, "elementwise": WORKLOADS, "reductions": REDUCTION_WORKLOADS}
# The reductions' rounds are short (a few ms for every entry together); more of them let the best
# round escape a shared machine's noise (torch's softmax: 1.3 ms in one run of 10 rounds, 4.4 in the next).
ROUNDS = {"small": 2000, "gelu_bias": 15, "chain10": 15, "mlp": 10, "softmax": 40, "masked_softmax": 40,
          "log_softmax": 40, "layer_norm": 40, "rms_norm": 40, "batch_norm": 40, "mse_loss": 40, "column_argmax": 20,
          "transformer_block": 20}
QUICK_ROUNDS = {"small": 200, "gelu_bias": 5, "chain10": 5, "mlp": 3, "softmax": 5, "masked_softmax": 5,
                "log_softmax": 5, "layer_norm": 5, "rms_norm": 5, "batch_norm": 5, "mse_loss": 5, "column_argmax": 5,
                "transformer_block": 3}
REFERENCE = "NumPy eager"
FLOOR = "memory floor"  # timed with the entries, shown under the table (workloads.memory_floor)
ARRAYSCRIPT = "ArrayScript (scripted+fused)"
TOLERANCE = dict(rtol=1e-4, atol=1e-4)  # float32 work: libraries differ in the last bits of tanh and of sums


@dataclass
class Entry:
    """One way of running a workload: ``call()`` returns its result, done (synchronized)."""
    label: str
    call: object
    to_host: object = np.asarray


@dataclass
class Outcome:
    """What one workload measured: best seconds per call of each entry, the entries
    left out and why, and what ArrayScript fused."""
    workload: str
    shapes: str
    seconds: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)
    fused: list = field(default_factory=list)
    largest_error: float = 0.0
    floor_seconds: float | None = None  # workloads.memory_floor over the first input, in the same rounds

    def speed_up(self, label: str) -> float:
        return self.seconds[REFERENCE] / self.seconds[label]


def measure(calls: dict, rounds: int) -> dict:
    """Best seconds per call of each of ``calls`` ({label: function}), interleaved round
    by round; a round of a fast call is a batch of 50 calls."""
    inner = 50 if rounds >= 1000 else 1
    best = {label: math.inf for label in calls}
    for _ in range(max(1, rounds // inner)):
        for label, call in calls.items():
            start = time.perf_counter()
            for _ in range(inner):
                call()
            best[label] = min(best[label], (time.perf_counter() - start) / inner)
    return best


def run(device: str = "cpu", quick: bool = False, workload_names=WORKLOADS, say=print) -> list:
    """Every workload's Outcome, on ``device`` ("cpu" or a CUDA device); ``say`` gets a
    line as each workload starts."""
    dev = _device.Device(device)
    rounds = QUICK_ROUNDS if quick else ROUNDS
    outcomes = []
    for name in workload_names:
        host_args = workloads.inputs(name, quick=quick)
        outcome = Outcome(name, " ".join(str(a.shape) for a in host_args))
        say(f"bench: {name} {outcome.shapes}: compiling and checking every entry against NumPy ...")
        expected = workloads.EAGER[name](*host_args)
        entries = [Entry(REFERENCE, lambda f=workloads.EAGER[name], a=host_args: f(*a))]
        entries += _arrayscript(name, host_args, dev, outcome)
        builders = _cpu_builders() if dev.type == "cpu" else _cuda_builders()
        for label, build in builders:
            try:
                made = build(name, host_args)
            except ImportError as error:
                outcome.skipped[label] = f"not installed ({error.name or error})"
                continue
            except Exception as error:  # noqa: BLE001 - a library that cannot run this workload here: say why
                outcome.skipped[label] = f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"
                continue
            if made is None:
                outcome.skipped[label] = "has no form of this workload"
                continue
            entries.append(Entry(label, *made) if isinstance(made, tuple) else Entry(label, made))
        checked = {}
        for entry in entries:
            try:
                result = entry.to_host(entry.call())
                np.testing.assert_allclose(result, expected, **TOLERANCE)
            except AssertionError as error:
                outcome.skipped[entry.label] = "wrong result: " + " ".join(str(error).split())[:160]
                continue
            except Exception as error:  # noqa: BLE001
                outcome.skipped[entry.label] = f"failed: {type(error).__name__}: {str(error).splitlines()[0][:120]}"
                continue
            if entry.label == ARRAYSCRIPT:
                outcome.largest_error = float(np.max(np.abs(result.astype(np.float64) - expected)))
            checked[entry.label] = entry.call
        if REFERENCE not in checked:
            raise RuntimeError(f"bench: NumPy itself failed on {name}: {outcome.skipped.get(REFERENCE)}")
        floor = _memory_floor(host_args, dev) if name in workloads.FLOOR_WORKLOADS else None
        seconds = measure({**checked, FLOOR: floor} if floor else checked, rounds[name])
        outcome.floor_seconds = seconds.pop(FLOOR, None)
        outcome.seconds = seconds
        outcomes.append(outcome)
    return outcomes


def _arrayscript(name, host_args, dev, outcome) -> list:
    args = [_device.to(a, dev) for a in host_args]
    function = workloads.scripted(name)
    for _ in range(3):  # profile, specialize (compiling the kernels), then steady state
        function(*args)
    groups = _fused_groups(function, args)
    outcome.fused = [f"[{', '.join(group.kinds)}]" for group in groups] or ["nothing fused"]
    return [Entry(ARRAYSCRIPT, *_finished_call(function, args, dev))]


def _memory_floor(host_args, dev):
    """workloads.memory_floor scripted over the workload's first input and checked; None if it did not
    fuse (a floor that is not one kernel would not be the floor) or failed (the tables go on without it)."""
    try:
        args = [_device.to(host_args[0], dev)]
        function = jit.script(workloads.memory_floor)
        for _ in range(3):
            function(*args)
        if not _fused_groups(function, args):
            return None
        call, to_host = _finished_call(function, args, dev)
        np.testing.assert_allclose(to_host(call()), workloads.memory_floor(host_args[0]), **TOLERANCE)
    except Exception:  # noqa: BLE001 - a line under the table, not an entry of it
        return None
    return call


def _fused_groups(function, args) -> list:
    report = jit.explain(function, *args)
    fusion = report.specialization.report.fusion if report.specialization is not None else None
    return fusion.details.get("groups", []) if fusion is not None else []


def _finished_call(function, args, dev) -> tuple:
    """(a call of ``function(*args)`` that returns once the work is done, its result's way to the host)."""
    if dev.type == "cpu":
        return (lambda: function(*args)), np.asarray
    synchronize = _device.cupy_module().cuda.Device().synchronize
    return (lambda: _synchronized(function(*args), synchronize)), _device_to_host


def _synchronized(result, synchronize):
    synchronize()
    return result


def _device_to_host(result):
    if hasattr(result, "get"):  # CuPy
        return result.get()
    if hasattr(result, "cpu"):  # torch
        return result.cpu().numpy()
    return np.asarray(result)


# -- the other libraries: each builder returns a call, a (call, to_host) pair, or None -----

def _numexpr(name, args):
    import numexpr  # noqa: PLC0415

    expression = workloads.NUMEXPR.get("gelu_bias" if name == "small" else name)
    if expression is None:
        return None
    local = dict(zip(("x", "y") if name == "chain10" else ("x", "b"), args))
    return lambda: numexpr.evaluate(expression, local_dict=local)


def _numba(name, args):
    loop = workloads.numba_by_hand().get(name)
    if loop is None:
        return None
    loop(*args)  # compile (or load from Numba's cache)
    return lambda: loop(*args)


def _torch(form: str, on_gpu: bool):
    """torch on a workload: "eager" and "compile" (``torch.compile``) run its NumPy code,
    "built-in" torch's own kernel for it."""
    def build(name, args):
        import torch  # noqa: PLC0415

        if form == "built-in":
            function = workloads.torch_built_in(name, torch)
            if function is None:
                return None
        else:
            function = workloads.with_array_module(workloads.EAGER[name], torch)
        if on_gpu and not torch.cuda.is_available():
            raise RuntimeError("torch has no CUDA here")
        tensors = [torch.from_numpy(a).cuda() if on_gpu else torch.from_numpy(a) for a in args]
        if form == "compile":
            torch._dynamo.reset()  # the workloads share code objects: compile each for its own shapes
            function = torch.compile(function, dynamic=False)

        def call():
            with torch.no_grad():
                result = function(*tensors)
            return _synchronized(result, torch.cuda.synchronize) if on_gpu else result
        call()
        return call, _device_to_host
    return build


def _jax(on_gpu: bool):
    def build(name, args):
        import jax  # noqa: PLC0415
        import jax.numpy as jnp  # noqa: PLC0415

        where = jax.devices("gpu" if on_gpu else "cpu")[0]
        arrays = [jax.device_put(jnp.asarray(a), where) for a in args]
        function = jax.jit(workloads.with_array_module(workloads.EAGER[name], jnp))
        function(*arrays).block_until_ready()
        return (lambda: function(*arrays).block_until_ready()), np.asarray
    return build


def _cpu_builders():
    return [("numexpr", _numexpr), ("Numba loop by hand", _numba), ("torch eager", _torch("eager", False)),
            ("torch.compile", _torch("compile", False)), ("torch (built-in)", _torch("built-in", False)),
            ("JAX (jax.jit)", _jax(False))]


def _cupy_entry(fused: bool):
    def build(name, args):
        cupy = _device.cupy_module()
        if cupy is None:
            raise ImportError("cupy", name="cupy")
        if fused and name not in workloads.ELEMENTWISE:
            return None  # cupy.fuse takes elementwise code only
        arrays = [cupy.asarray(a) for a in args]
        function = workloads.with_array_module(workloads.EAGER[name], cupy)
        if fused:
            function = cupy.fuse(function)
        synchronize = cupy.cuda.Device().synchronize
        function(*arrays)
        return (lambda: _synchronized(function(*arrays), synchronize)), _device_to_host
    return build


def _cuda_builders():
    return [("CuPy eager", _cupy_entry(False)), ("cupy.fuse", _cupy_entry(True)),
            ("torch eager (CUDA)", _torch("eager", True)), ("torch.compile (CUDA)", _torch("compile", True)),
            ("torch (built-in, CUDA)", _torch("built-in", True)), ("JAX (jax.jit, GPU)", _jax(True))]
