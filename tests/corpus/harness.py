"""Running a corpus case eagerly, scripted and traced, with eager NumPy as the oracle."""
from __future__ import annotations

import copy
import warnings

import numpy as np

import jit

from ..helpers import assert_same, computed_in
from .cases import Case, arguments


def scripted(case: Case, edited: bool = False):
    """The case's program compiled by ``jit.script`` (its edit, with ``edited``),
    as a callable taking the case's arguments."""
    if edited and case.edit_arguments:
        return _with_edit_arguments(case)
    function = case.edit if edited else case.function
    compiled = jit.script(function, **case.script_options)
    if case.method is None:
        return compiled
    return getattr(compiled(*case.init_args), case.method)


def _with_edit_arguments(case: Case):
    """The edit compiled, called with the program's arguments and then the case's
    ``edit_arguments`` (the module globals the program reads); example inputs get them too."""
    options = dict(case.script_options)
    if "example_inputs" in options:
        options["example_inputs"] = [tuple(example) + case.edit_arguments for example in options["example_inputs"]]
    compiled = jit.script(case.edit, **options)

    def call(*args):
        return compiled(*args, *case.edit_arguments)
    return call


def traced(case: Case, size: int = 0):
    """``jit.trace`` of the case's program on its inputs of ``size``; returns
    (the traced function, the TracerWarnings recorded)."""
    with warnings.catch_warnings(record=True) as caught, computed_in(case.computes_in):
        warnings.simplefilter("always", jit.TracerWarning)
        function = jit.trace(case.eager(), arguments(case, size))
    return function, [w for w in caught if issubclass(w.category, jit.TracerWarning)]


def call(function, case: Case, size: int):
    """What ``function`` returns on the case's inputs of ``size`` and, for a
    program that writes into its arguments, the arguments after the call."""
    args = copy.deepcopy(arguments(case, size))
    with np.errstate(all="ignore"):
        result = function(*args)
    return (result, args) if case.writes_arguments else result


def assert_agrees(function, case: Case, size: int):
    with computed_in(case.computes_in):
        assert_same(call(function, case, size), call(case.eager(), case, size), precision=case.computes_in)
