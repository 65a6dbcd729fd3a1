"""Parameter types (API.md "Parameter types"): an annotation, else the default's
type, else Tensor; Python numbers passed to unannotated parameters run a variant
typed by them; ``example_inputs=`` types parameters from example calls."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import jit
from jit import types as T

from ...helpers import assert_same, define, load_module, reloaded, script_source


def _types(function) -> dict:
    return {p.name: p.type for p in function.parameters}


def test_an_unannotated_parameter_takes_its_defaults_type():
    scripted, eager = script_source("""
        def layer_norm(x, eps=1e-5, axis=-1, center=True, name="ln"):
            if center:
                x = x - x.mean(axis=axis, keepdims=True)
            var = (x ** 2).mean(axis=axis, keepdims=True)
            return x / np.sqrt(var + eps)
    """)
    assert _types(scripted) == {"x": T.TENSOR, "eps": T.FLOAT, "axis": T.INT, "center": T.BOOL, "name": T.STR}
    x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    assert_same(scripted(x), eager(x))
    assert_same(scripted(x, 1e-3, 0, False), eager(x, 1e-3, 0, False))
    assert_same(scripted(x, 1), eager(x, 1))  # an int for the float eps, as Python allows


def test_an_unannotated_parameter_defaulting_to_none_is_an_optional_tensor():
    """TorchScript passes None for such a parameter as an undefined Tensor: Optional[Tensor] here."""
    scripted, eager = script_source("""
        def linear(x, w, b=None):
            y = x @ w
            if b is not None:
                y = y + b
            return y
    """)
    assert _types(scripted)["b"] == T.OptionalType(T.TENSOR)
    x, w, b = np.ones((2, 3)), np.arange(6.0).reshape(3, 2), np.array([1.0, -1.0])
    assert_same(scripted(x, w), eager(x, w))
    assert_same(scripted(x, w, b), eager(x, w, b))
    assert_same(scripted(x, w, 0.5), eager(x, w, 0.5))  # a Python number there too: its own variant


def test_black_scholes_with_python_float_rates_matches_numpy():
    """Numba's benchmark kernel, called as its benchmark calls it (rate and volatility as floats).
    NEP 50: the Python floats stay weak, so float32 inputs give a float32 result."""
    scripted, eager = script_source("""
        def cnd(d):
            A1, A2, A3, A4, A5 = 0.31938153, -0.356563782, 1.781477937, -1.821255978, 1.330274429
            K = 1.0 / (1.0 + 0.2316419 * np.abs(d))
            ret_val = 0.3989422804014327 * np.exp(-0.5 * d * d) * (
                K * (A1 + K * (A2 + K * (A3 + K * (A4 + K * A5)))))
            return np.where(d > 0, 1.0 - ret_val, ret_val)

        def black_scholes(stockPrice, optionStrike, optionYears, Riskfree, Volatility):
            S = stockPrice
            X = optionStrike
            T = optionYears
            R = Riskfree
            V = Volatility
            sqrtT = np.sqrt(T)
            d1 = (np.log(S / X) + (R + 0.5 * V * V) * T) / (V * sqrtT)
            d2 = d1 - V * sqrtT
            cndd1 = cnd(d1)
            cndd2 = cnd(d2)
            expRT = np.exp(-R * T)
            callResult = S * cndd1 - X * expRT * cndd2
            putResult = X * expRT * (1.0 - cndd2) - S * (1.0 - cndd1)
            return callResult, putResult
    """, name="black_scholes")
    rng = np.random.default_rng(1)
    for n, dtype in ((16, np.float32), (1000, np.float64)):
        S = rng.uniform(5.0, 30.0, n).astype(dtype)
        X = rng.uniform(1.0, 100.0, n).astype(dtype)
        T = rng.uniform(0.25, 10.0, n).astype(dtype)
        for _ in range(3):  # profiled, then specialized
            assert_same(scripted(S, X, T, 0.02, 0.30), eager(S, X, T, 0.02, 0.30))
    assert_same(scripted(S, X, T, np.array(0.02), np.array(0.3)), eager(S, X, T, np.array(0.02), np.array(0.3)))
    assert set(scripted.variants) == {"Riskfree: float, Volatility: float"}


def test_each_signature_of_python_numbers_compiles_once():
    scripted, eager = script_source("""
        def axpy(a, x, y):
            return a * x + y
    """)
    x, y = np.arange(4, dtype=np.int16), np.ones(4, np.int16)
    for a in (2, 3, 2.5, True, np.int16(7), np.arange(4, dtype=np.int16)):
        assert_same(scripted(a, x, y), eager(a, x, y))
    assert set(scripted.variants) == {"a: int", "a: float", "a: bool"}
    first = scripted.variants["a: int"]
    scripted(5, x, y)
    assert scripted.variants["a: int"] is first
    assert_same(scripted(x, 2, 3.5), eager(x, 2, 3.5))  # numbers in two parameters: one more variant
    assert "x: int, y: float" in scripted.variants


def test_the_graph_for_python_numbers_says_their_types():
    scripted, _ = script_source("""
        def shift(x, c):
            return x + c
    """)
    x = np.ones(3, np.float32)
    assert "%c : Tensor" in str(scripted.graph)
    assert "%c : float" in str(scripted.graph_for(x, 0.5))
    assert "%c : int" in str(scripted.graph_for(x, 2))
    assert "%c : Float(3" in str(scripted.graph_for(x, x))
    explained = str(jit.explain(scripted, x, 0.5))
    assert "c: float" in explained and "c: Tensor" not in explained


def test_variants_are_built_once_under_concurrent_calls():
    scripted, eager = script_source("""
        def scale(x, s):
            return x * s
    """)
    x = np.arange(5.0)
    errors = []

    def call():
        try:
            for _ in range(20):
                assert_same(scripted(x, 1.5), eager(x, 1.5))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert list(scripted.variants) == ["s: float"]


def test_a_body_that_cannot_take_a_number_says_so():
    scripted, _ = script_source("""
        def rows(x):
            return x.shape[0]
    """)
    with pytest.raises(jit.CompilationError, match=r"rows was called with a Python float for 'x'.*no attribute 'shape'"):
        scripted(2.0)
    with pytest.raises(jit.CompilationError, match="called with a Python float"):
        scripted(2.0)  # the failure is remembered, and raised again


def test_the_error_past_a_number_parameter_is_the_one_reported():
    """min-char-rnn's sample: range(n) fails while n is a Tensor, and with n: int the body reads a global
    array; the error says that (what the user must change), not range()'s."""
    eager = define("""
        def sample(x, n):
            for t in range(n):
                x = x + W
            return x
    """, W=np.ones(3))
    with pytest.raises(jit.CompilationError, match=r"'W' is an array defined outside the function.*"
                                                   r"compiling with n: int") as raised:
        jit.script(eager)
    assert "range()" not in str(raised.value)


def test_annotated_tensors_and_other_arguments_still_refuse_numbers():
    scripted, _ = script_source("""
        def f(x: Tensor, y):
            return x + y
    """)
    with pytest.raises(TypeError, match="expected a value of type 'Tensor' for argument 'x'"):
        scripted(1.0, np.ones(2))
    with pytest.raises(TypeError, match="for argument 'y' but found type 'str'"):
        scripted(np.ones(2), "a")
    assert not scripted.variants


def test_save_and_load_keep_taking_python_numbers():
    scripted, eager = script_source("""
        def gelu(x, c):
            return 0.5 * x * (1.0 + np.tanh(c * (x + 0.044715 * x ** 3)))
    """)
    x = np.linspace(-3, 3, 7, dtype=np.float32)
    scripted(x, 0.7978845608)
    loaded = reloaded(scripted)
    assert loaded.number_parameters == ("x", "c")
    assert "%c : Tensor" in str(loaded.graph)  # the file holds the Tensor-typed graph
    assert_same(loaded(x, 0.7978845608), eager(x, 0.7978845608))
    assert_same(loaded(x, np.float32(0.5)), eager(x, np.float32(0.5)))
    assert "%c : float" in str(loaded.graph_for(x, 0.7978845608))


def test_a_loaded_helper_takes_the_python_numbers_its_caller_passes():
    # Campaign seeds 70286, 70530, 70883, 71270, 90168: after jit.load, f(x, 0.0) compiled f's
    # variant but still called g as saved (g(a: Tensor, b: Tensor)), and refused the call.
    scripted, eager = script_source("""
        def shift(a, b):
            return a - b

        def scale(x, c, d=None):
            if d is None:
                return shift(x, c) * 2
            return shift(x, c) * d
    """, name="scale")
    x = np.linspace(-1, 1, 5)
    calls = [(x, x), (x, 0.5), (x, 3), (x, True), (x, 0.5, 2.0), (x, x, 3)]
    for args in calls:
        assert_same(scripted(*args), eager(*args))
    loaded = reloaded(scripted)
    for args in calls:
        assert_same(loaded(*args), eager(*args))
    again = reloaded(loaded)  # saved after variants were built: the file holds the Tensor-typed code
    for args in calls:
        assert_same(again(*args), eager(*args))


def test_a_loaded_function_returning_a_number_parameter_returns_the_number():
    # Campaign seed 136132: the saved code prints the return type the Tensor-typed function
    # inferred (-> Tensor); a loaded variant for c: float kept it and refused `return c`. A def
    # without a return annotation infers its variants' return types after jit.load too; one the
    # user annotated keeps the annotation (and its error), as before saving.
    scripted, eager = script_source("""
        def pick(x, c):
            y = x
            return c, y + c
    """, name="pick")
    x = np.float32([0.5, 1.5])
    calls = [(x, 1.0), (x, 2), (x, False), (x, x)]
    for loaded in (scripted, reloaded(scripted), reloaded(reloaded(scripted))):
        for args in calls:
            assert_same(loaded(*args), eager(*args))
    annotated, _ = script_source("""
        def pick(x, c) -> Tensor:
            return c
    """)
    for function in (annotated, reloaded(annotated)):
        with pytest.raises(jit.CompilationError, match="annotated as Tensor"):
            function(x, 1.0)


def test_a_scripted_callee_called_with_a_python_number_runs_its_variant():
    shift, eager_shift = script_source("""
        def shift(a, b):
            return a - b
    """)

    def caller(x):
        return shift(x, 1.5) + shift(x, x)

    scripted = jit.script(caller)
    x = np.arange(4.0)
    assert_same(scripted(x), (x - 1.5) + (x - x))
    assert "b: float" in shift.variants


def test_example_inputs_type_the_parameters():
    eager = define("""
        def smooth(x, alpha, steps, clip):
            y = x
            for _ in range(steps):
                y = alpha * y + (1.0 - alpha) * x
            return np.clip(y, -1.0, 1.0) if clip else y
    """)
    x = np.linspace(-2, 2, 5)
    typed = jit.script(eager, example_inputs=[(x, 0.5, 3, True), (x, 1, 2, False)])
    assert _types(typed) == {"x": T.TENSOR, "alpha": T.FLOAT, "steps": T.INT, "clip": T.BOOL}
    assert not typed.variants
    assert_same(typed(x, 0.25, 4, True), eager(x, 0.25, 4, True))
    assert_same(typed(x, 1, 1, False), eager(x, 1, 1, False))
    assert getattr(jit.script(eager), "compiles_per_call", False)  # without examples: compiled for each call


def test_example_inputs_that_disagree_or_do_not_fit_are_refused():
    _, eager = script_source("""
        def f(x, k):
            return x * k
    """)
    x = np.ones(2)
    with pytest.raises(TypeError, match="disagree on the type of 'k': str in example 0, int in example 1"):
        jit.script(eager, example_inputs=[(x, "a"), (x, 1)])
    with pytest.raises(TypeError, match="a list of argument tuples"):
        jit.script(eager, example_inputs=(x, 1))
    with pytest.raises(TypeError, match=r"example_inputs\[0\] does not fit"):
        jit.script(eager, example_inputs=[(x,)])
    with pytest.raises(TypeError, match="no script type describes"):
        jit.script(eager, example_inputs=[(x, object())])


def test_an_example_none_makes_the_type_optional():
    scripted, eager = script_source("""
        def scaled(x, k):
            return x if k is None else x * k
    """)
    typed = jit.script(eager, example_inputs=[(np.ones(2), None), (np.ones(2), 2)])
    assert _types(typed)["k"] == T.OptionalType(T.INT)
    for k in (None, 3):
        assert_same(typed(np.arange(3.0), k), eager(np.arange(3.0), k))


def test_a_body_that_needs_numbers_compiles_per_call():
    """``range(n)`` and ``math`` functions need numbers: with the parameters unannotated the
    function is compiled for each call's Python numbers (and says so where it has no graph)."""
    eager = define("""
        def damped_wave(x, freq, steps):
            y = x
            for _ in range(steps):
                y = y * math.cos(freq)
            return y
    """)
    scripted = jit.script(eager)
    x = np.linspace(0, 1, 5, dtype=np.float32)
    for freq, steps in ((0.5, 3), (2, 1), (0.25, 0)):
        for _ in range(2):
            assert_same(scripted(x, freq, steps), eager(x, freq, steps))
    assert set(scripted.variants) == {"freq: float, steps: int", "freq: int, steps: int"}
    assert "%freq : float" in str(scripted.graph_for(x, 0.5, 3))
    with pytest.raises(jit.CompilationError, match="compiles only when some of its unannotated parameters"):
        scripted.graph  # noqa: B018 - the property raises
    with pytest.raises(jit.CompilationError, match="compiles only when"):
        scripted(x, x, x)
    loaded = reloaded(scripted)  # the code of one variant, compiled per call again once loaded
    for freq, steps in ((0.5, 3), (2, 1), (True, 2)):
        assert_same(loaded(x, freq, steps), eager(x, freq, steps))
    assert set(loaded.variants) == {"freq: float, steps: int", "freq: int, steps: int", "freq: bool, steps: int"}
    with pytest.raises(jit.CompilationError, match="called with a Python int for 'steps'"):
        loaded(x, x, 2)  # freq a Tensor: math.cos needs a number, as before saving
    fresh = reloaded(jit.script(eager))  # saved before any call: the variant jit.script compiled
    assert_same(fresh(x, 0.5, 3), eager(x, 0.5, 3))


def test_a_body_that_no_typing_compiles_fails_at_script_time():
    eager = define("""
        def broken(x, n):
            return x.undefined_method(n)
    """)
    with pytest.raises(jit.CompilationError, match="undefined_method"):
        jit.script(eager)


def test_a_module_method_takes_python_numbers_before_and_after_saving():
    module = load_module("""
        class Residual(jit.nn.Module):
            def __init__(self):
                super().__init__()
                self.weight = np.linspace(0.5, 1.5, 4).astype(np.float32)

            def forward(self, x, alpha, gate=None):
                y = x * self.weight * alpha
                if gate is not None:
                    y = y * gate
                return x + y
    """)
    eager = module.Residual()
    scripted = jit.script(eager)
    x = np.arange(4, dtype=np.float32)
    calls = [(x, 0.5), (x, 2), (x, x), (x, 0.5, 3), (x, 0.5, x)]
    for args in calls:
        assert_same(scripted(*args), eager(*args))
    assert "%alpha : float" in str(scripted.forward.graph_for(x, 0.5))
    loaded = reloaded(scripted)
    for args in calls:
        assert_same(loaded(*args), eager(*args))
