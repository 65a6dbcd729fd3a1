"""The ``arrayscript`` command.

``arrayscript demo`` scripts a small GPT-style transformer written with ``jit.nn``,
runs it eagerly and scripted (on the CPU by default; ``--device cuda`` on CuPy
arrays when a GPU is present), checks they agree, shows what fused, the speed
table, and saves and loads the model (jit/demo.py).
``arrayscript bench`` is the comparative benchmark (jit/benchmarking).
``arrayscript inspect FILE`` shows what a file saved by ``jit.save`` holds.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import device as devices
import jit
from jit.benchmarking.comparison import WORKLOAD_SETS
from jit.serialization.inspection import describe
from jit.serialization.names import escaped


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="arrayscript", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="script a small transformer, show what fused, compare with eager NumPy")
    demo.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    demo.add_argument("--batch", type=int, default=8, help="sequences per batch (default 8)")
    demo.add_argument("--tokens", type=int, default=64, help="tokens per sequence, at most 64 (default 64)")
    bench = commands.add_parser("bench", help="the comparative benchmark: fused vs NumPy and the installed libraries")
    bench.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    bench.add_argument("--quick", action="store_true", help="smaller arrays and fewer rounds: a short run")
    bench.add_argument("--workloads", choices=WORKLOAD_SETS, default="all",
                       help="all (default), or " + "; ".join(f"{kind}: {', '.join(names)}" for kind, names
                                                              in WORKLOAD_SETS.items() if kind != "all"))
    bench.add_argument("--out", default="arrayscript-bench", help="directory for bench.md and bench.png "
                                                                  "(default ./arrayscript-bench)")
    inspect = commands.add_parser("inspect", help="show what a file saved with jit.save holds")
    inspect.add_argument("file", help="the saved file")
    inspect.add_argument("--no-code", action="store_true", help="leave out the code of the methods")
    args = parser.parse_args(argv)
    if args.command == "inspect":
        try:
            sys.stdout.write(describe(args.file, show_code=not args.no_code))
        except jit.SerializationError as error:  # the message quotes the file: escaped, on one line
            print(f"arrayscript inspect: {escaped(str(error))}", file=sys.stderr)
            return 1
        return 0
    if args.command in ("demo", "bench") and args.device != "cpu" and not devices.cuda_is_available():
        parser.error(f"--device {args.device}: no CUDA device is available (install arrayscript[cuda] "
                     "on a machine with a GPU)")
    if args.command == "demo":
        from jit.demo import run_demo  # noqa: PLC0415 - loads the model and the benchmark only when asked
        from jit.models import GPTConfig  # noqa: PLC0415

        if args.batch < 1:
            parser.error(f"--batch must be at least 1, got {args.batch}")
        if not 1 <= args.tokens <= GPTConfig().context:
            parser.error(f"--tokens must be between 1 and the model's context, {GPTConfig().context}; got {args.tokens}")
        return 0 if run_demo(args.device, args.batch, args.tokens) else 1
    if args.command == "bench":
        return _bench(args)
    return 0


def _bench(args) -> int:
    from jit.benchmarking import comparison, report  # noqa: PLC0415

    outcomes = comparison.run(args.device, quick=args.quick, workload_names=WORKLOAD_SETS[args.workloads],
                              say=lambda line: print(line, file=sys.stderr))
    table = report.markdown(outcomes, args.device, args.quick)
    print(table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.md").write_text(table)
    print(f"wrote {out / 'bench.md'}")
    try:
        report.chart(outcomes, out / "bench.png", args.device)
    except ImportError:
        print("matplotlib is not installed (pip install arrayscript[bench]): no chart, the Markdown only")
    else:
        print(f"wrote {out / 'bench.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
