"""Long f-strings, cut into runs of short ones before the source is parsed.

CPython before 3.12 locates each field of an f-string (for its line and column) by
scanning the f-string from its start, so one f-string of n fields parses in time
n squared: 100,000 fields take minutes. Adjacent f-strings are one to the parser
(``f'{a}' f'{b}'`` is ``f'{a}{b}'``), so cutting a long one after every
FIELDS_PER_PIECE-th field, outside any field, gives the same tree in linear time.
Columns further along that line move by the few characters each cut adds.
"""
from __future__ import annotations

import io
import re
import sys
import tokenize

FIELDS_PER_PIECE = 64
_SHORT = 4096  # characters: f-strings (and whole sources) shorter than this parse fast enough as they are
_FSTRING_START = re.compile(r"(?i:fr|rf|f)['\"]")
_NESTED_SPECS = 2  # CPython nests format specs no deeper ('{x:{w:{p}}}' is refused)


def cut_long_fstrings(text: str) -> str:
    """``text`` with each long f-string literal written as adjacent shorter ones."""
    if sys.version_info >= (3, 12) or len(text) < _SHORT or not _FSTRING_START.search(text):
        return text  # 3.12 parses f-strings anew (PEP 701), and its tokenize module is slow on them
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                  if t.type == tokenize.STRING and len(t.string) >= _SHORT]
    except (tokenize.TokenError, SyntaxError):  # the parser will say what is wrong
        return text
    if not tokens:
        return text
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]  # as StringIO.readline splits lines
    pieces, done = [], 0
    for token in tokens:
        replacement = _cut(token.string)
        if replacement is None:
            continue
        start = line_starts[token.start[0] - 1] + token.start[1]
        end = line_starts[token.end[0] - 1] + token.end[1]
        pieces += [text[done:start], replacement]
        done = end
    return "".join(pieces + [text[done:]])


def _cut(literal: str) -> str | None:
    """The string literal ``literal`` as adjacent f-strings of at most FIELDS_PER_PIECE
    fields each; None when it is no f-string, needs no cut, or is not understood."""
    opening = next(i for i, char in enumerate(literal) if char in "'\"")
    prefix = literal[:opening]
    if "f" not in prefix.lower():
        return None
    quote = literal[opening:opening + 3] if literal[opening:opening + 3] in ("'''", '"""') else literal[opening]
    body = literal[opening + len(quote):len(literal) - len(quote)]
    raw = "r" in prefix.lower()
    cuts, fields, i, n = [0], 0, 0, len(body)
    while i < n:
        char = body[i]
        if char == "\\" and not raw and i + 1 < n:  # as CPython reads it: a brace after a backslash still counts
            i += 1
            char = body[i]
            if char == "N" and body.startswith("{", i + 1):  # \N{NAME}: not a field
                close = body.find("}", i + 2)
                if close < 0:
                    return None
                i = close + 1
                continue
            if char not in "{}":
                i += 1
                continue
        if char in "{}" and body.startswith(char, i + 1):  # {{ or }}: a brace
            i += 2
            continue
        if char == "}":
            return None  # a single '}': the parser's error to report
        if char == "{":
            i = _field_end(body, i + 1, 0)
            if i is None:
                return None
            fields += 1
            if fields % FIELDS_PER_PIECE == 0 and i < n:
                cuts.append(i)
            continue
        i += 1
    if len(cuts) == 1:
        return None
    cuts.append(n)
    return " ".join(f"{prefix}{quote}{body[a:b]}{quote}" for a, b in zip(cuts, cuts[1:]))


def _field_end(body: str, i: int, level: int) -> int | None:
    """Where the field whose expression starts at ``i`` ends (just after its '}')."""
    depth, n = 0, len(body)
    while i < n:
        char = body[i]
        if char in "'\"":  # a string in the expression: no backslashes there, nor the f-string's own quote
            quote = char * 3 if body.startswith(char * 3, i) else char
            close = body.find(quote, i + len(quote))
            if close < 0:
                return None
            i = close + len(quote)
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                return i + 1 if char == "}" else None
            depth -= 1
        elif depth == 0 and char == "!" and not body.startswith("=", i + 1):  # a conversion: !r, !s, !a
            i += 2
            continue
        elif depth == 0 and char == ":":
            return _spec_end(body, i + 1, level)
        elif char in "\\#":
            return None
        i += 1
    return None


def _spec_end(body: str, i: int, level: int) -> int | None:
    """Where the field whose format spec starts at ``i`` ends (just after its '}')."""
    if level >= _NESTED_SPECS:
        return None
    n = len(body)
    while i < n:
        char = body[i]
        if char == "{":
            i = _field_end(body, i + 1, level + 1)
            if i is None:
                return None
            continue
        if char == "}":
            return i + 1
        if char == "\\":
            return None
        i += 1
    return None
