"""``jit.nn``: neural-network building blocks for script code.

``jit.nn.functional`` (``F``) holds the functional ops; the Module API of the
contract is built on them.
"""
from . import functional

__all__ = ["functional"]
