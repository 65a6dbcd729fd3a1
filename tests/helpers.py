"""Helpers shared by the tests: scripting from source text, exact comparison
with eager results, and the ``.code`` round trip."""
from __future__ import annotations

import contextlib
import copy
import importlib.util
import io
import itertools
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import device
import jit
from jit import types as T
from jit.frontend import code_namespace, compile_source
from jit.ir import verify
from jit.ir.code_printer import CONSTANTS_NAME, TensorConstants, print_code, tensor_constants
from jit.runtime.module import ScriptModule

_module_counter = itertools.count()
SOURCE_DIR: Path | None = None  # set by conftest to a session temporary directory


def load_module(source: str, **names):
    """Import ``source`` as a module written to a file (so inspect can read it),
    with ``np``, ``math``, ``jit`` and ``names`` in its globals."""
    path = SOURCE_DIR / f"scripted_{next(_module_counter)}.py"
    header = "import math\nimport numpy as np\nimport jit\nfrom jit import Tensor\nfrom typing import Dict, List, Optional, Tuple\n"
    path.write_text(header + textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(names)
    sys.modules[path.stem] = module  # as an import would: inspect finds classes' source through it
    spec.loader.exec_module(module)
    return module


def define(source: str, name: str | None = None, **names):
    """The (undecorated) function defined by ``source``."""
    module = load_module(source, **names)
    if name is None:
        name = next(n for n, v in vars(module).items() if callable(v) and getattr(v, "__module__", "") == module.__name__)
    return getattr(module, name)


def script_source(source: str, name: str | None = None, **names):
    """(scripted, eager) for the function that ``source`` defines."""
    eager = define(source, name, **names)
    return jit.script(eager), eager


def assert_matches_eager(source: str, *calls, name: str | None = None, **names):
    """Script the function ``source`` defines and call it and its eager original
    with each tuple of arguments in ``calls``: equal results. Returns the ScriptFunction."""
    scripted, eager = script_source(source, name, **names)
    for args in calls:
        with np.errstate(all="ignore"):
            assert_same(scripted(*args), eager(*args))
    return scripted


def node_kinds(function) -> list:
    """The kinds of a script function's nodes, nested blocks included, in order."""
    return [node.kind for node in function.graph.all_nodes()]


# Fused kernels evaluate the same formulas in another order, and float32
# transcendentals by their own vectorized forms: floats agree to these tolerances.
FLOAT_TOLERANCE = {np.dtype(np.float16): (1e-3, 1e-3), np.dtype(np.float32): (2e-6, 1e-6),
                   np.dtype(np.float64): (1e-12, 1e-15)}


def assert_same(actual, expected, path="result", precision=None):
    """Equal value (floats within FLOAT_TOLERANCE of their dtype, or of ``precision`` for a program
    that computes in a narrower float than it returns), dtype, shape and Python type; NaNs compare equal."""
    if device.is_array(expected):
        assert device.is_array(actual), f"{path}: expected an array, got {type(actual).__name__}"
        assert type(actual) is type(expected), f"{path}: type {type(actual).__name__} != {type(expected).__name__}"
        assert actual.dtype == expected.dtype, f"{path}: dtype {actual.dtype} != {expected.dtype}"
        assert actual.shape == expected.shape, f"{path}: shape {actual.shape} != {expected.shape}"
        xp = device.array_module(expected)
        actual, expected = device.to(xp.asarray(actual), "cpu"), device.to(xp.asarray(expected), "cpu")
        if expected.dtype in FLOAT_TOLERANCE:
            rtol, atol = FLOAT_TOLERANCE[np.dtype(precision or expected.dtype)]
            np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True, err_msg=path)
        else:
            np.testing.assert_array_equal(actual, expected, err_msg=path)
    elif isinstance(expected, dict):
        assert type(actual) is type(expected), f"{path}: {type(actual).__name__} != {type(expected).__name__}"
        assert list(actual) == list(expected), f"{path}: keys {list(actual)} != {list(expected)}"
        for key in expected:
            assert_same(actual[key], expected[key], f"{path}[{key!r}]", precision)
    elif isinstance(expected, (tuple, list)):
        assert type(actual) is type(expected), f"{path}: {type(actual).__name__} != {type(expected).__name__}"
        assert len(actual) == len(expected), f"{path}: length {len(actual)} != {len(expected)}"
        for index, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, f"{path}[{index}]", precision)
    else:
        assert type(actual) is type(expected), f"{path}: {type(actual).__name__} != {type(expected).__name__}"
        if isinstance(expected, float) and math.isnan(expected):
            assert math.isnan(actual), f"{path}: {actual} is not NaN"
        else:
            assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def error_of(function, *args):
    """The exception ``function(*args)`` raises (NumPy's warnings silenced), or None."""
    with np.errstate(all="ignore"):
        try:
            function(*args)
        except Exception as error:  # noqa: BLE001 - the oracle's error, whatever it is
            return error
    return None


def run_both(scripted, eager, *args, **kwargs):
    """Call both; equal results, or the same exception type from both."""
    try:
        expected = eager(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - the eager exception is the oracle
        try:
            scripted(*args, **kwargs)
        except type(error):
            return error
        raise AssertionError(f"eager raised {type(error).__name__}: {error}; scripted did not raise it") from error
    assert_same(scripted(*args, **kwargs), expected)
    return expected


def reloaded(obj, **load_options):
    """``obj`` saved with jit.save and loaded back with jit.load."""
    buffer = io.BytesIO()
    jit.save(obj, buffer)
    buffer.seek(0)
    return jit.load(buffer, **load_options)


def round_trip(function) -> str:
    """Recompile ``function.code``; assert the printed code comes back unchanged.
    Returns the recompiled ScriptFunction's generated source."""
    code = function.code
    namespace = code_namespace()
    for node in function.graph.all_nodes():  # the functions the code calls, by the names it prints
        if node.kind == "prim::Constant" and getattr(node["value"], "is_script_function", False):
            namespace[node["value"].name] = node["value"]
        if node.kind == "prim::PythonOp" or (node.kind == "prim::fork" and "function" in node.attrs):
            namespace[node["function"].__name__] = node["function"]
        for value in list(node.outputs) + list(node.inputs):
            _add_classes(namespace, value.type)
    for value in function.graph.inputs:
        _add_classes(namespace, value.type)
    namespace[CONSTANTS_NAME] = TensorConstants(tensor_constants(function.graph))
    compiled = compile_source(code, function.name, namespace, return_inferred=function.return_inferred)  # as jit.load
    verify(function.graph)
    verify(compiled.graph)
    again = print_code(compiled.graph, compiled.name, compiled.parameters, compiled.return_type)
    assert again == code, f"the code of {function.qualname} does not round-trip:\n{code}\n---\n{again}"
    assert [p.name for p in compiled.parameters] == [p.name for p in function.parameters]
    assert [p.type for p in compiled.parameters] == [p.type for p in function.parameters]
    return compiled


def is_method(function) -> bool:
    """A compiled method of a class or module type (saved with its object, not alone)."""
    inputs = getattr(function, "graph", None) is not None and not getattr(function, "is_script_module", False) \
        and function.graph.inputs
    kind = inputs[0].type if inputs else None
    return isinstance(kind, T.ClassType) and any(m is function for m in kind.methods.values())


def saved_archive(obj) -> bytes | None:
    """``obj`` saved with jit.save; None when it calls a plain Python function."""
    buffer = io.BytesIO()
    try:
        jit.save(obj, buffer)
    except jit.SerializationError as error:
        if "calls the Python function" in str(error):
            return None
        raise
    return buffer.getvalue()


def check_archive_round_trip(obj, archive, args, kwargs, expected, random_state):
    """Load ``archive`` (``obj`` saved before its first call): the same modules and
    code, and, called as ``obj`` first was (its state then is the archive's), the
    same result."""
    loaded = jit.load(io.BytesIO(archive))
    if getattr(obj, "is_script_module", False):
        originals, copies = dict(obj.named_modules()), dict(loaded.named_modules())
        assert list(originals) == list(copies), "the loaded module hierarchy differs"
        for path, module in originals.items():
            copy = copies[path]
            assert copy.original_name == module.original_name
            for name, method in module._type.methods.items():
                assert copy._type.methods[name].code == method.code, f"{path}.{name}: the loaded code differs"
    else:
        assert loaded.code == obj.code, f"{obj.qualname}: the loaded code differs"
    nodes = _graphs_of(obj)
    if any(node.kind == "prim::PythonOp" for node in nodes):
        return  # @ignore'd and @unused calls raise once saved
    if any(node.op is not None and node.op.nondeterministic and not node.op.side_effects for node in nodes):
        return  # np.empty: whatever the memory held (random draws replay from the same generator state)
    np.random.set_state(random_state)
    args, kwargs = _fresh_arguments(args, kwargs)
    with np.errstate(all="ignore"):
        assert_same(_comparable(loaded(*args, **kwargs)), _comparable(expected), "the loaded result")


def _fresh_arguments(args, kwargs):
    """Copies of a recorded call's arguments: a function that writes its arguments
    gets them as they were at that call each time it is replayed."""
    return copy.deepcopy((args, kwargs))


def _graphs_of(obj):
    """The nodes of ``obj``'s code and of every function and method it calls."""
    if getattr(obj, "is_script_module", False):
        pending = [method for module in obj.modules() for method in module._type.methods.values()]
    else:
        pending = [obj]
    seen, nodes = set(), []
    while pending:
        function = pending.pop()
        if id(function) in seen:
            continue
        seen.add(id(function))
        for node in function.graph.all_nodes():
            nodes.append(node)
            value = node["value"] if node.kind == "prim::Constant" else None
            if getattr(value, "is_script_function", False):
                pending.append(value)
            for output in node.outputs:
                if isinstance(output.type, T.ClassType):
                    pending.extend(output.type.methods.values())
    return nodes


def _comparable(value):
    """Objects of script classes as (class name, attributes): a loaded model rebuilds
    its classes from the file, so their Python classes differ from the originals."""
    if T.class_type_of(type(value)) is not None:
        return (type(value).__name__, {k: _comparable(v) for k, v in vars(value).items()})
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, tuple) and not T.is_namedtuple_class(type(value)):
        return tuple(_comparable(v) for v in value)
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    return value


def belongs_to_abandoned_class(function) -> bool:
    """A method compiled before a later method of its class failed: the class has no
    script type, so its code cannot be recompiled (nor can the class be used)."""
    inputs = function.graph.inputs
    kind = inputs[0].type if inputs else None
    return isinstance(kind, T.ClassType) and T.class_type_of(kind.python_class) is not kind


def has_nondeterminism(graph) -> bool:
    return any(node.op is not None and node.op.nondeterministic for node in graph.all_nodes())


def refined_result_type(graph, args):
    """Propagate refined types from ``args`` through a straight-line graph with the
    ops' type rules; the refined type of the graph's output."""
    from jit.ir import arg_info  # noqa: PLC0415
    from jit.ops import ArgInfo  # noqa: PLC0415

    known = {id(v): T.refined_type_of_value(a) for v, a in zip(graph.inputs, args)}
    folded = {}  # values of dtype/ndim queries on refined tensors, as constant folding would give

    def value_of(value):
        return folded.get(id(value), arg_info(value).value)

    def refined_info(value):
        base = arg_info(value)
        elements = None
        if base.elements is not None:
            elements = [ArgInfo(known[id(v)], value_of(v)) for v in value.node.inputs]
        return ArgInfo(known[id(value)], value_of(value), elements)

    for node in graph.block.nodes:
        assert not node.blocks, "refined_result_type handles straight-line graphs"
        if node.kind in ("np::dtype", "np::ndim") and known[id(node.inputs[0])].is_refined():
            source = known[id(node.inputs[0])]
            folded[id(node.output)] = source.dtype if node.kind == "np::dtype" else source.ndim
        if node.kind == "prim::Constant":
            known[id(node.output)] = node.output.type
        elif node.kind in ("prim::TupleUnpack", "prim::ListUnpack"):
            source = known[id(node.inputs[0])]
            elements = source.elements if isinstance(source, T.TupleType) else [source.element] * len(node.outputs)
            for output, element in zip(node.outputs, elements):
                known[id(output)] = element
        else:
            known[id(node.output)] = node.op.result_type([refined_info(v) for v in node.inputs])
    return known[id(graph.outputs[0])]


def _add_classes(namespace, kind):
    """The NamedTuple and script classes printed code names."""
    for inner in T.types_within(kind):
        if isinstance(inner, T.NamedTupleType):
            namespace[inner.name] = inner.cls
        elif isinstance(inner, T.ClassType) and inner.kind == "module":
            namespace[inner.name] = inner  # a module type has no Python class of its own
            for attribute in inner.attributes.values():
                _add_classes(namespace, attribute)
        elif isinstance(inner, T.ClassType):  # the type itself: a loaded copy's is not its class's
            namespace[inner.python_class.__name__] = inner


FAKE_CUPY = Path(__file__).parent / "device" / "fake_cupy"


def optimized_against_eager(function, eager, args, calls=3):
    """Call ``function`` ``calls`` times on copies of ``args`` against ``eager``: equal results and
    equal arguments after the call (writes included); the last optimized graph."""
    for _ in range(calls):
        mine, theirs = copy.deepcopy(args), copy.deepcopy(args)
        assert_same(function(*mine), eager(*theirs))
        assert_same(mine, theirs, "the arguments after the call")
    return jit.last_executed_optimized_graph()


def require_host_shim_and_nvrtc():
    """Skip, saying why, where the fake CuPy cannot run kernels: it compiles them with NVRTC
    (as the backend does) and runs them with the host shim (g++)."""
    from kernels import host_shim, nvrtc  # noqa: PLC0415 - only the CUDA tests need them

    if host_shim.compiler() is None:
        pytest.skip("no g++ on the PATH: the fake CuPy runs kernels with the host shim")
    try:
        nvrtc.version()
    except nvrtc.NvrtcNotFound as error:
        pytest.skip(f"the backend compiles with NVRTC: {error}")


def run_with_fake_cupy(code: str) -> str:
    """Run ``code`` in a fresh interpreter that imports the fake CuPy of
    tests/device (two CUDA devices, arrays tagged with a device); its stdout."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(FAKE_CUPY), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                            cwd=Path(__file__).parent.parent)
    assert result.returncode == 0, result.stderr
    return result.stdout


_precision = None  # the float the running test's program computes in, where it returns a wider one


@contextlib.contextmanager
def computed_in(precision):
    """Within the block, results are compared at ``precision``'s tolerance (``assert_same``'s
    ``precision``), also by the suite's check of each function's optimized specialization."""
    global _precision
    previous, _precision = _precision, precision
    try:
        yield
    finally:
        _precision = previous


def check_optimized(obj, args, kwargs, expected):
    """``obj`` (a ScriptFunction or ScriptModule) run through the specialization its
    executor builds for these arguments gives ``expected`` (skipped for random code)."""
    function = obj._type.methods["forward"] if isinstance(obj, ScriptModule) else obj
    if isinstance(obj, ScriptModule):
        args = (obj, *args)
    args, kwargs = copy.deepcopy((args, kwargs)) if not isinstance(obj, ScriptModule) else (args, kwargs)
    function = function.variant_for(args, kwargs)  # Python numbers for unannotated parameters: their variant
    try:
        _, specialization = function._executor.would_run(args, kwargs)
    except jit.StrictFusionError:
        return  # building raises it; the test's next call shows that to the user
    if specialization is None or _changes_state(specialization.graph):
        return  # the budget is spent (the unoptimized graph runs), or running again would not repeat the call
    arguments = function._executor.bind(args, kwargs)
    with np.errstate(all="ignore"):
        result = specialization.run(*arguments)
    assert_same(result, expected, f"the optimized {function.qualname} (specialization {specialization.kind})",
                _precision)


def _changes_state(graph) -> bool:
    """Random draws, stores, prints, Python calls and forks: a second run differs or has effects."""
    return any(node.kind in ("prim::SetAttr", "prim::PythonOp", "prim::fork", "prim::CreateObject")
               or (node.op is not None and (node.op.nondeterministic or node.op.side_effects)
                   and node.kind != "prim::RaiseException")
               for node in graph.all_nodes())


def transformed(function, graph_pass, *input_types):
    """(copy, count): a copy of ``function``'s graph with its inputs given
    ``input_types`` (where not None), ``graph_pass`` run on it and the verifier after."""
    from jit.ir.cloning import copy_graph  # noqa: PLC0415

    graph, _ = copy_graph(function.graph)
    for value, kind in zip(graph.inputs, input_types):
        if kind is not None:
            value.type = kind
    count = graph_pass(graph)
    verify(graph)
    return graph, count


def run_graph(graph, function, *args):
    """Run ``graph`` (a rewritten copy of ``function``'s) through the code generator."""
    from jit.runtime import codegen  # noqa: PLC0415

    _, run = codegen.generate(graph, function.name, function.parameters)
    with np.errstate(all="ignore"):
        return run(*args)


def kinds_of(graph) -> list:
    return [node.kind for node in graph.all_nodes()]
