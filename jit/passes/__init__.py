"""Graph passes. Each is a function of a graph, with its own test file; the
verifier runs after each in tests."""
from .dead_code import eliminate_dead_code
from .dead_loop_values import eliminate_dead_loop_values
from .unused_reads import eliminate_unused_attribute_reads

__all__ = ["eliminate_dead_code", "eliminate_dead_loop_values", "eliminate_unused_attribute_reads"]
