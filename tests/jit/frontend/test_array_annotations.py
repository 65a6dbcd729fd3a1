"""Array annotations as NumPy code writes them: ``np.ndarray``, ``numpy.typing.NDArray[...]``,
``np.ndarray[Any, ...]`` and an ndarray subclass used for shape documentation (llama3.np's
``class Array(np.ndarray, Generic[Shape])`` with ``Array["B, L, D"]``) all mean Tensor."""
from __future__ import annotations

import numpy as np

from ...helpers import assert_matches_eager

SOURCE = """
from typing import Any, Generic, TypeVar
import numpy.typing as npt

Shape = TypeVar("Shape")


class Array(np.ndarray, Generic[Shape]): ...


def f(x: Array["B, D"], w: npt.NDArray[np.float64], b: np.ndarray[Any, np.dtype[np.float64]],
      c: npt.NDArray) -> Array["B, D"]:
    y: Array["B, D"] = x * w + b
    return y - c
"""


def test_ndarray_classes_and_aliases_annotate_tensors():
    x = np.arange(6.0).reshape(2, 3)
    scripted = assert_matches_eager(SOURCE, (x, np.ones(3), np.full(3, 2.0), x), name="f")
    assert "Tensor" in str(scripted.graph).splitlines()[0]
