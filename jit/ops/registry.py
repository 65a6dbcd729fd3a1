"""The operator registry: one ``OpDef`` per operator, and the indexes that let
the frontend, tracer, printers and executor find it.

An ``OpDef`` holds everything about an operator in one place:

- its name (``np::tanh``) and canonical arguments (``Arg``), in NumPy's order;
- its spellings in user code (``np.tanh(x)``, ``x.sum()``, ``x.T``, ``a + b``,
  ``float(t)``), each a ``Spelling`` that binds call-site arguments to the
  canonical ones;
- its result-type rule: static types (and, for refined tensors, dtype by NumPy 2
  promotion, shape and device) from the argument types and constant values;
- its eager implementation, written once against the array module ``xp`` of its
  inputs: a Python expression template (``"{xp}.tanh({0})"``), which the executor
  inlines into generated code and which is also compiled into a callable, or a
  function ``impl(xp, *args)`` for what does not fit in an expression;
- for elementwise ops, the per-element scalar formula the kernel renderers print.
"""
from __future__ import annotations

import math
import operator as _operator

import numpy as np

import device as _device
from jit import types as T


class _Marker:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


NO_DEFAULT = _Marker("NO_DEFAULT")
NOT_CONSTANT = _Marker("NOT_CONSTANT")

# Tensor or Python scalar: what NumPy's functions accept as an array argument.
ARRAY_LIKE = T.UnionType([T.TENSOR, T.INT, T.FLOAT, T.BOOL])
SCALAR_RESULT = T.UnionType([T.TENSOR, T.INT, T.FLOAT, T.BOOL])


class Arg:
    """A canonical argument of an operator.

    ``static``: the scalar formula needs this argument's value (a dtype, GELU's
    ``approximate``), so the node fuses only where it is a compile-time constant.
    The language does not require it to be one."""

    __slots__ = ("name", "type", "default", "kwarg_only", "static")

    def __init__(self, name, type, default=NO_DEFAULT, *, kwarg_only=False, static=False):
        self.name, self.type, self.default = name, type, default
        self.kwarg_only, self.static = kwarg_only, static

    @property
    def has_default(self):
        return self.default is not NO_DEFAULT

    def __str__(self):
        text = f"{self.type} {self.name}"
        if self.has_default:
            text += f"={_format_default(self.default)}"
        return text

    def __repr__(self):
        return f"Arg({self})"


def _format_default(value):
    if isinstance(value, np.dtype):
        return value.name
    return repr(value)


class Spelling:
    """One way user code reaches an operator.

    kind: ``function`` (``python`` is the callable, e.g. ``np.tanh``), ``method``
    (``x.name(...)``), ``property`` (``x.name``), ``operator`` (``name`` is the
    symbol: ``+``, ``unary -``, ``<``...), or ``subscript`` (``x[i]``).
    ``varargs`` names the canonical argument that packs extra positional arguments
    (``x.reshape(2, 3)``); ``aliases`` maps other keyword names to canonical ones.
    ``scalars_to_array``: called with no array argument, NumPy converts the first
    array-like argument to an array (``np.exp(1.0)`` is a NumPy scalar, not a float).
    """

    __slots__ = ("kind", "name", "python", "varargs", "aliases", "scalars_to_array")

    def __init__(self, kind, name, python=None, *, varargs=None, aliases=None,
                 scalars_to_array=False):
        self.kind, self.name, self.python = kind, name, python
        self.varargs, self.aliases = varargs, dict(aliases or {})
        self.scalars_to_array = scalars_to_array

    def __repr__(self):
        return f"Spelling({self.kind}, {self.name})"


class ArgInfo:
    """What a type rule knows of one argument: its static type, its value when it
    is a compile-time constant, and for a tuple or list built in place
    (``x.reshape(n, -1)``) the ArgInfo of each element."""

    __slots__ = ("type", "value", "elements")

    def __init__(self, type, value=NOT_CONSTANT, elements=None):
        self.type, self.value, self.elements = type, value, elements

    @property
    def is_constant(self):
        return self.value is not NOT_CONSTANT

    def __repr__(self):
        return f"ArgInfo({self.type}, {self.value!r})"


class OpDef:
    """One operator. ``variadic``: the last argument repeats (``prim::TupleConstruct``).
    ``render_fn(arg_exprs, xp)`` replaces the template for code that a format string
    cannot express. ``structural`` ops (``prim::If``, ``prim::Loop``, ``prim::Constant``,
    the unpacks) are typed by the frontend and executed by the code generator itself."""

    def __init__(self, name, args, returns, rule, *, template=None, impl=None, formula=None,
                 spellings=(), side_effects=False, nondeterministic=False, variadic=False,
                 render_fn=None, structural=False, doc=""):
        if not structural and (template is None) == (impl is None):
            raise ValueError(f"{name}: give exactly one of template= and impl=")
        self.name = name
        self.namespace, self.short_name = name.split("::", 1)
        self.args = list(args)
        self.returns = returns
        self.rule = rule
        self.template = template
        self.impl = impl
        self.formula = formula
        self.spellings = list(spellings)
        self.side_effects = side_effects
        self.nondeterministic = nondeterministic
        self.variadic = variadic
        self.render_fn = render_fn
        self.structural = structural
        self.doc = doc
        self._eager = None
        names = [a.name for a in self.args]
        if len(set(names)) != len(names):
            raise ValueError(f"{name}: duplicate argument names {names}")

    # -- schema -----------------------------------------------------------------
    @property
    def fusible(self) -> bool:
        return self.formula is not None

    @property
    def static_arg_indices(self):
        return [i for i, a in enumerate(self.args) if a.static]

    def schema_str(self) -> str:
        positional = [str(a) for a in self.args if not a.kwarg_only]
        if self.variadic:
            positional[-1] = "*" + positional[-1]
        keyword = [str(a) for a in self.args if a.kwarg_only]
        parts = positional + (["*"] + keyword if keyword else [])
        return f"{self.name}({', '.join(parts)}) -> {self.returns}"

    def result_type(self, infos) -> T.Type:
        """The static type of the result for these argument types and constants.
        Raises TypeError with a user-facing message when the combination is invalid."""
        return self.rule(infos)

    # -- execution -----------------------------------------------------------------
    @property
    def impl_global(self) -> str:
        """The name generated code uses for ``impl``."""
        return "_op_" + self.name.replace("::", "_").replace(".", "_")

    def render(self, arg_exprs, xp_expr: str) -> str:
        """A Python expression computing the op from argument expressions (names or
        literals, never compound expressions) and the array-module expression."""
        if self.render_fn is not None:
            return self.render_fn(arg_exprs, xp_expr)
        if self.template is not None:
            return self.template.format(*arg_exprs, xp=xp_expr)
        return f"{self.impl_global}({', '.join([xp_expr, *arg_exprs])})"

    @property
    def eager(self):
        """``eager(xp, *args)``: the implementation as a callable."""
        if self._eager is None:
            if self.structural:
                raise TypeError(f"{self.name} is executed by the code generator, not called")
            if self.template is None:
                self._eager = self.impl
            else:
                params = [f"a{i}" for i in range(len(self.args))]
                source = f"lambda xp, {', '.join(params)}: {self.render(params, 'xp')}"
                self._eager = eval(source, dict(TEMPLATE_GLOBALS))  # noqa: S307 - our own template
        return self._eager

    def __call__(self, *args):
        """Run the op eagerly on canonical arguments, on the device of its array arguments."""
        xp = np
        for a in args:
            if _device.is_array(a):
                xp = _device.array_module(a)
                break
        return self.eager(xp, *args)

    def __repr__(self):
        return f"<op {self.name}>"


# Names that templates may use besides {xp}: the executor puts these in the
# namespace of generated code, so a template means the same in both places.
TEMPLATE_GLOBALS = {"_np": np, "_math": math, "_operator": _operator}

_OPS: dict[str, OpDef] = {}
_BY_PYTHON_OBJECT: dict[int, tuple] = {}   # id(callable) -> (callable, op, spelling)
_METHODS: dict[str, tuple] = {}
_PROPERTIES: dict[str, tuple] = {}
_OPERATORS: dict[str, tuple] = {}
_SUBSCRIPT: list = []


def register(op: OpDef) -> OpDef:
    if op.name in _OPS:
        raise ValueError(f"operator {op.name} is registered twice")
    _OPS[op.name] = op
    for spelling in op.spellings:
        index = {"method": _METHODS, "property": _PROPERTIES, "operator": _OPERATORS}.get(spelling.kind)
        if spelling.kind == "function":
            key = id(spelling.python)
            if key in _BY_PYTHON_OBJECT:
                raise ValueError(f"{spelling.name} already names {_BY_PYTHON_OBJECT[key][1].name}")
            _BY_PYTHON_OBJECT[key] = (spelling.python, op, spelling)
        elif spelling.kind == "subscript":
            _SUBSCRIPT.append((op, spelling))
        elif index is not None:
            if spelling.name in index:
                raise ValueError(f"{spelling.kind} {spelling.name} already names {index[spelling.name][0].name}")
            index[spelling.name] = (op, spelling)
        else:
            raise ValueError(f"{op.name}: unknown spelling kind {spelling.kind!r}")
    return op


def add_template_global(name: str, value):
    if TEMPLATE_GLOBALS.get(name, value) is not value:
        raise ValueError(f"template global {name} is already bound")
    TEMPLATE_GLOBALS[name] = value


def lookup(name: str) -> OpDef:
    try:
        return _OPS[name]
    except KeyError:
        raise KeyError(f"no operator named {name!r}") from None


def all_ops():
    return list(_OPS.values())


def for_python_object(obj):
    """(op, spelling) for a Python callable that names an op (``np.tanh``), else None."""
    entry = _BY_PYTHON_OBJECT.get(id(obj))
    if entry is None or entry[0] is not obj:
        return None
    return entry[1], entry[2]


def for_method(name):
    return _METHODS.get(name)


def for_property(name):
    return _PROPERTIES.get(name)


def array_attribute_names():
    """The ndarray methods and properties script code supports."""
    return sorted(set(_METHODS) | set(_PROPERTIES))


def for_operator(symbol):
    return _OPERATORS.get(symbol)


def for_subscript():
    return _SUBSCRIPT[0]


def table() -> str:
    """The registry as a text table: name, schema, whether it fuses, spellings."""
    rows = [("name", "schema", "fuses", "spelled")]
    for op in sorted(_OPS.values(), key=lambda o: o.name):
        spelled = ", ".join(_spelling_text(s) for s in op.spellings)
        rows.append((op.name, op.schema_str(), "yes" if op.fusible else "no", spelled))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[j]) if j < 3 else cell for j, cell in enumerate(row)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 7)
    lines.append(f"{len(_OPS)} operators, {sum(op.fusible for op in _OPS.values())} fusible")
    return "\n".join(lines)


def _spelling_text(spelling: Spelling) -> str:
    return {"method": f"x.{spelling.name}()", "property": f"x.{spelling.name}",
            "operator": spelling.name, "subscript": "x[...]"}.get(spelling.kind, spelling.name)
