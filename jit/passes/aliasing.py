"""Whether an array value can be seen outside the ops that read it: the question
the rewrites that forward or merge values ask. It is part of the one alias
analysis, ``jit.ir.alias_analysis``; this name stays for the passes that import it."""
from __future__ import annotations

from jit.ir.alias_analysis import escapes

__all__ = ["escapes"]
