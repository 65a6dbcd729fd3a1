"""The IR API: building graphs, use lists, rewrites, debug names."""
from __future__ import annotations

import numpy as np
import pytest

from jit import types as T
from jit.ir import Graph, Use, verify


def straight_line():
    """graph(%x, %y): %z = add(x, y); %w = multiply(z, x); return (w)"""
    graph = Graph()
    x, y = graph.add_input(T.TENSOR, "x"), graph.add_input(T.TENSOR, "y")
    add = graph.block.append(graph.create("np::add", [x, y], [T.TENSOR]))
    mul = graph.block.append(graph.create("np::multiply", [add.output, x], [T.TENSOR]))
    graph.register_output(mul.output)
    return graph, x, y, add, mul


def test_use_lists_track_every_input():
    graph, x, y, add, mul = straight_line()
    assert x.uses == [Use(add, 0), Use(mul, 1)]
    assert y.uses == [Use(add, 1)]
    assert mul.output.uses == [Use(graph.block.return_node, 0)]
    verify(graph)


def test_replace_all_uses_with_and_destroy():
    graph, x, y, add, mul = straight_line()
    add.output.replace_all_uses_with(y)
    assert add.output.uses == [] and Use(mul, 0) in y.uses
    add.destroy()
    assert [n.kind for n in graph.block.nodes] == ["np::multiply"]
    assert x.uses == [Use(mul, 1)] and y.uses == [Use(mul, 0)]
    verify(graph)


def test_destroying_a_used_value_is_refused():
    graph, x, y, add, mul = straight_line()
    with pytest.raises(RuntimeError, match="still has uses"):
        add.destroy()


def test_remove_input_renumbers_later_uses():
    graph = Graph()
    a, b, c = (graph.add_input(T.INT, n) for n in "abc")
    node = graph.block.append(graph.create("prim::TupleConstruct", [a, b, c], [T.TupleType([T.INT] * 3)]))
    node.remove_input(0)
    assert b.uses == [Use(node, 0)] and c.uses == [Use(node, 1)] and a.uses == []


def test_insert_and_move_nodes():
    graph, x, y, add, mul = straight_line()
    extra = graph.create("np::negative", [x], [T.TENSOR]).insert_before(add)
    assert [n.kind for n in graph.block.nodes] == ["np::negative", "np::add", "np::multiply"]
    extra.move_after(mul)
    assert [n.kind for n in graph.block.nodes] == ["np::add", "np::multiply", "np::negative"]
    first = graph.block.prepend(graph.create("prim::Constant", [], [T.INT], value=1))
    assert next(iter(graph.block.nodes)) is first and first.prev is graph.block.param_node
    first.destroy()
    with pytest.raises(RuntimeError, match="already in a block"):
        extra.insert_before(add)
    extra.destroy()
    verify(graph)


def test_nested_blocks_and_all_nodes():
    graph = Graph()
    flag = graph.add_input(T.BOOL, "flag")
    x = graph.add_input(T.TENSOR, "x")
    node = graph.block.append(graph.create("prim::If", [flag], [T.TENSOR]))
    then_block, else_block = node.add_block(), node.add_block()
    negated = then_block.append(graph.create("np::negative", [x], [T.TENSOR]))
    then_block.register_output(negated.output)
    else_block.register_output(x)
    graph.register_output(node.output)
    verify(graph)
    assert [n.kind for n in graph.all_nodes()] == ["prim::If", "np::negative"]
    assert node.blocks[0].owning_node is node and negated.owning_block is then_block


def test_debug_names_follow_torchscript():
    """The newest value named x takes the plain name; older ones become x.1, x.2."""
    graph = Graph()
    first = graph.add_input(T.INT, "x")
    second = graph.block.append(graph.create("np::negative", [first], [T.INT])).output
    second.set_debug_name("x")
    assert (first.debug_name, second.debug_name) == ("x.1", "x")
    third = graph.block.append(graph.create("np::negative", [second], [T.INT])).output.set_debug_name("x")
    assert (first.debug_name, second.debug_name, third.debug_name) == ("x.1", "x.2", "x")
    unnamed = graph.block.append(graph.create("np::negative", [third], [T.INT])).output
    assert unnamed.debug_name == str(unnamed.unique) and not unnamed.has_debug_name()
    with pytest.raises(ValueError, match="invalid debug name"):
        unnamed.set_debug_name("3")


def test_values_cannot_cross_graphs():
    graph, x, *_ = straight_line()
    other = Graph()
    with pytest.raises(RuntimeError, match="another graph"):
        other.create("np::negative", [x], [T.TENSOR])


def test_uses_of_a_widely_used_value_are_removed_in_any_order():
    # Fusion destroys nodes in program order, dead code in reverse, rewrites in any order.
    for order in ("forward", "reverse", "shuffled"):
        graph = Graph()
        x = graph.add_input(T.TENSOR, "x")
        users = [graph.block.append(graph.create("np::negative", [x], [T.TENSOR])) for _ in range(50)]
        keep = graph.block.append(graph.create("np::negative", [x], [T.TENSOR]))
        graph.register_output(keep.output)
        doomed = {"forward": users, "reverse": users[::-1],
                  "shuffled": [users[i] for i in (np.random.default_rng(0).permutation(len(users)))]}[order]
        for user in doomed:
            user.destroy()
        assert [use.user for use in x.uses] == [keep], order
        verify(graph)


def test_nodes_without_attributes_share_no_mutable_state():
    graph, x, y, add, mul = straight_line()
    add["note"] = 1
    assert add.attrs == {"note": 1} and not mul.attrs
    with pytest.raises(TypeError):
        mul.attrs["note"] = 2  # the shared empty attributes are read-only: set them with node[...] = ...
