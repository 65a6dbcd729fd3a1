"""Tracing keeps what it can: traced index arrays, slice bounds that are traced
sizes, ``len`` and ``range`` of traced arrays, arithmetic on sizes and Python-number
inputs are recorded, so a trace on one size runs right on another; what must be
baked says so, and a trace that baked its whole output is a TracingCheckError."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import jit
from jit import TracerWarning, TracingCheckError, nn

from ...helpers import assert_same

N_HEAD, EMBED, VOCAB, CONTEXT = 2, 8, 11, 16


def traced_clean(function, example):
    """``jit.trace`` with every TracerWarning an error: nothing baked."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", TracerWarning)
        return jit.trace(function, example)


def agrees(traced, function, *argument_sets):
    for arguments in argument_sets:
        assert_same(traced(*arguments), function(*arguments))


# -- a GPT-2-style forward pass in plain NumPy -------------------------------------------------------
def layer_norm(x, g, b, eps=1e-5):
    mean = np.mean(x, axis=-1, keepdims=True)
    variance = np.var(x, axis=-1, keepdims=True)
    return g * (x - mean) / np.sqrt(variance + eps) + b


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def attention(q, k, v, mask):
    return softmax(q @ k.T / np.sqrt(q.shape[-1]) + mask) @ v


def gpt2(ids, p):
    x = p["wte"][ids] + p["wpe"][range(len(ids))]
    h = layer_norm(x, p["g1"], p["b1"])
    q, k, v = np.split(h @ p["w_qkv"], 3, axis=-1)
    mask = (1 - np.tri(x.shape[0], dtype=x.dtype)) * -1e10
    heads = [attention(qh, kh, vh, mask) for qh, kh, vh in
             zip(np.split(q, N_HEAD, axis=-1), np.split(k, N_HEAD, axis=-1), np.split(v, N_HEAD, axis=-1))]
    x = x + np.hstack(heads) @ p["w_out"]
    return layer_norm(x, p["g2"], p["b2"]) @ p["wte"].T


def gpt2_params(rng):
    def weights(*shape):
        return 0.3 * rng.standard_normal(shape)
    return {"wte": weights(VOCAB, EMBED), "wpe": weights(CONTEXT, EMBED), "w_qkv": weights(EMBED, 3 * EMBED),
            "w_out": weights(EMBED, EMBED), "g1": 1 + weights(EMBED), "b1": weights(EMBED),
            "g2": 1 + weights(EMBED), "b2": weights(EMBED)}


def test_gpt2_forward_traced_once_runs_on_other_lengths():
    rng = np.random.default_rng(0)
    params = gpt2_params(rng)
    traced = traced_clean(gpt2, (rng.integers(0, VOCAB, 5), params))
    agrees(traced, gpt2, *[(rng.integers(0, VOCAB, length), params) for length in (5, 1, 9, CONTEXT)])
    other = gpt2_params(rng)  # the weights are inputs too
    agrees(traced, gpt2, (rng.integers(0, VOCAB, 7), other))


def test_module_embedding_lookup_by_token_ids():
    class Embedding(nn.Module):
        def __init__(self, rng):
            super().__init__()
            self.register_buffer("wte", rng.standard_normal((VOCAB, EMBED)))
            self.register_buffer("wpe", rng.standard_normal((CONTEXT, EMBED)))

        def forward(self, ids):
            return self.wte[ids] + self.wpe[:len(ids)]

    rng = np.random.default_rng(5)
    module = Embedding(rng)
    traced = traced_clean(module, (rng.integers(0, VOCAB, 4),))
    for length in (4, 1, 11):
        ids = rng.integers(0, VOCAB, length)
        assert_same(traced(ids), module(ids))


# -- a KV-cache attention step -----------------------------------------------------------------------
def kv_step(x, w_qkv, k_cache, v_cache, pos):
    """One decoding step of L new tokens at position ``pos`` (a number input)."""
    q, k, v = np.split(x @ w_qkv, 3, axis=-1)
    length = len(x)
    k_cache[pos:pos + length] = k
    v_cache[pos:pos + length] = v
    keys, values = k_cache[:pos + length], v_cache[:pos + length]
    scores = q @ keys.T / math.sqrt(q.shape[-1])
    visible = np.arange(pos + length)[None, :] <= (pos + np.arange(length))[:, None]
    scores = np.where(visible, scores, -1e10)
    return softmax(scores) @ values


def _kv_arguments(rng, length, pos):
    return (rng.standard_normal((length, EMBED)), 0.3 * rng.standard_normal((EMBED, 3 * EMBED)),
            rng.standard_normal((CONTEXT, EMBED)), rng.standard_normal((CONTEXT, EMBED)), pos)


def test_kv_cache_step_traced_once_runs_at_other_positions_and_lengths():
    rng = np.random.default_rng(1)
    traced = traced_clean(kv_step, _kv_arguments(rng, 2, 3))
    for length, pos in ((2, 3), (1, 0), (3, 9), (4, 12)):
        arguments = _kv_arguments(rng, length, pos)
        mine = [a.copy() if isinstance(a, np.ndarray) else a for a in arguments]
        assert_same(traced(*mine), kv_step(*arguments))
        assert_same(mine[2], arguments[2])  # the cache write reached the caller's array
        assert_same(mine[3], arguments[3])


# -- one construct each --------------------------------------------------------------------------------
CASES = {
    "len": (lambda x: x / len(x), [(4, 3), (7, 3)]),
    "len in reshape": (lambda x: x.reshape(len(x), -1), [(4, 3, 2), (5, 3, 2)]),
    "range as index": (lambda x: x[range(len(x) - 1)], [(4, 3), (6, 3)]),
    "range of start and stop": (lambda x: x[range(1, x.shape[0])] * 2, [(4, 3), (6, 2)]),
    "slice bound": (lambda x: x[:x.shape[0] // 2], [(4, 3), (9, 3)]),
    "slice bound arithmetic": (lambda x: x[:, 1:x.shape[1] - 1], [(2, 5), (3, 8)]),
    "np.sqrt of a size": (lambda x: x / np.sqrt(x.shape[-1]), [(3, 4), (3, 9)]),
    "math.sqrt of a size": (lambda x: x / math.sqrt(x.shape[-1]), [(3, 4), (3, 9)]),
    "floor division of sizes": (lambda x: x.reshape(x.shape[0], x.shape[1] // 2, 2), [(3, 4), (2, 10)]),
    "size in a product": (lambda x: x * (x.shape[0] * 1.5), [(3, 4), (5, 4)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_sizes_recorded(name):
    function, shapes = CASES[name]
    rng = np.random.default_rng(2)
    example, other = (rng.standard_normal(shape) for shape in shapes)
    traced = traced_clean(function, (example,))
    agrees(traced, function, (example,), (other,))


def test_index_arrays_and_masks_recorded():
    rng = np.random.default_rng(3)

    def gather(table, ids, mask):
        return table[ids].sum(axis=0) + table[:, ids[:2]].sum() + table[mask].sum() + table[1:, ids[0], None].sum()

    def arguments(rows, count):
        table = rng.standard_normal((rows, 6))
        return table, rng.integers(0, 6, count), table[:, 0] > 0

    traced = traced_clean(gather, arguments(5, 3))
    agrees(traced, gather, arguments(5, 3), arguments(8, 4))


def test_python_numbers_are_inputs():
    def log_likelihood(data, mean, sigma, scale, center):
        s = (data - mean) ** 2 / (2 * (sigma ** 2))
        pdfs = np.exp(-s) / np.sqrt(2 * np.pi * sigma ** 2)
        return scale * np.log(pdfs).sum() if center else np.log(pdfs).sum()

    rng = np.random.default_rng(4)
    data = rng.standard_normal(50)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        traced = jit.trace(log_likelihood, (data, 0.1, 3.0, 2, True))
    baked = [w for w in caught if issubclass(w.category, TracerWarning)]
    assert len(baked) == 1 and "Python bool" in str(baked[0].message)  # the 'if' on center
    assert [p.type.annotation_str() for p in traced.graph.inputs][1:] == ["float", "float", "int", "bool"]
    agrees(traced, log_likelihood, (data, 0.1, 3.0, 2, True), (rng.standard_normal(9), -0.5, 1.5, 7, True))


def test_python_loop_over_a_traced_range_bakes_with_a_warning():
    def total(x, steps):
        for _ in range(steps):
            x = x * 2
        return x

    with pytest.warns(TracerWarning, match="for loop"):
        traced = jit.trace(total, (np.ones(3), 3))
    assert_same(traced(np.ones(3), 3), total(np.ones(3), 3))


def test_output_cut_off_by_a_bake_is_a_check_error():
    def through_python(x):
        return np.tanh(np.asarray(x.tolist()))

    with pytest.raises(TracingCheckError, match=r"does not depend on any of its inputs.*test_fidelity\.py:\d+"):
        jit.trace(through_python, (np.ones(3),))
    with pytest.warns(TracerWarning):  # without the check it is the warning it was
        jit.trace(through_python, (np.ones(3),), check_trace=False)


def test_module_output_cut_off_by_a_bake_is_a_check_error():
    class ThroughPython(nn.Module):
        def forward(self, x):
            return np.tanh(np.array(x.tolist()))

    with pytest.raises(TracingCheckError, match=r"ThroughPython\.forward does not depend.*test_fidelity\.py:\d+"):
        jit.trace(ThroughPython(), (np.ones(3),))


def test_constant_function_stays_allowed():
    def constant(x):
        return np.arange(3.0) * 2

    with pytest.warns(TracerWarning, match="did not compute from its inputs"):
        traced = jit.trace(constant, (np.ones(3),))
    assert_same(traced(np.ones(5)), constant(np.ones(5)))


def test_plain_table_indexed_by_a_traced_index_says_how_to_keep_it():
    table = np.arange(12.0).reshape(6, 2)

    def lookup(ids):
        return table[ids] * 2

    with pytest.warns(TracerWarning, match=r"plain array 'table'.*as an input"):
        jit.trace(lookup, (np.array([1, 2]),), check_trace=False)
    with pytest.raises(TracingCheckError, match=r"test_fidelity\.py:\d+"):  # its output is that constant
        jit.trace(lookup, (np.array([1, 2]),))

    def lookup_in(table, ids):
        return table[ids] * 2

    traced = traced_clean(lookup_in, (table, np.array([1, 2])))
    agrees(traced, lookup_in, (table, np.array([1, 2])), (table[:4], np.array([3, 0, 3])))
