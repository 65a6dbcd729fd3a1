"""Lowering: a fusion group's subgraph becomes a kernel (``kernels.ir``).

Each node contributes its op's scalar formula (the registry entry), with its
inputs cast to the op's compute dtypes as NumPy's loop would, and its result
cast to the node's dtype. Python numbers in a formula are weak, as in NumPy 2:
they take the dtype of what they meet.
"""
from __future__ import annotations

import numpy as np

from jit import types as T
from jit.ir import Graph, arg_info
from jit.ops.scalar_expr import INPUT, Binary, Call, Cast, Const, Input, Unary, build
from kernels.ir import BOOL_FUNCTIONS, COMPARISONS, Instr, Kernel, Operand, Output, UnsupportedKernel
from kernels.ir import Const as KConst

_PYTHON_SCALARS = {T.INT: "int64", T.FLOAT: "float64", T.BOOL: "bool"}


class _Weak:
    """A Python number in a formula, not yet given a dtype."""
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def scalar_dtype(kind) -> str | None:
    """The kernel dtype of a Python scalar type, None for other types."""
    return _PYTHON_SCALARS.get(kind)


def lower(subgraph: Graph, name: str) -> Kernel:
    return _Lowering(subgraph, name).kernel()


class _Lowering:
    def __init__(self, subgraph: Graph, name: str):
        self.graph, self.name = subgraph, name
        self.body: list[Instr] = []
        self.env: dict[int, object] = {}  # id(Value) -> operand/instruction name or _Weak
        self.dtypes: dict[str, str] = {}
        self.operands: list[Operand] = []

    def kernel(self) -> Kernel:
        rank = 0
        for index, value in enumerate(self.graph.inputs):
            operand_name = f"a{index}"
            if isinstance(value.type, T.TensorType):
                operand = Operand(operand_name, value.type.dtype.name, value.type.ndim)
                rank = max(rank, operand.rank)
            else:
                operand = Operand(operand_name, _PYTHON_SCALARS[value.type], 0, is_array=False)
            self.operands.append(operand)
            self.env[id(value)] = operand_name
            self.dtypes[operand_name] = operand.dtype
        for node in self.graph.block.nodes:
            if node.kind == "prim::Constant":
                self.env[id(node.output)] = _Weak(node["value"])
            else:
                self.env[id(node.output)] = self.node(node)
        outputs = []
        for index, value in enumerate(self.graph.outputs):
            stored = self.env[id(value)]
            dtype = value.type.dtype.name
            if isinstance(stored, _Weak) or self.dtypes[stored] != dtype:
                stored = self.cast(stored, dtype)
            outputs.append(Output(f"out{index}", stored, dtype))
            rank = max(rank, value.type.ndim)
        return Kernel(self.name, tuple(self.operands), tuple(self.body), tuple(outputs), rank)

    # -- one node -------------------------------------------------------------------
    def node(self, node):
        op = node.op
        infos = [arg_info(v) for v in node.inputs]
        compute = op.compute_dtypes(infos)
        arguments = [INPUT if c is not None else info.value for c, info in zip(compute, infos)]
        expression = build(op.formula, arguments)
        loaded = {}
        for index, dtype in enumerate(compute):
            if dtype is not None:
                loaded[index] = self.convert(self.env[id(node.inputs[index])], np.dtype(dtype).name)
        result = self.expression(expression, loaded)
        wanted = node.output.type.dtype.name
        if isinstance(result, _Weak) or self.dtypes[result] != wanted:
            result = self.cast(result, wanted)
        return result

    def expression(self, expr, loaded):
        if isinstance(expr, Input):
            return loaded[expr.index]
        if isinstance(expr, Const):
            return _Weak(expr.value)
        if isinstance(expr, Cast):
            return self.convert(self.expression(expr.operand, loaded), expr.dtype.name)
        if isinstance(expr, Binary):
            lhs, rhs = self.expression(expr.lhs, loaded), self.expression(expr.rhs, loaded)
            lhs, rhs = self.unify([lhs, rhs])
            result = "bool" if expr.op in COMPARISONS else self.dtype_of(lhs)
            return self.emit(expr.op, (lhs, rhs), result)
        if isinstance(expr, Unary):
            operand = self.unify([self.expression(expr.operand, loaded)])[0]
            return self.emit(expr.op, (operand,), "bool" if expr.op == "not" else self.dtype_of(operand))
        if isinstance(expr, Call):
            args = [self.expression(a, loaded) for a in expr.args]
            if expr.name == "where":
                condition = self.convert(args[0], "bool")
                branches = self.unify(args[1:])
                return self.emit("where", (condition, *branches), self.dtype_of(branches[0]))
            args = self.unify(args)
            result = "bool" if expr.name in BOOL_FUNCTIONS else self.dtype_of(args[0])
            return self.emit(expr.name, tuple(args), result)
        raise UnsupportedKernel(f"formula node {expr!r} has no kernel form")

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
        return value if self.dtypes[value] == dtype else self.cast(value, dtype)

    def constant(self, value, dtype: str) -> str:
        target = f"c{len(self.body)}"
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
