"""jit.ops.manipulation and jit.ops.joining against eager NumPy."""
from __future__ import annotations

import numpy as np
import pytest

from .reference_cases import case_id, check_case

CASES = [
    ("np::repeat", "np.repeat(a, 2)"), ("np::repeat", "np.repeat(a, 3, axis=1)"), ("np::repeat", "a.repeat(2, -1)"),
    ("np::repeat", "np.repeat(a, [1, 0, 2], axis=0)"),
    ("np::tile", "np.tile(a, 2)"), ("np::tile", "np.tile(a, (2, 1, 3))"),
    ("np::roll", "np.roll(a, 1)"), ("np::roll", "np.roll(a, -2, axis=1)"), ("np::roll", "np.roll(a, (1, 2), (0, 1))"),
    ("np::roll", "np.roll(a, a.shape[0] - 1, 0)"),
    ("np::flip", "np.flip(a)"), ("np::flip", "np.flip(a, 1)"), ("np::flip", "np.flip(a, (0, 1))"),
    ("np::fliplr", "np.fliplr(a)"), ("np::flipud", "np.flipud(a)"),
    ("np::rot90", "np.rot90(a)"), ("np::rot90", "np.rot90(a, 3)"), ("np::rot90", "np.rot90(a, k=2, axes=(1, 0))"),
    ("np::moveaxis", "np.moveaxis(a, 0, -1)"), ("np::moveaxis", "np.moveaxis(a, (0, 1), (1, 0))"),
    ("np::rollaxis", "np.rollaxis(a, 1)"), ("np::matrix_transpose", "np.matrix_transpose(a)"),
    ("np::atleast_1d", "np.atleast_1d(a)"), ("np::atleast_2d", "np.atleast_2d(a)"),
    ("np::atleast_3d", "np.atleast_3d(a)"),
    ("np::broadcast_arrays", "np.broadcast_arrays(a, a[:1])"),
    ("np::broadcast_arrays", "np.broadcast_arrays(a, a.sum(), a[..., None])"),
    ("np::triu", "np.triu(a)"), ("np::triu", "np.triu(a, 1)"), ("np::tril", "np.tril(a, k=-1)"),
    ("np::resize", "np.resize(a, (2, 7))"), ("np::resize", "np.resize(a, 5)"),
    ("np::delete", "np.delete(a, 1)"), ("np::delete", "np.delete(a, [0, 2], axis=1)"),
    ("np::insert", "np.insert(a, 1, 5)"), ("np::insert", "np.insert(a, 0, a[0], axis=0)"),
    ("np::trim_zeros", "np.trim_zeros(a)", "v"),
    ("np::unstack", "np.unstack(a)"), ("np::unstack", "np.unstack(a, axis=1)"),
    ("np::pad", "np.pad(a, 1)"), ("np::pad", "np.pad(a, (1, 2), constant_values=7)"),
    ("np::pad", "np.pad(a, ((1, 0), (2, 1)), mode='edge')"), ("np::pad", "np.pad(a, 2, 'reflect')"),
    ("np::pad", "np.pad(a, 2, mode='wrap')"), ("np::pad", "np.pad(a, 1, mode='symmetric')"),
    ("np::pad", "np.pad(a, 1, mode='mean')"), ("np::pad", "np.pad(a, 1, mode='no such mode')"),
    ("np::ndarray.flatten", "a.flatten()"), ("np::ndarray.mT", "a.mT"),
    ("np::real", "np.real(a)"), ("np::real", "a.real"), ("np::imag", "np.imag(a)"), ("np::imag", "a.imag"),
    ("np::ndarray.view", "a.view(np.uint8)"), ("np::ndarray.view", "a.view(a.dtype)"),
    ("np::broadcast_shapes", "np.zeros(np.broadcast_shapes(a.shape, (2, 1, 1)))"),
    ("np::broadcast_shapes", "np.broadcast_shapes((3, 1), (4,), a.shape[:1])"),
    ("np::ndarray.nbytes", "a.nbytes"), ("np::ndarray.itemsize", "a.itemsize"),
    ("np::hstack", "np.hstack([a, b])", "a, b"), ("np::hstack", "np.hstack((a, b, a))", "u, w"),
    ("np::vstack", "np.vstack([a, b])", "a, b"), ("np::vstack", "np.vstack((a, b))", "u, w"),
    ("np::dstack", "np.dstack([a, b])", "a, b"), ("np::column_stack", "np.column_stack([a, b])", "u, w"),
    ("np::column_stack", "np.column_stack((a, b))", "m, n"),
    ("np::append", "np.append(a, b)", "a, b"), ("np::append", "np.append(a, b, axis=0)", "m, n"),
    ("np::array_split", "np.array_split(a, 3)", "v"), ("np::array_split", "np.array_split(a, [1, 2], axis=1)"),
    ("np::hsplit", "np.hsplit(a, 2)"), ("np::vsplit", "np.vsplit(a, [1])"), ("np::dsplit", "np.dsplit(a, 1)"),
]
COVERS = {case[0] for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_manipulation(case):
    op, expression, kind = (*case, "a") if len(case) == 2 else case
    check_case(op, expression, kind, dtypes=(np.float64, np.int32, np.bool_))


@pytest.mark.parametrize("expression, message", [
    ("np.roll(a, 1, wrong=2)", r"np.roll\(\) got an unexpected keyword argument 'wrong'"),
    ("np.pad(a, 1, 'edge', 3)", r"np.pad\(\) takes at most 3 positional arguments"),
    ("np.tile(a, 'x')", r"np.tile\(\) expected a value of type"),
    ("np.linalg.solve(a)", r"np.linalg.solve\(\) is missing its required argument 'b'"),
    ("np.meshgrid(a, a, a, a, a, a, a)", r"np.meshgrid\(\) takes at most 6 positional arguments"),
])
def test_bad_arguments_are_compilation_errors(expression, message):
    """A call the schema does not accept is a CompilationError that names the function."""
    import jit

    from ...helpers import script_source

    with pytest.raises(jit.CompilationError, match=message):
        script_source(f"def f(a):\n    return {expression}\n")
