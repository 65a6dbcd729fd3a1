"""The long campaign of the archive mutation fuzzer (archive_mutations.py, archive_oracle.py):

    python -m tests.jit.serialization.archive_campaign --cases 100000 --seed 0 --jobs 2 [--json FILE]
    python -m tests.jit.serialization.archive_campaign --replay CASE [--write case.pt]

Cases run in ``--jobs`` worker processes, each with its address space bounded (a
runaway allocation is a MemoryError, counted, not the machine's memory) and each
load and call under a time limit; a worker that dies is a crash, one that stops
answering is killed and counted as a hang, with where it was. The table gives the
cases, loads (called OK, call raised, timed out), clean SerializationErrors and the
failures by class, each with example cases that ``--replay`` reruns with a traceback.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sys
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path

from ...worker_pool import Worker, run_items
from .archive_mutations import ROOT, build_corpus, corpus_digest, make_case
from .archive_oracle import Oracle, Outcome, bounded_memory

MODULE = "tests.jit.serialization.archive_campaign"
WORKER_MEMORY = 3 << 30  # bytes of address space a worker may add to what it holds after start-up


def worker(load_seconds, call_seconds):
    """Build the corpus, then read case numbers from stdin, one per line, and write one JSON line per case."""
    import faulthandler  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    faulthandler.enable()  # a crash says where, on stderr
    faulthandler.register(signal.SIGUSR1, all_threads=False)  # and so does a case the campaign is about to kill
    corpus = build_corpus()
    os.chdir(tempfile.mkdtemp(prefix="archive_fuzz_cwd_"))  # an empty working directory, watched for new files
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # what loaded code prints does not mix with the results
    oracle = Oracle(corpus, load_seconds, call_seconds)
    protocol.write(json.dumps({"digest": corpus_digest(corpus)}) + "\n")
    protocol.flush()
    with bounded_memory(WORKER_MEMORY):
        for line in sys.stdin:
            number = int(line)
            try:
                case = make_case(number, corpus)
            except Exception as error:  # noqa: BLE001 - the mutator itself failed: a harness bug to report
                outcome = Outcome(number, "?", "", "failure", key=f"harness: {type(error).__name__}",
                                  detail=traceback.format_exc()[-400:])
            else:
                outcome = oracle.run(case)
            protocol.write(json.dumps(outcome.as_dict()) + "\n")
            protocol.flush()


class _Worker(Worker):
    """A worker, which first says the digest of the corpus it built (cases are numbers into it)."""

    def __init__(self, command, expected_digest):
        super().__init__(command, ROOT)
        self.digest = json.loads(self.readline())["digest"]
        assert self.digest == expected_digest, f"a worker built another corpus: {self.digest}, not {expected_digest}"


def campaign(cases, seed, jobs, load_seconds=10.0, call_seconds=5.0, kill_seconds=60.0, log=print):
    """Run cases ``seed`` to ``seed + cases - 1`` in ``jobs`` worker processes; (outcomes, corpus digest)."""
    corpus = build_corpus()  # here too (a fresh process): what a dead or killed worker was running
    digest = corpus_digest(corpus)
    command = [sys.executable, "-m", MODULE, "--worker", "--load-seconds", str(load_seconds),
               "--call-seconds", str(call_seconds)]

    def crash(number, worker, code):
        case = make_case(number, corpus)
        return Outcome(number, case.seed, case.description, "crash", key=f"worker exited with {code}",
                       detail=worker.stderr_tail())

    def hang(number, worker):
        case = make_case(number, corpus)
        return Outcome(number, case.seed, case.description, "hang", key=f"killed after {kill_seconds} s",
                       detail=f"in {worker.where()}")

    def progress(outcomes):
        failures = sum(o.status in ("failure", "hang", "crash") for o in outcomes)
        return f"... {len(outcomes)}/{cases} cases, {failures} failures, hangs or crashes"

    outcomes = run_items(range(seed, seed + cases), jobs, lambda: _Worker(command, digest), kill_seconds,
                         on_line=lambda number, line: Outcome(**json.loads(line)), on_crash=crash, on_hang=hang,
                         progress=progress, report_seconds=60, log=lambda text: log(text, flush=True))
    return outcomes, digest


def summarize(outcomes) -> str:
    """The table: cases, loads (called OK / call raised / timed out), clean errors, failures by class."""
    status = Counter(o.status for o in outcomes)
    calls = Counter(o.call for o in outcomes if o.status == "loaded")
    call_errors = Counter(o.call_error for o in outcomes if o.call == "raised")
    first_of = {}
    for o in outcomes:
        if o.call == "raised":
            first_of.setdefault(o.call_error, o.number)
    slow = sum(o.load_seconds > 2.0 for o in outcomes)
    slowest_load = max((o.load_seconds for o in outcomes), default=0)
    slowest = max((o.seconds for o in outcomes), default=0)
    lines = [f"cases                       {len(outcomes):8}",
             f"loaded                      {status['loaded']:8}",
             f"  called OK                 {calls['ok']:8}",
             f"  call raised               {calls['raised']:8}   "
             + ", ".join(f"{name} {n} (case {first_of[name]})" for name, n in call_errors.most_common(8)),
             f"  call timed out            {calls['timed out']:8}",
             f"  no forward to call        {calls['no forward']:8}",
             f"clean SerializationError    {status['refused']:8}",
             f"failures (other exceptions) {status['failure']:8}",
             f"hangs                       {status['hang']:8}",
             f"crashes (worker died)       {status['crash']:8}",
             f"loads over 2 s              {slow:8}   (slowest load {slowest_load:.1f} s, case {slowest:.1f} s)"]
    for o in sorted(outcomes, key=lambda o: -o.load_seconds)[:3] if slow else ():
        lines.append(f"  slow load: case {o.number} ({o.seed}) {o.load_seconds:.1f} s, {o.status}: "
                     f"{o.description[:150]}")
    classes = defaultdict(list)
    for o in outcomes:
        if o.status in ("failure", "hang", "crash"):
            classes[(o.status, o.key)].append(o)
    if classes:
        lines.append("by class (status, what escaped where): count, example cases")
    for (kind, key), found in sorted(classes.items(), key=lambda item: -len(item[1])):
        lines.append(f"  [{kind}] {key}: {len(found)}, cases {[o.number for o in found[:6]]}")
        lines.append(f"      e.g. case {found[0].number} ({found[0].seed}): {found[0].description[:200]}")
        if found[0].detail:
            lines.append(f"      {found[0].detail[:240]!r}")
    return "\n".join(lines)


def replay(number, corpus, write=None):
    """Run case ``number`` in this process and print what happened, with the traceback."""
    case = make_case(number, corpus)
    print(f"case {number}: seed {case.seed!r}, {len(case.data)} bytes\n  {case.description}")
    if write:
        Path(write).write_bytes(case.data)
        print(f"  written to {write}")
    outcome = Oracle(corpus).run(case)
    print(f"  -> {outcome.status} {outcome.key or ''} call={outcome.call} {outcome.call_error or ''}")
    if outcome.detail:
        print(f"  {outcome.detail}")
    import jit  # noqa: PLC0415

    try:
        jit.load(io.BytesIO(case.data), map_location=case.map_location)
    except Exception:  # noqa: BLE001 - shown, with what it converted
        traceback.print_exc()


def main(argv=None):
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0, help="the first case number")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--load-seconds", type=float, default=10.0, help="a load past this is a hang")
    parser.add_argument("--call-seconds", type=float, default=5.0, help="a call past this is stopped")
    parser.add_argument("--replay", type=int, metavar="CASE", help="run one case here, with its traceback")
    parser.add_argument("--write", metavar="FILE", help="with --replay: write the case's archive here")
    parser.add_argument("--json", metavar="FILE", help="write every case's outcome here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.load_seconds, args.call_seconds)
        return 0
    if args.replay is not None:
        replay(args.replay, build_corpus(), args.write)
        return 0
    start = time.monotonic()
    outcomes, digest = campaign(args.cases, args.seed, args.jobs, args.load_seconds, args.call_seconds)
    print(f"python -m {MODULE} --cases {args.cases} --seed {args.seed} --jobs {args.jobs}  (corpus {digest})")
    print(summarize(outcomes))
    print(f"({time.monotonic() - start:.0f} s with {args.jobs} jobs)")
    if args.json:
        Path(args.json).write_text(json.dumps([o.as_dict() for o in outcomes]))
    return 1 if any(o.status in ("failure", "hang", "crash") for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
