"""Shape churn: a function called with a new shape on every call spends its STATIC
budget, then gets one shape-polymorphic (DYNAMIC) specialization whose fused
kernel is DYNAMIC, and stops profiling; later new shapes of the same ranks run it."""
from __future__ import annotations

import numpy as np
import pytest

import jit
from jit.runtime import settings

from ...helpers import assert_same


@pytest.fixture(autouse=True)
def _default_settings():
    strategy, runs = jit.set_fusion_strategy(list(settings.DEFAULT_STRATEGY)), jit.set_num_profiled_runs(1)
    yield
    jit.set_fusion_strategy(strategy)
    jit.set_num_profiled_runs(runs)


def _fresh():
    def scaled_tanh(x, b):
        return np.tanh(x * 0.5 + b) * 2.0 - x
    return jit.script(scaled_tanh), scaled_tanh


def _churn_shapes(count: int):
    """``count`` distinct small (rows, columns) shapes, in an order where every call is new."""
    shapes = [(rows, columns) for columns in range(1, 61) for rows in range(1, 51)]
    return shapes[:count]


def _inputs(shape):
    rng = np.random.default_rng(shape[0] * 100 + shape[1])
    return rng.standard_normal(shape).astype(np.float32), rng.standard_normal(shape[-1]).astype(np.float32)


def _fused_kernels(specialization) -> list:
    return [group.kernel for group in specialization.report.fusion.details["groups"]]


def _run_churn(function, eager, shapes):
    """Call with each shape, checking every result against eager NumPy (compared in
    one go: a check per call would cost more than the calls); returns the executor
    and the graph each call ran."""
    graphs, results, expected = [], [], []
    for number, shape in enumerate(shapes):
        x, b = _inputs(shape)
        # After the first, calls go through ``run`` (what ``__call__`` runs outside a
        # trace): the test harness's wrapper of ``__call__`` deep-copies every call.
        result = function(x, b) if number == 0 else function.run(x, b)
        graphs.append(jit.last_executed_optimized_graph())
        assert type(result) is np.ndarray and result.shape == shape and result.dtype == np.float32, shape
        results.append(result.ravel())
        expected.append(eager(x, b).ravel())
    assert_same(np.concatenate(results), np.concatenate(expected))
    return function._executor, graphs


def test_default_strategy_covers_3000_new_shapes_with_one_dynamic_specialization():
    function, eager = _fresh()
    shapes = _churn_shapes(3000)
    assert len(set(shapes)) == 3000
    executor, graphs = _run_churn(function, eager, shapes)
    kinds = [s.kind for s in executor.current()]
    static_budget, dynamic_budget = (count for _, count in settings.DEFAULT_STRATEGY)
    assert kinds == ["STATIC"] * static_budget + ["DYNAMIC"], kinds
    assert len(kinds) <= static_budget + dynamic_budget
    assert executor.profiled_calls == 1, "only the first call of that rank signature is profiled"
    assert executor.fallback_calls == 0
    dynamic = executor.current()[-1]
    assert [str(g) for g in dynamic.guards] == ["x: Float(*, *, device=cpu)", "b: Float(*, device=cpu)"]
    (kernel,) = _fused_kernels(dynamic)
    assert not kernel.static, "the DYNAMIC specialization's fused kernel reads its sizes at run time"
    first_dynamic_call = graphs.index(dynamic.graph)
    assert first_dynamic_call == static_budget + 1, "built right after the STATIC budget is spent"
    assert all(graph is dynamic.graph for graph in graphs[first_dynamic_call:]), "later calls run it"
    dynamic_checks = " ".join(" ".join(g.conditions(g.name, repr)) for g in dynamic.guards)
    assert "x.ndim == 2" in dynamic_checks and ".shape" not in dynamic_checks, "its guard checks ranks, not shapes"

    x, b = _inputs((77, 61))  # a shape not seen yet: the dispatcher runs the DYNAMIC one, no miss
    report = jit.explain(function, x, b)
    assert report.runs == "specialization" and report.specialization is dynamic
    text = str(report)
    assert f"#{dynamic.number} DYNAMIC: built in" in text and "DYNAMIC kernel" in text
    assert "not profiled: shapes change between calls" in text
    assert "calls so far: 1 profiled, 0 ran the unoptimized graph" in text


def test_a_new_rank_under_churn_gets_its_own_dynamic_specialization():
    function, eager = _fresh()
    _run_churn(function, eager, _churn_shapes(6))
    executor = function._executor
    for n in range(1, 5):  # rank 3: profiled once, then built: the STATIC budget is already spent
        x, b = np.ones((2, n, 3), np.float32) * n, np.ones(3, np.float32)
        assert_same(function(x, b), eager(x, b))
    assert [s.kind for s in executor.current()] == ["STATIC", "STATIC", "DYNAMIC", "DYNAMIC"]
    assert executor.profiled_calls == 2


def test_a_shape_that_recurs_is_still_profiled_per_shape():
    jit.set_num_profiled_runs(2)
    function, eager = _fresh()
    executor, _ = _run_churn(function, eager, [(4, 8), (5, 8), (4, 8)])
    assert (executor.current(), executor.profiled_calls) == ([], 3), "one other profiled run is not churn yet"
    executor, _ = _run_churn(function, eager, [(6, 8)])
    (specialization,) = executor.current()
    assert specialization.kind == "STATIC" and str(specialization.guards[0]) == "x: Float(6, 8, device=cpu)"
    assert executor.profiled_calls == 3, "two profiled runs of other shapes: the new shape builds at once"


def test_static_0_dynamic_1_builds_one_dynamic_specialization_after_the_first_call():
    jit.set_fusion_strategy([("STATIC", 0), ("DYNAMIC", 1)])
    function, eager = _fresh()
    executor, graphs = _run_churn(function, eager, _churn_shapes(200))
    (specialization,) = executor.current()
    assert specialization.kind == "DYNAMIC" and not _fused_kernels(specialization)[0].static
    assert executor.profiled_calls == 1 and executor.fallback_calls == 0
    assert graphs[0] is function.graph and all(graph is specialization.graph for graph in graphs[1:])


def test_without_a_dynamic_entry_static_specializations_wait_for_shapes_that_recur():
    jit.set_fusion_strategy([("STATIC", 2)])
    function, eager = _fresh()
    executor, graphs = _run_churn(function, eager, _churn_shapes(20) + [(7, 9), (7, 9)])
    (specialization,) = executor.current()
    assert str(specialization.guards[0]) == "x: Float(7, 9, device=cpu)", "built for the shape that came back"
    assert executor.profiled_calls == 21 and graphs[-1] is specialization.graph
