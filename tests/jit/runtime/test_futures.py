"""jit.fork / jit.wait in eager and script code: several tasks, tasks that raise,
tasks that fork and wait inside the pool, and forked calls that truly overlap."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import jit

from ...helpers import assert_same, define, load_module, script_source

COVERS = {"prim::fork", "prim::wait"}

X = np.linspace(-2.0, 2.0, 12).reshape(3, 4)


def test_eager_fork_and_wait_with_arguments_and_keywords():
    futures = [jit.fork(np.clip, X, -1.0 + i, a_max=1.0) for i in range(6)]
    for i, future in enumerate(futures):
        assert_same(jit.wait(future), np.clip(X, -1.0 + i, a_max=1.0))
    assert all(f.done() for f in futures) and futures[0].value() is not None
    assert isinstance(futures[0], jit.Future)


def test_eager_exceptions_reach_wait_with_their_own_type():
    def failing(n):
        raise KeyError(f"task {n}")

    future = jit.fork(failing, 3)
    with pytest.raises(KeyError, match="task 3"):
        jit.wait(future)
    with pytest.raises(KeyError):  # waiting again raises again
        future.wait()
    with pytest.raises(TypeError, match="takes a jit.Future"):
        jit.wait(42)
    with pytest.raises(TypeError, match="needs a callable"):
        jit.fork(3)


def test_forked_calls_run_concurrently():
    # Each task passes the barrier only when the other has reached it: both must
    # be running at once (a timeout breaks the barrier instead of hanging).
    barrier = threading.Barrier(2, timeout=30)

    def meet(x):
        barrier.wait()
        return x * 2

    first, second = jit.fork(meet, X), jit.fork(meet, X + 1)
    assert_same(jit.wait(first) + jit.wait(second), X * 2 + (X + 1) * 2)


def test_tasks_that_fork_and_wait_inside_the_pool_do_not_deadlock():
    def tree(depth):
        if depth == 0:
            return 1
        children = [jit.fork(tree, depth - 1) for _ in range(3)]
        return sum(jit.wait(c) for c in children)

    assert tree(5) == 3 ** 5  # 364 tasks, far more than the pool's threads


def test_script_forks_several_tasks_and_waits_for_them():
    module = load_module('''
    @jit.script
    def work(x, k: int) -> Tensor:
        return np.tanh(x) * k

    def work_eagerly(x, k: int) -> Tensor:
        return np.tanh(x) * k

    @jit.script
    def forked(x):
        futures = [jit.fork(work, x, k=i) for i in range(5)]
        direct = jit.fork(work_eagerly, x + 1.0, 2)
        total = jit.wait(direct)
        for future in futures:
            total = total + jit.wait(future)
        return total
    ''')
    expected = np.tanh(X + 1.0) * 2
    for k in range(5):
        expected = expected + np.tanh(X) * k
    assert_same(module.forked(X), expected)
    code = module.forked.code
    assert "jit.fork(work, x, " in code and "jit.wait(" in code and "jit.Future[Tensor]" in code
    kinds = [n.kind for n in module.forked.graph.all_nodes()]
    assert kinds.count("prim::fork") == 2 and kinds.count("prim::wait") == 2


def test_script_tasks_that_raise_carry_the_error_to_wait():
    module = load_module('''
    @jit.script
    def checked(x, limit: float) -> Tensor:
        if float(x.max()) > limit:
            raise ValueError("too large: " + str(float(x.max())))
        return x * 2.0

    @jit.script
    def run(x, limit: float):
        first = jit.fork(checked, x, limit)
        second = jit.fork(checked, x + 10.0, limit)
        return jit.wait(first), jit.wait(second)

    @jit.script
    def run_first_only(x, limit: float):
        first = jit.fork(checked, x, limit)
        return jit.wait(first)
    ''')
    with pytest.raises(jit.Error, match="ValueError: too large: 12.0"):
        module.run(X, 5.0)
    assert_same(module.run(X, 100.0), (X * 2.0, (X + 10.0) * 2.0))
    assert_same(module.run_first_only(X, 5.0), X * 2.0)


def test_futures_cross_the_script_boundary_and_annotations():
    module = load_module('''
    @jit.script
    def negate(x):
        return -x

    @jit.script
    def start(x) -> jit.Future[Tensor]:
        return jit.fork(negate, x)

    @jit.script
    def finish(future: jit.Future[Tensor], scale: float):
        return jit.wait(future) * scale
    ''')
    assert_same(module.finish(module.start(X), 3.0), -X * 3.0)
    assert_same(module.finish(jit.fork(module.negate, X), 3.0), -X * 3.0)  # an eager fork of a script function
    assert "def start(x: Tensor) -> jit.Future[Tensor]:" in module.start.code
    with pytest.raises(TypeError, match="expected a value of type 'jit.Future\\[Tensor\\]'"):
        module.finish(X, 3.0)


def test_forking_methods_of_script_objects_and_unused_functions():
    function, eager = script_source('''
    @jit.script
    class Scaler:
        def __init__(self, factor: float):
            self.factor = factor

        def apply(self, x):
            return x * self.factor

    @jit.unused
    def never(x):
        return x

    def f(x, run_unused: bool):
        scaler = Scaler(3.0)
        future = jit.fork(scaler.apply, x)
        result = jit.wait(future)
        if run_unused:
            result = jit.wait(jit.fork(never, x))
        return result
    ''', "f")
    assert_same(function(X, False), X * 3.0)
    with pytest.raises(jit.Error, match="marked @jit.unused"):
        function(X, True)


def test_fork_errors():
    with pytest.raises(jit.CompilationError, match="jit.fork in script code starts a script function") as caught:
        define('''
        @jit.script
        def f(x):
            return jit.wait(jit.fork(np.tanh, x))
        ''')
    assert "<--- HERE" in str(caught.value)
    with pytest.raises(jit.CompilationError, match="jit.wait takes a Future"):
        define('''
        @jit.script
        def g(x):
            return jit.wait(x)
        ''')
    with pytest.raises(jit.CompilationError, match="takes the function to run"):
        define('''
        @jit.script
        def h(x):
            return jit.wait(jit.fork())
        ''')
