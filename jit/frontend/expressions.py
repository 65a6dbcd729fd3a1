"""Expressions in script code: names, attributes, calls, operators, boolean
logic, comparisons, conditional expressions, tuples, lists and subscripts."""
from __future__ import annotations

import ast
import functools
import types as _pytypes

import numpy as np

import device as _device
from jit import ops
from jit import types as T
from jit.errors import CompilationError
from jit.ir import Value, arg_info
from jit.ir.code_printer import TensorConstants
from jit.ops.conversion import is_array_data

from .annotations import namedtuple_type
from .environment import Deferred
from .recursive import is_compilable_class
from .sugared import (AnnotateBuiltin, BuiltinType, ConstantValue, DeviceBuiltin, EnumerateBuiltin, ForkBuiltin, IsinstanceBuiltin, IsScriptingBuiltin, TensorConstantsValue,
                      MixedListValue, ModuleValue, NamedTupleClass, OpFunction, PythonClassValue, PythonFunctionValue, ScriptClassValue, RangeBuiltin, RangeValue, ScalarTypeValue, ScriptFunctionValue,
                      SimpleValue, StrictFusionValue, SugaredValue, ZipBuiltin)

# What a builtin or a module attribute may be in saved code (see reachable_from_saved_code).
_SAVED_CODE_BUILTINS = (OpFunction, RangeBuiltin, EnumerateBuiltin, ZipBuiltin, IsinstanceBuiltin, AnnotateBuiltin,
                        IsScriptingBuiltin, ForkBuiltin, DeviceBuiltin, StrictFusionValue)

BINARY_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
                   ast.Pow: "**", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
                   ast.LShift: "<<", ast.RShift: ">>"}
_UNARY_SYMBOLS = {ast.USub: "unary -", ast.UAdd: "unary +", ast.Invert: "unary ~", ast.Not: "not"}
_COMPARE_SYMBOLS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
                    ast.In: "in", ast.NotIn: "not in"}
_CONSTANT_TYPES = (bool, int, float, str, type(None), _device.Device, np.dtype)
_UNSUPPORTED_EXPRESSIONS = {
    ast.Set: "set literals", ast.SetComp: "set comprehensions", ast.GeneratorExp: "generator expressions",
    ast.Lambda: "lambda expressions", ast.NamedExpr: "assignment expressions (:=)",
    ast.Await: "'await'", ast.Yield: "'yield'", ast.YieldFrom: "'yield from'", ast.Starred: "starred expressions",
}


class ExpressionEmitter:
    """The expression part of FunctionEmitter."""

    def emit_expr(self, node) -> SugaredValue:
        method = getattr(self, f"expr_{type(node).__name__}", None)
        if method is None:
            what = _UNSUPPORTED_EXPRESSIONS.get(type(node), f"'{type(node).__name__}' expressions")
            self.fail(f"{what} are not supported in script functions yet", node)
        return method(node)

    def expr_Constant(self, node):
        value = node.value
        if value is Ellipsis or isinstance(value, (bool, int, float, str, type(None))):
            return ConstantValue(value)
        self.fail(f"{type(value).__name__} literals are not supported", node)

    def expr_Name(self, node):
        return self.lookup(node.id, node)

    def lookup(self, name, node):
        found = self.env.find(name)
        if isinstance(found, Deferred):
            self.fail(found.message, node)
        if isinstance(found, Value):
            return SimpleValue(found)
        if found is not None:
            return found
        if is_dunder(name):
            self.fail(f"script code cannot use the Python name '{name}': names that start and end with '__' are "
                      "Python's internals, which script code does not reach", node)
        try:
            python_value = self.resolver.lookup(name)
        except KeyError:
            self.fail(f"undefined value {name}", node)
        resolved = self.resolve_python(python_value, name, self.loc(node))
        if self.resolver.saved and not self.resolver.is_given(name):  # a builtin, not what the loader bound
            return self.reachable_from_saved_code(resolved, name, self.loc(node))
        return resolved

    def resolve_python(self, obj, name, loc) -> SugaredValue:
        """What a Python object seen by script code means (TorchScript's 'Python values')."""
        if isinstance(obj, _pytypes.ModuleType):
            return ModuleValue(obj, name)
        if obj is range:
            return RangeBuiltin()
        if obj is enumerate:
            return EnumerateBuiltin()
        if obj is zip:
            return ZipBuiltin()
        if any(obj is t for t in (float, int, bool)):  # identity: obj may be an array
            return BuiltinType(obj)
        if obj is isinstance or getattr(obj, "__jit_isinstance__", False):
            return IsinstanceBuiltin()
        if getattr(obj, "__jit_annotate__", False):
            return AnnotateBuiltin()
        if getattr(obj, "__jit_is_scripting__", None) is not None:
            return IsScriptingBuiltin(obj)
        if isinstance(obj, TensorConstants):
            return TensorConstantsValue(obj)
        if getattr(obj, "__jit_scripted__", None) is not None:  # @jit.script_if_tracing: the scripted function
            self.refuse_python_in_saved_code(name, loc)
            return ScriptFunctionValue(obj.__jit_scripted__())
        if getattr(obj, "__jit_fork__", False):
            return ForkBuiltin()
        if obj is _device.Device:
            return DeviceBuiltin()
        overloads = ops.python_object_overloads(obj)
        if overloads:
            return OpFunction(*overloads[0], overloads)
        if isinstance(obj, type) and issubclass(obj, np.generic):
            return ScalarTypeValue(np.dtype(obj))
        if T.is_namedtuple_class(obj):
            return NamedTupleClass(namedtuple_type(obj))
        if T.class_type_of(obj) is not None:
            return ScriptClassValue(T.class_type_of(obj))
        if isinstance(obj, T.ClassType) and obj.kind == "class":  # bound by name in saved code
            return ScriptClassValue(obj)
        if is_compilable_class(obj):  # a plain class: compiled as a script class when called
            self.refuse_python_in_saved_code(name, loc)
            return PythonClassValue(obj)
        if _is_constant(obj):
            return ConstantValue(obj)
        if _device.is_array(obj):
            raise CompilationError(f"'{name}' is an array defined outside the function; script functions take "
                                   "arrays as arguments, so pass it in", loc)
        if getattr(obj, "is_script_function", False):
            return ScriptFunctionValue(obj)
        if getattr(obj, "__jit_strict_fusion__", False):
            return StrictFusionValue()
        if isinstance(obj, (_pytypes.FunctionType, _pytypes.BuiltinFunctionType, _pytypes.MethodType)):
            self.refuse_python_in_saved_code(name, loc)
            return PythonFunctionValue(obj, getattr(obj, "__jit_ignore__", "python"))
        if callable(obj):
            raise CompilationError(f"'{name}' is a Python callable of type '{type(obj).__name__}', which script "
                                   "code cannot call (script functions, Python functions and registered "
                                   "operators can be called; python -m jit.ops lists the operators)", loc)
        raise CompilationError(f"'{name}' is a Python value of type '{type(obj).__name__}', which script code "
                               "cannot use; constants must be int, float, bool, str, None, a dtype, a Device "
                               "or a tuple of those", loc)

    def reachable_from_saved_code(self, sugared, path, loc) -> SugaredValue:
        """Code read from a file reaches, through builtins and modules, only the
        operators, the language's builtins, dtypes, numbers (``math.inf``) and the
        modules that spell operators (``np.random``): no other Python object."""
        if isinstance(sugared, _SAVED_CODE_BUILTINS):
            return sugared
        if isinstance(sugared, ModuleValue) and path in operator_module_paths():
            return sugared
        if isinstance(sugared, ConstantValue) and (sugared.value is None or type(sugared.value) in (int, float, bool)
                                                   or isinstance(sugared.value, np.dtype)):
            return sugared
        raise CompilationError(f"saved code cannot use '{path}' ({sugared.describe()}): it reaches only operators "
                               "(python -m jit.ops lists them), dtypes, numbers such as math.inf, and what the file "
                               "itself defines", loc)

    def refuse_python_in_saved_code(self, name, loc):
        """Code read from a file runs nothing but operators and what the file defines."""
        if self.resolver.saved:
            raise CompilationError(f"'{name}' is a Python function: saved code may only call operators and the "
                                   "functions and classes saved with it", loc)

    def expr_Attribute(self, node):
        return self.emit_expr(node.value).attr(self, node.attr, self.loc(node))

    def refuse_dunder_attributes(self, func_def):
        """``x.__class__``, ``self.__dict__``, ``np.__loader__``...: no attribute named
        ``__...__`` is read or written anywhere in script code (operators such as
        ``a + b`` and ``len(x)`` still reach the methods Python names so)."""
        parts = [func_def.args, *func_def.body] + ([func_def.returns] if func_def.returns is not None else [])
        found = [node for part in parts for node in ast.walk(part)
                 if isinstance(node, ast.Attribute) and is_dunder(node.attr)]
        if found:  # the first one read: x.__class__ of x.__class__.__name__
            node = min(found, key=lambda n: (n.end_lineno, n.end_col_offset))
            self.fail(f"script code cannot use the attribute '{node.attr}': attributes that start and end "
                      "with '__' are Python's internals, which script code does not reach", node)

    def expr_Call(self, node):
        function = self.emit_expr(node.func)
        # These take types, which are annotations, not values: compiled from their source.
        if getattr(function, "is_isinstance", False):
            return SimpleValue(self.emit_condition(node))
        if getattr(function, "is_annotate", False):
            return self.emit_annotate(node)
        args = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                args.extend(self.expand_starred(arg))
            else:
                args.append((self.emit_expr(arg), self.loc(arg)))
        keywords = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                self.fail("**kwargs in calls is not supported", keyword.value)
            keywords[keyword.arg] = (self.emit_expr(keyword.value), self.loc(keyword.value))
        if isinstance(function, OpFunction) and function.op.name == "prim::len" and len(args) == 1:
            if isinstance(args[0][0], RangeValue):
                return SimpleValue(args[0][0].trip_count(self))
            subject = args[0][0]
            if isinstance(subject, SimpleValue) and isinstance(subject.value.type, T.ClassType) \
                    and subject.value.type.container is not None:
                return ConstantValue(len(subject.value.type.submodules))  # a module container's length is fixed
        return function.call(self, args, keywords, self.loc(node))

    def emit_annotate(self, node):
        """jit.annotate(T, value): value with the static type T."""
        if len(node.args) != 2 or node.keywords:
            self.fail("jit.annotate takes a type and a value", node)
        declared = self.annotation(node.args[0])
        source = node.args[1]
        empty = self.typed_empty_container(declared, source, node)
        if empty is not None:
            return SimpleValue(empty)
        value = self.emit_expr(source).as_value(self, self.loc(source))
        widened = self.widen(value, declared, self.loc(node))
        if widened is None:
            self.fail(f"jit.annotate: a value of type {value.type.annotation_str()} is not a "
                      f"{declared.annotation_str()}", source)
        return SimpleValue(widened)

    def typed_empty_container(self, declared, source, where):
        """``[]`` or ``{}`` made with the declared type (``x: List[int] = []``,
        ``jit.annotate(Dict[str, int], {})``), or None when ``source`` is neither."""
        if isinstance(source, ast.List) and not source.elts:
            if not isinstance(declared, T.ListType):
                self.fail(f"an empty list cannot be annotated as {declared.annotation_str()}", where)
            return self.emit_node("prim::ListConstruct", [], [declared], self.loc(source)).output
        if isinstance(source, ast.Dict) and not source.keys:
            if not isinstance(declared, T.DictType):
                self.fail(f"an empty dict cannot be annotated as {declared.annotation_str()}", where)
            return self.emit_node("prim::DictConstruct", [], [declared], self.loc(source)).output
        return None

    def expand_starred(self, node):
        value = self.emit_expr(node.value).as_value(self, self.loc(node.value))
        if not isinstance(value.type, T.TupleType):
            self.fail(f"only tuples can be expanded with * in a call, not {value.type.annotation_str()}", node)
        unpacked = self.emit_node("prim::TupleUnpack", [value], value.type.elements, self.loc(node))
        return [(SimpleValue(output), self.loc(node)) for output in unpacked.outputs]

    def binary(self, symbol, lhs, rhs, loc):
        if symbol == "not in":
            found = self.emit_operator("in", [(lhs, loc), (rhs, loc)], loc)
            op, spelling = ops.for_operator("not")
            return self.emit_op_call(op, spelling, [(found, loc)], {}, loc)
        return self.emit_operator(symbol, [(lhs, loc), (rhs, loc)], loc)

    def expr_BinOp(self, node):
        lhs, rhs = self.emit_expr(node.left), self.emit_expr(node.right)
        return self.emit_operator(BINARY_SYMBOLS[type(node.op)],
                                  [(lhs, self.loc(node.left)), (rhs, self.loc(node.right))], self.loc(node))

    def expr_UnaryOp(self, node):
        operand = self.emit_expr(node.operand)
        if isinstance(node.op, (ast.USub, ast.UAdd)) and isinstance(operand, ConstantValue) \
                and type(operand.value) in (int, float):
            # -1 and -math.inf stay constants, as literals are.
            return ConstantValue(-operand.value if isinstance(node.op, ast.USub) else operand.value)
        op, spelling = ops.for_operator(_UNARY_SYMBOLS[type(node.op)])
        return self.emit_op_call(op, spelling, [(operand, self.loc(node.operand))], {}, self.loc(node))

    def expr_BoolOp(self, node):
        return SimpleValue(self.emit_condition(node))

    def short_circuit(self, first, is_and, emit_second, loc):
        """``first and second`` / ``first or second`` on bools, evaluating second lazily."""
        node = self.emit_node("prim::If", [first], [T.BOOL], loc)
        for evaluate_second in ((True, False) if is_and else (False, True)):
            block = node.add_block()
            with self.scope(block):
                block.register_output(emit_second() if evaluate_second else self.emit_constant(not is_and, loc))
        return node.output

    def expr_Compare(self, node):
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.Is, ast.IsNot)):
            return SimpleValue(self.emit_condition(node))
        operands = [node.left] + list(node.comparators)
        for operator in node.ops:
            if type(operator) not in _COMPARE_SYMBOLS:
                self.fail("'is' and 'is not' cannot be chained with other comparisons in script functions", node)
        left = self.emit_expr(operands[0])
        result = None
        for index, operator in enumerate(node.ops):
            right_node = operands[index + 1]

            def compare(left=left, operator=operator, right_node=right_node):
                right = self.emit_expr(right_node)
                value = self.binary(_COMPARE_SYMBOLS[type(operator)], left, right, self.loc(node)).value
                return value, right

            if result is None:
                result, left = compare()
                continue
            condition = self.as_bool(result, self.loc(node))
            holder = {}

            def second(compare=compare, holder=holder):
                value, holder["right"] = compare()
                return self.as_bool(value, self.loc(node))

            result = self.short_circuit(condition, True, second, self.loc(node))
            left = holder["right"]
        return SimpleValue(result)

    def expr_IfExp(self, node):
        condition = self.emit_cond(node.test)
        if condition.static is not None:
            return self.emit_expr(node.body if condition.static else node.orelse)

        def branch(expression, refinements):
            def produce():
                self.apply_refinements(refinements, self.loc(expression))
                return self.emit_expr(expression).as_value(self, self.loc(expression)), self.loc(expression)
            return produce

        return SimpleValue(self.emit_value_if(
            condition.value, [branch(node.body, condition.when_true), branch(node.orelse, condition.when_false)],
            self.loc(node),
            lambda first, second: f"the branches of this conditional expression have types {first} and {second}"))

    def expr_Tuple(self, node):
        values = [self.emit_expr(e).as_value(self, self.loc(e)) for e in node.elts]
        return SimpleValue(self.emit_node("prim::TupleConstruct", values, [T.TupleType(v.type for v in values)],
                                          self.loc(node)).output)

    def expr_Dict(self, node):
        if any(key is None for key in node.keys):
            self.fail("**-unpacking in a dict literal is not supported", node)
        if not node.keys:  # {} is Dict[str, Tensor], as in TorchScript
            return SimpleValue(self.emit_node("prim::DictConstruct", [], [T.DictType(T.STR, T.TENSOR)],
                                              self.loc(node)).output)
        items = []
        for key, value in zip(node.keys, node.values):
            items += [(self.emit_expr(key), self.loc(key)), (self.emit_expr(value), self.loc(value))]
        return self.emit_op_call(ops.lookup("prim::DictConstruct"), None, items, {}, self.loc(node))

    def expr_JoinedStr(self, node):
        """An f-string: '...{}...'.format(values), with the conversions and specs written."""
        pieces, values = [], []
        for part in node.values:
            if isinstance(part, ast.Constant):
                pieces.append(part.value.replace("{", "{{").replace("}", "}}"))
                continue
            conversion = "" if part.conversion == -1 else "!" + chr(part.conversion)
            spec = ""
            if part.format_spec is not None:
                if not all(isinstance(p, ast.Constant) for p in part.format_spec.values):
                    self.fail("f-string format specs must be constant", part.format_spec)
                spec = ":" + "".join(p.value for p in part.format_spec.values)
            pieces.append("{" + conversion + spec + "}")
            values.append((self.emit_expr(part.value), self.loc(part.value)))
        template = (ConstantValue("".join(pieces)), self.loc(node))
        return self.emit_op_call(ops.lookup("prim::format"), None, [template] + values, {}, self.loc(node))

    def expr_List(self, node):
        if not node.elts:  # [] is List[Tensor], as in TorchScript; jit.annotate gives other types
            return SimpleValue(self.emit_node("prim::ListConstruct", [], [T.ListType(T.TENSOR)], self.loc(node)).output)
        elements = [self.emit_expr(e) for e in node.elts]
        values = [e.as_tuple(self, self.loc(node)) if isinstance(e, MixedListValue) else e.as_value(self, self.loc(source))
                  for e, source in zip(elements, node.elts)]
        construct = ops.lookup("prim::ListConstruct")
        mixed = next((e for e in elements if isinstance(e, MixedListValue)), None)
        if mixed is not None:  # [[x, 1.0], [x, 2.0]]: array data too, never a list of tuples
            return MixedListValue(values, mixed.message)
        try:
            construct.result_type([arg_info(v) for v in values])
        except TypeError as error:
            if all(_is_array_data_element(v.type) for v in values):
                return MixedListValue(values, f"'[a, b, ...]': {error}")
        return self.emit_op_call(construct, None, [(SimpleValue(v), self.loc(node)) for v in values], {}, self.loc(node))

    def expr_Subscript(self, node):
        base = self.emit_expr(node.value).as_value(self, self.loc(node.value))
        loc = self.loc(node)
        if isinstance(base.type, T.TensorType):
            index = self.emit_index(node.slice)
            op, spelling = ops.for_subscript()
            return self.emit_op_call(op, spelling, [(SimpleValue(base), loc), (SimpleValue(index), loc)], {}, loc)
        if isinstance(base.type, T.TupleType):
            return self.tuple_subscript(base, node.slice, loc)
        if isinstance(base.type, T.ClassType) and base.type.container is not None:
            return self.container_item(base, node.slice, loc)
        if isinstance(base.type, T.DictType):
            key = self.emit_expr(node.slice)
            return self.emit_op_call(ops.lookup("prim::DictIndex"), None,
                                     [(SimpleValue(base), loc), (key, self.loc(node.slice))], {}, loc)
        if base.type == T.STR:
            if isinstance(node.slice, ast.Slice):
                parts = [self.optional_int(p, loc) for p in (node.slice.lower, node.slice.upper, node.slice.step)]
                return self.emit_op_call(ops.lookup("prim::str_slice"), None,
                                         [(SimpleValue(v), loc) for v in [base] + parts], {}, loc)
            index = self.emit_expr(node.slice)
            return self.emit_op_call(ops.lookup("prim::str_index"), None,
                                     [(SimpleValue(base), loc), (index, self.loc(node.slice))], {}, loc)
        if isinstance(base.type, (T.ListType, T.VarTupleType)):
            kind = "List" if isinstance(base.type, T.ListType) else "Tuple"
            if isinstance(node.slice, ast.Slice):
                parts = [self.optional_int(p, loc) for p in (node.slice.lower, node.slice.upper, node.slice.step)]
                return self.emit_op_call(ops.lookup(f"prim::{kind}Slice"), None,
                                         [(SimpleValue(v), loc) for v in [base] + parts], {}, loc)
            index = self.emit_expr(node.slice).as_value(self, self.loc(node.slice))
            if index.type != T.INT:
                self.fail(f"{kind.lower()} indices must be int, not {index.type.annotation_str()}", node.slice)
            return self.emit_op_call(ops.lookup(f"prim::{kind}Index"), None,
                                     [(SimpleValue(base), loc), (SimpleValue(index), loc)], {}, loc)
        self.fail(f"a value of type {base.type.annotation_str()} cannot be subscripted", node)

    def optional_int(self, node, loc):
        if node is None:
            return self.emit_constant(None, loc)
        value = self.emit_expr(node).as_value(self, self.loc(node))
        if value.type not in (T.INT, T.NONE):
            self.fail(f"slice bounds must be int or None, not {value.type.annotation_str()}", node)
        return value

    def tuple_subscript(self, base, index_node, loc):
        elements = base.type.elements
        if isinstance(index_node, ast.Slice):
            bounds = [self.static_int(p) for p in (index_node.lower, index_node.upper, index_node.step)]
            picked = range(len(elements))[slice(*bounds)]
            unpacked = self.emit_node("prim::TupleUnpack", [base], elements, loc)
            outputs = [unpacked.outputs[i] for i in picked]
            return SimpleValue(self.emit_node("prim::TupleConstruct", outputs,
                                              [T.TupleType(v.type for v in outputs)], loc).output)
        position = self.static_int(index_node)
        if position is None or not -len(elements) <= position < len(elements):
            self.fail(f"tuple index {position} is out of range for a tuple of {len(elements)} elements", index_node)
        index = self.emit_constant(position, self.loc(index_node))
        return self.emit_op_call(ops.lookup("prim::TupleIndex"), None,
                                 [(SimpleValue(base), loc), (SimpleValue(index), loc)], {}, loc)

    def static_int(self, node):
        """The value of an int literal (tuples are indexed by constants)."""
        if node is None:
            return None
        value = self.emit_expr(node)
        if isinstance(value, ConstantValue) and isinstance(value.value, int) and not isinstance(value.value, bool):
            return value.value
        self.fail("tuples can only be indexed and sliced by int literals" + constant_attribute_hint(value), node)

    def emit_index(self, node):
        if isinstance(node, ast.Tuple):
            items = [self.emit_index_item(e) for e in node.elts]
            return self.emit_node("prim::TupleConstruct", items, [T.TupleType(v.type for v in items)],
                                  self.loc(node)).output
        return self.emit_index_item(node)

    def emit_index_item(self, node):
        if isinstance(node, ast.Slice):
            loc = self.loc(node)
            parts = [self.optional_int(p, loc) for p in (node.lower, node.upper, node.step)]
            return self.emit_node("prim::SliceConstruct", parts, [T.SLICE], loc).output
        item = self.emit_expr(node)
        if isinstance(item, RangeValue):  # NumPy indexes with a range as with np.arange of it: integer arrays
            return item.as_indices(self, self.loc(node))
        return item.as_value(self, self.loc(node))


def is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def operator_module_paths() -> frozenset:
    """The dotted module paths the operators' function spellings go through
    (``np.random`` for ``np.random.rand``): the submodules saved code may name."""
    return _module_paths_of(sum(len(op.spellings) for op in ops.all_ops()))  # again when a spelling is added


@functools.lru_cache(maxsize=4)
def _module_paths_of(_spelling_count) -> frozenset:
    paths = set()
    for op in ops.all_ops():
        for spelling in op.spellings:
            if spelling.kind == "function" and spelling.name:
                parts = spelling.name.split(".")[:-1]
                paths.update(".".join(parts[:end]) for end in range(2, len(parts) + 1))
    return frozenset(paths)


def _is_constant(obj) -> bool:
    if isinstance(obj, tuple):
        return all(_is_constant(o) for o in obj)
    return isinstance(obj, _CONSTANT_TYPES)


def constant_attribute_hint(sugared) -> str:
    """For a module attribute used where a constant is needed: how to make it one."""
    value = getattr(sugared, "value", None)
    node = getattr(value, "node", None)
    if node is None or node.kind != "prim::GetAttr" or node.inputs[0].type.kind != "module":
        return ""
    name = node["name"]
    return (f"; self.{name} is an attribute of the module, read at run time: make it a constant with "
            f"'{name}: jit.Final[{value.type.annotation_str()}]' in the class body or by listing it in __constants__")


def _is_array_data_element(kind) -> bool:
    """Whether NumPy makes array data of a list element of type ``kind`` (an array, a number,
    a sequence of those)."""
    return is_array_data(T.TupleType((kind,)))
