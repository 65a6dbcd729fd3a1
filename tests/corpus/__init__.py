"""Real, public NumPy programs run through ``jit.script`` and ``jit.trace`` as
their authors wrote them (issue 18's corpus): each file under ``programs/``
quotes the functions under test with their source, and ``cases.py`` says how to
call them. Eager NumPy is the oracle."""
