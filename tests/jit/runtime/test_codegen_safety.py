"""What the code generator refuses to write, what arguments it refuses to take, and
what it leaves behind: unchecked names are a bug caught here (never source), array
subclasses whose meaning compiled code would lose raise an ArgumentError naming the
argument, and each generated function's linecache entry goes when the function goes."""
from __future__ import annotations

import gc
import linecache
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import jit
from jit.ir.cloning import copy_graph
from jit.runtime import codegen
from jit.runtime.codegen import ArgumentError
from jit.runtime.executor import Guard
from jit.runtime.profiling import Observation

from ...helpers import assert_same, load_module, script_source

X = np.arange(6, dtype=np.float64).reshape(2, 3)


# -- names ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, safe", [("weight", True), ("_hidden", True), ("é", True), ("ǅ", False), ("a\nb", False),
                                        ("0", False), ("class", False), ("__class__", False), ("x.y", False),
                                        ("\uff41", False), ("", False), (3, False)])
def test_is_safe_identifier(name, safe):
    assert codegen.is_safe_identifier(name) is safe


def test_an_unchecked_attribute_name_is_an_assertion_not_source():
    source = load_module('''
@jit.script
class Box:
    def __init__(self, value: float):
        self.value = value

@jit.script
def unbox(x: float) -> float:
    b = Box(x)
    return b.value + b.value
''')
    graph, _ = copy_graph(source.unbox.graph)
    codegen.generate(graph, "unbox", source.unbox.parameters)  # as it is: fine
    read = next(node for node in graph.all_nodes() if node.kind == "prim::GetAttr")
    read["name"] = "value\nimport os"
    with pytest.raises(AssertionError, match="attribute name 'value\\\\nimport os'"):
        codegen.generate(graph, "unbox", source.unbox.parameters)


def test_a_guard_writes_only_checked_attribute_paths():
    observation = Observation.of(X)
    assert Guard(0, "self", (("_parameters", "a\nb"), (None, "c")), observation, "DYNAMIC").access_code("self") \
        == "self._parameters['a\\nb'].c"
    for path in [((None, "a\nb"),), (("__dict__", "a"),), ((None, "__class__"),)]:
        with pytest.raises(AssertionError, match="unchecked attribute path"):
            Guard(0, "self", path, observation, "DYNAMIC").access_code("self")


def test_parameters_named_like_builtins_do_not_hide_them_from_generated_code():
    """Generated code calls type(), len(), range(), int()... by name: a parameter named so must not hide them."""
    scripted, eager = script_source('''
        def f(type: int, abs: float, len: Tensor, input: Tensor, isinstance: List[int], int: str):
            total = len * abs + input
            if isinstance[0] > 1:  # (a loop would print as range(len(isinstance)), which these names hide)
                total = total + float(isinstance[1]) + float(type)
            return total, int
    ''', "f")
    arguments = (3, 0.5, X, X + 1.0, [1, 2], "s")
    for _ in range(3):  # profiled, then specialized behind guards (the dispatcher is generated code too)
        assert_same(scripted(*arguments), eager(*arguments))
    assert_same(scripted(3, 0.5, X, X, isinstance=[4, 5], int="t"), eager(3, 0.5, X, X, isinstance=[4, 5], int="t"))
    with pytest.raises(ArgumentError, match="'type'"):  # messages keep the parameter's own name
        scripted("three", 0.5, X, X, [1], "s")


@pytest.mark.parametrize("source, arguments", [
    ("def f(y_3: float, y: float):\n    y = y + 1.0\n    y = y * 2.0\n    y = y - 3.0\n    return y + y_3\n",
     (10.0, 1.0)),  # the third y was generated as y_3, overwriting the parameter: 3.0, not 11.0
    ("def f(_: float, n: int):\n    total = 0.0\n    for i in range(n):\n        total = total + _\n    return total\n",
     (2.0, 3)),
    ("def f(cond_0: float, n: int):\n    i = 0\n    total = 0.0\n    while i < n:\n        i += 1\n"
     "        total = total + cond_0\n    return total\n", (2.0, 3)),
])
def test_parameters_named_like_generated_names_keep_their_values(source, arguments):
    scripted, eager = script_source(source, "f")
    for _ in range(3):
        assert_same(scripted(*arguments), eager(*arguments))


def test_define_refuses_names_that_are_not_plain_or_that_shadow_a_global():
    assert codegen.define("def f(x):\n    return x + 1\n", "f", {})(1) == 2
    with pytest.raises(AssertionError):
        codegen.define("def f(x):\n    return x\n", "f():\n    pass\nimport os\ndef g", {})
    with pytest.raises(ValueError, match="the function name '_np' is reserved by the code generator"):
        codegen.define("def _np(x):\n    return x\n", "_np", {"_np": np})


# -- array subclasses -------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_array_subclasses_whose_meaning_compiled_code_drops_are_refused_on_every_call():
    function, eager = script_source("def f(x, y: Optional[Tensor], zs: List[Tensor]):\n"
                                    "    return x * 2.0 + zs[0]\n")
    masked = np.ma.masked_array(X, mask=X > 3)
    matrix = np.matrix(X)
    for _ in range(3):  # the first calls are profiled, the next ones specialized: each refuses
        with pytest.raises(ArgumentError, match=r"f\(\) got a numpy.ma.MaskedArray for argument 'x'.*np.asarray\(x\)"):
            function(masked, None, [X])
        with pytest.raises(ArgumentError, match=r"numpy.matrix for argument 'y'"):
            function(X, matrix, [X])
        with pytest.raises(ArgumentError, match=r"numpy.ma.MaskedArray for argument 'zs'"):
            function(X, None, [masked])
    assert_same(function(np.asarray(masked), None, [X]), eager(np.asarray(masked), None, [X]))


def test_a_memmap_is_an_ndarray_to_compiled_code(tmp_path):
    function, eager = script_source("def f(x):\n    return np.tanh(x) * 2.0 + x.sum()\n")
    mapped = np.memmap(tmp_path / "data", dtype=np.float64, mode="w+", shape=X.shape)
    mapped[:] = X
    for _ in range(3):
        np.testing.assert_allclose(function(mapped), np.asarray(eager(mapped)))


def test_a_module_attribute_cannot_hold_a_masked_array():
    source = load_module('''
from jit import nn

class Shift(nn.Module):
    offset: Tensor

    def __init__(self):
        super().__init__()
        self.offset = np.zeros(3)

    def forward(self, x):
        return x + self.offset
''')
    scripted = jit.script(source.Shift())
    with pytest.raises(TypeError, match="the attribute 'offset' of the scripted Shift has type Tensor"):
        scripted.offset = np.ma.masked_array(np.ones(3), mask=[1, 0, 0])


# -- linecache --------------------------------------------------------------------------------------
def generated_entries() -> int:
    return sum(1 for name in linecache.cache if name.startswith("<arrayscript"))


def test_linecache_entries_go_when_their_functions_go():
    function = codegen.define("def f(x):\n    return x\n", "f", {})
    names = [name for name in linecache.cache if name.startswith("<arrayscript f #")]
    assert names and linecache.getline(names[-1], 1) == "def f(x):\n"
    del function
    gc.collect()
    assert names[-1] not in linecache.cache


LOOP = """
import gc, io, linecache
import numpy as np
import jit
from jit import nn

def entries():
    return sum(1 for name in linecache.cache if name.startswith("<arrayscript"))

def script_save_load_and_call():
    x = np.ones((2, 4), np.float32)
    jit.manual_seed(0)
    model = jit.script(nn.Sequential(nn.Linear(4, 3), nn.Tanh()))
    buffer = io.BytesIO()
    jit.save(model, buffer)
    loaded = jit.load(io.BytesIO(buffer.getvalue()))
    for _ in range(3):  # profiled, then specialized: each builds generated functions
        np.testing.assert_array_equal(loaded(x), model(x))

script_save_load_and_call()
gc.collect()
settled = entries()
for _ in range(8):
    script_save_load_and_call()
gc.collect()
print(settled, entries())
"""


def test_scripting_and_loading_many_times_keeps_linecache_bounded():
    # In a fresh process: this suite's fixtures keep every function a test makes alive.
    result = subprocess.run([sys.executable, "-c", LOOP], capture_output=True, text=True, timeout=300,
                            cwd=Path(jit.__file__).parent.parent)
    assert result.returncode == 0, result.stderr
    settled, after = map(int, result.stdout.split())
    assert 0 < settled and after <= settled, (settled, after)
