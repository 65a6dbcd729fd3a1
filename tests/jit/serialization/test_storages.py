"""Storages: arrays that are one array in memory (tied weights, views of one
buffer) are saved once and load as views of one array again, sharing memory
exactly as the saved arrays did; any other sharing, a view outside its storage,
or a declaration larger than the file allows is a SerializationError, raised
before anything large is built. Version-1 archives (one .npy per array) still
load. The oracle is the saved arrays themselves."""
from __future__ import annotations

import io
import json
import re
import tracemalloc
import zipfile

import numpy as np
import pytest

import jit
from jit import nn
from jit.ir.code_printer import tensor_constants

from jit.serialization.limits import json_cost

from ...helpers import assert_same, run_with_fake_cupy
from .test_robustness import archive_bytes, edited_manifest, load_error, rewritten


def manifest(data: bytes) -> dict:
    return json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))


def loaded_from(data: bytes, **options):
    return jit.load(io.BytesIO(data), **options)


def base(shape=(4, 8), dtype=np.float64):
    return np.arange(np.prod(shape), dtype=dtype).reshape(shape)


def _bytes_buffer():
    raw = bytearray(np.arange(24, dtype=np.float32).tobytes())  # a base that is not an array
    return np.frombuffer(raw, np.float32)[2:14].reshape(3, 4), np.frombuffer(raw, np.float32, offset=16)


def _broadcast():
    row = base()[1]
    return row, np.broadcast_to(row, (5, 8))


# Pairs of arrays as a user might hold them: views of one buffer, and arrays that merely look alike.
PAIRS = {
    "the same array twice": lambda: (lambda b: (b, b))(base()),
    "transpose": lambda: (lambda b: (b, b.T))(base()),
    "column slice": lambda: (lambda b: (b, b[:, :4]))(base()),
    "reshape": lambda: (lambda b: (b, b.reshape(2, 16)))(base()),
    "negative strides": lambda: (lambda b: (b[::-1, ::-2], b[1:3]))(base()),
    "Fortran order": lambda: (lambda b: (b, b[1:, ::3]))(np.asfortranarray(base())),
    "broadcast (zero strides)": _broadcast,
    "a dtype view": lambda: (lambda b: (b, b.view(np.int32)))(base()),
    "interleaved columns, no element shared": lambda: (lambda b: (b[:, :4], b[:, 4:]))(base()),
    "a base that is not saved": lambda: (lambda b: (b[10:20], b[15:30]))(base((100,))),
    "a bytes buffer as base": _bytes_buffer,
    "equal arrays, separate memory": lambda: (lambda b: (b, b.copy()))(base()),
    "an empty view": lambda: (lambda b: (b[:0], b))(base()),
    "a 0-d view and a scalar": lambda: (lambda b: (b[1, 2, ...], np.float64(7.0)))(base()),
}


def holder(first, second):
    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.first = nn.Parameter(first)
            self.register_buffer("second", second)
            self.both = [first, second]

        def forward(self, x):
            return x

    return jit.script(Holder())


def assert_same_layout(loaded, saved, what):
    """Equal values, dtype, shape and strides."""
    assert type(loaded) is type(saved), f"{what}: {type(loaded).__name__} != {type(saved).__name__}"
    assert loaded.dtype == saved.dtype and loaded.shape == saved.shape, what
    if isinstance(saved, np.ndarray):
        assert loaded.strides == saved.strides, f"{what}: strides {loaded.strides} != {saved.strides}"
    np.testing.assert_array_equal(loaded, saved, err_msg=what)


def assert_alias_like(loaded, saved):
    """``loaded`` (a pair of arrays) shares memory exactly as ``saved`` does, and a
    write through the first is seen through the second as it is in the saved pair."""
    for (got, want, what) in zip(loaded, saved, ("first", "second")):
        assert_same_layout(got, want, what)
    arrays = [a for a in saved if isinstance(a, np.ndarray)]
    if len(arrays) == 2:
        assert np.shares_memory(*loaded) == np.shares_memory(*saved)
    if isinstance(saved[0], np.ndarray) and saved[0].size:
        for pair in (loaded, saved):
            pair[0][(-1,) * pair[0].ndim] = -99  # an element views of one buffer see in both
        assert_same_layout(loaded[1], saved[1], "the second, after writing through the first")


@pytest.mark.parametrize("kind", PAIRS)
def test_module_arrays_share_memory_after_load_as_before(kind):
    first, second = PAIRS[kind]()
    saved = (first, second)
    module = holder(first, second)
    data = archive_bytes(module)
    loaded = loaded_from(data)
    assert_alias_like((loaded.first, loaded.second), saved)
    assert loaded.both[0] is loaded.first and loaded.both[1] is loaded.second, "an array held twice is one object"
    storages = manifest(data)["storages"]
    one_buffer = isinstance(first, np.ndarray) and isinstance(second, np.ndarray) and first.size and second.size \
        and (np.shares_memory(first, second) or kind.startswith("interleaved"))
    assert len(storages) == (1 if one_buffer else 2)


def test_only_the_bytes_the_views_cover_are_saved():
    buffer = base((1000,))
    data = archive_bytes(holder(buffer[10:20], buffer[15:30]))
    assert [s["nbytes"] for s in manifest(data)["storages"]] == [20 * 8]
    data = archive_bytes(holder(buffer[:2], buffer[-2:]))  # far apart: each its own bytes
    assert [s["nbytes"] for s in manifest(data)["storages"]] == [16, 16]


def test_tied_weights_stay_tied():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Linear(6, 4, bias=False)
            self.decoder = nn.Linear(4, 6, bias=False)
            self.decoder.weight = nn.Parameter(self.encoder.weight.T)

        def forward(self, x):
            return self.decoder(np.tanh(self.encoder(x)))

    jit.manual_seed(1)
    model = jit.script(Tied())
    x = np.random.default_rng(2).standard_normal((3, 6)).astype(np.float32)
    data = archive_bytes(model)
    loaded = loaded_from(data)
    assert len(manifest(data)["storages"]) == 1
    assert_same(loaded(x), model(x))
    assert np.shares_memory(loaded.encoder.weight, loaded.decoder.weight)
    loaded.encoder.weight[...] *= 2  # a training step on one is a step on the other
    model.encoder.weight[...] *= 2
    assert_same(loaded(x), model(x))


def affine_of(weight):
    return lambda x: x @ weight + x @ weight.T + weight[:, 1]


def test_a_traces_baked_constants_stay_views_of_one_array():
    weight = base((4, 4), np.float32)
    affine = affine_of(weight)

    x = np.random.default_rng(4).standard_normal((2, 4)).astype(np.float32)
    traced = jit.trace(affine, (x,))
    data = archive_bytes(traced)
    assert_same(loaded_from(data)(x), affine(x))
    loaded = loaded_from(data)  # first called after the write below (the suite replays first calls)
    saved_constants, constants = tensor_constants(traced.graph), tensor_constants(loaded.graph)
    assert len(constants) == len(saved_constants) == 3
    for got, want in zip(constants, saved_constants):
        assert_same_layout(got, want, "a baked constant")
    assert all(np.shares_memory(constants[0], c) for c in constants[1:])
    constants[0][0, 1] = 5.0  # the trace's weight, its transpose and its column are one array
    written = weight.copy()
    written[0, 1] = 5.0
    assert_same(loaded(x), affine_of(written)(x))


def test_scalars_keep_their_type_and_empty_arrays_their_layout():
    empty = np.zeros((3, 0, 2), dtype=np.int16)[:, :, ::-1]
    data = archive_bytes(holder(np.float32(2.5), empty))
    loaded = loaded_from(data)
    assert type(loaded.first) is np.float32 and loaded.first == np.float32(2.5)
    assert_same_layout(loaded.second, empty, "an empty array")


def test_byte_swapped_arrays_keep_their_byte_order():
    swapped = base().astype(">f8")
    loaded = loaded_from(archive_bytes(holder(swapped, swapped[1:].T)))
    assert_alias_like((loaded.first, loaded.second), (swapped, swapped[1:].T))
    assert loaded.first.dtype.byteorder == ">"


def test_where_arrays_live_in_memory_does_not_change_the_file():
    def saved_arrays():
        weight = base()
        data = archive_bytes(holder(weight[1:], weight.T))
        entries = zipfile.ZipFile(io.BytesIO(data))
        return manifest(data)["storages"], manifest(data)["tensors"], entries.read("storages/0.bin")

    assert saved_arrays() == saved_arrays()


def test_cupy_arrays_are_saved_as_views_of_one_device_buffer():
    output = run_with_fake_cupy('''
        import io
        import numpy as np
        import cupy
        import device
        import jit
        from jit import nn

        linear = nn.Linear(4, 3).to("cuda:1")
        with cupy.cuda.Device(1):  # the fake CuPy puts a view on the current device
            linear.register_buffer("transposed", linear.weight.T)
            linear.register_buffer("column", linear.weight[:, 1:3])
        weight = linear.weight.get()
        buffer = io.BytesIO()
        jit.save(jit.script(linear), buffer)
        for location in (None, "cuda:0", "cpu"):
            buffer.seek(0)
            loaded = jit.load(buffer, map_location=location)
            arrays = [loaded.weight, loaded.transposed, loaded.column]
            host = [getattr(a, "_data", a) for a in arrays]  # the fake's device memory, as NumPy
            for got, want in zip(host, [weight, weight.T, weight[:, 1:3]]):
                np.testing.assert_array_equal(got, want)
                assert got.strides == want.strides
            host[0][2, 1] = -1.0
            print(sorted({str(device.of(a)) for a in arrays}), np.shares_memory(host[0], host[1]),
                  host[1][1, 2], host[2][2, 0])
    ''')
    assert output.splitlines() == ["['cuda:1'] True -1.0 -1.0", "['cuda:0'] True -1.0 -1.0", "['cpu'] True -1.0 -1.0"]


# -- version 1 -----------------------------------------------------------------------------------
def as_version_1(data: bytes) -> bytes:
    """``data`` (a version-2 archive) as the version-1 writer wrote it: one .npy entry per array."""
    source = zipfile.ZipFile(io.BytesIO(data))
    edited = manifest(data)
    storages = edited.pop("storages")
    entries = {}
    for number, record in enumerate(edited["tensors"]):
        raw = np.frombuffer(source.read(storages[record.pop("storage")]["entry"]), np.uint8)
        view = np.ndarray(record["shape"], record["dtype"], buffer=raw, offset=record.pop("offset"),
                          strides=record.pop("strides"))
        buffer = io.BytesIO()
        np.save(buffer, view.copy(), allow_pickle=False)
        record["entry"] = f"tensors/{number}.npy"
        entries[record["entry"]] = buffer.getvalue()
    edited["version"] = 1
    return rewritten(data, replace={"version": "1\n", "manifest.json": json.dumps(edited)}, add=entries,
                     drop=[s["entry"] for s in storages])


def test_version_1_archives_still_load():
    weight = base((3, 4), np.float32)
    x = np.ones((2, 4), np.float32)
    traced = jit.trace(lambda v: v * weight[0] + weight.sum(), (x,))
    for obj, call in ((holder(weight, weight.T), None), (traced, x)):
        old = as_version_1(archive_bytes(obj))
        assert zipfile.ZipFile(io.BytesIO(old)).read("version") == b"1\n"
        loaded = loaded_from(old)
        if call is None:
            np.testing.assert_array_equal(loaded.first, weight)
            np.testing.assert_array_equal(loaded.second, weight.T)
            assert not np.shares_memory(loaded.first, loaded.second), "version 1 held each array on its own"
        else:
            assert_same(loaded(call), obj(call))


@pytest.mark.parametrize("changes, expected", [
    ({"dtype": "float32"}, "the entry holds float64(4, 8), but the manifest says float32(4, 8)"),
    ({"shape": [8, 4]}, "but the manifest says float64(8, 4)"),
    ({"entry": "storages/0.bin"}, "names the entry 'storages/0.bin', which is not an entry under 'tensors/'"),
    ({"entry": "manifest.json"}, "which is not an entry under 'tensors/'"),
])
def test_a_version_1_record_that_lies_is_caught(changes, expected):
    old = as_version_1(archive_bytes(holder(base(), base() + 1)))
    assert expected in load_error(edited_manifest(old, tensor_edit(**changes)))


@pytest.mark.parametrize("header", [b"{'descr': '<f8', 'fortran_order': False, 'shape': (4, 8), ",  # unclosed
                                    b"{'descr': '<f8', 'shape': " + b"(" * 300 + b")" * 300 + b"}",
                                    b"{'descr': '<f8', 'fortran_order': False, 'shape': (4, 8)} + 1",
                                    b"\xff\xfe"])
def test_a_version_1_entry_whose_header_is_not_a_dict_is_refused(header):
    old = as_version_1(archive_bytes(holder(base(), base() + 1)))
    npy = zipfile.ZipFile(io.BytesIO(old)).read("tensors/0.npy")
    length = int.from_bytes(npy[8:10], "little")
    padded = header.ljust(length - 1) + b"\n"
    assert "tensor 0: not a valid .npy entry" in load_error(rewritten(old, replace={"tensors/0.npy": npy[:10] + padded
                                                                                     + npy[10 + length:]}))


def test_a_version_1_entry_read_by_two_records_is_refused():
    old = as_version_1(archive_bytes(holder(base(), base() + 1)))
    shared = edited_manifest(old, lambda m: m["tensors"][1].update(entry=m["tensors"][0]["entry"],
                                                                      shape=m["tensors"][0]["shape"]))
    assert "tensor 1: its entry 'tensors/0.npy' is also tensor 0's" in load_error(shared)


# -- hostile files -------------------------------------------------------------------------------
def big_model(count_attribute=1):
    """A module with an 8 MiB buffer and a List[Tensor] attribute to point records from."""
    class Big(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("big", np.ones(2 << 20, dtype=np.float32))
            self.extra = [np.zeros(1, np.float32)] * count_attribute

        def forward(self, x):
            return x

    return jit.script(Big())


def pointing_at_the_big_entry(data, count, version_1=False):
    """``count`` more tensor records for the big array, each in the ``extra`` list attribute."""
    def edit(m):
        big = m["tensors"][m["modules"][0]["buffers"]["big"]]
        start = len(m["tensors"])
        m["tensors"] += [dict(big) for _ in range(count)]
        m["modules"][0]["attributes"]["extra"] = [{"tensor": start + i} for i in range(count)]
    return edited_manifest(as_version_1(data) if version_1 else data, edit)


def peak_while(call):
    """(the peak bytes Python and NumPy allocated during ``call()``, its result or exception)."""
    tracemalloc.start()
    try:
        outcome = call()
    except jit.SerializationError as error:
        outcome = error
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, outcome


def test_records_sharing_one_entry_are_refused_with_bounded_memory():
    crafted = pointing_at_the_big_entry(archive_bytes(big_model()), 250, version_1=True)
    peak, outcome = peak_while(lambda: loaded_from(crafted))
    assert isinstance(outcome, jit.SerializationError), outcome
    assert "is also tensor 0's; in a version-1 archive each array has its own entry" in str(outcome)
    assert peak < 4 * len(crafted), f"{peak} bytes held to refuse a {len(crafted)}-byte file"


def test_many_views_of_one_storage_cost_no_copies():
    crafted = pointing_at_the_big_entry(archive_bytes(big_model()), 250)
    peak, loaded = peak_while(lambda: loaded_from(crafted))
    assert not isinstance(loaded, Exception), loaded
    assert len(loaded.extra) == 250 and all(np.shares_memory(a, loaded.big) for a in loaded.extra)
    assert peak < 4 * len(crafted), f"{peak} bytes held to load a {len(crafted)}-byte file"


def test_two_storages_reading_one_entry_are_refused():
    def edit(m):
        m["storages"].append(dict(m["storages"][0]))
        m["tensors"][1]["storage"] = len(m["storages"]) - 1
    crafted = edited_manifest(archive_bytes(holder(base(), base() + 1)), edit)
    assert "storage 2 reads the entry 'storages/0.bin', which is storage 0's; tensors share bytes only as views " \
           "of one storage" in load_error(crafted)


def tensor_edit(number=0, **changes):
    return lambda m: m["tensors"][number].update(changes)


@pytest.mark.parametrize("edit, expected", [
    # 4x8 float64: storage 0 holds 256 bytes
    (tensor_edit(offset=8), "covers bytes 8 to 264, outside storage 0 (0 to 256)"),
    (tensor_edit(shape=[4, 8], strides=[-64, 8]), "covers bytes -192 to 64, outside storage 0"),
    (tensor_edit(shape=[32], strides=[8], offset=1), "covers bytes 1 to 257, outside storage 0"),
    (tensor_edit(shape=[40], strides=[8]), "covers bytes 0 to 320, outside storage 0"),
    (tensor_edit(shape=[2 ** 40], strides=[8]), "needs 8796093022208 bytes"),
    (tensor_edit(shape=[2 ** 40], strides=[0]), "tensor 0, float64(1099511627776,), needs 8796093022208 bytes"),
    (tensor_edit(shape=[2] * 60, strides=[8] * 60), "needs 9223372036854775808 bytes"),
    (tensor_edit(shape=[0, 2 ** 70], strides=[8, 8]), "is not a list of sizes (at most 64)"),
    (tensor_edit(shape=[1] * 65, strides=[8] * 65), "is not a list of sizes (at most 64)"),
    (tensor_edit(strides=[64]), "strides [64] are not 2 byte steps"),
    (tensor_edit(strides=[64, 8.0]), "are not 2 byte steps"),
    (tensor_edit(strides=[2 ** 63, 8]), "are not 2 byte steps"),
    (tensor_edit(offset=True), "offset True is not a byte offset inside storage 0 (256 bytes)"),
    (tensor_edit(offset=-8), "offset -8 is not a byte offset"),
    (tensor_edit(offset=257, shape=[0, 8]), "offset 257 is not a byte offset"),
    (tensor_edit(storage=7), "its storage 7 is not one of the 2 storages"),
    (tensor_edit(storage="0"), "its storage '0' is not one of the 2 storages"),
    (tensor_edit(byteorder="middle"), "byteorder 'middle' is not 'little' or 'big'"),
    (tensor_edit(dtype="object"), "dtype 'object' is not one an archive may hold"),
    (lambda m: m["storages"][0].update(nbytes=10 ** 12), "storage 0 declares 1000000000000 bytes, but its entry"),
    (lambda m: m["storages"][0].update(nbytes=-1), "storage 0 is not an object with an 'entry' and a size"),
    (lambda m: m["storages"][0].update(entry="manifest.json"), "names the entry 'manifest.json', which is not an "
                                                               "entry under 'storages/'"),
    (lambda m: m["storages"][0].update(entry="storages/9.bin"), "names the entry 'storages/9.bin'"),
    (lambda m: m.pop("storages"), "the manifest's 'storages' is not a list"),
    (lambda m: [t.update(storage=0, offset=0, device="cuda:0" if n else "cpu") for n, t in enumerate(m["tensors"])],
     "tensor 1 was saved on cuda:0, but tensor 0 of the same storage 0 on cpu"),
])
def test_a_view_the_storage_cannot_hold_is_refused(edit, expected):
    data = archive_bytes(holder(base(), base() + 1))
    assert expected in load_error(edited_manifest(data, edit))


def test_the_last_byte_of_a_storage_is_inside_it():
    data = archive_bytes(holder(base(), base() + 1))
    last = loaded_from(edited_manifest(data, tensor_edit(shape=[], strides=[], offset=248)))
    assert last.first == base()[-1, -1]
    assert "covers bytes 249 to 257" in load_error(edited_manifest(data, tensor_edit(shape=[], strides=[], offset=249)))


def list_model(value):
    class Listed(nn.Module):
        def __init__(self):
            super().__init__()
            self.numbers = value

        def forward(self, x):
            return x

    return jit.script(Listed())


def with_attribute(data, value):
    return edited_manifest(data, lambda m: m["modules"][0]["attributes"].update(numbers=value))


@pytest.mark.parametrize("value", [[[]] * 1_000_000, [{}] * 1_000_000], ids=["empty lists", "empty objects"])
def test_a_manifest_that_expands_in_memory_is_refused_before_it_is_parsed(value):
    crafted = with_attribute(archive_bytes(list_model([[1]])), value)
    peak, outcome = peak_while(lambda: loaded_from(crafted))
    assert isinstance(outcome, jit.SerializationError), outcome
    assert "its manifest needs" in str(outcome) and "pass a larger max_bytes to jit.load" in str(outcome)
    assert peak < 6 * len(crafted), f"{peak} bytes held to refuse a {len(crafted)}-byte file"


def test_max_bytes_raises_or_lowers_the_limit():
    crafted = with_attribute(archive_bytes(list_model([[1]])), [[]] * 100_000)
    assert "its manifest needs" in load_error(crafted)
    loaded = loaded_from(crafted, max_bytes=1 << 30)
    assert loaded.numbers == [[]] * 100_000
    parsing = int(re.search(r"its manifest needs (\d+) bytes", load_error(crafted)).group(1))
    message = load_error(crafted, max_bytes=parsing + 100_000)  # enough to parse, not to decode it all
    assert "attribute numbers: its value needs" in message and f"max_bytes={parsing + 100_000}" in message
    small = archive_bytes(holder(base(), base()))
    message = load_error(small, max_bytes=1000)
    assert "more than the max_bytes=1000 given to jit.load" in message
    with pytest.raises(TypeError, match="max_bytes is a number of bytes"):
        loaded_from(small, max_bytes="a lot")
    with pytest.raises(ValueError, match="max_bytes must be at least 0"):
        loaded_from(small, max_bytes=-1)


def test_a_long_list_of_ints_as_saved_loads_within_the_default_limit():
    values = list(range(100_000))
    data = archive_bytes(list_model(values))
    peak, loaded = peak_while(lambda: loaded_from(data))
    assert not isinstance(loaded, Exception), loaded
    assert loaded.numbers == values
    assert peak < 8 * len(data), f"{peak} bytes held to load a {len(data)}-byte file"


@pytest.mark.parametrize("text", [
    json.dumps([[]] * 50_000), json.dumps([{}] * 50_000), json.dumps(["ab"] * 50_000), json.dumps([1.5] * 50_000),
    json.dumps([123456789] * 50_000), json.dumps([{"k": [1, "v"]}] * 20_000), json.dumps({f"k{i}": i for i in range(50_000)}),
    json.dumps(["\u00e9\U0001f600" * 3] * 20_000),
], ids=["empty lists", "empty objects", "short strings", "floats", "ints", "records", "unique keys", "non-ASCII"])
def test_the_manifest_estimate_bounds_what_parsing_builds(text):
    peak, _ = peak_while(lambda: json.loads(text))
    assert peak <= json_cost(text), f"json.loads built {peak} bytes; the estimate was {json_cost(text)}"


def test_escaped_quotes_are_estimated_in_one_pass():
    crafted = with_attribute(archive_bytes(list_model([[1]])), [[]])
    text = zipfile.ZipFile(io.BytesIO(crafted)).read("manifest.json").decode()
    hostile = rewritten(crafted, replace={"manifest.json": '"' + '\\"' * 100_000 + "\\" + text})
    assert "not valid JSON" in load_error(hostile)  # a scan retried at each quote would take 10^10 steps
