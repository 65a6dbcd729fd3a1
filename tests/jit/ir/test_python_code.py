"""The one walk that writes a graph as Python (jit.ir.python_code), which the .code
printer and the executor's code generator subclass."""
from __future__ import annotations

import pytest

from jit.ir.code_printer import CodePrinter
from jit.ir.python_code import is_constant, parallel_assignment
from jit.runtime.codegen import ExecutorCodeGen

from ...helpers import script_source


@pytest.mark.parametrize("generator", [CodePrinter, ExecutorCodeGen])
def test_every_statement_kind_names_a_method_of_its_generator(generator):
    for kind, method in generator.STATEMENTS.items():
        assert callable(getattr(generator, method, None)), f"{generator.__name__}: {kind} -> {method}"


def test_a_statement_like_op_is_one_entry_and_one_method():
    function, _ = script_source('''
    def f(x, n: int):
        if n > 2:
            raise ValueError("too big")
        return x + 1.0
    ''')

    class AssertingPrinter(CodePrinter):
        STATEMENTS = {**CodePrinter.STATEMENTS, "prim::RaiseException": "assert_false"}

        def assert_false(self, node, indent):
            self.emit(indent, "assert False")

    printed = AssertingPrinter(function.graph, function.name, function.parameters).print_function(function.return_type)
    expected = [line[:len(line) - len(line.lstrip())] + "assert False" if line.lstrip().startswith("raise ") else line
                for line in function.code.splitlines()]
    assert any(line.lstrip().startswith("raise ValueError(") for line in function.code.splitlines())
    assert printed.splitlines() == expected


def test_is_constant_compares_the_type_first():
    function, _ = script_source('''
    def f(x, n: int):
        return x * 2 + n
    ''')
    two = next(node.output for node in function.graph.all_nodes()
               if node.kind == "prim::Constant" and node["value"] == 2)
    assert is_constant(two, 2)
    assert not is_constant(two, 2.0) and not is_constant(two, True) and not is_constant(two, 3)
    assert not any(is_constant(value, 2) for value in function.graph.inputs)


def test_parallel_assignment_reads_every_value_before_rebinding():
    assert parallel_assignment(["a", "b", "c"], ["a", "c", "b"]) == "b, c = c, b"
    assert parallel_assignment(["a"], ["a"]) == ""
    namespace = {"a": 1, "b": 2, "c": 3}
    exec(parallel_assignment(["a", "b", "c"], ["b", "c", "a"]), namespace)  # noqa: S102 - our own text
    assert (namespace["a"], namespace["b"], namespace["c"]) == (2, 3, 1)
