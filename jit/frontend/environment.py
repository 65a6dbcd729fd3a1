"""Variable scopes of the frontend, one per block being emitted.

A name binds to a graph Value, a sugared value (a module, a function), or a
``Deferred`` error: a variable defined on only some paths, or with different
types on different paths, is an error only where it is used, as in TorchScript.
"""
from __future__ import annotations


class Deferred:
    """A binding whose use is a compile error with this message."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


class Environment:
    def __init__(self, block, parent: "Environment | None" = None):
        self.block = block
        self.parent = parent
        self.bindings: dict = {}

    def find(self, name):
        """The innermost binding of ``name``, or None."""
        env = self
        while env is not None:
            if name in env.bindings:
                return env.bindings[name]
            env = env.parent
        return None

    def set(self, name: str, binding):
        self.bindings[name] = binding

    def assigned_names(self):
        return list(self.bindings)
