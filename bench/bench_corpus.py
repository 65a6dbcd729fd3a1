"""The corpus of real NumPy programs (tests/corpus): for each function, whether
it scripts as written, whether its trace is right on inputs of another size,
and eager time / compiled time on the larger inputs.

    python bench/bench_corpus.py [--repeat N]

Prints a Markdown table and writes it to bench/results/corpus_cpu.md. The ratio
is eager / scripted (> 1: scripted is faster), from one run on one machine; for a
case that does not script as written, the scripted column times its edit, and
"-" means it was not compiled at all.
"""
from __future__ import annotations

import argparse
import copy
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.publish import publish  # noqa: E402
from tests.corpus.cases import CASES, SIZES, arguments  # noqa: E402
from tests.corpus.harness import assert_agrees, scripted, traced  # noqa: E402


def _median_time(function, case, size, repeat):
    args = arguments(case, size)
    times = []
    for _ in range(repeat):
        fresh = copy.deepcopy(args) if case.writes_arguments else args
        start = time.perf_counter()
        with np.errstate(all="ignore"):
            function(*fresh)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _first_line(error):
    return str(error).strip().splitlines()[0][:90] if str(error).strip() else type(error).__name__


def script_status(case):
    """(status text, the compiled callable or None)."""
    if case.outside_language:
        return f"no: {case.outside_language}", None
    try:
        function = scripted(case)
        for size in SIZES:
            assert_agrees(function, case, size)
        return "yes", function
    except Exception as error:  # noqa: BLE001 - the table reports what went wrong
        status = f"no: {_first_line(error)}"
    if case.edit is not None:
        try:
            function = scripted(case, edited=True)
            return f"{status} (edit: {case.edit_reason})", function
        except Exception:  # noqa: BLE001
            pass
    return status, None


def trace_status(case):
    if not case.trace:
        return "n/a"
    try:
        function, tracer_warnings = traced(case, 0)
        assert_agrees(function, case, 0)
        if tracer_warnings:
            return f"same size only (warns: {_first_line(tracer_warnings[0].message)})"
        assert_agrees(function, case, 1)
        return "yes"
    except Exception as error:  # noqa: BLE001
        return f"no: {_first_line(error)}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    options = parser.parse_args(argv)
    rows = ["# Corpus: real NumPy programs scripted and traced", "", "`python bench/bench_corpus.py`", "",
            "| function | scripts unmodified? | traces correctly? | eager/scripted |", "|---|---|---|---|"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case in CASES:
            status, function = script_status(case)
            ratio = "-"
            if function is not None:
                _median_time(function, case, 1, 2)  # compile and specialize first
                ratio = f"{_median_time(case.eager(), case, 1, options.repeat) / _median_time(function, case, 1, options.repeat):.2f}"
            rows.append(f"| {case.name} | {status} | {trace_status(case)} | {ratio} |")
    publish(rows, "corpus_cpu.md")


if __name__ == "__main__":
    main()
