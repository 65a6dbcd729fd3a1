"""A trace keeps the work its outputs' errors depend on: traced on one input and
called on another that makes eager code raise, it raises the same exception
type. And every spelling of ``astype`` records the op script code uses, with
NumPy's meaning of Python's types. The oracle is the same function run eagerly."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import jit
from jit import TracerWarning
from jit.ir import verify

from ...helpers import assert_same, error_of, node_kinds


def _trace(function, example):
    with warnings.catch_warnings():
        warnings.simplefilter("error", TracerWarning)  # these functions trace cleanly
        traced = jit.trace(function, example)
    verify(traced.graph)
    return traced


@pytest.fixture(params=("STATIC", "DYNAMIC"))
def kind(request):
    previous = jit.set_fusion_strategy([(request.param, 4)])
    yield request.param
    jit.set_fusion_strategy(previous)


ERRORS = [
    # (function, example arguments, arguments that make eager raise)
    (lambda x, y: (x + y).ndim, (np.ones(3), np.ones(3)), (np.ones(3), np.ones(4))),
    (lambda x, y: (x + y).shape, (np.ones(3), np.ones(3)), (np.ones(3), np.ones(4))),
    (lambda x, y: np.where(x > 0, x, y).ndim, (np.ones((2, 3)), np.ones(3)), (np.ones((2, 3)), np.ones(2))),
    (lambda x: np.zeros(x.argmax(axis=0).shape), (np.ones((2, 3)),), (np.zeros((0, 3)),)),
    (lambda x: x.max(axis=1).ndim, (np.ones((3, 2)),), (np.ones((3, 0)),)),
    (lambda x: x.sum(axis=1).ndim, (np.ones((3, 2)),), (np.ones(3),)),
    (lambda x: (x + 300).ndim, (np.ones(3),), (np.arange(3, dtype=np.uint8),)),
    (lambda a, b: (a @ b).ndim, (np.ones((2, 3)), np.ones((3, 4))), (np.ones((2, 3)), np.ones((2, 4)))),
    (lambda x: x.reshape(2, -1).ndim, (np.ones(6),), (np.ones(5),)),
]


@pytest.mark.parametrize("function, example, failing", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_a_trace_raises_what_eager_raises_on_other_inputs(kind, function, example, failing):
    traced = _trace(function, example)
    assert_same(traced(*example), function(*example))
    expected = error_of(function, *failing)
    assert expected is not None, "the case must make eager code raise"
    for _ in range(3):  # profiled runs, then the specialization's
        with pytest.raises(type(expected)):
            traced(*failing)
    _, specialization = traced._executor.would_run(failing, {})
    with pytest.raises(type(expected)):
        specialization.run(*failing)


def test_a_trace_still_drops_the_shape_reads_it_made():
    def f(x):
        unused = x.shape  # noqa: F841 - the tracer's own element reads go
        return x + 1

    traced = _trace(f, (np.ones((2, 2)),))
    assert node_kinds(traced) == ["prim::Constant", "np::add"]


CASTS = {
    "x.astype(bool)": lambda x, y: x.astype(bool),
    "x.astype(int)": lambda x, y: x.astype(int),
    "x.astype(float)": lambda x, y: x.astype(float),
    "x.astype(complex)": lambda x, y: x.astype(complex),
    "x.astype(np.bool_)": lambda x, y: x.astype(np.bool_),
    "x.astype(np.float32)": lambda x, y: x.astype(np.float32),
    "x.astype('float32')": lambda x, y: x.astype("float32"),
    "x.astype('int16')": lambda x, y: x.astype("int16"),
    "x.astype(dtype=float)": lambda x, y: x.astype(dtype=float),
    "x.astype(dtype=np.int32)": lambda x, y: x.astype(dtype=np.int32),
    "x.astype(x.dtype)": lambda x, y: x.astype(x.dtype),
    "x.astype(y.dtype)": lambda x, y: x.astype(y.dtype),
    "np.astype(x, int)": lambda x, y: np.astype(x, int),
    "np.zeros(x.shape, dtype=int)": lambda x, y: np.zeros(x.shape, dtype=int),
    "np.zeros_like(x, dtype=bool)": lambda x, y: np.zeros_like(x, dtype=bool),
    "np.zeros(x.shape, dtype=y.dtype)": lambda x, y: np.zeros(x.shape, dtype=y.dtype),
}

INPUTS = [
    (np.linspace(-2, 2, 5), np.ones(2, np.float32)),  # traced on these
    (np.arange(-3, 3, dtype=np.int32).reshape(2, 3), np.ones(1, np.int8)),
    (np.array([True, False, True]), np.ones(3, np.uint16)),
]


@pytest.mark.parametrize("spelling", list(CASTS))
def test_every_astype_spelling_is_recorded(spelling):
    function = CASTS[spelling]
    traced = _trace(function, INPUTS[0])
    kinds = node_kinds(traced)
    assert any(k in kinds for k in ("np::astype", "np::zeros", "np::zeros_like")), kinds
    assert not any(n.kind == "prim::Constant" and isinstance(n["value"], np.ndarray)
                   for n in traced.graph.all_nodes()), "nothing is baked"
    for arguments in INPUTS:
        for _ in range(3):
            assert_same(traced(*arguments), function(*arguments))


def test_python_types_mean_what_numpy_makes_of_them():
    traced = _trace(lambda x: (x.astype(int), x.astype(float), x.astype(bool), x.astype(complex)),
                    (np.ones(2, np.float32),))
    dtypes = [r.dtype for r in traced(np.ones(2, np.float32))]
    assert dtypes == [np.dtype(int), np.dtype(float), np.dtype(bool), np.dtype(complex)]


def test_a_traced_dtype_reads_as_a_dtype_in_python():
    def f(x):
        dtype = x.dtype
        scale = 2.0 if dtype == np.float32 and dtype.kind == "f" and np.issubdtype(dtype, np.floating) else 3.0
        return x.astype(dtype) * scale

    traced = _trace(f, (np.ones(3, np.float32),))
    assert_same(traced(np.ones(4, np.float32)), f(np.ones(4, np.float32)))
    assert "np::dtype" in node_kinds(traced)
