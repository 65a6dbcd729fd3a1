"""The static types of the IR.

Each type prints two ways: ``str()`` in TorchScript's graph notation (``Tensor``,
``int[]``, ``(int, Tensor)``, ``Dict(str, Tensor)``, ``int?``, and refined tensors
as ``Float(3, 4, device=cpu)``), and ``annotation_str()`` as a Python annotation
for ``.code`` (``List[int]``, ``Tuple[int, Tensor]``, ``Optional[int]``).
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

import device as _device

# TorchScript's scalar-type names, used when a tensor type knows its dtype.
_DTYPE_NAMES = {
    "bool": "Bool", "int8": "Char", "uint8": "Byte", "int16": "Short", "uint16": "UInt16",
    "int32": "Int", "uint32": "UInt32", "int64": "Long", "uint64": "UInt64",
    "float16": "Half", "float32": "Float", "float64": "Double",
    "complex64": "ComplexFloat", "complex128": "ComplexDouble",
}


def dtype_display_name(dtype: np.dtype) -> str:
    return _DTYPE_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)


class Type:
    """Base of all types. Types are immutable and compare by structure."""

    def annotation_str(self) -> str:
        return str(self)

    def is_subtype_of(self, other: "Type") -> bool:
        if isinstance(other, AnyType) or self == other:
            return True
        if isinstance(other, NumberType):
            return isinstance(self, (IntType, FloatType, BoolType))
        if isinstance(other, OptionalType):
            return self is NONE or self.is_subtype_of(other.element)
        if isinstance(other, UnionType):
            return any(self.is_subtype_of(option) for option in other.options)
        return False

    def contains_tensor(self) -> bool:
        return False

    def __repr__(self):
        return str(self)


class _SimpleType(Type):
    _name = "?"
    _annotation = None

    def __str__(self):
        return self._name

    def annotation_str(self):
        return self._annotation or self._name

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))


class IntType(_SimpleType):
    _name = "int"


class FloatType(_SimpleType):
    _name = "float"


class BoolType(_SimpleType):
    _name = "bool"


class StrType(_SimpleType):
    _name = "str"


class NoneType(_SimpleType):
    _name = "NoneType"
    _annotation = "None"


class DeviceType(_SimpleType):
    _name = "Device"
    _annotation = "device.Device"  # what printed code can resolve


class DtypeType(_SimpleType):
    """A NumPy dtype (``np.float32``, ``x.dtype``); at run time a ``numpy.dtype``."""
    _name = "dtype"
    _annotation = "np.dtype"


class GeneratorType(_SimpleType):
    """A NumPy random Generator (``np.random.default_rng(seed)``): a mutable object
    whose draws (``rng.normal(...)``) advance its state."""
    _name = "Generator"
    _annotation = "np.random.Generator"


class SliceType(_SimpleType):
    """A ``start:stop:step`` index; at run time a Python ``slice``."""
    _name = "slice"


class EllipsisType(_SimpleType):
    _name = "ellipsis"


class AnyType(_SimpleType):
    """Accepts every type; only used in schemas."""
    _name = "Any"


class NumberType(_SimpleType):
    """int, float or bool: TorchScript's ``Scalar``, in schemas and as the type of
    ``x.item()`` where the dtype of x is not known."""
    _name = "Scalar"

    def is_subtype_of(self, other):
        # Scalar is Union[int, float, bool]: it goes wherever all three go.
        if isinstance(other, UnionType) and all(any(t.is_subtype_of(o) for o in other.options)
                                                for t in PYTHON_SCALAR_TYPES):
            return True
        return Type.is_subtype_of(self, other)


class ClassType(Type):
    """A script class (``@jit.script class Pair``, kind "class") or the type of
    scripted modules (kind "module"): typed attributes and compiled methods.

    Values of a class are instances of ``python_class``; values of a module type
    are ScriptModules made from instances of ``python_class`` (the nn.Module
    subclass), whose attribute types and constants this type fixes."""

    def __init__(self, name: str, python_class, kind: str = "class"):
        self.name, self.python_class, self.kind = name, python_class, kind
        self.attributes: dict = {}   # name -> Type, in definition order
        self.methods: dict = {}      # name -> ScriptFunction (taking self first)
        self.sources: dict = {}      # name -> the Python function of each method, compiled on first use
        self.compiling: set = set()  # methods being compiled now (to report recursion)
        self.constants: dict = {}    # name -> Python value (module constants: Final, __constants__)
        self.python_values: dict = {}  # name -> a function held by a module attribute, resolved where used
        self.unusable: dict = {}     # name -> why a module attribute has no script type
        self.slots: dict = {}        # name -> the registry holding it: "_parameters", "_buffers", "_modules"
        self.container = None        # "list" (Sequential, ModuleList) or "dict" (ModuleDict) for containers
        self.submodules: list = []   # a container's submodule names, in order

    def __str__(self):
        return f"__jit__.{self.name}"

    def annotation_str(self):
        return self.name if self.kind == "module" else self.python_class.__name__

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)


def class_type_of(python_class):
    """The ClassType of a scripted class, or None."""
    return python_class.__dict__.get("__jit_class_type__") if isinstance(python_class, type) else None


class FunctionType(Type):
    """A script function, as the constant a call refers to."""
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __str__(self):
        return "Function"

    def __eq__(self, other):
        return isinstance(other, FunctionType) and self.name == other.name

    def __hash__(self):
        return hash((FunctionType, self.name))


INT, FLOAT, BOOL, STR, NONE = IntType(), FloatType(), BoolType(), StrType(), NoneType()
DEVICE, DTYPE, SLICE, ELLIPSIS, ANY, NUMBER = (
    DeviceType(), DtypeType(), SliceType(), EllipsisType(), AnyType(), NumberType())
GENERATOR = GeneratorType()

PYTHON_SCALAR_TYPES = (INT, FLOAT, BOOL)


class TensorType(Type):
    """A NumPy or CuPy array. Unrefined it prints ``Tensor``; refined by profiling
    or tracing it knows some of dtype, shape (``None`` for an unknown size) and device."""

    __slots__ = ("dtype", "shape", "device")

    def __init__(self, dtype=None, shape: Iterable | None = None, device=None):
        self.dtype = None if dtype is None else np.dtype(dtype)
        self.shape = None if shape is None else tuple(None if s is None else int(s) for s in shape)
        self.device = None if device is None else _device.Device(device)

    @property
    def ndim(self):
        return None if self.shape is None else len(self.shape)

    def is_refined(self) -> bool:
        return self.dtype is not None or self.shape is not None or self.device is not None

    def unrefined(self) -> "TensorType":
        return TENSOR

    def contains_tensor(self):
        return True

    def __str__(self):
        if not self.is_refined():
            return "Tensor"
        head = dtype_display_name(self.dtype) if self.dtype is not None else "Tensor"
        parts = [] if self.shape is None else ["*" if s is None else str(s) for s in self.shape]
        if self.device is not None:
            parts.append(f"device={self.device}")
        return f"{head}({', '.join(parts)})"

    def annotation_str(self):
        return "Tensor"

    def __eq__(self, other):
        return (isinstance(other, TensorType) and same_dtype(self.dtype, other.dtype)
                and self.shape == other.shape and self.device == other.device)

    def __hash__(self):
        return hash((TensorType, self.dtype, self.shape, self.device))

    def is_subtype_of(self, other):
        if isinstance(other, TensorType):
            return ((other.dtype is None or same_dtype(other.dtype, self.dtype))
                    and (other.shape is None or _shape_fits(self.shape, other.shape))
                    and (other.device is None or other.device == self.device))
        return Type.is_subtype_of(self, other)


def same_dtype(a, b) -> bool:
    """Whether two refinements' dtypes (None: unknown) agree. Not ``a == b``: NumPy
    reads None as float64, so ``np.dtype('float64') == None`` is True."""
    return a is b or (a is not None and b is not None and a == b)


def _shape_fits(shape, pattern) -> bool:
    return (shape is not None and len(shape) == len(pattern)
            and all(p is None or p == s for s, p in zip(shape, pattern)))


TENSOR = TensorType()


class TupleType(Type):
    __slots__ = ("elements",)

    def __init__(self, elements: Iterable[Type]):
        self.elements = tuple(elements)

    def __str__(self):
        if len(self.elements) == 1:
            return f"({self.elements[0]},)"
        return "(" + ", ".join(str(e) for e in self.elements) + ")"

    def annotation_str(self):
        if not self.elements:
            return "Tuple[()]"
        return "Tuple[" + ", ".join(e.annotation_str() for e in self.elements) + "]"

    def contains_tensor(self):
        return any(e.contains_tensor() for e in self.elements)

    def __eq__(self, other):
        return isinstance(other, TupleType) and self.elements == other.elements

    def __hash__(self):
        return hash((TupleType, self.elements))

    def is_subtype_of(self, other):
        if isinstance(other, TupleType):
            return len(self.elements) == len(other.elements) and all(
                a.is_subtype_of(b) for a, b in zip(self.elements, other.elements))
        if isinstance(other, (SequenceType, VarTupleType)):
            return all(e.is_subtype_of(other.element) for e in self.elements)
        return Type.is_subtype_of(self, other)


class NamedTupleType(TupleType):
    """A NamedTuple class (``collections.namedtuple`` or ``typing.NamedTuple``): a
    tuple whose elements have names. Values are instances of ``cls``."""
    __slots__ = ("name", "fields", "cls")

    def __init__(self, cls, elements: Iterable[Type]):
        super().__init__(elements)
        self.cls, self.name, self.fields = cls, cls.__name__, tuple(cls._fields)

    def __str__(self):
        return f"NamedTuple[{self.name}](" + ", ".join(f"{f} : {e}" for f, e in zip(self.fields, self.elements)) + ")"

    def annotation_str(self):
        return self.name

    def __eq__(self, other):
        return isinstance(other, NamedTupleType) and self.cls is other.cls and self.elements == other.elements

    def __hash__(self):
        return hash((NamedTupleType, self.cls, self.elements))


def is_namedtuple_class(obj) -> bool:
    return isinstance(obj, type) and issubclass(obj, tuple) and hasattr(obj, "_fields")


class _ElementType(Type):
    """A type built around one element type (lists, optionals, homogeneous tuples)."""
    __slots__ = ("element",)

    def __init__(self, element: Type):
        self.element = element

    def contains_tensor(self):
        return self.element.contains_tensor()

    def __eq__(self, other):
        return type(other) is type(self) and self.element == other.element

    def __hash__(self):
        return hash((type(self), self.element))


class VarTupleType(_ElementType):
    """A tuple of any length whose elements share one type: ``Tuple[int, ...]``.
    NumPy's ``x.shape`` has this type; a fixed-length tuple of ints is a subtype."""

    def __str__(self):
        return f"({self.element}, ...)"

    def annotation_str(self):
        return f"Tuple[{self.element.annotation_str()}, ...]"

    def is_subtype_of(self, other):
        if isinstance(other, (VarTupleType, SequenceType)):
            return self.element.is_subtype_of(other.element)
        return Type.is_subtype_of(self, other)


class FutureType(_ElementType):
    """The result of ``jit.fork``: ``jit.wait`` gives its element."""

    def __str__(self):
        return f"Future[{self.element}]"

    def annotation_str(self):
        return f"jit.Future[{self.element.annotation_str()}]"


class ListType(_ElementType):
    def __str__(self):
        return f"{self.element}[]"

    def annotation_str(self):
        return f"List[{self.element.annotation_str()}]"

    def is_subtype_of(self, other):
        if isinstance(other, SequenceType):
            return self.element.is_subtype_of(other.element)
        if isinstance(other, ListType) and isinstance(other.element, AnyType):
            return True  # List[Any]: a list of any element type (schemas; a comprehension being built)
        if isinstance(other, ListType) and isinstance(self.element, TensorType):
            # Lists are invariant, but a refined tensor type only adds knowledge.
            return isinstance(other.element, TensorType) and self.element.is_subtype_of(other.element)
        return Type.is_subtype_of(self, other)


class DictType(Type):
    __slots__ = ("key", "value")

    def __init__(self, key: Type, value: Type):
        self.key, self.value = key, value

    def __str__(self):
        return f"Dict({self.key}, {self.value})"

    def annotation_str(self):
        return f"Dict[{self.key.annotation_str()}, {self.value.annotation_str()}]"

    def contains_tensor(self):
        return self.value.contains_tensor()

    def __eq__(self, other):
        return isinstance(other, DictType) and (self.key, self.value) == (other.key, other.value)

    def is_subtype_of(self, other):
        if isinstance(other, DictType) and isinstance(other.key, AnyType) and isinstance(other.value, AnyType):
            return True
        return Type.is_subtype_of(self, other)

    def __hash__(self):
        return hash((DictType, self.key, self.value))


class OptionalType(_ElementType):
    def __str__(self):
        return f"{self.element}?"

    def annotation_str(self):
        return f"Optional[{self.element.annotation_str()}]"

    def is_subtype_of(self, other):
        if isinstance(other, OptionalType):
            return self.element.is_subtype_of(other.element)
        return Type.is_subtype_of(self, other)


class UnionType(Type):
    """One of several types; schemas use it for arguments such as NumPy's ``axis``."""
    __slots__ = ("options",)

    def __init__(self, options: Iterable[Type]):
        self.options = tuple(options)

    def __str__(self):
        return "Union[" + ", ".join(str(o) for o in self.options) + "]"

    def annotation_str(self):
        return "Union[" + ", ".join(o.annotation_str() for o in self.options) + "]"

    def contains_tensor(self):
        return any(o.contains_tensor() for o in self.options)

    def __eq__(self, other):
        return isinstance(other, UnionType) and set(self.options) == set(other.options)

    def __hash__(self):
        return hash((UnionType, frozenset(self.options)))

    def is_subtype_of(self, other):
        return all(o.is_subtype_of(other) for o in self.options)


class SequenceType(_ElementType):
    """A tuple of any length or a list, all of one element type: NumPy's shape
    and axes arguments (``(2, 3)``, ``[2, 3]``, ``x.shape``); only used in schemas."""

    def __str__(self):
        return f"Sequence[{self.element}]"


def unify(a: Type, b: Type) -> Type | None:
    """The type both values can be seen as (for if-branch outputs and loop-carried
    values), or None when they have none. Tensor refinements are dropped when they differ."""
    if a == b:
        return a
    if isinstance(a, TensorType) and isinstance(b, TensorType):
        return TensorType(
            a.dtype if same_dtype(a.dtype, b.dtype) else None,
            a.shape if a.shape == b.shape else (
                tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
                if a.shape is not None and b.shape is not None and len(a.shape) == len(b.shape)
                else None),
            a.device if a.device == b.device else None)
    if isinstance(a, TupleType) and isinstance(b, TupleType) and len(a.elements) == len(b.elements):
        elements = [unify(x, y) for x, y in zip(a.elements, b.elements)]
        return None if any(e is None for e in elements) else TupleType(elements)
    if isinstance(a, (TupleType, VarTupleType)) and isinstance(b, (TupleType, VarTupleType)):
        members = [t for side in (a, b) for t in (side.elements if isinstance(side, TupleType) else [side.element])]
        element = members[0] if members else None
        for member in members[1:]:
            element = unify(element, member) if element is not None else None
        return VarTupleType(element) if element is not None else None
    if a is NONE and not isinstance(b, OptionalType):
        return OptionalType(b)
    if b is NONE and not isinstance(a, OptionalType):
        return OptionalType(a)
    if isinstance(a, OptionalType) and (b is NONE or b.is_subtype_of(a.element)):
        return a
    if isinstance(b, OptionalType) and (a is NONE or a.is_subtype_of(b.element)):
        return b
    return None


def types_within(kind: Type):
    """``kind`` and every type nested in it (elements, options, keys, values), outermost first."""
    yield kind
    nested = [*(getattr(kind, "elements", ()) or ()), *getattr(kind, "options", ()),
              getattr(kind, "element", None), getattr(kind, "key", None), getattr(kind, "value", None)]
    for inner in nested:
        if isinstance(inner, Type):
            yield from types_within(inner)


def erase_refinement(t: Type) -> Type:
    """The type with tensor refinements removed (what an unprofiled graph carries)."""
    if isinstance(t, TensorType):
        return TENSOR
    if isinstance(t, NamedTupleType):
        return NamedTupleType(t.cls, [erase_refinement(e) for e in t.elements])
    if isinstance(t, TupleType):
        return TupleType(erase_refinement(e) for e in t.elements)
    if isinstance(t, ListType):
        return ListType(erase_refinement(t.element))
    if isinstance(t, VarTupleType):
        return VarTupleType(erase_refinement(t.element))
    if isinstance(t, OptionalType):
        return OptionalType(erase_refinement(t.element))
    if isinstance(t, DictType):
        return DictType(t.key, erase_refinement(t.value))
    if isinstance(t, FutureType):
        return FutureType(erase_refinement(t.element))
    return t


def type_of_constant(value) -> Type:
    """The static type of a Python value that may be baked into a graph as a constant."""
    if value is None:
        return NONE
    if isinstance(value, np.generic):  # first: np.float64 and np.str_ are also a float and a str
        return TensorType(value.dtype, value.shape, "cpu")
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return STR
    if isinstance(value, _device.Device):
        return DEVICE
    if isinstance(value, np.dtype):
        return DTYPE
    if isinstance(value, slice):
        return SLICE
    if value is Ellipsis:
        return ELLIPSIS
    if isinstance(value, tuple):
        return TupleType(type_of_constant(v) for v in value)
    if isinstance(value, np.ndarray):
        return TensorType(value.dtype, value.shape, "cpu")
    if _device.is_array(value):
        return TensorType(value.dtype, value.shape, _device.of(value))
    if getattr(value, "is_script_function", False):
        return FunctionType(value.qualname)
    raise TypeError(f"{type(value).__name__} values cannot be graph constants")


def refined_type_of_value(value) -> Type:
    """The most precise type of a run-time value (used by tests, profiling and tracing)."""
    if _device.is_array(value):
        return TensorType(value.dtype, value.shape, _device.of(value))
    if class_type_of(type(value)) is not None:
        return class_type_of(type(value))
    if isinstance(value, np.random.Generator):
        return GENERATOR
    if isinstance(value, tuple):
        elements = [refined_type_of_value(v) for v in value]
        return NamedTupleType(type(value), elements) if is_namedtuple_class(type(value)) else TupleType(elements)
    if isinstance(value, list):
        element = None
        for item in value:
            item_type = refined_type_of_value(item)
            element = item_type if element is None else unify(element, item_type)
        return ListType(TENSOR if element is None else element)
    return type_of_constant(value)


class _TensorMeta(type):
    def __instancecheck__(cls, obj):
        return _device.is_array(obj)


class Tensor(metaclass=_TensorMeta):
    """The tensor type in annotations (``def f(x: jit.Tensor)``): a NumPy or CuPy
    array; ``isinstance(a, jit.Tensor)`` is true for both."""

    def __new__(cls, *args, **kwargs):
        raise TypeError("jit.Tensor is an annotation; make arrays with NumPy or CuPy")
