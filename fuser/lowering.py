"""Lowering: a fusion group's subgraph becomes a kernel (``kernels.ir``).

Each node contributes its op's scalar formula (the registry entry), with its
inputs cast to the op's compute dtypes as NumPy's loop would, and its result
cast to the node's dtype. Python numbers in a formula are weak, as in NumPy 2:
they take the dtype of what they meet.

A Python int that its compute dtype cannot hold (NEP 50) gets NumPy's answer:
NumPy is asked, on probes, what the node does with it. A comparison is then the
same for every element and is folded; anything else (NumPy raises OverflowError,
or wraps as ``np.where`` does) leaves the node unfused, so NumPy runs it. A Python
int *input* is passed as int64 (uint64 when every use is uint64), and the kernel
carries the range of values it computes exactly; the launcher runs any other
value unfused.

A float power whose exponent NumPy's loop sees as one broadcast value becomes
``power_uniform``, NumPy's fast path (sqrt for 0.5, x*x for 2...): ``power_form``.
"""
from __future__ import annotations

import numpy as np

from jit import types as T
from jit.ir import Graph, arg_info
from jit.ops.scalar_expr import INPUT, Binary, Call, Cast, Const, IfFloat, Input, Like, Unary, build
from kernels.ir import BOOL_RESULTS, Instr, Kernel, Operand, Output, UnsupportedKernel
from kernels.ir import Const as KConst

from .multi_output import element_types, is_element_read

_PYTHON_SCALARS = {T.INT: "int64", T.FLOAT: "float64", T.BOOL: "bool"}


class _Weak:
    """A Python number in a formula, not yet given a dtype."""
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def scalar_dtype(kind) -> str | None:
    """The kernel dtype of a Python scalar type, None for other types."""
    return _PYTHON_SCALARS.get(kind)


def holds(dtype, value: int) -> bool:
    """Whether NumPy converts the Python int ``value`` to ``dtype`` without an
    OverflowError (bool takes any int; a float takes any int up to its float64 limit)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        limits = np.iinfo(dtype)
        return limits.min <= value <= limits.max
    if dtype.kind == "f":
        try:
            float(value)
        except OverflowError:
            return False
    return True


def weak_int_refusal(op, infos, compute, result_dtype) -> str | None:
    """Why a node with these argument infos and compute dtypes cannot be fused
    because of a Python int constant outside its compute dtype, or None."""
    answer = _out_of_range_answer(op, infos, compute, result_dtype)
    return answer if isinstance(answer, str) else None


def _is_python_int(info) -> bool:
    return info.type == T.INT and info.is_constant and type(info.value) is int


def _out_of_range_answer(op, infos, compute, result_dtype):
    """None when every Python int constant fits its compute dtype. Otherwise NumPy's
    answer, found by running the op on probes of the array inputs' extreme values:
    a bool when the result is that for every element (a comparison), else a str
    saying why the node stays unfused (NumPy raises, or gives a result a kernel
    does not reproduce, such as np.where's wrap-around)."""
    outside = [info.value for info, dtype in zip(infos, compute)
               if dtype is not None and _is_python_int(info) and not holds(dtype, info.value)]
    if not outside:
        return None
    probes = [_probe(info) for info in infos]
    try:
        with np.errstate(all="ignore"):
            answer = np.asarray(op.eager(np, *probes))
    except Exception as error:  # noqa: BLE001 - NumPy's own error is the answer
        return f"NumPy raises {type(error).__name__} for the Python int {outside[0]}: {error}"
    arrays = sum(isinstance(info.type, T.TensorType) for info in infos)
    scalars_known = all(info.is_constant for info in infos if not isinstance(info.type, T.TensorType))
    if arrays == 1 and scalars_known and answer.dtype == np.bool_ and np.dtype(result_dtype) == np.bool_ \
            and answer.size and (answer == answer.flat[0]).all():
        return bool(answer.flat[0])
    return f"NumPy's result for the Python int {outside[0]}, outside its dtype's range, has no kernel form"


def _probe(info):
    """A stand-in for one argument when asking NumPy: an array input becomes its
    dtype's edge values; a constant is itself; another Python number a sample."""
    if isinstance(info.type, T.TensorType):
        dtype = np.dtype(info.type.dtype)
        if dtype.kind in "iu":
            limits = np.iinfo(dtype)
            return np.array(sorted({limits.min, min(limits.max, max(limits.min, -1)), 0, 1, limits.max}), dtype)
        return np.array([False, True]).astype(dtype)
    if info.is_constant:
        return info.value
    return {T.INT: 1, T.FLOAT: 1.0, T.BOOL: True}.get(info.type)


POWER_OPS = ("power", "power_operator")
UNIFORM, SQRT_AT_HALF = "uniform", "sqrt at 0.5"


def power_form(node, compute) -> str | None:
    """How NumPy computes a float power node where that is not pow of every element:
    UNIFORM where its float32/float64 loop sees the exponent as one value broadcast to every
    element, and takes its fast path (kernels.ir.UNIFORM_POWERS): a Python number, a 0-d array
    or NumPy scalar, or an array of one element broadcast against a base of another shape (exact
    shapes known; NumPy's loop runs same-shape operands with their own strides); SQRT_AT_HALF
    for a float16 array ** a Python float (ndarray.__pow__ runs np.sqrt for exactly 0.5; the
    float16 loop has no fast path); else None, and the kernel calls pow.

    Not reproduced, where NumPy's answer depends on its iterator: an exponent broadcast along
    some dimensions only (NumPy takes the fast path per row on some sizes and layouts: (2, 1)
    against (2, 20000), not (3, 1) against (3, 3)), and in a DYNAMIC specialization an exponent
    array that has one element at run time. There pow differs from the fast path at
    sqrt(-inf), sqrt(-0.0), sNaN ** 0 and by up to 1 ulp."""
    if node.op is None or node.op.short_name not in POWER_OPS or len(set(compute)) != 1:
        return None
    dtype = np.dtype(compute[0])
    if dtype.kind != "f":
        return None
    base, exponent = (value.type for value in node.inputs)
    if dtype == np.float16:
        return SQRT_AT_HALF if node.op.short_name == "power_operator" and exponent == T.FLOAT else None
    if not isinstance(exponent, T.TensorType) or exponent.shape == ():
        return UNIFORM
    base_shape = base.shape if isinstance(base, T.TensorType) else ()
    one_element = all(size == 1 for size in exponent.shape)
    if one_element and base_shape and None not in base_shape and tuple(base_shape) != exponent.shape:
        return UNIFORM
    return None


def lower(subgraph: Graph, name: str) -> Kernel:
    return _Lowering(subgraph, name).kernel()


class _Lowering:
    def __init__(self, subgraph: Graph, name: str):
        self.graph, self.name = subgraph, name
        self.body: list[Instr] = []
        self.env: dict[int, object] = {}  # id(Value) -> operand/instruction name or _Weak
        self.dtypes: dict[str, str] = {}
        self.operands: list[Operand] = []
        self.python_ints: set[str] = set()  # operands that are Python ints
        self.compute = {id(node): node.op.compute_dtypes([arg_info(v) for v in node.inputs])
                        for node in subgraph.block.nodes
                        if node.kind != "prim::Constant" and not is_element_read(node)}

    def kernel(self) -> Kernel:
        rank = 0
        for index, value in enumerate(self.graph.inputs):
            operand_name = f"a{index}"
            if isinstance(value.type, T.TensorType):
                operand = Operand(operand_name, value.type.dtype.name, value.type.ndim)
                rank = max(rank, operand.rank)
            elif value.type == T.INT:
                operand = self.python_int(operand_name, value)
            else:
                operand = Operand(operand_name, _PYTHON_SCALARS[value.type], 0, is_array=False)
            self.operands.append(operand)
            self.env[id(value)] = operand_name
            self.dtypes[operand_name] = operand.dtype
        for node in self.graph.block.nodes:
            if node.kind == "prim::Constant":
                self.env[id(node.output)] = _Weak(node["value"])
            elif is_element_read(node):
                self.element_read(node)
            else:
                self.env[id(node.output)] = self.node(node)
        outputs = []
        for index, value in enumerate(self.graph.outputs):
            if not isinstance(value.type, T.TensorType):
                raise UnsupportedKernel(f"%{value.debug_name}, a {value.type}, would be a kernel output")
            stored = self.env[id(value)]
            dtype = value.type.dtype.name
            if isinstance(stored, _Weak) or self.dtypes[stored] != dtype:
                stored = self.cast(stored, dtype)
            outputs.append(Output(f"out{index}", stored, dtype))
            rank = max(rank, value.type.ndim)
        return Kernel(self.name, tuple(self.operands), tuple(self.body), tuple(outputs), rank)

    def python_int(self, name: str, value) -> Operand:
        """The operand of a Python int input: passed as uint64 when every integer
        use of it is uint64, else as int64, with the values every use holds."""
        uses = []
        for node in self.graph.block.nodes:
            compute = self.compute.get(id(node), ())
            uses += [np.dtype(c) for v, c in zip(node.inputs, compute) if v is value and c is not None]
        integers = [d for d in uses if d.kind in "iu"]
        passed = np.dtype(np.uint64 if integers and all(d == np.uint64 for d in integers) else np.int64)
        low, high = int(np.iinfo(passed).min), int(np.iinfo(passed).max)
        for dtype in integers:
            low, high = max(low, int(np.iinfo(dtype).min)), min(high, int(np.iinfo(dtype).max))
        self.python_ints.add(name)
        return Operand(name, passed.name, 0, is_array=False, limits=(low, high))

    # -- one node -------------------------------------------------------------------
    def node(self, node):
        op = node.op
        infos = [arg_info(v) for v in node.inputs]
        compute = self.compute[id(node)]
        wanted = element_types(node)[0].dtype.name
        folded = _out_of_range_answer(op, infos, compute, wanted)
        if isinstance(folded, str):
            raise UnsupportedKernel(f"{op.short_name}: {folded}")
        if isinstance(folded, bool):  # a comparison with a number beyond the dtype: the same for every element
            index = next(i for i, info in enumerate(infos) if isinstance(info.type, T.TensorType))
            typed = self.convert(self.env[id(node.inputs[index])], np.dtype(compute[index]).name)
            return self.emit("eq" if folded else "ne", (typed, typed), "bool")  # keeps the array's shape
        form = power_form(node, compute)
        if form is not None:
            result = self.numpy_power(node, form, np.dtype(compute[0]).name)
            return result if self.dtypes[result] == wanted else self.cast(result, wanted)
        # An argument without a compute dtype is a static value, or one the op ignores here
        # (an omitted bound, or a Python int bound NumPy's clip drops): the formula gets None.
        arguments = [INPUT if c is not None else (info.value if arg.static else None)
                     for c, info, arg in zip(compute, infos, op.args)]
        expression = build(op.formula, arguments)
        loaded = {}
        for index, dtype in enumerate(compute):
            if dtype is not None:
                loaded[index] = self.convert(self.env[id(node.inputs[index])], np.dtype(dtype).name)
        if isinstance(expression, tuple):  # one expression per output (divmod): the tuple of their results
            return tuple(self.typed(self.expression(part, loaded), element.dtype.name)
                         for part, element in zip(expression, element_types(node)))
        return self.typed(self.expression(expression, loaded), wanted)

    def typed(self, result, dtype: str):
        return self.cast(result, dtype) if isinstance(result, _Weak) or self.dtypes[result] != dtype else result

    def element_read(self, node):
        """An unpack or constant index of a multi-output node's tuple of results."""
        parts = self.env[id(node.inputs[0])]
        if node.kind == "prim::TupleUnpack":
            for value, part in zip(node.outputs, parts):
                self.env[id(value)] = part
        else:
            self.env[id(node.output)] = parts[self.env[id(node.inputs[1])].value]

    def expression(self, expr, loaded):
        if isinstance(expr, Input):
            return loaded[expr.index]
        if isinstance(expr, Const):
            return _Weak(expr.value)
        if isinstance(expr, Cast):
            return self.convert(self.expression(expr.operand, loaded), expr.dtype.name)
        if isinstance(expr, IfFloat):  # a branch on the dtype, taken here
            like = self.unify([self.expression(expr.like, loaded)])[0]
            chosen = expr.then if np.dtype(self.dtype_of(like)).kind == "f" else expr.otherwise
            return self.expression(chosen, loaded)
        if isinstance(expr, Like):  # a number in the dtype of a value: typed, not weak
            like = self.unify([self.expression(expr.like, loaded)])[0]
            return self.constant(expr.number(self.dtype_of(like)), self.dtype_of(like))
        if isinstance(expr, Binary):
            lhs, rhs = self.expression(expr.lhs, loaded), self.expression(expr.rhs, loaded)
            lhs, rhs = self.unify([lhs, rhs])
            result = "bool" if expr.op in BOOL_RESULTS else self.dtype_of(lhs)
            return self.emit(expr.op, (lhs, rhs), result)
        if isinstance(expr, Unary):
            operand = self.unify([self.expression(expr.operand, loaded)])[0]
            return self.emit(expr.op, (operand,), "bool" if expr.op in BOOL_RESULTS else self.dtype_of(operand))
        if isinstance(expr, Call):
            args = [self.expression(a, loaded) for a in expr.args]
            if expr.name == "where":
                condition = self.convert(args[0], "bool")
                branches = self.unify(args[1:])
                return self.emit("where", (condition, *branches), self.dtype_of(branches[0]))
            args = self.unify(args)
            result = "bool" if expr.name in BOOL_RESULTS else self.dtype_of(args[0])
            return self.emit(expr.name, tuple(args), result)
        raise UnsupportedKernel(f"formula node {expr!r} has no kernel form")

    def numpy_power(self, node, form: str, dtype: str) -> str:
        """A power node as NumPy computes it where that is not pow of every element (``power_form``)."""
        base = self.convert(self.env[id(node.inputs[0])], dtype)
        exponent = self.env[id(node.inputs[1])]
        if form == UNIFORM:  # a literal exponent stays a constant, which the renderer folds
            exponent = (KConst(float(np.dtype(dtype).type(float(exponent.value))), dtype)
                        if isinstance(exponent, _Weak) else self.convert(exponent, dtype))
            return self.emit("power_uniform", (base, exponent), dtype)
        # float16 ** a Python float: np.sqrt for exactly 0.5 (before the float16 rounding), else pow
        if isinstance(exponent, _Weak):
            if exponent.value == 0.5:
                return self.emit("sqrt", (base,), dtype)
            return self.emit("power", (base, self.convert(exponent, dtype)), dtype)
        half = self.emit("eq", (exponent, self.constant(0.5, self.dtypes[exponent])), "bool")
        root = self.emit("sqrt", (base,), dtype)
        general = self.emit("power", (base, self.convert(exponent, dtype)), dtype)
        return self.emit("where", (half, root, general), dtype)

    # -- values ---------------------------------------------------------------------
    def unify(self, values):
        """Give weak numbers the dtype of the typed values beside them (all typed
        values already share the op's compute dtype, or are promoted here)."""
        typed = [self.dtypes[v] for v in values if not isinstance(v, _Weak)]
        if not typed:
            common = np.result_type(*[v.value for v in values]).name
        else:
            common = typed[0]
            for other in typed[1:]:
                common = np.promote_types(common, other).name
        return [self.convert(v, common) for v in values]

    def convert(self, value, dtype: str):
        if isinstance(value, _Weak):
            return self.constant(value.value, dtype)
        if value in self.python_ints and dtype in ("float32", "float16"):
            value = self.cast(value, "float64")  # NumPy rounds a Python int to a double first
        return value if self.dtypes[value] == dtype else self.cast(value, dtype)

    def constant(self, value, dtype: str) -> str:
        target = f"c{len(self.body)}"
        if type(value) is int and not holds(dtype, value):
            raise UnsupportedKernel(f"the Python int {value} does not fit {dtype}")
        python = bool(value) if dtype == "bool" else (float(value) if dtype.startswith("float") else int(value))
        # A constant is an instruction too (a cast of the literal), so every name has one dtype.
        self.body.append(Instr(target, "cast", (KConst(python, dtype),), dtype))
        self.dtypes[target] = dtype
        return target

    def cast(self, value, dtype: str) -> str:
        if isinstance(value, _Weak):
            return self.constant(value.value, dtype)
        return self.emit("cast", (value,), dtype)

    def dtype_of(self, value) -> str:
        return self.dtypes[value]

    def emit(self, op: str, args, dtype: str) -> str:
        target = f"t{len(self.body)}"
        self.body.append(Instr(target, op, tuple(args), dtype))
        self.dtypes[target] = dtype
        return target
