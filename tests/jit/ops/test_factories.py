"""Factories and NumPy's global random generator against eager NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import jit

from ...helpers import run_both
from .samples import DTYPES, array, assert_op_matches_eager, scripted

COVERS = {"np::zeros", "np::ones", "np::empty", "np::full", "np::zeros_like", "np::ones_like", "np::empty_like",
          "np::full_like", "np::arange", "np::random.random", "np::random.randn"}

SHAPED = [("np::zeros", "np.zeros({shape})"), ("np::ones", "np.ones({shape}, dtype=np.int32)"),
          ("np::zeros", "np.zeros({shape}, np.bool_)"), ("np::ones", "np.ones({shape}, like=a)"),
          ("np::zeros", "np.zeros({shape}, dtype=a.dtype, like=a)"), ("np::full", "np.full({shape}, 7)"),
          ("np::full", "np.full({shape}, 2.5, dtype=np.float32)"), ("np::full", "np.full({shape}, True)"),
          ("np::full", "np.full({shape}, a[0], like=a)"), ("np::full", "np.full({shape}, n)")]
SHAPES = ["3", "(2, 3)", "()", "(0, 4)", "a.shape", "(n, 2)", "[2, n]"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("op, template", SHAPED, ids=[t for _, t in SHAPED])
def test_shaped_factory(op, template, shape):
    source = f"def f(a, n: int):\n    return {template.format(shape=shape)}\n"
    for dtype in (np.float32, np.int64):
        assert_op_matches_eager(op, source, array(dtype, (2, 3)), 2)


def test_empty_has_the_shape_and_dtype_of_numpy():
    function, eager = scripted("def f(n: int):\n    return np.empty((n, 3), dtype=np.float32)\n")
    result, expected = function(4), eager(4)
    assert (type(result), result.dtype, result.shape) == (type(expected), expected.dtype, expected.shape)
    function, eager = scripted("def f(a):\n    return np.empty_like(a, dtype=np.int32)\n")
    result, expected = function(array(np.float32, (2, 5))), eager(array(np.float32, (2, 5)))
    assert (type(result), result.dtype, result.shape) == (type(expected), expected.dtype, expected.shape)
    assert any(n.kind == "np::empty_like" for n in function.graph.all_nodes())


LIKE = [("np::zeros_like", "np.zeros_like(a)"), ("np::ones_like", "np.ones_like(a, dtype=np.float64)"),
        ("np::full_like", "np.full_like(a, 3)"), ("np::full_like", "np.full_like(a, 1.5, np.float32)"),
        ("np::zeros_like", "np.zeros_like(a, dtype=bool)")]


@pytest.mark.parametrize("op, expression", LIKE, ids=[e for _, e in LIKE])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_like_factory(op, expression, dtype):
    source = f"def f(a):\n    return {expression}\n"
    for a in (array(dtype, ()), array(dtype, (0, 2)), array(dtype, (3, 8))[:, ::2], array(dtype, (4, 3)).T):
        assert_op_matches_eager(op, source, a)


@pytest.mark.parametrize("expression", ["np.arange(5)", "np.arange(2, 9)", "np.arange(9, 2, -2)", "np.arange(1.5)",
                                        "np.arange(0, 1, 0.25)", "np.arange(n)", "np.arange(n, dtype=np.float32)",
                                        "np.arange(0, n, 2, like=a)", "np.arange(3, 1)", "np.arange(0, 3, n - 7)"])
def test_arange(expression):
    assert_op_matches_eager("np::arange", f"def f(a, n: int):\n    return {expression}\n", array(np.float32, (2,)), 7)


LIKE_FACTORIES = ["np.arange(0, 3, 1, like=x)", "np.zeros(2, like=x)", "np.ones((2, 1), np.int8, like=x)",
                  "np.full(2, 1.5, like=x)", "np.empty(0, like=x).shape", "np.zeros(2, like=x).shape"]


@pytest.mark.parametrize("expression", LIKE_FACTORIES)
def test_like_must_be_an_array(expression):
    """like= takes an array (0-d included) and refuses a NumPy scalar with NumPy's
    TypeError, also where only the result's shape is used."""
    function, eager = scripted(f"def f(x):\n    return {expression}\n")
    likes = [np.float64(1.0), np.int8(3), np.bool_(True), np.float32(0.5), np.array(1.0), np.zeros(3, np.float32),
             np.ones((2, 2), np.int64)]
    for like in likes:
        for _ in range(2):  # profiled, then specialized to like's type
            outcome = run_both(function, eager, like)
            assert isinstance(outcome, TypeError) == isinstance(like, np.generic), (like, outcome)


def test_arange_with_a_constant_zero_step_is_a_compile_error():
    with pytest.raises(jit.CompilationError, match="the step must not be zero") as caught:
        scripted("def f(n: int):\n    return np.arange(0, n, 0)\n")
    assert "~~~~ <--- HERE" in str(caught.value)


RANDOM = [("np::random.random", "np.random.rand(3, 4)"), ("np::random.random", "np.random.rand()"),
          ("np::random.random", "np.random.random((2, n))"), ("np::random.random", "np.random.random_sample(n)"),
          ("np::random.random", "np.random.random()"), ("np::random.randn", "np.random.randn(n, 2)"),
          ("np::random.randn", "np.random.randn()"), ("np::random.randn", "np.random.standard_normal((n,))"),
          ("np::random.random", "np.random.rand(*a)")]


@pytest.mark.parametrize("op, expression", RANDOM, ids=[e for _, e in RANDOM])
def test_random_draws_what_eager_draws(op, expression):
    """Scripted random ops draw from NumPy's global generator: a seeded call gives
    what the seeded eager call gives, and the generator advances the same way."""
    function, eager = scripted(f"def f(a: Tuple[int, int], n: int):\n    return {expression}\n")
    assert any(node.kind == op for node in function.graph.all_nodes())
    np.random.seed(1234)
    expected, expected_next = eager((2, 3), 3), np.random.random()
    np.random.seed(1234)
    result, result_next = function((2, 3), 3), np.random.random()
    assert type(result) is type(expected)
    np.testing.assert_array_equal(result, expected)
    assert result_next == expected_next


def test_random_ops_are_marked_nondeterministic_with_side_effects():
    from jit import ops

    for name in ("np::random.random", "np::random.randn", "nn::dropout"):
        op = ops.lookup(name)
        assert op.nondeterministic and op.side_effects and not op.fusible
