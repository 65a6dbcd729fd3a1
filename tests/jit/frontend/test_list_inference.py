"""Empty-list inference (issue 18): ``xs = []`` then ``xs.append(v)`` makes a list of
v's type, as users write it (TorchScript would need ``xs: List[int] = []``); an
empty list nothing appends to stays List[Tensor], and where an append cannot type it
the error says how to declare it."""
from __future__ import annotations

import numpy as np
import pytest

import jit
from jit import types as T

from ...helpers import assert_matches_eager, script_source


def test_appended_arrays_make_a_list_of_tensors():
    assert_matches_eager("""
        def rows(x):
            outs = []
            for i in range(x.shape[0]):
                outs.append(np.flip(x[i]))  # no elementwise work: no kernel to compile
            return np.stack(outs)
    """, (np.linspace(-1, 1, 6).reshape(3, 2),))


def test_the_first_append_gives_the_element_type():
    scripted = assert_matches_eager("""
        def collect(x, n: int):
            sizes = []
            scales = []
            names = []
            for i in range(n):
                sizes.append(i * x.shape[0])
                scales.append(float(i) / 2)
            names.append("a")
            return sizes, scales, names, len(sizes)
    """, (np.ones(3), 4), (np.ones(2), 0))
    sizes, scales, names, _ = scripted.graph.outputs[0].node.inputs
    assert (sizes.type, scales.type, names.type) == (T.ListType(T.INT), T.ListType(T.FLOAT), T.ListType(T.STR))


def test_an_empty_list_nothing_appends_to_is_a_list_of_tensors():
    scripted, eager = script_source("""
        def nothing(x):
            xs = []
            return xs
    """)
    assert scripted.graph.outputs[0].type == T.ListType(T.TENSOR)
    assert scripted(np.ones(2)) == eager(np.ones(2))


def test_an_append_that_does_not_fit_the_first_says_so():
    with pytest.raises(jit.CompilationError, match=r"an element of type float does not fit a List\[int\]"):
        script_source("""
            def mixed(n: int):
                xs = []
                xs.append(n)
                xs.append(2.5)
                return xs
        """)


def test_reassigning_an_empty_list_says_how_to_declare_it():
    with pytest.raises(jit.CompilationError, match=r"declare it, as in 'xs: List\[int\] = \[\]'"):
        script_source("""
            def replaced(n: int):
                xs = []
                xs = [n]
                return xs
        """)
