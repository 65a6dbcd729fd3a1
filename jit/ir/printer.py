"""The graph printer: TorchScript's text format.

    graph(%x.1 : Tensor,
          %n.1 : int):
      %2 : bool = prim::Constant[value=1]()
      %r : Tensor = prim::Loop(%n.1, %2, %r.1) # f.py:4:4
        block0(%i.1 : int, %r.3 : Tensor):
          ...
          -> (%2, %r.5)
      return (%r)
"""
from __future__ import annotations

import numpy as np

import device as _device

from .graph import Block, Graph, Node, Value


def value_ref(value: Value) -> str:
    return f"%{value.debug_name}"


def _typed(value: Value) -> str:
    return f"%{value.debug_name} : {value.type}"


def format_constant(value) -> str:
    """A constant's attribute text, TorchScript style (bools print as 1/0)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        text = repr(value)
        return text[:-1] if text.endswith(".0") else text
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, _device.Device):
        return f'"{value}"'
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, tuple):
        inner = ", ".join(format_constant(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if value is Ellipsis:
        return "..."
    if isinstance(value, (np.ndarray, np.generic)):
        return f"<Tensor {np.dtype(value.dtype).name}{tuple(value.shape)}>"
    return repr(value)


def _attrs_text(node: Node) -> str:
    if not node.attrs:
        return ""
    parts = []
    for name, value in node.attrs.items():
        if node.kind == "prim::Constant" and name == "value" and value is None:
            continue
        parts.append(f"{name}={format_constant(value)}")
    return f"[{', '.join(parts)}]" if parts else ""


def node_text(node: Node, indent: int = 0) -> str:
    pad = " " * indent
    head = pad
    if node.outputs:
        head += ", ".join(_typed(v) for v in node.outputs) + " = "
    head += f"{node.kind}{_attrs_text(node)}({', '.join(value_ref(v) for v in node.inputs)})"
    if node.source_range is not None:
        head += f" # {node.source_range}"
    lines = [head]
    for index, block in enumerate(node.blocks):
        lines.append(_block_text(block, index, indent + 2))
    return "\n".join(lines) + "\n"


def _block_text(block: Block, index: int, indent: int) -> str:
    pad = " " * indent
    lines = [f"{pad}block{index}({', '.join(_typed(p) for p in block.params)}):"]
    for node in block.nodes:
        lines.append(node_text(node, indent + 2).rstrip("\n"))
    lines.append(f"{pad}  -> ({', '.join(value_ref(v) for v in block.returns)})")
    return "\n".join(lines)


def graph_text(graph: Graph) -> str:
    params = [_typed(v) for v in graph.inputs]
    text = "graph(" + (",\n      ".join(params)) + "):\n"
    for node in graph.block.nodes:
        text += node_text(node, 2)
    text += f"  return ({', '.join(value_ref(v) for v in graph.outputs)})\n"
    return text
