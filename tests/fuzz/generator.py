"""Random programs in the script subset, written as Python source.

A program is grown one statement at a time and every candidate statement is
run eagerly on the first input set as it is written, so the generator knows
each variable's dtype and shape and can pick axes, shapes and indices that fit
(most statements are valid; an invalid one is kept now and then, as the
program's last, to check that script raises what NumPy raises). Operators
come from ``catalog`` (the registry), so new ones are fuzzed as they land.

``Options`` switches off the patterns of known bug classes (see
tests/fuzz/test_programs.py) and of constructs the subset does not have yet.
"""
from __future__ import annotations

import ast
import builtins
import math
import warnings

import numpy as np

import jit
import jit.nn.functional as F

from . import catalog
from .values import DTYPES, FLOAT_DTYPES, LAYOUTS, ArraySpec, ScalarSpec, random_values

NAMESPACE = {"np": np, "math": math, "F": F, "jit": jit}
BUILTIN_NAMES = set(dir(builtins))
MAX_ELEMENTS = 4096

# Python ints at and beyond the edges of the integer dtypes (NEP 50: NumPy compares
# them exactly, and raises OverflowError where it would have to convert them).
OUT_OF_RANGE_INTS = (-1, -2, 127, 128, -129, 255, 256, 32767, 32768, 65535, 65536, 2 ** 31 - 1, 2 ** 31,
                     2 ** 32, 2 ** 40, 2 ** 63 - 1, -2 ** 63, 2 ** 63, 2 ** 64 - 1)
FLOAT_LITERALS = ("0.5", "-1.5", "2.0", "0.001", "3.25", "1e30", "-0.0", "1e-310", "math.inf", "-math.inf",
                  "math.nan", "65504.0", "1e300")
FLOAT_PARAMS = (0.5, -1.5, 2.0, 0.0, -0.0, 1e-3, 7.25, math.nan, math.inf, -math.inf, 1e-310, 1e300, -3.0)
VIEW_SUFFIXES = (".T", "[::-1]", "[1:]", "[..., ::2]", "[None]", "[..., None]")


class Options:
    """What the generator may write. Each flag that is False leaves out one pattern."""

    def __init__(self, *, out_of_range_literals=True, out_of_range_int_params=True, int64_extremes=True,
                 dead_statements=True, in_place=True, control_flow=True, astype_builtin_types=True,
                 unannotated_scalars=True, ufuncs_on_python_scalars=True, blocks_change_dtypes=True,
                 python_helpers=True, numpy_scalars_from_constants=True, transpose_one_axis=True,
                 statements=(3, 9)):
        self.out_of_range_literals = out_of_range_literals  # weak Python ints outside the arrays' dtypes
        self.out_of_range_int_params = out_of_range_int_params  # such values passed as `n: int`
        self.int64_extremes = int64_extremes  # int64/uint64 values beyond +-2**31 (overflowing products)
        self.dead_statements = dead_statements  # statements whose result nothing uses
        self.in_place = in_place  # x += y and x[i] = v
        self.control_flow = control_flow
        self.astype_builtin_types = astype_builtin_types  # x.astype(int) / (float) / (bool)
        self.unannotated_scalars = unannotated_scalars  # a Python number passed to an unannotated parameter
        self.ufuncs_on_python_scalars = ufuncs_on_python_scalars  # np.equal(1.0, 2.0), np.tan(x.size)
        self.blocks_change_dtypes = blocks_change_dtypes  # an if/for assigns a variable a value of another dtype
        self.python_helpers = python_helpers  # f calls a plain Python function g(a, b) defined next to it
        # a NumPy scalar computed from no array input (np.ones(()).sum(), np.rint(n)): a constant in a trace
        self.numpy_scalars_from_constants = numpy_scalars_from_constants
        self.transpose_one_axis = transpose_one_axis  # x.transpose(0): one axis as the method's vararg
        self.statements = statements

    def as_dict(self) -> dict:
        return dict(vars(self))


class Param:
    """A parameter: ``kind`` is array, npscalar (a NumPy scalar), int (``n: int``),
    float (``s: float``), bool (``b: bool``), loop (``k: int``, a loop count) or weak
    (an unannotated Python int, typed by its value)."""

    ANNOTATIONS = {"int": ": int", "float": ": float", "bool": ": bool", "loop": ": int"}

    def __init__(self, name: str, kind: str):
        self.name, self.kind = name, kind

    def text(self) -> str:
        return self.name + self.ANNOTATIONS.get(self.kind, "")

    def __repr__(self):
        return f"Param({self.name!r}, {self.kind!r})"


class Program:
    """A generated program: its source (one function ``f``), parameters, and the
    argument specs of each call (the first is the one it was generated on)."""

    def __init__(self, source: str, params: list, calls: list, seed=None):
        self.source, self.params, self.calls, self.seed = source, params, calls, seed

    def arguments(self, index: int) -> list:
        return [spec.build() for spec in self.calls[index]]

    def __repr__(self):
        return f"Program(seed={self.seed})\n{self.source}"


def supported(source: str) -> bool:
    """Whether the script compiler accepts ``source`` (a construct the subset may not have yet)."""
    from ..helpers import define  # noqa: PLC0415 - tests.helpers needs its SOURCE_DIR set first

    function = define(source, "f", **NAMESPACE)  # from a file: script reads the source
    try:
        jit.script(function)
    except jit.CompilationError:
        return False
    return True


_SUPPORT: dict = {}


def subset_has(construct: str) -> bool:
    probes = {"setitem": "def f(x):\n    y = x + 0\n    y[0] = 1\n    return y\n",
              "augassign": "def f(x):\n    y = x + 0\n    y += 1\n    return y\n"}
    if construct not in _SUPPORT:
        _SUPPORT[construct] = supported(probes[construct])
    return _SUPPORT[construct]


class _Rejected(Exception):
    """A candidate the generator does not keep."""


# Where a random distribution's parameter keeps NumPy's sampler quick (by argument name,
# or by (operator, argument)); the default is (0.5, 5.0).
DISTRIBUTION_RANGES = {"p": (0.05, 0.95), ("np::random.zipf", "a"): (1.5, 5.0), ("np::random.power", "a"): (0.5, 5.0),
                       "nonc": (0.0, 5.0)}


class Generator:
    def __init__(self, seed: int, options: Options | None = None):
        self.seed = seed
        self.namespace, self.helper = dict(NAMESPACE), None
        self.rng = np.random.default_rng(seed)
        self.options = options or Options()
        self.forms, _ = catalog.forms()
        self.elementwise = [f for f in self.forms if f.category == "elementwise"]
        self.scalar_forms = [f for f in self.forms if f.category == "scalar"]
        self.other_forms = [f for f in self.forms if f.category == "array"]

    # -- helpers -------------------------------------------------------------------------
    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, items):
        return items[int(self.rng.integers(0, len(items)))]

    def evaluate(self, text: str):
        """The value of an expression on the first input set; _Rejected when it raises or is too big."""
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                value = eval(text, self.namespace, dict(self.env))  # noqa: S307 - our own generated text
            except Exception as error:  # noqa: BLE001 - any error rejects the candidate
                raise _Rejected(str(error)) from error
        if isinstance(value, np.ndarray) and (value.size > MAX_ELEMENTS or value.ndim > 5):
            raise _Rejected("too big")
        if isinstance(value, (list, tuple)) and len(value) > 8:
            raise _Rejected("too long")
        return value

    # -- parameters and inputs ----------------------------------------------------------
    def make_params(self):
        params, ranks, dtypes = [], {}, {}
        shared_dtype = self.pick(DTYPES)
        for index in range(int(self.rng.integers(1, 4))):
            name = f"x{index}"
            kind = "npscalar" if self.chance(0.08) else "array"
            params.append(Param(name, kind))
            dtypes[name] = shared_dtype if self.chance(0.5) else self.pick(DTYPES)
            ranks[name] = 0 if kind == "npscalar" else int(self.pick([0, 1, 1, 2, 2, 2, 3, 3]))
        for kind, name, p in (("int", "n", 0.35), ("float", "s", 0.3), ("bool", "b", 0.15), ("loop", "k", 0.3),
                              ("weak", "c", 0.15)):
            if kind == "weak" and not self.options.unannotated_scalars:
                continue
            if self.chance(p):
                params.append(Param(name, kind))
        return params, ranks, dtypes

    def make_calls(self, params, ranks, dtypes, count: int):
        """Argument specs for each call: the same dtypes and ranks throughout; the
        first two calls share shapes, later ones may change shapes, layouts and scalar values."""
        max_rank = max(ranks.values())
        ones = {name: [self.chance(0.25) for _ in range(rank)] for name, rank in ranks.items()}
        weak_is_float = self.chance(0.5)
        calls, base = [], None
        for index in range(count):
            if index == 0 or index >= 2:
                base = [int(self.pick([1, 2, 3, 3, 4, 5, 7])) for _ in range(max_rank)]
                if index >= 2 and max_rank >= 2 and self.chance(0.1):  # enough elements for the kernels' threads
                    base = [1] * (max_rank - 2) + [260, 260]
                if self.chance(0.1) and base:
                    base[int(self.rng.integers(0, len(base)))] = 0
            edge_rate = float(self.pick([0.0, 0.1, 0.3, 0.6]))
            layouts_changed = index >= 3 or (index == 0 and self.chance(0.5))
            specs = []
            for param in params:
                specs.append(self.make_spec(param, ranks.get(param.name), dtypes.get(param.name), base,
                                            ones.get(param.name), edge_rate, layouts_changed, weak_is_float,
                                            previous=calls[0][len(specs)] if index == 1 else None))
            calls.append(specs)
        return calls

    def make_spec(self, param, rank, dtype, base, ones, edge_rate, odd_layout, weak_is_float, previous):
        small = not self.options.int64_extremes
        if param.kind in ("array", "npscalar"):
            shape = tuple(1 if one else size for one, size in zip(ones, base[len(base) - rank:])) if rank else ()
            if previous is not None:
                shape = previous.logical_shape
            values = random_values(self.rng, dtype, shape, edge_rate, small_ints=small)
            if param.kind == "npscalar":
                return ArraySpec(values, numpy_scalar=True)
            layout = self.pick(LAYOUTS) if odd_layout and rank else "contiguous"
            if previous is not None:
                layout = previous.layout
            if layout == "broadcast":
                source_shape = tuple(1 if self.chance(0.5) else n for n in shape)
                return ArraySpec(random_values(self.rng, dtype, source_shape, edge_rate, small_ints=small),
                                 "broadcast", shape)
            return ArraySpec(values, layout)
        if param.kind == "int":
            pool = OUT_OF_RANGE_INTS if self.options.out_of_range_int_params else (0, 1, 2, 5, 100, 7)
            value = int(self.pick([0, 1, 2, 3, -1, 5])) if self.chance(0.6) else int(self.pick(pool))
            if not self.options.out_of_range_int_params:
                value = abs(value) % 101
            if not self.options.int64_extremes and abs(value) > 2 ** 31:
                value = 2 ** 31 - 1
            return ScalarSpec(value)
        if param.kind == "float":
            return ScalarSpec(float(self.pick(FLOAT_PARAMS)))
        if param.kind == "bool":
            return ScalarSpec(bool(self.chance(0.5)))
        if param.kind == "loop":
            return ScalarSpec(int(self.rng.integers(0, 4)))
        if param.kind == "weak":
            return ScalarSpec(float(self.pick([0.5, -2.0, 3.0])) if weak_is_float else int(self.pick([0, 1, 3, -2])))
        raise ValueError(param.kind)

    # -- expressions ---------------------------------------------------------------------
    def arrays(self):
        return [name for name, value in self.env.items()
                if isinstance(value, (np.ndarray, np.generic)) and name in self.visible]

    def scalars(self, kinds=(int, float, bool)):
        return [name for name, value in self.env.items()
                if type(value) in kinds and name in self.visible]

    def array_atom(self) -> str:
        text = self.pick(self.arrays())
        if self.chance(0.12):
            text += self.pick(VIEW_SUFFIXES)
        return text

    def array_expr(self, depth: int) -> str:
        if depth <= 0 or self.chance(0.3):
            return self.array_atom()
        if self.helper and self.chance(0.1):
            text = f"g({self.array_atom()}, {self.operand(depth)})"
            try:
                self.evaluate(text)
                return text
            except _Rejected:
                pass
        pool = self.elementwise if self.chance(0.65) else self.other_forms
        for _ in range(4):
            try:
                text = self.call(self.pick(pool), depth)
                value = self.evaluate(text)
            except _Rejected:
                continue
            if isinstance(value, (np.ndarray, np.generic)):
                return text
            if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
                return f"{text}[{int(self.rng.integers(-len(value), len(value)))}]"
        return self.array_atom()

    def int_literal(self) -> str:
        if self.options.out_of_range_literals and self.chance(0.2):
            value = int(self.pick(OUT_OF_RANGE_INTS))
            if not self.options.int64_extremes and abs(value) > 2 ** 31:
                value = 2 ** 31 - 1
            return str(value)
        return str(int(self.pick([0, 1, 2, 3, 5, 7, 100] + ([-1, -3] if self.options.out_of_range_literals else []))))

    def scalar_operand(self) -> str:
        """A Python scalar: a literal, a scalar parameter or variable, or a size."""
        roll = self.rng.random()
        names = self.scalars()
        if roll < 0.3 and names:
            return self.pick(names)
        if roll < 0.55:
            return self.int_literal()
        if roll < 0.8:
            return self.pick(FLOAT_LITERALS)
        if roll < 0.87:
            return self.pick(["True", "False"])
        array = self.pick(self.arrays())
        value = self.env[array]
        if getattr(value, "ndim", 0) and self.chance(0.6):
            return f"{array}.shape[{int(self.rng.integers(0, value.ndim))}]"
        return self.pick([f"{array}.ndim", f"{array}.size"])

    def operand(self, depth: int) -> str:
        return self.array_expr(depth - 1) if self.chance(0.65) else self.scalar_operand()

    def scalar_expr(self) -> str:
        """A Python number computed from the scalar world (for ``math::`` operators and conditions)."""
        names = self.scalars((int, float))
        roll = self.rng.random()
        if roll < 0.4 and names:
            return self.pick(names)
        if roll < 0.7:
            array = self.pick(self.arrays())
            return f"{self.pick(['float', 'int'])}({array}.{self.pick(['sum', 'max', 'min', 'mean'])}())"
        if roll < 0.85:
            return self.pick(FLOAT_LITERALS[:6])
        return self.int_literal()

    @staticmethod
    def wrapped(text: str) -> str:
        """``text`` safe to use as an operand of an operator or a receiver."""
        try:
            node = ast.parse(text, mode="eval").body
        except SyntaxError:
            return f"({text})"
        if isinstance(node, (ast.Name, ast.Call, ast.Attribute, ast.Subscript)) or (
                isinstance(node, ast.Constant) and not (isinstance(node.value, (int, float)) and node.value < 0)):
            return text
        return f"({text})"

    # -- one operator call ---------------------------------------------------------------
    def call(self, form, depth: int) -> str:
        """Source text calling ``form`` with generated arguments."""
        args, first = [], None
        for position, (arg, role) in enumerate(form.roles):
            if role is None or arg.has_default and self.chance(0.45) and role not in ("index",):
                args.append((arg, None))
                continue
            text = self.argument(form, arg, role, first, depth)
            if position == 0 and role in ("array", "operand") and text is not None:
                try:
                    first = self.evaluate(text)
                except _Rejected:
                    first = None
            args.append((arg, text))
        return self.spell(form, self.cast_guarded(form, args, first))

    # what each operator casts to its dtype argument, when that is an integer type
    CAST_ARGUMENTS = {"np::astype": "x", "np::full": "fill_value", "np::full_like": "fill_value"}

    def cast_guarded(self, form, args, first) -> list:
        """A float cast to an integer type is undefined in C outside the integer's range (NumPy wraps
        -2.5 to uint8 254 and warns only beyond int32/int64): clip what is cast into the range."""
        texts = {arg.name: text for arg, text in args}
        name = form.op.name
        target = None
        try:
            if texts.get("dtype") not in (None, "None"):
                target = np.dtype(self.evaluate(texts["dtype"]))
            elif name == "np::full_like" and first is not None:
                target = np.result_type(first)
        except (_Rejected, TypeError):
            return args
        if target is None or target.kind not in "iu":
            return args
        self.casts_to_integers = True  # a later call with a float array instead of an integer one would cast it
        cast = self.CAST_ARGUMENTS.get(name)
        if texts.get(cast) is None:
            return args
        try:
            if np.result_type(self.evaluate(texts[cast])).kind != "f":
                return args
        except (_Rejected, TypeError):
            return args
        info = np.iinfo(target)  # (64-bit limits are not floats: 2.0 ** 62 is)
        low, high = float(max(info.min, -2 ** 62)), float(min(info.max, 2 ** 62))
        return [(arg, f"np.clip({text}, {low!r}, {high!r})" if arg.name == cast else text) for arg, text in args]

    def spell(self, form, args) -> str:
        spelling = form.spelling
        positional, keywords, gap = [], [], False
        for arg, text in args:
            if text is None:
                gap = gap or not arg.kwarg_only
                continue
            if arg.kwarg_only or gap:
                keywords.append(f"{arg.name}={text}")
            else:
                positional.append(text)
        if spelling.kind == "operator":
            symbol = spelling.name
            if symbol.startswith("unary "):
                return f"{symbol[6:]}{self.wrapped(positional[0])}"
            return f"{self.wrapped(positional[0])} {symbol} {self.wrapped(positional[1])}"
        if spelling.kind == "property":
            return f"{self.wrapped(positional[0])}.{spelling.name}"
        if spelling.kind == "subscript":
            return f"{self.wrapped(positional[0])}[{positional[1]}]"
        if spelling.kind == "method":
            receiver, rest = self.wrapped(positional[0]), positional[1:]
            if spelling.varargs and rest and rest[-1].startswith("(") and rest[-1].endswith(")") and self.chance(0.5):
                inner = rest[-1][1:-1].rstrip(",")
                if "," in inner or form.op.name != "np::transpose" or self.options.transpose_one_axis:
                    rest = rest[:-1] + ([inner] if inner else [])
            return f"{receiver}.{spelling.name}({', '.join(rest + keywords)})"
        return f"{spelling.name}({', '.join(positional + keywords)})"

    def argument(self, form, arg, role, first, depth):  # noqa: C901 - one branch per role
        ndim = getattr(first, "ndim", 0)
        shape = getattr(first, "shape", ())
        name = form.op.name
        if role == "array":
            text = self.array_expr(depth - 1)
            return self.guarded(name, text)
        if role == "operand":
            if first is None and (self.chance(0.8) or not self.options.ufuncs_on_python_scalars):
                # the first operand: mostly an array
                return self.guarded(name, self.array_expr(depth - 1))
            return self.guarded(name, self.operand(depth))
        if role == "operand_or_none":
            return "None" if self.chance(0.3) else self.operand(depth)
        if role == "array_or_none":
            return "None" if self.chance(0.5) else self.array_expr(depth - 1)
        if role == "arrays":
            items = [self.array_expr(depth - 1) for _ in range(int(self.rng.integers(1, 4)))]
            if self.chance(0.5) and items:
                items = [items[0]] * len(items)
            return ("[{}]" if self.chance(0.5) else "({},)").format(", ".join(items))
        if role == "axis":
            return str(int(self.rng.integers(-max(ndim, 1), max(ndim, 1))) if not self.chance(0.05) else ndim + 1)
        if role in ("axes", "axes_or_none"):
            if role == "axes_or_none" and self.chance(0.3):
                return "None"
            if ndim >= 2 and self.chance(0.3):
                axes = sorted(self.rng.choice(ndim, size=int(self.rng.integers(1, ndim + 1)), replace=False))
                return "(" + ", ".join(str(int(a) - (ndim if self.chance(0.3) else 0)) for a in axes) + ",)"
            return str(int(self.rng.integers(-max(ndim, 1), max(ndim, 1))))
        if role == "new_axis":
            return str(int(self.rng.integers(-(ndim + 1), ndim + 1)))
        if role == "permutation":
            return "None" if self.chance(0.3) or not ndim else str(tuple(int(a) for a in self.rng.permutation(ndim)))
        if role == "dtype":
            if form.spelling.name == "astype" or name == "np::astype":
                choices = [f"np.{d}" for d in DTYPES] + [f"'{self.pick(DTYPES)}'"]
                if self.options.astype_builtin_types:
                    choices += ["int", "float", "bool"]
                arrays = self.arrays()
                if arrays:
                    choices.append(f"{self.pick(arrays)}.dtype")
                return self.pick(choices)
            return f"np.{self.pick(DTYPES)}"
        if role == "dtype_or_none":
            if self.chance(0.6):
                return "None"
            dtypes = DTYPES
            if name in ("np::sum", "np::prod", "np::mean", "np::var", "np::std") and \
                    getattr(first, "dtype", None) is not None and first.dtype.kind == "f":
                dtypes = FLOAT_DTYPES  # casting NaN to an integer accumulator is undefined
            return f"np.{self.pick(dtypes)}"
        if role == "bool":
            return self.pick(["True", "False"])
        if role == "small_number":
            if arg.name == "ddof":
                return self.pick(["0", "1"])
            # An int parameter gets an int: NumPy's int() of a float there is not our typed contract.
            return self.pick(["0", "1", "2"] if str(arg.type) == "int" else ["0", "1", "2", "0.5", "1e-05"])
        if role == "small_int":
            return str(int(self.rng.integers(-3, 6)))
        if role == "small_int_or_none":
            return "None" if self.chance(0.3) else str(int(self.rng.integers(-3, 8)))
        if role == "step_or_none":
            return "None" if self.chance(0.3) else self.pick(["1", "2", "-1", "0.5"])
        if role == "new_shape":
            arrays = self.arrays()
            if self.chance(0.4) and arrays:
                return f"{self.pick(arrays)}.shape"
            dims = [int(self.pick([0, 1, 2, 3, 4])) for _ in range(int(self.rng.integers(0, 3)))]
            return str(dims[0]) if len(dims) == 1 and self.chance(0.5) else str(tuple(dims))
        if role == "reshape_shape":
            size = int(np.prod(shape)) if shape else 1
            options = ["-1", "(-1,)", str(tuple(reversed(shape))), f"({size},)", "(1, -1)"]
            if ndim >= 1:
                options.append(f"({shape[0]}, -1)")
            return self.pick(options)
        if role == "broadcast_shape":
            target = tuple(int(self.pick([2, 3])) if n == 1 else n for n in shape)
            return str(((2,) + target) if self.chance(0.4) else target)
        if role == "sections":
            axis_size = shape[0] if shape else 1
            return self.pick(["1", str(max(axis_size, 1)), "[1]", "[0, 2]"])
        if role == "trailing_shape":
            if not shape:
                return "()"
            count = int(self.rng.integers(1, ndim + 1))
            return str(shape[-1]) if count == 1 and self.chance(0.5) else str(tuple(shape[ndim - count:]))
        if role == "index_array":
            return f"np.clip({self.array_atom()}.astype(np.int64), 0, 1)"
        if role == "gelu_mode":
            return self.pick(catalog.GELU_MODES)
        if role == "probability":
            return self.pick(["0.0", "0.5", "1.0"])
        if role == "distribution_parameter":
            low, high = DISTRIBUTION_RANGES.get((name, arg.name), DISTRIBUTION_RANGES.get(arg.name, (0.5, 5.0)))
            if self.chance(0.5):
                return self.pick([str(low), str(round((low + high) / 2, 2)), str(high)])
            return f"np.clip(np.abs({self.array_atom()}), {low}, {high})"
        if role == "population":
            return str(int(self.rng.integers(1, 6))) if self.chance(0.5) else self.array_expr(depth - 1)
        if role == "index":
            return self.index(first)
        if role == "scalar":
            return self.scalar_expr()
        return None

    def guarded(self, name: str, text: str) -> str:
        """Integer reciprocal of 0 divides by zero in C (NumPy leaves it undefined): keep 0 out."""
        if name == "np::reciprocal":
            try:
                value = self.evaluate(text)
            except _Rejected:
                return text
            if getattr(value, "dtype", np.dtype(float)).kind in "biu":
                return f"np.where({text} == 0, 1, {text})"
        return text

    def index(self, value) -> str:
        ndim = getattr(value, "ndim", 0)
        shape = getattr(value, "shape", ())
        roll = self.rng.random()
        if roll < 0.15:
            masks = [n for n in self.arrays() if getattr(self.env[n], "shape", None) == shape
                     and self.env[n].dtype == np.bool_]
            if masks and self.chance(0.5):
                return self.pick(masks)
            arrays = [n for n in self.arrays() if getattr(self.env[n], "shape", None) == shape]
            return f"{self.pick(arrays)} > {self.pick(['0', '1', '0.5'])}" if arrays else "..."
        parts = []
        ints = [p.name for p in self.params if p.kind in ("int", "loop")]
        for axis in range(min(ndim, int(self.rng.integers(1, 4)))):
            size = shape[axis]
            pick = self.rng.random()
            if pick < 0.06 and ints:  # a parameter as the index: in range or not, depending on the call
                parts.append(self.pick(ints))
            elif pick < 0.3 and size:
                parts.append(str(int(self.rng.integers(-size, size))))
            elif pick < 0.45:
                parts.append(":")
            elif pick < 0.55:
                parts.append("::-1")
            elif pick < 0.65:
                parts.append("None")
            else:
                start = int(self.rng.integers(-3, 3))
                stop = int(self.rng.integers(-2, 5))
                step = self.pick(["", ":2", ":-1", ":3"])
                parts.append(f"{start}:{stop}{step}")
        if self.chance(0.15):
            parts.insert(int(self.rng.integers(0, len(parts) + 1)), "...")
        if not parts:
            parts = [self.pick(["...", "None", "()"])]
        return ", ".join(parts)

    # -- statements ----------------------------------------------------------------------
    def statement(self, depth: int) -> tuple[str, list]:
        """(source lines, names assigned) of one candidate statement."""
        roll = self.rng.random()
        arrays = self.arrays()
        locals_ = [n for n in arrays if n not in self.param_names]
        if self.options.control_flow and roll < 0.08 and locals_:
            return self.if_statement(locals_)
        if self.options.control_flow and roll < 0.16 and locals_:
            return self.for_statement(locals_)
        if self.options.in_place and roll < 0.23 and subset_has("augassign"):
            target = self.pick(arrays)
            symbol = self.pick(["+=", "-=", "*=", "/=", "//=", "%=", "&=", "|=", "^=", "**=", "<<=", ">>="])
            return [f"{target} {symbol} {self.operand(depth)}"], []
        if self.options.in_place and roll < 0.28 and subset_has("setitem"):
            target = self.pick(arrays)
            return [f"{target}[{self.index(self.env[target])}] = {self.operand(1)}"], []
        if roll < 0.31 and self.scalar_forms:
            name = self.fresh("c")
            return [f"{name} = {self.call(self.pick(self.scalar_forms), 1)}"], [name]
        if roll < 0.34:
            name = self.fresh("c")
            left, symbol = self.scalar_expr(), self.pick(["+", "*", "-", "//", "%"])
            return [f"{name} = {left} {symbol} {self.scalar_operand()}"], [name]
        name = self.fresh("v")
        return [f"{name} = {self.array_expr(depth)}"], [name]

    def condition(self) -> str:
        options = []
        for param in self.params:
            if param.kind == "int":
                options.append(f"{param.name} > {self.pick(['0', '2', '-1'])}")
            elif param.kind == "float":
                options.append(f"{param.name} < 0.5")
            elif param.kind in ("bool",):
                options.append(param.name)
            elif param.kind == "loop":
                options.append(f"{param.name} == 1")
        array = self.pick(self.arrays())
        options += [f"{array}.sum() > 0", f"bool({array}.any())", f"{array}.size > 3", f"{array}.ndim == 2",
                    f"float({array}.max()) > 0.5"]
        return self.pick(options)

    def block_value(self, target: str, depth: int) -> str:
        """A new value for ``target`` inside an if/for (of the same dtype, unless blocks may change it)."""
        text = self.array_expr(depth)
        if self.options.blocks_change_dtypes:
            return text
        for _ in range(8):
            try:
                if self.evaluate(text).dtype == self.env[target].dtype:
                    return text
            except (_Rejected, AttributeError):
                pass
            text = self.array_expr(depth)
        return target

    def if_statement(self, locals_) -> tuple[list, list]:
        target = self.pick(locals_)
        lines = [f"if {self.condition()}:", f"    {target} = {self.block_value(target, 2)}"]
        if self.chance(0.6):
            lines += ["else:", f"    {target} = {self.block_value(target, 2)}"]
        return lines, []

    def for_statement(self, locals_) -> tuple[list, list]:
        target = self.pick(locals_)
        loops = [p.name for p in self.params if p.kind == "loop"]
        count = self.pick(loops + [str(int(self.rng.integers(0, 4)))])
        self.visible.add("i")
        self.env["i"] = 0
        try:
            body = [f"    {target} = {self.block_value(target, 2)}"]
            if self.chance(0.3):
                other = self.pick(locals_)
                body.append(f"    {other} = {self.block_value(other, 1)}")
        finally:
            self.visible.discard("i")
            self.env.pop("i", None)
        return [f"for i in range({count}):"] + body, []

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def make_helper(self) -> str:
        """``def g(a, b)``: a function the program calls (compiled along with it, inlined)."""
        arrays = self.arrays()
        saved = self.env, self.visible
        self.env = {"a": self.env[self.pick(arrays)], "b": self.env[self.pick(arrays)]}
        self.visible = {"a", "b"}
        try:
            for _ in range(6):
                text = self.array_expr(2)
                if "a" in {n.id for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Name)}:
                    break
            else:
                text = "a * b"
        finally:
            self.env, self.visible = saved
        source = f"def g(a, b):\n    return {text}\n"
        exec(compile(source, "<helper>", "exec"), self.namespace)  # noqa: S102 - our own generated text
        return source

    def changed_dtype_call(self, calls):
        """The last call again with one array argument of another dtype (a guard must fail)."""
        positions = [i for i, p in enumerate(self.params) if p.kind == "array"]
        if not positions:
            return None
        position = self.pick(positions)
        last = list(calls[-1])
        old = last[position]
        dtype = self.pick([d for d in DTYPES if d != old.dtype])
        values = random_values(self.rng, dtype, old.logical_shape, 0.1, small_ints=not self.options.int64_extremes)
        last[position] = ArraySpec(values, old.layout if old.layout != "broadcast" else "contiguous")
        return last

    # -- the whole program ---------------------------------------------------------------
    def program(self) -> Program:
        self.params, ranks, dtypes = self.make_params()
        self.param_names = {p.name for p in self.params}
        calls = self.make_calls(self.params, ranks, dtypes, int(self.rng.integers(3, 6)))
        self.first_call = calls[0]
        self.env = {p.name: spec.build() for p, spec in zip(self.params, calls[0])}
        self.visible = set(self.env)
        self.counter = 0
        self.namespace = dict(NAMESPACE)
        self.helper = None
        self.casts_to_integers = False
        if self.chance(0.2) and self.options.python_helpers:
            self.helper = self.make_helper()
        # names whose values no array input reaches (scalar parameters are constants in a trace)
        self.input_free = {p.name for p in self.params if p.kind not in ("array", "npscalar")}
        body, assigned, raising = [], [], False
        low, high = self.options.statements
        for _ in range(int(self.rng.integers(low, high + 1))):
            for _attempt in range(12):
                lines, names = self.statement(int(self.rng.integers(1, 4)))
                before = self.env  # the values as the statement finds them
                outcome = self.run(body + lines)
                if not self.options.numpy_scalars_from_constants and \
                        self.constant_numpy_scalar(lines, {**self.env, **before}):
                    self.replay(body)
                    continue
                if outcome is True:
                    body += lines
                    assigned += names
                    self.input_free = self.free_after(lines)
                    break
                if self.chance(0.03):  # keep an invalid statement now and then: script must raise too
                    body += lines
                    assigned += names
                    raising = True
                    break
                self.replay(body)
            if raising:
                break
        body.append(self.return_statement(body, assigned))
        header = f"def f({', '.join(p.text() for p in self.params)}):"
        source = "\n".join([header] + ["    " + line for line in body]) + "\n"
        if self.helper:
            source = self.helper + "\n\n" + source
        # a new dtype could make it integer reciprocal, or a float cast to an integer type unclipped
        if "reciprocal" not in source and not self.casts_to_integers and self.chance(0.2):
            changed = self.changed_dtype_call(calls)
            if changed:
                calls.append(changed)
        return Program(source, self.params, calls, self.seed)

    @staticmethod
    def reads_no_input(node, free) -> bool:
        """Whether the expression ``node`` reads only names in ``free``, modules and builtins."""
        return all(n.id in free or n.id in NAMESPACE or n.id in BUILTIN_NAMES
                   for n in ast.walk(node) if isinstance(n, ast.Name))

    def free_after(self, lines) -> set:
        """``input_free`` after ``lines``: a name assigned from no input joins it; one assigned
        from an input leaves it, unless inside an if/for (where it may still hold the old value)."""
        free = set(self.input_free) | {"i"}
        for statement in ast.parse("\n".join(lines)).body:
            nested = not isinstance(statement, (ast.Assign, ast.AugAssign))
            for node in ast.walk(statement):
                if isinstance(node, (ast.Assign, ast.AugAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    value_free = self.reads_no_input(node.value, free)
                    for target in targets:
                        name = target.value if isinstance(target, ast.Subscript) else target
                        if not isinstance(name, ast.Name):
                            continue
                        keeps = isinstance(node, ast.AugAssign) or target is not name
                        if value_free and (not keeps or name.id in free):
                            free.add(name.id)
                        elif not nested:
                            free.discard(name.id)
        return free - {"i"}

    def constant_numpy_scalar(self, lines, env) -> bool:
        """Whether ``lines`` compute a NumPy scalar from no array input (see Options)."""
        free = self.free_after(lines) | self.input_free | {"i"}
        env = {"i": 0, **env}
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, ast.expr) or isinstance(node, (ast.Name, ast.Constant)) or \
                    isinstance(getattr(node, "ctx", None), ast.Store) or not self.reads_no_input(node, free):
                continue
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    part = compile(ast.Expression(node), "<part>", "eval")
                    value = eval(part, dict(self.namespace), dict(env))  # noqa: S307 - our own generated text
                except Exception:  # noqa: BLE001, S112 - a part that does not run alone is not one
                    continue
            if isinstance(value, np.generic):
                return True
        return False

    def run(self, lines) -> bool:
        """Run the body so far on fresh first-call inputs; True when it runs and keeps values small."""
        env = {p.name: spec.build() for p, spec in zip(self.params, self.first_call)}
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                candidate = compile("\n".join(lines) or "pass", "<candidate>", "exec")
                exec(candidate, dict(self.namespace), env)  # noqa: S102 - our own generated text
            except Exception:  # noqa: BLE001 - the candidate raised
                return False
        for value in env.values():
            if isinstance(value, np.ndarray) and (value.size > MAX_ELEMENTS or value.ndim > 5):
                return False
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2 ** 64:
                return False
        self.env = env
        self.visible = set(env) - {"i"}
        return True

    def replay(self, body):
        self.run(body)

    def return_statement(self, body, assigned) -> str:
        candidates = [n for n in assigned if n in self.env] or [p.name for p in self.params
                                                                 if p.kind in ("array", "npscalar")]
        arrays = [n for n in candidates if isinstance(self.env.get(n), (np.ndarray, np.generic))]
        if arrays and self.chance(0.85):
            candidates = arrays
        if not self.options.dead_statements:  # return everything nothing else reads
            tree = ast.parse("\n".join(body) or "pass")
            read = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
            chosen = [n for n in candidates if n not in read] or candidates[-1:]
        else:
            count = min(len(candidates), int(self.pick([1, 1, 2, 3])))
            chosen = list(dict.fromkeys([candidates[-1]] + [self.pick(candidates) for _ in range(count - 1)]))
        if len(chosen) == 1 and self.chance(0.8):
            return f"return {chosen[0]}"
        return f"return {', '.join(chosen)}" + ("," if len(chosen) == 1 else "")


def generate(seed: int, options: Options | None = None) -> Program:
    return Generator(seed, options).program()
