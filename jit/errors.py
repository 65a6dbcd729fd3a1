"""The errors of the contract. All but the warning are RuntimeErrors."""
from __future__ import annotations


class CompilationError(RuntimeError):
    """Script source outside the language, or a type error in it. The message names
    the construct and shows the source line with a ``~~~~ <--- HERE`` marker."""

    def __init__(self, message: str, source_range=None):
        self.message = message
        self.source_range = source_range
        text = message if source_range is None else f"{message}:\n{source_range.highlight()}"
        super().__init__(text)

    def called_from(self, context: str, source_range) -> "CompilationError":
        """This error, with the call that led to compiling the function it is in."""
        chained = CompilationError(self.message, self.source_range)
        chained.args = (f"{self.args[0]}\n{context}:\n{source_range.highlight()}",)
        return chained


class Error(RuntimeError):
    """Raised at run time by a ``raise`` statement inside script code."""


class TracingError(CompilationError):
    """Something ``jit.trace`` cannot record (Python control flow on array values,
    an operation outside the registry, an input or output it cannot follow); the
    message shows the user's line with a ``~~~~ <--- HERE`` marker."""


class TracingCheckError(RuntimeError):
    """A traced function's graph or outputs differed when the trace was checked."""


class TracerWarning(Warning):
    """Something the tracer recorded may not generalize to other inputs."""


class StrictFusionError(RuntimeError):
    """A ``with jit.strict_fusion():`` block left nodes unfused."""


class SerializationError(RuntimeError):
    """A saved file is damaged, truncated, foreign, or from a newer version."""
