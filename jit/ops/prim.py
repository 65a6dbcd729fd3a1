"""IR primitives: constants, control flow, tuples, lists, slices, casts and
the Python builtins of the language (``float int bool len min max``).

``prim::If`` and ``prim::Loop`` carry blocks with TorchScript's meaning:

- ``%outs = prim::If(%cond)`` runs block0 or block1; each block returns the outputs.
- ``%outs = prim::Loop(%max_trip_count, %initial_condition, %carried...)`` runs
  its block with parameters ``(%iteration, %carried...)`` while the iteration is
  below the trip count and the condition holds; the block returns
  ``(%next_condition, %next_carried...)``, and the node's outputs are the last
  carried values.
"""
from __future__ import annotations

import builtins
import sys

import numpy as np

from jit import types as T
from jit.errors import Error

from . import raising
from . import type_rules as R
from .registry import Arg, OpDef, Spelling, register

MAX_TRIP_COUNT = sys.maxsize  # the trip count of a while loop


def _structural(name, args, doc, **options):
    return register(OpDef(name, args, T.ANY, None, structural=True, doc=doc, **options))


_structural("prim::Constant", [], "a constant; its value is the node's 'value' attribute", raises=False)
_structural("prim::If", [Arg("condition", T.BOOL)], "if/else with a block per branch")
_structural("prim::Loop", [Arg("max_trip_count", T.INT), Arg("initial_condition", T.BOOL),
                           Arg("carried", T.ANY)], "for and while loops", variadic=True)
_structural("prim::TupleUnpack", [Arg("tuple", T.ANY)], "a, b = t: one output per element",
            raises=raising.fixed_tuple)
_structural("prim::ListUnpack", [Arg("list", T.ANY)], "a, b = l: checks the length at run time")
_structural("prim::Uninitialized", [], "the value of a variable on a path that raised: never read", raises=False)
_structural("prim::CallFunction", [Arg("function", T.ANY), Arg("args", T.ANY)],
            "a call of the script function its first input holds", variadic=True)
_structural("prim::PythonOp", [Arg("args", T.ANY)],
            "a call of a Python function (its 'function' attribute), run by Python: not saveable", variadic=True)
_structural("prim::CreateObject", [Arg("args", T.ANY)],
            "a new object of a script class, initialized by its __init__ with the inputs", variadic=True)
_structural("prim::GetAttr", [Arg("object", T.ANY)], "object.name (the 'name' attribute)", raises=False)
_structural("prim::SetAttr", [Arg("object", T.ANY), Arg("value", T.ANY)], "object.name = value")
_structural("prim::CallMethod", [Arg("object", T.ANY), Arg("args", T.ANY)], "object.name(args)", variadic=True)
_structural("prim::fork", [Arg("args", T.ANY)],
            "jit.fork(callee, args): starts the call its 'call' attribute describes (as prim::CallFunction, "
            "prim::CallMethod or prim::PythonOp would make it) on the thread pool; a Future of its result",
            variadic=True)
_structural("prim::annotate", [Arg("value", T.ANY)],
            "a value seen as a wider declared type (x: Optional[int] = None; jit.annotate(T, v))", raises=False)


def _wait_rule(infos):
    if not isinstance(infos[0].type, T.FutureType):
        raise TypeError(f"jit.wait takes a Future (from jit.fork), not {infos[0].type.annotation_str()}")
    return infos[0].type.element


# jit.wait's spelling is added by jit.runtime.futures, which defines the function.
register(OpDef("prim::wait", [Arg("future", T.ANY)], T.ANY, _wait_rule, template="{0}.wait()", side_effects=True,
               doc="jit.wait(future): the forked call's value; raises what the call raised"))


def _tuple_rule(infos):
    return T.TupleType(i.type for i in infos)


def _render_tuple(args, xp):
    return "(" + "".join(f"{a}, " for a in args).rstrip() + ")" if args else "()"


register(OpDef("prim::TupleConstruct", [Arg("elements", T.ANY)], T.ANY, _tuple_rule,
               impl=lambda xp, *elements: elements, render_fn=_render_tuple, variadic=True,
               doc="(a, b, ...)", raises=False))


def _list_rule(infos):
    if not infos:
        return T.ListType(T.ANY)  # the frontend types [] (List[Tensor], or as annotated)
    element = infos[0].type
    for info in infos[1:]:
        element = T.unify(element, info.type)
        if element is None:
            raise TypeError("list elements must all have the same type, got "
                            + ", ".join(i.type.annotation_str() for i in infos))
    return T.ListType(element)


register(OpDef("prim::ListConstruct", [Arg("elements", T.ANY)], T.ANY, _list_rule,
               impl=lambda xp, *elements: list(elements),
               render_fn=lambda args, xp: "[" + ", ".join(args) + "]", variadic=True,
               doc="[a, b, ...]; an empty list is List[Tensor]", raises=False))


def _tuple_index_rule(infos):
    tuple_type, index = infos[0].type, infos[1]
    if isinstance(tuple_type, T.VarTupleType):
        return tuple_type.element
    if not index.is_constant:
        raise TypeError("a tuple can only be indexed by a constant int")
    try:
        return tuple_type.elements[index.value]
    except IndexError:
        raise TypeError(f"tuple index {index.value} is out of range for {tuple_type.annotation_str()}") from None


register(OpDef("prim::TupleIndex", [Arg("tuple", T.ANY), Arg("index", T.INT)], T.ANY, _tuple_index_rule,
               template="{0}[{1}]", doc="t[i]: a constant i, or any i for a Tuple[T, ...]",
               raises=raising.fixed_tuple))
register(OpDef("prim::ListIndex", [Arg("list", T.ANY), Arg("index", T.INT)], T.ANY,
               lambda infos: infos[0].type.element, template="{0}[{1}]", doc="l[i]"))
_OPTIONAL_INT = T.OptionalType(T.INT)
register(OpDef("prim::ListSlice", [Arg("list", T.ANY), Arg("start", _OPTIONAL_INT), Arg("stop", _OPTIONAL_INT),
                                   Arg("step", _OPTIONAL_INT)], T.ANY,
               lambda infos: infos[0].type, template="{0}[{1}:{2}:{3}]", doc="l[a:b:c]",
               raises=raising.nonzero_step(3)))
register(OpDef("prim::TupleSlice", [Arg("tuple", T.ANY), Arg("start", _OPTIONAL_INT), Arg("stop", _OPTIONAL_INT),
                                    Arg("step", _OPTIONAL_INT)], T.ANY,
               lambda infos: infos[0].type, template="{0}[{1}:{2}:{3}]", doc="t[a:b:c] of a Tuple[T, ...]",
               raises=raising.nonzero_step(3)))
register(OpDef("prim::SliceConstruct", [Arg("start", _OPTIONAL_INT), Arg("stop", _OPTIONAL_INT),
                                        Arg("step", _OPTIONAL_INT)], T.SLICE, R.fixed(T.SLICE),
               template="slice({0}, {1}, {2})",
               spellings=[Spelling("function", "slice", builtins.slice)],
               doc="a:b:c inside a subscript; slice(start, stop, step) takes all three", raises=False))


def _num_to_tensor_rule(infos):
    # A Scalar (x.item() of an unknown dtype) gives an array whose dtype is known when run.
    dtype = {T.INT: np.int64, T.FLOAT: np.float64, T.BOOL: np.bool_}.get(infos[0].type)
    return T.TensorType(dtype, (), "cpu")


register(OpDef("prim::NumToTensor", [Arg("a", T.NUMBER)], T.TENSOR, _num_to_tensor_rule,
               template="_np.asarray({0})",
               spellings=[Spelling("function", "np.asarray", np.asarray)],
               doc="a Python number as a 0-d NumPy array, as NumPy converts it", raises=False))


def _cast_rule(result, allowed):
    def rule(infos):
        source = infos[0].type
        if not (R.is_tensor(source) or source in allowed):
            raise TypeError(f"cannot convert {source.annotation_str()} to {result}")
        return result

    return rule


_NUMBERS = (T.INT, T.FLOAT, T.BOOL)
# What each cast takes without raising: float() of a huge int overflows, int() of inf or NaN raises,
# and any of them raises for an array with other than one element.
_CASTS_SAFELY = {builtins.float: (T.FLOAT, T.BOOL), builtins.int: (T.INT, T.BOOL),
                 builtins.bool: (T.INT, T.FLOAT, T.BOOL, T.STR)}
for _cast, _result in ((builtins.float, T.FLOAT), (builtins.int, T.INT), (builtins.bool, T.BOOL)):
    register(OpDef(f"prim::{_cast.__name__.capitalize()}", [Arg("a", T.ANY)], _result,
                   _cast_rule(_result, _NUMBERS + (T.NUMBER,) + ((T.STR,) if _cast is not builtins.bool else ())),
                   template=f"{_cast.__name__}({{0}})",
                   spellings=[Spelling("function", _cast.__name__, _cast)],
                   doc=f"{_cast.__name__}(x): a one-element array or a number as a Python {_cast.__name__}",
                   raises=raising.never_on(*_CASTS_SAFELY[_cast])))


def _bool_operand_rule(infos):
    source = infos[0].type
    if not (R.is_tensor(source) or source in _NUMBERS):
        raise TypeError(f"'not' needs a bool, a number or an array, got {source.annotation_str()}")
    return T.BOOL


register(OpDef("prim::not", [Arg("a", T.ANY)], T.BOOL, _bool_operand_rule, template="not {0}",
               spellings=[Spelling("operator", "not")], doc="not x", raises=raising.never_on(*_NUMBERS)))


def _len_rule(infos):
    source = infos[0].type
    if not (R.is_tensor(source)
            or isinstance(source, (T.ListType, T.TupleType, T.VarTupleType, T.StrType, T.DictType))):
        raise TypeError(f"len() needs an array, a list, a tuple, a dict or a str, got {source.annotation_str()}")
    return T.INT


register(OpDef("prim::len", [Arg("a", T.ANY)], T.INT, _len_rule, template="len({0})",
               spellings=[Spelling("function", "len", builtins.len)], doc="len(x)", raises=raising.sized))


def _numbers_rule(infos):
    """min/max of numbers, or of 0-d arrays (``max(np.abs(x).max(), 1e-12)``). Python
    returns one of the arguments unchanged, whose type may depend on the values: a mix
    of int and float is a float, as TorchScript's ``max(int, float) -> float``; with an
    array among them the result is an array of the arrays' common dtype."""
    if len(infos) < 2:
        raise TypeError("min() and max() take at least two numbers")
    kinds = {info.type for info in infos if not R.is_tensor(info.type)}
    arrays = [info.type for info in infos if R.is_tensor(info.type)]
    if not kinds <= {*_NUMBERS, T.NUMBER}:
        raise TypeError("min() and max() take numbers or 0-d arrays, got "
                        + ", ".join(i.type.annotation_str() for i in infos))
    if arrays:
        dtypes = [t.dtype for t in arrays]
        dtype = np.result_type(*dtypes) if all(d is not None for d in dtypes) else None
        devices = {t.device for t in arrays}
        return T.TensorType(dtype, None, devices.pop() if len(devices) == 1 else None)
    if kinds == {T.BOOL}:
        return T.BOOL
    if T.FLOAT in kinds:
        return T.FLOAT
    return T.NUMBER if T.NUMBER in kinds else T.INT  # x.item() of an unknown dtype: its kind decides


def _extremum(pick):
    """The min/max implementation: Python's, its result given the static type the rule says."""
    def impl(xp, *values):
        result = pick(values)
        arrays = [v for v in values if hasattr(v, "dtype") and hasattr(v, "shape")]
        if arrays:
            dtype = np.result_type(*(a.dtype for a in arrays))
            if not (hasattr(result, "dtype") and result.dtype == dtype):
                result = xp.asarray(result, dtype=dtype)[()]  # a number (or another dtype) as the arrays' kind
            return result
        if type(result) is bool and any(type(v) is not bool for v in values):
            return int(result)
        return float(result) if any(type(v) is float for v in values) else result
    return impl


for _builtin in (builtins.min, builtins.max):
    register(OpDef(f"prim::{_builtin.__name__}", [Arg("values", T.ANY)], T.ANY,
                   _numbers_rule, impl=_extremum(_builtin), variadic=True,
                   spellings=[Spelling("function", _builtin.__name__, _builtin)],
                   doc=f"{_builtin.__name__}(a, b, ...) of numbers or 0-d arrays", raises=True))

register(OpDef("prim::range_length", [Arg("start", T.INT), Arg("stop", T.INT), Arg("step", T.INT)], T.INT,
               R.fixed(T.INT), template="len(range({0}, {1}, {2}))",
               doc="the trip count of range(start, stop, step)", raises=raising.nonzero_step(2)))


def _range_array_rule(infos):
    """np.asarray(range(...)): int64, unless the range is empty (NumPy's empty sequence is float64)."""
    if not all(info.is_constant for info in infos):
        return T.TensorType(None, (None,), "cpu")
    start, stop, step = (info.value for info in infos)
    if step == 0:
        raise TypeError("range() arg 3 must not be zero")
    length = len(range(start, stop, step))
    return T.TensorType(np.dtype(np.int64 if length else np.float64), (length,), "cpu")


# Where a NumPy function takes array data, a range is what np.asarray makes of it (printed so).
register(OpDef("prim::range_array", [Arg("start", T.INT), Arg("stop", T.INT), Arg("step", T.INT)], T.TENSOR,
               _range_array_rule, template="_np.asarray(range({0}, {1}, {2}))",
               doc="np.asarray(range(start, stop, step)): the array NumPy makes of a range (int64; float64 when "
                   "empty)", raises=raising.nonzero_step(2)))


def _unwrap_optional(infos):
    source = infos[0].type
    if source == T.NONE:
        raise TypeError("None cannot be refined to a value")
    # A value already known not to be None (an inlined call's argument) stays what it is.
    return source.element if isinstance(source, T.OptionalType) else source


# Refinement: x, known not to be None here (after `if x is not None:`), as its element type.
register(OpDef("prim::unchecked_cast", [Arg("a", T.ANY)], T.ANY, _unwrap_optional, template="{0}",
               doc="an Optional[T] known not to be None, as T (Optional refinement)", aliases=True, raises=False))

for _name, _text in (("is", "is"), ("is_not", "is not")):
    register(OpDef(f"prim::{_name}", [Arg("a", T.ANY), Arg("b", T.ANY)], T.BOOL, R.fixed(T.BOOL),
                   template=f"{{0}} {_text} {{1}}", spellings=[Spelling("operator", _text)],
                   doc=f"a {_text} b (identity; x {_text} None)", raises=False))


def _print(xp, *values):
    print(*values)


register(OpDef("prim::print", [Arg("values", T.ANY)], None, R.fixed(T.NONE), impl=_print, variadic=True,
               side_effects=True, spellings=[Spelling("function", "print", builtins.print)],
               doc="print(a, b, ...) as Python prints"))


def _raise(xp, message, exception_name):
    raise Error(f"{exception_name}: {message}" if message else exception_name)


register(OpDef("prim::RaiseException", [Arg("message", T.STR), Arg("exception", T.STR)], None,
               R.fixed(T.NONE), impl=_raise, side_effects=True,
               doc="raise E(message) in script code: raises jit.Error('E: message') at run time"))


register(OpDef("prim::str", [Arg("a", T.ANY)], T.STR, R.fixed(T.STR), template="str({0})",
               spellings=[Spelling("function", "str", builtins.str)], doc="str(x), as Python formats x",
               raises=False))


for _marker, _doc in (("Enter", "the start of a 'with' block (its 'context' attribute: strict_fusion)"),
                      ("Exit", "the end of the innermost 'with' block")):
    _structural(f"prim::{_marker}", [], _doc)

_structural("prim::FusionGroup", [Arg("inputs", T.ANY)],
            "elementwise nodes fused into one kernel: its 'Subgraph' attribute computes its outputs, "
            "its 'kernel' runs them", variadic=True)
