"""Reductions and linear algebra against eager NumPy."""
from __future__ import annotations

import numpy as np
import pytest

from .samples import DTYPES, FLOATS, array, assert_op_matches_eager, unary_layouts

REDUCTIONS = ["sum", "mean", "max", "min", "prod", "argmax", "argmin", "var", "std", "any", "all"]
AXES = ["", "axis=0", "axis=-1", "axis=(0, 1)", "axis=None", "0, keepdims=True", "axis=1, keepdims=True",
        "keepdims=True"]

COVERS = {f"np::{n}" for n in REDUCTIONS} | {"np::matmul", "np::dot"}


def assert_layouts_match_eager(op, source, dtype, extra=()):
    for layout, a in unary_layouts(dtype):
        try:
            assert_op_matches_eager(op, source, a, *extra)
        except AssertionError as error:
            raise AssertionError(f"[{layout}] {error}") from None


@pytest.mark.parametrize("axes", AXES)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_method(name, dtype, axes):
    """Reductions over 0-d, empty and strided arrays; where NumPy raises (max of an
    empty axis, axis 1 of a 0-d array) the scripted call raises the same error."""
    assert_layouts_match_eager(f"np::{name}", f"def f(a):\n    return a.{name}({axes})\n", dtype)


@pytest.mark.parametrize("name", REDUCTIONS + ["amax", "amin"])
def test_reduction_function(name):
    op = {"amax": "np::max", "amin": "np::min"}.get(name, f"np::{name}")
    for dtype in (np.float32, np.int32, np.bool_):
        assert_layouts_match_eager(op, f"def f(a):\n    return np.{name}(a, 1, keepdims=True)\n", dtype)
        assert_layouts_match_eager(op, f"def f(a):\n    return np.{name}(a)\n", dtype)


@pytest.mark.parametrize("name", ["sum", "prod", "mean"])
@pytest.mark.parametrize("target", ["np.float64", "np.int64", "np.float32"])
def test_reduction_dtype_argument(name, target):
    for dtype in (np.int32, np.float32, np.bool_):
        assert_layouts_match_eager(f"np::{name}", f"def f(a):\n    return a.{name}(axis=0, dtype={target})\n", dtype)


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("ddof", ["0", "1", "1.5"])
def test_variance_ddof(name, ddof):
    for dtype in FLOATS + [np.int64]:
        assert_layouts_match_eager(f"np::{name}", f"def f(a):\n    return np.{name}(a, axis=-1, ddof={ddof})\n", dtype)


def test_reduction_axis_from_argument():
    source = "def f(a, k: int):\n    return a.sum(k) + a.max(axis=k, keepdims=True).sum()\n"
    assert_op_matches_eager("np::sum", source, array(np.float32, (3, 4)), 1)
    assert_op_matches_eager("np::sum", source, array(np.float32, (3, 4)), -2)


MATMUL_SHAPES = [((3, 4), (4, 5)), ((4,), (4,)), ((4,), (4, 5)), ((3, 4), (4,)), ((2, 3, 4), (4, 5)),
                 ((2, 3, 4), (2, 4, 5)), ((1, 3, 4), (5, 4, 2)), ((0, 4), (4, 3)), ((3, 4), (5, 6))]


@pytest.mark.parametrize("pair", [(np.float32, np.float32), (np.float64, np.float32), (np.int32, np.int64),
                                  (np.bool_, np.bool_), (np.int32, np.float32)],
                         ids=lambda p: f"{np.dtype(p[0]).name}-{np.dtype(p[1]).name}")
@pytest.mark.parametrize("spelling", ["a @ b", "np.matmul(a, b)", "np.dot(a, b)", "a.dot(b)"])
def test_matmul_and_dot(spelling, pair):
    op = "np::matmul" if "matmul" in spelling or "@" in spelling else "np::ndarray.dot" if spelling == "a.dot(b)" \
        else "np::dot"
    source = f"def f(a, b):\n    return {spelling}\n"
    for left, right in MATMUL_SHAPES:
        if op != "np::matmul" and len(left) > 2 and len(right) > 2 and left[0] != right[0]:
            continue
        try:
            assert_op_matches_eager(op, source, array(pair[0], left, 3, special=False),
                                    array(pair[1], right, 4, special=False))
        except AssertionError as error:
            raise AssertionError(f"[{left} x {right}] {error}") from None
    views = (array(pair[0], (4, 3), 5, special=False).T, array(pair[1], (4, 10), 6, special=False)[:, ::2])
    assert_op_matches_eager(op, source, *views)  # a transposed and a strided operand


def test_dot_with_a_python_scalar():
    assert_op_matches_eager("np::dot", "def f(a, s: float):\n    return np.dot(a, s)\n", array(np.float32, (3, 4)), 2.5)
    assert_op_matches_eager("np::dot", "def f(a, s: int):\n    return np.dot(s, a)\n", array(np.int32, (3,)), 3)


def test_matmul_of_a_0d_array_raises_like_numpy():
    assert_op_matches_eager("np::matmul", "def f(a, b):\n    return a @ b\n", array(np.float32, ()), array(np.float32, (3,)))
