"""The fuzzer's own parts: inputs and their printed form, the comparison, the
operator catalog (every registry operator is fuzzed or excluded with a reason),
the oracle catching planted bugs, and the shrinker."""
from __future__ import annotations

import ast
import re
import zlib
from math import inf, nan

import numpy as np
import pytest

import jit
from jit import ops

from . import catalog, oracle, shrinker
from .generator import NAMESPACE, Generator, Options, Param, Program, generate
from .values import LAYOUTS, ArraySpec, ScalarSpec, arr, npscalar, random_values, spec


@pytest.mark.parametrize("layout", LAYOUTS)
def test_layouts_keep_values_and_print_as_code(layout):
    values = random_values(np.random.default_rng(0), "float32", (3, 4), edge_rate=0.5)
    made = ArraySpec(values, layout, (2, 3, 4) if layout == "broadcast" else None)
    built = made.build()
    expected = np.broadcast_to(values, (2, 3, 4)) if layout == "broadcast" else values
    np.testing.assert_array_equal(built, expected)
    assert {"transposed": built.flags.f_contiguous and not built.flags.c_contiguous,
            "negative": all(stride < 0 for stride in built.strides),
            "strided": built.strides[-1] == 2 * built.itemsize,
            "fortran": built.flags.f_contiguous and not built.flags.c_contiguous,
            "misaligned": not built.flags.aligned,
            "broadcast": built.strides[0] == 0 and not built.flags.writeable,
            "contiguous": built.flags.c_contiguous}[layout]
    again = eval(made.code(), {"spec": spec, "npscalar": npscalar, "nan": nan, "inf": inf}).build()  # noqa: S307
    np.testing.assert_array_equal(again, built)
    assert again.strides == built.strides and again.flags.aligned == built.flags.aligned


def test_scalar_specs_print_exactly():
    for value in (nan, -inf, -0.0, 5e-324, 2 ** 64 - 1, True):
        again = eval(ScalarSpec(value).code(), {"nan": nan, "inf": inf})  # noqa: S307
        assert type(again) is type(value) and (again == value or value != value)
    scalar = eval(npscalar(2.5, "float16").code(), {"npscalar": npscalar}).build()  # noqa: S307
    assert type(scalar) is np.float16 and scalar == 2.5


def test_compare():
    compare = oracle.compare
    assert compare(np.array([1, 2], np.int8), np.array([1, 2], np.int8)) is None
    assert compare(np.array([1, 3], np.int8), np.array([1, 2], np.int8))[0] == "wrong value"
    assert compare(np.array([1, 2], np.int16), np.array([1, 2], np.int8))[0] == "wrong dtype/shape"
    assert compare(np.array(1.0), np.float64(1.0))[0] == "wrong dtype/shape"
    assert compare((np.ones(2),), (np.ones(3),))[0] == "wrong dtype/shape"
    one = np.float32(1)
    assert compare(np.array([one + np.spacing(one) * 3, nan], np.float32), np.array([1, nan], np.float32)) is None
    assert compare(np.array([1.001, nan], np.float32), np.array([1, nan], np.float32))[0] == "wrong value"
    assert compare(np.array([1.0, 2.0]), np.array([1.0, nan]))[0] == "wrong value"
    assert compare(np.array([inf]), np.array([-inf]))[0] == "wrong value"
    # values that cancelled to near zero are compared on the scale of the whole result; small results
    # alone keep their own ulps (a subnormal flushed to zero is caught)
    assert compare(np.array([1e6, 1e-10]), np.array([1e6, 0.0])) is None
    assert compare(np.array([0.0], np.float32), np.array([1e-40], np.float32))[0] == "wrong value"
    assert compare(np.array([2e-7]), np.array([1e-7]))[0] == "wrong value"
    # a float64 result of a float32 value: float32's ulps (kernels' and NumPy's float32 exp differ)
    exp32, exp32_numpy = np.array([4.539993096841499e-05]), np.array([4.539992369245738e-05])
    assert compare(exp32, exp32_numpy)[0] == "wrong value"
    assert compare(exp32, exp32_numpy, precision=np.dtype(np.float32)) is None
    assert compare(exp32 * 1.001, exp32_numpy, precision=np.dtype(np.float32))[0] == "wrong value"


def test_a_result_that_amplifies_its_inputs_last_bit_gets_that_much_slack():
    """Bounded-run seed 23197: np.exp(np.logaddexp(c, c)) for c = np.cosh(5) ~ 74 turns a 1-ulp
    difference of cosh into 130 ulps. The oracle runs the program in float64 with the inputs moved by
    half a float32 ulp and allows twice the distance that moves the result; an insensitive result
    gets none."""
    def amplifying(x):
        c = np.cosh(x)
        return np.exp(np.logaddexp(c, c)), np.tanh(x) + 1
    specs = [spec([[5, 6]], "uint16")]
    expected = oracle.run_eager(amplifying, specs)
    nudged = [oracle.run_eager(amplifying, oracle._nudged_specs(specs, f)) for f in oracle.NUDGES]
    off = expected.result[0] * np.float32(1 + 130 * 2 ** -23)  # 130 ulps: a 1-ulp cosh, amplified
    actual = oracle.Call((off, expected.result[1]))
    outcome = oracle.Outcome()
    oracle.judge(actual, expected, "script", 0, 0, outcome)
    assert [m.kind for m in outcome.mismatches] == ["wrong value"]  # without the nudged runs
    outcome = oracle.Outcome()
    oracle.judge(actual, expected, "script", 0, 0, outcome, nudged=lambda: nudged)
    assert not outcome.mismatches
    # the same 130 ulps in tanh(x) + 1, which the nudges barely move, stays a wrong value
    actual = oracle.Call((expected.result[0], expected.result[1] * np.float32(1 + 130 * 2 ** -23)))
    outcome = oracle.Outcome()
    oracle.judge(actual, expected, "script", 0, 0, outcome, nudged=lambda: nudged)
    assert [m.kind for m in outcome.mismatches] == ["wrong value"]


def test_lowest_precision_of_a_program():
    def program(source, *dtypes):
        return Program(source, [], [[spec([1], dtype) for dtype in dtypes]])
    assert oracle.lowest_precision(program("def f(x):\n    return x\n", "float64", "int64")) is None
    assert oracle.lowest_precision(program("def f(x):\n    return x\n", "float64", "int16")) == np.float32
    assert oracle.lowest_precision(program("def f(x):\n    return x\n", "uint16", "bool")) == np.float16
    assert oracle.lowest_precision(program("def f(x):\n    return x.astype(np.float32)\n", "int64")) == np.float32


def test_every_registry_operator_is_fuzzed_or_excluded_with_a_reason():
    forms, skipped = catalog.forms()
    assert set(skipped) <= set(catalog.EXCLUDED), f"no argument generator for: {skipped}"
    spelled = {form.op.name for form in forms}
    wanted = {op.name for op in ops.all_ops() if op.namespace in ("np", "nn", "math") and not op.structural}
    assert wanted - spelled == set(catalog.EXCLUDED) & wanted


def test_every_form_writes_calls_that_run():
    """For each operator, some generated call runs eagerly on sample inputs (a new
    operator whose arguments the generator gets wrong every time shows here)."""
    generator = Generator(7)
    generator.params = []
    generator.param_names = set()
    rng = np.random.default_rng(1)
    generator.env = {"x0": random_values(rng, "float64", (3, 4)), "x1": random_values(rng, "int32", (4,)),
                     "x2": random_values(rng, "bool", (3, 4)), "x3": random_values(rng, "float32", (2, 3, 4)),
                     "n": 3, "s": 0.5}
    generator.visible = set(generator.env)
    never = []
    for form in generator.forms:
        # Each form draws from its own stream, so the outcome does not hang on the registry's order.
        generator.rng = np.random.default_rng(zlib.crc32(repr(form).encode()))
        for _ in range(100):
            try:
                generator.evaluate(generator.call(form, 2))
                break
            except Exception:  # noqa: BLE001, S112 - try another draw
                continue
        else:
            never.append(form)
    assert not never, f"no generated call ran: {never}"


def test_generation_is_reproducible():
    assert generate(3).source == generate(3).source
    assert [c.code() for c in generate(3).calls[1]] == [c.code() for c in generate(3).calls[1]]


def test_the_oracle_catches_planted_bugs(monkeypatch):
    """A 'compiler' that adds 1 to integer results, or swallows errors, is caught."""
    source = "def f(x):\n    return x // 2\n"
    calls = [[spec([4, -3], "int8")], [spec([[7]], "int8", "transposed")]]
    real_script = jit.script

    def off_by_one(function):
        compiled = real_script(function)
        return lambda *args: compiled(*args) + np.int8(1)

    monkeypatch.setattr(jit, "script", off_by_one)
    outcome = oracle.check(Program(source, [], calls), ("script",))
    assert {m.kind for m in outcome.mismatches} == {"wrong value"}
    assert outcome.calls == len(oracle.schedules(Program(source, [], calls))["script"])

    def swallowing(function):
        compiled = real_script(function)

        def call(*args):
            try:
                return compiled(*args)
            except ValueError:
                return None
        return call

    monkeypatch.setattr(jit, "script", swallowing)
    raising = Program("def f(x):\n    return x.reshape(5)\n", [], calls)
    assert {m.kind for m in oracle.check(raising, ("script",)).mismatches} == {"missing exception"}


def test_the_oracle_skips_what_numpy_leaves_undefined():
    """A float-to-int cast of NaN is not compared (NumPy warns it is undefined)."""
    outcome = oracle.check(Program("def f(x):\n    return x.astype(np.int32)\n", [],
                                   [[spec([nan, 1.0], "float64")]]), ("script",))
    assert outcome.calls == outcome.undefined_calls > 0 and not outcome.mismatches


def test_the_shrinker_keeps_the_failure_and_drops_the_rest(monkeypatch):
    """With a stand-in oracle ("fails" when np.tanh meets a negative input), the shrinker
    drops the unrelated statements, parameters, input sets and values."""
    def fake_check(program, modes, **options):
        outcome = oracle.Outcome()
        negative = any(isinstance(s, ArraySpec) and s.values.dtype.kind == "f" and (s.values < 0).any()
                       for call in program.calls for s in call)
        if "np.tanh(x0)" in program.source and negative:
            outcome.mismatches.append(oracle.Mismatch("wrong value", "script", 0, 0, "planted", "planted"))
        return outcome

    monkeypatch.setattr(shrinker, "check", fake_check)
    source = ("def f(x0, x1, n: int):\n    v1 = x1 * 2\n    v2 = np.tanh(x0) + v1\n"
              "    if n > 0:\n        v2 = v2 - 1\n    return v2, v1\n")
    calls = [[spec([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], "float64", "transposed"), spec([1, 2, 3], "int64"), 3],
             [spec([[1.0, 2.0, 3.0]], "float64"), spec([1, 2, 3], "int64"), 0]]
    program = Program(source, [], [[oracle.as_spec(a) for a in call] for call in calls])
    small = shrinker.shrink(program, ("wrong value", "script", "planted"))
    assert "v1" not in small.source and "if" not in small.source and "np.tanh(x0)" in small.source
    assert len(small.calls) == 1 and len(small.calls[0]) == 1
    only = small.calls[0][0]
    assert only.layout == "contiguous" and only.values.size == 1 and only.values.reshape(-1)[0] < 0
    text = shrinker.as_test(small, oracle.Mismatch("wrong value", "script", 0, 0, "planted", "planted"))
    compile(text, "<shrunk test>", "exec")


def test_options_leave_out_their_patterns():
    """Each Options flag changes what is written (so the bounded run's exclusions are real)."""
    quiet = Options(out_of_range_literals=False, out_of_range_int_params=False, int64_extremes=False,
                    unannotated_scalars=False)
    for seed in range(40):
        program = generate(seed, quiet)
        for call in program.calls:
            for argument in call:
                if isinstance(argument, ScalarSpec) and type(argument.value) is int:
                    assert 0 <= argument.value <= 100 or argument.value in range(4)
                if isinstance(argument, ArraySpec) and argument.dtype in ("int64", "uint64"):
                    assert np.all(np.abs(argument.values.astype(object)) <= 2 ** 31)
        assert "c" not in [p.name for p in program.params]
        assert not any(re.search(rf"(?<![\d.]){v}(?![\d.])", program.source) for v in (255, 65535, 2 ** 31, 2 ** 63))
    assert NAMESPACE["np"] is np


def test_flags_of_known_bugs_leave_out_their_patterns():
    """``numpy_scalars_from_constants=False`` rejects exactly the statements that compute a
    NumPy scalar from no array input (scalar parameters count as constants: a trace binds them);
    ``python_helpers`` and ``transpose_one_axis`` leave out g(a, b) and x.transpose(0)."""
    generator = Generator(0)
    generator.params = [Param("x0", "array"), Param("n", "int")]
    generator.input_free = {"n"}
    env = {"x0": np.array([1.0, 2.0]), "n": 3, "v1": np.ones(())}
    constant = generator.constant_numpy_scalar
    assert constant(["v2 = np.ones(()).sum() + x0"], env)
    assert constant(["v2 = np.rint(n) * x0"], env)
    assert not constant(["v2 = x0.sum()"], env)
    assert not constant(["v2 = np.ones(()) + x0", "v3 = n * 2"], env)
    generator.input_free = generator.free_after(["v1 = np.ones(())"])
    assert constant(["v2 = v1 > 0"], env)
    generator.input_free = generator.free_after(["v1 = x0 + v1"])
    assert not constant(["v2 = v1 > 0"], env)
    for seed in range(30):
        source = generate(seed, Options(python_helpers=False, transpose_one_axis=False)).source
        assert "def g(" not in source and not re.search(r"\.transpose\(-?\d+\)", source)


def test_float_to_integer_casts_are_clipped_into_the_integer_range():
    """C leaves a float cast to an integer type undefined outside its range (NumPy casts -2.5
    to uint8 254, silently): the generator clips what astype / full / full_like cast."""
    generator = Generator(0)
    generator.params, generator.casts_to_integers = [], False
    generator.env = {"x0": np.array([-2.5, 300.0]), "x1": np.array([1, 2], np.int8)}
    generator.visible = set(generator.env)
    by_name = {form.op.name: form for form in generator.forms}

    def guarded(name, **texts):
        form = by_name[name]
        args = [(arg, texts.get(arg.name)) for arg, _ in form.roles]
        first = generator.evaluate(args[0][1]) if args[0][1] else None
        return {arg.name: text for arg, text in generator.cast_guarded(form, args, first)}

    assert guarded("np::astype", x="x0", dtype="np.uint8")["x"] == "np.clip(x0, 0.0, 255.0)"
    assert guarded("np::astype", x="x0", dtype="np.int64")["x"] == f"np.clip(x0, {-2.0 ** 62!r}, {2.0 ** 62!r})"
    assert guarded("np::astype", x="x1", dtype="np.uint8")["x"] == "x1"  # integer casts wrap, as defined
    assert guarded("np::astype", x="x0", dtype="np.float16")["x"] == "x0"
    assert guarded("np::full_like", a="x1", fill_value="2.5")["fill_value"] == "np.clip(2.5, -128.0, 127.0)"
    assert guarded("np::full", shape="(2,)", fill_value="x0", dtype="np.uint16")["fill_value"] == \
        "np.clip(x0, 0.0, 65535.0)"
    assert generator.casts_to_integers  # so no later call changes an integer argument to a float one


def test_arguments_after_one_without_a_value_generator_go_by_keyword():
    """np.linalg.norm's ``ord`` has no value generator: axis and keepdims after it must be
    keywords, or ``norm(x, -1, False)`` passes axis as ord and keepdims as axis."""
    generator = Generator(3)
    generator.params = []
    generator.env = {"x0": np.ones((2, 3))}
    generator.visible = set(generator.env)
    form = next(f for f in generator.forms if f.op.name == "np::linalg.norm")
    calls = {generator.call(form, 1) for _ in range(40)}
    positional = [c for c in calls if len(ast.parse(c, mode="eval").body.args) > 1]
    assert not positional, positional
    assert any("axis=" in c for c in calls) and any("keepdims=" in c for c in calls)
    for text in calls:
        generator.evaluate(text)
