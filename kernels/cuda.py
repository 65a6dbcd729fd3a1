"""The CUDA renderer: a kernel as CUDA C, compiled through CuPy (NVRTC) and
launched on CuPy arrays; or, for verification without a GPU, compiled as C++
by ``kernels.host_shim`` and run on NumPy arrays.

One (kernel, layout) gives several variants, chosen per call by the launcher:

- ``flat``: every array is C-contiguous with the full iteration shape, so the
  element index is the offset into all of them;
- ``vector``: flat, with every pointer aligned to a whole vector: each thread
  moves 16 (8-byte dtypes: 2 x 8) bytes per array per load and store;
- ``baked`` (STATIC only): every array C-contiguous in its own shape, which may
  broadcast; sizes and strides are literals, so the index arithmetic is
  multiplications by constants;
- ``strided``: any layout (transposed, sliced, negative strides, broadcast):
  strides are arguments, sizes too for DYNAMIC kernels.

Each variant comes with 32-bit index arithmetic when the element count and
every array's extent fit in 31 bits, 64-bit otherwise. Every loop is a
grid-stride loop, so any grid covers the work; the backend picks the grid
from the device's SM count and thread limits. Float16 is stored as its 16 bits
and computed in float32, rounded to float16 after each operation as NumPy's
float16 loops do. Integer arithmetic is done in unsigned types and converted
back, so overflow wraps as in NumPy without C's undefined behaviour; division
by zero and shifts past the width give NumPy's results.
"""
from __future__ import annotations

import threading
import time
from math import prod

import numpy as np

import device as _device
from device.scalar_vocabulary import LDEXP_EXPONENT_LIMIT

from . import nvrtc
from .ir import (LOGICAL, ORDERING, SUPPORTED_DTYPES, Const, Kernel, Layout, ReductionKernel, UnsupportedKernel,
                 layout_of, uniform_power_form)
from .launch import broadcast_error, dynamic_shape, first_line, partial_output_checks, python_int_checks
from .rendering import Renderer

DTYPES = SUPPORTED_DTYPES
FLAT, VECTOR, BAKED, STRIDED = "flat", "vector", "baked", "strided"
INDEX_LIMIT = 1 << 31  # 32-bit index arithmetic below this many elements (and extent)
# NumPy's float semantics: subnormals kept (no FTZ), no multiply-add contraction (so each
# float mul, add and sub is printed with .rn, which ptxas does not fuse either), IEEE division
# and square root. A kernel that wanted fast math would pass its own options, said where it does.
NVRTC_OPTIONS = ("--std=c++14", "--ftz=false", "--prec-div=true", "--prec-sqrt=true", "--fmad=false")

STORAGE = {"bool": "bool", "int8": "signed char", "int16": "short", "int32": "int", "int64": "long long",
           "uint8": "unsigned char", "uint16": "unsigned short", "uint32": "unsigned int",
           "uint64": "unsigned long long", "float16": "unsigned short", "float32": "float", "float64": "double"}
_VALUE = dict(STORAGE, float16="float")  # what a value is held in while computing
_WIDE_UNSIGNED = {"int8": "unsigned int", "int16": "unsigned int", "int32": "unsigned int",
                  "int64": "unsigned long long", "uint8": "unsigned int", "uint16": "unsigned int",
                  "uint32": "unsigned int", "uint64": "unsigned long long"}
_INDEX = {32: "unsigned int", 64: "unsigned long long"}
_OFFSET = {32: "int", 64: "long long"}
SCALAR_PARAMETERS = {"int64": "long long", "uint64": "unsigned long long", "float64": "double",
                     "bool": "bool"}  # Python numbers, by value
_MATH = {"exp": "exp", "exp2": "exp2", "expm1": "expm1", "log": "log", "log2": "log2", "log10": "log10",
         "log1p": "log1p", "sqrt": "sqrt", "sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "asin",
         "arccos": "acos", "arctan": "atan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "arcsinh": "asinh",
         "arccosh": "acosh", "arctanh": "atanh", "erf": "erf",
         "floor": "floor", "ceil": "ceil", "trunc": "trunc", "rint": "rint", "arctan2": "atan2", "fmod": "fmod",
         "power": "pow", "hypot": "hypot", "copysign": "copysign", "cbrt": "cbrt"}

# Device intrinsics, with host equivalents in kernels.host_shim (which defines ARRAYSCRIPT_HOST).
_HALF = """\
#ifndef ARRAYSCRIPT_HOST
static __device__ __forceinline__ float half_to_float(unsigned short h) {
    float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f;
}
static __device__ __forceinline__ unsigned short float_to_half(float f) {
    unsigned short h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f)); return h;
}
static __device__ __forceinline__ unsigned short double_to_half(double d) {
    unsigned short h; asm("cvt.rn.f16.f64 %0, %1;" : "=h"(h) : "d"(d)); return h;
}
#endif
static __device__ __forceinline__ float round_half(float x) { return half_to_float(float_to_half(x)); }
static __device__ __forceinline__ float round_half_d(double x) { return half_to_float(double_to_half(x)); }
"""
# NumPy's float16 nextafter on a float16 value held in a float: one step of its bits
# (away from zero is +1 in sign-magnitude); x == y gives y, NaN gives NaN.
_NEXTAFTER_HALF = """\
static __device__ __forceinline__ float nextafter_half(float x, float y) {
    if (x != x || y != y) return x + y;
    if (x == y) return y;
    unsigned short h = float_to_half(x);
    if (x == 0.0f) h = (unsigned short)((y < 0.0f ? 0x8000 : 0) | 1);
    else if ((x < y) == (x > 0.0f)) h = (unsigned short)(h + 1);
    else h = (unsigned short)(h - 1);
    return half_to_float(h);
}
"""
# The population count intrinsics; on the host, the compiler's builtins.
_POPC = """\
#ifdef ARRAYSCRIPT_HOST
static inline int __popc(unsigned int x) { return __builtin_popcount(x); }
static inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
#endif
"""
_BITS = """\
#ifndef ARRAYSCRIPT_HOST
static __device__ __forceinline__ double bits_to_double(long long b) { return __longlong_as_double(b); }
#endif
"""


def _is_float(dtype: str) -> bool:
    return dtype.startswith("float")


def _is_signed(dtype: str) -> bool:
    return dtype.startswith("int")


def _int_helper(op: str, dtype: str) -> str:
    """NumPy's integer floor_divide, remainder and fmod: 0 for a zero divisor, and
    MIN // -1 wrapping, where C would trap or be undefined."""
    t, u = STORAGE[dtype], _WIDE_UNSIGNED[dtype]
    head = f"static __device__ __forceinline__ {t} {op}_{dtype}({t} a, {t} b) {{\n"
    if not _is_signed(dtype):
        return head + f"    if (b == 0) return 0;\n    return ({t})(a {'/' if op == 'floor_divide' else '%'} b);\n}}\n"
    if op == "floor_divide":
        return head + (f"    if (b == 0) return 0;\n    if (b == -1) return ({t})(({u})0 - ({u})a);\n"
                       f"    {t} q = ({t})(a / b);\n"
                       f"    if (({t})(a % b) != 0 && ((a < 0) != (b < 0))) q = ({t})(q - 1);\n    return q;\n}}\n")
    if op == "remainder":
        return head + (f"    if (b == 0 || b == -1) return 0;\n    {t} r = ({t})(a % b);\n"
                       f"    if (r != 0 && ((r < 0) != (b < 0))) r = ({t})(r + b);\n    return r;\n}}\n")
    return head + f"    if (b == 0 || b == -1) return 0;\n    return ({t})(a % b);\n}}\n"


def _float_helper(op: str, dtype: str) -> str:
    """NumPy's float floor_divide and remainder (npy_divmod)."""
    t, f = ("double", "") if dtype == "float64" else ("float", "f")
    head = f"static __device__ __forceinline__ {t} {op}_{t}({t} a, {t} b) {{\n"
    if op == "floor_divide":
        return head + (f"    if (b == 0) return a / b;\n    {t} mod = fmod{f}(a, b);\n    {t} div = (a - mod) / b;\n"
                       f"    if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1;\n"
                       f"    if (div != 0) {{\n        {t} whole = floor{f}(div);\n"
                       f"        if (div - whole > 0.5{f}) whole += 1;\n        return whole;\n    }}\n"
                       f"    return copysign{f}(0.0{f}, a / b);\n}}\n")
    return head + (f"    {t} mod = fmod{f}(a, b);\n    if (b == 0) return mod;\n"
                   f"    if (mod != 0) {{\n        if ((b < 0) != (mod < 0)) mod += b;\n        return mod;\n    }}\n"
                   f"    return copysign{f}(0.0{f}, b);\n}}\n")


class CudaRenderer(Renderer):
    """CUDA C: one ``const`` per instruction; collects the helpers they call. Float16 values are
    held in float and rounded back after each inexact result (kernels.legalization)."""
    name = "CUDA"
    wider = {"float16": "float32"}

    def __init__(self, kernel: Kernel):
        super().__init__(kernel)
        self.helpers: dict = {}  # name -> source, in first-use order

    def literal(self, value: Const) -> str:
        dt = value.dtype
        if dt == "bool":
            return "true" if value.value else "false"
        if not _is_float(dt):
            number = int(value.value)
            if number == -(1 << 63):
                return "(-9223372036854775807LL - 1)"
            return f"(({STORAGE[dt]}){number}{'ULL' if number >= (1 << 63) else 'LL'})"
        number = float(value.value)
        if np.isnan(number) or np.isinf(number):
            self.helpers.setdefault("bits", _BITS)
            if np.isnan(number):
                text = "bits_to_double(0x7ff8000000000000LL)"
            else:
                text = f"({'' if number > 0 else '-'}bits_to_double(0x7ff0000000000000LL))"
        else:
            text = repr(number)
        if dt == "float16":
            self.helpers.setdefault("half", _HALF)
            return f"round_half_d({text})"
        return f"((float){text})" if dt == "float32" else text

    def arg(self, value) -> str:
        return self.literal(value) if isinstance(value, Const) else value

    def helper(self, name: str, source: str, *args) -> str:
        self.helpers.setdefault(name, source)
        return f"{name}({', '.join(args)})"

    def instruction(self, instr) -> str:
        text = self.expression(instr)
        self.dtypes[instr.target] = instr.dtype
        return f"const {_VALUE[instr.dtype]} {instr.target} = {text};"

    def round_back(self, dt: str, text: str) -> str:
        self.helpers.setdefault("half", _HALF)
        return f"round_half({text})"

    def cast(self, a: str, source: str, dt: str) -> str:
        if dt == source:
            return a
        if dt == "bool":
            return f"({a} != 0)"
        if dt == "float16":
            self.helpers.setdefault("half", _HALF)
            return f"round_half_d((double){a})" if source in ("float64", "int64", "uint64") \
                else f"round_half((float){a})"
        return f"(({_VALUE[dt]}){a})"

    # -- one rule per primitive (e: kernels.rendering.Operation) ----------------------
    def _bitwise(self, e):
        if e.dt == "bool":
            return f"((bool)({e.a} {e.op} {e.b}))"
        return f"(({_VALUE[e.dt]})({e.a} {e.op} {e.b}))"

    def _arithmetic(self, e):
        op, dt, a, b = e.op, e.dt, e.a, e.b
        if dt == "bool" and op in ("+", "*"):  # NumPy's add and multiply of booleans are or and and
            return f"({a} {'||' if op == '+' else '&&'} {b})"
        if _is_float(dt):
            return f"({a} {op} {b})"
        if op == "/":  # integer reciprocal: NumPy divides in double and converts back
            return f"(({_VALUE[dt]})((double){a} / (double){b}))"
        if e.wraps:
            u = _WIDE_UNSIGNED[dt]
            return f"(({_VALUE[dt]})(({u}){a} {op} ({u}){b}))"
        return None

    def _shift(self, e):
        dt, a, b, t = e.dt, e.a, e.b, _VALUE[e.dt]
        bits = np.dtype(dt).itemsize * 8
        in_range = f"{b} < {bits}" if not _is_signed(dt) else f"{b} >= 0 && {b} < {bits}"
        if e.op == "<<":
            shifted, beyond = f"({t})(({_WIDE_UNSIGNED[dt]}){a} << {b})", f"({t})0"
        else:
            shifted = f"({t})({a} >> {b})"
            beyond = f"({a} < 0 ? ({t})-1 : ({t})0)" if _is_signed(dt) else f"({t})0"
        return f"(({in_range}) ? {shifted} : {beyond})"

    def _negative(self, e):
        if _is_float(e.dt):
            return f"(-{e.a})"
        u = _WIDE_UNSIGNED[e.dt]
        return f"(({_VALUE[e.dt]})(({u})0 - ({u}){e.a}))" if e.wraps else None

    def _equality(self, e):
        if e.a == e.b and not _is_float(e.source):  # x == x of an integer (a C compiler warns of it)
            return "true" if e.op == "eq" else "false"
        return f"({e.a} {'==' if e.op == 'eq' else '!='} {e.b})"

    def _maximum(self, e):
        a, b = e.a, e.b
        keep = f"{a} {'>' if e.op == 'maximum' else '<'} {b}" + (f" || {a} != {a}" if _is_float(e.dt) else "")
        return f"(({keep}) ? {a} : {b})"  # NaN wins, as in NumPy

    def _absolute(self, e):
        dt, a = e.dt, e.a
        if _is_float(dt):
            return f"fabs{'' if dt == 'float64' else 'f'}({a})"
        if _is_signed(dt):
            u, t = _WIDE_UNSIGNED[dt], _VALUE[dt]
            return f"(({t})({a} < 0 ? ({u})0 - ({u}){a} : ({u}){a}))"
        return a

    def _sign(self, e):
        t, a = _VALUE[e.dt], e.a
        if not _is_signed(e.dt) and not _is_float(e.dt):
            return f"({a} > 0 ? ({t})1 : ({t})0)"
        return f"({a} > 0 ? ({t})1 : ({a} < 0 ? ({t})-1 : {a}))"

    def _uniform_power(self, e):
        """NumPy's power for an exponent that is one value for all elements (kernels.ir.UNIFORM_POWERS):
        the closed form of a constant exponent, else a branch on the exponent (the same in every thread)."""
        if not _is_float(e.dt):
            return None
        a, b = e.a, e.b
        f = "" if e.dt == "float64" else "f"
        one = f"1.0{f}"
        closed = {-1.0: f"({one} / {a})", 0.0: one, 0.5: f"sqrt{f}({a})", 1.0: a, 2.0: f"({a} * {a})"}
        return uniform_power_form(closed, f"pow{f}({a}, {b})", e.instr.args[1], b,
                                  lambda condition, then, otherwise: f"({condition} ? {then} : {otherwise})")

    def _division(self, e):  # floor_divide, remainder, fmod
        if not _is_float(e.dt):
            return self.helper(f"{e.op}_{e.dt}", _int_helper(e.op, e.dt), e.a, e.b)
        if e.op == "fmod":
            return self._math(e)
        name = f"{e.op}_{'double' if e.dt == 'float64' else 'float'}"
        return self.helper(name, _float_helper(e.op, e.dt), e.a, e.b)

    def _rounding(self, e):  # floor, ceil, trunc, rint
        return self._math(e) if _is_float(e.dt) else e.a  # NumPy 2 rounds integers to themselves

    def _math(self, e):
        return f"{_MATH[e.op]}{'' if e.dt == 'float64' else 'f'}({', '.join(e.args)})" if _is_float(e.dt) else None

    def _nextafter(self, e):
        if e.dt == "float16":
            self.helpers.setdefault("half", _HALF)
            return self.helper("nextafter_half", _NEXTAFTER_HALF, e.a, e.b)
        return f"nextafter{'' if e.dt == 'float64' else 'f'}({e.a}, {e.b})" if _is_float(e.dt) else None

    def _gcd_lcm(self, e):
        """NumPy's gcd and lcm (kernels.cpu_math's _gcd_int, _lcm_int): Euclid on the magnitudes."""
        if _is_float(e.dt) or e.dt == "bool":
            return None
        t = STORAGE[e.dt]
        magnitude = ("{0} < 0 ? 0ULL - (unsigned long long){0} : (unsigned long long){0}" if _is_signed(e.dt)
                     else "(unsigned long long){0}")
        result = "(x / h) * y" if e.op == "lcm" else "h"
        source = (f"static __device__ __forceinline__ {t} {e.op}_{e.dt}({t} a, {t} b) {{\n"
                  f"    const unsigned long long x = {magnitude.format('a')}, y = {magnitude.format('b')};\n"
                  f"    unsigned long long g = x, h = y;\n"
                  f"    while (g != 0) {{ const unsigned long long r = h % g; h = g; g = r; }}\n"
                  f"    return ({t})(h == 0 ? 0ULL : {result});\n}}\n")
        return self.helper(f"{e.op}_{e.dt}", source, e.a, e.b)

    def _popcount(self, e):
        """NumPy's bitwise_count: the set bits of |a| (the minimum int's magnitude is its own bits)."""
        if _is_float(e.dt) or e.dt == "bool":
            return None
        self.helpers.setdefault("popc", _POPC)
        wide = np.dtype(e.dt).itemsize == 8
        u = "unsigned long long" if wide else "unsigned int"
        magnitude = f"({e.a} < 0 ? ({u})0 - ({u}){e.a} : ({u}){e.a})" if _is_signed(e.dt) else f"({u}){e.a}"
        return f"(({_VALUE[e.dt]}){'__popcll' if wide else '__popc'}({magnitude}))"

    def _frexp(self, e):
        """A part of frexp; the exponent as a float (the formula gives 0 where x is not finite)."""
        if not _is_float(e.dt):
            return None
        t, f = ("double", "") if e.dt == "float64" else ("float", "f")
        body = (f"return frexp{f}(x, &exponent);" if e.op == "frexp_mantissa"
                else f"(void)frexp{f}(x, &exponent);\n    return ({t})exponent;")
        source = (f"static __device__ __forceinline__ {t} {e.op}_{t}({t} x) {{\n"
                  f"    int exponent = 0;\n    {body}\n}}\n")
        return self.helper(f"{e.op}_{t}", source, e.a)

    def _ldexp(self, e):
        """The exponent is held in the float dtype (an integer value): clamped, then converted to int."""
        if not _is_float(e.dt):
            return None
        f, limit = ("" if e.dt == "float64" else "f"), f"{LDEXP_EXPONENT_LIMIT}.0{'' if e.dt == 'float64' else 'f'}"
        return f"ldexp{f}({e.a}, (int)fmin{f}(fmax{f}({e.b}, -{limit}), {limit}))"

    code_for_op = {
        **dict.fromkeys(_MATH, _math),  # the library functions; the entries below take precedence
        **dict.fromkeys(ORDERING, lambda r, e: f"({e.a} {e.op} {e.b})"),
        **dict.fromkeys(LOGICAL,
                        lambda r, e: f"(({e.a} != 0) {'&&' if e.op == 'and' else '||'} ({e.b} != 0))"),
        "nextafter": _nextafter,
        **dict.fromkeys(("gcd", "lcm"), _gcd_lcm),
        "ldexp": _ldexp,
        "popcount": _popcount,
        **dict.fromkeys(("frexp_mantissa", "frexp_exponent"), _frexp),
        "not": lambda r, e: f"({e.a} == 0)",
        **dict.fromkeys(("&", "|", "^"), _bitwise),
        **dict.fromkeys(("+", "-", "*", "/"), _arithmetic),
        **dict.fromkeys(("<<", ">>"), _shift),
        "neg": _negative,
        "invert": lambda r, e: f"(!{e.a})" if e.dt == "bool" else f"(({_VALUE[e.dt]})(~{e.a}))",
        "cast": lambda r, e: r.cast(e.a, e.source, e.dt),
        **dict.fromkeys(("eq", "ne"), _equality),
        "where": lambda r, e: f"({e.a} ? {e.b} : {e.args[2]})",
        **dict.fromkeys(("maximum", "minimum"), _maximum),
        "isnan": lambda r, e: f"({e.a} != {e.a})" if _is_float(e.source) else "false",
        "isinf": lambda r, e: (f"({e.a} == {e.a} && ({e.a} - {e.a}) != ({e.a} - {e.a}))" if _is_float(e.source)
                               else "false"),
        "isfinite": lambda r, e: f"(({e.a} - {e.a}) == 0)" if _is_float(e.source) else "true",
        "signbit": lambda r, e: f"(signbit({e.a}) != 0)" if _is_float(e.source) else None,
        "absolute": _absolute,
        "sign": _sign,
        "power_uniform": _uniform_power,
        **dict.fromkeys(("floor_divide", "remainder", "fmod"), _division),
        **dict.fromkeys(("floor", "ceil", "trunc", "rint"), _rounding),
    }


def _variant_name(kernel: Kernel, key) -> str:
    mode, bits = key
    return f"{kernel.name}_{mode}{bits}"


def vector_width(kernel: Kernel) -> int:
    """Elements per vector load: 16 bytes of the widest dtype, at most 4 elements."""
    widest = max(np.dtype(d).itemsize for d in [o.dtype for o in kernel.arrays] + [o.dtype for o in kernel.outputs])
    return max(1, min(4, 16 // widest))


def parameters(kernel: Kernel, layout: Layout | None, key) -> list:
    """(name, C type) of a variant's parameters, in order; pointers end in '*'."""
    mode, bits = key
    params = [(o.name, f"{STORAGE[o.dtype]}*") for o in kernel.outputs]
    for operand in kernel.operands:
        if operand.is_array:
            params.append((operand.name, f"const {STORAGE[operand.dtype]}*"))
        else:
            params.append((operand.name, SCALAR_PARAMETERS[operand.dtype]))
    params.append(("n", _INDEX[bits]))
    if mode == STRIDED:
        if layout is None or layout.shape is None:
            params += [(f"n{d}", _INDEX[bits]) for d in range(kernel.rank)]
        for k, operand in enumerate(kernel.arrays):
            params += [(f"s{k}_{d}", _OFFSET[bits]) for d in range(operand.rank)]
        for j in range(len(kernel.outputs)):  # outputs too: a store may write into a strided view
            params += [(f"so{j}_{d}", _OFFSET[bits]) for d in range(kernel.rank)]
    return params


def render(kernel: Kernel, layout: Layout | None, key) -> str:
    """The CUDA C source of one variant: ``extern "C" __global__`` function
    ``<kernel name>_<mode><bits>`` with the parameters ``parameters`` lists."""
    mode, bits = key
    if mode == BAKED and (layout is None or layout.shape is None):
        raise ValueError("the baked variant needs a STATIC layout")
    printer = CudaRenderer(kernel)
    body = [printer.instruction(instr) for instr in kernel.body]
    index, offset = _INDEX[bits], _OFFSET[bits]
    element_params = [f"{_VALUE[o.dtype]} {o.name}" if o.is_array else f"{SCALAR_PARAMETERS[o.dtype]} {o.name}"
                      for o in kernel.operands]
    element_params += [f"{_VALUE[o.dtype]}& {o.name}" for o in kernel.outputs]
    lines = [f"static __device__ __forceinline__ void element({', '.join(element_params)}) {{"]
    lines += [f"    {line}" for line in body]
    lines += [f"    {o.name} = {o.value};" for o in kernel.outputs]
    lines.append("}")
    uses_half = any(d == "float16" for d in [o.dtype for o in kernel.operands] + [o.dtype for o in kernel.outputs])
    if uses_half:
        printer.helpers.setdefault("half", _HALF)
    signature = ", ".join(f"{t} __restrict__ {name}" if t.endswith("*") else f"const {t} {name}"
                          for name, t in parameters(kernel, layout, key))
    lines += ["", f'extern "C" __global__ void {_variant_name(kernel, key)}({signature}) {{',
              f"    const {index} step = ({index})blockDim.x * ({index})gridDim.x;",
              f"    const {index} first = ({index})blockIdx.x * ({index})blockDim.x + ({index})threadIdx.x;"]
    for operand in kernel.operands:
        if operand.is_array and operand.rank == 0:  # read once, on the device: no host round trip
            lines.append(f"    const {_VALUE[operand.dtype]} v_{operand.name} = {_load(operand.dtype, operand.name + '[0]')};")
    structs = []
    if mode == VECTOR:
        width = vector_width(kernel)
        for dtype in sorted({o.dtype for o in kernel.arrays} | {o.dtype for o in kernel.outputs}):
            size = np.dtype(dtype).itemsize * width
            structs.append(f"struct alignas({size}) vec_{dtype} {{ {STORAGE[dtype]} v[{width}]; }};")
        lines += [f"    const {index} groups = n / {width};",
                  f"    for ({index} g = first; g < groups; g += step) {{"]
        for operand in kernel.arrays:
            lines.append(f"        const vec_{operand.dtype} w_{operand.name} = "
                         f"reinterpret_cast<const vec_{operand.dtype}*>({operand.name})[g];")
        lines += [f"        vec_{o.dtype} w_{o.name};" for o in kernel.outputs]
        lines += ["        #pragma unroll", f"        for (int k = 0; k < {width}; ++k) {{"]
        lines += _element_call(kernel, {o.name: _load(o.dtype, f"w_{o.name}.v[k]") for o in kernel.arrays},
                               {o.name: f"w_{o.name}.v[k]" for o in kernel.outputs}, "            ")
        lines.append("        }")
        lines += [f"        reinterpret_cast<vec_{o.dtype}*>({o.name})[g] = w_{o.name};" for o in kernel.outputs]
        lines += ["    }", f"    for ({index} i = groups * {width} + first; i < n; i += step) {{"]
        lines += _element_call(kernel, {o.name: _load(o.dtype, f"{o.name}[i]") for o in kernel.arrays},
                               {o.name: f"{o.name}[i]" for o in kernel.outputs}, "        ")
        lines.append("    }")
    else:
        lines.append(f"    for ({index} i = first; i < n; i += step) {{")
        loads, stores = {}, {o.name: f"{o.name}[i]" for o in kernel.outputs}
        if mode == FLAT:
            loads = {o.name: _load(o.dtype, f"{o.name}[i]") for o in kernel.arrays}
        else:
            offsets = [_offset(kernel, layout, mode, k, offset) for k in range(len(kernel.arrays))]
            used = set().union(*(dims for _, dims in offsets))
            if mode == STRIDED:
                used |= set(range(kernel.rank))
                stores = {o.name: f"{o.name}[{' + '.join(f'({offset})i{d} * so{j}_{d}' for d in range(kernel.rank)) or '0'}]"
                          for j, o in enumerate(kernel.outputs)}
            lines += _decompose(kernel, layout, used, index)
            for operand, (text, _) in zip(kernel.arrays, offsets):
                loads[operand.name] = _load(operand.dtype, f"{operand.name}[{text}]")
        lines += _element_call(kernel, loads, stores, "        ")
        lines.append("    }")
    lines.append("}")
    header = [f"// ArrayScript kernel {kernel.name}: {mode} variant, {bits}-bit indices"]
    return "\n".join(header + list(printer.helpers.values()) + structs + lines) + "\n"


def _load(dtype: str, text: str) -> str:
    return f"half_to_float({text})" if dtype == "float16" else text


def _element_call(kernel: Kernel, loads: dict, stores: dict, indent: str) -> list:
    arguments = []
    for operand in kernel.operands:
        if operand.is_array and operand.rank == 0:
            arguments.append(f"v_{operand.name}")
        else:
            arguments.append(loads.get(operand.name, operand.name))
    lines = [f"{indent}{_VALUE[o.dtype]} r_{o.name};" for o in kernel.outputs]
    lines.append(f"{indent}element({', '.join(arguments + [f'r_{o.name}' for o in kernel.outputs])});")
    for output in kernel.outputs:
        value = f"float_to_half(r_{output.name})" if output.dtype == "float16" else f"r_{output.name}"
        lines.append(f"{indent}{stores[output.name]} = {value};")
    return lines


def _decompose(kernel: Kernel, layout, used: set, index: str) -> list:
    """Lines splitting the element index i into the per-dimension indices in ``used``."""
    rank = kernel.rank
    if rank == 1:
        return [f"        const {index} i0 = i;"] if used else []
    static = layout is not None and layout.shape is not None
    sizes = [f"{layout.shape[d]}u" if static else f"n{d}" for d in range(rank)]
    if not used:
        return []
    lines = [f"        {index} rest = i;"]
    for d in range(rank - 1, 0, -1):
        if d in used:
            lines.append(f"        const {index} i{d} = rest % {sizes[d]};")
        if d > min(used):
            lines.append(f"        rest /= {sizes[d]};")
    if 0 in used:
        lines.append(f"        const {index} i0 = rest;")
    return lines


def _offset(kernel: Kernel, layout, mode: str, k: int, offset: str):
    """(the k-th array's element offset for the current indices, the dimensions it reads)."""
    operand = kernel.arrays[k]
    lead = kernel.rank - operand.rank
    if mode == STRIDED:
        dims = [lead + d for d in range(operand.rank)]
        return " + ".join(f"({offset})i{lead + d} * s{k}_{d}" for d in range(operand.rank)), set(dims)
    broadcast = layout.broadcast[k]
    if operand.rank == kernel.rank and not any(broadcast):
        return "i", set()
    terms, dims, stride = [], set(), 1
    for d in range(operand.rank - 1, -1, -1):
        if not broadcast[d] and layout.shape[lead + d] != 1:
            terms.append(f"({offset})i{lead + d}" + (f" * {stride}" if stride != 1 else ""))
            dims.add(lead + d)
        stride *= 1 if broadcast[d] else layout.shape[lead + d]
    return " + ".join(reversed(terms)) or "0", dims


# -- launching ---------------------------------------------------------------------------------

class Build:
    """One compiled variant and how long it took."""

    def __init__(self, key, seconds: float, how: str):
        self.key, self.seconds, self.how = key, seconds, how

    def __str__(self):
        mode, bits = self.key
        return f"{mode}/{bits}-bit {self.how} in {self.seconds * 1e3:.0f} ms"


class CudaKernel:
    """A kernel ready to run: ``launch(*operands)`` returns the output array (a
    tuple when there are several), allocated by the backend. ``layout`` is the
    STATIC layout or None (DYNAMIC). The backend compiles variants
    (``compile(source, name, params) -> run(work, args)``) and allocates; with
    ``backend.eager`` the variant the layout predicts is compiled now, so a
    compile error leaves the group unfused (UnsupportedKernel) and explain can
    report the compile time."""

    launches_into = True  # launch(..., _out=view[, _into=k]) writes an output into the view (fuser.inplace_store)

    def __init__(self, kernel: Kernel, layout: Layout | None, backend, fallback=None):
        self.kernel, self.layout, self.backend, self.fallback = kernel, layout, backend, fallback
        self.variants: dict = {}
        self.builds: list = []
        self._lock = threading.Lock()
        self.launch = self._make_launcher()
        if getattr(backend, "eager", False):
            try:
                self.variant(self.predicted_variant())
            except UnsupportedKernel:
                raise
            except Exception as error:  # NVRTC's compile errors
                raise UnsupportedKernel(f"the CUDA kernel did not compile: {first_line(error)}") from error

    @property
    def static(self) -> bool:
        return self.layout is not None

    def predicted_variant(self):
        """The variant contiguous inputs of the guarded shapes take."""
        if self.layout is None:
            return (STRIDED, 32)
        bits = 32 if prod(self.layout.shape) < INDEX_LIMIT else 64
        full = all(o.rank == self.kernel.rank and not any(flags)
                   for o, flags in zip(self.kernel.arrays, self.layout.broadcast))
        return (VECTOR if full else BAKED, bits)

    def source(self, key) -> str:
        return render(self.kernel, self.layout, key)

    def variant(self, key):
        """The compiled ``run(work, args)`` of a variant, compiled on first use."""
        found = self.variants.get(key)
        if found is not None:
            return found
        with self._lock:
            if key not in self.variants:
                start = time.perf_counter()
                name = _variant_name(self.kernel, key)
                try:
                    run, how = self.backend.compile(self.source(key), name, parameters(self.kernel, self.layout, key))
                except Exception as error:  # a compiler's error: name the variant, keep its message
                    raise RuntimeError(f"the CUDA kernel {name} did not compile: {error}") from error
                self.builds.append(Build(key, time.perf_counter() - start, how))
                self.variants[key] = run
        return self.variants[key]

    def report(self) -> str:
        kind = "STATIC" if self.static else "DYNAMIC"
        built = "; ".join(map(str, self.builds)) or "compiled on first launch"
        return f"{kind} CUDA kernel {self.kernel.name} on {self.backend.name}, {built}"

    def _make_launcher(self):
        kernel = self.kernel
        names = [o.name for o in kernel.operands]
        arrays = kernel.arrays
        outputs = [o.name for o in kernel.outputs]
        width = vector_width(kernel)
        namespace = {"_self": self, "_empty": self.backend.empty, "_address": self.backend.address,
                     "_mismatch": broadcast_error, "_bshape": np.broadcast_shapes, "_strided": _strided_arguments,
                     "_INDEX": {32: np.uint32, 64: np.uint64}, "_LIMIT": INDEX_LIMIT}
        for index, output in enumerate(kernel.outputs):
            namespace[f"_dt{index}"] = np.dtype(output.dtype)
        for dtype, convert in (("int64", np.int64), ("uint64", np.uint64), ("float64", np.float64),
                               ("bool", np.bool_)):
            namespace[f"_{dtype}"] = convert
        passed = [o.name if o.is_array else f"_{o.dtype}({o.name})" for o in kernel.operands]
        several = len(outputs) > 1  # output _into (0 for one output) may be written into the caller's view _out
        lines = [f"def launch({', '.join(names + ['_out=None'] + (['_into=0'] if several else []))}):"]
        lines += python_int_checks(kernel, f"return _self.fallback({', '.join(names)})")
        if self.backend.device_index is not None:  # run on the arrays' device whatever the current one is
            namespace["_current"], namespace["_on_device"] = self.backend.current_device, self.backend.on_device
            again = f"(lambda *a: launch(*a, _out=_out{', _into=_into' if several else ''}))"
            lines.append(f"    if _current() != {self.backend.device_index}: "
                         f"return _on_device({again}, ({''.join(n + ', ' for n in names)}))")
        if self.static:
            sizes = [str(s) for s in self.layout.shape]
        else:
            shape_lines, sizes = dynamic_shape(kernel)
            lines += shape_lines
            for check in partial_output_checks(kernel, sizes):
                lines.append(f"    if {check}: return _self.fallback({', '.join(names)})")
        shape = f"({', '.join(sizes)},)"
        lines.append(f"    _shape = {shape}")
        # (a fresh result when _out has another shape: the caller copies it)
        lines.append(f"    if _out is not None and _out.shape != _shape: return _self.fallback({', '.join(names)})")
        if several:
            lines += [f"    {name} = _out if _out is not None and _into == {index} else _empty(_shape, _dt{index})"
                      for index, name in enumerate(outputs)]
        else:
            lines.append(f"    {outputs[0]} = _empty(_shape, _dt0) if _out is None else _out")
        result = outputs[0] if len(outputs) == 1 else "(" + ", ".join(outputs) + ",)"
        lines.append(f"    _n = {' * '.join(sizes)}")
        lines.append(f"    if not _n: return {result}")
        head = ", ".join(outputs + passed)
        run = "_self.variants.get({key}) or _self.variant({key})"
        every = [*(o.name for o in arrays), *outputs]
        contiguous_output = [f"{name}.flags.c_contiguous" for name in outputs]  # _out may be a view
        if all(o.rank == kernel.rank for o in arrays) and (
                not self.static or not any(any(flags) for flags in self.layout.broadcast)):
            flat = [f"{o.name}.flags.c_contiguous" for o in arrays] + contiguous_output
            if not self.static:
                flat += [f"{o.name}.shape == _shape" for o in arrays]
            lines.append(f"    if {' and '.join(flat) or 'True'}:")
            lines.append("        _bits = 32 if _n < _LIMIT else 64")
            aligned = " and ".join(f"_address({name}) % {self._vector_bytes(name, width)} == 0" for name in every)
            lines.append(f"        if {aligned}:")
            lines.append(f"            ({run.format(key='(' + repr(VECTOR) + ', _bits)')})"
                         f"(_n // {width} + 1, ({head}, _INDEX[_bits](_n)))")
            lines.append(f"        else: ({run.format(key='(' + repr(FLAT) + ', _bits)')})"
                         f"(_n, ({head}, _INDEX[_bits](_n)))")
            lines.append(f"        return {result}")
        if self.static:
            baked = [f"{o.name}.flags.c_contiguous" for o in arrays] + contiguous_output
            bits = 32 if prod(self.layout.shape) < INDEX_LIMIT else 64
            lines.append(f"    if {' and '.join(baked) or 'True'}:")
            lines.append(f"        ({run.format(key=repr((BAKED, bits)))})(_n, ({head}, _INDEX[{bits}](_n)))")
            lines.append(f"        return {result}")
        arrays_tuple = "(" + "".join(f"{name}, " for name in every) + ")"  # the outputs' strides come last
        lines.append(f"    _bits, _strides = _strided({arrays_tuple}, _shape, _n)")
        lines.append(f"    if _bits is None: return _self.fallback({', '.join(names)})")
        sizes_passed = "" if self.static else "".join(f", _INDEX[_bits]({s})" for s in sizes)
        lines.append(f"    ({run.format(key='(' + repr(STRIDED) + ', _bits)')})"
                     f"(_n, ({head}, _INDEX[_bits](_n){sizes_passed}, *_strides))")
        lines.append(f"    return {result}")
        source = "\n".join(lines) + "\n"
        self.launcher_source = source
        exec(compile(source, f"<arrayscript CUDA launcher {kernel.name}>", "exec"), namespace)  # noqa: S102
        return namespace["launch"]

    def _vector_bytes(self, name: str, width: int) -> int:
        dtype = next(o.dtype for o in (*self.kernel.arrays, *self.kernel.outputs) if o.name == name)
        return np.dtype(dtype).itemsize * width


def _strided_arguments(arrays, shape, count: int):
    """(index bits, element strides as typed scalars) for the strided variant,
    or (None, None) when a stride is not a whole number of elements."""
    strides, extent = [], count
    for array in arrays:
        itemsize, lead = array.dtype.itemsize, len(shape) - array.ndim
        span = 0
        for d, (size, stride) in enumerate(zip(array.shape, array.strides)):
            if stride % itemsize:
                return None, None
            step = 0 if size == 1 else stride // itemsize
            strides.append(step)
            span += (shape[lead + d] - 1) * abs(step)
        extent = max(extent, span + 1)
    bits = 32 if extent < INDEX_LIMIT else 64
    convert = np.int32 if bits == 32 else np.int64
    return bits, [convert(s) for s in strides]


# -- the CuPy backend --------------------------------------------------------------------------

class CupyBackend:
    """Compiles with NVRTC (kernels.nvrtc, NVRTC_OPTIONS: NumPy's float semantics) to a
    cubin for the device's architecture, cached on disk, loads it with
    ``cupy.RawModule(path=...)`` and launches on CuPy's current stream; outputs come
    from CuPy's memory pool. Without a usable NVRTC every group stays unfused, and
    ``jit.explain`` says why."""
    eager = True

    def __init__(self, device_index: int):
        cupy = _device.cupy_module()
        if cupy is None:
            raise UnsupportedKernel("CuPy is not installed")
        self.cupy, self.device_index = cupy, device_index
        self.name = f"cuda:{device_index}"
        properties = cupy.cuda.runtime.getDeviceProperties(device_index)
        capability = int(properties["major"]) * 10 + int(properties["minor"])
        try:
            self.nvrtc_version = nvrtc.version()
            self.architecture = nvrtc.architecture_for(capability)
        except nvrtc.NvrtcNotFound as error:
            raise UnsupportedKernel(str(error)) from error
        except nvrtc.CompileError as error:
            raise UnsupportedKernel(f"{self.name}: {error}") from error
        driver = int(cupy.cuda.runtime.driverGetVersion())
        if driver // 1000 < self.nvrtc_version[0]:
            raise UnsupportedKernel(f"NVRTC {self.nvrtc_version[0]}.{self.nvrtc_version[1]} builds code that this "
                                    f"CUDA {driver // 1000}.{driver % 1000 // 10} driver cannot load: install "
                                    f"arrayscript[cuda{driver // 1000}] or update the driver")
        self.threads = min(256, int(properties["maxThreadsPerBlock"]))
        per_sm = max(1, int(properties["maxThreadsPerMultiProcessor"]) // self.threads)
        self.max_blocks = int(properties["multiProcessorCount"]) * per_sm
        self.empty = cupy.empty
        self.current_device = cupy.cuda.runtime.getDevice

    @staticmethod
    def address(array) -> int:
        return array.data.ptr

    def on_device(self, launch, arguments):
        with self.cupy.cuda.Device(self.device_index):
            return launch(*arguments)

    def compile(self, source: str, name: str, params):
        path, fresh = nvrtc.cached_binary(source, NVRTC_OPTIONS, self.architecture)
        with self.cupy.cuda.Device(self.device_index):
            # get_function loads the module on this device now: a load error leaves the group unfused
            function = self.cupy.RawModule(path=str(path)).get_function(name)
        threads, max_blocks = self.threads, self.max_blocks

        def run(work, args):  # no stream given: CuPy launches on the current one
            blocks = (work + threads - 1) // threads
            function((blocks if blocks < max_blocks else max_blocks,), (threads,), args)

        version = "%d.%d" % self.nvrtc_version
        if fresh:
            return run, f"built by NVRTC {version} for {self.architecture}"
        return run, f"loaded for {self.architecture} from the NVRTC {version} disk cache"


_backends: dict = {}


def backend_for(dev) -> CupyBackend:
    """The CuPy backend of a CUDA device (one per device and process)."""
    index = dev.resolved().index
    if index not in _backends:
        _backends[index] = CupyBackend(index)
    return _backends[index]


RENDERS_REDUCTIONS = True  # kernels.cuda_reduction renders ReductionKernels (kernels.backend asks)


def build(kernel: Kernel, dev, static_shapes=None, fallback=None, backend=None) -> CudaKernel:
    """A CudaKernel for arrays on ``dev``: STATIC when ``static_shapes`` gives the
    exact shape of each array operand, else DYNAMIC (a CudaReductionKernel for a ReductionKernel)."""
    backend = backend if backend is not None else backend_for(dev)
    if isinstance(kernel, ReductionKernel):
        from .cuda_reduction import build_reduction  # noqa: PLC0415 - it imports this module
        return build_reduction(kernel, backend, static_shapes, fallback)
    layout = None
    if static_shapes is not None:
        _, layout = layout_of(kernel, [tuple(s) for s in static_shapes], True)
    return CudaKernel(kernel, layout, backend, fallback)
