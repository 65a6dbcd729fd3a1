"""NumPy's legacy global generator: ``np.random.normal``, ``uniform``, ``randint``,
``choice``, ``seed``... Like ``np.random.rand``, each draw comes from NumPy's
global generator, so a seeded script draws what the eager function draws; the
type rules never draw (no probing), and the draws are CPU arrays."""
from __future__ import annotations

import numpy as np

from jit import types as T

from . import type_rules as R
from .declare import numpy_op
from .registry import Spelling
from .shapes import int_sequence


def _scalars_only(arrays) -> bool:
    """Whether array parameters of these types draw one Python number (none, or all 0-d)."""
    return all(t.shape == () for t in arrays)


def draw_rule(dtype, size_index, params):
    """A draw of ``dtype``: shaped by ``size``, or with ``size=None`` by the broadcast
    of the array parameters, and a Python number when there are none or all are 0-d
    (NumPy's ``np.random.gamma(np.float64(2.0))`` is a float; campaign seed 130297)."""
    dtype = np.dtype(dtype)

    def rule(infos):
        size = infos[size_index]
        arrays = [infos[i].type for i in params if R.is_tensor(infos[i].type)]
        if size.type == T.NONE:
            if _scalars_only(arrays):
                return T.FLOAT if dtype.kind == "f" else T.INT
            return T.TensorType(dtype, R.broadcast_shapes([t.shape for t in arrays]), "cpu")
        return T.TensorType(dtype, int_sequence(size), "cpu")

    return rule


def draw(name, signature, dtype=np.float64, params=(0, 1)):
    size_index = [part.split(":")[0].strip() for part in signature.split(",")].index("size")
    returns = "tensor|float" if np.dtype(dtype).kind == "f" else "tensor|int"
    op = numpy_op(f"random.{name}", signature, call=f"_np.random.{name}", positional=0, returns=returns,
                  rule=draw_rule(dtype, size_index, params), side_effects=True, nondeterministic=True,
                  scalars_to_array=False,
                  doc=f"np.random.{name}: from NumPy's global generator")
    op.number_for_0d_inputs = True
    return op


_SIZE = "size: shape? = None"
draw("normal", f"loc: array = 0.0, scale: array = 1.0, {_SIZE}")
draw("uniform", f"low: array = 0.0, high: array = 1.0, {_SIZE}")
draw("lognormal", f"mean: array = 0.0, sigma: array = 1.0, {_SIZE}")
draw("laplace", f"loc: array = 0.0, scale: array = 1.0, {_SIZE}")
draw("logistic", f"loc: array = 0.0, scale: array = 1.0, {_SIZE}")
draw("gumbel", f"loc: array = 0.0, scale: array = 1.0, {_SIZE}")
draw("gamma", f"shape: array, scale: array = 1.0, {_SIZE}")
draw("beta", f"a: array, b: array, {_SIZE}")
draw("exponential", f"scale: array = 1.0, {_SIZE}", params=(0,))
draw("rayleigh", f"scale: array = 1.0, {_SIZE}", params=(0,))
draw("standard_exponential", _SIZE, params=())
draw("standard_gamma", f"shape: array, {_SIZE}", params=(0,))
draw("chisquare", f"df: array, {_SIZE}", params=(0,))
draw("poisson", f"lam: array = 1.0, {_SIZE}", dtype=np.int64, params=(0,))
draw("binomial", f"n: array, p: array, {_SIZE}", dtype=np.int64)
draw("geometric", f"p: array, {_SIZE}", dtype=np.int64, params=(0,))
draw("standard_cauchy", _SIZE, params=())
draw("standard_t", f"df: array, {_SIZE}", params=(0,))
draw("vonmises", f"mu: array, kappa: array, {_SIZE}")
draw("wald", f"mean: array, scale: array, {_SIZE}")
draw("weibull", f"a: array, {_SIZE}", params=(0,))
draw("pareto", f"a: array, {_SIZE}", params=(0,))
draw("power", f"a: array, {_SIZE}", params=(0,))
draw("triangular", f"left: array, mode: array, right: array, {_SIZE}", params=(0, 1, 2))
draw("f", f"dfnum: array, dfden: array, {_SIZE}")
draw("noncentral_chisquare", f"df: array, nonc: array, {_SIZE}")
draw("noncentral_f", f"dfnum: array, dfden: array, nonc: array, {_SIZE}", params=(0, 1, 2))
draw("negative_binomial", f"n: array, p: array, {_SIZE}", dtype=np.int64)
draw("hypergeometric", f"ngood: array, nbad: array, nsample: array, {_SIZE}", dtype=np.int64, params=(0, 1, 2))
draw("logseries", f"p: array, {_SIZE}", dtype=np.int64, params=(0,))
draw("zipf", f"a: array, {_SIZE}", dtype=np.int64, params=(0,))


def _randint_rule(infos):
    """dtype None is NumPy's default ``int``: a Python int when no size is given."""
    dtype_info, size = infos[3], infos[2]
    dtype = None
    if dtype_info.is_constant:
        dtype = np.dtype(np.int64) if dtype_info.value is None else np.dtype(dtype_info.value)
    arrays = [i.type for i in infos[:2] if R.is_tensor(i.type)]
    if size.type == T.NONE and _scalars_only(arrays):
        if dtype_info.is_constant and dtype_info.value is None:
            return T.INT
        return T.TensorType(dtype, (), "cpu")
    shape = R.broadcast_shapes([t.shape for t in arrays]) if size.type == T.NONE else int_sequence(size)
    return T.TensorType(dtype, shape, "cpu")


def _randint(xp, low, high, size, dtype):
    return np.random.randint(low, high, size, **({} if dtype is None else {"dtype": dtype}))


numpy_op("random.randint", "low: array, high: array? = None, size: shape? = None, dtype: dtype = None",
         impl=_randint, returns="tensor|int", rule=_randint_rule, side_effects=True,
         nondeterministic=True, scalars_to_array=False,
         doc="np.random.randint(low, high=None, size=None, dtype=int)").number_for_0d_inputs = True


def _choice_rule(infos):
    population, size = infos[0].type, infos[1]
    dtype = population.dtype if R.is_tensor(population) else np.dtype(np.int64)
    if size.type == T.NONE:  # a 0-d population is NumPy's integer n (np.arange(n)): a Python int
        return T.TensorType(dtype, (), "cpu") if R.is_tensor(population) and population.shape != () else T.INT
    return T.TensorType(dtype, int_sequence(size), "cpu")


numpy_op("random.choice", "a: array, size: shape? = None, replace: bool = True, p: tensor? = None",
         call="_np.random.choice", positional=1, returns="tensor|int", rule=_choice_rule, side_effects=True,
         nondeterministic=True, scalars_to_array=False,
         doc="np.random.choice(a, size=None, replace=True, p=None)").number_for_0d_inputs = True


def _permutation_rule(infos):
    x = infos[0].type
    if R.is_tensor(x) and x.shape is None:
        return T.TensorType(None, None, "cpu")
    if R.is_tensor(x) and x.shape:
        return T.TensorType(x.dtype, x.shape, "cpu")
    # NumPy shuffles np.arange(x) for an integer, and a NumPy integer is our 0-d array.
    return T.TensorType(np.int64, (infos[0].value if infos[0].is_constant else None,), "cpu")


numpy_op("random.permutation", "x: array", call="_np.random.permutation", returns="tensor", rule=_permutation_rule,
         side_effects=True, nondeterministic=True, scalars_to_array=False,
         doc="np.random.permutation(x): a shuffled copy, or of arange(x)")
def _vector_draw_rule(dtype, length_index):
    """A draw of vectors (multinomial, dirichlet, multivariate_normal): ``size`` then
    the length of the parameter vector ``length_index``."""
    def rule(infos):
        size, vector = infos[-1], infos[length_index].type
        length = vector.shape[-1] if R.is_tensor(vector) and vector.shape else None
        leading = () if size.is_constant and size.value is None else int_sequence(size)
        return T.TensorType(dtype, None if leading is None else (*leading, length), "cpu")

    return rule


for _name, _signature, _dtype, _index in (
        ("multinomial", "n: int, pvals: tensor, size: shape? = None", np.int64, 1),
        ("dirichlet", "alpha: tensor, size: shape? = None", np.float64, 0),
        ("multivariate_normal", "mean: tensor, cov: tensor, size: shape? = None", np.float64, 0)):
    numpy_op(f"random.{_name}", _signature, call=f"_np.random.{_name}", positional=0,
             rule=_vector_draw_rule(np.dtype(_dtype), _index), side_effects=True, nondeterministic=True,
             scalars_to_array=False, doc=f"np.random.{_name}: vectors from NumPy's global generator")
numpy_op("random.seed", "seed: int? = None", call="_np.random.seed", returns="none", rule=lambda infos: T.NONE,
         side_effects=True, scalars_to_array=False, doc="np.random.seed(seed=None): reseeds NumPy's global generator")


# -- Generator objects: ``rng = np.random.default_rng(seed)`` and its methods ------------------
# A Generator is a value of its own type (T.GENERATOR) that draws advance, so every op here has
# side effects: two default_rng(0) are two generators, and draws keep their order. A draw follows
# from its generator; only a generator seeded from the OS (seed None) is nondeterministic.
numpy_op("random.default_rng", "seed: int? = None", call="_np.random.default_rng", returns=T.GENERATOR,
         rule=lambda infos: T.GENERATOR, side_effects=True, nondeterministic=True, scalars_to_array=False,
         doc="np.random.default_rng(seed=None): a NumPy Generator (seeded with an int, or from the OS)")


def generator_draw_rule(dtype, size_index, params, dtype_index=None):
    """A Generator draw: shaped by ``size``, or with ``size=None`` by the broadcast of the
    array parameters; a Python float (a NumPy scalar for ``integers``) when that is known 0-d."""
    default = np.dtype(dtype)

    def rule(infos):
        dtype = default
        if dtype_index is not None:
            given = infos[dtype_index]
            dtype = np.dtype(given.value) if given.is_constant else None
        size = infos[size_index]
        if size.type != T.NONE:
            return T.TensorType(dtype, int_sequence(size), "cpu")
        arrays = [infos[i].type for i in params if R.is_tensor(infos[i].type)]
        shape = R.broadcast_shapes([t.shape for t in arrays]) if arrays else ()
        if default.kind in "iu":
            return T.TensorType(dtype, shape, "cpu")  # rng.integers(5) is an np.int64
        # With parameters of unknown rank an array, as the legacy draws (a 0-d one gives a float).
        return T.FLOAT if shape == () else T.TensorType(dtype, shape, "cpu")

    return rule


def generator_method(name, signature, dtype=np.float64, params=(), dtype_arg=False):
    """Register ``np::random.Generator.<name>``, spelled ``rng.<name>(...)``."""
    names = [part.split(":")[0].strip() for part in signature.split(",") if part.strip() != "*"]
    size_index = names.index("size") + 1
    dtype_index = names.index("dtype") + 1 if dtype_arg else None
    keywords = ", ".join(f"{n}={{{i + 1}}}" for i, n in enumerate(names))
    returns = "tensor" if np.dtype(dtype).kind in "iu" else "tensor|float"
    return numpy_op(f"random.Generator.{name}", f"bit_generator: generator, {signature}",
                    template=f"{{0}}.{name}({keywords})", returns=returns,
                    rule=generator_draw_rule(dtype, size_index, [p + 1 for p in params], dtype_index),
                    spellings=[Spelling("method", name, receiver="generator")], side_effects=True,
                    scalars_to_array=False,
                    doc=f"rng.{name}({signature}): a draw from the Generator rng")


generator_method("normal", f"loc: array = 0.0, scale: array = 1.0, {_SIZE}", params=(0, 1))
generator_method("uniform", f"low: array = 0.0, high: array = 1.0, {_SIZE}", params=(0, 1))
generator_method("standard_normal", f"{_SIZE}, dtype: dtype = np.float64", dtype_arg=True)
generator_method("random", f"{_SIZE}, dtype: dtype = np.float64", dtype_arg=True)
generator_method("integers", f"low: array, high: array? = None, {_SIZE}, dtype: dtype = np.int64, "
                 "endpoint: bool = False", dtype=np.int64, params=(0, 1), dtype_arg=True)
generator_method("exponential", f"scale: array = 1.0, {_SIZE}", params=(0,))
generator_method("standard_exponential", _SIZE)
generator_method("lognormal", f"mean: array = 0.0, sigma: array = 1.0, {_SIZE}", params=(0, 1))
generator_method("gamma", f"shape: array, scale: array = 1.0, {_SIZE}", params=(0, 1))
generator_method("beta", f"a: array, b: array, {_SIZE}", params=(0, 1))
generator_method("poisson", f"lam: array = 1.0, {_SIZE}", dtype=np.int64, params=(0,))
generator_method("binomial", f"n: array, p: array, {_SIZE}", dtype=np.int64, params=(0, 1))


def _permutation_method_rule(infos):
    return _permutation_rule(infos[1:])


numpy_op("random.Generator.permutation", "bit_generator: generator, x: array, axis: int = 0",
         template="{0}.permutation({1}, axis={2})", rule=_permutation_method_rule,
         spellings=[Spelling("method", "permutation", receiver="generator")], side_effects=True,
         scalars_to_array=False,
         doc="rng.permutation(x, axis=0): a shuffled copy of x, or of arange(x)")
