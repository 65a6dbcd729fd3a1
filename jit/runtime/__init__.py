"""The executor: generated Python for graphs, and the callable script objects."""
from .function import ScriptFunction

__all__ = ["ScriptFunction"]
