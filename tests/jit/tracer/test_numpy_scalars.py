"""NumPy scalars and traced sizes in a trace: a NumPy scalar the function reads
or computes from no input keeps its type and dtype (as a result, and where an
operation promotes with it), and NumPy's functions of a traced size are recorded.
The oracle is the same function run eagerly; each trace is also saved and loaded."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import jit
from jit import TracerWarning, TracingError
from jit.ir import verify

from ...helpers import assert_same, node_kinds, reloaded


def _trace(function, example):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TracerWarning)  # constant outputs say they are constants
        traced = jit.trace(function, example)
    verify(traced.graph)
    return traced


def _matches(function, example, *others):
    """The trace, and the trace saved and loaded, equal eager (types included) on every input."""
    traced = _trace(function, example)
    loaded = reloaded(traced)
    for arguments in (example, *others):
        expected = function(*arguments)
        assert_same(traced(*arguments), expected, "the trace")
        assert_same(loaded(*arguments), expected, "the loaded trace")
    return traced


def test_numpy_scalar_results_keep_their_type_and_dtype():
    count, start, half, missing = 3, np.uint64(0), np.float32(0.5), np.float64(np.nan)

    def f(x):
        flags = [np.ones(()) > 0, np.float16(1)]
        return (np.rint(count), ~start, half, missing, np.ones(()).sum(), {"scale": half * 2, "flags": flags[0]},
                flags, x * 2)

    result = _matches(f, (np.array([1.0, 2.0]),), (np.array([3.0]),))(np.array([1.0, 2.0]))
    assert [type(v) for v in result[:5]] == [np.float64, np.uint64, np.float32, np.float64, np.float64]


def test_numpy_scalar_constants_promote_with_their_dtype():
    modulus, offset, scale = np.uint16(3), np.int32(-3), np.float32(2.5)

    def f(x, y, z):
        return (x % modulus, y + offset, (np.ones(()) > 0) * 1 + z, np.float16(1) + z,
                np.maximum(z, np.int8(4)), z * np.ones((), np.uint8).sum(), np.full(2, scale))

    with np.errstate(all="ignore"):
        eager = f(np.ones(2, np.float16), np.ones(2, np.uint32), np.ones(2, np.int16))
        assert [r.dtype for r in eager] == [np.float32, np.int64, np.int64, np.float32, np.int16, np.float64,
                                            np.float32]  # NumPy's, not a Python number's (weak) promotion
        _matches(f, (np.array([1.0, 5.0], np.float16), np.array([7, 9], np.uint32), np.array([3, 4], np.int16)),
                 (np.array([2.0], np.float16), np.array([1, 2, 3], np.uint32), np.array([-1], np.int16)))


def test_numpy_integer_constants_are_sizes_indices_and_axes():
    one, rows, axis = np.int64(1), np.int32(2), np.int64(0)

    def f(x):
        return (x[one], x[:rows], x.reshape(rows, -1), x.sum(axis=axis), np.zeros((rows, x.shape[0])),
                x[np.bool_(True)], x.shape[0] + np.int32(3))

    traced = _matches(f, (np.arange(4.0),), (np.arange(6.0),))
    assert "np::reshape" in node_kinds(traced)


def test_numpy_functions_of_traced_sizes_are_recorded():
    def f(x):
        return (np.sin(x.size) * x, np.sqrt(x.shape[-1]), np.multiply(np.arange(2, dtype=np.float16), x.shape[0]),
                np.maximum(x.shape[0], np.float32(1)), np.negative(x.shape[0]))

    with warnings.catch_warnings():
        warnings.simplefilter("error", TracerWarning)  # nothing is baked in
        traced = _matches(f, (np.arange(4.0),), (np.arange(9.0),))
    assert {"np::sin", "np::sqrt", "np::multiply", "np::maximum"} <= set(node_kinds(traced))
    result = traced(np.arange(9.0))
    assert type(result[1]) is np.float64 and result[2].dtype == np.float16 and type(result[3]) is np.float32


def test_math_trunc_of_a_traced_size_is_recorded():
    def f(x):
        return x * math.trunc(x.shape[0] / 3)

    x = np.arange(7.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TracerWarning)  # math's functions of sizes are recorded while tracing
        traced = jit.trace(f, (x,))
    assert "math::trunc" in node_kinds(traced)
    assert_same(traced(x), f(x))
    assert_same(traced(np.arange(10.0)), f(np.arange(10.0)))


def test_asarray_of_a_traced_size_follows_the_size():
    def f(x):
        return np.asarray(x.shape[0]) + x

    x = np.arange(3, dtype=np.int8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TracerWarning)  # recorded, not baked
        traced = jit.trace(f, (x,))
    assert_same(traced(x), f(x))
    longer = np.arange(5, dtype=np.int8)
    assert_same(traced(longer), f(longer))


def test_ufunc_methods_of_a_traced_size_are_a_clear_error():
    def f(x):
        return x * np.multiply.outer(x.shape[0], 2)

    with pytest.raises(TracingError, match=r"np\.multiply\.outer cannot be traced"):
        jit.trace(f, (np.arange(3.0),))
