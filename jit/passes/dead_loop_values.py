"""Remove loop-carried values that nothing reads.

A value carried by a ``prim::Loop`` is dead when its block parameter has no use
(each iteration overwrites it before reading) and the loop's output for it has
no use either. Script code makes them whenever a variable defined before a loop
is reassigned in the body but read only inside it, and printed while loops make
one for their condition variable; removing them leaves the body's computation
in place and changes no result.
"""
from __future__ import annotations

from jit.ir import Block, Graph


def eliminate_dead_loop_values(graph: Graph) -> int:
    """Remove dead loop-carried values everywhere in ``graph``; returns how many."""
    return _visit(graph.block)


def _visit(block: Block) -> int:
    removed = 0
    for node in block.nodes:
        for inner in node.blocks:
            removed += _visit(inner)
        if node.kind == "prim::Loop":
            removed += _prune_loop(node)
    return removed


def _prune_loop(loop) -> int:
    body = loop.blocks[0]
    removed = 0
    # Carried value k is loop input 2+k, block parameter 1+k, block return 1+k, output k.
    for k in reversed(range(len(loop.outputs))):
        param, output = body.params[1 + k], loop.outputs[k]
        if param.uses or output.uses:
            continue
        body.return_node.remove_input(1 + k)
        body.param_node.erase_output(1 + k)
        loop.remove_input(2 + k)
        loop.erase_output(k)
        removed += 1
    return removed
