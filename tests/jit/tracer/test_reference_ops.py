"""Traces keep the NumPy-reference operators (jit.ops.creation, manipulation,
joining, scans, linalg, random): recorded, so a trace follows another input's size.
The oracle is the same function run eagerly."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import jit
from jit import TracerWarning

from ...helpers import assert_same, node_kinds

RNG = np.random.default_rng(11)


def attention(x, w):
    """A causal self-attention step in plain NumPy: heads by np.split and np.hstack,
    the mask by np.tri of the traced length."""
    q, k, v = np.split(x @ w, 3, axis=-1)
    heads = []
    for qh, kh, vh in zip(np.split(q, 2, axis=-1), np.split(k, 2, axis=-1), np.split(v, 2, axis=-1)):
        scores = qh @ kh.T / np.sqrt(qh.shape[-1])
        mask = np.tri(x.shape[0], dtype=bool)
        scores = np.where(mask, scores, -np.inf)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        heads.append(scores / scores.sum(axis=-1, keepdims=True) @ vh)
    return np.hstack(heads)


def features(x):
    return np.cumsum(np.pad(np.flip(x, 0), 1, mode="edge"), axis=0) / np.linalg.norm(x, axis=-1).sum()


@pytest.mark.parametrize("function, width", [(attention, 12), (features, 4)])
def test_a_trace_of_reference_ops_runs_on_another_size(function, width):
    w = RNG.standard_normal((width, 3 * width)) if function is attention else None
    example = (RNG.standard_normal((4, width)),) + ((w,) if w is not None else ())
    other = (RNG.standard_normal((7, width)),) + ((w,) if w is not None else ())
    with warnings.catch_warnings():
        warnings.simplefilter("error", TracerWarning)  # nothing is baked
        traced = jit.trace(function, example)
    assert_same(traced(*other), function(*other))
    kinds = node_kinds(traced)
    expected = {"np::tri", "np::hstack"} if function is attention else {"np::cumsum", "np::pad", "np::flip",
                                                                          "np::linalg.norm"}
    assert expected <= set(kinds), kinds


def test_global_generator_draws_are_recorded():
    def noisy(x):
        return x + np.random.normal(0.0, 1.0, x.shape) + np.random.randint(0, 3, x.shape[-1])

    with pytest.warns(TracerWarning, match="nondeterministic"):
        traced = jit.trace(noisy, (np.zeros((2, 3)),))
    assert {"np::random.normal", "np::random.randint"} <= set(node_kinds(traced))
    np.random.seed(5)
    expected = noisy(np.zeros((4, 3)))
    np.random.seed(5)
    assert_same(traced(np.zeros((4, 3))), expected)


def test_a_generator_made_in_the_trace_is_recorded_with_its_draws():
    """``rng = np.random.default_rng(seed)`` is a graph value: its draws follow the input's size,
    equal eager's for the same seed, and a constant seed is no nondeterminism."""
    def noisy(x, seed: int):
        rng = np.random.default_rng(seed)
        noise = rng.normal(0.0, 1.0, size=x.shape)
        return (x + noise, rng.integers(0, 10, size=(x.shape[0],)), rng.uniform(-1.0, 1.0, 3),
                rng.standard_normal(x.shape[-1]), rng.random((2, 2)))

    with pytest.warns(TracerWarning, match="nondeterministic"):  # a seed that is an input may be anything
        traced = jit.trace(noisy, (np.zeros((2, 3)), 0))
    kinds = set(node_kinds(traced))
    assert {"np::random.default_rng", "np::random.Generator.normal", "np::random.Generator.integers",
            "np::random.Generator.uniform", "np::random.Generator.standard_normal", "np::random.Generator.random"} <= kinds
    for x, seed in ((np.zeros((4, 5)), 3), (np.ones((2, 3)), 0)):
        assert_same(traced(x, seed), noisy(x, seed))

    def seeded(x):
        return x * np.random.default_rng(7).standard_normal(x.shape)

    with warnings.catch_warnings():
        warnings.simplefilter("error", TracerWarning)  # a constant seed: the same draws on every call
        traced = jit.trace(seeded, (np.ones(3),), check_inputs=[(np.ones(5),)])
    assert_same(traced(np.ones(6)), seeded(np.ones(6)))


def test_a_generator_method_outside_the_registry_is_a_clear_tracing_error():
    def shuffled(x):
        rng = np.random.default_rng(0)
        return x + rng.pareto(2.0, x.shape)

    with pytest.raises(jit.TracingError, match="rng.pareto is not in the operator registry"):
        jit.trace(shuffled, (np.ones(3),))
