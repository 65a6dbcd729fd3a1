"""Rearranging arrays: ``repeat``, ``tile``, ``roll``, ``flip``, ``rot90``, ``pad``,
``moveaxis``, ``atleast_Nd``, ``broadcast_arrays``, ``triu``/``tril``, ``resize``,
``delete``/``insert``, ``x.flatten()``, ``x.mT``...

Views stay views where NumPy's are (``flip``, ``moveaxis``, ``atleast_Nd``).
"""
from __future__ import annotations

from .declare import arrays_signature, given, numpy_op, same_shape
import numpy as np

from jit import types as T

from .arithmetic import numpy_function
from .registry import Spelling
from .scalar_expr import fn

MAX_ARRAYS = 6

numpy_op("repeat", "a: array, repeats: index, axis: int? = None", method=True)
numpy_op("tile", "A: array, reps: shape")
numpy_op("roll", "a: array, shift: shape, axis: shape? = None", shape=same_shape)
numpy_op("flip", "m: array, axis: shape? = None", shape=same_shape, aliases=True)
numpy_op("fliplr", "m: array", shape=same_shape, aliases=True)
numpy_op("flipud", "m: array", shape=same_shape, aliases=True)
numpy_op("rot90", "m: array, k: int = 1, axes: ints = (0, 1)", aliases=True)
numpy_op("moveaxis", "a: tensor, source: shape, destination: shape", aliases=True)
numpy_op("rollaxis", "a: tensor, axis: int, start: int = 0", aliases=True)
numpy_op("matrix_transpose", "x: tensor", aliases=True)
for _rank in (1, 2, 3):
    numpy_op(f"atleast_{_rank}d", "a: array", aliases=True, doc=f"np.atleast_{_rank}d of one array")
numpy_op("broadcast_arrays", arrays_signature(MAX_ARRAYS), returns="tuple", aliases=True,
         impl=lambda xp, *arrays: xp.broadcast_arrays(*given(*arrays)),
         doc=f"np.broadcast_arrays(*args) of up to {MAX_ARRAYS} arrays: a tuple of views")
def _triangle_shape(infos):
    """triu/tril: the input's shape; a 1-d (n,) gives (n, n) (NumPy masks it with tri(n))."""
    shape = same_shape(infos)
    return (shape[0], shape[0]) if shape is not None and len(shape) == 1 else shape


numpy_op("triu", "m: array, k: float = 0", shape=_triangle_shape)  # NumPy takes a float k
numpy_op("tril", "m: array, k: float = 0", shape=_triangle_shape)
numpy_op("resize", "a: array, new_shape: shape")
numpy_op("delete", "arr: array, obj: index, axis: int? = None")
numpy_op("insert", "arr: array, obj: index, values: array, axis: int? = None")
numpy_op("trim_zeros", "filt: tensor, trim: str = 'fb'", data_dependent=True, aliases=True)
numpy_op("unstack", "x: tensor, *, axis: int = 0", returns="tuple", aliases=True)


def _pad(xp, array, pad_width, mode, constant_values):
    """np.pad: ``constant_values`` goes to NumPy only for the mode that takes it."""
    options = {"constant_values": constant_values} if mode == "constant" else {}
    return xp.pad(array, pad_width, mode=mode, **options)


numpy_op("pad", "array: array, pad_width: pad, mode: str = 'constant', *, constant_values: number = 0", impl=_pad,
         doc="np.pad(array, pad_width, mode='constant', *, constant_values=0): modes constant, edge, reflect, "
             "symmetric, wrap, linear_ramp, maximum, mean, median, minimum (their defaults)")
numpy_op("ndarray.flatten", "a: tensor", op_name="np::ndarray.flatten", template="{0}.flatten()",
         spellings=[Spelling("method", "flatten")], doc="x.flatten(): a flat copy")
numpy_op("ndarray.mT", "a: tensor", op_name="np::ndarray.mT", template="{0}.mT",
         spellings=[Spelling("property", "mT")], aliases=True, doc="x.mT: the matrix transpose (a view)")
# Of a real array, the real part is the array and the imaginary part zeros of its dtype.
_PARTS = {"real": lambda val: val, "imag": lambda val: fn.constant(0, val)}
for _part in ("real", "imag"):
    numpy_op(_part, "val: array", shape=same_shape, aliases=_part == "real", formula=_PARTS[_part],
             spellings=[numpy_function(_part), Spelling("property", _part)], doc=f"np.{_part}(val), x.{_part}")
for _size in ("nbytes", "itemsize"):
    numpy_op(f"ndarray.{_size}", "a: tensor", op_name=f"np::ndarray.{_size}", template=f"{{0}}.{_size}", returns="int",
             spellings=[Spelling("property", _size)], raises=False, doc=f"x.{_size}: bytes, an int")
numpy_op("ndarray.view", "a: tensor, dtype: dtype", op_name="np::ndarray.view", template="{0}.view({1})",
         spellings=[Spelling("method", "view")], aliases=True, doc="x.view(dtype): the same memory as another dtype")
numpy_op("broadcast_shapes", "s1: shape, s2: shape = (), s3: shape = (), s4: shape = ()", returns=T.VarTupleType(T.INT),
         rule=lambda infos: T.VarTupleType(T.INT), impl=lambda xp, *shapes: np.broadcast_shapes(*shapes),
         doc="np.broadcast_shapes(*shapes) of up to 4 shapes: a tuple of ints")
