"""Shape ops, array properties and indexing against eager NumPy."""
from __future__ import annotations

import numpy as np
import pytest

from .samples import DTYPES, array, assert_op_matches_eager

COVERS = {"np::reshape", "np::transpose", "np::swapaxes", "np::expand_dims", "np::squeeze", "np::concatenate",
          "np::stack", "np::split", "np::broadcast_to", "np::ravel", "np::copy", "np::ndarray.copy", "np::shape", "np::ndim",
          "np::size", "np::dtype", "np::getitem", "prim::SliceConstruct"}

LAYOUTS = {
    "0-d": lambda d: array(d, ()),
    "contiguous": lambda d: array(d, (2, 3, 4)),
    "strided": lambda d: array(d, (2, 3, 8))[:, :, ::2],
    "transposed": lambda d: array(d, (4, 3, 2)).transpose(2, 1, 0),
    "empty": lambda d: array(d, (0, 3, 4)),
}

SHAPE_CASES = [
    ("np::reshape", "a.reshape(6, 4)"), ("np::reshape", "a.reshape((4, -1))"), ("np::reshape", "a.reshape(-1)"),
    ("np::reshape", "np.reshape(a, (a.shape[0], -1))"), ("np::reshape", "a.reshape(a.shape[0], -1)"),
    ("np::reshape", "a.reshape(5, 5)"),
    ("np::transpose", "a.T"), ("np::transpose", "a.transpose()"), ("np::transpose", "a.transpose(1, 0, 2)"),
    ("np::transpose", "np.transpose(a, (2, 0, 1))"), ("np::transpose", "a.transpose((0, 2, 1))"),
    ("np::swapaxes", "a.swapaxes(0, 2)"), ("np::swapaxes", "np.swapaxes(a, -1, 1)"),
    ("np::expand_dims", "np.expand_dims(a, 0)"), ("np::expand_dims", "np.expand_dims(a, (1, -1))"),
    ("np::squeeze", "np.expand_dims(a, 1).squeeze()"), ("np::squeeze", "np.expand_dims(a, 1).squeeze(1)"),
    ("np::squeeze", "a.squeeze(0)"),
    ("np::ravel", "a.ravel()"), ("np::ravel", "np.ravel(a)"), ("np::ndarray.copy", "a.copy()"),
    ("np::copy", "np.copy(a)"),
    ("np::broadcast_to", "np.broadcast_to(a, (5, a.shape[0], a.shape[1], a.shape[2]))"),
    ("np::broadcast_to", "np.broadcast_to(a[:, :1], (2, 3, 4))"),
    ("np::shape", "a.shape"), ("np::shape", "np.shape(a)"), ("np::ndim", "a.ndim"), ("np::ndim", "np.ndim(a)"),
    ("np::size", "a.size"), ("np::size", "np.size(a)"), ("np::dtype", "a.dtype"),
]


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("op, expression", SHAPE_CASES, ids=[e for _, e in SHAPE_CASES])
def test_shape_op(op, expression, layout):
    """Views stay views as in eager code; invalid shapes raise NumPy's own errors."""
    for dtype in (np.float32, np.int64, np.bool_):
        assert_op_matches_eager(op, f"def f(a):\n    return {expression}\n", LAYOUTS[layout](dtype))


JOIN_CASES = [
    ("np::concatenate", "np.concatenate([a, b])"), ("np::concatenate", "np.concatenate((a, b), axis=1)"),
    ("np::concatenate", "np.concatenate([a, b, a], -1)"), ("np::concatenate", "np.concatenate([a, b], axis=None)"),
    ("np::stack", "np.stack([a, b])"), ("np::stack", "np.stack((a, b), axis=-1)"), ("np::stack", "np.stack([a, b], 1)"),
]


@pytest.mark.parametrize("pair", [(np.float32, np.float32), (np.float32, np.float64), (np.int32, np.bool_)],
                         ids=lambda p: f"{np.dtype(p[0]).name}-{np.dtype(p[1]).name}")
@pytest.mark.parametrize("op, expression", JOIN_CASES, ids=[e for _, e in JOIN_CASES])
def test_join(op, expression, pair):
    source = f"def f(a, b):\n    return {expression}\n"
    assert_op_matches_eager(op, source, array(pair[0], (2, 3), 1), array(pair[1], (2, 3), 2))
    assert_op_matches_eager(op, source, array(pair[0], (4, 3), 1).T, array(pair[1], (3, 8), 2)[:, ::2])
    assert_op_matches_eager(op, source, array(pair[0], (2, 3), 1), array(pair[1], (3, 3), 2))  # mismatched: NumPy's error


@pytest.mark.parametrize("expression", ["np.split(a, 2)", "np.split(a, 3, axis=1)", "np.split(a, (1, 3), axis=1)",
                                        "np.split(a, [1], 0)", "np.split(a, 5)"])
def test_split(expression):
    for dtype in DTYPES:
        assert_op_matches_eager("np::split", f"def f(a):\n    return {expression}\n", array(dtype, (4, 6)))


def test_split_unpacks_into_variables():
    assert_op_matches_eager("np::split", "def f(a):\n    b, c = np.split(a, 2)\n    return c - b\n", array(np.float32, (4, 3)))
    assert_op_matches_eager("np::split", "def f(a):\n    b, c = np.split(a, 3)\n    return c - b\n", array(np.float32, (3, 3)))


INDEX_CASES = ["a[0]", "a[-1]", "a[0:2]", "a[1:]", "a[:1]", "a[:]", "a[0, 1]", "a[0, 1:2]", "a[0, :1]",
               "a[-1, 1:, 0]", "a[1:, -1, 0]", "a[i:j, i]", "a[::2]", "a[::-1]", "a[1:-1:2, ::-2]", "a[None]",
               "a[:, None]", "a[..., 0]", "a[0, ...]", "a[..., None, 1:]", "a[i]", "a[-i, j - 1]", "a[a > 0]",
               "a[k]", "a[0, 0, 0]", "a[0, 0, 0, 0]", "a[9]", "a[(0, 1)]", "a[(i,)]", "a[i:]"]


@pytest.mark.parametrize("expression", INDEX_CASES)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_indexing(expression, dtype):
    """The seeds' subscript forms, NumPy's None/.../step/mask/integer-array forms,
    and out-of-range indices raising NumPy's IndexError."""
    source = f"def f(a, k, i: int, j: int):\n    return {expression}\n"
    indices = np.array([1, 0, 1])
    for name, a in (("contiguous", array(dtype, (3, 4, 5))), ("transposed", array(dtype, (5, 4, 3)).T)):
        try:
            assert_op_matches_eager("np::getitem", source, a, indices, 1, 3)
        except AssertionError as error:
            raise AssertionError(f"[{name}] {error}") from None


def test_indexing_a_0d_and_an_empty_array():
    assert_op_matches_eager("np::getitem", "def f(a):\n    return a[...]\n", array(np.float32, ()))
    assert_op_matches_eager("np::getitem", "def f(a):\n    return a[None]\n", array(np.float32, ()))
    assert_op_matches_eager("np::getitem", "def f(a):\n    return a[0]\n", array(np.float32, ()))
    assert_op_matches_eager("np::getitem", "def f(a):\n    return a[:, 1:]\n", array(np.float32, (0, 3)))
    assert_op_matches_eager("np::getitem", "def f(a):\n    return a[0]\n", array(np.float32, (0, 3)))


def test_basic_indexing_returns_views_like_numpy():
    from .samples import scripted

    function, _ = scripted("def f(a):\n    return a[1:, ::2]\n")
    a = array(np.float32, (4, 6))
    assert np.shares_memory(function(a), a)


def test_shape_used_as_values():
    source = ("def f(a):\n    n, m = a.shape\n    s = a.shape[1:]\n    return np.zeros((m, n)) + len(a.shape) + s[0]"
              " + a.ndim * a.size\n")
    assert_op_matches_eager("np::shape", source, array(np.float32, (3, 4)))
