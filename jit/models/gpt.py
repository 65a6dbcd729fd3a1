"""A GPT-2-style transformer written with ``jit.nn``: token and position
embeddings, pre-norm blocks of causal self-attention (softmax over masked
scores) and a GELU MLP with residuals, a final LayerNorm and a head tied to the
token embedding. The names and shapes are GPT-2's (``GPTConfig.gpt2_small()``
has GPT-2 small's); the weights are random (``jit.manual_seed`` makes them
reproducible), so nothing is downloaded.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import jit.nn.functional as F
from jit import nn
from jit.nn import init


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int = 1024
    context: int = 64
    width: int = 128
    heads: int = 4
    layers: int = 2

    @classmethod
    def gpt2_small(cls) -> "GPTConfig":
        return cls(vocab_size=50257, context=1024, width=768, heads=12, layers=12)

    @classmethod
    def tiny(cls) -> "GPTConfig":
        """For tests: every piece of the model, at a size that runs in milliseconds."""
        return cls(vocab_size=96, context=16, width=32, heads=2, layers=2)


class Conv1D(nn.Module):
    """GPT-2's projection, ``x @ weight + bias`` with weight (in, out). Written out
    rather than ``nn.Linear`` so that the bias add is an elementwise node that fuses
    with what follows it (the GELU, the residual add)."""

    __constants__ = ["in_features", "out_features"]

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(init.normal((in_features, out_features)) * np.float32(0.02))
        self.bias = nn.Parameter(np.zeros(out_features, np.float32))

    def forward(self, x):
        return x @ self.weight + self.bias


class CausalSelfAttention(nn.Module):
    __constants__ = ["heads", "head_dim", "scale"]

    def __init__(self, config: GPTConfig, mask):
        super().__init__()
        if config.width % config.heads:
            raise ValueError(f"GPTConfig: width {config.width} is not a multiple of heads {config.heads}")
        self.heads = config.heads
        self.head_dim = config.width // config.heads
        self.scale = 1.0 / math.sqrt(self.head_dim)  # a Python float: the scores stay float32
        self.c_attn = Conv1D(config.width, 3 * config.width)
        self.c_proj = Conv1D(config.width, config.width)
        self.register_buffer("mask", mask)  # 0 on and below the diagonal, -inf above: one array for every block

    def forward(self, x):
        b, t, c = x.shape
        qkv = self.c_attn(x).reshape(b, t, 3, self.heads, self.head_dim).transpose(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = (q @ np.swapaxes(k, -1, -2)) * self.scale + self.mask[:t, :t]
        y = F.softmax(scores, -1) @ v
        return self.c_proj(y.transpose(0, 2, 1, 3).reshape(b, t, c))


class MLP(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = Conv1D(config.width, 4 * config.width)
        self.c_proj = Conv1D(4 * config.width, config.width)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, config: GPTConfig, mask):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.width)
        self.attn = CausalSelfAttention(config, mask)
        self.ln_2 = nn.LayerNorm(config.width)
        self.mlp = MLP(config)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """``GPT(config)(ids)``: logits (batch, tokens, vocab) for integer token ids
    (batch, tokens), tokens at most ``config.context``."""

    def __init__(self, config: GPTConfig = GPTConfig()):
        super().__init__()
        self.config = config
        mask = np.triu(np.full((config.context, config.context), -np.inf, np.float32), 1)
        self.wte = nn.Embedding(config.vocab_size, config.width)
        self.wte.weight *= np.float32(0.02)
        self.wpe = nn.Embedding(config.context, config.width)
        self.wpe.weight *= np.float32(0.01)
        self.h = nn.ModuleList([Block(config, mask) for _ in range(config.layers)])
        self.ln_f = nn.LayerNorm(config.width)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe.weight[:ids.shape[1]]  # the positions 0..t-1: rows of the table
        for block in self.h:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.T  # the head is the token embedding, tied

    def parameter_count(self) -> int:
        return sum(int(p.size) for p in self.parameters())
