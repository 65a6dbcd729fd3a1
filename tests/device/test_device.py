"""device: names, where arrays live, transfers; with and without CuPy."""
from __future__ import annotations


import numpy as np
import pytest

import device
from device import Device

from ..helpers import run_with_fake_cupy


@pytest.mark.parametrize("spec, canonical, kind, index", [
    ("cpu", "cpu", "cpu", None), ("cpu:0", "cpu", "cpu", None), ("cuda", "cuda", "cuda", None),
    ("cuda:0", "cuda:0", "cuda", 0), ("cuda:3", "cuda:3", "cuda", 3), (" cuda:1 ", "cuda:1", "cuda", 1),
])
def test_device_names(spec, canonical, kind, index):
    dev = Device(spec)
    assert (str(dev), dev.type, dev.index) == (canonical, kind, index)
    assert Device(dev) == dev and hash(Device(canonical)) == hash(dev)
    assert repr(dev) == f"Device({canonical!r})" and dev == canonical


@pytest.mark.parametrize("spec", ["gpu", "cuda:-1", "cpu:1", "cuda:x", "CUDA", "", "cuda:1:2"])
def test_bad_device_names(spec):
    with pytest.raises(ValueError, match="device"):
        Device(spec)


def test_devices_compare_and_hash():
    assert Device("cuda", 1) == Device("cuda:1") and Device("cuda") != Device("cuda:0")
    assert Device("cpu") != "not a device" and Device("cpu") != 3
    assert len({Device("cpu"), Device("cpu:0"), Device("cuda:0"), Device("cuda:0")}) == 2
    with pytest.raises(TypeError, match="string"):
        Device(0)
    with pytest.raises(ValueError, match="already has an index"):
        Device("cuda:1", 2)


def test_cpu_arrays():
    a = np.ones((2, 3), np.float32)
    assert device.of(a) == Device("cpu") and device.of(a.sum()) == Device("cpu")
    assert device.array_module(a) is np and device.array_module("cpu") is np and device.array_module(Device("cpu")) is np
    assert device.to(a, "cpu") is a
    assert device.is_array(a) and device.is_array(np.float32(1)) and not device.is_array([1.0])
    with pytest.raises(TypeError, match="NumPy or CuPy array"):
        device.of([1.0, 2.0])
    with pytest.raises(TypeError, match="array_module expects"):
        device.array_module(3.5)


@pytest.mark.skipif(device.cupy_module() is not None, reason="CuPy is installed here")
def test_without_cupy_cuda_is_a_clear_error():
    assert not device.cuda_is_available()
    with pytest.raises(RuntimeError, match=r"install arrayscript\[cuda\]"):
        device.to(np.ones(3), "cuda")
    with pytest.raises(RuntimeError, match=r"install arrayscript\[cuda\]"):
        device.array_module("cuda:0")


def test_cuda_paths_with_a_cupy_module():
    output = run_with_fake_cupy('''
        import numpy as np, device, cupy
        from device import Device
        assert device.cuda_is_available()
        host = np.arange(6.0).reshape(2, 3)
        on_one = device.to(host, "cuda:1")
        assert isinstance(on_one, cupy.ndarray) and device.of(on_one) == Device("cuda:1")
        assert device.to(on_one, "cuda:1") is on_one
        moved = device.to(on_one, "cuda:0")
        assert device.of(moved) == Device("cuda:0") and moved is not on_one
        assert device.of(device.to(host, "cuda")) == Device("cuda:0")
        back = device.to(moved, "cpu")
        assert isinstance(back, np.ndarray) and (back == host).all()
        assert device.array_module(on_one) is cupy and device.array_module("cuda:1") is cupy
        assert device.is_array(on_one) and Device("cuda").resolved() == Device("cuda:0")
        print("ok")
    ''')
    assert output.strip() == "ok"


def test_arguments_on_different_devices_are_an_error_naming_them():
    output = run_with_fake_cupy('''
        import numpy as np, device
        from jit.runtime.codegen import call_array_module
        a = device.to(np.ones(2), "cuda:0")
        b = device.to(np.ones(2), "cuda:1")
        try:
            call_array_module("f", ("x", "y"), (a, b))
        except RuntimeError as error:
            print(error)
        import cupy
        assert call_array_module("f", ("x", "t"), (a, (a, 1))) is cupy
    ''')
    assert "f() got arrays on different devices ('x' on cuda:0, 'y' on cuda:1)" in output
    assert "device.to(array, dev)" in output


def test_device_imports_nothing_of_arrayscript():
    output = run_with_fake_cupy('''
        import sys, device
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("jit", "fuser", "kernels")))
    ''')
    assert output.strip() == "[]"
