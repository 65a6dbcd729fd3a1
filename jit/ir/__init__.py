"""The SSA IR: ``Graph``/``Block``/``Node``/``Value``, its printer and verifier."""
from .constants import arg_info, constant_value
from .graph import MAX_BLOCK_DEPTH, Block, Graph, Node, Use, Value, block_depth, depth_of, free_values
from .printer import graph_text, node_text
from .source import Source, SourceRange
from .verifier import VerificationError, verify

__all__ = ["MAX_BLOCK_DEPTH", "Block", "Graph", "Node", "Use", "Value", "Source", "SourceRange", "VerificationError",
           "arg_info", "block_depth", "constant_value", "depth_of", "free_values", "graph_text", "node_text", "verify"]
