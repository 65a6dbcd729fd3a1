"""The scripting frontend: Python source of a function to a typed SSA graph.

``compile_function(fn)`` compiles a user function from its source file;
``compile_source(text, name, namespace)`` compiles source held in a string
(code that ``.code`` printed), resolving names only in ``namespace``.
"""
from __future__ import annotations

import ast
import contextlib
import gc
import inspect
import textwrap

from jit.errors import CompilationError
from jit.ir import MAX_BLOCK_DEPTH, Source, block_depth

from .annotations import AnnotationResolver
from .emitter import CompiledFunction, FunctionEmitter, ParameterSpec
from .fstring_pieces import cut_long_fstrings

__all__ = ["MAX_SAVED_CODE", "MAX_SAVED_CODE_TOTAL", "CompiledFunction", "ParameterSpec", "code_namespace", "compile_function", "compile_source"]

# The deepest nesting of statements and expressions compiled. CPython's parser itself
# refuses 200 nested parentheses (and 100 indentation levels); the emitter recurses
# about 4 Python frames per level, which keeps it within the default recursion limit.
MAX_NESTING = 200
# Compiling takes memory in proportion to the code: up to about 1 KB per character for
# the densest code (``[0,0,0,...]``: CPython's parser alone peaks near 500 B per
# character), 200-300 B for printed code. Saved code is bounded so that loading a file
# cannot take more than about a gigabyte to compile one function; the largest method a
# 12-layer transformer saves is about 1 KB, traced or scripted.
MAX_SAVED_CODE = 1 << 20
MAX_SAVED_CODE_TOTAL = 4 << 20  # all the functions of one file
_CHILDLESS = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
_LEAVES = (ast.Constant, ast.Name)


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
    with _no_cycle_collection():
        tree = _parse(dedented, f"the source of {qualname}", first_line - 1)
    func_def = tree.body[0] if tree.body else None
    if not isinstance(func_def, ast.FunctionDef):
        raise CompilationError(f"{qualname} is not defined by a 'def' statement (lambdas cannot be scripted)")
    source = Source(filename, text, first_line, qualname)
    emitter = FunctionEmitter(func_def, source, first_line - 1, indent,
                              [extra_names or {}, _closure_namespace(fn), fn.__globals__], qualname, self_type,
                              defines_attributes)
    with _no_cycle_collection():
        return _emit(emitter, f"the source of {qualname}")


def compile_source(text: str, name: str, namespace: dict, filename: str = "<script code>", *, qualname=None,
                   self_type=None, saved=False, map_device=None) -> CompiledFunction:
    """Compile the function ``name`` that ``text`` defines. ``self_type``: the class of
    a method; ``saved`` and ``map_device``: code read from a file (see AnnotationResolver)."""
    qualname = qualname or name
    if saved and len(text) > MAX_SAVED_CODE:
        raise CompilationError(f"the code of {qualname} is {len(text)} characters long; saved code may hold at most "
                               f"{MAX_SAVED_CODE} per function")
    with _no_cycle_collection():
        tree = _parse(text, f"the code of {qualname}", 0)
        found = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
        if len(found) != 1 or len(tree.body) != 1:
            raise CompilationError(f"the code of {qualname} must define exactly one function, named {name}")
        source = Source(filename, text, 1, qualname)
        resolver = AnnotationResolver(namespace, saved=saved, map_device=map_device)
        return _emit(FunctionEmitter(found[0], source, 0, 0, [namespace], qualname, self_type, resolver=resolver),
                     f"the code of {qualname}")


@contextlib.contextmanager
def _no_cycle_collection():
    """Compiling makes objects by the hundred thousand and frees few: each of the cycle
    collector's full passes would scan them all (and all else alive), a cost that grew
    faster than the code (a third of the time of a 100,000-part f-string). Reference
    counting still frees what it can; the collector resumes after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse(text: str, what: str, line_offset: int) -> ast.Module:
    """The AST of ``text``; a CompilationError when it does not parse or nests deeper than MAX_NESTING."""
    try:
        tree = ast.parse(cut_long_fstrings(text), type_comments=True)
    except (SyntaxError, ValueError) as error:  # ValueError: a NUL byte in the text
        raise CompilationError(f"cannot parse {what}: {error}") from None
    except (RecursionError, MemoryError):  # how CPython's parser gives up on thousands of nested levels
        raise CompilationError(f"cannot parse {what}: it nests expressions more than {MAX_NESTING} levels "
                               "deep; compute the parts in separate statements") from None
    pending = [(tree, 0)]
    while pending:  # iteratively: the point is to refuse what recursion could not handle
        node, depth = pending.pop()
        for name in node._fields:
            field = getattr(node, name, None)
            for child in field if isinstance(field, list) else (field,):
                if not isinstance(child, ast.AST) or isinstance(child, _CHILDLESS):
                    continue
                nested = depth + isinstance(child, (ast.stmt, ast.expr))
                if nested > MAX_NESTING:
                    line = getattr(child, "lineno", 0) + line_offset
                    raise CompilationError(f"{what} nests statements and expressions more than {MAX_NESTING} "
                                           f"levels deep (line {line}); compute the parts in separate statements")
                if not isinstance(child, _LEAVES):
                    pending.append((child, nested))
    return tree


def _emit(emitter: FunctionEmitter, what: str) -> CompiledFunction:
    try:
        compiled = emitter.emit_function()
    except RecursionError:  # MAX_NESTING keeps the frontend clear of this unless the caller's stack was deep
        raise CompilationError(f"{what} nests too deeply to compile: its blocks, or the branches its early "
                               "'return', 'break' and 'continue' statements open (the statements after each "
                               "go inside a branch), are nested hundreds of levels deep") from None
    depth = block_depth(compiled.graph.block)
    if depth > MAX_BLOCK_DEPTH:  # every later pass walks blocks recursively
        raise CompilationError(f"{what} nests blocks {depth} levels deep, more than the {MAX_BLOCK_DEPTH} allowed "
                               "(each loop and if opens one, and so does each early 'return', 'break' or "
                               "'continue' for the statements after it)")
    return compiled


def _indent_of(text: str) -> int:
    for line in text.splitlines():
        if line.strip():
            return len(line) - len(line.lstrip())
    return 0
