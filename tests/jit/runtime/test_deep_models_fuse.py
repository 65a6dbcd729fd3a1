"""A deep model fuses in every block: shapes fold through the whole model, so the
sixth block fuses as the first does (a bounded number of simplification rounds
once stopped at the third block)."""
from __future__ import annotations

import numpy as np

import jit
from jit.models.gpt import GPT, GPTConfig


def _fusion_groups(graph) -> int:
    return sum(node.kind == "prim::FusionGroup" for node in graph.all_nodes())


def test_every_block_of_a_six_block_model_fuses():
    shallow = jit.script(GPT(GPTConfig(vocab_size=64, context=8, width=16, heads=2, layers=1)).eval())
    deep = jit.script(GPT(GPTConfig(vocab_size=64, context=8, width=16, heads=2, layers=6)).eval())
    ids = np.random.default_rng(0).integers(0, 64, (2, 8))
    per_block = None
    for model in (shallow, deep):
        model(ids)
        model(ids)
        groups = _fusion_groups(jit.last_executed_optimized_graph())
        if per_block is None:
            per_block = groups
        else:
            assert groups >= 6 * (per_block - 1), groups  # the head's group, and each block's
