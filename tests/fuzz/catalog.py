"""The operators the fuzzer draws from, read from the registry.

Every ``np::``, ``nn::`` and ``math::`` operator with a user spelling becomes
one ``Form`` per spelling (``np.add(a, b)``, ``a + b``, ``x.sum()``, ``x.T``),
and each canonical argument gets a *role* from its declared type and name
(an array, an array-or-scalar operand, an axis, a dtype...), so an operator
added to the registry is fuzzed without touching this file. ``SPECIAL_ROLES``
lists the few arguments whose valid values depend on more than their type (a
shape that ``reshape`` accepts, GELU's ``approximate`` string).
"""
from __future__ import annotations

from jit import ops

# Arguments whose values need more than their type says.
SPECIAL_ROLES = {
    ("np::reshape", "shape"): "reshape_shape",
    ("np::broadcast_to", "shape"): "broadcast_shape",
    ("np::expand_dims", "axis"): "new_axis",
    ("np::transpose", "axes"): "permutation",
    ("np::split", "indices_or_sections"): "sections",
    ("nn::layer_norm", "normalized_shape"): "trailing_shape",
    ("nn::rms_norm", "normalized_shape"): "trailing_shape",
    ("nn::embedding", "input"): "index_array",
    ("nn::gelu", "approximate"): "gelu_mode",
    ("nn::dropout", "p"): "probability",
    ("np::getitem", "index"): "index",
    # Sizes NumPy takes as floats too: a drawn 65504.0 would make a gigabyte array.
    ("np::tri", "N"): "small_int", ("np::tri", "M"): "small_int_or_none", ("np::kaiser", "M"): "small_int",
    ("np::bartlett", "M"): "small_int", ("np::blackman", "M"): "small_int", ("np::hamming", "M"): "small_int",
    ("np::hanning", "M"): "small_int",
    ("np::arange", "start"): "small_int",
    ("np::arange", "stop"): "small_int_or_none",
    ("np::arange", "step"): "step_or_none",
    # An int population is np.arange(a): a drawn 1e300 would allocate without end.
    ("np::random.choice", "a"): "population", ("np::random.permutation", "x"): "population",
}
# Arguments of the random distributions that may take any value; the others are kept in
# the range where NumPy's samplers end quickly (np.random.vonmises(0, 1e300) never returns).
_RANDOM_LOCATIONS = ("loc", "low", "high", "mu", "left", "mode", "right")
GELU_MODES = ("'none'", "'tanh'")
# Operators whose result is not a function of their inputs: what np.empty returns is
# whatever the memory held (NumPy documents the values as arbitrary).
EXCLUDED = {"np::empty": "values are arbitrary (NumPy docs)", "np::empty_like": "values are arbitrary (NumPy docs)",
            # Written as a statement (x[i] = v), not a call; tests/jit/frontend/test_mutation.py covers it.
            "np::setitem": "a subscript assignment, not a call the generator writes",
            # seed=None draws from the OS's entropy, so eager and compiled calls differ (campaign seed 61158);
            # the oracle seeds the global generator itself. tests/jit/ops/test_random.py covers np.random.seed.
            "np::random.seed": "np.random.seed() reseeds from the OS's entropy: not a function of the inputs"}
# Arguments whose values must fit the array's shape (indices, sections, axes pairs, widths, subscripts): the
# generator has no value generator for them yet; tests/jit/ops (reference_cases) tests each against NumPy.
for _name in ("indices", "take", "ravel_multi_index", "array_split", "hsplit", "vsplit", "dsplit", "einsum", "repeat",
              "tile", "roll", "moveaxis", "resize", "delete", "insert", "pad", "broadcast_shapes", "partition",
              "argpartition", "ndarray.argpartition"):
    EXCLUDED[f"np::{_name}"] = "an argument that must fit the array's shape, which the generator does not draw yet"
# In-place operators are statements (x += y); the generator writes them with its in_place feature.
for _name in ("iadd", "isub", "imul", "itruediv", "ifloordiv", "imod", "ipow", "imatmul", "iand", "ior", "ixor",
              "ilshift", "irshift"):
    EXCLUDED[f"np::{_name}"] = "an augmented assignment statement, drawn by the in_place feature"
# In-place writers by index: statements returning None, with indices that must fit the array;
# tests/jit/ops/test_writers.py checks them against NumPy.
for _name in ("put", "place", "putmask", "put_along_axis"):
    EXCLUDED[f"np::{_name}"] = "an in-place writer (a statement) whose indices must fit the array"
# Inputs with a structure random arrays rarely have (square, positive definite, non-negative integers...).
for _name, _needs in (("unpackbits", "uint8 input"), ("diag_indices_from", "a square array"),
                      ("bincount", "non-negative integers"), ("linalg.inv", "an invertible matrix"),
                      ("linalg.cholesky", "a positive-definite matrix"), ("linalg.eigvalsh", "a symmetric matrix"),
                      ("linalg.solve", "an invertible matrix"), ("linalg.matrix_power", "a square matrix"),
                      ("linalg.tensorsolve", "a square tensor"), ("random.hypergeometric", "ngood + nbad >= nsample"),
                      ("random.multivariate_normal", "a covariance matrix"), ("correlate", "1-d inputs"),
                      ("take_along_axis", "indices of the array's rank"), ("linalg.slogdet", "a square matrix"),
                      ("linalg.tensorinv", "an invertible square tensor"),
                      ("vecmat", "a vector as long as the matrix's second-to-last axis")):
    EXCLUDED[f"np::{_name}"] = f"needs {_needs}, which random draws rarely give; tests/jit/ops tests it"
# Methods of a Generator object, which the generator does not create; tests/jit/ops/test_random.py covers them.
for _name in ("normal", "uniform", "standard_normal", "random", "integers", "exponential", "standard_exponential",
              "lognormal", "gamma", "beta", "poisson", "binomial", "permutation"):
    EXCLUDED[f"np::random.Generator.{_name}"] = "a method of np.random.default_rng's Generator, not generated yet"

_ARRAY_LIKE = ("Union[Tensor, int, float, bool]", "Union[Tensor, int, float, bool, str]", "Any")
_AXIS_NAMES = ("axis", "axis1", "axis2", "dim")


def role_of(op, arg) -> str | None:
    """What kind of value the generator passes for ``arg``; None when it cannot make one."""
    special = SPECIAL_ROLES.get((op.name, arg.name))
    if special is not None:
        return special
    if op.name.startswith("np::random.") and str(arg.type) in _ARRAY_LIKE and arg.name not in _RANDOM_LOCATIONS \
            and not (op.name == "np::random.lognormal" and arg.name == "mean"):
        return "distribution_parameter"
    kind = str(arg.type)
    if "dtype" in kind:
        return "dtype_or_none" if "NoneType" in kind else "dtype"
    if arg.name in _AXIS_NAMES:
        if kind == "int":
            return "axis"
        return "axes_or_none" if "NoneType" in kind else "axes"
    if arg.name == "shape" and "int" in kind:
        return "new_shape"
    if kind == "Tensor":
        return "array"
    if kind in _ARRAY_LIKE:
        return "operand"
    if kind == "Union[NoneType, Tensor, int, float, bool]":
        return "operand_or_none"
    if kind == "Tensor?":
        return "array_or_none"
    if kind == "Sequence[Tensor]":
        return "arrays"
    if kind == "bool":
        return "bool"
    if kind == "Scalar":
        return "scalar"
    if kind in ("int", "float", "Union[int, float]"):
        return "small_number"
    return None


class Form:
    """One spelling of one operator, with the role of each canonical argument."""

    def __init__(self, op, spelling, roles):
        self.op, self.spelling, self.roles = op, spelling, roles

    @property
    def kind(self) -> str:
        return self.spelling.kind

    @property
    def category(self) -> str:
        """elementwise (a ufunc or a fusible op), scalar (``math::``), or array (the rest)."""
        if self.op.fusible or getattr(self.op.rule, "ufunc", None) is not None:
            return "elementwise"
        if all(role == "scalar" for _, role in self.roles if role is not None):
            return "scalar"
        return "array"

    def __repr__(self):
        return f"Form({self.op.name}, {self.spelling.kind} {self.spelling.name})"


def forms(excluded=()) -> tuple[list, dict]:
    """(forms, skipped): every spelling the fuzzer can write, and the operators it
    cannot with why (so that what is not fuzzed is visible)."""
    found, skipped = [], {}
    for op in ops.all_ops():
        if op.namespace not in ("np", "nn", "math") or op.structural:
            continue
        if op.name in EXCLUDED or op.name in excluded:
            skipped[op.name] = EXCLUDED.get(op.name, "excluded by the caller")
            continue
        roles = [(arg, role_of(op, arg)) for arg in op.args]
        missing = [arg.name for arg, role in roles if role is None and not arg.has_default]
        if missing:
            skipped[op.name] = f"no value generator for argument(s) {', '.join(missing)}"
            continue
        # An argument without a value generator stays in the list (role None, always left
        # out) so that the ones after it are passed by keyword, not shifted into its place.
        usable = [s for s in op.spellings if s.receiver == "array"]
        if not usable:
            skipped[op.name] = "no spelling on arrays"
            continue
        for spelling in usable:
            if spelling.kind in ("method", "property") and (not roles or roles[0][1] not in ("array", "operand")):
                continue
            found.append(Form(op, spelling, roles))
    return found, skipped
