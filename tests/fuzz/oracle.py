"""Run one program eagerly and compiled, and compare.

Modes (each a fresh compilation of the same source):

- ``script``: the default strategy; the first input set three times (profiled
  run, the call that builds and runs the STATIC specialization, a plain
  specialized call), then the other sets (new shapes: a second STATIC, then
  DYNAMIC specializations), then the first again.
- ``dynamic``: ``set_fusion_strategy([("DYNAMIC", 2)])``: shape-polymorphic
  kernels from the first specialization on.
- ``trace``: ``jit.trace`` on the first set (Python scalar parameters bound to
  their first values; NumPy scalars traced inputs in half the programs and
  constants the trace reads in the others), called on it twice, then on the
  other sets (same ranks) unless the trace warned that it baked a value in.
- ``loaded``: the scripted function saved with ``jit.save`` and loaded back.

Comparison: the same Python type, dtype and shape; integers and bools exactly;
floats within ``FLOAT_ULPS`` units in the last place of the expected value (or
of the result's largest magnitude, for values that cancelled to near zero), in
the ulps of the least precise float type the program may compute in
(``lowest_precision``), with NaN in the same places and infinities equal (the sign of a zero is not compared);
arguments the program writes to must end up equal too; when eager raises, the
compiled call must raise an exception of the same type.

What NumPy leaves undefined is not compared (``UNDEFINED``): a call in which
NumPy reports "invalid value encountered in cast" (float to integer casts of
NaN, infinities and values beyond int32/int64, which C leaves undefined) counts
as ``undefined`` and is skipped; the generator clips the floats it casts to an
integer type into that type's range (NumPy casts -2.5 to uint8 silently, as
254 here), keeps integer ``reciprocal`` away from 0 (C integer division by
zero) and keeps NaN out of integer accumulators.
"""
from __future__ import annotations

import io
import textwrap
import warnings

import numpy as np

import jit
import jit.nn.functional as F

from .values import ArraySpec, as_spec

MODES = ("script", "dynamic", "trace", "loaded")
UNDEFINED = {
    "float to integer cast of NaN, inf or an out-of-range value":
        "C leaves it undefined and NumPy warns 'invalid value encountered in cast'; such calls are skipped",
    "float to integer cast of a finite value outside the integer type's range, below int32/int64's":
        "C leaves it undefined and NumPy does not warn (-2.5 -> uint8 is 254 on x86); the generator clips "
        "what astype / full / full_like cast to an integer type (np.clip(v, 0.0, 255.0))",
    "integer reciprocal of 0":
        "integer division by zero in C (NumPy's loop traps or returns garbage); the generator writes "
        "np.where(v == 0, 1, v) around integer reciprocal operands",
    "np.empty / np.empty_like values": "arbitrary by NumPy's docs; the generator never draws them",
}
# Fused kernels use their own float32 tanh/exp/log/erf (2/3/4/8 ulps from NumPy's, see
# kernels/cpu_math.py) and Numba's libm; the difference grows through the ops that follow.
# Not covered: a result that cancels to below its terms' ulp (cos(x) - exp(x) for x ~ 1e-7,
# ~1 program in 1000), which campaigns report as a float mismatch.
FLOAT_ULPS = {np.dtype(np.float16): 4, np.dtype(np.float32): 64, np.dtype(np.float64): 64}
RANDOM_SEED = 12345
KINDS = ("wrong value", "wrong dtype/shape", "missing exception", "extra exception", "exception type",
         "rejected", "crash", "hang")


class Mismatch:
    """One disagreement: ``kind`` (one of KINDS), the mode, the position in the
    mode's call schedule, the input set, and what differed."""

    def __init__(self, kind, mode, call, input_set, detail, key=""):
        self.kind, self.mode, self.call, self.input_set = kind, mode, call, input_set
        self.detail, self.key = detail, key

    def signature(self) -> tuple:
        """What two mismatches of the same bug share (for grouping and shrinking)."""
        return (self.kind, self.mode, self.key)

    def __str__(self):
        return f"{self.kind} in {self.mode} (call {self.call}, input set {self.input_set}): {self.detail}"

    __repr__ = __str__


class Outcome:
    def __init__(self):
        self.calls = self.fused_calls = self.undefined_calls = 0
        self.mismatches: list[Mismatch] = []

    def __bool__(self):
        return not self.mismatches


# -- comparison ---------------------------------------------------------------------------
def _is_array(value) -> bool:
    return isinstance(value, (np.ndarray, np.generic))


def compare(actual, expected, path="result", precision=None, slack=None):
    """None when equal as the module docstring says; else (kind, detail, key). ``precision``:
    the least precise float type the computation may have passed through (``lowest_precision``);
    ``slack``: for each float of ``expected`` (its structure), how far NumPy's own answer moves when the
    float inputs move by one ulp (``judge``), allowed on top of the ulps."""
    if type(actual) is not type(expected):
        got, want = _type_name(actual), _type_name(expected)
        return "wrong dtype/shape", f"{path}: {got} instead of {want}", f"type {want}->{got}"
    if isinstance(expected, (tuple, list)):
        if len(actual) != len(expected):
            return "wrong dtype/shape", f"{path}: length {len(actual)} instead of {len(expected)}", "length"
        for index, (a, e) in enumerate(zip(actual, expected)):
            found = compare(a, e, f"{path}[{index}]", precision, None if slack is None else slack[index])
            if found:
                return found
        return None
    if _is_array(expected):
        if actual.dtype != expected.dtype:
            return ("wrong dtype/shape", f"{path}: dtype {actual.dtype} instead of {expected.dtype}",
                    f"dtype {expected.dtype}->{actual.dtype}")
        if np.shape(actual) != np.shape(expected):
            return ("wrong dtype/shape", f"{path}: shape {np.shape(actual)} instead of {np.shape(expected)}",
                    "shape")
        return _compare_values(np.asarray(actual), np.asarray(expected), path, precision, slack)
    if isinstance(expected, float):
        return _compare_values(np.asarray(actual), np.asarray(expected), path, precision, slack)
    if isinstance(expected, np.random.Generator):  # equal when they will draw the same numbers
        if actual.bit_generator.state != expected.bit_generator.state:
            return "wrong value", f"{path}: a Generator in another state", "value Generator"
        return None
    if actual != expected:
        return "wrong value", f"{path}: {actual!r} instead of {expected!r}", f"value {type(expected).__name__}"
    return None


def _type_name(value) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__.split('.')[0]}.{kind.__name__}"


def _compare_values(actual: np.ndarray, expected: np.ndarray, path, precision=None, slack=None):
    with np.errstate(all="ignore"):
        return _compare_floats(actual, expected, path, precision, slack) if expected.dtype.kind == "f" else \
            (None if np.array_equal(actual, expected) else
             ("wrong value", _difference(actual, expected, path), f"value {expected.dtype}"))


def _compare_floats(actual: np.ndarray, expected: np.ndarray, path, precision=None, slack=None):
    nan_a, nan_e = np.isnan(actual), np.isnan(expected)
    if not np.array_equal(nan_a, nan_e):
        return "wrong value", _difference(actual, expected, path, "NaN positions differ: "), f"NaN {expected.dtype}"
    finite = np.isfinite(expected) & np.isfinite(actual)
    if not np.array_equal(actual[~finite & ~nan_e], expected[~finite & ~nan_e]):
        return "wrong value", _difference(actual, expected, path, "infinities differ: "), f"inf {expected.dtype}"
    if not finite.any():
        return None
    a, e = actual[finite].astype(np.float64), expected[finite].astype(np.float64)
    kind = expected.dtype if precision is None or precision.itemsize >= expected.dtype.itemsize else precision
    ulps = FLOAT_ULPS.get(kind, 64)
    info = np.finfo(kind)
    spacing = np.maximum(np.spacing(np.abs(expected[finite])).astype(np.float64), np.abs(e) * float(info.eps))
    scale = float(np.max(np.abs(e))) * float(info.eps)
    allowed = ulps * np.maximum(spacing, scale)
    if slack is not None:
        allowed = allowed + 2.0 * np.broadcast_to(np.asarray(slack, np.float64), expected.shape)[finite]
    if np.all(np.abs(a - e) <= allowed):
        return None
    return "wrong value", _difference(actual, expected, path, f"beyond {ulps} ulps: "), f"float {expected.dtype}"


def _difference(actual, expected, path, prefix=""):
    with np.errstate(all="ignore"):
        differs = ~((actual == expected) | (np.isnan(actual) & np.isnan(expected))) \
            if expected.dtype.kind == "f" else actual != expected
    where = np.argwhere(np.atleast_1d(differs))[:3]
    shown = ", ".join(f"at {tuple(int(i) for i in w)}: {np.atleast_1d(actual)[tuple(w)]!r} instead of "
                      f"{np.atleast_1d(expected)[tuple(w)]!r}" for w in where)
    return f"{path}: {prefix}{shown or 'values differ'}"


# -- running ------------------------------------------------------------------------------
class Call:
    """What one call did: its result or exception, the arguments afterwards, and
    whether NumPy reported an undefined cast."""

    def __init__(self, result=None, error=None, arguments=(), undefined=False, fused=False):
        self.result, self.error, self.arguments = result, error, arguments
        self.undefined, self.fused = undefined, fused


def run_eager(function, specs) -> Call:
    arguments = [spec.build() for spec in specs]
    np.random.seed(RANDOM_SEED)
    with np.errstate(all="warn"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, error = function(*arguments), None
        except Exception as exception:  # noqa: BLE001 - the eager exception is the oracle
            result, error = None, exception
    undefined = any("invalid value encountered in cast" in str(w.message) for w in caught)
    return Call(result, error, arguments, undefined)


def run_compiled(function, specs) -> Call:
    arguments = [spec.build() for spec in specs]
    np.random.seed(RANDOM_SEED)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result, error = function(*arguments), None
        except Exception as exception:  # noqa: BLE001 - compared with eager's
            result, error = None, exception
    try:
        graph = jit.last_executed_optimized_graph()
        fused = any(node.kind == "prim::FusionGroup" for node in graph.all_nodes())
    except RuntimeError:
        fused = False
    return Call(result, error, arguments, fused=fused)


def _first_line(error) -> str:
    text = str(error).strip().splitlines()
    return text[0][:160] if text else ""


def as_arrays(value):
    """NumPy and Python scalars as 0-d arrays (through tuples and lists)."""
    if isinstance(value, (tuple, list)):
        return type(value)(as_arrays(v) for v in value)
    if isinstance(value, (np.generic, int, float, bool)):
        return np.asarray(value)
    return value


def judge(actual: Call, expected: Call, mode, position, input_set, outcome: Outcome, scalar_types=True,
          precision=None, nudged=None):
    """Compare one compiled call with eager's; record a mismatch in ``outcome``.
    ``scalar_types=False``: a scalar result may come back as a 0-d array or another
    kind of scalar with the same dtype and value. ``precision``: see ``compare``. ``nudged()``: eager's
    calls with the int and float inputs in float64, as they are and moved by half a float32 ulp each
    way (NUDGES); a float result beyond the ulps is judged again with twice the distance the moves
    made as slack: the program amplifies a last-bit difference of an early function about as much as
    one of its input (np.exp(np.logaddexp(c, c)) for c = np.cosh(x) ~ 75 turns a 1-ulp cosh into 130
    ulps; bounded-run seed 23197). Where the float64 run raises (integer-only code), nothing changes."""
    outcome.calls += 1
    outcome.fused_calls += actual.fused
    if expected.undefined or isinstance(expected.error, MemoryError):
        outcome.undefined_calls += 1  # undefined in NumPy, or more memory than the machine has
        return
    found = None
    if expected.error is not None:
        if actual.error is None:
            found = ("missing exception", f"eager raised {type(expected.error).__name__}: "
                     f"{_first_line(expected.error)}; {mode} returned {_short(actual.result)}",
                     type(expected.error).__name__)
        elif not isinstance(actual.error, type(expected.error)):
            found = ("exception type", f"eager raised {type(expected.error).__name__}: {_first_line(expected.error)}; "
                     f"{mode} raised {type(actual.error).__name__}: {_first_line(actual.error)}",
                     f"{type(expected.error).__name__}->{type(actual.error).__name__}")
    elif actual.error is not None:
        found = ("extra exception", f"{mode} raised {type(actual.error).__name__}: {_first_line(actual.error)}",
                 f"{type(actual.error).__name__}: {_message_class(actual.error)}")
    else:
        found = compare(actual.result, expected.result, precision=precision) if scalar_types else \
            compare(as_arrays(actual.result), as_arrays(expected.result), precision=precision)
        if found is not None and found[0] == "wrong value" and found[2].startswith("float ") and nudged is not None:
            slack = _slack(expected.result, nudged())
            if slack is not None:
                found = compare(actual.result, expected.result, precision=precision, slack=slack) if scalar_types \
                    else compare(as_arrays(actual.result), as_arrays(expected.result), precision=precision,
                                 slack=slack)
        if found is None:
            for index, (a, e) in enumerate(zip(actual.arguments, expected.arguments)):
                if _is_array(e):
                    found = compare(a, e, f"argument {index} after the call", precision)
                    if found:
                        break
    if found:
        kind, detail, key = found
        outcome.mismatches.append(Mismatch(kind, mode, position, input_set, detail, key))


def _slack(expected, nudged_calls):
    """Per float of ``expected`` (its structure), the farthest the nudged calls' results are from the
    first's (the unnudged float64 run); None when a call raised, is undefined or differs in structure."""
    if len(nudged_calls) < 2 or any(c.error is not None or c.undefined for c in nudged_calls):
        return None
    results = [c.result for c in nudged_calls]
    if isinstance(expected, (tuple, list)):
        if not all(isinstance(r, (tuple, list)) and len(r) == len(expected) for r in results):
            return None
        parts = [_slack(e, [Call(r[i]) for r in results]) for i, e in enumerate(expected)]
        return None if any(p is None and _floats(e) for p, e in zip(parts, expected)) else parts
    if not _floats(expected):
        return 0.0
    if any(np.shape(r) != np.shape(expected) for r in results):
        return None
    with np.errstate(all="ignore"):
        base = np.asarray(results[0], np.float64)
        distances = [np.abs(np.asarray(r, np.float64) - base) for r in results[1:]]
        return np.nan_to_num(np.maximum.reduce(distances), nan=0.0, posinf=0.0)


def _floats(value) -> bool:
    return (_is_array(value) and np.asarray(value).dtype.kind == "f") or isinstance(value, float)


# The relative moves of the nudged runs: none, then half a float32 ulp each way.
NUDGES = (1.0, 1.0 + 2.0 ** -24, 1.0 - 2.0 ** -24)


def _nudged_specs(specs, factor):
    """``specs`` with each int and float array input in float64, times ``factor``."""
    moved = []
    for spec in specs:
        if isinstance(spec, ArraySpec) and spec.values.dtype.kind in "iuf":
            moved.append(ArraySpec(spec.values.astype(np.float64) * factor, spec.layout, spec.shape, spec.numpy_scalar))
        else:
            moved.append(spec)
    return moved


def _message_class(error) -> str:
    """The first words of a message (enough to tell which argument of which operator), without
    the numbers that vary."""
    words = _first_line(error).replace("'", " ").split()
    return " ".join(w for w in words[:12] if not any(ch.isdigit() for ch in w))


def _short(value) -> str:
    text = repr(value)
    return text if len(text) < 120 else text[:117] + "..."


# Integer types whose float functions NumPy computes in float16 / float32 (np.tanh(int8) is
# float16, np.exp(int16) float32), with those float types themselves.
_COMPUTED_IN = {"float16": ("bool", "int8", "uint8", "float16"), "float32": ("int16", "uint16", "float32")}


def lowest_precision(program):
    """The least precise float type the program may compute in (from its inputs' dtypes and
    the dtypes its source names), or None for float64: a float64 result made from a float32
    value carries float32's rounding (a kernel's float32 exp and NumPy's differ in the last
    float32 bit), so results are compared to that type's ulps."""
    dtypes = {spec.dtype for call in program.calls for spec in call if isinstance(spec, ArraySpec)}
    for name, sources in _COMPUTED_IN.items():
        if dtypes & set(sources) or name in program.source:
            return np.dtype(name)
    return None


def schedules(program) -> dict:
    others = list(range(1, len(program.calls)))
    return {"script": [0, 0, 0] + others + [0], "dynamic": [0, 0] + others[::-1] + [0],
            "trace": [0, 0] + others, "loaded": [0, 0] + others[:1]}


def check(program, modes=MODES, eager_function=None, trace_scalar_types=True,
          trace_numpy_scalar_constants=True) -> Outcome:
    """Run ``program`` in each of ``modes`` against eager NumPy. For known trace issues:
    ``trace_scalar_types=False`` compares traced results as ``as_arrays`` makes them;
    ``trace_numpy_scalar_constants=False`` passes NumPy scalars to traces as inputs always."""
    from ..helpers import define  # noqa: PLC0415 - tests.helpers needs its SOURCE_DIR set first

    outcome = Outcome()
    eager = eager_function or define(program.source, "f", F=F)
    expected_cache = {}

    def expected(key, specs):
        if key not in expected_cache:
            expected_cache[key] = run_eager(eager, specs)
        return expected_cache[key]

    def nudged(index):
        return [expected((index, factor), _nudged_specs(calls[index], factor)) for factor in NUDGES]

    calls = program.calls
    plan = schedules(program)
    precision = lowest_precision(program)
    for mode in modes:
        if mode == "trace":
            _check_trace(program, eager, plan["trace"], expected, outcome, trace_scalar_types,
                         trace_numpy_scalar_constants, precision)
            continue
        compiled = _compile(program, eager, mode, [expected(i, calls[i]) for i in set(plan[mode])], outcome)
        if compiled is None:
            continue
        previous = jit.set_fusion_strategy([("DYNAMIC", 2)]) if mode == "dynamic" else None
        try:
            for position, index in enumerate(plan[mode]):
                judge(run_compiled(compiled, calls[index]), expected(index, calls[index]), mode, position, index,
                      outcome, precision=precision, nudged=lambda index=index: nudged(index))
        finally:
            if previous is not None:
                jit.set_fusion_strategy(previous)
    return outcome


def _compile(program, eager, mode, expected_calls, outcome):
    """The ScriptFunction for ``mode``; a compile error is a mismatch when eager runs."""
    try:
        scripted = jit.script(eager)
        if mode == "loaded":
            buffer = io.BytesIO()
            jit.save(scripted, buffer)
            buffer.seek(0)
            scripted = jit.load(buffer)
        return scripted
    except Exception as error:  # noqa: BLE001 - compared with what eager did
        if all(call.error is not None for call in expected_calls):
            return None  # eager rejects every input: a compile-time error is the same answer
        outcome.mismatches.append(Mismatch("rejected", mode, -1, -1, f"{type(error).__name__}: {_first_line(error)}",
                                           f"{type(error).__name__}: {_message_class(error)}"))
        return None


def _check_trace(program, eager, schedule, expected, outcome, scalar_types=True, numpy_scalar_constants=True,
                 precision=None):
    first = program.calls[0]
    # NumPy scalar arguments: traced inputs in half the programs, constants the trace reads in the others
    numpy_scalars_traced = len(program.source) % 2 == 0 or not numpy_scalar_constants
    traced_positions = [i for i, spec in enumerate(first) if isinstance(spec, ArraySpec)
                        and (numpy_scalars_traced or not spec.numpy_scalar)]
    if not traced_positions:
        return
    fixed = {i: spec for i, spec in enumerate(first) if i not in traced_positions}

    def bound(specs):
        """An input set with the scalar arguments the trace baked in (the first set's)."""
        return [fixed.get(i, spec) for i, spec in enumerate(specs)]

    def traced_function(*arrays):
        arguments, it = [], iter(arrays)
        for i in range(len(first)):
            arguments.append(fixed[i].build() if i in fixed else next(it))
        return eager(*arguments)

    example = expected(("bound", 0), bound(first))
    arrays = [first[i].build() for i in traced_positions]
    with np.errstate(all="ignore"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.random.seed(RANDOM_SEED)
        try:
            traced = jit.trace(traced_function, tuple(arrays), check_trace=False)
        except Exception as error:  # noqa: BLE001 - compared with what eager did
            if example.error is None:
                outcome.mismatches.append(Mismatch("extra exception", "trace", -1, 0,
                                                   f"jit.trace raised {type(error).__name__}: {_first_line(error)}",
                                                   f"tracing {type(error).__name__}: {_message_class(error)}"))
            elif not isinstance(error, type(example.error)):
                outcome.mismatches.append(Mismatch(
                    "exception type", "trace", -1, 0, f"eager raised {type(example.error).__name__}, jit.trace "
                    f"raised {type(error).__name__}: {_first_line(error)}",
                    f"tracing {type(example.error).__name__}->{type(error).__name__}"))
            return
    baked = any(issubclass(w.category, jit.TracerWarning) for w in caught)
    for position, index in enumerate(schedule):
        if index != 0 and baked:
            continue  # the trace said it will not generalize
        specs = bound(program.calls[index])
        want = expected(("bound", index), specs)
        got = run_compiled(traced, [specs[i] for i in traced_positions])
        got.arguments = _merge_arguments(got.arguments, want.arguments, traced_positions)
        judge(got, want, "trace", position, index, outcome, scalar_types, precision,
              nudged=lambda specs=specs, index=index: [expected(("bound", index, factor), _nudged_specs(specs, factor))
                                                      for factor in NUDGES])


def _merge_arguments(traced_arguments, eager_arguments, positions):
    """The traced call's arguments placed where eager's were (scalars compare as equal)."""
    merged = list(eager_arguments)
    for value, position in zip(traced_arguments, positions):
        merged[position] = value
    return merged


def assert_program_matches(source: str, calls: list, modes=MODES):
    """For tests: ``source`` (defining ``f``) run with each list of arguments in
    ``calls`` (specs or Python numbers) agrees with eager NumPy in ``modes``."""
    from .generator import Program  # noqa: PLC0415

    program = Program(textwrap.dedent(source), [], [[as_spec(a) for a in call] for call in calls])
    outcome = check(program, modes)
    assert not outcome.mismatches, "\n".join(str(m) for m in outcome.mismatches)
    return outcome

