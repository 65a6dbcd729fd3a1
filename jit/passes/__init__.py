"""Graph passes. Each is a function of a graph, with its own test file; the
verifier runs after each in tests."""
from .dead_loop_values import eliminate_dead_loop_values

__all__ = ["eliminate_dead_loop_values"]
