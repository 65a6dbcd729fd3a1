"""A fusion group that ends in an in-place store (fuser.inplace_store): an RNN's row update
``h[t] = np.tanh(x[t] @ W + prev @ U)`` time-major (a C-contiguous row, written by the kernel)
and ``h[:, t] = ...`` batch-major (a strided row, written by the kernel's rows variant:
kernels.cpu.CpuKernel.launch_rows), against the same function with every store copied,
and eager NumPy.

    python bench/bench_inplace_store.py [--repeat N]

Float64, B=64 rows, T=40 steps, D=32 inputs, H=512 hidden. Each figure is the best of
``repeat`` calls, the contenders interleaved in one run. Prints a Markdown table and writes
bench/results/inplace_store_cpu.md.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jit  # noqa: E402
from bench.publish import publish  # noqa: E402
from fuser import inplace_store  # noqa: E402


def rnn_time_major(x, W, U, h0):
    h = np.zeros((x.shape[0], x.shape[1], W.shape[1]), dtype=x.dtype)
    prev = h0
    for t in range(x.shape[0]):
        h[t] = np.tanh(x[t] @ W + prev @ U)
        prev = h[t]
    return h


def rnn_batch_major(x, W, U, h0):
    h = np.zeros((x.shape[0], x.shape[1], W.shape[1]), dtype=x.dtype)
    prev = h0
    for t in range(x.shape[1]):
        h[:, t] = np.tanh(x[:, t] @ W + prev @ U)
        prev = h[:, t]
    return h


def inputs(time_major: bool, batch=64, steps=40, features=32, hidden=512):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((steps, batch, features) if time_major else (batch, steps, features))
    return x, rng.standard_normal((features, hidden)) * 0.1, rng.standard_normal((hidden, hidden)) * 0.05, \
        np.zeros((batch, hidden))


def scripted(function, fuse_stores: bool):
    original = inplace_store._fusible_store
    if not fuse_stores:
        inplace_store._fusible_store = lambda record: (None, None, "measured with the store copied")
    try:
        compiled = jit.script(function)
        args = inputs(function is rnn_time_major)
        for _ in range(3):  # profiled, then specialized (the pass runs as the specialization is built)
            compiled(*args)
    finally:
        inplace_store._fusible_store = original
    return compiled


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    options = parser.parse_args()
    lines = [f"RNN row update, float64 (64, 40, 32) -> hidden 512, best of {options.repeat} calls "
             f"({platform.processor() or platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores)", "",
             "| layout | eager NumPy | scripted, store copied | scripted, store fused | fused vs copied |",
             "|---|---|---|---|---|"]
    for label, function in (("time-major h[t] (C-contiguous row)", rnn_time_major),
                            ("batch-major h[:, t] (strided row)", rnn_batch_major)):
        args = inputs(function is rnn_time_major)
        contenders = {"eager": function, "copied": scripted(function, False), "fused": scripted(function, True)}
        for name, candidate in contenders.items():
            np.testing.assert_allclose(candidate(*args), function(*args), rtol=1e-12, atol=1e-12, err_msg=name)
        best = dict.fromkeys(contenders, float("inf"))
        for _ in range(options.repeat):
            for name, candidate in contenders.items():
                start = time.perf_counter()
                candidate(*args)
                best[name] = min(best[name], time.perf_counter() - start)
        lines.append(f"| {label} | {best['eager'] * 1e3:.2f} ms | {best['copied'] * 1e3:.2f} ms | "
                     f"{best['fused'] * 1e3:.2f} ms | {best['copied'] / best['fused']:.2f}x |")
    publish(lines, "inplace_store_cpu.md")


if __name__ == "__main__":
    main()
