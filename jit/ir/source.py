"""Source locations of nodes, and the excerpt with a ``~~~~ <--- HERE`` marker
that compile errors show."""
from __future__ import annotations


class Source:
    """The text of one compiled function: file name, its lines, where it starts."""

    __slots__ = ("filename", "lines", "first_line", "function_name")

    def __init__(self, filename: str, text: str, first_line: int = 1, function_name: str = "<unknown>"):
        self.filename = filename
        self.lines = text.splitlines()
        self.first_line = first_line
        self.function_name = function_name

    def line(self, number: int) -> str:
        """The text of file line ``number`` (1-based, as in the file)."""
        index = number - self.first_line
        return self.lines[index] if 0 <= index < len(self.lines) else ""


class SourceRange:
    """A span of a Source: file lines and 0-based columns, as Python's ast gives them."""

    __slots__ = ("source", "line", "col", "end_line", "end_col")

    def __init__(self, source: Source, line: int, col: int, end_line: int | None = None, end_col: int | None = None):
        self.source = source
        self.line, self.col = line, col
        self.end_line = line if end_line is None or end_line == line else end_line  # one int object when equal
        self.end_col = end_col

    def __str__(self):
        return f"{self.source.filename}:{self.line}:{self.col}"

    def __repr__(self):
        return f"SourceRange({self})"

    def highlight(self, context: int = 2) -> str:
        """The lines around the span, with ``~`` under it and ``<--- HERE``."""
        source = self.source
        out = [f'  File "{source.filename}", line {self.line}, in {source.function_name}']
        for number in range(max(source.first_line, self.line - context), self.line):
            out.append(source.line(number))
        text = source.line(self.line)
        out.append(text)
        end = self.end_col if self.end_line == self.line and self.end_col is not None else len(text)
        width = max(1, end - self.col)
        out.append(" " * self.col + "~" * width + " <--- HERE")
        following = source.line(self.line + 1)
        if following.strip():
            out.append(following)
        return "\n".join(out)
