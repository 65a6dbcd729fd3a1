"""Andrej Karpathy's min-char-rnn: the loss and gradients of a character-level
vanilla RNN over one sequence, and sampling from it; ``lossFun`` and ``sample``
unmodified.

Source: https://gist.github.com/karpathy/d4dee566867f8291f086 (min-char-rnn.py,
"Minimal character-level Vanilla RNN model. Written by Andrej Karpathy
(@karpathy)", BSD License). No revision is pinned: the gist's own page was not
at hand, so the functions are its latest text as public copies quote it in full
(2016 notes on CS231n's RNN lecture quote it character for character, the
cs231n link on ``dy[targets[t]] -= 1`` included). The data I/O, the Adagrad
loop, the gradient check and the printing are left out. The module-level model
is defined as the gist defines it, with a small vocabulary and hidden layer
chosen here (the gist takes ``vocab_size`` from its input text and uses
hidden_size = 100), drawn from a seeded generator of its own rather than from
np.random's global one, so that importing this module does not move the global
generator that ``sample`` draws from."""
import numpy as np

# The gist is Python 2: its functions loop over ``xrange``, which Python 3 spells range.
xrange = range

vocab_size = 7
hidden_size = 12 # size of hidden layer of neurons

_generator = np.random.RandomState(1)
# model parameters
Wxh = _generator.randn(hidden_size, vocab_size)*0.01 # input to hidden
Whh = _generator.randn(hidden_size, hidden_size)*0.01 # hidden to hidden
Why = _generator.randn(vocab_size, hidden_size)*0.01 # hidden to output
bh = np.zeros((hidden_size, 1)) # hidden bias
by = np.zeros((vocab_size, 1)) # output bias

def lossFun(inputs, targets, hprev):
  """
  inputs,targets are both list of integers.
  hprev is Hx1 array of initial hidden state
  returns the loss, gradients on model parameters, and last hidden state
  """
  xs, hs, ys, ps = {}, {}, {}, {}
  hs[-1] = np.copy(hprev)
  loss = 0
  # forward pass
  for t in xrange(len(inputs)):
    xs[t] = np.zeros((vocab_size,1)) # encode in 1-of-k representation
    xs[t][inputs[t]] = 1
    hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t-1]) + bh) # hidden state
    ys[t] = np.dot(Why, hs[t]) + by # unnormalized log probabilities for next chars
    ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t])) # probabilities for next chars
    loss += -np.log(ps[t][targets[t],0]) # softmax (cross-entropy loss)
  # backward pass: compute gradients going backwards
  dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
  dbh, dby = np.zeros_like(bh), np.zeros_like(by)
  dhnext = np.zeros_like(hs[0])
  for t in reversed(xrange(len(inputs))):
    dy = np.copy(ps[t])
    dy[targets[t]] -= 1 # backprop into y. see http://cs231n.github.io/neural-networks-case-study/#grad if confused here
    dWhy += np.dot(dy, hs[t].T)
    dby += dy
    dh = np.dot(Why.T, dy) + dhnext # backprop into h
    dhraw = (1 - hs[t] * hs[t]) * dh # backprop through tanh nonlinearity
    dbh += dhraw
    dWxh += np.dot(dhraw, xs[t].T)
    dWhh += np.dot(dhraw, hs[t-1].T)
    dhnext = np.dot(Whh.T, dhraw)
  for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
    np.clip(dparam, -5, 5, out=dparam) # clip to mitigate exploding gradients
  return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs)-1]

def sample(h, seed_ix, n):
  """ 
  sample a sequence of integers from the model 
  h is memory state, seed_ix is seed letter for first time step
  """
  x = np.zeros((vocab_size, 1))
  x[seed_ix] = 1
  ixes = []
  for t in xrange(n):
    h = np.tanh(np.dot(Wxh, x) + np.dot(Whh, h) + bh)
    y = np.dot(Why, h) + by
    p = np.exp(y) / np.sum(np.exp(y))
    ix = np.random.choice(range(vocab_size), p=p.ravel())
    x = np.zeros((vocab_size, 1))
    x[ix] = 1
    ixes.append(ix)
  return ixes


# -- our edits, not the program's -----------------------------------------------------------------
from typing import Dict  # noqa: E402

# The arrays the gist's functions read as globals: script code takes arrays as arguments
# (TorchScript closes over no global tensors), so each edit takes them after its own.
WEIGHTS = (Wxh, Whh, Why, bh, by)


def lossFun_edited(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
  """lossFun with the changes scripting needs: the weights are arguments; the empty dicts
  declare their key and value types; ``loss`` starts as the NumPy float it becomes (not the
  int 0); the backward loop counts down with range's step instead of ``reversed``."""
  xs: Dict[int, np.ndarray] = {}
  hs: Dict[int, np.ndarray] = {}
  ys: Dict[int, np.ndarray] = {}
  ps: Dict[int, np.ndarray] = {}
  hs[-1] = np.copy(hprev)
  loss = np.float64(0)
  # forward pass
  for t in xrange(len(inputs)):
    xs[t] = np.zeros((vocab_size,1)) # encode in 1-of-k representation
    xs[t][inputs[t]] = 1
    hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t-1]) + bh) # hidden state
    ys[t] = np.dot(Why, hs[t]) + by # unnormalized log probabilities for next chars
    ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t])) # probabilities for next chars
    loss += -np.log(ps[t][targets[t],0]) # softmax (cross-entropy loss)
  # backward pass: compute gradients going backwards
  dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
  dbh, dby = np.zeros_like(bh), np.zeros_like(by)
  dhnext = np.zeros_like(hs[0])
  for t in xrange(len(inputs) - 1, -1, -1):
    dy = np.copy(ps[t])
    dy[targets[t]] -= 1 # backprop into y. see http://cs231n.github.io/neural-networks-case-study/#grad if confused here
    dWhy += np.dot(dy, hs[t].T)
    dby += dy
    dh = np.dot(Why.T, dy) + dhnext # backprop into h
    dhraw = (1 - hs[t] * hs[t]) * dh # backprop through tanh nonlinearity
    dbh += dhraw
    dWxh += np.dot(dhraw, xs[t].T)
    dWhh += np.dot(dhraw, hs[t-1].T)
    dhnext = np.dot(Whh.T, dhraw)
  for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
    np.clip(dparam, -5, 5, out=dparam) # clip to mitigate exploding gradients
  return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs)-1]


def sample_edited(h, seed_ix, n, Wxh, Whh, Why, bh, by):
  """sample with the weights as arguments."""
  x = np.zeros((vocab_size, 1))
  x[seed_ix] = 1
  ixes = []
  for t in xrange(n):
    h = np.tanh(np.dot(Wxh, x) + np.dot(Whh, h) + bh)
    y = np.dot(Why, h) + by
    p = np.exp(y) / np.sum(np.exp(y))
    ix = np.random.choice(range(vocab_size), p=p.ravel())
    x = np.zeros((vocab_size, 1))
    x[ix] = 1
    ixes.append(ix)
  return ixes
