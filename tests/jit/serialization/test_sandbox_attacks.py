"""Stored code reaches nothing it was not given: crafted code entries that try to
read the environment, write a file or reach a Python object through str.format,
dunder attributes, modules, builtins or constants are refused on load with a
jit.SerializationError, and what they tried did not happen."""
from __future__ import annotations

import importlib
import io
import math
import zipfile

import numpy as np
import pytest

import device
import jit
from jit import nn
from jit.nn import functional as F
from jit.serialization import loading

from ...helpers import assert_same, load_module
from .test_robustness import archive_bytes, edited_manifest, load_error, rewritten

SECRET = "arrayscript-sandbox-s3cr3t"


def plus_one(x):
    return x + 1.0


def crafted(body: str, returns: str = "Tensor", parameters: str = "x: Tensor") -> bytes:
    """The archive of a script function whose code entry is replaced by ``body``."""
    data = archive_bytes(jit.script(plus_one))
    return rewritten(data, replace={"code/functions/plus_one.py": f"def plus_one({parameters}) -> {returns}:\n"
                                                                    f"    {body}\n"})


def crafted_module(body: str) -> bytes:
    """The archive of a scripted nn.ReLU whose forward is replaced by ``body``."""
    data = archive_bytes(jit.script(nn.ReLU()))
    entry = next(n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.endswith("forward.py"))
    header = zipfile.ZipFile(io.BytesIO(data)).read(entry).decode().splitlines()[0]
    return rewritten(data, replace={entry: f"{header}\n    {body}\n    return input\n"})


def test_the_crafted_archive_loads_when_its_code_is_honest():
    loaded = jit.load(io.BytesIO(crafted("return x + 2.0")))
    assert_same(loaded(np.ones(3)), np.ones(3) + 2.0)


ENVIRONMENT = "{0.__class__.__init__.__globals__[re].enum.sys.modules[os].environ}"


@pytest.mark.parametrize("body, message", [
    (f"return {ENVIRONMENT!r}.format(device.Device('cpu'))", "reads an attribute or an item of its value"),
    ("return '{0[0]}'.format([device.Device('cpu')])", "reads an attribute or an item of its value"),
    ("return '{environ}'.format(device.Device('cpu'))", "is not positional"),
    ("return '{0}'.format(environ=device.Device('cpu'))", "takes no keyword arguments"),
    ("return '{:{}}'.format(1.0, 5)", "has a field nested in it"),
    ("return f'{device.Device(\"cpu\").__class__}'", "cannot use the attribute '__class__'"),
    ("return '{a}'.format_map({'a': 'b'})", "do not support the str attribute 'format_map'"),
])
def test_format_traversal_in_stored_code_is_refused_and_reads_nothing(monkeypatch, body, message):
    monkeypatch.setenv("ARRAYSCRIPT_SANDBOX_TEST", SECRET)
    assert SECRET in ENVIRONMENT.format(device.Device("cpu"))  # what Python's str.format would give
    error = load_error(crafted(body, returns="str"))
    assert "does not compile" in error and message in error, error
    assert SECRET not in error


def test_a_template_built_at_run_time_is_refused_when_it_runs(monkeypatch):
    monkeypatch.setenv("ARRAYSCRIPT_SANDBOX_TEST", SECRET)
    split = ENVIRONMENT.index(".")
    body = f"return ({ENVIRONMENT[:split]!r} + {ENVIRONMENT[split:]!r}).format(device.Device('cpu'))"
    loaded = jit.load(io.BytesIO(crafted(body, returns="str")))  # nothing constant to check on load
    with pytest.raises(jit.Error, match="reads an attribute or an item of its value") as raised:
        loaded(np.ones(2))
    assert SECRET not in str(raised.value)


MARKER = "MARKER"  # replaced by the path of a file the attack tries to create


@pytest.mark.parametrize("body, message", [
    ("np.lib._datasource.os.system('touch ' + MARKER)", "saved code cannot use 'np.lib'"),
    ("open(MARKER, 'w').write('x')", "'open' is a Python function"),
    ("__import__('os').system('touch ' + MARKER)", "cannot use the Python name '__import__'"),
    ("exec('open(' + repr(MARKER) + ', \"w\")')", "'exec' is a Python function"),
    ("eval('open(' + repr(MARKER) + ', \"w\")')", "'eval' is a Python function"),
    ("getattr(np, 'save')(MARKER, x)", "'getattr' is a Python function"),
    ("np.save(MARKER, x)", "'np.save' is a Python callable"),
    ("x.tofile(MARKER)", "do not support the array attribute 'tofile'"),
    ("np.savetxt(MARKER, x)", "'np.savetxt' is a Python"),
    ("print(x, file=open(MARKER, 'w'))", "'open' is a Python function"),
    ("print(x, file=None)", "print() takes no keyword arguments"),
    ("jit.save(jit.script(plus_one), MARKER)", "'jit.save' is a Python function"),
    ("jit.fork(np.lib._datasource.os.system, 'touch ' + MARKER)", "saved code cannot use 'np.lib'"),
    ("jit.serialization.saving.os.system('touch ' + MARKER)", "saved code cannot use 'jit.serialization'"),
    ("F.np.save(MARKER, x)", "saved code cannot use 'F.np'"),
    ("x.__class__.__init__.__globals__['os'].system('touch ' + MARKER)", "cannot use the attribute '__class__'"),
    ("device.__builtins__['open'](MARKER, 'w')", "cannot use the attribute '__builtins__'"),
    ("type(x)(MARKER)", "'type' is a Python callable"),
    ("compile('1', MARKER, 'eval')", "'compile' is a Python function"),
    ("setattr(np, 'save', print)", "'setattr' is a Python function"),
    ("jit.ScriptModule.save(x, MARKER)", "'jit.ScriptModule' is a Python callable"),
    ("device.to(x, 'cpu')", "'device.to' is a Python function"),
])
def test_stored_code_cannot_run_python_or_write_files(tmp_path, body, message):
    marker = tmp_path / "created-by-the-archive"
    error = load_error(crafted(body.replace("MARKER", repr(str(marker))) + "\n    return x"))
    assert "does not compile" in error and message in error, error
    assert not marker.exists()


@pytest.mark.parametrize("expression, message", [
    ("np.__file__", "cannot use the attribute '__file__'"),
    ("np.__version__", "cannot use the attribute '__version__'"),
    ("__name__", "cannot use the Python name '__name__'"),
    ("jit.serialization.loading.sys.executable", "saved code cannot use 'jit.serialization'"),
    ("np.lib._datasource.os.sep", "saved code cannot use 'np.lib'"),
    ("np.random.mtrand.__doc__", "cannot use the attribute '__doc__'"),
    ("np.random.mtrand._rand", "saved code cannot use 'np.random.mtrand'"),
    ("str(np.testing)", "testing'"),  # refused, or not in numpy's dict yet: no lazy import runs
    ("str(CONSTANTS.arrays)", "CONSTANTS has no array 'arrays'"),
    ("str(x.dtype.type)", "has no attribute 'type'"),
    ("str(x.dtype.type(5))", "has no attribute 'type'"),
    ("str(device.Device('cpu').type)", "has no attribute 'type'"),
    ("str(math.__loader__)", "cannot use the attribute '__loader__'"),
    ("str(F.__dict__)", "cannot use the attribute '__dict__'"),
    ("str(jit.ops.lookup('prim::format'))", "saved code cannot use 'jit.ops'"),
    ("str(jit.frontend)", "saved code cannot use 'jit.frontend'"),
    ("str(type(x))", "'type' is a Python callable"),
    ("str(globals())", "'globals' is a Python function"),
    ("str(vars(np))", "'vars' is a Python function"),
    ("str(copyright)", "'copyright' is a Python callable"),
    ("str(jit.Error)", "'jit.Error' is a Python callable"),
    ("str(np.lib.npyio)", "saved code cannot use 'np.lib'"),
    ("str(np.random.default_rng)", "the function np.random.default_rng cannot be used as a value"),
])
def test_stored_code_cannot_read_python_objects(expression, message):
    error = load_error(crafted(f"return {expression}", returns="str"))
    assert "does not compile" in error and message in error, error
    assert np.__file__ not in error


def test_a_generator_stored_code_makes_prints_without_its_address():
    """np.random.default_rng is an operator, so stored code may make a Generator; its text is
    its bit generator's name, never Python's repr with a memory address."""
    loaded = jit.load(io.BytesIO(crafted("return str(np.random.default_rng(0))", returns="str")))
    assert loaded(np.ones(2)) == "Generator(PCG64)"


@pytest.mark.parametrize("statement, message", [
    ("self.__dict__['training'] = False", "cannot use the attribute '__dict__'"),
    ("print(self.__class__)", "cannot use the attribute '__class__'"),
    ("self.__init__()", "cannot use the attribute '__init__'"),
    ("self.__dict__ = {}", "cannot use the attribute '__dict__'"),
    ("print(self._parameters)", "has no attribute or method '_parameters'"),
    ("print(self.forward.__globals__)", "cannot use the attribute '__globals__'"),
])
def test_stored_methods_cannot_reach_the_module_object(statement, message):
    error = load_error(crafted_module(statement))
    assert "does not compile" in error and message in error, error


@pytest.mark.parametrize("body, parameters, message", [
    ("return x", "x: np.lib._datasource.os.environ", "is not a type the script language knows"),
    ("return x", "x: np.__dict__", "attributes that start and end with '__'"),
    ("return jit.annotate(np.lib._datasource.os.environ, x)", "x: Tensor", "is not a type the script language knows"),
    ("return x if isinstance(x, np.lib.npyio.DataSource) else x", "x: Tensor", "is not a type the script language"),
    ("return x", "x: 'np.__loader__'", "attributes that start and end with '__'"),
    ("return x", "x: '\\ud800'", "is not a valid type expression"),  # a lone surrogate: Python cannot parse it
    ("return x", "x: 'Tensor\\x00'", "is not a valid type expression"),
])
def test_annotations_in_stored_code_name_only_types(body, parameters, message):
    error = load_error(crafted(body, parameters=parameters))
    assert "does not compile" in error and message in error, error


@pytest.mark.parametrize("name", ["_np", "_const0", "_convert3", "_g1", "_miss", "_like_keywords"])
def test_names_the_code_generator_keeps_are_refused_for_functions_and_parameters(name):
    message = load_error(crafted(f"return {name}", parameters=f"{name}: Tensor"))
    assert f"the code of 'plus_one': the parameter name '{name}' is reserved by the code generator" in message
    data = rewritten(archive_bytes(jit.script(plus_one)),
                     replace={"code/functions/plus_one.py": f"def {name}(x: Tensor) -> Tensor:\n    return x\n"})

    def renamed(manifest):
        manifest["code"][0].update(name=name, key=name)
        manifest["root"] = name
    message = load_error(edited_manifest(data, renamed))
    assert f"the function name '{name}' is reserved by the code generator" in message, message


def test_a_parameter_named_twice_is_refused_before_python_compiles_anything():
    error = load_error(crafted("return x", parameters="x: Tensor, x: Tensor"))
    assert "does not compile: the parameter 'x' appears twice" in error, error


def uses_what_printed_code_names(x, n: int):
    y = np.maximum(x, -math.inf).astype(np.float32)
    values = jit.annotate(list[float], [])
    values.append(float(n))
    label = f"{n:>3d}|{values[0]:.2f}|{y.shape}"
    return F.relu(y) * 2.0, label, math.nan if n < 0 else math.pi


def test_what_printed_code_names_still_loads():
    scripted = jit.script(uses_what_printed_code_names)
    loaded = jit.load(io.BytesIO(archive_bytes(scripted)))
    x = np.linspace(-1.0, 1.0, 5)
    assert_same(loaded(x, 4), uses_what_printed_code_names(x, 4))
    assert_same(loaded(x, -1), uses_what_printed_code_names(x, -1))


PAIRS = '''
from typing import NamedTuple

class PlainPair(NamedTuple):
    first: float
    second: float

class LoudPair(NamedTuple):
    first: float
    second: float

    def __repr__(self):
        raise RuntimeError("a loaded file ran the process's own __repr__")

def pair(x: float) -> PlainPair:
    return PlainPair(x, x + 1.0)
'''


@pytest.mark.no_round_trip  # the rebuilt class is a new one on each load (see test_hostile_names)
def test_a_file_reuses_only_plain_namedtuple_classes_of_the_process():
    """Naming an imported NamedTuple with a __repr__ (or __eq__, __del__...) of its own
    would let a file choose which of the process's code runs on what it loads."""
    module = load_module(PAIRS)
    data = archive_bytes(jit.script(module.pair))
    plain = jit.load(io.BytesIO(data))(2.0)
    assert type(plain) is module.PlainPair and plain == (2.0, 3.0)

    def to_loud(manifest):
        (record,) = manifest["namedtuples"]
        record["qualname"] = "LoudPair"
    loud = jit.load(io.BytesIO(edited_manifest(data, to_loud)))(2.0)
    assert type(loud) is not module.LoudPair and tuple(loud) == (2.0, 3.0)
    assert "LoudPair" not in repr(loud)
    for foreign in [("tokenize", "TokenInfo"), ("platform", "uname_result")]:
        assert loading._existing_namedtuple(dict(zip(("module", "qualname"), foreign)),
                                            list(getattr(importlib.import_module(foreign[0]), foreign[1])._fields)) is None
