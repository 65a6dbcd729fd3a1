"""The models of the TorchScript tutorial (seeds 001 and 003), in NumPy with jit.nn."""
from __future__ import annotations

import numpy as np

import jit
from jit import nn


class MyDecisionGate(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x
        else:
            return -x


class MyCell(nn.Module):
    def __init__(self, dg):
        super().__init__()
        self.dg = dg
        self.linear = nn.Linear(4, 4)

    def forward(self, x, h):
        new_h = np.tanh(self.dg(self.linear(x)) + h)
        return new_h, new_h


class MyRNNLoop(nn.Module):
    """The tutorial's loop: script code over a traced cell (whose gate is scripted)."""

    def __init__(self):
        super().__init__()
        x, h = np.random.rand(3, 4).astype(np.float32), np.random.rand(3, 4).astype(np.float32)
        self.cell = jit.trace(MyCell(jit.script(MyDecisionGate())), (x, h))

    def forward(self, xs):
        h, y = np.zeros((3, 4)), np.zeros((3, 4))
        for i in range(xs.shape[0]):
            y, h = self.cell(xs[i], h)
        return y, h


class WrapRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.loop = jit.script(MyRNNLoop())

    def forward(self, xs):
        y, h = self.loop(xs)
        return np.maximum(y, 0)
