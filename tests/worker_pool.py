"""The worker processes of the long fuzz campaigns (tests/fuzz/campaign.py,
tests/jit/serialization/archive_campaign.py).

A worker is a ``python -m <module> --worker ...`` process that reads item numbers
on stdin, one per line, and writes one JSON line per item on stdout; its stderr
goes to a temporary file, where faulthandler dumps its frames on SIGUSR1 (the
worker registers that). ``run_items`` keeps ``jobs`` of them busy: a worker
whose stdout ends died with its item (a crash), one that runs past the timeout
is asked where it is and killed (a hang); either is replaced by a fresh one.
"""
from __future__ import annotations

import os
import select
import signal
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _frames(dump: str) -> list[str]:
    return [line.strip() for line in dump.splitlines() if line.strip().startswith("File ")]


class Worker:
    def __init__(self, command, cwd=ROOT):
        self.errors = tempfile.TemporaryFile(mode="w+")  # the worker's stderr: tracebacks of crashes and hangs
        self.process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.errors, text=True, bufsize=1)
        self.item = None  # the item it runs now
        self.started = 0.0

    def send(self, item):
        self.item, self.started = item, time.monotonic()
        self.process.stdin.write(f"{item}\n")
        self.process.stdin.flush()

    def readline(self) -> str:
        return self.process.stdout.readline()

    def stderr_tail(self, chars=600) -> str:
        self.errors.seek(0)
        return self.errors.read()[-chars:]

    def where(self, thread_with=None, depth=3) -> str:
        """The innermost ``depth`` frames the worker runs now (faulthandler's dump on SIGUSR1);
        with ``thread_with``, those of the first thread with a frame naming it (else the first thread)."""
        self.errors.seek(0, os.SEEK_END)
        start = self.errors.tell()
        os.kill(self.process.pid, signal.SIGUSR1)
        time.sleep(1.0)
        self.errors.seek(start)
        dump = self.errors.read()
        if thread_with is None:
            frames = _frames(dump)
        else:
            threads = [_frames(block) for block in dump.split("(most recent call first):")[1:]]
            frames = next((t for t in threads if any(thread_with in f for f in t)), threads[0] if threads else [])
        return " <- ".join(frames[:depth])

    def kill(self):
        self.process.kill()
        self.process.wait()
        self.errors.close()


def run_items(items, jobs, start_worker, timeout, on_line, on_crash, on_hang,
              progress=None, report_seconds=30.0, log=print) -> list:
    """Run ``items`` through ``jobs`` workers from ``start_worker()``; the results, in the order they came.

    A result is ``on_line(item, line)`` for the JSON line a worker wrote, ``on_crash(item, worker,
    exit_code)`` for a worker that died, ``on_hang(item, worker)`` for one past ``timeout`` seconds
    (it may still call ``worker.where()``; the worker is killed after). Every ``report_seconds``,
    ``log(progress(results))`` where ``progress`` is given.
    """
    pending = iter(items)
    results = []
    workers = [start_worker() for _ in range(jobs)]

    def next_item(w):
        item = next(pending, None)
        if item is not None:
            w.send(item)

    for w in workers:
        next_item(w)
    last_report = time.monotonic()
    while any(w.item is not None for w in workers):
        busy = [w for w in workers if w.item is not None]
        readable, _, _ = select.select([w.process.stdout for w in busy], [], [], 1.0)
        for index, w in enumerate(workers):
            if w.item is None:
                continue
            if w.process.stdout in readable:
                line = w.readline()
                if line:
                    results.append(on_line(w.item, line))
                    w.item = None
                    next_item(w)
                    continue
                result = on_crash(w.item, w, w.process.wait())  # the worker died with the item
            elif time.monotonic() - w.started > timeout:
                result = on_hang(w.item, w)
            else:
                continue
            w.kill()
            workers[index] = w = start_worker()
            results.append(result)
            next_item(w)
        if progress is not None and time.monotonic() - last_report > report_seconds:
            last_report = time.monotonic()
            log(progress(results))
    for w in workers:
        w.process.stdin.close()
        w.kill()
    return results
