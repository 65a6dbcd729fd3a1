"""The profiling executor: how many specializations calls make under several
strategies, exhaustion and fallback, strategy validation and its effect on
scripted functions, profiled-run counts, thread safety, and the inspection
functions (graph_for, last_executed_optimized_graph, explain, fuser)."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import jit
from jit import nn
from jit.runtime import settings

from ...helpers import assert_same


@pytest.fixture(autouse=True)
def _default_settings():
    strategy, runs = jit.set_fusion_strategy(list(settings.DEFAULT_STRATEGY)), jit.set_num_profiled_runs(1)
    yield
    jit.set_fusion_strategy(strategy)
    jit.set_num_profiled_runs(runs)


def _fresh():
    def gelu_bias(x, b):
        y = x + b
        return 0.5 * y * (1.0 + np.tanh(0.7978845608 * (y + 0.044715 * y * y * y)))
    return jit.script(gelu_bias), gelu_bias


def _array(*shape, dtype=np.float32):
    return np.random.default_rng(len(shape)).standard_normal(shape).astype(dtype)


def _calls(function, eager, shapes):
    """Call with x of each shape (b matching the last axis); check each result; the
    (kind of each specialization, profiled calls, fallback calls) afterwards."""
    for shape in shapes:
        x, b = _array(*shape), _array(shape[-1])
        assert_same(function(x, b), eager(x, b))
    executor = function._executor
    return [s.kind for s in executor.current()], executor.profiled_calls, executor.fallback_calls


def test_default_strategy_sequence():
    function, eager = _fresh()
    a, b, c = (4, 8), (5, 8), (6, 8)
    assert _calls(function, eager, [a]) == ([], 1, 0), "the first call is profiled"
    assert _calls(function, eager, [a]) == (["STATIC"], 1, 0), "the second builds a STATIC specialization"
    assert _calls(function, eager, [a, a]) == (["STATIC"], 1, 0), "then it runs without a miss"
    assert _calls(function, eager, [b]) == (["STATIC"], 2, 0), "a new shape misses and is profiled"
    assert _calls(function, eager, [b, b]) == (["STATIC"] * 2, 2, 0)
    assert _calls(function, eager, [c, c]) == (["STATIC", "STATIC", "DYNAMIC"], 3, 0)
    assert _calls(function, eager, [(9, 8), (1, 8), (7, 8)]) == (["STATIC", "STATIC", "DYNAMIC"], 3, 0), \
        "the DYNAMIC specialization takes any shape of that rank"
    assert _calls(function, eager, [(2, 3, 8), (2, 3, 8)]) == (["STATIC", "STATIC", "DYNAMIC", "DYNAMIC"], 4, 0)


def test_exhaustion_falls_back_to_the_unoptimized_graph():
    jit.set_fusion_strategy([("STATIC", 1)])
    function, eager = _fresh()
    assert _calls(function, eager, [(4, 8), (4, 8)]) == (["STATIC"], 1, 0)
    assert _calls(function, eager, [(5, 8), (6, 8), (4, 8)]) == (["STATIC"], 1, 2)
    x, b = _array(6, 8), _array(8)
    function(x, b)
    assert jit.last_executed_optimized_graph() is function.graph, "the fallback runs the function's own graph"
    function(_array(4, 8), b)
    assert jit.last_executed_optimized_graph() is function._executor.current()[0].graph


@pytest.mark.parametrize("strategy, expected", [
    ([("DYNAMIC", 5)], ["DYNAMIC"]),
    ([("STATIC", 3)], ["STATIC", "STATIC", "STATIC"]),
    ([("DYNAMIC", 1), ("STATIC", 2)], ["DYNAMIC"]),
    ([], []),
])
def test_strategies(strategy, expected):
    jit.set_fusion_strategy(strategy)
    function, eager = _fresh()
    shapes = [(4, 8), (4, 8), (5, 8), (5, 8), (6, 8), (6, 8), (7, 8), (7, 8)]
    kinds, profiled, fallback = _calls(function, eager, shapes)
    assert kinds == expected
    assert profiled + fallback + len([1 for _ in expected]) <= len(shapes)
    if not strategy:
        assert (profiled, fallback) == (0, len(shapes)), "no budget: every call runs the unoptimized graph"


def test_strategy_validation_and_previous_value():
    assert jit.set_fusion_strategy([("STATIC", 4)]) == list(settings.DEFAULT_STRATEGY)
    assert jit.set_fusion_strategy([("DYNAMIC", 2)]) == [("STATIC", 4)]
    for bad, words in [([("FAST", 2)], "'FAST'"), ([("STATIC", -1)], "int >= 0"), ([("STATIC", 1.5)], "int >= 0"),
                       ([("STATIC",)], "(kind, count) pair"), ("STATIC", "list of (kind, count) pairs"),
                       ([("STATIC", True)], "int >= 0")]:
        with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")) as error:
            jit.set_fusion_strategy(bad)
        if bad == [("FAST", 2)]:
            assert "entry 0 has kind 'FAST'; the kinds are 'STATIC' or 'DYNAMIC'" in str(error.value)
    assert jit.set_fusion_strategy(list(settings.DEFAULT_STRATEGY)) == [("DYNAMIC", 2)], "a bad call changes nothing"


def test_a_new_strategy_applies_to_functions_already_scripted_and_exhausted():
    jit.set_fusion_strategy([("STATIC", 1)])
    function, eager = _fresh()
    _calls(function, eager, [(4, 8), (4, 8), (5, 8), (5, 8)])
    assert function._executor.fallback_calls == 2
    jit.set_fusion_strategy([("STATIC", 1), ("DYNAMIC", 1)])
    kinds, _, fallback = _calls(function, eager, [(5, 8), (5, 8), (9, 8)])
    assert kinds == ["STATIC", "DYNAMIC"] and fallback == 2


def test_profiled_runs_setting():
    assert jit.set_num_profiled_runs(3) == 1
    function, eager = _fresh()
    assert _calls(function, eager, [(4, 8)] * 3) == ([], 3, 0)
    assert _calls(function, eager, [(4, 8)]) == (["STATIC"], 3, 0)
    jit.set_num_profiled_runs(0)
    function, eager = _fresh()
    assert _calls(function, eager, [(4, 8)]) == (["STATIC"], 0, 0), "0 runs: the first call specializes"
    for bad in (-1, 1.0, "1"):
        with pytest.raises(ValueError, match="int >= 0"):
            jit.set_num_profiled_runs(bad)


def test_profiles_are_kept_per_input_signature():
    jit.set_num_profiled_runs(2)
    function, eager = _fresh()
    assert _calls(function, eager, [(4, 8), (5, 8), (4, 8)]) == ([], 3, 0), "two shapes: two STATIC profiles"
    assert _calls(function, eager, [(4, 8)]) == (["STATIC"], 3, 0)
    jit.set_fusion_strategy([("DYNAMIC", 1)])
    function, eager = _fresh()
    assert _calls(function, eager, [(4, 8), (5, 8), (6, 8)]) == (["DYNAMIC"], 2, 0), "a DYNAMIC profile spans shapes"
    (specialization,) = function._executor.current()
    assert str(specialization.guards[0]) == "x: Float(*, *, device=cpu)"
    assert "x.ndim == 2" in function._entry.source and "x.shape" not in function._entry.source


def test_guards_check_python_type_dtype_rank_and_module_arrays():
    function, eager = _fresh()
    x, b = _array(4, 8), _array(8)
    function(x, b), function(x, b)
    for other in [x.astype(np.float64), x[None], np.float32(2.0), x.tolist()]:
        if isinstance(other, list):
            with pytest.raises(TypeError, match="expected a value of type 'Tensor'"):
                function(other, b)
            continue
        assert_same(function(other, b), eager(other, b))

    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(np.ones(8, np.float32))

        def forward(self, x):
            return x * self.weight + 1.0

    module = jit.script(Scale())
    module(x), module(x)
    (specialization,) = module._type.methods["forward"]._executor.current()
    assert [str(g) for g in specialization.guards] == ["x: Float(4, 8, device=cpu)", "self.weight: Float(8, device=cpu)"]
    assert "Float(8, device=cpu) = prim::GetAttr" in str(specialization.graph)
    module.weight = nn.Parameter(np.ones((4, 8), np.float64))
    assert_same(module(x), x * np.ones((4, 8)) + 1.0), "a replaced weight fails the guard: no stale specialization"


def test_compile_once_under_many_threads_with_many_shapes():
    jit.set_fusion_strategy([("STATIC", 4), ("DYNAMIC", 4)])
    function, eager = _fresh()
    shapes = [(n, 16) for n in range(1, 7)] + [(2, n, 16) for n in range(1, 4)]
    inputs = [(_array(*shape), _array(16)) for shape in shapes]
    expected = [eager(x, b) for x, b in inputs]
    errors, barrier = [], threading.Barrier(12)

    def worker(offset):
        barrier.wait()
        for round_ in range(30):
            index = (offset + round_) % len(inputs)
            try:
                np.testing.assert_allclose(function(*inputs[index]), expected[index], rtol=2e-6, atol=1e-6)
            except Exception as error:  # noqa: BLE001 - collected, reported by the main thread
                errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    kinds = [s.kind for s in function._executor.current()]
    assert kinds.count("STATIC") == 4 and 1 <= kinds.count("DYNAMIC") <= 2, kinds
    guards = [s.guard_text() for s in function._executor.current()]
    assert len(set(guards)) == len(guards), "no specialization was built twice"


def test_graph_for_and_explain():
    function, eager = _fresh()
    x, b = _array(4096, 1024), _array(1024)
    graph = function.graph_for(x, b)
    assert "%x : Float(4096, 1024, device=cpu)" in str(graph) and "Float(4096, 1024, device=cpu) = np::tanh" in str(graph)
    assert function._executor.current() == [] and function._executor.profiled_calls == 0, "graph_for runs nothing"
    report = str(jit.explain(function, x, b))
    assert "would run profiled" in report and "new STATIC" in report and "guard: x: Float(4096, 1024" in report
    small = _array(4, 1024)
    function(small, b), function(small, b)
    report = jit.explain(function, small, b)
    assert report.runs == "specialization" and report.specialization.number == 0
    text = str(report)
    assert "#0 STATIC: built in" in text and "ms from profiled runs with x: Float(4, 1024, device=cpu)" in text
    assert "these arguments: run specialization #0" in text
    assert "FusionGroup(%x, %b): 10 nodes [np::add, np::multiply" in text and "-> STATIC kernel fused_add_" in text
    assert function.graph_for(small, b) is function._executor.current()[0].graph
    function(small, b)
    assert jit.last_executed_optimized_graph() is function.graph_for(small, b)
    with pytest.raises(TypeError, match="script function or a ScriptModule"):
        jit.explain(eager, x, b)


def test_fuser_switch_keeps_separate_specializations():
    function, eager = _fresh()
    x, b = _array(4, 8), _array(8)
    function(x, b), function(x, b)
    with jit.fuser("none"):
        assert settings.fusion_enabled() is False
        assert_same(function(x, b), eager(x, b))
        assert function._executor.current() == [], "fusion off: its own specializations, profiled afresh"
        function(x, b)
        assert "fusion: off" in str(jit.explain(function, x, b))
    assert settings.fusion_enabled() and len(function._executor.current()) == 1
    jit.fuser("none")
    assert not settings.fusion_enabled()
    jit.fuser("default")
    with pytest.raises(ValueError, match="unknown fuser 'fuser9'"):
        jit.fuser("fuser9")
