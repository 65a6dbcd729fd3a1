"""Whether an array value can be seen outside the ops that read it.

Rewrites that forward a value (``x * 1`` becomes ``x``) or merge two equal ones
(common subexpressions) make two names share one array. That is invisible while
the array only feeds ops that read it and make a new result; it is visible once
the array is returned, stored in a container or attribute, handed to a call or a
Python function, or read through a view that is itself visible: the caller could
write to it and see the change in the other.
"""
from __future__ import annotations

from jit import types as T
from jit.ir import Value


def escapes(value: Value) -> bool:
    """Whether ``value`` (or a view of it) may be seen beyond pure reads."""
    for use in value.uses:
        user = use.user
        op = user.op
        if op is None or op.structural or op.side_effects:
            return True  # a block return, a call, an attribute store, print...
        if op.aliases:
            if any(escapes(output) for output in user.outputs):
                return True
        elif any(_holds_arrays(output.type) for output in user.outputs):
            return True  # built into a tuple, list or dict
    return False


def _holds_arrays(kind: T.Type) -> bool:
    return kind.contains_tensor() and not isinstance(kind, T.TensorType)
