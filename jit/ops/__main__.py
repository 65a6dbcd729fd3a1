"""``python -m jit.ops``: print the operator registry."""
from jit.ops import table

print(table())
