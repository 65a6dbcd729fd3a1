"""Inlining copies script callees (functions, module methods, calls inside
callees) into the caller; forks stay calls; results are unchanged."""
from __future__ import annotations

import numpy as np

import jit
from jit import nn
from jit.passes import inline_calls

from ...helpers import assert_same, kinds_of, run_graph, script_source, transformed


def test_nested_function_calls_are_inlined_with_defaults_and_conversions():
    scripted, eager = script_source("""
        @jit.script
        def inner(x, scale: float = 2.0):
            return np.tanh(x) * scale

        @jit.script
        def middle(x, n: int):
            return inner(x, n) + inner(x)

        def f(x, n: int):
            return middle(x, n) - 1.0
    """, name="f")
    graph, count = transformed(scripted, inline_calls)
    assert count == 3  # middle, then the two calls of inner it brought in
    assert "prim::CallFunction" not in kinds_of(graph)
    assert kinds_of(graph).count("np::tanh") == 2 and "prim::Float" in kinds_of(graph)
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    assert_same(run_graph(graph, scripted, x, 3), eager(x, 3))


def test_module_methods_are_inlined_and_forks_are_not():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(4, 4)

        def forward(self, x):
            return np.tanh(self.linear(x)) + self.helper(x)

        def helper(self, x):
            return x * 2.0

    @jit.script
    def work(x):
        return x + 1.0

    @jit.script
    def forks(x):
        future = jit.fork(work, x)
        return work(x) + jit.wait(future)

    module = jit.script(Block())
    graph, count = transformed(module._type.methods["forward"], inline_calls)
    assert count == 2 and "prim::CallMethod" not in kinds_of(graph) and "nn::linear" in kinds_of(graph)
    x = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    assert_same(run_graph(graph, module._type.methods["forward"], module, x), module(x))
    graph, count = transformed(forks, inline_calls)
    assert count == 1 and kinds_of(graph).count("prim::fork") == 1
    assert_same(run_graph(graph, forks, x), forks(x))
