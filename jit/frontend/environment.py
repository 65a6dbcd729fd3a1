"""Variable scopes of the frontend, one per block being emitted.

A name binds to a graph Value, a sugared value (a module, a function), a
``Refinement`` (the value seen through an Optional check), or a ``Deferred``
error: a variable defined on only some paths, or with different types on
different paths, is an error only where it is used, as in TorchScript.
"""
from __future__ import annotations


class Deferred:
    """A binding whose use is a compile error with this message."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


class Refinement:
    """A binding that narrows a variable's type (``x`` after ``x is not None``)
    without assigning it: branch merging ignores it, and assignments are checked
    against the variable's own type (``source``'s), not the narrowed one."""

    __slots__ = ("value", "source")

    def __init__(self, value, source):
        self.value, self.source = value, source


class Environment:
    def __init__(self, block, parent: "Environment | None" = None):
        self.block = block
        self.parent = parent
        self.bindings: dict = {}

    def _binding(self, name):
        env = self
        while env is not None:
            if name in env.bindings:
                return env.bindings[name]
            env = env.parent
        return None

    def find(self, name):
        """The innermost binding of ``name`` (a refinement gives its refined value), or None."""
        binding = self._binding(name)
        return binding.value if isinstance(binding, Refinement) else binding

    def declared(self, name):
        """The value whose type assignments to ``name`` must keep: the binding itself,
        or for a refinement the value it narrows."""
        binding = self._binding(name)
        return binding.source if isinstance(binding, Refinement) else binding

    def set(self, name: str, binding):
        self.bindings[name] = binding

    def assigned_names(self):
        """Names assigned in this scope (refinements are not assignments)."""
        return [name for name, binding in self.bindings.items() if not isinstance(binding, Refinement)]
