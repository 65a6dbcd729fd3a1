"""The campaigns' worker pool (tests/worker_pool.py): results, a worker that dies, a worker that hangs."""
from __future__ import annotations

import json
import sys

from .worker_pool import Worker, run_items

# Item 2 kills its worker, item 4 never finishes (in hang_here, while a later thread idles: that
# thread comes first in faulthandler's dump); the others answer with their square.
TOY_WORKER = """
import faulthandler, json, os, signal, sys, threading, time
faulthandler.register(signal.SIGUSR1, all_threads=True)
def idle():
    while True:
        time.sleep(0.01)
def hang_here():
    while True:
        time.sleep(0.01)
for line in sys.stdin:
    n = int(line)
    if n == 2:
        os._exit(3)
    if n == 4:
        threading.Thread(target=idle, daemon=True).start()
        hang_here()
    print(json.dumps({"item": n, "square": n * n}), flush=True)
"""


def test_results_crashes_and_hangs_come_back_and_the_workers_are_replaced():
    started = []

    def start():
        started.append(Worker([sys.executable, "-c", TOY_WORKER]))
        return started[-1]

    def hang(item, worker):
        return {"item": item, "hang": worker.where(thread_with="hang_here", depth=1),
                "first thread": worker.where(depth=1)}

    results = run_items(range(7), 2, start, 1.0, on_line=lambda item, line: json.loads(line),
                        on_crash=lambda item, worker, code: {"item": item, "crash": code}, on_hang=hang)
    by_item = {r["item"]: r for r in results}
    assert sorted(by_item) == list(range(7)) and len(results) == 7
    assert all(by_item[n] == {"item": n, "square": n * n} for n in (0, 1, 3, 5, 6))
    assert by_item[2] == {"item": 2, "crash": 3}
    assert "in hang_here" in by_item[4]["hang"] and "in idle" in by_item[4]["first thread"]
    assert len(started) == 4  # two replacements
    assert all(w.process.returncode is not None and w.errors.closed for w in started)
