"""Whether an operator may raise, judged from what is known of its arguments.

A pass that would drop a node because nothing uses its value (dead code, a
shape read folded to a constant) must not drop the error eager code would
raise there: ``np.zeros(x.argmax(axis=0).shape)`` raises on an empty ``x``.
Each ``OpDef`` declares ``raises`` once: ``False`` (never, for any arguments its
type rule accepts), ``True`` (may, whatever is known: the default), or a
predicate ``raises(op, infos) -> bool`` built here for an op family. A predicate
answers False only when the static types and constants prove the run cannot
raise; anything it cannot tell is True.

Errors that depend on dtypes and scalar values (``uint8_array + 300``,
``-bool_array``, ``np.full(n, -1, dtype=np.uint8)``) are found by running the op
on one-element probes of every dtype the argument may have; errors that depend
on shapes (broadcasting, reduced axes that may be empty, matmul's inner sizes)
are checked from the shapes; errors that depend on array values (an integer
raised to a negative integer power) are declared.
"""
from __future__ import annotations

import itertools
import math
import operator
import warnings

import numpy as np

from jit import types as T

from . import type_rules as R
from .registry import ArgInfo
from .static_args import element_types, index_items, int_sequence

# The dtypes an array of unknown dtype may have, for probing.
PROBE_DTYPES = tuple(np.dtype(name) for name in (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128"))
# Values a Python float or bool that is not a constant may have, for probing.
_FLOAT_PROBES = (1.5, -1e300, float("nan"))
_BOOL_PROBES = (True, False)
MAX_PROBES = 512  # more combinations than this: not worth proving

# Python's own operators that never raise on two ints, two bools or two floats
# (big ints are exact; float overflow gives inf).
TOTAL_ON_NUMBERS = frozenset({
    operator.add, operator.sub, operator.mul, operator.and_, operator.or_, operator.xor,
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
    operator.neg, operator.pos, operator.invert, abs})

_probe_cache: dict = {}


def _tensors(infos):
    return [i for i in infos if R.is_tensor(i.type)]


def _unbounded_int(info) -> bool:
    """A Python int only known at run time: any value, also one no dtype holds."""
    return info.type == T.INT and not info.is_constant


def shapes_agree(shapes) -> bool:
    """Whether arrays of these shapes (None: rank unknown; None sizes unknown)
    surely broadcast together."""
    ranked = [s for s in shapes if s != ()]
    if len(ranked) <= 1:
        return True
    if any(s is None for s in ranked):
        return False
    ndim = max(len(s) for s in ranked)
    for axis in range(1, ndim + 1):
        sizes = [s[-axis] for s in ranked if len(s) >= axis]
        other = [n for n in sizes if n != 1]
        if len(other) > 1 and (None in other or len(set(other)) > 1):
            return False
    return True


def _candidates(info):
    """The probe values standing for one argument, or None when no finite set does."""
    kind = info.type
    if info.is_constant:
        value = info.value
        if hasattr(value, "dtype") and hasattr(value, "shape"):  # an array constant: its dtype is what matters
            return [np.ones(1, value.dtype)]
        return [value]
    if R.is_tensor(kind):
        dtypes = PROBE_DTYPES if kind.dtype is None else (kind.dtype,)
        return [np.ones(1, d) for d in dtypes]
    if kind == T.FLOAT:
        return list(_FLOAT_PROBES)
    if kind == T.BOOL:
        return list(_BOOL_PROBES)
    return None  # an int of any size, a str, a dtype only known at run time...


def _probe_key(value):
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str)
    return (type(value).__name__, repr(value))


def probes_pass(op, infos) -> bool:
    """Whether the op runs without raising on every combination of probes for these arguments."""
    choices = [_candidates(i) for i in infos]
    if any(c is None for c in choices) or math.prod(len(c) for c in choices) > MAX_PROBES:
        return False
    key = (op.name, tuple(tuple(_probe_key(v) for v in c) for c in choices))
    known = _probe_cache.get(key)
    if known is None:
        known = True
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for arguments in itertools.product(*choices):
                try:
                    op.eager(np, *arguments)
                except Exception:  # noqa: BLE001 - any error is what we are looking for
                    known = False
                    break
        _probe_cache[key] = known
    return known


def _integer_power_may_raise(infos, exponent_index) -> bool:
    """NumPy raises for an integer loop and any negative integer exponent element."""
    base, exponent = infos[1 - exponent_index], infos[exponent_index]
    if not R.is_tensor(exponent.type):
        return False  # a Python int exponent is probed (constant) or unbounded (raises elsewhere)
    if exponent.is_constant:
        value = np.asarray(exponent.value)
        return value.dtype.kind == "i" and bool((value < 0).any())
    if exponent.type.dtype is not None and exponent.type.dtype.kind not in "i":
        return False
    if R.is_tensor(base.type):
        return base.type.dtype is None or base.type.dtype.kind in "iub"
    return base.type in (T.INT, T.BOOL)


def elementwise(pyop=None, *, array_args=None, exponent=None):
    """An elementwise op over ``array_args`` (default: all arguments): may raise when
    its arrays may not broadcast, when a probe of its dtypes and scalars raises, or
    when a Python int only known at run time meets an array. On Python scalars
    alone it is ``pyop``, total when listed in TOTAL_ON_NUMBERS. ``exponent``: the
    index of a power's exponent (integer powers reject negative exponents)."""

    def raises(op, infos):
        operands = infos if array_args is None else [infos[i] for i in array_args]
        tensors = _tensors(operands)
        if not tensors:
            if pyop not in TOTAL_ON_NUMBERS:
                return True
            kinds = {i.type for i in operands}
            # int + float converts the int, which overflows for ints beyond a float's range
            return not kinds <= set(T.PYTHON_SCALAR_TYPES) or (
                T.FLOAT in kinds and any(_unbounded_int(i) for i in operands))
        if not shapes_agree([i.type.shape for i in tensors]):
            return True
        if any(_unbounded_int(i) for i in operands):
            return True
        if exponent is not None and _integer_power_may_raise(infos, exponent):
            return True
        return not probes_pass(op, infos)

    return raises


def equality(pyop):
    """``==``/``!=``: elementwise with an array; Python's comparison otherwise, which
    raises only where it compares arrays inside tuples or lists."""
    numeric = elementwise(pyop)

    def raises(op, infos):
        if _tensors(infos) or all(i.type in T.PYTHON_SCALAR_TYPES for i in infos):
            return numeric(op, infos)
        return any(i.type.contains_tensor() for i in infos)

    return raises


def reduction(needs_elements: bool):
    """A reduction: may raise when its axes may be out of range, its dtype is not a
    constant, or (``needs_elements``: max, min, argmax, argmin have no identity) a
    reduced axis may be empty."""

    def raises(op, infos):
        by_name = {a.name: info for a, info in zip(op.args, infos)}
        source, axis = infos[0].type, by_name["axis"]
        dtype = by_name.get("dtype")
        if not axis.is_constant or (dtype is not None and not dtype.is_constant):
            return True
        try:
            op.result_type(infos)
            if source.shape is None:
                return needs_elements or axis.value is not None
            axes = R.normalize_axes(axis.value, len(source.shape), int_axis_of_0d=True)
        except (TypeError, ValueError):
            return True
        if needs_elements:
            reduced = [source.shape[a] for a in axes]
            return any(n is None or n == 0 for n in reduced)
        return False

    return raises


def product(kind: str):
    """matmul/dot: may raise unless the ranks are known, the contracted sizes are
    known (the rule has checked them equal) and matmul's batch shapes broadcast."""

    def raises(op, infos):
        if any(_unbounded_int(i) for i in infos):
            return True
        try:
            op.result_type(infos)
        except (TypeError, ValueError):
            return True
        shapes = [i.type.shape if R.is_tensor(i.type) else () for i in infos]
        if any(s is None for s in shapes):
            return True
        a, b = shapes
        if kind == "dot" and (not a or not b):
            return False
        a2 = a if len(a) >= 2 else (1,) + a
        b2 = b if len(b) >= 2 else b + (1,)
        if a2[-1] is None or b2[-2] is None:
            return True
        return kind == "matmul" and not shapes_agree([a2[:-2], b2[:-2]])

    return raises


def constant_arguments(*names):
    """An op that cannot raise once the named arguments are constants its rule accepts."""

    def raises(op, infos):
        by_name = {a.name: info for a, info in zip(op.args, infos)}
        if not all(by_name[n].is_constant for n in names):
            return True
        try:
            op.result_type(infos)
        except (TypeError, ValueError):
            return True
        return False

    return raises


def _valid_shape(info) -> bool:
    sizes = int_sequence(info)
    return sizes is not None and all(type(n) is int and n >= 0 for n in sizes)


def factory(shape_arg=None, fill_arg=None):
    """zeros/ones/empty/full and their ``_like`` forms: may raise unless the shape
    is known and not negative, the dtype is a constant, ``like`` is surely not a
    NumPy scalar, and the fill (probed with the dtype) fits it."""

    def raises(op, infos):
        by_name = {a.name: info for a, info in zip(op.args, infos)}
        if shape_arg is not None and not _valid_shape(by_name[shape_arg]):
            return True
        if not by_name["dtype"].is_constant:
            return True
        like = by_name.get("like")
        if like is not None and R.is_tensor(like.type) and like.type.shape in (None, ()):
            return True  # a NumPy scalar (unlike a 0-d array) is refused: TypeError
        try:
            op.result_type(infos)
        except (TypeError, ValueError):
            return True
        if fill_arg is None:
            return False
        fill = by_name[fill_arg]
        if R.is_tensor(fill.type) and fill.type.shape != ():
            return True  # broadcast to the shape
        if _unbounded_int(fill):
            return True
        fills = _candidates(fill)
        dtypes = [by_name["dtype"].value]
        if dtypes == [None] and "a" in by_name:  # full_like: a's dtype
            source = by_name["a"].type.dtype
            dtypes = PROBE_DTYPES if source is None else [source]
        if fills is None:
            return True
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                for value, dtype in itertools.product(fills, dtypes):
                    np.full(1, value, dtype=dtype)
            except Exception:  # noqa: BLE001 - what NumPy raises for a fill the dtype cannot hold
                return True
        return False

    return raises


def never_on(*kinds):
    """An op on one value that raises only for arguments outside ``kinds`` (Python
    types): ``int(x)`` of a bool, ``not`` of a number."""

    def raises(op, infos):
        return infos[0].type not in kinds

    return raises


def nonzero_step(index):
    """An op that raises only for a zero step (``range``, slices): safe for None
    or a non-zero constant."""

    def raises(op, infos):
        step = infos[index]
        return not (step.is_constant and step.value != 0)

    return raises


def fixed_tuple(op, infos) -> bool:
    """Tuple indexing and unpacking: the rule checked a fixed tuple; a Tuple[T, ...]
    (a shape) may be shorter at run time."""
    return not isinstance(infos[0].type, T.TupleType)


def sized(op, infos) -> bool:
    """``len(x)``: raises for a 0-d array only."""
    kind = infos[0].type
    if R.is_tensor(kind):
        return kind.shape is None or len(kind.shape) == 0
    return False


def along_axis(op, infos) -> bool:
    """softmax and log_softmax: may raise unless the axis is a constant in range and
    is known not to be empty (their max has no identity)."""
    source, dim = infos[0].type, infos[1]
    if source.shape is None or not dim.is_constant:
        return True
    try:
        op.result_type(infos)
        (axis,) = R.normalize_axes((dim.value,), max(1, len(source.shape)), "dim")
    except (TypeError, ValueError):
        return True
    if not source.shape:
        return False
    # the probes are 1-d: they stand for the dtype, along their only axis
    return source.shape[axis] in (None, 0) or not probes_pass(op, [infos[0], ArgInfo(T.INT, -1)])


def math_function(total: bool):
    """A ``math`` function: ``total`` ones never raise on floats, the others have
    domains (sqrt, log), overflow (exp) or raise for inf and NaN (floor, sin). An
    int argument is converted to float, which overflows beyond a float's range."""

    def raises(op, infos):
        if not total:
            return True
        for info in infos:
            if info.type == T.INT and not (info.is_constant and abs(info.value) < 2 ** 1000):
                return True
        return False

    return raises


def _rule_accepts(op, infos) -> bool:
    try:
        op.result_type(infos)
    except (TypeError, ValueError):
        return False
    return True


def _fully_known(shape) -> bool:
    return shape is not None and None not in shape


def reshape(op, infos) -> bool:
    """x.reshape(shape): safe when both sizes are known (the rule checked they agree)."""
    return not (_fully_known(infos[0].type.shape) and _fully_known(int_sequence(infos[1]))
                and _rule_accepts(op, infos))


def axes_known(*names):
    """transpose, swapaxes, expand_dims: safe when the rank is known and the axes
    are constants (the rule checked them against the rank)."""

    def raises(op, infos):
        by_name = {a.name: info for a, info in zip(op.args, infos)}
        return not (infos[0].type.shape is not None and all(by_name[n].is_constant for n in names)
                    and _rule_accepts(op, infos))

    return raises


def squeeze(op, infos) -> bool:
    """x.squeeze(axis): safe for no axis, or constant axes known to have size 1."""
    source, axis = infos[0].type, infos[1]
    if axis.is_constant and axis.value is None:
        return False
    if source.shape is None or not axis.is_constant or not _rule_accepts(op, infos):
        return True
    axes = R.normalize_axes(axis.value, len(source.shape), int_axis_of_0d=True)
    return any(source.shape[a] != 1 for a in axes)


def joined(same_shapes: bool):
    """concatenate (``same_shapes`` False) and stack (True): safe when every array's
    shape is known, the axis is a constant and the rule accepts them."""

    def raises(op, infos):
        types = element_types(infos[0])
        if not types or not infos[1].is_constant or not _rule_accepts(op, infos):
            return True
        shapes = [t.shape if R.is_tensor(t) else None for t in types]
        if not all(_fully_known(s) for s in shapes):
            return True
        return same_shapes and len(set(shapes)) != 1

    return raises


def broadcast_to(op, infos) -> bool:
    """np.broadcast_to(x, shape): safe when both shapes are known and x broadcasts to it."""
    source, target = infos[0].type.shape, int_sequence(infos[1])
    if not (_fully_known(source) and _fully_known(target)) or any(n < 0 for n in target):
        return True
    try:
        return tuple(np.broadcast_shapes(source, target)) != tuple(target)
    except ValueError:
        return True


def basic_index(op, infos) -> bool:
    """x[index]: safe for basic indexing of a known rank with constant ints inside
    known sizes and constant slices (not of step 0); array indices may be out of range."""
    shape = infos[0].type.shape
    if shape is None or not _rule_accepts(op, infos):
        return True
    items = index_items(infos[1])
    axis = 0
    ellipsis_span = len(shape) - sum(isinstance(i.type, (T.IntType, T.SliceType)) for i in items)
    for item in items:
        kind = type(item.type)
        if kind is T.NoneType:
            continue
        if kind is T.EllipsisType:
            axis += ellipsis_span
        elif kind is T.SliceType:
            if not item.is_constant or item.value.step == 0:
                return True
            axis += 1
        elif kind is T.IntType:
            if not item.is_constant or shape[axis] is None:
                return True  # the rule checked a constant against a known size
            axis += 1
        else:
            return True
    return False
