"""The TorchScript text format of graphs, and the .code printer."""
from __future__ import annotations

import numpy as np

from jit import types as T
from jit.ir import Graph
from jit.ir.printer import format_constant

from ...helpers import script_source


def test_graph_text_format():
    function, eager = script_source('''
    def f(x, n: int):
        r = x
        for i in range(n):
            if i < 10:
                r = r - 1.0
            else:
                r = r + 1.0
        return r
    ''')
    lines = str(function.graph).splitlines()
    assert lines[0] == "graph(%x : Tensor,"
    assert lines[1] == "      %n : int):"
    assert lines[-1] == "  return (%r)"
    loop = next(line for line in lines if "prim::Loop" in line)
    assert loop.startswith("  %r : Tensor = prim::Loop(%n, ")
    for_line = eager.__code__.co_firstlineno + 2  # the 'for' statement, at column 4
    assert loop.rstrip().split(" # ")[1] == f"{eager.__code__.co_filename}:{for_line}:4"
    assert any(line.strip().startswith("block0(%i : int, %r.") for line in lines)
    assert any(line.strip().startswith("-> (") for line in lines)
    assert any("prim::Constant[value=10]()" in line for line in lines)
    assert any("prim::Constant[value=1.]()" in line for line in lines)


def test_constants_format_like_torchscript():
    assert format_constant(True) == "1" and format_constant(False) == "0"
    assert format_constant(1.0) == "1." and format_constant(0.25) == "0.25"
    assert format_constant("cpu") == '"cpu"' and format_constant(np.dtype("float32")) == "float32"
    assert format_constant((1, 2.5)) == "(1, 2.5)" and format_constant((3,)) == "(3,)"


def test_refined_types_print_with_dtype_shape_and_device():
    assert str(T.TensorType(np.float32, (4096, 1024), "cpu")) == "Float(4096, 1024, device=cpu)"
    assert str(T.TensorType(np.int64, (None, 3))) == "Long(*, 3)"
    assert str(T.TENSOR) == "Tensor"
    assert str(T.TupleType([T.INT, T.TENSOR])) == "(int, Tensor)"
    assert str(T.ListType(T.INT)) == "int[]" and str(T.OptionalType(T.INT)) == "int?"
    assert str(T.VarTupleType(T.INT)) == "(int, ...)"
    assert T.VarTupleType(T.INT).annotation_str() == "Tuple[int, ...]"


def test_nodes_with_several_outputs_and_none_constants():
    graph = Graph()
    t = graph.add_input(T.TupleType([T.INT, T.FLOAT]), "t")
    unpack = graph.block.append(graph.create("prim::TupleUnpack", [t], [T.INT, T.FLOAT]))
    none = graph.block.append(graph.create("prim::Constant", [], [T.NONE], value=None))
    graph.register_output(unpack.outputs[1])
    text = str(graph)
    assert f"%{unpack.outputs[0].debug_name} : int, %{unpack.outputs[1].debug_name} : float = prim::TupleUnpack(%t)" \
        in text
    assert f"%{none.output.debug_name} : NoneType = prim::Constant()" in text


def test_code_prints_python_with_operators_and_nesting():
    function, _ = script_source('''
    def f(x, y, n: int):
        a = x * y + 1.0
        b = np.tanh(-a) ** 2
        c = (a - b) / (a + b)
        if n > 0 and n < 5:
            c = c[1:, ::2]
        return c.sum(axis=0, keepdims=True), x.T, x.shape[0]
    ''')
    code = function.code
    assert "def f(x: Tensor, y: Tensor, n: int) -> Tuple[Tensor, Tensor, int]:" in code
    assert "np.tanh(-a) ** 2" in code
    assert "(a - b) / (a + b)" in code
    assert "[1:, ::2]" in code
    assert "np.sum(" in code and "keepdims=True" in code
    assert "x.T" in code and "x.shape[0]" in code


def test_early_returns_and_continues_print_flat_as_written():
    # The frontend nests the statements after each exit in a branch; printed, they stay flat.
    returns = "".join(f"    if x > {k}:\n        return {k}\n" for k in range(100))
    function, eager = script_source(f"def f(x: int):\n{returns}    return -1\n")
    for x in (-5, 0, 50, 99, 100):
        assert function(x) == eager(x)
    skips = "".join(f"        if i == {k}:\n            y = y + {k}.0\n            continue\n" for k in range(60))
    looping, looping_eager = script_source(f"def f(x, n: int):\n    y = x\n    for i in range(n):\n{skips}"
                                           "        y = y * 2.0\n    return y\n")
    np.testing.assert_array_equal(looping(np.ones(2), 70), looping_eager(np.ones(2), 70))
    for code in (function.code, looping.code):
        assert max(len(line) - len(line.lstrip(" ")) for line in code.splitlines()) <= 16
