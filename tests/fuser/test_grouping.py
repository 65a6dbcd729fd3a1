"""Which nodes fuse into which groups, the reason recorded for every node left
out, strict_fusion, explain's fuser part, and the unfused fallback."""
from __future__ import annotations

import re

import numpy as np
import pytest

import jit
import jit.nn.functional as F
from fuser import MAX_KERNEL_ARGUMENTS
from fuser.grouping import MAX_GROUP_MEMBERS
from kernels import cpu

from ..helpers import assert_same, script_source

COVERS = {"prim::FusionGroup"}  # for tests/jit/ops/test_registry.py


def _array(*shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _groups(graph):
    """[(kinds of each group's nodes)] and the kinds of the top-level nodes left unfused."""
    groups, rest = [], []
    for node in graph.all_nodes():
        if node.kind == "prim::FusionGroup":
            groups.append([inner.kind for inner in node["Subgraph"].block.nodes if inner.kind != "prim::Constant"])
        elif node.kind not in ("prim::Constant",) and node.owning_block is graph.block:
            rest.append(node.kind)
    return groups, rest


def _run_twice(scripted, eager, *args):
    scripted(*args)
    assert_same(scripted(*args), eager(*args))
    return jit.last_executed_optimized_graph()


def test_mlp_fuses_bias_and_gelu_but_not_the_matmuls():
    scripted, eager = script_source(
        "def f(x, w1, b1, w2, b2):\n    h = F.gelu(x @ w1 + b1, approximate='tanh')\n    return h @ w2 + b2\n", F=F)
    args = (_array(8, 16), _array(16, 32, seed=1), _array(32, seed=2), _array(32, 4, seed=3), _array(4, seed=4))
    groups, rest = _groups(_run_twice(scripted, eager, *args))
    assert groups == [["np::add", "nn::gelu"]]
    assert rest.count("np::matmul") == 2 and "np::add" in rest  # the last bias add has no neighbour
    report = str(jit.explain(scripted, *args))
    assert "np::matmul (" in report and "matmul is not elementwise" in report
    assert "no elementwise neighbour to fuse with" in report


def test_multi_output_group_and_values_read_later():
    scripted, eager = script_source("def f(x, y):\n    a = x * y\n    b = np.exp(a) + 1.0\n    s = np.sort(b)\n"
                                    "    return a, b - a, s\n")
    graph = _run_twice(scripted, eager, _array(4, 5), _array(4, 5, seed=1))
    groups, rest = _groups(graph)
    assert groups == [["np::multiply", "np::exp", "np::add", "np::subtract"]]
    group = next(n for n in graph.all_nodes() if n.kind == "prim::FusionGroup")
    assert len(group.outputs) == 3, "a, b (read by sort) and b - a leave the group"
    assert "np::sort" in rest


def test_a_read_between_splits_the_group():
    """c reads b before the group would end: b's group cannot move past it."""
    scripted, eager = script_source("def f(x, y):\n    b = np.tanh(x) * y\n    c = np.sort(b)\n"
                                    "    return np.exp(b + c) * 2.0\n")
    graph = _run_twice(scripted, eager, _array(3, 4), _array(3, 4, seed=1))
    groups, rest = _groups(graph)
    assert sorted(map(len, groups)) == [2, 3]
    assert "np::sort" in rest


def test_never_moves_across_a_side_effect():
    scripted, eager = script_source("def f(x, y):\n    a = x * y\n    print('between')\n    return np.exp(a) + y\n")
    x, y = _array(3, 4), _array(3, 4, seed=1)
    graph = _run_twice(scripted, eager, x, y)
    groups, rest = _groups(graph)
    assert groups == [["np::exp", "np::add"]] and "np::multiply" in rest and "prim::print" in rest
    assert "would move across print" in str(jit.explain(scripted, x, y))


def test_groups_inside_branches_and_loops():
    scripted, eager = script_source(
        "def f(x, y, n: int):\n    if n > 2:\n        z = np.tanh(x) * y + 1.0\n    else:\n        z = x - y * 2.0\n"
        "    for _ in range(n):\n        z = np.maximum(z * 0.5, y) - 0.1\n    return z\n")
    graph = _run_twice(scripted, eager, _array(3, 4), _array(3, 4, seed=1), 12)
    groups, _ = _groups(graph)
    assert ["np::tanh", "np::multiply", "np::add"] in groups
    assert ["np::multiply", "np::maximum", "np::subtract"] in groups
    assert "control flow is not fused" in str(jit.explain(scripted, _array(3, 4), _array(3, 4, seed=1), 12))


def test_a_single_elementwise_op_is_not_a_group():
    scripted, eager = script_source("def f(x, w):\n    return np.tanh(x @ w)\n")
    groups, rest = _groups(_run_twice(scripted, eager, _array(3, 4), _array(4, 2, seed=1)))
    assert groups == [] and rest == ["np::matmul", "np::tanh"]


def test_python_scalars_are_kernel_arguments_and_constants_are_baked():
    scripted, eager = script_source("def f(x, alpha: float, n: int):\n    return (x * alpha + n) * 2.0 - 1\n")
    graph = _run_twice(scripted, eager, _array(3, 4), 0.25, 3)
    group = next(n for n in graph.all_nodes() if n.kind == "prim::FusionGroup")
    assert [v.debug_name for v in group.inputs] == ["x", "alpha", "n"]
    scripted(_array(3, 4), -4.0, 7)
    assert_same(scripted(_array(3, 4), -4.0, 7), eager(_array(3, 4), -4.0, 7))


def test_static_groups_do_not_mix_output_shapes():
    """a is (4, 1) and read later; the group that makes the (4, 5) b cannot also write a."""
    scripted, eager = script_source("def f(x, y):\n    a = np.exp(x) * 2.0\n    b = np.tanh(a + y) - 1.0\n    return a, b\n")
    x, y = _array(4, 1), _array(4, 5, seed=1)
    graph = _run_twice(scripted, eager, x, y)
    groups, _ = _groups(graph)
    assert groups == [["np::exp", "np::multiply"], ["np::add", "np::tanh", "np::subtract"]]
    assert "its outputs would differ in shape" in str(jit.explain(scripted, x, y))


def test_argument_limit(monkeypatch):
    names = [f"x{i}" for i in range(MAX_KERNEL_ARGUMENTS + 4)]
    source = f"def f({', '.join(names)}):\n    r = {names[0]} * 2.0\n" + "".join(
        f"    r = r + {name}\n" for name in names[1:]) + "    return r\n"
    scripted, eager = script_source(source)
    args = [_array(2, 3, seed=i) for i in range(len(names))]
    graph = _run_twice(scripted, eager, *args)
    groups, _ = _groups(graph)
    assert groups and all(len(g) < len(names) for g in groups)
    for node in graph.all_nodes():
        if node.kind == "prim::FusionGroup":
            assert len(node.inputs) + len(node.outputs) <= MAX_KERNEL_ARGUMENTS
    assert f"more than {MAX_KERNEL_ARGUMENTS} kernel arguments" in str(jit.explain(scripted, *args))


def test_unsupported_dtype_falls_back_with_its_reason():
    scripted, eager = script_source("def f(x, y):\n    return np.tanh(x * y) + x\n")
    x, y = _array(3, 4, dtype=np.float16), _array(3, 4, dtype=np.float16, seed=1)
    groups, rest = _groups(_run_twice(scripted, eager, x, y))
    assert groups == [] and rest == ["np::multiply", "np::tanh", "np::add"]
    assert "float16 is not supported by the CPU kernels" in str(jit.explain(scripted, x, y))


def test_compile_failure_falls_back_with_its_reason(monkeypatch):
    real_render = cpu.render
    monkeypatch.setattr(cpu, "render", lambda kernel, layout: real_render(kernel, layout).replace(
        "for i0 in range", "for i0 in undefined_name"))
    scripted, eager = script_source("def f(x, y):\n    return np.sin(x * y) + 3.0\n")
    x, y = _array(5, 4), _array(5, 4, seed=1)
    groups, _ = _groups(_run_twice(scripted, eager, x, y))
    assert groups == []
    assert "its group cannot become a kernel: the kernel did not compile" in str(jit.explain(scripted, x, y))


def test_fusion_off_runs_unfused_and_results_agree():
    scripted, eager = script_source("def f(x, b):\n    y = x + b\n    return y * np.tanh(y)\n")
    x, b = _array(6, 7), _array(7, seed=1)
    fused = _run_twice(scripted, eager, x, b)
    with jit.fuser("none"):
        unfused = _run_twice(scripted, eager, x, b)
    assert "prim::FusionGroup" in str(fused) and "prim::FusionGroup" not in str(unfused)


# -- strict_fusion --------------------------------------------------------------------------
STRICT_OK = """
def f(x, y):
    with jit.strict_fusion():
        a = x * y + 1.0
        b = np.tanh(a) * 0.5
    return b @ y.T
"""

STRICT_FAILS = """
def f(x, y):
    with jit.strict_fusion():
        a = x * y + 1.0
        s = np.sort(a)
        b = np.tanh(a) * s
    return b
"""


def test_strict_fusion_passes_when_everything_fuses():
    scripted, eager = script_source(STRICT_OK)
    groups, rest = _groups(_run_twice(scripted, eager, _array(3, 4), _array(3, 4, seed=1)))
    assert groups == [["np::multiply", "np::add", "np::tanh", "np::multiply"]]
    assert rest == ["prim::Enter", "prim::Exit", "np::transpose", "np::matmul"]


def test_strict_fusion_names_each_unfused_node_its_reason_and_the_with_statement():
    scripted, eager = script_source(STRICT_FAILS)
    x, y = _array(3, 4), _array(3, 4, seed=1)
    assert_same(scripted(x, y), eager(x, y))  # the profiled run: nothing is checked yet
    with pytest.raises(jit.StrictFusionError) as caught:
        scripted(x, y)
    message = str(caught.value)
    assert re.search(r"jit.strict_fusion at \S+scripted_\d+\.py:\d+:4: 2 node\(s\) of the block were not fused", message)
    assert "%s = np::sort" in message and "sort is not elementwise" in message
    assert "%b = np::multiply" in message and "%s is computed after the group would run" in message
    with jit.strict_fusion():  # eager code: nothing happens
        eager(x, y)


def test_strict_fusion_with_fusion_off_says_so():
    scripted, eager = script_source(STRICT_OK)
    x, y = _array(3, 4), _array(3, 4, seed=1)
    with jit.fuser("none"):
        scripted(x, y)
        with pytest.raises(jit.StrictFusionError, match=r"fusion is turned off \(jit.fuser\('none'\)\)"):
            scripted(x, y)


def test_a_chain_longer_than_a_group_holds_runs_as_several_kernels():
    length = MAX_GROUP_MEMBERS * 2 + 10
    scripted, eager = script_source("def f(x):\n" + "    x = x * 0.5 + 1.0\n" * (length // 2) + "    return x\n")
    graph = _run_twice(scripted, eager, _array(3, 4))
    groups, rest = _groups(graph)
    assert len(groups) >= 3 and all(len(g) <= MAX_GROUP_MEMBERS for g in groups) and not rest
    assert sum(len(g) for g in groups) == length
    assert f"more than {MAX_GROUP_MEMBERS} nodes" in str(jit.explain(scripted, _array(3, 4)))
