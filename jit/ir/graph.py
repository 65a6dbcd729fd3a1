"""The SSA IR: Graph, Block, Node, Value.

As in TorchScript, a Block's parameters are the outputs of its ``prim::Param``
node and its returns are the inputs of its ``prim::Return`` node, so every
definition is a node output and every use is a node input: ``value.uses`` is
complete and rewrites are ``value.replace_all_uses_with(other)`` and
``node.destroy()``. A Block's nodes form a doubly linked list between those two
sentinels, so inserting and moving nodes is cheap.
"""
from __future__ import annotations

import re
import types as _pytypes
from itertools import chain as _chain
from typing import Iterator

from jit import ops as _ops
from jit import types as T

PARAM, RETURN = "prim::Param", "prim::Return"
# The deepest nesting of blocks a graph may have. Passes, the printers and the code
# generator walk nested blocks recursively, a few Python frames per level; the frontend
# refuses deeper code and inlining stops short of it, so none of them hits the
# interpreter's recursion limit.
MAX_BLOCK_DEPTH = 128
_NO_BLOCKS: tuple = ()
_NO_ATTRS = _pytypes.MappingProxyType({})  # shared by the nodes without attributes, read-only
_NUMBERED = re.compile(r"^(.*)\.(\d+)$")


class Use:
    __slots__ = ("user", "index")

    def __init__(self, user: "Node", index: int):
        self.user, self.index = user, index

    def __eq__(self, other):
        return isinstance(other, Use) and self.user is other.user and self.index == other.index

    def __hash__(self):
        return hash((id(self.user), self.index))

    def __repr__(self):
        return f"Use({self.user.kind}, {self.index})"


class Value:
    __slots__ = ("node", "offset", "type", "uses", "unique", "_debug_name")

    def __init__(self, node: "Node", offset: int, type: T.Type):
        self.node, self.offset, self.type = node, offset, type
        self.uses: list[Use] = []
        self.unique = node.graph._new_unique()
        self._debug_name = None

    @property
    def graph(self) -> "Graph":
        return self.node.graph

    @property
    def debug_name(self) -> str:
        """The printed name: the variable's name (``x.1``) or the unique number."""
        return self._debug_name if self._debug_name is not None else str(self.unique)

    def has_debug_name(self) -> bool:
        return self._debug_name is not None

    def set_debug_name(self, name: str) -> "Value":
        """Name this value; a value already holding the name is renamed ``name.N``,
        so the newest definition of a variable carries its plain name."""
        if not name or name.isdigit() or not (name[0].isalpha() or name[0] == "_"):
            raise ValueError(f"invalid debug name {name!r}")
        graph = self.graph
        if self._debug_name is not None:
            graph._names.pop(self._debug_name, None)
        holder = graph._names.get(name)
        if holder is not None and holder is not self:
            holder.set_debug_name(graph._fresh_numbered(name))
        graph._names[name] = self
        self._debug_name = name
        return self

    def replace_all_uses_with(self, other: "Value"):
        if other is self:
            return
        for use in self.uses:  # all at once: one by one would search the use list for each
            _check_same_graph(use.user, other)
            use.user.inputs[use.index] = other
        other.uses.extend(self.uses)
        self.uses.clear()

    def __repr__(self):
        return f"%{self.debug_name} : {self.type}"


class Node:
    __slots__ = ("graph", "kind", "op", "inputs", "outputs", "attrs", "blocks", "source_range",
                 "owning_block", "prev", "next")

    def __init__(self, graph: "Graph", kind: str, source_range=None):
        self.graph, self.kind = graph, kind
        self.op = None if kind in (PARAM, RETURN) else _ops.lookup(kind)
        self.inputs: list[Value] = []
        self.outputs: list[Value] = []
        self.attrs: dict = _NO_ATTRS  # a dict of its own once it gets one: most nodes have none
        self.blocks: list[Block] = _NO_BLOCKS  # likewise
        self.source_range = source_range
        self.owning_block: Block | None = None
        self.prev: Node | None = None
        self.next: Node | None = None

    # -- inputs and outputs ---------------------------------------------------------
    def add_input(self, value: Value) -> Value:
        _check_same_graph(self, value)
        value.uses.append(Use(self, len(self.inputs)))
        self.inputs.append(value)
        return value

    def replace_input(self, index: int, value: Value):
        _check_same_graph(self, value)
        old = self.inputs[index]
        del old.uses[_use_position(old.uses, self, index)]
        self.inputs[index] = value
        value.uses.append(Use(self, index))

    def remove_input(self, index: int):
        if not 0 <= index < len(self.inputs):
            raise IndexError(f"{self.kind} has no input {index}: it has {len(self.inputs)}")
        uses = self.inputs[index].uses
        del uses[_use_position(uses, self, index)]
        for later in range(index + 1, len(self.inputs)):
            uses = self.inputs[later].uses
            # renumbered in place: a Use a caller holds (a copy of a use list) stays right
            uses[_use_position(uses, self, later)].index = later - 1
        del self.inputs[index]

    def remove_all_inputs(self):
        while self.inputs:
            self.remove_input(len(self.inputs) - 1)

    def add_output(self, type: T.Type) -> Value:
        value = Value(self, len(self.outputs), type)
        self.outputs.append(value)
        return value

    def erase_output(self, index: int):
        if not 0 <= index < len(self.outputs):
            raise IndexError(f"{self.kind} has no output {index}: it has {len(self.outputs)}")
        value = self.outputs[index]
        if value.uses:
            raise RuntimeError(f"cannot erase output {value!r} of {self.kind}: it still has uses")
        del self.outputs[index]
        for later in self.outputs[index:]:
            later.offset -= 1

    @property
    def output(self) -> Value:
        if len(self.outputs) != 1:
            raise RuntimeError(f"{self.kind} has {len(self.outputs)} outputs, not one")
        return self.outputs[0]

    def add_block(self) -> "Block":
        block = Block(self.graph, self)
        if self.blocks is _NO_BLOCKS:
            self.blocks = []
        self.blocks.append(block)
        return block

    # -- position ----------------------------------------------------------------
    def is_inserted(self) -> bool:
        return self.owning_block is not None

    def insert_before(self, other: "Node") -> "Node":
        """Put this (uninserted) node just before ``other``."""
        if self.is_inserted():
            raise RuntimeError(f"{self.kind} is already in a block; use move_before")
        prev = other.prev
        self.prev, self.next, prev.next, other.prev = prev, other, self, self
        self.owning_block = other.owning_block
        return self

    def insert_after(self, other: "Node") -> "Node":
        return self.insert_before(other.next)

    def move_before(self, other: "Node") -> "Node":
        self._unlink()
        return self.insert_before(other)

    def move_after(self, other: "Node") -> "Node":
        self._unlink()
        return self.insert_after(other)

    def _unlink(self):
        if self.kind in (PARAM, RETURN):
            raise RuntimeError(f"{self.kind} cannot be moved or removed")
        if self.owning_block is not None:
            self.prev.next, self.next.prev = self.next, self.prev
            self.prev = self.next = self.owning_block = None

    def destroy(self):
        """Remove the node from its block and from the use lists of its inputs.
        Its outputs must have no uses left."""
        for value in self.outputs:
            if value.uses:
                raise RuntimeError(f"cannot destroy {self.kind}: output %{value.debug_name} still has uses")
        for block in list(self.blocks):
            block.destroy()
        self.remove_all_inputs()
        for value in self.outputs:
            if value._debug_name is not None and self.graph._names.get(value._debug_name) is value:
                del self.graph._names[value._debug_name]
        self._unlink()

    # -- attributes -----------------------------------------------------------------
    def __getitem__(self, name):
        return self.attrs[name]

    def __setitem__(self, name, value):
        if self.attrs is _NO_ATTRS:
            self.attrs = {}
        self.attrs[name] = value

    def __repr__(self):
        from .printer import node_text  # noqa: PLC0415 - printer imports this module

        return node_text(self).rstrip()


def _use_position(uses: list, user: Node, index: int) -> int:
    """Where ``uses`` holds input ``index`` of ``user``. Searched from both ends at
    once: removals in program order (a fusion group's members, one group after
    another) find theirs near the front, in reverse order (dead code) near the end,
    so removing all the uses of a value with many stays linear."""
    low, high = 0, len(uses) - 1
    while low <= high:
        for position in (high, low):
            use = uses[position]
            if use.user is user and use.index == index:
                return position
        low, high = low + 1, high - 1
    raise ValueError(f"input {index} of {user.kind} is not in its value's use list")


def _check_same_graph(node, value):
    if value.graph is not node.graph:
        raise RuntimeError(f"%{value.debug_name} belongs to another graph than {node.kind}")


class Block:
    __slots__ = ("graph", "owning_node", "param_node", "return_node")

    def __init__(self, graph: "Graph", owning_node: Node | None):
        self.graph, self.owning_node = graph, owning_node
        self.param_node = Node(graph, PARAM)
        self.return_node = Node(graph, RETURN)
        for sentinel in (self.param_node, self.return_node):
            sentinel.owning_block = self
        self.param_node.next, self.return_node.prev = self.return_node, self.param_node

    @property
    def params(self) -> list[Value]:
        return self.param_node.outputs

    @property
    def returns(self) -> list[Value]:
        return self.return_node.inputs

    def add_param(self, type: T.Type, name: str | None = None) -> Value:
        value = self.param_node.add_output(type)
        if name:
            value.set_debug_name(name)
        return value

    def register_output(self, value: Value) -> int:
        self.return_node.add_input(value)
        return len(self.return_node.inputs) - 1

    @property
    def nodes(self) -> Iterator[Node]:
        """The nodes in order; safe against destroying the current node."""
        node = self.param_node.next
        while node is not self.return_node:
            following = node.next
            yield node
            node = following

    def append(self, node: Node) -> Node:
        return node.insert_before(self.return_node)

    def prepend(self, node: Node) -> Node:
        return node.insert_after(self.param_node)

    def destroy(self):
        self.return_node.remove_all_inputs()
        for node in reversed(list(self.nodes)):
            for value in node.outputs:
                while value.uses:  # read afresh: each removal renumbers its user's later inputs
                    use = value.uses[-1]
                    use.user.remove_input(use.index)
            node.destroy()
        if self.owning_node is not None and self in self.owning_node.blocks:
            self.owning_node.blocks.remove(self)

    def __repr__(self):
        return f"<Block of {self.owning_node.kind if self.owning_node else 'graph'}>"


class Graph:
    def __init__(self):
        self._unique = 0
        self._names: dict[str, Value] = {}
        self._suffixes: dict[str, int] = {}
        self.block = Block(self, None)

    def _new_unique(self) -> int:
        self._unique += 1
        return self._unique - 1

    def _fresh_numbered(self, name: str) -> str:
        match = _NUMBERED.match(name)
        base, suffix = (match.group(1), int(match.group(2))) if match else (name, 1)
        suffix = max(suffix, self._suffixes.get(base, 0) + 1)
        while f"{base}.{suffix}" in self._names:
            suffix += 1
        self._suffixes[base] = suffix
        return f"{base}.{suffix}"

    @property
    def inputs(self) -> list[Value]:
        return self.block.params

    @property
    def outputs(self) -> list[Value]:
        return self.block.returns

    def add_input(self, type: T.Type, name: str | None = None) -> Value:
        return self.block.add_param(type, name)

    def register_output(self, value: Value) -> int:
        return self.block.register_output(value)

    def create(self, kind: str, inputs=(), output_types=(), source_range=None, **attrs) -> Node:
        """A new node, not yet inserted."""
        node = Node(self, kind, source_range)
        for value in inputs:
            node.add_input(value)
        for type in output_types:
            node.add_output(type)
        if attrs:
            node.attrs = attrs  # the call's own fresh dict: no second copy per node
        return node

    def all_nodes(self) -> Iterator[Node]:
        """Every node, nested blocks included, in program order."""
        pending = [self.block.nodes]  # a stack of iterators, not nested generators: no cost per level
        while pending:
            node = next(pending[-1], None)
            if node is None:
                pending.pop()
                continue
            yield node
            if node.blocks:
                pending.append(inner for block in node.blocks for inner in block.nodes)

    def __str__(self):
        from .printer import graph_text  # noqa: PLC0415 - printer imports this module

        return graph_text(self)

    def __repr__(self):
        return str(self)


def block_depth(block: Block) -> int:
    """How many levels of blocks nest inside ``block`` (0: none)."""
    deepest, pending = 0, [(block, 0)]
    while pending:
        current, depth = pending.pop()
        deepest = max(deepest, depth)
        pending.extend((inner, depth + 1) for node in current.nodes for inner in node.blocks)
    return deepest


def depth_of(node: Node) -> int:
    """How many blocks enclose ``node`` below its graph's top block."""
    depth, block = 0, node.owning_block
    while block is not None and block.owning_node is not None:
        depth, block = depth + 1, block.owning_node.owning_block
    return depth


def free_values(node: Node) -> list[Value]:
    """The values ``node`` reads (itself or in its blocks) that are defined outside it, once each."""
    blocks, pending = [], list(node.blocks)
    while pending:
        block = pending.pop()
        blocks.append(block)
        for inner in block.nodes:
            pending.extend(inner.blocks)
    defined = {id(v) for block in blocks for v in block.params}
    defined.update(id(v) for block in blocks for inner in block.nodes for v in inner.outputs)
    free: dict[int, Value] = {}
    for value in _chain(node.inputs, (v for block in blocks for inner in block.nodes for v in inner.inputs),
                        (v for block in blocks for v in block.returns)):
        if id(value) not in defined:
            free.setdefault(id(value), value)
    return list(free.values())
