"""A differential fuzzer: random programs in the script subset, run eagerly by
NumPy and through ``jit.script`` / ``jit.trace``, compared value for value.

``values`` makes the inputs (dtypes, edge values, odd layouts), ``catalog``
reads the operators from the registry, ``generator`` writes programs,
``oracle`` runs and compares them, ``shrinker`` makes a failure small and
prints it as a test, and ``campaign`` is the long-running command line
(``python -m tests.fuzz.campaign --programs N --seed S --jobs J``).
"""
