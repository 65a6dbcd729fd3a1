"""NamedTuples and script classes (the seeds' Pair, Foo and 'Tried to set
nonexistent attribute' examples)."""
from __future__ import annotations

import collections
import typing

import numpy as np
import pytest

import jit

from ...helpers import assert_same, define, load_module, script_source

COVERS = {"prim::CreateObject", "prim::GetAttr", "prim::SetAttr", "prim::CallMethod"}

X = np.arange(6.0).reshape(2, 3)
Point = collections.namedtuple("Point", ["x", "y"])


class Stats(typing.NamedTuple):
    mean: float
    count: int = 0


def test_namedtuples_build_read_and_unpack():
    function, eager = script_source('''
    def f(p: Point, s: Stats):
        q = Point(y=p.y, x=p.x * 2.0)
        a, b = q
        t = Stats(float(a.sum()), s.count + 1)
        u = Stats(2.5)
        return q, t, t.mean + s.mean, q[1], u.count
    ''', "f", Point=Point, Stats=Stats)
    args = (Point(X, X + 1), Stats(1.5, 2))
    result = function(*args)
    assert_same(result, eager(*args))
    assert type(result[0]) is Point and type(result[1]) is Stats
    assert "q = Point(a, p.y)" in function.code  # a, b = q reads q's elements where it was built
    with pytest.raises(TypeError, match="expected a value of type 'Stats'"):
        function(Point(X, X), (1.5, 2))


def test_the_seeds_pair_class():
    module = load_module('''
    import jit

    @jit.script
    class Pair:
        def __init__(self, first, second):
            self.first = first
            self.second = second

    @jit.script
    def sum_pair(p):
        # type: (Pair) -> Tensor
        return p.first + p.second
    ''')
    pair = module.Pair(X, X * 2)  # eager construction is the class's own
    assert_same(module.sum_pair(pair), X * 3)
    assert isinstance(module.sum_pair, jit.ScriptFunction) and module.Pair.__jit_class_type__.attributes


def test_the_seeds_foo_class_with_augmented_attribute_assignment():
    function = define('''
    import jit

    @jit.script
    class Foo:
        def __init__(self, x, y):
            self.x = x

        def aug_add_x(self, inc):
            self.x += inc

    @jit.script
    def f(x, inc):
        foo = Foo(x, x)
        foo.aug_add_x(inc)
        foo.aug_add_x(inc)
        return foo.x
    ''', "f")
    x = X.copy()
    assert_same(function(x, np.ones(3)), X + 2.0)
    assert_same(x, X + 2.0)  # self.x += inc writes the array in place, the caller's x (as in NumPy and the seeds)


def test_classes_with_methods_calling_each_other_and_optional_attributes():
    function, _ = script_source('''
    @jit.script
    class Accumulator:
        def __init__(self, start: float):
            self.total = start
            self.last: Optional[float] = None

        def add(self, value: float) -> "Accumulator":
            self.total = self.total + value
            self.last = value
            return self

        def report(self) -> str:
            last = self.last
            if last is None:
                return "empty"
            return f"{self.total:.1f} (last {last:.1f})"

    def f(values: List[float]):
        acc = Accumulator(0.0)
        first = acc.report()
        for v in values:
            acc.add(v)
        return first, acc.report(), acc.total
    ''', "f")
    assert function([1.0, 2.5]) == ("empty", "3.5 (last 2.5)", 3.5)


def test_setting_an_attribute_not_made_in_init_is_the_seeds_error():
    with pytest.raises(jit.CompilationError) as caught:
        define('''
        import jit, numpy as np

        @jit.script
        class Foo:
            def __init__(self):
                self.y = 1

            def assign_x(self):
                self.x = np.random.rand(2, 3)
        ''', "Foo")
    text = str(caught.value)
    assert "Tried to set nonexistent attribute: x. Did you forget to initialize it in __init__()?" in text
    assert "self.x = np.random.rand(2, 3)" in text and "~~~~~~ <--- HERE" in text


def test_class_restrictions():
    with pytest.raises(jit.CompilationError, match="no expressions except method definitions"):
        define("import jit\n@jit.script\nclass A:\n    size = 3\n    def __init__(self):\n        self.a = 1\n", "A")
    with pytest.raises(jit.CompilationError, match="inheritance is not supported"):
        define("import jit\nclass B:\n    pass\n@jit.script\nclass C(B):\n    def __init__(self):\n        self.a = 1\n",
               "C")
    with pytest.raises(jit.CompilationError, match="recursion is not supported"):
        define("import jit\n@jit.script\nclass D:\n    def __init__(self):\n        self.a = 1\n"
               "    def f(self, n: int) -> int:\n        return self.f(n)\n", "D")
    with pytest.raises(jit.CompilationError, match="has no attribute or method 'b'; its attributes are a"):
        define("import jit\n@jit.script\nclass E:\n    def __init__(self):\n        self.a = 1\n"
               "    def f(self) -> int:\n        return self.b\n", "E")
