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
import copy
from contextlib import contextmanager


from jit import ops
from jit import types as T
from jit.errors import CompilationError
from jit.ir import Graph, SourceRange, Value, verify
from jit.ops.prim import MAX_TRIP_COUNT
from jit.passes import eliminate_dead_loop_values, eliminate_unused_attribute_reads

from .annotations import AnnotationResolver, resolve_annotation, type_of_unannotated_parameter
from .calls import CallEmitter, EmptyListThenAppend
from .conditions import ConditionEmitter
from .environment import Deferred, Environment
from .expressions import BINARY_SYMBOLS, ExpressionEmitter
from .iteration import IterationEmitter, _unify_all
from .sugared import ConstantValue, SimpleValue, SugaredValue, TupleSugar
from .transforms import MAX_COPIED_STATEMENTS, lower_loop_exits, names_in, statement_count
from .writes import WriteEmitter

_UNSUPPORTED_STATEMENTS = {
    ast.Try: "'try' statements", ast.Delete: "'del'",
    ast.Global: "'global'", ast.Nonlocal: "'nonlocal'", ast.Import: "'import'", ast.ImportFrom: "'import'",
    ast.FunctionDef: "nested function definitions", ast.ClassDef: "class definitions",
    ast.AsyncFunctionDef: "async functions", ast.AsyncFor: "'async for'", ast.AsyncWith: "'async with'",
}
class NoneThenValue(CompilationError):
    """A variable first assigned None is assigned a ``value_type`` later: compiling
    again with it declared Optional[value_type] from the start (the seeds' Optional
    rules, with the type inferred) is how the frontend handles it."""

    def __init__(self, message, source_range, emitter, name, value_type):
        super().__init__(message, source_range)
        self.emitter, self.name = emitter, name
        self.optional = value_type if isinstance(value_type, T.OptionalType) else T.OptionalType(
            T.erase_refinement(value_type))


class Returned:
    """The outcome of statements that end in a return."""

    __slots__ = ("value", "loc")

    def __init__(self, value, loc):
        self.value, self.loc = value, loc


RAISED = object()  # the outcome of statements whose every path raises


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


class FunctionEmitter(ExpressionEmitter, IterationEmitter, ConditionEmitter, CallEmitter, WriteEmitter):
    """Compiles one function definition; expressions and calls are in their own modules."""

    parameter_types: dict = {}  # name -> type, overriding what the def says (set for a variant)
    optional_locals: dict = {}  # name -> Optional[T]: first assigned None, later a T (found by NoneThenValue)
    argument_types = None  # a callee compiled for its call (recursive.py): name -> type of an unannotated parameter
    static_arguments: dict = {}  # name -> the Python function, operator... a parameter is bound to (recursive.py)
    generator_defaults: dict = {}  # name -> the np.random.Generator a parameter defaults to (rng=default_rng(0))
    list_locals: dict = {}  # name -> List[T]: assigned [], first appended a T (found by EmptyListThenAppend)
    empty_lists: dict = {}  # id of a plain `xs = []` list -> xs (replaced, never changed in place)

    def __init__(self, func_def: ast.FunctionDef, source, line_offset: int, col_offset: int,
                 namespaces, qualname: str, self_type=None, defines_attributes=False, resolver=None):
        self.func_def = func_def
        self.self_type = self_type  # a method's class: its first parameter is self
        self.defines_attributes = defines_attributes  # __init__: self.x = v declares x
        self.self_name = None
        self.source = source
        self.line_offset, self.col_offset = line_offset, col_offset
        self.resolver = resolver or AnnotationResolver(*namespaces)
        self.qualname = qualname
        self.graph = Graph()
        self.env = Environment(self.graph.block)
        self.loop_depth = 0
        self.taken_names = names_in(func_def)  # fresh names (a break flag) avoid these
        self.copied_statements = 0  # copied by early returns into both branches (MAX_COPIED_STATEMENTS)
        self.facts = StatementFacts()

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
        self.refuse_dunder_attributes(fdef)
        params = self.emit_parameters(fdef)
        outcome = self.emit_statements(_without_docstring(fdef.body))
        declared = self.declared_return_type(fdef)
        if isinstance(outcome, Returned):
            result, result_loc = outcome.value, outcome.loc
        elif outcome is RAISED and declared is not None:  # never returns: a stub (@jit.unused, saved @ignore)
            result, result_loc = self.uninitialized(self.graph.block, declared, self.loc(fdef)), self.loc(fdef)
        else:  # falls off the end (returns None), or always raises
            result, result_loc = self.emit_constant(None, self.loc(fdef)), self.loc(fdef)
        if declared is not None:
            converted = self.coerce(result, declared, result_loc)
            if converted is None:
                self.fail(f"the return value was annotated as {declared.annotation_str()} but is of type "
                          f"{result.type.annotation_str()}", result_loc)
            result = converted
        self.graph.register_output(result)
        eliminate_dead_loop_values(self.graph)
        eliminate_unused_attribute_reads(self.graph)
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
        expected_comment_types = len(positional) - (1 if self.self_type is not None else 0)
        if comment is not None and len(comment.argtypes) != expected_comment_types:
            self.fail(f"the type comment gives {len(comment.argtypes)} argument types for "
                      f"{expected_comment_types} parameters", fdef)
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        params = []
        if self.self_type is not None and comment is not None:
            comment.argtypes.insert(0, None)  # type comments of methods leave out self
        seen = set()
        for index, (arg, default_node) in enumerate(zip(positional, defaults)):
            if arg.arg in seen:  # Python's parser lets it through (its compiler refuses it)
                self.fail(f"the parameter '{arg.arg}' appears twice", arg)
            seen.add(arg.arg)
            if arg.arg in self.static_arguments:  # no graph input: the name means that Python value
                self.env.set(arg.arg, self.static_argument(arg))
                continue
            if self.self_type is not None and index == 0:
                param_type = self.self_type
                self.self_name = arg.arg
            elif arg.arg in self.parameter_types:  # a variant: typed by its call's arguments
                param_type = self.parameter_types[arg.arg]
            elif comment is not None:
                param_type = self.annotation(comment.argtypes[index], from_comment=True)
            elif arg.annotation is not None:
                param_type = self.annotation(arg.annotation)
            elif self.argument_types is not None and arg.arg in self.argument_types:
                param_type = self.argument_types[arg.arg]
            elif arg.arg in self.generator_defaults:
                param_type = T.GENERATOR
            else:
                param_type = type_of_unannotated_parameter(default_node)
            if self.argument_types is not None:
                default_node = None  # a callee for its call: its calls pass every argument
            default = ops.NO_DEFAULT
            if default_node is not None and arg.arg in self.generator_defaults and param_type == T.GENERATOR:
                default = self.generator_defaults[arg.arg]  # eager's one object, whose draws advance it
            elif default_node is not None:
                default = self.default_value(default_node, arg.arg, param_type)
            value = self.graph.add_input(param_type, arg.arg)
            self.env.set(arg.arg, value)
            params.append(ParameterSpec(arg.arg, param_type, default))
        return params

    def static_argument(self, arg):
        bound = self.static_arguments[arg.arg]
        return bound if isinstance(bound, SugaredValue) else self.resolve_python(bound, arg.arg, self.loc(arg))

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
        """Emit statements in the current scope. Returns ``Returned`` if they end in a
        return, ``RAISED`` if every path through them raises, else None."""
        statements = list(statements)
        for index, stmt in enumerate(statements):
            if isinstance(stmt, ast.Return):
                return self.emit_return(stmt)
            if isinstance(stmt, ast.Raise):
                self.emit_raise(stmt)
                return RAISED
            if isinstance(stmt, ast.Assert):
                if self.emit_assert(stmt) is RAISED:
                    return RAISED
                continue
            if isinstance(stmt, ast.With):
                if self.emit_with(stmt) is RAISED:
                    return RAISED
                continue
            if isinstance(stmt, ast.If):
                condition = self.emit_cond(stmt.test)
                if condition.static is not None:
                    # A condition known at compile time: only its branch exists.
                    taken = stmt.body if condition.static else stmt.orelse
                    self.apply_refinements(condition.when_true if condition.static else condition.when_false,
                                           self.loc(stmt))
                    return self.emit_statements(list(taken) + statements[index + 1:])
                if self.facts.returns(stmt):
                    if self.loop_depth:
                        self.fail("'return' inside a loop is not supported; assign the result to a variable "
                                  "and return it after the loop", _first_return(stmt))
                    return self.emit_returning_if(stmt, condition, statements[index + 1:])
                if self.emit_if(stmt, condition) is RAISED:
                    return RAISED
                continue
            self.emit_statement(stmt)
        return None

    def emit_with(self, stmt):
        """``with jit.strict_fusion():``: the block between prim::Enter and prim::Exit
        markers, for the optimizing executor to check. Other context managers are not
        part of the language."""
        item = stmt.items[0]
        context = item.context_expr
        function = self.emit_expr(context.func) if isinstance(context, ast.Call) else None
        if len(stmt.items) != 1 or not getattr(function, "is_strict_fusion", False) \
                or context.args or context.keywords:
            self.fail("'with' statements are supported for 'with jit.strict_fusion():' only", stmt)
        if item.optional_vars is not None:
            self.fail("'with jit.strict_fusion() as ...' binds nothing; drop the 'as'", item.optional_vars)
        if self.facts.returns(stmt):
            self.fail("'return' inside 'with jit.strict_fusion():' is not supported; return after the block",
                      _first_return(stmt))
        loc = self.loc(stmt)
        self.emit_node("prim::Enter", [], [], loc, context="strict_fusion")
        outcome = self.emit_statements(stmt.body)
        if outcome is not RAISED:
            self.emit_node("prim::Exit", [], [], loc)
        return outcome

    def emit_return(self, stmt):
        if self.loop_depth:
            self.fail("'return' inside a loop is not supported; assign the result to a variable "
                      "and return it after the loop", stmt)
        if stmt.value is None:
            return Returned(self.emit_constant(None, self.loc(stmt)), self.loc(stmt))
        return Returned(self.emit_expr(stmt.value).as_value(self, self.loc(stmt.value)), self.loc(stmt.value))

    def emit_returning_if(self, stmt, condition, rest):
        """An if with a return in it: the statements after it go into each branch
        that does not exit, so that the if ends the function."""
        if rest and not _always_exits(stmt.body) and not _always_exits(stmt.orelse):  # rest goes into both
            self.copied_statements += statement_count(rest)
            if self.copied_statements > MAX_COPIED_STATEMENTS:
                self.fail(f"the 'return' statements in this function sit in branches that may also go on, so the "
                          f"statements after them would be copied into both branches, more than "
                          f"{MAX_COPIED_STATEMENTS} statements in all; end each such branch with a return, or "
                          "assign the result and return it once", stmt)
        def branch(body, refinements):
            def produce():
                self.apply_refinements(refinements, self.loc(stmt))
                statements = list(body) if _always_exits(body) else list(body) + list(rest)
                outcome = self.emit_statements(statements)
                if outcome is RAISED:
                    return None
                if outcome is None:
                    return self.emit_constant(None, self.loc(stmt)), self.loc(stmt)
                return outcome.value, outcome.loc
            return produce

        output = self.emit_value_if(
            condition.value, [branch(stmt.body, condition.when_true), branch(stmt.orelse, condition.when_false)],
            self.loc(stmt), lambda first, second: f"a previous return statement returned a value of type {first} "
                                                  f"but this return statement returns a value of type {second}")
        return RAISED if output is None else Returned(output, self.loc(stmt))

    def emit_value_if(self, condition, branches, loc, mismatch):
        """A ``prim::If`` whose branches each produce one value: ``produce()`` gives
        (value, loc) inside its block, or None when the branch raised. The output has
        the values' unified type; None when both branches raised."""
        node = self.emit_node("prim::If", [condition], [], loc)
        results = []
        for produce in branches:
            block = node.add_block()
            with self.scope(block):
                results.append((block, produce()))
        produced = [result for _, result in results if result is not None]
        if not produced:
            return None
        unified = produced[0][0].type
        if len(produced) == 2:
            unified = T.unify(produced[0][0].type, produced[1][0].type)
            if unified is None:
                self.fail(mismatch(produced[0][0].type.annotation_str(), produced[1][0].type.annotation_str()),
                          produced[1][1])
        for block, result in results:
            block.register_output(result[0] if result is not None else self.uninitialized(block, unified, loc))
        return node.add_output(unified)

    def uninitialized(self, block, kind, loc):
        """The value of a variable on a path that raised (never read)."""
        return block.append(self.graph.create("prim::Uninitialized", [], [kind], loc)).output

    def emit_raise(self, stmt):
        """``raise E(message)``: at run time, jit.Error carrying 'E: message'."""
        if stmt.exc is None:
            self.fail("a bare 'raise' (re-raise) is not supported in script functions", stmt)
        if stmt.cause is not None:
            self.fail("'raise ... from ...' is not supported in script functions", stmt.cause)
        exception, args = stmt.exc, []
        if isinstance(exception, ast.Call):
            if exception.keywords or len(exception.args) > 1:
                self.fail("raise takes an exception with at most one message argument", exception)
            exception, args = exception.func, exception.args
        if not isinstance(exception, (ast.Name, ast.Attribute)):
            self.fail("raise needs an exception class, such as raise ValueError('...')", exception)
        name = exception.id if isinstance(exception, ast.Name) else exception.attr
        loc = self.loc(stmt)
        message = self.as_str(args[0]) if args else self.emit_constant("", loc)
        self.emit_node("prim::RaiseException", [message, self.emit_constant(name, loc)], [], loc)

    def as_str(self, node):
        value = self.emit_expr(node).as_value(self, self.loc(node))
        if value.type == T.STR:
            return value
        op, spelling = ops.for_python_object(str)
        return self.emit_op_call(op, spelling, [(SimpleValue(value), self.loc(node))], {}, self.loc(node)).value

    def emit_assert(self, stmt):
        """``assert test, message``: raises AssertionError (as jit.Error) when false; the
        test's refinements hold after it."""
        condition = self.emit_cond(stmt.test)
        loc = self.loc(stmt)
        if condition.static is False:
            self.emit_failed_assertion(stmt)
            return RAISED
        if condition.static is None:
            node = self.emit_node("prim::If", [condition.value], [], loc)
            node.add_block()
            with self.scope(node.add_block()):
                self.emit_failed_assertion(stmt)
        self.apply_refinements(condition.when_true, loc)
        return None

    def emit_failed_assertion(self, stmt):
        loc = self.loc(stmt)
        message = self.as_str(stmt.msg) if stmt.msg is not None else self.emit_constant("", loc)
        self.emit_node("prim::RaiseException", [message, self.emit_constant("AssertionError", loc)], [], loc)

    def emit_statement(self, stmt):
        if isinstance(stmt, ast.Expr):
            self.emit_expr(stmt.value)
        elif isinstance(stmt, ast.Assign):
            if self.is_parallel_assignment(stmt):
                return self.emit_parallel_assignment(stmt)
            if len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.List) \
                    and not stmt.value.elts:
                value = self.empty_list_local(stmt.targets[0].id, stmt)
            else:
                value = self.emit_expr(stmt.value)
            for target in stmt.targets:
                self.assign(target, value, self.loc(stmt.value))
        elif isinstance(stmt, ast.AugAssign):
            self.emit_augmented_assignment(stmt)
        elif isinstance(stmt, ast.AnnAssign):
            self.emit_annotated_assignment(stmt)
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
        """``x op= y``: in place on an array (NumPy's ``__iadd__``), a rebinding on a
        Python number, string, tuple or list element that is not an array."""
        symbol = BINARY_SYMBOLS[type(stmt.op)]
        if isinstance(stmt.target, ast.Subscript) and self.emit_augmented_item(stmt, symbol):
            return None  # out[idx] += w on an array
        if isinstance(stmt.target, (ast.Subscript, ast.Attribute)):  # l[i] += v, self.x += v: read, combine, write
            reading = copy.copy(stmt.target)
            reading.ctx = ast.Load()
            current = self.emit_expr(reading).as_value(self, self.loc(stmt.target))
            if isinstance(current.type, T.TensorType):  # the array itself is written, then stored back
                combined = self.emit_in_place_operator(symbol, current, self.emit_expr(stmt.value),
                                                       self.loc(stmt.target), self.loc(stmt.value), self.loc(stmt))
            else:
                combined = self.emit_operator(symbol, [(SimpleValue(current), self.loc(stmt.target)),
                                                       (self.emit_expr(stmt.value), self.loc(stmt.value))],
                                              self.loc(stmt))
            return self.assign(stmt.target, combined, self.loc(stmt))
        if not isinstance(stmt.target, ast.Name):
            self.fail("this augmented assignment target is not supported", stmt.target)
        current = self.lookup(stmt.target.id, stmt.target)
        operand = self.emit_expr(stmt.value)
        current_value = current.as_value(self, self.loc(stmt.target)) \
            if isinstance(current, (SimpleValue, ConstantValue)) else None
        if current_value is not None and isinstance(current_value.type, T.TensorType):
            result = self.emit_in_place_operator(symbol, current_value, operand, self.loc(stmt.target),
                                                 self.loc(stmt.value), self.loc(stmt))
        else:
            result = self.emit_operator(symbol, [(current, self.loc(stmt.target)), (operand, self.loc(stmt.value))],
                                        self.loc(stmt))
        self.assign(stmt.target, result, self.loc(stmt))

    def empty_list_local(self, name, stmt):
        """``xs = []``: a list of what the first append gives (once found), else List[Tensor];
        remembered so that an append of another type can say which variable it was."""
        if name in self.list_locals:
            return SimpleValue(self.typed_empty_container(self.list_locals[name], stmt.value, stmt))
        value = self.emit_expr(stmt.value).as_value(self, self.loc(stmt.value))
        self.empty_lists = {**self.empty_lists, id(value): name}
        return SimpleValue(value)

    def emit_annotated_assignment(self, stmt):
        if stmt.value is None:
            self.fail("an annotated variable needs a value (x: int = 0)", stmt)
        declared = self.annotation(stmt.annotation)
        if not isinstance(stmt.target, (ast.Attribute, ast.Name)):
            self.fail("only variables and attributes can be annotated", stmt.target)
        empty = self.typed_empty_container(declared, stmt.value, stmt)
        if isinstance(stmt.target, ast.Attribute):  # self.x: Optional[int] = None in __init__
            value = SimpleValue(empty) if empty is not None else self.emit_expr(stmt.value)
            return self.assign_attribute(stmt.target, value, self.loc(stmt.value), declared)
        if empty is not None:  # x: List[int] = []
            return self.assign(stmt.target, SimpleValue(empty), self.loc(stmt.value))
        value = self.emit_expr(stmt.value).as_value(self, self.loc(stmt.value))
        converted = self.widen(value, declared, self.loc(stmt.value))
        if converted is None:
            self.fail(f"variable '{stmt.target.id}' is annotated as {declared.annotation_str()} but is assigned "
                      f"a value of type {value.type.annotation_str()}", stmt.value)
        self.assign(stmt.target, SimpleValue(converted), self.loc(stmt.value))

    # -- assignment -------------------------------------------------------------------
    def assign(self, target, sugared: SugaredValue, loc, retype=False):
        """Assign to a target. ``retype``: the target of an unrolled loop, which takes
        each element's own type."""
        if isinstance(target, ast.Name):
            self.bind(target.id, sugared, target, loc, retype)
        elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(sugared, TupleSugar) \
                and len(target.elts) == len(sugared.items):
            for element, item in zip(target.elts, sugared.items):  # for i, x in enumerate(...)
                self.assign(element, item, loc, retype)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self.assign_unpacked(target, sugared.as_value(self, loc), loc)
        elif isinstance(target, ast.Starred):
            self.fail("starred assignment targets are not supported yet", target)
        elif isinstance(target, ast.Subscript):
            self.assign_item(target, sugared, loc)
        elif isinstance(target, ast.Attribute):
            self.assign_attribute(target, sugared, loc)
        else:
            self.fail("this assignment target is not supported", target)

    def assign_attribute(self, target, sugared, loc, declared=None):
        """``obj.x = v`` on a script object. In __init__, ``self.x = v`` declares x with
        v's type (or the annotated one); elsewhere x must exist, as the seeds say."""
        owner = self.emit_expr(target.value).as_value(self, self.loc(target.value))
        kind = owner.type
        if not isinstance(kind, T.ClassType):
            self.fail("assigning to an attribute is only supported on script objects (self.x = ...)", target)
        value = sugared.as_value(self, loc)
        name = target.attr
        is_self = isinstance(target.value, ast.Name) and target.value.id == self.self_name
        if name not in kind.attributes:
            if not (self.defines_attributes and is_self):
                self.fail(f"Tried to set nonexistent attribute: {name}. Did you forget to initialize it in "
                          "__init__()?", target)
            kind.attributes[name] = declared if declared is not None else T.erase_refinement(value.type)
        expected = kind.attributes[name]
        converted = self.widen(value, expected, loc)
        if converted is None:
            self.fail(f"attribute '{name}' has type {expected.annotation_str()}, not "
                      f"{value.type.annotation_str()}", target)
        self.emit_node("prim::SetAttr", [owner, converted], [], loc, name=name)

    def assign_item(self, target, sugared, loc):
        """``l[i] = v``, ``d[k] = v`` and, in place, ``x[index] = v`` on an array."""
        container = self.emit_expr(target.value).as_value(self, self.loc(target.value))
        if isinstance(container.type, T.TensorType):
            return self.assign_array_item(container, target, sugared, loc)
        if isinstance(container.type, T.ListType):
            kind = "prim::ListSetItem"
        elif isinstance(container.type, T.DictType):
            kind = "prim::DictSetItem"
        else:
            self.fail(f"cannot assign to an element of a {container.type.annotation_str()}: only arrays, lists "
                      "and dicts support item assignment", target)
        index = self.emit_expr(target.slice)
        self.emit_op_call(ops.lookup(kind), None, [(SimpleValue(container), loc), (index, self.loc(target.slice)),
                                                   (sugared, loc)], {}, loc)

    def bind(self, name, sugared, target_node, loc, retype=False):
        if not isinstance(sugared, (SimpleValue, ConstantValue)):
            self.env.set(name, sugared)
            return
        value = sugared.as_value(self, loc)
        if value.type == T.NONE and name in self.optional_locals:  # x = None, later an array: Optional[...]
            value = self.widen(value, self.optional_locals[name], loc)
        previous = self.env.declared(name)
        if isinstance(previous, Value) and not value.type.is_subtype_of(previous.type) and not retype:
            converted = self.coerce(value, previous.type, loc)
            if converted is None:
                message = (f"variable '{name}' previously had type {previous.type.annotation_str()} but is now being "
                           f"assigned a value of type {value.type.annotation_str()}")
                if id(previous) in self.empty_lists:
                    message += (f" (an empty [] is a List[Tensor] unless an append to it gives the element type "
                                f"first: declare it, as in '{name}: {value.type.annotation_str()} = []')")
                if value.type == T.NUMBER and previous.type in T.PYTHON_SCALAR_TYPES:
                    message += (" (a Scalar is x.item() of an array whose dtype is not known here: write "
                                f"{previous.type}(...) around it, or annotate the array's dtype)")
                if previous.type == T.NONE and name not in self.optional_locals and value.type != T.NONE:
                    raise NoneThenValue(message, self.loc(target_node), self, name, value.type)
                self.fail(message, target_node)
            value = converted
        if not value.has_debug_name() and value.node.owning_block is self.env.block and _meaningful(name):
            value.set_debug_name(name)
        self.env.set(name, value)

    def assign_unpacked(self, target, value, loc):
        count = len(target.elts)
        starred = [i for i, e in enumerate(target.elts) if isinstance(e, ast.Starred)]
        if len(starred) > 1:
            self.fail("an assignment can have only one starred target", target)
        if starred:
            return self.assign_starred(target, value, starred[0], loc)
        if isinstance(value.type, T.TupleType):
            if len(value.type.elements) != count:
                self.fail(f"cannot unpack a tuple of {len(value.type.elements)} elements into {count} targets",
                          target)
            if value.node.kind == "prim::TupleConstruct":  # unpacking a tuple just built: its elements
                for element_target, element in zip(target.elts, value.node.inputs):
                    self.assign(element_target, SimpleValue(element), loc)
                return
            node = self.emit_node("prim::TupleUnpack", [value], value.type.elements, loc)
        elif isinstance(value.type, T.ListType):
            node = self.emit_node("prim::ListUnpack", [value], [value.type.element] * count, loc)
        elif isinstance(value.type, T.VarTupleType):  # n, m = x.shape: Python checks the length
            node = self.emit_node("prim::TupleUnpack", [value], [value.type.element] * count, loc)
        else:
            self.fail(f"cannot unpack a value of type {value.type.annotation_str()}; unpack tuples or lists", target)
        for element_target, output in zip(target.elts, node.outputs):
            self.assign(element_target, SimpleValue(output), loc)

    def assign_starred(self, target, value, star, loc):
        """``a, *rest, b = t``: a fixed tuple splits at compile time; a list or a
        Tuple[T, ...] splits at run time, raising if it is too short."""
        before, after = target.elts[:star], target.elts[star + 1:]
        kind = value.type
        if isinstance(kind, T.TupleType):
            if len(kind.elements) < len(before) + len(after):
                self.fail(f"cannot unpack a tuple of {len(kind.elements)} elements into at least "
                          f"{len(before) + len(after)} targets", target)
            parts = self.emit_node("prim::TupleUnpack", [value], kind.elements, loc).outputs
            middle = parts[len(before):len(parts) - len(after)]
            # Python makes the starred target a list, so its elements need one type.
            element = _unify_all([v.type for v in middle]) if middle else T.TENSOR
            if element is None:
                self.fail("the starred target would be a list of mixed types ("
                          + ", ".join(v.type.annotation_str() for v in middle) + "); index the tuple instead",
                          target.elts[star])
            rest = self.emit_node("prim::ListConstruct", middle, [T.ListType(element)], loc).output
            items = parts[:len(before)] + [rest] + parts[len(parts) - len(after):]
        elif isinstance(kind, (T.ListType, T.VarTupleType)):
            self.check_min_length(value, len(before) + len(after), loc)
            prefix = "List" if isinstance(kind, T.ListType) else "Tuple"
            index_op, slice_op = ops.lookup(f"prim::{prefix}Index"), ops.lookup(f"prim::{prefix}Slice")
            at = [self.emit_constant(i, loc) for i in list(range(len(before))) + list(range(-len(after), 0))]
            picks = [self.emit_op_call(index_op, None, [(SimpleValue(value), loc), (SimpleValue(i), loc)], {},
                                       loc).value for i in at]
            bounds = [self.emit_constant(len(before), loc), self.emit_constant(-len(after) if after else None, loc),
                      self.emit_constant(None, loc)]
            rest = self.emit_op_call(slice_op, None, [(SimpleValue(v), loc) for v in [value] + bounds], {}, loc)
            if prefix == "Tuple":  # Python makes the starred target a list
                op, spelling = ops.for_python_object(list)
                rest = self.emit_op_call(op, spelling, [(rest, loc)], {}, loc)
            items = picks[:len(before)] + [rest.value] + picks[len(before):]
        else:
            self.fail(f"cannot unpack a value of type {kind.annotation_str()}; unpack tuples or lists", target)
        targets = before + [target.elts[star].value] + after
        for element_target, item in zip(targets, items):
            self.assign(element_target, SimpleValue(item), loc)

    def check_min_length(self, value, needed, loc):
        """Raise ValueError (as jit.Error) when ``value`` has fewer than ``needed`` items."""
        op, spelling = ops.for_python_object(len)
        length = self.emit_op_call(op, spelling, [(SimpleValue(value), loc)], {}, loc).value
        too_short = self.binary("<", SimpleValue(length), ConstantValue(needed), loc).value
        node = self.emit_node("prim::If", [too_short], [], loc)
        with self.scope(node.add_block()):
            message = self.emit_constant(f"not enough values to unpack (expected at least {needed})", loc)
            self.emit_node("prim::RaiseException", [message, self.emit_constant("ValueError", loc)], [], loc)
        node.add_block()

    # -- control flow -------------------------------------------------------------------
    def as_bool(self, value, loc):
        if value.type == T.BOOL:
            return value
        if isinstance(value.type, T.TensorType) or value.type in (T.INT, T.FLOAT):
            op, spelling = ops.for_python_object(bool)
            return self.emit_op_call(op, spelling, [(SimpleValue(value), loc)], {}, loc).value
        self.fail(f"a condition must be a bool, a number or an array, not {value.type.annotation_str()}", loc)

    def emit_if(self, stmt, condition):
        """A non-returning if. Returns RAISED when both branches raise."""
        loc = self.loc(stmt)
        node = self.emit_node("prim::If", [condition.value], [], loc)
        envs, raised = [], []
        for body, refinements in ((stmt.body, condition.when_true), (stmt.orelse, condition.when_false)):
            block = node.add_block()
            with self.scope(block) as env:
                self.apply_refinements(refinements, loc)
                raised.append(self.emit_statements(body) is RAISED)
            envs.append(env)
        if all(raised):
            return RAISED
        self.merge_branches(node, stmt, envs, raised)
        if raised[0]:  # like an early exit: after the if, the condition was false
            self.apply_refinements(condition.when_false, loc)
        if raised[1]:
            self.apply_refinements(condition.when_true, loc)
        return None

    def merge_branches(self, node, stmt, envs, raised):
        """If outputs for the variables the branches assign. A branch that raised
        contributes nothing; its outputs are prim::Uninitialized."""
        live = [index for index in range(2) if not raised[index]]
        names = list(dict.fromkeys(name for index in live for name in envs[index].assigned_names()))
        for name in names:
            found = {index: envs[index].find(name) for index in live}
            missing = [("true", "false")[index] for index, binding in found.items()
                       if binding is None or isinstance(binding, Deferred)]
            if missing:
                deferred = [b for b in found.values() if isinstance(b, Deferred)]
                message = (deferred[0].message if deferred and len(missing) == len(found)
                           else f"'{name}' is not defined in the {missing[0]} branch")
                self.env.set(name, Deferred(message))
                continue
            bindings = list(found.values())
            if not all(isinstance(b, Value) for b in bindings):
                if all(b is bindings[0] for b in bindings):
                    self.env.set(name, bindings[0])
                else:
                    self.env.set(name, Deferred(f"'{name}' refers to different Python objects on the two branches"))
                continue
            unified = bindings[0].type
            if len(bindings) == 2:
                unified = T.unify(bindings[0].type, bindings[1].type)
                if unified is None:
                    message = (f"Type mismatch: {name} is set to type {bindings[0].type.annotation_str()} in the "
                               f"true branch and type {bindings[1].type.annotation_str()} in the false branch")
                    if isinstance(self.env.find(name), Value):
                        self.fail(message, stmt)
                    self.env.set(name, Deferred(message))
                    continue
            output = node.add_output(unified)
            if _meaningful(name):
                output.set_debug_name(name)
            for index, block in enumerate(node.blocks):
                value = found[index] if index in found else self.uninitialized(block, unified, self.loc(stmt))
                block.register_output(value)
            self.env.set(name, output)

    def emit_while(self, stmt):
        if stmt.orelse:
            self.fail("'while ... else' is not supported", stmt.orelse[0])
        lowered = lower_loop_exits(stmt, self.taken_names, self.fail)
        self.emit_statements(lowered.before)
        condition = self.emit_condition(stmt.test)
        trip_count = self.emit_constant(MAX_TRIP_COUNT, self.loc(stmt))
        if lowered.goes_on is None:
            test = stmt.test
        elif isinstance(stmt.test, ast.Constant) and stmt.test.value is True:
            test = lowered.goes_on  # while True: ... break
        else:
            test = ast.copy_location(ast.BoolOp(ast.And(), [lowered.goes_on, stmt.test]), stmt.test)
        self.emit_loop(stmt, lowered.body, trip_count, condition, None, lambda: self.emit_condition(test))

    def emit_loop(self, stmt, statements, trip_count, condition, bind_target, next_condition, extra_names=()):
        """A prim::Loop running ``statements``; ``next_condition()`` gives the value that
        decides whether another iteration runs (None: always, up to the trip count)."""
        assigned = list(dict.fromkeys(list(extra_names) + self.facts.assigned(statements)))
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
                self.emit_statements(statements)
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

def _matching_tuples(target, value) -> bool:
    return (isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, ast.Tuple)
            and len(target.elts) == len(value.elts)
            and not any(isinstance(e, ast.Starred) for e in target.elts + value.elts))


def _meaningful(name: str) -> bool:
    return not name.startswith("_") and not name.isdigit()


def _without_docstring(body):
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[1:]
    return body


def _walk_statements(statements):
    """Every statement, nested blocks included, but not nested functions or classes, in
    source order. With a stack, not nested generators: each statement costs the same
    however deep it is."""
    pending = [iter(statements)]
    while pending:
        stmt = next(pending[-1], None)
        if stmt is None:
            pending.pop()
            continue
        yield stmt
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        pending.append(iter([s for field in ("body", "orelse", "finalbody") for s in getattr(stmt, field, []) or []]))


def _first_return(stmt):
    return next(s for s in _walk_statements([stmt]) if isinstance(s, ast.Return))


def _always_exits(statements) -> bool:
    """Whether every path through ``statements`` ends in a return or a raise."""
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, (ast.Return, ast.Raise)):
        return True
    return isinstance(last, ast.If) and _always_exits(last.body) and _always_exits(last.orelse)


class StatementFacts:
    """What statements hold, their nested statements included: the names they assign
    and whether they return. Each statement's facts are found once, from its children's,
    so that nested loops and ifs do not rescan their bodies at every level. Entries hold
    their statement, so that its id is not reused by a statement made later."""

    _NOT_ENTERED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)

    def __init__(self):
        self.known: dict[int, tuple] = {}  # id(stmt) -> (stmt, assigned names, returns)

    def assigned(self, statements) -> list:
        """The names ``statements`` assign, once each, in source order."""
        names: dict = {}
        for stmt in statements:
            names.update(dict.fromkeys(self._facts(stmt)[1]))
        return list(names)

    def returns(self, stmt) -> bool:
        return self._facts(stmt)[2]

    def _facts(self, stmt) -> tuple:
        found = self.known.get(id(stmt))
        if found is not None:
            return found
        targets = []
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign, ast.For)):
            targets = [stmt.target]
        names = dict.fromkeys(name for target in targets for name in _rebound_names(target))
        returns = isinstance(stmt, ast.Return)
        if not isinstance(stmt, self._NOT_ENTERED):
            for field in ("body", "orelse", "finalbody"):
                for child in getattr(stmt, field, None) or ():
                    _, child_names, child_returns = self._facts(child)
                    names.update(dict.fromkeys(child_names))
                    returns = returns or child_returns
        found = self.known[id(stmt)] = (stmt, tuple(names), returns)
        return found


def _rebound_names(target):
    """The names an assignment target rebinds: not the ``d`` of ``d[k] = v``."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _rebound_names(element)]
    if isinstance(target, ast.Starred):
        return _rebound_names(target.value)
    return []

