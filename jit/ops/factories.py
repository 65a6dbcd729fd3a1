"""Array factories (``zeros ones full empty arange`` and the ``*_like`` forms)
and NumPy's global random generator (``np.random.rand/randn/random``).

An array made with ``like=x`` or ``np.zeros_like(x)`` lives on x's device: the
executor resolves ``{xp}`` from the op's array arguments. Without one it is a
NumPy array, as in eager code. Random draws always come from NumPy's global
generator, so a seeded script draws what the eager function draws.
"""
from __future__ import annotations

import math

import numpy as np

from jit import types as T

from . import raising
from . import type_rules as R
from .arithmetic import numpy_function
from .reductions import OPTIONAL_DTYPE
from .registry import ARRAY_LIKE, Arg, OpDef, Spelling, add_template_global, register
from .shapes import SHAPE, int_sequence

OPTIONAL_TENSOR = T.OptionalType(T.TENSOR)
NUMBER = T.UnionType([T.INT, T.FLOAT, T.BOOL])


def like_keywords(xp, like) -> dict:
    """``like=`` as the factory takes it: NumPy gets it, so that a value that is no
    array (a NumPy scalar) raises NumPy's TypeError; CuPy's factories take no
    ``like=``, and ``xp`` is already like's array module."""
    return {"like": like} if xp is np and like is not None else {}


add_template_global("_like_keywords", like_keywords)


def _like_template(plain, like_index) -> dict:
    """A factory's call ``plain`` with its ``like=`` argument checked by NumPy; the
    code of a call whose like is None is ``plain`` itself (the usual case costs nothing)."""
    template = f"{plain[:-1]}, **_like_keywords({{xp}}, {{{like_index}}}))"
    return {"template": template,
            "render_fn": lambda args, xp: (plain if args[like_index] == "None" else template).format(*args, xp=xp)}


def _dtype_of(info, default):
    if not info.is_constant:
        return None
    return np.dtype(info.value) if info.value is not None else default


def _device_of(info):
    return info.type.device if R.is_tensor(info.type) else ("cpu" if info.type == T.NONE else None)


def _shaped_rule(fill_index=None):
    def rule(infos):
        shape_info, dtype_info, like_info = infos[0], infos[-2], infos[-1]
        default = np.dtype(np.float64) if fill_index is None else _fill_dtype(infos[fill_index])
        return T.TensorType(_dtype_of(dtype_info, default), int_sequence(shape_info), _device_of(like_info))

    return rule


def _fill_dtype(fill):
    if R.is_tensor(fill.type):
        return fill.type.dtype
    if fill.is_constant:
        return np.asarray(fill.value).dtype
    return {T.INT: np.dtype(np.int64), T.FLOAT: np.dtype(np.float64), T.BOOL: np.dtype(np.bool_)}[fill.type]


def _like_rule(infos):
    source, dtype_info = infos[0].type, infos[-1]
    return T.TensorType(_dtype_of(dtype_info, source.dtype), source.shape, source.device)


for _name in ("zeros", "ones", "empty"):
    # np.empty's contents are whatever the memory held: nondeterministic.
    _undefined = _name == "empty"
    register(OpDef(
        f"np::{_name}",
        [Arg("shape", SHAPE), Arg("dtype", OPTIONAL_DTYPE, None), Arg("like", OPTIONAL_TENSOR, None, kwarg_only=True)],
        T.TENSOR, _shaped_rule(), **_like_template(f"{{xp}}.{_name}({{0}}, dtype={{1}})", 2),
        nondeterministic=_undefined,
        spellings=[numpy_function(_name)], doc=f"np.{_name}(shape, dtype=None, *, like=None)",
        raises=raising.factory(shape_arg="shape")))
    register(OpDef(
        f"np::{_name}_like", [Arg("a", T.TENSOR), Arg("dtype", OPTIONAL_DTYPE, None)],
        T.TENSOR, _like_rule, template=f"{{xp}}.{_name}_like({{0}}, dtype={{1}})", nondeterministic=_undefined,
        spellings=[numpy_function(f"{_name}_like")], doc=f"np.{_name}_like(a, dtype=None): on a's device",
        raises=raising.factory()))

def _fill_spelling(name) -> Spelling:
    """``np.full``/``np.full_like``: the fill reaches NumPy as written, so that a Python
    int the dtype cannot hold raises OverflowError as it does eagerly (a 0-d int64 array
    would be cast without a word)."""
    return Spelling("function", f"np.{name}", getattr(np, name))


register(OpDef(
    "np::full",
    [Arg("shape", SHAPE), Arg("fill_value", ARRAY_LIKE), Arg("dtype", OPTIONAL_DTYPE, None),
     Arg("like", OPTIONAL_TENSOR, None, kwarg_only=True)],
    T.TENSOR, _shaped_rule(fill_index=1), **_like_template("{xp}.full({0}, {1}, dtype={2})", 3),
    spellings=[_fill_spelling("full")], doc="np.full(shape, fill_value, dtype=None, *, like=None)",
    raises=raising.factory(shape_arg="shape", fill_arg="fill_value")))
register(OpDef(
    "np::full_like", [Arg("a", T.TENSOR), Arg("fill_value", ARRAY_LIKE), Arg("dtype", OPTIONAL_DTYPE, None)],
    T.TENSOR, _like_rule, template="{xp}.full_like({0}, {1}, dtype={2})",
    spellings=[_fill_spelling("full_like")], doc="np.full_like(a, fill_value, dtype=None): on a's device",
    raises=raising.factory(fill_arg="fill_value")))


def _arange_rule(infos):
    bounds, dtype_info, like_info = infos[:3], infos[3], infos[4]
    present = [b for b in bounds if b.type != T.NONE]
    if any(b.type not in (T.INT, T.FLOAT, T.BOOL) for b in present):
        raise TypeError("the bounds must be int or float")
    dtype = None
    if dtype_info.is_constant and dtype_info.value is not None:
        dtype = np.dtype(dtype_info.value)
    elif dtype_info.is_constant:
        dtype = np.dtype(np.float64) if any(b.type == T.FLOAT for b in present) else np.dtype(np.int64)
    if bounds[2].is_constant and bounds[2].value == 0:
        raise TypeError("the step must not be zero (NumPy raises ZeroDivisionError)")
    length = None
    if all(b.is_constant for b in bounds):
        start, stop, step = (b.value for b in bounds)
        if stop is None:
            start, stop = 0, start
        step = 1 if step is None else step
        length = max(0, math.ceil((stop - start) / step))
    return T.TensorType(dtype, (length,), _device_of(like_info))


OPTIONAL_NUMBER = T.UnionType([T.NONE, T.INT, T.FLOAT])
register(OpDef(
    "np::arange",
    [Arg("start", T.UnionType([T.INT, T.FLOAT])), Arg("stop", OPTIONAL_NUMBER, None),
     Arg("step", OPTIONAL_NUMBER, None), Arg("dtype", OPTIONAL_DTYPE, None),
     Arg("like", OPTIONAL_TENSOR, None, kwarg_only=True)],
    T.TENSOR, _arange_rule, **_like_template("{xp}.arange({0}, {1}, {2}, dtype={3})", 4),
    spellings=[numpy_function("arange")], doc="np.arange([start,] stop[, step], dtype=None, *, like=None)"))


def _random_rule(infos):
    size = infos[0]
    if size.type == T.NONE:
        return T.FLOAT
    return T.TensorType(np.float64, int_sequence(size), "cpu")


_OPTIONAL_SHAPE = T.UnionType([T.NONE, T.INT, T.SequenceType(T.INT)])
register(OpDef(
    "np::random.random", [Arg("size", _OPTIONAL_SHAPE, None)], T.UnionType([T.TENSOR, T.FLOAT]), _random_rule,
    template="_np.random.random_sample({0})",
    spellings=[Spelling("function", "np.random.random", np.random.random),
               Spelling("function", "np.random.random_sample", np.random.random_sample),
               Spelling("function", "np.random.rand", np.random.rand, varargs="size")],
    side_effects=True, nondeterministic=True,
    doc="uniform [0, 1) from NumPy's global generator; np.random.rand(*size) is the same draw"))
register(OpDef(
    "np::random.randn", [Arg("size", _OPTIONAL_SHAPE, None)], T.UnionType([T.TENSOR, T.FLOAT]), _random_rule,
    template="_np.random.standard_normal({0})",
    spellings=[Spelling("function", "np.random.standard_normal", np.random.standard_normal),
               Spelling("function", "np.random.randn", np.random.randn, varargs="size")],
    side_effects=True, nondeterministic=True,
    doc="standard normal from NumPy's global generator; np.random.randn(*size) is the same draw"))
