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
from .runtime.executor import last_executed_optimized_graph
from .runtime.explain import explain
from .runtime.freezing import freeze, optimize_for_inference
from .runtime.settings import fuser, set_fusion_strategy, set_num_profiled_runs
from .script import script
from .serialization import load, save
from .tracer import is_tracing, script_if_tracing, trace, trace_module
from .nn.init import manual_seed
from .types import Tensor

__all__ = ["explain", "freeze", "optimize_for_inference", "fuser", "last_executed_optimized_graph", "set_fusion_strategy", "set_num_profiled_runs",
           "Attribute", "Final", "manual_seed", "Future", "fork", "wait", "annotate", "export", "ignore", "is_scripting", "isinstance", "load", "save", "strict_fusion", "unused", "CompilationError", "Error", "ScriptFunction", "ScriptModule", "SerializationError", "StrictFusionError", "Tensor",
           "TracerWarning", "TracingCheckError", "TracingError", "is_tracing", "nn", "ops", "script",
           "script_if_tracing", "trace", "trace_module", "types"]
