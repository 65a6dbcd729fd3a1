"""Make a failing program small, and print it as a test.

Greedy reduction to a fixed point, keeping only the candidates that still fail
with the same mismatch signature (kind, mode, what differed) in the failing
mode: drop statements, flatten ``if``/``for``, return fewer values, replace
subexpressions by their operands or by parameters, simplify literals, drop
unused parameters and input sets, then shrink the inputs (contiguous layout,
fewer elements, simpler values).
"""
from __future__ import annotations

import ast
import re
import time

import numpy as np

from .generator import Program
from .oracle import check
from .values import ArraySpec, ScalarSpec


class Shrinker:
    def __init__(self, program: Program, signature: tuple, budget_seconds: float = 120.0, max_checks: int = 400,
                 **check_options):
        self.signature = signature
        self.check_options = check_options  # passed to oracle.check
        self.mode = signature[1]
        self.deadline = time.monotonic() + budget_seconds
        self.checks_left = max_checks
        self.best = program
        self.checks = 0

    def fails(self, program: Program) -> bool:
        if self.checks_left <= 0 or time.monotonic() > self.deadline:
            return False
        self.checks_left -= 1
        self.checks += 1
        try:
            ast.parse(program.source)
            outcome = check(program, (self.mode,), **self.check_options)
        except Exception:  # noqa: BLE001 - a candidate the oracle cannot even run is not the failure
            return False
        return any(m.signature() == self.signature for m in outcome.mismatches)

    def out_of_budget(self) -> bool:
        return self.checks_left <= 0 or time.monotonic() > self.deadline

    def attempt(self, candidate: Program) -> bool:
        if candidate is None or candidate.source == self.best.source and candidate.calls is self.best.calls:
            return False
        if self.fails(candidate):
            self.best = candidate
            return True
        return False

    def run(self) -> Program:
        changed = True
        while changed and not self.out_of_budget():
            changed = False
            for step in (self.drop_calls, self.drop_statements, self.flatten_blocks, self.fewer_returns,
                         self.replace_expressions, self.simplify_literals, self.drop_parameters,
                         self.simplify_layouts, self.shrink_shapes, self.simplify_values):
                while not self.out_of_budget() and step():
                    changed = True
        return self.best

    # -- the program text ---------------------------------------------------------------
    def with_source(self, tree) -> Program:
        ast.fix_missing_locations(tree)
        return Program(ast.unparse(tree) + "\n", self.best.params, self.best.calls, self.best.seed)

    def tree(self):
        return ast.parse(self.best.source)

    @staticmethod
    def function(tree):
        """The program's function ``f`` (a helper it calls may come first)."""
        return next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "f")

    @staticmethod
    def statement_lists(tree):
        """Every statement list of every function (bodies and nested blocks), outermost first."""
        lists = []
        for node in ast.walk(tree):
            for field in ("body", "orelse"):
                block = getattr(node, field, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    lists.append((node, field))
        return lists

    def positions(self):
        """(block number, index) of every statement, in a fixed walk order."""
        return [(number, index) for number, (owner, field) in enumerate(self.statement_lists(self.tree()))
                for index in range(len(getattr(owner, field)))]

    def at(self, tree, number, index):
        owner, field = self.statement_lists(tree)[number]
        return owner, getattr(owner, field), index

    def drop_statements(self) -> bool:
        """Drop runs of statements, long runs first (most of a program is unrelated to its failure)."""
        positions = [p for p in self.positions() if not self.is_final_return(p)]
        size = max(len(positions) // 2, 1)
        while size >= 1:
            for start in reversed(range(0, len(positions), size)):
                chosen = positions[start:start + size]
                tree = self.tree()
                for number, index in sorted(chosen, reverse=True):
                    _, block, _ = self.at(tree, number, index)
                    del block[index]
                for owner, field in self.statement_lists(tree):
                    if not getattr(owner, field) and field == "body":
                        getattr(owner, field).append(ast.Pass())
                if self.attempt(self.with_source(tree)):
                    return True
            size //= 2
        return False

    def is_final_return(self, position) -> bool:
        tree = self.tree()
        owner, block, index = self.at(tree, *position)
        return isinstance(owner, ast.FunctionDef) and isinstance(block[index], ast.Return)

    def flatten_blocks(self) -> bool:
        """``if c: A else: B`` becomes A or B; ``for i in range(n): A`` becomes ``i = 0; A``."""
        for number, index in self.positions():
            for replacement in ("body", "orelse", "loop"):
                tree = self.tree()
                _, block, index = self.at(tree, number, index)
                node = block[index]
                if isinstance(node, ast.If) and replacement != "loop" and getattr(node, replacement):
                    block[index:index + 1] = getattr(node, replacement)
                elif isinstance(node, ast.For) and replacement == "loop":
                    block[index:index + 1] = ast.parse(f"{ast.unparse(node.target)} = 0").body + node.body
                else:
                    continue
                if self.attempt(self.with_source(tree)):
                    return True
        return False

    def fewer_returns(self) -> bool:
        tree = self.tree()
        returns = [n for n in ast.walk(tree) if isinstance(n, ast.Return) and isinstance(n.value, ast.Tuple)]
        for number, _ in enumerate(returns):
            count = len(returns[number].value.elts)
            for keep in range(count):
                candidate = self.tree()
                node = [n for n in ast.walk(candidate)
                        if isinstance(n, ast.Return) and isinstance(n.value, ast.Tuple)][number]
                node.value = node.value.elts[keep]
                if self.attempt(self.with_source(candidate)):
                    return True
        return False

    def expression_slots(self, tree):
        """(parent, field, index) of every expression below a statement, outermost first."""
        slots = []
        for parent in ast.walk(tree):
            for field, value in ast.iter_fields(parent):
                if isinstance(value, ast.expr) and not isinstance(parent, (ast.arg, ast.arguments)):
                    slots.append((parent, field, None))
                elif isinstance(value, list):
                    for index, item in enumerate(value):
                        if isinstance(item, ast.expr):
                            slots.append((parent, field, index))
        return slots

    def replace_expressions(self) -> bool:
        """A subexpression becomes one of its operands, or an array parameter."""
        arrays = [p.arg for p in self.function(self.tree()).args.args if p.annotation is None]
        count = len(self.expression_slots(self.tree()))
        for number in range(count):
            tree = self.tree()
            slots = self.expression_slots(tree)
            if number >= len(slots):
                break
            parent, field, index = slots[number]
            node = getattr(parent, field) if index is None else getattr(parent, field)[index]
            if isinstance(node, (ast.Name, ast.Constant)) or isinstance(getattr(node, "ctx", None), ast.Store):
                continue
            if isinstance(parent, ast.Call) and field == "func" or isinstance(parent, ast.Attribute) or \
                    isinstance(parent, ast.For) and field == "iter":
                continue
            children = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)
                        and not isinstance(c, (ast.Attribute, ast.Slice))
                        and not (isinstance(node, ast.Call) and c is node.func)]
            texts = list(dict.fromkeys([ast.unparse(c) for c in children] + arrays))
            for text in texts:
                candidate = self.tree()
                c_parent, c_field, c_index = self.expression_slots(candidate)[number]
                try:
                    replacement = ast.parse(text, mode="eval").body
                except SyntaxError:  # an index tuple with slices (``None, 1:3``) is no expression alone
                    continue
                if c_index is None:
                    setattr(c_parent, c_field, replacement)
                else:
                    getattr(c_parent, c_field)[c_index] = replacement
                if self.attempt(self.with_source(candidate)):
                    return True
        return False

    def simplify_literals(self) -> bool:
        tree = self.tree()
        constants = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, (int, float))
                     and not isinstance(n.value, bool) and n.value not in (0, 1)]
        for number in range(len(constants)):
            value = constants[number].value
            for simpler in ([0, 1] if isinstance(value, int) else [1.0, 0.0]):
                candidate = self.tree()
                node = [n for n in ast.walk(candidate)
                        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float))
                        and not isinstance(n.value, bool) and n.value not in (0, 1)][number]
                node.value = simpler
                if self.attempt(self.with_source(candidate)):
                    return True
        return False

    def drop_parameters(self) -> bool:
        function = self.function(self.tree())
        used = {n.id for n in ast.walk(function) if isinstance(n, ast.Name)}
        for index, parameter in enumerate(function.args.args):
            if parameter.arg in used:
                continue
            candidate = self.tree()
            del self.function(candidate).args.args[index]
            program = self.with_source(candidate)
            program.calls = [call[:index] + call[index + 1:] for call in self.best.calls]
            program.params = [p for p in self.best.params if p.name != parameter.arg]
            if self.attempt(program):
                return True
        return False

    # -- the inputs ----------------------------------------------------------------------
    def with_calls(self, calls) -> Program:
        return Program(self.best.source, self.best.params, calls, self.best.seed)

    def drop_calls(self) -> bool:
        calls = self.best.calls
        for index in reversed(range(len(calls))):
            if len(calls) == 1:
                return False
            if self.attempt(self.with_calls(calls[:index] + calls[index + 1:])):
                return True
        return False

    def respec(self, transform) -> bool:
        """Try ``transform(spec)`` for each array argument of each call."""
        for call_index, call in enumerate(self.best.calls):
            for position, spec in enumerate(call):
                for replacement in transform(spec):
                    if replacement is None:
                        continue
                    calls = [list(c) for c in self.best.calls]
                    calls[call_index][position] = replacement
                    if self.attempt(self.with_calls(calls)):
                        return True
        return False

    def simplify_layouts(self) -> bool:
        def contiguous(spec):
            if isinstance(spec, ArraySpec) and spec.layout == "broadcast":
                yield spec.replaced(values=np.array(np.broadcast_to(spec.values, spec.shape), order="C"),
                                    layout="contiguous", shape=None)
            elif isinstance(spec, ArraySpec) and spec.layout != "contiguous":
                yield spec.replaced(layout="contiguous")
        return self.respec(contiguous)

    def shrink_shapes(self) -> bool:
        def smaller(spec):
            if not isinstance(spec, ArraySpec) or spec.numpy_scalar or spec.layout == "broadcast":
                return
            values = spec.values
            for axis, size in enumerate(values.shape):
                if size > 1:
                    for kept in (range(1), range(size - 1, size), range(size // 2), range(size // 2, size),
                                 range(size - 1), range(1, size)):
                        yield spec.replaced(values=np.take(values, kept, axis=axis))
        return self.respec(smaller)

    def simplify_values(self) -> bool:
        def simpler(spec):
            if isinstance(spec, ScalarSpec):
                for value in (0, 1) if type(spec.value) is int else (1.0, 0.0) if type(spec.value) is float else ():
                    if value != spec.value:
                        yield ScalarSpec(type(spec.value)(value))
                return
            if not isinstance(spec, ArraySpec) or spec.values.size == 0:
                return
            flat = spec.values.reshape(-1)
            zero = np.zeros((), dtype=flat.dtype)
            if flat.size > 1 and np.count_nonzero(flat) > 1:
                for value in (0, 1):
                    yield spec.replaced(values=np.full_like(spec.values, value))
            for index in range(min(flat.size, 16)):
                if flat[index] == zero:
                    continue
                for value in (0, 1):
                    changed = flat.copy()
                    with np.errstate(all="ignore"):
                        changed[index] = value
                    if not np.array_equal(changed, flat, equal_nan=flat.dtype.kind == "f"):
                        yield spec.replaced(values=changed.reshape(spec.values.shape))
        return self.respec(simpler)


def shrink(program: Program, signature: tuple, budget_seconds: float = 120.0, **check_options) -> Program:
    return Shrinker(program, signature, budget_seconds, **check_options).run()


def as_test(program: Program, mismatch, name: str | None = None, reason: str | None = None) -> str:
    """The shrunk program as a pytest test for tests/fuzz/test_found.py."""
    slug = name or re.sub(r"[^a-z0-9]+", "_", f"{mismatch.kind} {mismatch.mode} {mismatch.key}".lower()).strip("_")
    calls = ",\n        ".join("[" + ", ".join(spec.code() for spec in call) + "]" for call in program.calls)
    body = "\n".join("        " + line for line in program.source.rstrip("\n").splitlines())
    decorator = f"@pytest.mark.xfail(strict=True, reason={reason!r})\n" if reason else ""
    return (f"{decorator}def test_{slug[:60]}():\n"
            f"    \"\"\"{mismatch.kind} in {mismatch.mode}: {_docstring(mismatch.detail)}\"\"\"\n"
            f"    source = \"\"\"\n{body}\n    \"\"\"\n"
            f"    calls = [\n        {calls},\n    ]\n"
            f"    assert_program_matches(source, calls, modes=({mismatch.mode!r},))\n")


def _docstring(text: str) -> str:
    text = " ".join(text.split()).replace("\\", "\\\\").replace('"""', "'''")
    return text if len(text) < 200 else text[:197] + "..."
