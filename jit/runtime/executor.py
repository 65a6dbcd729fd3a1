"""The profiling executor: what a call of a script function runs.

The first call(s) run instrumented code that records every array value's type
(``profiling``); the next call builds a specialization: the graph copied, its
array inputs (and the module attributes it reads) given the recorded types —
exact shapes for a STATIC specialization, ranks for a DYNAMIC one, as
``set_fusion_strategy`` says — then optimized (``optimization``) and turned into
code. A generated dispatcher with the function's own signature checks each
specialization's guards (plain comparisons: Python type, dtype, rank or shape,
device) and calls the first that holds; a call that fails all of them is a miss:
it is profiled and specialized in turn while the strategy's budget lasts, and
runs the unfused graph after that. Profiles are kept per exact input signature,
so when shapes churn (each call a new shape) no profile would ever finish: a miss
whose ranks were already profiled at other shapes is specialized at once from its
arguments, which spends the STATIC budget and then builds the DYNAMIC
specialization that takes every later shape of those ranks (with no DYNAMIC entry
left in the strategy, STATIC ones still wait for a shape that recurs). Building happens under a lock, once, however
many threads call; the code that runs is swapped in with one assignment.
"""
from __future__ import annotations

import threading
import time

import device as _device
from jit import types as T
from jit.ir import Graph, Value
from jit.ir.cloning import copy_graph
from jit.passes import erase_types, inline_calls

from kernels import backend as kernel_backends

from . import codegen, settings
from .optimization import OptimizationReport, optimize
from .profiling import Observation, Profile

_last = threading.local()
_MAX_PENDING_PROFILES = 64
_MUTATING = frozenset({"prim::SetAttr", "prim::PythonOp", "prim::fork"})


def last_executed_optimized_graph() -> Graph:
    """The graph the last script call in this thread ran: a specialization's
    optimized graph, or the function's own graph for profiled and fallback runs."""
    graph = getattr(_last, "graph", None)
    if graph is None:
        raise RuntimeError("last_executed_optimized_graph: no script function has run in this thread yet")
    return graph


class Guard:
    """One array a specialization relies on: where it is read (parameter ``index``,
    then attributes ``path``: (registry or None, name) pairs) and what it must be."""

    def __init__(self, index: int, name: str, path: tuple, observation: Observation, kind: str):
        self.index, self.name, self.path = index, name, path
        self.python_type, self.dtype, self.device = observation.python_type, observation.dtype, observation.device
        self.shape = observation.shape if kind == "STATIC" else (None,) * len(observation.shape)
        self.type = T.TensorType(self.dtype, self.shape, self.device)

    @property
    def where(self) -> str:
        return self.name + "".join(f".{name}" for _, name in self.path)

    def read(self, arguments):
        return _read(arguments[self.index], self.path)

    def access_code(self, parameter: str) -> str:
        text = parameter
        for registry, name in self.path:
            if registry is None and not codegen.is_safe_identifier(name) or registry not in (None, *codegen.REGISTRIES):
                raise AssertionError(f"a guard was given the unchecked attribute path {self.path!r}")
            text += f".{registry}[{name!r}]" if registry else f".{name}"
        return text

    def holds_for(self, value) -> bool:
        return (type(value) is self.python_type and value.dtype == self.dtype
                and len(value.shape) == len(self.shape)
                and all(s is None or s == v for s, v in zip(self.shape, value.shape))
                and (self.device.type == "cpu" or value.device.id == self.device.index))

    def conditions(self, subject: str, bind) -> list:
        """The guard as Python comparisons of ``subject``, cheapest first."""
        checks = [f"_type({subject}) is {bind(self.python_type)}", f"{subject}.dtype == {bind(self.dtype)}"]
        if None not in self.shape:
            checks.append(f"{subject}.shape == {self.shape!r}")
        else:
            checks.append(f"{subject}.ndim == {len(self.shape)}")
            checks += [f"{subject}.shape[{axis}] == {size}" for axis, size in enumerate(self.shape) if size is not None]
        if self.device.type != "cpu":
            checks.append(f"{subject}.device.id == {self.device.index}")
        return checks

    def __str__(self):
        return f"{self.where}: {self.type}"


class Specialization:
    """One optimized version of a function, with its guards and how it came about."""

    def __init__(self, number: int, kind: str, guards: list, graph: Graph, report: OptimizationReport,
                 trigger: str, parameters, name: str):
        self.number, self.kind, self.guards, self.graph = number, kind, guards, graph
        self.report, self.trigger = report, trigger
        start = time.perf_counter()
        self.source, self.run = codegen.generate(graph, name, parameters, refined=True)  # behind its guards
        self.build_seconds = report.seconds + time.perf_counter() - start

    def holds_for(self, arguments) -> bool:
        return all(guard.holds_for(guard.read(arguments)) for guard in self.guards)

    def guard_text(self) -> str:
        return " and ".join(str(guard) for guard in self.guards) or "always (no array to check)"


class Executor:
    """The specializations of one ScriptFunction and the entry that dispatches to them."""

    def __init__(self, function):
        self.function = function
        self.lock = threading.RLock()
        self.specializations = {True: [], False: []}  # by whether fusion was on when built
        self.profiles: dict = {}  # input signature -> Profile of the calls with it that missed
        self.profiled_calls = self.fallback_calls = 0
        self._profiling = None  # (function, profiled values), generated on the first profiled run
        self._binder = None
        self._dispatchers: dict = {}
        function._entry = self.miss
        settings.listen(self)

    # -- the call path -------------------------------------------------------------------
    def miss(self, *args, **kwargs):
        """A call no specialization's guards admit: profile it, specialize, or fall back.
        Deciding and building hold the lock; running the call does not."""
        arguments = self.bind(args, kwargs)
        with self.lock:
            specialization, profile = self.decide(arguments)
        if specialization is not None:
            _last.graph = specialization.graph
            return specialization.run(*arguments)
        _last.graph = self.function.graph
        return self.function._run(*arguments) if profile is None else self.run_profiled(profile, arguments)

    def decide(self, arguments):
        """(specialization to run, None) or (None, profile to record this run in) or
        (None, None): run the unoptimized graph."""
        specializations = self.current()
        for specialization in specializations:  # built by another thread since the dispatch
            if specialization.holds_for(arguments):
                return specialization, None
        kind = settings.specialization_kind(len(specializations))
        if kind is None:
            self.fallback_calls += 1
            return None, None
        # Calls of one input signature share a profile, so threads calling with
        # different shapes at once do not mix their observations.
        key = self.signature(arguments, kind)
        profile = self.profiles.pop(key, None) or Profile()
        if profile.runs >= settings.num_profiled_runs():
            return self.build(kind, arguments, profile, install=True), None
        churn_runs = self.runs_of_other_shapes(key)
        if self.shapes_churn(kind, profile, churn_runs, len(specializations)):
            if profile.runs:
                self.profiles[key] = profile  # kept: that shape may still come back and complete it
            return self.build(kind, arguments, Profile(), install=True, churn_runs=churn_runs), None
        self.profiles[key] = profile
        while len(self.profiles) > _MAX_PENDING_PROFILES:
            del self.profiles[next(iter(self.profiles))]
        self.profiled_calls += 1
        return None, profile

    def runs_of_other_shapes(self, key: tuple) -> int:
        """Profiled runs still pending for the other shapes of ``key``'s ranks (same
        Python types, dtypes and devices): calls whose exact shapes never came back."""
        ranks = _ranks_only(key)
        return sum(profile.runs for other, profile in self.profiles.items()
                   if other != key and _ranks_only(other) == ranks)

    @staticmethod
    def shapes_churn(kind: str, profile: Profile, churn_runs: int, number: int) -> bool:
        """Whether a miss (for specialization ``number``) builds from the call instead
        of being profiled: once the other shapes of its ranks have had the profiled
        runs one signature needs, shapes change from call to call and profiling more
        of them learns nothing a guard uses. A DYNAMIC specialization counts its own
        profile's runs too. A STATIC one is built so only on the way to a DYNAMIC
        one: without one in the strategy, exact shapes go to the shapes that recur."""
        needed = settings.num_profiled_runs()
        if kind == "STATIC":
            return churn_runs >= needed and churn_runs > 0 and settings.dynamic_budget_after(number)
        return churn_runs + profile.runs >= needed and churn_runs > 0

    def run_profiled(self, profile: Profile, arguments):
        if settings.fusion_enabled():
            kernel_backends.warm_up_all()  # Numba starts while this call runs, not when its kernel is built
        run, values = self.profiling_code()
        record, seen = profile.recorder()
        result = run(record, *arguments)
        with self.lock:
            profile.add_run(seen)
        return result

    def signature(self, arguments, kind: str) -> tuple:
        """What a specialization of ``kind`` would guard of these arguments."""
        key = []
        for value, argument in zip(self.function.graph.inputs, arguments):
            if isinstance(value.type, T.TensorType) and _device.is_array(argument):
                shape = tuple(argument.shape) if kind == "STATIC" else len(argument.shape)
                key.append((type(argument), argument.dtype, shape, str(_device.of(argument))))
            else:
                key.append(None)
        return tuple(key)

    def bind(self, args, kwargs) -> tuple:
        """The call's arguments by position, defaults filled in."""
        if self._binder is None:
            parameters = self.function.parameters
            bindings = {}
            header = ", ".join(codegen.signature(parameters, lambda v: _bound(bindings, "default", v)))
            source = f"def bind({header}):\n    return ({''.join(p.name + ', ' for p in parameters)})\n"
            self._binder = codegen.define(source, "bind", bindings)
        return self._binder(*args, **kwargs)

    def profiling_code(self):
        if self._profiling is None:
            function = self.function
            _, run, values = codegen.generate_profiling(function.graph, function.name, function.parameters)
            self._profiling = (run, values)
        return self._profiling

    def current(self) -> list:
        return self.specializations[settings.fusion_enabled()]

    # -- building ------------------------------------------------------------------------------
    def build(self, kind: str, arguments, profile: Profile, install: bool, churn_runs: int = 0) -> Specialization:
        """A specialization of ``kind`` from ``profile`` (or, when it has no runs, from
        the argument types); ``install`` adds it to the dispatcher. ``churn_runs`` is
        how many profiled runs of other shapes made it build without profiling."""
        function = self.function
        graph, value_map = copy_graph(function.graph)
        inline_calls(graph)
        erase_types(graph)
        guards = self.parameter_guards(graph, value_map, kind, arguments, profile)
        guards += _attribute_guards(graph, function.parameters, kind, arguments)
        fuse = settings.fusion_enabled()
        report = optimize(graph, kind, fuse)
        specializations = self.current()
        trigger = (f"{'profiled runs' if profile.runs else 'the call'} with "
                   + (", ".join(str(g) for g in guards) or "no arrays"))
        if churn_runs:
            trigger += f" (not profiled: shapes change between calls; {churn_runs} profiled run(s) of other shapes)"
        specialization = Specialization(len(specializations), kind, guards, graph, report, trigger,
                                        function.parameters, function.name)
        if install:
            specializations.append(specialization)
            self._dispatchers.pop(fuse, None)
            self.install()
        return specialization

    def parameter_guards(self, graph: Graph, value_map: dict, kind: str, arguments, profile: Profile) -> list:
        observations = self.input_observations(arguments, profile)
        guards = []
        for index, (spec, value) in enumerate(zip(self.function.parameters, self.function.graph.inputs)):
            observation = observations.get(index)
            if not isinstance(value.type, T.TensorType) or observation is None or not observation.consistent:
                continue
            guard = Guard(index, spec.name, (), observation, kind)
            value_map[id(value)].type = guard.type
            guards.append(guard)
        return guards

    def input_observations(self, arguments, profile: Profile) -> dict:
        """Parameter index -> what was seen of it: from the profile when it has runs,
        else from these arguments."""
        if profile.runs:
            _, values = self.profiling_code()
            position = {id(v): k for k, v in enumerate(values)}
            found = {}
            for index, value in enumerate(self.function.graph.inputs):
                k = position.get(id(value))
                if k is not None and k in profile.observations:
                    found[index] = profile.observations[k]
            return found
        return {index: Observation.of(a) for index, a in enumerate(arguments) if _device.is_array(a)}

    # -- the dispatcher -----------------------------------------------------------------------
    def install(self):
        """Make the function's entry the dispatcher over the current specializations."""
        fuse = settings.fusion_enabled()
        specializations = self.specializations[fuse]
        if not specializations:
            self.function._entry = self.miss
            return
        dispatcher = self._dispatchers.get(fuse)
        if dispatcher is None:
            dispatcher = self._dispatchers[fuse] = self.generate_dispatcher(specializations)
        self.function._entry = dispatcher

    def generate_dispatcher(self, specializations):
        parameters = self.function.parameters
        bindings = {"_last": _last, "_miss": self.miss, "_type": type}  # a parameter may be named type

        def bind(value):
            return _bound(bindings, "g", value)

        arguments = ", ".join(p.name for p in parameters)
        lines = [f"def {self.function.name}({', '.join(codegen.signature(parameters, bind))}):"]
        for specialization in specializations:
            checks = []
            for number, guard in enumerate(specialization.guards):
                subject = parameters[guard.index].name
                if guard.path:
                    checks.append(f"_type(_a{number} := {guard.access_code(subject)}) is {bind(guard.python_type)}")
                    subject = f"_a{number}"
                    checks += guard.conditions(subject, bind)[1:]
                else:
                    checks += guard.conditions(subject, bind)
            lines.append(f"    if {' and '.join(checks) or 'True'}:")
            lines.append(f"        _last.graph = {bind(specialization.graph)}")
            lines.append(f"        return {bind(specialization.run)}({arguments})")
            if not checks:
                break
        else:
            lines.append(f"    return _miss({arguments})")
        source = "\n".join(lines) + "\n"
        dispatcher = codegen.define(source, self.function.name, bindings)
        dispatcher.source = source
        return dispatcher

    def settings_changed(self):
        with self.lock:
            self.install()

    # -- inspection --------------------------------------------------------------------------
    def would_run(self, args, kwargs):
        """(what, specialization or None) for a call with these arguments: "specialization",
        "profiling", "new specialization" (built here, not installed) or "fallback"."""
        arguments = self.bind(args, kwargs)
        with self.lock:
            for specialization in self.current():
                if specialization.holds_for(arguments):
                    return "specialization", specialization
            kind = settings.specialization_kind(len(self.current()))
            if kind is None:
                return "fallback", None
            key = self.signature(arguments, kind)
            pending = self.profiles.get(key) or Profile()
            churn_runs = self.runs_of_other_shapes(key)
            churn = (pending.runs < settings.num_profiled_runs()
                     and self.shapes_churn(kind, pending, churn_runs, len(self.current())))
            specialization = self.build(kind, arguments, Profile(), install=False,  # for exactly these arguments
                                        churn_runs=churn_runs if churn else 0)
            ready = churn or pending.runs >= settings.num_profiled_runs()
            return ("new specialization" if ready else "profiling"), specialization


def _ranks_only(signature: tuple) -> tuple:
    """A signature (``Executor.signature``) with each exact shape replaced by its rank."""
    return tuple(entry if entry is None or type(entry[2]) is int else (*entry[:2], len(entry[2]), entry[3])
                 for entry in signature)


def _attribute_guards(graph: Graph, parameters, kind: str, arguments) -> list:
    """Guards for the arrays the graph reads from its object arguments (a module's
    parameters and buffers), which are fixed for the whole call when nothing in the
    graph can assign attributes."""
    if any(node.kind in _MUTATING for node in graph.all_nodes()):
        return []
    guards, by_path = [], {}
    for node in list(graph.all_nodes()):
        if node.kind != "prim::GetAttr" or not isinstance(node.output.type, T.TensorType):
            continue
        located = _attribute_path(node.output, graph)
        if located is None:
            continue
        index, path = located
        guard = by_path.get((index, path))
        if guard is None:
            try:
                value = _read(arguments[index], path)
            except (AttributeError, KeyError):
                continue
            if not _device.is_array(value):
                continue
            guard = Guard(index, parameters[index].name, path, Observation.of(value), kind)
            by_path[(index, path)] = guard
            guards.append(guard)
        node.output.type = guard.type
    return guards


def _attribute_path(value: Value, graph: Graph):
    """(parameter index, ((registry, name), ...)) when ``value`` is read by GetAttrs from a parameter."""
    path = []
    while value.node.kind == "prim::GetAttr":
        owner = value.node.inputs[0]
        path.append((owner.type.slots.get(value.node["name"]), value.node["name"]))
        value = owner
    if value.node is not graph.block.param_node:
        return None
    return graph.inputs.index(value), tuple(reversed(path))


def _read(obj, path):
    for registry, name in path:
        obj = getattr(obj, registry)[name] if registry else getattr(obj, name)
    return obj


def _bound(bindings: dict, prefix: str, value) -> str:
    if isinstance(value, (bool, int, float, str, type(None))) and not isinstance(value, float):
        return repr(value)
    name = f"_{prefix}{len(bindings)}"
    bindings[name] = value
    return name
