"""Dead-code elimination removes unused pure nodes, chains of them, and keeps
effects (print, random draws, calls), blocks and length-checking unpacks."""
from __future__ import annotations

import numpy as np

from jit import types as T
from jit.ir import Graph, verify
from jit.passes import eliminate_dead_code

from ...helpers import node_kinds, script_source


def test_removes_an_unused_chain_and_keeps_what_the_output_needs():
    graph = Graph()
    x = graph.add_input(T.TENSOR, "x")
    tanh = graph.block.append(graph.create("np::tanh", [x], [T.TENSOR])).output
    graph.block.append(graph.create("np::exp", [tanh], [T.TENSOR]))  # dead, and makes nothing else dead
    dead_shape = graph.block.append(graph.create("np::shape", [x], [T.VarTupleType(T.INT)])).output
    graph.block.append(graph.create("prim::len", [dead_shape], [T.INT]))  # x.shape[0] would raise for a 0-d x
    graph.register_output(tanh)
    assert eliminate_dead_code(graph) == 3
    verify(graph)
    assert [n.kind for n in graph.block.nodes] == ["np::tanh"]


def test_keeps_effects_and_blocks():
    scripted, eager = script_source("""
        def f(x, flag: bool):
            print("seen")
            np.random.rand(3)
            unused = x * 2
            if flag:
                y = x + 1
            else:
                y = x - 1
            return x
    """)
    graph = scripted.graph
    eliminate_dead_code(graph)
    verify(graph)
    kinds = [n.kind for n in graph.block.nodes]
    assert "prim::print" in kinds and "np::random.random" in kinds and "prim::If" in kinds
    assert "np::multiply" not in kinds
    assert "np::add" in node_kinds(scripted)  # inside the kept block


def test_the_pruned_graph_still_runs():
    scripted, eager = script_source("""
        def g(x):
            a = x.shape
            b = np.tanh(x)
            return x + 1
    """)
    eliminate_dead_code(scripted.graph)
    verify(scripted.graph)
    from jit.runtime import ScriptFunction  # noqa: PLC0415
    from jit.frontend import CompiledFunction  # noqa: PLC0415

    rerun = ScriptFunction(CompiledFunction("g", "g", scripted.graph, scripted.parameters, scripted.return_type, None))
    x = np.arange(3.0)
    np.testing.assert_array_equal(rerun(x), eager(x))
    assert node_kinds(rerun) == ["prim::Constant", "np::add"]
