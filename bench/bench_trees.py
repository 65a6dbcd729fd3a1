"""Before/after: the fusion workloads of two checkouts of this repository, timed
in one run (rounds alternate between the trees, each in its own process), and
the generated kernel sources compared. For a change that must not alter
behaviour (a refactor of the kernel side), the sources are equal and the
ratios are noise.

    git worktree add /tmp/before <commit>
    python bench/bench_trees.py /tmp/before . --out bench/results/refactor_before_after.md
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

WORKLOADS = ("gelu_bias", "small", "chain10", "mlp")

# Run inside one tree: the scripted workloads' medians and their kernels' sources.
PROGRAM = textwrap.dedent('''
    import json, sys, time
    import numpy as np
    from bench import workloads
    repeats = int(sys.argv[1])
    found = {}
    for name in sys.argv[2:]:
        arguments = workloads.inputs(name)
        function = workloads.scripted(name)
        function(*arguments)
        function(*arguments)
        groups = function._executor.current()[0].report.fusion.details["groups"]
        sources = [group.kernel.compiled[0].source for group in groups]
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            function(*arguments)
            times.append(time.perf_counter() - start)
        found[name] = {"seconds": sorted(times)[len(times) // 2], "sources": sources}
    print(json.dumps(found))
''')


def run_tree(tree: Path, repeats: int, names) -> dict:
    environment = dict(os.environ, PYTHONPATH=str(tree))
    completed = subprocess.run([sys.executable, "-c", PROGRAM, str(repeats), *names], cwd=tree, env=environment,
                               capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{tree}: the workloads failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def digest(sources) -> str:
    return hashlib.sha1("\n".join(sources).encode()).hexdigest()[:10]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--out", type=Path)
    options = parser.parse_args(argv)
    best = {"before": {}, "after": {}}
    sources = {}
    for _ in range(options.rounds):
        for label, tree in (("before", options.before), ("after", options.after)):
            for name, found in run_tree(tree.resolve(), options.repeats, WORKLOADS).items():
                best[label][name] = min(best[label].get(name, float("inf")), found["seconds"])
                sources[(label, name)] = found["sources"]
    lines = [f"Before: `{options.before}`; after: `{options.after}`. Best of {options.rounds} rounds of the median "
             f"of {options.repeats} calls, rounds alternating between the trees in one run.", "",
             "| workload | before (ms) | after (ms) | after / before | kernels (before) | kernels (after) | same sources |",
             "|---|---|---|---|---|---|---|"]
    for name in WORKLOADS:
        before, after = best["before"][name], best["after"][name]
        old, new = sources[("before", name)], sources[("after", name)]
        lines.append(f"| {name} | {before * 1e3:.3f} | {after * 1e3:.3f} | {after / before:.2f} | "
                     f"{len(old)} ({digest(old)}) | {len(new)} ({digest(new)}) | {'yes' if old == new else 'NO'} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if options.out:
        options.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
