"""Declaring NumPy functions whose result type NumPy itself computes.

Most of NumPy's reference (``np.repeat``, ``np.pad``, ``np.nanmean``,
``np.linalg.inv``...) is one call against the array module. ``numpy_op`` declares
such an entry from a signature written as text, and gives it a result-type rule
that asks NumPy: the rule runs the eager implementation on probe arrays of the
argument dtypes and shapes (ones; identity matrices for linear algebra) with the
constant arguments, and reads the result's dtype and shape. Dtypes and shapes
therefore follow NumPy 2 exactly, including its errors: a probe that raises
leaves the result unknown, and the run raises NumPy's own error.

Probing runs NumPy at compile time, so it is bounded: with every shape and
every argument the shape depends on known and the inputs small, the probe has
the real shapes; otherwise it has small stand-in shapes of the same rank and
gives the dtype only (the shape comes from the entry's ``shape`` function when
it has one). Ops whose result shape depends on the data (``np.nonzero``,
``np.unique``) are declared ``data_dependent``: every size of the result is
unknown, only its rank and dtype come from the probe.
"""
from __future__ import annotations

import ast
import math
import warnings

import numpy as np

from jit import types as T

from . import type_rules as R
from .reductions import AXIS, OPTIONAL_DTYPE
from .registry import ARRAY_LIKE, NO_DEFAULT, Arg, OpDef, Spelling, add_template_global, register
from .shapes import SHAPE, int_sequence

NUMBER = T.UnionType([T.INT, T.FLOAT, T.BOOL])
INTS = T.SequenceType(T.INT)
# The words of a signature text, and the types they stand for.
TYPES = {
    "array": ARRAY_LIKE, "tensor": T.TENSOR, "arrays": T.SequenceType(T.TENSOR), "axis": AXIS,
    "int": T.INT, "float": T.UnionType([T.INT, T.FLOAT]), "bool": T.BOOL, "str": T.STR, "number": NUMBER,
    "dtype": OPTIONAL_DTYPE, "shape": SHAPE, "ints": INTS,
    "int?": T.UnionType([T.NONE, T.INT]), "float?": T.UnionType([T.NONE, T.INT, T.FLOAT]),
    "str?": T.UnionType([T.NONE, T.STR]), "bool?": T.UnionType([T.NONE, T.BOOL]),
    "tensor?": T.OptionalType(T.TENSOR), "array?": T.UnionType([T.NONE, T.TENSOR, T.INT, T.FLOAT, T.BOOL]),
    "shape?": T.UnionType([T.NONE, T.INT, INTS]),
    "ord": T.UnionType([T.NONE, T.INT, T.FLOAT, T.STR]),
    "index": T.UnionType([T.INT, INTS, T.TENSOR]),
    "pad": T.UnionType([T.INT, INTS, T.SequenceType(INTS)]),
    "number|str": T.UnionType([T.INT, T.FLOAT, T.BOOL, T.STR]),
    "array|dtype": T.UnionType([T.TENSOR, T.DTYPE, T.INT, T.FLOAT, T.BOOL]),
    "array|dtype?": T.UnionType([T.NONE, T.TENSOR, T.DTYPE, T.INT, T.FLOAT, T.BOOL]),
    "tensor|dtype": T.UnionType([T.TENSOR, T.DTYPE]),
    "generator": T.GENERATOR,
}
RETURNS = {"tensor": T.TENSOR, "bool": T.BOOL, "list": T.ListType(T.TENSOR), "tuple": T.VarTupleType(T.TENSOR),
           "tuple2": T.TupleType([T.TENSOR, T.TENSOR]), "tuple3": T.TupleType([T.TENSOR, T.TENSOR, T.TENSOR]),
           "none": T.NONE, "int": T.INT, "dtype": T.DTYPE, "tensor|float": T.UnionType([T.TENSOR, T.FLOAT]),
           "tensor|int": T.UnionType([T.TENSOR, T.INT])}
PROBE_LIMIT = 4096  # elements of all probe arrays together, for a probe with the real shapes
_SAMPLES = {T.INT: 1, T.FLOAT: 0.5, T.BOOL: True}


def parse_signature(text):
    """Args from ``"a: array, axis: axis = None, *, keepdims: bool = False"``."""
    args, kwarg_only = [], False
    for part in _split_top(text):
        if part == "*":
            kwarg_only = True
            continue
        declaration, _, default_text = part.partition("=")
        name, _, type_name = declaration.partition(":")
        default = NO_DEFAULT if not default_text.strip() else _default(default_text.strip())
        args.append(Arg(name.strip(), TYPES[type_name.strip()], default, kwarg_only=kwarg_only))
    return args


def _default(text):
    if text.startswith("np."):
        return np.dtype(getattr(np, text[3:]))
    return ast.literal_eval(text)


def _split_top(text):
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "([" and 1 or (char in ")]" and -1 or 0)
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def xp_function(xp, dotted):
    """``xp.<dotted>``, or a clear error where the array module of the inputs lacks it
    (NumPy 2's newest functions, such as ``matvec`` or ``linalg.svdvals``, where CuPy may not have them)."""
    target = xp
    for part in dotted.split("."):
        target = getattr(target, part, None)
        if target is None:
            module = getattr(xp, "__name__", str(xp))
            raise TypeError(f"np.{dotted} has no {module} implementation ({module}.{dotted} does not exist in "
                            f"the installed version); convert the arrays to NumPy arrays for this call")
    return target


add_template_global("_xp_function", xp_function)


def numpy_op(name, signature, *, call=None, returns="tensor", method=False, positional=1, fill="ones", shape=None,
             data_dependent=False, template=None, impl=None, spellings=None, doc="", side_effects=False,
             nondeterministic=False, aliases=False, raises=True, result_device="inputs", op_name=None, rule=None,
             scalars_to_array=True, formula=None, compute=None, static=(), newer_than_cupy=False):
    """Register ``np::<name>`` (``op_name`` overrides) for ``np.<name>`` (a dotted name
    reaches submodules: ``linalg.norm``).

    ``call``: the expression the template calls (default ``{xp}.<name>``); the first
    ``positional`` arguments pass by position, the rest by keyword. ``method``: also
    spelled ``x.<name>()``. ``fill``: the probe arrays' values (``ones``, or ``eye``
    for linear algebra; integer arrays are indices). ``shape(infos)``: the result shape
    when the probe cannot have the real shapes. ``result_device``: ``inputs`` (the
    arrays' device) or ``cpu`` (NumPy's global generator). ``rule``: a result-type rule
    of its own, for ops that must not run at compile time (random draws).
    ``scalars_to_array``: False for functions that take Python numbers as they are
    (the draws: ``np.random.normal()`` is a float). ``formula``, ``compute``: an
    elementwise op's scalar formula and compute dtypes (``OpDef``), so that it fuses;
    ``static``: the names of the arguments the formula needs as constants.
    ``newer_than_cupy``: a function that CuPy 13/14 may lack; called on an array module
    without it, the op raises a TypeError that says so (``xp_function``)."""
    args = parse_signature(signature)
    if set(static) - {a.name for a in args}:
        raise ValueError(f"np.{name}: no arguments named {sorted(set(static) - {a.name for a in args})}")
    for arg in args:
        arg.static = arg.name in static
    if template is None and impl is None:
        head = call or (f'_xp_function({{xp}}, "{name}")' if newer_than_cupy else f"{{xp}}.{name}")
        parts = [f"{{{i}}}" if i < positional else f"{a.name}={{{i}}}" for i, a in enumerate(args)]
        template = f"{head}({', '.join(parts)})"
    if spellings is None:
        spellings = [Spelling("function", f"np.{name}", _numpy_object(name), scalars_to_array=scalars_to_array)]
        if method:
            spellings.append(Spelling("method", name.rsplit(".", 1)[-1]))
    static = RETURNS[returns] if isinstance(returns, str) else returns
    holder = []
    rule = rule or probe_rule(holder, static, fill=fill, shape=shape, data_dependent=data_dependent,
                              result_device=result_device)
    op = OpDef(op_name or f"np::{name}", args, static, rule, template=template, impl=impl,
               spellings=spellings, doc=doc or f"np.{name}", side_effects=side_effects,
               nondeterministic=nondeterministic, aliases=aliases, raises=raises, formula=formula, compute=compute)
    holder.append(op)
    return register(op)


def _numpy_object(dotted):
    target = np
    for part in dotted.split("."):
        target = getattr(target, part)
    return target


# -- the probing rule ------------------------------------------------------------------------
class _Unknown(Exception):
    """A probe argument cannot be built: the result type stays unknown."""


def probe_rule(holder, static, *, fill, shape, data_dependent, result_device):
    def rule(infos):
        op = holder[0]
        tensors = _tensor_types(infos)
        device = "cpu" if result_device == "cpu" or not tensors else R.common_device(tensors)
        exact = _exact(infos) and sum(math.prod(t.shape) for t in tensors) <= PROBE_LIMIT
        result = _run_probes(op, infos, fill, exact)
        if result is _FAILED:
            return _unknown(static, device, shape, infos)
        known_shapes = exact and not data_dependent
        result_type = _type_of(result, device, known_shapes, data_dependent, static)
        if not known_shapes and shape is not None and isinstance(result_type, T.TensorType):
            result_type = T.TensorType(result_type.dtype, _safe_shape(shape, infos), device)
        return result_type

    return rule


_FAILED = object()


def _run_probes(op, infos, fill, exact):
    """The op's result on probes; integer arrays are zeros (indices in range of any
    non-empty axis), and where that fails ones (np.geomspace cannot start at 0)."""
    for int_fill in (0, 1):
        try:
            probes = [_probe(info, fill, exact, int_fill) for info in infos]
        except _Unknown:
            return _FAILED
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a probe's warnings (ddof <= 0...) are not the user's
                return op.eager(np, *probes)
        except Exception:  # noqa: BLE001, S112 - NumPy's error is raised again when the op runs
            continue
    return _FAILED


def _tensor_types(infos):
    found = []
    for info in infos:
        if R.is_tensor(info.type):
            found.append(info.type)
        elif info.elements is not None:
            found += [e.type for e in info.elements if R.is_tensor(e.type)]
    return found


def _exact(infos):
    """Every shape and every other argument is known."""
    for info in infos:
        if R.is_tensor(info.type):
            if info.type.shape is None or None in info.type.shape:
                return False
        elif info.elements is not None:
            if not _exact(info.elements):
                return False
        elif not info.is_constant:
            return False
    return True


def _probe(info, fill, exact, int_fill):
    t = info.type
    if R.is_tensor(t):
        if t.dtype is None or t.shape is None:
            raise _Unknown
        shape = t.shape if exact else tuple(2 if n is None else min(n, 2) for n in t.shape)
        return _probe_array(t.dtype, shape, fill, int_fill)
    if info.elements is not None:
        values = [_probe(e, fill, exact, int_fill) for e in info.elements]
        return tuple(values) if isinstance(t, T.TupleType) else values
    if info.is_constant:
        return info.value
    if t in _SAMPLES:
        return _SAMPLES[t]
    if isinstance(t, T.TupleType) and all(e in _SAMPLES for e in t.elements):
        return tuple(_SAMPLES[e] for e in t.elements)
    raise _Unknown


def _probe_array(dtype, shape, fill, int_fill):
    if dtype.kind in "iu":
        return np.full(shape, int_fill, dtype)
    if fill == "eye" and len(shape) >= 2 and shape[-1] == shape[-2]:
        return np.broadcast_to(np.eye(shape[-1], dtype=dtype), shape).copy()
    return np.ones(shape, dtype)


def _type_of(value, device, known_shapes, data_dependent, static):
    if isinstance(value, (np.ndarray, np.generic)):
        shape = value.shape if known_shapes else (None,) * value.ndim if data_dependent else None
        return T.TensorType(value.dtype, shape, device)
    if isinstance(value, tuple):
        if isinstance(static, T.VarTupleType):  # a count the static type does not know: Tuple[Tensor, ...]
            return T.VarTupleType(_element_type(value, device))
        return T.TupleType([_type_of(v, device, known_shapes, data_dependent, static) for v in value])
    if isinstance(value, list):
        return T.ListType(_element_type(value, device))
    if value is None:
        return T.NONE
    return T.type_of_constant(value)


def arrays_signature(count, name="x"):
    """The arguments of a function of up to ``count`` arrays (``np.meshgrid(*xi)``):
    the first required, the others optional, so that printed code can pass them all."""
    return ", ".join([f"{name}1: tensor"] + [f"{name}{i}: tensor? = None" for i in range(2, count + 1)])


def given(*values):
    """The arrays of a call declared with ``arrays_signature``."""
    return [v for v in values if v is not None]


def _element_type(values, device):
    dtypes = {v.dtype for v in values if isinstance(v, (np.ndarray, np.generic))}
    return T.TensorType(dtypes.pop() if len(dtypes) == 1 else None, None, device)


def _unknown(static, device, shape, infos):
    if static == T.TENSOR:
        return T.TensorType(None, None if shape is None else _safe_shape(shape, infos), device)
    return static


def _safe_shape(shape, infos):
    try:
        return shape(infos)
    except TypeError:
        return None


# -- shape functions for big or partly known inputs ---------------------------------------------
def same_shape(infos):
    """The first argument's shape (scans with an axis, sort, roll, flip...)."""
    first = infos[0].type
    return first.shape if R.is_tensor(first) else ()


def broadcast_shape(*indices):
    def shape(infos):
        shapes = [infos[i].type.shape if R.is_tensor(infos[i].type) else () for i in indices]
        return R.broadcast_shapes(shapes)

    return shape


def reduced_shape(axis_index, keepdims_index=None):
    """The shape a reduction over the argument ``axis_index`` leaves."""
    def shape(infos):
        source = infos[0].type
        if not R.is_tensor(source) or source.shape is None or not infos[axis_index].is_constant:
            return None
        keepdims = False
        if keepdims_index is not None:
            if not infos[keepdims_index].is_constant:
                return None
            keepdims = infos[keepdims_index].value
        axes = R.normalize_axes(infos[axis_index].value, len(source.shape), int_axis_of_0d=True)
        if keepdims:
            return tuple(1 if i in axes else n for i, n in enumerate(source.shape))
        return tuple(n for i, n in enumerate(source.shape) if i not in axes)

    return shape


def flat_or_same(axis_index):
    """A scan's shape: flattened for axis None, else the input's."""
    def shape(infos):
        source, axis = infos[0].type, infos[axis_index]
        if not R.is_tensor(source) or source.shape is None or not axis.is_constant:
            return None
        if axis.value is None:
            return (None if None in source.shape else math.prod(source.shape),)
        return source.shape

    return shape


def sized(size_index):
    """A draw's shape: its ``size`` argument."""
    def shape(infos):
        info = infos[size_index]
        if info.is_constant and info.value is None:
            return ()
        return int_sequence(info)

    return shape
