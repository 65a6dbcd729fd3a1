"""The SSA IR: ``Graph``/``Block``/``Node``/``Value``, its printer and verifier."""
from .constants import arg_info, constant_value
from .graph import Block, Graph, Node, Use, Value
from .printer import graph_text, node_text
from .source import Source, SourceRange
from .verifier import VerificationError, verify

__all__ = ["Block", "Graph", "Node", "Use", "Value", "Source", "SourceRange", "VerificationError",
           "arg_info", "constant_value", "graph_text", "node_text", "verify"]
