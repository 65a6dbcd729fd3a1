"""The operator registry: every operator of the language, declared once.

``table()`` prints it; ``python -m jit.ops`` too. See ``registry`` for what an
entry holds and ``arithmetic``, ``reductions``, ``shapes``, ``factories``,
``nn_functional``, ``math_functions`` and ``prim`` for the entries.
"""
# prim first: its builtins (min(a, b)...) are the first overloads, containers add min(list).
from . import prim  # noqa: F401, I001
from . import arithmetic, containers, factories, math_functions, nn_functional, reductions, shapes, special  # noqa: F401
from . import mutation  # noqa: F401, I001 - last: its in-place operators follow the operators registered before
# NumPy's reference beyond the core: one module per family (jit.ops.declare declares them).
from . import comparison, constants, creation, indexing, joining, linalg, manipulation, random, scans, sorting  # noqa: F401, E501
from . import conversion, items  # noqa: F401
from . import ufuncs  # noqa: F401
from .registry import (ARRAY_LIKE, NO_DEFAULT, OPERAND, NOT_CONSTANT, TEMPLATE_GLOBALS, Arg, ArgInfo, OpDef, Spelling,
                       add_spelling, all_ops, array_attribute_names, attribute_names, for_method, for_operator, for_property, for_python_object, for_subscript, lookup, operator_overloads, python_object_overloads,
                       python_function, table)

__all__ = ["ARRAY_LIKE", "NO_DEFAULT", "OPERAND", "NOT_CONSTANT", "TEMPLATE_GLOBALS", "Arg", "ArgInfo", "OpDef", "Spelling",
           "add_spelling", "all_ops", "array_attribute_names", "attribute_names", "operator_overloads", "python_object_overloads", "for_method", "for_operator", "for_property", "for_python_object", "for_subscript",
           "lookup", "python_function", "table"]
