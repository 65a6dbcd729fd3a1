"""``jit.explain(fn, *args)``: what the executor has done for a function and what
a call with these arguments runs, as a readable report."""
from __future__ import annotations

from . import settings
from .optimization import OptimizationReport


def explain(target, *args, **kwargs) -> "Explanation":
    """A report on ``target`` (a ScriptFunction, a ScriptModule: its forward, or a
    bound script method) for a call with ``args``: the strategy, every
    specialization with its guard, what triggered it and how long it took to
    build, what the passes and the fuser did, and which code these arguments run.
    Nothing is run and nothing is added to the function's specializations."""
    if getattr(target, "compiles_per_call", False):
        target = target.variant_for(args, kwargs)
    function, args = _function_and_arguments(target, args)
    function = function.variant_for(args, kwargs)  # Python numbers for unannotated parameters: their variant
    return Explanation(function, args, kwargs)


def _function_and_arguments(target, args):
    if getattr(target, "is_script_function", False):
        return target, args
    if getattr(target, "is_script_module", False):
        forward = target._type.methods.get("forward")
        if forward is None:
            raise TypeError(f"jit.explain: the scripted {target.original_name} has no forward")
        return forward, (target, *args)
    owner, function = getattr(target, "owner", None), getattr(target, "function", None)
    if owner is not None and getattr(function, "is_script_function", False):  # a ScriptMethod
        return function, (owner, *args)
    raise TypeError(f"jit.explain takes a script function or a ScriptModule, not a {type(target).__name__}")


class Explanation:
    """The report; ``str()`` of it is readable. ``specializations`` are the
    executor's (with ``kind``, ``guards``, ``trigger``, ``build_seconds``,
    ``report``, ``graph``); ``runs`` says what these arguments run: "specialization",
    "profiling", "new specialization" or "fallback"; ``graph`` is that code's graph."""

    def __init__(self, function, args, kwargs):
        executor = function._executor
        self.function = function
        self.strategy = list(settings.fusion_strategy())
        self.fuser = settings.current_fuser()
        self.profiled_runs = settings.num_profiled_runs()
        self.runs, self.specialization = executor.would_run(args, kwargs)
        self.specializations = list(executor.current())
        self.profiled_calls, self.fallback_calls = executor.profiled_calls, executor.fallback_calls
        self.graph = function.graph if self.specialization is None else self.specialization.graph

    def __str__(self):
        lines = [f"jit.explain: {self.function.qualname}{self.function.schema[len(self.function.name):]}",
                 f"strategy {self.strategy}, fuser {self.fuser!r}, {self.profiled_runs} profiled run(s) "
                 "before each specialization",
                 f"calls so far: {self.profiled_calls} profiled, {self.fallback_calls} ran the unoptimized graph "
                 "(budget spent)", f"specializations: {len(self.specializations)}"]
        for specialization in self.specializations:
            lines += _describe(specialization, "  ")
        lines.append("these arguments: " + {
            "specialization": f"run specialization #{getattr(self.specialization, 'number', '?')}",
            "profiling": "would run profiled; a later call builds the specialization below",
            "new specialization": "miss every guard; the next such call builds the specialization below",
            "fallback": "miss every guard and the budget is spent: they run the unoptimized graph",
        }[self.runs])
        if self.runs in ("profiling", "new specialization"):
            lines += _describe(self.specialization, "  ", new=True)
        lines.append("graph they run:" if self.runs in ("specialization", "fallback") else "graph a warmed-up call runs:")
        lines += ["  " + line for line in str(self.graph).rstrip().splitlines()]
        return "\n".join(lines)

    __repr__ = __str__


def _describe(specialization, indent: str, new: bool = False) -> list:
    head = "new" if new else f"#{specialization.number}"
    lines = [f"{indent}{head} {specialization.kind}: built in {specialization.build_seconds * 1e3:.2f} ms "
             f"from {specialization.trigger}",
             f"{indent}  guard: {specialization.guard_text()}",
             f"{indent}  passes: {_pass_counts(specialization.report)}"]
    fusion = specialization.report.fusion
    if fusion is None:
        lines.append(f"{indent}  fusion: " + ("off (jit.fuser('none'))" if not settings.fusion_enabled()
                                               else "no fuser is installed"))
    else:
        lines += [f"{indent}  fusion: {note}" for note in fusion.notes] or [f"{indent}  fusion: nothing fused"]
    return lines


def _pass_counts(report: OptimizationReport) -> str:
    done = [f"{name} {count}" for name, count in report.counts.items() if count]
    return ", ".join(done) or "no rewrites"
