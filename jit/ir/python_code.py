"""A graph as Python source: one walk over its blocks, in the shape of torch.fx's CodeGen.

A node becomes ``name = expression`` (or the expression alone), ``prim::If`` an
``if``/``else`` whose branches assign its outputs, ``prim::Loop`` a ``for`` or ``while``
whose carried values are assigned before it and updated at the end of each iteration;
values inlined (``expression_inlining``) print inside their use. ``jit.ir.code_printer``
(``.code``: the script subset, which compiles back to the same graph) and
``jit.runtime.codegen`` (what the executor runs) subclass it, giving ``fresh`` and
``variable_base`` (names), ``text`` (a value's expression), ``expression`` (a node's) and
``loop_header``. A statement-like op is an entry in ``STATEMENTS`` (kind -> method name)
and a method ``(node, indent)`` that emits its lines.
"""
from __future__ import annotations

import re

from .graph import Block, Graph, Node, Value

UNSAFE_IN_NAME = re.compile(r"[^0-9a-zA-Z_]")


def base_name(value: Value, default: str) -> str:
    """The variable name a value's debug name starts with (``x`` of ``x.3``), as an identifier."""
    return UNSAFE_IN_NAME.sub("_", value.debug_name.split(".")[0]) if value.has_debug_name() else default


def is_constant(value: Value, expected) -> bool:
    # The type first: a constant may be an array, whose == is elementwise (and True == 1).
    return value.node.kind == "prim::Constant" and type(value.node["value"]) is type(expected) \
        and value.node["value"] == expected


def parallel_assignment(targets, values) -> str:
    """``a, b = x, y`` for the pairs whose name and value differ ('' when none):
    every value is read before any name is rebound, as loop updates need."""
    pairs = [(t, v) for t, v in zip(targets, values) if t != v]
    return ", ".join(t for t, _ in pairs) + " = " + ", ".join(v for _, v in pairs) if pairs else ""


class PythonCodeGen:
    STATEMENTS = {"prim::If": "if_statement", "prim::Loop": "loop_statement",
                  "prim::TupleUnpack": "unpack", "prim::ListUnpack": "unpack"}
    # The header of the ``with`` a prim::Enter .. prim::Exit region prints as; None: the markers print nothing.
    REGION = None

    def __init__(self, graph: Graph, name: str, parameters):
        self.graph, self.name, self.parameters = graph, name, parameters
        self.names: dict[int, str] = {}  # id(value) -> its variable
        self.inlined: set[int] = set()  # ids of the values printed inside their use
        self.lines: list[str] = []
        self.outlined: list[str] = []  # functions written after the main one

    def name_of(self, value: Value) -> str:
        """The variable of ``value``: ``fresh(variable_base(value))``, made on its first use."""
        if id(value) not in self.names:
            self.names[id(value)] = self.fresh(self.variable_base(value))
        return self.names[id(value)]

    def location(self, node: Node | None) -> str:
        """What ends the line of ``node``'s statement (the executor's source location)."""
        return ""

    def after(self, node: Node, indent: int):
        """Called after each statement of a block is written."""

    def statement_of(self, node: Node) -> str | None:
        """The name of the method that writes ``node``, when it is statement-like."""
        return self.STATEMENTS.get(node.kind)

    # -- statements -----------------------------------------------------------------------
    def emit(self, indent: int, text: str, node: Node | None = None):
        self.lines.append("    " * indent + text + self.location(node))

    def assign(self, indent: int, targets, values, node: Node | None = None):
        statement = parallel_assignment(targets, values)
        if statement:
            self.emit(indent, statement, node)

    def assign_results(self, indent: int, targets, results):
        """The end of an if's branch: its results assigned to the if's outputs."""
        self.assign(indent, targets, [self.text(v) for v in results])

    def block(self, block: Block, indent: int, until: Node | None = None) -> bool:
        """Write ``block``'s nodes (those before ``until``, when given); whether any line was written."""
        start, opened = len(self.lines), []  # line counts where each open region began
        for node in block.nodes:
            if node is until:
                break
            if node.kind not in ("prim::Enter", "prim::Exit"):
                self.node(node, indent)
                self.after(node, indent)
            elif self.REGION is not None and node.kind == "prim::Enter":
                self.emit(indent, self.REGION)
                indent += 1
                opened.append(len(self.lines))
            elif self.REGION is not None:
                if len(self.lines) == opened.pop():
                    self.emit(indent, "pass")
                indent -= 1
        return len(self.lines) > start

    def node(self, node: Node, indent: int):
        if node.kind in ("prim::Constant", "prim::Uninitialized") or (node.outputs and id(node.outputs[0]) in self.inlined):
            return  # constants print as literals, inlined values inside their use
        method = self.statement_of(node)
        if method is not None:
            getattr(self, method)(node, indent)
        elif not node.outputs:  # print(...), l.append(x)
            self.emit(indent, self.expression(node), node)
        else:
            self.emit(indent, f"{self.name_of(node.output)} = {self.expression(node)}", node)

    def unpack(self, node: Node, indent: int):
        targets = ", ".join(self.name_of(v) for v in node.outputs) + ("," if len(node.outputs) == 1 else "")
        self.emit(indent, f"{targets} = {self.text(node.inputs[0])}", node)

    def if_statement(self, node: Node, indent: int):
        targets = [self.name_of(v) for v in node.outputs]
        self.emit(indent, f"if {self.text(node.inputs[0])}:", node)
        for index, block in enumerate(node.blocks):
            if index == 1:
                self.emit(indent, "else:")
            start = len(self.lines)
            self.block(block, indent + 1)
            self.assign_results(indent + 1, targets, block.returns)
            if len(self.lines) == start:
                self.emit(indent + 1, "pass")

    def loop_statement(self, node: Node, indent: int):
        """A carried value's output, body parameter and update share one name, assigned
        its initial value before the loop. ``loop_header`` writes the ``for``/``while``
        and returns ``finish(results, indent)``, which writes the end of an iteration."""
        body, carried = node.blocks[0], []
        for output, param in zip(node.outputs, body.params[1:]):
            carried.append(self.name_of(output))
            self.names[id(param)] = carried[-1]
        self.assign(indent, carried, [self.text(v) for v in node.inputs[2:]], node)
        finish = self.loop_header(node, carried, indent)
        start = len(self.lines)
        self.loop_body(body, indent + 1, finish)
        if len(self.lines) == start:
            self.emit(indent + 1, "pass")

    def loop_body(self, body: Block, indent: int, finish):
        self.block(body, indent)
        finish(body.returns, indent)

    def function_text(self, header: str) -> str:
        return "\n\n".join(["\n".join([header] + self.lines)] + self.outlined) + "\n"
