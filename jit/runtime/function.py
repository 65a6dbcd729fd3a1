"""``ScriptFunction``: a compiled function, callable like the original."""
from __future__ import annotations

from jit import _tracing
from jit.ir.code_printer import print_code

from . import codegen
from .executor import Executor


class ScriptFunction:
    """A function compiled to a graph. Calling it runs the generated code.

    ``.graph`` is its SSA graph, ``.code`` the graph printed as script code,
    ``.schema`` its parameters, and ``.generated_source`` the Python of the unoptimized
graph (profiled runs, internal calls and the fallback run it; specializations
are built by the executor).
    """

    is_script_function = True  # lets lower layers recognize one without importing this module

    def __init__(self, compiled, original=None):
        self.name = compiled.name
        self.qualname = compiled.qualname
        self._graph = compiled.graph
        self.parameters = compiled.parameters
        self.return_type = compiled.return_type
        self.original = original
        self.refresh()  # the code, and the executor: it sets self._entry, what a call runs
        self.__name__, self.__qualname__ = self.name, self.qualname
        self.__doc__ = getattr(original, "__doc__", None)
        self.__module__ = getattr(original, "__module__", None)
        self.__wrapped__ = original

    def refresh(self):
        """Regenerate the code after the graph was rewritten in place (and forget specializations)."""
        self.generated_source, self._run = codegen.generate(self._graph, self.name, self.parameters)
        self._executor = Executor(self)

    def __call__(self, *args, **kwargs):
        if _tracing.active:
            recorder = _tracing.current()
            if recorder is not None:  # a trace records the call, control flow and all
                return recorder.call_script_function(self, args, kwargs)
        return self._entry(*args, **kwargs)

    def graph_for(self, *args, **kwargs):
        """The optimized graph a call with these arguments runs once warmed up (with
        its specialized types, ``Float(4096, 1024, device=cpu)``): the matching
        specialization's, or the one such a call would build; the function's own
        graph when the specialization budget is spent."""
        _, specialization = self._executor.would_run(args, kwargs)
        return self._graph if specialization is None else specialization.graph

    def save(self, f, _extra_files=None):
        """``jit.save(self, f, _extra_files)``."""
        from jit.serialization import save  # noqa: PLC0415 - serialization sits beside the runtime

        save(self, f, _extra_files)

    @property
    def graph(self):
        return self._graph

    @property
    def code(self) -> str:
        return print_code(self._graph, self.name, self.parameters, self.return_type)

    @property
    def schema(self) -> str:
        params = ", ".join(f"{p.name}: {p.type.annotation_str()}" for p in self.parameters)
        return f"{self.name}({params}) -> {self.return_type.annotation_str()}"

    def __repr__(self):
        return f"<ScriptFunction {self.qualname}{self.schema[len(self.name):]}>"
