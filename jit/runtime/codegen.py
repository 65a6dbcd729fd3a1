"""The executor's code generator: a graph becomes one Python function.

Each node is one line (its op's eager template, inlined), ``prim::If`` and
``prim::Loop`` become Python ``if``/``for``/``while``, and the function is
``exec``ed once; a call runs it directly, with no per-node interpretation.
Each line ends with the user's source location, so a traceback through
generated code points at the script line that failed.

Devices: arguments are checked once per call (all arrays on one device), and
the array module ``_xp`` of the call is bound once. A static pass decides for
each op whether its arrays come from the arguments (use ``_xp``) or were made on
the CPU by a factory without ``like=`` (use NumPy), as in eager code.
"""
from __future__ import annotations

import builtins
import itertools
import keyword
import linecache
import math
import operator
import re
import unicodedata
import weakref

import numpy as np

import device as _device
from jit import ops
from jit import types as T
from jit.errors import Error
from jit.ir import Block, Graph, Node, Value, free_values
from jit.ir.expression_inlining import inlinable_values, short_circuit
from jit.ir.python_code import PythonCodeGen, base_name, is_constant

from .futures import Future, fork

_BUILTIN_NAMES = frozenset(dir(builtins))  # what generated code calls by name: no parameter may hide one
# Names the generated code and the executor's dispatcher keep for themselves (their globals, _xp,
# _profile): no parameter may have one, nor a function one its own code reads.
_RESERVED = re.compile(r"_(np|xp|xp_of_call|xp_of_objects|ndarray|inf|nan|profile|last|miss|type)"
                       r"|_(const|convert|nested).*|_(g|default)[0-9]+")


def is_reserved_name(name: str) -> bool:
    return bool(_RESERVED.fullmatch(name)) or name in ops.TEMPLATE_GLOBALS
_SIMPLE_LITERALS = (bool, int, float, str, type(None))
# Python compiles at most 20 nested loops and 100 indentation levels in one function;
# a block nested deeper than these bounds becomes a function of its own (see ``outline``).
_MAX_LOOPS = 16
_MAX_INDENT = 32
_counter = itertools.count()


class ArgumentError(TypeError):
    """A script function was called with an argument of the wrong type."""


def _type_error(function_name, param, expected, value):
    return ArgumentError(f"{function_name}() expected a value of type '{expected.annotation_str()}' for argument "
                         f"'{param}' but found type '{type(value).__name__}'")


# ndarray subclasses that every operator treats as a plain array: a memmap is an
# ndarray whose buffer is a file. Compiled code computes with plain arrays, so any other
# subclass (MaskedArray's mask, matrix's ``*`` as a matrix product, units) would lose
# what it adds without a word: it is refused.
_PLAIN_ARRAY_TYPES = (np.ndarray, np.memmap)


def _subclass_error(function_name, param, value):
    cls = type(value)
    return ArgumentError(f"{function_name}() got a {cls.__module__}.{cls.__qualname__} for argument '{param}': "
                         "compiled code computes with plain arrays and would silently drop what this ndarray "
                         f"subclass adds (a mask, matrix semantics...); pass np.asarray({param}) to compute with its "
                         "data, or call the function eagerly")


REGISTRIES = frozenset({"_parameters", "_buffers", "_modules"})


def is_safe_identifier(name) -> bool:
    """Whether ``name`` may be written as ``obj.name`` in generated source: an
    identifier Python reads as itself, not a keyword, not a dunder."""
    return (isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)
            and unicodedata.normalize("NFKC", name) == name and not (name.startswith("__") and name.endswith("__")))


def _unchecked_name(name) -> AssertionError:
    # Names reach the generator from the frontend (parsed identifiers) or from a loaded
    # file (checked by jit.serialization.names): one that is not safe is a bug, never source.
    return AssertionError(f"the code generator was given the attribute name {name!r}, which no check let through")


def converter(expected: T.Type, function_name: str, param: str):
    """A function that returns the argument as a value of type ``expected``
    (numbers converted as Python would) or raises ArgumentError."""

    def fail(value):
        raise _type_error(function_name, param, expected, value)

    if isinstance(expected, T.TensorType):
        def to_array(value):
            if type(value) in _PLAIN_ARRAY_TYPES:
                return value
            if isinstance(value, np.ndarray):
                raise _subclass_error(function_name, param, value)
            return value if _device.is_array(value) else fail(value)
        return to_array
    if expected == T.INT:
        def to_int(value):
            if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
                return operator.index(value)
            return fail(value)
        return to_int
    if expected == T.FLOAT:
        def to_float(value):
            if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
                return float(value)
            return fail(value)
        return to_float
    if expected == T.BOOL:
        return lambda value: bool(value) if isinstance(value, (bool, np.bool_)) else fail(value)
    if expected == T.STR:
        return lambda value: value if isinstance(value, str) else fail(value)
    if expected == T.NONE:
        return lambda value: value if value is None else fail(value)
    if expected == T.DTYPE:
        def to_dtype(value):
            try:
                return np.dtype(value)
            except TypeError:
                return fail(value)
        return to_dtype
    if isinstance(expected, T.FutureType):
        return lambda value: value if isinstance(value, Future) else fail(value)
    if isinstance(expected, T.ClassType) and expected.kind == "module":  # a ScriptModule of this type
        return lambda value: value if getattr(value, "__dict__", {}).get("_type") is expected else fail(value)
    if isinstance(expected, T.ClassType):
        cls = expected.python_class
        return lambda value: value if isinstance(value, cls) else fail(value)
    if isinstance(expected, T.OptionalType):
        inner = converter(expected.element, function_name, param)
        return lambda value: None if value is None else inner(value)
    if isinstance(expected, T.TupleType):
        parts = [converter(e, function_name, param) for e in expected.elements]
        named = expected.cls if isinstance(expected, T.NamedTupleType) else None

        def to_tuple(value):
            if not isinstance(value, tuple) or len(value) != len(parts):
                return fail(value)
            if named is not None and not isinstance(value, named) and getattr(type(value), "_fields", None) \
                    != named._fields:  # a NamedTuple of the same fields (a loaded model rebuilds its class) fits
                return fail(value)
            items = [convert(v) for convert, v in zip(parts, value)]
            return named(*items) if named is not None else tuple(items)
        return to_tuple
    if isinstance(expected, T.VarTupleType):
        member = converter(expected.element, function_name, param)

        def to_var_tuple(value):
            if not isinstance(value, tuple):
                return fail(value)
            return tuple(member(v) for v in value)
        return to_var_tuple
    if isinstance(expected, T.ListType):
        element = converter(expected.element, function_name, param)

        def to_list(value):
            if not isinstance(value, (list, tuple)):
                return fail(value)
            return [element(v) for v in value]
        return to_list
    return lambda value: value


def call_array_module(function_name, names, values):
    """The array module of a call's arrays; raises if they live on different devices."""
    found = {}
    for name, value in zip(names, values):
        for array in _arrays_in(value):
            found.setdefault(_device.of(array), name)
    if len(found) > 1:
        listing = ", ".join(f"'{name}' on {dev}" for dev, name in found.items())
        raise RuntimeError(f"{function_name}() got arrays on different devices ({listing}); "
                           "move them to one device with device.to(array, dev)")
    return _device.array_module(next(iter(found))) if found else np


def objects_array_module(*objects):
    """The array module of the first array the objects (modules, script objects) hold."""
    for obj in objects:
        for array in _arrays_of_object(obj):
            return _device.array_module(array)
    return np


def _arrays_of_object(obj):
    attributes = getattr(obj, "__dict__", {})
    for registry in (attributes.get("_parameters", {}), attributes.get("_buffers", {}), attributes):
        for value in registry.values():
            if _device.is_array(value):
                yield value
    for module in attributes.get("_modules", {}).values():
        yield from _arrays_of_object(module)


def _arrays_in(value):
    if _device.is_array(value):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _arrays_in(item)


def create_object(cls, init, *args):
    """A new instance of a script class, initialized by its compiled __init__."""
    obj = cls.__new__(cls)
    if init is not None:
        init(obj, *args)
    return obj


def _checked(function, check):
    """``function`` with its result checked (a Python function's result, used by script code)."""
    def checked(*args):
        return check(function(*args))
    return checked


def _unused_stub(name):
    def unused(*args):
        raise Error(f"RuntimeError: {name} is marked @jit.unused and cannot run in script code")
    return unused


class DeviceClasses:
    """Which tensor values come from the call's arguments (device of the call) and
    which were made on the CPU by factories without ``like=``. Objects (modules,
    script objects) passed in carry the call's device to the arrays read from them.

    One propagation over the graph's value dependencies: each value and node is
    visited once, however deeply loops nest."""

    def __init__(self, graph: Graph):
        self.from_call: set[int] = set()
        # id(value) -> what follows it: Values that are from-call when it is, and Nodes
        # whose outputs all are (one entry per node, not one per input-output pair).
        follows: dict[int, list] = {}

        def link(source: Value, target):
            follows.setdefault(id(source), []).append(target)

        for node in graph.all_nodes():
            if node.kind == "prim::If":
                for block in node.blocks:
                    for result, output in zip(block.returns, node.outputs):
                        link(result, output)
            elif node.kind == "prim::Loop":
                body = node.blocks[0]
                for init, param, result, output in zip(node.inputs[2:], body.params[1:], body.returns[1:],
                                                       node.outputs):
                    link(init, param)
                    link(result, param)
                    link(param, output)
            elif node.outputs:
                for value in node.inputs:
                    link(value, node)
        pending = [value for value in graph.inputs if _carries_arrays(value.type)]
        reached_nodes: set[int] = set()
        while pending:
            value = pending.pop()
            if id(value) in self.from_call:
                continue
            self.from_call.add(id(value))
            for target in follows.get(id(value), ()):
                if isinstance(target, Node):
                    if id(target) in reached_nodes:
                        continue
                    reached_nodes.add(id(target))
                    pending.extend(v for v in target.outputs if _carries_arrays(v.type))
                elif _carries_arrays(target.type):
                    pending.append(target)

    def uses_call_device(self, node: Node) -> bool:
        return any(_carries_arrays(v.type) and id(v) in self.from_call for v in node.inputs)


class ExecutorCodeGen(PythonCodeGen):
    STATEMENTS = {**PythonCodeGen.STATEMENTS, "prim::SetAttr": "set_attribute", "prim::FusionGroup": "launch_kernel"}

    def __init__(self, graph: Graph, name: str, parameters, profiling: bool = False, refined: bool = False):
        super().__init__(graph, name, parameters)
        # Profiling code names every value (nothing inlined) and reports each array
        # value to ``_profile(index, value)``; ``profiled`` lists them by index.
        self.profiling = profiling
        self.profiled: list[Value] = []
        self.globals = {"_np": np, "_xp_of_call": call_array_module, "_xp_of_objects": objects_array_module, "_ndarray": np.ndarray,
                        "_inf": math.inf, "_nan": math.nan, **ops.TEMPLATE_GLOBALS}
        self.parameter_names: set = set()
        self.devices = DeviceClasses(graph)
        # ``refined``: the graph's refined types hold for every call (a specialization's,
        # behind its guards), so they may prove an inlined node cannot raise.
        self.inlined = set() if profiling else inlinable_values(graph.block, refined, _unread_inputs)
        self.loop_counter = itertools.count()
        self.loops_open = 0  # loops enclosing the line being written, in its Python function
        self.binds_xp = False  # whether the prologue binds the call's array module _xp
        self.deletions: dict[int, list] = {}  # id(node) -> the arrays to delete after its statement

    # -- names and expressions -----------------------------------------------------
    def bind_global(self, prefix: str, value) -> str:
        name = self.fresh(f"_{prefix}{len(self.globals)}")  # (a parameter may be named _method5)
        self.globals[name] = value
        return name

    def variable_base(self, value: Value) -> str:
        return f"{base_name(value, 'v')}_{value.unique}"

    def fresh(self, name: str) -> str:
        """``name``, or longer when a parameter has it: parameters keep the names the source gave them,
        which may look like the generator's own (``y_3``, ``cond_0``, ``_``)."""
        while name in self.parameter_names or name == self.name:
            name += "_"
        return name

    def text(self, value: Value) -> str:
        node = value.node
        if node.kind == "prim::Constant":
            return self.constant(node["value"])
        if node.kind == "prim::Uninitialized":
            return "None"  # only on paths that raised
        if id(value) in self.inlined:
            return f"({self.expression(node)})"
        return self.name_of(value)

    def expression(self, node: Node) -> str:
        if node.kind == "prim::TupleConstruct" and isinstance(node.output.type, T.NamedTupleType):
            cls = self.bind_global("namedtuple", node.output.type.cls)
            return f"{cls}({', '.join(self.text(v) for v in node.inputs)})"
        if node.kind == "prim::annotate":  # a static widening: the same object
            return self.text(node.inputs[0])
        if node.kind == "prim::If":  # an inlined short-circuit, as Python's own lazy and/or
            word, first, second = short_circuit(node)
            return f"{self.text(first)} {word} {self.text(second)}"
        if node.kind == "prim::GetAttr":
            return self.attribute(node.inputs[0], node["name"])
        if node.kind == "prim::CallMethod":  # straight into the method's generated code
            method = node.inputs[0].type.methods[node["name"]]
            arguments = ", ".join(self.text(v) for v in node.inputs)
            return f"{self.bind_global('method', method._run)}({arguments})"
        if node.kind == "prim::CreateObject":
            kind = node.output.type
            init = kind.methods.get("__init__")
            cls = self.bind_global("class", kind.python_class)
            make = self.bind_global("create", create_object)
            init_name = self.bind_global("init", init._run) if init is not None else "None"
            return f"{make}({', '.join([cls, init_name] + [self.text(v) for v in node.inputs])})"
        if node.kind == "prim::fork":
            target, arguments = self.fork_target(node)
            return f"{self.bind_global('fork', fork)}({', '.join([target] + arguments)})"
        if node.kind == "prim::CallFunction":  # straight into the callee's generated code
            callee = self.bind_global("call", node.inputs[0].node["value"]._run)
            return f"{callee}({', '.join(self.text(v) for v in node.inputs[1:])})"
        if node.kind == "prim::PythonOp":
            if node["mode"] == "unused":
                function = self.bind_global("unused", _unused_stub(node["name"]))
                return f"{function}()"
            function = self.bind_global("python", node["function"])
            call = f"{function}({', '.join(self.text(v) for v in node.inputs)})"
            if node.output.type in (T.ANY, T.NONE) or not node.output.uses:
                return call  # a statement call: its result is not used, so not checked
            check = self.bind_global("convert", converter(node.output.type, node["name"] + " (a Python function)",
                                                          "its result"))
            return f"{check}({call})"
        op = node.op
        if op.template is None and op.render_fn is None:
            self.globals[op.impl_global] = op.impl
        xp = "_xp" if self.devices.uses_call_device(node) else "_np"
        scalars = all(v.type in T.PYTHON_SCALAR_TYPES for v in node.inputs)
        return op.render([self.text(v) for v in node.inputs], xp, scalars)

    def attribute(self, owner: Value, name: str) -> str:
        """An attribute of an object: a module's parameters, buffers and submodules
        are read from their registries directly (the fast path of nn.Module's lookup)."""
        slot = owner.type.slots.get(name)
        if slot is not None:
            if slot not in REGISTRIES:
                raise _unchecked_name(slot)
            return f"{self.text(owner)}.{slot}[{name!r}]"
        if not is_safe_identifier(name):
            raise _unchecked_name(name)
        return f"{self.text(owner)}.{name}"

    def fork_target(self, node: Node):
        """(callable, argument expressions) of the call a prim::fork starts."""
        arguments = [self.text(v) for v in node.inputs]
        call = node["call"]
        if call == "prim::CallFunction":
            return self.bind_global("call", node.inputs[0].node["value"]._run), arguments[1:]
        if call == "prim::CallMethod":
            return self.bind_global("method", node.inputs[0].type.methods[node["name"]]._run), arguments
        if node["mode"] == "unused":
            return self.bind_global("unused", _unused_stub(node["name"])), []
        function, result = node["function"], node.output.type.element  # an ignored method takes self first
        if result not in (T.ANY, T.NONE):
            check = converter(result, node["name"] + " (a Python function)", "its result")
            function = _checked(function, check)
        return self.bind_global("python", function), arguments

    def constant(self, value) -> str:
        # type(), not isinstance: np.float64 and np.str_ subclass float and str, and keep their type as globals
        if type(value) is float and not math.isfinite(value):
            return "_nan" if math.isnan(value) else ("_inf" if value > 0 else "(-_inf)")
        if type(value) in _SIMPLE_LITERALS:
            text = repr(value)
            return f"({text})" if text.startswith("-") else text
        if value is Ellipsis:
            return "..."
        return self.bind_global("const", value)

    # -- statements -------------------------------------------------------------------
    def location(self, node: Node | None) -> str:
        return f"  # {node.source_range}" if node is not None and node.source_range is not None else ""

    def block(self, block: Block, indent: int, until: Node | None = None) -> bool:
        self.deletions.update(self.dying_arrays(block))
        return super().block(block, indent, until)

    def after(self, node: Node, indent: int):
        if self.profiling:
            self.report(node.outputs, indent)
        if id(node) in self.deletions:
            self.emit(indent, f"del {', '.join(self.deletions[id(node)])}")

    def report(self, values, indent: int):
        """Profiling: pass each array value to ``_profile``."""
        for value in values:
            if isinstance(value.type, T.TensorType) and value.node.kind not in ("prim::Constant", "prim::Uninitialized"):
                self.emit(indent, f"_profile({len(self.profiled)}, {self.name_of(value)})")
                self.profiled.append(value)

    def dying_arrays(self, block: Block) -> dict:
        """id(statement) -> names of the arrays this block made whose last read is that
        statement: deleting them there frees their memory as eager code's temporaries
        would be freed, instead of when the function returns."""
        position = {}  # id(node) -> index of the statement that evaluates it
        nodes = list(block.nodes)
        for index in reversed(range(len(nodes))):
            node = nodes[index]
            if node.outputs and id(node.outputs[0]) in self.inlined:  # evaluated where its users are
                users = [position.get(id(use.user), len(nodes)) for use in node.output.uses]
                position[id(node)] = max(users, default=index)
            else:
                position[id(node)] = index
        returned = {id(v) for v in block.returns}
        dying: dict = {}
        for index, node in enumerate(nodes):
            if node.kind in ("prim::Loop", "prim::Constant") or position[id(node)] != index:
                continue  # loop outputs share names with the body; inlined and constant values have none
            for output in node.outputs:
                if not output.type.contains_tensor() or id(output) in returned:
                    continue
                # Its last read: the latest statement of this block holding a use (each use
                # walks up only the blocks between it and here, so nesting costs no rescans).
                dies_at = max((position.get(id(_statement_in(use.user, block)), index) for use in output.uses),
                              default=index)
                if dies_at < len(nodes):  # (a value read only by the block's return lives on)
                    dying.setdefault(id(nodes[dies_at]), []).append(self.name_of(output))
        return dying

    def set_attribute(self, node: Node, indent: int):
        owner, name = node.inputs[0], node["name"]
        # A module's own attributes are typed statically: no need for ScriptModule's checked setattr.
        if owner.type.kind == "class" or name in owner.type.slots:
            target = self.attribute(owner, name)
        elif is_safe_identifier(name):
            target = f"{self.text(owner)}.__dict__[{name!r}]"
        else:
            raise _unchecked_name(name)
        self.emit(indent, f"{target} = {self.text(node.inputs[1])}", node)

    def statement_of(self, node: Node) -> str | None:
        if node.kind == "np::setitem" and "fused_group" in node.attrs:
            return "fused_store"
        return super().statement_of(node)

    def fused_store(self, node: Node, indent: int):
        """A store its group's kernel does (fuser.inplace_store): written with the group, just above."""

    def launch_kernel(self, node: Node, indent: int):
        """A FusionGroup: one generated kernel, whose launcher returns its outputs; a
        group whose store is fused (fuser.inplace_store) launches into the view."""
        store_launch = node.attrs.get("store_launch")
        if store_launch is not None:
            setitem = node.outputs[store_launch.into].uses[0].user  # the next statement, which prints nothing
            launch = self.bind_global("store", store_launch)
            arguments = ", ".join(self.text(v) for v in [*setitem.inputs[:2], *node.inputs])
            self.emit(indent, f"{', '.join(self.name_of(v) for v in node.outputs)} = {launch}({arguments})", node)
            return
        launch = self.bind_global("kernel", node["kernel"].launch)
        arguments = ", ".join(self.text(v) for v in node.inputs)
        self.emit(indent, f"{', '.join(self.name_of(v) for v in node.outputs)} = {launch}({arguments})", node)

    def if_statement(self, node: Node, indent: int):
        if indent > _MAX_INDENT:
            return self.outline(node, indent)
        super().if_statement(node, indent)

    def loop_statement(self, node: Node, indent: int):
        if indent > _MAX_INDENT or self.loops_open >= _MAX_LOOPS:
            return self.outline(node, indent)
        self.loops_open += 1
        try:
            super().loop_statement(node, indent)
        finally:
            self.loops_open -= 1

    def outline(self, node: Node, indent: int):
        """``node`` as a call of a function of its own, written beside this one: Python
        refuses more than 20 nested loops or 100 indentation levels in one function,
        and the IR may nest deeper than its source (inlined calls, exit transforms).
        The function takes the values the node reads from outside (a value inlined into
        the node is computed at the call, where it would be computed anyway) and returns
        the node's outputs."""
        index = len(self.outlined)
        name = f"_nested{index}_{self.name}"  # longer than the function's name: never equal to it
        self.outlined.append("")  # reserve the index; the text is filled in below
        parameters, arguments = [], []
        if self.profiling:
            parameters.append("_profile")
        if self.binds_xp:
            parameters.append("_xp")
        arguments.extend(parameters)
        for value in free_values(node):
            if value.node.kind in ("prim::Constant", "prim::Uninitialized"):
                continue
            if id(value) in self.inlined:  # its single use is this node: evaluate it at the call
                arguments.append(self.text(value))
                self.inlined.discard(id(value))
            else:
                arguments.append(self.name_of(value))
            parameters.append(self.name_of(value))
        outer_lines, outer_loops = self.lines, self.loops_open
        self.lines, self.loops_open = [], 0
        try:
            self.node(node, 1)
            results = [self.name_of(v) for v in node.outputs]
            if results:
                self.emit(1, f"return {', '.join(results)},")
            body = self.lines
        finally:
            self.lines, self.loops_open = outer_lines, outer_loops
        self.outlined[index] = "\n".join([f"def {name}({', '.join(parameters)}):"] + body)
        call = f"{name}({', '.join(arguments)})"
        results = [self.name_of(v) for v in node.outputs]
        self.emit(indent, f"{', '.join(results)}, = {call}" if results else call, node)

    def loop_header(self, node: Node, carried: list, indent: int):
        body, trip_count, condition = node.blocks[0], node.inputs[0], node.inputs[1]
        iteration, goes_on = body.params[0], body.returns[0]
        unused = self.fresh("_")  # the counter of a loop that does not read it
        counter = self.name_of(iteration) if iteration.uses else unused
        unbounded = is_constant(trip_count, ops.prim.MAX_TRIP_COUNT)
        exits_early = not is_constant(goes_on, True)
        if is_constant(condition, True) and not unbounded:  # a for loop; a break ends it early
            self.emit(indent, f"for {counter} in range({self.text(trip_count)}):", node)

            def finish(results, at):
                self.assign(at, carried, [self.text(v) for v in results[1:]])
                if exits_early:
                    stop = (self.text(goes_on.node.inputs[0]) if goes_on.node.kind == "prim::not"
                            and id(goes_on) in self.inlined else f"not ({self.text(goes_on)})")
                    self.emit(at, f"if {stop}: break")
            return finish
        # The other loops' updates are spelled before the body is written.
        if is_constant(condition, True) and not exits_early:
            self.emit(indent, f"for {counter} in range({self.text(trip_count)}):", node)
            targets, values = list(carried), [self.text(v) for v in body.returns[1:]]
        else:
            condition_name = self.fresh(f"cond_{next(self.loop_counter)}")
            self.emit(indent, f"{condition_name} = {self.text(condition)}")
            if unbounded and counter == unused:
                self.emit(indent, f"while {condition_name}:", node)
            else:
                counter = self.name_of(iteration)
                self.emit(indent, f"{counter} = 0")
                self.emit(indent, f"while {counter} < {self.text(trip_count)} and {condition_name}:", node)
            targets, values = [condition_name] + list(carried), [self.text(v) for v in body.returns]
            if counter != unused:
                targets.append(counter)
                values.append(f"{counter} + 1")
        return lambda results, at: self.assign(at, targets, values)

    # -- the function -------------------------------------------------------------------
    def prologue(self):
        """Argument conversion and the call's array module."""
        tensor_params, container_params = [], []
        for spec in self.parameters:
            name, kind, shown = spec.name, spec.type, self.shown.get(spec.name, spec.name)
            if isinstance(kind, T.TensorType):
                check = self.bind_global("convert", converter(kind, self.name, shown))
                self.emit(1, f"if type({name}) is not _ndarray: {name} = {check}({name})")
                tensor_params.append(name)
            elif kind in (T.INT, T.FLOAT, T.STR):
                python_type = {T.INT: "int", T.FLOAT: "float", T.STR: "str"}[kind]
                check = self.bind_global("convert", converter(kind, self.name, shown))
                self.emit(1, f"if type({name}) is not {python_type}: {name} = {check}({name})")
            else:
                check = self.bind_global("convert", converter(kind, self.name, shown))
                self.emit(1, f"{name} = {check}({name})")
                if kind.contains_tensor():
                    container_params.append(name)
        if not (tensor_params or container_params):
            objects = [spec.name for spec in self.parameters if isinstance(spec.type, T.ClassType)]
            if objects:  # a method without array arguments: its object's arrays give the device
                self.emit(1, f"_xp = _xp_of_objects({', '.join(objects)})")
                self.binds_xp = True
            return
        every = tensor_params + container_params
        slow = f"_xp_of_call({self.name!r}, {tuple(self.shown.get(n, n) for n in every)!r}, ({', '.join(every)},))"
        self.binds_xp = True
        if container_params:
            self.emit(1, f"_xp = {slow}")
        else:
            fast = " and ".join(f"type({n}) is _ndarray" for n in tensor_params)
            self.emit(1, f"_xp = _np if {fast} else {slow}")

    def generate(self):
        assert all(is_reserved_name(name) for name in self.globals), "a global is missing from _RESERVED"
        for spec in self.parameters:
            if is_reserved_name(spec.name):
                raise ValueError(f"the parameter name '{spec.name}' is reserved by the code generator; rename it")
        # A parameter named like a builtin (type, len, input...) would hide it from the code, which calls
        # builtins by name: it is renamed here (calls pass arguments by position), kept in messages.
        renamed = [type(spec)(f"{spec.name}_{value.unique}", spec.type, spec.default)
                   if spec.name in _BUILTIN_NAMES else spec for spec, value in zip(self.parameters, self.graph.inputs)]
        self.shown = {new.name: spec.name for new, spec in zip(renamed, self.parameters)}
        self.parameters = renamed
        self.parameter_names = {spec.name for spec in renamed}
        for spec, value in zip(self.parameters, self.graph.inputs):
            self.names[id(value)] = spec.name
        self.prologue()
        if self.profiling:
            self.report(self.graph.inputs, 1)
        self.block(self.graph.block, 1)
        result = self.graph.outputs[0]
        self.emit(1, f"return {self.text(result)}", result.node if result.node.owning_block is self.graph.block
                  else None)
        params = (["_profile"] if self.profiling else []) + signature(self.parameters, self.constant)
        return self.function_text(f"def {self.name}({', '.join(params)}):")


def signature(parameters, constant) -> list[str]:
    """The parameter list of a generated function: ``x``, ``y=2.0``; ``constant``
    spells a default (binding it as a global when it is not a literal)."""
    return [spec.name if not spec.has_default else f"{spec.name}={constant(spec.default)}" for spec in parameters]


_unread_cache: dict = {}


def _unread_inputs(node: Node) -> frozenset:
    """Positions of ``node``'s inputs that its generated expression leaves out (a
    factory's ``like=`` gives only the array module, ``_xp``): found by rendering
    the op with a marker for each input."""
    op = node.op
    if op is None or op.structural:
        return frozenset()
    scalars = all(v.type in T.PYTHON_SCALAR_TYPES for v in node.inputs)
    key = (op.name, op.template, op.scalar_template, op.render_fn, scalars, len(node.inputs))
    unread = _unread_cache.get(key)
    if unread is None:
        markers = [f"_input{index}_" for index in range(len(node.inputs))]
        try:
            text = op.render(markers, "_xp", scalars)
        except Exception:  # noqa: BLE001 - a renderer that needs real expressions: inline nothing into it
            unread = frozenset(range(len(markers)))
        else:  # one pass over the text (a search per marker is quadratic in a 10,000-item dict literal)
            read = {int(number) for number in re.findall(r"_input(\d+)_", text)}
            unread = frozenset(index for index in range(len(markers)) if index not in read)
        _unread_cache[key] = unread
    return unread


def _statement_in(node: Node, block: Block) -> Node:
    """``node``, or the node of ``block`` whose blocks hold it."""
    while node.owning_block is not block:
        node = node.owning_block.owning_node
    return node


def _carries_arrays(kind) -> bool:
    return kind.contains_tensor() or isinstance(kind, T.ClassType)


def is_constant(value: Value, expected) -> bool:
    # The type first: a constant may be an array, whose == is elementwise.
    return value.node.kind == "prim::Constant" and type(value.node["value"]) is type(expected) \
        and value.node["value"] == expected


def generate(graph: Graph, name: str, parameters, refined: bool = False):
    """(source, function): the Python source generated for ``graph`` and the
    function it defines. The source is registered with linecache for tracebacks.
    ``refined``: the refined types of ``graph`` hold for every call (a specialization)."""
    generator = ExecutorCodeGen(graph, name, parameters, refined=refined)
    source = generator.generate()
    return source, define(source, name, generator.globals)


def generate_profiling(graph: Graph, name: str, parameters):
    """(source, function, values): like ``generate``, but the function takes a
    first argument ``_profile`` and calls ``_profile(i, array)`` with each array
    value it computes; ``values[i]`` is that array's Value in ``graph``."""
    generator = ExecutorCodeGen(graph, name, parameters, profiling=True)
    source = generator.generate()
    return source, define(source, name, generator.globals), generator.profiled


def define(source: str, name: str, namespace: dict):
    """Run generated ``source`` in a copy of ``namespace``; return what it defines as ``name``.
    The source is registered with linecache, so tracebacks show its lines, for as long
    as the function lives."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):  # a class's __init__ is fine
        raise _unchecked_name(name)
    if name in namespace:  # the function would replace a global its own code reads
        raise ValueError(f"the function name '{name}' is reserved by the code generator; rename it")
    filename = f"<arrayscript {name} #{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = dict(namespace)
    try:
        exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own generated code
    except BaseException:
        linecache.cache.pop(filename, None)
        raise
    function = namespace[name]
    weakref.finalize(function, linecache.cache.pop, filename, None).atexit = False
    return function
