"""nn.Module's surface in eager code: registration, iteration, state, conversion,
modes and repr, checked against what the module holds."""
from __future__ import annotations

import numpy as np
import pytest

import device
import jit
from jit import nn


class Cell(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 2)
        self.scale = nn.Parameter(np.ones(2, np.float32))
        self.register_buffer("count", np.zeros((), np.int64))
        self.register_buffer("scratch", np.zeros(2, np.float32), persistent=False)
        self.label = "cell"

    def forward(self, x):
        return self.linear(x) * self.scale


class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = Cell()
        self.second = Cell()
        self.shared = self.first  # the same module twice: iterated once

    def forward(self, x):
        return self.second(x) + self.shared(x)


def test_parameters_register_and_read_as_plain_arrays():
    cell = Cell()
    assert type(cell.scale) is np.ndarray and cell.scale.dtype == np.float32
    assert [name for name, _ in cell.named_parameters()] == ["scale", "linear.weight", "linear.bias"]
    assert [p.shape for p in cell.parameters()] == [(2,), (2, 3), (2,)]
    assert [name for name, _ in cell.named_buffers()] == ["count", "scratch"]
    assert cell.label == "cell" and "label" not in dict(cell.named_parameters())
    cell.scale = np.full(2, 3.0, np.float32)  # an array assigned to a parameter's name stays a parameter
    assert cell._parameters["scale"][0] == 3.0
    with pytest.raises(TypeError, match="cannot assign a str to the parameter 'scale'"):
        cell.scale = "x"
    with pytest.raises(TypeError, match="nn.Parameter takes a NumPy or CuPy array"):
        nn.Parameter([1.0])
    del cell.scale
    assert "scale" not in dict(cell.named_parameters())
    with pytest.raises(AttributeError, match="'Cell' object has no attribute 'missing'"):
        getattr(cell, "missing")  # noqa: B009 - the lookup is the test


def test_module_iteration_visits_shared_modules_once():
    outer = Outer()
    assert [name for name, _ in outer.named_children()] == ["first", "second"]
    assert [name for name, _ in outer.named_modules()] == ["", "first", "first.linear", "second", "second.linear"]
    assert len(list(outer.modules())) == 5 and len(list(outer.children())) == 2
    assert len(list(outer.parameters())) == 6  # the shared cell's parameters count once


def test_state_dict_and_load_state_dict():
    source, target = Outer(), Outer()
    state = source.state_dict()
    assert list(state) == ["first.scale", "first.count", "first.linear.weight", "first.linear.bias",
                           "second.scale", "second.count", "second.linear.weight", "second.linear.bias",
                           "shared.scale", "shared.count", "shared.linear.weight", "shared.linear.bias"]
    assert "first.scratch" not in state  # not persistent
    weight = target.first.linear.weight
    result = target.load_state_dict(state)
    assert repr(result) == "<All keys matched successfully>"
    assert target.first.linear.weight is weight  # copied in place
    np.testing.assert_array_equal(weight, source.first.linear.weight)
    x = np.random.rand(4, 3).astype(np.float32)
    np.testing.assert_array_equal(target(x), source(x))

    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "first.scale"'):
        target.load_state_dict({k: v for k, v in state.items() if k != "first.scale"})
    wrong = dict(state, **{"first.linear.weight": np.zeros((5, 3), np.float32), "extra": np.zeros(1)})
    with pytest.raises(RuntimeError) as caught:
        target.load_state_dict(wrong)
    message = str(caught.value)
    assert "Unexpected key(s) in state_dict: \"extra\"" in message
    assert "size mismatch for first.linear.weight: copying a param with shape (5, 3) from checkpoint, the shape " \
           "in current model is (2, 3)." in message
    missing, unexpected = target.load_state_dict({"first.scale": np.ones(2), "other": np.ones(1)}, strict=False)
    assert "first.count" in missing and unexpected == ["other"]
    assert target.first.scale.dtype == np.float32  # the parameter keeps its dtype


def test_dtype_conversion_and_devices():
    cell = Cell()
    assert cell.double() is cell
    assert cell.linear.weight.dtype == np.float64 and cell.count.dtype == np.int64  # only floats convert
    cell.half()
    assert cell.scale.dtype == np.float16
    cell.float()
    assert cell.scale.dtype == np.float32
    cell.to(np.float64)
    assert cell.linear.bias.dtype == np.float64
    assert cell.to("cpu") is cell and cell.cpu() is cell
    with pytest.raises(TypeError, match="to\\(\\) takes a device"):
        cell.to(object())
    if not device.cuda_is_available():
        with pytest.raises(RuntimeError, match="cuda"):
            cell.cuda()


def test_train_eval_and_apply():
    outer = Outer()
    assert all(m.training for m in outer.modules())
    assert outer.eval() is outer
    assert not any(m.training for m in outer.modules())
    outer.train()
    assert all(m.training for m in outer.modules())
    visited = []
    outer.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "Cell", "Linear", "Cell", "Outer"]
    with pytest.raises(TypeError, match="train\\(\\) takes a bool"):
        outer.train("yes")


def test_repr_lists_submodules_like_torch():
    assert repr(Outer()) == (
        "Outer(\n"
        "  (first): Cell(\n"
        "    (linear): Linear(in_features=3, out_features=2, bias=True)\n"
        "  )\n"
        "  (second): Cell(\n"
        "    (linear): Linear(in_features=3, out_features=2, bias=True)\n"
        "  )\n"
        "  (shared): Cell(\n"
        "    (linear): Linear(in_features=3, out_features=2, bias=True)\n"
        "  )\n"
        ")")


def test_forward_is_required_and_init_must_run_first():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        NoForward()(np.ones(2))

    class Early(nn.Module):
        def __init__(self):
            self.linear = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="did not call super"):
        Early()
    with pytest.raises(KeyError, match="empty or contain"):
        nn.Module().register_buffer("a.b", np.zeros(1))


def test_attribute_declares_a_type_and_holds_the_value():
    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.names = jit.Attribute([], "List[str]")

    holder = Holder()
    assert holder.names == [] and holder._attribute_types["names"] == jit.types.ListType(jit.types.STR)
    with pytest.raises(TypeError, match="is not a List\\[int\\]"):
        jit.Attribute(["a"], "List[int]")
