"""The op tests on CuPy arrays: scripted against eager on the GPU, each sample
layout (strided and transposed views included) built on the device. Skipped
cleanly where CuPy or a CUDA device is missing."""
from __future__ import annotations

import numpy as np
import pytest

import device

if not device.cuda_is_available():
    pytest.skip("needs CuPy and a CUDA device (install arrayscript[cuda] on a GPU machine)", allow_module_level=True)

from ..jit.ops import test_elementwise as elementwise  # noqa: E402
from ..jit.ops import test_nn_functional as functional  # noqa: E402
from ..jit.ops import test_reductions as reductions  # noqa: E402
from ..jit.ops import test_shapes as shapes  # noqa: E402
from ..jit.ops.samples import DTYPES, array, binary_layouts, assert_op_matches_eager, unary_layouts  # noqa: E402
from .layouts import on_gpu  # noqa: E402

cupy = device.cupy_module()


def gpu(*arrays):
    """The arrays on cuda:0, views as views of GPU bases (device.to would make them contiguous)."""
    return [on_gpu(np.asarray(a)) for a in arrays]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", elementwise.UNARY_UFUNCS)
def test_unary_ufunc_on_gpu(name, dtype):
    for _, a in unary_layouts(dtype):
        result = assert_op_matches_eager(f"np::{name}", f"def f(a):\n    return np.{name}(a)\n", *gpu(a))
        if not isinstance(result, Exception):
            assert device.of(result) == device.Device("cuda:0")


@pytest.mark.parametrize("pair", elementwise.DTYPE_PAIRS, ids=str)
@pytest.mark.parametrize("symbol", list(elementwise.OPERATORS))
def test_binary_operator_on_gpu(symbol, pair):
    for _, a, b in binary_layouts(*pair):
        assert_op_matches_eager(f"np::{elementwise.OPERATORS[symbol]}", f"def f(a, b):\n    return a {symbol} b\n", *gpu(a, b))


@pytest.mark.parametrize("axes", reductions.AXES)
@pytest.mark.parametrize("name", reductions.REDUCTIONS)
def test_reduction_on_gpu(name, axes):
    for dtype in (np.float32, np.int64):
        for _, a in unary_layouts(dtype):
            assert_op_matches_eager(f"np::{name}", f"def f(a):\n    return a.{name}({axes})\n", *gpu(a))


@pytest.mark.parametrize("op, expression", shapes.SHAPE_CASES, ids=[e for _, e in shapes.SHAPE_CASES])
def test_shape_op_on_gpu(op, expression):
    for make in shapes.LAYOUTS.values():
        assert_op_matches_eager(op, f"def f(a):\n    return {expression}\n", *gpu(make(np.float32)))


@pytest.mark.parametrize("expression", shapes.INDEX_CASES)
def test_indexing_on_gpu(expression):
    source = f"def f(a, k, i: int, j: int):\n    return {expression}\n"
    assert_op_matches_eager("np::getitem", source, *gpu(array(np.float32, (3, 4, 5)), np.array([1, 0, 1])), 1, 3)


@pytest.mark.parametrize("op, expression", functional.UNARY, ids=[e for _, e in functional.UNARY])
def test_functional_on_gpu(op, expression):
    source = f"import jit.nn.functional as F\ndef f(a):\n    return {expression}\n"
    assert_op_matches_eager(op, source, *gpu(array(np.float32, (3, 4))))


def test_factories_follow_like_and_stay_on_the_cpu_without_it():
    source = "def f(x, n: int):\n    return np.zeros_like(x), np.ones(n, like=x), np.zeros(n)\n"
    like, ones, cpu = assert_op_matches_eager("np::zeros_like", source, *gpu(array(np.float32, (2, 3))), 3)
    assert device.of(like) == device.Device("cuda:0") and device.of(ones) == device.Device("cuda:0")
    assert device.of(cpu) == device.Device("cpu")
