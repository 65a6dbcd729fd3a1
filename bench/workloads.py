"""The fusion workloads: defined once in ``jit.benchmarking.workloads`` (installed,
so that ``arrayscript bench`` runs them too); the bench/ scripts import them here."""
from jit.benchmarking.workloads import (C, EAGER, NUMEXPR, chain10, gelu_bias, inputs, mlp,  # noqa: F401
                                        numba_by_hand, scripted, with_array_module)
