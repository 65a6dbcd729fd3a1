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

import numpy as np

import device as _device
from jit import types as T
from jit.ops import NO_DEFAULT
from jit.ops.prim import MAX_TRIP_COUNT

from .graph import Block, Graph, Node, Value
from .expression_inlining import inlinable_values, short_circuit
from .python_code import UNSAFE_IN_NAME, PythonCodeGen, base_name, is_constant

_NAMELESS = ("prim::Constant", "prim::Uninitialized", "prim::Param")
_FLAT_CHAIN = 8  # longer chains of ifs ending a loop body print with 'continue' (loop_body)


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


class CodePrinter(PythonCodeGen):
    REGION = "with jit.strict_fusion():"
    STATEMENTS = {**PythonCodeGen.STATEMENTS, "prim::RaiseException": "raise_statement",
                  "prim::ListSetItem": "set_item", "prim::DictSetItem": "set_item", "np::setitem": "set_subscript",
                  "prim::SetAttr": "set_attribute"}

    def __init__(self, graph: Graph, name: str, parameters):
        super().__init__(graph, name, parameters)
        self.taken: set[str] = set(_RESERVED)
        self.next_number: dict[str, int] = {}  # base -> the number fresh() tries first
        self.constant_numbers = {id(array): index for index, array in enumerate(tensor_constants(graph))}

    # -- naming ---------------------------------------------------------------------
    def fresh(self, base: str) -> str:
        base = UNSAFE_IN_NAME.sub("_", base) or "_"
        if base[0].isdigit():
            base = "_" + base
        candidate, counter = base, self.next_number.get(base, 0)
        while candidate in self.taken:  # each base goes on from its last number: no rescans
            candidate = f"{base}{counter}"
            counter += 1
        self.next_number[base] = counter
        self.taken.add(candidate)
        return candidate

    def variable_base(self, value: Value) -> str:
        return base_name(value, "_")

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

    def text(self, value: Value) -> str:
        return self.expr(value).text

    def expression(self, node: Node) -> str:
        return self.node_expr(node).text

    def node_expr(self, node: Node) -> _Expr:
        op, inputs = node.op, node.inputs
        kind = node.kind
        if kind == "prim::TupleConstruct" and isinstance(node.output.type, T.NamedTupleType):
            return _Expr(f"{node.output.type.name}({', '.join(self.text(v) for v in inputs)})")
        if kind == "prim::TupleIndex" and isinstance(inputs[0].type, T.NamedTupleType) \
                and inputs[1].node.kind == "prim::Constant":
            return _Expr(f"{self.expr(inputs[0]).operand()}.{inputs[0].type.fields[inputs[1].node['value']]}")
        if kind == "prim::TupleConstruct":
            items = [self.text(v) for v in inputs]
            return _Expr("(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")")
        if kind == "prim::ListConstruct":
            if not inputs and node.output.type != T.ListType(T.TENSOR):  # [] alone is List[Tensor]
                return _Expr(f"jit.annotate({node.output.type.annotation_str()}, [])")
            return _Expr("[" + ", ".join(self.text(v) for v in inputs) + "]")
        if kind == "prim::DictConstruct":
            if not inputs and node.output.type != T.DictType(T.STR, T.TENSOR):  # {} alone is Dict[str, Tensor]
                return _Expr(f"jit.annotate({node.output.type.annotation_str()}, {{}})")
            pairs = zip(inputs[0::2], inputs[1::2])
            return _Expr("{" + ", ".join(f"{self.text(k)}: {self.text(v)}" for k, v in pairs) + "}")
        if kind == "prim::SliceConstruct":
            return _Expr("slice(" + ", ".join(self.text(v) for v in inputs) + ")")
        if kind in ("prim::TupleIndex", "prim::ListIndex", "np::getitem", "prim::DictIndex", "prim::str_index"):
            return _Expr(f"{self.expr(inputs[0]).operand()}[{self.index_text(inputs[1])}]")
        if kind in ("prim::ListSlice", "prim::TupleSlice", "prim::str_slice"):
            bounds = ":".join("" if is_constant(v, None) else self.text(v) for v in inputs[1:])
            return _Expr(f"{self.expr(inputs[0]).operand()}[{bounds}]")
        if kind == "prim::unchecked_cast":  # refinement: recompiling the same check restores it
            return self.expr(inputs[0])
        if kind == "prim::If":  # an inlined short-circuit: a and b, a or b
            word, first, second = short_circuit(node)
            level = _PRECEDENCE[word]
            return _Expr(f"{self.expr(first).operand(level)} {word} {self.expr(second).operand(level + 1)}",
                         precedence=level)
        if kind == "prim::annotate":
            return _Expr(f"jit.annotate({node.output.type.annotation_str()}, {self.text(inputs[0])})")
        if kind == "prim::fork":
            callee, arguments = self.callee(node, node["call"])
            return _Expr(f"jit.fork({', '.join([callee] + [self.text(v) for v in arguments])})")
        if kind in ("prim::CallFunction", "prim::CallMethod", "prim::PythonOp"):
            callee, arguments = self.callee(node, kind)
            return _Expr(f"{callee}({', '.join(self.text(v) for v in arguments)})")
        if kind == "prim::CreateObject":
            return _Expr(f"{node.output.type.annotation_str()}({', '.join(self.text(v) for v in inputs)})")
        if kind == "prim::GetAttr":
            return _Expr(self.attribute_text(inputs[0], node["name"]))
        if kind == "prim::range_length":
            return _Expr("len(range(" + ", ".join(self.text(v) for v in inputs) + "))")
        if kind == "prim::range_array":  # recompiled by the frontend's reading of a range as array data
            return _Expr("np.asarray(range(" + ", ".join(self.text(v) for v in inputs) + "))")
        spelling = _printing_spelling(node)
        args = [self.expr(v) for v in inputs]
        if spelling.kind == "operator":
            return _operator_expr(spelling.name, args)
        if spelling.kind == "property":
            return _Expr(f"{args[0].operand()}.{spelling.name}")
        if spelling.kind == "method":
            return _Expr(f"{args[0].operand()}.{spelling.name}({self.call_arguments(op, inputs, 1)})")
        return _Expr(f"{spelling.name}({self.call_arguments(op, inputs, 0)})")

    def callee(self, node: Node, call: str):
        """(callee text, argument values) of a call of kind ``call``: ``f(...)``,
        ``obj.method(...)``, or a Python function's (``self.f`` for an ignored method,
        with the object left out of the arguments)."""
        inputs = node.inputs
        if call == "prim::CallFunction":
            return inputs[0].node["value"].name, inputs[1:]
        if call == "prim::CallMethod":
            return f"{self.expr(inputs[0]).operand()}.{node['name']}", inputs[1:]
        if node.attrs.get("method"):
            return f"{self.expr(inputs[0]).operand()}.{node['function'].__name__}", inputs[1:]
        return node["function"].__name__, inputs

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
            start, stop, step = ("" if is_constant(v, None) else self.text(v) for v in node.inputs)
            return f"{start}:{stop}" + (f":{step}" if step else "")
        return self.text(value)

    def call_arguments(self, op, inputs, skip) -> str:
        if op.variadic:
            return ", ".join(self.text(v) for v in inputs[skip:])
        pieces, pending = [], []
        for arg, value in list(zip(op.args, inputs))[skip:]:
            is_default = arg.has_default and is_constant(value, arg.default)
            text = self.text(value)
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
    def statement_of(self, node: Node):
        if node.kind not in self.STATEMENTS and node.op is not None and node.op.writes and node.outputs:
            return "print_augmented"
        return super().statement_of(node)

    def assign_results(self, indent: int, targets, results):
        """Assign a block's results to targets, leaving out values of paths that raised."""
        pairs = [(t, self.text(v)) for t, v in zip(targets, results) if v.node.kind != "prim::Uninitialized"]
        self.assign(indent, [t for t, _ in pairs], [v for _, v in pairs])

    def raise_statement(self, node: Node, indent: int):
        exception = node.inputs[1].node["value"]
        message = node.inputs[0]
        is_empty = message.node.kind == "prim::Constant" and message.node["value"] == ""
        self.emit(indent, f"raise {exception}({'' if is_empty else self.text(message)})")

    def set_item(self, node: Node, indent: int):
        container, index, value = (self.expr(v) for v in node.inputs)
        self.emit(indent, f"{container.operand()}[{index.text}] = {value.text}")

    def set_subscript(self, node: Node, indent: int):
        array, value = self.expr(node.inputs[0]), self.expr(node.inputs[2])
        self.emit(indent, f"{array.operand()}[{self.index_text(node.inputs[1])}] = {value.text}")

    def set_attribute(self, node: Node, indent: int):
        self.emit(indent, f"{self.attribute_text(node.inputs[0], node['name'])} = {self.text(node.inputs[1])}")

    def print_augmented(self, node: Node, indent: int):
        """``x += y``: the target keeps its name where nothing reads its old value
        later; else the new name is bound to it first (``x1 = x`` then ``x1 += y``:
        one array for an ndarray, as the graph says, a new value for a NumPy scalar)."""
        target, operand = node.inputs
        symbol = next(s.name for s in node.op.spellings if s.kind == "operator")
        text = self.text(target)
        if id(target) in self.names and _no_later_use(target, node):
            self.share_name(text, node.output)
        else:
            name = self.name_of(node.output)
            self.emit(indent, f"{name} = {text}")
            text = name
        self.emit(indent, f"{text} {symbol} {self.text(operand)}")

    def if_statement(self, node: Node, indent: int):
        targets = [self.name_of(v) for v in node.outputs]
        for block in node.blocks:
            for target, result in zip(targets, block.returns):
                # A branch's result computed for it alone prints under the if's name
                # (found = key in e), not through a temporary that renaming would move.
                if (result.node.owning_block is block and len(result.uses) == 1 and id(result) not in self.inlined
                        and id(result) not in self.names and result.node.kind not in _NAMELESS):
                    self.names[id(result)] = target
        super().if_statement(node, indent)

    def loop_header(self, node: Node, carried: list, indent: int):
        body = node.blocks[0]
        trip_count, condition = node.inputs[0], node.inputs[1]
        finite = not is_constant(trip_count, MAX_TRIP_COUNT)
        is_for = finite and is_constant(condition, True)  # a for loop, maybe left by a trailing 'if X: break'
        forever = not finite and is_constant(condition, True) and is_constant(body.returns[0], True) \
            and not body.params[0].uses
        iteration, condition_name, counter = body.params[0], None, None
        if is_for:
            self.emit(indent, f"for {self.name_of(iteration)} in range({self.text(trip_count)}):")
        elif forever:
            self.emit(indent, "while True:")
        else:
            condition_name = next((name for name, init, result in zip(carried, node.inputs[2:], body.returns[1:])
                                   if init is condition and result is body.returns[0]), None)
            if condition_name is None:
                if (condition.node.kind != "prim::Constant" and id(condition) not in self.inlined
                        and len(condition.uses) == 1):
                    condition_name = self.name_of(condition)  # only the loop reads it: reuse its name
                else:
                    condition_name = self.fresh("cond")
                    self.emit(indent, f"{condition_name} = {self.text(condition)}")
            counter = self.name_of(iteration) if iteration.uses or finite else None
            if counter is not None:
                self.emit(indent, f"{counter} = 0")
            bound = f"{counter} < {self.expr(trip_count).operand(_PRECEDENCE['<'] + 1)} and " if finite else ""
            self.emit(indent, f"while {bound}{condition_name}:")

        def finish(results, at):
            targets = list(carried)
            values = [self.text(result) for result in results[1:]]
            if not (is_for or forever):
                if condition_name not in targets:
                    targets.insert(0, condition_name)
                    values.insert(0, self.text(results[0]))
                if counter is not None:
                    targets.append(counter)
                    values.append(f"{counter} + 1")
            self.assign(at, targets, values)
            if is_for and not is_constant(results[0], True):
                self.emit(at, f"if {self.negated(results[0])}: break")
        return finish

    def loop_body(self, block: Block, indent: int, finish):
        """A body ending in a chain of more than _FLAT_CHAIN ifs, each in the other branch
        of the one before, prints as it was written before the frontend moved the
        statements after each ``continue`` into the other branch: ``if c: ... continue``,
        then the other branch at the same indentation; so long ``continue`` chains print
        flat (Python refuses 100 indentation levels)."""
        results = list(block.returns)
        if _tail_chain(block) <= _FLAT_CHAIN:
            self.block(block, indent)
            return finish(results, indent)
        while True:
            last = _last_statement(block)
            if not _ends_iteration(last):
                break
            self.block(block, indent, until=last)
            self.emit(indent, f"if {self.text(last.inputs[0])}:")
            then, other = last.blocks
            if any(v.node.kind == "prim::Uninitialized" for v in then.returns):  # it raised
                self.block(then, indent + 1)
            else:
                self.block(then, indent + 1)
                finish(_through(results, last, then), indent + 1)
                self.emit(indent + 1, "continue")
            block, results = other, _through(results, last, other)
        self.block(block, indent)
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
            self.block(block, indent, until=last)
            self.emit(indent, f"if {self.text(last.inputs[0])}:")
            start = len(self.lines)
            self.print_returning(last.blocks[0], indent + 1)
            if len(self.lines) == start:
                self.emit(indent + 1, "pass")
            block = last.blocks[1]
        self.block(block, indent)
        if result.node.kind != "prim::Uninitialized":  # else every path raised
            self.emit(indent, f"return {self.text(result)}")

    def negated(self, condition: Value) -> str:
        """The text of ``not condition``, without a double negation."""
        if condition.node.kind == "prim::not" and id(condition) in self.inlined:
            return self.text(condition.node.inputs[0])
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
            # A Generator default is the caller's object, not a value a file holds: loaded, it is an argument.
            if spec.default is not NO_DEFAULT and not isinstance(spec.default, np.random.Generator):
                text += f" = {literal(spec.default).text}"
            params.append(text)
        return self.function_text(f"def {self.name}({', '.join(params)}) -> {return_type.annotation_str()}:")


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
            return all(arg.has_default and is_constant(value, arg.default)
                       for arg, value in zip(op.args[1:], node.inputs[1:]))
        return True

    candidates = [s for s in op.spellings if applicable(s)]
    if not candidates:
        raise TypeError(f"{op.name} has no spelling that printed code can use")
    return min(candidates, key=rank)


def _no_later_use(value: Value, node: Node) -> bool:
    """Whether every use of ``value`` but ``node``'s comes before ``node`` in its block."""
    earlier = set()
    current = node.prev
    while current is not None and current.kind != "prim::Param":
        earlier.add(id(current))
        current = current.prev
    return all(use.user is node or id(use.user) in earlier for use in value.uses)


def print_code(graph: Graph, name: str, parameters, return_type: T.Type) -> str:
    """``graph`` as the Python source of a script function named ``name``."""
    return CodePrinter(graph, name, parameters).print_function(return_type)
