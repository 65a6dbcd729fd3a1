"""Automatic trace checking: re-trace on check inputs and compare the graphs,
then compare the traced function's outputs with the Python function's.

Graphs are compared with tensor refinements and source locations left out (a
trace on other shapes is the same trace); a difference raises
``TracingCheckError`` with a unified diff and the first diverging node. Outputs
are compared with NumPy's global random state replayed, so recorded random
draws agree; a difference beyond the tolerance is a TracerWarning saying which
output, how many elements and the largest difference, as TorchScript's is.
"""
from __future__ import annotations

import copy
import difflib

import numpy as np

import device as _device
from jit import types as T
from jit.errors import TracingCheckError
from jit.ir.printer import graph_text

from . import locations


def compare_graphs(first, second, what: str):
    expected, actual = graph_text(first, erased=True), graph_text(second, erased=True)
    if expected == actual:
        return
    old, new = expected.splitlines(), actual.splitlines()
    diff = "\n".join(difflib.unified_diff(old, new, "first trace", "check trace", lineterm=""))
    diverging = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
    first_node = old[diverging].strip() if diverging < len(old) else "(the end of the graph)"
    second_node = new[diverging].strip() if diverging < len(new) else "(the end of the graph)"
    raise TracingCheckError(
        f"Tracing failed sanity checks!\nERROR: Graphs differed across invocations!\n{what}\n"
        f"\tGraph diff:\n{_indented(diff)}\n"
        f"\tFirst diverging operator:\n\t\tfirst trace:  {first_node}\n\t\tcheck trace:  {second_node}\n"
        "The trace depends on something the check inputs change (a Python loop or 'if' over sizes or values, "
        "baked as constants): script the function with jit.script to keep that control flow.")


def check_depends_on_inputs(graph, bakes, what: str):
    """A trace whose output no graph input reaches, after the traced code turned a
    traced value into a Python or NumPy value, is the bake's constant and nothing
    else: a TracingCheckError naming where. With no bake the function really is
    constant, and its trace is right."""
    if not bakes or not any(_holds_array(value.type) for value in graph.outputs) or _reaches_outputs(graph):
        return  # (a function that returns None or numbers only works by its writes, or is Python control flow)
    places = ", ".join(dict.fromkeys(bakes))
    raise TracingCheckError(
        f"Tracing failed sanity checks!\nERROR: the output of the trace {what} does not depend on any of its inputs: "
        f"the traced code turned a traced value into a Python value or a NumPy array at {places}, which the trace "
        "records as a constant, so the traced function returns the same result for every input. Keep the "
        "computation in the operator registry's operations there, or script the function with jit.script.")


def _holds_array(kind) -> bool:
    if isinstance(kind, T.TensorType):
        return True
    inner = list(getattr(kind, "elements", ())) + [getattr(kind, name, None) for name in ("element", "value")]
    return any(isinstance(element, T.Type) and _holds_array(element) for element in inner)


def _reaches_outputs(graph) -> bool:
    """Whether some graph input flows into some graph output (a node with blocks, or
    a random draw, counts as reached: neither is a constant)."""
    reached = {id(value) for value in graph.inputs}
    for node in graph.all_nodes():
        if node.blocks or (node.op is not None and node.op.nondeterministic) \
                or any(id(value) in reached for value in node.inputs):
            reached.update(id(value) for value in node.outputs)
    return any(id(value) in reached for value in graph.outputs)


def _indented(text):
    return "\n".join("\t\t" + line for line in text.splitlines())


def nondeterministic_nodes(graph, seen=None) -> list:
    """Random draws in ``graph`` and in the methods and functions it calls."""
    seen = set() if seen is None else seen
    if id(graph) in seen:
        return []
    seen.add(id(graph))
    found = []
    for node in graph.all_nodes():
        if node.op is not None and node.op.nondeterministic and not _switched_off(node):
            found.append(node)
        callee = None
        if node.kind == "prim::CallMethod":
            callee = node.inputs[0].type.methods.get(node["name"])
        elif node.kind == "prim::CallFunction":
            callee = node.inputs[0].node["value"]
        if callee is not None:
            found.extend(nondeterministic_nodes(callee.graph, seen))
    return found


def _switched_off(node) -> bool:
    """Dropout in eval mode (training=False, a constant) draws nothing; a Generator
    seeded with a constant draws the same numbers on every call."""
    if node.kind == "np::random.default_rng":
        seed = node.inputs[0].node
        return seed.kind == "prim::Constant" and seed["value"] is not None
    names = [arg.name for arg in node.op.args]
    if "training" not in names:
        return False
    flag = node.inputs[names.index("training")]
    return flag.node.kind == "prim::Constant" and flag.node["value"] is False


def warn_nondeterministic(graph):
    nodes = nondeterministic_nodes(graph)
    if nodes:
        listing = "\n".join(f"\t{node.kind} at {node.source_range}" for node in nodes)
        locations.warn("Trace had nondeterministic nodes. Did you forget to call .eval() on your model? Each call of "
                       f"the traced function draws anew. Nodes:\n{listing}\n(The check replays NumPy's random state, "
                       "so these draws do not fail it.)")


def compare_outputs(python_call, traced_call, arguments, tolerance: float):
    """Run both on copies of ``arguments`` and warn about outputs that differ."""
    state = np.random.get_state()
    with np.errstate(all="ignore"):
        expected = python_call(*copy.deepcopy(arguments))
        np.random.set_state(state)
        actual = traced_call(*copy.deepcopy(arguments))
    expected_leaves, actual_leaves = list(_leaves(expected)), list(_leaves(actual))
    if len(expected_leaves) != len(actual_leaves):
        locations.warn(f"the traced function returned {len(actual_leaves)} values where the Python function returned "
                       f"{len(expected_leaves)}")
        return
    for number, (want, got) in enumerate(zip(expected_leaves, actual_leaves), start=1):
        problem = _difference(want, got, tolerance)
        if problem:
            locations.warn(f"Output nr {number}. of the traced function does not match the corresponding output of "
                           f"the Python function. Detailed error:\n{problem}")


def _leaves(value):
    if isinstance(value, (tuple, list)):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    else:
        yield value


def _difference(want, got, tolerance) -> str:
    if not (_device.is_array(want) or isinstance(want, np.generic)):
        return "" if want == got else f"expected {want!r}, got {got!r}"
    want, got = _host(want), _host(got)
    if want.shape != got.shape:
        return f"the shapes differ: {want.shape} in Python, {got.shape} traced"
    if want.dtype != got.dtype:
        return f"the dtypes differ: {want.dtype} in Python, {got.dtype} traced"
    if want.dtype.kind not in "fc":
        bad = want != got
    else:
        close = np.isclose(got, want, rtol=tolerance, atol=tolerance, equal_nan=True)
        bad = ~close
    count = int(np.count_nonzero(bad))
    if count == 0:
        return ""
    difference = np.abs(got.astype(np.float64) - want.astype(np.float64)) if want.dtype.kind != "b" else bad
    worst = np.unravel_index(int(np.argmax(np.where(bad, difference, -1))), want.shape) if want.ndim else ()
    return (f"Not within tolerance rtol={tolerance:g} atol={tolerance:g}: {count} of {want.size} elements differ "
            f"({100.0 * count / max(want.size, 1):.2f}%); the largest difference is {float(difference[worst]):.6g} "
            f"at index {tuple(int(i) for i in worst)} ({got[worst].item()!r} traced vs {want[worst].item()!r} in Python)")


def _host(array):
    return np.asarray(array.get() if hasattr(array, "get") and not isinstance(array, np.ndarray) else array)
