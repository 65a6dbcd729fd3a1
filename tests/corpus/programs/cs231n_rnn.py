"""A CS231n (Stanford) assignment-3 solution: RNN and LSTM layers, forward
passes, unmodified (docstrings and the assignment's banner comments shortened).

Source: https://github.com/adambielski/cs231n/blob/6806d96cefc4070939b0899b5ce498b25438e252/assignment3/cs231n/rnn_layers.py
(course code by Stanford CS231n; the solution parts by Adam Bielski)."""
import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
  """Run the forward pass for a single timestep of a vanilla RNN that uses a tanh activation function."""
  next_h, cache = None, None
  sum_h = x.dot(Wx) + prev_h.dot(Wh) + b
  next_h = np.tanh(sum_h)
  cache = (x, prev_h, Wx, Wh, b, sum_h)
  return next_h, cache


def rnn_forward(x, h0, Wx, Wh, b):
  """Run a vanilla RNN forward on an entire sequence of data."""
  h, cache = None, None
  N, T, D = x.shape
  _, H = h0.shape
  h = np.zeros((N, T, H))
  caches = []
  h[:,0,:], cache = rnn_step_forward(x[:,0,:], h0, Wx, Wh, b)
  caches.append(cache)
  for t in range(1, T):
    h[:,t,:], cache = rnn_step_forward(x[:,t,:], h[:,t-1,:], Wx, Wh, b)
    caches.append(cache)
  cache = caches
  return h, cache


def word_embedding_forward(x, W):
  """Forward pass for word embeddings."""
  out, cache = None, None
  out = W[x]
  cache = (x, W)
  return out, cache


def sigmoid(x):
  """
  A numerically stable version of the logistic sigmoid function.
  """
  pos_mask = (x >= 0)
  neg_mask = (x < 0)
  z = np.zeros_like(x)
  z[pos_mask] = np.exp(-x[pos_mask])
  z[neg_mask] = np.exp(x[neg_mask])
  top = np.ones_like(x)
  top[neg_mask] = z[neg_mask]
  return top / (1 + z)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
  """Forward pass for a single timestep of an LSTM."""
  next_h, next_c, cache = None, None, None
  a = x.dot(Wx) + prev_h.dot(Wh) + b
  N, H = prev_h.shape
  sigm = sigmoid(a[:,:3*H])
  i, f, o = sigm[:,:H], sigm[:,H:2*H], sigm[:,2*H:3*H]
  g = np.tanh(a[:,3*H:])
  next_c = f * prev_c + i * g
  next_h = o * np.tanh(next_c)
  cache = (x, prev_h, prev_c, next_c, next_h, Wx, Wh, b, a, f, i, o, g)
  return next_h, next_c, cache


# -- our edit, not the program's ------------------------------------------------------------------
from typing import List, Tuple  # noqa: E402

_Cache = Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def rnn_forward_edited(x, h0, Wx, Wh, b):
  """rnn_forward with the two changes scripting needs: the empty list's element type is declared,
  and the list is returned directly instead of being rebound to ``cache`` (a tuple until then)."""
  h, cache = None, None
  N, T, D = x.shape
  _, H = h0.shape
  h = np.zeros((N, T, H))
  caches: List[_Cache] = []
  h[:,0,:], cache = rnn_step_forward(x[:,0,:], h0, Wx, Wh, b)
  caches.append(cache)
  for t in range(1, T):
    h[:,t,:], cache = rnn_step_forward(x[:,t,:], h[:,t-1,:], Wx, Wh, b)
    caches.append(cache)
  return h, caches
