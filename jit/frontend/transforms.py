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

from jit.errors import CompilationError

_LOOPS = (ast.For, ast.While, ast.AsyncFor)
# An exit in a branch that may also fall through (``if a: (if b: continue)``) puts a
# copy of the statements after it in each branch: a run of such statements doubles the
# code with each. Copies beyond this many statements are refused, which keeps
# compiling linear in the code's size.
MAX_COPIED_STATEMENTS = 10_000


class LoweredLoop:
    """A loop body without break/continue. ``before``: statements to run before the
    loop (the flag's initialization). ``goes_on``: an expression; the loop runs
    another iteration only while it is true (None: always)."""

    def __init__(self, before, body, goes_on):
        self.before, self.body, self.goes_on = before, body, goes_on


def lower_loop_exits(loop, taken_names, fail=None) -> LoweredLoop:
    """``loop``'s body with break/continue lowered; ``taken_names`` are names already
    used in the function, so the flag gets a fresh one. ``fail(message, node)``
    raises the error for code that would copy more than MAX_COPIED_STATEMENTS."""
    try:
        return _lower_loop(loop, taken_names)
    except _TooManyCopies as error:
        message = (f"the 'break' and 'continue' statements in this loop sit in branches that may also go on, so "
                   f"the statements after them would be copied into both branches, more than "
                   f"{MAX_COPIED_STATEMENTS} statements in all; end each such branch with the exit, or set a "
                   "flag and test it once")
        if fail is None:
            raise CompilationError(message) from None
        fail(message, error.stmt)
        raise


class _TooManyCopies(Exception):
    def __init__(self, stmt):
        super().__init__()
        self.stmt = stmt


def statement_count(statements) -> int:
    """How many statements ``statements`` hold, nested ones included."""
    count, pending = 0, list(statements)
    while pending:
        stmt = pending.pop()
        count += 1
        for field in ("body", "orelse", "finalbody", "handlers"):
            pending.extend(getattr(stmt, field, None) or [])
    return count


def _lower_loop(loop, taken_names) -> LoweredLoop:
    budget = [MAX_COPIED_STATEMENTS]
    body = list(loop.body)
    if not _contains(body, (ast.Break, ast.Continue)):
        return LoweredLoop([], body, None)
    last = body[-1]
    if (isinstance(last, ast.If) and not last.orelse and len(last.body) == 1
            and isinstance(last.body[0], ast.Break) and not _contains(body[:-1], (ast.Break,))):
        goes_on = ast.copy_location(ast.UnaryOp(ast.Not(), last.test), last)
        return LoweredLoop([], _lower(body[:-1], None, budget), goes_on)
    if not _contains(body, (ast.Break,)):
        return LoweredLoop([], _lower(body, None, budget), None)
    flag = taken_names.fresh("broken")
    before = [_assign(flag, False, loop)]
    goes_on = ast.copy_location(ast.UnaryOp(ast.Not(), ast.copy_location(ast.Name(flag, ast.Load()), loop)), loop)
    return LoweredLoop(before, _lower(body, flag, budget), goes_on)


def _lower(statements, flag, budget):
    lowered = []
    for index, stmt in enumerate(statements):
        if isinstance(stmt, ast.Continue):
            return lowered  # the rest of the iteration is skipped
        if isinstance(stmt, ast.Break):
            lowered.append(_assign(flag, True, stmt))
            return lowered
        if isinstance(stmt, ast.If) and _contains([stmt], (ast.Break, ast.Continue)):
            rest = statements[index + 1:]
            then_leaves, else_leaves = _always_leaves(stmt.body), _always_leaves(stmt.orelse)
            if rest and not then_leaves and not else_leaves:  # rest goes into both: a copy
                budget[0] -= statement_count(rest)
                if budget[0] < 0:
                    raise _TooManyCopies(stmt)
            then_body = _lower(list(stmt.body) + ([] if then_leaves else rest), flag, budget)
            else_body = _lower(list(stmt.orelse) + ([] if else_leaves else rest), flag, budget)
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



class TakenNames(set):
    """Names in use; ``fresh(base)`` takes one not in use: ``base``, else ``base0``,
    ``base1``... Each base remembers its last number, so that a thousand flags do
    not retry a thousand numbers each."""

    def __init__(self, names=()):
        super().__init__(names)
        self.next_number: dict[str, int] = {}

    def fresh(self, base: str) -> str:
        name, number = base, self.next_number.get(base, 0)
        while name in self:
            name, number = f"{base}{number}", number + 1
        self.next_number[base] = number
        self.add(name)
        return name


def names_in(node) -> TakenNames:
    """Every identifier a function's source uses."""
    names = TakenNames()
    for found in ast.walk(node):
        if isinstance(found, ast.Name):
            names.add(found.id)
        elif isinstance(found, ast.arg):
            names.add(found.arg)
    return names


def contains_loop_exit(statements) -> bool:
    """Whether ``statements`` break or continue the loop they belong to."""
    return _contains(statements, (ast.Break, ast.Continue))
