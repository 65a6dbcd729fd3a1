"""Calls in script code: binding call-site arguments to an operator's canonical
arguments, converting them as NumPy and Python would, and emitting the node with
the type its rule gives."""
from __future__ import annotations

import inspect
import typing

from jit import ops
from jit import types as T
from jit.errors import CompilationError
from jit.ir import arg_info
from jit.ops.conversion import is_array_data

from .annotations import type_of_python_annotation
from .expressions import constant_attribute_hint
from .sugared import (ConstantValue, MixedListValue, ModuleDictView, PythonMethodValue, RangeValue, ScriptMethodValue,
                      SimpleValue, SugaredValue)
from .writes import takes_out_argument


class EmptyListThenAppend(CompilationError):
    """A variable assigned ``[]`` (a List[Tensor] by default) is appended an element of
    another type: compiling again with that ``[]`` a list of the first append's element
    type is how the frontend infers what users leave unannotated."""

    def __init__(self, message, source_range, emitter, name, element_type):
        super().__init__(message, source_range)
        self.emitter, self.name = emitter, name
        self.list_type = T.ListType(T.erase_refinement(element_type))


class CallEmitter:
    """The call part of FunctionEmitter."""

    def emit_op_call(self, op, spelling, args, keywords, loc, self_value=None) -> SimpleValue:
        """Bind call-site arguments to ``op``'s canonical arguments, convert them, and
        emit the node with the type its rule gives."""
        if keywords and takes_out_argument(op, keywords):  # np.add(a, b, out=c): computed, then written into c
            return self.emit_out_argument(op, spelling, args, keywords, loc, self_value)
        name = _spelled(op, spelling)
        if op.variadic:
            if keywords:
                self.fail(f"{name} takes no keyword arguments", loc)
            slots = ([(SimpleValue(self_value), loc)] if self_value is not None else []) + list(args)
        else:
            slots = self.bind_arguments(op, spelling, name, args, keywords, loc, self_value)
            slots = self.array_data_slots(op, spelling, slots)
        values = [sugared.as_value(self, arg_loc) for sugared, arg_loc in slots]
        values = self.convert_arguments(op, spelling, name, values, [arg_loc for _, arg_loc in slots])
        try:
            # Rules refine types from constants; a scripted graph carries plain Tensor
            # types (profiling and tracing refine them), so variables keep one type.
            result_type = T.erase_refinement(op.result_type([arg_info(v) for v in values]))
        except TypeError as error:
            message = str(error)
            if not message.startswith(name.removesuffix("()") + ":"):
                message = f"{name}: {message}"
            message += _empty_container_hint(values)
            listed = self.empty_lists.get(id(values[0])) if op.name == "prim::ListAppend" else None
            first_append = not any(use.user.kind == "prim::ListAppend" for use in values[0].uses)
            if listed is not None and listed not in self.list_locals and first_append:  # xs = [], xs.append(3)
                raise EmptyListThenAppend(message, loc, self, listed, values[1].type)
            self.fail(message, loc)
        if op.returns is None:  # print, raise: the call's value is None
            self.emit_node(op.name, values, [], loc)
            return ConstantValue(None)
        return SimpleValue(self.emit_node(op.name, values, [result_type], loc).output)

    def array_data_slots(self, op, spelling, slots):
        """``slots`` with each list literal of arrays and numbers (MixedListValue) made the tuple
        of its elements, and each ``range(...)`` the array NumPy makes of it, where ``op`` makes
        arrays of that argument (``np.random.choice(range(n), p=p)``); elsewhere they stay, and
        their use is the list's type error, or a range's."""
        if spelling is not None and spelling.kind == "operator":
            return slots  # Python's operators make no arrays of sequences (see convert_arguments)
        def makes_arrays(arg):
            return (_takes_arrays(arg.type) or _takes_array_sequence(arg.type)
                    or (op.name.startswith("np::") and arg.type in (ops.ARRAY_LIKE, ops.OPERAND, T.ANY)))

        def array_data(sugared, arg_loc, arg):
            if isinstance(sugared, MixedListValue):
                return SimpleValue(sugared.as_tuple(self, arg_loc))
            if isinstance(sugared, RangeValue) and reads_ranges(spelling):  # indices are int64 even when empty
                indices = arg.type != T.ANY and T.SequenceType(T.INT).is_subtype_of(arg.type)
                return SimpleValue(sugared.as_indices(self, arg_loc) if indices else sugared.as_array(self, arg_loc))
            return sugared

        return [(array_data(sugared, arg_loc, arg) if makes_arrays(arg) else sugared, arg_loc)
                for (sugared, arg_loc), arg in zip(slots, op.args)]

    def emit_overloaded_call(self, overloads, args, keywords, loc, self_value=None) -> SugaredValue:
        """Call the first overload whose schema and type rule accept the arguments
        (as TorchScript resolves aten overloads); else report the first one's error."""
        args = [(SimpleValue(s.as_tuple(self, arg_loc)), arg_loc) if isinstance(s, MixedListValue) else (s, arg_loc)
                for s, arg_loc in args]
        if all(reads_ranges(spelling) for _, spelling in overloads):  # np.asarray(range(n))
            if len(args) == 1 and not keywords and isinstance(args[0][0], RangeValue) \
                    and any(op.name == "np::asarray" for op, _ in overloads):  # an array's np.asarray is itself,
                return SimpleValue(args[0][0].as_array(self, args[0][1]))  # and the range's array prints as this call
            args = [(SimpleValue(s.as_array(self, arg_loc)), arg_loc) if isinstance(s, RangeValue) else (s, arg_loc)
                    for s, arg_loc in args]
        values = [(SimpleValue(sugared.as_value(self, arg_loc)), arg_loc) for sugared, arg_loc in args]
        keyword_values = {k: (SimpleValue(sugared.as_value(self, arg_loc)), arg_loc)
                          for k, (sugared, arg_loc) in keywords.items()}
        fitting = []
        for op, spelling in overloads:
            infos = self.trial_infos(op, spelling, values, keyword_values, self_value)
            if infos is None:
                continue
            fitting.append((op, spelling))
            try:
                op.result_type(infos)
            except TypeError:
                continue
            return self.emit_op_call(op, spelling, values, keyword_values, loc, self_value)
        op, spelling = (fitting or overloads)[0]
        return self.emit_op_call(op, spelling, values, keyword_values, loc, self_value)

    def trial_infos(self, op, spelling, values, keyword_values, self_value):
        """The ArgInfo of each canonical argument if the arguments bind to ``op``'s
        schema with acceptable types (defaults included), else None. Emits nothing."""
        canonical = op.args
        given = ([self_value] if self_value is not None else []) + [v.value for v, _ in values]
        if op.variadic:
            fits = not keyword_values and all(self.coerce_type_check(v.type, canonical[-1].type) for v in given)
            return [arg_info(v) for v in given] if fits else None
        if len(given) > len(canonical):
            return None
        bound = dict(zip((a.name for a in canonical), given))
        for keyword, (value, _) in keyword_values.items():
            name = spelling.aliases.get(keyword, keyword) if spelling is not None else keyword
            if name in bound or name not in {a.name for a in canonical}:
                return None
            bound[name] = value.value
        infos = []
        for arg in canonical:
            if arg.name in bound:
                if not self.coerce_type_check(bound[arg.name].type, arg.type):
                    return None
                infos.append(arg_info(bound[arg.name]))
            elif arg.has_default:
                infos.append(ops.ArgInfo(T.type_of_constant(arg.default), arg.default))
            else:
                return None
        return infos

    def emit_operator(self, symbol, operands, loc) -> SugaredValue:
        """``a + b``, ``x in l``...: the operator's overloads, resolved by operand types."""
        overloads = ops.operator_overloads(symbol)
        if len(overloads) == 1:
            return self.emit_op_call(*overloads[0], operands, {}, loc)
        return self.emit_overloaded_call(overloads, operands, {}, loc)

    def emit_call_node(self, kind, inputs, result_type, loc, fork, **attrs) -> SimpleValue:
        """The node of a call; with ``fork``, a prim::fork that starts the same call on
        the thread pool and gives a Future of its result (``call`` names the kind)."""
        if fork:
            node = self.emit_node("prim::fork", inputs, [T.FutureType(result_type)], loc, call=kind, **attrs)
        else:
            node = self.emit_node(kind, inputs, [result_type], loc, **attrs)
        return SimpleValue(node.output)

    def emit_script_call(self, function, args, keywords, loc, fork=False) -> SugaredValue:
        """A call of a compiled function: prim::CallFunction, typed by its signature. A
        Python number passed to one of its ``number_parameters`` calls the variant typed
        by it, as a call from Python would (a loaded archive's helpers, called by a
        variant of their caller, are compiled so)."""
        from .recursive import distinctly_named  # noqa: PLC0415 - recursive.py builds on this module

        name = f"{function.qualname}()"
        bound = self.bound_values(function.parameters, name, args, keywords, loc)
        variant = distinctly_named(self, self.number_variant(function, bound, loc))
        if variant is not function:  # the same parameters, some of them typed as numbers now
            function = variant
            bound = [(value, ops.Arg(p.name, p.type, p.default), arg_loc)
                     for (value, _, arg_loc), p in zip(bound, function.parameters)]
        values = [self.coerced(value, arg, name, arg_loc) for value, arg, arg_loc in bound]
        callee = self.emit_constant(function, loc)
        return self.emit_call_node("prim::CallFunction", [callee] + values, function.return_type, loc, fork,
                                   name=function.qualname)

    def emit_python_call(self, function, mode, args, keywords, loc, fork=False, owner=None) -> SugaredValue:
        """A call of an @jit.ignore'd Python function: prim::PythonOp, an upcall
        ("ignore") or, for @jit.unused, a raise when it runs. Its annotations give the
        types; unannotated parameters are Tensors. ``owner``: the object of a method
        call, passed as its first argument. (Plain Python functions are compiled
        instead: recursive.py.)"""
        name = getattr(function, "__qualname__", getattr(function, "__name__", "function"))
        parameters, result = python_signature(function, name, loc)
        if owner is not None:
            if not parameters:
                self.fail(f"the method {name} takes no 'self'", loc)
            parameters = parameters[1:]
        values = self.bind_signature(parameters, f"{name}()", args, keywords, loc)
        attrs = {"method": True} if owner is not None else {}
        return self.emit_call_node("prim::PythonOp", ([owner] if owner is not None else []) + values, result, loc,
                                   fork, name=name, function=function, mode=mode, **attrs)

    def emit_object_attribute(self, owner, name, loc) -> SugaredValue:
        """``obj.name``: an attribute (prim::GetAttr) or a method of a script object or
        module; a module's constants are constants, and the functions its attributes
        hold resolve as Python values."""
        from .classes import method_names  # noqa: PLC0415 - classes compiles with this emitter

        kind = owner.type
        what = f"module '{kind.python_class.__name__}'" if kind.kind == "module" else f"'{kind.annotation_str()}' object"
        if name in kind.constants:
            return ConstantValue(kind.constants[name])
        if name in kind.python_values:
            return self.resolve_python(kind.python_values[name], name, loc)
        if name in kind.unusable:
            self.fail(f"the attribute '{name}' of {what} cannot be used in script code: {kind.unusable[name]}", loc)
        if kind.container == "dict" and name in ("items", "keys", "values"):
            return ModuleDictView(owner, name)
        if name in kind.attributes:
            return SimpleValue(self.get_attribute(owner, name, loc))
        if name in method_names(kind):
            function = kind.sources.get(name)
            mode = getattr(function, "__jit_ignore__", None)
            if mode is not None:  # @jit.ignore / @jit.unused: a Python call with the object as self
                return PythonMethodValue(owner, function, mode)
            return ScriptMethodValue(owner, name)
        listing = [n for n in kind.attributes if n != "training"] + sorted(kind.constants)
        hint = f"; its attributes are {', '.join(listing)}" if listing else ""
        self.fail(f"{what} has no attribute or method '{name}'{hint}", loc)

    def get_attribute(self, owner, name, loc):
        value = self.emit_node("prim::GetAttr", [owner], [owner.type.attributes[name]], loc, name=name).output
        return name_attribute_value(value, name)

    def submodule_items(self, owner, loc):
        """(name, value) of each submodule of a Sequential, ModuleList or ModuleDict, in order."""
        kind = owner.type
        return [(name, SimpleValue(self.get_attribute(owner, name, loc))) for name in kind.submodules]

    def container_item(self, owner, index_node, loc) -> SugaredValue:
        """``self.layers[0]``, ``self.heads["key"]``: a submodule, chosen at compile time."""
        kind = owner.type
        index = self.emit_expr(index_node)
        names = kind.submodules
        if kind.container == "dict":
            if not isinstance(index, ConstantValue) or not isinstance(index.value, str):
                self.fail("a ModuleDict is indexed by a str literal in script code; iterate over .items() "
                          "to visit every module" + constant_attribute_hint(index), index_node)
            if index.value not in names:
                self.fail(f"the ModuleDict has no module {index.value!r}; its keys are {names}", index_node)
            name = index.value
        else:
            if not isinstance(index, ConstantValue) or type(index.value) is not int:
                self.fail(f"a {kind.python_class.__name__} is indexed by an int literal in script code (its "
                          "modules may have different types); iterate over it to visit every module"
                          + constant_attribute_hint(index), index_node)
            if not -len(names) <= index.value < len(names):
                self.fail(f"index {index.value} is out of range for a {kind.python_class.__name__} of "
                          f"{len(names)} modules", index_node)
            name = names[index.value]
        return SimpleValue(self.get_attribute(owner, name, loc))

    def emit_method_call(self, owner, name, args, keywords, loc, fork=False) -> SugaredValue:
        from .classes import method  # noqa: PLC0415 - classes compiles with this emitter

        function = method(owner.type, name, loc)
        values = self.bind_signature(function.parameters[1:], f"{owner.type.annotation_str()}.{name}()", args,
                                     keywords, loc)
        return self.emit_call_node("prim::CallMethod", [owner] + values, function.return_type, loc, fork, name=name)

    def emit_create_object(self, kind, args, keywords, loc) -> SugaredValue:
        from .classes import method, method_names  # noqa: PLC0415 - classes compiles with this emitter

        values = []
        if "__init__" in method_names(kind):
            init = method(kind, "__init__", loc)
            values = self.bind_signature(init.parameters[1:], f"{kind.name}()", args, keywords, loc)
        elif args or keywords:
            self.fail(f"{kind.name}() takes no arguments (it has no __init__)", loc)
        return SimpleValue(self.emit_node("prim::CreateObject", values, [kind], loc).output)

    def bind_signature(self, parameters, name, args, keywords, loc):
        """Bind call arguments to a function's parameters and convert them."""
        return [self.coerced(value, arg, name, arg_loc)
                for value, arg, arg_loc in self.bound_values(parameters, name, args, keywords, loc)]

    def bound_values(self, parameters, name, args, keywords, loc) -> list:
        """(value, parameter, location) of each parameter, bound from the call's arguments."""
        schema = _Signature([ops.Arg(p.name, p.type, p.default) for p in parameters])
        slots = self.bind_arguments(schema, None, name, args, keywords, loc, None)
        return [(sugared.as_value(self, arg_loc), arg, arg_loc) for (sugared, arg_loc), arg in zip(slots, schema.args)]

    def coerced(self, value, arg, name, arg_loc):
        converted = self.coerce(value, arg.type, arg_loc)
        if converted is None:
            self.fail(f"{name} expected a value of type '{arg.type.annotation_str()}' for argument "
                      f"'{arg.name}' but found type '{value.type.annotation_str()}'", arg_loc)
        return converted

    def number_variant(self, function, bound, loc):
        """``function``, or its variant for the Python numbers ``bound`` passes to its
        ``number_parameters`` (compiled once per such signature, shared)."""
        from .recursive import chained  # noqa: PLC0415 - recursive.py builds on this module

        numbers = getattr(function, "number_parameters", ())
        if not numbers or getattr(function, "_recompile", None) is None:
            return function
        declared = {arg.name: arg.type for _, arg, _ in bound if arg.name in numbers}
        types = {}
        for value, arg, _ in bound:
            kind = T.erase_refinement(value.type)
            if arg.name in declared and kind in (T.INT, T.FLOAT, T.BOOL):
                types[arg.name] = T.OptionalType(kind) if isinstance(declared[arg.name], T.OptionalType) else kind
        if not types:
            return function
        try:
            variant = function.variant_for_types(types)
        except CompilationError as error:
            raise chained(error, f"'{function.qualname}'", loc) from None
        return variant

    def bind_arguments(self, op, spelling, name, args, keywords, loc, self_value):
        canonical = op.args
        slots = [None] * len(canonical)
        start = 0
        if self_value is not None:
            slots[0], start = (SimpleValue(self_value), loc), 1
        varargs = canonical.index(next(a for a in canonical if a.name == spelling.varargs)) \
            if spelling is not None and spelling.varargs else None
        positional_slots = [i for i in range(start, len(canonical)) if not canonical[i].kwarg_only]
        remaining = list(args)
        for index in positional_slots:
            if not remaining:
                break
            if index == varargs:
                slots[index] = self.pack_varargs(remaining, loc)
                remaining = []
                break
            slots[index] = remaining.pop(0)
        if remaining:
            self.fail(f"{name} takes at most {len(positional_slots)} positional argument"
                      f"{'s' if len(positional_slots) != 1 else ''} but {len(args)} were given", loc)
        aliases = spelling.aliases if spelling is not None else {}
        for keyword, (sugared, arg_loc) in keywords.items():
            canonical_name = aliases.get(keyword, keyword)
            index = next((i for i, a in enumerate(canonical) if a.name == canonical_name and i >= start), None)
            if index is None:
                self.fail(f"{name} got an unexpected keyword argument '{keyword}'", arg_loc)
            if slots[index] is not None:
                self.fail(f"{name} got multiple values for argument '{keyword}'", arg_loc)
            slots[index] = (sugared, arg_loc)
        for index, arg in enumerate(canonical):
            if slots[index] is None:
                if not arg.has_default:
                    self.fail(f"{name} is missing its required argument '{arg.name}'", loc)
                slots[index] = (ConstantValue(arg.default), loc)
        return slots

    def pack_varargs(self, values, loc):
        if len(values) == 1:
            return values[0]
        elements = [sugared.as_value(self, arg_loc) for sugared, arg_loc in values]
        return SimpleValue(self.emit_node("prim::TupleConstruct", elements, [T.TupleType(v.type for v in elements)],
                                          loc).output), loc

    def convert_arguments(self, op, spelling, name, values, locs):
        canonical = op.args
        if spelling is not None and spelling.scalars_to_array:
            values = self.numpy_scalar_conversion(canonical, values, locs)
            self.check_numpy_array_likes(name, canonical, values, locs)
        converted = []
        for index, (value, arg_loc) in enumerate(zip(values, locs)):
            arg = canonical[min(index, len(canonical) - 1)]
            # Python's operators do not make arrays of tuples ((1, 2) % 2 is a TypeError); NumPy's functions do.
            operator = spelling is not None and spelling.kind == "operator"
            result = self.coerce(value, arg.type, arg_loc, arrays_from_data=not operator)
            if result is None:
                hint = f"; {op.hint}" if op.hint else ""
                if isinstance(value.type, T.OptionalType) and self.coerce_type_check(value.type.element, arg.type):
                    hint = "; it may be None here: check 'if x is not None:' first (local variables only)"
                self.fail(f"{name} expected a value of type '{arg.type.annotation_str()}' for argument "
                          f"'{arg.name}' but found type '{value.type.annotation_str()}'{hint}", arg_loc)
            converted.append(result)
        return converted

    def numpy_scalar_conversion(self, canonical, values, locs):
        """What NumPy does with Python numbers passed to its functions: an argument
        that must be an array becomes one, and with no array among the array-like
        arguments the first of them becomes a 0-d array (``np.exp(1.0)`` is np.float64)."""
        values = list(values)
        numbers = (T.INT, T.FLOAT, T.BOOL, T.NUMBER)
        for index, arg in enumerate(canonical):
            if arg.type == T.TENSOR and values[index].type in numbers:
                values[index] = self.num_to_tensor(values[index], locs[index])
        array_like = _numpy_array_likes(canonical)
        if array_like and not any(isinstance(values[i].type, T.TensorType) for i in array_like):
            first = array_like[0]
            if values[first].type in numbers:
                values[first] = self.num_to_tensor(values[first], locs[first])
        return values

    def check_numpy_array_likes(self, name, canonical, values, locs):
        """A str, a list or None passed where a NumPy function takes an array-like:
        NumPy would make an array of it, which script code does not, so it is refused
        rather than given the meaning of Python's operator (``np.equal`` of two lists
        is elementwise, ``==`` is not)."""
        for index in _numpy_array_likes(canonical):
            kind = values[index].type
            if isinstance(kind, T.TensorType) or _is_number(kind):
                continue
            if self.coerce_type_check(kind, canonical[index].type):  # else the type check reports it
                hint = ("; it may be None here: check 'if x is not None:' first (local variables only)"
                        if isinstance(kind, T.OptionalType) else "")
                self.fail(f"{name} takes arrays and numbers in script code, but argument '{canonical[index].name}' "
                          f"is of type '{kind.annotation_str()}' (NumPy would make an array of it){hint}",
                          locs[index])

    def num_to_tensor(self, value, loc):
        return self.emit_node("prim::NumToTensor", [value], [T.TENSOR], loc).output

    @staticmethod
    def coerce_type_check(kind, expected) -> bool:
        return kind.is_subtype_of(expected) or (kind == T.INT and T.FLOAT.is_subtype_of(expected))

    def widen(self, value, declared, loc):
        """``value`` as a value of the declared type: converted like an argument, and
        widened with prim::annotate when the declaration is wider (x: Optional[int] = None)."""
        converted = self.coerce(value, declared, loc)
        if converted is None or not _widening_needed(converted, declared):
            return converted
        return self.emit_node("prim::annotate", [converted], [declared], loc).output

    def coerce(self, value, expected, loc, arrays_from_data=True):
        """``value`` as a value of type ``expected``: itself, an int converted to float
        where only a float is accepted, a tuple or list of numbers made an array where an
        array is expected (``arrays_from_data``), or None when it cannot be."""
        if value.type.is_subtype_of(expected):
            return value
        if value.type == T.INT and T.FLOAT.is_subtype_of(expected):
            if value.node.kind == "prim::Constant":
                return self.emit_constant(float(value.node["value"]), loc)
            op, spelling = ops.for_python_object(float)
            return self.emit_op_call(op, spelling, [(SimpleValue(value), loc)], {}, loc).value
        if arrays_from_data and _takes_arrays(expected) and is_array_data(value.type):  # np.sum((1, 2)): NumPy makes it an array
            return self.emit_op_call(ops.lookup("np::asarray"), None, [(SimpleValue(value), loc)], {}, loc).value
        if arrays_from_data and _takes_array_sequence(expected) and is_array_data(value.type):
            converted = self.arrays_of(value, loc)
            return converted if converted.type.is_subtype_of(expected) else None
        return None

    def arrays_of(self, value, loc):
        """A tuple or list of numbers and arrays as the sequence of arrays NumPy makes of it
        (``np.hstack((x, 0.5))``, ``np.lexsort([k])``): a tuple's elements each made an
        array; a list's, whose length is known only when it runs, the rows of np.asarray of it."""
        as_array = ops.lookup("np::asarray")
        if isinstance(value.type, T.TupleType):
            if value.node.kind == "prim::TupleConstruct":
                elements = list(value.node.inputs)
            else:
                elements = list(self.emit_node("prim::TupleUnpack", [value], value.type.elements, loc).outputs)
            arrays = [e if isinstance(e.type, T.TensorType) else self.num_to_tensor(e, loc) if _is_number(e.type)
                      else self.emit_op_call(as_array, None, [(SimpleValue(e), loc)], {}, loc).value for e in elements]
            if value.node.kind == "prim::TupleConstruct" and not value.uses:  # the literal is replaced
                value.node.destroy()
            return self.emit_node("prim::TupleConstruct", arrays, [T.TupleType(a.type for a in arrays)], loc).output
        array = self.emit_op_call(as_array, None, [(SimpleValue(value), loc)], {}, loc).value
        return self.emit_op_call(ops.lookup("np::unstack"), None, [(SimpleValue(array), loc)], {}, loc).value



def reads_ranges(spelling) -> bool:
    """Whether the callee reads a range as array data: NumPy's functions and array methods do
    (np.asarray(range(3)) is array([0, 1, 2])); Python's builtins do not (abs(range(3)) raises)."""
    if spelling is None:
        return False
    return (spelling.kind == "function" and spelling.name.startswith("np.")) \
        or (spelling.kind == "method" and spelling.receiver == "array")


def _takes_arrays(expected) -> bool:
    """Whether an argument declared ``expected`` takes an array (not merely anything)."""
    options = expected.options if isinstance(expected, T.UnionType) else (expected,)
    return T.ANY not in options and any(isinstance(o, T.TensorType) for o in options)


def _is_number(kind) -> bool:
    return kind in (T.INT, T.FLOAT, T.BOOL, T.NUMBER)


def _takes_array_sequence(expected) -> bool:
    """Whether an argument declared ``expected`` takes a sequence of arrays (np.hstack's)."""
    options = expected.options if isinstance(expected, T.UnionType) else (expected,)
    return any(isinstance(o, T.SequenceType) and isinstance(o.element, T.TensorType) for o in options)


def _numpy_array_likes(canonical) -> list:
    """Indices of the arguments a NumPy function converts to arrays; np.equal's are
    Any (``==`` compares anything), and NumPy converts those as well."""
    return [i for i, a in enumerate(canonical) if a.type in (ops.ARRAY_LIKE, ops.OPERAND, T.ANY)]


def _spelled(op, spelling):
    """How messages name the callee: ``np.sum()``, ``x.sum()``, ``the '+' operator``."""
    if spelling is None:
        if any(part in op.name for part in ("Index", "Slice", "SetItem", "setitem", "Construct", "str_index", "str_slice")):
            return f"'{op.doc.split(';')[0].split(':')[0]}'"  # the form it has in code: 'd[k] = v'
        return f"{op.name}()"
    if spelling.kind == "method":
        receiver = {"array": "x", "list": "list", "dict": "dict", "str": "str", "generator": "rng"}.get(spelling.receiver, "x")
        return f"{receiver}.{spelling.name}()"
    if spelling.kind == "operator":
        return f"the '{spelling.name.removeprefix('unary ')}' operator"
    if spelling.kind == "subscript":
        return "x[...]"
    return f"{spelling.name}()"


def _empty_container_hint(values) -> str:
    """Why an empty ``[]`` or ``{}`` refused an element, and how to type it."""
    for value in values:
        node = value.node
        if node.kind == "prim::ListConstruct" and not node.inputs and value.type == T.ListType(T.TENSOR):
            return ("; an empty [] is a List[Tensor]: declare the element type, as in 'x: List[int] = []' or "
                    "'jit.annotate(List[int], [])'")
        if node.kind == "prim::DictConstruct" and not node.inputs and value.type == T.DictType(T.STR, T.TENSOR):
            return ("; an empty {} is a Dict[str, Tensor]: declare its types, as in 'x: Dict[str, int] = {}' or "
                    "'jit.annotate(Dict[str, int], {})'")
    return ""


def _widening_needed(value, expected) -> bool:
    return value.type != expected and value.type.is_subtype_of(expected)


class _Signature:
    """A function's parameters in the shape bind_arguments takes."""

    variadic = False

    def __init__(self, args):
        self.args = args


def name_attribute_value(value, name):
    """``linear = self.linear``: an attribute read is named after the attribute, as TorchScript prints it."""
    if name.isidentifier() and not name.startswith("_"):
        value.set_debug_name(name)
    return value


def python_signature(function, name, loc):
    """(parameters, result type) of a Python function, from its annotations;
    unannotated ones are Tensors, as in TorchScript (the result is checked at run
    time when script code uses it)."""
    from .emitter import ParameterSpec  # noqa: PLC0415 - the emitter imports this module

    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        raise CompilationError(f"cannot read the signature of the Python function {name}", loc) from None
    try:
        hints = typing.get_type_hints(function)
    except Exception:  # noqa: BLE001 - unresolvable annotations: fall back to the raw ones
        hints = getattr(function, "__annotations__", {})
    parameters = []
    for parameter in signature.parameters.values():
        if parameter.kind not in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            raise CompilationError(f"script code cannot call the Python function {name}, which takes *args, "
                                   "**kwargs or keyword-only arguments", loc)
        try:
            kind = type_of_python_annotation(hints[parameter.name]) if parameter.name in hints else T.TENSOR
        except TypeError as error:
            raise CompilationError(f"the Python function {name}: parameter '{parameter.name}': {error}", loc) from None
        default = ops.NO_DEFAULT if parameter.default is parameter.empty else parameter.default
        parameters.append(ParameterSpec(parameter.name, kind, default))
    try:
        result = type_of_python_annotation(hints["return"]) if "return" in hints else T.TENSOR
    except TypeError as error:
        raise CompilationError(f"the Python function {name}: return type: {error}", loc) from None
    return parameters, result
