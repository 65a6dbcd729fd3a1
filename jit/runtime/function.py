"""``ScriptFunction``: a compiled function, callable like the original."""
from __future__ import annotations

from jit import _tracing
from jit.ir.code_printer import print_code

from . import codegen
from .archived import Archived
from .executor import Executor
from .variants import VariantCache, number_types


class ScriptFunction(Archived):
    """A function compiled to a graph. Calling it runs the generated code.

    ``.graph`` is its SSA graph, ``.code`` the graph printed as script code,
    ``.schema`` its parameters, and ``.generated_source`` the Python of the unoptimized
graph (profiled runs, internal calls and the fallback run it; specializations
are built by the executor).
    """

    is_script_function = True  # lets lower layers recognize one without importing this module
    static_arguments = ()  # parameters bound to Python values at compile time (a recursive callee's)

    def __init__(self, compiled, original=None, number_parameters=None):
        self.name = compiled.name
        self.qualname = compiled.qualname
        self._graph = compiled.graph
        self.parameters = compiled.parameters
        self.return_type = compiled.return_type
        # no return annotation in the def: a variant for Python numbers infers its own (a saved
        # function's code prints the representative's, which its variants must not keep)
        self.return_inferred = getattr(compiled, "return_inferred", False)
        self.original = original
        # Unannotated Tensor parameters that also take a Python int/float/bool: a call that
        # passes one runs a variant compiled for those types (see variant_for).
        self.number_parameters = tuple(getattr(compiled, "number_parameters", ()) if number_parameters is None
                                       else number_parameters)
        self._recompile = getattr(compiled, "recompile", None)
        self._variants = VariantCache(self.qualname, self._recompile, original)
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
        return self.run(*args, **kwargs)

    def run(self, *args, **kwargs):
        """The call itself (a module's methods are run with this, their object first)."""
        try:
            return self._entry(*args, **kwargs)
        except codegen.ArgumentError as error:
            if not self.number_parameters:
                raise
            failure = error
        # A Python number where an array was expected fails in the prologue, before any
        # of the body ran: such a call runs its variant instead.
        variant = self.variant_for(args, kwargs)
        if variant is self:
            raise failure
        return variant._entry(*args, **kwargs)

    def variant_for(self, args, kwargs) -> "ScriptFunction":
        """The function a call with these arguments runs: this one, or, when Python
        numbers are passed to parameters in ``number_parameters``, the variant compiled
        with those parameters typed int/float/bool (once per such signature, cached)."""
        if not self.number_parameters or self._recompile is None:
            return self
        try:
            arguments = self._executor.bind(args, kwargs)
        except TypeError:
            return self  # the call's own error says what is wrong
        declared = {spec.name: spec.type for spec in self.parameters if spec.name in self.number_parameters}
        types = number_types(declared, {spec.name: a for spec, a in zip(self.parameters, arguments)})
        return self._variants.get(types) if types else self

    def variant_for_types(self, types: dict) -> "ScriptFunction":
        """The variant with these ``number_parameters`` typed (name -> int/float/bool)."""
        return self._variants.get(types)

    @property
    def variants(self) -> dict:
        """The variants compiled so far, by their parameter types (``"eps: float"``)."""
        return self._variants.compiled()

    def graph_for(self, *args, **kwargs):
        """The optimized graph a call with these arguments runs once warmed up (with
        its specialized types, ``Float(4096, 1024, device=cpu)``): the matching
        specialization's, or the one such a call would build; the function's own
        graph when the specialization budget is spent."""
        variant = self.variant_for(args, kwargs)
        if variant is not self:
            return variant.graph_for(*args, **kwargs)
        _, specialization = self._executor.would_run(args, kwargs)
        return self._graph if specialization is None else specialization.graph

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
