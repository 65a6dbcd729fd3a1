"""Recording NumPy's factories and random draws while tracing.

``np.zeros(n)`` or ``np.random.rand(3)`` take no array, so NumPy never hands
them to a proxy: without help a trace would bake their result as a constant (a
fixed random draw, a size that no longer follows the input). While any trace
runs, these names in ``numpy`` and ``numpy.random`` are replaced by wrappers
that, in a tracing thread, record the registry's op: always for the global
generator's draws, and for the shaped factories when a size comes from the
trace (``np.zeros(x.shape)``). A factory called with plain sizes returns a plain
array (a constant where the trace uses it): compiled code inside NumPy (the
Generator's methods call ``np.empty``) must get real arrays. The wrappers are
aliases of the originals in the registry, so script code that names them
compiles as before; everywhere else they call NumPy itself. ``np.asarray`` and its
kin are wrapped too: NumPy converts a proxy without asking it, which would bake it.
"""
from __future__ import annotations

import contextlib
import functools
import sys
import threading

import numpy as np

import device as _device
from device import python_builtins
from jit import _tracing, ops
from jit.ops.registry import alias_python_object

from .proxies import holds_traced

_NAMES = {np: ("zeros", "ones", "empty", "full", "arange", "linspace", "logspace", "geomspace", "eye", "identity",
               "tri", "indices", "tril_indices", "triu_indices", "diag_indices"),
          np.random: ("rand", "randn", "random", "random_sample", "standard_normal", "normal", "uniform", "lognormal",
                      "laplace", "logistic", "gumbel", "gamma", "beta", "exponential", "rayleigh",
                      "standard_exponential", "standard_gamma", "chisquare", "poisson", "binomial", "geometric",
                      "standard_cauchy", "standard_t", "vonmises", "wald", "weibull", "pareto", "power", "triangular",
                      "f", "noncentral_chisquare", "noncentral_f", "negative_binomial", "hypergeometric", "logseries",
                      "zipf", "randint", "choice", "permutation", "seed", "default_rng")}
_DRAWS = set(_NAMES[np.random])
# np.zeros_like(W) of an array the trace does not follow (a module-level weight) records too, when the
# traced code calls it: a gradient buffer made so and written with traced values (dW += dh @ x.T in
# Karpathy's min-char-rnn) would otherwise be a plain array whose final value the trace bakes in.
# NumPy's own Python code (which calls these on plain arrays) gets NumPy's.
_LIKE = ("zeros_like", "ones_like", "empty_like", "full_like")
# NumPy converts an array argument of these without asking it (no __array_function__ unless
# like= is given): a traced array would be baked where np.asarray(x) is x itself, so that a write
# through it later writes the input (campaign seeds 100105, 100343, 70394, 70962).
_CONVERSIONS = ("asarray", "asanyarray", "array", "asarray_chkfinite", "ascontiguousarray", "asfortranarray")
_lock = threading.Lock()
_users = 0


def _recording(original, always, conversion=False, from_traced_code=False):
    """The stand-in for ``original`` that records the registry's op in a tracing thread.
    A ``conversion`` (np.asarray...) records only for a traced argument and at most a dtype:
    with order=, copy=... it is NumPy's. ``from_traced_code``: records whenever code outside
    NumPy calls it (``_LIKE``)."""
    overloads = ops.python_object_overloads(original)

    @functools.wraps(original)
    def factory(*args, **kwargs):
        recorder = _tracing.current()
        if recorder is None or not recorder.records_calls() or kwargs.get("like") is not None \
                or (conversion and (len(args) > 2 or set(kwargs) - {"dtype"})) \
                or not (always or holds_traced((args, kwargs))
                        or (from_traced_code and _called_outside_numpy() and _device.is_array(args[0] if args else None))):
            return original(*args, **kwargs)
        return recorder.record(*overloads[0], args, kwargs, overloads=overloads)

    alias_python_object(factory, original)
    return factory


def _called_outside_numpy() -> bool:
    caller = sys._getframe(2).f_globals.get("__name__", "")  # factory's caller
    return not (caller == "numpy" or caller.startswith("numpy."))


_WRAPPERS = {(module, name): (getattr(module, name), _recording(getattr(module, name), name in _DRAWS))
             for module, names in _NAMES.items() for name in names}
_WRAPPERS.update({(np, name): (getattr(np, name), _recording(getattr(np, name), False, from_traced_code=True))
                  for name in _LIKE})
_WRAPPERS.update({(np, name): (getattr(np, name), _recording(getattr(np, name), False, conversion=True))
                  for name in _CONVERSIONS})


def add_wrapper(module, name, original, wrapper):
    """Put ``wrapper`` in place of ``module.name`` (which is ``original``) while a trace runs."""
    _WRAPPERS[(module, name)] = (original, wrapper)


def install():
    global _users
    with _lock:
        if _users == 0:
            for (module, name), (_, wrapper) in _WRAPPERS.items():
                setattr(module, name, wrapper)
        _users += 1


def uninstall():
    global _users
    with _lock:
        _users -= 1
        if _users == 0:
            for (module, name), (original, _) in _WRAPPERS.items():
                setattr(module, name, original)


@contextlib.contextmanager
def suspended():
    """The originals in place (for code that compiles Python functions: Numba) while traces run."""
    with _lock:
        active = _users > 0
        if active:
            for (module, name), (original, _) in _WRAPPERS.items():
                setattr(module, name, original)
    try:
        yield
    finally:
        if active:
            with _lock:
                if _users > 0:
                    for (module, name), (_, wrapper) in _WRAPPERS.items():
                        setattr(module, name, wrapper)


python_builtins.register_suspender(suspended)
