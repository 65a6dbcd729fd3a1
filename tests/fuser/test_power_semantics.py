"""NumPy's float power in fused kernels, bit for bit against eager NumPy.

NumPy's float32/float64 power loop takes a fast path when the exponent is one value
broadcast to every element (inner-loop stride 0): -1, 0, 0.5, 1 and 2 become 1/x, 1,
sqrt(x), x and x*x, which differ from pow at -inf and -0.0 (sqrt), for a signalling NaN
to the power 0, and in pow's rounding. Its float16 loop has none, but ``a ** 0.5`` with a
Python float is np.sqrt at every dtype (ndarray.__pow__). Each exponent a kernel sees as
uniform (a literal, a Python number or NumPy scalar parameter, a 0-d array, an array of one
element broadcast in a STATIC specialization) must give NumPy's answer, for ``**`` and
np.power, on the CPU kernels and on the CUDA C ones run by the host shim: the closed forms and
every special value bit for bit, a pow within POW_ULPS (NumPy's own pow differs by CPU)."""
from __future__ import annotations

import numpy as np
import pytest

import jit
import jit.nn.functional as F
from jit.runtime import codegen
from kernels import host_shim
from kernels.ir import UNIFORM_POWERS

from ..helpers import assert_same, script_source
from ..kernels import emulated_gpu
from .test_integer_semantics import FallbackCounter, kernels_of, strategy  # noqa: F401 - strategy is a fixture

SPELLINGS = {"operator": "{x} ** {e}", "np.power": "np.power({x}, {e})"}
OTHER_POWERS = (3.0, -0.5, 1 / 3, -2.0)  # no fast path: pow, as NumPy's loop computes them
EXPONENTS = (*UNIFORM_POWERS, *OTHER_POWERS)


def sample(dtype) -> np.ndarray:
    """Special values, subnormals, extremes and random bit patterns (signalling NaNs included),
    with values where pow's rounding differs from 1/x, sqrt(x) and x*x."""
    dtype = np.dtype(dtype)
    info = np.finfo(dtype)
    edges = [0.0, -0.0, np.inf, -np.inf, np.nan, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 3.7, 7.0, 1e-3,
             info.smallest_subnormal, -info.smallest_subnormal, info.tiny, info.max, -info.max]
    unsigned = f"u{dtype.itemsize}"
    signalling_nan = (np.array([np.inf], dtype).view(unsigned) | 1).view(dtype)
    bits = np.random.default_rng(23).integers(0, 2 ** (8 * dtype.itemsize), 6000, dtype=np.uint64, endpoint=False)
    return np.concatenate([np.array(edges, dtype), signalling_nan, bits.astype(unsigned).view(dtype)])


# NumPy's pow itself depends on the CPU: its AVX-512 loops (SVML) are within 1 ulp of the correctly
# rounded power, libm's too, and so is the kernels' (kernels.cpu_math._pow_f64); so a pow, not a closed
# form, is compared to that bound; every special value (NaN, infinities, zeros' signs) still exactly.
POW_ULPS = 1


def pow_ulps(exponent) -> int:
    """The bound for a power with this uniform exponent: 0 for NumPy's closed forms, else POW_ULPS."""
    values = np.unique(np.asarray(exponent, dtype=np.float64))
    return 0 if values.size == 1 and float(values[0]) in UNIFORM_POWERS else POW_ULPS


def assert_exact(actual, expected, where, ulps=0):
    """Same type, dtype and shape, and the same bits but for NaN payloads (-0.0 is not 0.0);
    finite values within ``ulps`` (a tuple: one per output) where that is not 0."""
    assert_same(actual, expected, where)
    if isinstance(expected, tuple):
        for index, (a, e) in enumerate(zip(actual, expected)):
            assert_exact(a, e, f"{where}, output {index}", ulps[index] if isinstance(ulps, tuple) else ulps)
        return
    nan = np.isnan(expected)
    assert np.array_equal(np.isnan(actual), nan), f"{where}: NaN at other places"
    unequal = actual != expected
    if ulps:
        with np.errstate(all="ignore"):
            unequal &= ~(np.abs(actual.astype(np.float64) - expected) <= ulps * np.spacing(np.abs(expected)))
    differ = np.flatnonzero(unequal & ~nan | (np.signbit(actual) != np.signbit(expected)) & ~nan)
    assert differ.size == 0, (f"{where}: {differ.size} elements differ, e.g. at {differ[:3]}: "
                              f"{actual.flat[differ[:3]]} != {expected.flat[differ[:3]]}")


def numpy_fast_path(x, exponent):
    """np.power with a broadcast exponent (its fast path) and with a full array of it (pow)."""
    with np.errstate(all="ignore"):
        return np.power(x, exponent), np.power(x, np.full(x.shape, exponent, x.dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_sample_tells_numpys_fast_path_from_pow(dtype):
    """What the tests below rely on: NumPy computes exactly these exponents in closed form,
    and the sample holds elements where that differs from pow (1 too is x itself, as pow gives).
    Where pow differs depends on the CPU's libm (x ** 0.0 did on an AVX-512 machine, not on an
    AVX2 one): only a closed form may differ, and some do."""
    x = sample(dtype)
    separating = set()
    closed = {-1.0: lambda: x.dtype.type(1) / x, 0.0: lambda: np.ones_like(x), 0.5: lambda: np.sqrt(x),
              1.0: lambda: x, 2.0: lambda: x * x}
    for exponent in EXPONENTS:
        fast, general = numpy_fast_path(x, exponent)
        if exponent in closed:
            with np.errstate(all="ignore"):
                assert_exact(fast, closed[exponent](), f"x ** {exponent}, broadcast")
        separated = (fast != general) & ~(np.isnan(fast) & np.isnan(general))
        if separated.any():
            assert exponent in (-1.0, 0.0, 0.5, 2.0), f"x ** {exponent}: {separated.sum()}"
            separating.add(exponent)
    assert separating, "the sample does not tell NumPy's closed forms from pow"


def run_exact(source, calls, expect_uniform=True, ulps=lambda args: pow_ulps(args[-1])):
    """Script ``source``, build its specialization on the first call, and compare every call
    with eager NumPy bit for bit (``ulps(args)``: a pow's bound, see POW_ULPS); each must run
    the kernel (no fallback). Returns the kernel."""
    scripted, eager = script_source(source, F=F)
    with np.errstate(all="ignore"):
        scripted(*calls[0])
        scripted(*calls[0])
    kernels = kernels_of(jit.last_executed_optimized_graph())
    assert len(kernels) == 1, jit.last_executed_optimized_graph()
    counter = FallbackCounter(kernels)
    for args in calls:
        with np.errstate(all="ignore"):
            actual, expected = scripted(*args), eager(*args)
        assert_exact(actual, expected, f"{source.splitlines()[-1].strip()} on {args[1:]}", ulps(args))
    assert counter.count == 0, "the kernel computed every call itself"
    ops = {instr.op for instr in kernels[0].kernel.body}
    assert ("power_uniform" in ops) == expect_uniform, kernels[0].kernel.structure()
    return kernels[0]


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_literal_exponents(dtype, spelling, strategy):
    """Constants in the source: the renderer prints the closed form itself (0.5 is sqrt, no pow).
    (The powers share a producer, so that they make one kernel; x * one is x, but quiets sNaNs.)"""
    powers = [SPELLINGS[spelling].format(x="y", e=repr(e)) for e in EXPONENTS]
    powers += [SPELLINGS[spelling].format(x="y", e=e) for e in ("2", "-1", "0", "True")]  # Python ints and a bool
    kernel = run_exact(f"def f(x, one: float):\n    y = x * one\n    return ({', '.join(powers)},)\n",
                       [(sample(dtype), 1.0)], ulps=lambda args: tuple(pow_ulps(e) for e in (*EXPONENTS, 2, -1, 0, 1)))
    source = kernel.compiled[0].source
    assert "math.sqrt" in source and source.count("_pow_f64(") == len(OTHER_POWERS), source  # one pow each


@pytest.mark.parametrize("exponent,closed_form", [("0.5", "math.sqrt(a0)"), ("0", "float32(1.0)"),
                                                   ("2", "a0 * a0"), ("-1.0", "float32(1.0) / a0")])
def test_a_literal_exponent_is_its_closed_form_in_the_kernel(exponent, closed_form):
    """Straight on the argument (a signalling NaN ** 0 is 1, as NumPy's fast path gives)."""
    kernel = run_exact(f"def f(x):\n    return x ** {exponent} * 1.0\n", [(sample("float32"),)])
    assert closed_form in kernel.compiled[0].source and "_pow_f64" not in kernel.compiled[0].source


PARAMETERS = {  # the exponent parameter's annotation and the value passed for e at dtype d
    "Python float": (": float", lambda e, d: float(e)),
    "Python float near e": (": float", lambda e, d: float(e) * (1 + 1e-9)),  # float32 rounds it to e
    "NumPy scalar": ("", lambda e, d: np.dtype(d).type(e)),
    "float64 NumPy scalar": ("", lambda e, d: np.float64(e)),
    "0-d array": ("", lambda e, d: np.array(e, d)),
}


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
@pytest.mark.parametrize("parameter", sorted(PARAMETERS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_exponent_parameters(dtype, parameter, spelling, strategy):
    """One kernel for every exponent value: it branches on the exponent as NumPy's loop does."""
    annotation, make = PARAMETERS[parameter]
    power = SPELLINGS[spelling].format(x="x", e="p")
    x = sample(dtype)
    kernel = run_exact(f"def f(x, p{annotation}):\n    return {power} * 1.0\n",
                       [(x, make(e, dtype)) for e in EXPONENTS])
    assert len(kernel.compiled) == 1, kernel.report()  # one variant for every exponent value


def test_python_int_and_computed_exponents(strategy):
    """An int parameter (``x ** 2`` is np.square, ``x ** -1`` np.reciprocal), and an exponent computed
    from a NumPy scalar outside the kernel."""
    x = sample("float32")
    by_int = run_exact("def f(x, n: int):\n    return x ** n * 1.0\n", [(x, n) for n in (-1, 0, 1, 2, 3, -2)])
    computed = run_exact("def f(x, s):\n    return np.power(x, s * 2.0) * 1.0\n",
                         [(x, np.float32(e / 2)) for e in EXPONENTS], ulps=lambda args: pow_ulps(args[-1] * 2))
    assert len(by_int.compiled) == len(computed.compiled) == 1  # one variant for every exponent value


@pytest.mark.parametrize("strategy", ["STATIC"], indirect=True)
@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_one_element_exponent_arrays_follow_numpys_layout_rule(spelling, strategy):
    """NumPy's loop sees a one-element exponent as one broadcast value when the base has
    another shape, and with its own stride (pow) when the shapes are equal: a STATIC
    specialization knows which (a DYNAMIC one does not: see fuser.lowering.power_form)."""
    power = SPELLINGS[spelling].format(x="x", e="p")
    source = f"def f(x, p):\n    return {power} * 1.0\n"
    x = sample("float64")
    broadcast = [run_exact(source, [(x, np.array([e])) for e in EXPONENTS]),
                 run_exact(source, [(x.reshape(-1, 1)[:40], np.array([[e]])) for e in EXPONENTS]),
                 run_exact(source, [(x.reshape(-1, 1)[:40], np.array([e], np.float32)) for e in EXPONENTS])]
    # the same shape: NumPy's loop calls pow, for which sqrt(-inf) is inf and sqrt(-0.0) is 0.0
    same = run_exact(source, [(np.array([edge]), np.array([0.5])) for edge in (-np.inf, -0.0)], expect_uniform=False)
    assert all(kernel.static for kernel in (*broadcast, same))  # the layout rule needs the STATIC shapes
    assert "_pow_f64(" in same.compiled[0].source and "math.sqrt" not in same.compiled[0].source


def test_an_exponent_array_is_pow_of_each_element(strategy):
    x = sample("float32")
    kernel = run_exact("def f(x, y):\n    return np.power(x, y) * 1.0\n", [(x, np.full(x.shape, 0.5, np.float32))],
                       expect_uniform=False, ulps=lambda args: POW_ULPS)  # each element's pow: no closed form
    assert "_pow_f64(" in kernel.compiled[0].source and "math.sqrt" not in kernel.compiled[0].source


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
@pytest.mark.parametrize("dtype", ["int32", "uint8", "int64"])
def test_integer_power_stays_unfused_and_the_rest_of_its_chain_fuses(dtype, spelling):
    """NumPy raises for a negative integer exponent: the power is left to NumPy, with its
    reason, and the arithmetic around it still fuses, before and after it."""
    power = SPELLINGS[spelling].format(x="a", e="y")
    source = f"def f(x, y):\n    a = x * 3 + 1\n    b = {power}\n    return b - a * 2 + x\n"
    scripted, eager = script_source(source)
    x, y = np.arange(6, dtype=dtype), np.arange(6, dtype=dtype)[::-1].copy()
    for _ in range(2):
        assert_same(scripted(x, y), eager(x, y))
    graph = jit.last_executed_optimized_graph()
    assert len(kernels_of(graph)) == 2, graph
    explanation = str(jit.explain(scripted, x, y))
    op = "np::power_operator" if spelling == "operator" else "np::power"
    assert any(op in line and "integer power raises on negative exponents" in line
               for line in explanation.splitlines()), explanation
    if np.dtype(dtype).kind == "i":
        negative = np.full(6, -1, dtype)
        with pytest.raises(ValueError, match="Integers to negative integer powers are not allowed"):
            eager(x, negative)
        with pytest.raises(ValueError, match="Integers to negative integer powers are not allowed"):
            scripted(x, negative)


# -- the CUDA renderer, through the host shim -----------------------------------------------------

@pytest.fixture(scope="module")
def shim(tmp_path_factory):
    if host_shim.compiler() is None:
        pytest.skip("no g++ on the PATH: the host shim cannot compile the CUDA C kernels")
    return host_shim.HostBackend(directory=str(tmp_path_factory.mktemp("shim")))


def run_on_shim(source, calls, kind, shim, monkeypatch, power_op, ulps=lambda args: pow_ulps(args[-1])):
    """The emulated-GPU specialization of ``source`` for the first call, run on every call
    and compared with eager bit for bit (``ulps`` as in run_exact). ``power_op``: the
    instruction its power became."""
    scripted, eager = script_source(source, F=F)
    graph = emulated_gpu.specialize(scripted, calls[0], kind, shim, monkeypatch)
    (kernel,) = emulated_gpu.kernels_of(graph)
    ops = {instr.op for instr in kernel.kernel.body}
    assert power_op in ops, kernel.kernel.structure()
    _, function = codegen.generate(graph, scripted.name, scripted.parameters)
    for args in calls:
        with np.errstate(all="ignore"):
            actual, expected = function(*args), eager(*args)
        assert_exact(actual, expected, f"{source.splitlines()[-1].strip()} on {args[1:]}", ulps(args))
    assert kernel.variants, "the CUDA kernel ran"
    return kernel


CUDA_CASES = [  # (dtype, source, values of its second parameter (or None: it has one), the power's instruction)
    ("float32", "def f(x, one: float):\n    y = x * one\n"
     "    return (y ** 0.5, np.power(y, 2.0), y ** -1, np.power(y, 0.0), y ** 3.0)\n", [1.0], "power_uniform"),
    ("float64", "def f(x, p: float):\n    return np.power(x, p) * 1.0\n", EXPONENTS, "power_uniform"),
    ("float32", "def f(x, p):\n    return x ** p * 1.0\n", [np.float32(e) for e in EXPONENTS], "power_uniform"),
    ("float64", "def f(x, p):\n    return x ** p * 1.0\n", [np.array(e) for e in EXPONENTS], "power_uniform"),
    # float16: ** with a Python float is np.sqrt at exactly 0.5; np.power and NumPy scalars are pow
    ("float16", "def f(x):\n    return x ** 0.5 * 1.0\n", None, "sqrt"),
    ("float16", "def f(x, p: float):\n    return x ** p * 1.0\n", [0.5, 0.5 * (1 + 1e-7), 2.0, -1.0, 0.0, 3.0],
     "where"),
    ("float16", "def f(x, one: float):\n    y = x * one\n    return (np.power(y, 0.5), y ** 2, y ** -1)\n", [1.0],
     "power"),
    ("float16", "def f(x, p):\n    return x ** p * 1.0\n", [np.float16(e) for e in (0.5, 2.0, -1.0)], "power"),
    ("float16", "def f(x, p):\n    return x ** p * 1.0\n", [np.float32(e) for e in EXPONENTS], "power_uniform"),
]


def every_float16() -> np.ndarray:
    """Every float16 but the signalling NaNs: NumPy's float16 loops widen those to float signalling
    NaNs (pow(sNaN, 0) is NaN), the kernels' conversion (F16C, cvt.f32.f16) to quiet ones (1)."""
    bits = np.arange(1 << 16, dtype=np.uint16)
    signalling = (bits & 0x7C00 == 0x7C00) & (bits & 0x03FF != 0) & (bits & 0x0200 == 0)
    return bits[~signalling].view(np.float16)


def cuda_case(index):
    """(source, calls, the power's instruction) of CUDA_CASES[index] (tests/kernels/test_cuda's
    every_case lists them too, for the nvcc and NVRTC compiles)."""
    dtype, source, exponents, power_op = CUDA_CASES[index]
    x = sample(dtype)[:800] if dtype != "float16" else every_float16()
    return source, [(x,)] if exponents is None else [(x, e) for e in exponents], power_op


@pytest.mark.parametrize("index", range(len(CUDA_CASES)))
def test_cuda_kernels_compute_numpys_power(index, shim, monkeypatch):
    source, calls, power_op = cuda_case(index)
    ulps = {0: lambda args: (0, 0, 0, 0, POW_ULPS),  # y ** 3.0 is pow
            4: lambda args: 0, 6: lambda args: (0, 0, 0)}.get(index, lambda args: pow_ulps(args[-1]))
    kernel = run_on_shim(source, calls, "STATIC", shim, monkeypatch, power_op, ulps)
    if index == 0:
        text = kernel.source(next(iter(kernel.variants)))
        assert "sqrtf(" in text and text.count("powf(") == 1, text  # only y ** 3.0 calls pow


def test_cuda_dynamic_kernel_branches_on_the_exponent(shim, monkeypatch):
    x = sample("float32")[:500]
    kernel = run_on_shim("def f(x, p: float):\n    return x ** p * 1.0\n", [(x, e) for e in EXPONENTS], "DYNAMIC",
                         shim, monkeypatch, "power_uniform")
    assert not kernel.static and "powf(" in kernel.source(next(iter(kernel.variants)))

