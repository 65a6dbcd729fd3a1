"""Generated kernels: lowering of fusion groups to a loop-nest kernel IR, the CUDA C and Numba renderers, the compile cache and launch (built by the kernel issues).

Adding a primitive (a scalar function the kernels compute, such as ``hypot``) is one
row per layer: its row in ``device.scalar_vocabulary`` (name, arity, result kind,
NumPy reference; whether its float result is exact), the formula of the registry
entry that uses it (``ufunc_op("hypot", fn.hypot)`` in ``jit.ops``), and one entry
in each renderer's table (``kernels.cpu`` and ``kernels.cuda``: ``_MATH`` for a
library function, else a rule in the renderer's ``code_for_op``) or in its
``refused`` table. A renderer is a ``kernels.rendering.Renderer``: the table plus
what its language differs in; ``kernels.legalization`` decides once, for every
renderer, what no kernel computes, which float16 results are rounded back and which
integer results wrap. tests/kernels/test_rendering.py fails for a primitive a
renderer neither prints nor refuses; tests/fuser and tests/kernels/test_cuda.py run
every fusible op of the registry against NumPy on both renderers.

Adding a backend is one object behind ``kernels.backend``'s protocol (``name``,
``dtypes``, ``supports(kernel)`` with its reason, ``build(kernel, shapes, fallback)``,
``warm_up()``, ``available()``) and one line in ``backend_for(device)``: the fuser
and the executor ask that object and never branch on CPU vs CUDA. Launch helpers
both backends share (argument checks, dynamic shapes, broadcast errors) live in
``kernels.launch``; see ``kernels/backend.py`` for the prose.
"""
