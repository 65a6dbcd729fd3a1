"""Smaller constructs that real NumPy code uses (issue 18, item 4): ``x.item()``,
a variable first None and later an array, ``max``/``min`` of 0-d arrays and mixed
numbers, indexing with a ``range``, lists of arrays and numbers as array data
(``np.array([x.sum(), 1.0])``) and NumPy's scalar types called (``np.float32(2.5)``). Each test is the kind of code that needed it,
run eagerly and scripted."""
from __future__ import annotations

import numpy as np
import pytest

import jit
from jit import types as T

from ...helpers import assert_same, reloaded, script_source


def test_item_gives_python_numbers_as_training_loops_log_them():
    scripted, eager = script_source("""
        def normalize_and_log(x, threshold: float):
            peak = float(np.abs(x).max().item())
            positives = int((x > threshold).sum().item())
            return x / peak, positives, x.mean().item(), (x > threshold).any().item()
    """)
    rng = np.random.default_rng(3)
    for x in (rng.standard_normal(7).astype(np.float32), rng.integers(-5, 5, (3, 4))):
        for _ in range(3):  # profiled, then specialized
            assert_same(scripted(x, 0.5), eager(x, 0.5))


def test_item_is_a_scalar_until_converted():
    """The array's dtype, so the number's kind, is known only when a call profiles it:
    script code converts it (float(), int()) to compute with it, as TorchScript's Scalar."""
    scripted, eager = script_source("""
        def count_above(x, t: float) -> int:
            return int((x > t).sum().item()) + 1
    """)
    x = np.linspace(-1, 1, 9)
    assert_same(scripted(x, 0.1), eager(x, 0.1))
    assert scripted.graph.outputs[0].type == T.INT
    bare, _ = script_source("""
        def peak(x):
            return x.max().item()
    """)
    assert bare.return_type == T.NUMBER
    for x in (np.arange(4), np.linspace(0, 1, 3), np.array([True, False])):
        assert_same(bare(x), x.max().item())
    sized, sized_eager = script_source("""
        def first(x):
            return x.item()
    """)
    with pytest.raises(ValueError) as eager_error:  # NumPy's own error for more than one element
        sized_eager(np.ones(3))
    with pytest.raises(ValueError, match=str(eager_error.value)):
        sized(np.ones(3))


def test_a_variable_first_none_then_an_array_is_optional():
    """The running-best pattern (beam search, early stopping): best = None, then arrays."""
    scripted, eager = script_source("""
        def running_best(x, n: int):
            best = None
            for i in range(n):
                candidate = x * (i - 1)
                if best is None:
                    best = candidate
                else:
                    best = np.maximum(best, candidate)
            return best
    """)
    x = np.array([1.0, -2.0, 3.0])
    for n in (0, 1, 4):
        assert_same(scripted(x, n), eager(x, n))
    assert scripted.return_type == T.OptionalType(T.TENSOR)


def test_a_variable_first_none_then_two_types_is_still_an_error():
    with pytest.raises(jit.CompilationError, match="previously had type"):
        script_source("""
            def f(x: Tensor, c: bool):
                y = None
                y = x
                y = 1
                return y
        """)


def test_max_and_min_of_reductions_and_numbers_guard_a_division():
    """Scaling by a peak with a floor, as normalization code writes it."""
    scripted, eager = script_source("""
        def safe_scale(x, floor: float):
            peak = max(np.abs(x).max(), floor)
            low = min(x.min(), 0.0)
            return x / peak, x - low, max(x.shape[0], 2), min(1.5, floor)
    """)
    for x in (np.array([0.5, -4.0, 2.0], np.float32), np.zeros(3, np.float32), np.array([3.0, 7.0])):
        for floor in (1e-6, 10.0):
            for _ in range(2):
                assert_same(scripted(x, floor), eager(x, floor))


def test_max_of_an_int_and_a_float_is_a_float_as_in_torchscript():
    scripted, eager = script_source("""
        def warmup(step: int, warmup_steps: int, base: float):
            return base * min(1, step / warmup_steps), max(step, 0.5)
    """)
    for step in (0, 5, 20):
        result, expected = scripted(step, 10, 0.1), eager(step, 10, 0.1)
        assert result[0] == expected[0]
        assert type(result[1]) is float and result[1] == expected[1]


def test_indexing_with_a_range_is_integer_array_indexing():
    """x[range(n)] as NumPy reads it (np.arange of the range): im2col-style row picks."""
    scripted, eager = script_source("""
        def pick(x, n: int, start: int):
            return x[range(n)], x[range(start, n, 2)], x[:, range(n)], x[range(n), range(n)]
    """)
    x = np.arange(20.0).reshape(4, 5)
    for n, start in ((3, 0), (4, 1), (0, 0)):
        assert_same(scripted(x, n, start), eager(x, n, start))


def test_a_range_is_array_data_for_numpy_functions():
    """range(...) passed where a NumPy function takes array data is the array NumPy makes of it:
    min-char-rnn's np.random.choice(range(vocab_size), p=p.ravel()); int64, and float64 when empty."""
    scripted, eager = script_source("""
        def draw(p, n: int):
            return np.random.choice(range(n), p=p.ravel())
    """)
    p = np.array([[0.1], [0.2], [0.3], [0.4]])
    for seed in (11, 12):
        np.random.seed(seed)
        expected = eager(p, 4)
        np.random.seed(seed)  # the draw comes from NumPy's global generator, as eager code's does
        assert_same(scripted(p, 4), expected)
    scripted, eager = script_source("""
        def data(x, n: int, start: int):
            return np.array(range(start, n, 2)), np.sum(range(n)), np.asarray(range(start, n)), x.take(range(start, n))
    """)
    x = np.arange(10.0, 15.0)
    for n, start in ((4, 1), (4, 4), (0, 0), (5, 2)):  # empty ranges make float64 arrays
        for _ in range(3):  # profiled, then specialized
            assert_same(scripted(x, n, start), eager(x, n, start))
        assert_same(reloaded(scripted)(x, n, start), eager(x, n, start))
    for body in ("x + range(n)", "abs(range(n))"):  # Python's operators and builtins make no arrays of it
        with pytest.raises(jit.CompilationError, match="a range object cannot be used as a value"):
            script_source(f"def f(x, n: int):\n    return {body}\n")[0](np.arange(3.0), 3)


def test_a_list_of_arrays_and_numbers_is_array_data_for_numpy_functions():
    """Statistics gathered into an array and a padded row: the list holds 0-d arrays and
    numbers (no one script type), which NumPy's functions take as array data."""
    scripted, eager = script_source("""
        def summary(x, pad: float):
            stats = np.array([x.mean(), x.std(), 0.0, x.max()])
            grid = np.array([[x.min(), 1], [2, x.sum()]])
            padded = np.concatenate([x, [0.0, pad]])
            return stats, grid, padded, np.hstack([x, 1, [2, 3]]), np.stack([pad, x[0]], -1)
    """)
    rng = np.random.default_rng(5)
    for x in (rng.standard_normal(6).astype(np.float32), rng.integers(-4, 4, 5)):
        for _ in range(3):  # profiled, then specialized
            assert_same(scripted(x, 0.5), eager(x, 0.5))
        assert_same(reloaded(scripted)(x, 0.5), eager(x, 0.5))
        assert_same(jit.trace(eager, (x, 0.5))(x, 0.5), eager(x, 0.5))


def test_a_list_of_arrays_and_numbers_is_not_a_script_list():
    """Used as a list (len, append, a return value), it is the one-type rule's error, which says
    why NumPy's functions take it."""
    for body in ("return len([x.sum(), 1.0])", "l = [x.sum(), 1.0]\n    return l", "print([x, 1.0])\n    return x",
                 "print([[x.sum(), 1.0]])\n    return x"):  # nested: array data too, never a list of tuples
        with pytest.raises(jit.CompilationError, match="list elements must all have the same type.*array data"):
            script_source(f"def f(x):\n    {body}\n")[0](np.arange(3.0))  # compiled when scripted or first called


def test_numpy_scalar_types_called_cast_as_numpy_does():
    scripted, eager = script_source("""
        def scaled(x, n: int):
            return np.float32(2.5) * x, np.int64(x.sum()) + n, np.float32(x), np.bool_(n) & (x > 0)
    """)
    for x in (np.arange(4.0, dtype=np.float32), np.arange(-2, 2)):
        for _ in range(3):
            assert_same(scripted(x, 3), eager(x, 3))
        assert_same(reloaded(scripted)(x, 3), eager(x, 3))
    scripted, eager = script_source("def f(x):\n    return np.int8(300) + x\n")
    with pytest.raises(OverflowError, match="300"):  # NumPy 2: an out-of-range Python int
        eager(np.int8(1))
    with pytest.raises(OverflowError, match="300"):
        scripted(np.int8(1))
    with pytest.raises(jit.CompilationError, match="takes one positional argument"):
        script_source("def f(x):\n    return np.float32(x, 1)\n")[0](np.arange(3.0))


def test_numpy_scalar_types_called_on_numbers_make_numpy_scalars():
    """np.float64(0) is an immutable NumPy scalar, not a 0-d array: a loss accumulated from it
    with += is a new scalar each time (min-char-rnn's loss), and a name bound to the old one
    keeps it; on a 0-d array it is the scalar too, and on any other array an array."""
    scripted, eager = script_source("""
        def accumulate(x):
            loss = np.float64(0)
            first = loss
            for i in range(x.shape[0]):
                loss += -np.log(x[i, 0])
            return loss, first, np.float32(x[0, 0]), np.int64(np.array(3)), np.float32(x)
    """)
    x = np.array([[0.5], [0.25], [0.125]])
    for _ in range(3):  # profiled, then specialized
        assert_same(scripted(x), eager(x))
    assert_same(reloaded(scripted)(x), eager(x))
