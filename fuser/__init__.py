"""Fusion: which nodes of a specialized graph fuse into ``prim::FusionGroup``,
the kernel each group becomes, and the ``strict_fusion`` check.

``fuse_elementwise(graph, context)`` is the pass the executor runs on every
specialization built while fusion is on (``context.kind`` is STATIC or
DYNAMIC); it records in ``context.details["groups"]`` what each group became
and in ``context.details["reasons"]`` why each other node did not fuse, and
writes ``context.notes`` for ``jit.explain``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

from jit import types as T
from kernels.backend import backend_for
from kernels.ir import UnsupportedKernel

from .grouping import FUSION_GROUP, MAX_KERNEL_ARGUMENTS, Grouping, build_subgraph, replace_with_group
from .inplace_store import fuse_stores, store_of
from .lowering import lower
from .reduction_lowering import is_reduction, lower_reduction_group
from .strict import check_strict_fusion

__all__ = ["FUSION_GROUP", "MAX_KERNEL_ARGUMENTS", "FusedGroup", "fuse_elementwise", "check_strict_fusion", "run_unfused",
           "store_of"]


@dataclass
class FusedGroup:
    """What one group became: its node, the kinds it fused, its kernel."""
    node: object
    kinds: list
    kernel: object  # what its backend's build returned (kernels.backend)

    @property
    def name(self) -> str:
        return self.kernel.kernel.name

    def describe(self) -> str:
        inputs = ", ".join(f"%{v.debug_name}" for v in self.node.inputs)
        outputs = ", ".join(f"%{v.debug_name}" for v in self.node.outputs)
        return (f"{outputs} = FusionGroup({inputs}): {len(self.kinds)} nodes [{', '.join(self.kinds)}] "
                f"-> {self.kernel.report()}")


def fuse_elementwise(graph, context) -> int:
    """Replace the fusible regions of ``graph`` by FusionGroup nodes; returns how many."""
    grouping = Grouping(graph, context.kind)
    fused = []
    for members, anchor in grouping.groups:
        block = members[0].owning_block
        subgraph, inputs, outputs = build_subgraph(members, block)
        kinds = [m.kind for m in members]
        try:
            has_reduction = any(is_reduction(m) for m in members)
            kernel = lower_reduction_group(subgraph, "kernel") if has_reduction else lower(subgraph, "kernel")
            kernel = replace(kernel, name=_kernel_name(kinds, kernel))
            tensors = [v.type for v in inputs if isinstance(v.type, T.TensorType)]
            shapes = [t.shape for t in tensors if t.ndim] if context.kind == "STATIC" else None
            fallback = partial(_run_unfused_with, subgraph)
            backend = backend_for(next((t.device for t in tensors if t.device is not None), None))
            supported, reason = backend.supports(kernel)
            if not supported:
                raise UnsupportedKernel(reason)
            compiled = backend.build(kernel, shapes, fallback)
        except UnsupportedKernel as error:
            for member in members:
                grouping.reasons[id(member)] = (member, f"its group cannot become a kernel: {error}")
            continue
        node = replace_with_group(members, anchor, subgraph, inputs, outputs, kernel=compiled, index=len(fused))
        fused.append(FusedGroup(node, kinds, compiled))
    context.details["groups"] = fused
    context.details["reasons"] = grouping.reasons
    context.notes.extend(group.describe() for group in fused)
    fuse_stores(fused, context)
    for node, reason in grouping.splits:
        if id(node) not in grouping.reasons:
            location = f" ({node.source_range})" if node.source_range is not None else ""
            context.notes.append(f"groups kept apart at {node.kind}{location}: {reason}")
    for node, reason in grouping.reasons.values():
        outputs = ", ".join(f"%{v.debug_name}" for v in node.outputs)
        location = f" ({node.source_range})" if node.source_range is not None else ""
        context.notes.append(f"not fused: {outputs + ' = ' if outputs else ''}{node.kind}{location}: {reason}")
    return len(fused)


def run_unfused(subgraph, args):
    """What a group computes, op by op with NumPy (or CuPy): for the layouts its
    kernel cannot take. Returns what the kernel's launcher would."""
    values = {id(v): a for v, a in zip(subgraph.inputs, args)}
    for node in subgraph.block.nodes:
        if node.kind == "prim::Constant":
            values[id(node.output)] = node["value"]
        elif node.kind == "prim::TupleUnpack":  # of a multi-output op's tuple (fuser.multi_output)
            values.update(zip(map(id, node.outputs), values[id(node.inputs[0])]))
        else:
            values[id(node.output)] = node.op(*[values[id(v)] for v in node.inputs])
    results = tuple(values[id(v)] for v in subgraph.outputs)
    return results[0] if len(results) == 1 else results


def _run_unfused_with(subgraph, *args):
    return run_unfused(subgraph, args)


def _kernel_name(kinds, kernel) -> str:
    names = []
    for kind in kinds:
        short = kind.split("::", 1)[1].replace(".", "_")
        if short not in names:
            names.append(short)
    text = "_".join(names[:4]) + ("_etc" if len(names) > 4 else "")
    return f"fused_{text}_{kernel.digest()}"
