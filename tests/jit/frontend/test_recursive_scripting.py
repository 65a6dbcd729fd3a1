"""Recursive scripting (the seeds' "Migrating to PyTorch 1.2 Recursive Scripting API"):
plain Python functions, methods and classes called from script code are compiled
along with their caller, once per (function, argument types), and saved with it.
Only @jit.ignore stays a Python call; @jit.unused raises. The oracle is the same
code run eagerly."""
from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import jit
from jit import nn

from ...helpers import assert_same, load_module, node_kinds, reloaded

COVERS = {"prim::CallFunction", "prim::CreateObject"}

X = np.random.default_rng(18).standard_normal((3, 4))


def source(text, **names):
    return load_module("from jit import nn\nimport jit.nn.functional as F\n" + textwrap.dedent(text), **names)


def callees(function):
    """The ScriptFunctions a script function's graph calls, in order."""
    return [node.inputs[0].node["value"] for node in function.graph.all_nodes() if node.kind == "prim::CallFunction"]


HELPERS = '''
def softmax(x, axis: int = -1):
    shifted = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return shifted / np.sum(shifted, axis=axis, keepdims=True)

def stats(x):
    return x.mean(), x.std()

def scale(x, by):
    return x * by

def layer(x, w, act=np.tanh):
    return act(x @ w)

def twice(x, f):
    return f(f(x))

def f(x):
    mean, std = stats(x)
    y = scale((x - mean) / std, 2) + scale(x, 0.5) + scale(x, x)
    return softmax(layer(y, y.T @ y)) + twice(x, np.sin) + twice(x, softmax)
'''


def test_helpers_compile_unpack_and_match_eager():
    module = source(HELPERS)
    scripted = jit.script(module.f)
    assert_same(scripted(X), module.f(X))
    assert_same(scripted(X[:2]), module.f(X[:2]))
    assert "prim::PythonOp" not in node_kinds(scripted)
    assert {c.original for c in callees(scripted)} == {module.stats, module.scale, module.softmax, module.layer,
                                                       module.twice}


def test_a_callee_is_compiled_once_per_argument_types_and_shared():
    module = source(HELPERS)
    scripted = jit.script(module.f)
    scales = [c for c in callees(scripted) if c.original is module.scale]
    assert len(scales) == 3 and len({id(c) for c in scales}) == 3  # int, float and array 'by'
    assert [c.parameters[1].type.annotation_str() for c in scales] == ["int", "float", "Tensor"]
    assert [c.name for c in scales] == ["scale", "scale_1", "scale_2"]  # printed code tells them apart
    # Another caller with the same argument types shares the compilations.
    other = jit.script(load_module("def g(x):\n    return scale(x, 2) * scale(x, x)\n", scale=module.scale).g)
    assert [id(c) for c in callees(other)] == [id(scales[0]), id(scales[2])]
    assert_same(other(X), module.scale(X, 2) * module.scale(X, X))
    # Python-function arguments are part of what a compilation is for.
    twices = [c for c in callees(scripted) if c.original is module.twice]
    assert len(twices) == 2 and twices[0] is not twices[1]


def test_calls_resolve_through_globals_closures_and_module_attributes():
    helpers = source('''
    def gelu(x):
        return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))
    ''')

    def make(offset: float):
        def shifted(x):
            return helpers.gelu(x) + offset  # a closure over helpers and offset

        def caller(x):
            return shifted(x) * 2.0
        return caller

    caller = source("def run(x):\n    return inner(x) - helpers.gelu(x)\n", inner=make(3.0), helpers=helpers).run
    scripted = jit.script(caller)
    assert_same(scripted(X), caller(X))


def test_helpers_given_as_defaults_and_arguments():
    module = source('''
    def double(v):
        return v * 2.0

    def apply(x, act=np.tanh, post=double, bias: float = 0.0):
        return post(act(x)) + bias

    def caller(x):
        return apply(x) + apply(x, np.sin) + apply(x, post=np.cos, bias=1)
    ''')
    scripted = jit.script(module.caller)
    assert_same(scripted(X), module.caller(X))
    top = jit.script(module.apply)  # scripted itself: the defaults are bound at compile time
    assert_same(top(X), module.apply(X))
    assert [p.name for p in top.parameters] == ["x", "bias"]
    assert_same(reloaded(scripted)(X), module.caller(X))


def test_module_methods_and_function_attributes_compile():
    module = source('''
    def normalize(x):
        return (x - x.mean()) / (x.std() + 1e-5)

    class Block(nn.Module):
        def __init__(self, activation):
            super().__init__()
            self.linear = nn.Linear(4, 4)
            self.activation = activation

        def forward(self, x):
            return self.mix(normalize(x))

        def mix(self, x):
            return self.activation(self.linear(x)) + x
    ''')

    def swish(x):
        return x / (1.0 + np.exp(-x))

    x = X.astype(np.float32)
    eager = module.Block(swish)
    scripted = jit.script(eager)
    assert_same(scripted(x), eager(x))
    assert "prim::PythonOp" not in str(scripted.mix.graph)
    assert_same(reloaded(scripted)(x), eager(x))


def test_a_helper_taking_a_module_calls_it():
    module = source('''
    def residual(block, x):
        return block(x) + x

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.first = nn.Linear(4, 4)

        def forward(self, x):
            return residual(self.first, x)
    ''')
    x = X.astype(np.float32)
    eager = module.Net()
    assert_same(jit.script(eager)(x), eager(x))


def test_plain_classes_are_compiled_as_script_classes():
    module = source('''
    def norm(v):
        return np.sqrt(np.sum(v * v))

    class Segment:
        def __init__(self, start, end):
            self.start = start
            self.end = end

        def length(self):
            return norm(self.end - self.start)

        def scaled(self, k: float) -> "Segment":
            return Segment(self.start * k, self.end * k)

    def total(s: Segment):
        return s.length()

    def f(x):
        segment = Segment(x, x * 3.0)
        return total(segment.scaled(2.0)) + segment.length()
    ''')
    scripted = jit.script(module.f)
    assert_same(scripted(X), module.f(X))
    assert "prim::CreateObject" in node_kinds(scripted)
    assert_same(reloaded(scripted)(X), module.f(X))


def test_recursion_is_a_compile_error():
    module = source('''
    def countdown(x, n: int):
        if n == 0:
            return x
        return countdown(x + 1.0, n - 1)

    def ping(x):
        return pong(x) + 1.0

    def pong(x):
        return ping(x) * 2.0

    def f(x):
        return ping(x)
    ''')
    with pytest.raises(jit.CompilationError, match="'countdown' calls itself .*recursion is not supported"):
        jit.script(module.countdown)
    with pytest.raises(jit.CompilationError, match="(?s)'ping' calls itself.*'pong' is being compiled since it "
                                                   "was called from 'ping'.*'ping' is being compiled since it "
                                                   "was called from 'f'"):
        jit.script(module.f)


def test_an_uncompilable_callee_shows_the_chain_of_callers_and_suggests_ignore():
    module = source('''
    def innermost(x):
        return x.no_such_method()

    def middle(x):
        return innermost(x) + 1.0

    def outer(x):
        y = x * 2.0
        return middle(y)
    ''')
    with pytest.raises(jit.CompilationError) as error:
        jit.script(module.outer)
    message = str(error.value)
    first = message.index("no_such_method")
    inner = message.index("'innermost' is being compiled since it was called from 'middle'")
    outer = message.index("'middle' is being compiled since it was called from 'outer'")
    assert first < inner < outer
    assert "mark 'innermost' @jit.ignore" in message
    assert "return innermost(x) + 1.0" in message and "return middle(y)" in message  # each caller's line
    assert message.count("@jit.ignore") == 1


def test_uncompilable_python_callables_are_clear_errors():
    import statistics

    for name, value, expected in [("statistics", statistics, "'fmean' is a function of 'statistics'"),
                                  ("digest", hash, "'hash' is a Python builtin")]:
        caller = load_module(f"def f(x):\n    return {name}{'.fmean' if name == 'statistics' else ''}(x)\n",
                             **{name: value}).f
        with pytest.raises(jit.CompilationError, match=f"{expected} that the operator registry does not cover"
                                                       ".*@jit.ignore"):
            jit.script(caller)

    class Counter:
        def bump(self, x):
            return x

    caller = load_module("def f(x):\n    return bump(x)\n", bump=Counter().bump).f
    with pytest.raises(jit.CompilationError, match="'.*bump' is a method bound to a Python object of type 'Counter'"):
        jit.script(caller)
    lambdas = load_module("def f(x, act=lambda v: v):\n    return act(x)\n").f
    with pytest.raises(jit.CompilationError, match="lambdas cannot be scripted"):
        jit.script(load_module("def g(x):\n    return f(x)\n", f=lambdas).g)


def test_ignore_keeps_the_python_call_and_unused_raises():
    log = []

    @jit.ignore
    def logged(x) -> jit.Tensor:
        log.append(type(x).__name__)
        return x

    @jit.unused
    def never(x) -> jit.Tensor:
        return x

    module = source('''
    def helper(x, use: bool):
        if use:
            return never(x)
        return logged(x) + 1.0

    def f(x, use: bool):
        return helper(x, use)
    ''', logged=logged, never=never)
    scripted = jit.script(module.f)
    assert_same(scripted(X, False), X + 1.0) and log == ["ndarray"]
    with pytest.raises(jit.Error, match="never is marked @jit.unused"):
        scripted(X, True)
    helper = callees(scripted)[0]
    modes = [node["mode"] for node in helper.graph.all_nodes() if node.kind == "prim::PythonOp"]
    assert modes == ["unused", "ignore"]


def test_fusion_works_across_inlined_helpers():
    module = source('''
    def gate(x):
        return np.tanh(x), 1.0 / (1.0 + np.exp(-x))

    def f(x):
        a, b = gate(x * 2.0)
        return a * b + x
    ''')
    scripted = jit.script(module.f)
    for _ in range(3):
        assert_same(scripted(X), module.f(X))
    optimized = scripted.graph_for(X)
    top = [node.kind for node in optimized.block.nodes if node.kind != "prim::Constant"]
    assert top == ["prim::FusionGroup"], top  # the helper's tanh and exp are in the caller's one kernel
    text = str(optimized)
    assert "np::tanh" in text.split("with prim::FusionGroup")[1] and "np::exp" in text


def test_fork_of_a_helper():
    module = source('''
    def work(x, k: float):
        return x * k

    def f(x):
        future = jit.fork(work, x, 3.0)
        return jit.wait(future) + work(x, 1.0)
    ''')
    scripted = jit.script(module.f)
    assert_same(scripted(X), module.f(X))


def test_save_stores_every_callee_and_loads_without_the_source(tmp_path):
    module = source(HELPERS)
    scripted = jit.script(module.f)
    path = tmp_path / "model.pt"
    jit.save(scripted, path)
    entries = zipfile.ZipFile(path).namelist()
    for name in ("stats", "scale", "scale_1", "scale_2", "softmax", "layer", "twice", "twice_1"):
        assert f"code/functions/{name}.py" in entries, entries
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "expected.npy", module.f(X))
    # A fresh process that never saw the helpers' source.
    program = ("import numpy as np, jit, sys\n"
               f"loaded = jit.load({str(path)!r})\n"
               f"x = np.load({str(tmp_path / 'x.npy')!r})\n"
               f"expected = np.load({str(tmp_path / 'expected.npy')!r})\n"
               "np.testing.assert_allclose(loaded(x), expected, rtol=1e-12)\n"
               "print('ok', loaded(x).shape)\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=tmp_path,
                          env={"PYTHONPATH": str(jit.__path__[0].rsplit("/", 1)[0])})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok (3, 4)"


def test_loaded_callees_give_the_same_results_in_process():
    module = source(HELPERS)
    scripted = jit.script(module.f)
    buffer = io.BytesIO()
    jit.save(scripted, buffer)
    loaded = jit.load(io.BytesIO(buffer.getvalue()))
    assert_same(loaded(X), module.f(X))
    assert loaded.code == scripted.code


def test_unannotated_parameters_take_the_types_of_their_arguments():
    module = source('''
    def total(x, axis=-1, eps=1e-5, mask=None):
        if mask is not None:
            x = x * mask
        return np.sum(x, axis=axis) + eps

    def f(x, m):
        return total(x, (0, 1), 1) + total(x, 0, mask=m).sum() + total(x, eps=0.5).sum() + total(x, label_free(2))

    def label_free(n: int):
        return n - 1
    ''')
    scripted = jit.script(module.f)
    mask = (X > 0).astype(np.float64)
    assert_same(scripted(X, mask), module.f(X, mask))
    signatures = [[(p.name, p.type.annotation_str()) for p in c.parameters] for c in callees(scripted)
                  if c.original is module.total]
    assert signatures[0] == [("x", "Tensor"), ("axis", "Tuple[int, int]"), ("eps", "int"), ("mask", "None")]
    assert ("mask", "Tensor") in signatures[1] and ("eps", "float") in signatures[2]


def test_the_seeds_functions_and_class_methods_opt_out():
    module = source('''
    def some_fn():
        return 2

    @jit.ignore
    def some_fn2() -> int:  # an ignored function's result is a Tensor unless annotated
        return 2

    @jit.unused
    def some_fn3() -> int:
        import pdb; pdb.set_trace()
        return 4

    class Counter:
        def __init__(self, start: int):
            self.count = start

        def add(self, n: int) -> int:
            self.count += n
            return self.count

        @jit.ignore
        def describe(self) -> str:
            return "Counter at {}".format(vars(self)["count"])  # Python only: vars()

    def f(x, use_unused: bool):
        c = Counter(some_fn())
        c.add(some_fn2())
        if use_unused:
            c.add(some_fn3())
        return x * float(c.count), c.describe()
    ''')
    scripted = jit.script(module.f)
    assert_same(scripted(X, False), module.f(X, False))
    with pytest.raises(jit.Error, match="some_fn3 is marked @jit.unused"):
        scripted(X, True)


def test_an_uncompilable_class_shows_its_caller():
    module = source('''
    class Broken:
        def __init__(self, x):
            self.x = x

        def bad(self):
            return self.x.no_such_method()

    def f(x):
        return Broken(x).x
    ''')
    with pytest.raises(jit.CompilationError, match="(?s)no_such_method.*the class 'Broken' is being compiled since "
                                                   "it was called from 'f'.*return Broken\\(x\\).x"):
        jit.script(module.f)
    assert jit.types.class_type_of(module.Broken) is None  # not left half-compiled


def test_two_helpers_of_one_name_are_told_apart_and_save():
    stable = source('''
    def softmax(x):
        e = np.exp(x - x.max())
        return e / e.sum()
    ''')
    module = source('''
    def softmax(x):
        return x / x.sum()

    def f(x):
        return softmax(x) * 2.0 + stable.softmax(x)
    ''', stable=stable)
    scripted = jit.script(module.f)
    assert "softmax(x)" in scripted.code and "softmax_1(x)" in scripted.code
    assert_same(scripted(X), module.f(X))
    assert_same(reloaded(scripted)(X), module.f(X))
