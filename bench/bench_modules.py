"""Scripted jit.nn modules against the same modules run eagerly, and jit.fork
against running the same calls one after another.

    python bench/bench_modules.py [--repeat N]

Prints a Markdown table and writes it to bench/results/modules_<device>.md.
Ratios are eager time / scripted time from one run on one machine (> 1: the
scripted module is faster). Without the fuser, scripting a module can only
remove Python overhead (module __call__, attribute lookups), not array work.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jit  # noqa: E402
from bench.publish import publish  # noqa: E402
from tests.jit.models.transformer_block import TinyTransformer  # noqa: E402
from tests.jit.models.tutorial_models import MyCell, MyDecisionGate, MyRNNLoop  # noqa: E402


def best_time(function, *args, repeat):
    function(*args)  # warm up
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function(*args)
        best = min(best, time.perf_counter() - start)
    return best


def module_cases():
    rng = np.random.default_rng(0)
    jit.manual_seed(0)
    cell = MyCell(MyDecisionGate())
    x, h = rng.random((3, 4)), rng.random((3, 4))
    yield "MyCell (3x4)", cell, (x, h)
    yield "MyRNNLoop (10 steps)", MyRNNLoop(), (rng.random((10, 3, 4)),)
    small = TinyTransformer(vocab=100, dim=64, heads=4, hidden=256, layers=2, context=32).eval()
    yield "TinyTransformer d=64 L=2 (2x32 tokens)", small, (rng.integers(0, 100, size=(2, 32)),)
    large = TinyTransformer(vocab=1000, dim=256, heads=8, hidden=1024, layers=4, context=128).eval()
    yield "TinyTransformer d=256 L=4 (8x128 tokens)", large, (rng.integers(0, 1000, size=(8, 128)),)


def fork_case(repeat):
    # Elementwise ufuncs run single-threaded and release the GIL: forked calls can overlap.
    rng = np.random.default_rng(1)
    matrices = [rng.random(2_000_000) for _ in range(4)]

    def work(a):
        return (np.tanh(a) * np.sin(a) + np.exp(-a)).sum()

    def sequential():
        return [work(a) for a in matrices]

    def forked():
        return [jit.wait(f) for f in [jit.fork(work, a) for a in matrices]]

    return best_time(sequential, repeat=repeat), best_time(forked, repeat=repeat)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    options = parser.parse_args()
    rows = []
    for name, module, args in module_cases():
        scripted = jit.script(module)
        np.testing.assert_array_equal(np.asarray(scripted(*args)[0]), np.asarray(module(*args)[0]))
        eager_time = best_time(module, *args, repeat=options.repeat)
        scripted_time = best_time(scripted, *args, repeat=options.repeat)
        rows.append((name, eager_time, scripted_time))
    sequential, forked = fork_case(options.repeat)
    lines = [f"# Scripted modules vs eager, and jit.fork (cpu, {platform.processor() or platform.machine()}, "
             f"{os.cpu_count()} cores, numpy {np.__version__}, best of {options.repeat})", "",
             "| case | eager ms | scripted ms | eager / scripted |", "|---|---:|---:|---:|"]
    for name, eager_time, scripted_time in rows:
        lines.append(f"| {name} | {eager_time * 1e3:.3f} | {scripted_time * 1e3:.3f} | "
                     f"{eager_time / scripted_time:.2f} |")
    lines += ["", "| case | sequential ms | forked ms | sequential / forked |", "|---|---:|---:|---:|",
              f"| 4 x (tanh(a) * sin(a) + exp(-a)).sum(), a: 2M float64 | {sequential * 1e3:.2f} | {forked * 1e3:.2f} | "
              f"{sequential / forked:.2f} |"]
    publish(lines, "modules_cpu.md")


if __name__ == "__main__":
    main()
