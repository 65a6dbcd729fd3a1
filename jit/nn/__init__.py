"""``jit.nn``: neural-network building blocks, eager and scriptable.

``Module`` and ``Parameter`` give the torch.nn.Module surface that scripting
relies on; the layers' forwards are written in the script language;
``jit.nn.functional`` (``F``) holds the functional ops.
"""
from . import functional, init
from .containers import ModuleDict, ModuleList, Sequential
from .init import manual_seed
from .layers import GELU, Dropout, Embedding, Identity, LayerNorm, Linear, ReLU, RMSNorm, SiLU, Sigmoid, Softmax, Tanh
from .module import Module, Parameter

__all__ = ["Dropout", "Embedding", "GELU", "Identity", "LayerNorm", "Linear", "RMSNorm", "Module", "ModuleDict", "ModuleList",
           "Parameter", "ReLU", "Sequential", "SiLU", "Sigmoid", "Softmax", "Tanh", "functional", "init",
           "manual_seed"]
