"""Generated kernels: lowering of fusion groups to a loop-nest kernel IR, the CUDA C and Numba renderers, the compile cache and launch (built by the kernel issues)."""
