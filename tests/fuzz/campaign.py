"""The long-running fuzz campaign.

    python -m tests.fuzz.campaign --programs 2000 --seed 1 --jobs 2 [--timeout 60] [--shrink 120]
                                  [--without FLAG ...] [--modes script,trace]

Programs run in worker processes (``--jobs`` of them), each program under a
wall-clock limit: a worker that runs past it is killed and the program counts
as a hang (with the innermost frames it was running); a worker that dies
counts as a crash. At the end the counts are printed (programs, calls, fused
calls, calls NumPy leaves undefined, mismatches by kind), then one line per
distinct mismatch (kind and what differed, over all modes), and with
``--shrink`` a shrunk test for each.
``--without FLAG`` turns off a generator option (``generator.Options``), e.g.
``--without dead_statements`` to leave out a known bug class; ``--oracle-off
NAME`` turns off an ``oracle.check`` switch (``trace_scalar_types``,
``trace_numpy_scalar_constants``). ``--known`` leaves out what
tests/fuzz/test_programs.py leaves out.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from ..worker_pool import Worker, run_items

ROOT = Path(__file__).resolve().parents[2]


def _prepare():
    """What the test suite's conftest sets up: a source directory and per-pass verification."""
    from jit.runtime import optimization  # noqa: PLC0415

    from .. import helpers  # noqa: PLC0415

    helpers.SOURCE_DIR = Path(tempfile.mkdtemp(prefix="fuzz_sources_"))
    optimization.verify_each_pass = True


def options_without(flags) -> "object":
    from .generator import Options  # noqa: PLC0415

    options = Options()
    for flag in flags:
        if not hasattr(options, flag):
            raise SystemExit(f"--without {flag}: no such generator option; the options are "
                             f"{', '.join(sorted(options.as_dict()))}")
        setattr(options, flag, False)
    return options


ORACLE_SWITCHES = ("trace_scalar_types", "trace_numpy_scalar_constants")


def run_one(seed: int, options, modes, oracle_off=()) -> dict:
    from .generator import generate  # noqa: PLC0415
    from .oracle import check  # noqa: PLC0415

    start = time.monotonic()
    program = generate(seed, options)
    outcome = check(program, modes, **{name: False for name in oracle_off})
    return {"seed": seed, "calls": outcome.calls, "fused": outcome.fused_calls, "undefined": outcome.undefined_calls,
            "seconds": round(time.monotonic() - start, 3),
            "mismatches": [{"kind": m.kind, "mode": m.mode, "call": m.call, "input_set": m.input_set,
                            "detail": m.detail, "key": m.key} for m in outcome.mismatches]}


WORKER_MEMORY = 8 << 30  # bytes of address space per worker: a runaway allocation fails, not the machine


def worker(flags, modes, oracle_off):
    """Read seeds from stdin, one per line; write one JSON line per program."""
    import faulthandler  # noqa: PLC0415
    import resource  # noqa: PLC0415 - POSIX only, and only workers need it
    import signal  # noqa: PLC0415

    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # where a hanging program is, on stderr
    results = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # what a program or a library prints (Python or C) goes to stderr, not among the results
    sys.stdout = sys.stderr
    _prepare()
    options = options_without(flags)
    for line in sys.stdin:
        seed = int(line)
        try:
            result = run_one(seed, options, modes, oracle_off)
        except Exception as error:  # noqa: BLE001 - the generator or oracle itself failed: a finding too
            result = {"seed": seed, "calls": 0, "fused": 0, "undefined": 0, "seconds": 0,
                      "mismatches": [{"kind": "crash", "mode": "harness", "call": -1, "input_set": -1,
                                      "detail": f"{type(error).__name__}: {error}", "key": type(error).__name__}]}
        results.write(json.dumps(result) + "\n")
        results.flush()


def _worker_command(flags, modes, oracle_off) -> list:
    command = [sys.executable, "-m", "tests.fuzz.campaign", "--worker", "--modes", ",".join(modes)]
    for flag in flags:
        command += ["--without", flag]
    for name in oracle_off:
        command += ["--oracle-off", name]
    return command


def campaign(programs, seed, jobs, timeout, flags, modes, oracle_off=(), log=print):
    command = _worker_command(flags, modes, oracle_off)

    def hang(seed, worker):
        where = worker.where(thread_with="campaign.py", depth=4)  # the main thread runs run_one
        return _failure(seed, "hang", f"ran past {timeout} s, in {where or 'an unknown place'}", "timeout")

    return run_items(range(seed, seed + programs), jobs, lambda: Worker(command, ROOT), timeout,
                     on_line=lambda seed, line: json.loads(line),
                     on_crash=lambda seed, worker, code: _failure(seed, "crash", f"the worker exited with {code}",
                                                                  f"exit {code}"),
                     on_hang=hang, log=log, report_seconds=30,
                     progress=lambda results: f"... {len(results)}/{programs} programs, "
                                              f"{sum(len(r['mismatches']) > 0 for r in results)} with mismatches")


def _failure(seed, kind, detail, key):
    return {"seed": seed, "calls": 0, "fused": 0, "undefined": 0, "seconds": 0,
            "mismatches": [{"kind": kind, "mode": "worker", "call": -1, "input_set": -1, "detail": detail, "key": key}]}


def summarize(results) -> tuple[str, dict]:
    """The counts as text, and the distinct mismatches: (kind, key) -> [(seed, mismatch), ...]."""
    from .oracle import KINDS  # noqa: PLC0415

    totals = Counter()
    by_kind_calls, by_kind_programs = Counter(), Counter()
    classes = defaultdict(list)
    for result in results:
        totals["programs"] += 1
        totals["calls"] += result["calls"]
        totals["fused"] += result["fused"]
        totals["undefined"] += result["undefined"]
        kinds = set()
        for m in result["mismatches"]:
            by_kind_calls[m["kind"]] += 1
            kinds.add(m["kind"])
            classes[(m["kind"], m["key"])].append((result["seed"], m))
        for kind in kinds:
            by_kind_programs[kind] += 1
        totals["programs with mismatches"] += bool(result["mismatches"])
    lines = [f"programs: {totals['programs']}   calls: {totals['calls']}   fused calls: {totals['fused']}   "
             f"undefined (skipped): {totals['undefined']}   programs with mismatches: "
             f"{totals['programs with mismatches']}",
             "mismatches by kind (calls / programs):"]
    for kind in KINDS:
        lines.append(f"  {kind:18} {by_kind_calls[kind]:6} / {by_kind_programs[kind]}")
    lines.append(f"distinct mismatches: {len(classes)}")
    for (kind, key), found in sorted(classes.items(), key=lambda item: -len({s for s, _ in item[1]})):
        seeds = sorted({s for s, _ in found})
        modes = sorted({m["mode"] for _, m in found})
        lines.append(f"  [{kind}] {key}  -- {len(seeds)} programs, modes {','.join(modes)}, seeds {seeds[:6]}")
        lines.append(f"      e.g. {found[0][1]['detail'][:220]}")
    return "\n".join(lines), classes


def shrink_classes(classes, flags, budget, oracle_off=(), log=print):
    """A shrunk test for each distinct mismatch (in this process)."""
    from .generator import generate  # noqa: PLC0415
    from .oracle import Mismatch, check  # noqa: PLC0415
    from .shrinker import Shrinker, as_test  # noqa: PLC0415

    _prepare()
    options = options_without(flags)
    for (kind, key), found in classes.items():
        if kind in ("hang", "crash"):
            seed = found[0][0]
            log(f"\n# {kind} ({key}), seed {seed}; the program:\n{generate(seed, options).source}")
            continue
        preferred = sorted(found, key=lambda item: ["script", "dynamic", "loaded", "trace"].index(item[1]["mode"])
                           if item[1]["mode"] in ("script", "dynamic", "loaded", "trace") else 9)
        seed, m = preferred[0]
        program = generate(seed, options)
        signature = (m["kind"], m["mode"], m["key"])
        switches = {name: False for name in oracle_off}
        shrunk = Shrinker(program, signature, budget, **switches).run()
        outcome = check(shrunk, (m["mode"],), **switches)
        final = next((x for x in outcome.mismatches if x.signature() == signature),
                     Mismatch(m["kind"], m["mode"], m["call"], m["input_set"], m["detail"], m["key"]))
        log(f"\n# [{kind}] {key} (seed {seed})\n{as_test(shrunk, final)}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.campaign", description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per program before it is a hang")
    parser.add_argument("--shrink", type=float, default=0.0, metavar="SECONDS",
                        help="shrink each distinct mismatch for up to this long")
    parser.add_argument("--without", action="append", default=[], metavar="FLAG")
    parser.add_argument("--oracle-off", action="append", default=[], metavar="NAME", choices=ORACLE_SWITCHES)
    parser.add_argument("--known", action="store_true", help="leave out the known bug classes of test_programs.py")
    parser.add_argument("--modes", default="script,dynamic,trace,loaded")
    parser.add_argument("--json", metavar="FILE", help="write every program's result here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    modes = tuple(m for m in args.modes.split(",") if m)
    if args.known:
        from . import test_programs  # noqa: PLC0415

        args.without += list(test_programs.KNOWN_BUGS)
        args.oracle_off += [name for name, on in test_programs.CHECK_OPTIONS.items() if not on]
    if args.worker:
        worker(args.without, modes, args.oracle_off)
        return 0
    start = time.monotonic()
    results = campaign(args.programs, args.seed, args.jobs, args.timeout, args.without, modes, args.oracle_off)
    text, classes = summarize(results)
    print(text)
    print(f"({time.monotonic() - start:.0f} s with {args.jobs} jobs)")
    if args.json:
        Path(args.json).write_text(json.dumps(results))
    if args.shrink:
        shrink_classes(classes, args.without, args.shrink, args.oracle_off)
    return 1 if classes else 0


if __name__ == "__main__":
    sys.exit(main())
