"""The scripting frontend: Python AST to a typed SSA graph.

Variables become SSA values through scopes (``Environment``): an ``if`` gets a
block per branch and outputs for the variables either branch assigns; a loop
carries the variables its body assigns that were defined before it. Returns
follow the seeds' three rules (at the end; in both branches of an if; an early
return in an if), implemented by moving the statements after such an if into
the branch that does not return. Every construct outside the language raises
``CompilationError`` at its source with a HERE marker.
"""
from __future__ import annotations

import ast
import types as _pytypes
from contextlib import contextmanager

import numpy as np

import device as _device
from jit import ops
from jit import types as T
from jit.errors import CompilationError
from jit.ir import Graph, SourceRange, Value, arg_info, verify
from jit.ops.prim import MAX_TRIP_COUNT
from jit.passes import eliminate_dead_loop_values

from .annotations import AnnotationResolver, resolve_annotation
from .environment import Deferred, Environment
from .sugared import (BuiltinType, ConstantValue, ModuleValue, OpFunction, RangeBuiltin, RangeValue, SimpleValue,
                      SugaredValue)

_BINARY_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
                   ast.Pow: "**", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
                   ast.LShift: "<<", ast.RShift: ">>"}
_UNARY_SYMBOLS = {ast.USub: "unary -", ast.UAdd: "unary +", ast.Invert: "unary ~", ast.Not: "not"}
_COMPARE_SYMBOLS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_CONSTANT_TYPES = (bool, int, float, str, type(None), _device.Device, np.dtype)

_UNSUPPORTED_STATEMENTS = {
    ast.Break: "'break'", ast.Continue: "'continue'", ast.Raise: "'raise'", ast.Assert: "'assert'",
    ast.With: "'with' statements", ast.Try: "'try' statements", ast.Delete: "'del'",
    ast.Global: "'global'", ast.Nonlocal: "'nonlocal'", ast.Import: "'import'", ast.ImportFrom: "'import'",
    ast.FunctionDef: "nested function definitions", ast.ClassDef: "class definitions",
    ast.AsyncFunctionDef: "async functions", ast.AsyncFor: "'async for'", ast.AsyncWith: "'async with'",
}
_UNSUPPORTED_EXPRESSIONS = {
    ast.Dict: "dict literals", ast.Set: "set literals", ast.ListComp: "list comprehensions",
    ast.DictComp: "dict comprehensions", ast.SetComp: "set comprehensions", ast.GeneratorExp: "generator expressions",
    ast.Lambda: "lambda expressions", ast.JoinedStr: "f-strings", ast.NamedExpr: "assignment expressions (:=)",
    ast.Await: "'await'", ast.Yield: "'yield'", ast.YieldFrom: "'yield from'", ast.Starred: "starred expressions",
}


class ParameterSpec:
    """A parameter of a compiled function: name, type, and default (or NO_DEFAULT)."""

    __slots__ = ("name", "type", "default")

    def __init__(self, name, type, default=ops.NO_DEFAULT):
        self.name, self.type, self.default = name, type, default

    @property
    def has_default(self):
        return self.default is not ops.NO_DEFAULT


class CompiledFunction:
    """The frontend's result: the graph and the function's signature."""

    def __init__(self, name, qualname, graph, parameters, return_type, source):
        self.name, self.qualname, self.graph = name, qualname, graph
        self.parameters, self.return_type, self.source = parameters, return_type, source


class FunctionEmitter:
    def __init__(self, func_def: ast.FunctionDef, source, line_offset: int, col_offset: int,
                 namespaces, qualname: str):
        self.func_def = func_def
        self.source = source
        self.line_offset, self.col_offset = line_offset, col_offset
        self.resolver = AnnotationResolver(*namespaces)
        self.qualname = qualname
        self.graph = Graph()
        self.env = Environment(self.graph.block)
        self.loop_depth = 0

    # -- locations and errors ---------------------------------------------------
    def loc(self, node) -> SourceRange:
        end_line = getattr(node, "end_lineno", None)
        end_col = getattr(node, "end_col_offset", None)
        return SourceRange(self.source, node.lineno + self.line_offset, node.col_offset + self.col_offset,
                           None if end_line is None else end_line + self.line_offset,
                           None if end_col is None else end_col + self.col_offset)

    def fail(self, message, node_or_range):
        where = node_or_range if isinstance(node_or_range, SourceRange) else self.loc(node_or_range)
        raise CompilationError(message, where)

    # -- building nodes -----------------------------------------------------------
    def insert(self, node):
        self.env.block.append(node)
        return node

    def emit_node(self, kind, inputs, output_types, loc, **attrs):
        return self.insert(self.graph.create(kind, inputs, output_types, loc, **attrs))

    def emit_constant(self, value, loc):
        if isinstance(value, float) and value != value:
            value = float("nan")
        return self.emit_node("prim::Constant", [], [T.type_of_constant(value)], loc, value=value).output

    @contextmanager
    def scope(self, block):
        outer = self.env
        self.env = Environment(block, outer)
        try:
            yield self.env
        finally:
            self.env = outer

    # -- the function -------------------------------------------------------------
    def emit_function(self) -> CompiledFunction:
        fdef = self.func_def
        params = self.emit_parameters(fdef)
        returned = self.emit_statements(_without_docstring(fdef.body))
        result, result_loc = returned if returned is not None else (
            self.emit_constant(None, self.loc(fdef)), self.loc(fdef))
        declared = self.declared_return_type(fdef)
        if declared is not None:
            converted = self.coerce(result, declared, result_loc)
            if converted is None:
                self.fail(f"the return value was annotated as {declared.annotation_str()} but is of type "
                          f"{result.type.annotation_str()}", result_loc)
            result = converted
        self.graph.register_output(result)
        eliminate_dead_loop_values(self.graph)
        verify(self.graph)
        return CompiledFunction(fdef.name, self.qualname, self.graph, params,
                                declared if declared is not None else result.type, self.source)

    def comment_signature(self, fdef):
        if not fdef.type_comment:
            return None
        try:
            return ast.parse(fdef.type_comment, mode="func_type")
        except SyntaxError:
            self.fail(f"the type comment '# type: {fdef.type_comment}' is not a valid signature", fdef)

    def annotation(self, node, from_comment=False) -> T.Type:
        # Positions inside a type comment are relative to the comment: point at the def.
        make_range = (lambda _node: self.loc(self.func_def)) if from_comment else self.loc
        return resolve_annotation(node, self.resolver, make_range)

    def emit_parameters(self, fdef):
        args = fdef.args
        for kind, present in (("*args", args.vararg), ("**kwargs", args.kwarg)):
            if present is not None:
                self.fail(f"script functions cannot take {kind}", present)
        if args.kwonlyargs:
            self.fail("script functions cannot take keyword-only arguments", args.kwonlyargs[0])
        positional = args.posonlyargs + args.args
        comment = self.comment_signature(fdef)
        if comment is not None and len(comment.argtypes) != len(positional):
            self.fail(f"the type comment gives {len(comment.argtypes)} argument types for "
                      f"{len(positional)} parameters", fdef)
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        params = []
        for index, (arg, default_node) in enumerate(zip(positional, defaults)):
            if comment is not None:
                param_type = self.annotation(comment.argtypes[index], from_comment=True)
            elif arg.annotation is not None:
                param_type = self.annotation(arg.annotation)
            else:
                param_type = T.TENSOR
            default = ops.NO_DEFAULT
            if default_node is not None:
                default = self.default_value(default_node, arg.arg, param_type)
            value = self.graph.add_input(param_type, arg.arg)
            self.env.set(arg.arg, value)
            params.append(ParameterSpec(arg.arg, param_type, default))
        return params

    def default_value(self, node, name, param_type):
        try:
            value = ast.literal_eval(node)
        except ValueError:
            self.fail(f"the default of '{name}' must be a literal (a number, bool, str, None or tuple)", node)
        if isinstance(value, int) and not isinstance(value, bool) and param_type == T.FLOAT:
            value = float(value)
        if not T.type_of_constant(value).is_subtype_of(param_type):
            self.fail(f"the default {value!r} of '{name}' is not a {param_type.annotation_str()}", node)
        return value

    def declared_return_type(self, fdef):
        comment = self.comment_signature(fdef)
        if comment is not None:
            return self.annotation(comment.returns, from_comment=True)
        return None if fdef.returns is None else self.annotation(fdef.returns)

    # -- statements -----------------------------------------------------------------
    def emit_statements(self, statements):
        """Emit statements; return (value, loc) if they end in a return."""
        statements = list(statements)
        for index, stmt in enumerate(statements):
            if isinstance(stmt, ast.Return):
                return self.emit_return(stmt)
            if isinstance(stmt, ast.If) and _contains_return(stmt):
                if self.loop_depth:
                    self.fail("'return' inside a loop is not supported; assign the result to a variable "
                              "and return it after the loop", _first_return(stmt))
                return self.emit_returning_if(stmt, statements[index + 1:])
            self.emit_statement(stmt)
        return None

    def emit_return(self, stmt):
        if self.loop_depth:
            self.fail("'return' inside a loop is not supported; assign the result to a variable "
                      "and return it after the loop", stmt)
        if stmt.value is None:
            return self.emit_constant(None, self.loc(stmt)), self.loc(stmt)
        return self.emit_expr(stmt.value).as_value(self, self.loc(stmt.value)), self.loc(stmt.value)

    def emit_returning_if(self, stmt, rest):
        """An if with a return in it: the statements after it go into each branch
        that does not return, so that the if ends the function."""
        def branch(body):
            def produce():
                statements = list(body) if _always_returns(body) else list(body) + list(rest)
                returned = self.emit_statements(statements)
                return returned if returned is not None else (self.emit_constant(None, self.loc(stmt)),
                                                              self.loc(stmt))
            return produce

        output = self.emit_value_if(
            self.emit_condition(stmt.test), [branch(stmt.body), branch(stmt.orelse)], self.loc(stmt),
            lambda first, second: f"a previous return statement returned a value of type {first} but this "
                                  f"return statement returns a value of type {second}")
        return output, self.loc(stmt)

    def emit_value_if(self, condition, branches, loc, mismatch):
        """A ``prim::If`` whose two branches each produce one value (``produce()`` gives
        (value, loc) inside its block); its output has the types' unification."""
        node = self.emit_node("prim::If", [condition], [], loc)
        results = []
        for produce in branches:
            block = node.add_block()
            with self.scope(block):
                results.append((block, *produce()))
        (_, first, _), (_, second, second_loc) = results
        unified = T.unify(first.type, second.type)
        if unified is None:
            self.fail(mismatch(first.type.annotation_str(), second.type.annotation_str()), second_loc)
        for block, value, _ in results:
            block.register_output(value)
        return node.add_output(unified)

    def emit_statement(self, stmt):
        if isinstance(stmt, ast.Expr):
            self.emit_expr(stmt.value)
        elif isinstance(stmt, ast.Assign):
            if self.is_parallel_assignment(stmt):
                return self.emit_parallel_assignment(stmt)
            value = self.emit_expr(stmt.value)
            for target in stmt.targets:
                self.assign(target, value, self.loc(stmt.value))
        elif isinstance(stmt, ast.AugAssign):
            self.emit_augmented_assignment(stmt)
        elif isinstance(stmt, ast.AnnAssign):
            self.emit_annotated_assignment(stmt)
        elif isinstance(stmt, ast.If):
            self.emit_if(stmt)
        elif isinstance(stmt, ast.For):
            self.emit_for(stmt)
        elif isinstance(stmt, ast.While):
            self.emit_while(stmt)
        elif isinstance(stmt, ast.Pass):
            pass
        else:
            what = _UNSUPPORTED_STATEMENTS.get(type(stmt), f"'{type(stmt).__name__}' statements")
            self.fail(f"{what} are not supported in script functions yet" if what.endswith("s")
                      else f"{what} is not supported in script functions yet", stmt)

    @staticmethod
    def is_parallel_assignment(stmt):
        """``a, b = b, a``: a tuple of targets given a tuple expression of the same length."""
        return len(stmt.targets) == 1 and _matching_tuples(stmt.targets[0], stmt.value)

    def emit_parallel_assignment(self, stmt):
        # Evaluate every value first (left to right, as Python does), then bind:
        # no tuple is built and unpacked, as in TorchScript.
        pairs = []

        def evaluate(target, value):
            if _matching_tuples(target, value):
                for inner_target, inner_value in zip(target.elts, value.elts):
                    evaluate(inner_target, inner_value)
            else:
                pairs.append((target, self.emit_expr(value), self.loc(value)))

        evaluate(stmt.targets[0], stmt.value)
        for target, value, loc in pairs:
            self.assign(target, value, loc)

    def emit_augmented_assignment(self, stmt):
        if not isinstance(stmt.target, ast.Name):
            self.fail("augmented assignment to anything but a variable would write in place, which script "
                      "functions do not support; assign a new value instead", stmt.target)
        symbol = _BINARY_SYMBOLS[type(stmt.op)]
        current = self.lookup(stmt.target.id, stmt.target)
        operand = self.emit_expr(stmt.value)
        op, spelling = ops.for_operator(symbol)
        result = self.emit_op_call(op, spelling, [(current, self.loc(stmt.target)), (operand, self.loc(stmt.value))],
                                   {}, self.loc(stmt))
        self.assign(stmt.target, result, self.loc(stmt))

    def emit_annotated_assignment(self, stmt):
        if stmt.value is None:
            self.fail("an annotated variable needs a value (x: int = 0)", stmt)
        if not isinstance(stmt.target, ast.Name):
            self.fail("only variables can be annotated", stmt.target)
        declared = self.annotation(stmt.annotation)
        value = self.emit_expr(stmt.value).as_value(self, self.loc(stmt.value))
        converted = self.coerce(value, declared, self.loc(stmt.value))
        if converted is None:
            self.fail(f"variable '{stmt.target.id}' is annotated as {declared.annotation_str()} but is assigned "
                      f"a value of type {value.type.annotation_str()}", stmt.value)
        self.assign(stmt.target, SimpleValue(converted), self.loc(stmt.value))

    # -- assignment -------------------------------------------------------------------
    def assign(self, target, sugared: SugaredValue, loc):
        if isinstance(target, ast.Name):
            self.bind(target.id, sugared, target, loc)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self.assign_unpacked(target, sugared.as_value(self, loc), loc)
        elif isinstance(target, ast.Starred):
            self.fail("starred assignment targets are not supported yet", target)
        else:
            self.fail("assigning to an element or attribute would write in place, which script functions do "
                      "not support; build a new array instead (np.where, np.concatenate)", target)

    def bind(self, name, sugared, target_node, loc):
        if not isinstance(sugared, (SimpleValue, ConstantValue)):
            self.env.set(name, sugared)
            return
        value = sugared.as_value(self, loc)
        previous = self.env.find(name)
        if isinstance(previous, Value) and not value.type.is_subtype_of(previous.type):
            converted = self.coerce(value, previous.type, loc)
            if converted is None:
                self.fail(f"variable '{name}' previously had type {previous.type.annotation_str()} but is now being "
                          f"assigned a value of type {value.type.annotation_str()}", target_node)
            value = converted
        if not value.has_debug_name() and value.node.owning_block is self.env.block and _meaningful(name):
            value.set_debug_name(name)
        self.env.set(name, value)

    def assign_unpacked(self, target, value, loc):
        count = len(target.elts)
        if any(isinstance(e, ast.Starred) for e in target.elts):
            self.fail("starred unpacking is not supported yet", target)
        if isinstance(value.type, T.TupleType):
            if len(value.type.elements) != count:
                self.fail(f"cannot unpack a tuple of {len(value.type.elements)} elements into {count} targets",
                          target)
            node = self.emit_node("prim::TupleUnpack", [value], value.type.elements, loc)
        elif isinstance(value.type, T.ListType):
            node = self.emit_node("prim::ListUnpack", [value], [value.type.element] * count, loc)
        elif isinstance(value.type, T.VarTupleType):  # n, m = x.shape: Python checks the length
            node = self.emit_node("prim::TupleUnpack", [value], [value.type.element] * count, loc)
        else:
            self.fail(f"cannot unpack a value of type {value.type.annotation_str()}; unpack tuples or lists", target)
        for element_target, output in zip(target.elts, node.outputs):
            self.assign(element_target, SimpleValue(output), loc)

    # -- control flow -------------------------------------------------------------------
    def emit_condition(self, expr) -> Value:
        value = self.emit_expr(expr).as_value(self, self.loc(expr))
        return self.as_bool(value, self.loc(expr))

    def as_bool(self, value, loc):
        if value.type == T.BOOL:
            return value
        if isinstance(value.type, T.TensorType) or value.type in (T.INT, T.FLOAT):
            op, spelling = ops.for_python_object(bool)
            return self.emit_op_call(op, spelling, [(SimpleValue(value), loc)], {}, loc).value
        self.fail(f"a condition must be a bool, a number or an array, not {value.type.annotation_str()}", loc)

    def emit_if(self, stmt):
        condition = self.emit_condition(stmt.test)
        node = self.emit_node("prim::If", [condition], [], self.loc(stmt))
        branches = []
        for body in (stmt.body, stmt.orelse):
            block = node.add_block()
            with self.scope(block) as env:
                self.emit_statements(body)
            branches.append(env)
        self.merge_branches(node, stmt, *branches)

    def merge_branches(self, node, stmt, true_env, false_env):
        true_block, false_block = node.blocks
        names = list(dict.fromkeys(true_env.assigned_names() + false_env.assigned_names()))
        for name in names:
            in_true, in_false = true_env.find(name), false_env.find(name)
            missing = [side for side, found in (("true", in_true), ("false", in_false))
                       if found is None or isinstance(found, Deferred)]
            if missing:
                detail = in_true if isinstance(in_true, Deferred) else in_false
                message = (detail.message if isinstance(detail, Deferred) and len(missing) == 2
                           else f"'{name}' is not defined in the {missing[0]} branch")
                self.env.set(name, Deferred(message))
                continue
            values = isinstance(in_true, Value) and isinstance(in_false, Value)
            if not values:
                if in_true is in_false:
                    self.env.set(name, in_true)
                else:
                    self.env.set(name, Deferred(f"'{name}' refers to different Python objects on the two branches"))
                continue
            unified = T.unify(in_true.type, in_false.type)
            if unified is None:
                message = (f"Type mismatch: {name} is set to type {in_true.type.annotation_str()} in the true "
                           f"branch and type {in_false.type.annotation_str()} in the false branch")
                if isinstance(self.env.find(name), Value):
                    self.fail(message, stmt)
                self.env.set(name, Deferred(message))
                continue
            output = node.add_output(unified)
            if _meaningful(name):
                output.set_debug_name(name)
            true_block.register_output(in_true)
            false_block.register_output(in_false)
            self.env.set(name, output)

    def emit_for(self, stmt):
        if stmt.orelse:
            self.fail("'for ... else' is not supported", stmt.orelse[0])
        iterable = self.emit_expr(stmt.iter)
        if not isinstance(iterable, RangeValue):
            self.fail(f"script functions iterate over range(...) only so far, not over {iterable.describe()}; "
                      "use 'for i in range(len(x))'", stmt.iter)
        if not isinstance(stmt.target, ast.Name):
            self.fail("a range loop assigns a single variable", stmt.target)
        start, step = iterable.start_and_step(self)
        trip_count = iterable.trip_count(self)

        def bind_target(iteration, loc):
            index = SimpleValue(iteration)
            if step is not None:
                index = self.binary("*", index, SimpleValue(step), loc)
            if start is not None:
                index = self.binary("+", SimpleValue(start), index, loc)
            self.assign(stmt.target, index, loc)

        self.emit_loop(stmt, trip_count, self.emit_constant(True, self.loc(stmt)), bind_target,
                       lambda: None, extra_names=[stmt.target.id])

    def emit_while(self, stmt):
        if stmt.orelse:
            self.fail("'while ... else' is not supported", stmt.orelse[0])
        condition = self.emit_condition(stmt.test)
        trip_count = self.emit_constant(MAX_TRIP_COUNT, self.loc(stmt))
        self.emit_loop(stmt, trip_count, condition, None, lambda: self.emit_condition(stmt.test))

    def emit_loop(self, stmt, trip_count, condition, bind_target, next_condition, extra_names=()):
        assigned = list(dict.fromkeys(list(extra_names) + _assigned_names(stmt.body)))
        carried = []
        for name in assigned:
            found = self.env.find(name)
            if isinstance(found, Value):
                carried.append((name, found))
            elif found is not None and not isinstance(found, Deferred):
                self.fail(f"'{name}' names {found.describe()} and cannot be reassigned in a loop", stmt)
        loc = self.loc(stmt)
        node = self.emit_node("prim::Loop", [trip_count, condition] + [v for _, v in carried], [], loc)
        body = node.add_block()
        iteration = body.add_param(T.INT)
        params = [body.add_param(value.type, name if _meaningful(name) else None) for name, value in carried]
        with self.scope(body) as env:
            for (name, _), param in zip(carried, params):
                env.set(name, param)
            if bind_target is not None:
                bind_target(iteration, loc)
            self.loop_depth += 1
            try:
                self.emit_statements(stmt.body)
            finally:
                self.loop_depth -= 1
            following = next_condition()
            body.register_output(following if following is not None else self.emit_constant(True, loc))
            for name, _ in carried:
                final = env.find(name)
                if isinstance(final, Deferred):
                    self.fail(f"loop-carried variable '{name}': {final.message}", stmt)
                body.register_output(final)
        for (name, value) in carried:
            output = node.add_output(value.type)
            if _meaningful(name):
                output.set_debug_name(name)
            self.env.set(name, output)
        carried_names = {name for name, _ in carried}
        for name in assigned:
            if name not in carried_names and not isinstance(self.env.find(name), Deferred):
                self.env.set(name, Deferred(f"'{name}' is defined only inside the loop body, which may run "
                                            "zero times; assign it before the loop"))

    # -- expressions ---------------------------------------------------------------------
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
        try:
            python_value = self.resolver.lookup(name)
        except KeyError:
            self.fail(f"undefined value {name}", node)
        return self.resolve_python(python_value, name, self.loc(node))

    def resolve_python(self, obj, name, loc) -> SugaredValue:
        """What a Python object seen by script code means (TorchScript's 'Python values')."""
        if isinstance(obj, _pytypes.ModuleType):
            return ModuleValue(obj)
        if obj is range:
            return RangeBuiltin()
        if any(obj is t for t in (float, int, bool)):  # identity: obj may be an array
            return BuiltinType(obj)
        found = ops.for_python_object(obj)
        if found is not None:
            return OpFunction(*found)
        if isinstance(obj, type) and issubclass(obj, np.generic):
            return ConstantValue(np.dtype(obj))
        if _is_constant(obj):
            return ConstantValue(obj)
        if _device.is_array(obj):
            raise CompilationError(f"'{name}' is an array defined outside the function; script functions take "
                                   "arrays as arguments, so pass it in", loc)
        if callable(obj):
            raise CompilationError(f"'{name}' is a Python function that script code cannot call yet "
                                   f"(only registered operators; python -m jit.ops lists them)", loc)
        raise CompilationError(f"'{name}' is a Python value of type '{type(obj).__name__}', which script code "
                               "cannot use; constants must be int, float, bool, str, None, a dtype, a Device "
                               "or a tuple of those", loc)

    def expr_Attribute(self, node):
        return self.emit_expr(node.value).attr(self, node.attr, self.loc(node))

    def expr_Call(self, node):
        function = self.emit_expr(node.func)
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
        if (isinstance(function, OpFunction) and function.op.name == "prim::len" and len(args) == 1
                and isinstance(args[0][0], RangeValue)):
            return SimpleValue(args[0][0].trip_count(self))
        return function.call(self, args, keywords, self.loc(node))

    def expand_starred(self, node):
        value = self.emit_expr(node.value).as_value(self, self.loc(node.value))
        if not isinstance(value.type, T.TupleType):
            self.fail(f"only tuples can be expanded with * in a call, not {value.type.annotation_str()}", node)
        unpacked = self.emit_node("prim::TupleUnpack", [value], value.type.elements, self.loc(node))
        return [(SimpleValue(output), self.loc(node)) for output in unpacked.outputs]

    def binary(self, symbol, lhs, rhs, loc):
        op, spelling = ops.for_operator(symbol)
        return self.emit_op_call(op, spelling, [(lhs, loc), (rhs, loc)], {}, loc)

    def expr_BinOp(self, node):
        lhs, rhs = self.emit_expr(node.left), self.emit_expr(node.right)
        op, spelling = ops.for_operator(_BINARY_SYMBOLS[type(node.op)])
        return self.emit_op_call(op, spelling, [(lhs, self.loc(node.left)), (rhs, self.loc(node.right))], {},
                                 self.loc(node))

    def expr_UnaryOp(self, node):
        operand = self.emit_expr(node.operand)
        if isinstance(node.op, (ast.USub, ast.UAdd)) and isinstance(operand, ConstantValue) \
                and type(operand.value) in (int, float):
            # -1 and -math.inf stay constants, as literals are.
            return ConstantValue(-operand.value if isinstance(node.op, ast.USub) else operand.value)
        op, spelling = ops.for_operator(_UNARY_SYMBOLS[type(node.op)])
        return self.emit_op_call(op, spelling, [(operand, self.loc(node.operand))], {}, self.loc(node))

    def expr_BoolOp(self, node):
        is_and = isinstance(node.op, ast.And)
        result = self.emit_condition(node.values[0])
        for operand in node.values[1:]:
            result = self.short_circuit(result, is_and, lambda operand=operand: self.emit_condition(operand),
                                        self.loc(node))
        return SimpleValue(result)

    def short_circuit(self, first, is_and, emit_second, loc):
        """``first and second`` / ``first or second`` on bools, evaluating second lazily."""
        node = self.emit_node("prim::If", [first], [T.BOOL], loc)
        for evaluate_second in ((True, False) if is_and else (False, True)):
            block = node.add_block()
            with self.scope(block):
                block.register_output(emit_second() if evaluate_second else self.emit_constant(not is_and, loc))
        return node.output

    def expr_Compare(self, node):
        operands = [node.left] + list(node.comparators)
        for operator in node.ops:
            if type(operator) not in _COMPARE_SYMBOLS:
                name = {ast.Is: "'is'", ast.IsNot: "'is not'", ast.In: "'in'", ast.NotIn: "'not in'"}[type(operator)]
                self.fail(f"{name} comparisons are not supported in script functions yet", node)
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
        def branch(expression):
            return lambda: (self.emit_expr(expression).as_value(self, self.loc(expression)), self.loc(expression))

        return SimpleValue(self.emit_value_if(
            self.emit_condition(node.test), [branch(node.body), branch(node.orelse)], self.loc(node),
            lambda first, second: f"the branches of this conditional expression have types {first} and {second}"))

    def expr_Tuple(self, node):
        values = [self.emit_expr(e).as_value(self, self.loc(e)) for e in node.elts]
        return SimpleValue(self.emit_node("prim::TupleConstruct", values, [T.TupleType(v.type for v in values)],
                                          self.loc(node)).output)

    def expr_List(self, node):
        values = [self.emit_expr(e).as_value(self, self.loc(e)) for e in node.elts]
        return self.emit_op_call(ops.lookup("prim::ListConstruct"), None,
                                 [(SimpleValue(v), self.loc(node)) for v in values], {}, self.loc(node))

    def expr_Subscript(self, node):
        base = self.emit_expr(node.value).as_value(self, self.loc(node.value))
        loc = self.loc(node)
        if isinstance(base.type, T.TensorType):
            index = self.emit_index(node.slice)
            op, spelling = ops.for_subscript()
            return self.emit_op_call(op, spelling, [(SimpleValue(base), loc), (SimpleValue(index), loc)], {}, loc)
        if isinstance(base.type, T.TupleType):
            return self.tuple_subscript(base, node.slice, loc)
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
        self.fail("tuples can only be indexed and sliced by int literals", node)

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
        return self.emit_expr(node).as_value(self, self.loc(node))

    # -- calls ------------------------------------------------------------------------------
    def emit_op_call(self, op, spelling, args, keywords, loc, self_value=None) -> SimpleValue:
        """Bind call-site arguments to ``op``'s canonical arguments, convert them, and
        emit the node with the type its rule gives."""
        name = _spelled(op, spelling)
        if op.variadic:
            if keywords:
                self.fail(f"{name} takes no keyword arguments", loc)
            slots = list(args)
        else:
            slots = self.bind_arguments(op, spelling, name, args, keywords, loc, self_value)
        values = [sugared.as_value(self, arg_loc) for sugared, arg_loc in slots]
        values = self.convert_arguments(op, spelling, name, values, [arg_loc for _, arg_loc in slots])
        try:
            # Rules refine types from constants; a scripted graph carries plain Tensor
            # types (profiling and tracing refine them), so variables keep one type.
            result_type = T.erase_refinement(op.result_type([arg_info(v) for v in values]))
        except TypeError as error:
            self.fail(f"{name}: {error}", loc)
        return SimpleValue(self.emit_node(op.name, values, [result_type], loc).output)

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
        converted = []
        for index, (value, arg_loc) in enumerate(zip(values, locs)):
            arg = canonical[min(index, len(canonical) - 1)]
            result = self.coerce(value, arg.type, arg_loc)
            if result is None:
                hint = f"; {op.hint}" if op.hint else ""
                self.fail(f"{name} expected a value of type '{arg.type.annotation_str()}' for argument "
                          f"'{arg.name}' but found type '{value.type.annotation_str()}'{hint}", arg_loc)
            converted.append(result)
        return converted

    def numpy_scalar_conversion(self, canonical, values, locs):
        """What NumPy does with Python numbers passed to its functions: an argument
        that must be an array becomes one, and with no array among the array-like
        arguments the first of them becomes a 0-d array (``np.exp(1.0)`` is np.float64)."""
        values = list(values)
        numbers = (T.INT, T.FLOAT, T.BOOL)
        for index, arg in enumerate(canonical):
            if arg.type == T.TENSOR and values[index].type in numbers:
                values[index] = self.num_to_tensor(values[index], locs[index])
        array_like = [i for i, a in enumerate(canonical) if a.type == ops.ARRAY_LIKE]
        if array_like and not any(isinstance(values[i].type, T.TensorType) for i in array_like):
            first = array_like[0]
            if values[first].type in numbers:
                values[first] = self.num_to_tensor(values[first], locs[first])
        return values

    def num_to_tensor(self, value, loc):
        return self.emit_node("prim::NumToTensor", [value], [T.TENSOR], loc).output

    def coerce(self, value, expected, loc):
        """``value`` as a value of type ``expected``: itself, an int converted to float
        where only a float is accepted, or None when it cannot be."""
        if value.type.is_subtype_of(expected):
            return value
        if value.type == T.INT and T.FLOAT.is_subtype_of(expected):
            if value.node.kind == "prim::Constant":
                return self.emit_constant(float(value.node["value"]), loc)
            op, spelling = ops.for_python_object(float)
            return self.emit_op_call(op, spelling, [(SimpleValue(value), loc)], {}, loc).value
        return None


def _matching_tuples(target, value) -> bool:
    return (isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, ast.Tuple)
            and len(target.elts) == len(value.elts)
            and not any(isinstance(e, ast.Starred) for e in target.elts + value.elts))


def _spelled(op, spelling):
    """How messages name the callee: ``np.sum()``, ``x.sum()``, ``the '+' operator``."""
    if spelling is None:
        return f"{op.name}()"
    if spelling.kind == "method":
        return f"x.{spelling.name}()"
    if spelling.kind == "operator":
        return f"the '{spelling.name.removeprefix('unary ')}' operator"
    if spelling.kind == "subscript":
        return "x[...]"
    return f"{spelling.name}()"


def _meaningful(name: str) -> bool:
    return not name.startswith("_") and not name.isdigit()


def _is_constant(obj) -> bool:
    if isinstance(obj, tuple):
        return all(_is_constant(o) for o in obj)
    return isinstance(obj, _CONSTANT_TYPES)


def _without_docstring(body):
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[1:]
    return body


def _walk_statements(statements):
    """Every statement, nested blocks included, but not nested functions or classes."""
    for stmt in statements:
        yield stmt
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        for field in ("body", "orelse", "finalbody"):
            yield from _walk_statements(getattr(stmt, field, []) or [])


def _contains_return(stmt) -> bool:
    return any(isinstance(s, ast.Return) for s in _walk_statements([stmt]))


def _first_return(stmt):
    return next(s for s in _walk_statements([stmt]) if isinstance(s, ast.Return))


def _always_returns(statements) -> bool:
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, ast.Return):
        return True
    return isinstance(last, ast.If) and _always_returns(last.body) and _always_returns(last.orelse)


def _assigned_names(statements):
    names = []
    for stmt in _walk_statements(statements):
        targets = []
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
            targets = [stmt.target]
        elif isinstance(stmt, ast.For):
            targets = [stmt.target]
        for target in targets:
            names.extend(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names

