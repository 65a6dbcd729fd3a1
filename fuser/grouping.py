"""The fusion pass: elementwise nodes of a specialized graph become
``prim::FusionGroup`` nodes, each holding its nodes as a subgraph.

Within each block, nodes are visited in order; a fusible node joins the groups
that produce its inputs when that is legal. A group runs where its last node
was, so joining moves the group's earlier nodes down to there; that is refused
when a node in between reads one of their values, or has an effect (print, a
call, an attribute store) that the move would cross. Values the rest of the
graph reads become the group's outputs; every output has the group's full
shape (STATIC) or rank (DYNAMIC: the kernel checks sizes when it runs).

Every node of a block that is not fused gets a reason, which ``jit.explain``
and ``jit.strict_fusion`` report.
"""
from __future__ import annotations

import bisect

import numpy as np

from jit import types as T
from jit.ir import Block, Graph, Node, arg_info
from jit.ir.cloning import copy_node
from jit.ir.effects import may_raise

from kernels.backend import backend_for
from kernels.legalization import refusal

from .lowering import POWER_OPS, scalar_dtype, weak_int_refusal
from .multi_output import element_types, has_tuple_formula, is_element_read, tuple_refusal
from .reduction_lowering import fuses_alone, group_refusal, is_reduction, is_static_shape_list, reduction_node_refusal

FUSION_GROUP = "prim::FusionGroup"
MAX_KERNEL_ARGUMENTS = 64  # inputs and outputs together
# Each join re-checks the whole merged group, so a bound on its size keeps grouping
# linear in the graph's size (and each kernel quick to compile); a chain longer than
# this runs as several kernels, which adds under 1% to its memory traffic.
MAX_GROUP_MEMBERS = 128
_CALLS = frozenset({"prim::CallFunction", "prim::CallMethod", "prim::PythonOp", "prim::fork", "prim::SetAttr",
                    "prim::RaiseException"})
_SILENT = frozenset({"prim::Constant", "prim::Enter", "prim::Exit", FUSION_GROUP})


class Group:
    """Members in graph order; the group runs where ``anchor`` (a member) is."""
    __slots__ = ("members", "anchor")

    def __init__(self, node: Node):
        self.members, self.anchor = [node], node


class _Scope:
    """One block being grouped: its nodes, their positions, and where effects are."""

    def __init__(self, block: Block, effects: dict):
        self.block, self.nodes = block, list(block.nodes)
        self.position = {id(n): i for i, n in enumerate(self.nodes)}
        self.barriers = [i for i, n in enumerate(self.nodes) if _has_effect(n, effects)]
        self._raisers: list | None = None

    @property
    def raisers(self) -> list:
        """Positions of the nodes that may raise (a kernel of a DYNAMIC group raises where
        its sizes disagree), in block order; found on first need."""
        if self._raisers is None:
            self._raisers = [i for i, n in enumerate(self.nodes)
                             if (n.kind not in _SILENT or n.kind == FUSION_GROUP) and may_raise(n)]
        return self._raisers


class Grouping:
    """Decides the groups of one graph and records a reason for every node left out.
    ``reasons``: id(node) -> (node, reason) for nodes in no group; ``groups``:
    (members, anchor) pairs; ``splits``: (node, reason) where two groups stayed apart."""

    def __init__(self, graph: Graph, kind: str):
        self.graph, self.static = graph, kind == "STATIC"
        self.reasons: dict = {}
        self.groups: list = []
        self.splits: list = []
        self._effects: dict = {}  # id(node) -> _has_effect, so nested blocks are not rescanned at each level
        self._visit(graph.block)

    # -- per node ---------------------------------------------------------------------
    def why_not_fusible(self, node: Node) -> str | None:
        kind = node.kind
        if kind in ("prim::If", "prim::Loop"):
            return "control flow is not fused (its blocks are fused separately)"
        if is_element_read(node):
            return None  # an element of a multi-output node's tuple: it joins that node's group
        op = node.op
        if op is None or op.structural:
            return f"{kind} is not an array operation"
        if is_reduction(node):
            return self._reduction_refusal(node)
        if is_static_shape_list(node):
            return None  # layer_norm's normalized_shape, a list of constants: it joins its user's group
        if not op.fusible:
            return f"{op.short_name} is not elementwise"
        if has_tuple_formula(node):
            reason = tuple_refusal(node)
            if reason is not None:
                return reason
        output, *others = element_types(node)  # every element has the broadcast shape
        if not isinstance(output, T.TensorType):
            return f"{op.short_name} works on Python scalars here, not arrays"
        devices = set()
        for arg, value in zip(op.args, node.inputs):
            info = arg_info(value)
            if arg.static:
                if not info.is_constant:
                    return f"its {arg.name} is not a constant"
                continue
            if info.is_constant and info.value is None:
                continue
            kind_of_input = value.type
            if isinstance(kind_of_input, T.TensorType):
                if kind_of_input.dtype is None or kind_of_input.ndim is None:
                    return f"the dtype or rank of %{value.debug_name} is not known"
                if self.static and None in kind_of_input.shape:
                    return f"the shape of %{value.debug_name} is not known"
                devices.add(kind_of_input.device)
            elif scalar_dtype(kind_of_input) is None:
                return f"its input %{value.debug_name} is a {kind_of_input}, not an array or a number"
        if output.dtype is None or output.ndim is None or (self.static and None in output.shape):
            return "its result's dtype or shape is not known"
        if output.ndim == 0:
            # NumPy answers a NumPy scalar or a 0-d array depending on the op; unfused keeps that exact.
            return "its result is 0-d: one element gains nothing from a kernel"
        if len(devices) > 1:
            return f"different devices ({', '.join(sorted(str(d) for d in devices))})"
        backend = backend_for(next(iter(devices), output.device))
        try:
            compute = op.compute_dtypes([arg_info(v) for v in node.inputs])
        except TypeError as error:
            return f"its types are rejected: {error}"
        for dtype in [output.dtype, *(o.dtype for o in others), *(c for c in compute if c is not None)]:
            if np.dtype(dtype).name not in backend.dtypes:
                return f"{np.dtype(dtype).name} is not supported by the {backend.name} kernels"
        if op.short_name in POWER_OPS:  # the one refusal the kernels make (kernels.legalization), said early
            reason = next(filter(None, (refusal("power", c) for c in compute if c is not None)), None)
            if reason is not None:
                return reason
        return weak_int_refusal(op, [arg_info(v) for v in node.inputs], compute, output.dtype)

    def _reduction_refusal(self, node: Node) -> str | None:
        reason = reduction_node_refusal(node, self.static)
        if reason is not None:
            return reason
        source, output = node.inputs[0].type, node.output.type
        backend = backend_for(source.device)
        for dtype in (source.dtype, output.dtype):
            if np.dtype(dtype).name not in backend.dtypes:
                return f"{np.dtype(dtype).name} is not supported by the {backend.name} kernels"
        return None

    # -- per block --------------------------------------------------------------------
    def _visit(self, block: Block):
        scope = _Scope(block, self._effects)
        group_of: dict = {}
        left_alone: dict = {}
        for node in scope.nodes:
            for inner in node.blocks:
                self._visit(inner)
            if node.kind in _SILENT:
                continue
            reason = _unused_reason(node) or self.why_not_fusible(node)
            if reason is not None:
                self.reasons[id(node)] = (node, reason)
                continue
            group = Group(node)
            group_of[id(node)] = group
            producers = []
            for value in node.inputs:
                producer = group_of.get(id(value.node))
                if producer is not None and producer is not group and producer not in producers:
                    producers.append(producer)
            for producer in sorted(producers, key=lambda g: -scope.position[id(g.anchor)]):
                anchor, refusal = self._placement(scope, producer, group)
                if anchor is not None:
                    group = _merge(scope, producer, group, group_of, anchor)
                else:
                    left_alone.setdefault(id(node), refusal)
                    for member in producer.members:
                        left_alone.setdefault(id(member), refusal)
                    self.splits.append((node, refusal))
        seen = set()
        for group in group_of.values():
            if id(group) in seen:
                continue
            seen.add(id(group))
            if sum(not is_element_read(m) for m in group.members) >= 2 or fuses_alone(group.members[0]):
                self.groups.append((group.members, group.anchor))
            else:
                node = group.members[0]
                self.reasons[id(node)] = (node, left_alone.get(id(node), "no elementwise neighbour to fuse with"))

    def _placement(self, scope: _Scope, producer: Group, group: Group):
        """(anchor, None) where the merged group can run, trying where the later one
        runs (moving the producer's nodes down) and then where the earlier one runs
        (moving the consumer's nodes up); else (None, the reason)."""
        anchors = sorted({id(producer.anchor): producer.anchor, id(group.anchor): group.anchor}.values(),
                         key=lambda n: -scope.position[id(n)])
        refusal = None
        for anchor in anchors:
            refusal = self._refusal(scope, producer.members + group.members, scope.position[id(anchor)])
            if refusal is None:
                return anchor, None
        return None, refusal

    def _refusal(self, scope: _Scope, merged: list, at: int) -> str | None:
        """Why ``merged`` cannot run as one group at position ``at`` of the block, or None."""
        if len(merged) > MAX_GROUP_MEMBERS:
            return f"the group would hold more than {MAX_GROUP_MEMBERS} nodes"
        members = set(map(id, merged))
        positions = [scope.position[id(m)] for m in merged]
        low, high = min(positions + [at]), max(positions + [at])
        first = bisect.bisect_right(scope.barriers, low)  # barriers are in block order
        for index in scope.barriers[first:bisect.bisect_left(scope.barriers, high)]:
            if id(scope.nodes[index]) not in members:
                return f"would move across {_describe(scope.nodes[index])}"
        refusal = _reordered_error(scope, merged, positions, members, at)
        if refusal is not None:
            return refusal
        inputs, outputs = set(), []
        for member in merged:
            for value in member.inputs:
                if id(value.node) in members or _is_literal(value):
                    continue
                inputs.add(id(value))
                source = _ancestor_in(value.node, scope.block)
                if source is not None and scope.position.get(id(source), -1) >= at:
                    return f"%{value.debug_name} is computed after the group would run"
            for value in member.outputs:
                outside = [u.user for u in value.uses if id(_ancestor_in(u.user, scope.block)) not in members]
                for user in outside:
                    anchor = _ancestor_in(user, scope.block)
                    if anchor is None or scope.position.get(id(anchor), len(scope.nodes)) <= at:
                        return f"%{value.debug_name} is used by {_describe(anchor or user)} before the group would run"
                if outside:
                    outputs.append(value)
        if len(inputs) + len(outputs) > MAX_KERNEL_ARGUMENTS:
            return f"the group would need more than {MAX_KERNEL_ARGUMENTS} kernel arguments"
        return self._shape_refusal(merged, members, outputs)

    def _shape_refusal(self, merged, members, outputs) -> str | None:
        outputs = [o for o in outputs if isinstance(o.type, T.TensorType)]  # a tuple: its reads join later
        if any(is_reduction(m) for m in merged):
            if any(has_tuple_formula(m) for m in merged):
                return "a multi-output op does not fuse with a reduction"
            return group_refusal(merged, outputs, self.static)
        shapes = []
        for member in merged:
            for value in member.inputs:
                if id(value.node) not in members and isinstance(value.type, T.TensorType):
                    shapes.append(value.type.shape)
        rank = max([len(s) for s in shapes] + [o.type.ndim for o in outputs] + [0])
        for output in outputs:
            if output.type.ndim != rank:
                return f"its outputs would differ in rank (%{output.debug_name} has rank {output.type.ndim}, " \
                       f"the group {rank})"
        if self.static:
            try:
                full = np.broadcast_shapes(*shapes) if shapes else ()
            except ValueError:
                return "its inputs do not broadcast together"
            for output in outputs:
                if tuple(output.type.shape) != tuple(full):
                    return f"its outputs would differ in shape (%{output.debug_name} is {output.type.shape}, " \
                           f"the group {tuple(full)})"
        return None


def _reordered_error(scope: _Scope, merged: list, positions: list, members: set, at: int) -> str | None:
    """Why running ``merged`` at ``at`` would raise errors in another order than eager
    code: a member that may raise would move across another node that may raise."""
    raisers = None
    for member, position in zip(merged, positions):
        if position == at or not may_raise(member):
            continue
        if raisers is None:
            raisers = scope.raisers
        low, high = min(position, at), max(position, at)
        for index in raisers[bisect.bisect_right(raisers, low):bisect.bisect_left(raisers, high)]:
            if id(scope.nodes[index]) not in members:  # at most len(members) checks before one is not
                crossed = _describe(scope.nodes[index])
                return (f"%{member.outputs[0].debug_name} may raise, and would move across {crossed}, which may "
                        "raise too: eager code raises the first of their errors")
    return None


def _unused_reason(node: Node) -> str | None:
    """Dead-code elimination keeps an unused node only for the error it may raise
    (a broadcast of shapes not known to agree); a kernel would compute it without
    raising that, so it runs unfused, as eager code runs it."""
    if node.outputs and not any(output.uses for output in node.outputs):
        return "its result is unused: it is kept, unfused, for the error it may raise"
    return None


def _merge(scope: _Scope, first: Group, second: Group, group_of: dict, anchor: Node) -> Group:
    first.members = sorted(first.members + second.members, key=lambda n: scope.position[id(n)])
    first.anchor = anchor
    for member in second.members:
        group_of[id(member)] = first
    return first


def _ancestor_in(node: Node, block: Block):
    """``node``, or the node of ``block`` whose blocks contain it; None when outside."""
    while node is not None and node.owning_block is not block:
        owner = node.owning_block.owning_node if node.owning_block is not None else None
        node = owner
    return node


def _is_literal(value) -> bool:
    """A constant the subgraph keeps (numbers, dtypes, strings, tuples of those), or a NoneType value
    (a module's weight=None read by GetAttr: it can only be None); array constants are passed in."""
    if value.type is T.NONE:
        return True
    return value.node.kind == "prim::Constant" and not isinstance(value.node["value"], (np.ndarray, np.generic))


def _has_effect(node: Node, memo: dict) -> bool:
    known = memo.get(id(node))
    if known is None:
        op = node.op
        known = memo[id(node)] = (node.kind in _CALLS or (op is not None and (op.side_effects or op.nondeterministic))
                                  or any(_has_effect(inner, memo) for block in node.blocks for inner in block.nodes))
    return known


def _describe(node: Node) -> str:
    if node.kind == "prim::print":
        return "print"
    where = f" at {node.source_range}" if node.source_range is not None else ""
    return f"{node.kind}{where}"


def build_subgraph(members: list, block: Block):
    """(subgraph, inputs, outputs): a new graph computing ``members`` (constants
    they read are copied in), the outer values it takes and the member values
    the rest of the graph reads, in order."""
    subgraph = Graph()
    value_map: dict = {}
    member_ids = set(map(id, members))
    inputs, outputs = [], []
    for member in members:
        for value in member.inputs:
            if id(value) in value_map or id(value.node) in member_ids:
                continue
            if _is_literal(value):
                attrs = value.node.attrs if value.node.kind == "prim::Constant" else {"value": None}
                copy = subgraph.create("prim::Constant", [], [value.type], **attrs)
                subgraph.block.append(copy)
                value_map[id(value)] = copy.output
            else:
                inputs.append(value)
                value_map[id(value)] = subgraph.add_input(value.type, value.debug_name.split(".")[0]
                                                          if value.has_debug_name() else None)
        subgraph.block.append(copy_node(member, subgraph, value_map))
    for member in members:
        for value in member.outputs:
            if any(id(_ancestor_in(u.user, block)) not in member_ids for u in value.uses):  # returns included
                outputs.append(value)
                subgraph.register_output(value_map[id(value)])
    return subgraph, inputs, outputs


def replace_with_group(members: list, anchor: Node, subgraph: Graph, inputs, outputs, **attrs) -> Node:
    """Put a FusionGroup node where ``anchor`` (a member) was, route the outputs'
    uses to it, and remove the members."""
    group = anchor.graph.create(FUSION_GROUP, inputs, [v.type for v in outputs], anchor.source_range, **attrs)
    group.insert_after(anchor)
    for old, new in zip(outputs, group.outputs):
        if old.has_debug_name():
            new.set_debug_name(old.debug_name.split(".")[0])
        old.replace_all_uses_with(new)
    for member in reversed(members):
        member.destroy()
    group["Subgraph"] = subgraph
    return group
