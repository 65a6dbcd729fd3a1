"""Python-number arithmetic on ``x.item()`` where the dtype of x is not known when
compiling (issue 18): its type is Scalar (int, float or bool), and operators,
comparisons, math functions, NumPy functions, formatting and returning it work
as on the number eager code gets."""
from __future__ import annotations

import numpy as np
import pytest

import jit
from jit import types as T

from ...helpers import assert_matches_eager, script_source

# One input per kind item() gives: float, int, bool.
_INPUTS = [(np.array([2.5]),), (np.array([3]),), (np.array([True]),)]


def test_operators_and_comparisons_on_a_scalar():
    assert_matches_eager("""
        def f(x):
            v = x.item()
            return v + 1, v * 2.0, v - 0.5, v / 2, v // 2, v % 2, -v, abs(v), v ** 2, v > 0.5, v == 3, 1 < v <= 3
    """, *_INPUTS)


def test_scalar_in_control_flow_accumulation_and_formatting():
    assert_matches_eager("""
        def f(x):
            total = 0.0
            for i in range(x.shape[0]):
                total += x[i].item()
            if x[0].item() > 1:
                total = total * 2.0
            return total, f"{x[0].item()}", str(x[-1].item()), float(x[0].item()), int(x[0].item())
    """, (np.array([2.5, 1.0]),), (np.array([3, 4]),), (np.array([False, True]),))


def test_scalar_in_math_and_numpy_functions_and_with_arrays():
    assert_matches_eager("""
        def f(x):
            v = x[0].item()
            return math.sqrt(v), np.sqrt(v), np.full(2, v), x * v, max(v, v - 1), min(v, x[1].item())
    """, (np.array([2.5, 1.0]),), (np.array([4, 4]),))


def test_result_types_are_known_where_every_kind_agrees():
    scripted, _ = script_source("""
        def f(x):
            v = x.item()
            return v * 2.0, v + 1, v > 0, x + v
    """)
    float_result, either, comparison, array = scripted.graph.outputs[0].node.inputs
    assert (float_result.type, either.type, comparison.type, array.type) == (T.FLOAT, T.NUMBER, T.BOOL, T.TENSOR)


def test_returning_the_item_of_an_unknown_dtype():
    assert_matches_eager("""
        def f(x):
            return x.sum().item()
    """, (np.arange(4.0),), (np.arange(4),))


def test_a_scalar_assigned_to_an_int_variable_says_how_to_fix_it():
    scripted_source = """
        def f(x):
            n = 0
            for i in range(x.shape[0]):
                n += x[i].item()
            return n
    """
    with pytest.raises(jit.CompilationError, match=r"Scalar is x.item\(\) of an array whose dtype is not known.*int\(\.\.\.\)"):
        script_source(scripted_source)
