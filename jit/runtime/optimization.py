"""The optimization pipeline a specialization goes through: inlining, type
propagation from the guarded types, then constant propagation, peephole rules,
loop unrolling, common subexpressions and dead code until nothing changes, then
the fusion passes when fusion is on, and the strict_fusion check.

The fuser sits below this layer but is registered here by name, as an entry
point ("module:attribute"), and imported at the first optimization: the fuser
imports ``jit.types``, whose package import runs this module, so an ``import
fuser`` here would close a cycle whenever ``fuser`` is imported first."""
from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field

from jit.ir import Graph, verify
from jit.passes import (eliminate_common_subexpressions, eliminate_dead_code, eliminate_dead_loop_values,
                        eliminate_unused_attribute_reads, inline_calls, peephole, propagate_constants,
                        propagate_types, unroll_loops)

verify_each_pass = False  # tests turn this on: the verifier then runs after every pass
_MAX_ROUNDS = 6
_fusion_passes: list = []  # callables, or "module:attribute" names until the first optimization
_strict_fusion_check = "fuser:check_strict_fusion"


@dataclass
class FusionContext:
    """What a fusion pass is told of the specialization, and where it reports:
    ``kind`` is "STATIC" (exact shapes) or "DYNAMIC" (ranks only); ``notes`` are
    lines for ``jit.explain``; ``details`` holds what the pass wants to keep."""
    kind: str
    notes: list = field(default_factory=list)
    details: dict = field(default_factory=dict)


@dataclass
class OptimizationReport:
    """How many rewrites each pass made, in how long, and what fusion said."""
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    fusion: FusionContext | None = None


def register_fusion_pass(fusion_pass) -> None:
    """Add ``fusion_pass(graph, context: FusionContext)`` to the pipeline, after the
    graph passes, for every specialization built while fusion is on. It may be
    given as a "module:attribute" name, imported when the pipeline first runs."""
    if fusion_pass not in _fusion_passes:
        _fusion_passes.append(fusion_pass)


def fusion_passes() -> list:
    """The registered fusion passes, in order, those given by name imported now."""
    if any(isinstance(entry, str) for entry in _fusion_passes):
        resolved = []
        for entry in _fusion_passes:
            fusion_pass = _resolve(entry) if isinstance(entry, str) else entry
            if fusion_pass not in resolved:  # registered both by name and as itself
                resolved.append(fusion_pass)
        _fusion_passes[:] = resolved
    return list(_fusion_passes)


def _resolve(name: str):
    module, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module), attribute)


def simplify(graph: Graph, report: OptimizationReport | None = None) -> OptimizationReport:
    """Constant propagation, peephole rules, unrolling, common subexpressions and
    dead code, repeated until nothing changes (types are re-propagated in between)."""
    report = report if report is not None else OptimizationReport()
    for _ in range(_MAX_ROUNDS):
        changed = 0
        for graph_pass in (propagate_constants, peephole, unroll_loops, eliminate_common_subexpressions,
                           eliminate_dead_code, eliminate_dead_loop_values, eliminate_unused_attribute_reads):
            changed += _run(report, graph_pass, graph)
        if not changed:
            break
        _run(report, propagate_types, graph)
    return report


def optimize(graph: Graph, kind: str, fuse: bool) -> OptimizationReport:
    """Run the pipeline on ``graph`` (already copied and given its guarded types)."""
    report = OptimizationReport()
    start = time.perf_counter()
    _run(report, inline_calls, graph)
    _run(report, eliminate_unused_attribute_reads, graph)
    _run(report, propagate_types, graph)
    simplify(graph, report)
    passes = fusion_passes()
    if fuse and passes:
        report.fusion = FusionContext(kind)
        for fusion_pass in passes:
            report.counts[fusion_pass.__name__] = fusion_pass(graph, report.fusion) or 0
            if verify_each_pass:
                verify(graph)
        _run(report, eliminate_dead_code, graph)
    report.seconds = time.perf_counter() - start
    reasons = report.fusion.details.get("reasons", {}) if report.fusion is not None else {}
    _resolve(_strict_fusion_check)(graph, reasons, fusion_on=fuse and bool(passes))
    return report


def _run(report: OptimizationReport, graph_pass, graph: Graph) -> int:
    count = graph_pass(graph) or 0
    if verify_each_pass:
        verify(graph)
    name = graph_pass.__name__
    report.counts[name] = report.counts.get(name, 0) + count
    return count


register_fusion_pass("fuser:fuse_elementwise")
