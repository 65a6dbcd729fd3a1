"""What the fuzzer found, as regular tests (shrunk by tests/fuzz/shrinker.py).

Each test runs its program eagerly and compiled (``assert_program_matches``: the
oracle of the bounded run) in the mode that showed the bug. A bug still open is
a strict xfail, so its test fails (XPASS) the day the fix lands: then drop the
marker, and the pattern's entry in test_programs.KNOWN_BUGS.
"""
from __future__ import annotations

from math import inf, nan  # noqa: F401 - shrunk tests print them

import numpy as np

import jit

from ..helpers import assert_same
from .oracle import assert_program_matches
from .values import npscalar, spec  # noqa: F401 - shrunk tests print them

# -- issue 23's classes, fixed: kept as regression tests --------------------------------


def test_out_of_range_python_int_compared_exactly_in_a_fused_kernel():
    """NEP 50: -2 and 0 compare with uint64 values by their exact value."""
    assert_program_matches("""
        def f(x):
            return (x >= -2) | (x < 0)
    """, [[spec([0, 5, 2 ** 64 - 1], "uint64")]] * 2, modes=("script", "dynamic"))


def test_out_of_range_python_ints_clip_and_select_by_value():
    assert_program_matches("""
        def f(x, y):
            return np.clip(x, -1, 300) + 0, np.where(x > 2147483648, y, x)
    """, [[spec([0, 5, 255], "uint8"), spec([1, 2, 3], "uint8")]] * 2, modes=("script", "dynamic"))


def test_int_parameter_out_of_range_after_an_in_range_specialization():
    """``n = -1`` with uint8 raises OverflowError (and compares exactly) however ``n`` was first seen."""
    assert_program_matches("""
        def f(x, n: int):
            return (x + n) * 2, (x <= n) * 1
    """, [[spec([0, 5, 255], "uint8"), 1], [spec([0, 5, 255], "uint8"), 1], [spec([0, 5, 255], "uint8"), -1],
          [spec([1, 2], "uint32"), 1], [spec([1, 2], "uint32"), -1]], modes=("script", "dynamic"))


def test_full_with_a_fill_the_dtype_cannot_hold_raises():
    assert_program_matches("""
        def f(x):
            return np.full_like(x, -1, dtype=np.uint8), np.full(x.shape, 300, dtype=np.uint8)
    """, [[spec([0, 5, 255], "uint8")]], modes=("script", "trace"))


def test_int64_wraps_around_in_fused_kernels():
    assert_program_matches("""
        def f(x):
            return (x + 1) > x, np.sign(x * x) + 0, x[(x * x) > 0]
    """, [[spec([2 ** 63 - 1, 5, 2 ** 32, 3], "int64")]] * 2, modes=("script", "dynamic", "trace"))


def test_dead_code_keeps_an_operations_error():
    """argmax of an empty axis raises even when only its shape (or nothing) is used."""
    assert_program_matches("""
        def f(x):
            unused = x.argmax(axis=0)
            return np.zeros(x.argmax(axis=0).shape)
    """, [[spec([[], []], "float64")], [spec([[1.0], [2.0]], "float64")]], modes=("script", "trace", "loaded"))


def test_trace_records_astype_with_builtin_types_and_keeps_ndims_work():
    assert_program_matches("""
        def f(x, y):
            return x.astype(bool), x.astype(int), x.astype(float), (x + y).ndim
    """, [[spec([1.5, 0.0], "float64"), spec([1.0, 2.0], "float64")],
          [spec([1.5, 0.0], "float64"), spec([1.0, 2.0, 3.0], "float64")]], modes=("trace",))


def test_python_int_above_int64_with_uint64_arrays():
    assert_program_matches("""
        def f(x):
            return x + 18446744073709551615, x < 9223372036854775808
    """, [[spec([0, 1], "uint64")]], modes=("script", "trace"))


# -- found by the fuzzer, open ---------------------------------------------------------------


def test_python_number_passed_to_an_unannotated_parameter():
    assert_program_matches("""
        def f(x, c):
            return x * c
    """, [[spec([1.0, 2.0], "float64"), 2], [spec([1.0, 2.0], "float64"), 0.5]], modes=("script",))


def test_numpy_comparison_of_python_scalars_is_a_numpy_bool():
    assert_program_matches("""
        def f(x):
            return np.equal(1.0, 2.0), np.less(1, 2), np.logical_and(True, False)
    """, [[spec([1.0], "float64")]], modes=("script",))


def test_trace_numpy_function_of_a_traced_size():
    assert_program_matches("""
        def f(x):
            return np.multiply(np.arange(2, dtype=np.float16), x.shape[0]), x
    """, [[spec([1.0, 2.0], "float64")], [spec([1.0, 2.0, 3.0], "float64")]], modes=("trace",))
    assert_program_matches("""
        def f(x):
            return np.sin(x.size) * x, np.sqrt(x.shape[0]) + x
    """, [[spec([1.0, 2.0], "float64")], [spec([1.0, 2.0, 3.0], "float64")]], modes=("trace",))


def test_trace_keeps_numpy_scalar_results():
    count, start = 3, np.uint64(0)

    def f(x):
        return np.rint(count), ~start, x * 2

    x = np.array([1.0, 2.0])
    assert_same(jit.trace(f, (x,), check_trace=False)(x), f(x))


def test_trace_keeps_the_dtype_of_a_numpy_scalar_constant():
    modulus, offset = np.uint16(3), np.int32(-3)

    def f(x, y):
        return x % modulus, y + offset

    x, y = np.array([1.0, 5.0], np.float16), np.array([7, 9], np.uint32)
    with np.errstate(all="ignore"):
        assert_same(jit.trace(f, (x, y), check_trace=False)(x, y), f(x, y))


def test_loop_that_changes_a_variables_dtype():
    assert_program_matches("""
        def f(x, k: int):
            v = np.tan(x)
            for i in range(k):
                v = x
            return v * 2
    """, [[spec([[1]], "uint64"), 0], [spec([[1]], "uint64"), 1]], modes=("script",))


def test_first_error_wins_after_specialization():
    assert_program_matches("""
        def f(x, n: int):
            v = x + n
            c = math.atanh(n)
            return v
    """, [[spec([1, 2], "uint16"), 0], [spec([1, 2], "uint16"), 2 ** 31]], modes=("script",))


def test_like_a_numpy_scalar_raises():
    assert_program_matches("""
        def f(x):
            return np.arange(0, 3, 1, like=x)
    """, [[npscalar(1.0, "float64")]], modes=("script",))


def test_transpose_with_one_axis_argument():
    assert_program_matches("""
        def f(x):
            return x.transpose(0), x.reshape(2)
    """, [[spec([1.0, 2.0], "float64")]], modes=("script", "trace"))


def test_item_and_slice_assignment():
    assert_program_matches("""
        def f(x):
            y = x + 0
            y[0] = 5
            y[1:] = y[:1] * 2
            return y
    """, [[spec([1.0, 2.0, 3.0], "float64")]], modes=("script", "trace", "loaded"))


def test_a_function_that_calls_a_python_helper_saves_and_loads():
    assert_program_matches("""
        def g(a, b):
            return a * b

        def f(x):
            return g(x, x) + 1
    """, [[spec([1.0, 2.0], "float64")]], modes=("loaded",))


def test_a_python_helper_called_with_python_numbers():
    assert_program_matches("""
        def g(a, b):
            return a * b

        def f(x):
            return g(x, 2), g(x, 0.5)
    """, [[spec([1.0, 2.0], "float64")]], modes=("script",))


def test_trace_keeps_numpy_scalars_computed_from_constants():
    assert_program_matches("""
        def f(x, w):
            return (np.ones(()) > 0) * 1 + x, F.layer_norm(np.ones(()) >= 1, (), w)
    """, [[spec([3, 4], "int16"), spec(2.0, "float64")]], modes=("trace",))


def test_power_of_a_bool_array_by_two():
    assert_program_matches("""
        def f(x):
            return np.power(x > 1, 2), (x > 1) ** 2
    """, [[spec([1, 2, 3], "uint8")]] * 2, modes=("script", "trace"))


def test_augmented_assignment_writes_into_the_array():
    """x += y writes into x (issue 18): the caller's array and views see it, int8 += int16 stays int8,
    int8 += 1.5 raises UFuncTypeError as NumPy does."""
    assert_program_matches("""
        def f(x, z, w):
            x += 1
            y = z[::-1]
            y *= 2
            v = w + 0
            v += z.astype(np.int16)
            return x, z + 0, v
    """, [[spec([1.0, 2.0], "float64"), spec([1.0, 2.0], "float64"), spec([1, 2], "int8")]], modes=("script", "trace"))
    assert_program_matches("""
        def f(x):
            y = x + 0
            y += 1.5
            return y
    """, [[spec([1, 2], "int8")]], modes=("script", "trace"))


def test_loop_that_carries_one_value_in_two_variables():
    assert_program_matches("""
        def f(x, y):
            w = y
            v = w
            for i in range(3):
                v = np.sign(w + x)
                w = v
            return v
    """, [[spec([0.0, 0.0], "float16"), spec([1.0], "float64")]], modes=("script",))


def test_dynamic_strategy_keeps_the_error_of_an_operation_only_like_uses():
    assert_program_matches("""
        def f(x):
            v = np.broadcast_to(x, (2, 5))
            return np.ones((3,), like=v), np.arange(3, like=x.reshape(1))
    """, [[spec([1.0], "float64")], [spec([1.0, 2.0], "float64")]], modes=("script", "dynamic"))


def test_trace_math_trunc_of_a_traced_number():
    assert_program_matches("""
        def f(x):
            return x * math.trunc(x.shape[0]), x + math.trunc(np.random.rand())
    """, [[spec([1.0, 2.0], "float64")], [spec([1.0, 2.0, 3.0], "float64")]], modes=("trace",))


def test_layer_norm_with_a_weight_of_higher_rank():
    assert_program_matches("""
        def f(x, w):
            return F.layer_norm(x, 5, w).shape, F.layer_norm(x, 5, w) * 2 + 1
    """, [[spec([[1.0, 2.0, 3.0, 4.0, 6.0]], "float64"), spec([[[2.0]]], "float64")]] * 2, modes=("script", "trace"))


def test_fused_float32_tanh_near_saturation():
    assert_program_matches("""
        def f(x):
            return np.log1p(np.tanh(x)), np.tanh(-x) ** 57.3
    """, [[spec([-8.0, -7.0, 2.0], "float32")]], modes=("script",))


def test_array_only_methods_of_a_numpy_scalar_raise():
    """A NumPy scalar (np.all(...), a reduction's result) has no .dot, .argpartition or .mT: AttributeError,
    as in NumPy (found by campaign seed 70061)."""
    assert_program_matches("""
        def f(x):
            return np.all(x > 0).dot(x)
    """, [[spec([1, 2], "uint64")]], modes=("script",))
    assert_program_matches("""
        def f(x):
            return x.sum().argpartition(0), x.max().mT
    """, [[spec([1, 2], "uint64")]], modes=("script",))


def test_a_reduced_value_with_an_outside_array_keeps_its_shape_in_dynamic():
    """gcd(prod(x, keepdims=True), x.max()): a DYNAMIC reduction group once stored it with the
    rows' shape (2,) instead of (1,) (bounded fuzz, seed 23054)."""
    source = """
        def f(x0):
            v1 = np.gcd(np.prod(x0, dtype=None, keepdims=True), x0.max())
            return v1
    """
    calls = [
        [spec([0, 0], 'int16')],
    ]
    assert_program_matches(source, calls, modes=('dynamic',))


def test_a_reduction_of_an_empty_array_beside_an_unrelated_one():
    """mean(setxor1d(x, x)) + degrees(x): the DYNAMIC reduction group read the empty (0,) and
    x's (2,) in one row domain and raised a broadcast error NumPy does not (seed 23005)."""
    source = """
        def f(x0):
            v2 = np.setxor1d(x0, x0)
            v6 = np.add(np.mean(v2, keepdims=False), np.degrees(x0))
            v3 = np.logical_xor(v6, x0)
            return v2, v3
    """
    calls = [
        [spec([0], 'uint32')],
        [spec([0, 0], 'uint32')],
        [spec([], 'uint32')],
        [spec([0, 0], 'uint32')],
        [spec([1, 2, 3, 4, 5, 6], 'uint32')],
    ]
    assert_program_matches(source, calls, modes=('script', 'dynamic'))


def test_trace_bakes_the_values_an_array_had_when_converted():
    """x1 **= np.asanyarray(x1): the trace baked x1 as a constant that the in-place power then
    changed, so the traced function raised x1 to the written values (uint64, seed 23219)."""
    source = """
        def f(x0, x1):
            x1 **= np.asanyarray(x1)
            return x0
    """
    calls = [
        [spec(False, 'bool'), spec([[[0, 2, 3]]], 'uint64')],
    ]
    assert_program_matches(source, calls, modes=('trace',))


def test_trace_augmented_assignment_of_a_numpy_scalar_makes_a_new_value():
    """v3 = x.prod(); v4 = v3; v3 *= 1.0: a NumPy scalar is immutable, so v4 keeps the uint64
    product; the trace recorded an in-place multiply that v4 saw (float64; campaign seed 61570)."""
    source = """
        def f(x0):
            v3 = np.copy(x0).prod()
            v4 = v3
            v3 *= 1.0
            return v4, v3
    """
    calls = [
        [spec(3, 'uint8')],
        [spec([2, 5], 'uint8')],
    ]
    assert_program_matches(source, calls, modes=('trace',))


def test_a_small_static_max_of_computed_values_compiles_quickly():
    """max over a (2, 4, 5) row of computed values: with literal loop bounds LLVM unrolled the
    chain of NaN-aware selects whole and took minutes to compile (campaign seed 70968)."""
    source = """
        def f(x1, s: float):
            return np.multiply(np.exp2(x1), s).max(keepdims=True), np.argmin(x1 * s)
    """
    rows = np.linspace(-3.0, 3.0, 40).reshape(2, 4, 5).tolist()
    calls = [
        [spec(rows, 'float32'), 2.0],
        [spec(rows[::-1], 'float32'), -1.5],
    ]
    assert_program_matches(source, calls, modes=('script',))


def test_a_float32_product_overflows_as_numpy_s_does():
    """prod of float32 values: NumPy multiplies in float32, so -2.36 * 3.4e38 is -inf and -inf * 0
    is NaN; the kernel multiplied in float64 and gave -0.0 (campaign seed 70211)."""
    source = """
        def f(x0):
            return np.copysign(x0.prod(None, dtype=None, keepdims=False), x0), x0.prod(axis=1)
    """
    calls = [
        [spec([[-2.363912343978882, 3.4028234663852886e+38, 0.0]], 'float32')],
        [spec([[1e-30, 1e-30, 1e30], [2.0, 3.0, 4.0]], 'float32')],
    ]
    assert_program_matches(source, calls, modes=('script', 'dynamic'))


def test_a_fused_logsumexp_over_every_axis_is_a_0d_array():
    """F.logsumexp(x, -1) of a 1-d x is a 0-d array, as torch's (NumPy's reductions give a scalar):
    the fused kernel returned a NumPy scalar (campaign seed 70806)."""
    source = """
        def f(x0):
            return F.logsumexp(x0, -1, False), x0.sum(), F.logsumexp(x0 * 2.0, 0, True)
    """
    calls = [
        [spec([0, 3, 1], 'uint32')],
        [spec([1.5, -2.0, 0.25, 7.0], 'float32')],
    ]
    assert_program_matches(source, calls, modes=('script', 'dynamic'))


def test_tril_of_a_1d_array_is_2d_in_dynamic():
    """np.tril/np.triu of a 1-d (n,) array is (n, n): the DYNAMIC type said rank 1, and the fused
    cos of it failed in Numba's typing (campaign seed 90030)."""
    source = """
        def f(x2):
            return np.cos(np.negative(np.tril(x2, 1.0))), np.exp(np.triu(x2) * 2.0)
    """
    calls = [
        [spec([0.0], 'float64')],
        [spec([0.5, -1.0, 2.0], 'float64')],
    ]
    assert_program_matches(source, calls, modes=('script', 'dynamic'))


def test_trace_asarray_of_an_input_is_the_input_and_writes_reach_it():
    """np.asarray(x) of a traced array is x itself: the trace baked it (NumPy converts without
    asking the array), and the write through it then missed the caller's array (campaign seeds
    100105, 100343; 70394, 70962 warned)."""
    source = """
        def f(x0, x1, n: int):
            v1 = np.asarray_chkfinite(x1, None)
            v1 **= n
            v4 = np.asarray(x0)
            v4 *= np.asanyarray(x0)
            return v4, np.array(x1) + 1
    """
    calls = [
        [spec([[[-5]]], 'int8'), spec([0, 2, -2], 'int64'), 0],
        [spec([[[3, -2]], [[1, 1]]], 'int8'), spec([1, 3], 'int64'), 3],
    ]
    assert_program_matches(source, calls, modes=('trace', 'script'))


def test_maximum_of_equal_values_is_the_second_as_numpy_s():
    """np.maximum(-0.0, 0) is 0.0 in NumPy (of equal values it gives the second): the fused
    maximum kept the first, so F.relu(-0.0) had its sign bit (campaign seed 110289)."""
    source = """
        def f(x0, x1):
            return (np.signbit(F.relu(x0)), np.signbit(np.maximum(x0, x1)), np.signbit(np.minimum(x1, x0)),
                    np.maximum(x0, x1) * 1.0, np.minimum(x0, x1) + 0.0)
    """
    calls = [
        [spec([[-0.0, 0.0, 1.0]], 'float64'), spec([[0.0, -0.0, 1.0]], 'float64')],
        [spec([-0.0, 0.0, -0.0, 2.0], 'float32'), spec([0.0, -0.0, -0.0, 2.0], 'float32')],
    ]
    assert_program_matches(source, calls, modes=('script', 'dynamic', 'trace'))


def test_transpose_with_one_int_axis_twice():
    """x.transpose(0) of a 1-d array twice: the peephole pass that cancels transposes read the
    int as a sequence and raised TypeError (campaign seed 110198)."""
    source = """
        def f(x0):
            return np.transpose(x0, 0).transpose(0) + 1
    """
    calls = [[spec([0, 3], 'int16')]]
    assert_program_matches(source, calls, modes=('script', 'dynamic', 'trace'))


def test_a_list_of_a_numpy_scalar_and_an_array_is_array_data():
    """np.stack([x2, x0]) with x2 a NumPy scalar: the trace refused the list of a number and an
    array, which NumPy makes an array of (campaign seed 100760); a float32 scalar keeps its dtype."""
    source = """
        def f(x0, x2):
            return x0 % np.stack([x2, x0], -1), np.array([x0.sum(), 1.0, x2])
    """
    calls = [
        [spec(2.5, 'float32'), npscalar(0.7, 'float32')],
        [spec(-3.0, 'float64'), npscalar(1.5, 'float64')],
    ]
    assert_program_matches(source, calls, modes=('script', 'dynamic', 'trace'))


def test_a_trace_raises_what_numpy_raises_where_the_registry_refuses():
    """``bool_array -= True`` is NumPy's TypeError; the trace raised its own TracingError
    (campaign seed 120620). Where the registry refuses and Python raises, the trace raises that."""
    source = """
        def f(x1):
            v4 = np.not_equal(x1, 1.0)
            v4 -= True
            return v4
    """
    calls = [[spec(0, 'int64')], [spec([1, 2], 'int64')]]
    assert_program_matches(source, calls, modes=('trace',))


def test_a_trace_keeps_its_own_refusal_where_python_succeeds():
    import pytest  # noqa: PLC0415

    def reads_a_list_of_lists(x):
        return np.array([x, [x[0]]], dtype=object)  # ragged: NumPy makes an object array

    x = np.arange(2.0)
    with pytest.raises(jit.TracingError):
        jit.trace(reads_a_list_of_lists, (x,))
    assert reads_a_list_of_lists(x).dtype == object  # Python ran it; the refusal is the tracer's own


def test_a_draw_of_0d_parameters_is_a_python_number():
    """np.random.standard_gamma(np.float64(0.0)) is a Python float, as every draw of 0-d parameters
    without size=: typed a 0-d array, the fused kernel that read it raised TypeError once the
    function was specialized (campaign seed 130297). Typed Tensor while the parameter's rank is
    unknown, it becomes the number when the specialization knows it, and promotes as one."""
    assert_program_matches("""
        def g(a, b):
            return b + np.random.standard_gamma(a)

        def f(x0, x1):
            return np.ceil(g(x1, x0))
    """, [[spec([[0]], 'int16'), npscalar(0.0, 'float64')]] * 3, modes=("script",))
    assert_program_matches("""
        def f(x):
            return x + np.random.normal(x.mean(), x.std()) + np.random.poisson(x.max())
    """, [[spec([[1.0, 2.0], [3.0, 4.5]], 'float32')]] * 3)  # float32 stays: the draws are weak Python numbers


def test_nans_of_invalid_operations_have_numpys_sign():
    """np.copysign(x, np.arccos(x)) for x = 2: NumPy's NaN of an invalid operation is the machine's
    (x86: the sign bit set), the kernels' libm arccos gave a positive one (campaign seed 131315)."""
    assert_program_matches("""
        def f(x0):
            return np.copysign(x0, np.arccos(x0))
    """, [[spec([[2]], 'uint32')]] * 2, modes=("script",))
    for function, value in (("arccos", 2.0), ("arcsin", -3.0), ("log", -1.0), ("log1p", -2.0), ("log10", -1.0),
                            ("log2", -1.0), ("sqrt", -1.0)):
        for dtype in ("float32", "float64"):
            assert_program_matches(f"""
                def f(x):
                    return np.signbit(np.{function}(x) * 2.0), np.copysign(1.0, np.{function}(x + 1.0) - x)
            """, [[spec([value, value - 1.0, 0.5], dtype)]] * 2, modes=("script",))
    assert_program_matches("""
        def f(x, y):
            return np.copysign(1.0, np.power(x, y))
    """, [[spec([-2.0, -0.5, 4.0], "float64"), spec([0.5, 1.5, 0.5], "float64")]] * 2, modes=("script",))


def test_a_static_reduction_output_of_row_values_keeps_its_shape():
    """np.absolute(x.any(keepdims=True)).imag reads only the row value: NumPy's (1,), but the STATIC
    reduction kernel wrote it over x's shape, (2,) (seed 23157 of the bounded run, once the registry's
    new ops had shifted its programs)."""
    assert_program_matches("""
        def f(x2):
            v1 = np.signbit(x2).any(None, keepdims=True)
            v1 = np.absolute(v1).imag
            return v1
    """, [[spec([0, 0], 'int64')]] * 2, modes=('trace', 'script'))


def test_bounded_seed_23036_a_store_into_another_output_of_its_group():
    """Bounded-run seed 23036: v1 and v2 = -v1 are one group's outputs and v1[:] = v2 stores into
    v1 itself; the fused store launched with v1 before the group had made it (UnboundLocalError)."""
    source = """
        def f(x0):
            v1 = np.bitwise_or(x0, x0)
            v2 = -v1
            v3 = x0
            v1[:] = v2
            v5 = v3
            return v5, v1
    """
    assert_program_matches(source, [[spec([0, 3, -7], 'int8')], [spec([[1, 2], [3, 4]], 'int32')]], modes=("script",))


def test_seed_136132_a_loaded_function_returns_its_python_number_parameter():
    """Campaign seed 136132: after jit.save/jit.load, f(x, 1.0) compiled f's variant from the saved
    code, whose printed `-> Tensor` (the Tensor-typed function's inferred return) refused `return c`."""
    source = """
        def f(x0, c):
            v3 = x0
            c6 = c
            v7 = v3
            v9 = v7
            return c6
    """
    assert_program_matches(source, [[spec([0.0], 'float32'), 1.0], [spec([1.0, 2.0], 'float64'), 3]], modes=("loaded",))


def test_seed_138408_a_ufunc_of_a_draw_that_became_a_python_number():
    """Campaign seed 138408: np.random.noncentral_chisquare of a 0-d float16 is a Python float once
    its ranks are known (np.random's rule), and np.log2 of it then had no array argument: the
    verifier refused the specialization. A ufunc of Python numbers is NumPy's scalar, a 0-d array."""
    source = """
        def g(a, b):
            return np.random.noncentral_chisquare(a, 0.0)

        def f(x0, x1):
            v6 = np.log2(g(x1, x0))
            return x0, v6, np.exp(g(x1, x0)) + x0
    """
    assert_program_matches(source, [[spec([[[0]]], 'uint8'), spec(1.0, 'float16')],
                                    [spec([3, 4], 'int32'), spec(2.5, 'float32')]])
