"""jit.ops.indexing and jit.ops.sorting against eager NumPy."""
from __future__ import annotations

import numpy as np
import pytest

from .reference_cases import case_id, check_case

CASES = [
    ("np::take", "np.take(a, 1)"), ("np::take", "np.take(a, [0, 2], axis=1)"), ("np::take", "a.take([-1, 0])"),
    ("np::take", "np.take(a, np.argsort(a, axis=0)[:1], axis=0)"),
    ("np::take_along_axis", "np.take_along_axis(a, np.argsort(a, axis=-1), -1)"),
    ("np::take_along_axis", "np.take_along_axis(a, np.argsort(a, axis=0)[:1], axis=0)"),
    ("np::choose", "np.choose(a.astype(np.int64) % 2, [a, a + 1])"),
    ("np::choose", "(a > 0).astype(np.int64).choose([a, 2 * a])"),
    ("np::select", "np.select([a > 0, a < 0], [a, -a])"), ("np::select", "np.select([a > 1], [a], default=5)"),
    ("np::diagonal", "np.diagonal(a)"), ("np::diagonal", "a.diagonal(1)"),
    ("np::diagonal", "np.diagonal(a, 0, 1, 0)"),
    ("np::isin", "np.isin(a, a[:1])"), ("np::isin", "np.isin(a, a[0], invert=True)"),
    ("np::digitize", "np.digitize(a, np.linspace(-2, 2, 5))"),
    ("np::digitize", "np.digitize(a, np.linspace(-2, 2, 5), right=True)"),
    ("np::unravel_index", "np.unravel_index(np.argsort(a.ravel()), (4, 3))"),
    ("np::ravel_multi_index", "np.ravel_multi_index([np.argsort(a)[:2], np.argsort(a)[1:3]], (5, 5))", "v"),
    ("np::ix_", "np.ix_(np.argsort(a), np.argsort(a))", "v"),
    ("np::nonzero", "np.nonzero(a)"), ("np::nonzero", "a.nonzero()"), ("np::argwhere", "np.argwhere(a)"),
    ("np::flatnonzero", "np.flatnonzero(a)"), ("np::extract", "np.extract(a > 0, a)"),
    ("np::compress", "np.compress(a[0] > 0, a, axis=1)"), ("np::ndarray.compress", "a.compress(a.ravel() > 0)"),
    ("np::unique", "np.unique(a)"), ("np::unique", "np.unique(a, axis=0)"), ("np::unique_values", "np.unique_values(a)"),
    ("np::unique_counts", "np.unique_counts(a)[1]"), ("np::unique_inverse", "np.unique_inverse(a)[0]"), ("np::unique_all", "np.unique_all(a)[3]"),
    ("np::bincount", "np.bincount(np.argsort(a))", "v"),
    ("np::bincount", "np.bincount(np.argsort(a), minlength=9)", "v"),
    ("np::intersect1d", "np.intersect1d(a, b)", "u, w"), ("np::union1d", "np.union1d(a, b)", "u, w"),
    ("np::setdiff1d", "np.setdiff1d(a, b)", "u, w"), ("np::setxor1d", "np.setxor1d(a, b)", "u, w"),
    ("np::sort", "np.sort(a)"), ("np::sort", "np.sort(a, axis=None)"), ("np::sort", "np.sort(a, 0, stable=True)"),
    ("np::argsort", "np.argsort(a)"), ("np::argsort", "a.argsort(axis=0, kind='stable')"),
    ("np::argsort", "np.argsort(a, None)"),
    ("np::partition", "np.partition(a, 1)"), ("np::partition", "np.partition(a, (0, 2), axis=0)"),
    ("np::argpartition", "np.argpartition(a, 1, axis=-1)"), ("np::ndarray.argpartition", "a.argpartition(0)"),
    ("np::searchsorted", "np.searchsorted(np.sort(a), a)", "v"),
    ("np::searchsorted", "np.sort(a).searchsorted(a, side='right')", "v"),
    ("np::searchsorted", "np.searchsorted(a, a, sorter=np.argsort(a))", "v"),
    ("np::lexsort", "np.lexsort([a, -a])", "v"), ("np::lexsort", "np.lexsort((a, b))", "u, w"),
]
COVERS = {case[0] for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_indexing_and_sorting(case):
    op, expression, kind = (*case, "a") if len(case) == 2 else case
    check_case(op, expression, kind, dtypes=(np.float64, np.int32, np.bool_))
