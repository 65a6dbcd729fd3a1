"""Every failure to load is a jit.SerializationError that names the member being read:
whatever a stage raises on a crafted file (TypeError, AttributeError, ValueError,
SyntaxError, MemoryError, RecursionError...) is converted once, in jit.load, and an
interrupt is never swallowed."""
from __future__ import annotations

import io

import pytest

import jit
from jit.runtime.module import ScriptModule
from jit.serialization import loading

from .test_hostile_names import forward_code, method_entry, type_names
from .test_robustness import archive_bytes, rewritten

RAISED = [TypeError("t"), AttributeError("a"), ValueError("v"), SyntaxError("s"), KeyError("k"), IndexError("i"),
          MemoryError(), RecursionError("r"), UnicodeDecodeError("utf-8", b"\xff", 0, 1, "u"), OverflowError("o")]

# What to make fail, and the member the message must name, given the sample's type names
# (Sequential, Linear, Tanh: the first is read first, the second has the first constants and code)
STAGES = {"parse_type": "the type {0!r}", "decode": "the type {1!r}", "compile_source": "the code of '{1}.forward'",
          "rebuilt": "module 0 ({1})"}


def failing(error):
    def fail(*args, **kwargs):
        raise error
    return fail


def patch(monkeypatch, stage, replacement):
    if stage == "rebuilt":
        monkeypatch.setattr(ScriptModule, "rebuilt", classmethod(lambda cls, *a: replacement()))
    else:
        monkeypatch.setattr(loading, stage, replacement)


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("error", RAISED, ids=lambda e: type(e).__name__)
def test_what_any_stage_raises_becomes_a_serialization_error_naming_the_member(monkeypatch, stage, error):
    data = archive_bytes()
    member = STAGES[stage].format(*type_names(data))
    patch(monkeypatch, stage, failing(error))
    with pytest.raises(jit.SerializationError) as raised:
        jit.load(io.BytesIO(data))
    message = str(raised.value)
    assert message.startswith(f"the file object: {member}: "), message
    expected = {MemoryError: "needs more memory", RecursionError: "nested too deeply"}.get(type(error),
                                                                                          type(error).__name__)
    assert expected in message, message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_an_interrupt_is_never_turned_into_a_serialization_error(monkeypatch, interrupt):
    patch(monkeypatch, "compile_source", failing(interrupt()))
    with pytest.raises(interrupt):
        jit.load(io.BytesIO(archive_bytes()))


def test_a_compile_error_says_the_code_does_not_compile():
    data = archive_bytes()
    tanh = type_names(data)[2]
    broken = rewritten(data, replace={method_entry(data, tanh): forward_code(tanh, "    return nope\n")})
    with pytest.raises(jit.SerializationError, match=rf"the code of '{tanh}.forward': its code does not compile: .*nope"):
        jit.load(io.BytesIO(broken))
