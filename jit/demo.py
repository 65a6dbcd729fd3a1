"""``arrayscript demo``: a small GPT-style transformer (jit/models/gpt.py), written
with ``jit.nn``, scripted, run eagerly and scripted (on the CPU, or on CuPy
arrays with ``--device cuda``), checked against eager, with what fused and why
the rest did not, the speed table, and a save/load round trip whose file runs in
a fresh process that cannot import the model's source.
"""
from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

import device as devices
import jit
from jit.benchmarking.comparison import measure
from jit.models import GPT, GPTConfig

TOLERANCE = 1e-4  # float32 logits: fused kernels may round differently in the last bits

# Run in a fresh interpreter: the model's source (jit.models) is made unimportable first.
LOAD_PROGRAM = """
import json, sys, time
sys.modules["jit.models"] = None  # importing the model's source now fails: the file must not need it
import numpy as np
import device
import jit
path, ids_path, expected_path = sys.argv[1:4]
started = time.perf_counter()
model = jit.load(path)
loaded = time.perf_counter() - started
expected = np.load(expected_path)
ids = device.to(np.load(ids_path), device.of(next(iter(model.parameters()))))  # onto the model's device
model(ids)  # profiled
started = time.perf_counter()
logits = model(ids)  # specialized: its kernels come from the disk cache the first process filled
specialized = time.perf_counter() - started
logits = logits.get() if hasattr(logits, "get") else logits
report = jit.explain(model, ids)
groups = report.specialization.report.fusion.details.get("groups", []) if report.specialization else []
kernels = {}
for group in groups:  # a kernel shared by several groups is loaded for the first of them
    kernels.setdefault(group.name, group.kernel.report())
print(json.dumps({"name": model.original_name, "load": loaded, "specialize": specialized,
                  "difference": float(np.max(np.abs(logits.astype(np.float64) - expected))),
                  "kernels": list(kernels.values())}))
"""


def run_demo(device_name: str = "cpu", batch: int = 8, tokens: int = 64, out=sys.stdout) -> bool:
    """Run the demo, printing to ``out``; True when scripted, fused and loaded all agree with eager."""
    def say(text=""):
        print(text, file=out, flush=True)

    dev = devices.Device(device_name)
    config = GPTConfig()
    jit.manual_seed(0)
    model = GPT(config).eval().to(dev)
    ids = devices.to(np.random.default_rng(0).integers(0, config.vocab_size, (batch, tokens)), dev)
    synchronize = _synchronizer(dev)

    say(f"== 1. a GPT-style transformer written with jit.nn (jit/models/gpt.py), on {dev} ==")
    say(f"{config.layers} blocks of causal self-attention and a GELU MLP, width {config.width}, {config.heads} heads, "
        f"vocabulary {config.vocab_size}: {model.parameter_count():,} parameters; input ids {tuple(ids.shape)}")
    started = time.perf_counter()
    scripted = jit.script(model)
    say(f"jit.script(model) in {time.perf_counter() - started:.2f} s; one block's attention as script code:")
    say("\n".join("    " + line for line in scripted.h[0].attn.code.strip().splitlines()))

    say("\n== 2. eager NumPy vs scripted ==")
    expected = _host(model(ids))
    with _Progress(out, "first call: profiled (records dtypes and shapes)"):
        scripted(ids)
    with _Progress(out, "second call: specializes and compiles the fused kernels"):
        logits = _host(scripted(ids))
    difference = float(np.max(np.abs(logits.astype(np.float64) - expected)))
    agrees = difference <= TOLERANCE
    say(f"logits {logits.dtype}{tuple(logits.shape)}; largest difference from eager: {difference:.2g} "
        f"({'agrees with eager' if agrees else 'DIFFERS FROM EAGER'}, tolerance {TOLERANCE:g})")

    say("\n== 3. what fused (jit.explain) ==")
    say("\n".join(fusion_summary(jit.explain(scripted, ids))))

    say("\n== 4. speed: best time per forward, interleaved rounds ==")
    with jit.fuser("none"):
        unfused = jit.script(model)
        unfused(ids), unfused(ids)
    rows = {"eager NumPy": lambda: synchronize(model(ids)),
            "scripted, fusion off": lambda: _unfused_call(unfused, ids, synchronize),
            "scripted + fused": lambda: synchronize(scripted(ids))}
    best = measure(rows, rounds=7)
    say(f"| {'':22} | {'time':>10} | speed-up |")
    for label, seconds in best.items():
        say(f"| {label:22} | {seconds * 1e3:7.2f} ms | {best['eager NumPy'] / seconds:7.2f}x |")

    say("\n== 5. save, then load in a fresh process that cannot import jit.models ==")
    loaded_ok = _save_and_load(scripted, ids, expected, say)
    ok = agrees and loaded_ok
    say("\nOK: the scripted model matches eager NumPy, fused and after loading" if ok else
        "\nFAILED: see above")
    return ok


class _Progress:
    """A progress line while a slow call runs: on a terminal it counts the seconds;
    elsewhere it is printed once, then completed with the time taken."""

    def __init__(self, out, label: str):
        self.out, self.label = out, label
        self.live = getattr(out, "isatty", lambda: False)()
        self.done = threading.Event()

    def __enter__(self):
        self.started = time.perf_counter()
        if self.live:
            threading.Thread(target=self._tick, daemon=True).start()
        else:
            print(f"{self.label} ...", end="", file=self.out, flush=True)
        return self

    def _tick(self):
        while not self.done.wait(0.25):
            print(f"\r{self.label} ... {time.perf_counter() - self.started:.1f} s", end="", file=self.out, flush=True)

    def __exit__(self, *exc):
        self.done.set()
        elapsed = time.perf_counter() - self.started
        print(f"\r{self.label} ... {elapsed:.2f} s" if self.live else f" {elapsed:.2f} s", file=self.out, flush=True)
        return False


def fusion_summary(report) -> list:
    """What a jit.explain report says fused: each distinct kernel with its groups and
    compile (or disk-cache) time, and the array operations left out, counted by reason."""
    specialization = report.specialization
    fusion = None if specialization is None else specialization.report.fusion
    if fusion is None:
        return ["nothing fused (fusion is off, or no specialization was built)"]
    groups, reasons = fusion.details.get("groups", []), fusion.details.get("reasons", {})
    kernels = _by_kernel(groups)
    lines = [f"specialization #{getattr(specialization, 'number', 0)} ({specialization.kind}), built in "
             f"{specialization.build_seconds:.2f} s; {len(groups)} fusion groups, {len(kernels)} distinct kernels:"]
    for (kinds, _), (count, text) in kernels.items():
        lines.append(f"  {count} x [{', '.join(kinds)}] -> {text}")
    # Why the rest did not fuse: array operations only, the same reason counted once.
    counted = collections.Counter()
    for node, reason in reasons.values():
        if not node.kind.startswith("prim::"):
            counted[re.sub(r"%[\w.]+", "%…", reason)] += 1
    lines.append(f"not fused ({sum(counted.values())} array operations), by reason:")
    lines += [f"  {count:3} x {reason}" for reason, count in counted.most_common()]
    return lines


def _by_kernel(groups) -> dict:
    """{(kinds, kernel name): (groups using it, the first one's report)}: a kernel that
    several groups share is compiled (or loaded) once, for the first of them."""
    kernels = {}
    for group in groups:
        key = (tuple(group.kinds), group.name)
        count, text = kernels.get(key, (0, group.kernel.report()))
        kernels[key] = (count + 1, text)
    return kernels


def _save_and_load(scripted, ids, expected, say) -> bool:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "gpt.pt"
        scripted.save(path)
        say(f"scripted.save('gpt.pt'): {path.stat().st_size / 1e6:.1f} MB (printed code, arrays, manifest; no pickle)")
        np.save(Path(directory) / "ids.npy", _host(ids))
        np.save(Path(directory) / "expected.npy", expected)
        root = str(Path(__file__).resolve().parents[1])
        environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        done = subprocess.run([sys.executable, "-c", LOAD_PROGRAM, str(path), str(Path(directory) / "ids.npy"),
                               str(Path(directory) / "expected.npy")], capture_output=True, text=True,
                              env=environment, timeout=600)
    if done.returncode != 0:
        say(f"the fresh process failed:\n{done.stderr.strip()}")
        return False
    result = json.loads(done.stdout.strip().splitlines()[-1])
    agrees = result["difference"] <= TOLERANCE
    say(f"jit.load: a {result['name']} in {result['load']:.2f} s; its specialized call took "
        f"{result['specialize']:.2f} s, the kernels from the disk cache:")
    say("\n".join(f"  {text}" for text in result["kernels"]))
    say(f"largest difference from eager: {result['difference']:.2g} ({'agrees' if agrees else 'DIFFERS'})")
    return agrees


def _unfused_call(function, ids, synchronize):
    with jit.fuser("none"):
        return synchronize(function(ids))


def _synchronizer(dev):
    if dev.type != "cuda":
        return lambda result: result
    stream = devices.cupy_module().cuda

    def synchronize(result):
        stream.Device().synchronize()
        return result
    return synchronize


def _host(array):
    return array.get() if hasattr(array, "get") else np.asarray(array)
