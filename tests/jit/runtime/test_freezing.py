"""jit.freeze and jit.optimize_for_inference: eval mode required, results equal
to the unfrozen module, parameters become constants, preserved and assigned
attributes stay, dropout goes, Linear weights are pre-transposed."""
from __future__ import annotations

from typing import List

import numpy as np
import pytest

import jit
import jit.nn.functional as F
from jit import nn

from ...helpers import assert_same, kinds_of


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.drop, self.fc2 = nn.Linear(16, 32), nn.Dropout(0.3), nn.Linear(32, 4)
        self.scale = 2.0
        self.register_buffer("shift", np.full(4, 0.25, np.float32))

    def forward(self, x):
        h = self.drop(F.relu(self.fc1(x)))
        if self.training:
            h = h * 0.5
        return self.fc2(h) * self.scale + self.shift

    @jit.export
    def embed(self, x):
        return self.fc1(x)


class Counter(nn.Module):
    history: List[int]

    def __init__(self):
        super().__init__()
        self.calls = 0
        self.history = []
        self.linear = nn.Linear(3, 3)

    def forward(self, x):
        self.calls += 1
        self.history.append(self.calls)
        return self.linear(x) + float(len(self.history))


X = np.random.default_rng(0).standard_normal((8, 16)).astype(np.float32)


def test_freeze_needs_eval_mode_and_a_script_module():
    with pytest.raises(RuntimeError, match="training mode.*call .eval\\(\\)"):
        jit.freeze(jit.script(Net()))
    with pytest.raises(TypeError, match="takes a ScriptModule"):
        jit.freeze(Net().eval())
    with pytest.raises(AttributeError, match="'nothing'"):
        jit.freeze(jit.script(Net()).eval(), preserved_attrs=["nothing"])


def test_frozen_module_bakes_parameters_and_gives_the_same_results():
    module = jit.script(Net()).eval()
    frozen = jit.freeze(module)
    kinds = kinds_of(frozen.graph)
    assert "prim::GetAttr" not in kinds and "prim::CallMethod" not in kinds and "prim::If" not in kinds
    assert list(frozen.state_dict()) == [] and not hasattr(frozen, "embed")
    assert_same(frozen(X), module(X))
    assert "CONSTANTS.c" in frozen.code
    module.fc1.weight[...] = 0.0  # the constants are the module's arrays, not copies
    assert_same(frozen(X), module(X))


def test_preserved_and_assigned_attributes_stay_attributes():
    module = jit.script(Net()).eval()
    frozen = jit.freeze(module, preserved_attrs=["scale", "embed"])
    assert frozen.scale == 2.0 and "prim::GetAttr" in kinds_of(frozen.graph)
    assert_same(frozen.embed(X), module.embed(X))
    frozen.scale = 3.0
    module.scale = 3.0
    assert_same(frozen(X), module(X))
    counter = jit.script(Counter()).eval()
    frozen_counter = jit.freeze(counter)
    x = np.ones((2, 3), np.float32)
    for _ in range(3):
        assert_same(frozen_counter(x), counter(x))
    assert frozen_counter.calls == 3 and frozen_counter.history == [1, 2, 3]
    assert frozen_counter.history is not counter.history, "the frozen module's lists are its own"


def test_optimize_for_inference_removes_dropout_and_pretransposes_weights():
    module = jit.script(Net()).eval()
    optimized = jit.optimize_for_inference(module)
    kinds = kinds_of(optimized.graph)
    assert "nn::dropout" not in kinds and "nn::linear" not in kinds and kinds.count("np::matmul") == 2
    weights = [n["value"] for n in optimized.graph.all_nodes()
               if n.kind == "prim::Constant" and getattr(n["value"], "ndim", 0) == 2]
    assert sorted(w.shape for w in weights) == [(16, 32), (32, 4)]
    assert all(w.flags.c_contiguous for w in weights)
    np.testing.assert_allclose(optimized(X), module(X), rtol=1e-5, atol=1e-6)
    assert jit.optimize_for_inference(optimized) is optimized, "an already frozen module is optimized in place"
    traced = jit.trace(Net().eval(), X)
    np.testing.assert_allclose(jit.optimize_for_inference(traced)(X), traced(X), rtol=1e-5, atol=1e-6)
