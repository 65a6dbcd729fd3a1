"""Type propagation refines every value the rules can follow from refined
inputs: through branches (joined), loops (until stable), and erasing a traced
graph's recorded types first."""
from __future__ import annotations

import numpy as np

from jit import types as T
from jit.passes import erase_types, join_types, propagate_types
from jit.passes.type_propagation import _Propagation

from ...helpers import script_source, transformed


def test_refines_through_broadcasts_branches_and_loops():
    scripted, _ = script_source("""
        def f(x, b, flag: bool):
            y = x + b
            if flag:
                z = y * 2.0
            else:
                z = y.astype(np.float64)
            w = y
            for i in range(3):
                w = np.concatenate([w, y], axis=0)
            return z, w, y.sum(axis=0)
    """)
    x, b = T.TensorType(np.float32, (4, 3), "cpu"), T.TensorType(np.float32, (3,), "cpu")
    graph, _ = transformed(scripted, propagate_types, x, b)
    node = {n.kind: n for n in graph.all_nodes()}
    assert node["np::add"].output.type == T.TensorType(np.float32, (4, 3), "cpu")
    assert node["prim::If"].output.type == T.TensorType(None, (4, 3), "cpu"), "float32 and float64 join"
    assert node["prim::Loop"].output.type == T.TensorType(np.float32, (None, 3), "cpu"), "rows grow each time"
    assert str(node["np::sum"].output.type) == "Float(3, device=cpu)"


def test_join_and_erase():
    a, b = T.TensorType(np.float32, (4, 3), "cpu"), T.TensorType(np.float32, (8, 3), "cpu")
    assert join_types(a, b) == T.TensorType(np.float32, (None, 3), "cpu")
    assert join_types(a, T.TensorType(np.float32, (4,), "cpu")) == T.TensorType(np.float32, None, "cpu")
    assert join_types(T.INT, T.NONE) == T.OptionalType(T.INT)
    scripted, _ = script_source("""
        def f(x):
            return x + 1.0
    """)
    graph, _ = transformed(scripted, propagate_types, a)
    erase_types(graph)
    assert all(not getattr(v.type, "is_refined", lambda: False)() for n in graph.all_nodes() for v in n.outputs)
    assert graph.inputs[0].type == T.TENSOR


def test_nested_loops_that_refine_are_propagated_rounds_added_not_multiplied(monkeypatch):
    # Each loop's carried z needs two rounds (its rows shrink); restarting the loops inside
    # at every round of the loops around them took 2 ** depth rounds.
    depth = 12
    lines = ["def f(x, n: int):", "    y = x"]
    for level in range(depth):
        indent = "    " * (level + 1)
        lines += [indent + f"z{level} = x", indent + f"for i{level} in range(n):", indent + f"    z{level} = z{level}[1:]"]
    lines += ["    " * (depth + 1) + "y = y + z0[:1]", "    return y"]
    scripted, _ = script_source("\n".join(lines) + "\n")
    rounds = []
    original = _Propagation.block
    monkeypatch.setattr(_Propagation, "block", lambda self, block: rounds.append(1) or original(self, block))
    graph, _ = transformed(scripted, propagate_types, T.TensorType(np.float32, (64,), "cpu"))
    assert len(rounds) <= 1 + depth * (depth + 3)  # each visit of a loop: its rounds, at most one widening each
    loops = [node for node in graph.all_nodes() if node.kind == "prim::Loop"]
    assert all(loop.outputs[0].type == T.TensorType(np.float32, (None,), "cpu") for loop in loops if loop.outputs)
