"""Names in annotations resolve as Python resolved them at the def (API.md "Names in
annotations"): a NamedTuple or script class defined inside a function, which is
neither a global nor a closure variable of the function that names it."""
from __future__ import annotations

import importlib.util
import sys
import textwrap

import numpy as np

from ... import helpers
from ...helpers import assert_same, load_module

# A geometry helper in the style of course code: the record type is local to the factory.
_SEGMENTS = """
from typing import NamedTuple, Optional

def make_segment_tools():
    class Segment(NamedTuple):
        start: float
        stop: float

    def length(s: Segment) -> float:
        return s.stop - s.start

    def stop_or_zero(s: Optional[Segment]) -> float:
        if s is None:
            return 0.0
        return s.stop

    return length, stop_or_zero, Segment

def make_box_volume():
    class Box(NamedTuple):
        lo: Tensor
        hi: Tensor

    @jit.script
    def volume(b: Box):
        return np.prod(b.hi - b.lo)

    return volume, Box
"""


def test_a_namedtuple_defined_in_the_enclosing_function_types_a_parameter():
    module = load_module(_SEGMENTS)
    length, stop_or_zero, segment = module.make_segment_tools()
    scripted_length, scripted_stop = module.jit.script(length), module.jit.script(stop_or_zero)
    for s in (segment(1.0, 3.5), segment(-2.0, 0.25)):
        assert_same(scripted_length(s), length(s))
        assert_same(scripted_stop(s), stop_or_zero(s))
    assert_same(scripted_stop(None), stop_or_zero(None))


def test_jit_script_as_a_decorator_inside_a_function():
    module = load_module(_SEGMENTS)
    volume, box = module.make_box_volume()
    b = box(np.zeros(3), np.array([1.0, 2.0, 3.0]))
    assert_same(volume(b), np.prod(b.hi - b.lo))


def test_string_annotations_resolve_through_the_defining_frame():
    """Under ``from __future__ import annotations`` the def keeps only the text; the
    decorator's caller (the frame that ran the def) has the class."""
    path = helpers.SOURCE_DIR / "future_annotations_local_class.py"
    path.write_text(textwrap.dedent("""
        from __future__ import annotations
        from typing import NamedTuple
        import numpy as np
        import jit

        def make():
            class Box(NamedTuple):
                lo: jit.Tensor
                hi: jit.Tensor

            @jit.script
            def volume(b: Box):
                return np.prod(b.hi - b.lo)

            return volume, Box
    """))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    volume, box = module.make()
    b = box(np.zeros(2), np.array([2.0, 5.0]))
    assert_same(volume(b), np.prod(b.hi - b.lo))
