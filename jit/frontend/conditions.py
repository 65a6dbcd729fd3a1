"""Conditions and Optional refinement.

A condition is a bool value (or a compile-time answer) plus what it tells about
variables: ``x is not None`` refines a local ``x: Optional[T]`` to ``T`` where it
is true and to ``None`` where it is false. ``not``, ``and`` and ``or`` combine
refinements as TorchScript does; ``if``, ``and``/``or``, conditional expressions,
``assert`` and the code after an ``if`` whose other branch exits apply them.
Attributes (``self.x``) are never refined; copy them to a local first.

A condition known at compile time (``x is None`` with x a Tensor, ``True``,
``isinstance(x, int)`` with x an int) emits only the branch it selects.
"""
from __future__ import annotations

import ast

from jit import ops
from jit import types as T

from .annotations import resolve_annotation
from .environment import Environment, Refinement
from .sugared import ConstantValue, SimpleValue


class Condition:
    """``value``: the bool Value (None when ``static`` answers it); ``when_true`` and
    ``when_false``: name -> refined type."""

    __slots__ = ("value", "static", "when_true", "when_false")

    def __init__(self, value=None, static=None, when_true=None, when_false=None):
        self.value, self.static = value, static
        self.when_true, self.when_false = when_true or {}, when_false or {}

    def negated(self):
        return Condition(self.value, None if self.static is None else not self.static, self.when_false,
                         self.when_true)


def _intersection(first, second):
    """Refinements both sides establish (with the same type)."""
    return {name: kind for name, kind in first.items() if second.get(name) == kind}


class ConditionEmitter:
    """The condition part of FunctionEmitter."""

    def emit_condition(self, expr):
        """The condition's bool Value (a constant when it is known statically)."""
        condition = self.emit_cond(expr)
        if condition.value is None:
            return self.emit_constant(condition.static, self.loc(expr))
        return condition.value

    def emit_cond(self, expr) -> Condition:
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
            inner = self.emit_cond(expr.operand)
            if inner.value is not None:
                op, spelling = ops.for_operator("not")
                inner.value = self.emit_op_call(op, spelling, [(SimpleValue(inner.value), self.loc(expr))], {},
                                                self.loc(expr)).value
            return inner.negated()
        if isinstance(expr, ast.BoolOp):
            return self.emit_bool_op_cond(expr)
        if isinstance(expr, ast.Compare) and len(expr.ops) == 1 and isinstance(expr.ops[0], (ast.Is, ast.IsNot)):
            return self.emit_is_cond(expr)
        if isinstance(expr, ast.Call) and self.is_isinstance_call(expr):
            return self.emit_isinstance_cond(expr)
        sugared = self.emit_expr(expr)
        if isinstance(sugared, ConstantValue) and isinstance(sugared.value, (bool, int, float, str, type(None))):
            return Condition(static=bool(sugared.value))  # True, a constant, jit.is_scripting()
        value = sugared.as_value(self, self.loc(expr))
        return Condition(self.as_bool(value, self.loc(expr)))

    def emit_bool_op_cond(self, expr) -> Condition:
        is_and = isinstance(expr.op, ast.And)
        loc = self.loc(expr)
        result = self.emit_cond(expr.values[0])
        for operand in expr.values[1:]:
            if result.static is not None:
                if result.static == is_and:  # True and b -> b; False or b -> b
                    with self.refined(result.when_true if is_and else result.when_false):
                        result = self.emit_cond(operand)
                continue  # False and b -> False; True or b -> True
            first = result
            holder = {}

            def second(operand=operand, first=first, holder=holder):
                with self.refined(first.when_true if is_and else first.when_false):
                    holder["second"] = self.emit_cond(operand)
                    found = holder["second"]
                    return found.value if found.value is not None else self.emit_constant(found.static, loc)

            value = self.short_circuit(first.value, is_and, second, loc)
            other = holder["second"]
            if is_and:
                result = Condition(value, None, {**first.when_true, **other.when_true},
                                   _intersection(first.when_false, other.when_false))
            else:
                result = Condition(value, None, _intersection(first.when_true, other.when_true),
                                   {**first.when_false, **other.when_false})
        return result

    def emit_is_cond(self, expr) -> Condition:
        loc = self.loc(expr)
        negate = isinstance(expr.ops[0], ast.IsNot)
        left, right = expr.left, expr.comparators[0]
        if _is_none_literal(left):
            left, right = right, left
        if not _is_none_literal(right):
            values = [self.emit_expr(e).as_value(self, self.loc(e)) for e in (left, right)]
            op, spelling = ops.for_operator("is not" if negate else "is")
            return Condition(self.emit_op_call(op, spelling, [(SimpleValue(v), loc) for v in values], {}, loc).value)
        subject = self.emit_expr(left)
        if isinstance(subject, ConstantValue):
            return Condition(static=(subject.value is None) != negate)
        value = subject.as_value(self, self.loc(left))
        kind = value.type
        if kind == T.NONE:
            condition = Condition(static=True)
        elif not isinstance(kind, T.OptionalType):
            condition = Condition(static=False)  # a Tensor, an int... is never None
        else:
            op, spelling = ops.for_operator("is not" if negate else "is")
            test = self.emit_op_call(op, spelling, [(SimpleValue(value), loc),
                                                    (ConstantValue(None), loc)], {}, loc).value
            refinable = isinstance(left, ast.Name)
            when_none = {left.id: T.NONE} if refinable else {}
            when_value = {left.id: kind.element} if refinable else {}
            return Condition(test, None, when_value, when_none) if negate else \
                Condition(test, None, when_none, when_value)
        return condition.negated() if negate else condition

    def is_isinstance_call(self, expr) -> bool:
        if len(expr.args) != 2 or expr.keywords:
            return False
        try:
            function = self.emit_expr(expr.func)
        except Exception:  # noqa: BLE001 - not resolvable here; the normal call path reports it
            return False
        return getattr(function, "is_isinstance", False)

    def emit_isinstance_cond(self, expr) -> Condition:
        """isinstance(x, T): decided by the static types where they decide it; an
        Optional[U] x with U matching T becomes ``x is not None`` with refinement."""
        subject, target = expr.args
        value = self.emit_expr(subject).as_value(self, self.loc(subject))
        wanted = self.isinstance_target(target)
        kind = value.type
        if any(kind.is_subtype_of(w) for w in wanted):
            return Condition(static=True)
        if isinstance(kind, T.OptionalType) and any(kind.element.is_subtype_of(w) for w in wanted):
            op, spelling = ops.for_operator("is not")
            loc = self.loc(expr)
            is_not_none = self.emit_op_call(op, spelling, [(SimpleValue(value), loc),
                                                           (ConstantValue(None), loc)], {}, loc).value
            refinable = isinstance(subject, ast.Name)
            return Condition(is_not_none, None, {subject.id: kind.element} if refinable else {},
                             {subject.id: T.NONE} if refinable else {})
        return Condition(static=False)

    def isinstance_target(self, node):
        """The types an isinstance target names (a type or a tuple of types)."""
        nodes = node.elts if isinstance(node, ast.Tuple) else [node]
        # isinstance checks the kind of value, not tensor refinements.
        return [T.erase_refinement(resolve_annotation(n, self.resolver, self.loc)) for n in nodes]

    def refined(self, refinements):
        """A context applying ``refinements`` to the current scope's lookups."""
        return _Refined(self, refinements)

    def apply_refinements(self, refinements, loc):
        """Bind refined names in the current scope: None-refined names to None, others
        through prim::unchecked_cast. Only names that are Optional locals change."""
        for name, kind in refinements.items():
            current = self.env.declared(name)
            if not hasattr(current, "type") or not isinstance(current.type, T.OptionalType):
                continue
            if kind == T.NONE:
                refined = self.emit_constant(None, loc)
            else:
                refined = self.emit_node("prim::unchecked_cast", [current], [current.type.element], loc).output
            self.env.set(name, Refinement(refined, current))


class _Refined:
    """Applies refinements in a child scope of the current block for the extent of a
    ``with`` (the second operand of and/or). Conditions assign nothing, so leaving
    only restores the scope."""

    def __init__(self, emitter, refinements):
        self.emitter, self.refinements = emitter, refinements

    def __enter__(self):
        self.outer = self.emitter.env
        self.emitter.env = Environment(self.outer.block, self.outer)
        self.emitter.apply_refinements(self.refinements, None)
        return self

    def __exit__(self, *exc):
        self.emitter.env = self.outer


def _is_none_literal(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is None
