"""Where in the user's code the tracer is: the source range of each recorded
node, and warnings that point at the user's file and line.

Nodes are attributed to the innermost frame outside the tracer, the operator
registry and NumPy (so a layer of ``jit.nn`` shows its own line, as TorchScript
shows torch.nn's); warnings go to the innermost frame outside ArrayScript and
NumPy, the line the user wrote.
"""
from __future__ import annotations

import linecache
import os
import sys
import warnings

import numpy as np

import device as _device
from jit.errors import TracerWarning
from jit.ir import Source, SourceRange

_JIT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Plumbing, not code anyone reads for what a node does (jit.nn's layers are not skipped).
_INTERNAL_FOR_NODES = tuple(os.path.join(_JIT_DIR, part) + os.sep for part in ("tracer", "ops", "runtime")) + (
    os.path.join(_JIT_DIR, "nn", "module.py"), os.path.join(_JIT_DIR, "_tracing.py"))
_INTERNAL_FOR_WARNINGS = (_JIT_DIR + os.sep, os.path.dirname(os.path.abspath(_device.__file__)) + os.sep)
_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__)) + os.sep
_sources: dict = {}
_positions: dict = {}


def _internal(filename: str, prefixes) -> bool:
    if filename.startswith("<jit.") or filename.startswith(_NUMPY_DIR) or filename.startswith("<__array_function__"):
        return True
    return filename.startswith(prefixes) or os.path.abspath(filename).startswith(prefixes)


def user_frame(for_warning: bool = False):
    """The innermost frame of the code being traced."""
    prefixes = _INTERNAL_FOR_WARNINGS if for_warning else _INTERNAL_FOR_NODES
    frame = sys._getframe(1)
    while frame is not None and _internal(frame.f_code.co_filename, prefixes):
        frame = frame.f_back
    return frame


def source_range(frame=None) -> SourceRange | None:
    """The span of the expression ``frame`` is executing (the user's by default)."""
    frame = frame if frame is not None else user_frame()
    if frame is None:
        return None
    code = frame.f_code
    key = (code.co_filename, code.co_name)
    source = _sources.get(key)
    if source is None:
        text = "".join(linecache.getlines(code.co_filename, frame.f_globals))
        source = _sources[key] = Source(code.co_filename, text, 1, code.co_name)
    line, end_line, col, end_col = frame.f_lineno, None, 0, None
    positions = _positions.get(code)
    if positions is None:
        positions = _positions[code] = list(code.co_positions())
    index = frame.f_lasti // 2
    if 0 <= index < len(positions) and positions[index][0] is not None:
        line, end_line, col, end_col = positions[index]
    return SourceRange(source, line, col or 0, end_line, end_col)


def warn(message: str):
    """A TracerWarning at the user's line (shown once per line, as warnings are)."""
    frame = user_frame(for_warning=True)
    if frame is None:
        warnings.warn(message, TracerWarning, stacklevel=2)
        return
    registry = frame.f_globals.setdefault("__warningregistry__", {})
    warnings.warn_explicit(message, TracerWarning, frame.f_code.co_filename, frame.f_lineno,
                           module=frame.f_globals.get("__name__", "<traced>"), registry=registry)
