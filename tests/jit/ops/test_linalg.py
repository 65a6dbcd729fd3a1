"""jit.ops.linalg and jit.ops.comparison against eager NumPy."""
from __future__ import annotations

import numpy as np
import pytest

from ...helpers import assert_same, reloaded, run_with_fake_cupy, script_source
from .reference_cases import case_id, case_mismatches

CASES = [
    ("np::vdot", "np.vdot(a, b)", "u, w"), ("np::vdot", "np.vdot(a, b)", "m, n"),
    ("np::inner", "np.inner(a, b)", "u, w"), ("np::inner", "np.inner(a, b)", "m, n"),
    ("np::outer", "np.outer(a, b)", "u, w"), ("np::outer", "np.outer(a, b)", "m, n"),
    ("np::kron", "np.kron(a, b)", "u, w"), ("np::kron", "np.kron(a, b)", "m, n"),
    ("np::tensordot", "np.tensordot(a, b, 1)", "m, n"), ("np::tensordot", "np.tensordot(a, b, axes=((0,), (0,)))", "m, n"),
    ("np::tensordot", "np.tensordot(a, b, 0)", "u, w"),
    ("np::cross", "np.cross(a, b)", "u, w"), ("np::cross", "np.cross(a[:, :3], b[:, :3])", "m, n"),
    ("np::vecdot", "np.vecdot(a, b)", "m, n"), ("np::matvec", "np.matvec(a, b[0])", "m, n"),
    ("np::vecmat", "np.vecmat(a[0], b.T)", "m, n"),
    ("np::trace", "np.trace(a)", "a"), ("np::trace", "a.trace(1)", "a"), ("np::trace", "np.trace(a, dtype=np.float32)", "a"),
    ("np::ndarray.dot", "a.dot(b)", "m, n"), ("np::ndarray.dot", "a.dot(b.T)", "m, n"),
    ("np::einsum", "np.einsum('ij->ji', a)", "a"), ("np::einsum", "np.einsum('ij,kj->ik', a, b)", "m, n"),
    ("np::einsum", "np.einsum('i,i', a, b)", "u, w"), ("np::einsum", "np.einsum('ij,ij,ij->i', a, b, a)", "m, n"),
    ("np::linalg.multi_dot", "np.linalg.multi_dot([a, b.T, a])", "m, n"),
    ("np::linalg.norm", "np.linalg.norm(a)", "a"), ("np::linalg.norm", "np.linalg.norm(a, axis=1)", "a"),
    ("np::linalg.norm", "np.linalg.norm(a, 'fro')", "sq"), ("np::linalg.norm", "np.linalg.norm(a, 1, keepdims=True)", "sq"),
    ("np::linalg.norm", "np.linalg.norm(a, ord=np.inf)", "v"),
    ("np::linalg.vector_norm", "np.linalg.vector_norm(a, ord=1)", "a"),
    ("np::linalg.vector_norm", "np.linalg.vector_norm(a, axis=0, keepdims=True)", "a"),
    ("np::linalg.matrix_norm", "np.linalg.matrix_norm(a)", "sq"),
    ("np::linalg.matrix_norm", "np.linalg.matrix_norm(a, ord=2)", "sq"),
    ("np::linalg.cond", "np.linalg.cond(a)", "sq"),
    ("np::linalg.inv", "np.linalg.inv(a)", "sq"), ("np::linalg.det", "np.linalg.det(a)", "sq"),
    ("np::linalg.cholesky", "np.linalg.cholesky(a)", "sq"), ("np::linalg.pinv", "np.linalg.pinv(a)", "sq"),
    ("np::linalg.eigvalsh", "np.linalg.eigvalsh(a)", "sq"), ("np::linalg.svdvals", "np.linalg.svdvals(a)", "sq"),
    ("np::linalg.matrix_rank", "np.linalg.matrix_rank(a)", "sq"),
    ("np::linalg.solve", "np.linalg.solve(a, a[..., :1] + 1)", "sq"),
    ("np::linalg.matrix_power", "np.linalg.matrix_power(a, 3)", "sq"),
    ("np::linalg.matrix_power", "np.linalg.matrix_power(a, 0)", "sq"),
    ("np::linalg.slogdet", "np.linalg.slogdet(a)[1]", "sq"),
    ("np::linalg.slogdet", "np.linalg.slogdet(a).sign * np.linalg.slogdet(a).logabsdet", "sq"),
    ("np::linalg.eigh", "np.linalg.eigh(a).eigenvalues", "sq"), ("np::linalg.qr", "np.abs(np.linalg.qr(a).R)", "sq"),
    ("np::linalg.svd", "np.linalg.svd(a, full_matrices=False).S", "sq"), ("np::linalg.eigh", "np.linalg.eigh(a)[0]", "sq"),
    ("np::linalg.eigh", "np.abs(np.linalg.eigh(a, UPLO='U')[1])", "sq"),
    ("np::linalg.qr", "np.abs(np.linalg.qr(a)[1])", "sq"), ("np::linalg.qr", "np.abs(np.linalg.qr(a, mode='complete')[1])", "sq"),
    ("np::linalg.svd", "np.linalg.svd(a)[1]", "sq"), ("np::linalg.svd", "np.linalg.svd(a, full_matrices=False)[1]", "sq"),
    ("np::linalg.lstsq", "np.linalg.lstsq(a, a[..., 0])[0]", "sq"),
    ("np::linalg.lstsq", "np.linalg.lstsq(a, a[..., :2], rcond=1e-3)[2]", "sq"),
    ("np::linalg.matmul", "np.linalg.matmul(a, b.T)", "m, n"), ("np::linalg.outer", "np.linalg.outer(a, b)", "u, w"),
    ("np::linalg.cross", "np.linalg.cross(a[:, :3], b[:, :3])", "m, n"),
    ("np::linalg.tensordot", "np.linalg.tensordot(a, b, axes=1)", "m, n"),
    ("np::linalg.vecdot", "np.linalg.vecdot(a, b)", "m, n"), ("np::linalg.trace", "np.linalg.trace(a, offset=1)", "sq"),
    ("np::linalg.diagonal", "np.linalg.diagonal(a)", "sq"),
    ("np::linalg.matrix_transpose", "np.linalg.matrix_transpose(a)", "a"),
    ("np::isclose", "np.isclose(a, b)", "a, b"), ("np::isclose", "np.isclose(a, a + 1e-9, rtol=0.0, equal_nan=True)", "a"),
    ("np::allclose", "np.allclose(a, b)", "a, b"), ("np::allclose", "np.allclose(a, a, equal_nan=True)", "a"),
    ("np::array_equal", "np.array_equal(a, b)", "a, b"), ("np::array_equal", "np.array_equal(a, a, equal_nan=True)", "a"),
    ("np::array_equiv", "np.array_equiv(a, b)", "a, b"), ("np::array_equiv", "np.array_equiv(a, a[:1])", "a"),
    ("np::isreal", "np.isreal(a)", "a"), ("np::iscomplex", "np.iscomplex(a)", "a"),
    ("np::isrealobj", "np.isrealobj(a)", "a"), ("np::iscomplexobj", "np.iscomplexobj(a)", "a"),
    ("np::real_if_close", "np.real_if_close(a)", "a"), ("np::asarray_chkfinite", "np.asarray_chkfinite(a)", "a"),
    ("np::shares_memory", "np.shares_memory(a, a[:1])", "a"), ("np::may_share_memory", "np.may_share_memory(a, b)", "a, b"),
    ("np::isfortran", "np.isfortran(a)", "a"),
    ("np::linalg.tensorinv", "np.linalg.tensorinv(a, 1)", "sq"),
    ("np::linalg.tensorsolve", "np.linalg.tensorsolve(a, a[..., 0])", "sq"),
    ("np::angle", "np.angle(a)", "a"), ("np::angle", "np.angle(a, deg=True)", "a"),
    ("np::packbits", "np.packbits(a > 0)", "a"), ("np::packbits", "np.packbits(a > 0, axis=-1, bitorder='little')", "a"),
    ("np::unpackbits", "np.unpackbits(np.packbits(a > 0))", "a"),
    ("np::unpackbits", "np.unpackbits(np.packbits(a > 0, axis=0), axis=0, bitorder='little')", "a"),
    ("np::result_type", "np.result_type(a, b) == np.float64", "a, b"),
    ("np::result_type", "np.result_type(a, 1.5, np.int8) == np.float32", "a"),
    ("np::promote_types", "np.promote_types(a.dtype, np.int16) == np.int16", "a"),
    ("np::can_cast", "np.can_cast(a, np.float32)", "a"), ("np::can_cast", "np.can_cast(a.dtype, np.int8, 'same_kind')", "a"),
    ("np::nan_to_num", "np.nan_to_num(a)", "a"), ("np::nan_to_num", "np.nan_to_num(a, nan=-1.0, posinf=9.0)", "a"),
    ("np::isposinf", "np.isposinf(a)", "a"), ("np::isneginf", "np.isneginf(a)", "a"), ("np::fix", "np.fix(a * 1.7)", "a"),
    ("np::fix", "np.fix(a)", "a"),
]
COVERS = {case[0] for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_linalg_and_comparison(case):
    op, expression, kind = case
    dtypes = (np.float64, np.float32) if kind == "sq" else (np.float64, np.int32, np.bool_)
    assert not case_mismatches(op, expression, kind, dtypes=dtypes)


def test_a_function_the_array_module_lacks_raises_a_clear_error():
    """NumPy 2's newest functions (matvec, linalg.svdvals...) may be missing from CuPy 13/14:
    on such a module the op says so instead of raising an AttributeError."""
    output = run_with_fake_cupy("""
        import numpy as np
        import cupy
        from jit import ops
        numpy_functions = cupy.__getattr__
        def without_matvec(name):  # a CuPy without matvec
            if name == "matvec":
                raise AttributeError(name)
            return numpy_functions(name)
        cupy.__getattr__ = without_matvec
        f = ops.lookup("np::matvec")  # the op's one implementation, as script code runs it
        a, b = cupy.asarray(np.ones((2, 3))), cupy.asarray(np.ones(3))
        try:
            f(a, b)
        except TypeError as error:
            print(error)
        print(f(np.ones((2, 3)), np.ones(3)).tolist())
    """)
    assert "np.matvec has no cupy implementation (cupy.matvec does not exist" in output
    assert "[3.0, 3.0]" in output


def test_factorizations_give_numpys_named_tuples():
    """NumPy 2's result classes' names and fields: read by name, unpacked, returned, saved and loaded."""
    source = ("def f(a):\n    r = np.linalg.slogdet(a)\n    sign, logdet = np.linalg.slogdet(a)\n"
              "    w, v = np.linalg.eigh(a)\n    q = np.linalg.qr(a)\n"
              "    return r.sign * r.logabsdet - sign * logdet + w.sum() + np.abs(q.Q @ q.R - a).max(), "
              "np.linalg.svd(a)\n")
    function, eager = script_source(source)
    a = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.0], [0.5, 0.0, 2.0]])
    value, svd = function(a)
    expected_value, expected_svd = eager(a)
    assert_same(value, expected_value)
    assert type(svd).__name__ == "SVDResult" and svd._fields == ("U", "S", "Vh")
    for field in svd._fields:
        assert_same(getattr(svd, field), getattr(expected_svd, field))
    loaded = reloaded(function)
    assert_same(loaded(a)[0], expected_value)
    assert_same(loaded(a)[1].Vh, expected_svd.Vh)


@pytest.mark.parametrize("shapes, rank", [(((3, 4), (4, 5)), 2), (((3, 4), (4,)), 1), (((2, 3, 4), (4, 5)), 3)])
def test_a_dot_method_of_unknown_sizes_has_np_dots_rank(shapes, rank):
    # A DYNAMIC specialization knows ranks only; the probe cannot give x.dot's shape, np.dot's rule does
    # (an RNN step's x.dot(Wx) + h.dot(Wh) + b fuses only when the product's rank is known).
    from jit import types as T  # noqa: PLC0415 - this test only
    from jit.ops.registry import ArgInfo, lookup  # noqa: PLC0415

    infos = [ArgInfo(T.TensorType(np.dtype(np.float64), (None,) * len(s), "cpu")) for s in shapes]
    result = lookup("np::ndarray.dot").result_type(infos)
    assert result.shape is not None and len(result.shape) == rank
    assert result.shape == tuple(None for _ in np.dot(*(np.ones(s) for s in shapes)).shape)


# (a stack, a matrix): C-contiguous stacks go to BLAS as one product of their rows; the others as NumPy's
STACKED = [((8, 16, 32), (32, 24), "C"), ((3, 1, 2, 5), (5, 7), "C"), ((2, 0, 4), (4, 5), "C"),
           ((0, 3, 4), (4, 5), "C"), ((2, 3, 0), (0, 5), "C"), ((4, 6, 8), (8, 3), "transposed"),
           ((4, 6, 8), (8, 3), "sliced"), ((5, 4), (4, 3), "C")]


@pytest.mark.parametrize("a_shape, b_shape, layout", STACKED, ids=[f"{a}@{b}-{l}" for a, b, l in STACKED])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_a_stack_of_matrices_times_a_matrix_is_numpys_product(a_shape, b_shape, layout, dtype):
    scripted, eager = script_source("""
        def project(x, w):
            return x @ w, np.matmul(x, w) + 1
    """)
    rng = np.random.default_rng(5)
    a = (rng.standard_normal(a_shape) * 4).astype(dtype)
    if layout == "transposed":
        a = np.ascontiguousarray(np.swapaxes(a, 0, 1)).swapaxes(0, 1)
    elif layout == "sliced":
        a = np.repeat(a, 2, axis=-1)[..., ::2]
    b = (rng.standard_normal(b_shape) * 4).astype(dtype)
    for _ in range(3):  # profile, specialize, optimized
        got = scripted(a, b)
    for value, expected in zip(got, eager(a, b)):
        assert value.shape == expected.shape and value.dtype == expected.dtype and value.flags.c_contiguous
        np.testing.assert_allclose(value, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_a_stack_times_a_matrix_of_the_wrong_size_raises_numpys_error():
    scripted, eager = script_source("""
        def project(x, w):
            return x @ w
    """)
    with pytest.raises(ValueError, match="mismatch in its core dimension"):
        eager(np.ones((2, 3, 4)), np.ones((5, 6)))
    with pytest.raises(ValueError, match="mismatch in its core dimension"):
        scripted(np.ones((2, 3, 4)), np.ones((5, 6)))
