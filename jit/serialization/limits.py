"""What one ``jit.load`` may hold in memory: a budget of bytes, by default a small
multiple of the file's size, charged *before* the manifest is parsed and before
any storage is read, so that a small file cannot declare gigabytes.

The manifest's cost is estimated from its text without parsing it (JSON objects
are much larger in memory than in text: a million ``[]`` take 3 MB as text and
64 MB as lists), counting containers, items, keys and strings at what CPython
spends on each. Decoding attribute values builds containers again: each is
charged as it is built (``charge_decoded``).
"""
from __future__ import annotations

import json
import re

from jit.errors import SerializationError

LOAD_MEMORY_FACTOR = 16       # a load may hold this many times the file's size...
LOAD_MEMORY_SLACK = 1 << 20   # ...plus this, so that small files need no arithmetic
# CPython's cost of one parsed JSON element, in bytes (an empty list is 56, a pointer 8, an int 28, a dict
# entry with its share of the table ~80 while the dict grows).
_CONTAINER_COST, _ITEM_COST, _KEY_COST, _STRING_COST = 64, 40, 80, 56
# A string, or what is left of the text after an unclosed quote: it matches wherever a quote is (never
# fails and retries from a later quote, which would take quadratic time on a crafted file).
_STRING = re.compile(r'"[^"\\]*(?:\\(?:.|\Z)[^"\\]*)*(?:"|\Z)', re.DOTALL)


class LoadBudget:
    """The bytes a load may materialize: ``max_bytes``, or by default
    ``LOAD_MEMORY_FACTOR`` times the file's size plus ``LOAD_MEMORY_SLACK``."""

    def __init__(self, file_size: int, max_bytes=None, where: str = "the file"):
        if max_bytes is None:
            self.limit, self.explicit = LOAD_MEMORY_FACTOR * file_size + LOAD_MEMORY_SLACK, False
        elif type(max_bytes) is not int:
            raise TypeError(f"max_bytes is a number of bytes (an int), not a {type(max_bytes).__name__}")
        elif max_bytes < 0:
            raise ValueError(f"max_bytes must be at least 0, not {max_bytes}")
        else:
            self.limit, self.explicit = max_bytes, True
        self.file_size, self.where, self.spent = file_size, where, 0

    def _refuse(self, subject, nbytes, held=""):
        if self.explicit:
            limit = f"the max_bytes={self.limit} given to jit.load"
        else:
            limit = (f"this load's limit of {self.limit} bytes ({LOAD_MEMORY_FACTOR} times the file's {self.file_size} "
                     f"bytes, plus {LOAD_MEMORY_SLACK})")
        raise SerializationError(f"{subject} needs {nbytes} bytes{held}, more than {limit}; if you trust the file, "
                                 "pass a larger max_bytes to jit.load")

    def charge(self, nbytes: int, what: str):
        """Count ``nbytes`` that the load will hold for ``what`` (in the file); refused past the limit."""
        self._add(nbytes, f"{self.where}: {what}")

    def charge_decoded(self, items: int, where: str):
        """Count a container of ``items`` elements that decoding the value at ``where`` builds."""
        self._add(_CONTAINER_COST + _ITEM_COST * items, f"{where}: its value")

    def _add(self, nbytes, subject):
        self.spent += nbytes
        if self.spent > self.limit:
            held = self.spent - nbytes
            self._refuse(subject, nbytes, f" (with the {held} this load already holds)" if held else "")

    def check_declared(self, nbytes: int, what: str):
        """A declared size (an array's shape) that no single object may exceed."""
        if nbytes > self.limit:
            self._refuse(f"{self.where}: {what}", nbytes)


def json_cost(text: str) -> int:
    """An upper bound of the bytes ``json.loads(text)`` builds, in one pass over ``text``."""
    bare = _STRING.sub('""', text)  # commas, colons and brackets inside strings are not structure
    characters = len(text) - len(bare)
    return (_CONTAINER_COST * (bare.count("[") + bare.count("{"))
            + _ITEM_COST * (bare.count(",") + 1) + _KEY_COST * bare.count(":")
            + _STRING_COST * (bare.count('"') // 2) + characters * (1 if text.isascii() else 4))


def parse_manifest(text: str, budget: LoadBudget):
    """The manifest's JSON, once the budget allows for what parsing it builds."""
    budget.charge(len(text) + json_cost(text), "its manifest")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise SerializationError(f"{budget.where}: the manifest is not valid JSON ({error})") from None
