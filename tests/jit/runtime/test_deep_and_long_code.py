"""Code deeper or longer than one Python function may hold (issue 16): the
generated Python stays within CPython's limits (20 nested loops, 100 indentation
levels, 200 nested parentheses) whatever the script code, and gives eager's results."""
from __future__ import annotations

import ast
import io

import numpy as np
import pytest

import jit
from jit.frontend import code_namespace, compile_source
from jit.ir import verify
from jit.ir.expression_inlining import MAX_INLINE_DEPTH
from jit.runtime import optimization
from jit.runtime.codegen import generate

from ...helpers import assert_same, define, script_source
from ..generated_code import chain, nested_loop_functions

X = np.linspace(-1.0, 1.0, 6, dtype=np.float32)


def deepest_loops(source: str) -> int:
    """The most loops nested in one function of ``source``."""
    deepest, pending = 0, [(tree, 0) for tree in ast.parse(source).body]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, ast.FunctionDef):
            depth = 0
        elif isinstance(node, (ast.For, ast.While)):
            depth += 1
        deepest = max(deepest, depth)
        pending.extend((child, depth) for child in ast.iter_child_nodes(node))
    return deepest


def deepest_indentation(source: str) -> int:
    return max((len(line) - len(line.lstrip(" "))) // 4 for line in source.splitlines() if line.strip())


def test_forty_nested_loops_script_run_save_and_load():
    # f0 (20 loops) calls f1 (20 loops) in its innermost loop
    eager = define("\n\n".join(nested_loop_functions(40)), "f0")
    scripted = jit.script(define("\n\n".join(nested_loop_functions(40, scripted_callees=True)), "f0"))
    for n in (1, 0, 1, 1):  # profiled, then specialized: the call is inlined into 40 nested loops
        assert_same(scripted(X, n), eager(X, n))
    _, specialization = scripted._executor.would_run((X, 1), {})
    loops = [node for node in specialization.graph.all_nodes() if node.kind == "prim::Loop"]
    assert len(loops) == 40
    assert deepest_loops(specialization.source) <= 20 and deepest_indentation(specialization.source) < 100
    buffer = io.BytesIO()
    jit.save(scripted, buffer)
    loaded = jit.load(io.BytesIO(buffer.getvalue()))
    for n in (1, 0, 1):
        assert_same(loaded(X, n), eager(X, n))


def test_generated_code_of_deep_graphs_is_split_into_functions():
    # 90 nested ifs and loops in one graph: Python would refuse them in one function.
    lines = ["def f(x, n: int):", "    y = x"]
    for level in range(90):
        lines.append("    " * (level + 1) + ("if n > 0:" if level % 3 else f"for i{level} in range(n):"))
    lines += ["    " * 91 + "y = y * 2.0 - 1.0", "    return y"]
    compiled = compile_source("\n".join(lines) + "\n", "f", code_namespace())
    source, run = generate(compiled.graph, "f", compiled.parameters)
    assert deepest_loops(source) <= 20 and deepest_indentation(source) < 100
    expected = X * 2.0 - 1.0
    assert_same(run(X, 1), expected)
    assert_same(run(X, 0), X)


def test_a_chain_longer_than_the_parser_nests_prints_as_statements():
    # 201 chained statements once folded into one line of 201 nested calls, which CPython refuses.
    scripted, eager = script_source(chain(201))
    for _ in range(3):
        assert_same(scripted(X), eager(X))
    lines = scripted.code.splitlines()
    assert len(lines) > 201 // (MAX_INLINE_DEPTH + 1) and all(line.count("+") <= MAX_INLINE_DEPTH + 1 for line in lines)


@pytest.mark.no_round_trip  # the round trip would compile the 10,000 statements twice more
def test_ten_thousand_chained_statements(monkeypatch):
    monkeypatch.setattr(optimization, "verify_each_pass", False)  # the result is verified once, below
    scripted, eager = script_source(chain(10_000))
    with jit.fuser("none"):  # fusing the chain is linear too (bench/bench_compile_scaling.py), but slow to test
        for _ in range(3):
            assert_same(scripted(X), eager(X))
        verify(scripted.graph_for(X))
