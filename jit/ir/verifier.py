"""The IR verifier: structure, use lists, SSA dominance, schema arity and types.

Tests run ``verify(graph)`` after every transformation; a failure names the
node and what is wrong with it.
"""
from __future__ import annotations

from jit import types as T

from jit.ops import ArgInfo

from .constants import arg_info
from .graph import PARAM, RETURN, Block, Graph, Node, Use
from .printer import node_text


class VerificationError(RuntimeError):
    pass


def _fail(node: Node, message: str):
    text = node_text(node).strip().splitlines()[0] if node.kind not in (PARAM, RETURN) else node.kind
    raise VerificationError(f"{message}\n  in: {text}")


def verify(graph: Graph) -> Graph:
    """Check ``graph``; raise VerificationError on the first problem found."""
    if graph.block.owning_node is not None:
        raise VerificationError("the graph's top block must not have an owning node")
    walk = _Walk(graph)
    walk.block(graph.block)
    walk.check_use_counts()
    return graph


class _Walk:
    """One pass over the graph, linear in its size: ``visible`` holds the ids of the
    values in scope (a block's own leave with it), and ``reads`` counts each value's
    input slots, to compare with its use list once at the end."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.visible: set[int] = set()
        self.reads: dict[int, list] = {}  # id(value) -> [value, number of input slots reading it]

    def block(self, block: Block):
        own: list[int] = []
        _verify_definitions(block.param_node)
        self.define(block.params, own)
        previous = block.param_node
        for node in block.nodes:
            if node.owning_block is not block:
                _fail(node, "node's owning_block is not the block it is listed in")
            if node.prev is not previous or previous.next is not node:
                _fail(node, "broken node list links")
            if node.graph is not self.graph:
                _fail(node, "node belongs to another graph")
            self.read_inputs(node)
            for index, inner in enumerate(node.blocks):
                if inner.owning_node is not node:
                    _fail(node, f"block{index}'s owning_node is not this node")
                self.block(inner)
            _verify_definitions(node)
            _verify_types(node)
            self.define(node.outputs, own)
            previous = node
        if block.return_node.prev is not previous:
            _fail(block.return_node, "broken node list links at the block's end")
        self.read_inputs(block.return_node)
        self.visible.difference_update(own)

    def define(self, values, own: list):
        for value in values:
            self.visible.add(id(value))
            own.append(id(value))

    def read_inputs(self, node: Node):
        for value in node.inputs:
            if id(value) not in self.visible:
                _fail(node, f"input %{value.debug_name} is used before it is defined, or outside its scope")
            entry = self.reads.get(id(value))
            if entry is None:
                self.reads[id(value)] = [value, 1]
            else:
                entry[1] += 1

    def check_use_counts(self):
        """Every use names a slot that reads the value, none twice (``_verify_definitions``);
        so a use list as long as the slots reading the value lists each exactly once.
        Where the lengths differ, find the slot at fault (a second walk, only then)."""
        suspects = {key: value for key, (value, count) in self.reads.items() if count != len(value.uses)}
        if not suspects:
            return
        for node in self.graph.all_nodes():
            for sentinel_or_node in (node, *(b.return_node for b in node.blocks)):
                _check_recorded(sentinel_or_node, suspects)
        _check_recorded(self.graph.block.return_node, suspects)


def _check_recorded(node: Node, suspects: dict):
    for index, value in enumerate(node.inputs):
        if id(value) in suspects and value.uses.count(Use(node, index)) != 1:
            _fail(node, f"input {index} (%{value.debug_name}) is not recorded exactly once in its use list")


def _verify_definitions(node: Node):
    for offset, value in enumerate(node.outputs):
        if value.node is not node or value.offset != offset:
            _fail(node, f"output %{value.debug_name} does not point back to its node and offset")
        for use in value.uses:
            user = use.user
            if use.index >= len(user.inputs) or user.inputs[use.index] is not value:
                _fail(node, f"%{value.debug_name} lists a use by {user.kind} that does not read it")
            if user.owning_block is None:
                _fail(node, f"%{value.debug_name} is used by a {user.kind} that is not in the graph")
        if len(value.uses) > 1:
            _verify_no_use_twice(value)


def _verify_no_use_twice(value):
    seen = set()
    for use in value.uses:
        key = (id(use.user), use.index)
        if key in seen:
            _fail(use.user, f"input {use.index} (%{value.debug_name}) is not recorded exactly once in its use list")
        seen.add(key)


def _verify_types(node: Node):
    kind = node.kind
    if kind == "prim::Constant":
        return _verify_constant(node)
    if kind == "prim::If":
        return _verify_if(node)
    if kind == "prim::Loop":
        return _verify_loop(node)
    if kind in ("prim::TupleUnpack", "prim::ListUnpack"):
        return _verify_unpack(node)
    if kind == "prim::Uninitialized":
        if node.inputs or len(node.outputs) != 1:
            _fail(node, "prim::Uninitialized takes no inputs and has one output")
        return
    if kind in ("prim::CallFunction", "prim::PythonOp", "prim::Enter", "prim::Exit"):
        return _verify_call_or_marker(node)
    if kind in ("prim::CreateObject", "prim::GetAttr", "prim::SetAttr", "prim::CallMethod"):
        return _verify_object_op(node)
    if kind == "prim::fork":
        if node.blocks or len(node.outputs) != 1 or not isinstance(node.output.type, T.FutureType) \
                or node.attrs.get("call") not in ("prim::CallFunction", "prim::CallMethod", "prim::PythonOp"):
            _fail(node, "prim::fork starts a CallFunction, CallMethod or PythonOp call and gives one Future")
        return
    if kind == "prim::FusionGroup":
        return _verify_fusion_group(node)
    if kind == "prim::annotate":
        if len(node.inputs) != 1 or len(node.outputs) != 1 \
                or not node.inputs[0].type.is_subtype_of(node.output.type):
            _fail(node, "prim::annotate widens one value to a type it belongs to")
        return
    op = node.op
    if node.blocks:
        _fail(node, f"{kind} does not take blocks")
    expected = len(op.args)
    if (len(node.inputs) < expected - 1) if op.variadic else (len(node.inputs) != expected):
        _fail(node, f"{kind} takes {'at least ' + str(expected - 1) if op.variadic else expected} inputs, "
                    f"got {len(node.inputs)}")
    for index, value in enumerate(node.inputs):
        arg = op.args[min(index, len(op.args) - 1)]
        if not value.type.is_subtype_of(arg.type):
            _fail(node, f"input {index} (%{value.debug_name}) of type {value.type} does not match "
                        f"argument '{arg.name}' of type {arg.type}")
    if op.returns is None:  # print, raise: no value
        if node.outputs:
            _fail(node, f"{kind} has no outputs, but this node has {len(node.outputs)}")
        return
    if len(node.outputs) != 1:
        _fail(node, f"{kind} must have one output, has {len(node.outputs)}")
    if not node.output.type.is_subtype_of(op.returns):
        _fail(node, f"output type {node.output.type} is not a {op.returns}")
    try:
        expected = T.erase_refinement(op.result_type([arg_info(v) for v in node.inputs]))
    except TypeError as error:
        # Refined inputs the rule rejects (shapes that do not broadcast) mean the node raises
        # when it runs, as eager code would: only the declared types must fit.
        try:
            expected = T.erase_refinement(op.result_type([_erased_info(v) for v in node.inputs]))
        except TypeError:
            _fail(node, f"the type rule of {kind} rejects its inputs: {error}")
    # A specialized graph may know more than the rule (refined types), never something else;
    # a Scalar (x.item() typed before x's dtype was known) is what int, float and bool refine.
    unrefined_number = node.output.type == T.NUMBER and expected in T.PYTHON_SCALAR_TYPES
    # An op that gives an array or a Python number by its inputs' shapes (np.random.normal of 0-d
    # parameters) is typed Tensor while they are unknown, the number once they are 0-d: between a
    # pass that changes what is known (inlining a callee, a trace's erased types) and type
    # propagation, either may stand where the rule says the other.
    unpropagated_number = op.number_for_0d_inputs and any(
        isinstance(tensor, T.TensorType) and tensor.shape is None and number in T.PYTHON_SCALAR_TYPES
        and number.is_subtype_of(op.returns)
        for tensor, number in ((node.output.type, expected), (expected, node.output.type)))
    if not node.output.type.is_subtype_of(expected) and not unrefined_number and not unpropagated_number:
        _fail(node, f"output type {node.output.type} is not what {kind} gives for these inputs ({expected})")


def _verify_fusion_group(node: Node):
    subgraph = node.attrs.get("Subgraph")
    if subgraph is None or node.blocks:
        _fail(node, "prim::FusionGroup holds its nodes in a 'Subgraph' attribute and has no blocks")
    if len(subgraph.inputs) != len(node.inputs) or len(subgraph.outputs) != len(node.outputs):
        _fail(node, "prim::FusionGroup's inputs and outputs must match its subgraph's")
    for outer, inner in zip(list(node.inputs) + list(node.outputs), list(subgraph.inputs) + list(subgraph.outputs)):
        if outer.type != inner.type:
            _fail(node, f"%{outer.debug_name} is a {outer.type} but its subgraph has a {inner.type}")
    if any(inner.blocks for inner in subgraph.block.nodes):
        _fail(node, "a fusion group's subgraph is straight-line code")
    verify(subgraph)


def _erased_info(value):
    info = arg_info(value)
    return ArgInfo(T.erase_refinement(info.type), info.value)


def _verify_constant(node: Node):
    if node.inputs or node.blocks or len(node.outputs) != 1:
        _fail(node, "prim::Constant takes no inputs or blocks and has one output")
    if "value" not in node.attrs:
        _fail(node, "prim::Constant has no 'value' attribute")
    constant_type = T.type_of_constant(node["value"])
    if not constant_type.is_subtype_of(node.output.type) and not (
            isinstance(constant_type, T.TensorType) and isinstance(node.output.type, T.TensorType)):
        _fail(node, f"constant of type {constant_type} in an output of type {node.output.type}")


def _verify_if(node: Node):
    if len(node.inputs) != 1 or node.inputs[0].type != T.BOOL:
        _fail(node, "prim::If takes one bool input")
    if len(node.blocks) != 2:
        _fail(node, "prim::If has two blocks")
    for index, block in enumerate(node.blocks):
        if block.params:
            _fail(node, f"block{index} of prim::If takes no parameters")
        _verify_results(node, block.returns, node.outputs, f"block{index}")


def _verify_results(node, produced, outputs, where):
    if len(produced) != len(outputs):
        _fail(node, f"{where} returns {len(produced)} values for {len(outputs)} outputs")
    for value, output in zip(produced, outputs):
        if value.node.kind == "prim::Uninitialized":
            continue  # on a path that raised: never read, so any type will do
        if not value.type.is_subtype_of(output.type):
            _fail(node, f"{where} returns %{value.debug_name} of type {value.type} for an output of type {output.type}")


def _verify_loop(node: Node):
    if len(node.inputs) < 2 or node.inputs[0].type != T.INT or node.inputs[1].type != T.BOOL:
        _fail(node, "prim::Loop takes an int trip count and a bool condition first")
    if len(node.blocks) != 1:
        _fail(node, "prim::Loop has one block")
    body = node.blocks[0]
    carried = len(node.inputs) - 2
    if len(node.outputs) != carried or len(body.params) != carried + 1 or len(body.returns) != carried + 1:
        _fail(node, f"prim::Loop with {carried} carried values needs {carried} outputs, "
                    f"{carried + 1} block parameters and {carried + 1} block returns")
    if body.params[0].type != T.INT or body.returns[0].type != T.BOOL:
        _fail(node, "a loop block's first parameter is the int iteration and its first return the bool condition")
    for init, param, output in zip(node.inputs[2:], body.params[1:], node.outputs):
        if not init.type.is_subtype_of(output.type) or param.type != output.type:
            _fail(node, f"carried value %{output.debug_name}: initial {init.type}, parameter {param.type}, "
                        f"output {output.type} disagree")
    _verify_results(node, body.returns[1:], node.outputs, "the loop block")


def _verify_unpack(node: Node):
    if len(node.inputs) != 1 or node.blocks:
        _fail(node, f"{node.kind} takes one input")
    source = node.inputs[0].type
    if node.kind == "prim::TupleUnpack":
        if isinstance(source, T.VarTupleType):
            elements = [source.element] * len(node.outputs)
        elif not isinstance(source, T.TupleType) or len(source.elements) != len(node.outputs):
            _fail(node, f"prim::TupleUnpack of {source} into {len(node.outputs)} outputs")
        else:
            elements = source.elements
    else:
        if not isinstance(source, T.ListType):
            _fail(node, f"prim::ListUnpack of a {source}")
        elements = [source.element] * len(node.outputs)
    for element, output in zip(elements, node.outputs):
        # A specialized or traced graph may know more of an element than its container's type says.
        if not (element.is_subtype_of(output.type) or output.type.is_subtype_of(element)):
            _fail(node, f"element of type {element} unpacked into an output of type {output.type}")


def _verify_call_or_marker(node: Node):
    if node.blocks:
        _fail(node, f"{node.kind} takes no blocks")
    if node.kind == "prim::CallFunction":
        callee = node.inputs[0] if node.inputs else None
        if callee is None or not isinstance(callee.type, T.FunctionType) or len(node.outputs) != 1:
            _fail(node, "prim::CallFunction calls the Function constant of its first input and has one output")
        function = callee.node["value"] if callee.node.kind == "prim::Constant" else None
        if function is not None and len(node.inputs) - 1 != len(function.parameters):
            _fail(node, f"{function.qualname} takes {len(function.parameters)} arguments, "
                        f"got {len(node.inputs) - 1}")
    elif node.kind == "prim::PythonOp":
        if "function" not in node.attrs or len(node.outputs) != 1:
            _fail(node, "prim::PythonOp needs its 'function' attribute and has one output")
    elif node.inputs or node.outputs:
        _fail(node, f"{node.kind} takes no inputs and has no outputs")


def _verify_object_op(node: Node):
    kind = node.kind
    if kind == "prim::CreateObject":
        if len(node.outputs) != 1 or not isinstance(node.output.type, T.ClassType):
            _fail(node, "prim::CreateObject makes one object of a class type")
        return
    owner = node.inputs[0].type if node.inputs else None
    if not isinstance(owner, T.ClassType) or "name" not in node.attrs:
        _fail(node, f"{kind} acts on an object of a class type and names its attribute or method")
    name = node["name"]
    if kind == "prim::GetAttr":
        declared = owner.attributes.get(name)
        # A specialized graph may know more of the value read (a guarded array) than its declared type.
        if declared is None or not (declared.is_subtype_of(node.output.type)
                                    or node.output.type.is_subtype_of(declared)):
            _fail(node, f"'{owner.annotation_str()}' has no attribute '{name}' of type {node.output.type}")
    elif kind == "prim::SetAttr":
        if node.outputs or name not in owner.attributes or \
                not node.inputs[1].type.is_subtype_of(owner.attributes[name]):
            _fail(node, f"cannot set '{name}' of '{owner.annotation_str()}' to a {node.inputs[1].type}")
    elif len(node.outputs) != 1:
        _fail(node, "prim::CallMethod has one output")
