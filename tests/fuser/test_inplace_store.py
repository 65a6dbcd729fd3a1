"""A fusion group that ends in an in-place store (fuser.inplace_store): the group's
kernel writes into the view, one launch and no copy, where that gives NumPy's
answer; the copying store otherwise. The oracle is the same function run eagerly,
results and written arrays both, scripted and traced."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import jit
from jit.ir.alias_analysis import AliasDb

from ..helpers import assert_same, optimized_against_eager, script_source

RNN = """
def rnn(x, W, U, h0):
    h = np.zeros((x.shape[0], x.shape[1], W.shape[1]), dtype=x.dtype)
    prev = h0
    for t in range(x.shape[0]):
        h[t] = np.tanh(x[t] @ W + prev @ U)
        prev = h[t]
    return h
"""
# Batch-major, as cs231n writes it: h[:, t] is a strided view with unit inner stride, which the
# kernel's rows variant writes (kernels.cpu.CpuKernel.launch_rows).
RNN_BATCH_MAJOR = RNN.replace("x[t]", "x[:, t]").replace("h[t]", "h[:, t]").replace(
    "range(x.shape[0])", "range(x.shape[1])")

OVERLAPS = """
def overlaps(x, y):
    x[1:] = x[:-1] * 2.0 + y[1:]
    y[:] = y * 2.0 + 1.0
    x[::-1] = x + 1.0 - y
    return x
"""


@pytest.fixture(autouse=True)
def _small_stores_write_into_views(monkeypatch):
    """These arrays are small: below the sizes where writing into the view pays (inplace_store.
    INTO_VIEW_MIN_ELEMENTS, kernels.cpu.ROWS_MIN_ELEMENTS) a store copies; here every size writes."""
    from fuser import inplace_store  # noqa: PLC0415 - the module under test
    from kernels import cpu  # noqa: PLC0415

    monkeypatch.setattr(inplace_store, "INTO_VIEW_MIN_ELEMENTS", 0)
    monkeypatch.setattr(cpu, "ROWS_MIN_ELEMENTS", 0)


def _arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal(shape) for shape in shapes)


def _rnn_inputs(batch=4, steps=5, features=3, hidden=6, batch_major=False):
    x_shape = (batch, steps, features) if batch_major else (steps, batch, features)
    return _arrays(x_shape, (features, hidden), (hidden, hidden), (batch, hidden))


def _stores(graph):
    """(fused setitems, unfused setitems, the StoreLaunch of each fused group)."""
    setitems = [n for n in graph.all_nodes() if n.kind == "np::setitem"]
    launches = [n["store_launch"] for n in graph.all_nodes()
                if n.kind == "prim::FusionGroup" and "store_launch" in n.attrs]
    fused = [n for n in setitems if "fused_group" in n.attrs]
    return fused, [n for n in setitems if "fused_group" not in n.attrs], launches


def _explained(function, *args) -> str:
    return str(jit.explain(function, *args))


def test_rnn_row_update_is_one_launch_into_the_view():
    scripted, eager = script_source(RNN)
    args = _rnn_inputs()
    graph = optimized_against_eager(scripted, eager, args)
    fused, unfused, launches = _stores(graph)
    assert fused and not unfused and len(launches) == len(fused)
    # Every row went straight into the view h[t]: no fresh array, no copy.
    assert all(launch.into_view >= 1 and launch.copied == 0 for launch in launches)
    assert "np::setitem[fused_group=" in str(graph)
    db = AliasDb(graph)  # the fused store is still the write the alias analysis sees
    h = fused[0].inputs[0]
    assert all(db.writes_memory_of(store, [h]) for store in fused) and db.is_written(h)
    assert "store fused: %h[" in _explained(scripted, *args)


def test_a_strided_row_destination_is_written_by_the_kernel():
    scripted, eager = script_source(RNN_BATCH_MAJOR)
    graph = optimized_against_eager(scripted, eager, _rnn_inputs(batch_major=True))
    fused, unfused, launches = _stores(graph)
    assert fused and not unfused
    assert all(launch.into_view >= 1 and launch.copied == 0 for launch in launches)
    rows = [launch.kernel for launch in launches if launch.kernel._rows_variants]
    assert rows and all(variant is not None for k in rows for variant in k._rows_variants.values())
    # an unsigned index into the span: a signed one's wrap-around test kept the store loop scalar
    assert all("_flat[uint64(" in variant.source for k in rows for variant in k._rows_variants.values())


@pytest.mark.parametrize("index", ["[:, 1]", "[:, :, 2:5]", "[1:, ::2]", "[::2, 1, :]", "[None, 1:]"])
@pytest.mark.parametrize("dynamic", [False, True])
def test_strided_destinations_agree_with_numpy(index, dynamic):
    # 3-d h: the destination's outer strides skip rows, planes or every other one; b broadcasts.
    scripted, eager = script_source(f"""
    def f(h, x, b):
        h{index} = np.tanh(x * 2.0) + b
        return h
    """)
    destination = np.zeros((4, 5, 6))[eval(f"np.s_{index}")]  # noqa: S307 - the test's own index
    x = _arrays(destination.shape, seed=1)[0]
    b = _arrays(destination.shape[-1:], seed=2)[0]
    previous = jit.set_fusion_strategy([("DYNAMIC", 2)] if dynamic else [("STATIC", 2)])
    try:
        optimized_against_eager(scripted, eager, (np.zeros((4, 5, 6)), x, b))
    finally:
        jit.set_fusion_strategy(previous)
    _, _, launches = _stores(jit.last_executed_optimized_graph())
    assert launches and launches[0].into_view >= 1 and launches[0].copied == 0
    assert launches[0].kernel.static is not dynamic


def test_destinations_the_kernel_cannot_write_copy():
    # A transpose (inner stride not 1) and a reversed row (negative stride): kernel, then copy.
    scripted, eager = script_source("""
    def f(h, x):
        t = h.T
        t[1:3] = np.tanh(x) + 1.0
        h[::-1, 0] = np.exp(h[:, 1]) * 0.5
        return h
    """)
    optimized_against_eager(scripted, eager, (np.zeros((6, 4)), _arrays((2, 6))[0]))
    _, _, launches = _stores(jit.last_executed_optimized_graph())
    assert launches and all(launch.copied >= 1 and launch.into_view == 0 for launch in launches)


def test_rows_spans_refuse_overlapping_rows():
    from kernels.cpu import _row_spans  # noqa: PLC0415 - the helper under test

    base = np.zeros(20)
    overlapping = np.lib.stride_tricks.as_strided(base, shape=(4, 5), strides=(3 * 8, 8))
    assert _row_spans(overlapping) is None  # rows 3 apart, 5 long: NumPy's last write wins; ours would race
    gapped = np.zeros((4, 7))[:, 1:6]
    flat, stride = _row_spans(gapped)
    assert stride == 7 and flat.flags.c_contiguous and flat.size == 3 * 7 + 5
    flat[stride * 2 + 3] = 9.0
    assert gapped[2, 3] == 9.0
    assert _row_spans(np.zeros((4, 6))[::-1]) is None


@pytest.mark.filterwarnings("ignore::jit.errors.TracerWarning")  # the trace records range(steps): meant here
def test_rnn_store_through_tracing():
    _, eager = script_source(RNN)
    args = _rnn_inputs()
    traced = jit.trace(eager, copy.deepcopy(args))
    graph = optimized_against_eager(traced, eager, args)
    fused, unfused, launches = _stores(graph)
    assert fused and not unfused
    assert all(launch.into_view >= 1 and launch.copied == 0 for launch in launches)


def test_overlapping_stores_copy_and_an_identical_view_is_written_in_place():
    scripted, eager = script_source(OVERLAPS)
    args = (np.arange(12.0).reshape(6, 2), np.linspace(-1.0, 1.0, 12).reshape(6, 2))
    _assert_overlaps_copy(optimized_against_eager(scripted, eager, args))


def _assert_overlaps_copy(graph):
    fused, _, launches = _stores(graph)
    assert len(fused) == 3
    shifted, same, reversed_ = launches  # in program order
    assert shifted.copied >= 1 and shifted.into_view == 0  # x[1:] reads x[:-1]: NumPy computes, then stores
    assert same.into_view >= 1 and same.copied == 0  # y[:] = y * 2 + 1 reads each element where it writes it
    assert reversed_.copied >= 1 and reversed_.into_view == 0


def test_overlapping_stores_through_tracing():
    _, eager = script_source(OVERLAPS)
    args = (np.arange(12.0).reshape(6, 2), np.linspace(-1.0, 1.0, 12).reshape(6, 2))
    traced = jit.trace(eager, copy.deepcopy(args))
    _assert_overlaps_copy(optimized_against_eager(traced, eager, args))


def test_a_view_of_the_callers_array_sees_the_write():
    scripted, eager = script_source("""
    def f(out, x):
        rows = out[1:3]
        rows[:] = np.tanh(x) * 2.0 - 1.0
        return x
    """)
    out, x = np.zeros((4, 6)), _arrays((2, 6))[0]
    optimized_against_eager(scripted, eager, (out, x))
    mine, theirs = np.zeros((4, 6)), np.zeros((4, 6))
    scripted(mine, x)
    eager(theirs, x)
    assert_same(mine, theirs, "the caller's array")
    assert np.count_nonzero(mine) == x.size  # (the write did happen)
    _, _, launches = _stores(jit.last_executed_optimized_graph())
    assert launches and launches[0].into_view >= 1


def test_broadcast_and_casting_stores_keep_numpys_copy():
    scripted, eager = script_source("""
    def f(h, low, b):
        h[:, 1] = np.tanh(b) + 1.0
        low[0] = np.exp(b) * 2.0
        return h
    """)
    args = (np.zeros((4, 3, 6)), np.zeros((2, 6), dtype=np.float32), _arrays((6,))[0])
    graph = optimized_against_eager(scripted, eager, args)
    fused, unfused, _ = _stores(graph)
    assert not fused and len(unfused) == 2
    notes = _explained(scripted, *args)
    assert "NumPy's broadcast is kept" in notes and "NumPy's cast is kept" in notes


def test_dynamic_shapes_and_a_read_only_destination():
    scripted, eager = script_source("""
    def f(h, x):
        h[1:] = np.tanh(x) * 0.5
        return h
    """)
    for rows in (3, 4, 5, 6):  # past the STATIC specializations, into a DYNAMIC one
        optimized_against_eager(scripted, eager, (np.zeros((rows, 4)), _arrays((rows - 1, 4))[0]), calls=1)
    _, _, launches = _stores(jit.last_executed_optimized_graph())
    assert launches and launches[0].into_view >= 1 and not launches[0].kernel.static
    frozen = np.zeros((3, 4))
    frozen.flags.writeable = False
    x = _arrays((2, 4))[0]
    try:
        eager(frozen, x)
    except ValueError as error:
        expected = str(error)
    try:
        scripted(frozen, x)
    except ValueError as error:
        assert str(error) == expected
    else:
        raise AssertionError("a write into a read-only array did not raise")
    assert_same(frozen, np.zeros((3, 4)))


def test_a_dynamic_value_that_broadcasts_into_the_destination_is_copied():
    # DYNAMIC shapes are not known when the store fuses: the launch sees (1, 6) into (3, 6).
    scripted, eager = script_source("""
    def f(h, x):
        h[:, 1] = np.tanh(x) - 1.0
        return h
    """)
    previous = jit.set_fusion_strategy([("DYNAMIC", 2)])
    try:
        optimized_against_eager(scripted, eager, (np.zeros((3, 4, 6)), _arrays((3, 6))[0]), calls=2)
        optimized_against_eager(scripted, eager, (np.zeros((3, 4, 6)), _arrays((1, 6))[0]), calls=1)
    finally:
        jit.set_fusion_strategy(previous)
    _, _, launches = _stores(jit.last_executed_optimized_graph())
    assert launches and launches[0].into_view >= 1 and launches[0].copied >= 1


# cs231n's RNN step (tests/corpus/programs/cs231n_rnn.py), inlined: the group has two outputs,
# sum_h (kept in the step's cache tuple) and next_h (stored into h[:, t]).
RNN_WITH_CACHE = """
def step(x, prev_h, Wx, Wh, b):
    sum_h = x.dot(Wx) + prev_h.dot(Wh) + b
    next_h = np.tanh(sum_h)
    cache = (x, prev_h, sum_h)
    return next_h, cache

def rnn(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    caches: List[Tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    prev = h0
    for t in range(T):
        h[:, t, :], cache = step(x[:, t, :], prev, Wx, Wh, b)
        caches.append(cache)
        prev = h[:, t, :]
    return h, caches
"""


@pytest.mark.parametrize("batch_major", [True, False])
@pytest.mark.parametrize("dynamic", [False, True])
def test_a_group_of_two_outputs_writes_the_stored_one_into_the_view(batch_major, dynamic):
    source = RNN_WITH_CACHE if batch_major else RNN_WITH_CACHE.replace("[:, t, :]", "[t]").replace(
        "N, T, D = x.shape", "T, N, D = x.shape").replace("(N, T, h0", "(T, N, h0")
    scripted, eager = script_source(source, "rnn")
    batch, steps, features, hidden = 4, 5, 3, 6
    args = _arrays((batch, steps, features) if batch_major else (steps, batch, features), (batch, hidden),
                   (features, hidden), (hidden, hidden), (hidden,))
    previous = jit.set_fusion_strategy([("DYNAMIC", 2)] if dynamic else [("STATIC", 2)])
    try:
        graph = optimized_against_eager(scripted, eager, args)
    finally:
        jit.set_fusion_strategy(previous)
    fused, unfused, launches = _stores(graph)
    groups = [n for n in graph.all_nodes() if n.kind == "prim::FusionGroup"]
    assert fused and not unfused and all(len(g.outputs) == 2 for g in groups)
    assert all(launch.into == 1 and launch.into_view >= 1 and launch.copied == 0 for launch in launches)
    assert all(launch.kernel.static is not dynamic for launch in launches)
    h, caches = scripted(*copy.deepcopy(args))  # the cache's sum_h is the other output, whole
    expected_h, expected_caches = eager(*copy.deepcopy(args))
    assert_same(h, expected_h)
    assert_same(caches, expected_caches, "the caches")


def test_another_output_read_before_the_store_keeps_the_copy():
    # s @ s reads the group's other output between the group and the store: not a container,
    # so the group cannot move down to the store.
    scripted, eager = script_source("""
    def f(h, x):
        s = x * 3.0
        t = np.tanh(s)
        u = s @ s
        h[1] = t
        return h, u
    """)
    args = (np.zeros((3, 5)), _arrays((5,))[0])
    graph = optimized_against_eager(scripted, eager, args)
    fused, unfused, _ = _stores(graph)
    assert not fused and len(unfused) == 1
    assert "reads another of its outputs" in _explained(scripted, *args)


# -- the CUDA renderer, through the host shim: its flat variants write a C-contiguous view, its
# strided variant any other (the output's strides are arguments, as the inputs' are).

@pytest.fixture(scope="module")
def shim(tmp_path_factory):
    from kernels import host_shim  # noqa: PLC0415 - only these tests need the host shim

    if host_shim.compiler() is None:
        pytest.skip("no g++ on the PATH: the host shim cannot compile the CUDA C kernels")
    return host_shim.HostBackend(directory=str(tmp_path_factory.mktemp("shim")))


def _cuda_stores(scripted, eager, kind, shim, monkeypatch):
    """(the StoreLaunches, the unfused setitems) of ``f(h, x, b)`` run on the emulated GPU, after
    checking its results and the written ``h`` against eager NumPy."""
    from ..kernels import emulated_gpu  # noqa: PLC0415 - the CUDA path without a GPU

    args = (np.zeros((6, 6, 5)), _arrays((4, 6, 5), seed=3)[0], _arrays((5,), seed=4)[0])
    mine, theirs = copy.deepcopy(args), copy.deepcopy(args)
    result, graph = emulated_gpu.run(scripted, mine, kind, shim, monkeypatch)
    assert_same(result, eager(*theirs))
    assert_same(mine, theirs, "the arguments after the call")
    _, unfused, launches = _stores(graph)
    return launches, unfused


@pytest.mark.parametrize("kind", ["STATIC", "DYNAMIC"])
def test_cuda_stores_write_into_views(kind, shim, monkeypatch):
    scripted, eager = script_source("""
    def f(h, x, b):
        h[1] = np.tanh(x[0]) + b
        h[:, 2] = np.exp(x[1] * 0.5) - b
        g = h.transpose(1, 0, 2)
        g[3, ::2] = x[2, ::2] * 2.0 + 1.0
        h[::-1, 4] = x[3] * 3.0 - 1.0
        return h
    """)
    launches, unfused = _cuda_stores(scripted, eager, kind, shim, monkeypatch)
    assert len(launches) == 4 and not unfused
    assert all(launch.into_view == 1 and launch.copied == 0 for launch in launches)
    assert all(type(launch.kernel).__name__ == "CudaKernel" for launch in launches)


@pytest.mark.parametrize("kind", ["STATIC", "DYNAMIC"])
def test_cuda_a_group_of_two_outputs_writes_the_stored_one(kind, shim, monkeypatch):
    scripted, eager = script_source("""
    def f(h, x, b):
        s = x[0] * 2.0 + b
        h[1] = np.tanh(s)
        r = x[1] - b
        h[:, 2] = np.exp(r) * 0.5
        return h, s, r
    """)
    launches, unfused = _cuda_stores(scripted, eager, kind, shim, monkeypatch)
    assert len(launches) == 2 and not unfused
    assert all(launch.several and launch.into == 1 for launch in launches)
    assert all(launch.into_view == 1 and launch.copied == 0 for launch in launches)
    assert all(type(launch.kernel).__name__ == "CudaKernel" for launch in launches)


def test_small_stores_copy_and_large_ones_write_into_the_view_by_default(monkeypatch):
    from fuser import inplace_store  # noqa: PLC0415 - the defaults under test
    from kernels import cpu  # noqa: PLC0415

    monkeypatch.setattr(inplace_store, "INTO_VIEW_MIN_ELEMENTS", 1 << 12)
    monkeypatch.setattr(cpu, "ROWS_MIN_ELEMENTS", 1 << 16)
    scripted, eager = script_source(RNN_BATCH_MAJOR)
    small = _rnn_inputs(batch_major=True)  # h[:, t] of 4 x 6: the checks would cost more than the copy
    _, _, launches = _stores(optimized_against_eager(scripted, eager, small))
    assert launches and all(launch.copied >= 1 and launch.into_view == 0 for launch in launches)
    scripted, eager = script_source(RNN_BATCH_MAJOR)
    large = _rnn_inputs(batch=64, steps=3, features=4, hidden=1024, batch_major=True)  # 65536 a row
    for _ in range(3):
        # (a 1024-term matmul of the step before amplifies tanh's last-bit differences past assert_same's 1e-12)
        np.testing.assert_allclose(scripted(*copy.deepcopy(large)), eager(*copy.deepcopy(large)), rtol=1e-9, atol=1e-12)
    _, _, launches = _stores(jit.last_executed_optimized_graph())
    assert launches and all(launch.into_view >= 1 and launch.copied == 0 for launch in launches)
