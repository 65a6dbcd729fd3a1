"""for loops over everything the language iterates, and comprehensions.

Each iterable gives an iteration plan:

- ``Indexed``: a length and the item at an index, for a run-time loop (a range,
  a list, a ``Tuple[T, ...]`` such as ``x.shape``, a str, an array along its
  first axis, a dict's keys; enumerate/zip of those);
- ``Unrolled``: the items themselves, for a tuple of fixed length, whose body
  is compiled once per item and type-checked for each, as the seeds say.

A comprehension is the loop that builds its list (or dict), the result typed
from the values the loop puts in.
"""
from __future__ import annotations

import ast
import copy

from jit import ops
from jit import types as T

from .sugared import ConstantValue, EnumerateValue, RangeValue, SimpleValue, TupleSugar, ZipValue
from .transforms import contains_loop_exit, lower_loop_exits


class Indexed:
    def __init__(self, length, item):
        self.length, self.item = length, item  # item(index Value, loc) -> SugaredValue


class Unrolled:
    def __init__(self, items):
        self.items = items  # SugaredValues


class IterationEmitter:
    """The for-loop and comprehension part of FunctionEmitter."""

    def emit_for(self, stmt):
        if stmt.orelse:
            self.fail("'for ... else' is not supported", stmt.orelse[0])
        plan = self.iteration_plan(self.emit_expr(stmt.iter), stmt.iter)
        if isinstance(plan, Unrolled):
            return self.emit_unrolled(stmt, plan)
        lowered = lower_loop_exits(stmt, self.taken_names, self.fail)
        self.emit_statements(lowered.before)
        goes_on = (lambda: self.emit_condition(lowered.goes_on)) if lowered.goes_on is not None else (lambda: None)
        targets = [n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name)]
        self.emit_loop(stmt, lowered.body, plan.length, self.emit_constant(True, self.loc(stmt)),
                       lambda iteration, loc: self.assign(stmt.target, plan.item(iteration, loc), loc),
                       goes_on, extra_names=targets)

    def emit_unrolled(self, stmt, plan):
        """A loop over a fixed tuple: the body once per element, each type-checked."""
        if contains_loop_exit(stmt.body):
            self.fail("break and continue are not supported in a loop over a tuple (it is unrolled); "
                      "use a flag variable", stmt)
        self.loop_depth += 1
        try:
            for item in plan.items:
                self.assign(stmt.target, item, self.loc(stmt), retype=True)
                self.emit_statements(stmt.body)
        finally:
            self.loop_depth -= 1

    def iteration_plan(self, sugared, node):
        loc = self.loc(node)
        if isinstance(sugared, RangeValue):
            start, step = sugared.start_and_step(self)

            def range_item(index, item_loc):
                value = SimpleValue(index)
                if step is not None:
                    value = self.binary("*", value, SimpleValue(step), item_loc)
                if start is not None:
                    value = self.binary("+", SimpleValue(start), value, item_loc)
                return value
            return Indexed(sugared.trip_count(self), range_item)
        if isinstance(sugared, EnumerateValue):
            return self.enumerate_plan(sugared, node)
        if isinstance(sugared, ZipValue):
            return self.zip_plan(sugared, node)
        if isinstance(sugared, ConstantValue) and isinstance(sugared.value, tuple):
            return Unrolled([ConstantValue(v) for v in sugared.value])
        if hasattr(sugared, "unrolled_items"):
            return Unrolled(sugared.unrolled_items(self, loc))
        value = sugared.as_value(self, loc)
        kind = value.type
        if isinstance(kind, T.ClassType) and kind.container is not None:  # Sequential, ModuleList, ModuleDict
            items = self.submodule_items(value, loc)
            return Unrolled([ConstantValue(name) if kind.container == "dict" else item for name, item in items])
        if isinstance(kind, T.TupleType):
            if value.node.kind == "prim::TupleConstruct":  # a tuple just built: its elements
                return Unrolled([SimpleValue(element) for element in value.node.inputs])
            unpacked = self.emit_node("prim::TupleUnpack", [value], kind.elements, loc)
            return Unrolled([SimpleValue(output) for output in unpacked.outputs])
        if isinstance(kind, T.DictType):
            keys = self.emit_op_call(ops.lookup("prim::DictKeys"), None, [(SimpleValue(value), loc)], {}, loc).value
            return self.sequence_plan(keys, "prim::ListIndex", loc)
        index_op = {T.ListType: "prim::ListIndex", T.VarTupleType: "prim::TupleIndex",
                    T.TensorType: "np::getitem"}.get(type(kind), "prim::str_index" if kind == T.STR else None)
        if index_op is None:
            self.fail(f"cannot iterate over a value of type {kind.annotation_str()}", node)
        return self.sequence_plan(value, index_op, loc)

    def sequence_plan(self, sequence, index_op, loc):
        op, spelling = ops.for_python_object(len)
        length = self.emit_op_call(op, spelling, [(SimpleValue(sequence), loc)], {}, loc).value
        getter = ops.lookup(index_op)

        def item(index, item_loc):
            return self.emit_op_call(getter, None, [(SimpleValue(sequence), item_loc),
                                                    (SimpleValue(index), item_loc)], {}, item_loc)
        return Indexed(length, item)

    def enumerate_plan(self, sugared, node):
        inner = self.iteration_plan(sugared.iterable, node)
        start = sugared.start
        if isinstance(inner, Unrolled):
            base = 0
            if start is not None:
                self.fail("enumerate over a tuple takes no start", node)
            return Unrolled([TupleSugar([ConstantValue(base + k), item]) for k, item in enumerate(inner.items)])

        def item(index, loc):
            counter = SimpleValue(index) if start is None else self.binary("+", SimpleValue(index),
                                                                            SimpleValue(start), loc)
            return TupleSugar([counter, inner.item(index, loc)])
        return Indexed(inner.length, item)

    def zip_plan(self, sugared, node):
        plans = [self.iteration_plan(part, node) for part in sugared.iterables]
        if all(isinstance(p, Unrolled) for p in plans):
            return Unrolled([TupleSugar(items) for items in zip(*(p.items for p in plans))])
        if any(isinstance(p, Unrolled) for p in plans):
            self.fail("zip cannot mix fixed tuples with lists or ranges", node)
        loc = self.loc(node)
        length = plans[0].length
        if len(plans) > 1:
            op, spelling = ops.for_python_object(min)
            length = self.emit_op_call(op, spelling, [(SimpleValue(p.length), loc) for p in plans], {}, loc).value
        return Indexed(length, lambda index, item_loc: TupleSugar([p.item(index, item_loc) for p in plans]))

    # -- comprehensions ---------------------------------------------------------------------
    def expr_ListComp(self, node):
        result = self.emit_node("prim::ListConstruct", [], [T.ListType(T.ANY)], self.loc(node)).output

        def put(name, renamed):
            method = ast.Attribute(ast.Name(name, ast.Load()), "append", ast.Load())
            return ast.Expr(ast.Call(method, [renamed(node.elt)], []))

        self.emit_comprehension(node, result, put)
        appended = [use.user.inputs[1].type for use in result.uses if use.user.kind == "prim::ListAppend"]
        result.type = T.ListType(_unify_all(appended) or T.TENSOR)
        return SimpleValue(result)

    def expr_DictComp(self, node):
        result = self.emit_node("prim::DictConstruct", [], [T.DictType(T.ANY, T.ANY)], self.loc(node)).output

        def put(name, renamed):
            target = ast.Subscript(ast.Name(name, ast.Load()), renamed(node.key), ast.Store())
            return ast.Assign([target], renamed(node.value))

        self.emit_comprehension(node, result, put)
        stores = [use.user for use in result.uses if use.user.kind == "prim::DictSetItem"]
        key = _unify_all([s.inputs[1].type for s in stores]) or T.STR
        value = _unify_all([s.inputs[2].type for s in stores]) or T.TENSOR
        if key not in (T.STR, T.INT, T.FLOAT):
            self.fail(f"dict keys must be str, int or float, not {key.annotation_str()}", node.key)
        result.type = T.DictType(key, value)
        return SimpleValue(result)

    def emit_comprehension(self, node, result, put):
        """Emit ``for ... if ...: put(...)`` for a comprehension, its variables renamed
        so that they do not leak into (or clobber) the function's own."""
        for generator in node.generators:
            if generator.is_async:
                self.fail("async comprehensions are not supported", node)
        holder = self.fresh_name("_comprehension")
        renames = {}
        for generator in node.generators:
            for name in (n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name)):
                renames[name] = self.fresh_name(f"_{name}")

        def renamed(expr):
            return _Renamer(renames).visit(copy.deepcopy(expr))

        body = ast.copy_location(put(holder, renamed), node)
        for generator in reversed(node.generators):
            for condition in reversed(generator.ifs):
                body = ast.copy_location(ast.If(renamed(condition), [body], []), condition)
            iterable = renamed(generator.iter) if generator is not node.generators[0] else generator.iter
            body = ast.copy_location(ast.For(renamed(generator.target), iterable, [body], [], None), node)
        ast.fix_missing_locations(body)
        self.env.set(holder, result)
        self.emit_statements([body])

    def fresh_name(self, base):
        return self.taken_names.fresh(base)


class _Renamer(ast.NodeTransformer):
    def __init__(self, renames):
        self.renames = renames

    def visit_Name(self, node):
        node.id = self.renames.get(node.id, node.id)
        return node


def _unify_all(kinds):
    """The type all of ``kinds`` unify to, or None."""
    result = None
    for kind in kinds:
        result = kind if result is None else T.unify(result, kind)
    return result
