"""The CUDA renderer, checked without a GPU: script functions are specialized as
if their arrays lived on cuda:0, their fusion groups become CUDA C kernels,
and the host shim runs that C source (g++, one thread at a time over a small
grid) on NumPy arrays. Every result is compared with the same function run
eagerly by NumPy: every fusible op at every dtype float16 included, dtype
mixes, layouts (broadcast, strided, negative strides, 0-size, 0-d), integer
edges, special float values, and each variant the launcher chooses."""
from __future__ import annotations

import numpy as np
import pytest

import jit.nn.functional as F
from kernels import cuda, host_shim

from jit.runtime import codegen

from ..fuser import test_differential as cases
from ..fuser import test_integer_semantics as integers
from ..fuser import test_power_semantics as powers
from ..helpers import assert_same, script_source
from . import emulated_gpu

DTYPES = [*cases.DTYPES, "float16"]


@pytest.fixture(scope="module")
def shim(tmp_path_factory):
    if host_shim.compiler() is None:
        pytest.skip("no g++ on the PATH: the host shim cannot compile the CUDA C kernels")
    return host_shim.HostBackend(directory=str(tmp_path_factory.mktemp("shim")))


def _fused(source, args, kind, backend, monkeypatch, groups=None):
    """Run ``source``'s function on the emulated GPU against eager NumPy; returns its kernels."""
    scripted, eager = script_source(source, F=F)
    actual, graph = emulated_gpu.run(scripted, args, kind, backend, monkeypatch)
    with np.errstate(all="ignore"):
        expected = eager(*args)
    kernels = emulated_gpu.kernels_of(graph)
    assert kernels, f"nothing fused:\n{graph}"
    if groups is not None:
        assert len(kernels) == groups, graph
    assert_same(actual, expected)
    return kernels


def fusible_op_cases(name: str, dtype: str) -> list:
    """(source, args) of each spelling of the op at ``dtype`` that NumPy computes:
    two applications and a where, one three-node group."""
    arity = cases._arity(name)
    params = ["x", "y", "z"][:arity]
    found = []
    for index, first in enumerate(cases._call(name, params)):
        second = cases._call(name, params[::-1])[index]
        source = (f"def f(c, {', '.join(params)}):\n    r = np.where(c, {first}, {second})\n"
                  f"    return np.where(np.logical_not(c), {second}, r)\n")
        args = [cases._values("bool", 0), *(cases._values(dtype, 1 + i) for i in range(arity))]
        namespace = {"np": np, "F": F}
        exec(source, namespace)  # noqa: S102 - the eager function, to see whether NumPy computes it
        try:
            with np.errstate(all="ignore"):
                result = namespace["f"](*args)
        except (TypeError, ValueError):  # no loop for these dtypes, or negative integer powers: tests/fuser
            continue
        if name in cases.POWERS and np.dtype(result.dtype).kind in "iub":
            continue  # integer power stays unfused (its reason is tested in tests/fuser)
        found.append((source, args))
    return found


# Every (op, dtype) NumPy computes; the others raise in NumPy, and tests/fuser checks script raises too.
OP_CASES = [(name, dtype) for name in cases.FUSIBLE for dtype in DTYPES if fusible_op_cases(name, dtype)]


@pytest.mark.parametrize("name,dtype", OP_CASES, ids=[f"{n}-{d}" for n, d in OP_CASES])
def test_every_fusible_op_matches_eager(name, dtype, shim, monkeypatch):
    for source, args in fusible_op_cases(name, dtype):
        (kernel,) = _fused(source, args, "STATIC", shim, monkeypatch, groups=1)
        assert list(kernel.variants) == [("vector", 32)], "contiguous (3, 5) operands take the vector variant"


def mix_case(left, right):
    annotation = "" if isinstance(right, str) else f": {type(right).__name__}"
    source = (f"def f(x, y{annotation}):\n    a = x * y + y\n    b = np.maximum(a, x) - np.minimum(y, a)\n"
              "    return np.where(b > a, b / 2, a), a < b\n")
    return source, [cases._values(left, 1), right if not isinstance(right, str) else cases._values(right, 2)]


@pytest.mark.parametrize("left,right", cases.MIXES, ids=str)
def test_dtype_mixes_and_weak_scalars(left, right, shim, monkeypatch):
    (kernel,) = _fused(*mix_case(left, right), "DYNAMIC", shim, monkeypatch, groups=1)
    assert not kernel.static and kernel.variants, "a DYNAMIC CUDA kernel ran"


_GELU_BIAS = ("def f(x, b):\n    y = x + b\n"
              "    return 0.5 * y * (1.0 + np.tanh(0.7978845608 * (y + 0.044715 * y * y * y))), np.exp(y) - b\n")


def _misaligned(shape):
    """A C-contiguous float32 array whose data starts 4 bytes past a 16-byte boundary."""
    base = cases._values("float32", 3, (int(np.prod(shape)) + 4,))
    start = next(k for k in range(1, 5) if (base.ctypes.data + 4 * k) % 16 == 4)
    return base[start:start + int(np.prod(shape))].reshape(shape)


LAYOUTS = dict(cases.LAYOUTS)
LAYOUTS.update({
    "misaligned": lambda: (_misaligned((5, 7)), cases._values("float32", 2, (5, 7))),
    "odd length": lambda: (cases._values("float32", 1, (3, 7)), cases._values("float32", 2, (3, 7))),
    "float16": lambda: (cases._values("float16", 1, (4, 6)), cases._values("float16", 2, (6,))),
})
# (STATIC variant, DYNAMIC variant) each layout's call must take
EXPECTED_VARIANT = {"same shape": ("vector", "vector"), "odd length": ("vector", "vector"),
                    "misaligned": ("flat", "flat"), "non-contiguous": ("strided", "strided"),
                    "negative strides": ("strided", "strided"), "transposed": ("strided", "strided"),
                    "row bias": ("baked", "strided"), "column and row": ("baked", "strided"),
                    "rank 3 against rank 1": ("baked", "strided")}


@pytest.mark.parametrize("kind", ["STATIC", "DYNAMIC"])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_broadcast_and_layouts(layout, kind, shim, monkeypatch):
    args = LAYOUTS[layout]()
    kernels = _fused(_GELU_BIAS, args, kind, shim, monkeypatch, groups=1)
    if layout in EXPECTED_VARIANT:
        mode = EXPECTED_VARIANT[layout][kind == "DYNAMIC"]
        assert list(kernels[0].variants) == [(mode, 32)], kernels[0].launcher_source


def integer_case(dtype, expression, xs, ys):
    with np.errstate(all="ignore"):
        x, y = np.array(xs).astype(dtype), np.array(ys).astype(dtype)
    return f"def f(x, y):\n    r = {expression}\n    return r + (y - y)\n", [x, y]


@pytest.mark.parametrize("dtype,expression,xs,ys", cases.INTEGER_EDGES,
                         ids=[e[1] + " " + e[0] for e in cases.INTEGER_EDGES])
def test_integer_semantics_equal_numpy(dtype, expression, xs, ys, shim, monkeypatch):
    (kernel,) = _fused(*integer_case(dtype, expression, xs, ys), "STATIC", shim, monkeypatch, groups=1)
    assert kernel.kernel.outputs[0].dtype == dtype and kernel.variants


SPECIAL_FUNCTIONS = ["np.exp", "np.tanh", "np.log", "F.sigmoid", "F.silu", "np.sign", "np.sqrt", "np.floor",
                     "np.rint", "np.isnan", "np.isinf", "np.isfinite", "F.relu", "F.gelu", "np.expm1", "np.log1p",
                     "np.sin", "np.arctan"]


def special_case(function, dtype):
    with np.errstate(over="ignore"):  # float16 holds neither 1e30 nor 88.5's exp
        x = cases.FLOAT_EDGES.astype(dtype)
    y = np.abs(x) if function == "np.log" else x[::-1].copy()
    return f"def f(x, y):\n    return {function}(x) == {function}(y), {function}(x * y)\n", [x, y]


@pytest.mark.parametrize("function", SPECIAL_FUNCTIONS)
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_special_float_values(function, dtype, shim, monkeypatch):
    kernels = _fused(*special_case(function, dtype), "DYNAMIC", shim, monkeypatch, groups=2)
    assert all(kernel.variants for kernel in kernels), "both kernels ran"


def every_case():
    """(source, args, kind) of every case above and of the power cases of tests/fuser: the
    kernels the nvcc and NVRTC checks compile."""
    for name in cases.FUSIBLE:
        for dtype in DTYPES:
            for source, args in fusible_op_cases(name, dtype):
                yield source, args, "STATIC"
    for left, right in cases.MIXES:
        yield (*mix_case(left, right), "DYNAMIC")
    for layout in sorted(LAYOUTS):
        for kind in ("STATIC", "DYNAMIC"):
            yield _GELU_BIAS, list(LAYOUTS[layout]()), kind
    for edge in cases.INTEGER_EDGES:
        yield (*integer_case(*edge), "STATIC")
    for function in SPECIAL_FUNCTIONS:
        for dtype in ("float16", "float32", "float64"):
            yield (*special_case(function, dtype), "DYNAMIC")
    for index in range(len(powers.CUDA_CASES)):
        source, calls, _ = powers.cuda_case(index)
        yield source, list(calls[0]), "STATIC"


def test_float16_rounds_after_every_operation_as_numpy_does(shim, monkeypatch):
    """A chain whose float32 result differs from NumPy's float16 one unless each op rounds."""
    x = np.linspace(-4, 4, 1001).astype(np.float16)
    y = np.float16(1.0009765625) * np.ones_like(x)  # 1 + 2**-10, so x * y rounds in float16
    kernels = _fused("def f(x, y):\n    return (x * y - x) * 1024.0 + np.exp(x) / y\n", [x, y], "STATIC",
                     shim, monkeypatch, groups=1)
    assert "round_half" in kernels[0].source(next(iter(kernels[0].variants)))


def test_64_bit_indices_give_the_same_results(shim, monkeypatch):
    """The 64-bit variants, chosen here by lowering the limit (a real case needs 2**31 elements)."""
    monkeypatch.setattr(cuda, "INDEX_LIMIT", 8)
    for kind, args in [("STATIC", LAYOUTS["same shape"]()), ("STATIC", LAYOUTS["row bias"]()),
                       ("DYNAMIC", LAYOUTS["misaligned"]()), ("DYNAMIC", LAYOUTS["negative strides"]())]:
        kernels = _fused(_GELU_BIAS, list(args), kind, shim, monkeypatch, groups=1)
        assert all(bits == 64 for _, bits in kernels[0].variants), list(kernels[0].variants)
        assert "const unsigned long long step" in kernels[0].source(next(iter(kernels[0].variants)))


@pytest.mark.parametrize("blocks,threads", [(1, 1), (2, 3), (7, 5)])
def test_any_grid_covers_every_element(blocks, threads, tmp_path, monkeypatch):
    """The grid-stride loops: one thread, fewer threads than elements, more than elements."""
    if host_shim.compiler() is None:
        pytest.skip("no g++ on the PATH")
    backend = host_shim.HostBackend(blocks=blocks, threads=threads, directory=str(tmp_path))
    for layout in ("same shape", "odd length", "row bias", "negative strides"):
        for kind in ("STATIC", "DYNAMIC"):
            (kernel,) = _fused(_GELU_BIAS, list(LAYOUTS[layout]()), kind, backend, monkeypatch, groups=1)
            assert kernel.backend is backend and kernel.variants


def test_zero_size_and_dynamic_shapes_reuse_one_kernel(shim, monkeypatch):
    scripted, eager = script_source("def f(x, b):\n    return np.tanh(x * b) + x\n", F=F)
    first = [cases._values("float32", 1, (4, 6)), cases._values("float32", 2, (4, 6))]
    graph = emulated_gpu.specialize(scripted, first, "DYNAMIC", shim, monkeypatch)
    (kernel,) = emulated_gpu.kernels_of(graph)
    for x, b in [first, (cases._values("float32", 3, (7, 2)), cases._values("float32", 5, (1, 2))),
                 (cases._values("float32", 7, (1, 3)), cases._values("float32", 8, (5, 3))),
                 (cases._values("float32", 9, (0, 3)), cases._values("float32", 8, (1, 3)))]:
        with np.errstate(all="ignore"):
            assert_same(kernel.launch(x, b), eager(x, b))
    assert set(kernel.variants) <= {("vector", 32), ("strided", 32)}
    with pytest.raises(ValueError, match="could not be broadcast"):
        kernel.launch(cases._values("float32", 1, (4, 6)), cases._values("float32", 2, (4, 5)))


def test_a_group_without_a_kernel_form_falls_back_with_its_reason(shim, monkeypatch):
    """What NVRTC would refuse is refused by the renderer first: integer power."""
    scripted, _ = script_source("def f(x, y):\n    return np.power(x, y) + x\n", F=F)
    args = [cases._values("int32", 1), np.abs(cases._values("int32", 2))]
    graph = emulated_gpu.specialize(scripted, args, "STATIC", shim, monkeypatch)
    assert not emulated_gpu.kernels_of(graph)
    assert any("np::power" in note and "integer power raises" in note for note in graph.fusion_notes), \
        graph.fusion_notes


def test_explain_reports_the_cuda_kernel_and_its_compile(shim, monkeypatch):
    scripted, _ = script_source(_GELU_BIAS, F=F)
    args = list(LAYOUTS["row bias"]())
    graph = emulated_gpu.specialize(scripted, args, "STATIC", shim, monkeypatch)
    (kernel,) = emulated_gpu.kernels_of(graph)
    assert kernel.report().endswith("compiled on first launch")
    kernel.launch(*args)
    assert "STATIC CUDA kernel fused_add_multiply" in kernel.report()
    assert "baked/32-bit built by g++ for the host shim in" in kernel.report()


def test_a_kernel_that_does_not_compile_leaves_its_group_unfused_with_the_reason(shim, monkeypatch):
    class Refusing(host_shim.HostBackend):
        eager = True

        def compile(self, source, name, params):
            raise RuntimeError("nvrtc: error: pretend the compiler refused")

    scripted, eager = script_source(_GELU_BIAS, F=F)
    args = list(LAYOUTS["row bias"]())
    actual, graph = emulated_gpu.run(scripted, args, "STATIC", Refusing(directory=shim.directory), monkeypatch)
    assert not emulated_gpu.kernels_of(graph)
    assert_same(actual, eager(*args))
    assert any("did not compile" in note and "pretend the compiler refused" in note for note in graph.fusion_notes), \
        graph.fusion_notes


# -- NumPy 2's integer semantics, with UBSan watching for C's undefined behaviour ----------------

@pytest.fixture(scope="module")
def sanitized_shim(tmp_path_factory):
    if host_shim.compiler() is None:
        pytest.skip("no g++ on the PATH: the host shim cannot compile the CUDA C kernels")
    backend = host_shim.HostBackend(directory=str(tmp_path_factory.mktemp("ubsan")), sanitize=True)
    try:
        backend.library('extern "C" int arrayscript_probe(int a) { return a * 3; }\n')
    except RuntimeError as error:
        pytest.skip(f"g++ cannot build with UBSan here: {str(error).splitlines()[0]}")
    return backend


def _integer_calls(source, calls, kind, backend, monkeypatch, capfd):
    """Each call of ``source``'s function through its emulated-GPU specialization for the
    first call, against eager NumPy (errors included); no UBSan report. Returns how many
    calls the launchers handed to NumPy."""
    scripted, eager = script_source(source)
    graph = emulated_gpu.specialize(scripted, calls[0], kind, backend, monkeypatch)
    kernels = emulated_gpu.kernels_of(graph)
    assert kernels, f"nothing fused:\n{graph}"
    counter = integers.FallbackCounter(kernels)
    _, function = codegen.generate(graph, scripted.name, scripted.parameters)
    for args in calls:
        integers.assert_same_outcome(integers.outcome(function, args), integers.outcome(eager, args),
                                     f"{source} on {args}")
    reports = capfd.readouterr().err
    assert "runtime error" not in reports, reports
    return counter.count


@pytest.mark.parametrize("kind", ["STATIC", "DYNAMIC"])
@pytest.mark.parametrize("dtype", integers.INTEGERS)
def test_integer_arithmetic_wraps_without_undefined_behaviour(dtype, kind, sanitized_shim, monkeypatch, capfd):
    source = ("def f(x):\n    return ("
              + ", ".join(f"({e}) == (x == x)" for e in integers.wrap_expressions(dtype)) + ",)\n")
    x = integers._overflowing(dtype)
    assert _integer_calls(source, [(x,), (x[::-1].copy(),)], kind, sanitized_shim, monkeypatch, capfd) == 0


@pytest.mark.parametrize("dtype", integers.INTEGERS)
def test_comparisons_with_python_ints_beyond_the_dtype_are_exact(dtype, sanitized_shim, monkeypatch, capfd):
    terms = [f"(x {op} {c}) ^ y" for c in integers._just_beyond(dtype) for op in integers.COMPARISONS]
    terms += [f"({c} {op} x) ^ y" for c in integers._just_beyond(dtype) for op in ("<", "==")]
    source = f"def f(x):\n    y = x > 0\n    return ({', '.join(terms)},)\n"
    x = integers.edges(dtype)
    assert _integer_calls(source, [(x,)], "STATIC", sanitized_shim, monkeypatch, capfd) == 0


@pytest.mark.parametrize("expression", ["(x + n) * 2", "(x <= n) | (n < x)", "np.clip(x, n, x) + 0"])
@pytest.mark.parametrize("dtype", integers.INTEGERS)
def test_an_int_parameter_beyond_the_kernels_dtypes_runs_in_numpy(dtype, expression, sanitized_shim, monkeypatch,
                                                                  capfd):
    """The CUDA launcher checks a Python int's range as the CPU one does: values the
    kernel holds run in it, others in NumPy (its answer or its OverflowError)."""
    limits = np.iinfo(dtype)
    inside, outside = [1, int(limits.min), int(limits.max)], integers.beyond(dtype)
    (inside if dtype == "uint64" else outside).append(2**63)
    x = integers.edges(dtype)
    calls = [(x, n) for n in inside + outside]
    source = f"def f(x, n: int):\n    return {expression}\n"
    assert _integer_calls(source, calls, "DYNAMIC", sanitized_shim, monkeypatch, capfd) == len(outside)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_float_steps_and_ldexp_at_their_edges(dtype, shim, monkeypatch):
    """nextafter, spacing (float16 steps toward +inf, as NumPy's half loop) and ldexp with int32
    exponents that overflow, underflow to subnormals and saturate far beyond the range."""
    specials = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 5e-324, -3e-5, 6e4, 3.0, -2.5])
    with np.errstate(all="ignore"):
        x = np.tile(specials.astype(dtype), (9, 1))
    y = x[:, ::-1].copy()
    e = np.array([-100000000, -1075, -150, -1, 0, 1, 128, 1024, 2**31 - 1], np.int32)[:, None] + np.zeros((1, 12), np.int32)
    source = "def f(x, y, e):\n    return np.nextafter(x, y) * 1.0, np.spacing(x) + 0.0, np.ldexp(x, e) + 0.0\n"
    for kind in ("STATIC", "DYNAMIC"):
        _fused(source, [x, y, e], kind, shim, monkeypatch)


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint16", "uint64"])
def test_gcd_and_lcm_at_the_integer_limits(dtype, shim, monkeypatch):
    """Euclid on the magnitudes: gcd of the minimum int wraps, lcm overflow wraps as |a| / gcd * |b|."""
    info = np.iinfo(dtype)
    values = [v for v in (info.min, info.min + 1, -12, -1, 0, 1, 6, 2**15 + 3, info.max) if info.min <= v <= info.max]
    x, y = (v.astype(dtype) for v in np.meshgrid(np.array(values, object), np.array(values, object)))
    _fused("def f(x, y):\n    return np.gcd(x, y) | 0, np.lcm(x, y) | 0\n", [x, y], "STATIC", shim, monkeypatch)


@pytest.mark.parametrize("dtype", ["int8", "int32", "uint16", "int64", "uint64"])
def test_bitwise_count_at_the_integer_limits(dtype, shim, monkeypatch):
    """__popc / __popcll of the magnitude: the minimum int counts its own bits."""
    info = np.iinfo(dtype)
    values = [v for v in (info.min, info.min + 1, -2, -1, 0, 1, 6, info.max) if info.min <= v <= info.max]
    x = np.array([values, values[::-1]], object).astype(dtype)
    _fused("def f(x):\n    return np.bitwise_count(x) + 0\n", [x], "STATIC", shim, monkeypatch, groups=1)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_divmod_frexp_and_modf_fused_where_unpacked(dtype, shim, monkeypatch):
    """The outputs of one multi-output node are stored by one kernel: floor semantics, signed zeros,
    inf and NaN, frexp's int32 exponent of subnormals."""
    with np.errstate(over="ignore"):
        edges = np.array([0.0, -0.0, 1.0, -2.0, 2.5, -2.5, 0.75, np.inf, -np.inf, np.nan, 1e-40, 6e-8, 7.0],
                         np.float64).astype(dtype)
    a, b = np.meshgrid(edges, edges)
    source = ("def f(a, b):\n    q, r = np.divmod(a, b)\n    m, e = np.frexp(a)\n    parts = np.modf(b)\n"
              "    return q + 0, r + 0, m * 1, e + 0, parts[0] + 0, parts[1] + 0\n")
    _fused(source, [a, b], "STATIC", shim, monkeypatch)
