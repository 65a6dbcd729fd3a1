"""A script function specialized as if its arrays lived on cuda:0, its fusion
groups compiled by the CUDA renderer, and its kernels run by the host shim on
NumPy arrays: the CUDA path from the fuser to the kernel's last store, checked
without a GPU."""
from __future__ import annotations

import numpy as np

import device
from jit import types as T
from jit.ir.cloning import copy_graph
from jit.passes import erase_types, inline_calls
from jit.runtime import codegen
from jit.runtime.optimization import optimize
from kernels import cuda, cuda_reduction

GPU = device.Device("cuda:0")


def specialize(scripted, args, kind: str, backend, monkeypatch):
    """The optimized graph of ``scripted`` for ``args`` typed as cuda:0 arrays
    (exact shapes for STATIC, ranks for DYNAMIC), with ``backend`` compiling its kernels."""
    monkeypatch.setattr(cuda, "backend_for", lambda dev: backend)
    graph, value_map = copy_graph(scripted.graph)
    inline_calls(graph)
    erase_types(graph)
    for value, argument in zip(scripted.graph.inputs, args):
        if isinstance(value.type, T.TensorType) and device.is_array(argument):
            shape = tuple(np.shape(argument)) if kind == "STATIC" else (None,) * np.ndim(argument)
            value_map[id(value)].type = T.TensorType(argument.dtype, shape, GPU)
    report = optimize(graph, kind, fuse=True)
    graph.fusion_notes = report.fusion.notes  # what jit.explain would print for this specialization
    return graph


def kernels_of(graph) -> list:
    return [node["kernel"] for node in graph.all_nodes() if node.kind == "prim::FusionGroup"]


def run(scripted, args, kind: str, backend, monkeypatch):
    """(results, graph): ``scripted`` called on ``args`` through its emulated-GPU specialization."""
    graph = specialize(scripted, args, kind, backend, monkeypatch)
    for kernel in kernels_of(graph):
        assert isinstance(kernel, (cuda.CudaKernel, cuda_reduction.CudaReductionKernel)), \
            f"a group on cuda:0 got a {type(kernel).__name__}"
    _, function = codegen.generate(graph, scripted.name, scripted.parameters)
    with np.errstate(all="ignore"):
        return function(*args), graph
