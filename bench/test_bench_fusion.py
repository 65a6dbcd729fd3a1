"""The benchmark workloads (elementwise and reductions) under pytest-benchmark
(``pytest bench/``): each entry checks its result against NumPy eager before it is timed."""
from __future__ import annotations

import numpy as np
import pytest

from bench import workloads

from jit.benchmarking.comparison import REDUCTION_WORKLOADS, WORKLOADS

NAMES = list(WORKLOADS + REDUCTION_WORKLOADS)


@pytest.mark.parametrize("name", NAMES)
def test_numpy_eager(benchmark, name):
    args = workloads.inputs(name)
    benchmark(workloads.EAGER[name], *args)


@pytest.mark.parametrize("name", NAMES)
def test_scripted_fused(benchmark, name):
    args = workloads.inputs(name)
    function = workloads.scripted(name)
    function(*args)
    np.testing.assert_allclose(function(*args), workloads.EAGER[name](*args), rtol=2e-5, atol=2e-5)
    benchmark(function, *args)


@pytest.mark.parametrize("name", WORKLOADS)  # the loops by hand: the elementwise workloads
def test_numba_by_hand(benchmark, name):
    args = workloads.inputs(name)
    loop = workloads.numba_by_hand()[name]
    np.testing.assert_allclose(loop(*args), workloads.EAGER[name](*args), rtol=2e-5, atol=2e-5)
    benchmark(loop, *args)


@pytest.mark.parametrize("name", ["gelu_bias", "small", "chain10"])
def test_numexpr(benchmark, name):
    numexpr = pytest.importorskip("numexpr")
    args = workloads.inputs(name)
    names = ("x", "b") if name != "chain10" else ("x", "y")
    expression = workloads.NUMEXPR["gelu_bias" if name == "small" else name]
    local = dict(zip(names, args))
    np.testing.assert_allclose(numexpr.evaluate(expression, local_dict=local), workloads.EAGER[name](*args),
                               rtol=2e-5, atol=2e-5)
    benchmark(numexpr.evaluate, expression, local_dict=local)
