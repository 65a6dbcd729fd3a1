"""The corpus of real NumPy programs: scripted as written (or with the edit a
case names) and traced, each against eager NumPy on two input sizes."""
from __future__ import annotations

import pytest

import jit

from .cases import CASES, SIZES
from .harness import assert_agrees, scripted, traced

_IDS = [case.name for case in CASES]


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_scripted(case):
    if case.outside_language:
        with pytest.raises(jit.CompilationError):
            scripted(case)
        return
    if case.edit is not None:
        with pytest.raises(jit.CompilationError):  # the edit is still needed
            scripted(case)
    function = scripted(case, edited=case.edit is not None)
    for size in SIZES:
        assert_agrees(function, case, size)


_TRACED = [case for case in CASES if case.trace]


@pytest.mark.parametrize("case", _TRACED, ids=[case.name for case in _TRACED])
def test_traced(case):
    function, tracer_warnings = traced(case, 0)
    assert_agrees(function, case, 0)
    if case.trace_generalizes:
        assert not tracer_warnings, [str(w.message) for w in tracer_warnings]
        assert_agrees(function, case, 1)
    else:  # what a trace on size 0 baked in is said, at the program's line
        assert tracer_warnings
