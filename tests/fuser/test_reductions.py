"""Reductions in fusion groups (fuser.reduction_lowering): which groups form, the reasons for
what stays apart, and results equal to the eager NumPy function."""
from __future__ import annotations

import numpy as np
import pytest

import jit
from fuser.reduction_lowering import fused_reductions
import jit.nn.functional as F

from ..helpers import assert_same, script_source


def _array(*shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _groups(graph):
    return [[n.kind for n in node["Subgraph"].block.nodes if n.kind != "prim::Constant"]
            for node in graph.all_nodes() if node.kind == "prim::FusionGroup"]


def _run(source, *args, **names):
    scripted, eager = script_source(source, **names)
    scripted(*args)
    assert_same(scripted(*args), eager(*args))
    return scripted, jit.last_executed_optimized_graph()


def test_softmax_and_layer_norm_written_out_are_one_group_each():
    source = ("def f(x, w, b):\n"
              "    m = x.max(axis=-1, keepdims=True)\n"
              "    e = np.exp(x - m)\n"
              "    p = e / e.sum(axis=-1, keepdims=True)\n"
              "    mu = p.mean(axis=-1, keepdims=True)\n"
              "    v = p.var(axis=-1, keepdims=True)\n"
              "    return (p - mu) / np.sqrt(v + 1e-5) * w + b\n")
    _, graph = _run(source, _array(6, 40), _array(40, seed=1), _array(40, seed=2))
    groups = _groups(graph)
    # the normalization reduces element values computed from softmax's row values: later stages
    # of the same rows, one kernel
    assert len(groups) == 1 and {"np::max", "np::sum", "np::mean", "np::var"} <= set(groups[0])


def test_jit_nn_softmax_log_softmax_layer_norm_fuse_alone_and_with_neighbours():
    source = ("def f(x, w, b):\n"
              "    s = F.softmax(x * 2.0, dim=-1)\n"
              "    l = F.log_softmax(x, dim=1)\n"
              "    n = F.layer_norm(x, [33], w, b)\n"
              "    return s, l, n\n")
    _, graph = _run(source, _array(5, 33), _array(33, seed=1), _array(33, seed=2), F=F)
    kinds = [k for group in _groups(graph) for k in group]
    assert {"nn::softmax", "nn::log_softmax", "nn::layer_norm"} <= set(kinds)
    assert not [n for n in graph.block.nodes if n.kind.startswith("nn::")]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_logsumexp_and_rms_norm_fuse_alone_and_with_neighbours(dtype):
    source = ("def f(x, w):\n"
              "    a = F.logsumexp(x * 2.0, -1) + 1.0\n"
              "    b = F.logsumexp(x, 1, True)\n"
              "    c = F.logsumexp(x, dim=0)\n"
              "    d = F.rms_norm(x + 1.0, [x.shape[1]], w)\n"
              "    e = F.rms_norm(x, [24], eps=1e-3)\n"
              "    return a, b, c, d, e\n")
    x = _array(6, 24, dtype=dtype)
    x[0] = -np.inf  # a row of -inf gives -inf, as torch's; inf gives inf; NaN stays NaN
    x[1, 3], x[2, 5] = np.inf, np.nan
    with np.errstate(all="ignore"):
        _, graph = _run(source, x, _array(24, dtype=dtype, seed=1), F=F)
    kinds = [k for group in _groups(graph) for k in group]
    assert kinds.count("nn::logsumexp") == 3 and kinds.count("nn::rms_norm") == 2
    assert not [n for n in graph.block.nodes if n.kind.startswith("nn::")]


def test_fused_reductions_can_be_turned_off():
    source = "def f(x):\n    return np.exp(x - x.max(axis=-1, keepdims=True)) * 2.0\n"
    with fused_reductions(False):
        _, graph = _run(source, _array(4, 8))
    assert _groups(graph) == [["np::subtract", "np::exp", "np::multiply"]]
    _, graph = _run(source, _array(4, 8))
    assert _groups(graph) == [["np::max", "np::subtract", "np::exp", "np::multiply"]]


def test_producers_consumers_axes_and_keepdims():
    source = ("def f(x):\n"
              "    sq = (x * x).sum(axis=1)\n"
              "    centered = x - x.mean(axis=0)\n"
              "    first = np.argmax(x * 3.0, axis=1)\n"
              "    return sq + 1.0, centered * 2.0, first\n")
    _, graph = _run(source, _array(7, 9))
    groups = _groups(graph)
    assert ["np::multiply", "np::sum", "np::add"] in groups
    assert ["np::mean", "np::subtract", "np::multiply"] in groups  # axis 0: rows broadcast back along axis 0
    source_all = ("def f(x):\n"
                  "    y = np.abs(x) + 1.0\n"
                  "    return y.sum(), (y * y).max(keepdims=True), np.any(y > 2.0, axis=(0, 2))\n")
    _run(source_all, _array(3, 4, 5))
    _run("def f(x):\n    return (x + 1).prod(axis=1), (x * 2).sum(axis=0), (x > 0).all(axis=1)\n",
         np.arange(12, dtype=np.int32).reshape(3, 4) - 5)


def test_a_reduced_value_that_would_broadcast_across_rows_stays_apart():
    source = "def f(x):\n    s = np.exp(x).sum(axis=1)\n    return x - s\n"  # (4,) against (4, 4): along columns
    scripted, graph = _run(source, _array(4, 4))
    assert ["np::exp", "np::sum"] in _groups(graph)
    assert "np::subtract" in [n.kind for n in graph.block.nodes]
    assert "broadcast across the rows" in str(jit.explain(scripted, _array(4, 4)))


def test_nan_and_empty_rows_match_numpy():
    source = "def f(x):\n    y = x * 1.5\n    return y.max(axis=1), np.argmin(y, axis=1), y.sum(axis=1)\n"
    x = _array(3, 6, dtype=np.float64)
    x[1, 2] = np.nan
    _, graph = _run(source, x)
    assert any("np::max" in group for group in _groups(graph)), "the NaN row went through a fused kernel"
    _run(source.replace("y.max(axis=1), np.argmin(y, axis=1), ", ""), np.ones((3, 0)))


def test_dynamic_kernels_take_new_shapes_broadcasts_and_raise_numpy_errors():
    scripted, eager = script_source("def f(x, w):\n    y = F.softmax(x * w, dim=-1)\n"
                                    "    return y, (x * x).mean(axis=1), x - x.max(axis=0)\n", F=F)
    for n in range(3, 7):  # past the STATIC budget: one DYNAMIC specialization serves every shape
        x, w = _array(n, n + 2), _array(n + 2, seed=n)
        assert_same(scripted(x, w), eager(x, w))
    x = _array(5, 7)
    assert_same(scripted(x, x[:1]), eager(x, x[:1]))  # w broadcast along the rows
    assert "DYNAMIC reduction kernel" in str(jit.explain(scripted, x, x[0]))
    with np.testing.assert_raises_regex(ValueError, "could not be broadcast"):
        scripted(x, _array(3))


@pytest.mark.parametrize("expression, alone", [
    ("x.argmax(axis=0)", True), ("np.max(x, axis=0)", True), ("np.amin(x, axis=1, keepdims=True)", True),
    ("x.any(axis=(0, 1))", True), ("np.argmax(x, axis=2)", False),  # the innermost axis: NumPy's loop is contiguous
    ("x.sum(axis=0)", False),  # NumPy's float32 rounding (row by row) is kept
    ("x.mean(axis=-1)", False), ("x.max()", False)])
def test_a_lone_comparison_reduction_that_keeps_the_innermost_axis_fuses(expression, alone):
    # NumPy walks x.argmax(axis=0) column by column, a line apart (25x the column kernel's time).
    x = _array(300, 4, 70)
    x[5, 1, 3] = np.nan
    _, graph = _run(f"def f(x):\n    return {expression}\n", x)
    assert _groups(graph) == ([[_groups(graph)[0][0]]] if alone else []), graph
    assert bool(_groups(graph)) is alone
