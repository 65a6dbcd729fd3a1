"""Rewrites of the Python AST that the SSA emitter relies on.

``break`` and ``continue`` become structured control flow before a loop body is
emitted, as TorchScript's exit transform does:

- ``continue`` ends the iteration: the statements after an ``if`` that continues
  move into its other branch;
- ``break`` sets a flag variable (``broken``) and continues; the loop goes on
  while the flag is false. A trailing ``if X: break`` needs no flag: the loop
  goes on while ``not X``. The code printer writes loops back in that form, so
  printing and recompiling gives the same loop.
"""
from __future__ import annotations

import ast

_LOOPS = (ast.For, ast.While, ast.AsyncFor)


class LoweredLoop:
    """A loop body without break/continue. ``before``: statements to run before the
    loop (the flag's initialization). ``goes_on``: an expression; the loop runs
    another iteration only while it is true (None: always)."""

    def __init__(self, before, body, goes_on):
        self.before, self.body, self.goes_on = before, body, goes_on


def lower_loop_exits(loop, taken_names) -> LoweredLoop:
    """``loop``'s body with break/continue lowered; ``taken_names`` are names already
    used in the function, so the flag gets a fresh one."""
    body = list(loop.body)
    if not _contains(body, (ast.Break, ast.Continue)):
        return LoweredLoop([], body, None)
    last = body[-1]
    if (isinstance(last, ast.If) and not last.orelse and len(last.body) == 1
            and isinstance(last.body[0], ast.Break) and not _contains(body[:-1], (ast.Break,))):
        goes_on = ast.copy_location(ast.UnaryOp(ast.Not(), last.test), last)
        return LoweredLoop([], _lower(body[:-1], None), goes_on)
    if not _contains(body, (ast.Break,)):
        return LoweredLoop([], _lower(body, None), None)
    flag = _fresh("broken", taken_names)
    before = [_assign(flag, False, loop)]
    goes_on = ast.copy_location(ast.UnaryOp(ast.Not(), ast.copy_location(ast.Name(flag, ast.Load()), loop)), loop)
    return LoweredLoop(before, _lower(body, flag), goes_on)


def _lower(statements, flag):
    lowered = []
    for index, stmt in enumerate(statements):
        if isinstance(stmt, ast.Continue):
            return lowered  # the rest of the iteration is skipped
        if isinstance(stmt, ast.Break):
            lowered.append(_assign(flag, True, stmt))
            return lowered
        if isinstance(stmt, ast.If) and _contains([stmt], (ast.Break, ast.Continue)):
            rest = statements[index + 1:]
            then_body = _lower(list(stmt.body) + ([] if _always_leaves(stmt.body) else rest), flag)
            else_body = _lower(list(stmt.orelse) + ([] if _always_leaves(stmt.orelse) else rest), flag)
            branch = ast.If(stmt.test, then_body or [ast.copy_location(ast.Pass(), stmt)], else_body)
            lowered.append(ast.copy_location(branch, stmt))
            return lowered
        lowered.append(stmt)
    return lowered


def _always_leaves(statements) -> bool:
    """Every path ends the iteration (break, continue) or the function (return, raise)."""
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, (ast.Break, ast.Continue, ast.Return, ast.Raise)):
        return True
    return isinstance(last, ast.If) and _always_leaves(last.body) and _always_leaves(last.orelse)


def _contains(statements, kinds) -> bool:
    """Whether ``statements`` hold one of ``kinds`` that belongs to this loop (not to
    a loop nested in it, nor to a nested function)."""
    for stmt in statements:
        if isinstance(stmt, kinds):
            return True
        if isinstance(stmt, _LOOPS + (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for field in ("body", "orelse", "finalbody"):
            if _contains(getattr(stmt, field, []) or [], kinds):
                return True
    return False


def _assign(name, value, where):
    target = ast.copy_location(ast.Name(name, ast.Store()), where)
    return ast.copy_location(ast.Assign([target], ast.copy_location(ast.Constant(value), where)), where)


def _fresh(base, taken):
    name, counter = base, 0
    while name in taken:
        name, counter = f"{base}{counter}", counter + 1
    taken.add(name)
    return name


def names_in(node) -> set:
    """Every identifier a function's source uses."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | \
        {a.arg for a in ast.walk(node) if isinstance(a, ast.arg)}


def contains_loop_exit(statements) -> bool:
    """Whether ``statements`` break or continue the loop they belong to."""
    return _contains(statements, (ast.Break, ast.Continue))
