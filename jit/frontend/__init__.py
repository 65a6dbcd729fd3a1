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
import math
import textwrap
import typing

import numpy

import device
import jit
from jit import types as T
from jit.errors import CompilationError
from jit.ir import MAX_BLOCK_DEPTH, Source, block_depth
from jit.ir.code_printer import PRINTED_GLOBALS

from .annotations import AnnotationResolver, annotation_captures
from .calls import EmptyListThenAppend
from .emitter import CompiledFunction, FunctionEmitter, NoneThenValue, ParameterSpec
from .fstring_pieces import cut_long_fstrings
from .recursive import compiling, static_defaults

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
    from jit.nn import functional  # noqa: PLC0415 - jit.nn imports the frontend (nn -> api -> frontend)

    namespace = {"np": numpy, "math": math, "F": functional, "jit": jit, "device": device, "Tensor": T.Tensor,
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


def _generator_defaults(fn) -> dict:
    """Parameter name -> its default, for the parameters that default to a NumPy Generator."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in parameters if isinstance(p.default, numpy.random.Generator)}


def compile_function(fn, self_type=None, defines_attributes=False, extra_names=None,
                     parameter_types=None, *, argument_types=None, static_arguments=None,
                     definition_locals=None) -> CompiledFunction:
    """Compile ``fn``. For a method, ``self_type`` is its class's type, and
    ``defines_attributes`` lets it (``__init__``) declare attributes by assigning them.
    ``extra_names`` resolve before the function's globals (a class being defined
    is not yet bound under its own name). ``parameter_types`` (name -> type) override
    what the def says: a variant for Python numbers (``compiled.recompile`` makes one).
    ``argument_types`` compile a callee for calls that pass every argument: they type
    the parameters the def leaves unannotated; ``static_arguments`` bind parameters to Python
    functions, operators, classes or modules at compile time (by default, those whose
    default is one: ``act=np.tanh``); see recursive.py. ``definition_locals``: the
    locals of the frame that ran the def, for the names its annotations use."""
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
    # A lambda's source lines are the statement it is in (maybe a def: 'def f(x, act=lambda v: v)').
    if not isinstance(func_def, ast.FunctionDef) or getattr(fn, "__name__", None) == "<lambda>":
        raise CompilationError(f"{qualname} is not defined by a 'def' statement (lambdas cannot be scripted)")
    source = Source(filename, text, first_line, qualname)
    def make_emitter():
        emitter = FunctionEmitter(func_def, source, first_line - 1, indent,
                                  [extra_names or {}, _closure_namespace(fn), fn.__globals__], qualname, self_type,
                                  defines_attributes)
        emitter.parameter_types = dict(parameter_types or {})
        emitter.resolver.annotation_names = annotation_captures(fn, func_def, definition_locals)
        emitter.argument_types = None if argument_types is None else dict(argument_types)
        emitter.static_arguments = static_defaults(fn) if static_arguments is None else dict(static_arguments)
        emitter.generator_defaults = _generator_defaults(fn)
        return emitter

    with _no_cycle_collection(), compiling(fn):
        compiled, emitter = _emit_inferring_optionals(make_emitter, f"the source of {qualname}")
    compiled.number_parameters = _number_parameters(func_def, compiled, self_type, emitter.static_arguments)
    compiled.return_inferred = func_def.returns is None
    compiled.recompile = lambda types: compile_function(
        fn, self_type, defines_attributes, extra_names, types, argument_types=argument_types,
        static_arguments=static_arguments, definition_locals=definition_locals)
    return compiled


def compile_source(text: str, name: str, namespace: dict, filename: str = "<script code>", *, qualname=None,
                   self_type=None, saved=False, map_device=None, parameter_types=None,
                   return_inferred=False) -> CompiledFunction:
    """Compile the function ``name`` that ``text`` defines. ``self_type``: the class of
    a method; ``saved`` and ``map_device``: code read from a file (see AnnotationResolver);
    ``parameter_types``: as for compile_function. ``return_inferred``: the function's own def had no
    return annotation (the saved code prints its inferred one), so a variant typed by
    ``parameter_types`` infers its return type again."""
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
        if return_inferred and parameter_types:
            found[0].returns = None  # def f(x, c) -> Tensor was printed for c: Tensor; c: float returns a float

        def make_emitter():
            emitter = FunctionEmitter(found[0], source, 0, 0, [namespace], qualname, self_type, resolver=resolver)
            emitter.parameter_types = dict(parameter_types or {})
            return emitter

        compiled, _ = _emit_inferring_optionals(make_emitter, f"the code of {qualname}")
    compiled.number_parameters = _number_parameters(found[0], compiled, self_type)
    compiled.return_inferred = return_inferred
    compiled.recompile = lambda types: compile_source(text, name, namespace, filename, qualname=qualname,
                                                      self_type=self_type, saved=saved, map_device=map_device,
                                                      parameter_types=types, return_inferred=return_inferred)
    return compiled


def _number_parameters(func_def: ast.FunctionDef, compiled: CompiledFunction, self_type, static=()) -> tuple:
    """The parameters a Python int, float or bool may be passed to (each such call runs
    a variant typed by its arguments): those the def leaves unannotated whose type is
    Tensor or, for a None default, Optional[Tensor]."""
    if func_def.type_comment:
        return ()
    args = [arg for arg in func_def.args.posonlyargs + func_def.args.args if arg.arg not in static]
    first = 1 if self_type is not None else 0
    return tuple(spec.name for arg, spec in zip(args[first:], compiled.parameters[first:])
                 if arg.annotation is None and spec.type in (T.TENSOR, T.OptionalType(T.TENSOR)))


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


def _emit_inferring_optionals(make_emitter, what: str):
    """(compiled, emitter): each time a variable first assigned None is later assigned
    a value of another type, compile again with it Optional of that type from the start;
    each time a variable assigned [] is first appended a non-Tensor, again with it a list
    of that element type."""
    optional_locals, list_locals = {}, {}
    while True:
        emitter = make_emitter()
        emitter.optional_locals, emitter.list_locals = dict(optional_locals), dict(list_locals)
        try:
            return _emit(emitter, what), emitter
        except NoneThenValue as found:
            if found.emitter is not emitter or found.name in optional_locals or len(optional_locals) >= 32:
                raise CompilationError(found.message, found.source_range) from None
            optional_locals[found.name] = found.optional
        except EmptyListThenAppend as found:  # xs = [] then xs.append(3): a List[int] from the start
            if found.emitter is not emitter or found.name in list_locals or len(list_locals) >= 32:
                raise CompilationError(found.message, found.source_range) from None
            list_locals[found.name] = found.list_type


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
