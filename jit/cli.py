"""The ``arrayscript`` command.

``arrayscript demo`` scripts a small NumPy function, shows its graph and code
and what fused, runs it scripted and eagerly, and compares results and time (on the CPU by
default; ``--device cuda`` runs it on CuPy arrays when a GPU is present).
``arrayscript inspect FILE`` shows what a file saved by ``jit.save`` holds.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import device as devices
import jit


def demo_function(x, y, n: int):
    r = np.zeros_like(x)
    for i in range(n):
        if float(x.sum()) > 0.0:
            r = r + np.tanh(x * y) - 1.0
        else:
            r = r - y
    return r


def _best_time(function, args, repeat, synchronize):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function(*args)
        synchronize()
        best = min(best, time.perf_counter() - start)
    return best


def run_demo(device_name: str, shape, steps: int, out=sys.stdout) -> float:
    """Run the demo; returns the largest difference between scripted and eager."""
    dev = devices.Device(device_name)
    xp = devices.array_module(dev)
    synchronize = (lambda: xp.cuda.Stream.null.synchronize()) if dev.type == "cuda" else (lambda: None)
    scripted = jit.script(demo_function)
    print("== the function, scripted ==", file=out)
    print(f"graph:\n{scripted.graph}", file=out)
    print(f"code:\n{scripted.code}", file=out)
    generator = np.random.default_rng(0)
    x = devices.to(generator.standard_normal(shape, dtype=np.float32), dev)
    y = devices.to(generator.standard_normal(shape, dtype=np.float32), dev)
    expected = demo_function(x, y, steps)
    result = scripted(x, y, steps)
    difference = float(xp.abs(result.astype(np.float64) - expected.astype(np.float64)).max())
    print(f"== run on {dev} with {tuple(shape)} float32 arrays, n={steps} ==", file=out)
    print(f"result dtype {result.dtype}, shape {tuple(result.shape)}; eager NumPy gives dtype "
          f"{expected.dtype}, shape {tuple(expected.shape)}", file=out)
    print(f"largest difference from eager: {difference:.3g}", file=out)
    scripted(x, y, steps)  # after the profiled first call: the specialization is built, its kernels compiled
    report = jit.explain(scripted, x, y, steps)
    print("== what fused ==", file=out)
    for line in str(report).splitlines():
        if "fusion:" in line:
            print(line.strip().replace("fusion: ", "", 1), file=out)
    eager_time = _best_time(demo_function, (x, y, steps), 20, synchronize)
    script_time = _best_time(scripted, (x, y, steps), 20, synchronize)
    print(f"time (best of 20): eager {eager_time * 1e3:.3f} ms, scripted {script_time * 1e3:.3f} ms "
          f"(speed-up {eager_time / script_time:.2f}x)", file=out)
    return difference


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="arrayscript", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="script a small function, run it, compare with eager NumPy")
    demo.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    demo.add_argument("--shape", default="512,256", help="array shape, comma-separated (default 512,256)")
    demo.add_argument("--steps", type=int, default=3, help="loop trip count n (default 3)")
    inspect = commands.add_parser("inspect", help="show what a file saved with jit.save holds")
    inspect.add_argument("file", help="the saved file")
    inspect.add_argument("--no-code", action="store_true", help="leave out the code of the methods")
    args = parser.parse_args(argv)
    if args.command == "inspect":
        from jit.serialization.inspection import describe  # noqa: PLC0415
        from jit.serialization.names import escaped  # noqa: PLC0415

        try:
            sys.stdout.write(describe(args.file, show_code=not args.no_code))
        except jit.SerializationError as error:  # the message quotes the file: escaped, on one line
            print(f"arrayscript inspect: {escaped(str(error))}", file=sys.stderr)
            return 1
        return 0
    if args.command == "demo":
        try:
            shape = tuple(int(s) for s in args.shape.split(","))
        except ValueError:
            parser.error(f"--shape must be integers separated by commas, got {args.shape!r}")
        if args.device != "cpu" and not devices.cuda_is_available():
            parser.error(f"--device {args.device}: no CUDA device is available (install arrayscript[cuda] "
                         "on a machine with a GPU)")
        difference = run_demo(args.device, shape, args.steps)
        if difference > 1e-4:
            print("FAILED: the scripted result differs from eager NumPy", file=sys.stderr)
            return 1
        print("OK: the scripted function matches eager NumPy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
