"""The verifier accepts what the frontend builds and names what is broken."""
from __future__ import annotations

import pytest

from jit import types as T
from jit.ir import Graph, VerificationError, verify
from jit.ir.graph import Use

from ...helpers import script_source


def simple():
    graph = Graph()
    x = graph.add_input(T.TENSOR, "x")
    node = graph.block.append(graph.create("np::negative", [x], [T.TENSOR]))
    graph.register_output(node.output)
    return graph, x, node


def test_accepts_frontend_graphs_with_control_flow():
    function, _ = script_source('''
    def f(x, n: int):
        y = x
        for i in range(n):
            if i % 2 == 0:
                y = y * 2.0
        while n > 0:
            n = n - 1
        return y, n
    ''')
    assert verify(function.graph) is function.graph
    assert {"prim::Loop", "prim::If"} <= {node.kind for node in function.graph.all_nodes()}


def test_use_before_definition():
    graph, x, node = simple()
    later = graph.block.append(graph.create("np::negative", [x], [T.TENSOR]))
    node.replace_input(0, later.output)
    with pytest.raises(VerificationError, match="used before it is defined"):
        verify(graph)


def test_value_used_outside_its_block():
    graph = Graph()
    flag, x = graph.add_input(T.BOOL, "flag"), graph.add_input(T.TENSOR, "x")
    branch = graph.block.append(graph.create("prim::If", [flag], [T.TENSOR]))
    inner = branch.add_block().append(graph.create("np::negative", [x], [T.TENSOR]))
    branch.blocks[0].register_output(inner.output)
    branch.add_block().register_output(x)
    graph.register_output(inner.output)  # escapes its block
    with pytest.raises(VerificationError, match="outside its scope"):
        verify(graph)


def test_corrupted_use_list():
    graph, x, node = simple()
    x.uses.append(Use(node, 0))
    with pytest.raises(VerificationError, match="not recorded exactly once"):
        verify(graph)
    x.uses.pop()
    x.uses.clear()
    with pytest.raises(VerificationError, match="not recorded exactly once"):
        verify(graph)


def test_schema_arity_and_types():
    graph, x, node = simple()
    node.add_input(x)
    with pytest.raises(VerificationError, match="takes 1 inputs, got 2"):
        verify(graph)
    graph, x, node = simple()
    node.outputs[0].type = T.INT
    with pytest.raises(VerificationError, match="output type int is not what np::negative gives"):
        verify(graph)
    graph = Graph()
    s = graph.add_input(T.STR, "s")
    bad = graph.block.append(graph.create("np::reshape", [s, s], [T.TENSOR]))
    graph.register_output(bad.output)
    with pytest.raises(VerificationError, match="argument 'a' of type Tensor"):
        verify(graph)


def test_control_flow_structure():
    graph = Graph()
    flag = graph.add_input(T.INT, "flag")
    node = graph.block.append(graph.create("prim::If", [flag], []))
    node.add_block(), node.add_block()
    with pytest.raises(VerificationError, match="one bool input"):
        verify(graph)
    graph = Graph()
    flag = graph.add_input(T.BOOL, "flag")
    node = graph.block.append(graph.create("prim::If", [flag], [T.INT]))
    node.add_block(), node.add_block()
    with pytest.raises(VerificationError, match="returns 0 values for 1 outputs"):
        verify(graph)
    graph = Graph()
    n = graph.add_input(T.INT, "n")
    true = graph.block.append(graph.create("prim::Constant", [], [T.BOOL], value=True)).output
    loop = graph.block.append(graph.create("prim::Loop", [n, true, n], [T.INT]))
    body = loop.add_block()
    body.add_param(T.INT)
    with pytest.raises(VerificationError, match="1 carried values needs"):
        verify(graph)


def test_constant_must_match_its_type():
    graph = Graph()
    node = graph.block.append(graph.create("prim::Constant", [], [T.INT], value="text"))
    graph.register_output(node.output)
    with pytest.raises(VerificationError, match="constant of type str"):
        verify(graph)


def test_a_use_listed_twice_in_place_of_another_is_caught():
    graph, x, node = simple()
    other = graph.block.append(graph.create("np::negative", [x], [T.TENSOR]))
    x.uses[x.uses.index(Use(other, 0))] = Use(node, 0)  # as long as before, one use twice, one missing
    with pytest.raises(VerificationError, match="not recorded exactly once"):
        verify(graph)
