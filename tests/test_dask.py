"""A scripted model on Dask: inside dask.array.map_blocks (threads), and on a
dask.distributed LocalCluster of 2 worker processes started here on localhost,
with results equal to eager; each worker loads the shipped model once, builds
one specialization and takes its kernels from the on-disk cache."""
from __future__ import annotations

import logging
import os

import numpy as np
import pytest

import jit
from jit.models import GPT, GPTConfig

from .helpers import assert_same

dask = pytest.importorskip("dask", reason="dask is not installed (pip install arrayscript[dask])")
da = pytest.importorskip("dask.array", reason="dask is not installed (pip install arrayscript[dask])")
distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed "
                                                        "(pip install arrayscript[dask])")

CONFIG = GPTConfig.tiny()
CHUNK = 8


def logits(block, model):
    return model(block)


def worker_state(dask_worker, key):
    """The worker's copy of the scattered model: its identity, its specializations, and
    how each of their kernels was obtained."""
    model = dask_worker.data[key]
    report = jit.explain(model, np.zeros((1, 1), np.int64))
    kernels = {}
    for specialization in report.specializations:
        for group in specialization.report.fusion.details.get("groups", []):
            kernels.setdefault(group.name, group.kernel.report())
    return {"pid": os.getpid(), "specializations": len(report.specializations), "kernels": list(kernels.values()),
            "profiled_calls": report.profiled_calls}


@pytest.fixture(scope="module")
def model_and_ids():
    jit.manual_seed(0)
    eager = GPT(CONFIG).eval()
    ids = np.random.default_rng(0).integers(0, CONFIG.vocab_size, (6 * CHUNK, CONFIG.context))
    return eager, ids, np.concatenate([eager(ids[i:i + CHUNK]) for i in range(0, len(ids), CHUNK)])


def _map(ids, model):
    chunks = da.from_array(ids, chunks=(CHUNK, CONFIG.context))
    return chunks.map_blocks(logits, model, new_axis=2, chunks=(CHUNK, CONFIG.context, CONFIG.vocab_size),
                             dtype=np.float32)


def test_map_blocks_on_threads_equals_eager(model_and_ids):
    eager, ids, expected = model_and_ids
    scripted = jit.script(eager)
    result = _map(ids, scripted).compute(scheduler="threads")
    assert_same(result, expected)
    assert len(jit.explain(scripted, ids[:CHUNK]).specializations) == 1  # one shape: one specialization


def test_a_local_cluster_of_worker_processes_runs_the_model_once_compiled_per_worker(model_and_ids):
    eager, ids, expected = model_and_ids
    scripted = jit.script(eager)
    scripted(ids[:CHUNK]), scripted(ids[:CHUNK])  # its kernels are now in the disk cache the workers share
    # The active memory manager drops the broadcast's extra replica after a few seconds (a slow,
    # cold run): keep it, so that each worker's copy can be inspected.
    with dask.config.set({"distributed.scheduler.active-memory-manager.start": False}), \
            distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                                  host="127.0.0.1", silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster) as client:
        shipped = client.scatter(scripted, broadcast=True)  # pickled as its archive, loaded once per worker
        result = _map(ids, shipped).compute()
        states = client.run(worker_state, key=shipped.key)
    assert_same(result, expected)
    assert len(states) == 2 and len({state["pid"] for state in states.values()}) == 2
    assert os.getpid() not in {state["pid"] for state in states.values()}
    for address, state in states.items():
        if state["profiled_calls"] == 0:
            continue  # a worker the scheduler gave no chunk
        assert state["specializations"] == 1, (address, state)  # every later chunk reused the first one
        assert state["kernels"] and all("loaded from the disk cache" in kernel for kernel in state["kernels"]), state
    assert sum(state["profiled_calls"] for state in states.values()) >= 1
