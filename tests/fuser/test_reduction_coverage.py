"""Reductions that fuse although a static argument is a tuple (``axis=(-1,)``, a loaded
LayerNorm's normalized_shape), under the DYNAMIC strategy (layer_norm, rms_norm), or with
a constant ``dtype=``: the optimized graph holds the group, results equal eager NumPy."""
from __future__ import annotations

import contextlib
import json

import numpy as np
import pytest

import jit
import jit.nn.functional as F
from jit import nn
from jit.passes import eliminate_common_subexpressions, propagate_constants

from ..helpers import (kinds_of, optimized_against_eager, reloaded, require_host_shim_and_nvrtc, round_trip, run_graph,
                       run_with_fake_cupy, script_source, transformed)


def _array(*shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _grouped_kinds(graph) -> list:
    """The kinds inside each FusionGroup of ``graph``, one list per group."""
    return [[n.kind for n in node["Subgraph"].block.nodes if n.kind != "prim::Constant"]
            for node in graph.all_nodes() if node.kind == "prim::FusionGroup"]


def _unfused_kinds(graph) -> list:
    return [n.kind for n in graph.block.nodes]


@contextlib.contextmanager
def _strategy(strategy):
    previous = jit.set_fusion_strategy(strategy)
    try:
        yield
    finally:
        jit.set_fusion_strategy(previous)


# -- 1. tuples of constants as static arguments ----------------------------------------------

def test_a_tuple_of_constants_folds_into_one_shared_constant():
    scripted, eager = script_source("""
        def f(x):
            a = np.mean(x, axis=(-1,), keepdims=True)
            b = x.max(axis=(-1,), keepdims=True)
            return x - a + b, (-1,)
    """)
    graph, count = transformed(scripted, propagate_constants)
    assert count >= 3 and kinds_of(graph).count("prim::TupleConstruct") == 1  # the returned pair
    tuples = [n for n in graph.all_nodes() if n.kind == "prim::Constant" and n["value"] == (-1,)]
    assert len(tuples) == 3 and len({id(n["value"]) for n in tuples}) == 1, "equal tuples: one object"
    eliminate_common_subexpressions(graph)
    assert len([n for n in graph.all_nodes() if n.kind == "prim::Constant" and n["value"] == (-1,)]) == 1
    x = _array(4, 5)
    assert run_graph(graph, scripted, x)[1] == eager(x)[1]
    np.testing.assert_allclose(run_graph(graph, scripted, x)[0], eager(x)[0], rtol=1e-6)


def test_tuples_holding_arrays_or_other_values_are_not_folded():
    scripted, _ = script_source("""
        def f(x, n: int):
            return (np.ones(3), 1), (n, 2)
    """)
    graph, _ = transformed(scripted, propagate_constants)
    assert kinds_of(graph).count("prim::TupleConstruct") >= 3  # the pair, and the tuples in it


def test_literal_tuples_of_every_kind_print_and_reload():
    scripted, eager = script_source("""
        def f(x):
            t = (1, 2.5, None, "a", True, (np.float32, -0.0))
            return x.astype(t[5][0]) * t[1], (t[0], t[2], t[3], t[4]), t[5][1]  # (eager code has no dtype to return)
    """)
    graph, _ = transformed(scripted, propagate_constants)
    assert kinds_of(graph).count("prim::TupleConstruct") == 1  # the returned pair
    round_trip(scripted)
    x = _array(3, dtype=np.float64)
    optimized_against_eager(scripted, eager, (x,))
    optimized_against_eager(reloaded(scripted), eager, (x,))


def test_mean_over_an_axis_tuple_fuses_with_its_consumer():
    scripted, eager = script_source("""
        def g(x):
            return x - np.mean(x, axis=(-1,), keepdims=True)
    """)
    graph = optimized_against_eager(scripted, eager, (_array(32, 64),))
    assert _grouped_kinds(graph) == [["np::mean", "np::subtract"]]
    assert _unfused_kinds(graph) == ["prim::FusionGroup"]
    assert "(-1,)" in scripted.code
    graph = optimized_against_eager(reloaded(scripted), eager, (_array(32, 64),))
    assert _grouped_kinds(graph) == [["np::mean", "np::subtract"]]


def test_one_axis_tuple_shared_by_two_groups_and_returned():
    scripted, eager = script_source("""
        def f(x, y):
            axes = (0, 1)
            a = x - np.mean(x, axis=axes, keepdims=True)
            b = y / np.max(np.abs(y), axis=axes, keepdims=True)
            return a, b, axes
    """)
    graph = optimized_against_eager(scripted, eager, (_array(6, 7), _array(6, 7, seed=1)))
    groups = _grouped_kinds(graph)
    assert len(groups) == 2 and {"np::mean", "np::max"} == {k for g in groups for k in g if k in ("np::mean", "np::max")}
    assert _unfused_kinds(graph).count("prim::FusionGroup") == 2


class _TwoNorms(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.LayerNorm(64)
        self.second = nn.LayerNorm((4, 64), eps=1e-4, elementwise_affine=False)
        self.first.weight[:] = np.linspace(0.5, 2.0, 64, dtype=np.float32)
        self.first.bias[:] = np.linspace(-1.0, 1.0, 64, dtype=np.float32)

    def forward(self, x):
        return self.second(self.first(x) * 2.0 + 1.0)


def test_layer_norms_of_a_loaded_model_fuse_as_the_scripted_ones_do():
    module = _TwoNorms()
    x = _array(3, 4, 64)
    loaded = reloaded(jit.script(module))
    graph = optimized_against_eager(loaded, module, (x,))
    kinds = [k for group in _grouped_kinds(graph) for k in group]
    assert kinds.count("nn::layer_norm") == 2
    assert not [k for k in _unfused_kinds(graph) if k.startswith("nn::")]
    assert "prim::TupleConstruct" not in _unfused_kinds(graph)


# -- 2. layer_norm and rms_norm under DYNAMIC ------------------------------------------------

@pytest.mark.parametrize("norm", ["layer_norm", "rms_norm"])
def test_dynamic_normalizations_fuse_and_check_the_normalized_sizes(norm):
    call = ("F.layer_norm(x * 2.0, [8], w, b, 1e-5)" if norm == "layer_norm"
            else "F.rms_norm(x * 2.0, [8], w, 1e-6) + b")
    scripted, eager = script_source(f"def f(x, w, b):\n    return {call}\n", F=F)
    with _strategy([("DYNAMIC", 2)]):
        for rows in (3, 5, 9):  # one DYNAMIC specialization serves every row count
            graph = optimized_against_eager(scripted, eager, (_array(rows, 8), _array(8, seed=1), _array(8, seed=2)))
            assert any(f"nn::{norm}" in group for group in _grouped_kinds(graph))
            assert not [k for k in _unfused_kinds(graph) if k.startswith("nn::")]
        assert "DYNAMIC reduction kernel" in str(jit.explain(scripted, _array(3, 8), _array(8), _array(8)))
        # trailing sizes that are not normalized_shape: the kernel runs the fallback, which raises NumPy's error
        for x, w in ((_array(4, 9), _array(9)), (_array(4, 1), _array(8)), (_array(4, 9), _array(1))):
            with pytest.raises(ValueError, match="does not match the trailing dimensions") as raised:
                eager(x, w, w)
            with pytest.raises(ValueError, match=raised.value.args[0].replace("(", r"\(").replace(")", r"\)")):
                scripted(x, w, w)
        assert any(f"nn::{norm}" in group for group in _grouped_kinds(jit.last_executed_optimized_graph()))


def test_dynamic_normalization_of_two_trailing_dims():
    scripted, eager = script_source("def f(x):\n    return F.layer_norm(x, [3, 4]) - F.rms_norm(x, [3, 4])\n", F=F)
    with _strategy([("DYNAMIC", 2)]):
        for batch in (2, 5):
            graph = optimized_against_eager(scripted, eager, (_array(batch, 3, 4, dtype=np.float64),))
            assert len(_grouped_kinds(graph)) == 1
        with pytest.raises(ValueError, match="does not match"):
            scripted(_array(2, 4, 3, dtype=np.float64))


def test_dynamic_layer_norm_on_the_cuda_backend_checks_the_normalized_sizes():
    """The CUDA launcher (on the fake CuPy: NVRTC, then the host shim) makes the same check."""
    require_host_shim_and_nvrtc()
    output = run_with_fake_cupy('''
        import json, pathlib, tempfile
        import numpy as np
        import device, jit
        import jit.nn.functional as F
        from tests import helpers
        helpers.SOURCE_DIR = pathlib.Path(tempfile.mkdtemp())
        jit.set_fusion_strategy([("DYNAMIC", 2)])
        scripted, eager = helpers.script_source("def f(x, w):\\n    return F.layer_norm(x, [8], w) * 2.0\\n", F=F)
        rng = np.random.default_rng(0)
        report = {"errors": [], "raised": []}
        for rows in (3, 5, 6):
            x, w = rng.standard_normal((rows, 8)).astype(np.float32), rng.standard_normal(8).astype(np.float32)
            got = scripted(device.to(x, "cuda"), device.to(w, "cuda")).get()
            report["errors"].append(float(np.max(np.abs(got - eager(x, w)))))
        for shape, size in (((4, 9), 9), ((4, 1), 8)):
            x, w = np.ones(shape, np.float32), np.ones(size, np.float32)
            try:
                scripted(device.to(x, "cuda"), device.to(w, "cuda"))
            except ValueError as error:
                report["raised"].append(str(error))
        report["explain"] = str(jit.explain(scripted, device.to(x, "cuda"), device.to(w, "cuda")))
        print(json.dumps(report))
    ''')
    report = json.loads(output.strip().splitlines()[-1])
    assert max(report["errors"]) < 1e-5, report
    assert len(report["raised"]) == 2 and all("does not match the trailing" in e for e in report["raised"]), report
    assert "DYNAMIC CUDA reduction kernel" in report["explain"] and "nn::layer_norm" in report["explain"]


# -- 3. a constant dtype= --------------------------------------------------------------------

@pytest.mark.parametrize("body, dtype", [
    ("x.sum(axis=1, dtype=np.float64) * 2.0", np.float32),
    ("np.sum(x * 2.0, dtype=np.float64)", np.float32),
    ("x - np.mean(x, axis=-1, keepdims=True, dtype=np.float64)", np.float32),
    ("np.mean(x, axis=0, dtype='float64') + 1.0", np.float32),
    ("np.std(x, axis=1, dtype=np.float32) + 1.0", np.float64),
    ("np.var(x * 3, axis=1, dtype=np.float32, ddof=1)", np.int32),
    ("np.sum(x * 2, axis=0, dtype=np.int64) + 1", np.int32),
    ("np.prod(x > 0, axis=1, dtype=np.uint64) + 1", np.float32),
], ids=["sum-f64", "full-sum-f64", "mean-keepdims", "mean-str", "std-f32", "var-of-int", "sum-i64", "prod-u64"])
def test_reductions_with_a_constant_dtype_fuse(body, dtype):
    scripted, eager = script_source(f"def f(x):\n    return {body}\n")
    x = _array(6, 10, dtype=np.float64) * 10
    graph = optimized_against_eager(scripted, eager, (x.astype(dtype),))
    groups = _grouped_kinds(graph)
    assert len(groups) == 1 and any(k in groups[0] for k in ("np::sum", "np::mean", "np::std", "np::var", "np::prod"))


@pytest.mark.parametrize("body", ["np.sum(x * 2, axis=0, dtype=np.int16) + 1",
                                  "np.sum(x * 2.0, axis=0, dtype=np.int64) + 1",
                                  "np.mean(x * 2, axis=0, dtype=np.int64) + 1"])
def test_dtypes_the_kernel_would_not_accumulate_as_numpy_stay_unfused(body):
    scripted, eager = script_source(f"def f(x):\n    return {body}\n")
    x = (_array(6, 10, dtype=np.float64) * 1000).astype(np.int32)
    graph = optimized_against_eager(scripted, eager, (x,))
    assert not [g for g in _grouped_kinds(graph) if "np::sum" in g or "np::mean" in g]
    assert "the kernel would not accumulate as NumPy does" in str(jit.explain(scripted, x))
