"""Script classes: ``@jit.script class Pair: ...``.

A class's type records the attributes ``__init__`` assigns (``self.x = v``, or
``self.x: T = v``) and its compiled methods, each a ScriptFunction whose first
parameter is the object. Methods compile on first use (``__init__`` first, so
the attributes are known), which lets them call each other in any order.
Objects are instances of the Python class itself, so eager code is unchanged.
"""
from __future__ import annotations

import ast
import inspect
import textwrap

from jit import types as T
from jit.errors import CompilationError

from . import compile_function

_ALLOWED_IN_BODY = (ast.FunctionDef, ast.Pass)


def compile_class(cls) -> T.ClassType:
    """Compile a class for script code; its type is also ``cls.__jit_class_type__``."""
    existing = T.class_type_of(cls)
    if existing is not None:
        return existing
    _check_class(cls)
    kind = T.ClassType(cls.__qualname__, cls, "class")
    kind.sources = {name: function for name, function in vars(cls).items() if inspect.isfunction(function)}
    cls.__jit_class_type__ = kind
    try:
        for name in ["__init__"] + [n for n in kind.sources if n != "__init__"]:
            # everything is compiled but what @jit.ignore / @jit.unused leave in Python
            if name in kind.sources and getattr(kind.sources[name], "__jit_ignore__", None) is None:
                method(kind, name, None)
    except BaseException:
        del cls.__jit_class_type__
        raise
    return kind


def method_names(kind):
    return set(kind.methods) | set(kind.sources)


def method(kind, name, loc):
    """The compiled method ``name`` of ``kind``, compiling it now if needed."""
    from jit.runtime import ScriptFunction  # noqa: PLC0415 - the runtime sits beside the frontend

    if name in kind.methods:
        return kind.methods[name]
    if name in kind.compiling:
        raise CompilationError(f"{kind.name}.{name} calls itself (directly or through other methods); "
                               "recursion is not supported in script code", loc)
    function = kind.sources.get(name)
    if function is None:
        raise CompilationError(f"'{kind.name}' has no method '{name}'", loc)
    kind.compiling.add(name)
    # A class's methods may name the class, which is not yet bound under its name.
    extra_names = {kind.python_class.__name__: kind.python_class} if kind.kind == "class" else None
    try:
        compiled = compile_function(function, self_type=kind, defines_attributes=name == "__init__"
                                    and kind.kind == "class", extra_names=extra_names)
    except CompilationError as error:
        if loc is None:
            raise
        raise error.called_from(f"'{kind.python_class.__name__}.{name}' is being compiled since it was called from "
                                f"'{loc.source.function_name}'", loc) from None
    finally:
        kind.compiling.discard(name)
    kind.methods[name] = ScriptFunction(compiled, function)
    return kind.methods[name]


def _check_class(cls):
    try:
        lines, first_line = inspect.getsourcelines(cls)
    except (OSError, TypeError) as error:
        raise CompilationError(f"cannot read the source of the class {cls.__qualname__} ({error})") from None
    tree = ast.parse(textwrap.dedent("".join(lines)))
    class_def = tree.body[0]
    if any(base for base in cls.__bases__ if base is not object):
        raise CompilationError(f"script class {cls.__qualname__}: inheritance is not supported (only object)")
    for statement in class_def.body:
        is_docstring = isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
        if not (is_docstring or isinstance(statement, _ALLOWED_IN_BODY)):
            raise CompilationError(f"script class {cls.__qualname__} (line {first_line + statement.lineno - 1}): "
                                   "no expressions except method definitions are allowed in the body of the class")
