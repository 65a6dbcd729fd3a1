"""The benchmark workloads (elementwise and, issue 21, reductions): defined once in
``jit.benchmarking.workloads`` (installed, so that ``arrayscript bench`` runs them too);
the bench/ scripts import them here."""
from jit.benchmarking.workloads import (C, EAGER, ELEMENTWISE, LAYER_NORM_EPS, NUMEXPR, RMS_NORM_EPS,  # noqa: F401
                                        chain10, gelu_bias, inputs, layer_norm, log_softmax, mlp, numba_by_hand,
                                        rms_norm, scripted, softmax, torch_built_in, transformer_block,
                                        with_array_module)
