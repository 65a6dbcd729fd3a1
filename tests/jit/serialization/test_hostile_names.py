"""Names from a file never reach generated source unchecked: the attacks of issue 16
(a container's submodule name holding statements, a deleted slot, a constant named
like the runtime's internals) and a property test over every kind of name in a
manifest. Each crafted archive raises a SerializationError and leaves no trace; a
name that a model could legitimately have loads and round-trips."""
from __future__ import annotations

import functools
import io
import json
import re
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import jit
from jit import nn

from ...helpers import assert_same, load_module
from .test_robustness import archive_bytes, edited_manifest, load_error, rewritten

X = np.random.default_rng(4).standard_normal((2, 4)).astype(np.float32)


def sample():
    jit.manual_seed(0)
    return jit.script(nn.Sequential(nn.Linear(4, 3), nn.Tanh()))


def entries(data: bytes) -> dict:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: archive.read(name) for name in archive.namelist()}


def manifest_of(data: bytes) -> dict:
    return json.loads(entries(data)["manifest.json"])


def type_names(data: bytes) -> list:
    """The printed names of the archive's types: the sample's are Sequential, Linear, Tanh,
    or Linear_1... when the process has made another type of the class."""
    return [kind["name"] for kind in manifest_of(data)["types"]]


def method_entry(data: bytes, type_name: str) -> str:
    return next(unit["entry"] for unit in manifest_of(data)["code"] if unit.get("type") == type_name)


def statement_touching(marker) -> str:
    """Text that, pasted into generated source after ``self.a``, runs at module level
    (the lines after it fall into a function body) and creates ``marker``. No dot in
    it: nn.Module allows any other submodule name."""
    assert "." not in str(marker)
    return f"a\nopen({str(marker)!r}, 'w')\ndef _g():\n    _h = 1"


def forward_code(type_name: str, line: str) -> str:
    return f"def forward(self: {type_name}, input: Tensor) -> Tensor:\n{line}"


# -- the attacks of the issue ------------------------------------------------------------------------
def test_a_container_name_that_holds_a_statement_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    evil = statement_touching(marker)

    def edit(manifest):  # the container's first submodule, turned into a plain int attribute named `evil`
        kind = manifest["types"][0]
        kind["attributes"] = [["training", "bool"], [evil, "int"], kind["attributes"][2]]
        kind["slots"], kind["submodules"] = {"1": "_modules"}, [evil, "1"]
        manifest["modules"][2]["children"] = {"1": 1}
        manifest["modules"][2]["attributes"] = {"training": True, evil: 3}

    data = archive_bytes(sample())
    container = type_names(data)[0]
    code = forward_code(container, "    k = self[0]\n    return input * float(k) + float(k)\n")
    hostile = rewritten(edited_manifest(data, edit), replace={method_entry(data, container): code})
    message = load_error(hostile)
    assert f"the type {container!r}: the attribute name" in message and "is not a Python identifier" in message
    assert not marker.exists()


def test_a_submodule_registry_name_holding_a_statement_is_only_ever_a_string(tmp_path):
    marker = tmp_path / "pwned"
    evil = statement_touching(marker)
    model = sample()

    def edit(manifest):  # nn.Module accepts any name without a dot: the entry is read as _modules['...']
        kind = manifest["types"][0]
        kind["attributes"][1][0] = evil
        kind["slots"] = {evil: "_modules", "1": "_modules"}
        kind["submodules"] = [evil, "1"]
        manifest["modules"][2]["children"] = {evil: 0, "1": 1}

    loaded = jit.load(io.BytesIO(edited_manifest(archive_bytes(model), edit)))
    assert_same(loaded(X), model(X))
    assert_same(loaded(X), model(X))  # the specialization too
    assert list(loaded._modules) == [evil, "1"]
    assert not marker.exists()


KEYED = '''
from jit import nn

class Keyed(nn.Module):
    def __init__(self, keys):
        super().__init__()
        self.heads = nn.ModuleDict({key: nn.Linear(4, 4) for key in keys})

    def forward(self, x):
        for key, head in self.heads.items():
            x = head(x)
        return x
'''


def test_module_dict_keys_of_any_text_nn_module_accepts_round_trip(tmp_path):
    marker = tmp_path / "pwned"
    keys = ["a'b", 'x"y', "x\ny", "é", "\x1b[2J", f"open({str(marker)!r}, 'w')", "0", "class"]
    jit.manual_seed(2)
    model = jit.script(load_module(KEYED).Keyed(keys))
    loaded = jit.load(io.BytesIO(archive_bytes(model)))
    assert list(loaded.heads.keys()) == keys
    assert_same(loaded(X), model(X))
    assert not marker.exists()


def test_a_deleted_slot_is_a_serialization_error_not_a_syntax_error():
    def edit(manifest):
        kind = manifest["types"][0]
        kind["slots"].pop("0")
        kind["attributes"][1] = ["0", "int"]
        manifest["modules"][2]["children"].pop("0")
        manifest["modules"][2]["attributes"]["0"] = 3

    data = archive_bytes(sample())
    container = type_names(data)[0]
    code = forward_code(container, "    k = self[0]\n    return input * float(k) + float(k)\n")
    hostile = rewritten(edited_manifest(data, edit), replace={method_entry(data, container): code})
    assert "the attribute name '0' is not a Python identifier" in load_error(hostile)


@pytest.mark.parametrize("name", ["_parameters", "_modules", "_type", "_original_name", "forward", "parameters",
                                  "code", "__class__", "__dict__", "training", "in_features"])
def test_a_module_constant_cannot_take_the_name_of_the_runtime_s_internals(name):
    def edit(manifest):  # Linear's constants: in_features, out_features
        manifest["types"][1]["constants"].append([name, "int", 5])

    data = archive_bytes(sample())
    linear = type_names(data)[1]
    message = load_error(edited_manifest(data, edit))
    expected = {"training": "is also an attribute", "in_features": "appears twice",
                "__class__": "is a dunder name", "__dict__": "is a dunder name"}.get(name, "is reserved by the runtime")
    assert f"the type {linear!r}: the constant {name!r}" in message or f"constant name {name!r}" in message
    assert expected in message, message


def first_type(manifest, kind):
    return next(t for t in manifest["types"] if t["kind"] == kind)


CLASS_MODEL = '''
from typing import NamedTuple

class Pairtuple(NamedTuple):
    firstfield: float
    secondfield: Tensor

@jit.script
class Pointkind:
    def __init__(self, start: float):
        self.pxattr = start

    def normmethod(self) -> float:
        return self.pxattr * 2.0

@jit.script
def helperfn(x, k: float):
    return x * k

class Innerkind(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("offsetbuf", np.ones(4, dtype=np.float32))

    def forward(self, x):
        return x + self.offsetbuf

class Holderkind(nn.Module):
    __constants__ = ["factorconst"]
    scaleattr: float

    def __init__(self):
        super().__init__()
        self.factorconst = 3
        self.scaleattr = 0.5
        self.innerchild = Innerkind()
        self.stages = nn.Sequential({"stagea": nn.Tanh(), "stageb": nn.ReLU()})
        self.branches = nn.ModuleDict({"branchkey": nn.Tanh()})

    def forward(self, x) -> Tuple[Tensor, Pairtuple]:
        p = Pointkind(self.scaleattr)
        y = helperfn(self.innerchild(x), p.normmethod()) * self.factorconst
        y = self.stages(y) + self.branches["branchkey"](y)
        return y, Pairtuple(1.0, y)
'''

_SOURCE = None


def holder():
    """A scripted module that holds a name of every kind (each spelled to be unique in its archive)."""
    global _SOURCE
    if _SOURCE is None:
        _SOURCE = load_module("from jit import nn\n" + CLASS_MODEL)
    jit.manual_seed(1)
    return jit.script(_SOURCE.Holderkind())


# Each name of the model and what it names; "registry" names are only ever registry keys.
ROLES = {"Pairtuple": "NamedTuple", "firstfield": "field", "Pointkind": "class type", "pxattr": "class attribute",
         "normmethod": "class method", "helperfn": "function", "Innerkind": "module type", "offsetbuf": "buffer",
         "Holderkind": "module type", "factorconst": "module constant", "scaleattr": "module attribute",
         "innerchild": "submodule", "stagea": "registry", "branchkey": "dict key"}


def outputs(module):
    """The holder's results, its NamedTuple as a plain tuple (a renamed one is another class)."""
    y, pair = module(X)
    return y, tuple(pair)


def renamed(data: bytes, old: str, new: str) -> bytes:
    """The archive with ``old`` renamed ``new`` everywhere it names something: every
    manifest string (key or value) equal to it, and every whole word of the code."""
    def rename(value):
        if isinstance(value, str):
            return new if value == old else value
        if isinstance(value, list):
            return [rename(v) for v in value]
        if isinstance(value, dict):
            return {rename(k): rename(v) for k, v in value.items()}
        return value

    contents = entries(data)
    pattern = re.compile(r"\b" + re.escape(old) + r"\b")
    replace = {"manifest.json": json.dumps(rename(json.loads(contents["manifest.json"])))}
    for name, content in contents.items():
        if name.startswith("code/"):
            replace[name] = pattern.sub(lambda _: new, content.decode())
    return rewritten(data, replace=replace)


def words_of(data: bytes) -> set:
    """Every string of the manifest and every word of the code."""
    contents = entries(data)
    words = strings_of(json.loads(contents["manifest.json"]))
    for name, content in contents.items():
        if name.startswith("code/"):
            words.update(re.findall(r"\w+", content.decode()))
    return words


def strings_of(value) -> set:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return set().union(*map(strings_of, value)) if value else set()
    if isinstance(value, dict):
        return set(value) | (set().union(*map(strings_of, value.values())) if value else set())
    return set()


# A renamed NamedTuple is rebuilt on each load, a new class each time: the suite's own
# save-and-reload check of every called module would compare two such classes.
@pytest.mark.no_round_trip
def test_every_kind_of_name_round_trips_when_renamed_plainly():
    model = holder()
    data, expected = archive_bytes(model), outputs(model)
    for old in ROLES:
        loaded = jit.load(io.BytesIO(renamed(data, old, "qq" + old[:3])))
        assert_same(outputs(loaded), expected, old)
        assert "qq" + old[:3] in strings_of(json.loads(entries(archive_bytes(loaded))["manifest.json"])), old


@pytest.mark.parametrize("old, new, expected", [
    ("Pairtuple", "int", "the NamedTuple name 'int' is reserved by the runtime"),
    ("Pointkind", "np", "the type name 'np' is reserved by the runtime"),
    ("Pointkind", "CONSTANTS", "the type name 'CONSTANTS' is reserved by the runtime"),
    ("Innerkind", "Holderkind", "is taken by another type of the archive"),
    ("firstfield", "_first", "starts with '_', which a NamedTuple field cannot"),
    ("firstfield", "class", "the field name 'class' is a Python keyword"),
    ("firstfield", "secondfield", "the field 'secondfield' appears twice"),
    ("pxattr", "__class__", "the attribute name '__class__' is a dunder name"),
    ("normmethod", "__init__", "the method '__init__' appears twice"),
    ("helperfn", "np", "the called function name 'np' is reserved by the runtime"),
    ("helperfn", "__import__", "the function key name '__import__' is a dunder name"),
    ("scaleattr", "_buffers", "the attribute name '_buffers' is reserved by the runtime"),
    ("scaleattr", "eval", "the attribute name 'eval' is reserved by the runtime"),
    ("scaleattr", "\uff53cale", "is not in normal form (Python reads it as 'scale')"),
    ("factorconst", "scaleattr", "the constant 'scaleattr' is also an attribute"),
    ("innerchild", "a.b", "the submodule name 'a.b' is not a non-empty name without '.'"),
    ("stagea", "", "the submodule name '' is not a non-empty name without '.'"),
    ("stagea", "stageb", "the attribute 'stageb' appears twice"),
    ("Holderkind", "Holder\nkind", "the type name 'Holder\\nkind' is not a Python identifier"),
])
def test_names_that_no_model_can_have_are_refused(old, new, expected):
    message = load_error(renamed(archive_bytes(holder()), old, new))
    assert expected in message, message


def test_a_container_lists_exactly_its_submodules():
    data = archive_bytes(sample())
    cases = [(lambda m: m["types"][0]["submodules"].append("0"), "are not its submodule slots"),
             (lambda m: m["types"][0]["submodules"].pop(), "are not its submodule slots"),
             (lambda m: m["types"][1].update(submodules=["weight"]), "it lists submodules in order, but it is not"),
             (lambda m: m["types"][0].update(container="set"), "is not 'list' or 'dict'"),
             (lambda m: m["types"][0]["attributes"].__setitem__(0, ["training", "str"]), "'training' is not a plain"),
             (lambda m: m["modules"][0].update(non_persistent_buffers=["weight"]), "are not a list of its buffers"),
             (lambda m: m["types"][0]["methods"].append("__call__"), "the method name '__call__' is a dunder name"),
             (lambda m: m["code"][0].update(name="backward"), "does not list the method 'backward'")]
    for edit, expected in cases:
        assert expected in load_error(edited_manifest(data, edit)), expected


def test_dunder_methods_of_a_rebuilt_class_stay_script_methods():
    model = holder()
    expected = outputs(model)
    dunders = ["__getattribute__", "__del__", "__eq__"]

    def edit(manifest):  # a class from nowhere (so it is rebuilt) that lists dunders Python would act on
        kind = first_type(manifest, "class")
        kind["module"] = "not.imported"
        kind["methods"] += dunders
        manifest["code"] += [{"unit": "method", "type": kind["name"], "name": name, "qualname": f"{kind['name']}.{name}",
                              "constants": [], "entry": f"code/{kind['name']}/{name}.py", "calls": {}} for name in dunders]

    data = edited_manifest(archive_bytes(model), edit)
    class_name = first_type(manifest_of(data), "class")["name"]
    listed = rewritten(data, add={f"code/{class_name}/{name}.py": f"def {name}(self: {class_name}) -> int:\n    return 1\n"
                                  for name in dunders})
    assert f"has no entry 'code/{class_name}/__getattribute__.py'" in load_error(data)

    def without_code(manifest):
        first_type(manifest, "class")["methods"].append("__eq__")
    assert f"the type '{class_name}' lists the method(s) ['__eq__'], which the archive has no code for" in load_error(
        edited_manifest(archive_bytes(model), without_code))
    loaded = jit.load(io.BytesIO(listed))
    assert_same(outputs(loaded), expected)
    rebuilt = next(n.output.type for n in loaded.graph.all_nodes() if n.kind == "prim::CreateObject").python_class
    assert rebuilt.__module__ == "jit.serialization.loaded"
    assert {"__getattribute__", "__del__", "__eq__"}.isdisjoint(vars(rebuilt)) and "normmethod" in vars(rebuilt)


# -- the property: any name either round-trips or is refused --------------------------------------
PLAIN = st.from_regex(r"qq[a-z0-9_]{0,8}", fullmatch=True)
IDENTIFIER_LIKE = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
SPECIAL = st.sampled_from(["class", "None", "True", "match", "_", "__init__", "__class__", "__dict__", "__builtins__",
                           "_parameters", "_modules", "_type", "training", "forward", "CONSTANTS", "np", "Tensor",
                           "int", "len", "self", "0", "1", "", " ", "a.b", "a b", "a-b", "x'y", 'x"y', "\\", "é",
                           "\uff41", "ǅ", "\x1b[2J", "a\x00b", "a\nb", "a\u2028b", "\u202eevil", "𝔘", "a" * 300,
                           "_np", "_xp", "_const0", "v_1", "cond_0", "input", *ROLES])
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@functools.cache
def holder_archive_and_outputs() -> tuple:
    """The holder's archive and results, made once: every example's holder is the same seeded model."""
    model = holder()
    return archive_bytes(model), outputs(model)


@pytest.mark.no_round_trip
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_any_name_in_any_role_round_trips_or_is_refused(data, tmp_path):
    archive, expected = holder_archive_and_outputs()
    marker = tmp_path / "pwned"
    old = data.draw(st.sampled_from(sorted(ROLES)), label="role")
    new = data.draw(st.one_of(PLAIN, IDENTIFIER_LIKE, SPECIAL, ANY_TEXT, st.just(statement_touching(marker))),
                    label="name")
    # A name the archive already uses (a local variable of the code, a type) would not be a rename.
    assume(new not in words_of(archive))
    try:
        loaded = jit.load(io.BytesIO(renamed(archive, old, new)))
    except jit.SerializationError as error:
        assert not re.match(r"qq[a-z0-9_]*$", new), f"the plain name {new!r} as a {ROLES[old]} was refused: {error}"
        assert "AssertionError" not in str(error), "a name got past the loader's checks to the code generator"
    else:
        assert_same(outputs(loaded), expected, f"{new!r} as a {ROLES[old]}")
        assert_same(outputs(loaded), expected, f"{new!r} as a {ROLES[old]}, specialized")
        assert new in strings_of(json.loads(entries(archive_bytes(loaded))["manifest.json"])), "the name round-trips"
    assert not marker.exists()
