"""Writes into arrays, with NumPy's semantics: ``x[i] = v``, ``x[m] = 0``,
``x += y`` on an array, ``out[idx] += w``, ``self.h += x`` and ``out=``.

The ops are in ``jit.ops.mutation``; each records the argument it writes, which
the alias analysis reads. ``x += y`` compiles to ``x = operator.iadd(x, y)`` as
Python runs it: for an ndarray that is x itself, written in place, for an
immutable NumPy scalar a new value.
"""
from __future__ import annotations

import ast

from jit import ops
from jit import types as T

from .sugared import SimpleValue

_OUT_ARRAY = ops.lookup("np::copyto")


class WriteEmitter:
    """The statements that write arrays (a mixin of ``FunctionEmitter``)."""

    def assign_array_item(self, array, target: ast.Subscript, sugared, loc, index=None):
        """``x[index] = value`` on an array: item, slice, mask and integer-array assignment."""
        if index is None:
            index = self.emit_index(target.slice)
        self.emit_op_call(ops.lookup("np::setitem"), None,
                          [(SimpleValue(array), self.loc(target.value)), (SimpleValue(index), self.loc(target.slice)),
                           (sugared, loc)], {}, loc)

    def emit_in_place_operator(self, symbol, target_value, operand, target_loc, operand_loc, loc) -> SimpleValue:
        """``x op= y`` where x is an array: x written in place, the result x itself."""
        op, spelling = ops.for_operator(symbol + "=")
        return self.emit_op_call(op, spelling, [(SimpleValue(target_value), target_loc), (operand, operand_loc)], {},
                                 loc)

    def emit_augmented_item(self, stmt, symbol) -> bool:
        """``out[idx] += w`` on an array, as NumPy runs it: the index evaluated once,
        ``out[idx]`` read, ``+=`` on what it read (in place where that is a view), and
        the result written back (for an integer-array index, repeated indices write
        once: no accumulation). False when ``out`` is not an array."""
        target = stmt.target
        array = self.emit_expr(target.value).as_value(self, self.loc(target.value))
        if not isinstance(array.type, T.TensorType):
            return False
        loc = self.loc(stmt)
        index = self.emit_index(target.slice)
        getitem, spelling = ops.for_subscript()
        current = self.emit_op_call(getitem, spelling, [(SimpleValue(array), loc), (SimpleValue(index), loc)], {},
                                    loc).value
        combined = self.emit_in_place_operator(symbol, current, self.emit_expr(stmt.value), loc,
                                               self.loc(stmt.value), loc)
        self.assign_array_item(array, target, combined, loc, index)
        return True

    def emit_out_argument(self, op, spelling, args, keywords, loc, self_value=None):
        """``np.add(a, b, out=c)``: the result computed, then written into c with
        NumPy's out= casting (``np.copyto``); the call's value is c."""
        keywords = dict(keywords)
        out_sugared, out_loc = keywords.pop("out")
        out = out_sugared.as_value(self, out_loc)
        if isinstance(out.type, T.TupleType) and len(out.type.elements) == 1:  # out=(c,)
            out = self.emit_op_call(ops.lookup("prim::TupleIndex"), None,
                                    [(SimpleValue(out), out_loc), (SimpleValue(self.emit_constant(0, out_loc)), out_loc)],
                                    {}, out_loc).value
        if not isinstance(out.type, T.TensorType):
            self.fail(f"out= takes the array to write the result into, not a {out.type.annotation_str()}", out_loc)
        result = self.emit_op_call(op, spelling, args, keywords, loc, self_value)
        self.emit_op_call(_OUT_ARRAY, None, [(SimpleValue(out), out_loc), (result, loc)], {}, loc)
        return SimpleValue(out)


def takes_out_argument(op, keywords) -> bool:
    """Whether a call passes ``out=`` to an op that computes a new array (a ufunc,
    a reduction...) whose schema has no ``out`` of its own."""
    return "out" in keywords and not op.structural and not op.writes and all(a.name != "out" for a in op.args)
