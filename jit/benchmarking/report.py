"""The benchmark's outcomes as a Markdown table and a PNG chart."""
from __future__ import annotations

import os
import platform

import numpy as np

from .comparison import ARRAYSCRIPT, REFERENCE


def _shown(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def _floor_line(outcome) -> str:
    floor = outcome.floor_seconds
    line = (f"Memory floor: one fused read of the first input and write of its size (x * 2.0 + 1.0) took "
            f"{_shown(floor)} in these rounds, {outcome.seconds[REFERENCE] / floor:.2f}x NumPy")
    if ARRAYSCRIPT in outcome.seconds:
        line += f"; ArrayScript took {outcome.seconds[ARRAYSCRIPT] / floor:.2f}x the floor"
    return line + "."


def markdown(outcomes: list, device: str, quick: bool, title: str = "arrayscript bench") -> str:
    """The table of ``outcomes``, headed ``title`` (what ran them)."""
    lines = [f"# {title}{' --quick' if quick else ''} on {device} "
             f"({platform.processor() or platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__})", "",
             "Best time per call; every entry of a workload checked against NumPy first, then all of them timed "
             "interleaved in this one run. speed-up = NumPy eager time / entry time.", ""]
    missing = list(dict.fromkeys(label for outcome in outcomes for label, why in outcome.skipped.items()
                                 if why.startswith("not installed")))
    if missing:
        lines += [f"Not installed here, so not measured: {', '.join(missing)}.", ""]
    for outcome in outcomes:
        lines += [f"## {outcome.workload} {outcome.shapes} float32 "
                  f"(max |ArrayScript - NumPy| = {outcome.largest_error:.2e})", "",
                  "| entry | time | speed-up vs NumPy |", "|---|---|---|"]
        for label, seconds in outcome.seconds.items():
            lines.append(f"| {label} | {_shown(seconds)} | {outcome.speed_up(label):.2f}x |")
        lines += ["", f"ArrayScript fused: {'; '.join(outcome.fused)}."]
        if outcome.floor_seconds is not None:
            lines.append(_floor_line(outcome))
        left_out = {label: why for label, why in outcome.skipped.items() if label not in missing}
        if left_out:
            lines.append("Not in the table: " + "; ".join(f"{label}: {why}" for label, why in left_out.items()) + ".")
        lines.append("")
    return "\n".join(lines)


def chart(outcomes: list, path, device: str) -> None:
    """A bar chart of every entry's speed-up over NumPy, per workload, saved as ``path``.
    Raises ImportError when matplotlib is not installed (the ``bench`` extra)."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    labels = list(dict.fromkeys(label for outcome in outcomes for label in outcome.seconds))
    width = 0.8 / len(labels)
    figure, axes = plt.subplots(figsize=(10, 4.5))
    positions = np.arange(len(outcomes))
    for k, label in enumerate(labels):
        values = [outcome.speed_up(label) if label in outcome.seconds else 0.0 for outcome in outcomes]
        axes.bar(positions + k * width, values, width, label=label)
    axes.axhline(1.0, color="gray", linewidth=0.8)
    axes.set_xticks(positions + 0.4 - width / 2, [outcome.workload for outcome in outcomes])
    axes.set_ylabel(f"speed-up over {REFERENCE}")
    axes.set_title(f"arrayscript bench on {device}")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
