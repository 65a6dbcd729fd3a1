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

from jit import types as T

from .graph import Block, Graph, Node, Value


def value_ref(value: Value) -> str:
    return f"%{value.debug_name}"


def _typed(value: Value, erased: bool = False) -> str:
    return f"%{value.debug_name} : {_type_text(value.type) if erased else value.type}"


def _type_text(kind) -> str:
    """A type without tensor refinements, and module types by their class (what
    stays the same when a function is traced again on other inputs)."""
    kind = T.erase_refinement(kind)
    python_class = getattr(kind, "python_class", None)
    return python_class.__qualname__ if getattr(kind, "kind", None) == "module" and python_class else str(kind)


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


def node_text(node: Node, indent: int = 0, erased: bool = False) -> str:
    pad = " " * indent
    head = pad
    if node.outputs:
        head += ", ".join(_typed(v, erased) for v in node.outputs) + " = "
    if node.kind == "prim::FusionGroup":  # its subgraph is printed after the graph, as TorchScript does
        head += f"{node.kind}_{node.attrs.get('index', 0)}({', '.join(value_ref(v) for v in node.inputs)})"
    else:
        head += f"{node.kind}{_attrs_text(node)}({', '.join(value_ref(v) for v in node.inputs)})"
    if node.source_range is not None and not erased:
        head += f" # {node.source_range}"
    lines = [head]
    for index, block in enumerate(node.blocks):
        lines.append(_block_text(block, index, indent + 2, erased))
    return "\n".join(lines) + "\n"


def _block_text(block: Block, index: int, indent: int, erased: bool) -> str:
    pad = " " * indent
    lines = [f"{pad}block{index}({', '.join(_typed(p, erased) for p in block.params)}):"]
    for node in block.nodes:
        lines.append(node_text(node, indent + 2, erased).rstrip("\n"))
    lines.append(f"{pad}  -> ({', '.join(value_ref(v) for v in block.returns)})")
    return "\n".join(lines)


def graph_text(graph: Graph, erased: bool = False) -> str:
    """The graph in TorchScript's format; ``erased`` leaves out tensor refinements
    and source locations (to compare two traces of one function)."""
    params = [_typed(v, erased) for v in graph.inputs]
    text = "graph(" + (",\n      ".join(params)) + "):\n"
    for node in graph.block.nodes:
        text += node_text(node, 2, erased)
    text += f"  return ({', '.join(value_ref(v) for v in graph.outputs)})\n"
    for node in graph.all_nodes():
        if node.kind == "prim::FusionGroup":
            text += f"with prim::FusionGroup_{node.attrs.get('index', 0)} = {graph_text(node['Subgraph'], erased)}"
    return text
