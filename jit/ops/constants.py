"""Machine limits: ``np.finfo(dtype)`` and ``np.iinfo(dtype)``, whose fields
(``np.finfo(np.float32).eps``, ``np.iinfo(x.dtype).max``) script code reads.

NumPy's constants (``np.pi``, ``np.e``, ``np.inf``, ``np.nan``, ``np.newaxis``,
``np.euler_gamma``) need no entry: script code reads them as Python constants.
The limits are named tuples of the fields NumPy gives: the float ones are NumPy
scalars of the dtype, as in NumPy, so ``x + np.finfo(x.dtype).eps`` keeps x's dtype.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from jit import types as T

from .declare import numpy_op


class finfo(NamedTuple):  # noqa: N801 - named as NumPy's class, which saved code prints
    bits: int
    eps: T.Tensor
    epsneg: T.Tensor
    max: T.Tensor
    min: T.Tensor
    tiny: T.Tensor
    smallest_normal: T.Tensor
    smallest_subnormal: T.Tensor
    resolution: T.Tensor
    precision: int


class iinfo(NamedTuple):  # noqa: N801
    bits: int
    min: int
    max: int


def _finfo(xp, dtype):
    info = np.finfo(dtype)
    return finfo(*(getattr(info, field) for field in finfo._fields))


def _iinfo(xp, dtype):
    info = np.iinfo(dtype)
    return iinfo(info.bits, int(info.min), int(info.max))


def _limits_rule(cls, fields_of):
    def rule(infos):
        dtype = np.dtype(infos[0].value) if infos[0].is_constant else None
        return T.NamedTupleType(cls, fields_of(dtype))

    return rule


def _finfo_fields(dtype):
    number = T.TensorType(dtype, (), "cpu") if dtype is not None else T.TENSOR
    return [T.INT] + [number] * 8 + [T.INT]


numpy_op("finfo", "dtype: dtype", impl=_finfo, returns=T.NamedTupleType(finfo, _finfo_fields(None)),
         rule=_limits_rule(finfo, _finfo_fields), raises=True,
         doc="np.finfo(dtype): bits, eps, epsneg, max, min, tiny, smallest_normal, smallest_subnormal, resolution, "
             "precision")
numpy_op("iinfo", "dtype: dtype", impl=_iinfo, returns=T.NamedTupleType(iinfo, [T.INT] * 3),
         rule=_limits_rule(iinfo, lambda dtype: [T.INT] * 3), doc="np.iinfo(dtype): bits, min, max")
