"""Mixing tracing and scripting in both directions, traced modules (parameters,
buffers, submodules, training state), and the tracer's warnings."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import jit
import jit.nn.functional as F
from jit import TracerWarning, nn

from ...helpers import assert_same, define, node_kinds, run_with_fake_cupy


def rand(*shape):
    return np.random.rand(*shape).astype(np.float32)


def test_script_code_calls_a_traced_function():
    traced = jit.trace(lambda x: np.tanh(x) * 2, (rand(3),))
    caller = define("""
        def caller(x):
            total = x
            for i in range(3):
                total = total + traced(x)
            return total
    """, traced=traced)
    scripted = jit.script(caller)
    assert "prim::CallFunction" in node_kinds(scripted)
    x = rand(5)
    assert_same(scripted(x), caller(x))


def test_traced_code_calls_a_scripted_function_and_keeps_its_control_flow():
    clamp_loop = jit.script(define("""
        def clamp_loop(x, n: int):
            for i in range(n):
                if x.sum() > 0:
                    x = x - 1.0
            return x
    """))

    def traced_body(x):
        return clamp_loop(x * 2, 3) + 1

    traced = jit.trace(traced_body, (rand(4),))
    assert "prim::CallFunction" in node_kinds(traced)
    for x in (rand(4) + 5, -rand(6)):
        assert_same(traced(x), traced_body(x))


def test_script_if_tracing_scripts_only_while_tracing():
    @jit.script_if_tracing
    def positive_part(x):
        if x.sum() > 0:
            return x
        return np.zeros_like(x)

    x = rand(3)
    assert_same(positive_part(x), x)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TracerWarning)  # no baked if: the function is scripted
        traced = jit.trace(lambda v: positive_part(v) * 3, (x,))
    assert "prim::CallFunction" in node_kinds(traced)
    assert_same(traced(-x), np.zeros_like(x))
    scripted = jit.script(define("""
        def uses(x):
            return positive_part(x) + 1
    """, positive_part=positive_part))
    assert_same(scripted(-x), np.ones_like(x))


def test_is_tracing_compiles_to_false_in_script_code():
    scripted = jit.script(define("""
        def f(x):
            if jit.is_tracing():
                return x
            return x + 1
    """))
    assert_same(scripted(np.zeros(2)), np.ones(2))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(4)
        self.fc = nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 4))
        self.register_buffer("offset", np.full(4, 0.25, dtype=np.float32))
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(x + self.fc(self.norm(x))) + self.offset


def test_a_traced_module_reads_parameters_and_buffers_as_attributes():
    block = Block().eval()
    traced = jit.trace(block, rand(2, 4))
    x = rand(5, 4)
    assert_same(traced(x), block(x))  # float32 tolerances: a fused sum near 0 is an ulp of its terms off
    assert sorted(dict(traced.named_parameters())) == sorted(dict(block.named_parameters()))
    assert traced.offset is block.offset
    assert "self.offset" in traced.code
    assert [name for name, _ in traced.fc.named_children()] == ["0", "1", "2"]
    assert "F.gelu" in traced.fc[1].code
    assert not traced.training


def test_a_module_traced_in_training_mode_records_it_and_warns_on_eval():
    block = Block()  # training: dropout is on
    with pytest.warns(TracerWarning, match="nondeterministic"):
        traced = jit.trace(block, rand(2, 4))
    assert "nn::dropout" in [n.kind for n in traced.drop.forward.graph.all_nodes()]
    with pytest.warns(TracerWarning, match="was traced in training mode"):
        traced.eval()


def test_a_shared_submodule_is_traced_once_and_shared():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(3, 3)

        def forward(self, x):
            return self.layer(self.layer(x))

    module = Twice()
    traced = jit.trace(module, rand(2, 3))
    x = rand(4, 3)
    assert_same(traced(x), module(x))
    assert [n.kind for n in traced.forward.graph.all_nodes()].count("prim::CallMethod") == 2


def test_a_submodule_called_with_non_array_arguments_is_traced_inline():
    class Scale(nn.Module):
        def forward(self, x, factor):
            return x * factor

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = Scale()

        def forward(self, x):
            return self.scale(x, 3.0) + F.relu(x)

    module = Outer()
    traced = jit.trace(module, rand(2, 2))
    assert "prim::CallMethod" not in node_kinds(traced.forward.function)
    x = rand(3, 2)
    assert_same(traced(x), module(x))


def test_a_function_calling_a_global_module_bakes_its_parameters_with_a_warning():
    layer = nn.Linear(2, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        traced = jit.trace(lambda x: layer(x) * 2, (rand(1, 2),))
    assert sum("Linear.weight' is baked" in str(w.message) or "Linear.bias' is baked" in str(w.message)
               for w in caught) == 2
    x = rand(3, 2)
    assert_same(traced(x), layer(x) * 2)


def test_conversions_to_python_values_warn_at_the_users_line():
    def f(x):
        n = int(x.shape[0])
        return x * n + float(x.sum()) + x.max().item()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        jit.trace(f, (rand(2),), check_trace=False)
    found = [w for w in caught if issubclass(w.category, TracerWarning)]
    assert {w.lineno for w in found} == {f.__code__.co_firstlineno + 1, f.__code__.co_firstlineno + 2}
    assert all(w.filename == __file__ for w in found)
    assert all(any(what in str(w.message) for w in found) for what in ("int()", "float()", "x.item()"))


def test_len_and_iteration_bake_the_length():
    def f(x):
        return sum(row for row in x) + len(x)

    with pytest.warns(TracerWarning, match="len()"):
        traced = jit.trace(f, (rand(3, 2),), check_trace=False)
    assert_same(traced(np.ones((3, 2), np.float32)), f(np.ones((3, 2), np.float32)))


def test_in_place_arithmetic_on_an_input_is_recorded_in_place():
    def f(x):
        x += 1
        return x

    with warnings.catch_warnings():
        warnings.simplefilter("error", TracerWarning)
        traced = jit.trace(f, (rand(2),), check_trace=False)
    x = rand(2)
    expected = x + 1
    assert traced(x) is x  # the caller's array, written (tests/jit/tracer/test_writes.py has the rest)
    assert_same(x, expected)


def test_outputs_differing_from_python_are_reported_with_counts():
    generator = np.random.default_rng(0)

    def drifting(x):
        return x + generator.random(3)  # a Generator's draw is not recorded: baked, and different each call

    with pytest.warns(TracerWarning, match=r"(?s)Output nr 1\. .*3 of 3 elements differ \(100\.00%\); the largest "
                                           r"difference is [0-9.]+ at index"):
        jit.trace(drifting, (np.zeros(3),))


def test_device_of_baked_arrays_is_reported():
    output = run_with_fake_cupy("""
        import warnings
        import numpy as np
        import cupy
        import jit
        table = cupy.asarray(np.ones(3))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            traced = jit.trace(lambda x: (x, table), (cupy.asarray(np.zeros(2)),), check_trace=False)
        print(any("an array on cuda:0 is baked into the trace" in str(w.message) for w in caught))
        constant = next(n for n in traced.graph.all_nodes() if n.kind == "prim::Constant")
        print(constant.output.type)
    """)
    assert output.split("\n")[:2] == ["True", "Double(3, device=cuda:0)"]
