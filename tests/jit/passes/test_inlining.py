"""Inlining copies script callees (functions, module methods, calls inside
callees) into the caller; forks stay calls; results are unchanged."""
from __future__ import annotations

import numpy as np

import jit
from jit import nn
from jit.ir import MAX_BLOCK_DEPTH
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


def nested_ifs(depth: int, innermost: str) -> str:
    return "".join("    " * (level + 1) + "if n > 0:\n" for level in range(depth)) + "    " * (depth + 1) + innermost + "\n"


def test_a_call_that_would_nest_blocks_too_deeply_stays_a_call():
    depth = MAX_BLOCK_DEPTH // 2 + 10  # each function alone is within the limit; inlined, they would not be
    scripted, eager = script_source(f"""
@jit.script
def inner(y, n: int):
{nested_ifs(depth, "y = y * 2.0")}    return y

def f(x, n: int):
    y = x
{nested_ifs(depth, "y = inner(y, n)")}    return y
""", name="f")
    graph, count = transformed(scripted, inline_calls)
    assert count == 0 and "prim::CallFunction" in kinds_of(graph)
    shallow, _ = script_source(f"""
@jit.script
def inner(y, n: int):
{nested_ifs(4, "y = y * 2.0")}    return y

def f(x, n: int):
    y = x
{nested_ifs(depth, "y = inner(y, n)")}    return y
""", name="f")
    assert transformed(shallow, inline_calls)[1] == 1
    x = np.arange(3.0)
    for n in (0, 1):
        assert_same(run_graph(graph, scripted, x, n), eager(x, n))
