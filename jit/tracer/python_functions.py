"""Python's own functions of traced sizes, recorded while a trace runs.

``len(x)`` must return a plain int and ``range(n)`` asks ``n.__index__()`` for
one, so neither can hand a TracedNumber back through Python's protocols: a
trace would bake ``len(inputs)`` and ``range(len(inputs))`` into constants. So,
as torch.fx patches the globals it needs, while any trace runs ``builtins.len``,
``builtins.range`` and the ``math`` functions of the registry are replaced by
stand-ins that, in the tracing thread and only for traced arguments, record the
registry's op (``prim::len``, ``math::sqrt``) or make a TracedRange; for
everything else (other threads, the recorder's own calls, plain values) they are
exactly the builtin. A ``for`` loop over ``range(traced size)`` still bakes its
trip count, with a TracerWarning.
"""
from __future__ import annotations

import builtins
import math
import sys

from jit import _tracing, ops
from jit.ops.registry import alias_python_object

from . import factories
from .proxies import TracedArray, TracedNumber

_BUILTIN_LEN, _BUILTIN_RANGE = builtins.len, builtins.range
_LEN_OP = ops.for_python_object(_BUILTIN_LEN)


def _recorder_for(args):
    """The recorder of this thread's trace if ``args`` hold a traced size and the
    traced code (not the recorder itself) is calling."""
    recorder = _tracing.current()
    if recorder is None or not recorder.records_calls():
        return None
    return recorder if any(isinstance(arg, TracedNumber) for arg in args) else None


def tracing_len(obj, /):
    """``len()``: of a traced array, its first size as a traced number (``x.shape[0]``)."""
    if isinstance(obj, TracedArray) and obj.ndim > 0:
        recorder = _tracing.current()
        if recorder is not None and recorder.records_calls():
            return recorder.record(*_LEN_OP, (obj,), {})
    if isinstance(obj, TracedRange):
        return obj.length()
    return _BUILTIN_LEN(obj)


alias_python_object(tracing_len, _BUILTIN_LEN)


class _RangeType(type):
    """``isinstance(r, range)`` keeps working while ``range`` is the stand-in."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, (_BUILTIN_RANGE, TracedRange))

    def __subclasscheck__(cls, subclass):
        return issubclass(subclass, (_BUILTIN_RANGE, TracedRange))


class TracingRange(metaclass=_RangeType):
    """``range()``: a TracedRange when a bound is a traced size, else Python's range."""

    def __new__(cls, *args):
        if _recorder_for(args) is None:
            return _BUILTIN_RANGE(*args)
        return TracedRange(*args)


TracingRange.__name__ = TracingRange.__qualname__ = "range"


class TracedRange:
    """``range(n)`` of a traced size: as an index (``wpe[range(len(ids))]``) it is
    ``np.arange`` of its bounds, recorded; iterated (a ``for`` loop) it bakes."""

    __slots__ = ("start", "stop", "step", "_arange")

    def __init__(self, *args):
        if not 1 <= _BUILTIN_LEN(args) <= 3:
            raise TypeError(f"range expected at most 3 arguments, got {_BUILTIN_LEN(args)}")
        start, stop, step = (0, args[0], 1) if _BUILTIN_LEN(args) == 1 else (tuple(args) + (1,))[:3]
        for bound in (start, stop, step):
            if not isinstance(bound, TracedNumber) and not hasattr(type(bound), "__index__"):
                raise TypeError(f"'{type(bound).__name__}' object cannot be interpreted as an integer")
        if not isinstance(step, TracedNumber) and step == 0:
            raise ValueError("range() arg 3 must not be zero")
        self.start, self.stop, self.step, self._arange = start, stop, step, None

    def _concrete(self):
        return _BUILTIN_RANGE(*(bound._concrete if isinstance(bound, TracedNumber) else bound
                                for bound in (self.start, self.stop, self.step)))

    def as_array(self):
        """The recorded ``np.arange(start, stop, step)`` (once per graph)."""
        recorder = next(b for b in (self.start, self.stop, self.step) if isinstance(b, TracedNumber))._recorder
        if self._arange is None or self._arange._frame is not recorder.frame:
            self._arange = recorder.record(ops.lookup("np::arange"), None, (self.start, self.stop, self.step), {})
        return self._arange

    def _traced_value_in(self, recorder, loc):
        return self.as_array()._traced_value_in(recorder, loc)

    def length(self):
        if isinstance(self.stop, TracedNumber) and type(self.start) is int and self.start == 0 and self.step == 1:
            return self.stop
        return self.as_array().shape[0]

    def _bake(self, what):
        traced = next(b for b in (self.start, self.stop, self.step) if isinstance(b, TracedNumber))
        return traced._bake(what, self._concrete())

    def __iter__(self):
        return iter(self._bake("a Python for loop (or list()) over range()"))

    def __len__(self):
        return _BUILTIN_LEN(self._bake("len() of range()"))

    def __getitem__(self, index):
        return self._bake("indexing range()")[index]

    def __contains__(self, item):
        return item in self._bake("'in' on range()")

    def __array__(self, dtype=None, copy=None):
        from . import subscripts  # noqa: PLC0415 - subscripts builds on the proxies

        array = self.as_array()
        if subscripts.warn_plain_subscript(array._recorder, sys._getframe(1)):  # plain_table[range(n)] says more
            return array._concrete if dtype is None else array._concrete.astype(dtype)
        return array.__array__(dtype)

    def __repr__(self):
        return f"range({self.start!r}, {self.stop!r}, {self.step!r})"


def _math_function(original, overloads):
    def recording(*args):
        recorder = _recorder_for(args)
        if recorder is None:
            return original(*args)
        return recorder.record(*overloads[0], args, {}, overloads=overloads)

    recording.__name__ = recording.__qualname__ = original.__name__
    recording.__doc__ = original.__doc__
    alias_python_object(recording, original)
    return recording


_WRAPPERS = [(builtins, "len", _BUILTIN_LEN, tracing_len), (builtins, "range", _BUILTIN_RANGE, TracingRange)]
for _name in sorted(vars(math)):
    _original = getattr(math, _name)
    _overloads = ops.python_object_overloads(_original) if callable(_original) else []
    if _overloads:
        _WRAPPERS.append((math, _name, _original, _math_function(_original, _overloads)))
# Installed with the factories' wrappers, for the duration of every trace.
for _module, _name, _original, _wrapper in _WRAPPERS:
    factories.add_wrapper(_module, _name, _original, _wrapper)
