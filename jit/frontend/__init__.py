"""The scripting frontend: Python source of a function to a typed SSA graph.

``compile_function(fn)`` compiles a user function from its source file;
``compile_source(text, name, namespace)`` compiles source held in a string
(code that ``.code`` printed), resolving names only in ``namespace``.
"""
from __future__ import annotations

import ast
import inspect
import textwrap

from jit.errors import CompilationError
from jit.ir import Source

from .annotations import AnnotationResolver
from .emitter import CompiledFunction, FunctionEmitter, ParameterSpec

__all__ = ["CompiledFunction", "ParameterSpec", "code_namespace", "compile_function", "compile_source"]


def code_namespace() -> dict:
    """What the global names of printed code (``PRINTED_GLOBALS``) refer to."""
    import math  # noqa: PLC0415
    import typing  # noqa: PLC0415

    import numpy  # noqa: PLC0415

    import device  # noqa: PLC0415
    import jit  # noqa: PLC0415
    from jit import types  # noqa: PLC0415
    from jit.ir.code_printer import PRINTED_GLOBALS  # noqa: PLC0415
    from jit.nn import functional  # noqa: PLC0415

    namespace = {"np": numpy, "math": math, "F": functional, "jit": jit, "device": device, "Tensor": types.Tensor,
                 "List": typing.List,
                 "Tuple": typing.Tuple, "Dict": typing.Dict, "Optional": typing.Optional}
    assert set(namespace) == set(PRINTED_GLOBALS)
    return namespace


def _closure_namespace(fn) -> dict:
    cells = fn.__closure__ or ()
    namespace = {}
    for name, cell in zip(fn.__code__.co_freevars, cells):
        try:
            namespace[name] = cell.cell_contents
        except ValueError:  # a cell not yet assigned
            continue
    return namespace


def compile_function(fn, self_type=None, defines_attributes=False, extra_names=None) -> CompiledFunction:
    """Compile ``fn``. For a method, ``self_type`` is its class's type, and
    ``defines_attributes`` lets it (``__init__``) declare attributes by assigning them.
    ``extra_names`` resolve before the function's globals (a class being defined
    is not yet bound under its own name)."""
    qualname = getattr(fn, "__qualname__", getattr(fn, "__name__", repr(fn)))
    try:
        lines, first_line = inspect.getsourcelines(fn)
        filename = inspect.getsourcefile(fn) or fn.__code__.co_filename
    except (OSError, TypeError) as error:
        raise CompilationError(f"cannot read the source of {qualname} ({error}); script functions must be "
                               "defined in a file, not typed at an interactive prompt") from None
    text = "".join(lines)
    dedented = textwrap.dedent(text)
    indent = _indent_of(text) - _indent_of(dedented)
    try:
        tree = ast.parse(dedented, type_comments=True)
    except SyntaxError as error:
        raise CompilationError(f"cannot parse the source of {qualname}: {error}") from None
    func_def = tree.body[0] if tree.body else None
    if not isinstance(func_def, ast.FunctionDef):
        raise CompilationError(f"{qualname} is not defined by a 'def' statement (lambdas cannot be scripted)")
    source = Source(filename, text, first_line, qualname)
    emitter = FunctionEmitter(func_def, source, first_line - 1, indent,
                              [extra_names or {}, _closure_namespace(fn), fn.__globals__], qualname, self_type,
                              defines_attributes)
    return emitter.emit_function()


def compile_source(text: str, name: str, namespace: dict, filename: str = "<script code>", *, qualname=None,
                   self_type=None, saved=False, map_device=None) -> CompiledFunction:
    """Compile the function ``name`` that ``text`` defines. ``self_type``: the class of
    a method; ``saved`` and ``map_device``: code read from a file (see AnnotationResolver)."""
    qualname = qualname or name
    try:
        tree = ast.parse(text, type_comments=True)
    except (SyntaxError, ValueError) as error:  # ValueError: a NUL byte in the text
        raise CompilationError(f"cannot parse the code of {qualname}: {error}") from None
    found = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
    if len(found) != 1 or len(tree.body) != 1:
        raise CompilationError(f"the code of {qualname} must define exactly one function, named {name}")
    source = Source(filename, text, 1, qualname)
    resolver = AnnotationResolver(namespace, saved=saved, map_device=map_device)
    return FunctionEmitter(found[0], source, 0, 0, [namespace], qualname, self_type,
                           resolver=resolver).emit_function()


def _indent_of(text: str) -> int:
    for line in text.splitlines():
        if line.strip():
            return len(line) - len(line.lstrip())
    return 0
