"""jit.ops.creation against eager NumPy."""
from __future__ import annotations

import pytest

from .reference_cases import FLOAT_DTYPES, case_id, check_case

CASES = [
    ("np::linspace", "np.linspace(0, 1, 5)", ""), ("np::linspace", "np.linspace(-2.5, 3, 7, endpoint=False)", ""),
    ("np::linspace", "np.linspace(0, 10, 4, dtype=np.int32)", ""), ("np::linspace", "np.linspace(a, 2 * a, 3)", "a"),
    ("np::linspace", "np.linspace(a, a + 1, 4, axis=-1)", "a"), ("np::linspace", "np.linspace(0, 1, -1)", ""),
    ("np::logspace", "np.logspace(0, 2, 3)", ""), ("np::logspace", "np.logspace(0, 1, 4, base=2.0)", ""),
    ("np::logspace", "np.logspace(a, a + 1, 3)", "a"),
    ("np::geomspace", "np.geomspace(1, 1000, 4)", ""), ("np::geomspace", "np.geomspace(0, 10, 3)", ""),
    ("np::geomspace", "np.geomspace(a * 0 + 1, 8, 4)", "a"),
    ("np::eye", "np.eye(3)", ""), ("np::eye", "np.eye(3, 4, k=1, dtype=np.int32)", ""), ("np::eye", "np.eye(0)", ""),
    ("np::eye", "np.eye(2, k=-3)", ""), ("np::eye", "np.eye(a.shape[-1]) + a", "a"),
    ("np::identity", "np.identity(4)", ""), ("np::identity", "np.identity(2, dtype=np.bool_)", ""),
    ("np::tri", "np.tri(3)", ""), ("np::tri", "np.tri(3, 5, -1, dtype=np.int64)", ""),
    ("np::tri", "np.tri(a.shape[0], dtype=bool)", "a"),
    ("np::diag", "np.diag(a)", "a"), ("np::diag", "np.diag(a, 1)", "a"), ("np::diag", "np.diag(a, k=-2)", "v"),
    ("np::diag", "np.diag(a)", "v"),
    ("np::diagflat", "np.diagflat(a)", "a"), ("np::diagflat", "np.diagflat(a, -1)", "v"),
    ("np::vander", "np.vander(a)", "v"), ("np::vander", "np.vander(a, 3, increasing=True)", "v"),
    ("np::indices", "np.indices((2, 3))", ""), ("np::indices", "np.indices((a.shape[0], 2), dtype=np.int32)", "a"),
    ("np::tril_indices", "np.tril_indices(3)", ""), ("np::tril_indices", "np.tril_indices(3, 1, 4)", ""),
    ("np::triu_indices", "np.triu_indices(4, k=-1)", ""),
    ("np::tril_indices_from", "np.tril_indices_from(a)", "a"), ("np::triu_indices_from", "np.triu_indices_from(a, 1)", "a"),
    ("np::diag_indices", "np.diag_indices(3)", ""), ("np::diag_indices", "np.diag_indices(2, 3)", ""),
    ("np::diag_indices_from", "np.diag_indices_from(a)", "sq"),
    ("np::meshgrid", "np.meshgrid(a)", "v"), ("np::meshgrid", "np.meshgrid(a, b)", "u, w"),
    ("np::meshgrid", "np.meshgrid(a, b, indexing='ij')", "u, w"), ("np::meshgrid", "np.meshgrid(a, b, sparse=True)", "u, w"),
    ("np::meshgrid", "np.meshgrid(a, b, a)", "u, w"),
    ("np::bartlett", "np.bartlett(5)", ""), ("np::blackman", "np.blackman(4)", ""), ("np::hamming", "np.hamming(1)", ""),
    ("np::hanning", "np.hanning(0)", ""), ("np::kaiser", "np.kaiser(6, 14.0)", ""),
    ("np::ascontiguousarray", "np.ascontiguousarray(a)", "a"),
    ("np::ascontiguousarray", "np.ascontiguousarray(a, dtype=np.float32)", "a"),
    ("np::asfortranarray", "np.asfortranarray(a)", "a"), ("np::asanyarray", "np.asanyarray(a)", "a"),
]
COVERS = {case[0] for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_creation(case):
    op, expression, params = case
    check_case(op, expression, params, dtypes=FLOAT_DTYPES + (bool,) if params else (None,))
