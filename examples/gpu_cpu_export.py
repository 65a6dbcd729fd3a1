"""Train on the GPU, infer on the CPU: the TorchScript FAQ's export workflow.

    python examples/gpu_cpu_export.py [--out DIR]

1. Convert the model to the CPU, trace it with CPU inputs, save ``cpu.pt``.
2. Trace it on the GPU with GPU inputs, save ``gpu.pt``.
3. Later, load whichever file fits the machine and run it.
4. The pitfall the FAQ warns of: a trace records arrays it sees being used
   (here a plain array attribute, not a parameter) on the device they were on.
   Moving a loaded GPU model with ``.cpu()`` moves its parameters but not those
   recorded arrays, so it fails on CPU inputs. ``jit.load(..., map_location="cpu")``
   moves them too (TorchScript's load did not).

On a machine without CUDA the GPU half is skipped with a message saying so.
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings

import numpy as np

import device
import jit
from jit import nn


class Scorer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(16, 32)
        self.out = nn.Linear(32, 4)
        # A plain array, not a buffer: .cpu()/.cuda() do not move it, and a trace bakes it in.
        self.temperature = np.full(4, 0.5, dtype=np.float32)

    def forward(self, x):
        return np.tanh(self.out(nn.functional.gelu(self.hidden(x)))) / self.temperature


def to_device(model: Scorer, dev: str) -> Scorer:
    """The model on ``dev``: parameters by ``.to``, the plain array by hand (as a user must)."""
    model.to(dev)
    model.temperature = device.to(model.temperature, dev)
    return model


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=".", help="where cpu.pt and gpu.pt are written (default: .)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    cpu_path, gpu_path = os.path.join(args.out, "cpu.pt"), os.path.join(args.out, "gpu.pt")

    jit.manual_seed(0)
    model = Scorer().eval()
    sample = np.random.default_rng(0).standard_normal((8, 16)).astype(np.float32)
    expected = model(sample)

    # 1. CPU export: the model on the CPU, traced with CPU inputs.
    traced_cpu = jit.trace(to_device(model, "cpu"), (sample,))
    jit.save(traced_cpu, cpu_path)
    print(f"saved {cpu_path} (traced on the CPU)")

    # 3. Inference on a CPU machine.
    loaded = jit.load(cpu_path)
    result = loaded(sample)
    np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-6)
    print(f"cpu.pt on the CPU: matches eager, largest difference {np.abs(result - expected).max():.2g}")

    if not device.cuda_is_available():
        print("GPU half skipped: no CUDA device here (CuPy is not installed or sees no GPU); run this example "
              "on a GPU machine to trace on the GPU, save gpu.pt and see the pitfall")
        return 0

    # 2. GPU export: the model on the GPU, traced with GPU inputs.
    sample_gpu = device.to(sample, "cuda:0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jit.TracerWarning)  # it warns that the array on cuda:0 is baked in
        traced_gpu = jit.trace(to_device(model, "cuda:0"), (sample_gpu,))
    jit.save(traced_gpu, gpu_path)
    print(f"saved {gpu_path} (traced on cuda:0)")

    # 3. Inference on a GPU machine.
    result_gpu = device.to(jit.load(gpu_path)(sample_gpu), "cpu")
    np.testing.assert_allclose(result_gpu, expected, rtol=1e-5, atol=1e-5)
    print(f"gpu.pt on the GPU: matches eager, largest difference {np.abs(result_gpu - expected).max():.2g}")

    # 4. The pitfall: moving a loaded GPU model to the CPU leaves the baked array on the GPU.
    moved = jit.load(gpu_path).cpu()
    try:
        moved(sample)
        print("unexpected: the moved GPU model ran on the CPU")
        return 1
    except RuntimeError as error:
        print(f"pitfall: gpu.pt loaded, then .cpu(), fails on CPU inputs:\n  {str(error).splitlines()[0]}")
    remapped = jit.load(gpu_path, map_location="cpu")
    np.testing.assert_allclose(remapped(sample), expected, rtol=1e-5, atol=1e-5)
    print("jit.load(gpu.pt, map_location='cpu') moves the baked array too: it runs on the CPU and matches eager")
    return 0


if __name__ == "__main__":
    sys.exit(main())
