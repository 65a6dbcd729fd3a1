"""jit.ops.random against eager NumPy: each script seeds NumPy's global generator
and draws, so the scripted and the eager function draw the same numbers."""
from __future__ import annotations

import numpy as np
import pytest

import jit

from ...helpers import assert_same, reloaded, script_source
from .samples import array, assert_op_matches_eager

DRAWS = [
    ("normal", "np.random.normal(size=(2, 3))"), ("normal", "np.random.normal(a, 2.0)"), ("normal", "np.random.normal()"),
    ("uniform", "np.random.uniform(-1, 1, 4)"), ("uniform", "np.random.uniform(high=a)"),
    ("lognormal", "np.random.lognormal(0.0, 0.5, (3,))"), ("laplace", "np.random.laplace(size=2)"),
    ("logistic", "np.random.logistic(1.0, size=(2, 2))"), ("gumbel", "np.random.gumbel(size=3)"),
    ("gamma", "np.random.gamma(2.0, size=3)"), ("beta", "np.random.beta(2.0, 3.0, 4)"),
    ("exponential", "np.random.exponential(2.0, (2,))"), ("rayleigh", "np.random.rayleigh(size=2)"),
    ("standard_exponential", "np.random.standard_exponential(3)"), ("standard_gamma", "np.random.standard_gamma(1.5, 2)"),
    ("chisquare", "np.random.chisquare(3, size=2)"), ("poisson", "np.random.poisson(3.0, 5)"),
    ("poisson", "np.random.poisson()"), ("binomial", "np.random.binomial(10, 0.5, (2, 2))"),
    ("geometric", "np.random.geometric(0.3, 3)"),
    ("standard_cauchy", "np.random.standard_cauchy(2)"), ("standard_t", "np.random.standard_t(3.0, (2,))"),
    ("vonmises", "np.random.vonmises(0.0, 1.0, 3)"), ("wald", "np.random.wald(1.0, 2.0, size=2)"),
    ("weibull", "np.random.weibull(a, (3, 2))"), ("pareto", "np.random.pareto(2.0, 2)"),
    ("power", "np.random.power(3.0, 2)"), ("triangular", "np.random.triangular(0.0, 1.0, 2.0, 3)"),
    ("f", "np.random.f(3.0, 4.0, 2)"), ("noncentral_chisquare", "np.random.noncentral_chisquare(3.0, 1.0, 2)"),
    ("noncentral_f", "np.random.noncentral_f(3.0, 4.0, 1.0)"),
    ("negative_binomial", "np.random.negative_binomial(5, 0.5, 3)"),
    ("hypergeometric", "np.random.hypergeometric(5, 3, 4, size=(2,))"), ("logseries", "np.random.logseries(0.5, 2)"),
    ("zipf", "np.random.zipf(2.0, 3)"),
    ("randint", "np.random.randint(0, 10, (2, 3))"), ("randint", "np.random.randint(5)"),
    ("randint", "np.random.randint(-3, 3, 4, dtype=np.int8)"),
    ("choice", "np.random.choice(5, 3)"), ("choice", "np.random.choice(a.ravel(), (2,), replace=True)"),
    ("choice", "np.random.choice(4)"), ("permutation", "np.random.permutation(6)"),
    ("permutation", "np.random.permutation(a)"),
    ("multinomial", "np.random.multinomial(10, np.ones(3) / 3)"), ("multinomial", "np.random.multinomial(5, a[0] / a[0].sum(), 4)"),
    ("dirichlet", "np.random.dirichlet(a[0], (2, 3))"), ("dirichlet", "np.random.dirichlet(np.ones(4))"),
    ("multivariate_normal", "np.random.multivariate_normal(np.zeros(2), np.eye(2), 3)"),
    ("multivariate_normal", "np.random.multivariate_normal(a[:, 0], a @ a.T + np.eye(3))"), ("seed", "np.random.seed(5)"),
]
GENERATOR_DRAWS = [
    ("normal", "rng.normal(0.0, 1.0, size=(3, 4))"), ("normal", "rng.normal(a, 2.0)"), ("normal", "rng.normal()"),
    ("uniform", "rng.uniform(-1, 1, 4)"), ("uniform", "rng.uniform(high=a)"), ("uniform", "rng.uniform(size=(2, 0))"),
    ("integers", "rng.integers(0, 10, (2, 3))"), ("integers", "rng.integers(5)"),
    ("integers", "rng.integers(-3, 3, 4, dtype=np.int8, endpoint=True)"), ("integers", "rng.integers(a, 20)"),
    ("standard_normal", "rng.standard_normal((2, 2))"), ("standard_normal", "rng.standard_normal(3, dtype=np.float32)"),
    ("standard_normal", "rng.standard_normal()"), ("random", "rng.random()"), ("random", "rng.random((2, 3))"),
    ("random", "rng.random(4, np.float32)"), ("exponential", "rng.exponential(2.0, 3)"),
    ("standard_exponential", "rng.standard_exponential((2,))"), ("lognormal", "rng.lognormal(0.0, 0.5, 3)"),
    ("gamma", "rng.gamma(a)"), ("beta", "rng.beta(2.0, 3.0, 2)"), ("poisson", "rng.poisson(a)"),
    ("binomial", "rng.binomial(10, 0.5, (2, 2))"), ("permutation", "rng.permutation(5)"),
    ("permutation", "rng.permutation(a)"), ("permutation", "rng.permutation(a, axis=1)"),
]
COVERS = {f"np::random.{name}" for name, _ in DRAWS} | {f"np::random.Generator.{name}" for name, _ in GENERATOR_DRAWS} \
    | {"np::random.default_rng"}


@pytest.mark.parametrize("name, expression", DRAWS, ids=[e for _, e in DRAWS])
def test_draw(name, expression):
    source = f"def f(a):\n    np.random.seed(1234)\n    return {expression}\n"
    assert_op_matches_eager(f"np::random.{name}", source, array(np.float64, (3, 2), special=False) + 4.0)


@pytest.mark.parametrize("name, expression", GENERATOR_DRAWS, ids=[e for _, e in GENERATOR_DRAWS])
def test_generator_draw(name, expression):
    """A Generator made from a seed in the script draws what eager's does, twice in a row."""
    source = f"def f(a):\n    rng = np.random.default_rng(1234)\n    first = {expression}\n    return first, {expression}\n"
    assert_op_matches_eager(f"np::random.Generator.{name}", source, array(np.float64, (3, 2), special=False) + 4.0)
    assert_op_matches_eager("np::random.default_rng", source, array(np.float64, (3, 2), special=False) + 4.0)


GENERATOR_SOURCE = """def f(x):
    rng = np.random.default_rng(7)
    noise = rng.normal(0.0, 1.0, size=x.shape)
    return x + noise, rng.integers(0, 10, size=(2,)), rng.uniform(), rng.standard_normal(3), rng.random((2, 2))
"""


def test_a_function_making_a_generator_from_a_seed_saves_and_loads():
    function, eager = script_source(GENERATOR_SOURCE)
    loaded = reloaded(function)
    x = array(np.float64, (3, 4), special=False)
    assert_same(loaded(x), eager(x))
    assert_same(loaded(x), function(x))  # each call makes its generator anew


def test_generators_are_not_merged_and_their_draws_keep_their_order():
    """Two default_rng(0) are two generators (no common subexpression): equal first draws."""
    function, eager = script_source("def f():\n    a = np.random.default_rng(0)\n    b = np.random.default_rng(0)\n"
                                    "    return a.normal(size=2), a.normal(size=2), b.normal(size=2)\n")
    assert_same(function(), eager())
    first, second, other = function()
    assert np.array_equal(first, other) and not np.array_equal(first, second)


def test_generator_errors_name_what_is_wrong():
    with pytest.raises(jit.CompilationError, match="the generator attribute 'normall'; did you mean 'normal'"):
        script_source("def f():\n    rng = np.random.default_rng(0)\n    return rng.normall(size=2)\n")
    # A Generator parameter is supported now: tests/jit/frontend/test_generator_params.py.
    function, eager = script_source("def f(seed: int):\n    return np.random.default_rng(seed).integers(0, -1, 3)\n")
    with pytest.raises(ValueError, match="high <= 0"):  # NumPy's own error
        function(0)
    with pytest.raises(ValueError, match="high <= 0"):
        eager(0)
