"""The sample inputs of the NumPy-reference op tests (creation, manipulation,
joining, indexing, scans, sorting, linear algebra, comparison, random).

A case is ``(op name, expression, inputs)``: the expression is the body of a
one-line function whose parameters ``inputs`` names (``a``, ``a, b``...); the
test scripts it and checks it against eager NumPy (``assert_op_matches_eager``)
for every dtype and layout of the inputs' kind: 0-d, empty, contiguous and
non-contiguous arrays, where NumPy raising is part of what is checked.
"""
from __future__ import annotations

import numpy as np

from jit import types as T

from ...helpers import refined_result_type
from .samples import array, assert_op_matches_eager, binary_layouts, scripted, unary_layouts

DTYPES = (np.float32, np.float64, np.int64, np.bool_)
FLOAT_DTYPES = (np.float32, np.float64)


def vectors(dtype):
    yield "1-d", array(dtype, (5,), 3)
    yield "strided", array(dtype, (10,), 4)[::2]
    yield "empty", array(dtype, (0,), 5)
    yield "0-d", array(dtype, (), 6)


def squares(dtype):
    """Well-conditioned square matrices (and a batch of them), for linear algebra."""
    rng = np.random.default_rng(7)
    base = rng.standard_normal((3, 3)) + 4 * np.eye(3)
    spd = base @ base.T
    yield "square", spd.astype(dtype)
    yield "transposed", np.ascontiguousarray(spd.T).T.astype(dtype)
    yield "batch", np.stack([spd, spd + np.eye(3)]).astype(dtype)
    yield "empty", np.zeros((0, 0), dtype)
    yield "not square", array(dtype, (2, 3), 8, special=False)


def pairs_of_vectors(dtype):
    yield "same", array(dtype, (3,), 1, special=False), array(dtype, (3,), 2, special=False)
    yield "other sizes", array(dtype, (4,), 1, special=False), array(dtype, (2,), 2, special=False)
    yield "strided", array(dtype, (6,), 1, special=False)[::2], array(dtype, (3,), 2, special=False)


def matrix_pairs(dtype):
    yield "same", array(dtype, (3, 4), 1, special=False), array(dtype, (3, 4), 2, special=False)
    yield "square", array(dtype, (3, 3), 1, special=False), array(dtype, (3, 3), 2, special=False)
    yield "views", array(dtype, (4, 3), 1, special=False).T, array(dtype, (3, 8), 2, special=False)[:, ::2]
    yield "mismatched", array(dtype, (2, 3), 1, special=False), array(dtype, (4, 2), 2, special=False)


def no_inputs(dtype):
    yield "none", ()


def one(layouts):
    def inputs(dtype):
        for name, value in layouts(dtype):
            yield name, (value,)

    return inputs


KINDS = {
    "a": one(unary_layouts), "v": one(vectors), "sq": one(squares), "": no_inputs,
    "a, b": lambda dtype: binary_layouts(dtype, dtype), "u, w": pairs_of_vectors, "m, n": matrix_pairs,
}


# The parameters each kind of inputs binds.
PARAMS = {"a": "a", "v": "a", "sq": "a", "": "", "a, b": "a, b", "u, w": "a, b", "m, n": "a, b"}


def case_mismatches(op, expression, kind="a", dtypes=DTYPES) -> list:
    """Script ``def f(<params>): return <expression>`` and compare it with eager NumPy
    on every dtype and layout of the kind of inputs (``a``: arrays of every layout,
    ``v``: vectors, ``sq``: square matrices, ``a, b``: broadcasting pairs...): a line for
    each input that disagrees."""
    source = f"def f({PARAMS[kind]}):\n    return {expression}\n"
    layouts = KINDS[kind]
    found = []
    for dtype in dtypes:
        for name, *values in layouts(dtype):
            values = values[0] if len(values) == 1 and isinstance(values[0], tuple) else values
            try:
                outcome = assert_op_matches_eager(op, source, *values)
                if not isinstance(outcome, Exception):
                    _assert_dtypes_known(refined_result_type(scripted(source)[0].graph, values), op)
            except AssertionError as error:
                found.append(f"[{np.dtype(dtype).name}, {name}] {error}")
    return found


def check_case(op, expression, kind="a", dtypes=DTYPES):
    """``case_mismatches`` finds none."""
    found = case_mismatches(op, expression, kind, dtypes)
    assert not found, "\n".join(found)


def _assert_dtypes_known(predicted, op):
    """The rule gives every result array's dtype (a float64 None would pass an == check)."""
    if isinstance(predicted, T.TensorType):
        assert predicted.dtype is not None, f"{op}: the rule does not know the result's dtype"
    for element in getattr(predicted, "elements", None) or ():
        _assert_dtypes_known(element, op)


def case_id(case):
    return case[1] if len(case) < 3 else f"{case[1]}[{case[2]}]"
