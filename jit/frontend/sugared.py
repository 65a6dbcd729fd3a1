"""Sugared values: what names and attributes mean while compiling, before they
become graph values (TorchScript's SugaredValue).

``np`` is a module, ``np.tanh`` an operator to call, ``x.sum`` a method bound to
x, ``float`` both a cast and (as a value) the float64 dtype, ``range(n)`` what a
``for`` loop iterates over, ``math.pi`` a constant.
"""
from __future__ import annotations

import difflib

import numpy as np

import device as _device
from jit import ops
from jit import types as T
from jit.errors import CompilationError


class SugaredValue:
    def describe(self) -> str:
        return "this value"

    def as_value(self, emitter, loc):
        raise CompilationError(f"{self.describe()} cannot be used as a value", loc)

    def attr(self, emitter, name, loc):
        raise CompilationError(f"{self.describe()} has no attribute '{name}'", loc)

    def call(self, emitter, args, keywords, loc):
        raise CompilationError(f"{self.describe()} is not callable", loc)

    def fork(self, emitter, args, keywords, loc):
        """``jit.fork(self, *args)``: a Future of the call, run on the thread pool."""
        raise CompilationError(f"jit.fork in script code starts a script function, a method, a submodule or a "
                               f"Python function, not {self.describe()}; wrap the call in a script function", loc)


class SimpleValue(SugaredValue):
    """A graph value."""

    def __init__(self, value):
        self.value = value

    def describe(self):
        return f"a value of type '{self.value.type.annotation_str()}'"

    def as_value(self, emitter, loc):
        return self.value

    def attr(self, emitter, name, loc):
        kind = self.value.type
        if isinstance(kind, T.NamedTupleType) and name in kind.fields:  # p.x is p[0]
            index = emitter.emit_constant(kind.fields.index(name), loc)
            return emitter.emit_op_call(ops.lookup("prim::TupleIndex"), None,
                                        [(self, loc), (SimpleValue(index), loc)], {}, loc)
        if isinstance(kind, T.ClassType):
            return emitter.emit_object_attribute(self.value, name, loc)
        receiver = receiver_kind(self.value.type)
        if receiver is not None:
            found = ops.for_property(name, receiver)
            if found is not None:
                return emitter.emit_op_call(found[0], found[1], [], {}, loc, self_value=self.value)
            found = ops.for_method(name, receiver)
            if found is not None:
                return BoundMethod(self.value, *found)
            hint = difflib.get_close_matches(name, ops.attribute_names(receiver), n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            what = "array" if receiver == "array" else receiver
            raise CompilationError(f"script functions do not support the {what} attribute '{name}'"
                                   f"{suggestion} (python -m jit.ops lists what they support)", loc)
        return super().attr(emitter, name, loc)

    def is_module(self):
        return isinstance(self.value.type, T.ClassType) and self.value.type.kind == "module"

    def call(self, emitter, args, keywords, loc):
        if self.is_module():  # calling a module calls its forward
            return emitter.emit_method_call(self.value, "forward", args, keywords, loc)
        return super().call(emitter, args, keywords, loc)

    def fork(self, emitter, args, keywords, loc):
        if self.is_module():
            return emitter.emit_method_call(self.value, "forward", args, keywords, loc, fork=True)
        return super().fork(emitter, args, keywords, loc)


class NamedTupleClass(SugaredValue):
    """A NamedTuple class: calling it builds one (its fields bind like parameters)."""

    def __init__(self, kind):
        self.kind = kind

    def describe(self):
        return f"the NamedTuple {self.kind.name}"

    def call(self, emitter, args, keywords, loc):
        from .emitter import ParameterSpec  # noqa: PLC0415 - the emitter imports this module

        defaults = getattr(self.kind.cls, "_field_defaults", {})
        parameters = [ParameterSpec(name, kind, defaults.get(name, ops.NO_DEFAULT))
                      for name, kind in zip(self.kind.fields, self.kind.elements)]
        values = emitter.bind_signature(parameters, f"{self.kind.name}()", args, keywords, loc)
        return SimpleValue(emitter.emit_node("prim::TupleConstruct", values, [self.kind], loc).output)


def receiver_kind(kind):
    """Which methods a value of type ``kind`` has: array, list, dict, str or Generator ones."""
    if isinstance(kind, T.TensorType):
        return "array"
    if kind == T.GENERATOR:
        return "generator"
    if isinstance(kind, T.ListType):
        return "list"
    if isinstance(kind, T.DictType):
        return "dict"
    if kind == T.STR:
        return "str"
    return None


class OpFunction(SugaredValue):
    """A function that names an operator (``np.tanh``, ``len``, ``math.exp``), or
    several overloads of one (``min(a, b)``, ``min(list)``)."""

    def __init__(self, op, spelling, overloads=None):
        self.op, self.spelling = op, spelling
        self.overloads = overloads or [(op, spelling)]

    def describe(self):
        return f"the function {self.spelling.name}"

    def call(self, emitter, args, keywords, loc):
        if len(self.overloads) > 1:
            return emitter.emit_overloaded_call(self.overloads, args, keywords, loc)
        return emitter.emit_op_call(self.op, self.spelling, args, keywords, loc)


class BoundMethod(SugaredValue):
    def __init__(self, self_value, op, spelling):
        self.self_value, self.op, self.spelling = self_value, op, spelling

    def describe(self):
        return f"the method {self.spelling.name}"

    def call(self, emitter, args, keywords, loc):
        return emitter.emit_op_call(self.op, self.spelling, args, keywords, loc, self_value=self.self_value)


class BuiltinType(OpFunction):
    """``float``, ``int``, ``bool``: casts when called, dtypes as values (``astype(float)``)."""

    def __init__(self, python_type):
        super().__init__(*ops.for_python_object(python_type))
        self.python_type = python_type

    def as_value(self, emitter, loc):
        return emitter.emit_constant(np.dtype(self.python_type), loc)


class ModuleValue(SugaredValue):
    """A Python module; ``path``: how the code names it (``np.random``)."""

    def __init__(self, module, path=None):
        self.module, self.path = module, path or module.__name__

    def describe(self):
        return f"the module '{self.path}'"

    def attr(self, emitter, name, loc):
        path = f"{self.path}.{name}"
        if emitter.resolver.saved:  # the module's own dict: no lazy import or __getattr__ runs for a file
            if name not in vars(self.module):
                raise CompilationError(f"module '{self.module.__name__}' has no attribute '{name}'", loc)
            resolved = emitter.resolve_python(vars(self.module)[name], path, loc)
            return emitter.reachable_from_saved_code(resolved, path, loc)
        if not hasattr(self.module, name):
            raise CompilationError(f"module '{self.module.__name__}' has no attribute '{name}'", loc)
        return emitter.resolve_python(getattr(self.module, name), path, loc)


class ConstantValue(SugaredValue):
    """A Python value baked in as a constant where it is used."""

    def __init__(self, value):
        self.value = value

    def describe(self):
        return f"the constant {self.value!r}"

    def as_value(self, emitter, loc):
        return emitter.emit_constant(self.value, loc)

    def attr(self, emitter, name, loc):
        return SimpleValue(self.as_value(emitter, loc)).attr(emitter, name, loc)


class ScalarTypeValue(ConstantValue):
    """``np.float32``, ``np.int64``...: the dtype as a value (``x.astype(np.float32)``); called, NumPy's
    cast of its argument (``np.float32(2.0)`` a float32 NumPy scalar, ``np.float32(x)`` x's values as
    float32)."""

    def call(self, emitter, args, keywords, loc):
        if keywords or len(args) != 1:
            raise CompilationError(f"np.{self.value.type.__name__}() takes one positional argument in script code", loc)
        array = emitter.emit_op_call(ops.lookup("np::array"), None, [args[0], (ConstantValue(self.value), loc)], {}, loc)
        # a[()] is a 0-d array's NumPy scalar (immutable: ``s += 1`` makes a new one, as eager
        # code's does) and any other array itself: what the scalar type makes of its argument
        return emitter.emit_op_call(ops.lookup("np::getitem"), None, [(array, loc), (ConstantValue(()), loc)], {}, loc)


class MixedListValue(SugaredValue):
    """A list literal of arrays and numbers (``[x.sum(), 1.0]``): no one element type, so
    not a script list, but the data NumPy makes an array of. Passed where an operation
    converts its argument to arrays (np.array, np.concatenate's sequence) it is the tuple
    of its elements; used as a value anywhere else it is the list's type error."""

    def __init__(self, elements, message):
        self.elements, self.message = elements, message

    def describe(self):
        return "a list of arrays and numbers"

    def as_tuple(self, emitter, loc):
        return emitter.emit_node("prim::TupleConstruct", self.elements,
                                 [T.TupleType(e.type for e in self.elements)], loc).output

    def as_value(self, emitter, loc):
        raise CompilationError(self.message + " (NumPy's functions take such a list as array data; "
                               "script lists hold one type)", loc)


class RangeBuiltin(SugaredValue):
    def describe(self):
        return "range"

    def call(self, emitter, args, keywords, loc):
        if keywords:
            raise CompilationError("range() takes no keyword arguments", loc)
        if not 1 <= len(args) <= 3:
            raise CompilationError(f"range expected 1 to 3 arguments, got {len(args)}", loc)
        values = []
        for arg, arg_loc in args:
            value = arg.as_value(emitter, arg_loc)
            if value.type != T.INT:
                raise CompilationError(f"range() arguments must be int, got '{value.type.annotation_str()}'",
                                       arg_loc)
            values.append(value)
        return RangeValue(values, loc)


class RangeValue(SugaredValue):
    """``range(...)``: iterated by ``for``; ``len()`` gives its trip count."""

    def __init__(self, bounds, loc):
        self.bounds, self.loc = bounds, loc

    def describe(self):
        return "a range object"

    def start_and_step(self, emitter):
        """(start, step) values, or None for the default 0 and 1."""
        if len(self.bounds) == 1:
            return None, None
        return self.bounds[0], (self.bounds[2] if len(self.bounds) == 3 else None)

    def as_indices(self, emitter, loc):
        """The integer array NumPy indexes with for the range (``x[range(n)]``, ``x.take(range(n))``):
        np.arange of it, int64 even when empty."""
        bounds = [(SimpleValue(bound), loc) for bound in self.bounds]
        return emitter.emit_op_call(ops.lookup("np::arange"), None, bounds, {}, loc).value

    def as_array(self, emitter, loc):
        """The array NumPy makes of the range where a function takes array data:
        ``np.asarray(range(a, b, c))``, int64 (float64 when the range is empty)."""
        if len(self.bounds) == 1:
            bounds = [emitter.emit_constant(0, loc), self.bounds[0], emitter.emit_constant(1, loc)]
        else:
            bounds = [*self.bounds, emitter.emit_constant(1, loc)][:3]
        return emitter.emit_op_call(ops.lookup("prim::range_array"), None, [(SimpleValue(b), loc) for b in bounds],
                                    {}, loc).value

    def trip_count(self, emitter):
        if len(self.bounds) == 1:
            return self.bounds[0]
        start, stop = self.bounds[0], self.bounds[1]
        step = self.bounds[2] if len(self.bounds) == 3 else emitter.emit_constant(1, self.loc)
        return emitter.emit_op_call(ops.lookup("prim::range_length"), None,
                                    [(SimpleValue(v), self.loc) for v in (start, stop, step)], {},
                                    self.loc).value


class IsinstanceBuiltin(SugaredValue):
    """``isinstance`` / ``jit.isinstance``: a condition the frontend decides from
    static types (see conditions.py); calls are compiled from their source."""

    is_isinstance = True

    def describe(self):
        return "isinstance"

    def call(self, emitter, args, keywords, loc):
        raise CompilationError("isinstance(value, type) takes a value and a type (or a tuple of types)", loc)


class AnnotateBuiltin(SugaredValue):
    """``jit.annotate(T, value)``: compiled from its source (the type is an annotation)."""

    is_annotate = True

    def describe(self):
        return "jit.annotate"


class IsScriptingBuiltin(SugaredValue):
    """``jit.is_scripting()`` (True in script code) and ``jit.is_tracing()`` (False):
    the function's ``__jit_is_scripting__`` is the constant it compiles to."""

    def __init__(self, function):
        self.function = function

    def describe(self):
        return f"jit.{self.function.__name__}"

    def call(self, emitter, args, keywords, loc):
        if args or keywords:
            raise CompilationError(f"jit.{self.function.__name__}() takes no arguments", loc)
        return ConstantValue(self.function.__jit_is_scripting__)


class TensorConstantsValue(SugaredValue):
    """``CONSTANTS`` in printed code: ``CONSTANTS.c0`` is an array constant."""

    def __init__(self, constants):
        self.constants = constants

    def describe(self):
        return "CONSTANTS"

    def attr(self, emitter, name, loc):
        if not (name.startswith("c") and name[1:].isascii() and name[1:].isdigit()):  # only c0, c1...
            raise CompilationError(f"CONSTANTS has no array '{name}'", loc)
        try:
            return ConstantValue(getattr(self.constants, name))
        except AttributeError as error:
            raise CompilationError(str(error), loc) from None


class TupleSugar(SugaredValue):
    """Several values that an assignment to a tuple of names binds one by one
    (``for i, x in enumerate(l)``); as a value, a tuple."""

    def __init__(self, items):
        self.items = list(items)

    def describe(self):
        return "a tuple"

    def as_value(self, emitter, loc):
        values = [item.as_value(emitter, loc) for item in self.items]
        return emitter.emit_node("prim::TupleConstruct", values, [T.TupleType(v.type for v in values)], loc).output


class EnumerateValue(SugaredValue):
    def __init__(self, iterable, start):
        self.iterable, self.start = iterable, start

    def describe(self):
        return "enumerate(...), which can only be iterated by a for loop or a comprehension"


class ZipValue(SugaredValue):
    def __init__(self, iterables):
        self.iterables = iterables

    def describe(self):
        return "zip(...), which can only be iterated by a for loop or a comprehension"


class EnumerateBuiltin(SugaredValue):
    def describe(self):
        return "enumerate"

    def call(self, emitter, args, keywords, loc):
        start = keywords.pop("start", None)
        if keywords or not 1 <= len(args) <= 2 or (start is not None and len(args) == 2):
            raise CompilationError("enumerate takes an iterable and an optional start", loc)
        start = args[1] if len(args) == 2 else start
        start_value = start[0].as_value(emitter, start[1]) if start is not None else None
        if start_value is not None and start_value.type != T.INT:
            raise CompilationError("enumerate's start must be an int", loc)
        return EnumerateValue(args[0][0], start_value)


class ZipBuiltin(SugaredValue):
    def describe(self):
        return "zip"

    def call(self, emitter, args, keywords, loc):
        if keywords or not args:
            raise CompilationError("zip takes one or more iterables", loc)
        return ZipValue([sugared for sugared, _ in args])


class ScriptFunctionValue(SugaredValue):
    """A compiled function: calls are prim::CallFunction."""

    def __init__(self, function):
        self.function = function

    def describe(self):
        return f"the script function {self.function.qualname}"

    def call(self, emitter, args, keywords, loc):
        return emitter.emit_script_call(self.function, args, keywords, loc)

    def fork(self, emitter, args, keywords, loc):
        return emitter.emit_script_call(self.function, args, keywords, loc, fork=True)


class PythonFunctionValue(SugaredValue):
    """A Python function called from script code; ``mode``: "python" (plain: compiled
    along with its caller, see recursive.py), "ignore" (@jit.ignore: an upcall) or
    "unused" (@jit.unused: a raise)."""

    def __init__(self, function, mode):
        self.function, self.mode = function, mode

    def describe(self):
        return f"the Python function {getattr(self.function, '__qualname__', self.function)}"

    def call(self, emitter, args, keywords, loc):
        return self.fork(emitter, args, keywords, loc, fork=False)

    def fork(self, emitter, args, keywords, loc, fork=True):
        if self.mode == "python":
            from .recursive import emit_compiled_call  # noqa: PLC0415 - recursive.py builds on this module

            return emit_compiled_call(emitter, self.function, args, keywords, loc, fork=fork)
        return emitter.emit_python_call(self.function, self.mode, args, keywords, loc, fork=fork)


class PythonClassValue(SugaredValue):
    """A plain Python class called from script code: compiled as a script class
    (TorchScript 1.2's recursive scripting), then called as one."""

    def __init__(self, cls):
        self.cls = cls

    def describe(self):
        return f"the class {self.cls.__qualname__}"

    def call(self, emitter, args, keywords, loc):
        from .recursive import compile_called_class  # noqa: PLC0415 - recursive.py builds on this module

        return emitter.emit_create_object(compile_called_class(self.cls, loc), args, keywords, loc)


class DeviceBuiltin(SugaredValue):
    """``device.Device("cuda:0")`` with a literal name: a Device constant."""

    def describe(self):
        return "device.Device"

    def call(self, emitter, args, keywords, loc):
        values = [sugared for sugared, _ in args] + [sugared for sugared, _ in keywords.values()]
        if len(values) != 1 or not isinstance(values[0], ConstantValue) or not isinstance(values[0].value, str):
            raise CompilationError("device.Device(...) in script code takes one str literal, such as 'cpu'", loc)
        try:
            return ConstantValue(emitter.resolver.map_device(_device.Device(values[0].value)))
        except ValueError as error:
            raise CompilationError(str(error), loc) from None


class ForkBuiltin(SugaredValue):
    """``jit.fork(callee, *args, **kwargs)``: prim::fork, a Future of the call."""

    def describe(self):
        return "jit.fork"

    def call(self, emitter, args, keywords, loc):
        if not args:
            raise CompilationError("jit.fork takes the function to run, then its arguments", loc)
        (callee, _), rest = args[0], args[1:]
        return callee.fork(emitter, rest, keywords, loc)


class StrictFusionValue(SugaredValue):
    """``jit.strict_fusion``: only meaningful as ``with jit.strict_fusion():``."""

    is_strict_fusion = True

    def describe(self):
        return "jit.strict_fusion, which is only used as 'with jit.strict_fusion():'"


class ScriptMethodValue(SugaredValue):
    """``obj.method``: called as prim::CallMethod."""

    def __init__(self, owner, name):
        self.owner, self.name = owner, name

    def describe(self):
        return f"the method {self.owner.type.annotation_str()}.{self.name}"

    def call(self, emitter, args, keywords, loc):
        return emitter.emit_method_call(self.owner, self.name, args, keywords, loc)

    def fork(self, emitter, args, keywords, loc):
        return emitter.emit_method_call(self.owner, self.name, args, keywords, loc, fork=True)


class PythonMethodValue(SugaredValue):
    """``self.method`` where the method is @jit.ignore'd or @jit.unused: a Python
    call (prim::PythonOp) with the object as its first argument."""

    def __init__(self, owner, function, mode):
        self.owner, self.function, self.mode = owner, function, mode

    def describe(self):
        return f"the Python method {self.function.__qualname__}"

    def call(self, emitter, args, keywords, loc):
        return emitter.emit_python_call(self.function, self.mode, args, keywords, loc, owner=self.owner)

    def fork(self, emitter, args, keywords, loc):
        return emitter.emit_python_call(self.function, self.mode, args, keywords, loc, fork=True, owner=self.owner)


class ModuleDictView(SugaredValue):
    """``self.heads.items()`` / ``keys()`` / ``values()`` of a ModuleDict: iterated by unrolling."""

    def __init__(self, owner, which):
        self.owner, self.which = owner, which

    def describe(self):
        return f"ModuleDict.{self.which}"

    def call(self, emitter, args, keywords, loc):
        if args or keywords:
            raise CompilationError(f"ModuleDict.{self.which}() takes no arguments", loc)
        return self

    def unrolled_items(self, emitter, loc):
        items = emitter.submodule_items(self.owner, loc)
        if self.which == "keys":
            return [ConstantValue(name) for name, _ in items]
        if self.which == "values":
            return [value for _, value in items]
        return [TupleSugar([ConstantValue(name), value]) for name, value in items]


class ScriptClassValue(SugaredValue):
    """A script class: calling it makes an object (prim::CreateObject)."""

    def __init__(self, kind):
        self.kind = kind

    def describe(self):
        return f"the script class {self.kind.name}"

    def call(self, emitter, args, keywords, loc):
        return emitter.emit_create_object(self.kind, args, keywords, loc)
