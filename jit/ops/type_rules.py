"""Result-type rules shared by many operators.

A rule takes the ``ArgInfo`` of each canonical argument and returns the static
result type. With unrefined tensors the answer is just ``Tensor``; with refined
tensors (profiled or traced) it also gives dtype, shape and device, computed
with NumPy's own machinery so that it cannot drift from NumPy 2: ufunc loop
resolution for elementwise ops (Python int and float are weak, as in NEP 50),
and dtype probes on one-element arrays for everything else.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from jit import types as T

if TYPE_CHECKING:  # for the annotations only: the registry imports these rules
    from .registry import ArgInfo

# Values standing for a Python scalar of each type when probing an operator.
_PYTHON_SAMPLES = {T.INT: 3, T.FLOAT: 1.5, T.BOOL: True, T.STR: "ab"}


def is_tensor(t: T.Type) -> bool:
    return isinstance(t, T.TensorType)


def tensor_types(infos):
    return [i.type for i in infos if is_tensor(i.type)]


def common_device(types):
    devices = {t.device for t in types if is_tensor(t)}
    return devices.pop() if len(devices) == 1 and None not in devices else None


def broadcast_shapes(shapes):
    """NumPy broadcasting over shapes whose sizes may be unknown (None); a None
    shape (unknown rank) makes the result unknown."""
    if any(s is None for s in shapes):
        return None
    ndim = max((len(s) for s in shapes), default=0)
    result = []
    for axis in range(ndim):
        sizes = [s[axis - ndim + len(s)] for s in shapes if axis - ndim + len(s) >= 0]
        known = {n for n in sizes if n is not None and n != 1}
        if len(known) > 1:
            raise TypeError(f"shapes {' and '.join(_shape_text(s) for s in shapes)} cannot be broadcast together")
        if known:
            result.append(known.pop())
        elif any(n is None for n in sizes):
            result.append(None)
        else:
            result.append(1)
    return tuple(result)


def _shape_text(shape):
    return "(" + ", ".join("?" if n is None else str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def promotion_operand(info: ArgInfo):
    """What NumPy's promotion sees for an argument: a dtype, or the Python type of
    a weak scalar. None when a tensor's dtype is unknown."""
    t = info.type
    if is_tensor(t):
        return t.dtype
    if t == T.BOOL:
        return np.dtype(bool)  # Python bools are not weak in NumPy 2
    if t == T.INT:
        return int
    if t == T.FLOAT:
        return float
    raise TypeError(f"expected an array or a number, got {t.annotation_str()}")


def python_scalar_result(pyop, infos) -> T.Type:
    """The type Python gives ``pyop`` on scalars of these types (``int / int`` is
    float, ``bool + bool`` is int): found by running it on sample values."""
    samples = []
    for info in infos:
        if info.type not in _PYTHON_SAMPLES:
            raise TypeError(f"expected a number or a str, got {info.type.annotation_str()}")
        # Samples, never the constants themselves: 2 ** 10**9 must not run at compile time.
        samples.append(_PYTHON_SAMPLES[info.type])
    try:
        result = pyop(*samples)
    except TypeError as error:
        raise TypeError(str(error)) from None
    return T.type_of_constant(result)


def join_scalar_alternatives(results) -> T.Type:
    """One type for a result computed once per kind a ``Scalar`` argument may have
    (int, float, bool): the common type, ``Scalar`` where the kinds give different
    Python numbers, and an array of unknown dtype (or shape) where the arrays differ."""
    first = results[0]
    if all(r == first for r in results):
        return first
    if all(r in T.PYTHON_SCALAR_TYPES or r == T.NUMBER for r in results):
        return T.NUMBER
    if all(is_tensor(r) for r in results):
        dtypes, shapes = {r.dtype for r in results}, {r.shape for r in results}
        return T.TensorType(dtypes.pop() if len(dtypes) == 1 else None, shapes.pop() if len(shapes) == 1 else None,
                            common_device(results))
    kinds = " or ".join(sorted({r.annotation_str() for r in results}))
    raise TypeError(f"the result is a {kinds} depending on whether the Scalar argument is an int, a float or "
                    "a bool; convert it first (float(v), int(v))")


def elementwise(ufunc, pyop=None, *, array_args=None):
    """The rule of an op computed by ``ufunc`` over ``array_args`` (default: all
    arguments). With no tensor argument the op is Python's ``pyop`` on scalars."""

    def rule(infos):
        operands = infos if array_args is None else [infos[i] for i in array_args]
        tensors = tensor_types(operands)
        if not tensors:
            if pyop is not None:
                return python_scalar_result(pyop, operands)
            if not operands or not all(i.type in (T.INT, T.FLOAT, T.BOOL) for i in operands):
                raise TypeError("expected at least one array argument")
            # Python numbers only: script code makes them arrays first (prim::NumToTensor), but a draw of
            # 0-d parameters becomes a Python number once its ranks are known (OpDef.number_for_0d_inputs):
            # NumPy then gives a scalar of the ufunc's dtype, a 0-d array here (campaign seed 138408)
            return T.TensorType(_result_dtype(ufunc, [promotion_operand(i) for i in operands]), (), "cpu")
        promoted = [promotion_operand(i) for i in operands]
        shape = broadcast_shapes([t.shape if is_tensor(t) else () for t in (i.type for i in operands)])
        dtype = _result_dtype(ufunc, promoted) if all(p is not None for p in promoted) else None
        return T.TensorType(dtype, shape, common_device(tensors))

    rule.ufunc = ufunc
    return rule


def _result_dtype(ufunc, promoted):
    try:
        return ufunc.resolve_dtypes((*promoted, *([None] * ufunc.nout)))[-1]
    except (TypeError, np.exceptions.DTypePromotionError) as error:
        raise TypeError(f"np.{ufunc.__name__} does not support {_operand_text(promoted)}: {error}") from None


def _operand_text(promoted):
    return ", ".join(p.__name__ if isinstance(p, type) else str(p) for p in promoted)


def float_result_dtype(dtype):
    """The dtype of float math on ``dtype``: floats keep theirs, the rest are float64."""
    if dtype is None:
        return None
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)


def normalize_axes(axis, ndim, what="axis", int_axis_of_0d=False):
    """A tuple of non-negative axes, NumPy's way, for an int, a tuple or None.
    ``int_axis_of_0d``: NumPy's legacy rule for reductions and squeeze, which accept
    an int axis 0 or -1 on a 0-d array and then act on no axis."""
    if axis is None:
        return tuple(range(ndim))
    if int_axis_of_0d and ndim == 0 and type(axis) is int and axis in (0, -1):
        return ()
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    result = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise TypeError(f"{what} {a} is out of bounds for an array of dimension {ndim}")
        result.append(a % ndim)
    if len(set(result)) != len(result):
        raise TypeError(f"repeated {what} in {axis}")
    return tuple(result)


def fixed(result_type):
    """A rule that always answers ``result_type``."""
    return lambda infos: result_type
