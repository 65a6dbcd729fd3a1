"""Batch inference over a large array with Dask: a scripted model on many workers.

    python examples/dask_inference.py            # 4096 sequences on a LocalCluster of 2 worker processes
    python examples/dask_inference.py --small    # a tiny model and array (the test suite runs this)
    python examples/dask_inference.py --threads  # dask.array's threaded scheduler, no cluster

Needs ``pip install arrayscript[dask]``. The model (jit/models/gpt.py) is scripted
once here; ``client.scatter(..., broadcast=True)`` ships it to every worker once,
pickled as its ``jit.save`` archive (printed code and arrays, no pickled code),
and each worker loads it once. ``map_blocks`` then runs it on each chunk of token
ids; a worker's first chunks profile and specialize it (its kernels come from the
disk cache this process filled, ``$ARRAYSCRIPT_CACHE_DIR``, when the workers share
the file system), and every later chunk reuses that specialization.

On several GPUs the same code runs one worker per GPU: start the cluster with
dask-cuda's ``LocalCUDACluster()`` instead of ``LocalCluster`` (each worker then
sees one device as ``cuda:0``), move the model with ``.to("cuda")`` before
scattering it, and make the chunks CuPy arrays (``ids.map_blocks(cupy.asarray)``).
dask-cuda is not needed for anything here.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time

import numpy as np

import jit
from jit.models import GPT, GPTConfig


def next_tokens(ids_block, model):
    """The greedy next token after each sequence of a chunk of token ids."""
    return model(ids_block)[:, -1].argmax(axis=-1)


def worker_state(dask_worker, key):
    """What the worker holds for the scattered model: how many specializations its
    forward has, and how each of its kernels was obtained."""
    model = dask_worker.data[key]
    report = jit.explain(model, np.zeros((1, 1), np.int64))
    kernels = {}
    for specialization in report.specializations:
        for group in specialization.report.fusion.details.get("groups", []):
            kernels.setdefault(group.name, group.kernel.report())  # a shared kernel is built for its first group
    return {"specializations": len(report.specializations), "kernels": list(kernels.values())}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="a tiny model and array")
    parser.add_argument("--threads", action="store_true", help="the threaded scheduler instead of a cluster")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    args = parser.parse_args(argv)
    try:
        import dask.array as da  # noqa: PLC0415
    except ImportError:
        print("dask is not installed: pip install arrayscript[dask]")
        return 1
    config = GPTConfig.tiny() if args.small else GPTConfig()
    rows, chunk = (256, 32) if args.small else (4096, 256)
    ids = np.random.default_rng(0).integers(0, config.vocab_size, (rows, config.context))
    jit.manual_seed(0)
    eager = GPT(config).eval()
    model = jit.script(eager)
    model(ids[:chunk]), model(ids[:chunk])  # compile here: the workers find the kernels in the disk cache
    chunks = da.from_array(ids, chunks=(chunk, config.context))
    started = time.perf_counter()
    if args.threads:
        tokens = chunks.map_blocks(next_tokens, model, drop_axis=1, dtype=np.int64).compute(scheduler="threads")
        where = "the threaded scheduler"
    else:
        from distributed import Client, LocalCluster  # noqa: PLC0415

        with LocalCluster(n_workers=args.workers, processes=True, threads_per_worker=1, dashboard_address=None,
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            shipped = client.scatter(model, broadcast=True)  # one archive per worker, loaded there once
            tokens = chunks.map_blocks(next_tokens, shipped, drop_axis=1, dtype=np.int64).compute()
            states = client.run(worker_state, key=shipped.key)
        where = f"a LocalCluster of {args.workers} worker processes"
        for address, state in sorted(states.items()):
            print(f"worker {address}: {state['specializations']} specialization(s); kernels: "
                  + "; ".join(state["kernels"]))
    seconds = time.perf_counter() - started
    print(f"{rows} sequences of {config.context} tokens in chunks of {chunk} on {where}: {seconds:.1f} s "
          f"({rows / seconds:.0f} sequences/s, cluster start-up included)")
    expected = np.concatenate([next_tokens(ids[i:i + chunk], eager) for i in range(0, rows, chunk)])
    if not np.array_equal(tokens, expected):
        print(f"FAILED: {int(np.sum(tokens != expected))} of {rows} next tokens differ from eager")
        return 1
    print(f"OK: all {rows} next tokens equal eager's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
