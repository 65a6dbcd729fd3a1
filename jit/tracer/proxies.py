"""The recording proxies a traced function runs on.

``TracedArray`` stands for an array: NumPy hands it every ufunc call
(``__array_ufunc__``) and every array function (``__array_function__``), and it
answers Python's operators, indexing, the ndarray methods and properties of the
registry, and ``astype``. ``TracedNumber`` stands for a size read from a shape
(``x.shape[0]``, ``len(x)``) or a Python-number input, so ``x.reshape(x.shape[0], -1)``
generalizes; ``TracedShape``
is the tuple ``x.shape`` gives; ``TracedDtype`` is ``x.dtype``, which Python code
reads as the dtype it has in this run and operations (``x.astype(x.dtype)``,
``np.zeros(n, dtype=x.dtype)``) record as ``np::dtype(x)``. ``len()``, ``range()`` and
``math``'s functions of traced sizes are recorded (see python_functions). Whatever
turns a traced value into a plain Python value (``int()``, ``float()``, ``if``, a
``for`` over ``range(n)``) bakes the value it had into the trace and says so with
a TracerWarning at the user's line.
"""
from __future__ import annotations

import math
import sys

import numpy as np

from jit import ops
from jit.errors import TracingError

from . import locations
from . import subscripts as _subscripts
from .recorder import is_tensor_value

_BINARY = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "floordiv": "//", "mod": "%", "pow": "**",
           "matmul": "@", "and": "&", "or": "|", "xor": "^", "lshift": "<<", "rshift": ">>"}
_COMPARISONS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}
_UNARY = {"neg": "unary -", "pos": "unary +", "invert": "unary ~"}


class Traced:
    """What the proxies share: the recorder and frame they belong to, the graph
    value they stand for and the concrete value they hold in this run."""

    __slots__ = ("_concrete", "_value", "_recorder", "_frame")

    def __init__(self, concrete, value, recorder, frame):
        self._concrete, self._value, self._recorder, self._frame = concrete, value, recorder, frame

    @staticmethod
    def __jit_op__(op, args):
        """An op called eagerly (``F.relu(x)``, a layer's forward) on a traced value: recorded as itself."""
        traced = next(a for a in _leaves(args) if isinstance(a, Traced))
        return traced._live_recorder().record(op, None, args, {})

    def _live_recorder(self):
        recorder = self._recorder
        if recorder.finished:
            raise RuntimeError("a traced value was used after its trace ended (it was kept from inside the traced "
                               "function); use the traced function's results instead")
        return recorder

    def _traced_value_in(self, recorder, loc):
        """The graph value of this proxy in the recorder's current graph; a value of
        another graph (an enclosing call's) is baked in as a constant."""
        if recorder.frame is self._frame:
            return self._value
        recorder.note_bake()
        locations.warn("a value computed outside this traced module call is baked into its trace as a constant; "
                       "pass it to the submodule as an argument")
        return recorder.emit_constant(self._concrete, loc)

    def _bake(self, what: str, value):
        self._recorder.note_bake()
        locations.warn(f"{what} of a traced value turns it into a Python value: the trace records the constant "
                       f"{value!r} it had in this run, and will not generalize to other inputs (script the function "
                       "to keep the computation)")
        return value

    def _fail(self, message):
        raise TracingError(message, locations.source_range())


def _operators(cls, record, reflected=True):
    """Python's arithmetic, comparison and unary operators on ``cls``, recorded."""
    for name, symbol in _BINARY.items():
        def forward(self, other, symbol=symbol):
            return record(self, symbol, (self, other))

        def backward(self, other, symbol=symbol):
            return record(self, symbol, (other, self))

        def in_place(self, other, symbol=symbol):  # x += y: recorded as the in-place op (np::iadd...)
            if isinstance(self._concrete, np.generic):  # a NumPy scalar (a reduction's) is immutable:
                return record(self, symbol, (self, other))  # x *= y makes a new value, others keep x
            return self._assign_in_place(record(self, symbol + "=", (self, other)))

        setattr(cls, f"__{name}__", forward)
        if reflected:
            setattr(cls, f"__r{name}__", backward)
        if hasattr(cls, "_assign_in_place"):
            setattr(cls, f"__i{name}__", in_place)
    for name, symbol in _UNARY.items():
        setattr(cls, f"__{name}__", lambda self, symbol=symbol: record(self, symbol, (self,)))


def _record_operator(proxy, symbol, operands):
    return proxy._live_recorder().record_operator(symbol, operands)


def _record_ufunc(proxy, ufunc, method, inputs, kwargs):
    """NumPy's ``__array_ufunc__``: a traced value among a ufunc's operands."""
    recorder = proxy._live_recorder()
    name = f"np.{ufunc.__name__}"
    if method != "__call__":
        proxy._fail(f"{name}.{method} cannot be traced: only calls of ufuncs are in the operator registry")
    overloads = ops.python_object_overloads(ufunc)
    if not overloads:
        proxy._fail(f"{name} is not in the operator registry, so a trace cannot record it "
                    "(python -m jit.ops lists the operators)")
    out = kwargs.pop("out", None)
    target = out[0] if isinstance(out, tuple) and len(out) == 1 else out
    if out is not None and not isinstance(target, TracedArray):
        if not isinstance(target, np.ndarray):
            proxy._fail(f"{name}(..., out=...) writes into a {type(target).__name__}, which a trace cannot follow; "
                        "assign the result instead")
        locations.warn(f"{name}(..., out=...) writes into an array the trace did not make: the trace keeps what "
                       "the array holds after this run, baked in as a constant wherever it is used; make it from an "
                       "input (np.zeros_like(x)) or assign the result instead")
        concrete = [a._concrete if isinstance(a, Traced) else a for a in inputs]
        with recorder.internal():
            return ufunc(*concrete, out=out, **kwargs)
    result = recorder.record(*overloads[0], inputs, kwargs, overloads=overloads)
    if out is None:
        return result
    recorder.record(ops.lookup("np::copyto"), None, (target, result), {})  # out= as script code compiles it
    return target


def _record_array_function(proxy, func, args, kwargs):
    """NumPy's ``__array_function__``: a traced value among a function's arguments."""
    recorder = proxy._live_recorder()
    name = f"np.{getattr(func, '__name__', func)}"
    overloads = ops.python_object_overloads(func)
    if not overloads:
        proxy._fail(f"{name} is not in the operator registry, so a trace cannot record it "
                    "(python -m jit.ops lists the operators)")
    op = overloads[0][0]
    kwargs = {k: v for k, v in kwargs.items() if not _numpy_default(k, v) or any(a.name == k for a in op.args)}
    if isinstance(proxy, TracedArray) and any(arg.name == "like" for arg in op.args) and "like" not in kwargs \
            and not holds_traced(args):
        kwargs["like"] = proxy  # NumPy passes like= on by calling us, without it
    return recorder.record(op, overloads[0][1], args, kwargs, overloads=overloads)


class TracedArray(Traced):
    """An array of a trace."""

    __slots__ = ("_aliased",)
    __array_priority__ = 1000
    __hash__ = None

    def __init__(self, concrete, value, recorder, frame, aliased=False):
        super().__init__(concrete, value, recorder, frame)
        self._aliased = aliased  # an input, a parameter or a view: others see writes into it

    # -- NumPy's protocols ---------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _record_ufunc(self, ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return _record_array_function(self, func, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        if not _subscripts.warn_plain_subscript(self._recorder, sys._getframe(1)):  # plain_table[ids] says more
            self._recorder.note_bake()
            locations.warn("converting a traced array to a NumPy array (np.asarray, np.array, or a function that is "
                           "not in the operator registry) bakes its values into the trace as a constant")
        return np.asarray(self._concrete, dtype)  # a reduction's concrete value may be a NumPy scalar

    # -- Python's protocols ------------------------------------------------------------------
    def __bool__(self):
        if np.size(self._concrete) != 1:
            self._fail("Python control flow on an array cannot be traced: the truth value of an array with more "
                       "than one element is ambiguous (NumPy), and a trace records one path only. Script the "
                       "function with jit.script to keep the 'if', or compute both sides with np.where")
        return self._bake("converting to a Python bool (an 'if', 'while', 'and', 'or' or 'not')",
                          bool(self._concrete))

    def __int__(self):
        return self._bake("int()", int(self._concrete))

    def __float__(self):
        return self._bake("float()", float(self._concrete))

    def __index__(self):
        index = int(np.asarray(self._concrete).__index__())  # NumPy's TypeError for arrays that are no index
        if _subscripts.warn_plain_subscript(self._recorder, sys._getframe(1)):  # plain_table[i] says more
            return index
        return self._bake("using it as an index or size", index)

    def __len__(self):
        return self._bake("len()", len(self._concrete))

    def __iter__(self):
        count = self._bake("iterating over the first axis (len())", len(self._concrete))
        return (self[index] for index in range(count))

    def __repr__(self):
        return f"TracedArray({self._concrete!r})"

    def item(self, *index):
        return self._bake("x.item()", self._concrete.item(*index))

    def tolist(self):
        return self._bake("x.tolist()", self._concrete.tolist())

    def __getitem__(self, index):
        _check_index(self._concrete, index)
        result = self._live_recorder().record(*ops.for_subscript(), (self, index), {})
        if isinstance(result, TracedArray) and np.may_share_memory(result._concrete, self._concrete):
            result._aliased = True
        return result

    def __setitem__(self, index, value):
        """``x[index] = value``: recorded as the write it is (np::setitem), in place
        on this run's array too, so views of it and its base see it as NumPy does."""
        if isinstance(value, (list, tuple)) and not holds_traced(value):
            value = np.asarray(value)  # x[:2] = [1, 2]: NumPy converts the sequence
        self._live_recorder().record(ops.lookup("np::setitem"), None, (self, index, value), {})

    def _assign_in_place(self, result):
        """``x += y``: recorded in place (np::iadd), whose result is x itself for an
        array (a new value for a NumPy scalar); this proxy now stands for it."""
        if isinstance(result, TracedArray):
            self._concrete, self._value, self._frame = result._concrete, result._value, result._frame
        return self

    # -- ndarray attributes -------------------------------------------------------------------
    @property
    def shape(self):
        return self._live_recorder().record(*ops.for_property("shape"), (), {}, receiver=self)

    @property
    def ndim(self):
        return self._concrete.ndim  # the rank is fixed in a trace

    @property
    def dtype(self):
        return self._live_recorder().record(*ops.for_property("dtype"), (), {}, receiver=self)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        found = ops.for_property(name)
        if found is not None:
            return self._live_recorder().record(*found, (), {}, receiver=self)
        found = ops.for_method(name)
        if found is not None:
            return _BoundMethod(self, *found)
        if hasattr(np.ndarray, name):
            self._fail(f"x.{name} is not in the operator registry, so a trace cannot record it "
                       "(python -m jit.ops lists the operators)")
        raise AttributeError(f"'TracedArray' (an array being traced) has no attribute '{name}'")


class _BoundMethod:
    __slots__ = ("receiver", "op", "spelling")

    def __init__(self, receiver, op, spelling):
        self.receiver, self.op, self.spelling = receiver, op, spelling

    def __call__(self, *args, **kwargs):
        result = self.receiver._live_recorder().record(self.op, self.spelling, args, kwargs, receiver=self.receiver)
        if isinstance(result, TracedArray) and np.may_share_memory(result._concrete, self.receiver._concrete):
            result._aliased = True
        return result


class TracedNumber(Traced):
    """A Python int or float computed from traced arrays (a size from ``x.shape``)."""

    __slots__ = ()

    def __index__(self):
        if _subscripts.warn_plain_subscript(self._recorder, sys._getframe(1)):  # plain_table[:n] says more
            return self._concrete
        return self._bake("using a traced size as a Python int (range(), a NumPy function outside the registry)",
                          self._concrete)

    def __int__(self):
        return self._bake("int()", int(self._concrete))

    def __float__(self):
        return self._bake("float()", float(self._concrete))

    def __bool__(self):
        return self._bake("converting to a Python bool", bool(self._concrete))

    def __hash__(self):
        return hash(self._concrete)

    def __repr__(self):
        return repr(self._concrete)

    def __format__(self, spec):
        return format(self._concrete, spec)

    def __round__(self, digits=None):
        return self._bake("round()", round(self._concrete, digits))

    def __trunc__(self):
        return self._bake("math.trunc()", math.trunc(self._concrete))

    # NumPy's functions of a size (np.sqrt(x.shape[-1])) are recorded, as on arrays.
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _record_ufunc(self, ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return _record_array_function(self, func, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self._bake("converting to a NumPy array (np.asarray, np.array)", self._concrete), dtype)


_COMPARE_CONCRETE = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
                     ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


def _compare(symbol):
    """A size compared with an array is an array operation; with a number it is
    Python control flow, which bakes the outcome."""
    def compare(self, other):
        if isinstance(other, TracedArray) or is_tensor_value(other):
            return _record_operator(self, symbol, (self, other))
        other_value = other._concrete if isinstance(other, Traced) else other
        return self._bake(f"comparing a traced size with '{symbol}' (Python control flow)",
                          _COMPARE_CONCRETE[symbol](self._concrete, other_value))
    return compare


_operators(TracedArray, _record_operator)
_operators(TracedNumber, _record_operator)
for _name, _symbol in _COMPARISONS.items():
    setattr(TracedArray, f"__{_name}__", lambda self, other, symbol=_symbol: _record_operator(self, symbol, (self, other)))
    setattr(TracedNumber, f"__{_name}__", _compare(_symbol))
Traced.__abs__ = lambda self: self._live_recorder().record(*ops.for_python_object(abs), (self,), {})


class TracedDtype(Traced):
    """``x.dtype`` in a trace: a dtype to Python code (compared, hashed, its
    attributes read, given to NumPy: the dtype of this run, as eager code sees
    it), and ``np::dtype(x)`` where an operation takes it, so that
    ``x.astype(x.dtype)`` follows the dtype of later inputs."""

    __slots__ = ()

    @property
    def dtype(self):
        return self._concrete  # np.dtype(d), np.issubdtype(d, ...) and NumPy's functions read this

    def __eq__(self, other):
        return self._concrete == (other._concrete if isinstance(other, TracedDtype) else other)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self._concrete)

    def __repr__(self):
        return repr(self._concrete)

    def __str__(self):
        return str(self._concrete)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._concrete, name)  # name, kind, itemsize, type...


class TracedShape(tuple):
    """``x.shape`` in a trace: a tuple of TracedNumbers that, passed on whole
    (``x.reshape(y.shape)``), stands for the shape value itself."""

    def __new__(cls, items, value, frame):
        shape = super().__new__(cls, items)
        shape._value, shape._frame = value, frame
        return shape

    def _traced_value_in(self, recorder, loc):
        if recorder.frame is self._frame:
            return self._value
        return recorder.value_of(tuple(self), loc)


def _numpy_default(name, value) -> bool:
    """Keywords NumPy's Python-level functions pass on with their defaults."""
    return value is None or (name == "order" and value in ("C", "K", "A"))


def _leaves(args):
    for arg in args:
        if isinstance(arg, (tuple, list)):
            yield from arg
        else:
            yield arg


def holds_traced(obj) -> bool:
    """Whether ``obj`` is, or (in tuples, lists and dicts) holds, a traced value."""
    if isinstance(obj, (Traced, TracedShape)):
        return True
    if isinstance(obj, (tuple, list)):
        return any(holds_traced(item) for item in obj)
    if isinstance(obj, dict):
        return any(holds_traced(item) for item in obj.values())
    return False


def _check_index(array, index):
    """An index NumPy refuses raises NumPy's own IndexError, as the eager run does."""
    try:
        array[_concrete(index)]
    except IndexError:
        raise
    except Exception:  # noqa: BLE001 - anything else is the recorder's to report
        pass


def _concrete(obj):
    """``obj`` with this run's value in place of every traced value (an index as NumPy sees it)."""
    if isinstance(obj, Traced):
        return obj._concrete
    if callable(getattr(obj, "_concrete", None)):  # a TracedRange
        return obj._concrete()
    if isinstance(obj, tuple):
        return tuple(_concrete(item) for item in obj)
    if isinstance(obj, list):
        return [_concrete(item) for item in obj]
    if isinstance(obj, slice):
        return slice(_concrete(obj.start), _concrete(obj.stop), _concrete(obj.step))
    return obj
