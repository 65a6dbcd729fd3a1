"""The tutorial models and a small transformer, scripted and equal to eager."""
from __future__ import annotations

import numpy as np

import jit

from ...helpers import assert_same
from .transformer_block import TinyTransformer
from .tutorial_models import MyCell, MyDecisionGate, MyRNNLoop, WrapRNN

RNG = np.random.default_rng(2024)


def test_decision_gate_and_cell_as_the_tutorial_prints_them():
    jit.manual_seed(0)
    scripted_gate = jit.script(MyDecisionGate())
    cell = MyCell(scripted_gate)
    scripted_cell = jit.script(cell)
    assert "if bool(np.sum(x) > 0):" in scripted_gate.code and "-x" in scripted_gate.code
    code = scripted_cell.code
    assert "dg = self.dg" in code and "linear = self.linear" in code and "return (new_h, new_h)" in code
    assert repr(scripted_cell) == ("RecursiveScriptModule(\n"
                                   "  original_name=MyCell\n"
                                   "  (dg): RecursiveScriptModule(original_name=MyDecisionGate)\n"
                                   "  (linear): RecursiveScriptModule(original_name=Linear)\n"
                                   ")")
    for x in (RNG.random((3, 4)), -RNG.random((3, 4))):  # both branches of the gate
        h = RNG.random((3, 4))
        assert_same(scripted_cell(x, h), cell(x, h))
    assert 'prim::CallMethod[name="forward"]' in str(scripted_cell.graph)
    assert scripted_cell.dg.original_name == "MyDecisionGate" and scripted_cell.dg is scripted_gate


def test_rnn_loop_and_wrapper():
    jit.manual_seed(1)
    loop = MyRNNLoop()
    scripted_loop = jit.script(loop)
    xs = RNG.random((10, 3, 4))
    assert_same(scripted_loop(xs), loop(xs))
    assert "for i in range(" in scripted_loop.code and "cell.forward(xs[i], h" in scripted_loop.code
    wrapper = WrapRNN()
    scripted = jit.script(wrapper)
    assert_same(scripted(xs), wrapper(xs))
    assert repr(scripted) == ("RecursiveScriptModule(\n"
                              "  original_name=WrapRNN\n"
                              "  (loop): RecursiveScriptModule(\n"
                              "    original_name=MyRNNLoop\n"
                              "    (cell): RecursiveScriptModule(\n"
                              "      original_name=MyCell\n"
                              "      (dg): RecursiveScriptModule(original_name=MyDecisionGate)\n"
                              "      (linear): RecursiveScriptModule(original_name=Linear)\n"
                              "    )\n"
                              "  )\n"
                              ")")


def test_transformer_block_matches_eager_in_eval_and_training():
    jit.manual_seed(3)
    model = TinyTransformer(vocab=50, dim=32, heads=4, hidden=64, layers=2, context=16)
    scripted = jit.script(model)
    tokens = RNG.integers(0, 50, size=(2, 10))
    model.eval()
    scripted.eval()
    result = scripted(tokens)
    assert_same(result, model(tokens))
    assert result.dtype == np.float32 and result.shape == (2, 10, 50)
    np.testing.assert_allclose(np.exp(result).sum(axis=-1), 1.0, rtol=1e-5)
    model.train()
    scripted.train()
    jit.manual_seed(9)
    expected = model(tokens)
    jit.manual_seed(9)
    assert_same(scripted(tokens), expected)  # dropout draws the same masks from the same seed
    attention = scripted.blocks[1].attention
    assert "np.where(mask, scores, -1000000000.0)" in attention.code and "math.sqrt(8)" in attention.code
    assert [name for name, _ in scripted.named_parameters()] == [name for name, _ in model.named_parameters()]


def test_causal_mask_makes_earlier_positions_independent_of_later_tokens():
    jit.manual_seed(4)
    scripted = jit.script(TinyTransformer(vocab=20, dim=16, heads=2, hidden=32, layers=1, context=8).eval())
    tokens = RNG.integers(0, 20, size=(1, 6))
    changed = tokens.copy()
    changed[0, -1] = (changed[0, -1] + 1) % 20
    for _ in range(3):  # both calls below run the same (fused) specialization, not profiled vs fused
        scripted(tokens)
    np.testing.assert_array_equal(scripted(tokens)[0, :-1], scripted(changed)[0, :-1])
    assert not np.array_equal(scripted(tokens)[0, -1], scripted(changed)[0, -1])
