"""Tracing: run a function on recording proxies of its example inputs and keep
what it did as a graph (``jit.trace``, ``jit.trace_module``)."""
from .api import is_tracing, script_if_tracing, trace, trace_module

__all__ = ["is_tracing", "script_if_tracing", "trace", "trace_module"]
