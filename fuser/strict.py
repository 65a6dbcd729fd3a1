"""``with jit.strict_fusion():``: checked when an optimized graph is built. Every
node of the block left outside a fusion group, other than constants, is named
with its reason and the ``with`` statement's location."""
from __future__ import annotations

from jit.errors import StrictFusionError
from jit.ir import Block, Graph, Node

_IGNORED = frozenset({"prim::Constant", "prim::Enter", "prim::Exit", "prim::FusionGroup"})


def check_strict_fusion(graph: Graph, reasons: dict, fusion_on: bool) -> None:
    """Raise StrictFusionError for the first strict_fusion block of ``graph``
    that left nodes unfused; ``reasons`` maps id(node) to (node, reason)."""
    _check_block(graph.block, reasons, fusion_on)


def _check_block(block: Block, reasons: dict, fusion_on: bool):
    open_blocks: list = []  # [(enter node, unfused nodes)]
    for node in block.nodes:
        if node.kind == "prim::Enter" and node.attrs.get("context") == "strict_fusion":
            open_blocks.append((node, []))
            continue
        if node.kind == "prim::Exit" and open_blocks:
            enter, unfused = open_blocks.pop()
            if unfused:
                raise StrictFusionError(_message(enter, unfused, reasons, fusion_on))
            continue
        if open_blocks:
            open_blocks[-1][1].extend(_unfused(node))
        else:
            for inner in node.blocks:
                _check_block(inner, reasons, fusion_on)


def _unfused(node: Node) -> list:
    if node.kind in _IGNORED:
        return []
    found = [node]
    for block in node.blocks:
        for inner in block.nodes:
            found += _unfused(inner)
    return found


def _message(enter: Node, unfused: list, reasons: dict, fusion_on: bool) -> str:
    where = f" at {enter.source_range}" if enter.source_range is not None else ""
    if not fusion_on:
        head = (f"jit.strict_fusion{where}: fusion is turned off (jit.fuser('none')), so {len(unfused)} "
                "node(s) of the block were not fused:")
    else:
        head = f"jit.strict_fusion{where}: {len(unfused)} node(s) of the block were not fused:"
    lines = [head]
    for node in unfused:
        reason = reasons.get(id(node), (node, "fusion is off" if not fusion_on else "not fusible"))[1]
        outputs = ", ".join(f"%{v.debug_name}" for v in node.outputs)
        location = f" ({node.source_range})" if node.source_range is not None else ""
        lines.append(f"  {outputs + ' = ' if outputs else ''}{node.kind}{location}: {reason}")
    return "\n".join(lines)
