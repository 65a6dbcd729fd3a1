"""Source of any depth or length compiles in time linear in its size, or gives a
CompilationError that says what nests too deeply (issue 16)."""
from __future__ import annotations

import ast
import sys

import numpy as np
import pytest

from jit.errors import CompilationError
from jit.frontend import MAX_NESTING, code_namespace, compile_source
from jit.frontend.fstring_pieces import FIELDS_PER_PIECE, cut_long_fstrings
from jit.frontend.transforms import MAX_COPIED_STATEMENTS

from ...helpers import assert_matches_eager, script_source
from ..generated_code import nested_expression

CUTS_FSTRINGS = sys.version_info < (3, 12)  # later versions parse f-strings another way (PEP 701)


LONG_FSTRINGS = {  # prefix and opening quote, a part with its number of fields, closing quote
    "plain": ("f'", "{x}a", 1, "'"),
    "raw, nested spec": ('rf"', "{x!r:>{w}}-\\d", 1, '"'),
    "triple, nested string, braces": ("F'''", "{d['k']}{{}}\n", 1, "'''"),
    "named escapes": ('f"', "\\N{EM DASH}{x:.3f}\\\\", 1, '"'),
    "debug fields": ("fR'", "{x=}\\n{{", 1, "'"),
    "braces in strings, nested fields": ('f"""', "{'}'}{x:{w}.{p}}\"z", 2, '"""'),
}


@pytest.mark.parametrize("opening, part, fields, closing", LONG_FSTRINGS.values(), ids=LONG_FSTRINGS.keys())
def test_long_fstrings_are_cut_into_pieces_that_parse_to_the_same_tree(opening, part, fields, closing):
    text = opening + part * 2000 + closing
    cut = cut_long_fstrings(text)
    assert ast.dump(ast.parse(cut, mode="eval")) == ast.dump(ast.parse(text, mode="eval"))
    expected = -(-2000 * fields // FIELDS_PER_PIECE) if CUTS_FSTRINGS else 1
    assert cut.count(closing + " " + opening) + 1 == expected


def test_strings_the_cutter_does_not_read_are_left_whole():
    for text in ["'" + "{x}" * 3000 + "'", "f'" + "{x}" * 3000 + "}'", "f'}" + "{x}" * 3000 + "'"]:
        assert cut_long_fstrings(text) == text  # not an f-string, or a stray '}': the parser's error to report


def test_a_long_fstring_formats_as_in_python():
    scripted = assert_matches_eager("def f(x: int, y: float):\n    return f'" + "{x}:{y:.2f}|{x!r:>5}" * 1000 + "'\n",
                                    (7, 2.5), (-3, 1e10))
    assert scripted.graph.outputs[0].node.kind == "prim::format"


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 5000])
def test_expressions_nested_too_deeply_give_a_compilation_error(depth):
    with pytest.raises(CompilationError, match="nest"):  # CPython's parser refuses 200 parentheses
        compile_source(nested_expression(depth), "f", code_namespace())
    with pytest.raises(CompilationError, match="nests"):
        compile_source("def f(x: Tensor) -> Tensor:\n    return " + "-" * depth + "x\n", "f", code_namespace())


def test_a_sum_of_more_terms_than_the_limit_gives_a_compilation_error():
    source = "def f(x):\n    return x" + " + x" * (MAX_NESTING + 1) + "\n"
    with pytest.raises(CompilationError, match=f"more than {MAX_NESTING} levels deep"):
        script_source(source)


def test_nesting_within_the_limit_compiles():
    assert_matches_eager(nested_expression(MAX_NESTING // 2).replace("(x: Tensor) -> Tensor", "(x)"),
                         (np.arange(3.0),))


def test_exits_that_would_copy_too_many_statements_are_refused():
    # Each exit in a branch that may go on copies what follows into both branches: 2^k copies.
    levels = 20
    body = "".join(f"        if y.sum() > {k}.0:\n            if y.sum() > {k + 1}.0:\n                continue\n"
                   "        y = y + 1.0\n" for k in range(levels))
    loop = f"def f(x: Tensor, n: int) -> Tensor:\n    y = x\n    for i in range(n):\n{body}    return y\n"
    with pytest.raises(CompilationError, match=f"more than {MAX_COPIED_STATEMENTS} statements"):
        compile_source(loop, "f", code_namespace())
    body = "".join(f"    if x > {k}:\n        if x > {k + 1}:\n            return {k}\n    x = x + 1\n"
                   for k in range(levels))
    with pytest.raises(CompilationError, match=f"more than {MAX_COPIED_STATEMENTS} statements"):
        compile_source(f"def f(x: int) -> int:\n{body}    return x\n", "f", code_namespace())


def test_a_few_such_exits_compile():
    body = "".join(f"        if y.sum() > {k}.0:\n            if y.sum() > {k + 1}.0:\n                continue\n"
                   "        y = y + 1.0\n" for k in range(4))
    assert_matches_eager(f"def f(x, n: int):\n    y = x\n    for i in range(n):\n{body}    return y\n",
                         (np.arange(3.0) - 4.0, 3), (np.arange(3.0), 2))
