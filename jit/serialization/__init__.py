"""Saving and loading: ``jit.save`` / ``jit.load`` and the archive format of docs/format.md."""
from .archive import FORMAT_VERSION
from .loading import load
from .saving import save

__all__ = ["FORMAT_VERSION", "load", "save"]
