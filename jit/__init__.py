"""ArrayScript: TorchScript for NumPy and CuPy.

``@jit.script`` compiles a NumPy-style function into a typed SSA graph
(``.graph``, ``.code``) that runs through generated code.
"""
from . import nn, ops, types
from .api import Attribute, Final, annotate, export, ignore, is_scripting, isinstance, strict_fusion, unused
from .errors import (CompilationError, Error, SerializationError, StrictFusionError, TracerWarning,
                     TracingCheckError, TracingError)
from .runtime import ScriptFunction
from .runtime.futures import Future, fork, wait
from .runtime.module import ScriptModule
from .script import script
from .serialization import load, save
from .tracer import is_tracing, script_if_tracing, trace, trace_module
from .nn.init import manual_seed
from .types import Tensor

__all__ = ["Attribute", "Final", "manual_seed", "Future", "fork", "wait", "annotate", "export", "ignore", "is_scripting", "isinstance", "load", "save", "strict_fusion", "unused", "CompilationError", "Error", "ScriptFunction", "ScriptModule", "SerializationError", "StrictFusionError", "Tensor",
           "TracerWarning", "TracingCheckError", "TracingError", "is_tracing", "nn", "ops", "script",
           "script_if_tracing", "trace", "trace_module", "types"]
