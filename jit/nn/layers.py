"""The layers of the contract. Each ``forward`` is written in the script
language, so scripting a model compiles the layers it uses as they are here;
settings the kernels need at compile time (GELU's ``approximate``, softmax's
``dim``, LayerNorm's shape and eps) are ``__constants__``."""
from __future__ import annotations

import numbers

import numpy as np

import device as _device

from . import functional as F
from . import init
from .module import Module, Parameter


def _on_device(array, device):
    return array if device is None else _device.to(array, device)


def _check_positive_int(value, name, owner):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{owner}: {name} must be a non-negative int, got {value!r}")
    return int(value)


class Identity(Module):
    """Returns its input."""

    def __init__(self, *args, **kwargs):  # accepts and ignores arguments, as torch's Identity
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """``y = x @ weight.T + bias``; weight (out_features, in_features), uniform in
    ±1/sqrt(in_features) as torch initialises it."""

    __constants__ = ["in_features", "out_features"]

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=np.float32):
        super().__init__()
        self.in_features = _check_positive_int(in_features, "in_features", "Linear")
        self.out_features = _check_positive_int(out_features, "out_features", "Linear")
        bound = init.fan_in_bound(self.in_features)
        self.weight = Parameter(_on_device(init.uniform((self.out_features, self.in_features), bound, dtype), device))
        if bias:
            self.bias = Parameter(_on_device(init.uniform((self.out_features,), bound, dtype), device))
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    def forward(self, input):
        return F.relu(input)


class GELU(Module):
    """GELU, exact (``approximate="none"``) or with the tanh approximation."""

    __constants__ = ["approximate"]

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    def forward(self, input):
        return F.silu(input)


class Tanh(Module):
    def forward(self, input):
        return np.tanh(input)


class Sigmoid(Module):
    def forward(self, input):
        return F.sigmoid(input)


class Softmax(Module):
    """Softmax along ``dim`` (the last axis by default)."""

    __constants__ = ["dim"]

    def __init__(self, dim: int = -1):
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
            raise TypeError(f"Softmax: dim must be an int, got {dim!r}")
        self.dim = int(dim)

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LayerNorm(Module):
    """Normalises over the trailing ``normalized_shape`` axes; weight ones and bias
    zeros when ``elementwise_affine``."""

    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device=None, dtype=np.float32):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(normalized_shape)
        self.normalized_shape = tuple(_check_positive_int(s, "normalized_shape", "LayerNorm") for s in shape)
        self.eps = float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        if self.elementwise_affine:
            self.weight = Parameter(_on_device(np.ones(self.normalized_shape, dtype), device))
        else:
            self.register_parameter("weight", None)
        if self.elementwise_affine and bias:
            self.bias = Parameter(_on_device(np.zeros(self.normalized_shape, dtype), device))
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class RMSNorm(Module):
    """Divides by the root mean square over the trailing ``normalized_shape`` axes (torch.nn.RMSNorm);
    ``eps`` None is the dtype's machine epsilon; weight ones when ``elementwise_affine``."""

    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape, eps=None, elementwise_affine: bool = True, device=None, dtype=np.float32):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(normalized_shape)
        self.normalized_shape = tuple(_check_positive_int(s, "normalized_shape", "RMSNorm") for s in shape)
        self.eps = None if eps is None else float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        if self.elementwise_affine:
            self.weight = Parameter(_on_device(np.ones(self.normalized_shape, dtype), device))
        else:
            self.register_parameter("weight", None)

    def forward(self, input):
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class Dropout(Module):
    """Zeroes elements with probability ``p`` while training (scaling the rest by
    1/(1-p)); the identity in eval mode."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = float(p)

    def forward(self, input):
        return F.dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class Embedding(Module):
    """A table of ``num_embeddings`` rows of size ``embedding_dim`` (standard normal;
    the ``padding_idx`` row zero), indexed by integer arrays."""

    __constants__ = ["num_embeddings", "embedding_dim"]

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, device=None,
                 dtype=np.float32):
        super().__init__()
        self.num_embeddings = _check_positive_int(num_embeddings, "num_embeddings", "Embedding")
        self.embedding_dim = _check_positive_int(embedding_dim, "embedding_dim", "Embedding")
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} is outside the {self.num_embeddings} rows")
            padding_idx %= self.num_embeddings
        self.padding_idx = padding_idx
        weight = init.normal((self.num_embeddings, self.embedding_dim), dtype)
        if padding_idx is not None:
            weight[padding_idx] = 0
        self.weight = Parameter(_on_device(weight, device))

    def forward(self, input):
        return F.embedding(input, self.weight)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
