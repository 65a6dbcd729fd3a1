"""The layers of jit.nn against NumPy formulas written here, their float32
defaults, reproducible initialisation, containers and reprs."""
from __future__ import annotations

import math

import numpy as np
import pytest

import jit
from jit import nn

from ...helpers import assert_same

X = np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32)


def test_linear_is_x_times_weight_transposed_plus_bias():
    jit.manual_seed(1)
    layer = nn.Linear(6, 3)
    assert layer.weight.shape == (3, 6) and layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    bound = 1 / math.sqrt(6)
    assert np.abs(layer.weight).max() <= bound and np.abs(layer.bias).max() <= bound
    np.testing.assert_allclose(layer(X), X @ layer.weight.T + layer.bias, rtol=1e-6)
    no_bias = nn.Linear(6, 3, bias=False)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    np.testing.assert_allclose(no_bias(X), X @ no_bias.weight.T, rtol=1e-6)
    assert nn.Linear(2, 2, dtype=np.float64).weight.dtype == np.float64
    with pytest.raises(ValueError, match="in_features must be a non-negative int"):
        nn.Linear(-1, 2)


def test_manual_seed_makes_initialisation_reproducible():
    jit.manual_seed(7)
    first = nn.Sequential(nn.Linear(4, 4), nn.Embedding(10, 3))
    jit.manual_seed(7)
    second = nn.Sequential(nn.Linear(4, 4), nn.Embedding(10, 3))
    for (name, a), (_, b) in zip(first.state_dict().items(), second.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    third = nn.Linear(4, 4)
    assert not np.array_equal(third.weight, first[0].weight)
    with pytest.raises(TypeError, match="manual_seed takes an int"):
        jit.manual_seed(1.5)


def test_activations_against_formulas():
    x = X.astype(np.float64)
    erf = np.vectorize(math.erf)
    cases = [(nn.ReLU(), np.maximum(x, 0)), (nn.Tanh(), np.tanh(x)), (nn.Sigmoid(), 1 / (1 + np.exp(-x))),
             (nn.SiLU(), x / (1 + np.exp(-x))), (nn.GELU(), 0.5 * x * (1 + erf(x / math.sqrt(2)))),
             (nn.GELU("tanh"), 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
             (nn.Identity(3, key="ignored"), x)]
    for module, expected in cases:
        np.testing.assert_allclose(module(x), expected, rtol=1e-12, atol=1e-12, err_msg=repr(module))
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        nn.GELU("fast")


def test_softmax_along_its_dim():
    x = X.astype(np.float64)
    for dim in (-1, 0, 1):
        shifted = np.exp(x - x.max(axis=dim, keepdims=True))
        np.testing.assert_allclose(nn.Softmax(dim)(x), shifted / shifted.sum(axis=dim, keepdims=True), rtol=1e-12)
    with pytest.raises(TypeError, match="dim must be an int"):
        nn.Softmax(1.5)


def test_layer_norm_normalises_the_trailing_axes():
    norm = nn.LayerNorm(6, eps=1e-6)
    assert norm.weight.dtype == np.float32 and np.all(norm.weight == 1) and np.all(norm.bias == 0)
    norm.weight = np.linspace(0.5, 1.5, 6).astype(np.float32)
    norm.bias = np.linspace(-1, 1, 6).astype(np.float32)
    x = X.astype(np.float64)
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-6) * norm.weight + norm.bias
    np.testing.assert_allclose(norm(X), expected, rtol=1e-5, atol=1e-5)
    plain = nn.LayerNorm((5, 6), elementwise_affine=False)
    assert plain.weight is None and plain.bias is None and list(plain.parameters()) == []
    flat = x.reshape(-1)
    np.testing.assert_allclose(plain(X), ((flat - flat.mean()) / np.sqrt(flat.var() + 1e-5)).reshape(5, 6),
                               rtol=1e-5, atol=1e-5)


def test_rms_norm_divides_by_the_root_mean_square_and_fuses_when_scripted():
    norm = nn.RMSNorm(6)
    assert norm.eps is None and norm.weight.dtype == np.float32 and np.all(norm.weight == 1)
    norm.weight = np.linspace(0.5, 1.5, 6).astype(np.float32)
    x = X.astype(np.float64)
    eps = np.finfo(np.float32).eps  # None: the input dtype's machine epsilon, as torch's
    expected = x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps) * norm.weight
    np.testing.assert_allclose(norm(X), expected, rtol=1e-5, atol=1e-6)
    plain = nn.RMSNorm((5, 6), eps=1e-3, elementwise_affine=False)
    assert plain.weight is None and list(plain.parameters()) == []
    np.testing.assert_allclose(plain(X), x / np.sqrt((x * x).mean() + 1e-3), rtol=1e-5, atol=1e-6)
    scripted = jit.script(norm)
    for _ in range(3):
        result = scripted(X)
    assert_same(result, norm(X))
    assert "[nn::rms_norm] -> STATIC reduction kernel" in str(jit.explain(scripted, X))
    assert repr(plain) == "RMSNorm((5, 6), eps=0.001, elementwise_affine=False)"


def test_dropout_trains_and_evaluates():
    drop = nn.Dropout(0.5)
    x = np.ones((200, 50), np.float32)
    jit.manual_seed(3)
    y = drop(x)
    assert set(np.unique(y)) == {0.0, 2.0} and 0.4 < (y == 0).mean() < 0.6
    jit.manual_seed(3)
    np.testing.assert_array_equal(drop(x), y)  # the same seed draws the same mask
    drop.eval()
    assert drop(x) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_embedding_selects_rows():
    table = nn.Embedding(10, 4, padding_idx=-1)
    assert table.padding_idx == 9 and np.all(table.weight[9] == 0) and table.weight.dtype == np.float32
    indices = np.array([[1, 9], [3, 3]])
    np.testing.assert_array_equal(table(indices), table.weight[indices])
    with pytest.raises(TypeError, match="embedding indices must be integers"):
        table(np.array([1.0]))
    with pytest.raises(ValueError, match="outside the 10 rows"):
        nn.Embedding(10, 4, padding_idx=10)


def test_sequential_applies_in_order_and_indexes():
    first, second, third = nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2)
    model = nn.Sequential(first, second, third)
    np.testing.assert_array_equal(model(X), third(second(first(X))))
    assert len(model) == 3 and model[0] is first and model[-1] is third and list(model) == [first, second, third]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and list(head) == [first, second]
    named = nn.Sequential({"fc": first, "act": second})
    assert [n for n, _ in named.named_children()] == ["fc", "act"] and named.fc is first
    with pytest.raises(IndexError, match="index 3 is out of range for a Sequential of 3 modules"):
        model[3]
    with pytest.raises(TypeError, match="Sequential holds Modules, not int"):
        nn.Sequential(3)


def test_module_list_and_module_dict():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
    layers.append(nn.ReLU())
    layers.insert(0, nn.Tanh())
    assert [type(m).__name__ for m in layers] == ["Tanh", "Linear", "Linear", "ReLU"]
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2", "3"]
    del layers[1]
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2"] and isinstance(layers[1], nn.Linear)
    layers += [nn.SiLU()]
    assert len(layers) == 4 and isinstance(layers[1:], nn.ModuleList)
    with pytest.raises(NotImplementedError):
        layers(X)
    heads = nn.ModuleDict({"a": nn.ReLU()})
    heads["b"] = nn.Tanh()
    assert list(heads) == ["a", "b"] and "a" in heads and len(heads) == 2
    assert [k for k, _ in heads.items()] == ["a", "b"] and isinstance(heads.pop("a"), nn.ReLU)
    with pytest.raises(KeyError, match="ModuleDict has no module 'z'; its keys are \\['b'\\]"):
        heads["z"]


def test_layer_reprs():
    assert repr(nn.Linear(2, 3, bias=False)) == "Linear(in_features=2, out_features=3, bias=False)"
    assert repr(nn.LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True)"
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.Embedding(5, 2, padding_idx=0)) == "Embedding(5, 2, padding_idx=0)"
    assert repr(nn.Dropout(0.1)) == "Dropout(p=0.1)" and repr(nn.Softmax(0)) == "Softmax(dim=0)"
    assert repr(nn.Sequential(nn.ReLU())) == "Sequential(\n  (0): ReLU()\n)"
