"""Helpers of the contract that work in eager code and mean something to the
compiler in script code: ``jit.isinstance``, ``jit.annotate``, ``jit.is_scripting``."""
from __future__ import annotations

import builtins
import typing

from . import types as T
from .frontend.annotations import type_of_python_annotation


def is_scripting() -> bool:
    """False in eager Python; the compiler makes it True in script code, so
    ``if not jit.is_scripting():`` guards code only eager execution should run."""
    return False


is_scripting.__jit_is_scripting__ = True


def annotate(the_type, value):
    """``value`` with its type stated: ``jit.annotate(List[int], [])`` is an empty
    list of ints in script code (an empty ``[]`` would be List[Tensor]). In eager
    code it returns ``value``."""
    type_of_python_annotation(the_type)  # a bad type fails here too, as it would in script code
    return value


annotate.__jit_annotate__ = True


def isinstance(value, the_type) -> bool:  # noqa: A001 - the contract's name, jit.isinstance
    """Whether ``value`` is of a script type (``List[int]``, ``Optional[Tensor]``...).
    In script code it is decided from static types and refines Optionals."""
    expected = type_of_python_annotation(the_type)
    return _matches(value, expected)


isinstance.__jit_isinstance__ = True


def _matches(value, expected) -> bool:
    """Whether ``value`` is of script type ``expected``; containers are checked
    element by element (so an empty list inside a dict fits any element type)."""
    if builtins.isinstance(expected, T.OptionalType):
        return value is None or _matches(value, expected.element)
    if builtins.isinstance(expected, T.UnionType):
        return any(_matches(value, option) for option in expected.options)
    if type(value) is list and builtins.isinstance(expected, T.ListType):
        return all(_matches(item, expected.element) for item in value)
    if type(value) is dict and builtins.isinstance(expected, T.DictType):
        return all(_matches(k, expected.key) and _matches(v, expected.value) for k, v in value.items())
    if type(value) is tuple and builtins.isinstance(expected, T.TupleType) \
            and not builtins.isinstance(expected, T.NamedTupleType):
        return len(value) == len(expected.elements) and all(_matches(v, e) for v, e in zip(value, expected.elements))
    if type(value) in (list, dict, tuple):
        return False
    try:
        actual = T.refined_type_of_value(value)
    except TypeError:
        return False
    return actual.is_subtype_of(expected)


def ignore(function=None, *, drop=False):
    """Leave a function in Python: script code calls it through the interpreter
    (an upcall; models with one cannot be saved). ``@jit.ignore(drop=True)`` is
    ``@jit.unused``. Usable as ``@jit.ignore`` and ``@jit.ignore(drop=...)``."""
    def mark(target):
        target.__jit_ignore__ = "unused" if drop else "ignore"
        return target

    return mark(function) if function is not None else mark


def unused(function):
    """Compile calls of this function to raise an error: for code that scripted
    models never run (and that need not be scriptable). Eager calls run it."""
    function.__jit_ignore__ = "unused"
    return function


def export(function):
    """Compile this method of a module even though forward does not call it."""
    function.__jit_export__ = True
    return function


class strict_fusion:  # noqa: N801 - the contract's name, used as `with jit.strict_fusion():`
    """In script code, marks a block whose nodes must all fuse (checked by the
    optimizing executor). In eager code it does nothing."""

    __jit_strict_fusion__ = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class Attribute:
    """``self.names = jit.Attribute([], List[str])`` in a module's ``__init__``: the
    attribute holds ``value`` (eager code sees the value itself) and scripting gives
    it type ``T`` instead of inferring one (needed for empty containers)."""

    __slots__ = ("value", "type")

    def __init__(self, value, the_type):
        self.type = type_of_python_annotation(the_type)
        if not _matches(value, self.type):
            raise TypeError(f"jit.Attribute: {value!r} is not a {self.type.annotation_str()}")
        self.value = value

    def __repr__(self):
        return f"Attribute({self.value!r}, {self.type.annotation_str()})"


# ``x: jit.Final[int]`` in a module's class body makes x a constant, as __constants__ does.
Final = typing.Final
