"""Compile time against the size of the code (issue 16): each step of each shape
must cost about as much more as the code grew, never the square.

    python bench/bench_compile_scaling.py [--repeat N]

Shapes: 10/20/40 nested loops, f-strings of 1k/10k/100k parts, 100/1,000/10,000
chained ``x = x + 1.0`` statements and dict literals of 100/1,000/10,000 items. For
each: ``jit.load`` of a crafted archive whose code entry holds the source (as a
stranger's file would), ``jit.script`` of the same source written as a Python
module (CPython compiles at most 20 nested loops per function, so the 40 loops are
two functions of 20, inlined into one graph at the first call), and the first two
calls of the loaded function (profiling, then specialization and fusion). Times are
CPU seconds of this process, the best of N runs, so that other processes on the
machine weigh less. Writes bench/results/compile_scaling.md.
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import io
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jit  # noqa: E402
from bench.publish import publish  # noqa: E402
from tests.jit import generated_code as code  # noqa: E402

STAGES = ("load", "script", "1st call", "2nd call")


def shapes():
    """(shape, size, stored code, Python source of the function and its callees, arguments)."""
    x = np.arange(8, dtype=np.float32)
    for depth in (10, 20, 40):
        yield "nested loops", depth, code.nested_loops(depth, annotated=True), code.nested_loop_functions(depth), (x, 1)
    for parts in (1_000, 10_000, 100_000):
        yield "f-string parts", parts, code.fstring(parts, annotated=True), [code.fstring(parts)], (7,)
    for statements in (100, 1_000, 10_000):
        yield "chained statements", statements, code.chain(statements, annotated=True), [code.chain(statements)], (x,)
    for items in (100, 1_000, 10_000):  # 100,000 items are more code than a saved function may hold
        yield "dict literal items", items, code.dict_literal(items, annotated=True), [code.dict_literal(items)], (x,)


def imported(sources: list, path: Path):
    """The module of the functions ``sources`` define, written to ``path`` and imported
    (jit.script reads their source), and their names."""
    path.write_text("import numpy as np\n\n" + "\n\n".join(sources))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module, [text.split("(", 1)[0][len("def "):] for text in sources]


def script_all(module, names):
    """Script the functions ``names`` of ``module``, callees first (each call then
    compiles to a call of the scripted callee); returns the first."""
    for name in reversed(names):
        setattr(module, name, jit.script(getattr(module, name)))
    return getattr(module, names[0])


def timed(action):
    gc.collect()  # garbage of the previous stage is not this one's to collect
    start = time.process_time()
    result = action()
    return time.process_time() - start, result


def measure(stored, sources, args, directory, number):
    """CPU seconds of each stage, checked against the eager function's result."""
    archive = code.archive_with_code(stored)
    eager_module, names = imported(sources, directory / f"eager_{number}.py")
    scripted_module, _ = imported(sources, directory / f"scripted_{number}.py")
    eager = getattr(eager_module, names[0])
    seconds = {}
    seconds["load"], loaded = timed(lambda: jit.load(io.BytesIO(archive)))
    seconds["script"], _ = timed(lambda: script_all(scripted_module, names))
    seconds["1st call"], first = timed(lambda: loaded(*args))
    seconds["2nd call"], second = timed(lambda: loaded(*args))
    expected = eager(*args)
    for result in (first, second):
        np.testing.assert_array_equal(result, expected)
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each case; the best is kept")
    options = parser.parse_args()
    rows, number = [], 0
    with tempfile.TemporaryDirectory() as directory:
        for shape, size, stored, sources, args in shapes():
            best = dict.fromkeys(STAGES, float("inf"))
            for _ in range(options.repeat):
                number += 1
                for stage, seconds in measure(stored, sources, args, Path(directory), number).items():
                    best[stage] = min(best[stage], seconds)
            rows.append((shape, size, len(stored), best))
            print(shape, size, {k: round(v, 4) for k, v in best.items()}, flush=True)
    lines = [f"# Compile time against code size ({platform.processor() or platform.machine()}, "
             f"Python {platform.python_version()}, NumPy {np.__version__})", "",
             f"`python bench/bench_compile_scaling.py` — CPU seconds, best of {options.repeat} runs. "
             "Each step's growth (×) is the time over the previous size's; linear growth is the size ratio "
             "(2 for loops, 10 for the others); the last column is the load time per loop, part or statement.", "",
             "| shape | size | code chars | " + " | ".join(f"{stage} s | ×" for stage in STAGES) + " | load µs per unit |",
             "|---|---|---|" + "---|---|" * len(STAGES) + "---|"]
    previous = {}
    for shape, size, chars, best in rows:
        before = previous.get(shape)
        cells = []
        for stage in STAGES:
            growth = f"{best[stage] / before[stage]:.1f}" if before and before[stage] > 0 else ""
            cells += [f"{best[stage]:.4f}", growth]
        lines.append(f"| {shape} | {size:,} | {chars:,} | " + " | ".join(cells) + f" | {best['load'] / size * 1e6:.0f} |")
        previous[shape] = best
    publish(lines, "compile_scaling.md")


if __name__ == "__main__":
    main()
