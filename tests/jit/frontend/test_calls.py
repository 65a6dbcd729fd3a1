"""Calls from script code: other script functions, Python functions (compiled along
with their caller), @jit.ignore (upcalls), @jit.unused, and `with jit.strict_fusion():`."""
from __future__ import annotations

import numpy as np
import pytest

import jit

from ...helpers import assert_same, define, node_kinds, script_source

COVERS = {"prim::CallFunction", "prim::PythonOp", "prim::Enter", "prim::Exit"}

X = np.arange(6.0).reshape(2, 3)


def test_the_seeds_script_function_calls():
    module = define('''
    import jit

    @jit.script
    def foo(x):
        return x + 1

    @jit.script
    def bar(x):
        return foo(x)
    ''', "bar")
    assert_same(module(X), X + 1)
    assert "prim::CallFunction" in node_kinds(module) and "foo(x)" in module.code


def test_calls_bind_defaults_keywords_and_convert():
    caller, eager = script_source('''
    @jit.script
    def scale(x, factor: float = 2.0, shift: int = 0):
        return x * factor + shift

    def f(x, n: int):
        a = scale(x)
        b = scale(x, n)
        c = scale(x, shift=n, factor=0.5)
        return a + b + c
    ''', "f")
    for n in (1, 3):
        assert_same(caller(X, n), eager(X, n))
    with pytest.raises(jit.CompilationError, match="g\\(\\) got an unexpected keyword argument 'bias'"):
        script_source("@jit.script\ndef g(x):\n    return x\n\ndef f(x):\n    return g(x, bias=1)\n", "f")


def test_calls_nest_and_carry_types():
    caller, eager = script_source('''
    @jit.script
    def stats(x) -> Tuple[float, float]:
        return float(x.mean()), float(x.std())

    @jit.script
    def normalize(x):
        mean, std = stats(x)
        return (x - mean) / std

    def f(x):
        return normalize(normalize(x) * 3.0 + 1.0)
    ''', "f")
    assert_same(caller(X), eager(X))


def test_python_functions_are_compiled_with_their_caller():
    def helper(a, scale: float) -> jit.Tensor:
        return a * scale + np.sin(a)  # compiled along with f (PyTorch 1.2's recursive scripting)

    caller, eager = script_source("def f(x, s: float):\n    return helper(x, s) - 1.0\n", "f", helper=helper)
    assert_same(caller(X, 2.0), eager(X, 2.0))
    assert "prim::PythonOp" not in node_kinds(caller)
    call = next(n for n in caller.graph.all_nodes() if n.kind == "prim::CallFunction")
    assert call.inputs[0].node["value"].original is helper


def test_ignored_python_function_results_are_checked():
    def wrong(a) -> int:
        return "not an int"

    # Compiled (not ignored), the wrong return type is a compile error.
    with pytest.raises(jit.CompilationError, match="annotated as int but is of type str"):
        script_source("def f(x):\n    return wrong(x) + 1\n", "f", wrong=wrong)
    ignored_wrong = jit.ignore(wrong)
    caller, _ = script_source("def f(x):\n    return wrong(x) + 1\n", "f", wrong=ignored_wrong)
    with pytest.raises(TypeError, match="wrong \\(a Python function\\)\\(\\) expected a value of type 'int'"):
        caller(X)

    @jit.ignore
    def unannotated(a):
        return None

    # Unannotated results of ignored functions are Tensors (TorchScript's default), checked only where used.
    statement, _ = script_source("def f(x):\n    unannotated(x)\n    return x\n", "f", unannotated=unannotated)
    assert_same(statement(X), X)
    used, _ = script_source("def f(x):\n    return unannotated(x) + 1.0\n", "f", unannotated=unannotated)
    with pytest.raises(TypeError, match="expected a value of type 'Tensor' for argument 'its result'"):
        used(X)


def test_ignore_and_unused():
    log = []

    @jit.ignore
    def ignored(a) -> jit.Tensor:
        log.append("ran")
        return a * 2

    @jit.unused
    def never(a) -> jit.Tensor:
        raise AssertionError("not called eagerly here")

    @jit.ignore(drop=True)
    def dropped(a) -> jit.Tensor:
        return a

    caller, eager = script_source('''
    def f(x, use: bool):
        if use:
            return never(x) + dropped(x)
        return ignored(x)
    ''', "f", ignored=ignored, never=never, dropped=dropped)
    assert_same(caller(X, False), X * 2) and log == ["ran"]
    with pytest.raises(jit.Error, match="never is marked @jit.unused and cannot run in script code"):
        caller(X, True)
    assert ignored.__jit_ignore__ == "ignore" and dropped.__jit_ignore__ == "unused"


def test_strict_fusion_blocks_are_recorded():
    function, eager = script_source('''
    def f(x, y):
        z = x * 2.0
        with jit.strict_fusion():
            a = np.tanh(z + y)
            b = a * a
        return b - z
    ''', "f")
    assert_same(function(X, X), eager(X, X))
    order = node_kinds(function)
    assert order.index("prim::Enter") < order.index("np::tanh") < order.index("prim::Exit")
    assert "    with jit.strict_fusion():" in function.code
    with jit.strict_fusion():  # eager: does nothing
        assert True


def test_with_other_context_managers_is_an_error():
    with pytest.raises(jit.CompilationError, match="supported for 'with jit.strict_fusion\\(\\):' only"):
        script_source("def f(x):\n    with jit.strict_fusion(), jit.strict_fusion():\n        pass\n    return x\n")
