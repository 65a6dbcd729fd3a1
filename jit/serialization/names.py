"""The names a file gives to things, checked before any is used.

A name from a manifest becomes a Python class name, a key of an object's
``__dict__``, a name the stored code is compiled against, and (for attributes) an
``obj.name`` in generated source. Each is checked here on load: a Python identifier
that normalization leaves as it is, no keyword, no dunder (except where script code
defines them: a class's ``__init__``...), none of the names the runtime keeps for
itself, and unique where it must be. Registry entries (parameters, buffers,
submodules) only ever reach generated code as ``_modules['name']`` literals, so
they follow nn.Module's own rule instead: any non-empty text without a dot.
"""
from __future__ import annotations

import builtins
import functools
import keyword
import unicodedata

from jit.errors import SerializationError
from jit.ir.code_printer import CONSTANTS_NAME, PRINTED_GLOBALS
from jit.runtime.codegen import is_safe_identifier
from jit.runtime.module import ScriptModule

MAX_NAME_LENGTH = 256

# What a ScriptModule keeps in its own __dict__ besides its attributes and constants
# (Module.__init__, ScriptModule._fill, nn.Module.__setattr__, a trace's training mode).
MODULE_INTERNALS = frozenset({"_parameters", "_buffers", "_modules", "_non_persistent_buffers", "_attribute_types",
                              "_type", "_original_name", "_traced_training"})

# Names printed code and the saved-mode compiler give a meaning: a type cannot take them.
TYPE_RESERVED = frozenset(PRINTED_GLOBALS) | frozenset(dir(builtins)) | {CONSTANTS_NAME}


def is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _problem(name, dunder_allowed: bool, reserved) -> str | None:
    if not isinstance(name, str):
        return "is not a string"
    if len(name) > MAX_NAME_LENGTH:
        return f"is longer than {MAX_NAME_LENGTH} characters"
    if not name.isidentifier():
        return "is not a Python identifier"
    if keyword.iskeyword(name):
        return "is a Python keyword"
    if unicodedata.normalize("NFKC", name) != name:
        return f"is not in normal form (Python reads it as {unicodedata.normalize('NFKC', name)!r})"
    if is_dunder(name) and not dunder_allowed:
        return "is a dunder name, which saved code cannot define"
    if name in reserved:
        return "is reserved by the runtime"
    if not is_dunder(name) and not is_safe_identifier(name):  # the code generator's rule, which the above implies
        return "is not a name the code generator accepts"
    return None


def check_name(name, what: str, where: str, *, reserved=frozenset(), dunder_allowed: bool = False) -> str:
    """``name`` when it may name ``what`` (a type, an attribute...); else a
    SerializationError saying what is wrong with it, at ``where``."""
    problem = _problem(name, dunder_allowed, reserved)
    if problem is not None:
        raise SerializationError(f"{where}: the {what} name {shown(name)} {problem}")
    return name


def check_registry_key(name, what: str, where: str) -> str:
    """``name`` when it may name a parameter, buffer or submodule (nn.Module's rule)."""
    if not isinstance(name, str) or not name or "." in name or len(name) > MAX_NAME_LENGTH:
        raise SerializationError(f"{where}: the {what} name {shown(name)} is not a non-empty name without '.' "
                                 f"of at most {MAX_NAME_LENGTH} characters")
    return name


def check_unique(names, what: str, where: str):
    seen = set()
    for name in names:
        if name in seen:
            raise SerializationError(f"{where}: the {what} {shown(name)} appears twice")
        seen.add(name)


def escaped(text: str) -> str:
    """Text from a file, fit for a terminal: every character that is not printable
    (control characters, escape sequences, line and bidi controls) spelled as repr spells it."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def shown(name) -> str:
    """A name from a file, fit for a message: quoted and escaped, and not too long."""
    text = repr(name)
    return text if len(text) <= 80 else text[:77] + "..."


@functools.cache
def module_member_reserved() -> frozenset:
    """Names a module's plain attributes and constants cannot take: they are stored in
    the ScriptModule's ``__dict__``, beside the runtime's own entries, and would hide
    its methods and properties (``forward``, ``parameters``, ``code``...)."""
    return MODULE_INTERNALS | {name for name in dir(ScriptModule) if not is_dunder(name)}
