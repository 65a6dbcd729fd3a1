"""``jit.nn.functional`` (imported as ``F``): the neural-network functions of the
contract, in eager code and in script code.

Each function is the eager face of its registered operator (``nn::gelu``...):
calling it runs the op's one implementation on the array's device, and script
code that calls it compiles to that op. ``F.tanh`` is ``np.tanh`` itself.
"""
from __future__ import annotations

import numpy as np

from jit import ops

_NAMES = ("relu", "gelu", "silu", "sigmoid", "softmax", "log_softmax", "logsumexp", "layer_norm", "rms_norm",
          "linear", "dropout", "embedding")

for _name in _NAMES:
    _op = ops.lookup(f"nn::{_name}")
    _function = ops.python_function(_op, _name)
    _function.__module__ = __name__
    globals()[_name] = _function
    ops.add_spelling(_op, ops.Spelling("function", f"F.{_name}", _function))

tanh = np.tanh

__all__ = list(_NAMES) + ["tanh"]
