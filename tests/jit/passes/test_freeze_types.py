"""Frozen parameters are typed constants (issue 20): the constants jit.freeze makes
keep their dtype and shape through specialization, so the elementwise work of a
frozen jit.nn model fuses, with eager's results."""
from __future__ import annotations

import numpy as np

import jit
from jit import nn
from jit import types as T

from ...helpers import assert_same, kinds_of


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(8, 16), nn.Linear(16, 4)

    def forward(self, x):
        h = np.tanh(self.fc1(x)) * 2.0 + 1.0
        return self.fc2(h) * 0.5 + 1.0


def _array_constants(graph):
    return [node for node in graph.all_nodes() if node.kind == "prim::Constant" and hasattr(node["value"], "shape")]


def test_frozen_parameters_are_constants_with_dtype_and_shape():
    model = MLP().eval()
    frozen = jit.freeze(jit.script(model))
    constants = _array_constants(frozen.graph)
    assert len(constants) == 4
    for node in constants:
        value = node["value"]
        assert node.output.type == T.TensorType(value.dtype, value.shape, "cpu")


def test_frozen_mlp_fuses_its_elementwise_ops_and_matches_eager():
    model = MLP().eval()
    frozen = jit.freeze(jit.script(model))
    x = np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32)
    for _ in range(3):  # profiled, then specialized
        assert_same(frozen(x), model(x))
    specialized = frozen.graph_for(x)
    assert kinds_of(specialized).count("prim::FusionGroup") == 2
    for node in _array_constants(specialized):  # specialization kept what freezing knew
        assert node.output.type.dtype == node["value"].dtype and node.output.type.shape == node["value"].shape
    assert_same(frozen(2 * x), model(2 * x))
