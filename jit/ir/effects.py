"""Whether running a node is noticed: an effect (a call, a print, a random draw,
a mutation) or an error it may raise. Passes that drop nodes (dead code) and
consumers that move them (expression inlining in the printer and the executor)
ask here, so that eager code's effects and errors happen, in eager code's order."""
from __future__ import annotations

from jit import types as T
from jit.ops import ArgInfo

from .constants import arg_info
from .graph import Node

_KEPT = frozenset({"prim::CallFunction", "prim::CallMethod", "prim::PythonOp", "prim::fork", "prim::SetAttr",
                   "prim::CreateObject", "prim::ListUnpack", "prim::RaiseException",
                   "prim::Enter", "prim::Exit"})


def has_effect(node: Node) -> bool:
    op = node.op
    return bool(node.blocks) or node.kind in _KEPT or op is None or op.side_effects


def may_raise(node: Node, refined: bool = True) -> bool:
    """Whether running ``node`` may raise, for what its inputs' types and constants
    say (every run of a specialization: ``refined``; else only their declared types)."""
    op = node.op
    if op is None:
        return True
    infos = [arg_info(v) for v in node.inputs]
    if not refined:
        infos = [_declared(info) for info in infos]
    try:
        return op.may_raise(infos)
    except Exception:  # noqa: BLE001 - a predicate that cannot tell: keep the node
        return True


def is_observable(node: Node) -> bool:
    """Whether running ``node`` has an effect or may raise: where it runs, relative
    to other such nodes, is seen."""
    return has_effect(node) or may_raise(node)


def _declared(info: ArgInfo) -> ArgInfo:
    """What is known of an argument on any run: constants are constants, other
    values only have their types without refinement."""
    if info.is_constant:
        return info
    elements = None if info.elements is None else [_declared(e) for e in info.elements]
    return ArgInfo(T.erase_refinement(info.type), info.value, elements)
