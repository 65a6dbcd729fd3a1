"""Where benchmark tables go: printed, and written under bench/results/."""
from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def publish(lines: list, filename: str) -> str:
    """Print the table made of ``lines`` and save it as bench/results/``filename``."""
    table = "\n".join(lines) + "\n"
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / filename).write_text(table)
    return table
