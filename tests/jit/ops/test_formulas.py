"""Every fusible op's scalar formula, evaluated with NumPy at the op's compute
dtypes, equals the op's eager implementation; and the type rule rejects exactly
the dtype combinations NumPy rejects."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from jit import ops
from jit import types as T
from jit.ops import NOT_CONSTANT, ArgInfo
from jit.ops.scalar_expr import INPUT, build, evaluate, inputs_of

DTYPES = [np.float32, np.float64, np.int32, np.int64, np.bool_]
FUSIBLE = sorted(op.name for op in ops.all_ops() if op.fusible)
STATIC_CHOICES = {("nn::gelu", "approximate"): ["none", "tanh"],
                  ("np::astype", "dtype"): [np.dtype(d) for d in DTYPES], ("np::round", "decimals"): [0, 2, -1, 10],
                  ("np::isclose", "rtol"): [1e-05, 0.5], ("np::isclose", "atol"): [1e-08, 1],
                  ("np::isclose", "equal_nan"): [False, True], ("np::nan_to_num", "nan"): [0.0, -7],
                  ("np::nan_to_num", "posinf"): [None, 1e30], ("np::nan_to_num", "neginf"): [None, -3.5],
                  ("np::angle", "deg"): [False, True]}


def formula_input(dtype, seed):
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random((3, 5)) > 0.5
    if np.issubdtype(dtype, np.integer):
        return rng.integers(1, 7, (3, 5)).astype(dtype)  # positive: no zero divisors or negative int powers
    values = (rng.standard_normal((3, 5)) * 3).astype(dtype)
    values[0, :3] = [np.nan, np.inf, -np.inf]
    return values


def argument_sets(op, dtype):
    """Canonical argument tuples for ``op`` with arrays of ``dtype``."""
    choices = []
    for index, arg in enumerate(op.args):
        if arg.static:
            choices.append(STATIC_CHOICES[(op.name, arg.name)])
        elif arg.name == "condition":
            choices.append([formula_input(np.bool_, 9)])
        elif op.name == "np::clip" and index > 0:
            choices.append([None, formula_input(dtype, 10 + index)])
        else:
            choices.append([formula_input(dtype, index)])
    return itertools.product(*choices)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", FUSIBLE)
def test_formula_matches_eager(name, dtype):
    op = ops.lookup(name)
    for args in argument_sets(op, dtype):
        infos = [ArgInfo(T.type_of_constant(a) if a is None or not hasattr(a, "shape")
                         else T.refined_type_of_value(a), a if a is None or arg.static else NOT_CONSTANT)
                 for arg, a in zip(op.args, args)]
        try:
            with np.errstate(all="ignore"):
                expected = np.asarray(op(*args))
        except TypeError:
            with pytest.raises(TypeError):
                op.compute_dtypes(infos)  # the rule rejects what NumPy rejects
            continue
        compute = op.compute_dtypes(infos)
        result_type = op.result_type(infos)
        expression = build(op.formula, [INPUT if c is not None else a for c, a in zip(compute, args)])
        values = [np.asarray(a).astype(c) if c is not None else a for c, a in zip(compute, args)]
        if isinstance(expression, tuple):  # several outputs (divmod): each part against eager's
            for part, element, wanted in zip(expression, result_type.elements, op(*args), strict=True):
                _assert_formula(name, part, element, values, compute, np.asarray(wanted), args)
            continue
        _assert_formula(name, expression, result_type, values, compute, expected, args)


def _assert_formula(name, expression, result_type, values, compute, expected, args):
    assert result_type.dtype == expected.dtype, f"{name}: rule dtype {result_type.dtype}, eager {expected.dtype}"
    assert inputs_of(expression) <= {i for i, c in enumerate(compute) if c is not None}
    with np.errstate(all="ignore"):
        actual = np.asarray(evaluate(expression, values)).astype(result_type.dtype)
    tolerance = 1e-6 if expected.dtype in (np.float32, np.float16) else 1e-13
    if np.issubdtype(expected.dtype, np.floating):
        np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=tolerance, equal_nan=True,
                                   err_msg=f"{name} {[getattr(a, 'dtype', a) for a in args]}")
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=name)


def test_every_elementwise_op_of_the_contract_is_fusible():
    expected = {"add", "subtract", "multiply", "divide", "floor_divide", "remainder", "power", "negative", "positive",
                "absolute", "less", "less_equal", "greater", "greater_equal", "equal", "not_equal", "exp", "exp2",
                "expm1", "log", "log2", "log10", "log1p", "sqrt", "square", "reciprocal", "sin", "cos", "tan",
                "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "floor", "ceil", "trunc", "rint",
                "sign", "maximum", "minimum", "fmod", "where", "clip", "isnan", "isinf", "isfinite", "logical_and",
                "logical_or", "logical_not", "astype", "bitwise_and", "bitwise_or", "bitwise_xor", "invert"}
    fusible = {op.short_name for op in ops.all_ops() if op.fusible and op.namespace == "np"}
    assert expected <= fusible
    assert {"relu", "gelu", "silu", "sigmoid"} <= {op.short_name for op in ops.all_ops()
                                                    if op.fusible and op.namespace == "nn"}
    not_elementwise = {"np::matmul", "np::sum", "np::reshape", "nn::softmax", "np::random.random", "nn::dropout"}
    assert not any(ops.lookup(n).fusible for n in not_elementwise)
