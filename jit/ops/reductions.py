"""Reductions (``sum mean max min prod argmax argmin var std any all``) and
linear algebra (``matmul``/``@``, ``dot``).

Reductions execute as ndarray methods, which serve NumPy arrays, NumPy scalars
and CuPy arrays alike. A full reduction returns what NumPy returns: a NumPy
scalar (a 0-d tensor).
"""
from __future__ import annotations

import math

import numpy as np

from jit import types as T

from . import raising
from . import type_rules as R
from .arithmetic import numpy_function
from .registry import ARRAY_LIKE, Arg, OpDef, Spelling, add_template_global, register

AXIS = T.UnionType([T.NONE, T.INT, T.SequenceType(T.INT)])
OPTIONAL_DTYPE = T.UnionType([T.NONE, T.DTYPE, T.STR])


def reduced_shape(shape, axis_info, keepdims_info):
    """The shape after reducing ``axis`` (when it and keepdims are known)."""
    if shape is None or not axis_info.is_constant or not keepdims_info.is_constant:
        return None
    axes = R.normalize_axes(axis_info.value, len(shape), int_axis_of_0d=True)
    if keepdims_info.value:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def reduction(name, *, dtype_arg=False, ddof_arg=False, function_names=None, identity=True):
    """``identity``: False for reductions that raise on an empty axis (max, argmax)."""
    args = [Arg("a", T.TENSOR), Arg("axis", AXIS, None)]
    if dtype_arg:
        args.append(Arg("dtype", OPTIONAL_DTYPE, None, kwarg_only=True))
    if ddof_arg:
        args.append(Arg("ddof", T.UnionType([T.INT, T.FLOAT]), 0, kwarg_only=True))
    args.append(Arg("keepdims", T.BOOL, False, kwarg_only=True))
    keywords = ", ".join(f"{a.name}={{{i}}}" for i, a in enumerate(args) if i > 0)
    numpy_reduction = getattr(np, name)

    def rule(infos):
        source = infos[0].type
        by_name = {a.name: info for a, info in zip(args, infos)}
        dtype = None
        dtype_info = by_name.get("dtype")
        if source.dtype is not None and (dtype_info is None or dtype_info.is_constant):
            options = {"dtype": dtype_info.value} if dtype_info is not None else {}
            try:
                dtype = np.asarray(numpy_reduction(np.ones(1, source.dtype), **options)).dtype
            except TypeError as error:
                raise TypeError(f"np.{name} does not support dtype {source.dtype}: {error}") from None
        shape = reduced_shape(source.shape, by_name["axis"], by_name["keepdims"])
        return T.TensorType(dtype, shape, source.device)

    spellings = [numpy_function(n) for n in (function_names or [name])]
    spellings.append(Spelling("method", name))
    return register(OpDef(f"np::{name}", args, T.TENSOR, rule, template=f"{{0}}.{name}({keywords})",
                          spellings=spellings, doc=f"np.{name}, x.{name}()",
                          raises=raising.reduction(needs_elements=not identity)))


# ``kernel_form``: how a fused kernel computes each reduction (fuser.reduction_lowering reads it):
# a kernels.ir.Reduce of that primitive (its identity and combine: kernels.ir.Reduce), then the
# per-row finalize: "mean" divides the sum by the row's size; "var" is a second pass summing
# (x - mean)**2, divided by max(size - ddof, 0); "std" its square root, as NumPy's _var/_std.
for _name, _options, _form in [
        ("sum", {"dtype_arg": True}, "sum"), ("prod", {"dtype_arg": True}, "prod"),
        ("mean", {"dtype_arg": True}, "mean"),
        ("max", {"function_names": ["max", "amax"], "identity": False}, "max"),
        ("min", {"function_names": ["min", "amin"], "identity": False}, "min"),
        ("argmax", {"identity": False}, "argmax"), ("argmin", {"identity": False}, "argmin"),
        ("var", {"dtype_arg": True, "ddof_arg": True}, "var"), ("std", {"dtype_arg": True, "ddof_arg": True}, "std"),
        ("any", {}, "any"), ("all", {}, "all")]:
    reduction(_name, **_options).kernel_form = _form


def _known(shape):
    return shape is not None


def matmul_shape(a, b):
    """np.matmul's result shape; None when an operand's rank is unknown."""
    if not (_known(a) and _known(b)):
        return None
    if len(a) == 0 or len(b) == 0:
        raise TypeError("matmul: an operand is 0-d; use * to multiply by a scalar")
    a2 = a if len(a) >= 2 else (1,) + a
    b2 = b if len(b) >= 2 else b + (1,)
    inner_a, inner_b = a2[-1], b2[-2]
    if inner_a is not None and inner_b is not None and inner_a != inner_b:
        raise TypeError(f"matmul: the last axis of the left operand has size {inner_a} but "
                        f"the second-to-last axis of the right operand has size {inner_b}")
    batch = R.broadcast_shapes([a2[:-2], b2[:-2]])
    result = batch + (a2[-2], b2[-1])
    if len(a) == 1:
        result = result[:-2] + result[-1:]
    if len(b) == 1:
        result = result[:-1]
    return result


def dot_shape(a, b):
    """np.dot's result shape; None when an operand's rank is unknown."""
    if not (_known(a) and _known(b)):
        return None
    if len(a) == 0 or len(b) == 0:
        return a if len(b) == 0 else b
    contracted_b = b[0] if len(b) == 1 else b[-2]
    if a[-1] is not None and contracted_b is not None and a[-1] != contracted_b:
        raise TypeError(f"dot: shapes {a} and {b} are not aligned ({a[-1]} != {contracted_b})")
    if len(b) == 1:
        return a[:-1]
    return a[:-1] + b[:-2] + b[-1:]


def _product_rule(shape_rule, function):
    def rule(infos):
        lhs, rhs = infos[0].type, infos[1].type
        if not (R.is_tensor(lhs) or R.is_tensor(rhs)):
            raise TypeError(f"{function.__name__} needs at least one array operand")
        shapes = [t.shape if R.is_tensor(t) else () for t in (lhs, rhs)]
        operands = [R.promotion_operand(i) for i in infos]
        dtype = None
        if all(o is not None for o in operands):
            probes = [np.ones((1,) * max(1, len(s) if s is not None else 1), o) if isinstance(o, np.dtype)
                      else {int: 1, float: 1.0}[o] for o, s in zip(operands, shapes)]
            try:
                dtype = np.asarray(function(*probes)).dtype
            except (TypeError, ValueError) as error:
                raise TypeError(f"{function.__name__}: {error}") from None
        return T.TensorType(dtype, shape_rule(*shapes), R.common_device([lhs, rhs]))

    return rule


def stacked_matmul(a, b):
    """``a @ b``; a C-contiguous stack of matrices times one matrix as one product of its rows
    ((8, 128, 256) @ (256, 1024) as (1024, 256) @ (256, 1024)): NumPy calls BLAS once per matrix of
    the stack, and a transformer block's six such products took 1.1 to 1.35 times as long."""
    if (type(a) is np.ndarray and type(b) is np.ndarray and a.ndim > 2 and b.ndim == 2
            and a.shape[-1] == b.shape[0] and a.flags.c_contiguous):
        return (a.reshape(math.prod(a.shape[:-1]), a.shape[-1]) @ b).reshape(a.shape[:-1] + b.shape[1:])
    return a @ b


add_template_global("_stacked_matmul", stacked_matmul)

register(OpDef(
    "np::matmul", [Arg("x1", T.TENSOR), Arg("x2", T.TENSOR)], T.TENSOR,
    _product_rule(matmul_shape, np.matmul), template="_stacked_matmul({0}, {1})",
    spellings=[numpy_function("matmul"), Spelling("operator", "@")],
    doc="np.matmul, a @ b", raises=raising.product("matmul")))

register(OpDef(
    "np::dot", [Arg("a", ARRAY_LIKE), Arg("b", ARRAY_LIKE)], T.TENSOR,
    _product_rule(dot_shape, np.dot), template="{xp}.dot({0}, {1})",
    spellings=[numpy_function("dot")],
    doc="np.dot(a, b); a.dot(b) is np::ndarray.dot (jit.ops.linalg), which NumPy scalars lack",
    raises=raising.product("dot")))
