"""str.format and f-strings are TorchScript's: positional fields with standard
specs, formatted as Python formats them, and no attribute or index traversal;
no attribute named __...__ is read or written anywhere in script code."""
from __future__ import annotations

import numpy as np
import pytest

import device
import jit
from jit.ops import string_format

from ...helpers import assert_same, define, script_source
from .test_errors import assert_compile_error

VALUES = [(1.23456, 255, "hi"), (-0.0001, -3, ""), (1e20, 0, "ünï"), (-0.0, 65, "a b")]

# Fields over (a: float, b: int, s: str), with the specs NumPy users print numbers with.
TEMPLATES = [
    "{0:.3f}", "{1:>10}", "{1:,}", "{0:e}", "{0:%}", "{0:08.2f}", "{1:x}", "{1:#o}", "{1:+d}", "{1:_b}",
    "{2!r}", "{2!s:^9}", "{2:*<7}", "{0:.2g}", "{0:E}", "{0:-^14.1%}", "{0:z.1f}", "{2:.2}",
    "{0:,.2f}", "{0!r:>20}", "{0} and {1} and {2}", "{}|{}|{}", "{{literal}} {0} }}{{", "{2}{2}{0}", "",
    "no fields at all", "{0:10.4f}|{1:<5d}|{2:>3}", "{:.3f} {:5} {!r}", "{1:=+8}", "{0: .3e}",
]


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_constant_template_formats_as_python_does(template):
    scripted, eager = script_source(f"""
    def f(a: float, b: int, s: str):
        return {template!r}.format(a, b, s)
    """)
    for a, b, s in VALUES:
        assert_same(scripted(a, b, s), eager(a, b, s))


def test_a_template_held_in_a_variable_formats_as_python_does():
    scripted, eager = script_source("""
    def f(template: str, a: float, b: int, s: str):
        return template.format(a, b, s)
    """)
    for template in TEMPLATES:
        for a, b, s in VALUES:
            assert_same(scripted(template, a, b, s), eager(template, a, b, s))


def test_f_strings_format_as_python_does():
    scripted, eager = script_source("""
    def f(a: float, b: int, s: str, x):
        return f'{a:.3f} {b!r} {s=} {a * 2:>8.1f} {{x}} {b:#x} {s!s:>5} {x} {x.sum():.2f} {b:,}'
    """)
    x = np.arange(6.0).reshape(2, 3)
    for a, b, s in VALUES:
        assert_same(scripted(a, b, s, x), eager(a, b, s, x))


def test_arrays_and_containers_format_as_python_does():
    scripted, eager = script_source("""
    def f(x, n: int):
        items = [n, n + 1]
        return '{} | {!r} | {:.3f} | {} | {}'.format(x, x, x.mean(), items, (n, 'k'))
    """)
    assert_same(scripted(np.linspace(0.0, 1.0, 5), 3), eager(np.linspace(0.0, 1.0, 5), 3))


def test_format_code_prints_as_a_positional_format_call():
    scripted, _ = script_source("""
    def f(a: float, b: int):
        return f'{a:.3f} {{}} {b!r:>4}'
    """)
    assert "'{:.3f} {{}} {!r:>4}'.format(a, b)" in scripted.code  # the conftest recompiles it too


# (template, a fragment of the parser's message) for templates script code refuses.
REFUSED = [
    ("{0.real}", "reads an attribute or an item of its value"),
    ("{0[0]}", "reads an attribute or an item of its value"),
    ("{0.__class__.__init__.__globals__}", "reads an attribute or an item of its value"),
    ("{name}", "is not positional"),
    ("{:{}}", "has a field nested in it"),
    ("{!a}", "the conversion '!a'"),
    ("{:q}", "is not a standard one"),
    ("{} {} {} {}", "formats 4 values but 3 were given"),
    ("{0} {}", "mixes automatic ('{}') and numbered ('{0}') fields"),
    ("a } b", "a single '}' at position 2"),
    ("a { b", "is not closed by '}'"),
    ("{:2000}", "the width 2000 in the format spec '2000' is over"),
]


@pytest.mark.parametrize("template, message", REFUSED)
def test_refused_templates_are_compile_errors_at_the_format_call(template, message):
    call = f"{template!r}.format(a, b, s)"
    assert_compile_error(f"""
    def f(a: float, b: int, s: str):
        return {call}
    """, message, call)


@pytest.mark.parametrize("template, message", REFUSED)
def test_refused_templates_in_variables_raise_jit_error_from_the_same_parser(template, message):
    scripted, eager = script_source("""
    def f(template: str, a: float, b: int, s: str):
        return template.format(a, b, s)
    """)
    with pytest.raises(string_format.FormatError) as parsed:
        string_format.check(template, [jit.types.FLOAT, jit.types.INT, jit.types.STR])
    with pytest.raises(jit.Error) as raised:
        scripted(template, 1.5, 2, "s")
    assert message in str(parsed.value) and str(parsed.value) in str(raised.value)


def test_a_traversing_template_returns_nothing_of_what_it_names(monkeypatch):
    monkeypatch.setenv("ARRAYSCRIPT_SECRET", "s3cr3t-value")
    scripted, eager = script_source("""
    def f(template: str, d: float) -> str:
        return template.format(d)
    """)
    template = "{0.__class__.__init__.__globals__[re].enum.sys.modules[os].environ}"
    assert "s3cr3t-value" in eager(template, device.Device("cpu"))  # Python's str.format walks it
    with pytest.raises(jit.Error) as raised:
        scripted(template, 1.0)
    assert "s3cr3t-value" not in str(raised.value)


def test_specs_that_do_not_fit_the_value_type_are_compile_errors():
    assert_compile_error("""
    def f(a: float):
        return '{:d}'.format(a)
    """, "the spec 'd' does not apply to a float", "'{:d}'.format(a)")
    assert_compile_error("""
    def f(s: str):
        return f'{s:,}'
    """, "the spec ',' does not apply to a str", "f'{s:,}'")
    assert_compile_error("""
    def f(n: int):
        return '{:>4}'.format([n])
    """, "a List[int] cannot be formatted with the spec '>4'", "'{:>4}'.format([n])")
    assert_compile_error("""
    def f(a: float):
        return '{}'.format(a, name=a)
    """, "str.format() takes no keyword arguments", "'{}'.format(a, name=a)")


def test_an_f_string_spec_with_a_field_in_it_is_a_compile_error():
    assert_compile_error("""
    def f(a: float, n: int):
        return f'{a:{n}}'
    """, "f-string format specs must be constant", "f'{a:{n}}'")


def test_a_spec_the_value_refuses_at_run_time_is_a_jit_error():
    scripted, eager = script_source("""
    def f(x, spec: str):
        return ('{:' + spec + '}').format(x)
    """)
    with pytest.raises(TypeError):
        eager(np.ones(3), ".2f")  # NumPy formats only 0-d arrays with a spec
    with pytest.raises(jit.Error, match="TypeError: str.format"):
        scripted(np.ones(3), ".2f")
    assert_same(scripted(np.float64(2.5), ".2f"), eager(np.float64(2.5), ".2f"))
    scripted, eager = script_source("""
    def f(n: int):
        return '{:c}'.format(n)
    """)
    assert_same(scripted(66), eager(66))
    with pytest.raises(OverflowError):
        eager(-1)
    with pytest.raises(jit.Error, match="OverflowError: str.format"):
        scripted(-1)


def test_percent_formatting_looks_keys_up_and_traverses_nothing():
    scripted, eager = script_source("""
    def f(a: float, b: int, s: str):
        named = {'x': s, '__class__': 'a key', 'a.b': 'dotted'}
        return '%(x)s %(__class__)s %(a.b)s' % named + ' %.2f|%5d|%r|%s' % (a, b, s, b)
    """)
    for a, b, s in VALUES:
        assert_same(scripted(a, b, s), eager(a, b, s))


# -- dunder attributes ---------------------------------------------------------------------------
@pytest.mark.parametrize("expression, marked", [
    ("x.__class__", "x.__class__"),
    ("x.T.__array_interface__", "x.T.__array_interface__"),
    ("(1).__class__", "(1).__class__"),
    ("x.dtype.__class__", "x.dtype.__class__"),
    ("np.__loader__", "np.__loader__"),
    ("np.__file__", "np.__file__"),
    ("math.__name__", "math.__name__"),
    ("device.__builtins__", "device.__builtins__"),
    ("helper.__globals__", "helper.__globals__"),
    ("np.float32.__call__(1)", "np.float32.__call__"),
    ("device.Device('cpu').__class__", "device.Device('cpu').__class__"),
    ("len.__self__", "len.__self__"),
    ("x.sum().__class__.__name__", "x.sum().__class__"),
])
def test_dunder_attributes_are_compile_errors(expression, marked):
    def helper(y):
        return y

    assert_compile_error(f"""
    def f(x):
        return {expression}
    """, "script code cannot use the attribute '__", marked, helper=helper, device=device)


def test_dunder_names_are_compile_errors():
    for name in ("__name__", "__builtins__", "__import__", "__file__"):
        assert_compile_error(f"""
        def f(x):
            return {name}
        """, f"script code cannot use the Python name '{name}'", name)


@jit.script
class Counter:
    def __init__(self, start: int):
        self.count = start

    def __len__(self) -> int:
        return self.count

    def __add__(self, other: int) -> int:
        return self.count + other

    def __getitem__(self, index: int) -> int:
        return self.count * index

    def bump(self) -> int:
        self.count += 1
        return self.count


def test_script_classes_define_dunder_methods_but_script_code_never_reads_them():
    scripted, eager = script_source("""
    def f(n: int):
        counter = Counter(n)
        return counter.bump() + counter.count
    """, Counter=Counter)
    assert_same(scripted(3), eager(3))
    assert len(Counter(4)) == 4 and Counter(4) + 1 == 5 and Counter(4)[2] == 8  # eager objects keep them
    for expression in ("counter.__len__()", "counter.__dict__", "counter.__add__(1)", "counter.__init__(2)"):
        assert_compile_error(f"""
        def f(n: int):
            counter = Counter(n)
            return {expression}
        """, "script code cannot use the attribute '__", expression.split("(")[0], Counter=Counter)


def test_writing_a_dunder_attribute_is_a_compile_error():
    assert_compile_error("""
    def f(n: int):
        counter = Counter(n)
        counter.__dict__ = {}
        return n
    """, "script code cannot use the attribute '__dict__'", "counter.__dict__", Counter=Counter)
    assert_compile_error("""
    def f(n: int):
        counter = Counter(n)
        counter.__class__ += 1
        return n
    """, "script code cannot use the attribute '__class__'", "counter.__class__", Counter=Counter)


def test_dunder_attributes_in_module_methods_and_annotations_are_compile_errors():
    class Model(jit.nn.Module):
        def forward(self, x):
            return self.__dict__

    with pytest.raises(jit.CompilationError, match="script code cannot use the attribute '__dict__'"):
        jit.script(Model())
    function = define("""
    def f(x: np.__dict__):
        return x
    """, "f")
    with pytest.raises(jit.CompilationError, match="attributes that start and end with '__'"):
        jit.script(function)
    function = define("""
    def f(x):
        # type: (np.__dict__) -> Tensor
        return x
    """, "f")
    with pytest.raises(jit.CompilationError, match="attributes that start and end with '__'"):
        jit.script(function)


def test_operators_python_maps_to_dunders_still_work():
    scripted, eager = script_source("""
    def f(x, n: int):
        items = [n, n * 2]
        table = {'k': n}
        return x + x, len(x), x[0], items[1], len(items), 'k' in table, table['k'], -x, x @ x.T, n % 3
    """)
    x = np.arange(6.0).reshape(2, 3)
    assert_same(scripted(x, 5), eager(x, 5))
