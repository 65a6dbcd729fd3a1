"""How the CPU kernels' thread pool (kernels.thread_pool) compares with the ThreadPoolExecutor it replaced
and with one thread, in one process on the same kernels: the scripted softmax, layer norm and tanh-GELU of
the reduction and fusion benchmarks at (256, 1024) and (4096, 1024) float32. The executor's form is the
one kernels.cpu had (the caller's slice, then a wait on the worker's future). Entries take turns of 20
consecutive calls, three times; best and median of the calls. Twice: calls back to back, and each
after 2 ms of NumPy, by which time the pool's workers sleep (as in the interleaved benchmarks).

    python bench/bench_threads.py   # writes bench/results/threads_cpu.md
"""
from __future__ import annotations

import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jit  # noqa: E402
from bench.publish import publish  # noqa: E402
from jit.benchmarking import workloads  # noqa: E402
from kernels import cpu, thread_pool  # noqa: E402

ROUNDS = 60
CYCLES = 3


def _executor_run(executor):
    def run(self, function, outer, arguments):  # kernels.cpu.run_parallel before the pool, for two threads
        half = outer // 2
        future = executor.submit(function, half, outer, cpu.UNWATCHED, *arguments)
        try:
            function(0, half, cpu.UNWATCHED, *arguments)
        finally:
            future.result()
    return run


def _serial_run(self, function, outer, arguments):
    function(0, outer, cpu.UNWATCHED, *arguments)


def _cases():
    rng = np.random.default_rng(0)
    for rows in (256, 4096):
        x = rng.standard_normal((rows, 1024), dtype=np.float32)
        w, b = rng.standard_normal(1024, dtype=np.float32), rng.standard_normal(1024, dtype=np.float32)
        yield f"softmax ({rows}, 1024)", jit.script(workloads.softmax), (x,)
        yield f"layer_norm ({rows}, 1024)", jit.script(workloads.layer_norm), (x, w, b)
        yield f"gelu_bias ({rows}, 1024)", jit.script(workloads.gelu_bias), (x, b)


def main():
    if thread_pool.pool() is None:
        print("one thread here (NUMBA_NUM_THREADS or the machine): nothing to compare")
        return
    pool_run = thread_pool.ThreadPool.run
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-executor")
    entries = [("kernels.thread_pool", pool_run), ("ThreadPoolExecutor", _executor_run(executor)),
               ("one thread", _serial_run)]
    lines = [f"# CPU kernel threads (python bench/bench_threads.py) on {platform.machine()}, "
             f"{thread_pool.pool().threads} threads, numpy {np.__version__}", "",
             "The same scripted kernels launched three ways in one process, entries taking turns in blocks of "
             f"{ROUNDS // CYCLES} consecutive calls, {CYCLES} times; the executor and one-thread entries use two "
             "threads and one whatever the pool's size. Best time (median).", ""]
    header = ["| workload | kernels.thread_pool | ThreadPoolExecutor | one thread | executor / pool |",
              "|---|---|---|---|---|"]
    back_to_back, after_numpy = [], []
    spacer = np.random.default_rng(1).standard_normal((1024, 1024), dtype=np.float32)  # np.exp of it: about 2 ms
    try:
        for name, function, args in _cases():
            for _ in range(3):  # profiled, then optimized: the fused kernel from here on
                function(*args)
            expected = None
            for _ in range(3):
                for entry, run in entries:
                    thread_pool.ThreadPool.run = run
                    result = function(*args)
                    expected = result if expected is None else expected
                    np.testing.assert_array_equal(result, expected)  # the same kernel: the same bits
            for between, rows in ((None, back_to_back), (spacer, after_numpy)):
                times = {entry: [] for entry, _ in entries}
                for _ in range(CYCLES):  # blocks of consecutive calls: a pool's worker waits for the next one
                    for entry, run in entries:
                        thread_pool.ThreadPool.run = run
                        for _ in range(ROUNDS // CYCLES):
                            if between is not None:
                                np.exp(between)  # the pool's workers go to sleep meanwhile
                            start = time.perf_counter()
                            function(*args)
                            times[entry].append(time.perf_counter() - start)
                cells = []
                for entry, _ in entries:
                    ordered = sorted(times[entry])
                    cells.append(f"{ordered[0] * 1e3:.3f} ms (median {ordered[len(ordered) // 2] * 1e3:.3f})")
                ratio = min(times["ThreadPoolExecutor"]) / min(times["kernels.thread_pool"])
                rows.append(f"| {name} | {' | '.join(cells)} | {ratio:.2f}x |")
                print(rows[-1], flush=True)
    finally:
        thread_pool.ThreadPool.run = pool_run
        executor.shutdown()
    lines += ["## Calls back to back (the workers spin between them)", "", *header, *back_to_back, "",
              "## After np.exp of a (1024, 1024) float32 array each (the workers have gone to sleep)", "",
              *header, *after_numpy]
    publish(lines, "threads_cpu.md")


if __name__ == "__main__":
    main()
