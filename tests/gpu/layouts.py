"""The layouts of the CUDA kernel tests (tests/kernels/test_cuda.py LAYOUTS) built
where the arrays live: each view is taken of a base already on the device, so a
GPU case really is strided, reversed, transposed or misaligned there
(``device.to(view)`` would arrive as a contiguous copy, through ``cupy.asarray``).
``run_layout_case`` runs the GELU-with-bias function on one layout, checks the
layout arrived, the result against eager NumPy on the host copies, and the
kernel variant each call launched. It needs no pytest: tests/gpu runs it on a
real GPU, tests/kernels/test_cuda_backend.py on the fake CuPy."""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np

import device
import jit
import jit.nn.functional as F
from kernels import cuda

from ..fuser import test_differential as cases
from ..helpers import FLOAT_TOLERANCE, script_source
from ..kernels.test_cuda import _GELU_BIAS, EXPECTED_VARIANT, LAYOUTS


def _misaligned(base, shape, address):
    """A C-contiguous view of ``base`` (float32) whose data starts 4 bytes past a 16-byte boundary."""
    count = int(np.prod(shape))
    start = next(k for k in range(1, 5) if (address(base) + 4 * k) % 16 == 4)
    return base[start:start + count].reshape(shape)


def device_layouts(place, address) -> dict:
    """name -> a function making that layout's arguments, every view taken of bases
    that ``place`` has put where they will be used; ``address`` gives a data pointer."""
    def v(seed, shape, dtype="float32"):
        return place(cases._values(dtype, seed, shape))

    return {
        "same shape": lambda: (v(1, (4, 6)), v(2, (4, 6))),
        "row bias": lambda: (v(1, (4, 6)), v(2, (6,))),
        "column and row": lambda: (v(1, (4, 1)), v(2, (1, 6))),
        "0-d and matrix": lambda: (place(np.array(1.5, np.float32)), v(2, (4, 6))),
        "numpy scalar": lambda: (np.float32(0.25), v(2, (3, 2, 6))),
        "0-size": lambda: (v(1, (0, 6)), v(2, (6,))),
        "non-contiguous": lambda: (v(1, (4, 12))[:, ::2], v(2, (4, 6))),
        "negative strides": lambda: (v(1, (4, 6))[::-1, ::-1], v(2, (6,))),
        "transposed": lambda: (v(1, (6, 4)).T, v(2, (4, 1))),
        "rank 3 against rank 1": lambda: (v(1, (2, 3, 5)), v(2, (5,))),
        "large (threads)": lambda: (v(1, (512, 300)), v(2, (300,))),
        "misaligned": lambda: (_misaligned(v(3, (39,)), (5, 7), address), v(2, (5, 7))),
        "odd length": lambda: (v(1, (3, 7)), v(2, (3, 7))),
        "float16": lambda: (v(1, (4, 6), "float16"), v(2, (6,), "float16")),
    }


def host_layouts() -> dict:
    return device_layouts(lambda a: a, lambda a: a.ctypes.data)


def gpu_layouts() -> dict:
    """The layouts on cuda:0, less the NumPy scalar one (the executor asks for one device)."""
    made = device_layouts(lambda a: device.to(a, "cuda:0"), lambda a: a.data.ptr)
    del made["numpy scalar"]
    return made


def layout_facts(name, args, address) -> list:
    """What must be true of the first argument for the layout to be the one named."""
    x = args[0]
    facts = {"non-contiguous": lambda: not x.flags.c_contiguous and x.strides[1] == 2 * x.dtype.itemsize,
             "negative strides": lambda: x.strides[0] < 0 and x.strides[1] < 0,
             "transposed": lambda: x.flags.f_contiguous and not x.flags.c_contiguous,
             "misaligned": lambda: x.flags.c_contiguous and address(x) % 16 == 4}
    if name not in facts or facts[name]():
        return []
    return [f"{name}: the first argument arrived with strides {x.strides} at {address(x):#x}"]


@contextmanager
def launched_kernels():
    """The names of the CuPy backend's kernel launches inside the block (variant suffix included)."""
    launched, original = [], cuda.CupyBackend.compile

    def compile_recording(self, source, name, params):
        run, how = original(self, source, name, params)

        def run_recording(work, args):
            launched.append(name)
            run(work, args)
        return run_recording, how

    cuda.CupyBackend.compile = compile_recording
    try:
        yield launched
    finally:
        cuda.CupyBackend.compile = original


def assert_close_to_eager(actual, expected, path="result"):
    """Equal to eager NumPy: dtype, shape, device, and values within four times the float
    tolerance (CUDA's math library differs from glibc's by an ulp or two)."""
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected), path
        for k, (a, e) in enumerate(zip(actual, expected)):
            assert_close_to_eager(a, e, f"{path}[{k}]")
        return
    assert device.of(actual) == device.Device("cuda:0"), f"{path} left the GPU"
    host = device.to(actual, "cpu")
    assert host.dtype == expected.dtype and host.shape == expected.shape, path
    if expected.dtype.kind == "f":
        rtol, atol = FLOAT_TOLERANCE[expected.dtype]
        np.testing.assert_allclose(host, expected, rtol=4 * rtol, atol=4 * atol, equal_nan=True, err_msg=path)
    else:
        np.testing.assert_array_equal(host, expected, err_msg=path)


def run_layout_case(name: str, kind: str, layouts: dict, address) -> list:
    """The GELU-with-bias function on layout ``name`` under ``kind`` fusion, against eager
    NumPy; returns the kernels the fused call launched (after checking the variant the
    kernel tests expect for the layout)."""
    args = layouts[name]()
    problems = layout_facts(name, args, address)
    assert not problems, problems
    previous = jit.set_fusion_strategy([(kind, 2)])
    try:
        scripted, eager = script_source(_GELU_BIAS, F=F)
        host = [device.to(a, "cpu") for a in args]
        with np.errstate(all="ignore"):
            expected = eager(*host)
            scripted(*args)  # profiles
            with launched_kernels() as launched:
                actual = scripted(*args)
        assert "prim::FusionGroup" in str(jit.last_executed_optimized_graph()), f"{name}: nothing fused"
    finally:
        jit.set_fusion_strategy(previous)
    assert_close_to_eager(actual, expected, name)
    if name in EXPECTED_VARIANT:
        mode = EXPECTED_VARIANT[name][kind == "DYNAMIC"]
        assert [n.rsplit("_", 1)[1] for n in launched] == [f"{mode}32"], f"{name} {kind}: launched {launched}"
    return launched


def check_host_twins():
    """The device recipes, run on the host, give test_cuda's LAYOUTS: same values, shapes and strides."""
    twins = host_layouts()
    assert set(twins) == set(LAYOUTS), set(twins) ^ set(LAYOUTS)
    for name, make in twins.items():
        made = make()
        assert layout_facts(name, made, lambda a: a.ctypes.data) == [], name
        for ours, theirs in zip(made, LAYOUTS[name]()):
            assert type(ours) is type(theirs) and np.shape(ours) == np.shape(theirs), name
            if name != "misaligned":  # where its view starts depends on the base's address
                np.testing.assert_array_equal(ours, theirs, err_msg=name)
                assert np.asarray(ours).strides == np.asarray(theirs).strides, name


def on_gpu(array):
    """``array`` on cuda:0 with its layout: a C-contiguous array is copied as it is; a view
    (strided or transposed, starting at its base's first element) is taken again, by
    slicing or transposing, of a GPU copy of its base."""
    if not isinstance(array, np.ndarray) or array.flags.c_contiguous:
        return device.to(array, "cuda:0") if isinstance(array, np.ndarray) else array
    base = array.base
    assert isinstance(base, np.ndarray) and base.flags.c_contiguous and base.ctypes.data == array.ctypes.data, \
        "on_gpu takes views that start at the first element of a contiguous base"
    placed = device.to(base, "cuda:0")
    if array.shape == base.shape[::-1] and array.strides == base.strides[::-1]:
        view = placed.T
    else:
        steps = [s // b for s, b in zip(array.strides, base.strides)]
        view = placed[tuple(slice(None, None, step) for step in steps)]
    assert view.shape == array.shape and view.strides == array.strides, (array.strides, view.strides)
    return view
