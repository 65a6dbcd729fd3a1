"""Type propagation: given refined input types (dtype, shape, device), compute
the refined type of every value the op type rules can follow.

Each node's type comes from its op's rule applied to its inputs' current types;
``prim::If`` outputs join the two branches; loop-carried values join their
initial value with what the body gives until that is stable. A value keeps its
declared type where a rule cannot say more (calls, attribute reads, a rule that
rejects the inputs: the run will raise as eager code does).
"""
from __future__ import annotations

import device as _device
from jit import types as T
from jit.ir import Block, Graph, Node, arg_info

_MAX_LOOP_ROUNDS = 4


def propagate_types(graph: Graph) -> None:
    """Refine the types of ``graph``'s values from the types of its inputs."""
    declared = {id(v): v.type for node in graph.all_nodes() for v in _defined(node)}
    _Propagation(declared).block(graph.block)


def erase_types(graph: Graph) -> None:
    """Forget every refinement (a trace records the types of the inputs it was traced
    with, which other inputs need not share), so propagation starts from what is declared.
    An array constant keeps its dtype and shape: they are facts of its value (a frozen
    module's weights), true for every input."""
    for node in graph.all_nodes():
        if node.kind == "prim::Constant" and _device.is_array(node["value"]):
            continue
        for value in _defined(node):
            value.type = T.erase_refinement(value.type)
    for value in graph.inputs:
        value.type = T.erase_refinement(value.type)


def join_types(a: T.Type, b: T.Type) -> T.Type:
    """What two refined types have in common (a Float(4, *) and a Float(8, *) give Float(*, *))."""
    if a == b:
        return a
    if isinstance(a, T.TensorType) and isinstance(b, T.TensorType):
        shape = None
        if a.shape is not None and b.shape is not None and len(a.shape) == len(b.shape):
            shape = tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
        return T.TensorType(a.dtype if T.same_dtype(a.dtype, b.dtype) else None, shape,
                            a.device if a.device == b.device else None)
    if isinstance(a, T.TupleType) and isinstance(b, T.TupleType) and type(a) is type(b) is T.TupleType \
            and len(a.elements) == len(b.elements):
        return T.TupleType([join_types(x, y) for x, y in zip(a.elements, b.elements)])
    return T.unify(T.erase_refinement(a), T.erase_refinement(b)) or T.ANY


def _unknown_rank(kind) -> bool:
    return isinstance(kind, T.TensorType) and kind.shape is None


def _defined(node: Node):
    yield from node.outputs
    for block in node.blocks:
        yield from block.params


class _Propagation:
    def __init__(self, declared: dict):
        self.declared = declared
        self.reached: dict[int, list] = {}  # id(loop) -> its carried types when its last visit ended

    def set(self, value, kind: T.Type):
        declared = self.declared.get(id(value), value.type)
        if isinstance(declared, T.NamedTupleType) and type(kind) is T.TupleType \
                and len(kind.elements) == len(declared.elements):
            kind = T.NamedTupleType(declared.cls, kind.elements)  # rules build plain tuples; the class stays
        value.type = kind if kind.is_subtype_of(declared) else declared

    def block(self, block: Block):
        for node in block.nodes:
            self.node(node)

    def node(self, node: Node):
        kind = node.kind
        if kind == "prim::If":
            for inner in node.blocks:
                self.block(inner)
            for index, output in enumerate(node.outputs):
                # A branch that raised gives prim::Uninitialized: only the other one reaches the output.
                results = [inner.returns[index] for inner in node.blocks
                           if inner.returns[index].node.kind != "prim::Uninitialized"]
                if results:
                    self.set(output, join_types(results[0].type, results[-1].type))
        elif kind == "prim::Loop":
            self.loop(node)
        elif kind == "prim::TupleUnpack":
            source = node.inputs[0].type
            if type(source) is T.TupleType or isinstance(source, T.NamedTupleType):
                for output, element in zip(node.outputs, source.elements):
                    self.set(output, element)
        elif node.op is not None and node.op.rule is not None and not node.op.structural and len(node.outputs) == 1:
            try:
                result = node.op.result_type([arg_info(v) for v in node.inputs])
            except TypeError:
                result = self.declared.get(id(node.output), node.output.type)
            if node.op.number_for_0d_inputs and result in T.PYTHON_SCALAR_TYPES \
                    and _unknown_rank(self.declared.get(id(node.output))):
                # An op that gives an array or a Python number by its inputs' shapes (np.random.normal of
                # 0-d parameters is a float): typed Tensor while they were unknown, the number once known.
                node.output.type = result
                return
            self.set(node.output, result)

    def loop(self, node: Node):
        body = node.blocks[0]
        carried = list(zip(node.inputs[2:], body.params[1:], body.returns[1:], node.outputs))
        for _, param, _, _ in carried:
            param.type = self.declared[id(param)]  # first round from what is declared, refined below
        current = [initial.type for initial, _, _, _ in carried]
        reached = self.reached.get(id(node))
        if reached is not None:
            # Visited again, in another round of a loop around it: types only widen, so go on
            # from what the last visit reached. Restarting would redo every round of the loops
            # inside it each time: rounds would multiply with the depth of the nest.
            current = [join_types(old, new) for old, new in zip(reached, current)]
        for _ in range(_MAX_LOOP_ROUNDS):
            for kind, (_, param, _, _) in zip(current, carried):
                self.set(param, kind)
            self.block(body)
            joined = [join_types(param.type, result.type) for _, param, result, _ in carried]
            if joined == [param.type for _, param, _, _ in carried]:
                break
            current = joined
        else:  # not stable: give up refining what kept changing
            for _, param, _, _ in carried:
                param.type = self.declared[id(param)]
            self.block(body)
        for _, param, _, output in carried:
            output.type = param.type
        self.reached[id(node)] = [param.type for _, param, _, _ in carried]
