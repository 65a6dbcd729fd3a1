"""``str.format`` as script code has it (TorchScript's, not Python's).

Replacement fields are positional only: ``{}`` or ``{0}``, ``{1}``..., with an
optional conversion ``!r`` / ``!s`` and a standard format spec (``:.3f``,
``:>10``, ``:,``, ``:e``, ``:%``, ``:08.2f``, ``:x``...). Python's attribute and
index traversal (``{0.attr}``, ``{0[key]}``), keyword fields and fields nested in
specs are refused: they would let a template reach any object behind a value.
One parser serves the compiler (a constant template is checked when it compiles)
and the run time (a template held in a variable is checked when it runs).
"""
from __future__ import annotations

import functools
import re

from jit import types as T
from jit.errors import Error

# Far beyond what printing numbers needs; keeps one field from asking for gigabytes.
MAX_WIDTH = 1000

_SPEC = re.compile(r"(?:(?P<fill>[^{}])?(?P<align>[<>=^]))?(?P<sign>[-+ ])?z?#?0?(?P<width>[0-9]+)?[,_]?"
                   r"(?:\.(?P<precision>[0-9]+))?[bcdeEfFgGnosxX%]?", re.DOTALL)
_CONVERSIONS = {"r": repr, "s": str}
_BRACE = re.compile("[{}]")


class FormatError(ValueError):
    """A template outside script code's str.format; the message says what and where."""


class Field:
    __slots__ = ("index", "conversion", "spec")

    def __init__(self, index, conversion, spec):
        self.index, self.conversion, self.spec = index, conversion, spec


class Template:
    """A parsed template: literal text and fields, in order; ``needed``: how many
    values it formats (the highest index plus one)."""

    def __init__(self, pieces):
        self.pieces = pieces
        self.needed = max((p.index + 1 for p in pieces if isinstance(p, Field)), default=0)

    def render(self, values) -> str:
        parts = []
        for piece in self.pieces:
            if isinstance(piece, str):
                parts.append(piece)
                continue
            value = values[piece.index]
            if piece.conversion is not None:
                value = _CONVERSIONS[piece.conversion](value)
            parts.append(format(value, piece.spec))
        return "".join(parts)


@functools.lru_cache(maxsize=256)
def parse(template: str) -> Template:
    """The template's pieces; FormatError when it is not one script code formats.
    Each brace is found by a search from the last one: linear in the template."""
    pieces, literal = [], []
    automatic = None  # True: '{}' fields; False: '{0}' fields (Python refuses a mix too)
    fields, position, length = 0, 0, len(template)
    while position < length:
        brace = _BRACE.search(template, position)
        end = brace.start() if brace is not None else length
        literal.append(template[position:end])
        position = end
        if brace is None:
            break
        if template.startswith(("{{", "}}"), position):
            literal.append(brace[0])
            position += 2
            continue
        if brace[0] == "}":
            raise FormatError(f"a single '}}' at position {position} of the format string; write '}}}}' for a "
                              "literal brace")
        closing = _BRACE.search(template, position + 1)
        if closing is None:
            raise FormatError(f"the replacement field at position {position} of the format string is not closed "
                              "by '}'")
        if closing[0] == "{":
            raise FormatError(f"the replacement field at position {position} has a field nested in it; script "
                              "code's format specs are literal (write the width or precision as a number)")
        field, manual = _field(template[position + 1:closing.start()], position, fields)
        if automatic is None:
            automatic = not manual
        elif automatic == manual:
            raise FormatError("the format string mixes automatic ('{}') and numbered ('{0}') fields")
        if any(literal):
            pieces.append("".join(literal))
        literal = []
        pieces.append(field)
        fields += 1
        position = closing.start() + 1
    if any(literal):
        pieces.append("".join(literal))
    return Template(pieces)


def _field(body, position, automatic_index):
    """(Field, whether it is numbered) of the text between the braces; an automatic
    field ('{}') is the value at ``automatic_index``."""
    name, conversion, spec = body, None, ""
    colon = body.find(":")
    if colon >= 0:
        name, spec = body[:colon], body[colon + 1:]
    bang = name.find("!")
    if bang >= 0:
        name, conversion = name[:bang], name[bang + 1:]
        if conversion not in _CONVERSIONS:
            raise FormatError(f"the replacement field at position {position} has the conversion '!{conversion}'; "
                              "script code supports '!r' and '!s'")
    if name and not (name.isascii() and name.isdigit()):
        if any(c in name for c in ".["):
            raise FormatError(f"the replacement field '{{{body}}}' reads an attribute or an item of its value; "
                              "script code formats positional values only ('{}' or '{0}'): compute the value "
                              "first and pass it")
        raise FormatError(f"the replacement field '{{{body}}}' is not positional; script code formats "
                          "positional values only ('{}' or '{0}'), not keyword fields")
    match = _SPEC.fullmatch(spec)
    if match is None:
        raise FormatError(f"the format spec '{spec}' of the field at position {position} is not a standard one "
                          "([[fill]align][sign][z][#][0][width][,|_][.precision][type])")
    for part in ("width", "precision"):
        if match[part] is not None and int(match[part]) > MAX_WIDTH:
            raise FormatError(f"the {part} {match[part]} in the format spec '{spec}' is over {MAX_WIDTH}")
    return Field(int(name) if name else automatic_index, conversion, spec), bool(name)


# A value of each type whose formatting rules are fixed, to try a spec on at compile time.
_SAMPLES = {T.INT: 0, T.FLOAT: 0.0, T.BOOL: False, T.STR: "", T.NONE: None}


def check(template: str, value_types) -> None:
    """Raise FormatError unless ``template`` formats values of these static types:
    enough values, and each spec one that Python accepts for its value's type."""
    parsed = parse(template)
    if parsed.needed > len(value_types):
        raise FormatError(f"the format string formats {parsed.needed} value{'s' if parsed.needed != 1 else ''} but "
                          f"{len(value_types)} {'were' if len(value_types) != 1 else 'was'} given")
    for piece in parsed.pieces:
        if isinstance(piece, str) or not piece.spec:
            continue
        kind = T.STR if piece.conversion is not None else value_types[piece.index]
        if isinstance(kind, (T.ListType, T.TupleType, T.DictType)):
            raise FormatError(f"a {kind.annotation_str()} cannot be formatted with the spec '{piece.spec}'; format "
                              "its elements, or convert it with '!s' first")
        if kind in _SAMPLES:
            try:
                format(_SAMPLES[kind], piece.spec)
            except (ValueError, TypeError) as error:
                raise FormatError(f"the spec '{piece.spec}' does not apply to a {kind.annotation_str()} "
                                  f"({error})") from None


def format_values(template: str, *values) -> str:
    """What ``template.format(*values)`` gives in script code; a template or spec
    outside the language raises jit.Error when it runs."""
    try:
        parsed = parse(template)
        if parsed.needed > len(values):
            raise FormatError(f"the format string formats {parsed.needed} values but {len(values)} were given")
        return parsed.render(values)
    except FormatError as error:
        raise Error(f"ValueError: str.format: {error}") from None
    except (ValueError, TypeError, OverflowError) as error:  # a spec the value does not take ('{:c}' of -1)
        raise Error(f"{type(error).__name__}: str.format: {error}") from None
