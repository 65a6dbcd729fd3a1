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

import itertools
import math
import operator as _operator

import numpy as np

import device as _device
from jit import types as T

from .type_rules import join_scalar_alternatives, promotion_operand


class _Marker:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


NO_DEFAULT = _Marker("NO_DEFAULT")
NOT_CONSTANT = _Marker("NOT_CONSTANT")

# Tensor or Python scalar: what NumPy's functions accept as an array argument.
ARRAY_LIKE = T.UnionType([T.TENSOR, T.INT, T.FLOAT, T.BOOL])
# What Python's operators take: that, or a str ("a" + "b", "ab" * 2, "a" < "b").
OPERAND = T.UnionType([T.TENSOR, T.INT, T.FLOAT, T.BOOL, T.STR])
SCALAR_RESULT = T.UnionType([T.TENSOR, T.INT, T.FLOAT, T.BOOL, T.STR])


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
    ``receiver``: for methods and properties, the kind of value they belong to:
    ``array``, ``list``, ``dict`` or ``str``. ``overload``: this function spelling
    names another op besides the first one registered for the same callable
    (``min(a, b)`` and ``min(list)``); the frontend picks by argument types.
    """

    __slots__ = ("kind", "name", "python", "varargs", "aliases", "scalars_to_array", "receiver", "overload")

    def __init__(self, kind, name, python=None, *, varargs=None, aliases=None,
                 scalars_to_array=False, receiver="array", overload=False):
        self.kind, self.name, self.python = kind, name, python
        self.varargs, self.aliases = varargs, dict(aliases or {})
        self.scalars_to_array = scalars_to_array
        self.receiver, self.overload = receiver, overload

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
    cannot express. ``aliases``: the result may share memory with an input (views,
element reads), which rewrites that merge or forward values must respect. ``structural`` ops (``prim::If``, ``prim::Loop``, ``prim::Constant``,
    the unpacks) are typed by the frontend and executed by the code generator itself.
    ``raises``: whether running the op may raise, so that a pass dropping its unused
    result would drop an error eager code raises: False (never), True (may: the
    default) or a predicate ``raises(op, infos)`` (see ``jit.ops.raising``).
    ``writes``: the positions of the arguments whose memory the op writes in place
    (``x[i] = v`` and ``x += y`` write argument 0); such an op has side effects."""

    def __init__(self, name, args, returns, rule, *, template=None, impl=None, formula=None,
                 spellings=(), side_effects=False, nondeterministic=False, variadic=False,
                 render_fn=None, structural=False, compute=None, scalar_template=None, hint="", doc="",
                 aliases=False, raises=True, writes=()):
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
        self.writes = tuple(writes)
        self.side_effects = side_effects or bool(self.writes)  # a write is an effect: never dropped or moved
        self.nondeterministic = nondeterministic
        self.variadic = variadic
        self.render_fn = render_fn
        self.structural = structural
        self.aliases = aliases  # the result may be an input or a view of one (x.T, x.reshape, l[i])
        self.compute = compute
        self.scalar_template = scalar_template
        self.raises = raises
        self.hint = hint  # added to argument-type errors: what to use instead
        # a Python number where its array inputs are all 0-d, an array otherwise (np.random's draws):
        # typed Tensor while their ranks are unknown (jit.ir.verifier, jit.passes.type_propagation)
        self.number_for_0d_inputs = False
        self.doc = doc
        self._eager = None
        self._eager_scalar = None
        names = [a.name for a in self.args]
        if len(set(names)) != len(names):
            raise ValueError(f"{name}: duplicate argument names {names}")

    # -- schema -----------------------------------------------------------------
    @property
    def fusible(self) -> bool:
        return self.formula is not None

    def schema_str(self) -> str:
        written = {id(self.args[i]) for i in self.writes}  # TorchScript's Tensor(a!): written in place
        positional = [str(a).replace(" ", "(a!) ", 1) if id(a) in written else str(a)
                      for a in self.args if not a.kwarg_only]
        if self.variadic:
            positional[-1] = "*" + positional[-1]
        keyword = [str(a) for a in self.args if a.kwarg_only]
        parts = positional + (["*"] + keyword if keyword else [])
        return f"{self.name}({', '.join(parts)}) -> {'()' if self.returns is None else self.returns}"

    def result_type(self, infos) -> T.Type:
        """The static type of the result for these argument types and constants.
        Raises TypeError with a user-facing message when the combination is invalid."""
        if self.rule is None:
            raise TypeError(f"{self.name} is typed by the frontend, not by a rule")
        scalar_positions = self._scalar_positions(infos)
        if not scalar_positions:
            return self.rule(infos)
        # A Scalar (x.item() of an unknown dtype) where the op takes numbers: type it
        # for each kind it may be; kinds the op rejects raise at run time, as eagerly.
        results, errors = [], []
        for kinds in itertools.product(T.PYTHON_SCALAR_TYPES, repeat=len(scalar_positions)):
            alternative = list(infos)
            for position, kind in zip(scalar_positions, kinds):
                alternative[position] = ArgInfo(kind)
            try:
                results.append(self.rule(alternative))
            except TypeError as error:
                errors.append(error)
        if not results:
            raise errors[0]
        return join_scalar_alternatives(results)

    def _scalar_positions(self, infos) -> list:
        """The arguments that are Scalar where the schema takes numbers of given kinds."""
        positions = []
        for position, info in enumerate(infos):
            if info.type != T.NUMBER:
                continue
            arg = self.args[min(position, len(self.args) - 1)]
            if arg.type not in (T.NUMBER, T.ANY):
                positions.append(position)
        return positions

    def may_raise(self, infos) -> bool:
        """Whether running the op on arguments of these static types (and constant
        values) may raise; False only where they prove it cannot."""
        if callable(self.raises):
            return bool(self.raises(self, infos))
        return bool(self.raises)

    def compute_dtypes(self, infos) -> list:
        """For an elementwise op on refined types: the dtype each argument is cast to
        before the scalar formula runs (None for arguments the formula takes as
        values: static ones and None), as NumPy's loop for these inputs would."""
        result = self.result_type(infos)
        if self.compute is not None:
            return list(self.compute(infos, result))
        ufunc = getattr(self.rule, "ufunc", None)
        if ufunc is not None:
            operands = [promotion_operand(i) for i in infos]
            return list(ufunc.resolve_dtypes((*operands, *([None] * ufunc.nout)))[:ufunc.nin])
        return [None if arg.static or (info.is_constant and info.value is None) else result.dtype
                for arg, info in zip(self.args, infos)]

    # -- execution -----------------------------------------------------------------
    @property
    def impl_global(self) -> str:
        """The name generated code uses for ``impl``."""
        return "_op_" + self.name.replace("::", "_").replace(".", "_")

    def render(self, arg_exprs, xp_expr: str, scalars: bool = False) -> str:
        """A Python expression computing the op from argument expressions (names,
        literals or parenthesized expressions) and the array-module expression.
        ``scalars``: every argument is statically a Python number."""
        if scalars and self.scalar_template is not None:
            return self.scalar_template.format(*arg_exprs)
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
        """Run the op eagerly on canonical arguments, on the device of its array arguments.
        An argument whose type defines ``__jit_op__`` (a tracer's proxy) takes the call over."""
        for a in args:
            hook = getattr(type(a), "__jit_op__", None)
            if hook is None and type(a) in (list, tuple):
                hook = next((h for h in (getattr(type(i), "__jit_op__", None) for i in a) if h is not None), None)
            if hook is not None:
                return hook(self, args)
        if self.scalar_template is not None and all(type(a) in (int, float, bool) for a in args):
            if self._eager_scalar is None:
                params = [f"a{i}" for i in range(len(self.args))]
                source = f"lambda {', '.join(params)}: {self.render(params, '_np', scalars=True)}"
                self._eager_scalar = eval(source, dict(TEMPLATE_GLOBALS))  # noqa: S307 - our own template
            return self._eager_scalar(*args)
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
_BY_PYTHON_OBJECT: dict[int, tuple] = {}   # id(callable) -> (callable, [(op, spelling), ...])
_METHODS: dict[tuple, tuple] = {}          # (receiver, name) -> (op, spelling)
_PROPERTIES: dict[tuple, tuple] = {}
_OPERATORS: dict[str, list] = {}           # symbol -> [(op, spelling), ...], tried in order
_SUBSCRIPT: list = []


def register(op: OpDef) -> OpDef:
    if op.name in _OPS:
        raise ValueError(f"operator {op.name} is registered twice")
    _OPS[op.name] = op
    for spelling in op.spellings:
        _index_spelling(op, spelling)
    return op


def add_spelling(op: OpDef, spelling: Spelling):
    """Another way to reach a registered op, declared by a module that sits above
    the registry (``jit.nn.functional`` spells the ``nn::`` ops ``F.relu``...)."""
    _index_spelling(op, spelling)
    op.spellings.append(spelling)


def _index_spelling(op: OpDef, spelling: Spelling):
    if spelling.kind == "function":
        key = id(spelling.python)
        if key in _BY_PYTHON_OBJECT and not spelling.overload:
            raise ValueError(f"{spelling.name} already names {_BY_PYTHON_OBJECT[key][1][0][0].name}")
        _BY_PYTHON_OBJECT.setdefault(key, (spelling.python, []))[1].append((op, spelling))
    elif spelling.kind == "subscript":
        _SUBSCRIPT.append((op, spelling))
    elif spelling.kind == "operator":
        _OPERATORS.setdefault(spelling.name, []).append((op, spelling))
    elif spelling.kind in ("method", "property"):
        index = _METHODS if spelling.kind == "method" else _PROPERTIES
        key = (spelling.receiver, spelling.name)
        if key in index:
            raise ValueError(f"{spelling.receiver} {spelling.kind} {spelling.name} already names {index[key][0].name}")
        index[key] = (op, spelling)
    else:
        raise ValueError(f"{op.name}: unknown spelling kind {spelling.kind!r}")


def python_function(op: OpDef, name: str):
    """A Python function with ``op``'s signature that runs it eagerly: the eager
    face of an op (``F.gelu``), sharing the op's one implementation."""
    params, globals_ = [], {"_op": op}
    for index, arg in enumerate(op.args):
        if arg.kwarg_only and "*" not in params:
            params.append("*")
        if arg.has_default:
            globals_[f"_default{index}"] = arg.default
            params.append(f"{arg.name}=_default{index}")
        else:
            params.append(arg.name)
    arguments = ", ".join(a.name for a in op.args)
    # An argument the op types Tensor takes an array, as script code's (and torch's) do.
    checks = "".join(f"    _array_argument({name!r}, {a.name!r}, {a.name})\n" for a in op.args if a.type == T.TENSOR)
    globals_["_array_argument"] = _array_argument
    source = f"def {name}({', '.join(params)}):\n{checks}    return _op({arguments})\n"
    exec(compile(source, f"<jit.ops {op.name}>", "exec"), globals_)  # noqa: S102 - our own signature
    function = globals_[name]
    function.__doc__ = f"{op.doc}\n\nThe eager form of the operator {op.name}: {op.schema_str()}"
    return function


def _array_argument(function: str, name: str, value):
    if not _device.is_array(value) and getattr(type(value), "__jit_op__", None) is None:
        raise TypeError(f"{function}(): argument '{name}' must be an array (a Tensor), not "
                        f"{type(value).__name__}")


def alias_python_object(alias, original):
    """``alias`` names the same ops as ``original`` (a wrapper that stands in for it)."""
    entry = _BY_PYTHON_OBJECT.get(id(original))
    if entry is None or entry[0] is not original:
        raise ValueError(f"{original!r} names no operator")
    _BY_PYTHON_OBJECT[id(alias)] = (alias, entry[1])


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
    """(op, spelling) for a Python callable that names an op (``np.tanh``), else None;
    the first of its overloads."""
    overloads = python_object_overloads(obj)
    return overloads[0] if overloads else None


def python_object_overloads(obj):
    """Every (op, spelling) a Python callable names, in registration order."""
    entry = _BY_PYTHON_OBJECT.get(id(obj))
    if entry is None or entry[0] is not obj:
        return []
    return list(entry[1])


def for_method(name, receiver="array"):
    return _METHODS.get((receiver, name))


def for_property(name, receiver="array"):
    return _PROPERTIES.get((receiver, name))


def attribute_names(receiver="array"):
    """The methods and properties script code supports on a kind of value."""
    return sorted({n for r, n in _METHODS if r == receiver} | {n for r, n in _PROPERTIES if r == receiver})


def array_attribute_names():
    return attribute_names("array")


def for_operator(symbol):
    """The first (op, spelling) of an operator symbol."""
    overloads = _OPERATORS.get(symbol)
    return overloads[0] if overloads else None


def operator_overloads(symbol):
    return list(_OPERATORS.get(symbol, []))


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
    functions, methods = numpy_names()
    lines.append(f"{len(functions) + len(methods)} NumPy names: {len(functions)} functions (np., np.linalg., "
                 f"np.random.), {len(methods)} ndarray methods and properties")
    lines.append(f"{len(_OPS)} operators, {sum(op.fusible for op in _OPS.values())} fusible")
    return "\n".join(lines)


def numpy_names():
    """(functions, methods): the public names of ``numpy``, ``numpy.linalg`` and
    ``numpy.random`` that name an operator (aliases such as ``np.concat`` count, as
    the names users write), and the ndarray methods and properties script code has."""
    functions = set()
    for prefix, module in (("np.", np), ("np.linalg.", np.linalg), ("np.random.", np.random)):
        for name in dir(module):
            if not name.startswith("_") and id(getattr(module, name)) in _BY_PYTHON_OBJECT:
                functions.add(prefix + name)
    methods = {name for receiver, name in (*_METHODS, *_PROPERTIES) if receiver == "array" and hasattr(np.ndarray, name)}
    return sorted(functions), sorted(methods)


def _spelling_text(spelling: Spelling) -> str:
    receiver = {"array": "x", "list": "list", "dict": "dict", "str": "str", "generator": "rng"}.get(spelling.receiver, "x")
    return {"method": f"{receiver}.{spelling.name}()", "property": f"{receiver}.{spelling.name}",
            "operator": spelling.name, "subscript": "x[...]"}.get(spelling.kind, spelling.name)
