"""The one alias analysis (TorchScript's AliasDb is the model): which values may
share memory, and which nodes write it.

Values that may share memory are in one alias set: a view and its base
(``OpDef.aliases``: ``x[0]``, ``x.T``, ``x.reshape``), an in-place result and its
target (``x += y``), a container and what it holds, a loop-carried value and the
values it is carried from, an ``if``'s result and its branches' results. Memory
from outside the graph is one set, ``EXTERNAL``: the parameters (a caller may
pass one array twice), array constants, attributes, and whatever a call returns
or is handed. A node writes the sets of the arguments its op declares written
(``OpDef.writes``); a call may write anything external.

Passes ask here instead of guessing: common subexpressions are not merged across
a write (``epoch_key``), code that computes a value where it is used is not moved
past a write (``values_not_to_move``), a forwarded value is not one that is
written (``is_written``).
"""
from __future__ import annotations

from jit import types as T

from .graph import Block, Graph, Node, Value

EXTERNAL = "external"
_CALLS = frozenset({"prim::CallFunction", "prim::CallMethod", "prim::PythonOp", "prim::fork"})
_EXTERNAL_SOURCES = _CALLS | {"prim::GetAttr", "prim::wait"}
_EXTERNAL_SINKS = _CALLS | {"prim::SetAttr", "prim::CreateObject"}


def holds_memory(kind: T.Type) -> bool:
    """Whether a value of this type may be, or hold, an array."""
    return kind.contains_tensor() or kind == T.ANY or isinstance(kind, T.ClassType)


class AliasDb:
    """Alias sets and writes of one graph (or block), as it is when built."""

    def __init__(self, graph_or_block):
        block = graph_or_block.block if isinstance(graph_or_block, Graph) else graph_or_block
        self._parent: dict = {EXTERNAL: EXTERNAL}
        self._values: dict = {}  # id -> value: keeps ids from being reused while the db lives
        self._written: set = set()  # roots written somewhere
        self._node_writes: dict = {}  # id(node) -> keys it writes directly
        self._writers: list = []
        self._top = block
        for param in block.params:
            if holds_memory(param.type):
                self._union(self._key(param), EXTERNAL)
        self._visit(block)
        self._written = {self._find(k) for keys in self._node_writes.values() for k in keys}

    # -- union-find ----------------------------------------------------------------
    def _key(self, value: Value):
        key = id(value)
        if key not in self._parent:
            self._parent[key] = key
            self._values[key] = value
        return key

    def _find(self, key):
        parent = self._parent
        root = key
        while parent[root] != root:
            root = parent[root]
        while parent[key] != root:
            parent[key], key = root, parent[key]
        return root

    def _union(self, a, b):
        root_a, root_b = self._find(a), self._find(b)
        if root_a != root_b:
            if root_b == EXTERNAL:
                root_a, root_b = root_b, root_a
            self._parent[root_b] = root_a

    def _join(self, values):
        keys = [self._key(v) for v in values if holds_memory(v.type)]
        for other in keys[1:]:
            self._union(keys[0], other)

    # -- building --------------------------------------------------------------------
    def _visit(self, block: Block):
        for node in block.nodes:
            for inner in node.blocks:
                self._visit(inner)
            self._add(node)

    def _add(self, node: Node):
        kind, op = node.kind, node.op
        memory_inputs = [v for v in node.inputs if holds_memory(v.type)]
        memory_outputs = [v for v in node.outputs if holds_memory(v.type)]
        for value in memory_outputs:
            self._key(value)  # a set of its own unless joined below
        for value in (p for block in node.blocks for p in block.params if holds_memory(p.type)):
            self._key(value)
        if kind == "prim::Loop":
            body = node.blocks[0]
            for outer, param, result, output in zip(node.inputs[2:], body.params[1:], body.returns[1:], node.outputs):
                self._join([outer, param, result, output])
        elif kind == "prim::If":
            for index, output in enumerate(node.outputs):
                self._join([output] + [branch.returns[index] for branch in node.blocks])
        elif node.blocks:  # other blocks: everything in and out may be one memory
            self._join(memory_inputs + memory_outputs + [v for b in node.blocks for v in b.params + b.returns])
        if kind == "prim::Constant":
            if memory_outputs and not isinstance(node["value"], (str, type(None))):
                self._union(self._key(node.output), EXTERNAL)
            return
        if kind in _EXTERNAL_SINKS:
            for value in memory_inputs:
                self._union(self._key(value), EXTERNAL)
        if kind in _EXTERNAL_SOURCES:
            for value in memory_outputs:
                self._union(self._key(value), EXTERNAL)
        if kind in _CALLS:  # any call: a saved model's stand-ins for @ignore'd code must be judged alike
            self._node_writes[id(node)] = (EXTERNAL,)
            self._writers.append(node)
        elif op is not None and op.writes:
            self._node_writes[id(node)] = tuple(self._key(node.inputs[i]) for i in op.writes
                                                if i < len(node.inputs) and holds_memory(node.inputs[i].type))
            self._writers.append(node)
        if node.blocks or op is None or kind in _EXTERNAL_SOURCES or self._only_returned(node):
            return
        if _makes_new_memory(node):
            return
        self._join(memory_inputs + memory_outputs)

    def _only_returned(self, node: Node) -> bool:
        """A tuple (or list) built only to be returned: nothing in the graph reads
        through it, so its elements need not share one alias set."""
        return node.kind in _REFERENCES and bool(node.outputs) and all(
            use.user.kind == "prim::Return" and use.user.owning_block is self._top
            for output in node.outputs for use in output.uses)

    # -- questions ---------------------------------------------------------------------
    def memory(self, value: Value):
        """The alias set of ``value`` (None for a value that cannot hold an array);
        a value the db has not seen (made after it was built) may be anything external."""
        if not holds_memory(value.type):
            return None
        key = id(value)
        if key not in self._parent:
            return EXTERNAL
        return self._find(key)

    def knows(self, value: Value) -> bool:
        """Whether ``value`` was in the graph when the db was built."""
        return id(value) in self._parent and self._values.get(id(value)) is value

    def may_alias(self, a: Value, b: Value) -> bool:
        """Whether ``a`` and ``b`` may share memory."""
        first, second = self.memory(a), self.memory(b)
        return first is not None and first == second

    def is_written(self, value: Value) -> bool:
        """Whether any node of the graph writes memory ``value`` may share."""
        memory = self.memory(value)
        return memory is not None and memory in self._written

    def writes(self, node: Node) -> set:
        """The alias sets ``node`` writes, in its blocks too."""
        found = {self._find(k) for k in self._node_writes.get(id(node), ())}
        for block in node.blocks:
            for inner in block.nodes:
                found |= self.writes(inner)
        return found

    def writes_memory_of(self, node: Node, values) -> bool:
        """Whether ``node`` (or a node in its blocks) may write what one of ``values`` holds."""
        written = self.writes(node)
        return bool(written) and any(self.memory(v) in written for v in values)

    def reads_written_memory(self, node: Node) -> bool:
        """Whether ``node`` reads memory that some node of the graph writes: moving
        it, or merging it with another read, could change what it reads."""
        return any(self.is_written(v) for v in node.inputs)

    @property
    def writers(self) -> list:
        return list(self._writers)


def _makes_new_memory(node: Node) -> bool:
    """An array op that returns a new array (``a + b``, ``x.sum()``): its result
    shares no memory with its inputs. Views, containers and casts to Any do."""
    op = node.op
    if op.aliases or op.structural:
        return False
    if any(isinstance(v.type, (T.ListType, T.DictType, T.TupleType, T.ClassType)) or v.type == T.ANY
           for v in list(node.inputs) + list(node.outputs) if holds_memory(v.type)):
        return False
    return True


# Nodes that only hold references to arrays, not read what is in them.
_REFERENCES = frozenset({"prim::TupleConstruct", "prim::ListConstruct", "prim::DictConstruct", "prim::SliceConstruct",
                         "prim::unchecked_cast"})


# ... and nodes that read only what a write cannot change: identity, shape, dtype.
_METADATA = _REFERENCES | {"prim::is", "prim::is_not", "prim::len", "np::shape", "np::ndim", "np::size", "np::dtype"}


def values_not_to_move(block: Block, inlined: set) -> set:
    """ids of the values of ``inlined`` (candidates for being computed where they are
    used, in ``block`` and nested blocks) that must be computed where they are: the
    arrays an op writes into (which must be names, not expressions: ``x += y`` rebinds
    x), and the reads of written memory that would move across a write of that memory
    (``cell(xs[i], h)`` reads xs[i] right before the call: nothing moves)."""
    db = AliasDb(block)
    if not db.writers:
        return set()
    kept, reads = set(), []
    pending = [block]
    while pending:
        current = pending.pop()
        for node in current.nodes:
            pending.extend(node.blocks)
            if node.outputs and node.kind not in _METADATA and db.reads_written_memory(node):
                reads.append(node)
            op = node.op
            if op is not None and op.writes:
                kept.update(id(node.inputs[i]) for i in op.writes if i < len(node.inputs))
    remaining = set(inlined) - kept
    while True:  # keeping one read in place moves where the reads it feeds are evaluated
        moved = {id(v) for node in reads for v in node.outputs
                 if id(v) in remaining and _crosses_a_write(db, node, remaining)}
        if not moved:
            return kept | (set(inlined) & {id(v) for node in reads for v in node.outputs} - remaining)
        remaining -= moved


def _crosses_a_write(db: AliasDb, read: Node, inlined: set) -> bool:
    """Whether computing ``read`` where its (inlined) consumers are evaluated would run it
    after a node that may write what it reads."""
    user = read
    while True:
        uses = [use for value in user.outputs for use in value.uses]
        if len(uses) != 1:
            return True
        user = uses[0].user
        if not (user.outputs and id(user.outputs[0]) in inlined):
            break
    if user.owning_block is not read.owning_block:
        return True
    between = read.next
    while between is not None and between is not user:
        if db.writes_memory_of(between, read.inputs):
            return True
        between = between.next
    return between is None


def epoch_key(db: AliasDb, node: Node, epochs: dict):
    """For merging equal reads: the write epochs of the memory ``node`` reads, so that
    two reads with a write of that memory between them get different keys."""
    return tuple(epochs.get(db.memory(v), 0) for v in node.inputs if db.is_written(v))


def escapes(value: Value) -> bool:
    """Whether ``value`` (or a view of it) may be seen beyond pure reads: returned,
    stored in a container or attribute, handed to a call, printed or written.
    Rewrites that forward a value (``x * 1`` becomes ``x``) or merge two equal ones
    make two names share one array, which only such a use could notice."""
    for use in value.uses:
        user = use.user
        op = user.op
        if op is None or op.structural or op.side_effects:
            return True  # a block return, a call, an attribute store, a write, print...
        if op.aliases:
            if any(escapes(output) for output in user.outputs):
                return True
        elif any(_holds_arrays(output.type) for output in user.outputs):
            return True  # built into a tuple, list or dict
    return False


def _holds_arrays(kind: T.Type) -> bool:
    return kind.contains_tensor() and not isinstance(kind, T.TensorType)
