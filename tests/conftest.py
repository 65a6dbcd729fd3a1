"""Test configuration: a directory for scripted sources, NumPy's global generator seeded per test, and the `.code` round
trip checked for every script function any test creates."""
from __future__ import annotations

import copy
import zlib

import numpy as np
import pytest

import jit

from jit.runtime import ScriptFunction, optimization
from jit.runtime.module import ScriptModule

from . import helpers


optimization.verify_each_pass = True  # every specialization any test builds is verified after each pass


@pytest.fixture(scope="session", autouse=True)
def _source_directory(tmp_path_factory):
    helpers.SOURCE_DIR = tmp_path_factory.mktemp("scripted_sources")


def pytest_configure(config):
    config.addinivalue_line("markers", "no_round_trip: the test's script functions skip the .code round trip")
    # pytest-xdist's own marker (--dist loadgroup), declared for runs without -n too.
    config.addinivalue_line("markers", "xdist_group(name): under pytest -n, the tests of one group run on one worker")


@pytest.fixture(autouse=True)
def _seeded_global_generator(request):
    """NumPy's global generator (jit.nn.init's) seeded from the test's name: a test's random weights no
    longer depend on which tests ran before it on its xdist worker (a tied-embedding model's weights had
    made its fused layer norm's result differ from NumPy's by 1e-5 of a cancelling sum in one order)."""
    np.random.seed(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture(autouse=True)
def code_round_trip(request, monkeypatch):
    """Every ScriptFunction a test makes must print code that recompiles to the same
    code, and the recompiled function must give the first recorded call's results.
    Every function and module a test calls is also saved before its first call; the
    loaded copy must have the same code and give that call's results. And each is run
    through the optimized specialization for its first call's arguments right after
    that call, which must give its results too."""
    created, first_calls, saved_calls, called = [], {}, [], {}
    original_init = ScriptFunction.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        created.append(self)

    def recording(original):
        """``original`` (a __call__), recording each object's first call: its arguments
        and result, and the object saved just before it (for the archive round trip)."""
        def call(self, *args, **kwargs):
            if jit.is_tracing():  # a call a trace records: its arguments are the tracer's proxies
                return original(self, *args, **kwargs)
            saved = _copied((args, kwargs))
            archive = _saved_first_call(self, saved_calls)
            random_state = np.random.get_state()
            result = original(self, *args, **kwargs)
            copied_result = _copied((result,))
            if saved is not None and copied_result is not None:
                first_calls.setdefault(id(self), (*saved, copied_result[0]))
                if id(self) not in called:  # right away: the test may change the module's state later
                    called[id(self)] = True
                    helpers.check_optimized(self, *saved, copied_result[0])
                if archive is not None:
                    saved_calls.append((self, archive, *saved, copied_result[0], random_state))
            return result
        return call

    monkeypatch.setattr(ScriptFunction, "__init__", init)
    monkeypatch.setattr(ScriptFunction, "__call__", recording(ScriptFunction.__call__))
    monkeypatch.setattr(ScriptModule, "__call__", recording(ScriptModule.__call__))
    yield
    monkeypatch.undo()
    if request.node.get_closest_marker("no_round_trip"):
        return
    for obj, archive, args, kwargs, expected, random_state in saved_calls:
        helpers.check_archive_round_trip(obj, archive, args, kwargs, expected, random_state)
    for function in created:
        if helpers.belongs_to_abandoned_class(function):
            continue
        compiled = helpers.round_trip(function)
        recorded = first_calls.get(id(function))
        if recorded is None or helpers.has_nondeterminism(function.graph):
            continue
        args, kwargs, expected = recorded
        recompiled = ScriptFunction(compiled, number_parameters=function.number_parameters)
        args, kwargs = copy.deepcopy((args, kwargs))  # a function that writes its arguments gets them as they were
        with np.errstate(all="ignore"):
            helpers.assert_same(recompiled(*args, **kwargs), expected, f"recompiled {function.qualname}")


def _saved_first_call(obj, saved_calls):
    """The archive of ``obj`` saved before its first call (None after that, or when
    it calls a plain Python function, which makes it unsaveable by design)."""
    if any(entry[0] is obj for entry in saved_calls) or helpers.is_method(obj):
        return None
    return helpers.saved_archive(obj)


def _copied(values):
    """A deep copy, or None for values that cannot be copied (a jit.Future's
    result belongs to its call): such calls are not replayed."""
    try:
        return copy.deepcopy(values)
    except TypeError:
        return None
