"""The recorder: emits the nodes of a trace and runs each one as it is emitted.

A trace is the frontend's call machinery driven by a run instead of by source:
the Recorder is a CallEmitter — the same binding of call-site arguments to an
operator's canonical arguments, the same conversions and type rules as script
code — whose ``emit_node`` also executes the node on the concrete values. The
traced function sees real results (proxies holding them), and the graph records
how each was made.
"""
from __future__ import annotations

import copy
import operator
from contextlib import contextmanager

import numpy as np

import device as _device
from jit import ops
from jit import types as T
from jit.errors import TracingError
from jit.ops.conversion import is_array_data
from jit.frontend.calls import CallEmitter, reads_ranges
from jit.frontend.sugared import ConstantValue, RangeValue, SimpleValue
from jit.frontend.writes import WriteEmitter

from . import locations


# Python's number types name NumPy dtypes (int is int64 on Linux, float float64).
_BUILTIN_DTYPES = (bool, int, float, complex)


def is_tensor_value(value) -> bool:
    return _device.is_array(value) or isinstance(value, np.generic)


def refined_type(value) -> T.TensorType:
    if isinstance(value, np.generic):
        value = np.asarray(value)
    return T.refined_type_of_value(value)


def _run(node, arguments):
    """Run one node on concrete values: calls go to the compiled callee."""
    if node.kind == "prim::CallFunction":
        return arguments[0]._run(*arguments[1:])
    if node.kind == "prim::CallMethod":
        owner = arguments[0]
        return owner._type.methods[node["name"]]._run(owner, *arguments[1:])
    return node.op(*arguments)


class Frame:
    """One graph being recorded: the traced function, or one method of a traced
    module (``module`` is that module and ``self_value`` its graph input)."""

    def __init__(self, graph, module=None, self_value=None):
        self.graph, self.module, self.self_value = graph, module, self_value
        self.concrete: dict[int, object] = {}  # id(Value) -> what it held in this run
        self.reads: dict[tuple, object] = {}   # attribute path from self -> the Value read
        self.unpacks: list = []  # the nodes that handed a tuple's, list's or dict's elements to Python
        self.numpy_scalars: dict[int, np.generic] = {}  # id(Value) of a number constant -> the NumPy scalar it was


class Recorder(CallEmitter, WriteEmitter):
    """Records one trace (with its nested method frames) into graphs."""

    def __init__(self, tree=None):
        self.frames: list[Frame] = []
        self.tree = tree                       # the module tree being traced, or None for a function
        self.parameter_names: dict[int, str] = {}  # id(array) -> name, for arrays that must not be baked
        self.finished = False
        self.busy = 0  # > 0 while the recorder itself runs NumPy (type rules, ops): not the user's calls
        self.bakes: list[str] = []  # "file:line" of each traced value turned into a Python value
        self._baked: list = []  # the prim::Constant nodes of arrays, holding the array itself (as TorchScript)
        self._snapshots: dict[int, tuple] = {}  # id(an array owning its memory) -> (it, its copy)

    def note_bake(self):
        """A traced value became a Python value (or a NumPy array) here: the dataflow is cut."""
        frame = locations.user_frame(for_warning=True)
        if frame is not None:
            self.bakes.append(f"{frame.f_code.co_filename}:{frame.f_lineno}")

    def records_calls(self) -> bool:
        """Whether a factory called now was called by the traced code."""
        return self.busy == 0

    @contextmanager
    def internal(self):
        """The recorder's own NumPy calls (type rules, running ops) are not recorded."""
        self.busy += 1
        try:
            yield
        finally:
            self.busy -= 1

    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    # -- the CallEmitter interface -------------------------------------------------------
    def fail(self, message, loc):
        raise TracingError(message, loc)

    def emit_node(self, kind, inputs, output_types, loc, **attrs):
        return self.run_node(kind, inputs, output_types, loc, attrs)

    def emit_constant(self, value, loc):
        node = self.frame.graph.create("prim::Constant", [], [T.type_of_constant(value)], loc, value=value)
        self.frame.graph.block.append(node)
        if _device.is_array(value):
            self._baked.append(node)
        self.frame.concrete[id(node.output)] = value
        return node.output

    def _keep_baked_values(self, written):
        """Before the run writes ``written``: a baked constant whose memory it may write keeps
        the values it had (x1 **= np.asanyarray(x1) bakes x1, then writes x1), the run goes on
        with the array itself, as NumPy does."""
        if not _device.is_array(written):
            return
        kept = []
        for node in self._baked:
            array = node["value"]
            if isinstance(array, np.ndarray) and isinstance(written, np.ndarray):
                overlaps = np.may_share_memory(array, written)
            else:
                overlaps = type(array) is type(written)  # CuPy: assumed to
            if overlaps:
                node["value"] = self._snapshot(array)
            else:
                kept.append(node)
        self._baked = kept  # (a snapshot is no longer the caller's array)

    def _snapshot(self, array):
        """``array``'s values now, as a view of one copy of the memory it views: constants that
        are views of one array stay views of one array (one storage in the archive)."""
        if not isinstance(array, np.ndarray):
            return array.copy()
        root = array
        while isinstance(root.base, np.ndarray):
            root = root.base
        if root.base is not None or not (root.flags.c_contiguous or root.flags.f_contiguous):
            return array.copy(order="K")  # memory NumPy does not own (a buffer): this array alone
        kept = self._snapshots.get(id(root))
        if kept is None or kept[0] is not root:
            kept = self._snapshots[id(root)] = (root, root.copy(order="K"))
        offset = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        return np.ndarray(array.shape, array.dtype, buffer=kept[1], offset=offset, strides=array.strides)

    def run_node(self, kind, inputs, output_types, loc, attrs, results=None):
        """Append a node to the current graph and record what its outputs hold:
        ``results`` when given (calls the recorder made itself), else the op run
        eagerly on the inputs' concrete values."""
        frame = self.frame
        node = frame.graph.create(kind, inputs, output_types, loc, **attrs)
        frame.graph.block.append(node)
        if results is None:
            for index in getattr(node.op, "writes", ()):
                self._keep_baked_values(frame.concrete[id(inputs[index])])
            with self.internal():
                result = _run(node, [frame.concrete[id(v)] for v in inputs])
            results = [result] if node.outputs else []
        for output, result in zip(node.outputs, results):
            frame.concrete[id(output)] = result
            if isinstance(output.type, T.TensorType) and is_tensor_value(result):
                output.type = refined_type(result)
        return node

    # -- Python values to graph values ---------------------------------------------------------
    def value_of(self, obj, loc, output=False):
        """The graph value standing for ``obj`` in the current graph: a traced value's
        own, a constant, or a tuple, list, slice or dict built from those. NumPy
        scalars stay themselves in an ``output``; see numpy_scalar for arguments."""
        traced = getattr(obj, "_traced_value_in", None)
        if traced is not None:
            return traced(self, loc)
        if isinstance(obj, np.generic):
            if output or not isinstance(obj, (np.bool_, np.integer, np.floating)):
                return self.emit_constant(obj, loc)
            return self.numpy_scalar(obj, loc)
        if _device.is_array(obj):
            return self.bake(obj, loc)
        if isinstance(obj, type) and (issubclass(obj, np.generic) or obj in _BUILTIN_DTYPES):
            return self.emit_constant(np.dtype(obj), loc)  # astype(float) as script code reads it: float64
        if isinstance(obj, tuple):
            values = [self.value_of(item, loc, output) for item in obj]
            return self.run_node("prim::TupleConstruct", values, [T.TupleType(v.type for v in values)], loc, {}).output
        if isinstance(obj, list):
            values = [self.value_of(item, loc, output) for item in obj]
            element = T.TENSOR if not values else values[0].type
            for value in values[1:]:
                element = T.unify(element, value.type)
                if element is None:
                    if not output and is_array_data(T.TupleType(v.type for v in values)):
                        # arrays and numbers ([x.sum(), 1.0]): NumPy's array data, as script code takes it
                        values = [self._kept_scalar(v, T.TENSOR, loc) or v for v in values]
                        return self.run_node("prim::TupleConstruct", values, [T.TupleType(v.type for v in values)],
                                             loc, {}).output
                    self.fail("a list passed to an operation must hold values of one type, got "
                              + ", ".join(v.type.annotation_str() for v in values), loc)
            return self.run_node("prim::ListConstruct", values, [T.ListType(T.erase_refinement(element))],
                                 loc, {}).output
        if isinstance(obj, slice):
            values = [self.value_of(part, loc) for part in (obj.start, obj.stop, obj.step)]
            return self.run_node("prim::SliceConstruct", values, [T.SLICE], loc, {}).output
        if isinstance(obj, dict):
            values = [self.value_of(item, loc, output) for pair in obj.items() for item in pair]
            node_type = T.erase_refinement(ops.lookup("prim::DictConstruct").result_type([ops.ArgInfo(v.type) for v in values]))
            return self.run_node("prim::DictConstruct", values, [node_type], loc, {}).output
        try:
            return self.emit_constant(obj, loc)
        except TypeError:
            self.fail(f"the tracer cannot record a value of type {type(obj).__module__}.{type(obj).__qualname__} "
                      "here; traced code passes arrays, numbers, strings, dtypes, None and tuples, lists and "
                      "dicts of those to array operations", loc)

    def argument_of(self, arg, spelling, loc):
        """A call's argument as script code reads it: a range passed to a NumPy function stays a
        range, which it reads as array data or as indices (np.random.choice(range(n)), x.take(range(n)))."""
        if isinstance(arg, range) and reads_ranges(spelling):  # while tracing, a TracedRange is a range too
            return RangeValue([self.value_of(bound, loc) for bound in (arg.start, arg.stop, arg.step)], loc)
        return SimpleValue(self.value_of(arg, loc))

    def numpy_scalar(self, scalar, loc):
        """A NumPy scalar the traced code passes to an operation (a constant it read,
        or computed from no input): a Python number where the operation takes one
        (a size, an index, an axis), and the scalar itself, its dtype kept, where it
        takes an array (``x + np.float32(2)`` promotes as NumPy does)."""
        value = self.emit_constant(scalar.item(), loc)
        self.frame.numpy_scalars[id(value)] = scalar
        return value

    def _kept_scalar(self, value, expected, loc):
        """The NumPy scalar ``value`` came from, as a constant, if ``expected`` takes it."""
        scalar = self.frame.numpy_scalars.get(id(value))
        if scalar is None or not T.type_of_constant(scalar).is_subtype_of(expected):
            return None
        return self.emit_constant(scalar, loc)

    def convert_arguments(self, op, spelling, name, values, locs):
        canonical = op.args
        values = [self._kept_scalar(value, canonical[min(index, len(canonical) - 1)].type, loc) or value
                  for index, (value, loc) in enumerate(zip(values, locs))]
        return super().convert_arguments(op, spelling, name, values, locs)

    def coerce(self, value, expected, loc, arrays_from_data=True):
        return self._kept_scalar(value, expected, loc) or super().coerce(value, expected, loc, arrays_from_data)

    def bake(self, array, loc):
        """An array the trace did not make, as a constant of the graph."""
        name = self.parameter_names.get(id(array))
        if name is not None:
            locations.warn(f"the parameter '{name}' is baked into the trace as a constant, so the traced function "
                           "will not see later changes to it (nor move with the module): trace the module itself "
                           "with jit.trace(module, inputs) or jit.trace_module(module, {'forward': inputs}) to "
                           "keep parameters as attributes")
        dev = _device.of(array)
        if dev.type != "cpu":
            locations.warn(f"an array on {dev} is baked into the trace as a constant: the traced function will use "
                           f"it on {dev} whatever device its inputs are on (make it from an input with like=x or "
                           "np.zeros_like(x), or trace on the device you will run on)")
        return self.emit_constant(array, loc)

    # -- graph values to Python values ----------------------------------------------------------
    def wrap(self, value, loc=None):
        """What the traced Python code gets for a graph value: a proxy that records
        what is done with it, or (for values the trace treats as constants) the value."""
        from .proxies import (TracedArray, TracedDtype, TracedNumber,  # noqa: PLC0415 - proxies use the recorder
                              TracedShape)

        frame = self.frame
        concrete = frame.concrete[id(value)]
        kind = value.type
        if value.node.kind == "prim::Constant":
            return concrete
        if is_tensor_value(concrete):
            return TracedArray(concrete, value, self, frame)
        if kind in (T.INT, T.FLOAT) and type(concrete) in (int, float):
            return TracedNumber(concrete, value, self, frame)
        if kind == T.DTYPE and isinstance(concrete, np.dtype):
            return TracedDtype(concrete, value, self, frame)
        if kind == T.GENERATOR:
            from .generators import TracedGenerator  # noqa: PLC0415 - proxies use the recorder

            return TracedGenerator(concrete, value, self, frame)
        if isinstance(kind, (T.VarTupleType, T.TupleType)) and isinstance(concrete, tuple) \
                and all(type(item) is int for item in concrete) and not T.is_namedtuple_class(type(concrete)):
            return TracedShape(self.unpacked(value, concrete, loc), value, frame)
        if isinstance(concrete, (tuple, list, dict)):
            items = self.unpacked(value, concrete, loc)
            if isinstance(concrete, dict):
                return dict(zip(concrete, items))
            if T.is_namedtuple_class(type(concrete)):
                return type(concrete)(*items)
            return type(concrete)(items)
        return concrete

    def unpacked(self, value, concrete, loc):
        """The elements of a tuple, list or dict value, each wrapped."""
        kind = value.type
        if isinstance(concrete, dict):
            items = []
            for key, item in concrete.items():
                key_value = self.emit_constant(key, loc)
                node = self.run_node("prim::DictIndex", [value, key_value], [kind.value], loc, {}, [item])
                self.frame.unpacks.append(node)
                items.append(self.wrap(node.output, loc))
            return items
        if isinstance(kind, T.VarTupleType):
            outputs = []
            for index, item in enumerate(concrete):
                position = self.emit_constant(index, loc)
                node = self.run_node("prim::TupleIndex", [value, position], [kind.element], loc, {}, [item])
                self.frame.unpacks.append(node)
                outputs.append(node.output)
        else:
            element_types = list(kind.elements) if isinstance(kind, T.TupleType) else [kind.element] * len(concrete)
            unpack = "prim::TupleUnpack" if isinstance(concrete, tuple) else "prim::ListUnpack"
            node = self.run_node(unpack, [value], element_types, loc, {}, list(concrete))
            self.frame.unpacks.append(node)
            outputs = node.outputs
        return [self.wrap(output, loc) for output in outputs]

    # -- recording calls ----------------------------------------------------------------------
    def record(self, op, spelling, args, kwargs, receiver=None, overloads=None):
        """Record a call of ``op`` (spelled as the user spelled it) and return its result."""
        try:
            return self._record(op, spelling, args, kwargs, receiver, overloads)
        except TracingError as refusal:
            if spelling is not None and spelling.kind == "function" and callable(spelling.python):
                raise_as_python(refusal, spelling.python, args, kwargs)
            elif spelling is not None and spelling.kind == "method" and receiver is not None:
                raise_as_python(refusal, lambda owner, *a, **k: getattr(owner, spelling.name)(*a, **k),
                                (receiver, *args), kwargs)
            elif spelling is not None and spelling.kind == "operator" and spelling.name in PYTHON_OPERATORS:
                raise_as_python(refusal, PYTHON_OPERATORS[spelling.name], args, kwargs)
            raise

    def _record(self, op, spelling, args, kwargs, receiver, overloads):
        loc = locations.source_range()
        values = [(self.argument_of(arg, spelling, loc), loc) for arg in args]
        keywords = {name: (self.argument_of(arg, spelling, loc), loc) for name, arg in kwargs.items()}
        self_value = self.value_of(receiver, loc) if receiver is not None else None
        with self.internal():
            if overloads is not None and len(overloads) > 1:
                result = self.emit_overloaded_call(overloads, values, keywords, loc, self_value)
            else:
                result = self.emit_op_call(op, spelling, values, keywords, loc, self_value)
        if isinstance(result, ConstantValue):
            return result.value
        return self.wrap(result.value, loc)

    def call_module(self, module, args, kwargs):
        from .modules import call_module  # noqa: PLC0415 - modules builds on the recorder

        return call_module(self, module, args, kwargs)

    def call_script_function(self, function, args, kwargs):
        """A script function called while tracing: a call node, its control flow kept."""
        loc = locations.source_range()
        values = [(SimpleValue(self.value_of(arg, loc)), loc) for arg in args]
        keywords = {name: (SimpleValue(self.value_of(arg, loc)), loc) for name, arg in kwargs.items()}
        with self.internal():
            result = self.emit_script_call(function, values, keywords, loc)
        return self.wrap(result.value, loc)

    def record_operator(self, symbol, operands):
        try:
            return self._record_operator(symbol, operands)
        except TracingError as refusal:
            if symbol in PYTHON_OPERATORS:
                raise_as_python(refusal, PYTHON_OPERATORS[symbol], operands, {})
            raise

    def _record_operator(self, symbol, operands):
        loc = locations.source_range()
        values = [(SimpleValue(self.value_of(operand, loc)), loc) for operand in operands]
        with self.internal():
            result = self.emit_operator(symbol, values, loc)
        return self.wrap(result.value, loc)


_BINARY_OPERATORS = {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "//": "floordiv", "%": "mod", "**": "pow",
                     "@": "matmul", "&": "and_", "|": "or_", "^": "xor", "<<": "lshift", ">>": "rshift"}
# What each operator symbol the recorder sees does in Python (x -= y is operator.isub).
PYTHON_OPERATORS = {
    **{symbol: getattr(operator, name) for symbol, name in _BINARY_OPERATORS.items()},
    **{symbol + "=": getattr(operator, "i" + name.rstrip("_")) for symbol, name in _BINARY_OPERATORS.items()},
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne,
    "unary -": operator.neg, "unary +": operator.pos, "unary ~": operator.invert,
}


def raise_as_python(refusal, call, args, kwargs):
    """When the registry refuses a call the trace meets, raise what the traced code itself raises
    there (``bool_array -= True`` is NumPy's TypeError), so a trace fails as its function does;
    returns when the call succeeds in Python (then the refusal is the tracer's own). Runs on copies
    of the concrete values: an in-place operator writes nothing of this run, a generator draws nothing."""
    def concrete(value):
        value = getattr(value, "_concrete", value)
        if isinstance(value, (tuple, list)):
            return type(value)(concrete(item) for item in value)
        if isinstance(value, dict):
            return {key: concrete(item) for key, item in value.items()}
        if _device.is_array(value) or isinstance(value, (np.random.Generator, np.random.RandomState)):
            return copy.deepcopy(value)  # the run's arrays and generator states stay as they are
        return value

    try:
        with np.errstate(all="ignore"):
            call(*concrete(tuple(args)), **concrete(dict(kwargs)))
    except Exception as error:  # noqa: BLE001 - whatever the code raises is what the trace raises
        error.add_note(f"(raised while tracing; the tracer's own message: {refusal})")
        raise error.with_traceback(None) from None
