"""The tracing examples of the seeds, in NumPy: Automatic Trace Checking
(loop_in_traced_fn), Tracer Warnings (fill_row_zero), the trace_module example
and the FAQ's bound-method case, and the tutorial's traced cell, gate and loop."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import jit
from jit import TracerWarning, TracingCheckError, nn

from ...helpers import assert_same, node_kinds
from ..models.tutorial_models import MyCell, MyDecisionGate, MyRNNLoop, WrapRNN


def loop_in_traced_fn(x):
    result = x[0]
    for i in range(x.shape[0]):
        result = result * x[i]
    return result


def test_loop_in_traced_fn_fails_its_check_inputs_with_a_graph_diff():
    inputs = (np.random.rand(3, 4, 5),)
    check_inputs = [(np.random.rand(4, 5, 6),), (np.random.rand(2, 3, 4),)]
    with pytest.warns(TracerWarning, match="a Python for loop"):
        with pytest.raises(TracingCheckError) as error:
            jit.trace(loop_in_traced_fn, inputs, check_inputs=check_inputs)
    message = str(error.value)
    assert "Graphs differed across invocations!" in message
    assert "--- first trace" in message and "+++ check trace" in message and "@@" in message
    assert "First diverging operator" in message and "np::getitem" in message
    assert "jit.script" in message


def test_loop_in_traced_fn_scripted_matches_on_every_input():
    scripted = jit.script(loop_in_traced_fn)
    assert "prim::Loop" in node_kinds(scripted)
    for x in (np.random.rand(3, 4, 5), np.random.rand(4, 5, 6), np.random.rand(2, 3, 4)):
        np.testing.assert_allclose(scripted(x), loop_in_traced_fn(x))


def fill_row_zero(x):
    x[0] = np.random.rand(*x.shape[1:2])
    return x


def fill_row_zero_fixed(x):
    x = np.concatenate((np.random.rand(1, *x.shape[1:2]), x[1:2]), axis=0)
    return x


def test_fill_row_zero_records_the_write():
    # The seeds warn that this write is not recorded (TorchScript's tracer); here it is (issue 18).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        traced = jit.trace(fill_row_zero, (np.random.rand(3, 4),), check_trace=False)
    assert not any("in-place" in str(w.message) for w in caught)
    assert "np::setitem" in node_kinds(traced)
    np.random.seed(0)
    expected = fill_row_zero(np.ones((3, 4)))
    np.random.seed(0)
    x = np.ones((3, 4))
    result = traced(x)
    assert result is x
    assert_same(result, expected)


def test_fill_row_zero_with_concatenate_does_not_warn_about_writes_or_outputs():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        traced = jit.trace(fill_row_zero_fixed, (np.random.rand(3, 4),))
    messages = [str(w.message) for w in caught]
    assert not any("in-place" in m or "does not match" in m for m in messages), messages
    np.random.seed(0)
    expected = fill_row_zero_fixed(np.ones((3, 4)))
    np.random.seed(0)
    assert_same(traced(np.ones((3, 4))), expected)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 3)

    def forward(self, x):
        return self.linear(x)

    def weighted_kernel_sum(self, weight):
        return weight * self.linear.weight


def test_trace_module_with_forward_and_weighted_kernel_sum():
    n = Net()
    example_weight, example_forward_input = np.random.rand(3, 3), np.random.rand(2, 3).astype(np.float32)
    module = jit.trace_module(n, {"forward": example_forward_input, "weighted_kernel_sum": example_weight})
    assert isinstance(module, jit.ScriptModule) and module.original_name == "Net"
    x, w = np.random.rand(5, 3).astype(np.float32), np.random.rand(3, 3)
    assert_same(module(x), n(x))
    assert_same(module.weighted_kernel_sum(w), n.weighted_kernel_sum(w))
    kinds = [node.kind for node in module.weighted_kernel_sum.graph.all_nodes()]
    assert kinds.count("prim::GetAttr") == 2 and "prim::Constant" not in kinds  # a parameter, not a constant
    n.linear.weight[...] = 0.5  # shared arrays: the traced module sees the change
    assert_same(module.weighted_kernel_sum(w), w * np.float32(0.5))
    assert module.linear.weight is n.linear.weight


def test_trace_of_a_module_traces_forward():
    n = Net()
    module = jit.trace(n, np.random.rand(1, 3).astype(np.float32))
    assert "linear" in dict(module.named_children())
    x = np.random.rand(4, 3).astype(np.float32)
    assert_same(module(x), n(x))
    assert "prim::CallMethod" in node_kinds(module.forward.function)


def test_tracing_a_bound_method_bakes_parameters_and_says_so():
    n = Net()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        traced = jit.trace(n.forward, np.random.rand(1, 3).astype(np.float32))
    baked = sorted(str(w.message).split("'")[1] for w in caught if "is baked into the trace" in str(w.message))
    assert baked == ["Net.linear.bias", "Net.linear.weight"]
    assert all("jit.trace_module" in str(w.message) for w in caught)
    assert isinstance(traced, jit.ScriptFunction)
    constants = [node for node in traced.graph.all_nodes() if node.kind == "prim::Constant"
                 and node["value"] is n.linear.weight]
    assert constants


def test_tutorial_cell_traced_matches_eager_and_records_submodule_calls():
    cell = MyCell(MyDecisionGate())
    x, h = np.random.rand(3, 4).astype(np.float32), np.random.rand(3, 4).astype(np.float32)
    with pytest.warns(TracerWarning, match="converting to a Python bool"):  # the gate's if, as the tutorial warns
        traced = jit.trace(cell, (x, h))
    assert_same(traced(x, h), cell(x, h))
    assert "RecursiveScriptModule(\n  original_name=MyCell\n  (dg): RecursiveScriptModule(original_name=MyDecisionGate)"\
        in repr(traced)
    assert "self.linear" in traced.code and ".forward(" in traced.code
    assert "if " not in traced.dg.code  # the trace kept one branch
    assert "F.linear(input" in traced.linear.code


def test_tutorial_scripted_gate_inside_a_traced_cell_keeps_its_if():
    gate = jit.script(MyDecisionGate())
    cell = MyCell(gate)
    x, h = np.random.rand(3, 4).astype(np.float32), np.random.rand(3, 4).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TracerWarning)
        traced = jit.trace(cell, (x, h))
    assert traced.dg is gate and "prim::If" in [n.kind for n in traced.dg.forward.graph.all_nodes()]
    for sign in (1, -1):  # both branches of the scripted gate run in the traced cell
        xs = sign * np.abs(np.random.rand(3, 4)).astype(np.float32) + sign
        assert_same(traced(xs, h), cell(xs, h))


def test_tutorial_script_loop_over_a_traced_cell_then_traced_wrapper():
    loop = MyRNNLoop()
    scripted = jit.script(loop)
    xs = np.random.rand(6, 3, 4).astype(np.float32)
    assert_same(scripted(xs), loop(xs))
    assert isinstance(loop.cell, jit.ScriptModule) and "prim::CallMethod" in node_kinds(loop.cell.forward.function)
    assert "prim::Loop" in [n.kind for n in scripted.forward.graph.all_nodes()]
    wrapper = WrapRNN()
    traced = jit.trace(wrapper, xs)
    assert_same(traced(xs), wrapper(xs))
    longer = np.random.rand(9, 3, 4).astype(np.float32)
    assert_same(traced(longer), wrapper(longer))  # the scripted loop's trip count follows the input
    assert "self.loop" in traced.code and "np.maximum" in traced.code
