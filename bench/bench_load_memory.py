"""Memory a ``jit.load`` holds, for saved files and for files crafted to expand:
the peak that tracemalloc sees (Python objects and NumPy buffers) as a multiple
of the file's size, and whether the load succeeded or was refused.

    python bench/bench_load_memory.py [--count N]

The crafted files are the attacks of issue 16: N tensor records pointing at
one 8 MiB array (version 1: refused; version 2: N views of one storage, no
copies), and manifests whose JSON expands in memory (a list attribute of a
million empty lists or objects, or of small ints written compactly). Writes
bench/results/load_memory_cpu.md.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jit  # noqa: E402
from bench.publish import publish  # noqa: E402
from jit import nn  # noqa: E402
from jit.serialization.limits import LOAD_MEMORY_FACTOR  # noqa: E402
from tests.jit.serialization.test_robustness import edited_manifest  # noqa: E402
from tests.jit.serialization.test_storages import as_version_1  # noqa: E402


class Big(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("big", np.ones(2 << 20, dtype=np.float32))
        self.extra = [np.zeros(1, np.float32)]

    def forward(self, x):
        return x


class Listed(nn.Module):
    def __init__(self, numbers):
        super().__init__()
        self.numbers = numbers

    def forward(self, x):
        return x


def saved(module) -> bytes:
    buffer = io.BytesIO()
    jit.save(jit.script(module), buffer)
    return buffer.getvalue()


def records_at_the_big_array(data, count):
    def edit(m):
        big = m["tensors"][m["modules"][0]["buffers"]["big"]]
        start = len(m["tensors"])
        m["tensors"] += [dict(big) for _ in range(count)]
        m["modules"][0]["attributes"]["extra"] = [{"tensor": start + i} for i in range(count)]
    return edited_manifest(data, edit)


def with_numbers(data, value):
    return edited_manifest(data, lambda m: m["modules"][0]["attributes"].update(numbers=value))


def measure(data, **options):
    tracemalloc.start()
    try:
        jit.load(io.BytesIO(data), **options)
        outcome = "loaded"
    except jit.SerializationError as error:
        outcome = "refused: " + str(error).split(": ", 1)[1][:60] + "..."
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, outcome


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=250, help="tensor records pointing at the 8 MiB array")
    options = parser.parse_args()
    big = saved(Big())
    lists, flat = saved(Listed([[1]])), saved(Listed([1]))
    ints = list(range(1_000_000))
    cases = [
        ("saved: an 8 MiB buffer", big),
        (f"v1: {options.count} records, one 8 MiB entry", records_at_the_big_array(as_version_1(big), options.count)),
        (f"v2: {options.count} views of one 8 MiB storage", records_at_the_big_array(big, options.count)),
        ("saved: a list of 1M ints", saved(Listed(ints))),
        ("crafted: 1M ints, compact JSON", with_numbers(flat, ints)),
        ("crafted: 1M empty lists", with_numbers(lists, [[]] * 1_000_000)),
        ("crafted: 1M empty objects", with_numbers(lists, [{}] * 1_000_000)),
    ]
    lines = [f"Peak memory of jit.load (tracemalloc) as a multiple of the file's size; default limit "
             f"{LOAD_MEMORY_FACTOR}x + 1 MiB.", "",
             "| file | size (MB) | peak (MB) | peak / size | outcome |", "|---|---:|---:|---:|---|"]
    for name, data in cases:
        peak, outcome = measure(data)
        lines.append(f"| {name} | {len(data) / 1e6:.1f} | {peak / 1e6:.1f} | {peak / len(data):.1f} | {outcome} |")
    manifest_text = json.dumps([[]] * 1_000_000)
    tracemalloc.start()
    json.loads(manifest_text)
    parsed = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    lines += ["", f"For scale: json.loads of a million `[]` ({len(manifest_text) / 1e6:.1f} MB of text) builds "
              f"{parsed / 1e6:.0f} MB ({parsed / len(manifest_text):.0f}x)."]
    publish(lines, "load_memory_cpu.md")


if __name__ == "__main__":
    main()
