"""Scripting nn.Module instances: module types from values, submodules,
containers, constants, attributes, exported and ignored methods, training mode,
and the ScriptModule surface. The oracle is the eager module."""
from __future__ import annotations

import textwrap

import numpy as np
import pytest

import jit
import jit.nn.functional as F
from jit import nn

from ...helpers import assert_same, load_module, run_with_fake_cupy

X = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)


def models(source):
    return load_module("from jit import nn\nimport jit.nn.functional as F\n" + textwrap.dedent(source))


def test_containers_iterate_unrolled_and_index_with_constants():
    module = models('''
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 4)])
            self.heads = nn.ModuleDict({"relu": nn.ReLU(), "tanh": nn.Tanh(), "out-proj": nn.Linear(4, 2)})
            self.pipe = nn.Sequential(nn.Linear(4, 4), nn.GELU(), nn.LayerNorm(4))

        def forward(self, x):
            for i, layer in enumerate(self.layers):
                x = layer(x) + float(i)
            total = self.layers[-1](x) + self.layers[0](x)
            for name, head in self.heads.items():
                if name != "out-proj":
                    total = total + head(x)
            names = [key for key in self.heads]
            return self.heads["out-proj"](self.pipe(total)), len(self.layers), names
    ''')
    eager = module.Stack()
    scripted = jit.script(eager)
    assert_same(scripted(X), eager(X))
    code = scripted.code
    assert "layers[2]" in code and "heads[\"out-proj\"]" in code.replace("'", '"') and "range(" not in code
    # Python sees the scripted containers as the originals: indexable, iterable, sized.
    assert len(scripted.layers) == 3 and scripted.layers[1].original_name == "Linear"
    assert list(scripted.heads) == ["relu", "tanh", "out-proj"] and "tanh" in scripted.heads
    assert [type(m).__name__ for m in scripted.pipe] == ["ScriptModule"] * 3


def test_container_indexes_must_be_constants():
    module = models('''
    class Dynamic(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.ReLU(), nn.Tanh()])

        def forward(self, x, i: int):
            return self.layers[i](x)
    ''')
    with pytest.raises(jit.CompilationError, match="is indexed by an int literal") as caught:
        jit.script(module.Dynamic())
    assert "self.layers[i](x)" in str(caught.value) and "<--- HERE" in str(caught.value)
    module = models('''
    class Picked(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.ReLU(), nn.Tanh()])
            self.which = 1

        def forward(self, x):
            return self.layers[self.which](x)

    class Fixed(Picked):
        which: jit.Final[int]
    ''')
    with pytest.raises(jit.CompilationError, match="make it a constant with 'which: jit.Final\\[int\\]' in the "
                                                   "class body or by listing it in __constants__"):
        jit.script(module.Picked())
    fixed = module.Fixed()
    assert_same(jit.script(fixed)(X), fixed(X))


def test_constants_are_baked_and_attributes_are_read():
    module = models('''
    class Scaled(nn.Module):
        __constants__ = ["power", "shape"]
        offset: jit.Final[float]

        def __init__(self, power, offset):
            super().__init__()
            self.power = power
            self.shape = [2, 6]
            self.offset = offset
            self.factor = 0.5

        def forward(self, x):
            return np.reshape(x ** self.power + self.offset, self.shape) * self.factor
    ''')
    eager = module.Scaled(2, 1.5)
    scripted = jit.script(eager)
    assert_same(scripted(X), eager(X))
    code = scripted.code
    assert "x ** 2 + 1.5" in code and "(2, 6)" in code and "self.factor" in code
    scripted.factor = 2.0  # attributes are state of the scripted module
    eager.factor = 2.0
    assert_same(scripted(X), eager(X))
    with pytest.raises(AttributeError, match="'power' is a constant"):
        scripted.power = 3
    with pytest.raises(TypeError, match="'factor' of the scripted Scaled has type float"):
        scripted.factor = "big"
    # Different constants make a different type; equal ones share one.
    assert jit.script(module.Scaled(2, 1.5))._type is scripted._type
    assert jit.script(module.Scaled(3, 1.5))._type is not scripted._type


def test_bad_constants_are_reported():
    module = models('''
    class BadConstant(nn.Module):
        __constants__ = ["table"]

        def __init__(self):
            super().__init__()
            self.table = {"a": 1}

        def forward(self, x):
            return x
    ''')
    with pytest.raises(jit.CompilationError, match="'table' is a constant .* its value is a dict"):
        jit.script(module.BadConstant())


def test_attribute_types_from_values_annotations_and_jit_attribute():
    module = models('''
    class Stateful(nn.Module):
        seen: List[str]
        limit: Optional[float]

        def __init__(self):
            super().__init__()
            self.seen = []
            self.limit = None
            self.sizes = jit.Attribute({}, Dict[str, int])
            self.steps = 0
            self.weights = {"a": 1.0, "b": 2.0}
            self.pair = (1, "one")

        def forward(self, x, tag: str):
            self.steps += 1
            self.seen.append(tag)
            self.sizes[tag] = int(x.shape[0])
            limit = self.limit
            if limit is not None:
                x = np.minimum(x, limit)
            return x * self.weights["b"] + self.pair[0]
    ''')
    eager = module.Stateful()
    scripted = jit.script(eager)
    assert scripted.seen is not eager.seen and scripted.weights is not eager.weights  # containers are its own
    for tag in ("first", "second"):
        assert_same(scripted(X, tag), eager(X, tag))
    assert scripted.steps == 2 and scripted.seen == ["first", "second"] and scripted.sizes == {"first": 3, "second": 3}
    scripted.limit = 0.25
    eager.limit = 0.25
    assert_same(scripted(X, "third"), eager(X, "third"))


def test_attributes_without_a_type_fail_where_used_with_a_hint():
    module = models('''
    class Untyped(nn.Module):
        def __init__(self):
            super().__init__()
            self.names = []
            self.handle = object()

        def forward(self, x):
            return x

        @jit.export
        def use_names(self) -> int:
            return len(self.names)
    ''')
    with pytest.raises(jit.CompilationError) as caught:
        jit.script(module.Untyped())
    text = str(caught.value)
    assert "the attribute 'names' of module 'Untyped' cannot be used in script code: it is an empty list" in text
    assert "annotate it in the class body (name: List[int])" in text and "len(self.names)" in text


def test_optional_attributes_are_refined_only_through_a_local():
    module = models('''
    class Direct(nn.Module):
        bias: Optional[Tensor]

        def __init__(self):
            super().__init__()
            self.bias = None

        def forward(self, x):
            if self.bias is not None:
                return x + self.bias
            return x
    ''')
    with pytest.raises(jit.CompilationError, match="check 'if x is not None:' first \\(local variables only\\)"):
        jit.script(module.Direct())


def test_training_flag_switches_with_train_and_eval():
    module = models('''
    class Noisy(nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(0.5)

        def forward(self, x):
            y = self.drop(x)
            if self.training:
                return y, 1
            return y, 0
    ''')
    eager = module.Noisy()
    scripted = jit.script(eager)
    ones = np.ones((50, 40), np.float32)
    jit.manual_seed(11)
    expected = eager(ones)
    jit.manual_seed(11)
    assert_same(scripted(ones), expected)  # training: the same mask from the same seed
    assert scripted.eval() is scripted and not scripted.training and not scripted.drop.training
    assert_same(scripted(ones), (ones, 0))
    scripted.train()
    assert scripted(ones)[1] == 1


def test_exported_ignored_and_unused_methods():
    module = models('''
    class Methods(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(4, 4)
            self.calls = 0

        def forward(self, x):
            return self.normalize(self.linear(x)) + self.count_call(x)

        def normalize(self, x):
            return x / np.sqrt(np.sum(x * x))

        @jit.export
        def energy(self, x) -> float:
            return float(np.sum(self.forward(x) ** 2))

        @jit.ignore
        def count_call(self, x) -> float:
            self.calls += 1
            return float(len(x))

        @jit.unused
        def debug(self, x):
            return x

        @jit.export
        def debug_or_not(self, x, run: bool):
            if run:
                return self.debug(x)
            return x

        def never_used(self, x):
            return x.undefined_method()
    ''')
    eager = module.Methods()
    scripted = jit.script(eager)
    assert_same(scripted(X), eager(X))
    assert_same(scripted.energy(X), eager.energy(X))
    assert scripted.calls == 2  # the ignored method ran in Python, on the scripted module
    assert "def energy(self: Methods, x: Tensor) -> float:" in scripted.energy.code
    assert "self.count_call(" in scripted.code and "normalize" in scripted.code
    assert "prim::PythonOp" in str(scripted.graph)
    with pytest.raises(jit.Error, match="debug is marked @jit.unused"):
        scripted.debug_or_not(X, True)
    assert_same(scripted.debug_or_not(X, False), X)
    with pytest.raises(AttributeError, match="'Methods.never_used' was not compiled.*@jit.export"):
        getattr(scripted, "never_used")  # noqa: B009 - the lookup is the test


def test_submodule_compile_errors_show_the_call_chain():
    module = models('''
    class Inner(nn.Module):
        def forward(self, x):
            return self.helper(x)

        def helper(self, x):
            return x.no_such_method()

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = Inner()

        def forward(self, x):
            return self.inner(x)
    ''')
    with pytest.raises(jit.CompilationError) as caught:
        jit.script(module.Outer())
    text = str(caught.value)
    assert "script functions do not support the array attribute 'no_such_method'" in text
    assert "'Inner.helper' is being compiled since it was called from 'Inner.forward'" in text
    assert text.count("<--- HERE") == 2


def test_assigning_a_new_attribute_in_a_method_is_an_error():
    module = models('''
    class Grows(nn.Module):
        def forward(self, x):
            self.cache = x
            return x
    ''')
    with pytest.raises(jit.CompilationError, match="Tried to set nonexistent attribute: cache"):
        jit.script(module.Grows())


def test_function_attributes_script_functions_and_python_helpers():
    module = models('''
    @jit.script
    def shift(x, by: float):
        return x + by

    def python_scale(x) -> Tensor:
        return x * 3.0

    class Calls(nn.Module):
        def __init__(self, activation):
            super().__init__()
            self.activation = activation

        def forward(self, x):
            return python_scale(shift(self.activation(x), 1.0))
    ''')
    for activation in (F.relu, np.tanh, F.gelu):
        eager = module.Calls(activation)
        scripted = jit.script(eager)
        assert_same(scripted(X), eager(X))
        assert "prim::PythonOp" not in str(scripted.graph)  # python_scale is compiled with forward (1.2's rule)


def test_parameters_are_shared_and_the_module_surface_works():
    jit.manual_seed(0)
    eager = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    scripted = jit.script(eager)
    assert scripted[0].weight is eager[0].weight  # the same arrays, as TorchScript shares tensors
    assert [n for n, _ in scripted.named_parameters()] == ["0.weight", "0.bias"]
    assert list(scripted.state_dict()) == ["0.weight", "0.bias"]
    eager[0].weight[...] = 0.5  # in place: both see it
    assert_same(scripted(X), eager(X))
    assert scripted.original_name == "Sequential" and isinstance(scripted, jit.ScriptModule)
    assert isinstance(scripted, nn.Module)
    assert jit.script(scripted) is scripted
    with pytest.raises(TypeError, match="takes an instance of an nn.Module, not the class Linear"):
        jit.script(nn.Linear)
    scripted.double()
    assert scripted[0].weight.dtype == np.float64 and eager[0].weight.dtype == np.float32
    assert_same(scripted(X.astype(np.float64)), eager.double()(X.astype(np.float64)))
    with pytest.raises(TypeError, match="expected a value of type 'Tensor' for argument 'input'"):
        scripted("not an array")


def test_methods_without_array_arguments_use_the_module_arrays():
    module = models('''
    class Norms(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(4, 2)

        def forward(self, x):
            return self.linear(x)

        @jit.export
        def weight_norm(self) -> Tensor:
            return np.sqrt(np.sum(self.linear.weight ** 2))
    ''')
    eager = module.Norms()
    assert_same(jit.script(eager).weight_norm(), eager.weight_norm())


def test_shared_submodules_and_module_types():
    module = models('''
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 4)
            self.b = nn.Linear(4, 4)
            self.c = self.a

        def forward(self, x):
            return self.c(self.b(self.a(x)))
    ''')
    eager = module.Twice()
    scripted = jit.script(eager)
    assert_same(scripted(X), eager(X))
    assert scripted.c is scripted.a and scripted.a._type is scripted.b._type  # one type for equal Linears


def test_forking_submodules_and_methods():
    module = models('''
    class Parallel(nn.Module):
        def __init__(self):
            super().__init__()
            self.left = nn.Linear(4, 4)
            self.right = nn.Sequential(nn.Linear(4, 4), nn.Tanh())

        def forward(self, x):
            first = jit.fork(self.left, x)
            second = jit.fork(self.right, x)
            third = jit.fork(self.scaled, x, 2.0)
            return jit.wait(first) + jit.wait(second) + jit.wait(third)

        def scaled(self, x, factor: float):
            return x * factor
    ''')
    eager = module.Parallel()
    scripted = jit.script(eager)
    assert_same(scripted(X), eager(X))
    assert "jit.fork(self.left.forward, x)" in scripted.code or "jit.fork(left.forward, x)" in scripted.code


def test_scripted_modules_move_between_devices():
    output = run_with_fake_cupy('''
        import numpy as np, cupy, jit
        from jit import nn
        from jit.runtime.codegen import objects_array_module
        model = jit.script(nn.Sequential(nn.Linear(3, 2), nn.LayerNorm(2)))
        assert model.cuda(1) is model
        print(sorted({type(a).__module__ for a in model.parameters()}), model[0].weight.device.id,
              objects_array_module(model) is cupy)
        model.cpu()
        print(sorted({type(a).__module__ for a in model.parameters()}), objects_array_module(model) is np)
    ''')
    assert output.splitlines() == ["['cupy'] 1 True", "['numpy'] True"]
