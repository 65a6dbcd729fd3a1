"""Fused against eager: every fusible op at each dtype, dtype mixes with weak
Python scalars, broadcast patterns, 0-d, 0-size, non-contiguous and
negative-stride inputs, NaN and infinity, and integer wrap-around. Each case
checks that the second call really ran a FusionGroup kernel, then compares it
with the same function run by NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import jit
from jit import ops
from jit import types as T

import jit.nn.functional as F

from ..helpers import assert_same, script_source

DTYPES = ["float32", "float64", "int32", "uint8", "bool"]
STATIC_ARGS = {"np::astype": ["np.int32", "np.float32", "np.bool_"], "nn::gelu": ["'none'", "'tanh'"],
               "np::round": ["0", "2", "-1"]}
# Ops with several outputs fuse where unpacked: tests/fuser/test_ufunc_fusion.py.
FUSIBLE = sorted(op.name for op in ops.all_ops() if op.fusible and not isinstance(op.returns, T.TupleType))
POWERS = ("np::power", "np::power_operator")  # integer powers stay unfused


def _values(dtype, seed, shape=(3, 5)):
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    if dtype.kind in "iu":
        low = 0 if dtype.kind == "u" else -4
        return rng.integers(low, 7, shape).astype(dtype)
    values = (rng.standard_normal(shape) * 3).astype(dtype)
    if values.size >= 5:
        values.flat[:5] = [np.nan, np.inf, -np.inf, 0.0, -0.0]
    return values


def _call(name: str, args: list) -> list:
    """Spellings of ``name`` applied to argument expressions (one per static choice)."""
    op = ops.lookup(name)
    short = op.short_name
    if name == "np::astype":
        return [f"{args[0]}.astype({dtype})" for dtype in STATIC_ARGS[name]]
    if name == "nn::gelu":
        return [f"F.gelu({args[0]}, approximate={mode})" for mode in STATIC_ARGS[name]]
    if name == "np::round":
        return [f"np.round({args[0]}, {decimals})" for decimals in STATIC_ARGS[name]]
    if op.namespace == "nn":
        return [f"F.{short}({args[0]})"]
    if name == "np::clip":
        return [f"np.clip({args[0]}, {args[1]}, {args[2]})", f"np.clip({args[0]}, None, {args[2]})"]
    if op.spellings[0].kind == "operator":  # np::power_operator: only a ** b spells it
        return [f"{args[0]} {op.spellings[0].name} {args[1]}"]
    return [f"np.{short}({', '.join(args)})"]


def _arity(name):
    op = ops.lookup(name)
    return sum(1 for a in op.args if not a.static)


def _group_count(graph) -> int:
    return sum(node.kind == "prim::FusionGroup" for node in graph.all_nodes())


def _fused_call(scripted, eager, *args):
    """The second call (after profiling) against eager; asserts a kernel ran."""
    with np.errstate(all="ignore"):
        scripted(*args)
        actual = scripted(*args)
        try:
            expected = eager(*args)
        except Exception as error:  # noqa: BLE001 - eager raising means script must raise the same
            raise AssertionError(f"eager raised {error!r} but script returned") from error
    graph = jit.last_executed_optimized_graph()
    assert "prim::FusionGroup" in str(graph), f"nothing fused:\n{graph}"
    assert_same(actual, expected)
    return graph


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", FUSIBLE)
def test_every_fusible_op_matches_eager(name, dtype):
    """Two applications of the op and a where: one three-node group."""
    arity = _arity(name)
    params = ["x", "y", "z"][:arity]
    for index, first in enumerate(_call(name, params)):
        second = _call(name, params[::-1])[index]
        source = (f"def f(c, {', '.join(params)}):\n    r = np.where(c, {first}, {second})\n"
                  f"    return np.where(np.logical_not(c), {second}, r)\n")
        scripted, eager = script_source(source, F=F)
        args = [_values(dtype, 1 + i) for i in range(arity)]
        if name in POWERS and dtype != "float32" and dtype != "float64":
            args = [np.abs(a) if a.dtype != np.bool_ else a for a in args]
            scripted(_values("bool", 0), *args)
            assert_same(scripted(_values("bool", 0), *args), eager(_values("bool", 0), *args))
            assert "integer power raises on negative exponents" in str(jit.explain(scripted, _values("bool", 0), *args))
            continue
        condition = _values("bool", 0)
        try:
            with np.errstate(all="ignore"):
                expected = eager(condition, *args)
        except TypeError:  # NumPy has no loop for these dtypes: script raises the same error
            with pytest.raises(TypeError):
                scripted(condition, *args)
            continue
        if expected.dtype == np.float16:  # NumPy computes small ints' math in float16: no CPU kernel for it
            with np.errstate(all="ignore"):
                scripted(condition, *args)
                assert_same(scripted(condition, *args), expected)
            assert "float16 is not supported by the CPU kernels" in str(jit.explain(scripted, condition, *args))
            continue
        _fused_call(scripted, eager, condition, *args)


MIXES = [("float32", "int64"), ("int32", "float64"), ("bool", "float32"), ("uint8", "int8"),
         ("int32", 2.5), ("float32", 3), ("int8", 100), ("uint8", True), ("float64", -0.5)]


@pytest.mark.parametrize("left,right", MIXES, ids=str)
def test_dtype_mixes_and_weak_scalars(left, right):
    annotation = "" if isinstance(right, str) else f": {type(right).__name__}"
    source = (f"def f(x, y{annotation}):\n    a = x * y + y\n    b = np.maximum(a, x) - np.minimum(y, a)\n"
              "    return np.where(b > a, b / 2, a), a < b\n")
    scripted, eager = script_source(source, F=F)
    y = right if not isinstance(right, str) else _values(right, 2)
    assert _group_count(_fused_call(scripted, eager, _values(left, 1), y)) == 1


LAYOUTS = {
    "same shape": lambda: (_values("float32", 1, (4, 6)), _values("float32", 2, (4, 6))),
    "row bias": lambda: (_values("float32", 1, (4, 6)), _values("float32", 2, (6,))),
    "column and row": lambda: (_values("float32", 1, (4, 1)), _values("float32", 2, (1, 6))),
    "0-d and matrix": lambda: (np.array(1.5, np.float32), _values("float32", 2, (4, 6))),
    "numpy scalar": lambda: (np.float32(0.25), _values("float32", 2, (3, 2, 6))),
    "0-size": lambda: (_values("float32", 1, (0, 6)), _values("float32", 2, (6,))),
    "non-contiguous": lambda: (_values("float32", 1, (4, 12))[:, ::2], _values("float32", 2, (4, 6))),
    "negative strides": lambda: (_values("float32", 1, (4, 6))[::-1, ::-1], _values("float32", 2, (6,))),
    "transposed": lambda: (_values("float32", 1, (6, 4)).T, _values("float32", 2, (4, 1))),
    "rank 3 against rank 1": lambda: (_values("float32", 1, (2, 3, 5)), _values("float32", 2, (5,))),
    "large (threads)": lambda: (_values("float32", 1, (512, 300)), _values("float32", 2, (300,))),
}


@pytest.mark.parametrize("strategy", ["STATIC", "DYNAMIC"])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_broadcast_and_layouts(layout, strategy):
    previous = jit.set_fusion_strategy([(strategy, 4)])
    try:
        source = ("def f(x, b):\n    y = x + b\n"
                  "    return 0.5 * y * (1.0 + np.tanh(0.7978845608 * (y + 0.044715 * y * y * y))), np.exp(y) - b\n")
        scripted, eager = script_source(source, F=F)
        graph = _fused_call(scripted, eager, *LAYOUTS[layout]())
        assert str(graph).count("prim::FusionGroup_0(") == 1
    finally:
        jit.set_fusion_strategy(previous)


def test_zero_dimensional_results_stay_unfused_with_their_numpy_types():
    scripted, eager = script_source("def f(x, b):\n    y = x + b\n    return np.where(y > 0, y, b), np.tanh(y) * 2.0\n",
                                    F=F)
    for x, b in [(np.array(1.5, np.float32), np.array(-2.0, np.float32)), (np.float32(0.5), np.float32(2.0))]:
        scripted(x, b)
        assert_same(scripted(x, b), eager(x, b))
        assert "prim::FusionGroup" not in str(jit.last_executed_optimized_graph())
        assert "its result is 0-d" in str(jit.explain(scripted, x, b))


def test_dynamic_kernel_serves_new_shapes_and_broadcast_patterns():
    previous = jit.set_fusion_strategy([("DYNAMIC", 1)])
    try:
        scripted, eager = script_source("def f(x, b):\n    return np.tanh(x * b) + x\n", F=F)
        cases = [(_values("float32", 1, (4, 6)), _values("float32", 2, (4, 6))),
                 (_values("float32", 3, (7, 2)), _values("float32", 4, (7, 2))),
                 (_values("float32", 5, (7, 2)), _values("float32", 6, (1, 2))),   # a new pattern: compiled once
                 (_values("float32", 7, (1, 3)), _values("float32", 8, (5, 3))),
                 (_values("float32", 9, (0, 3)), _values("float32", 8, (1, 3)))]
        for x, b in cases:
            scripted(x, b)
            assert_same(scripted(x, b), eager(x, b))
        assert len(scripted._executor.current()) == 1, "one DYNAMIC specialization serves every shape"
        with pytest.raises(ValueError, match="could not be broadcast"):
            scripted(_values("float32", 1, (4, 6)), _values("float32", 2, (4, 5)))
    finally:
        jit.set_fusion_strategy(previous)


def test_dynamic_output_smaller_than_the_group_runs_unfused():
    """y reads only x; its shape is x's, which only a call reveals to differ from the group's."""
    previous = jit.set_fusion_strategy([("DYNAMIC", 1)])
    try:
        scripted, eager = script_source("def f(x, b):\n    y = np.exp(x) * 2.0\n    return y, y + b\n", F=F)
        for x, b in [(_values("float32", 1, (3, 4)), _values("float32", 2, (3, 4))),
                     (_values("float32", 1, (1, 4)), _values("float32", 2, (3, 4)))]:
            scripted(x, b)
            assert_same(scripted(x, b), eager(x, b))
    finally:
        jit.set_fusion_strategy(previous)


INTEGER_EDGES = [
    ("int8", "x + y", [120, -128, 5], [10, -1, 3]),                  # wraps
    ("int32", "x * y", [2**30, -2**31, 7], [4, -1, -3]),
    ("int32", "x // y", [7, -7, -2**31, 5], [0, 2, -1, -2]),          # by zero: 0; MIN // -1 wraps
    ("int64", "x % y", [7, -7, 5, -2**63], [0, 3, -2, -1]),
    ("int32", "np.fmod(x, y)", [7, -7, 5, -2**31], [0, 3, -2, -1]),
    ("int32", "x << y", [1, 1, -1, 3], [31, 32, 40, -1]),             # shift counts past the width: 0
    ("int32", "x >> y", [-8, 8, -1, 5], [1, 40, 33, -2]),
    ("uint8", "x - y", [0, 3, 250], [1, 5, 10]),
    ("int32", "np.absolute(x)", [-2**31, -5, 3], [1, 1, 1]),
    ("int16", "-x", [-2**15, 5, 0], [1, 1, 1]),
]


@pytest.mark.parametrize("dtype,expression,xs,ys", INTEGER_EDGES, ids=[e[1] + " " + e[0] for e in INTEGER_EDGES])
def test_integer_semantics_equal_numpy(dtype, expression, xs, ys):
    scripted, eager = script_source(f"def f(x, y):\n    r = {expression}\n    return r + (y - y)\n", F=F)
    with np.errstate(all="ignore"):
        x, y = np.array(xs).astype(dtype), np.array(ys).astype(dtype)
    assert _group_count(_fused_call(scripted, eager, x, y)) == 1


FLOAT_EDGES = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-30, 1e-40, 88.5, 88.75, -87.5, -103.0,
                        -104.5, 7.9, -7.95, 3.9, 4.5, 1e30, -1e30, 0.5, -2.5], np.float32)


@pytest.mark.parametrize("function", ["np.exp", "np.tanh", "np.log", "F.sigmoid", "F.silu", "np.sign", "np.sqrt",
                                      "np.floor", "np.rint", "np.isnan", "np.isinf", "np.isfinite", "F.relu",
                                      "F.gelu", "np.expm1", "np.log1p", "np.sin", "np.arctan"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_special_float_values(function, dtype):
    scripted, eager = script_source(f"def f(x, y):\n    return {function}(x) == {function}(y), {function}(x * y)\n", F=F)
    x = FLOAT_EDGES.astype(dtype)
    y = np.abs(x) if function == "np.log" else x[::-1].copy()
    assert _group_count(_fused_call(scripted, eager, x, y)) == 2, "f(x) == f(y), and f(x * y)"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_transcendental_accuracy_over_a_wide_range(dtype):
    """The vectorized float32 forms against NumPy's own loops, over every binade
    that matters: within 8 ulp of the result, plus for GELU 8 ulp of |x| (its
    1 + erf(x) cancels for negative x, where NumPy's own result is that far off)."""
    scripted, eager = script_source("def f(x, y):\n    return np.exp(x) + y, np.tanh(x) + y, np.log(np.abs(x)) + y, "
                                    "F.sigmoid(x) + y, F.gelu(x) + y, F.gelu(x, approximate='tanh') + y\n", F=F)
    grid = np.concatenate([np.linspace(-110, 90, 20001), np.geomspace(1e-38, 1e38, 4001),
                           -np.geomspace(1e-38, 1e38, 4001)]).astype(dtype)
    zero = np.zeros_like(grid)
    with np.errstate(all="ignore"):
        scripted(grid, zero)
        results, expected = scripted(grid, zero), eager(grid, zero)
    assert "prim::FusionGroup" in str(jit.last_executed_optimized_graph())
    for index, (actual, wanted) in enumerate(zip(results, expected)):
        finite = np.isfinite(wanted) & (np.abs(wanted) > np.finfo(dtype).tiny)
        allowed = 8 * np.spacing(np.abs(wanted[finite]).astype(dtype))
        if index >= 4:
            allowed = allowed + 8 * np.spacing(np.abs(grid[finite]).astype(dtype))
        error = np.abs(actual[finite] - wanted[finite])
        worst = np.argmax(error / allowed)
        assert np.all(error <= allowed), f"output {index}: {error[worst]} at x = {grid[finite][worst]}"
        assert_same(actual[~finite], wanted[~finite])
