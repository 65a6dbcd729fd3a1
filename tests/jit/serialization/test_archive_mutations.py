"""A bounded run of the archive mutation fuzzer (archive_mutations.py, judged by
archive_oracle.py): valid archives damaged in bytes, zip structure, manifest fields,
stored code and storage bytes load into an object that runs, or raise a
SerializationError where the data is read, and nothing a case does escapes (an
import, a file, the environment). The long campaign is
``python -m tests.jit.serialization.archive_campaign --cases N``."""
from __future__ import annotations

import importlib
import os
import sys
import time
from collections import Counter

import pytest

import jit
from jit.serialization import loading

from . import archive_mutations as fuzz
from .archive_campaign import MODULE, summarize
from .archive_oracle import SECRET_VARIABLE, Oracle, bounded_memory

CASES = 2000  # about 20 s here; the campaign runs the hundred thousands
FIRST_CASE = 1_000_000  # the campaign of the closing note starts at 0: the suite runs other cases


@pytest.fixture(autouse=True)
def code_round_trip():
    """The oracle checks each case itself; the suite's round trip of every function a
    case loads (tests/conftest.py) would save and recompile thousands of them again."""
    yield


@pytest.fixture(scope="module")
def corpus():
    return fuzz.corpus_in_fresh_process()  # type names as a fresh process gives them: cases reproduce


def test_the_seed_archives_load_and_run_as_saved(corpus):
    oracle = Oracle(corpus)
    for name, data in corpus.items():
        case = fuzz.Case(-1, name, data, "unchanged")
        outcome = oracle.run(case)
        assert (outcome.status, outcome.call) == ("loaded", "ok"), (name, outcome)


def test_the_oracle_counts_what_a_load_must_not_do_as_failures(corpus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    oracle = Oracle(corpus, load_seconds=0.5)
    case = fuzz.Case(-1, "traced", corpus["traced"], "unchanged")
    real_load = jit.load

    def behaving(action):
        def load(*args, **kwargs):
            action()
            return real_load(*args, **kwargs)
        return load

    def hang():
        while True:
            pass

    def leak():
        raise jit.SerializationError(f"the file object: {os.environ[SECRET_VARIABLE]}")

    actions = {"KeyError at ": lambda: {}["missing"],
               "marker for writing; created ['marker'] in the working directory": lambda: open("marker", "w").close(),
               "side effect: imported ['tabnanny']": lambda: importlib.import_module("tabnanny"),
               "load ran past the limit": hang,
               "the environment in a message": leak}
    for expected, action in actions.items():
        monkeypatch.setattr(jit, "load", behaving(action))
        outcome = oracle.run(case)
        assert outcome.status in ("failure", "hang") and expected in f"{outcome.key} {outcome.detail}", outcome
        monkeypatch.setattr(jit, "load", real_load)
        for leftover in os.listdir(tmp_path):
            os.unlink(tmp_path / leftover)
    sys.modules.pop("tabnanny", None)
    monkeypatch.setattr(loading, "compile_source", lambda *a, **k: {}["missing"])  # converted by jit.load's catch-all
    outcome = oracle.run(case)
    assert outcome.status == "failure" and outcome.key.startswith("KeyError at tests/jit/serialization/"), outcome


def test_mutated_archives_load_or_raise_a_serialization_error(corpus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the oracle watches the working directory for new files
    oracle = Oracle(corpus)
    outcomes = []
    started = time.monotonic()
    with bounded_memory(3 << 30):
        for number in range(FIRST_CASE, FIRST_CASE + CASES):
            outcomes.append(oracle.run(fuzz.make_case(number, corpus)))
    elapsed = time.monotonic() - started
    print(f"\n{CASES} cases in {elapsed:.1f} s (corpus {fuzz.corpus_digest(corpus)})\n{summarize(outcomes)}")
    assert not os.listdir(tmp_path)
    statuses = Counter(o.status for o in outcomes)
    failures = [o for o in outcomes if o.status not in ("loaded", "refused")]
    assert not failures, "\n".join(
        f"case {o.number} ({o.seed}): {o.status} {o.key}\n    {o.description}\n    {o.detail}\n    reproduce: "
        f"python -m {MODULE} --replay {o.number}" for o in failures[:10])
    # The mutations reach every stage: some cases load and run, most are refused
    assert statuses["loaded"] > CASES // 20 and statuses["refused"] > CASES // 2, statuses
    assert Counter(o.call for o in outcomes)["ok"] > CASES // 40


def test_a_case_is_the_same_archive_whenever_it_is_made(corpus):
    for number in (0, 7, 12345):
        first, again = fuzz.make_case(number, corpus), fuzz.make_case(number, corpus)
        assert (first.data, first.description) == (again.data, again.description)
        assert first.data != corpus[first.seed] or not first.description
