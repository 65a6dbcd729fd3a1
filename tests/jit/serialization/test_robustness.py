"""Loading what is not a good archive: damaged, truncated, foreign, newer and
hostile files raise jit.SerializationError saying what is wrong — never another
exception, a hang, a write, or code run from the file."""
from __future__ import annotations

import io
import json
import random
import struct
import zipfile

import numpy as np
import pytest

import jit
from jit import nn

from ...helpers import assert_same

X = np.random.default_rng(3).standard_normal((2, 4)).astype(np.float32)


def sample_model():
    jit.manual_seed(0)
    return jit.script(nn.Sequential(nn.Linear(4, 3), nn.Tanh()))


def archive_bytes(obj=None) -> bytes:
    buffer = io.BytesIO()
    jit.save(obj if obj is not None else sample_model(), buffer)
    return buffer.getvalue()


def rewritten(data: bytes, replace=None, drop=(), add=None) -> bytes:
    """``data`` with entries replaced, dropped or added (names kept as given, however hostile)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            if info.filename in drop:
                continue
            content = (replace or {}).get(info.filename, source.read(info.filename))
            kept = zipfile.ZipInfo(info.filename, date_time=info.date_time)  # not now: the same edit, the same bytes
            target.writestr(kept, content if isinstance(content, bytes) else content.encode())
        for name, content in (add or {}).items():
            target.writestr(zipfile.ZipInfo(name), content if isinstance(content, bytes) else content.encode())
    return out.getvalue()


def edited_manifest(data: bytes, edit) -> bytes:
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))
    edit(manifest)
    return rewritten(data, replace={"manifest.json": json.dumps(manifest)})


def json_paths(value, prefix=()):
    """The path of keys and indices to every value inside a JSON document, the root first."""
    yield prefix
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from json_paths(child, prefix + (key,))


def edited_at(data: bytes, path, chooser, replacements) -> bytes:
    """``data`` with the manifest value at ``path`` deleted (sometimes, from an object) or replaced."""
    def edit(edited):
        target = edited
        for key in path[:-1]:
            target = target[key]
        if isinstance(target, dict) and chooser.random() < 0.3:
            del target[path[-1]]
        else:
            target[path[-1]] = chooser.choice(replacements)
    return edited_manifest(data, edit)


def load_error(data: bytes, **options) -> str:
    with pytest.raises(jit.SerializationError) as error:
        jit.load(io.BytesIO(data), **options)
    return str(error.value)


def test_flipped_bytes_give_a_serialization_error_or_the_same_model():
    model = sample_model()
    data = archive_bytes(model)
    expected = model(X)
    chooser = random.Random(7)
    positions = range(len(data))  # every byte, each flipped in a few bits
    loaded_anyway = 0
    for position in positions:
        damaged = bytearray(data)
        damaged[position] ^= 0xFF if position % 2 else 1 << chooser.randrange(8)
        try:
            loaded = jit.load(io.BytesIO(bytes(damaged)))
        except jit.SerializationError:
            continue
        loaded_anyway += 1  # a byte no reader checks (a timestamp, a version-made-by field)
        assert_same(loaded(X), expected, f"flipped byte {position}")
    assert loaded_anyway < len(positions) // 4


def test_truncated_files_give_a_serialization_error():
    data = archive_bytes()
    for length in list(range(0, 200)) + list(range(200, len(data), 37)) + [len(data) - 1]:
        with pytest.raises(jit.SerializationError):
            jit.load(io.BytesIO(data[:length]))


def test_foreign_files_are_named_as_such(tmp_path):
    assert "not a zip file" in load_error(b"")
    assert "not a zip file" in load_error(b"\x80\x02}q\x00.")  # a pickle
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02")
        archive.writestr("archive/version", b"3")
    assert "a zip file but not an ArrayScript archive" in load_error(other.getvalue())
    assert "archive/data.pkl" in load_error(other.getvalue())
    with pytest.raises(jit.SerializationError, match="cannot read"):
        jit.load(tmp_path / "missing.pt")
    with pytest.raises(TypeError, match="binary file object"):
        jit.load(io.StringIO("text"))


def test_a_newer_version_asks_for_an_upgrade():
    current = jit.serialization.FORMAT_VERSION
    newer = rewritten(archive_bytes(), replace={"version": f"{current + 1}\n"})
    assert f"format version {current + 1}, newer than this ArrayScript reads (up to {current}); upgrade" \
        in load_error(newer)
    for text in ("one", "\u00b2", "\U0001d7d0", "1" + "0" * 5000, "-1", "2.0", "\ufeff2"):  # '²'.isdigit() is True
        assert "not a version number" in load_error(rewritten(archive_bytes(), replace={"version": text})), text
    assert "differs from the version record" in load_error(
        edited_manifest(archive_bytes(), lambda m: m.update(version=0)))


def test_hostile_entry_names_are_refused_before_anything_is_read():
    for name in ("../escape.txt", "/etc/passwd", "tensors/../../x", "C:/windows", "a\\b", "extra/\x00", "manifest.json/"):
        message = load_error(rewritten(archive_bytes(), add={name: "x"}))
        assert message.startswith("the file object: the entry name ") and "not a safe relative path" in message, name
    with pytest.warns(UserWarning, match="Duplicate name"):  # zipfile warns, and writes it all the same
        duplicated = rewritten(archive_bytes(), add={"version": "1\n"})
    assert "two entries named 'version'" in load_error(duplicated)


def test_huge_declared_sizes_are_refused_without_allocating():
    data = bytearray(archive_bytes())
    name = b"storages/0.bin"
    header = data.index(b"PK\x01\x02" + data[data.index(b"PK\x01\x02") + 4:data.index(b"PK\x01\x02") + 4])
    while data[header + 46:header + 46 + len(name)] != name:
        header = data.index(b"PK\x01\x02", header + 4)
    data[header + 20:header + 28] = struct.pack("<II", 0xFFFF0000, 0xFFFF0000)  # compressed, uncompressed size
    assert "declares 4294901760 bytes, which the" in load_error(bytes(data))
    compressed = io.BytesIO()
    with zipfile.ZipFile(compressed, "w", zipfile.ZIP_DEFLATED) as archive:
        source = zipfile.ZipFile(io.BytesIO(archive_bytes()))
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info.filename))
    assert "is compressed; ArrayScript archives store entries uncompressed" in load_error(compressed.getvalue())


@pytest.mark.parametrize("call", [
    '__import__("os").system("echo pwned")',
    'np.lib._datasource.os.system("echo pwned")',
    'open("/etc/passwd").read()',
    'jit.save(self, "/tmp/pwned.pt")',
    'getattr(np, "load")("x.npy")',
])
def test_code_outside_the_script_subset_is_refused(call, tmp_path):
    model = jit.script(nn.ReLU())
    data = archive_bytes(model)
    entry = next(n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.endswith("forward.py"))
    header = zipfile.ZipFile(io.BytesIO(data)).read(entry).decode().splitlines()[0]
    hostile = rewritten(data, replace={entry: f"{header}\n    {call}\n    return input\n"})
    message = load_error(hostile)
    assert "its code does not compile" in message
    assert "saved code may only call operators" in message or "cannot" in message, message
    assert not (tmp_path / "pwned.pt").exists()


def test_code_that_is_not_one_function_is_refused():
    data = archive_bytes(jit.script(nn.ReLU()))
    entry = next(n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.endswith("forward.py"))
    original = zipfile.ZipFile(io.BytesIO(data)).read(entry).decode()
    for text in ("import os\n" + original, original + "\nclass Evil:\n    pass\n", "def forward(:\n", b"\xff\xfe"):
        message = load_error(rewritten(data, replace={entry: text}))
        assert "does not compile" in message or "not UTF-8" in message


def test_a_manifest_that_lies_is_caught():
    data = archive_bytes()

    def tensor(number, **changes):
        return lambda m: m["tensors"][number].update(changes)

    cases = [
        (lambda m: m.update(format="other"), "not an ArrayScript manifest"),
        (lambda m: m.update(types=5), "'types' is missing or is not a list"),
        (lambda m: m.update(root=99), "module 99 is not in the manifest's module list"),
        (lambda m: m.update(object="pickle"), "neither 'module' nor 'function'"),
        (tensor(0, dtype="object"), "dtype 'object' is not one an archive may hold"),
        (tensor(0, dtype="float64"), "float64(3, 4) with strides (16, 4) at offset 0 covers bytes 0 to 52, "
                                     "outside storage 0 (0 to 48)"),
        (tensor(0, shape=[4, 3]), "float32(4, 3) with strides (16, 4) at offset 0 covers bytes 0 to 60"),
        (tensor(0, shape=[-1]), "is not a list of sizes"),
        (tensor(0, device="tpu:0"), "is not a device name"),
        (lambda m: m["storages"][0].update(entry="storages/77.bin"), "names the entry 'storages/77.bin', which "
                                                                     "is not an entry under 'storages/' in the file"),
        (lambda m: m["modules"][0]["parameters"].update(weight=42), "refers to tensor 42"),
        (lambda m: m["modules"][0]["parameters"].pop("weight"), "are not those of its type"),
        (lambda m: m["modules"][-1]["children"].update({"0": len(m["modules"]) - 1}), "contains itself"),
        (lambda m: m["types"][0]["attributes"].append(["x", "Tensor[[["]), "is not an annotation"),
        (lambda m: m["types"][0]["attributes"].append(["x", "os.system"]), "unknown type annotation"),
        (lambda m: m["types"][0]["attributes"].append([["x"], "int"]), "the attribute name ['x'] is not a string"),
        (lambda m: m["code"][0].update(calls={"f": "nowhere"}), "which the archive does not define before it"),
        (lambda m: m["code"].pop(), "lists the method(s) ['forward'], which the archive has no code for"),
        (lambda m: m["modules"][0]["attributes"].update(training="yes"), "'yes' is not a value of type bool"),
        (lambda m: m.update(extra_files=None), None),
    ]
    for edit, expected in cases:
        damaged = edited_manifest(data, edit)
        if expected is None:
            jit.load(io.BytesIO(damaged))  # extra_files is only read when asked for
            message = load_error(damaged, _extra_files={"a": ""})
            assert "'extra_files' is missing" in message
            continue
        assert expected in load_error(damaged), expected
    assert "not valid JSON" in load_error(rewritten(data, replace={"manifest.json": "{"}))


def test_object_arrays_are_never_unpickled():
    from .test_storages import as_version_1  # noqa: PLC0415 - only version 1 holds .npy entries

    data = as_version_1(archive_bytes())
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    hostile = rewritten(edited_manifest(data, lambda m: m["tensors"][0].update(shape=[2])),
                        replace={"tensors/0.npy": pickled.getvalue()})
    assert "the entry holds object(2,)" in load_error(hostile)


def test_saving_refuses_arrays_an_archive_cannot_hold():
    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("when", np.array(["2020-01-01"], dtype="datetime64[D]"))

        def forward(self, x):
            return x

    with pytest.raises(jit.SerializationError, match="dtype datetime64"):
        jit.save(jit.script(Holder()), io.BytesIO())


def test_a_manifest_with_any_field_replaced_or_removed_gives_a_serialization_error():
    from .test_round_trip import MODELS, models  # noqa: PLC0415 - a model with every kind of member

    source = models(MODELS)
    data = archive_bytes(jit.script(source.Everything(source.Block("plain"))))
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))

    replacements = [None, True, 0, -1, 10 ** 30, 1.5, "", "x", "Tensor", "cuda:0", "../x", [], {}, [1], {"tensor": 0},
                    [["a", "int"]], "List[List[int]]"]
    chooser = random.Random(5)
    every_path = list(json_paths(manifest))[1:]
    chosen = chooser.sample(every_path, min(250, len(every_path)))
    caught = 0
    for path in chosen:
        damaged = edited_at(data, path, chooser, replacements)
        try:
            jit.load(io.BytesIO(damaged), _extra_files={})
        except jit.SerializationError:
            caught += 1
        except Exception as error:  # noqa: BLE001 - the failure this test looks for
            pytest.fail(f"editing the manifest at {path} raised {type(error).__name__}: {error}")
        # loading anyway is fine: some fields are informative (the producer, a qualname)
    assert caught > len(chosen) // 2, f"only {caught} of {len(chosen)} edits were noticed"
