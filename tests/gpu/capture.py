"""A fused call captured into a CUDA graph, as the witness that it launches on
CuPy's current stream and copies nothing to the host: under a global-mode
capture every host copy (``int()``, ``bool()``, ``.item()``, ``.tolist()``,
``.get()``, ``asnumpy``; CuPy refuses ``__array__`` always) and every
synchronization fails the capture, and a kernel launched on any other stream
runs at once instead of in the graph, which replaying the graph on new inputs
then shows. It needs no pytest: tests/gpu runs it on a real GPU,
tests/kernels/test_cuda_backend.py on the fake CuPy (which captures alike)."""
from __future__ import annotations

import numpy as np

import jit.nn.functional as F

from ..helpers import script_source
from ..kernels.test_cuda import _GELU_BIAS
from .layouts import assert_close_to_eager

HOST_COPIES = {"int()": lambda cupy, a: int(a[0, 0]), "bool()": lambda cupy, a: bool(a[0, 0]),
               ".item()": lambda cupy, a: a[0, 0].item(), ".tolist()": lambda cupy, a: a[0].tolist(),
               "__array__": lambda cupy, a: np.asarray(a), ".get()": lambda cupy, a: a.get(),
               "asnumpy": lambda cupy, a: cupy.asnumpy(a)}


def captured(cupy, stream, work):
    """(work()'s result, the CUDA graph) with ``stream`` current and captured in global
    mode while work runs; an error inside ends the capture before it is raised."""
    failure = None
    with stream:
        stream.begin_capture(mode=cupy.cuda.runtime.streamCaptureModeGlobal)
        try:
            result = work()
        except Exception as error:  # the capture is invalid now: end it before reporting
            failure = error
        try:
            graph = stream.end_capture()
        except Exception as error:
            failure = failure or error
    if failure is not None:
        raise failure
    return result, graph


def check_a_host_copy_fails_a_capture(cupy, path: str):
    """What check_a_fused_call_is_captured relies on: ``path`` reads the array outside a
    capture (CuPy refuses ``__array__`` everywhere), and fails inside one, while a kernel
    alone captures and replays."""
    a = cupy.ones((4, 4), cupy.float32)
    a.fill(3.0)  # fill's kernel is compiled and loaded before any capture
    if path == "__array__":
        try:
            np.asarray(a)
        except TypeError:
            pass
        else:
            raise AssertionError("np.asarray of a CuPy array copied it to the host")
    else:
        HOST_COPIES[path](cupy, a)
    stream = cupy.cuda.Stream(non_blocking=True)
    _, graph = captured(cupy, stream, lambda: a.fill(2.0))
    assert float(a[0, 0]) == 3.0, "the captured fill ran at once"
    graph.launch(stream=stream)
    stream.synchronize()
    assert float(a[0, 0]) == 2.0, "the replayed graph did not fill"
    try:
        captured(cupy, stream, lambda: HOST_COPIES[path](cupy, a))
    except Exception:  # noqa: BLE001 - CuPy raises CUDARuntimeError or TypeError; either is the point
        return
    raise AssertionError(f"{path} inside a capture did not fail it")


def check_a_fused_call_is_captured(cupy, to_gpu):
    """The GELU-with-bias function, fused and warm, captured whole; the graph replayed on
    new inputs gives their eager result."""
    scripted, eager = script_source(_GELU_BIAS, F=F)
    rng = np.random.default_rng(2)
    x, b = rng.standard_normal((256, 128)).astype(np.float32), rng.standard_normal(128).astype(np.float32)
    gx, gb = to_gpu(x), to_gpu(b)
    scripted(gx, gb)
    scripted(gx, gb)  # profiled, compiled and loaded
    stream = cupy.cuda.Stream(non_blocking=True)
    with stream:
        warm = scripted(gx, gb)  # the outputs' memory now waits in this stream's pool: no cudaMalloc in the capture
        stream.synchronize()
    del warm
    result, graph = captured(cupy, stream, lambda: scripted(gx, gb))
    x2, b2 = rng.standard_normal((256, 128)).astype(np.float32), rng.standard_normal(128).astype(np.float32)
    gx.set(x2)
    gb.set(b2)
    cupy.cuda.Device().synchronize()  # the copies are done, on whichever stream CuPy made them
    graph.launch(stream=stream)
    stream.synchronize()
    assert_close_to_eager(result, eager(x2, b2), "the graph's outputs (a kernel ran outside the capture?)")
