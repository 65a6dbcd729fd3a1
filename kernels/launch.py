"""What every backend's launcher does the same way: the lines of generated
launcher code that find the iteration shape, send Python ints a kernel cannot
compute exactly and partial outputs to the unfused fallback, and the errors a
launch raises, and the dtype check each backend makes before building.
``kernels.cpu`` and ``kernels.cuda`` both build launchers from these; nothing
here knows of a device."""
from __future__ import annotations

from .ir import Const, Kernel

__all__ = ["broadcast_error", "dependencies", "dtype_refusal", "dynamic_shape", "first_line", "partial_output_checks",
           "python_int_checks"]


def dtype_refusal(kernel: Kernel, dtypes, backend_name: str) -> str | None:
    """Why a backend computing ``dtypes`` cannot run ``kernel`` (the first dtype it
    lacks, among the operands' and the instructions'), or None."""
    unsupported = sorted(({o.dtype for o in kernel.operands} | {i.dtype for i in kernel.body}) - set(dtypes))
    return f"{unsupported[0]} is not supported by the {backend_name} kernels" if unsupported else None


def python_int_checks(kernel: Kernel, otherwise: str) -> list:
    """Launcher lines that do ``otherwise`` (run unfused) for a Python int outside
    the values the kernel computes exactly: NumPy then answers, or raises."""
    return [f"    if not {o.limits[0]} <= {o.name} <= {o.limits[1]}: {otherwise}"
            for o in kernel.operands if o.limits is not None]


def dynamic_shape(kernel: Kernel, on_mismatch: str | None = None):
    """Lines computing the iteration sizes n0, n1... from the arrays' shapes with
    NumPy's broadcasting rule, and the size expressions. Shapes that do not broadcast
    raise NumPy's error, or do ``on_mismatch``: a reduction kernel's arrays need not
    broadcast in NumPy (``np.mean(a) + b`` reads a and b in one row domain), so its
    launcher runs the fallback, which answers as NumPy does."""
    lines = []
    arrays = kernel.arrays
    shapes = ", ".join(f"{o.name}.shape" for o in arrays)
    for d in range(kernel.rank):
        having = [(o, d - (kernel.rank - o.rank)) for o in arrays if d >= kernel.rank - o.rank]
        first, first_dim = having[0]
        lines.append(f"    n{d} = {first.name}.shape[{first_dim}]")
        for operand, dim in having[1:]:
            size = f"{operand.name}.shape[{dim}]"
            lines.append(f"    if {size} != n{d}:")
            lines.append(f"        if n{d} == 1: n{d} = {size}")
            lines.append(f"        elif {size} != 1: {on_mismatch or f'_mismatch({shapes})'}")
    return lines, [f"n{d}" for d in range(kernel.rank)]


def partial_output_checks(kernel: Kernel, sizes) -> list:
    """Conditions under which an output that reads only some of the arrays is
    smaller than the iteration shape (the group then runs unfused)."""
    reads = dependencies(kernel)
    every = {o.name for o in kernel.arrays}
    checks = []
    for output in kernel.outputs:
        used = reads[output.value] & every
        if used != every:
            shapes = ", ".join(f"{name}.shape" for name in sorted(used))
            target = f"({', '.join(sizes)},)"
            checks.append(f"_bshape({shapes}) != {target}" if used else f"{target} != ({', '.join(['1'] * len(sizes))},)")
    return checks


def dependencies(kernel: Kernel) -> dict:
    """name -> the operand names its value reads."""
    reads = {o.name: {o.name} for o in kernel.operands}
    for instr in kernel.body:
        reads[instr.target] = set().union(*(reads[a] for a in instr.args if not isinstance(a, Const)))
    return reads


def broadcast_error(*shapes):
    """The error NumPy's elementwise ops raise for these shapes."""
    text = " ".join("(" + ",".join(map(str, s)) + ("," if len(s) == 1 else "") + ")" for s in shapes)
    raise ValueError(f"operands could not be broadcast together with shapes {text} ")


def first_line(error: Exception) -> str:
    """``Type: first line of the message``: how a compiler's error is reported in a reason."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"
