"""GPT-2 inference decorated for fused inference, end to end.

    python examples/gpt_inference.py                 # GPT-2 small's shapes: 124M parameters
    python examples/gpt_inference.py --small         # a tiny model: seconds (the test suite runs this)
    python examples/gpt_inference.py --device cuda   # on the GPU (CuPy)

1. The model (jit/models/gpt.py, written with jit.nn) with GPT-2 small's shapes
   and random weights (nothing is downloaded; jit.manual_seed makes them the same
   every run).
2. Greedy decoding of a few tokens, eagerly and scripted: the same tokens, and the
   time per token of each. Decoding runs over a fixed window (the prompt and the
   tokens to come, zero-padded): the causal mask keeps the padding from reaching
   the position read, and one shape means one specialization, so the kernels are
   compiled once, at the second token.
3. What ``jit.explain`` says about one decoding step: what fused, what did not and why.
4. Save, load with ``map_location="cpu"`` (a GPU-decoded model comes back on the
   CPU), decode again: the same tokens.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import device
import jit
from jit.demo import fusion_summary
from jit.models import GPT, GPTConfig


def greedy_decode(model, prompt, new_tokens: int, on) -> tuple:
    """The ``new_tokens`` tokens greedy decoding appends to ``prompt``, and the seconds
    each step took."""
    window = np.zeros((1, len(prompt) + new_tokens), np.int64)
    window[0, :len(prompt)] = prompt
    tokens, seconds = [], []
    for step in range(new_tokens):
        last = len(prompt) + step - 1  # the position whose logits predict the next token
        started = time.perf_counter()
        logits = model(device.to(window, on))
        token = int(logits[0, last].argmax())  # int() waits for the device
        seconds.append(time.perf_counter() - started)
        window[0, last + 1] = token
        tokens.append(token)
    return tokens, seconds


def per_token(seconds, warm_up: int) -> str:
    steady = seconds[warm_up:] or seconds
    return f"{statistics.median(steady) * 1e3:.1f} ms per token"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="a tiny model instead of GPT-2 small's shapes")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--tokens", type=int, default=None, help="tokens to generate (default 8; 6 with --small)")
    args = parser.parse_args(argv)
    if args.device != "cpu" and not device.cuda_is_available():
        parser.error(f"--device {args.device}: no CUDA device is available")
    config = GPTConfig.tiny() if args.small else GPTConfig.gpt2_small()
    new_tokens = args.tokens or (6 if args.small else 8)
    on = device.Device(args.device)
    prompt = [int(t) for t in np.random.default_rng(1).integers(0, config.vocab_size, 4 if args.small else 8)]
    if len(prompt) + new_tokens > config.context:
        parser.error(f"--tokens: the prompt ({len(prompt)}) and the new tokens must fit the context, {config.context}")

    jit.manual_seed(0)
    started = time.perf_counter()
    model = GPT(config).eval().to(on)
    print(f"GPT {config}: {model.parameter_count():,} parameters on {on}, random weights "
          f"({time.perf_counter() - started:.1f} s to make)")
    scripted = jit.script(model)

    eager_tokens, eager_seconds = greedy_decode(model, prompt, new_tokens, on)
    script_tokens, script_seconds = greedy_decode(scripted, prompt, new_tokens, on)
    print(f"prompt {prompt}")
    print(f"eager    -> {eager_tokens}  {per_token(eager_seconds, 0)}")
    print(f"scripted -> {script_tokens}  {per_token(script_seconds, 2)} after the first two tokens "
          f"(profiled: {script_seconds[0]:.2f} s; specialized and compiled: {script_seconds[1]:.2f} s)")
    if script_tokens != eager_tokens:
        print("FAILED: the scripted model decoded other tokens than eager")
        return 1

    print("\njit.explain of one decoding step:")
    window = device.to(np.zeros((1, len(prompt) + new_tokens), np.int64), on)
    print("\n".join(fusion_summary(jit.explain(scripted, window))))

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "gpt.pt"
        scripted.save(path)
        size = path.stat().st_size
        loaded = jit.load(path, map_location="cpu")
    loaded_tokens, loaded_seconds = greedy_decode(loaded, prompt, new_tokens, device.Device("cpu"))
    print(f"\nsaved ({size / 1e6:.1f} MB), loaded with map_location='cpu' -> {loaded_tokens}  "
          f"{per_token(loaded_seconds, 2)} on cpu")
    if loaded_tokens != eager_tokens:
        print("FAILED: the loaded model decoded other tokens")
        return 1
    print("OK: eager, scripted and loaded decode the same tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
