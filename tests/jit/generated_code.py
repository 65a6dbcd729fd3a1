"""Source text of the shapes whose compile time and memory must stay linear in the
code's size (issue 16): deeply nested loops, long f-strings, long chains of
statements and deeply nested expressions; and archives whose stored code holds
them, as a crafted file would. Shared by the tests and bench/bench_compile_scaling.py."""
from __future__ import annotations

import jit

from .serialization.test_robustness import archive_bytes, rewritten

# CPython compiles at most 20 nested loops in one function: deeper nests of Python
# source are built from functions that call the next one in their innermost loop.
PYTHON_NESTED_LOOPS = 20


def nested_loops(depth: int, name: str = "f", callee: str | None = None, annotated: bool = False) -> str:
    """``name(x, n)``: ``depth`` nested ``for`` loops of ``n`` trips carrying ``y``;
    the innermost calls ``callee(y, n)`` when given, else updates ``y``."""
    header = f"def {name}(x: Tensor, n: int) -> Tensor:" if annotated else f"def {name}(x, n: int):"
    lines = [header, "    y = x"]
    for level in range(depth):
        lines.append("    " * (level + 1) + f"for i{level} in range(n):")
    inner = "    " * (depth + 1)
    lines.append(inner + (f"y = {callee}(y, n)" if callee else "y = y * 0.5 + 1.0"))
    lines.append("    return y")
    return "\n".join(lines) + "\n"


def nested_loop_functions(depth: int, scripted_callees: bool = False) -> list[str]:
    """Python source of ``f0`` (called as the function) and the functions it calls,
    together ``depth`` loops deep, each at most PYTHON_NESTED_LOOPS deep; callees
    decorated with ``@jit.script`` when ``scripted_callees`` (script code calls plain
    Python functions through the interpreter)."""
    sources, remaining, index = [], depth, 0
    while True:
        own = min(remaining, PYTHON_NESTED_LOOPS)
        remaining -= own
        callee = f"f{index + 1}" if remaining else None
        decorator = "@jit.script\n" if scripted_callees and index else ""
        sources.append(decorator + nested_loops(own, f"f{index}", callee))
        if callee is None:
            return sources
        index += 1


def fstring(parts: int, annotated: bool = False) -> str:
    """``f(x: int)`` returning an f-string of ``parts`` parts: fields ``{x}`` and literals in turn."""
    body = "".join("{x}" if i % 2 == 0 else "a" for i in range(parts))
    return f"def f(x: int){' -> str' if annotated else ''}:\n    return f'{body}'\n"


def chain(statements: int, annotated: bool = False) -> str:
    """``f(x)``: ``statements`` statements ``x = x + 1.0``."""
    header = "def f(x: Tensor) -> Tensor:" if annotated else "def f(x):"
    return header + "\n" + "    x = x + 1.0\n" * statements + "    return x\n"


def dict_literal(items: int, annotated: bool = False) -> str:
    """``f(x)``: ``x`` plus the length of a ``{0: 1.0, 1: 1.0, ...}`` literal of ``items`` entries (one
    node with ``2 * items`` inputs)."""
    header = "def f(x: Tensor) -> Tensor:" if annotated else "def f(x):"
    entries = ", ".join(f"{i}: 1.0" for i in range(items))
    return f"{header}\n    d = {{{entries}}}\n    return x + float(len(d))\n"


def nested_expression(depth: int) -> str:
    """``f(x: Tensor)`` returning ``((x + 1.0) + 1.0)...`` parenthesized ``depth`` deep."""
    return "def f(x: Tensor) -> Tensor:\n    return " + "(" * depth + "x" + " + 1.0)" * depth + "\n"


def archive_with_code(text: str) -> bytes:
    """A saved function whose code entry holds ``text`` (which must define ``f``), as
    a crafted file would: the manifest is that of a function ``f``."""
    return rewritten(archive_bytes(jit.script(f)), replace={"code/functions/f.py": text})


def f(x):
    """The function whose archive ``archive_with_code`` rewrites."""
    return x
