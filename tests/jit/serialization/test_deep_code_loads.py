"""Stored code of any depth or length loads in time and memory linear in its size
(issue 16), or is refused with a SerializationError that says why: never a
RecursionError, a crash in Python's parser or a load that does not finish."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

import jit
from jit.frontend import MAX_NESTING, MAX_SAVED_CODE
from jit.ir import MAX_BLOCK_DEPTH
from jit.runtime import optimization

from ...helpers import assert_same, define
from ..generated_code import archive_with_code, chain, fstring, nested_expression, nested_loop_functions, nested_loops
from .test_robustness import load_error

X = np.linspace(-2.0, 2.0, 5, dtype=np.float32)


def round_tripped(function):
    buffer = io.BytesIO()
    jit.save(function, buffer)
    return jit.load(io.BytesIO(buffer.getvalue()))


def test_forty_nested_loops_load_and_run():
    eager = define("\n\n".join(nested_loop_functions(40)), "f0")
    loaded = jit.load(io.BytesIO(archive_with_code(nested_loops(40, annotated=True))))
    for n in (1, 0, 1, 1):
        assert_same(loaded(X, n), eager(X, n))
    again = round_tripped(loaded)
    assert again.code == loaded.code
    assert_same(again(X, 1), eager(X, 1))


@pytest.mark.no_round_trip  # each round trip would compile the 25,000 fields again
def test_a_fifty_thousand_part_fstring_loads(monkeypatch):
    monkeypatch.setattr(optimization, "verify_each_pass", False)  # 25,000 inputs, verified after each pass: slow
    eager = define(fstring(50_000), "f")
    loaded = jit.load(io.BytesIO(archive_with_code(fstring(50_000, annotated=True))))
    for x in (7, -12, 7):
        assert loaded(x) == eager(x)


def test_long_chains_load_and_run():
    eager = define(chain(1_000), "f")
    loaded = jit.load(io.BytesIO(archive_with_code(chain(1_000, annotated=True))))
    for _ in range(3):  # profiled, then specialized and fused
        assert_same(loaded(X), eager(X))


DEEP_EXPRESSIONS = {
    "parentheses": "(" * 5000 + "x" + " + 1.0)" * 5000,  # CPython's parser refuses 200 nested parentheses
    "unary minus": "-" * 5000 + "x",  # parses, and nests 5000 deep
    "subscripts": "x" + "[0]" * 5000,
    "powers": "x" + " ** x" * 5000,
    "conditionals": "x if x > 0.0 else " * 5000 + "x",
    "sums": "x" + " + x" * 5000,
}


@pytest.mark.parametrize("expression", DEEP_EXPRESSIONS.values(), ids=DEEP_EXPRESSIONS.keys())
def test_deeply_nested_expressions_are_refused(expression):
    message = load_error(archive_with_code(f"def f(x: Tensor) -> Tensor:\n    return {expression}\n"))
    assert "its code does not compile" in message
    assert "nest" in message, message


def test_nesting_up_to_the_limit_loads():
    eager = define(nested_expression(150).replace("(x: Tensor) -> Tensor", "(x)"), "f")
    loaded = jit.load(io.BytesIO(archive_with_code(nested_expression(150))))
    assert_same(loaded(X), eager(X))
    assert MAX_NESTING >= 150


def test_blocks_nested_deeper_than_the_limit_are_refused():
    # Each early return puts the statements after it in a branch: 200 returns nest 200 blocks.
    returns = "".join(f"    if x > {k}:\n        return {k}\n" for k in range(MAX_BLOCK_DEPTH + 10))
    message = load_error(archive_with_code(f"def f(x: int) -> int:\n{returns}    return -1\n"))
    assert f"more than the {MAX_BLOCK_DEPTH} allowed" in message


def test_code_longer_than_the_limit_is_refused_before_parsing():
    message = load_error(archive_with_code(chain(MAX_SAVED_CODE // len("    x = x + 1.0\n") + 1, annotated=True)))
    assert f"saved code may hold at most {MAX_SAVED_CODE}" in message


def test_saving_code_longer_than_the_limit_is_refused(monkeypatch):
    """A file the loader would refuse is never written: jit.save says so."""
    from jit.serialization import saving

    scripted = jit.script(define("import numpy as np\ndef f(x):\n    return x + 1.0\n", "f"))
    monkeypatch.setattr(saving, "MAX_SAVED_CODE", len(scripted.code) - 1)
    with pytest.raises(jit.SerializationError, match="more than the .* a file may hold per function"):
        jit.save(scripted, io.BytesIO())
    monkeypatch.setattr(saving, "MAX_SAVED_CODE", len(scripted.code))
    assert_same(round_tripped(scripted)(X), X + 1.0)


def test_code_beyond_the_total_limit_is_refused_on_save_and_load(monkeypatch):
    """Each function under its own limit, but more code in all than a file may hold."""
    from jit.serialization import loading, saving

    helper = jit.script(define("import numpy as np\ndef g(x):\n    return x * 2.0\n", "g"))
    caller = jit.script(define("import numpy as np\ndef f(x):\n    return g(x) + 1.0\n", "f", g=helper))
    buffer = io.BytesIO()
    jit.save(caller, buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        total = sum(len(archive.read(n).decode("utf-8")) for n in archive.namelist() if n.startswith("code/"))
    with monkeypatch.context() as limited:
        limited.setattr(saving, "MAX_SAVED_CODE_TOTAL", total - 1)
        with pytest.raises(jit.SerializationError, match="characters in all"):
            jit.save(caller, io.BytesIO())
        limited.setattr(loading, "MAX_SAVED_CODE_TOTAL", total - 1)
        assert "characters in all" in load_error(buffer.getvalue())
    monkeypatch.setattr(loading, "MAX_SAVED_CODE_TOTAL", total)
    monkeypatch.setattr(saving, "MAX_SAVED_CODE_TOTAL", total)  # the suite's own save of each call
    assert_same(jit.load(io.BytesIO(buffer.getvalue()))(X), X * 2.0 + 1.0)
