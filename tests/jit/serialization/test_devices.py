"""Devices across save and load: tensors return to the device they were saved
from or go where map_location says ("cpu", "cuda", "cuda:N", a Device); a
CUDA-saved model without CUDA asks for map_location="cpu"; arrays and Device
constants baked into code by a trace are remapped too. CUDA runs on the fake
CuPy of tests/device (two devices) in a fresh interpreter."""
from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

import device
import jit
from jit import nn

from ...helpers import assert_same, load_module, run_with_fake_cupy

X = np.random.default_rng(8).standard_normal((2, 4)).astype(np.float32)


def saved(obj) -> bytes:
    buffer = io.BytesIO()
    jit.save(obj, buffer)
    return buffer.getvalue()


def on_device(data: bytes, name: str) -> bytes:
    """The archive as if saved from ``name``: every tensor's recorded device edited."""
    source = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(source.read("manifest.json"))
    for record in manifest["tensors"]:
        record["device"] = name
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = json.dumps(manifest) if info.filename == "manifest.json" else source.read(info.filename)
            target.writestr(info.filename, content)
    return out.getvalue()


@pytest.fixture
def without_cuda(monkeypatch):
    monkeypatch.setattr(device, "cuda_is_available", lambda: False)


def test_a_cuda_saved_model_without_cuda_asks_for_map_location(without_cuda):
    jit.manual_seed(2)
    model = jit.script(nn.Linear(4, 3))
    data = on_device(saved(model), "cuda:0")
    with pytest.raises(jit.SerializationError, match=r"tensor 0 was saved on cuda:0, and CUDA is not available "
                                                     r"here .*pass map_location='cpu' to jit.load"):
        jit.load(io.BytesIO(data))
    for location in ("cpu", device.Device("cpu")):
        loaded = jit.load(io.BytesIO(data), map_location=location)
        assert_same(loaded(X), model(X))
        assert all(device.of(a) == "cpu" for a in loaded.parameters())
    with pytest.raises(jit.SerializationError, match="map_location='cuda' needs CUDA, which is not available"):
        jit.load(io.BytesIO(saved(model)), map_location="cuda")


def test_map_location_is_checked():
    data = saved(jit.script(nn.ReLU()))
    with pytest.raises(TypeError, match="map_location is a device name"):
        jit.load(io.BytesIO(data), map_location=0)
    with pytest.raises(ValueError, match="invalid device 'gpu'"):
        jit.load(io.BytesIO(data), map_location="gpu")


def test_arrays_a_trace_baked_in_on_the_gpu_are_remapped(without_cuda):
    offsets = np.arange(4, dtype=np.float32)
    traced = jit.trace(lambda x: x * 2 + offsets, (X,))
    data = on_device(saved(traced), "cuda:0")  # as a GPU trace records its captured arrays
    with pytest.raises(jit.SerializationError, match="map_location='cpu'"):
        jit.load(io.BytesIO(data))
    loaded = jit.load(io.BytesIO(data), map_location="cpu")
    assert_same(loaded(X), X * 2 + offsets)
    constant = next(n for n in loaded.graph.all_nodes() if n.kind == "prim::Constant" and device.is_array(n["value"]))
    assert device.of(constant["value"]) == "cpu" and constant.output.type.device == device.Device("cpu")


def test_device_values_in_code_and_attributes_follow_map_location():
    source = load_module('''
    import device
    from jit import nn

    class Placed(nn.Module):
        def __init__(self):
            super().__init__()
            self.home = device.Device("cuda:1")

        def forward(self, x) -> Tuple[Tensor, device.Device, device.Device]:
            return x, self.home, device.Device("cuda:0")
    ''')
    model = jit.script(source.Placed())
    as_saved = jit.load(io.BytesIO(saved(model)))
    assert as_saved.home == "cuda:1" and as_saved(X)[2] == "cuda:0"
    moved = jit.load(io.BytesIO(saved(model)), map_location="cpu")
    assert moved.home == "cpu" and moved(X)[1:] == (device.Device("cpu"), device.Device("cpu"))
    assert "device.Device('cpu')" in moved.code


def test_tensors_go_back_to_their_cuda_device_or_where_map_location_says():
    output = run_with_fake_cupy('''
        import io
        import numpy as np
        import device
        import jit
        from jit import nn

        model = jit.script(nn.Linear(4, 3).to("cuda:1"))
        buffer = io.BytesIO()
        jit.save(model, buffer)

        def devices(location=None):
            buffer.seek(0)
            loaded = jit.load(buffer, map_location=location)
            return sorted({str(device.of(a)) for a in loaded.parameters()})

        print(devices(), devices("cpu"), devices("cuda:0"), devices(device.Device("cuda")), devices("cuda:1"))
        buffer.seek(0)
        on_cpu = jit.load(buffer, map_location="cpu")
        np.testing.assert_array_equal(on_cpu.weight, model.weight.get())
        try:
            buffer.seek(0)
            jit.load(buffer, map_location="cuda:5")
        except jit.SerializationError as error:
            print(str(error).split(": ", 1)[1])
    ''')
    lines = output.splitlines()
    assert lines[0] == "['cuda:1'] ['cpu'] ['cuda:0'] ['cuda:0'] ['cuda:1']"
    assert lines[1] == ("tensor 0 was saved on cuda:1, but this machine has 2 CUDA device(s); pass "
                        "map_location='cuda:0' (or 'cpu') to jit.load")


def test_a_cpu_trace_loads_onto_a_cuda_device_with_its_constants():
    output = run_with_fake_cupy('''
        import io
        import numpy as np
        import device
        import jit

        offsets = np.arange(4, dtype=np.float32)
        traced = jit.trace(lambda x: x + offsets, (np.ones((2, 4), dtype=np.float32),))
        buffer = io.BytesIO()
        jit.save(traced, buffer)
        buffer.seek(0)
        loaded = jit.load(buffer, map_location="cuda:1")
        constant = next(n["value"] for n in loaded.graph.all_nodes()
                        if n.kind == "prim::Constant" and device.is_array(n["value"]))
        print(device.of(constant), loaded.graph.outputs[0].node.inputs[1].type)
    ''')
    assert output.strip() == "cuda:1 Float(4, device=cuda:1)"
