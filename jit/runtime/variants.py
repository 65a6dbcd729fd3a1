"""Variants for Python numbers: a Python int, float or bool passed to an unannotated
parameter runs the function compiled with that parameter typed as what it is, once
per such signature (API.md "Parameter types").

``VariantCache`` holds one function's variants. ``PerCallFunction`` is what
``jit.script`` returns for a function whose code compiles only when some unannotated
parameters are numbers (``for i in range(n)``, ``math.sin(c)``): it has no graph of
its own, and each call runs the variant for its arguments.
"""
from __future__ import annotations

import inspect
import re
import threading

import numpy as np

from jit import _tracing
from jit import types as T
from jit.errors import CompilationError

# A Generator passed to an unannotated parameter is typed as one too (rng.normal(...)).
_PYTHON_NUMBERS = {bool: T.BOOL, int: T.INT, float: T.FLOAT, np.random.Generator: T.GENERATOR}


def number_types(declared: dict, arguments: dict) -> dict:
    """Parameter name -> int/float/bool for the ``arguments`` (by name) that are Python
    numbers passed to ``declared`` (name -> Tensor or Optional[Tensor]) parameters; a
    parameter defaulting to None gets Optional of the number's type."""
    types = {}
    for name, kind in declared.items():
        number = _PYTHON_NUMBERS.get(type(arguments.get(name)))
        if number is not None:
            types[name] = T.OptionalType(number) if isinstance(kind, T.OptionalType) else number
    return types


class VariantCache:
    """The variants of one function, by the types of their number parameters."""

    def __init__(self, qualname: str, recompile, original):
        self.qualname, self.recompile, self.original = qualname, recompile, original
        self.built: dict = {}  # key -> ScriptFunction, or the CompilationError its code gave
        self.lock = threading.Lock()

    def get(self, types: dict):
        from .function import ScriptFunction  # noqa: PLC0415 - function.py imports this module

        key = tuple(sorted((name, str(kind)) for name, kind in types.items()))
        with self.lock:
            variant = self.built.get(key)
            if variant is None:
                try:
                    variant = ScriptFunction(self.recompile(types), self.original, number_parameters=())
                except CompilationError as error:
                    given = ", ".join(f"{kind.annotation_str()} for '{name}'" for name, kind in types.items())
                    variant = CompilationError(f"{self.qualname} was called with a Python {given}, for which its "
                                               f"code does not compile (pass an array instead): {error.message}",
                                               error.source_range)
                self.built[key] = variant
        if isinstance(variant, CompilationError):
            raise CompilationError(variant.message, variant.source_range)
        return variant

    def compiled(self) -> dict:
        """The variants built so far, by their parameter types (``"eps: float"``)."""
        return {", ".join(f"{n}: {k}" for n, k in key): v for key, v in self.built.items()
                if not isinstance(v, CompilationError)}


def number_candidates(fn) -> dict:
    """Name -> declared type of the parameters of ``fn`` that Python numbers may be
    passed to: unannotated, without a default (Tensor) or defaulting to None
    (Optional[Tensor])."""
    found = {}
    for name, parameter in inspect.signature(fn).parameters.items():
        if parameter.annotation is not inspect.Parameter.empty or parameter.kind not in (
                inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            continue
        if parameter.default is inspect.Parameter.empty:
            found[name] = T.TENSOR
        elif parameter.default is None:
            found[name] = T.OptionalType(T.TENSOR)
    return found


def compiles_for_numbers(recompile, candidates: dict, error: CompilationError):
    """(types, error): the types (name -> int/float/Generator) of some of ``candidates`` with
    which the code compiles, or None and the last error met on the way. Led by the errors:
    each candidate the failing expression names becomes a float, then an int (a Generator
    where the line calls one of its methods on it), and the code is compiled again (at most
    twice per candidate). The error is the last one met where it names none of the numbers:
    what a call with them would meet (a global array read further down, not the ``range(n)``
    they got past); else the first, which the numbers did not get past."""
    first, types, typed = error, {}, {}
    for _ in range(2 * len(candidates)):
        named = _names_at(error.source_range) & set(candidates)
        moving = [name for name in sorted(named) if types.get(name) not in (T.INT, T.GENERATOR)]
        if not moving:
            return None, _with_numbers(first, error, typed)
        for name in moving:
            if name not in types and _draws_from(name, error.source_range):
                types[name] = T.GENERATOR
            else:
                types[name] = T.INT if name in types else T.FLOAT
        typed = {name: T.OptionalType(kind) if isinstance(candidates[name], T.OptionalType) else kind
                 for name, kind in types.items()}
        try:
            recompile(typed)
        except CompilationError as again:
            error = again
            continue
        return typed, None
    return None, _with_numbers(first, error, typed)


def _with_numbers(first: CompilationError, error: CompilationError, typed: dict) -> CompilationError:
    """``error``, saying which parameters it was met with as Python numbers, where it names none
    of them; else ``first``."""
    if not typed or error is first or _names_at(error.source_range) & set(typed):
        return first
    numbers = ", ".join(f"{name}: {kind.annotation_str()}" for name, kind in typed.items())
    return CompilationError(f"{error.message} (compiling with {numbers}: the types that Python numbers passed there give)",
                            error.source_range)


def _draws_from(name: str, where) -> bool:
    """Whether the failing line calls a Generator method on ``name`` (``rng.normal(...)``)."""
    line = where.source.line(where.line) if where is not None else ""
    return any(not attribute.startswith("_") and hasattr(np.random.Generator, attribute)
               for attribute in re.findall(rf"\b{re.escape(name)}\s*\.\s*(\w+)", line))


def _names_at(where) -> set:
    """The identifiers in the source a SourceRange highlights (its whole line when the
    span names none)."""
    if where is None:
        return set()
    line = where.source.line(where.line)
    end = where.end_col if where.end_line == where.line and where.end_col is not None else len(line)
    names = set(re.findall(r"[A-Za-z_]\w*", line[where.col:end]))
    return names or set(re.findall(r"[A-Za-z_]\w*", line))


class PerCallFunction:
    """A scripted function that compiles only for Python numbers in some unannotated
    parameters: each call runs the variant for its arguments' types. It has no graph
    of its own (``graph``/``code`` say why); ``graph_for(*args)`` is a call's. Saving
    it saves the code of one variant with those parameters marked, and the loaded
    function compiles per call in the same way."""

    compiles_per_call = True

    def __init__(self, name, qualname, recompile, candidates: dict, error: CompilationError, bind, saved_types,
                 original=None):
        self.name, self.qualname, self.original = name, qualname, original
        self._saved_types = saved_types  # what a save before any call saves the variant of
        self.number_parameters = tuple(candidates)
        self._candidates, self._error, self._bind = candidates, error, bind
        self._variants = VariantCache(qualname, recompile, original)
        self.__name__, self.__qualname__ = name, qualname
        self.__doc__ = getattr(original, "__doc__", None)
        self.__module__ = getattr(original, "__module__", None)
        self.__wrapped__ = original

    @classmethod
    def of(cls, fn, recompile, candidates: dict, error: CompilationError, compiling_types: dict):
        """For the Python function ``fn``, whose code failed with ``error`` as written and
        compiles with ``compiling_types``."""
        signature = inspect.signature(fn)

        def bind(args, kwargs):
            try:
                return signature.bind(*args, **kwargs).arguments
            except TypeError as problem:
                raise TypeError(f"{fn.__qualname__}() {problem}") from None

        return cls(fn.__name__, fn.__qualname__, recompile, candidates, error, bind, compiling_types, fn)

    @classmethod
    def loaded(cls, representative, recompile, candidates: dict):
        """For a loaded file: ``representative`` is the saved variant (its parameters and
        defaults bind calls), ``recompile`` compiles its code for other types."""
        names = [spec.name for spec in representative.parameters]

        def bind(args, kwargs):
            return dict(zip(names, representative._executor.bind(args, kwargs)))

        error = CompilationError("its code (a saved variant) compiles only for the Python numbers it was saved for")
        saved_types = {spec.name: spec.type for spec in representative.parameters if spec.name in candidates}
        return cls(representative.name, representative.qualname, recompile, candidates, error, bind, saved_types)

    def _why(self) -> str:
        names = ", ".join(f"'{n}'" for n in self.number_parameters)
        return (f"{self.qualname} compiles only when some of its unannotated parameters ({names}) are Python "
                f"numbers (with Tensors there: {self._error.message}); each call runs the variant for its arguments "
                "(graph_for(*args) shows one). Annotate the parameters to give it one graph")

    def variant_for(self, args, kwargs):
        types = number_types(self._candidates, self._bind(args, kwargs))
        if not types:
            raise CompilationError(self._why(), self._error.source_range)
        return self._variants.get(types)

    def __call__(self, *args, **kwargs):
        variant = self.variant_for(args, kwargs)
        if _tracing.active:
            return variant(*args, **kwargs)
        return variant._entry(*args, **kwargs)

    def graph_for(self, *args, **kwargs):
        return self.variant_for(args, kwargs).graph_for(*args, **kwargs)

    @property
    def variants(self) -> dict:
        return self._variants.compiled()

    def representative(self):
        """The variant a file saves (its code is compiled again for each call's types once
        loaded): the first one built, or before any call the one jit.script found."""
        built = self._variants.compiled()
        return next(iter(built.values())) if built else self._variants.get(self._saved_types)

    @property
    def graph(self):
        raise CompilationError(self._why(), self._error.source_range)

    @property
    def code(self):
        raise CompilationError(self._why(), self._error.source_range)

    def save(self, f, _extra_files=None):
        from jit.serialization import save  # noqa: PLC0415 - serialization sits beside the runtime

        save(self, f, _extra_files)

    def __repr__(self):
        return f"<ScriptFunction {self.qualname}, compiled per call for Python numbers in " \
               f"{', '.join(self.number_parameters)}>"
