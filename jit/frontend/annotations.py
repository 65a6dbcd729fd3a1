"""Type annotations to IR types, resolved from the annotation's AST.

Names are looked up through a resolver (the function's globals, closure and
builtins for user code), never evaluated: the same code reads annotations of
saved code. Accepted: ``Tensor`` (``jit.Tensor``, ``np.ndarray``), ``int``,
``float``, ``bool``, ``str``, ``None``, ``Tuple[...]``/``tuple[...]``,
``List[T]``/``list[T]``, ``Dict[K, V]``/``dict[K, V]``, ``Optional[T]``,
``Union[T, None]``/``T | None``, ``jit.Future[T]``, ``np.dtype``, ``device.Device``, and string
(forward-reference) forms of these.
"""
from __future__ import annotations

import ast
import builtins
import types as _pytypes
import typing

import numpy as np

import device as _device
from jit import types as T
from jit.errors import CompilationError
from jit.runtime.futures import Future

_SIMPLE = {int: T.INT, float: T.FLOAT, bool: T.BOOL, str: T.STR, type(None): T.NONE,
           T.Tensor: T.TENSOR, np.ndarray: T.TENSOR, np.dtype: T.DTYPE, _device.Device: T.DEVICE,
           np.random.Generator: T.GENERATOR}
_TUPLE_HEADS = (typing.Tuple, tuple)
_LIST_HEADS = (typing.List, list)
_DICT_HEADS = (typing.Dict, dict)
_DICT_KEY_TYPES = (T.STR, T.INT, T.FLOAT)
_MISSING = object()


# Names a type annotation may use without importing them, as in TorchScript's
# type comments (``# type: (int, Tuple[Tensor, Tensor]) -> Tensor``).
TYPING_NAMES = {"Tensor": T.Tensor, "List": typing.List, "Tuple": typing.Tuple, "Dict": typing.Dict,
                "Optional": typing.Optional, "Union": typing.Union,
                "Scalar": T.NUMBER}  # what x.item() of an array of unknown dtype returns


class AnnotationResolver:
    """Looks names up in ``namespaces`` (dicts, searched in order) and Python's builtins.

    For code read from a saved file, ``saved=True`` forbids calls into Python (only
    operators and what the file itself defines may be called), and ``map_device``
    moves the devices the code names (``map_location``)."""

    def __init__(self, *namespaces, saved=False, map_device=None):
        self.namespaces = [n for n in namespaces if n is not None]
        self.saved = saved
        self.map_device = map_device or (lambda dev: dev)

    def lookup(self, name):
        for namespace in self.namespaces:
            if name in namespace:
                return namespace[name]
        if hasattr(builtins, name):
            return getattr(builtins, name)
        raise KeyError(name)

    def is_given(self, name) -> bool:
        """Whether ``name`` is bound by the namespaces (not a builtin)."""
        return any(name in namespace for namespace in self.namespaces)

    annotation_names: dict = {}  # names only annotations see: what the def's own scope bound (annotation_captures)

    def lookup_annotation(self, name):
        if name in self.annotation_names:
            return self.annotation_names[name]
        try:
            return self.lookup(name)
        except KeyError:
            if name in TYPING_NAMES:
                return TYPING_NAMES[name]
            raise


def resolve_annotation(node: ast.AST, resolver: AnnotationResolver, make_range) -> T.Type:
    """The type an annotation names. ``make_range(node)`` gives a SourceRange for errors."""
    return _Resolver(resolver, make_range).type_of(node)


class _Resolver:
    def __init__(self, resolver, make_range):
        self.resolver, self.make_range = resolver, make_range

    def fail(self, node, message):
        raise CompilationError(message, self.make_range(node))

    def python_object(self, node):
        if isinstance(node, ast.Name):
            try:
                return self.resolver.lookup_annotation(node.id)
            except KeyError:
                pass
            self.fail(node, f"unknown type annotation '{node.id}'")
        if isinstance(node, ast.Attribute):
            if node.attr.startswith("__") and node.attr.endswith("__"):
                self.fail(node, f"'{ast.unparse(node)}' is not a type annotation: attributes that start and end "
                                "with '__' are Python's internals, which script code does not reach")
            base = self.python_object(node.value)
            found = _MISSING
            if isinstance(base, _pytypes.ModuleType):
                # Saved code reads the module's own dict: no lazy import or __getattr__ runs for a file.
                found = vars(base).get(node.attr, _MISSING) if self.resolver.saved \
                    else getattr(base, node.attr, _MISSING)
            if found is _MISSING:
                self.fail(node, f"unknown type annotation '{ast.unparse(node)}'")
            return found
        self.fail(node, f"'{ast.unparse(node)}' is not a type annotation")

    def type_of(self, node) -> T.Type:
        if isinstance(node, ast.Constant):
            if node.value is None:
                return T.NONE
            if isinstance(node.value, str):
                try:
                    inner = ast.parse(node.value.strip(), mode="eval").body
                except (SyntaxError, ValueError):  # ValueError: a NUL or a lone surrogate in the string
                    self.fail(node, f"the string annotation {node.value!r} is not a valid type expression")
                return _Resolver(self.resolver, lambda _n: self.make_range(node)).type_of(inner)
            self.fail(node, f"{node.value!r} is not a type annotation")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self.union([node.left, node.right], node)
        if isinstance(node, ast.Subscript):
            return self.generic(node)
        obj = self.python_object(node)
        if isinstance(obj, T.Type):  # a type bound by name (module types, in code that printed them)
            return obj
        if T.is_namedtuple_class(obj):
            return namedtuple_type(obj)
        if T.class_type_of(obj) is not None:
            return T.class_type_of(obj)
        if not self.resolver.saved and _is_plain_class(obj):  # compiled when met, as TorchScript 1.2 does
            from .classes import compile_class  # noqa: PLC0415 - classes compiles with the emitter

            return compile_class(obj)
        if _is_array_class(obj):  # np.ndarray subclasses and aliases (numpy.typing.NDArray)
            return T.TENSOR
        if obj in _TUPLE_HEADS or obj in _LIST_HEADS or obj in _DICT_HEADS or obj in (typing.Optional, Future):
            self.fail(node, f"'{ast.unparse(node)}' needs its element types, e.g. {ast.unparse(node)}[int]")
        if typing.get_origin(obj) is not None and not self.resolver.saved:  # an alias: Cache = Tuple[...]
            try:
                return type_of_python_annotation(obj)
            except TypeError as error:
                self.fail(node, f"'{ast.unparse(node)}' is {obj!r}: {error}")
        simple = _SIMPLE.get(obj) if isinstance(obj, type) or obj is None else None
        if obj is None:
            return T.NONE
        if simple is not None:
            return simple
        if isinstance(obj, type) and issubclass(obj, np.generic):
            self.fail(node, f"'{ast.unparse(node)}' is a NumPy scalar type; annotate arrays as Tensor "
                            "and dtypes as np.dtype")
        self.fail(node, f"'{ast.unparse(node)}' is not a type the script language knows "
                        "(Tensor, int, float, bool, str, None, Tuple, List, Dict, Optional)")

    def arguments(self, node):
        inner = node.slice
        return list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]

    def generic(self, node) -> T.Type:
        head = self.python_object(node.value)
        args = self.arguments(node)
        if _is_array_class(head):  # np.ndarray[...], NDArray[np.float64], Array["B, L, D"]: the arguments document
            return T.TENSOR
        if head in _TUPLE_HEADS:
            if len(args) == 1 and isinstance(args[0], ast.Tuple) and not args[0].elts:
                return T.TupleType([])
            if len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis:
                return T.VarTupleType(self.type_of(args[0]))
            if any(isinstance(a, ast.Constant) and a.value is Ellipsis for a in args):
                self.fail(node, "a variable-length tuple is written Tuple[T, ...]")
            return T.TupleType(self.type_of(a) for a in args)
        if head in _LIST_HEADS:
            self.expect_count(node, args, 1)
            return T.ListType(self.type_of(args[0]))
        if head in _DICT_HEADS:
            self.expect_count(node, args, 2)
            key = self.type_of(args[0])
            if key not in _DICT_KEY_TYPES:
                self.fail(node, f"dict keys must be str, int or float, not {key.annotation_str()}")
            return T.DictType(key, self.type_of(args[1]))
        if head is typing.Optional:
            self.expect_count(node, args, 1)
            return self.optional(self.type_of(args[0]))
        if head is Future:
            self.expect_count(node, args, 1)
            return T.FutureType(self.type_of(args[0]))
        if head is typing.Union:
            return self.union(args, node)
        self.fail(node, f"'{ast.unparse(node.value)}' cannot be subscripted in a type annotation")

    def expect_count(self, node, args, count):
        if len(args) != count:
            self.fail(node, f"{ast.unparse(node.value)} takes {count} type argument{'s' if count > 1 else ''}, "
                            f"got {len(args)}")

    def optional(self, inner: T.Type) -> T.Type:
        return inner if isinstance(inner, T.OptionalType) or inner == T.NONE else T.OptionalType(inner)

    def union(self, nodes, where) -> T.Type:
        members = [self.type_of(n) for n in nodes]
        others = [m for m in members if m != T.NONE]
        if len(others) == 1 and len(members) == 2:
            return self.optional(others[0])
        self.fail(where, "only Optional unions (T | None, Union[T, None]) are supported")


def _is_plain_class(obj) -> bool:
    from .recursive import is_compilable_class  # noqa: PLC0415 - recursive.py builds on the emitter

    return obj not in _SIMPLE and is_compilable_class(obj)


def annotation_captures(fn, func_def: ast.FunctionDef, definition_locals=None) -> dict:
    """The names the def's annotations use, bound as Python bound them where the def
    ran: from the objects in ``fn.__annotations__`` (a NamedTuple or script class
    defined in the enclosing function, which is neither a global nor a closure
    variable), else from ``definition_locals`` (the defining frame's, for string
    annotations)."""
    evaluated = getattr(fn, "__annotations__", None) or {}
    args = func_def.args
    annotated = [(a.arg, a.annotation) for a in args.posonlyargs + args.args + args.kwonlyargs]
    annotated.append(("return", func_def.returns))
    captures = {}
    for key, node in annotated:
        if node is None:
            continue
        objects = _annotation_leaves(evaluated.get(key))
        for name in {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}:
            found = [o for o in objects if isinstance(o, type) and o.__name__ == name]  # classes, not List[int]
            if found:
                captures[name] = found[0]
            elif definition_locals is not None and name in definition_locals:
                captures[name] = definition_locals[name]
    if definition_locals is not None:  # string annotations name them in text
        for _, node in annotated:
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                try:
                    inner = ast.parse(node.value.strip(), mode="eval")
                except (SyntaxError, ValueError):
                    continue  # the resolver reports it
                for name in {n.id for n in ast.walk(inner) if isinstance(n, ast.Name)}:
                    if name in definition_locals and name not in captures:
                        captures[name] = definition_locals[name]
    return captures


def _annotation_leaves(obj) -> list:
    """``obj`` and, for a typing generic (Optional[Segment]), the objects inside it."""
    if obj is None or isinstance(obj, str):
        return []
    found = [obj]
    for arg in typing.get_args(obj):
        found += _annotation_leaves(arg)
    return found


def type_of_unannotated_parameter(default_node) -> T.Type:
    """An unannotated parameter's type: its default's (``eps=1e-5`` is float, ``n=3``
    int, ``name="gelu"`` str), Tensor without one. A ``None`` default makes it
    Optional[Tensor]: TorchScript types it Tensor and passes None as an undefined
    tensor, which is what Optional[Tensor] says in this type system. A default that is
    not a literal is left to the default's own check (an error that says so)."""
    if default_node is None:
        return T.TENSOR
    try:
        value = ast.literal_eval(default_node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return T.TENSOR
    if value is None:
        return T.OptionalType(T.TENSOR)
    try:
        return T.type_of_constant(value)
    except TypeError:  # a list or dict default: refused as mutable by the default's check
        return T.TENSOR


def type_of_python_annotation(obj) -> T.Type:
    """The type a runtime typing object names (``List[int]``, ``Optional[Tensor]``,
    ``int``...), for APIs that take types as values: jit.isinstance, jit.annotate,
    jit.Attribute. Raises TypeError for anything else."""
    if obj is None or obj is type(None):
        return T.NONE
    if isinstance(obj, T.Type):
        return obj
    if isinstance(obj, str):
        return resolve_annotation(ast.parse(obj, mode="eval").body, AnnotationResolver(TYPING_NAMES),
                                  lambda _node: None)
    simple = _SIMPLE.get(obj) if isinstance(obj, type) else None
    if simple is not None:
        return simple
    if T.is_namedtuple_class(obj):
        return namedtuple_type(obj)
    if T.class_type_of(obj) is not None:
        return T.class_type_of(obj)
    origin, args = typing.get_origin(obj), typing.get_args(obj)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return T.VarTupleType(type_of_python_annotation(args[0]))
        return T.TupleType(type_of_python_annotation(a) for a in args if a != ())
    if origin is list and len(args) == 1:
        return T.ListType(type_of_python_annotation(args[0]))
    if origin is Future and len(args) == 1:
        return T.FutureType(type_of_python_annotation(args[0]))
    if origin is dict and len(args) == 2:
        return T.DictType(type_of_python_annotation(args[0]), type_of_python_annotation(args[1]))
    if origin in (typing.Union, getattr(_pytypes, "UnionType", typing.Union)):
        members = [type_of_python_annotation(a) for a in args]
        others = [m for m in members if m != T.NONE]
        if len(others) == 1 and len(members) == 2:
            return T.OptionalType(others[0])
    raise TypeError(f"{obj!r} is not a type the script language knows "
                    "(Tensor, int, float, bool, str, None, Tuple, List, Dict, Optional)")


def namedtuple_type(cls) -> T.NamedTupleType:
    """A NamedTuple class's type: typing.NamedTuple fields as annotated,
    collections.namedtuple fields as Tensors."""
    declared = cls.__dict__.get("__jit_field_types__")  # a NamedTuple rebuilt from a saved file
    if declared is not None:
        return T.NamedTupleType(cls, declared)
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - unresolvable annotations: the raw ones
        hints = getattr(cls, "__annotations__", {})
    return T.NamedTupleType(cls, [type_of_python_annotation(hints[f]) if f in hints else T.TENSOR
                                  for f in cls._fields])


def _is_array_class(obj) -> bool:
    """An ndarray class (a subclass, as ``class Array(np.ndarray, Generic[Shape])``) or an alias of one."""
    obj = getattr(obj, "__origin__", obj)
    return isinstance(obj, type) and issubclass(obj, np.ndarray)
