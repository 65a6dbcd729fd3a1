"""The executor: generated Python, argument checking, devices, tracebacks."""
from __future__ import annotations

import traceback

import numpy as np
import pytest

import jit
from jit.runtime.codegen import ArgumentError

from ...helpers import script_source

X = np.arange(6, dtype=np.float32).reshape(2, 3)


def test_arguments_are_checked_and_converted():
    function, _ = script_source("def f(x, n: int, s: float, b: bool, t: Tuple[int, float]):\n"
                                "    return x * n + s + float(b) + t[1]\n")
    # np.int64(2) for an int parameter becomes a Python int, a weak scalar: float32 stays float32.
    assert function(X, np.int64(2), 1, np.bool_(True), (1, 2)).dtype == np.float32
    for bad, message in [((X.tolist(), 1, 1.0, True, (1, 2.0)), "argument 'x' but found type 'list'"),
                         ((X, 1.5, 1.0, True, (1, 2.0)), "argument 'n' but found type 'float'"),
                         ((X, True, 1.0, True, (1, 2.0)), "argument 'n' but found type 'bool'"),
                         ((X, 1, "1", True, (1, 2.0)), "argument 's' but found type 'str'"),
                         ((X, 1, 1.0, 1, (1, 2.0)), "argument 'b' but found type 'int'"),
                         ((X, 1, 1.0, True, (1, 2.0, 3)), "argument 't' but found type 'tuple'"),
                         ((X, 1, 1.0, True, [1, 2.0]), "argument 't' but found type 'list'")]:
        with pytest.raises(ArgumentError, match=message):
            function(*bad)
    # x is unannotated: a Python float there runs the variant typed by it (API.md "Parameter types")
    assert function(3.0, 1, 1.0, True, (1, 2.0)) == 3.0 * 1 + 1.0 + 1.0 + 2.0
    assert list(function.variants) == ["x: float"]


def test_keywords_and_defaults_bind_as_in_python():
    function, eager = script_source("def f(x, scale: float = 2.0, shift: int = 1):\n    return x * scale + shift\n")
    np.testing.assert_array_equal(function(X, shift=5), eager(X, shift=5))
    np.testing.assert_array_equal(function(x=X, scale=0.5), eager(x=X, scale=0.5))
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        function(X, offset=1)
    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        function()


def test_factories_without_like_stay_on_the_cpu():
    """Ops on the arguments use the call's array module; np.zeros(3) is always NumPy."""
    function, _ = script_source("def f(x, n: int):\n    a = np.zeros(n)\n    b = np.zeros_like(x)\n"
                                "    return np.tanh(x) + b, np.exp(a)\n")
    source = function.generated_source
    assert "_np.zeros(n, dtype=None)" in source and "_np.exp(" in source
    assert "_xp.zeros_like(x, dtype=None)" in source and "_xp.tanh(x)" in source
    assert "_xp = _np if type(x) is _ndarray else _xp_of_call('f', ('x',), (x,))" in source


def test_no_array_arguments_means_no_device_lookup():
    function, _ = script_source("def f(n: int):\n    return np.ones((n, 2)) * 2.0\n")
    assert "_xp" not in function.generated_source
    assert function(3).shape == (3, 2)


def test_generated_code_has_one_line_per_statement_and_no_interpreter():
    function, _ = script_source('''
    def f(x, n: int):
        y = x
        for i in range(n):
            y = y * 2.0 + 1.0
        return y
    ''')
    body = function.generated_source.splitlines()
    assert any(line.strip().startswith("for _ in range(n):") for line in body)
    assert any("((y_" in line and "* 2.0) + 1.0)" in line for line in body)
    assert "graph" not in function.generated_source and "node" not in function.generated_source


def test_errors_inside_generated_code_point_at_the_user_line():
    function, eager = script_source("def f(x, y):\n    z = x + 1.0\n    return z @ y\n")
    with pytest.raises(ValueError) as caught:
        function(X, X)
    text = "".join(traceback.format_exception(caught.value))
    assert f"{eager.__code__.co_filename}:{eager.__code__.co_firstlineno + 2}:11" in text


def test_parameter_names_that_collide_with_generated_names_are_refused():
    with pytest.raises(ValueError, match="reserved by the code generator"):
        script_source("def f(_np, x):\n    return x\n")


def test_while_loop_with_a_condition_on_arrays():
    function, eager = script_source('''
    def f(x):
        while float(x.sum()) < 100.0:
            x = x * 3.0 + 1.0
        return x
    ''')
    np.testing.assert_array_equal(function(X + 1.0), eager(X + 1.0))
    assert "while cond_0:" in function.generated_source


def test_script_functions_are_reentrant_and_thread_safe():
    import threading

    function, eager = script_source("def f(x, n: int):\n    for i in range(n):\n        x = x + float(i)\n    return x\n")
    results, errors = {}, []

    def work(k):
        try:
            results[k] = function(X * k, k)
        except Exception as error:  # noqa: BLE001 - collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for k, value in results.items():
        np.testing.assert_array_equal(value, eager(X * k, k))
    assert isinstance(function, jit.ScriptFunction)


# Its calls are @jit.ignore'd, which a file saves as stubs; the loaded code prints the stub calls'
# arguments inline (remember(x * 2.0)) where an ignored call's do not: the code comparison differs.
@pytest.mark.no_round_trip
def test_arrays_are_freed_after_their_last_read():
    # Eager code frees a temporary as soon as nothing refers to it; generated code
    # deletes each array it made after its last read, so peak memory stays the same.
    function, _ = script_source('''
    import weakref

    tracked = []

    @jit.ignore  # Python code (weakrefs, a list): left to Python, as recursive scripting requires
    def remember(a) -> Tensor:
        tracked.append(weakref.ref(a))
        return a

    @jit.ignore
    def alive() -> bool:
        return tracked[-1]() is not None

    def f(x):
        t = remember(x * 2.0)
        total = np.sum(t)
        freed = not alive() and total > -1.0  # total is read twice: computed before alive() runs
        u = remember(x + 1.0)
        for _ in range(2):
            u = u * 2.0
        return total, freed, u
    ''', "f")
    total, freed, u = function(X)
    assert total == np.sum(X * 2.0) and freed
    np.testing.assert_array_equal(u, (X + 1.0) * 4.0)
    assert "del t" in function.generated_source


def test_an_input_the_expression_leaves_out_is_still_computed(monkeypatch):
    # A template that reads an argument only for its array module (as like= may be) must
    # not swallow the operation computing it: that one still runs, and raises as eagerly.
    ones = jit.ops.lookup("np::ones")
    monkeypatch.setattr(ones, "template", "{xp}.ones({0}, dtype={1})")
    function, eager = script_source("""
        def f(x):
            return np.ones((3,), like=np.broadcast_to(x, (2, 5)))
    """)
    np.testing.assert_array_equal(function(np.ones(1)), eager(np.ones(1)))
    assert "broadcast_to" in function.generated_source
    with pytest.raises(ValueError) as expected:
        eager(np.ones(2))
    for _ in range(3):  # the profiled runs, then the specialization
        with pytest.raises(ValueError) as raised:
            function(np.ones(2))
        assert str(raised.value) == str(expected.value)
