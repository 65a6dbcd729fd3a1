"""The backend protocol: what the fuser and the executor ask of a place that
runs kernels, instead of branching on CPU vs CUDA.

A backend is one object with

- ``name``: how reasons name it ("CPU", "CUDA": "float16 is not supported by
  the CPU kernels");
- ``dtypes``: the dtypes its kernels compute (a frozenset of NumPy names);
- ``supports(kernel) -> Support``: whether it can build a ``kernels.ir.Kernel``,
  and if not why. A ``Support`` is an ``(ok, reason)`` pair that is also true
  or false by ``ok``, so both ``ok, reason = backend.supports(k)`` and
  ``if not backend.supports(k)`` read right; ``reason`` is None when ``ok``;
- ``build(kernel, static_shapes, fallback)``: the compiled kernel, whose
  ``launch(*operands)`` runs it and ``report()`` says how it was obtained;
  STATIC when ``static_shapes`` gives the exact shape of each array operand,
  DYNAMIC when it is None; ``fallback(*operands)`` computes the same unfused,
  for what the kernel cannot take. Raises ``UnsupportedKernel`` with the reason;
- ``warm_up()``: start what the first build would wait for (Numba, LLVM) on a
  background thread, once per process; it returns at once;
- ``available() -> Support``: whether it can run here at all (CuPy installed
  and a device seen), and if not why.

``backend_for(device)`` is the backend of a ``device.Device``: the CPU backend
(Numba) for ``cpu``, the CUDA backend (CuPy, NVRTC) of that device for
``cuda[:N]``. A new backend is a class with these members and an entry in
``backend_for``; its launchers share ``kernels.launch``.
"""
from __future__ import annotations

from typing import NamedTuple

import device as _device

from . import cpu, cuda
from .ir import Kernel, ReductionKernel
from .launch import dtype_refusal

__all__ = ["Support", "CpuBackend", "CudaBackend", "CPU", "backend_for", "warm_up_all"]


class Support(NamedTuple):
    """(ok, reason): whether a backend can do something, and why not when it cannot."""
    ok: bool
    reason: str | None = None

    def __bool__(self) -> bool:
        return self.ok


_YES = Support(True)


class CpuBackend:
    """Numba kernels on NumPy arrays (``kernels.cpu``)."""
    name = "CPU"
    dtypes = frozenset(cpu.DTYPES)

    def supports(self, kernel: Kernel) -> Support:
        refusal = dtype_refusal(kernel, self.dtypes, self.name)
        return _YES if refusal is None else Support(False, refusal)

    def build(self, kernel: Kernel, static_shapes=None, fallback=None):
        return cpu.build(kernel, static_shapes, fallback)

    def warm_up(self) -> None:
        cpu.warm_up()

    def available(self) -> Support:
        return _YES  # Numba is a dependency of ArrayScript

    def __repr__(self):
        return "CpuBackend()"


class CudaBackend:
    """CUDA C kernels on CuPy arrays of one device (``kernels.cuda``), compiled by
    the device's compiler (``kernels.cuda.backend_for``: NVRTC through CuPy)."""
    name = "CUDA"
    dtypes = frozenset(cuda.DTYPES)

    def __init__(self, dev: _device.Device):
        self.device = dev

    def supports(self, kernel: Kernel) -> Support:
        if isinstance(kernel, ReductionKernel) and not getattr(cuda, "RENDERS_REDUCTIONS", False):
            return Support(False, "reduction kernels have no CUDA renderer yet")
        refusal = dtype_refusal(kernel, self.dtypes, self.name)
        return _YES if refusal is None else Support(False, refusal)

    def build(self, kernel: Kernel, static_shapes=None, fallback=None):
        # cuda.backend_for is looked up at each build: tests put a host-shim compiler there
        return cuda.build(kernel, self.device, static_shapes, fallback)

    def warm_up(self) -> None:
        """Nothing to start ahead: NVRTC and the module load come with the first
        build, which compiles eagerly so that its errors leave the group unfused."""

    def available(self) -> Support:
        if _device.cupy_module() is None:
            return Support(False, f"{self.device} needs CuPy, which is not installed")
        if not _device.cuda_is_available():
            return Support(False, f"{self.device}: CuPy sees no CUDA device")
        return _YES

    def __repr__(self):
        return f"CudaBackend({str(self.device)!r})"


CPU = CpuBackend()
_cuda_backends: dict = {}


def backend_for(dev: _device.Device | str | None) -> CpuBackend | CudaBackend:
    """The backend that runs kernels on arrays of ``dev`` (a Device or its name;
    None, a device not known, is the CPU, where NumPy arrays live)."""
    if dev is None:
        return CPU
    dev = dev if isinstance(dev, _device.Device) else _device.Device(dev)
    if dev.type == "cpu":
        return CPU
    if dev.type == "cuda":
        found = _cuda_backends.get(dev)
        if found is None:
            found = _cuda_backends.setdefault(dev, CudaBackend(dev))
        return found
    raise ValueError(f"no kernel backend for device {dev}")


def warm_up_all() -> None:
    """Warm up every backend made so far (each returns at once): a profiled call
    does this before it runs, so a compiler starts while the call runs, not when
    its first kernel is built."""
    for backend in (CPU, *_cuda_backends.values()):
        backend.warm_up()
