"""How each corpus program is called: its inputs at two sizes, and what is
known about scripting and tracing it as written.

A case scripts unmodified unless it says otherwise: ``edit`` is the smallest
change that makes it script, with ``edit_reason``; ``outside_language`` says why
scripting does not apply at all (a construct TorchScript's language does not
have, e.g. ``**kwargs`` unpacking or ``lambda``), and the test checks that
``jit.script`` says so with a CompilationError."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .programs import cs231n_rnn, llama3_np, min_char_rnn, mlfromscratch, numpy100_life, picogpt, pythran_kernels

SIZES = (0, 1)  # two input sets of different shapes


@dataclass
class Case:
    name: str
    function: object  # a function, or a class with ``method`` and ``init_args``
    make_args: object  # (size, rng) -> tuple of arguments
    method: str | None = None
    init_args: tuple = ()
    script_options: dict = field(default_factory=dict)  # e.g. example_inputs=
    edit: object = None
    edit_reason: str = ""
    # What the edit takes after the program's own arguments: the arrays the program reads as module
    # globals, which script code takes as arguments (TorchScript closes over no global tensors).
    edit_arguments: tuple = ()
    outside_language: str = ""
    trace: bool = True
    trace_generalizes: bool = True  # a trace of size 0 is right on size 1
    writes_arguments: bool = False  # the function writes into its arguments: compare them too
    # The float the program computes most of its result in, where it returns a wider one: fused
    # float32 sums accumulate in float64 (rounded once), so they can differ from NumPy's by an ulp.
    computes_in: object = None

    def eager(self):
        if self.method is None:
            return self.function
        return getattr(self.function(*self.init_args), self.method)


def _rng(size, seed=0):
    return np.random.default_rng(seed + 97 * size)


def _floats(rng, *shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


def _rows(size, rng):
    shape = ((4, 16), (9, 40))[size]
    return (_floats(rng, *shape),)


def _vectors(count):
    def make(size, rng):
        n = (1000, 4099)[size]
        return tuple(rng.random(n) for _ in range(count))
    return make


def _layer_norm_args(size, rng):
    rows, width = ((4, 16), (7, 48))[size]
    return _floats(rng, rows, width, dtype=np.float32), _floats(rng, width, dtype=np.float32), \
        _floats(rng, width, dtype=np.float32)


def _linear_args(size, rng):
    n, k, m = ((4, 8, 6), (9, 16, 5))[size]
    return _floats(rng, n, k), _floats(rng, k, m), _floats(rng, m)


def _attention_args(size, rng):
    n, d = ((4, 8), (11, 16))[size]
    mask = (1 - np.tri(n)) * -1e10
    return _floats(rng, n, d), _floats(rng, n, d), _floats(rng, n, d), mask


def _log_likelihood_args(size, rng):
    n = (1000, 10000)[size]
    return np.arange(float(n)), 0.1, 1.1


def _image(size, rng):
    shape = ((6, 8), (17, 12))[size]
    return (_floats(rng, *shape),)


def _diffusion_args(size, rng):
    n = (16, 33)[size]
    u = np.zeros((n, n))
    u[n // 2, n // 2] = 1000.0
    return u, np.zeros((n, n)), (3, 5)[size]


def _grayscott_args(size, rng):
    return ((2, 0.16, 0.08, 0.04, 0.06), (3, 0.14, 0.06, 0.035, 0.065))[size]


def _rnn_step_args(size, rng):
    n, d, h = ((3, 5, 4), (6, 10, 7))[size]
    return _floats(rng, n, d), _floats(rng, n, h), _floats(rng, d, h), _floats(rng, h, h), _floats(rng, h)


def _rnn_args(size, rng):
    n, t, d, h = ((2, 3, 5, 4), (3, 6, 4, 7))[size]
    return _floats(rng, n, t, d), _floats(rng, n, h), _floats(rng, d, h), _floats(rng, h, h), _floats(rng, h)


def _embedding_args(size, rng):
    n, t, v, d = ((2, 3, 10, 4), (4, 5, 20, 6))[size]
    return rng.integers(0, v, (n, t)), _floats(rng, v, d)


def _lstm_step_args(size, rng):
    n, d, h = ((3, 5, 4), (6, 10, 7))[size]
    return (_floats(rng, n, d), _floats(rng, n, h), _floats(rng, n, h), _floats(rng, d, 4 * h),
            _floats(rng, h, 4 * h), _floats(rng, 4 * h))


def _rotary_args(size, rng):
    b, l, heads, hd = ((1, 3, 2, 8), (2, 5, 4, 16))[size]
    freqs = np.outer(np.arange(l), 1.0 / 10000 ** (np.arange(0, hd, 2) / hd))
    return (_floats(rng, b, l, heads, hd, dtype=np.float32), _floats(rng, b, l, heads, hd, dtype=np.float32),
            np.cos(freqs).astype(np.float32), np.sin(freqs).astype(np.float32))


def _repeat_kv_args(size, rng):
    shape, rep = (((1, 3, 2, 4), 2), ((2, 5, 2, 8), 3))[size]
    return _floats(rng, *shape), rep


def _hidden_states(size, rng):
    return (_floats(rng, *((2, 3, 16), (4, 7, 16))[size]),)


def _im2col_args(size, rng):
    return (((2, 3, 8, 8), (3, 3), ((1, 1), (1, 1)), 1), ((1, 2, 10, 7), (2, 2), ((0, 1), (1, 0)), 2))[size]


def _gpt2_params(n_vocab=40, n_ctx=16, n_embd=16, n_layer=2, seed=5):
    rng = np.random.default_rng(seed)

    def weights(*shape):
        return (0.2 * rng.standard_normal(shape)).astype(np.float32)

    def ln():
        return {"g": 1 + weights(n_embd), "b": weights(n_embd)}

    blocks = [{"mlp": {"c_fc": {"w": weights(n_embd, 4 * n_embd), "b": weights(4 * n_embd)},
                       "c_proj": {"w": weights(4 * n_embd, n_embd), "b": weights(n_embd)}},
               "attn": {"c_attn": {"w": weights(n_embd, 3 * n_embd), "b": weights(3 * n_embd)},
                        "c_proj": {"w": weights(n_embd, n_embd), "b": weights(n_embd)}},
               "ln_1": ln(), "ln_2": ln()} for _ in range(n_layer)]
    return {"wte": weights(n_vocab, n_embd), "wpe": weights(n_ctx, n_embd), "blocks": blocks, "ln_f": ln()}


GPT2_PARAMS = _gpt2_params()


def gpt2_forward(inputs, wte, wpe):
    """picoGPT's ``gpt2`` as its ``generate`` calls it, the blocks' weights bound. The embeddings
    are arguments: NumPy gives an index no hook into ``plain_array[traced_ids]``, so a trace
    records the lookup only when the table is an input (or a module attribute)."""
    return picogpt.gpt2(inputs, wte, wpe, GPT2_PARAMS["blocks"], GPT2_PARAMS["ln_f"], n_head=2)


def _token_ids(size, rng):
    return rng.integers(0, 40, (5, 9)[size]), GPT2_PARAMS["wte"], GPT2_PARAMS["wpe"]


def _char_rnn_loss_args(size, rng):
    """lossFun's lists of character indices and a hidden state. The targets are one character
    (size 0) or two (size 1), so that their output-bias gradients pass -5 and the clip changes them."""
    length = (6, 25)[size]  # 25: the gist's seq_length
    inputs = [int(i) for i in rng.integers(0, min_char_rnn.vocab_size, length)]
    targets = [int(i) for i in rng.integers(0, (1, 2)[size], length)]
    return inputs, targets, 0.5 * _floats(rng, min_char_rnn.hidden_size, 1)


def _char_rnn_sample_args(size, rng):
    """sample draws from np.random's global generator, as the gist does: seeding it here, where
    each run's arguments are made, gives the eager, scripted and traced runs the same draws."""
    np.random.seed(1000 + size)
    return _floats(rng, min_char_rnn.hidden_size, 1), (2, 5)[size], (4, 30)[size]


def _life_board(size, rng):
    return (rng.integers(0, 2, ((12, 16), (50, 50))[size]),)  # 50 x 50: the exercise's board


_KWARGS = "``**kwargs`` unpacking of dicts in a call, which TorchScript's language does not have"

CASES = [
    Case("picogpt.gelu", picogpt.gelu, _rows),
    Case("picogpt.softmax", picogpt.softmax, _rows),
    Case("picogpt.layer_norm", picogpt.layer_norm, _layer_norm_args),
    Case("picogpt.linear", picogpt.linear, _linear_args),
    Case("picogpt.attention", picogpt.attention, _attention_args),
    # float32 weights; `/ np.sqrt(q.shape[-1])` (a float64 scalar) promotes the attention to float64,
    # after the first layer norms ran in float32. The fused result equals eager NumPy's with those
    # norms' sums accumulated in float64, bit for bit.
    Case("picogpt.gpt2", gpt2_forward, _token_ids, outside_language=_KWARGS, computes_in=np.float32),
    Case("pythran.arc_distance", pythran_kernels.arc_distance, _vectors(4)),
    Case("pythran.log_likelihood", pythran_kernels.log_likelihood, _log_likelihood_args),
    Case("pythran.harris", pythran_kernels.harris, _image),
    Case("pythran.diffuseNumpy", pythran_kernels.diffuseNumpy, _diffusion_args, writes_arguments=True,
         trace_generalizes=False),
    Case("pythran.GrayScott", pythran_kernels.GrayScott, _grayscott_args, trace=False),
    Case("cs231n.rnn_step_forward", cs231n_rnn.rnn_step_forward, _rnn_step_args),
    Case("cs231n.rnn_forward", cs231n_rnn.rnn_forward, _rnn_args, trace_generalizes=False,
         edit=cs231n_rnn.rnn_forward_edited,
         edit_reason="a variable has one static type (TorchScript's rule): `cache` is a tuple, then the list "
                     "of them, and an empty list's element type is declared"),
    Case("cs231n.word_embedding_forward", cs231n_rnn.word_embedding_forward, _embedding_args),
    Case("cs231n.sigmoid", cs231n_rnn.sigmoid, _rows),
    Case("cs231n.lstm_step_forward", cs231n_rnn.lstm_step_forward, _lstm_step_args),
    Case("llama3.softmax", llama3_np.softmax, _rows),
    Case("llama3.silu", llama3_np.silu, _rows),
    Case("llama3.apply_rotary_emb", llama3_np.apply_rotary_emb, _rotary_args),
    # n_rep is a number input: ``if n_rep == 1`` bakes the branch taken, with a TracerWarning.
    Case("llama3.repeat_kv", llama3_np.repeat_kv, _repeat_kv_args, trace_generalizes=False),
    Case("llama3.RMSNorm", llama3_np.RMSNorm, _hidden_states, method="__call__",
         init_args=(np.linspace(0.5, 1.5, 16), 1e-5)),
    # The gist's inputs are lists of ints (typed by example_inputs) and it reads its weights as globals.
    # A trace unrolls the loops over the lists and bakes their values (TracerWarnings); the gradients,
    # accumulated into np.zeros_like of the global weights, follow the hidden state
    # (tests/jit/tracer/test_writes.py::test_zeros_like_of_a_global_array_follows_traced_writes).
    Case("min_char_rnn.lossFun", min_char_rnn.lossFun, _char_rnn_loss_args, trace_generalizes=False,
         script_options={"example_inputs": [_char_rnn_loss_args(0, _rng(0))]},
         edit=min_char_rnn.lossFun_edited, edit_arguments=min_char_rnn.WEIGHTS,
         edit_reason="script functions take arrays as arguments (TorchScript closes over no global tensors), so "
                     "the weights are passed in; a variable has one static type (TorchScript's rule): the empty "
                     "dicts declare Dict[int, ndarray] (an empty {} is Dict[str, Tensor]) and `loss` starts as "
                     "np.float64(0), not the int 0; `reversed` is not a builtin of TorchScript's language "
                     "(its reversed takes a Tensor), so the backward loop is range(len(inputs) - 1, -1, -1)"),
    # n and seed_ix bake into a trace, and so do the one-hot inputs after the first step: np.zeros of plain
    # sizes is a plain array, and a draw used as its index is a Python int there (TracerWarnings).
    Case("min_char_rnn.sample", min_char_rnn.sample, _char_rnn_sample_args, trace_generalizes=False,
         edit=min_char_rnn.sample_edited, edit_arguments=min_char_rnn.WEIGHTS,
         edit_reason="script functions take arrays as arguments (TorchScript closes over no global tensors), so "
                     "the weights are passed in"),
    Case("numpy100.iterate", numpy100_life.iterate, _life_board, writes_arguments=True),
    Case("mlfromscratch.im2col_indices", mlfromscratch.get_im2col_indices, _im2col_args, trace=False,
         script_options={"example_inputs": [_im2col_args(0, None)]}),
]
for _name in ("Sigmoid", "Softmax", "TanH", "ReLU", "SoftPlus", "SELU"):
    for _method in ("function", "gradient"):
        CASES.append(Case(f"mlfromscratch.{_name}.{_method}", getattr(mlfromscratch, _name), _rows, method=_method))
for _name, _alpha in (("LeakyReLU", 0.2), ("ELU", 0.1)):
    for _method in ("function", "gradient"):
        CASES.append(Case(f"mlfromscratch.{_name}.{_method}", getattr(mlfromscratch, _name), _rows, method=_method,
                          init_args=(_alpha,)))


def arguments(case: Case, size: int):
    return case.make_args(size, _rng(size))
