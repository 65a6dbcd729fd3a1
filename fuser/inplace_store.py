"""A fusion group whose result is only stored into a view (``h[t] = tanh(...)``):
its kernel writes into the view directly, so the store and the group are one
kernel launch instead of a kernel, a fresh array and a copy.

``fuse_stores`` runs after the groups are made. It pairs a group with the
``np::setitem`` that is the only use of one of its outputs when the index is basic
(ints, slices, None, ...: the destination is a view), the dtypes agree and the
shapes do where they are known. The group's other outputs come back from the launch
as before (cs231n's RNN step keeps ``sum_h`` in a cache and stores ``next_h``); a
tuple or list of them built between the group and the store moves below the store
(it holds them without reading an element). The setitem stays in the graph, so the alias
analysis and every pass still see the write; it gets the attribute
``fused_group`` (the group's index) and prints nothing, and the group's
statement launches ``StoreLaunch``: it writes into the view unless that could
differ from NumPy's answer (NumPy computes the value fully, then stores), and
otherwise launches as before and copies (``base[index] = value``). A kernel may
write into an input's memory only where it reads the same element it writes
(``x[:] = x * 2``); any other overlap (``x[1:] = x[:-1] * 2``) copies. So does a view
whose strides the kernel cannot write (a transpose): a view with unit inner stride and rows
that do not overlap (``h[:, t]``) is written by the kernel's rows variant
(kernels.cpu.CpuKernel.launch_rows), as vectorized as the C-contiguous one, where Numba's
strided arrays would make a scalar loop (bench/bench_inplace_store.py).
"""
from __future__ import annotations

import numpy as np

import device as _device

from jit import types as T
from jit.ir import arg_info, free_values
from jit.ir.effects import is_observable
from jit.ops.shapes import index_result_shape
from jit.ops.static_args import index_items

__all__ = ["SETITEM", "StoreLaunch", "fuse_stores", "store_of"]

SETITEM = "np::setitem"
_BASIC_INDEX_TYPES = (T.IntType, T.SliceType, T.NoneType, T.EllipsisType)
# np.shares_memory's bound on the work of its exact test; past it the store copies.
_MAX_OVERLAP_WORK = 1000
# Below this many elements a NumPy destination is not written by the kernel: the overlap checks cost
# more than the copy they save (cs231n's RNN at (3, 6, 4): 38 us a call, 20 copying). A strided view
# also needs kernels.cpu.ROWS_MIN_ELEMENTS.
INTO_VIEW_MIN_ELEMENTS = 1 << 12


def store_of(group):
    """(its StoreLaunch, the np::setitem it does) for a FusionGroup node whose
    store is fused, else None."""
    launch = group.attrs.get("store_launch")
    return None if launch is None else (launch, group.outputs[launch.into].uses[0].user)


def fuse_stores(fused: list, context) -> int:
    """Pair each group of ``fused`` (FusedGroup records) with the store that is the
    only use of its output where that is safe; returns how many were paired."""
    count = 0
    for record in fused:
        setitem, later, reason = _fusible_store(record)
        if setitem is None:
            if reason is not None:
                context.notes.append(f"store not fused into {record.name}: {reason}")
            continue
        group = record.node
        for node in reversed(later):  # containers of its other outputs, read only after the store
            node.move_after(setitem)
        group.move_before(setitem)  # nothing between them reads or writes what it computes (checked)
        into = setitem.inputs[2].offset
        group["store_launch"] = StoreLaunch(record.kernel, into, len(group.outputs))
        setitem["fused_group"] = group.attrs.get("index", 0)
        base, index = (f"%{v.debug_name}" for v in setitem.inputs[:2])
        context.notes.append(f"store fused: {base}[{index}] = %{setitem.inputs[2].debug_name} is written by "
                             f"{record.name} into the view (one launch; it copies when the view overlaps an input or its strides do not suit the kernel)")
        count += 1
    return count


def _fusible_store(record):
    """(the np::setitem to fuse, the nodes to move below it, None) or (None, None, why not:
    None when there is no store)."""
    group = record.node
    stored = [v for v in group.outputs
              if len(v.uses) == 1 and v.uses[0].user.kind == SETITEM and v.uses[0].index == 2]
    if not stored:
        return None, None, None
    output = stored[0]  # one kernel writes one view; another stored output is copied
    setitem = output.uses[0].user
    if setitem.owning_block is not group.owning_block:
        return None, None, "the store is in another block"
    if any(v in group.outputs for v in setitem.inputs[:2]):  # v1 = x | x; v1[:] = -v1: the launch reads v1
        return None, None, "the destination is another of its outputs"
    kernel_outputs = getattr(getattr(record.kernel, "kernel", None), "outputs", ())
    if not getattr(record.kernel, "launches_into", False) or len(kernel_outputs) != len(group.outputs):
        return None, None, "its kernel cannot write into a view (reduction kernels do not)"
    items = index_items(arg_info(setitem.inputs[1]))
    if not all(isinstance(item.type, _BASIC_INDEX_TYPES) for item in items):
        return None, None, "the index is not basic (ints, slices, None, ...), so the destination is not a view"
    target, value = setitem.inputs[0].type, output.type
    if not isinstance(target, T.TensorType) or target.dtype is None or target.dtype != value.dtype:
        return None, None, "the destination's dtype is not the value's: NumPy's cast is kept"
    if target.shape is not None and value.shape is not None:
        try:
            destination = index_result_shape(target.shape, items)
        except TypeError:
            destination = None
        if destination is not None and not _may_equal(tuple(destination), tuple(value.shape)):
            return None, None, "the destination's shape is not the value's: NumPy's broadcast is kept"
    node, outputs, between, later = group.next, set(group.outputs), [], []
    while node is not setitem:  # the group moves down to the store: only pure nodes may be crossed
        if is_observable(node) or (node.op is not None and node.op.writes):
            return None, None, f"{node.kind} runs between the group and the store"
        between.append(node)
        node = node.next
    crossed = set(between)
    for node in between:  # a tuple or list of the other outputs (cs231n's cache) moves below the store
        if not any(v in outputs for v in free_values(node)):
            continue
        if node.kind not in _CONTAINERS or any(use.user in crossed for v in node.outputs for use in v.uses):
            return None, None, f"{node.kind} between the group and the store reads another of its outputs"
        later.append(node)
    return setitem, later, None


# Constructs that hold their inputs without reading an element: one may move below a store.
_CONTAINERS = frozenset({"prim::TupleConstruct", "prim::ListConstruct"})



class StoreLaunch:
    """``base[index] = kernel(*operands)`` with the kernel writing into the view; for a
    kernel of several outputs, output ``into`` is stored and the call returns them all."""

    def __init__(self, kernel, into: int = 0, outputs: int = 1):
        self.kernel, self.into, self.several = kernel, into, outputs > 1
        self.launch = kernel.launch
        self.into_view = 0  # how many stores wrote into the view (tests read these)
        self.copied = 0

    def __call__(self, base, index, *operands):
        destination = base[index]
        into = {"_into": self.into} if self.several else {}
        if self._writes_into(destination, operands):
            results = self.launch(*operands, _out=destination, **into)
            result = results[self.into] if self.several else results
            if result is destination:
                self.into_view += 1
                return results if self.several else None
        else:
            results = self.launch(*operands)
            result = results[self.into] if self.several else results
        self.copied += 1
        base[index] = result
        return results if self.several else None

    @staticmethod
    def _writes_into(destination, operands) -> bool:
        if not _device.is_array(destination) or not getattr(destination.flags, "writeable", True):
            return False  # a numpy scalar (every axis indexed), or a read-only array: NumPy's setitem decides
        if isinstance(destination, np.ndarray) and destination.size < INTO_VIEW_MIN_ELEMENTS:
            return False
        if not _rows_apart(destination):
            return False  # a view whose elements overlap (as_strided): NumPy's last write wins; threads would race
        xp = _device.array_module(destination)
        for operand in operands:
            if _device.is_array(operand) and xp.may_share_memory(destination, operand):
                if _same_elements(destination, operand):
                    continue  # each element is read, then written, at one index
                if xp is not np:
                    return False  # CuPy's exact test sorts every address: copy instead
                try:
                    if np.shares_memory(destination, operand, max_work=_MAX_OVERLAP_WORK):
                        return False
                except np.exceptions.TooHardError:
                    return False
        return True


def _rows_apart(view) -> bool:
    """Whether no two elements of ``view`` share memory: each stride (by size) spans the
    dimensions inside it."""
    extent = view.itemsize
    for stride, size in sorted((abs(stride), size) for size, stride in zip(view.shape, view.strides) if size > 1):
        if stride < extent:
            return False
        extent = stride * (size - 1) + extent
    return True


def _may_equal(destination: tuple, value: tuple) -> bool:
    """Whether the shapes can be equal (a DYNAMIC size is None); the launch compares the real
    ones and copies, broadcasting as NumPy does, where they are not."""
    return len(destination) == len(value) and all(
        a is None or b is None or a == b for a, b in zip(destination, value))


def _same_elements(a, b) -> bool:
    return (a.shape == b.shape and a.strides == b.strides and a.dtype == b.dtype
            and type(a) is type(b) and _address(a) == _address(b))


def _address(array) -> int:
    return array.ctypes.data if isinstance(array, np.ndarray) else array.data.ptr
