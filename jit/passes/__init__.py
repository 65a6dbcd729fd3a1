"""Graph passes. Each is a function of a graph, with its own test file; the
verifier runs after each in tests."""
from .common_subexpressions import eliminate_common_subexpressions
from .constant_propagation import propagate_constants
from .dead_code import eliminate_dead_code
from .dead_loop_values import eliminate_dead_loop_values
from .inlining import inline_calls
from .loop_unrolling import unroll_loops
from .peephole import peephole
from .type_propagation import erase_types, join_types, propagate_types
from .unused_reads import eliminate_unused_attribute_reads

__all__ = ["eliminate_common_subexpressions", "eliminate_dead_code", "eliminate_dead_loop_values",
           "eliminate_unused_attribute_reads", "erase_types", "inline_calls", "join_types", "peephole", "propagate_constants",
           "propagate_types", "unroll_loops"]
