"""Models written with ``jit.nn`` that the demo (``arrayscript demo``), the examples
and the tests share: one definition of each."""
from .gpt import GPT, GPTConfig

__all__ = ["GPT", "GPTConfig"]
