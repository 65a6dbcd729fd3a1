"""The code printer: a graph as Python source in the script subset (``.code``).

The printed function compiles back, with the same frontend, to an equivalent
graph (saving and loading rely on that); printing the recompiled graph gives
the same text. Ops print as users write them: ``a + b``, ``x[0, 1:]``,
``x.shape``, ``np.sum(x, 1, keepdims=True)``, ``x.astype(np.float32)``. Values
used once, by a pure op in the same block, are inlined into the expression that
uses them; constants print as literals. Names come from the variables' names.
"""
from __future__ import annotations

import builtins
import keyword
import math
import re

import numpy as np

import device as _device
from jit import types as T
from jit.ops import NO_DEFAULT
from jit.ops.prim import MAX_TRIP_COUNT

from .graph import Block, Graph, Node, Value
from .inlining import inlinable_values, short_circuit

_NAMELESS = ("prim::Constant", "prim::Uninitialized", "prim::Param")
_IDENTIFIER = re.compile(r"[^0-9a-zA-Z_]")
_FLAT_CHAIN = 8  # longer chains of ifs ending a loop body print with 'continue' (print_iteration)


# The global names printed code uses: modules of the ops' spellings and the types of
# annotations. ``jit.frontend.code_namespace()`` binds them for recompiling.
PRINTED_GLOBALS = ("np", "math", "F", "jit", "device", "Tensor", "List", "Tuple", "Dict", "Optional")

# Arrays held as constants (a trace's captured arrays) print as CONSTANTS.c0, c1...:
# whoever compiles the code again binds CONSTANTS to a TensorConstants of them.
CONSTANTS_NAME = "CONSTANTS"
_RESERVED = set(keyword.kwlist) | set(dir(builtins)) | set(PRINTED_GLOBALS) | {CONSTANTS_NAME}


class TensorConstants:
    """What ``CONSTANTS`` names in printed code: the graph's array constants as
    attributes ``c0``, ``c1``... in the order ``tensor_constants`` gives."""

    def __init__(self, arrays):
        self.arrays = list(arrays)

    def __getattr__(self, name):
        if name.startswith("c") and name[1:].isdigit() and int(name[1:]) < len(self.__dict__.get("arrays", ())):
            return self.arrays[int(name[1:])]
        raise AttributeError(f"CONSTANTS has no array '{name}'")


def tensor_constants(graph: Graph) -> list:
    """The arrays ``graph`` holds as constants, each once, in program order."""
    found = {}
    for node in graph.all_nodes():
        if node.kind == "prim::Constant" and _device.is_array(node["value"]):
            found.setdefault(id(node["value"]), node["value"])
    return list(found.values())


# Python's operator precedence, loosest first; atoms (names, calls, literals) bind tightest.
_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "<": 4, "<=": 4, ">": 4, ">=": 4, "==": 4, "!=": 4, "is": 4, "is not": 4, "in": 4, "|": 5, "^": 6, "&": 7,
               "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "//": 10, "%": 10, "@": 10,
               "unary -": 11, "unary +": 11, "unary ~": 11, "**": 12}
_ATOM = 13


class _Expr:
    """Printed expression text and the precedence of its outermost operator."""

    __slots__ = ("text", "precedence")

    def __init__(self, text, atomic=True, precedence=None):
        self.text = text
        self.precedence = precedence if precedence is not None else (_ATOM if atomic else 0)

    def operand(self, minimum=_ATOM):
        """The text, parenthesized unless it binds at least as tightly as ``minimum``."""
        return self.text if self.precedence >= minimum else f"({self.text})"


def literal(value) -> _Expr:
    if value is None or isinstance(value, bool):
        return _Expr(repr(value))
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return _Expr("math.nan")
        text = ("math.inf" if value > 0 else "-math.inf") if isinstance(value, float) and math.isinf(value) \
            else repr(value)
        return _Expr(text, precedence=_PRECEDENCE["unary -"] if text.startswith("-") else _ATOM)
    if isinstance(value, str):
        return _Expr(repr(value))
    if isinstance(value, np.dtype):
        return _Expr(f"np.{value.name if value.name != 'bool' else 'bool_'}")
    if isinstance(value, _device.Device):
        return _Expr(f"device.Device({str(value)!r})")
    if value is Ellipsis:
        return _Expr("...")
    if isinstance(value, tuple):
        inner = ", ".join(literal(v).text for v in value)
        return _Expr(f"({inner},)" if len(value) == 1 else f"({inner})")
    if getattr(value, "is_script_function", False):
        return _Expr(value.name)
    raise TypeError(f"a constant of type {type(value).__name__} has no script-code literal")


class CodePrinter:
    def __init__(self, graph: Graph, name: str, parameters):
        self.graph, self.name, self.parameters = graph, name, parameters
        self.names: dict[int, str] = {}
        self.taken: set[str] = set(_RESERVED)
        self.next_number: dict[str, int] = {}  # base -> the number fresh() tries first
        self.inlined: set[int] = set()
        self.lines: list[str] = []
        self.constant_numbers = {id(array): index for index, array in enumerate(tensor_constants(graph))}

    # -- naming ---------------------------------------------------------------------
    def fresh(self, base: str) -> str:
        base = _IDENTIFIER.sub("_", base) or "_"
        if base[0].isdigit():
            base = "_" + base
        candidate, counter = base, self.next_number.get(base, 0)
        while candidate in self.taken:  # each base goes on from its last number: no rescans
            candidate = f"{base}{counter}"
            counter += 1
        self.next_number[base] = counter
        self.taken.add(candidate)
        return candidate

    def name_of(self, value: Value) -> str:
        key = id(value)
        if key not in self.names:
            base = value.debug_name.split(".")[0] if value.has_debug_name() else "_"
            self.names[key] = self.fresh(base)
        return self.names[key]

    def share_name(self, name: str, *values: Value):
        for value in values:
            self.names[id(value)] = name

    # -- expressions --------------------------------------------------------------------
    def expr(self, value: Value) -> _Expr:
        node = value.node
        if node.kind == "prim::Constant":
            if id(node["value"]) in self.constant_numbers:
                return _Expr(f"{CONSTANTS_NAME}.c{self.constant_numbers[id(node['value'])]}")
            return literal(node["value"])
        if id(value) in self.inlined:
            return self.node_expr(node)
        return _Expr(self.name_of(value))

    def node_expr(self, node: Node) -> _Expr:
        op, inputs = node.op, node.inputs
        kind = node.kind
        if kind == "prim::TupleConstruct" and isinstance(node.output.type, T.NamedTupleType):
            return _Expr(f"{node.output.type.name}({', '.join(self.expr(v).text for v in inputs)})")
        if kind == "prim::TupleIndex" and isinstance(inputs[0].type, T.NamedTupleType) \
                and inputs[1].node.kind == "prim::Constant":
            return _Expr(f"{self.expr(inputs[0]).operand()}.{inputs[0].type.fields[inputs[1].node['value']]}")
        if kind == "prim::TupleConstruct":
            items = [self.expr(v).text for v in inputs]
            return _Expr("(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")")
        if kind == "prim::ListConstruct":
            if not inputs and node.output.type != T.ListType(T.TENSOR):  # [] alone is List[Tensor]
                return _Expr(f"jit.annotate({node.output.type.annotation_str()}, [])")
            return _Expr("[" + ", ".join(self.expr(v).text for v in inputs) + "]")
        if kind == "prim::DictConstruct":
            if not inputs and node.output.type != T.DictType(T.STR, T.TENSOR):  # {} alone is Dict[str, Tensor]
                return _Expr(f"jit.annotate({node.output.type.annotation_str()}, {{}})")
            pairs = zip(inputs[0::2], inputs[1::2])
            return _Expr("{" + ", ".join(f"{self.expr(k).text}: {self.expr(v).text}" for k, v in pairs) + "}")
        if kind == "prim::SliceConstruct":
            return _Expr("slice(" + ", ".join(self.expr(v).text for v in inputs) + ")")
        if kind in ("prim::TupleIndex", "prim::ListIndex", "np::getitem", "prim::DictIndex", "prim::str_index"):
            return _Expr(f"{self.expr(inputs[0]).operand()}[{self.index_text(inputs[1])}]")
        if kind in ("prim::ListSlice", "prim::TupleSlice", "prim::str_slice"):
            bounds = ":".join("" if _is_none(v) else self.expr(v).text for v in inputs[1:])
            return _Expr(f"{self.expr(inputs[0]).operand()}[{bounds}]")
        if kind == "prim::unchecked_cast":  # refinement: recompiling the same check restores it
            return self.expr(inputs[0])
        if kind == "prim::If":  # an inlined short-circuit: a and b, a or b
            word, first, second = short_circuit(node)
            level = _PRECEDENCE[word]
            return _Expr(f"{self.expr(first).operand(level)} {word} {self.expr(second).operand(level + 1)}",
                         precedence=level)
        if kind == "prim::annotate":
            return _Expr(f"jit.annotate({node.output.type.annotation_str()}, {self.expr(inputs[0]).text})")
        if kind == "prim::fork":
            return _Expr(f"jit.fork({self.fork_arguments(node)})")
        if kind == "prim::CallFunction":
            return _Expr(f"{node.inputs[0].node['value'].name}({', '.join(self.expr(v).text for v in inputs[1:])})")
        if kind == "prim::CreateObject":
            return _Expr(f"{node.output.type.annotation_str()}({', '.join(self.expr(v).text for v in inputs)})")
        if kind == "prim::GetAttr":
            return _Expr(self.attribute_text(inputs[0], node["name"]))
        if kind == "prim::CallMethod":
            arguments = ", ".join(self.expr(v).text for v in inputs[1:])
            return _Expr(f"{self.expr(inputs[0]).operand()}.{node['name']}({arguments})")
        if kind == "prim::PythonOp":
            callee, inputs = self.python_callee(node)
            return _Expr(f"{callee}({', '.join(self.expr(v).text for v in inputs)})")
        if kind == "prim::range_length":
            return _Expr("len(range(" + ", ".join(self.expr(v).text for v in inputs) + "))")
        spelling = _printing_spelling(node)
        args = [self.expr(v) for v in inputs]
        if spelling.kind == "operator":
            return _operator_expr(spelling.name, args)
        if spelling.kind == "property":
            return _Expr(f"{args[0].operand()}.{spelling.name}")
        if spelling.kind == "method":
            return _Expr(f"{args[0].operand()}.{spelling.name}({self.call_arguments(op, inputs, 1)})")
        return _Expr(f"{spelling.name}({self.call_arguments(op, inputs, 0)})")

    def fork_arguments(self, node: Node) -> str:
        """The callee and arguments of ``jit.fork(...)``, as the call would print them."""
        inputs, call = node.inputs, node["call"]
        if call == "prim::CallFunction":
            callee, inputs = inputs[0].node["value"].name, inputs[1:]
        elif call == "prim::CallMethod":
            callee, inputs = f"{self.expr(inputs[0]).operand()}.{node['name']}", inputs[1:]
        else:
            callee, inputs = self.python_callee(node)
        return ", ".join([callee] + [self.expr(v).text for v in inputs])

    def python_callee(self, node: Node):
        """(callee text, argument values) of a Python call: ``f`` or, for an ignored
        method, ``self.f`` with the object left out of the arguments."""
        name = node["function"].__name__
        if node.attrs.get("method"):
            return f"{self.expr(node.inputs[0]).operand()}.{name}", node.inputs[1:]
        return name, node.inputs

    def attribute_text(self, owner: Value, name: str) -> str:
        """``obj.name``; a container's submodules whose names are not identifiers
        print as the subscripts that select them (``self.layers[0]``)."""
        text = self.expr(owner).operand()
        kind = owner.type
        if name.isidentifier() and not keyword.iskeyword(name):
            return f"{text}.{name}"
        if kind.container == "list":
            return f"{text}[{kind.submodules.index(name)}]"
        return f"{text}[{name!r}]"

    def index_text(self, index: Value) -> str:
        node = index.node
        if node.kind == "prim::TupleConstruct" and id(index) in self.inlined:
            items = [self.index_item(v) for v in node.inputs]
            return items[0] + "," if len(items) == 1 else ", ".join(items) if items else "()"
        return self.index_item(index)

    def index_item(self, value: Value) -> str:
        node = value.node
        if node.kind == "prim::SliceConstruct" and id(value) in self.inlined:
            start, stop, step = ("" if _is_none(v) else self.expr(v).text for v in node.inputs)
            return f"{start}:{stop}" + (f":{step}" if step else "")
        return self.expr(value).text

    def call_arguments(self, op, inputs, skip) -> str:
        if op.variadic:
            return ", ".join(self.expr(v).text for v in inputs[skip:])
        pieces, pending = [], []
        for arg, value in list(zip(op.args, inputs))[skip:]:
            is_default = arg.has_default and _is_constant_equal(value, arg.default)
            text = self.expr(value).text
            if arg.kwarg_only:
                if not is_default:
                    pieces.append(f"{arg.name}={text}")
                continue
            if is_default:
                pending.append(text)
            else:
                pieces.extend(pending)
                pending = []
                pieces.append(text)
        return ", ".join(p for p in pieces)

    # -- statements -----------------------------------------------------------------------
    def emit(self, indent: int, text: str):
        self.lines.append("    " * indent + text)

    def assign(self, indent: int, targets, values):
        statement = parallel_assignment(targets, values)
        if statement:
            self.emit(indent, statement)

    def assign_results(self, indent: int, targets, results):
        """Assign a block's results to targets, leaving out values of paths that raised."""
        pairs = [(t, self.expr(v).text) for t, v in zip(targets, results) if v.node.kind != "prim::Uninitialized"]
        self.assign(indent, [t for t, _ in pairs], [v for _, v in pairs])

    def print_block(self, block: Block, indent: int, until: Node | None = None):
        """Print ``block``'s nodes (those before ``until``, when given)."""
        start = len(self.lines)
        opened = []  # line counts where each open 'with' block began
        for node in block.nodes:
            if node is until:
                break
            if node.kind == "prim::Enter":
                self.emit(indent, "with jit.strict_fusion():")
                indent += 1
                opened.append(len(self.lines))
                continue
            if node.kind == "prim::Exit":
                if len(self.lines) == opened.pop():
                    self.emit(indent, "pass")
                indent -= 1
                continue
            self.print_node(node, indent)
        return len(self.lines) > start

    def print_node(self, node: Node, indent: int):
        kind = node.kind
        if kind in ("prim::Constant", "prim::Uninitialized") or (node.outputs and id(node.outputs[0]) in self.inlined):
            return
        if kind == "prim::RaiseException":
            exception = node.inputs[1].node["value"]
            message = node.inputs[0]
            is_empty = message.node.kind == "prim::Constant" and message.node["value"] == ""
            self.emit(indent, f"raise {exception}({'' if is_empty else self.expr(message).text})")
            return
        if kind == "prim::If":
            return self.print_if(node, indent)
        if kind == "prim::Loop":
            return self.print_loop(node, indent)
        if kind in ("prim::ListSetItem", "prim::DictSetItem"):
            container, index, value = (self.expr(v) for v in node.inputs)
            self.emit(indent, f"{container.operand()}[{index.text}] = {value.text}")
            return
        if kind in ("prim::CallFunction", "prim::PythonOp", "prim::CreateObject", "prim::GetAttr",
                    "prim::CallMethod", "prim::fork"):
            self.emit(indent, f"{self.name_of(node.output)} = {self.node_expr(node).text}")
            return
        if kind == "prim::SetAttr":
            self.emit(indent, f"{self.attribute_text(node.inputs[0], node['name'])} = {self.expr(node.inputs[1]).text}")
            return
        if not node.outputs:  # print(...), l.append(x)
            self.emit(indent, self.node_expr(node).text)
            return
        if kind in ("prim::TupleUnpack", "prim::ListUnpack"):
            targets = ", ".join(self.name_of(v) for v in node.outputs)
            targets += "," if len(node.outputs) == 1 else ""
            self.emit(indent, f"{targets} = {self.expr(node.inputs[0]).text}")
            return
        self.emit(indent, f"{self.name_of(node.output)} = {self.node_expr(node).text}")

    def print_if(self, node: Node, indent: int):
        targets = [self.name_of(v) for v in node.outputs]
        for block in node.blocks:
            for target, result in zip(targets, block.returns):
                # A branch's result computed for it alone prints under the if's name
                # (found = key in e), not through a temporary that renaming would move.
                if (result.node.owning_block is block and len(result.uses) == 1 and id(result) not in self.inlined
                        and id(result) not in self.names and result.node.kind not in _NAMELESS):
                    self.names[id(result)] = target
        self.emit(indent, f"if {self.expr(node.inputs[0]).text}:")
        for index, block in enumerate(node.blocks):
            if index == 1:
                self.emit(indent, "else:")
            start = len(self.lines)
            self.print_block(block, indent + 1)
            self.assign_results(indent + 1, targets, block.returns)
            if len(self.lines) == start:
                self.emit(indent + 1, "pass")

    def print_loop(self, node: Node, indent: int):
        body = node.blocks[0]
        trip_count, condition, inits = node.inputs[0], node.inputs[1], node.inputs[2:]
        carried = []
        for init, param, output, result in zip(inits, body.params[1:], node.outputs, body.returns[1:]):
            name = self.name_of(output)
            self.share_name(name, param)
            carried.append((name, init, result))
        finite = not _is_max_trip_count(trip_count)
        is_for = finite and _is_true(condition)  # a for loop, maybe left by a trailing 'if X: break'
        forever = not finite and _is_true(condition) and _is_true(body.returns[0]) and not body.params[0].uses
        condition_name = None
        if not (is_for or forever):
            condition_name = next((name for name, init, result in carried
                                   if init is condition and result is body.returns[0]), None)
        self.assign(indent, [name for name, _, _ in carried], [self.expr(init).text for _, init, _ in carried])
        iteration = body.params[0]
        if is_for:
            self.emit(indent, f"for {self.name_of(iteration)} in range({self.expr(trip_count).text}):")
        elif forever:
            self.emit(indent, "while True:")
        else:
            if condition_name is None:
                if (condition.node.kind != "prim::Constant" and id(condition) not in self.inlined
                        and len(condition.uses) == 1):
                    condition_name = self.name_of(condition)  # only the loop reads it: reuse its name
                else:
                    condition_name = self.fresh("cond")
                    self.emit(indent, f"{condition_name} = {self.expr(condition).text}")
            counter = self.name_of(iteration) if iteration.uses or finite else None
            if counter is not None:
                self.emit(indent, f"{counter} = 0")
            bound = f"{counter} < {self.expr(trip_count).operand(_PRECEDENCE['<'] + 1)} and " if finite else ""
            self.emit(indent, f"while {bound}{condition_name}:")
        def finish(results, at):
            """The end of an iteration whose body returns ``results``: the carried values' updates."""
            targets = [name for name, _, _ in carried]
            values = [self.expr(result).text for result in results[1:]]
            if not (is_for or forever):
                if condition_name not in targets:
                    targets.insert(0, condition_name)
                    values.insert(0, self.expr(results[0]).text)
                if counter is not None:
                    targets.append(counter)
                    values.append(f"{counter} + 1")
            self.assign(at, targets, values)
            if is_for and not _is_true(results[0]):
                self.emit(at, f"if {self.negated(results[0])}: break")

        start = len(self.lines)
        self.print_iteration(body, indent + 1, list(body.returns), finish)
        if len(self.lines) == start:
            self.emit(indent + 1, "pass")

    def print_iteration(self, block: Block, indent: int, results: list, finish):
        """Print a loop body, then ``finish(results, indent)``. A body ending in a chain of
        more than _FLAT_CHAIN ifs, each in the other branch of the one before, prints as it
        was written before the frontend moved the statements after each ``continue`` into
        the other branch: ``if c: ... continue``, then the other branch at the same
        indentation; so long ``continue`` chains print flat (Python refuses 100
        indentation levels)."""
        if _tail_chain(block) <= _FLAT_CHAIN:
            self.print_block(block, indent)
            return finish(results, indent)
        while True:
            last = _last_statement(block)
            if not _ends_iteration(last):
                break
            self.print_block(block, indent, until=last)
            self.emit(indent, f"if {self.expr(last.inputs[0]).text}:")
            then, other = last.blocks
            if any(v.node.kind == "prim::Uninitialized" for v in then.returns):  # it raised
                self.print_block(then, indent + 1)
            else:
                self.print_block(then, indent + 1)
                finish(_through(results, last, then), indent + 1)
                self.emit(indent + 1, "continue")
            block, results = other, _through(results, last, other)
        self.print_block(block, indent)
        finish(results, indent)

    def print_returning(self, block: Block, indent: int):
        """Print ``block`` and return its (first) result. An ``if`` that ends the block
        and gives its result is an early return in the source (the frontend moves the
        statements after ``if c: return a`` into its other branch), and prints as one:
        ``if c: ... return a``, then the other branch at the same indentation. So a
        hundred early returns print flat, as written, instead of a hundred levels deep."""
        while True:
            last, result = _last_statement(block), block.returns[0]
            if not (last.kind == "prim::If" and len(last.outputs) == 1 and result is last.output
                    and id(result) not in self.inlined):
                break
            self.print_block(block, indent, until=last)
            self.emit(indent, f"if {self.expr(last.inputs[0]).text}:")
            start = len(self.lines)
            self.print_returning(last.blocks[0], indent + 1)
            if len(self.lines) == start:
                self.emit(indent + 1, "pass")
            block = last.blocks[1]
        self.print_block(block, indent)
        if result.node.kind != "prim::Uninitialized":  # else every path raised
            self.emit(indent, f"return {self.expr(result).text}")

    def negated(self, condition: Value) -> str:
        """The text of ``not condition``, without a double negation."""
        if condition.node.kind == "prim::not" and id(condition) in self.inlined:
            return self.expr(condition.node.inputs[0]).text
        if condition.node.kind == "prim::Constant":
            return repr(not condition.node["value"])
        return f"not {self.expr(condition).operand(_PRECEDENCE['not'])}"

    # -- the function ------------------------------------------------------------------------
    def print_function(self, return_type: T.Type) -> str:
        for spec, value in zip(self.parameters, self.graph.inputs):
            self.taken.add(spec.name)
            self.names[id(value)] = spec.name
        self.inlined = inlinable_values(self.graph.block)
        self.print_returning(self.graph.block, 1)
        params = []
        for spec in self.parameters:
            text = f"{spec.name}: {spec.type.annotation_str()}"
            if spec.default is not NO_DEFAULT:
                text += f" = {literal(spec.default).text}"
            params.append(text)
        header = f"def {self.name}({', '.join(params)}) -> {return_type.annotation_str()}:"
        return "\n".join([header] + self.lines) + "\n"


def _ends_iteration(node: Node) -> bool:
    """An If that ends a loop body (or a branch of such an If) and gives only what it returns."""
    block = node.owning_block
    return (node.kind == "prim::If" and node is _last_statement(block) and bool(node.outputs)
            and all(len(o.uses) == 1 and o.uses[0].user is block.return_node for o in node.outputs)
            and short_circuit(node) is None)


def _tail_chain(block: Block) -> int:
    """How many such Ifs end ``block``, each in the other branch of the one before."""
    length = 0
    while _ends_iteration(_last_statement(block)):
        length, block = length + 1, _last_statement(block).blocks[1]
    return length


def _last_statement(block: Block) -> Node:
    """The last node of ``block`` that is not a constant (constants print nowhere)."""
    node = block.return_node.prev
    while node.kind == "prim::Constant":
        node = node.prev
    return node


def _through(results: list, node: Node, branch: Block) -> list:
    """``results`` with the outputs of the If ``node`` replaced by what ``branch`` gives for them."""
    given = {id(output): value for output, value in zip(node.outputs, branch.returns)}
    return [given.get(id(value), value) for value in results]


def parallel_assignment(targets, values) -> str:
    """``a, b = x, y`` for the pairs whose name and value differ ('' when none):
    every value is read before any name is rebound, as loop updates need."""
    pairs = [(t, v) for t, v in zip(targets, values) if t != v]
    return ", ".join(t for t, _ in pairs) + " = " + ", ".join(v for _, v in pairs) if pairs else ""


def _operator_expr(symbol, args) -> _Expr:
    level = _PRECEDENCE[symbol]
    if symbol == "not":
        return _Expr(f"not {args[0].operand(level)}", precedence=level)
    if symbol.startswith("unary "):
        return _Expr(f"{symbol[-1]}{args[0].operand(level)}", precedence=level)
    if level == _PRECEDENCE["<"]:  # comparisons chain, so a nested one needs parentheses
        return _Expr(f"{args[0].operand(level + 1)} {symbol} {args[1].operand(level + 1)}", precedence=level)
    if symbol == "**":  # right-associative; its right side may be a unary expression
        return _Expr(f"{args[0].operand(level + 1)} ** {args[1].operand(_PRECEDENCE['unary -'])}",
                     precedence=level)
    return _Expr(f"{args[0].operand(level)} {symbol} {args[1].operand(level + 1)}", precedence=level)


def _printing_spelling(node):
    """Operators and builtins first: they mean the same on arrays and on Python
    scalars, while a NumPy function turns a scalar into a NumPy scalar. A property
    (``x.T``) only prints a node whose other arguments all have their defaults."""
    op = node.op

    def rank(spelling):
        order = {"operator": 0, "subscript": 2, "property": 3, "function": 4, "method": 5}[spelling.kind]
        return 1 if spelling.kind == "function" and not spelling.scalars_to_array else order

    def applicable(spelling):
        if spelling.kind == "function" and spelling.varargs:
            return False
        if spelling.kind == "property":
            return all(arg.has_default and _is_constant_equal(value, arg.default)
                       for arg, value in zip(op.args[1:], node.inputs[1:]))
        return True

    candidates = [s for s in op.spellings if applicable(s)]
    if not candidates:
        raise TypeError(f"{op.name} has no spelling that printed code can use")
    return min(candidates, key=rank)


def _is_none(value: Value) -> bool:
    return value.node.kind == "prim::Constant" and value.node["value"] is None


def _is_true(value: Value) -> bool:
    return value.node.kind == "prim::Constant" and value.node["value"] is True


def _is_max_trip_count(value: Value) -> bool:
    return value.node.kind == "prim::Constant" and type(value.node["value"]) is int \
        and value.node["value"] == MAX_TRIP_COUNT


def _is_constant_equal(value: Value, default) -> bool:
    if value.node.kind != "prim::Constant":
        return False
    constant = value.node["value"]
    return type(constant) is type(default) and constant == default


def print_code(graph: Graph, name: str, parameters, return_type: T.Type) -> str:
    """``graph`` as the Python source of a script function named ``name``."""
    return CodePrinter(graph, name, parameters).print_function(return_type)
