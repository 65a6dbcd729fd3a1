"""``jit.freeze`` and ``jit.optimize_for_inference``.

Freezing makes a new ScriptModule whose methods have the module's state baked
in: calls inlined, parameters, buffers and attributes nothing assigns read as
constants, then the graph passes. What a frozen method still reads (preserved
attributes, assigned ones, lists and dicts) stays an attribute of the frozen
module; the rest is gone from it. The arrays are the original module's, not
copies: freezing costs no memory.
"""
from __future__ import annotations

from types import SimpleNamespace

from jit import types as T
from jit.ir import Graph
from jit.ir.cloning import copy_graph
from jit.passes import inline_calls
from jit.passes.freezing import fold_module_attributes
from jit.passes.inference import pretranspose_linear_weights, remove_dropout

from . import optimization
from .function import ScriptFunction
from .module import ScriptModule, _copied_containers


def freeze(mod, preserved_attrs=None) -> ScriptModule:
    """A frozen copy of ``mod`` (a ScriptModule in eval mode). ``preserved_attrs``
    names attributes to keep as attributes (they may change later) and methods
    to keep besides forward."""
    _check_module(mod, "jit.freeze")
    preserved = list(preserved_attrs or [])
    kind = mod._type
    methods = [] if "forward" not in kind.methods and "forward" not in kind.sources else ["forward"]
    for name in preserved:
        if name in kind.methods or name in kind.sources:
            if name not in methods:
                methods.append(name)
        elif name not in kind.attributes and name not in kind.constants:
            raise AttributeError(f"jit.freeze: preserved_attrs names '{name}', which the scripted "
                                 f"{mod.original_name} has neither as an attribute nor as a method")
    graphs = {name: _frozen_graph(mod._method(name).function, mod, preserved) for name in methods}
    return _frozen_module(mod, graphs, preserved)


def optimize_for_inference(mod) -> ScriptModule:
    """``mod`` frozen (when it is not already) and rewritten for inference: dropout
    removed, constants folded, and Linear weights transposed once ahead of time."""
    _check_module(mod, "jit.optimize_for_inference")
    frozen = mod if getattr(mod._type, "frozen", False) else freeze(mod)
    for function in frozen._type.methods.values():
        graph = function.graph
        remove_dropout(graph)
        pretranspose_linear_weights(graph)
        _simplify(graph)
        function.refresh()
    return frozen


def _check_module(mod, where: str):
    if not isinstance(mod, ScriptModule):
        raise TypeError(f"{where} takes a ScriptModule (jit.script(module) or jit.trace(module, ...)), "
                        f"not a {type(mod).__name__}")
    if mod.training:
        raise RuntimeError(f"{where}: the scripted {mod.original_name} is in training mode; freezing bakes in "
                           "the training flag, so call .eval() on it first")


def _frozen_graph(function, mod, preserved) -> Graph:
    graph, _ = copy_graph(function.graph)
    inline_calls(graph)
    fold_module_attributes(graph, mod, preserved)
    _simplify(graph)
    return graph


def _simplify(graph: Graph):
    optimization.simplify(graph)
    _constants_before_first_use(graph)


def _constants_before_first_use(graph: Graph):
    """Each array constant just before its first user: the printed code numbers
    them (CONSTANTS.c0, c1...) in that order, so a saved and loaded copy prints alike."""
    order = {id(node): index for index, node in enumerate(graph.all_nodes())}
    for node in list(graph.all_nodes()):
        if node.kind != "prim::Constant" or not node.output.uses or not hasattr(node["value"], "shape"):
            continue
        first = min((use.user for use in node.output.uses), key=lambda user: order[id(user)])
        if first.owning_block is node.owning_block:
            node.move_before(first)


def _frozen_module(mod, graphs: dict, preserved) -> ScriptModule:
    kind = mod._type
    kept = {"training"} | {name for name in preserved if name in kind.attributes}
    for graph in graphs.values():
        self_value = graph.inputs[0]
        kept |= {use.user["name"] for use in self_value.uses if use.user.kind in ("prim::GetAttr", "prim::SetAttr")}
    frozen = T.ClassType(f"{kind.name}_frozen", kind.python_class, "module")
    frozen.frozen = True
    frozen.attributes = {name: t for name, t in kind.attributes.items() if name in kept}
    frozen.slots = {name: slot for name, slot in kind.slots.items() if name in kept}
    frozen.constants = dict(kind.constants)
    for name, graph in graphs.items():
        original = kind.methods[name]
        graph.inputs[0].type = frozen
        parameters = [_with_type(original.parameters[0], frozen), *original.parameters[1:]]
        compiled = SimpleNamespace(name=name, qualname=f"{original.qualname}", graph=graph,
                                   parameters=parameters, return_type=original.return_type)
        frozen.methods[name] = ScriptFunction(compiled, original.original)
    registries = {registry: {name: value for name, value in getattr(mod, registry).items() if name in kept}
                  for registry in ("_parameters", "_buffers", "_modules")}
    attributes = {name: _copied_containers(getattr(mod, name)) for name in frozen.attributes if name not in frozen.slots}
    non_persistent = {name for name in mod._non_persistent_buffers if name in kept}
    module = ScriptModule.rebuilt(frozen, mod.original_name, registries, non_persistent, attributes)
    object.__setattr__(module, "training", False)
    return module


def _with_type(parameter, new_type):
    copy = type(parameter).__new__(type(parameter))
    for slot in type(parameter).__slots__:
        setattr(copy, slot, getattr(parameter, slot))
    copy.type = new_type
    return copy
