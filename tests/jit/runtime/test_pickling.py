"""Pickling ScriptFunction and ScriptModule (scripted, traced, frozen): they travel
as their jit.save archive and come back through jit.load, so a pickle holds no
code, only one reference to the loader."""
from __future__ import annotations

import concurrent.futures
import io
import multiprocessing
import pickle
from typing import List

import numpy as np
import pytest

import jit
import jit.nn.functional as F
from jit import nn
from jit.serialization.pickling import load_archive_bytes

from ...helpers import assert_same


def scaled_tanh(x, scale: float):
    return np.tanh(x * scale) + 1.0


def looping(x, n: int):
    total = np.zeros_like(x)
    for i in range(n):
        total = total + x * float(i)
    return total


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 6)
        self.norm = nn.LayerNorm(6)
        self.head_weight = self.embed.weight  # tied: one array in two places
        self.register_buffer("offset", np.full(6, 0.5, np.float32))
        self.scale = 2.0

    def forward(self, ids):
        h = self.norm(self.embed(ids) + self.offset) * self.scale
        return h @ self.head_weight.T

    @jit.export
    def embed_only(self, ids):
        return self.embed(ids)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(8, 16), nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


def _x(*shape):
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


class RecordingUnpickler(pickle.Unpickler):
    """Records every global the pickle asks for."""

    def __init__(self, data):
        super().__init__(io.BytesIO(data))
        self.asked = []

    def find_class(self, module, name):
        self.asked.append((module, name))
        return super().find_class(module, name)


def pickled_and_back(obj):
    unpickler = RecordingUnpickler(pickle.dumps(obj))
    back = unpickler.load()
    # The loader is the only name the pickle holds: no class, function or code of the object.
    assert unpickler.asked == [("jit.serialization.pickling", "load_archive_bytes")]
    return back


def test_a_scripted_function_round_trips_with_its_code_and_results():
    function = jit.script(looping)
    back = pickled_and_back(function)
    assert type(back) is type(function) and back.code == function.code
    x = _x(3, 4)
    assert_same(back(x, 3), looping(x, 3))


def test_a_traced_function_round_trips():
    traced = jit.trace(lambda x: scaled_tanh(x, 0.5), (_x(2, 5),))
    back = pickled_and_back(traced)
    x = _x(4, 5)  # another batch size: the trace kept x.shape symbolic
    assert_same(back(x), scaled_tanh(x, 0.5))


def test_a_scripted_module_keeps_parameters_buffers_attributes_methods_and_tied_weights():
    model = Tied().eval()
    # Embeddings of a trained model's scale: the head's float32 dot products of the layer norm's output
    # (which the fused kernel rounds an ulp away from NumPy's here and there) with standard normal rows
    # cancel to errors of 3e-6, beyond float32's absolute tolerance in the checks (NumPy's own are 3e-6).
    model.embed.weight *= np.float32(0.1)
    scripted = jit.script(model)
    back = pickled_and_back(scripted)
    assert back.original_name == "Tied" and back.scale == 2.0
    ids = np.array([[1, 2, 3], [9, 0, 4]])
    assert_same(back(ids), model(ids))
    assert_same(back.embed_only(ids), model.embed_only(ids))
    assert_same(back.offset, model.offset)
    assert np.shares_memory(back.head_weight, back.embed.weight)  # still one array


def test_traced_frozen_and_inference_optimized_modules_round_trip():
    model = Mlp().eval()
    x = _x(5, 8)
    expected = model(x)
    for made in (jit.trace(model, (x,)), jit.freeze(jit.script(model)), jit.optimize_for_inference(jit.script(model))):
        back = pickled_and_back(made)
        assert back.code == made.code
        assert_same(back(x), expected)


def test_pickle_protocols_and_nested_containers():
    function, module = jit.script(looping), jit.script(Mlp().eval())
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        copies = pickle.loads(pickle.dumps({"f": [function], "m": (module, module)}, protocol=protocol))
        x = _x(2, 8)
        assert_same(copies["f"][0](x, 2), looping(x, 2))
        assert_same(copies["m"][0](x), module(x))
        assert copies["m"][0] is copies["m"][1]  # pickle's memo: one object stays one object


def hides_len(x, len: int, values: List[float]):
    total = x
    for v in values:  # printed as a loop over range(len(values)): the parameter would hide len
        total = total + v
    return total * float(len)


@pytest.mark.no_round_trip  # its printed code does not recompile: that is the point
def test_an_unsaveable_function_is_a_pickling_error_that_says_why():
    function = jit.script(hides_len)
    with pytest.raises(pickle.PicklingError, match=r"cannot pickle hides_len: .*jit.save archive.*rename the "
                                                  r"parameter"):
        pickle.dumps(function)


def test_unpickling_foreign_bytes_is_a_serialization_error():
    with pytest.raises(jit.SerializationError, match="damaged or truncated"):
        load_archive_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(pickle.UnpicklingError, match="archive bytes, not a str"):
        load_archive_bytes("text")


def _run_pickled(function, x):
    return function(x, 3)


def test_a_spawned_process_receives_and_runs_a_scripted_function():
    function = jit.script(looping)
    x = _x(3, 3)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing shared but the pickle
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        result = pool.submit(_run_pickled, function, x).result(timeout=120)
    assert_same(result, looping(x, 3))
