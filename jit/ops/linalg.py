"""Linear algebra: products (``vdot``, ``inner``, ``outer``, ``tensordot``,
``einsum``, ``kron``, ``cross``, ``vecdot``...), ``trace``, and ``np.linalg``
(``norm``, ``inv``, ``solve``, ``det``, ``cholesky``, ``qr``, ``eigh``, ``svd``...).

The type rules probe with identity matrices, which every factorization accepts;
a singular or indefinite input raises NumPy's LinAlgError when the op runs.
Results that NumPy 2 gives as named tuples (``qr``, ``eigh``, ``svd``,
``slogdet``) are named tuples here too, with NumPy's class and field names
(``np.linalg.slogdet(a).logabsdet``, or unpacked); the classes are ours, as
``jit.ops.constants.finfo`` is, because NumPy's are private to ``numpy.linalg``.
"""
from __future__ import annotations

from typing import NamedTuple

from jit import types as T

from .declare import numpy_op
from .reductions import dot_shape
from .registry import Spelling


class SlogdetResult(NamedTuple):
    sign: T.Tensor
    logabsdet: T.Tensor


class EighResult(NamedTuple):
    eigenvalues: T.Tensor
    eigenvectors: T.Tensor


class QRResult(NamedTuple):
    Q: T.Tensor  # noqa: N815 - NumPy's field names
    R: T.Tensor  # noqa: N815


class SVDResult(NamedTuple):
    U: T.Tensor  # noqa: N815
    S: T.Tensor  # noqa: N815
    Vh: T.Tensor  # noqa: N815


def _named(cls):
    """The result as ``cls``, and a type rule that names its elements (the probe gives a tuple)."""
    def declare(op):
        probed = op.rule

        def rule(infos):
            result = probed(infos)
            elements = result.elements if isinstance(result, T.TupleType) else [T.TENSOR] * len(cls._fields)
            return T.NamedTupleType(cls, elements)

        op.rule = rule
        op.returns = T.NamedTupleType(cls, [T.TENSOR] * len(cls._fields))
        return op

    return declare

numpy_op("vdot", "a: array, b: array", positional=2)
numpy_op("inner", "a: array, b: array", positional=2)
numpy_op("outer", "a: array, b: array", positional=2)
numpy_op("kron", "a: array, b: array", positional=2)
numpy_op("tensordot", "a: array, b: array, axes: pad = 2", positional=2)
numpy_op("cross", "a: array, b: array, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int? = None",
         positional=2)
numpy_op("vecdot", "x1: array, x2: array, *, axis: int = -1", positional=2)
numpy_op("matvec", "x1: array, x2: array", positional=2, newer_than_cupy=True)
numpy_op("vecmat", "x1: array, x2: array", positional=2, newer_than_cupy=True)
numpy_op("trace", "a: array, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: dtype = None", method=True)
numpy_op("ndarray.dot", "a: tensor, b: array", op_name="np::ndarray.dot", template="{0}.dot({1})",
         spellings=[Spelling("method", "dot")], doc="x.dot(b): arrays only (a NumPy scalar has no dot)",
         shape=lambda infos: dot_shape(*(getattr(i.type, "shape", ()) for i in infos)))  # np.dot's, for unknown sizes


def _einsum(xp, subscripts, x1, x2, x3, x4, optimize):
    return xp.einsum(subscripts, *[x for x in (x1, x2, x3, x4) if x is not None], optimize=optimize)


numpy_op("einsum", "subscripts: str, x1: tensor, x2: tensor? = None, x3: tensor? = None, x4: tensor? = None, "
                   "*, optimize: bool = False", impl=_einsum,
         doc="np.einsum(subscripts, *operands, optimize=False) of up to 4 operands")
numpy_op("linalg.multi_dot", "arrays: arrays")

_FILL = {"fill": "eye"}
numpy_op("linalg.norm", "x: array, ord: ord = None, axis: shape? = None, keepdims: bool = False", **_FILL)
numpy_op("linalg.vector_norm", "x: array, *, axis: shape? = None, keepdims: bool = False, ord: ord = 2", **_FILL,
         newer_than_cupy=True)
numpy_op("linalg.matrix_norm", "x: tensor, *, keepdims: bool = False, ord: ord = 'fro'", **_FILL,
         newer_than_cupy=True)
numpy_op("linalg.cond", "x: tensor, p: ord = None", **_FILL)
for _name in ("inv", "det", "cholesky", "pinv", "eigvalsh", "svdvals", "matrix_rank"):
    numpy_op(f"linalg.{_name}", "a: tensor" if _name != "svdvals" else "x: tensor", **_FILL,
             newer_than_cupy=_name == "svdvals")
numpy_op("linalg.solve", "a: tensor, b: tensor", positional=2, **_FILL)
numpy_op("linalg.matrix_power", "a: tensor, n: int", positional=2, **_FILL)
numpy_op("linalg.tensorinv", "a: tensor, ind: int = 2", **_FILL)
numpy_op("linalg.tensorsolve", "a: tensor, b: tensor", positional=2, **_FILL)
_named(SlogdetResult)(numpy_op(
    "linalg.slogdet", "a: tensor", returns="tuple2", impl=lambda xp, a: SlogdetResult(*xp.linalg.slogdet(a)), **_FILL,
    doc="np.linalg.slogdet(a): SlogdetResult(sign, logabsdet)"))
_named(EighResult)(numpy_op(
    "linalg.eigh", "a: tensor, UPLO: str = 'L'", returns="tuple2",
    impl=lambda xp, a, uplo: EighResult(*xp.linalg.eigh(a, UPLO=uplo)), **_FILL,
    doc="np.linalg.eigh(a, UPLO='L'): EighResult(eigenvalues, eigenvectors)"))
_named(QRResult)(numpy_op(
    "linalg.qr", "a: tensor, mode: str = 'reduced'", returns="tuple2",
    impl=lambda xp, a, mode: QRResult(*xp.linalg.qr(a, mode=mode)), **_FILL,
    doc="np.linalg.qr(a, mode='reduced'|'complete'): QRResult(Q, R)"))
_named(SVDResult)(numpy_op(
    "linalg.svd", "a: tensor, full_matrices: bool = True", returns="tuple3",
    impl=lambda xp, a, full: SVDResult(*xp.linalg.svd(a, full_matrices=full)), **_FILL,
    doc="np.linalg.svd(a, full_matrices=True): SVDResult(U, S, Vh)"))
numpy_op("linalg.lstsq", "a: tensor, b: tensor, rcond: float? = None", positional=2,
         returns=T.TupleType([T.TENSOR] * 4), impl=lambda xp, a, b, rcond: tuple(xp.linalg.lstsq(a, b, rcond=rcond)),
         **_FILL, doc="np.linalg.lstsq(a, b, rcond=None): (x, residuals, rank, singular values); rank is a NumPy int")
# The array-API spellings in np.linalg that are functions of their own.
numpy_op("linalg.matmul", "x1: tensor, x2: tensor", positional=2)
numpy_op("linalg.outer", "x1: tensor, x2: tensor", positional=2)
numpy_op("linalg.cross", "x1: tensor, x2: tensor, *, axis: int = -1", positional=2)
numpy_op("linalg.tensordot", "x1: tensor, x2: tensor, *, axes: pad = 2", positional=2)
numpy_op("linalg.vecdot", "x1: tensor, x2: tensor, *, axis: int = -1", positional=2)
numpy_op("linalg.trace", "x: tensor, *, offset: int = 0, dtype: dtype = None")
numpy_op("linalg.diagonal", "x: tensor, *, offset: int = 0", aliases=True)
numpy_op("linalg.matrix_transpose", "x: tensor", aliases=True)
