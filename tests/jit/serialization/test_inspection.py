"""``arrayscript inspect`` on files from strangers: what the file says is shown with
its control characters and escape sequences spelled out, and a bad file is one line
of error and exit status 1, never a traceback."""
from __future__ import annotations

import io
import json
import random
import zipfile

import pytest

import jit
from jit.cli import main
from jit.serialization.inspection import describe

from .test_hostile_names import method_entry, type_names
from .test_robustness import archive_bytes, edited_at, edited_manifest, json_paths, rewritten

ESCAPES = ["\x1b[2J", "\x1b]0;title\x07", "line\nbreak", "\r", "\u202eevil", "\u2028", "\x00", "\x9b31m"]


def inspect(tmp_path, data: bytes, capsys, *options):
    path = tmp_path / "model.pt"
    path.write_bytes(data)
    status = main(["inspect", *options, str(path)])
    out, err = capsys.readouterr()
    return status, out, err


def assert_printable(text: str):
    for line in text.splitlines():
        assert line.isprintable(), repr(line)


def test_control_characters_and_escape_sequences_from_the_file_are_spelled_out(tmp_path, capsys):
    data = archive_bytes()
    hostile = "".join(ESCAPES)

    def edit(manifest):
        manifest["producer"] = hostile
        manifest["modules"][-1]["original_name"] = hostile
        manifest["types"][1]["constants"].append([hostile, "str", hostile])
        manifest["code"][0]["qualname"] = hostile
        manifest["extra_files"] = [hostile]

    entry = method_entry(data, type_names(data)[1])  # Linear's
    code = zipfile.ZipFile(io.BytesIO(data)).read(entry).decode()
    crafted = rewritten(edited_manifest(data, edit), replace={entry: code + f"    # {hostile}\n"})
    status, out, err = inspect(tmp_path, crafted, capsys)
    assert status == 0, err
    assert_printable(out)
    # producer, module name, constant name, qualname, extra file: each as repr spells it; the code's
    # line breaks (\n, \r, \u2028, as Python reads them) start new lines of the listing
    assert out.count(repr(hostile)[1:-1]) == 5, out
    assert "|     # \\x1b[2J\\x1b]0;title\\x07line\n" in out and "| \\x00\\x9b31m\n" in out
    assert "\x1b" not in out and "\u202e" not in out


def test_a_bad_file_is_one_line_of_error_and_status_1(tmp_path, capsys):
    data = archive_bytes()
    cases = [b"not a zip", rewritten(data, replace={"manifest.json": "[" * 100_000}),
             rewritten(data, replace={"manifest.json": "{\"a\": 1}"})]
    for edit in [lambda m: m.update(types=5), lambda m: m.update(modules={"a": 1}), lambda m: m.update(root="x"),
                 lambda m: m.update(code=[1]), lambda m: m.update(tensors=[{}]), lambda m: m.update(root=10 ** 9),
                 lambda m: m["modules"][0].update(attributes={"training": [[[[]]]] * 3 + ["\x1b[2J"]}),
                 lambda m: m["modules"][0]["attributes"].update(deep=json.loads("[" * 900 + "]" * 900)),
                 lambda m: m["code"][0].update(entry="\x1b[2J/../x")]:
        cases.append(edited_manifest(data, edit))
    for crafted in cases:
        status, out, err = inspect(tmp_path, crafted, capsys)
        if status == 0:  # some edits are only shown, never followed (an attribute's value)
            assert_printable(out)
            continue
        assert status == 1 and err.startswith("arrayscript inspect: ") and err.count("\n") == 1, err
        assert "Traceback" not in err and err[:-1].isprintable()


def test_any_field_replaced_or_removed_gives_a_description_or_a_serialization_error():
    data = archive_bytes()
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))

    replacements = [None, True, 0, -1, 10 ** 30, 1.5, "", "\x1b[2J", [], {}, [1], {"tensor": 0}, {"tensor": 99}]
    chooser = random.Random(9)
    for path in list(json_paths(manifest))[1:]:
        try:
            assert_printable(describe(io.BytesIO(edited_at(data, path, chooser, replacements))))
        except jit.SerializationError:
            pass
        except Exception as error:  # noqa: BLE001 - the failure this test looks for
            pytest.fail(f"editing the manifest at {path} raised {type(error).__name__}: {error}")


def test_code_longer_than_a_saved_function_may_hold_is_not_listed():
    from jit.frontend import MAX_SAVED_CODE  # noqa: PLC0415

    data = archive_bytes()
    entry = method_entry(data, type_names(data)[2])  # Tanh's
    code = zipfile.ZipFile(io.BytesIO(data)).read(entry).decode()
    padded = code + "    # " + "\x00" * MAX_SAVED_CODE + "\n"  # escaping it would print 4 MB, and take seconds
    text = describe(io.BytesIO(rewritten(data, replace={entry: padded})))
    assert f"({len(padded)} characters of code, more than the {MAX_SAVED_CODE} a saved function may hold: " \
           "not shown)" in text
    assert len(text) < 10_000 and "\\x00" not in text
    listed = zipfile.ZipFile(io.BytesIO(data)).read(method_entry(data, type_names(data)[1])).decode()
    assert f"| {listed.splitlines()[1]}" in text  # Linear's code is listed as ever
