"""Indexing a plain array by a traced index: ``wte[ids]``, ``wpe[range(len(ids))]``,
``table[:n]`` where the table is a constant of the traced code (a closure, a
global, an argument of an inner function) rather than an input.

NumPy gives an index object no protocol to take over ``ndarray[index]``: it
converts the index (``__array__``, ``__index__``) and computes a plain array,
and every NumPy operation on plain arrays after that is invisible to the
trace. So this cannot be recorded; what the tracer can do is say exactly that,
at the user's line, naming the table and the way that is recorded (the table
as an input of the traced function, or a module's parameter). It recognises the
case from the instruction the user's frame is executing (a ``BINARY_SUBSCR``)
and the subscript's source, whose container it evaluates only if that is free
of side effects (names, and attributes of modules and plain objects).
"""
from __future__ import annotations

import ast
import dis
import linecache
import types

import device as _device

from . import locations

_SUBSCRIPT = dis.opmap.get("BINARY_SUBSCR")


class _Unsupported(Exception):
    pass


def plain_container(frame):
    """If ``frame`` is executing ``table[...]`` on a plain array ``table``, the
    container's source text (for the warning), else None."""
    code = frame.f_code
    if _SUBSCRIPT is None or frame.f_lasti < 0 or code.co_code[frame.f_lasti] != _SUBSCRIPT:
        return None
    expression = _subscript_expression(frame)
    if expression is None:
        return None
    try:
        container = _evaluate(expression.value, frame)
    except Exception:  # noqa: BLE001 - not a plain name or attribute: say nothing more
        return None
    return ast.unparse(expression.value) if _device.is_array(container) else None


def warn_plain_subscript(recorder, frame) -> bool:
    """A traced index (or slice bound) into a plain array: NumPy computes a plain
    array, which the trace cannot follow. Say so, naming the table; True if it was that."""
    container = plain_container(frame)
    if container is None:
        return False
    recorder.note_bake()
    locations.warn(f"indexing the plain array '{container}' (a constant of the traced code, not an input) with a "
                   "traced index or slice bound gives NumPy's plain array: ndarray indexing has no hook for the "
                   "index (np.take does not dispatch on it either), so the trace bakes the result as a constant "
                   "and will not generalize. Pass the array to the traced function as an input (in a module: a "
                   "parameter or buffer), so that it is traced and its indexing recorded")
    return True


def _subscript_expression(frame):
    """The ast.Subscript the frame's current instruction evaluates, from its source."""
    code = frame.f_code
    positions = list(code.co_positions())
    index = frame.f_lasti // 2
    if not 0 <= index < len(positions) or None in positions[index]:
        return None
    line, end_line, column, end_column = positions[index]
    lines = linecache.getlines(code.co_filename, frame.f_globals)
    if end_line > len(lines):
        return None
    chunk = [text.encode() for text in lines[line - 1:end_line]]
    chunk[-1] = chunk[-1][:end_column]
    chunk[0] = chunk[0][column:]
    try:
        tree = ast.parse("(" + b"".join(chunk).decode() + ")", mode="eval")
    except (SyntaxError, UnicodeDecodeError):
        return None
    return tree.body if isinstance(tree.body, ast.Subscript) else None


def _evaluate(node, frame):
    """A name or attribute chain evaluated in ``frame``, without running user code."""
    if isinstance(node, ast.Name):
        for namespace in (frame.f_locals, frame.f_globals, frame.f_builtins):
            if node.id in namespace:
                return namespace[node.id]
        raise _Unsupported(node.id)
    if isinstance(node, ast.Attribute):
        base = _evaluate(node.value, frame)
        if isinstance(base, types.ModuleType):
            return getattr(base, node.attr)
        instance = getattr(base, "__dict__", None)
        if isinstance(instance, dict) and node.attr in instance:
            return instance[node.attr]
    raise _Unsupported(type(node).__name__)
