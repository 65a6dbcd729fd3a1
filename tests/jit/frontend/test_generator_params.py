"""A np.random.Generator as a parameter (issue 18): annotated, unannotated with a
Generator passed or given by example_inputs, or defaulting to one; its methods
draw in script code as eagerly (equally seeded generators give equal results),
and a saved function takes the Generator as an argument."""
from __future__ import annotations

import numpy as np
import pytest

import jit
from jit import types as T

from ...helpers import assert_same, define, reloaded, script_source

_NOISY = """
    def noisy(x, rng{annotation}):
        return x + rng.normal(size=x.shape) * 0.1 + rng.standard_normal(3).sum()
"""


def _check_draws(scripted, eager):
    x = np.linspace(0, 1, 4)
    for seed in (0, 1):
        assert_same(scripted(x, np.random.default_rng(seed)), eager(x, np.random.default_rng(seed)))
    rng_scripted, rng_eager = np.random.default_rng(5), np.random.default_rng(5)
    scripted(x, rng_scripted)
    eager(x, rng_eager)
    assert rng_scripted.random() == rng_eager.random()  # the draws advanced the caller's generator alike


def test_an_annotated_generator_parameter():
    scripted, eager = script_source(_NOISY.format(annotation=": np.random.Generator"))
    assert scripted.parameters[1].type == T.GENERATOR
    _check_draws(scripted, eager)


def test_an_unannotated_parameter_passed_a_generator():
    scripted, eager = script_source(_NOISY.format(annotation=""))
    _check_draws(scripted, eager)
    eager = define(_NOISY.format(annotation=""))
    _check_draws(jit.script(eager, example_inputs=[(np.ones(4), np.random.default_rng(0))]), eager)


# Saved, the default is gone (the file holds no Generator; the next test checks that form).
@pytest.mark.no_round_trip
def test_a_generator_default_is_the_one_object_eager_code_shares():
    source = """
        def sample(n: int, rng=np.random.default_rng(7)):
            return rng.normal(size=n)
    """
    eager = define(source)
    scripted = jit.script(define(source))  # its own default, seeded alike
    assert scripted.parameters[1].type == T.GENERATOR
    for _ in range(2):  # each call advances the default, as eagerly
        assert_same(scripted(3), eager(3))
    assert_same(scripted(3, np.random.default_rng(1)), eager(3, np.random.default_rng(1)))


def test_saving_a_function_with_a_generator_parameter_takes_it_as_an_argument():
    scripted, eager = script_source(_NOISY.format(annotation=": np.random.Generator"))
    _check_draws(reloaded(scripted), eager)
    with_default = jit.script(define("""
        def sample(n: int, rng=np.random.default_rng(7)):
            return rng.normal(size=n)
    """))
    assert "rng: np.random.Generator)" in with_default.code
    loaded = reloaded(with_default)
    assert_same(loaded(2, np.random.default_rng(3)), np.random.default_rng(3).normal(size=2))
