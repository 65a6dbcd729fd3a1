"""The registry itself: every op declared once and tested, spellings that resolve
back to their op, the printed table, and `python -m jit.ops`."""
from __future__ import annotations

import importlib
import subprocess
import sys

import numpy as np
import pytest

from jit import ops

TEST_MODULES = ["tests.jit.ops.test_elementwise", "tests.jit.ops.test_reductions", "tests.jit.ops.test_shapes",
                "tests.jit.ops.test_factories", "tests.jit.ops.test_nn_functional",
                "tests.jit.ops.test_math_and_builtins", "tests.jit.ops.test_creation", "tests.jit.ops.test_manipulation",
                "tests.jit.ops.test_indexing_and_sorting", "tests.jit.ops.test_scans", "tests.jit.ops.test_linalg",
                "tests.jit.ops.test_random", "tests.jit.ops.test_constants", "tests.jit.frontend.test_constructs",
                "tests.jit.frontend.test_optional_and_exits", "tests.jit.frontend.test_containers",
                "tests.jit.frontend.test_calls", "tests.jit.frontend.test_classes", "tests.jit.runtime.test_futures",
                "tests.fuser.test_grouping", "tests.jit.frontend.test_mutation", "tests.jit.ops.test_conversion",
                "tests.jit.ops.test_ufuncs", "tests.jit.ops.test_writers"]


def test_every_registered_op_is_covered_by_a_test():
    """Each op test module lists the ops it runs (its checks assert the op is in the
    scripted graph); together they must cover the whole registry."""
    covered = set()
    for name in TEST_MODULES:
        covered |= importlib.import_module(name).COVERS
    registered = {op.name for op in ops.all_ops()}
    assert registered - covered == set(), "ops without a test"
    assert covered - registered == set(), "tests claim ops that are not registered"


def test_names_and_namespaces():
    for op in ops.all_ops():
        assert op.namespace in ("np", "nn", "prim", "math"), op.name
        assert ops.lookup(op.name) is op
        assert op.schema_str().startswith(op.name + "(")
    with pytest.raises(KeyError, match="no operator named"):
        ops.lookup("np::does_not_exist")


def test_function_spellings_resolve_to_their_op():
    for op in ops.all_ops():
        for spelling in op.spellings:
            if spelling.kind == "function":
                overloads = ops.python_object_overloads(spelling.python)
                assert (op, spelling) in overloads, spelling
                assert spelling.overload == (overloads.index((op, spelling)) > 0), spelling
            elif spelling.kind == "method":
                assert ops.for_method(spelling.name, spelling.receiver)[0] is op
            elif spelling.kind == "property":
                assert ops.for_property(spelling.name, spelling.receiver)[0] is op
            elif spelling.kind == "operator":
                assert (op, spelling) in ops.operator_overloads(spelling.name)
    assert [op.name for op, _ in ops.python_object_overloads(min)] == ["prim::min", "prim::ListMin"]
    assert [op.name for op, _ in ops.operator_overloads("+")] == ["np::add", "prim::ListConcat", "prim::TupleConcat"]
    assert ops.for_python_object(np.tanh)[0].name == "np::tanh"
    assert ops.for_python_object(np.abs)[0] is ops.for_python_object(abs)[0]
    assert ops.for_python_object(object()) is None


def test_an_op_cannot_be_registered_twice():
    existing = ops.lookup("np::tanh")
    with pytest.raises(ValueError, match="registered twice"):
        ops.registry.register(ops.OpDef("np::tanh", existing.args, existing.returns, existing.rule,
                                        template="{xp}.tanh({0})"))
    with pytest.raises(ValueError, match="already names"):
        ops.add_spelling(existing, ops.Spelling("function", "np.exp", np.exp))


def test_templates_compile_to_callables():
    """Each op's eager callable is built from its one declaration (template or impl)."""
    x = np.array([[1.0, -2.0], [3.0, 0.5]], np.float32)
    assert np.array_equal(ops.lookup("np::add")(x, 1.5), x + 1.5)
    assert ops.lookup("np::sum")(x, 0, None, False).tolist() == x.sum(0).tolist()
    assert ops.lookup("np::power")(2, 10) == 1024
    for op in ops.all_ops():
        if not op.structural:
            assert callable(op.eager), op.name


def test_table_lists_every_op():
    text = ops.table()
    for op in ops.all_ops():
        assert op.name in text
    assert "np::tanh(Union[Tensor, int, float, bool] x) -> Tensor" in text
    last = text.strip().splitlines()[-1]
    assert last == f"{len(ops.all_ops())} operators, {sum(o.fusible for o in ops.all_ops())} fusible"


def test_the_table_counts_the_numpy_names_it_covers():
    """NumPy's functions (aliases such as np.concat included) and ndarray methods and properties."""
    functions, methods = ops.registry.numpy_names()
    assert {"np.linalg.norm", "np.random.normal", "np.concat", "np.cumsum", "np.abs"} <= set(functions)
    assert {"cumsum", "argsort", "mT", "T", "shape"} <= set(methods)
    assert "np.gradient" not in functions and "tolist" not in methods
    assert len(functions) + len(methods) >= 400
    assert f"{len(functions) + len(methods)} NumPy names: {len(functions)} functions" in ops.table()


def test_python_dash_m_jit_ops_prints_the_table():
    result = subprocess.run([sys.executable, "-m", "jit.ops"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ops.table().strip()
