"""Unused attribute reads are removed; used ones stay."""
from __future__ import annotations

import numpy as np

import jit
from jit import nn
from jit import types as T
from jit.ir import Graph, verify
from jit.passes import eliminate_unused_attribute_reads


class Holder:
    pass


def test_removes_only_unused_reads():
    kind = T.ClassType("Holder", Holder)
    kind.attributes = {"a": T.TENSOR, "b": T.TENSOR}
    graph = Graph()
    obj = graph.add_input(kind, "obj")
    used = graph.block.append(graph.create("prim::GetAttr", [obj], [T.TENSOR], name="a")).output
    graph.block.append(graph.create("prim::GetAttr", [obj], [T.TENSOR], name="b"))
    graph.register_output(used)
    assert eliminate_unused_attribute_reads(graph) == 1
    verify(graph)
    assert [(n.kind, n["name"]) for n in graph.block.nodes] == [("prim::GetAttr", "a")]


def test_static_checks_of_attributes_leave_no_reads():
    class Gated(nn.Module):
        def __init__(self):
            super().__init__()
            self.gate = None
            self.layers = nn.ModuleList([nn.ReLU(), nn.ReLU()])

        def forward(self, x):
            if self.gate is None:
                x = x + float(len(self.layers))
            return x

    scripted = jit.script(Gated())
    assert "prim::GetAttr" not in str(scripted.graph)
    np.testing.assert_array_equal(scripted(np.ones(2)), np.full(2, 3.0))
