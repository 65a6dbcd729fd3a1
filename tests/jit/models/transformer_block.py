"""A small decoder-only transformer written with jit.nn: token and position
embeddings, pre-norm blocks of causal multi-head attention and a GELU MLP with
residuals, a final LayerNorm and log-softmax over the vocabulary."""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

import jit
import jit.nn.functional as F
from jit import nn


class SelfAttention(nn.Module):
    __constants__ = ["heads", "head_dim"]

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.softmax = nn.Softmax(-1)

    def forward(self, x, mask: Optional[jit.Tensor] = None):
        batch, seq, dim = x.shape
        qkv = self.qkv(x).reshape(batch, seq, 3, self.heads, self.head_dim).transpose(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = q @ k.swapaxes(-1, -2) / math.sqrt(self.head_dim)
        if mask is not None:
            scores = np.where(mask, scores, -1e9)
        context = (self.softmax(scores) @ v).transpose(0, 2, 1, 3).reshape(batch, seq, dim)
        return self.out(context)


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, hidden: int, dropout: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attention = SelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim), nn.Dropout(dropout))

    def forward(self, x, mask: Optional[jit.Tensor] = None):
        x = x + self.attention(self.norm1(x), mask)
        return x + self.mlp(self.norm2(x))


class TinyTransformer(nn.Module):
    def __init__(self, vocab: int, dim: int, heads: int, hidden: int, layers: int, context: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.position = nn.Parameter((np.random.standard_normal((context, dim)) * 0.02).astype(np.float32))
        self.blocks = nn.ModuleList([Block(dim, heads, hidden, 0.1) for _ in range(layers)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab)

    def forward(self, tokens):
        seq = tokens.shape[1]
        x = self.embed(tokens) + self.position[:seq]
        positions = np.arange(seq)
        mask = positions[:, None] >= positions[None, :]
        for block in self.blocks:
            x = block(x, mask)
        return F.log_softmax(self.head(self.norm(x)), dim=-1)
