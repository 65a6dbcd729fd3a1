"""Every compile error names the problem and marks the source with ~~~~ <--- HERE
under the construct that caused it."""
from __future__ import annotations

import textwrap

import pytest

import jit

from ...helpers import define


def assert_compile_error(source, message, marked, **names):
    """Script ``source``; assert CompilationError whose text contains ``message`` and
    whose marker underlines exactly ``marked`` on the marked line."""
    function = define(textwrap.dedent(source), "f", **names)
    with pytest.raises(jit.CompilationError) as caught:
        jit.script(function)
    text = str(caught.value)
    assert message in text, text
    lines = text.splitlines()
    marker_index = next(i for i, line in enumerate(lines) if line.rstrip().endswith("<--- HERE"))
    marker, code = lines[marker_index], lines[marker_index - 1]
    start = marker.index("~")
    width = marker.index(" <--- HERE") - start
    assert code[start:start + width] == marked, f"marked {code[start:start + width]!r}, expected {marked!r}\n{text}"
    assert 'File "' in text and ", in f" in text
    assert isinstance(caught.value, RuntimeError)
    return text


def test_the_seeds_type_mismatch_example():
    source = '''
    def f(x):
        if x:
            r = np.random.rand(1)
        else:
            r = 4
        return r
    '''
    assert_compile_error(source, "Type mismatch: r is set to type Tensor in the true branch and type int in the false "
                          "branch", "r")


def test_the_seeds_undefined_value_example():
    source = '''
    def f(x):
        if float(x) < 0:
            y = 4
        return y + 1
    '''
    assert_compile_error(source, "'y' is not defined in the false branch", "y")


def test_undefined_name():
    assert_compile_error("def f(x):\n    return x + z\n", "undefined value z", "z")


def test_a_variable_keeps_one_type():
    assert_compile_error("def f(x):\n    n = 1\n    n = 2.5\n    return x\n",
                  "variable 'n' previously had type int but is now being assigned a value of type float", "n")
    text = assert_compile_error("def f(x, k: int):\n    n = 1\n    for i in range(k):\n        n = x\n    return n\n",
                         "previously had type int", "n")
    assert "Tensor" in text


def test_a_variable_defined_only_in_a_loop_body():
    source = "def f(x, k: int):\n    for i in range(k):\n        y = x * 2.0\n    return y\n"
    assert_compile_error(source, "'y' is defined only inside the loop body, which may run zero times", "y")


def test_branch_types_differ_for_a_variable_defined_before():
    source = "def f(x, k: int):\n    n = 1\n    if k > 0:\n        n = 2.5\n    return n\n"
    assert_compile_error(source, "variable 'n' previously had type int but is now being assigned a value of type float",
                  "n")


@pytest.mark.parametrize("statement, what, marked", [
    ("del k", "'del' is not supported", "del k"),
    ("import os", "'import' is not supported", "import os"),
    ("global G", "'global' is not supported", "global G"),
])
def test_unsupported_statements_in_a_loop(statement, what, marked):
    source = f"def f(x, k: int):\n    for i in range(k):\n        {statement}\n    return x\n"
    assert_compile_error(source, what, marked)


def test_unsupported_block_statements():
    assert_compile_error("def f(x):\n    with open('a') as h:\n        pass\n    return x\n", "'with' statements are "
                         "supported for 'with jit.strict_fusion():' only", "with open('a') as h:")
    assert_compile_error("def f(x):\n    try:\n        pass\n    except Exception:\n        pass\n    return x\n",
                  "'try' statements are not supported", "try:")
    assert_compile_error("def f(x):\n    def g(y):\n        return y\n    return x\n",
                  "nested function definitions are not supported", "def g(y):")


@pytest.mark.parametrize("expression, what", [
    ("{x}", "set literals are not supported"),
    ("(lambda v: v)(x)", "lambda expressions are not supported"),
    ("1j", "complex literals are not supported"),
])
def test_unsupported_expressions(expression, what):
    source = f"def f(x):\n    return {expression}\n"
    marked = expression if not expression.startswith("(lambda") else "lambda v: v"
    assert_compile_error(source, what, marked)


def test_is_cannot_chain_with_other_comparisons():
    assert_compile_error("def f(x):\n    return x is None < 3\n", "'is' and 'is not' cannot be chained",
                         "x is None < 3")


@pytest.mark.parametrize("statement, message, marked", [
    ("t[0] = 1.0", "cannot assign to an element of a Tuple[Tensor, Tensor]", "t[0]"),
    ("x[0] = 'a'", "'x[index] = value' expected a value of type 'Union[Tensor, int, float, bool]' for argument 'value'", "'a'"),
    ("x.flags = 1", "assigning to an attribute", "x.flags"),
])
def test_writes_that_are_not_item_assignments_into_arrays_are_compile_errors(statement, message, marked):
    assert_compile_error(f"def f(x):\n    t = (x, x)\n    {statement}\n    return x\n", message, marked)


@pytest.mark.parametrize("signature, marked, what", [
    ("x, *rest", "rest", "cannot take *args"), ("x, **options", "options", "cannot take **kwargs"),
    ("x, *, k: int = 1", "k: int", "keyword-only arguments"),
])
def test_unsupported_signatures(signature, marked, what):
    assert_compile_error(f"def f({signature}):\n    return x\n", what, marked)


def test_return_inside_a_loop():
    assert_compile_error("def f(x, k: int):\n    for i in range(k):\n        return x\n    return x\n",
                  "'return' inside a loop is not supported", "return x")
    assert_compile_error("def f(x, k: int):\n    while k > 0:\n        if k > 3:\n            return x\n        k -= 1\n"
                  "    return x\n", "'return' inside a loop is not supported", "return x")


def test_return_types_must_agree():
    assert_compile_error("def f(x, k: int):\n    if k > 0:\n        return x\n    return 1\n",
                  "a previous return statement returned a value of type Tensor but this return statement returns "
                  "a value of type int", "1")


def test_loops_over_what_cannot_be_iterated():
    assert_compile_error("def f(x, n: int):\n    for v in n:\n        pass\n    return x\n",
                         "cannot iterate over a value of type int", "n")
    assert_compile_error("def f(x, t: Tuple[int, int]):\n    for v in t:\n        break\n    return x\n",
                         "break and continue are not supported in a loop over a tuple", "for v in t:")
    assert_compile_error("def f(x):\n    for i in range(3):\n        pass\n    else:\n        pass\n    return x\n",
                  "'for ... else' is not supported", "pass")


@pytest.mark.parametrize("call, marked, what", [
    ("np.sum(x, axis=1.5)", "1.5", "np.sum() expected a value of type"),
    ("np.sum(x, axes=1)", "1", "np.sum() got an unexpected keyword argument 'axes'"),
    ("np.where(x > 0, x)", "np.where(x > 0, x)", "np.where() is missing its required argument 'y'"),
    ("np.tanh(x, x)", "np.tanh(x, x)", "np.tanh() takes at most 1 positional argument but 2 were given"),
    ("x.sum(0, axis=1)", "1", "got multiple values for argument 'axis'"),
    ("x.reshape('a')", "'a'", "x.reshape() expected a value of type"),
    ("x + 'a'", "x + 'a'", "the '+' operator: expected an array or a number, got str"),
    ("math.exp(x)", "x", "use np.exp on arrays"),
])
def test_bad_arguments(call, marked, what):
    # x: Tensor: unannotated, math.exp(x) would compile per call for a Python number x
    assert_compile_error(f"def f(x: Tensor):\n    return {call}\n", what, marked)


def test_unknown_array_attribute_suggests_one():
    assert_compile_error("def f(x):\n    return x.sun()\n", "the array attribute 'sun'; did you mean 'sum'?", "x.sun")
    assert_compile_error("def f(x):\n    return np.not_a_function(x)\n", "module 'numpy' has no attribute 'not_a_function'",
                  "np.not_a_function")


def test_python_values_that_script_code_cannot_use():
    import numpy as np

    assert_compile_error("def f(x):\n    return x + W\n", "'W' is an array defined outside the function", "W",
                  W=np.ones(3))
    assert_compile_error("def f(x):\n    return x + thing\n", "'thing' is a Python value of type 'object'", "thing",
                  thing=object())


@pytest.mark.parametrize("annotation, marked, what", [
    ("'Foo'", "'Foo'", "unknown type annotation 'Foo'"),
    ("List", "List", "needs its element types"),
    ("Dict[Tensor, int]", "Dict[Tensor, int]", "dict keys must be str, int or float"),
    ("np.float32", "np.float32", "is a NumPy scalar type"),
    ("Tuple[int, str, ...]", "Tuple[int, str, ...]", "written Tuple[T, ...]"),
    ("'not valid('", "'not valid('", "not a valid type expression"),
])
def test_bad_annotations(annotation, marked, what):
    assert_compile_error(f"def f(x: {annotation}):\n    return x\n", what, marked)


def test_bad_type_comments_point_at_the_definition():
    source = "def f(x, y):\n    # type: (int) -> Tensor\n    return x\n"
    assert_compile_error(source, "the type comment gives 1 argument types for 2 parameters", "def f(x, y):")
    assert_compile_error("def f(x):\n    # type: (Foo) -> Tensor\n    return x\n", "unknown type annotation 'Foo'", "def f(x):")


def test_defaults_must_be_literals_of_the_parameter_type():
    assert_compile_error("def f(x, k: int = len('ab')):\n    return x\n", "the default of 'k' must be a literal",
                  "len('ab')")
    assert_compile_error("def f(x, k: int = 1.5):\n    return x\n", "the default 1.5 of 'k' is not a int", "1.5")


def test_return_annotation_is_checked():
    assert_compile_error("def f(x: Tensor) -> int:\n    return x\n", "the return value was annotated as int but is of type Tensor",
                  "x")


def test_conditions_and_unpacking():
    assert_compile_error("def f(x, s: str):\n    if s:\n        pass\n    return x\n", "a condition must be a bool, a "
                         "number or an array, not str", "s")
    assert_compile_error("def f(x):\n    a, b = (1, 2, 3)\n    return x\n", "cannot unpack a tuple of 3 elements into 2 "
                  "targets", "a, b")
    assert_compile_error("def f(x):\n    a, b = 3\n    return x\n", "cannot unpack a value of type int", "a, b")
    assert_compile_error("def f(x, t: Tuple[int, int]):\n    return t[x]\n", "tuples can only be indexed and sliced by int "
                  "literals", "x")


def test_source_must_be_available():
    namespace = {}
    exec("def f(x):\n    return x\n", namespace)  # noqa: S102 - a function with no source file, on purpose
    with pytest.raises(jit.CompilationError, match="cannot read the source of f"):
        jit.script(namespace["f"])
