"""Dead loop-carried values are removed; the loop's results do not change."""
from __future__ import annotations

import numpy as np

from jit import types as T
from jit.ir import Graph, verify
from jit.passes import eliminate_dead_loop_values

from ...helpers import assert_same, script_source


def loop_graph():
    """A loop carrying %live (read and returned) and %dead (neither)."""
    graph = Graph()
    n, x = graph.add_input(T.INT, "n"), graph.add_input(T.TENSOR, "x")
    true = graph.block.append(graph.create("prim::Constant", [], [T.BOOL], value=True)).output
    loop = graph.block.append(graph.create("prim::Loop", [n, true, x, x], [T.TENSOR, T.TENSOR]))
    body = loop.add_block()
    body.add_param(T.INT)
    live, _dead = body.add_param(T.TENSOR, "live"), body.add_param(T.TENSOR, "dead")
    step = body.append(graph.create("np::negative", [live], [T.TENSOR])).output
    body.register_output(true)
    body.register_output(step)
    body.register_output(step)
    graph.register_output(loop.outputs[0])
    return graph, loop


def test_removes_only_the_dead_value():
    graph, loop = loop_graph()
    verify(graph)
    assert eliminate_dead_loop_values(graph) == 1
    verify(graph)
    assert len(loop.outputs) == 1 and len(loop.inputs) == 3 and len(loop.blocks[0].params) == 2
    assert loop.blocks[0].params[1].debug_name == "live"
    assert eliminate_dead_loop_values(graph) == 0


def test_frontend_graphs_keep_their_results():
    function, eager = script_source('''
    def f(x, n: int):
        tmp = x
        acc = x * 0.0
        for i in range(n):
            tmp = x * float(i)
            acc = acc + tmp
        return acc
    ''')
    loop = next(node for node in function.graph.all_nodes() if node.kind == "prim::Loop")
    assert len(loop.outputs) == 1  # tmp is overwritten before every read and unused after: not carried
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert_same(function(x, 4), eager(x, 4))
