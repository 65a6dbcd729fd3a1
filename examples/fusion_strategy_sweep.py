"""The tuning experiment `jit.set_fusion_strategy` is for.

A scripted model is fed a stream of inputs whose batch size varies the way
real traffic does (a few hot sizes, a long tail of others) under several
strategies. For each, the table gives the specializations made, the time spent
building them (kernel compiles included), the first call's latency, the
steady-state latency (median of the last calls), and how many calls ran the
unfused fallback because the budget was spent. A plot of the same is saved.

    python examples/fusion_strategy_sweep.py [--calls 400]
    # -> bench/results/fusion_strategy_sweep.md and .png
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import jit  # noqa: E402

STRATEGIES = {
    "STATIC 2, DYNAMIC 10 (default)": [("STATIC", 2), ("DYNAMIC", 10)],
    "STATIC 20": [("STATIC", 20)],
    "STATIC 3": [("STATIC", 3)],
    "DYNAMIC 20": [("DYNAMIC", 20)],
    "fusion off": None,
}


def model(x, w, b, scale: float):
    h = x @ w + b
    h = 0.5 * h * (1.0 + np.tanh(0.7978845608028654 * (h + 0.044715 * h * h * h)))
    return h * scale + np.maximum(h, 0.0) * (1.0 - scale)


def traffic(calls: int, seed: int = 0) -> list:
    """Batch sizes: 80% from three hot sizes, the rest a long tail from 1 to 512."""
    rng = np.random.default_rng(seed)
    hot = [32, 64, 128]
    return [int(rng.choice(hot)) if rng.random() < 0.8 else int(rng.integers(1, 513)) for _ in range(calls)]


def run(strategy, sizes, weights) -> dict:
    w, b = weights
    function = jit.script(model)
    previous = jit.set_fusion_strategy(strategy or [("STATIC", 2), ("DYNAMIC", 10)])
    rng = np.random.default_rng(1)
    batches = {n: rng.standard_normal((n, w.shape[0]), dtype=np.float32) for n in set(sizes)}
    latencies = []
    try:
        with jit.fuser("none" if strategy is None else "default"):
            for n in sizes:
                start = time.perf_counter()
                function(batches[n], w, b, 0.7)
                latencies.append(time.perf_counter() - start)
    finally:
        jit.set_fusion_strategy(previous)
    executor = function._executor
    specializations = [s for built in executor.specializations.values() for s in built]
    return {"specializations": len(specializations),
            "build_seconds": sum(s.build_seconds for s in specializations),
            "first_ms": latencies[0] * 1e3,
            "steady_us": statistics.median(latencies[-len(latencies) // 4:]) * 1e6,
            "fallback_calls": executor.fallback_calls}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400)
    options = parser.parse_args()
    rng = np.random.default_rng(2)
    weights = (rng.standard_normal((256, 256), dtype=np.float32) * np.float32(0.06),
               rng.standard_normal(256, dtype=np.float32))
    sizes = traffic(options.calls)
    results = {label: run(strategy, sizes, weights) for label, strategy in STRATEGIES.items()}
    lines = ["# Fusion strategy sweep", "",
             f"`python examples/fusion_strategy_sweep.py --calls {options.calls}`: {options.calls} calls, batch sizes "
             f"80% from (32, 64, 128), 20% from 1..512 ({len(set(sizes))} distinct); model: x @ W + b, tanh-GELU, "
             "a blend with relu; (n, 256) float32.", "",
             "| strategy | specializations | build time (s) | first call (ms) | steady state (us) | fallback calls |",
             "|---|---|---|---|---|---|"]
    for label, r in results.items():
        lines.append(f"| {label} | {r['specializations']} | {r['build_seconds']:.2f} | {r['first_ms']:.1f} | "
                     f"{r['steady_us']:.0f} | {r['fallback_calls']} |")
    table = "\n".join(lines) + "\n"
    print(table)
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "fusion_strategy_sweep.md").write_text(table)
    _plot(results, results_dir / "fusion_strategy_sweep.png")


def _plot(results: dict, path: Path):
    try:
        import matplotlib  # noqa: PLC0415 - the bench extra

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        print("matplotlib is not installed (pip install arrayscript[bench]); no plot", file=sys.stderr)
        return
    labels = list(results)
    metrics = [("specializations", "specializations"), ("build_seconds", "build time (s)"),
               ("steady_us", "steady-state call (us)"), ("fallback_calls", "fallback calls")]
    figure, axes = plt.subplots(1, len(metrics), figsize=(16, 4))
    for axis, (key, title) in zip(axes, metrics):
        axis.bar(range(len(labels)), [results[label][key] for label in labels], color="tab:blue")
        axis.set_xticks(range(len(labels)), [label.replace(" (", "\n(") for label in labels], fontsize=7, rotation=20)
        axis.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    print(f"plot saved to {path}")


if __name__ == "__main__":
    main()
