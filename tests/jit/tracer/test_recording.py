"""What jit.trace records: NumPy's protocols, operators, methods, indexing,
factories, jit.nn.functional, nested inputs and outputs, and shapes that
generalize. The oracle is the same function run eagerly."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import jit
import jit.nn.functional as F
from jit import TracerWarning, TracingError
from jit.ir import verify

from ...helpers import assert_same, node_kinds

RNG = np.random.default_rng(7)


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def traced_matches(function, example, *others):
    """Trace on ``example`` (a tuple of arguments); the trace equals eager on it and on ``others``."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", TracerWarning)  # these functions trace cleanly
        traced = jit.trace(function, example)
    verify(traced.graph)
    for arguments in (example, *others):
        assert_same(traced(*arguments), function(*arguments))
    return traced


def test_ufuncs_operators_and_reflected_operators():
    def f(x, y):
        return np.tanh(x) * 2.0 + (1 - y) / (x * x + 1) - abs(-y) ** 2 + (np.maximum(x, y) @ y.T).sum()

    traced = traced_matches(f, (rand(3, 4), rand(3, 4)), (rand(5, 4), rand(5, 4)))
    assert {"np::tanh", "np::subtract", "np::matmul", "np::maximum", "np::absolute"} <= set(node_kinds(traced))


def test_array_functions_where_concatenate_stack_and_reductions():
    def f(x, y):
        joined = np.concatenate([x, y], axis=0)
        picked = np.where(joined > 0, joined, 0.5 * joined)
        return np.stack((picked.sum(axis=0), picked.mean(axis=0))), picked.max()

    traced = traced_matches(f, (rand(2, 3), rand(4, 3)), (rand(5, 3), rand(1, 3)))
    assert "np::where" in node_kinds(traced) and "np::concatenate" in node_kinds(traced)


def test_methods_properties_indexing_and_astype():
    def f(x):
        y = x.T.astype(np.float64)
        return y[1:, 0] * x[-1, ::2].sum() + y.reshape(-1)[:2].max(), x[None, ..., 0].squeeze(0)

    traced = traced_matches(f, (rand(4, 6),))
    assert {"np::transpose", "np::astype", "np::getitem", "np::squeeze"} <= set(node_kinds(traced))


def test_integer_and_boolean_arrays():
    def f(a, b):
        return (a // 3) % 5 + (a << 1) ^ b, ~(a > b) | (a == 2)

    traced = traced_matches(f, (np.arange(12).reshape(3, 4), np.arange(4)),
                            (np.arange(20).reshape(5, 4), np.arange(4) * 3))
    assert {"np::floor_divide", "np::left_shift", "np::bitwise_xor", "np::invert"} <= set(node_kinds(traced))


def test_nn_functional_ops_are_recorded_as_themselves():
    def f(x, w, b):
        return F.softmax(F.gelu(F.linear(x, w, b), approximate="tanh"), -1), F.silu(x).sum() + F.relu(x).mean()

    traced = traced_matches(f, (rand(2, 4), rand(3, 4), rand(3)), (rand(7, 4), rand(3, 4), rand(3)))
    assert {"nn::linear", "nn::gelu", "nn::softmax", "nn::silu", "nn::relu"} <= set(node_kinds(traced))


def test_graph_inputs_get_the_example_types_and_parameters_stay_tensors():
    traced = jit.trace(lambda x, n: x * n, (rand(3, 4), np.arange(4)))
    x_type, n_type = (value.type for value in traced.graph.inputs)
    assert str(x_type) == "Float(3, 4, device=cpu)" and str(n_type) == "Long(4, device=cpu)"
    assert "Float(3, 4, device=cpu)" in str(traced.graph)
    assert traced.schema == "traced_function(x: Tensor, n: Tensor) -> Tensor"


def test_shape_reads_generalize_across_batch_sizes():
    def flatten(x):
        return x.reshape(x.shape[0], -1) * x.shape[1]

    traced = traced_matches(flatten, (rand(2, 3, 4),), (rand(7, 3, 4),), (rand(1, 5, 2),))
    assert "np::shape" in node_kinds(traced)


def test_whole_shapes_and_sizes_flow_into_factories():
    def f(x):
        return np.zeros(x.shape, dtype=x.dtype) + np.ones(x.shape[1]) + np.full((x.shape[0], 1), 2.0) + x.size

    traced = traced_matches(f, (rand(2, 3),), (rand(4, 5),))
    assert {"np::zeros", "np::ones", "np::full", "np::size"} <= set(node_kinds(traced))


def test_factories_with_like_follow_the_input():
    def f(x):
        return np.zeros_like(x) + np.ones((2, 1), like=x) + np.arange(3, like=x)

    traced = traced_matches(f, (rand(2, 3),))
    like = [n for n in traced.graph.all_nodes() if n.kind in ("np::ones", "np::arange")]
    assert all(node.inputs[-1].type.__class__.__name__ == "TensorType" for node in like)


def test_nested_input_and_output_structures():
    def f(pair, items, named):
        a, b = pair
        return {"sum": a + b + items[0], "product": items[1] * named["w"]}, (a, [a - b])

    example = ((rand(2, 2), rand(2, 2)), [rand(2, 2), rand(2, 2)], {"w": rand(2, 2)})
    other = ((rand(3, 2), rand(3, 2)), [rand(3, 2), rand(3, 2)], {"w": rand(3, 2)})
    traced = traced_matches(f, example, other)
    assert traced.schema == ("f(pair: Tuple[Tensor, Tensor], items: List[Tensor], named: Dict[str, Tensor]) -> "
                             "Tuple[Dict[str, Tensor], Tuple[Tensor, List[Tensor]]]")


def test_a_single_array_is_one_argument():
    traced = jit.trace(np.negative, rand(3))
    x = rand(6)
    assert_same(traced(x), -x)


def test_number_outputs_and_python_scalars():
    def f(x):
        return x.shape[0] * 2, x * 0.5 + 1, 3

    traced = traced_matches(f, (rand(4, 2),), (rand(9, 2),))
    assert traced(rand(9, 2))[0] == 18


def test_in_place_arithmetic_is_recorded_in_place():
    def f(x):
        y = x * 2
        y += 1
        y *= x
        return y

    traced = traced_matches(f, (rand(3, 3),), (rand(2, 5),))
    assert node_kinds(traced).count("np::multiply") == 1 and {"np::iadd", "np::imul"} <= set(node_kinds(traced))


def test_closure_arrays_become_constants_that_print_and_round_trip():
    table = rand(4)

    def f(x):
        return x * table + np.float32(2.0)

    traced = traced_matches(f, (rand(3, 4),))
    assert "CONSTANTS.c0" in traced.code
    constants = [n for n in traced.graph.all_nodes() if n.kind == "prim::Constant" and n["value"] is table]
    assert constants, "the captured array is a graph constant"


def test_dead_reads_are_removed():
    def f(x):
        unused = x.shape  # noqa: F841 - read but unused: no node survives
        return x + 1

    traced = traced_matches(f, (rand(2, 2),))
    assert node_kinds(traced) == ["prim::Constant", "np::add"]


def test_random_draws_are_recorded():
    def noisy(x):
        return x + np.random.rand(*x.shape)

    with pytest.warns(TracerWarning, match="nondeterministic"):
        traced = jit.trace(noisy, (np.zeros((2, 3)),))
    assert "np::random.random" in node_kinds(traced)
    np.random.seed(3)
    expected = noisy(np.zeros((4, 3)))
    np.random.seed(3)
    assert_same(traced(np.zeros((4, 3))), expected)


def test_a_range_is_array_data_or_indices_as_numpy_reads_it():
    """min-char-rnn's np.random.choice(range(vocab_size), p=p.ravel()): the range is the array
    NumPy makes of it, its bounds traced sizes where they are; x.take(range(...)) takes it as
    indices, int64 even when empty."""
    def pick(p, x):
        first = p.ravel()[:4] / p[:4].sum()
        return (np.random.choice(range(len(p)), p=p.ravel()), np.random.choice(range(4), 3, p=first),
                x.take(range(1, len(x))), x.take(range(0)))

    with pytest.warns(TracerWarning, match="nondeterministic"):
        traced = jit.trace(pick, (np.full((5, 1), 0.2), np.arange(5.0)))
    assert "np::random.choice" in node_kinds(traced)
    others = np.array([[0.1], [0.2], [0.3], [0.4]]), -np.arange(7.0)  # other lengths: the ranges follow them
    for seed, (p, x) in ((3, (np.full((5, 1), 0.2), np.arange(5.0))), (4, others)):
        np.random.seed(seed)
        expected = pick(p, x)
        np.random.seed(seed)  # the draws come from NumPy's global generator, as eager code's do
        assert_same(traced(p, x), expected)


def test_python_control_flow_on_arrays_is_a_clear_error():
    def branchy(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(TracingError, match="Python control flow on an array cannot be traced") as error:
        jit.trace(branchy, (rand(3),))
    assert "if x > 0" in str(error.value) and "jit.script" in str(error.value) and "<--- HERE" in str(error.value)


def test_unsupported_inputs_and_outputs_name_the_problem():
    with pytest.raises(TracingError, match="the argument 'n' is a str"):
        jit.trace(lambda x, n: x * len(n), (rand(2), "abc"))
    with pytest.raises(TracingError, match="the output of the traced function is a builtins.object"):
        jit.trace(lambda x: object(), (rand(2),))
    with pytest.raises(TracingError, match=r"the output\[1\] of the traced function is a builtins.set"):
        jit.trace(lambda x: (x, {1}), (rand(2),))


def test_operations_outside_the_registry_are_a_clear_error():
    with pytest.raises(TracingError, match="np.gradient is not in the operator registry"):
        jit.trace(lambda x: np.gradient(x), (rand(3),))
    with pytest.raises(TracingError, match="np.add.reduce cannot be traced"):
        jit.trace(lambda x: np.add.reduce(x), (rand(3),))


def test_a_proxy_kept_after_the_trace_says_so():
    kept = []

    def keep(x):
        kept.append(x)
        return x + 1

    jit.trace(keep, (rand(2),), check_trace=False)
    with pytest.raises(RuntimeError, match="used after its trace ended"):
        kept[0] + 1


def test_is_tracing_inside_and_outside():
    seen = []

    def f(x):
        seen.append(jit.is_tracing())
        return x

    jit.trace(f, (rand(2),), check_trace=False)
    assert seen == [True] and not jit.is_tracing()


def test_disabled_jit_returns_the_function(monkeypatch):
    monkeypatch.setenv("ARRAYSCRIPT_JIT", "0")
    function = np.negative
    assert jit.trace(function, (rand(2),)) is function
