"""Mutations of saved archives (issue 16): valid files from ``jit.save`` damaged the
ways a stranger's file can be — bytes of the whole file, the zip structure, the
manifest's fields (JSON-aware), the stored code (token and line edits), storage and
``.npy`` bytes — for the oracle (archive_oracle.py) to load and call, and the
campaign (``python -m tests.jit.serialization.archive_campaign``) to run by the
hundred thousand.

A case is a number: it picks a seed archive and one to three mutations from
``random.Random(number)``, so it reproduces from its number alone. The seed
archives are built in a fresh process (``corpus_in_fresh_process``), where type
names do not depend on what the process scripted before; ``corpus_digest`` names
the corpus a run used.
"""
from __future__ import annotations

import base64
import copy
import dataclasses
import functools
import hashlib
import io
import json
import keyword
import math
import random
import re
import struct
import subprocess
import sys
import tokenize
import warnings
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np

import jit

ROOT = Path(__file__).resolve().parents[3]
EXTRA_FILE = "notes.txt"  # the extra file saved with the "calls" seed, asked for when it loads


# -- the corpus ------------------------------------------------------------------------------------
@jit.script
def _scale(x, k: float):
    return x * k


def _calls_another(x):
    return _scale(x, 2.0) + _scale(x, 0.5) - x.sum()


def _formats(x, n: int) -> str:
    total = float(x.sum())
    return "{} items, total {:.3f} ({!r})".format(n, total, "sum") + f" |{n:>4}|{n * 255:x}|{total:+.2e}|"


def _traced_body(x):
    return np.tanh(x) * 2.0 + x.sum(axis=0)


def _arguments(name):
    """The arguments the seed ``name`` is called with (deterministic, any process)."""
    x = np.random.default_rng(3).standard_normal((2, 4)).astype(np.float32)
    wide = np.random.default_rng(11).standard_normal((3, 4)).astype(np.float32)
    return {"formats": (x, 3), "everything": (wide,)}.get(name, (x,))


def _seed_objects():
    """(name, object to save, extra files) of every seed archive, in the order they are built."""
    import jit  # noqa: PLC0415

    from ... import helpers  # noqa: PLC0415
    from .test_robustness import sample_model  # noqa: PLC0415
    from .test_round_trip import MODELS, models  # noqa: PLC0415
    from .test_storages import affine_of, base, holder  # noqa: PLC0415

    if helpers.SOURCE_DIR is None:  # outside pytest: what conftest sets up
        import tempfile  # noqa: PLC0415

        helpers.SOURCE_DIR = Path(tempfile.mkdtemp(prefix="archive_fuzz_sources_"))
    x = _arguments("sequential")[0]
    weight = base((4, 4), np.float32)
    swapped = base((3, 4)).astype(">f8")
    source = models(MODELS)
    yield "sequential", sample_model(), None
    yield "calls", jit.script(_calls_another), {EXTRA_FILE: b"saved beside the function\n"}
    yield "everything", jit.script(source.Everything(source.Block("plain"))), None
    yield "traced", jit.trace(_traced_body, (x,)), None
    yield "views", jit.trace(affine_of(weight), (x,)), None
    yield "formats", jit.script(_formats), None
    yield "holder", holder(swapped, swapped[1:].T), None


SEED_WEIGHTS = {"everything": 1}  # its load compiles ten functions: drawn a third as often as the others (3)


def build_corpus() -> dict:
    """{seed name: archive bytes}, built in this process (deterministic in a fresh one)."""
    import jit  # noqa: PLC0415

    from .test_storages import as_version_1  # noqa: PLC0415

    corpus = {}
    for name, obj, extra in _seed_objects():
        buffer = io.BytesIO()
        jit.save(obj, buffer, _extra_files=extra)
        corpus[name] = buffer.getvalue()
    corpus["version 1"] = as_version_1(corpus["views"])  # one .npy entry per array, as the first format wrote
    return corpus


def corpus_in_fresh_process() -> dict:
    """``build_corpus()`` as a fresh Python process gives it (what the campaign's workers build)."""
    program = f"from {__name__} import build_corpus, corpus_text; print(corpus_text(build_corpus()))"
    output = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout
    return {name: base64.b64decode(text) for name, text in json.loads(output).items()}


def corpus_text(corpus: dict) -> str:
    return json.dumps({name: base64.b64encode(data).decode() for name, data in corpus.items()})


def corpus_digest(corpus: dict) -> str:
    digest = hashlib.sha256()
    for name in sorted(corpus):
        digest.update(name.encode() + b"\0" + corpus[name])
    return digest.hexdigest()[:16]


# -- pools of hostile values -------------------------------------------------------------------------
NAMES = ["x", "_x", "a.b", "a\nb", "a\nimport os", "__init__", "__class__", "__dict__", "__globals__", "_parameters",
         "_modules", "_buffers", "_type", "_original_name", "training", "forward", "code", "graph", "self", "np",
         "math", "F", "jit", "device", "Tensor", "List", "CONSTANTS", "int", "print", "open", "def", "class", "None",
         "True", "\ufb01", "\u00e9", "e\u0301", "x" * 257, "0", "1", "-1", "", " ", "a b", "a\x00b", "a/b", "..",
         "\u202ex", "x\r", "\x1b[2J", "Linear", "Sequential", "Tanh", "Everything", "Point", "Counter", "f", "g",
         "__getattr__", "__del__", "__eq__", "__hash__", "__repr__", "__len__", "__iter__", "__call__", "__reduce__",
         "__init_subclass__", "__set_name__", "__new__", "__bool__", "count", "index", "_fields", "_make", "_asdict"]
# Already imported modules and classes in them, for a class's or NamedTuple's (module, qualname)
FOREIGN_CLASSES = [("tokenize", "TokenInfo"), ("inspect", "FullArgSpec"), ("functools", "_CacheInfo"),
                   ("platform", "uname_result"), ("os", "environ"), ("sys", "modules"), ("builtins", "object"),
                   ("numpy", "ndarray"), ("jit", "nn"), ("jit.serialization.loading", "_Loader"), ("os", "path.join"),
                   ("collections", "OrderedDict"), ("typing", "NamedTuple"), ("jit.types", "ClassType")]
TYPES = ["Tensor", "int", "float", "bool", "str", "None", "NoneType", "List[Tensor]", "List[int]", "List[List[int]]",
         "Optional[Tensor]", "Dict[str, Tensor]", "Dict[int, float]", "Tuple[int, str]", "Tuple[()]",
         "Tuple[Tensor, ...]", "np.dtype", "device.Device", "Any", "Callable", "Future[Tensor]", "Union[int, str]",
         "os.PathLike", "np.ndarray", "Tensor[[[", "List[" * 300 + "int" + "]" * 300, "__import__('os')", "x.y",
         "Linear", "Sequential", "Point", "Counter", "jit.Final[int]", "'Tensor'", ""]
DTYPES = ["object", "O", "V8", "void", "|V4", "[('a', '<f4')]", "S3", "U2", "<U1", "datetime64", "timedelta64[s]",
          "float128", "longdouble", "<f4", ">f8", "=f8", "f", "float", "int", "bool_", "b1", "float32", "int64",
          "uint64", "complex128", "float16", "bool", "int8", "uint8", "complex64", "int32", "float64"]
DEVICES = ["cpu", "cuda", "cuda:0", "cuda:1", "cuda:-1", "cpu:0", "meta", "tpu", "", "cuda:99999999999999999999",
           "CPU", "cuda:0\n"]
BYTEORDERS = ["big", "little", "native", "=", ">", "<", "|", "BIG", ""]
NUMBERS = [0, 1, -1, 2, 3, 7, 8, 63, 64, 65, 255, 256, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 + 1, 2 ** 62,
           2 ** 63 - 1, 2 ** 63, 2 ** 64, 10 ** 30, -(2 ** 63), -(2 ** 62)]
OTHER_VALUES = [None, True, False, 0.0, -0.0, 0.5, 1.5, 1e308, -1e308, "", "x", "0", "nan", "inf", "-inf",
                "cuda:0", "../x", "storages/0.bin", "manifest.json", "version", "code/functions/f.py", [], {}, [0],
                [[]], [{}], [None], {"tensor": 0}, {"tensor": -1}, {"tensor": 10 ** 6}, {"option": 0, "value": 1},
                {"option": 5, "value": None}, ["a", "int"], [["a", "int"]], [["a", "int", 1]], {"a": "_parameters"}]
# Raw JSON text, put in place of a value: what json.dumps would never write.
RAW_JSON = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1E-400", "-0", "1" + "0" * 5000, "0.1e99999",
            "[" * 100_000 + "]" * 100_000, '{"a":' * 3000 + "1" + "}" * 3000, "[" * 1000 + "]" * 1000,
            '"' + "x" * 1_000_000 + '"', '"\\ud800"', '"\\u0000"', '"' + "\\\\" * 1000 + '"', '{"a": 1, "a": 2}',
            "[" + ",".join(["[]"] * 50_000) + "]", "[" + ",".join(['{"tensor": 0}'] * 20_000) + "]"]
VERSIONS = ["1\n", "2\n", "3\n", "0\n", "", "2", " 2 ", "2\n\n", "02", "-1", "\u00b2", "\u0662", "\U0001d7d0",
            "1" + "0" * 5000, "99999999999999999999", "\xff", "2\x00", "two", "2.0", "+2", "2_0", "\ufeff2\n"]
ENTRY_NAMES = ["../x", "/etc/passwd", "a\\b", "C:x", "x\x00", ".", "./version", "storages/../manifest.json",
               "code//x.py", "version/", "manifest.json/", "manifest.JSON", "\u202eversion", "\uff56ersion",
               "version\n", "storages/0.bin ", " version", "extra/../../x", "storages/0.bin/x", "a:b", "nul",
               "x" * 2000, "storages/", "code/", "extra/notes.txt/..", "tensors/0.npy", "storages/-1.bin"]
IDENTIFIERS = ["__class__", "__globals__", "__import__", "__builtins__", "__dict__", "__subclasses__", "__mro__",
               "__init__", "__getattribute__", "__loader__", "__spec__", "__code__", "__closure__", "os", "sys",
               "open", "eval", "exec", "getattr", "setattr", "globals", "locals", "vars", "type", "object", "super",
               "compile", "input", "breakpoint", "print", "CONSTANTS", "self", "np", "jit", "F", "device", "math",
               "Tensor", "List", "Dict", "Optional", "_parameters", "_modules", "_buffers", "_type", "environ",
               "__file__", "__name__", "len", "range", "float", "int", "str", "isinstance", "None", "torch",
               "Linear", "Point", "Counter", "_scale", "scaled", "twice", "x", "input", "ﬁ"]
ATTRIBUTES = ["__class__", "__dict__", "__globals__", "__init__", "__module__", "_parameters", "_modules", "_type",
              "T", "shape", "dtype", "environ", "format", "os", "lib", "ctypeslib", "load", "save", "sys",
              "__builtins__", "c0", "c1", "c999", "forward", "training", "weight", "code", "graph", "append",
              "tolist", "item", "real", "data", "base", "ctypes", "__array_interface__", "random", "fft"]
FORMATS = ["'{{0.__class__}}'.format({v})", "'{{}}'.format({v})", "f'{{{v}!r:>10}}'", "'{{0[0]}}'.format({v})",
           "'{{:{{}}}}'.format({v}, 3)", "'%s' % {v}", "f'{{{v}.__class__}}'", "'{{a}}'.format(a={v})",
           "'{{0:{{1}}}}'.format({v}, 2)", "str.format('{{}}', {v})", "'{{}}'.format_map({v})",
           "'{{!a}}'.format({v})", "'{{:%Y}}'.format({v})", "'{{:,.2f}}'.format({v})", "f'{{{v}:{{{v}}}}}'",
           "f'{{{v}=}}'", "'{{0.__init__.__globals__[os].environ}}'.format({v})", "'{{:' + '9' * 50 + '}}'.format({v})",
           "'{{:.{{}}f}}'.format({v}, 10 ** 6)", "f'{{{v}:099999999}}'", "'{{}}{{}}'.format({v})",
           "'{{0}}'.format(*{v})", "'{{0!z}}'.format({v})", "'{{' * 10000 + '}}' * 10000"]
NUMBER_TOKENS = ["0", "-1", "1e309", "10 ** 100", "2 ** 63", "0x7fffffffffffffff", "1_000", "1j", "0.1", "True",
                 "None", "9" * 50, "1e-400", "9" * 5000, "-0.0", "1e6", "100000"]
STRING_TOKENS = ["''", "'\\x00'", "'{}'", "'{0.__class__}'", "'%s'", "b''", "r'\\d'", "'\\N{LATIN SMALL LETTER A}'",
                 "'\\ud800'", "'''a\nb'''", "u'x'", "'\\x1b[2J'", "'" + "a" * 10_000 + "'"]
OPERATORS = ["+", "-", "*", "/", "//", "%", "**", "@", "<<", ">>", "&", "|", "^", "<", ">", "==", "!=", "<=", ">=",
             " and ", " or ", " not ", " in ", " is ", ":=", ",", ".", ";", "=", "->", "...", "~", "(", ")", "[", "]"]
STATEMENTS = ["import os", "from os import system", "global {p}", "nonlocal {p}", "del {p}", "yield {p}",
              "await {p}", "lambda: 0", "assert False, 'fuzz'", "raise ValueError('fuzz')", "pass", "return",
              "{p} = __import__('os')", "print({p})", "with {p}:\n{i}    pass", "try:\n{i}    pass\n{i}except "
              "Exception:\n{i}    pass", "class A:\n{i}    pass", "def g():\n{i}    pass",
              "async def g():\n{i}    pass",
              "while False:\n{i}    pass", "exec('1')", "eval('1')", "open('archive-fuzz-marker', 'w')",
              "{p} = globals()", "{p} = vars()", "breakpoint()", "{p} = self.__dict__", "{p} = type({p})",
              "{p} = getattr({p}, '__class__')", "{p} = {p}.__class__.__init__.__globals__", "{p} = CONSTANTS.c0",
              "{p} = CONSTANTS.c999", "{p} = CONSTANTS.__dict__", "{p} = np.load", "{p} = np.lib", "{p} = np.os",
              "{p} = math.__loader__", "{p} = F.__builtins__", "jit.save({p}, 'archive-fuzz-marker')",
              "{p} = device.os", "{p} = np.ctypeslib", "{p} = jit.load('archive-fuzz-marker')", "{p} = os.environ",
              "for _i in range(3):\n{i}    {p} = {p}", "if {p} is None:\n{i}    return {p}", "{p}: int = 1",
              "{p} = [{p}] * 3", "{p} = {{'a': {p}}}", "{p} = ({p}, {p})", "{p} = np.zeros(2 ** 40)",
              "{p} = 'x' * 10 ** 10", "{p} = list(range(10 ** 12))", "{p} = self", "{p} = self.forward",
              "{p} = jit.annotate(List[int], [])", "{p} = jit.Future", "{p} = jit.fork(print, {p})"]
ANNOTATIONS = TYPES[:24] + ["Linear", "Sequential", "jit.Final[int]", "'Tensor'"]


# -- zip helpers -------------------------------------------------------------------------------------
def _entries(data: bytes):
    """[(name, bytes)] of ``data`` in order, or None when it is no longer a readable zip."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            archive = zipfile.ZipFile(io.BytesIO(data))
            infos = archive.infolist()
            if any(i.compress_type != zipfile.ZIP_STORED or i.file_size > len(data) for i in infos):
                return None  # a bomb stays a bomb: never inflated into the next mutation's archive
            return [(info.filename, archive.read(info)) for info in infos]
    except Exception:  # noqa: BLE001 - an earlier mutation broke it: the caller mutates bytes instead
        return None


def _zipped(entries, compressed=(), extra=None) -> bytes:
    """A zip of ``entries`` ([(name, bytes)], names as given, duplicates kept) with
    the entries named in ``compressed`` deflated, and ``extra`` {name: extra field bytes}."""
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of duplicate names, and writes them all the same
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
            for name, content in entries:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED if name in compressed else zipfile.ZIP_STORED
                if extra and name in extra:
                    info.extra = extra[name]
                target.writestr(info, content)
    return out.getvalue()


_CENTRAL = {"version made by": (4, "H"), "version needed": (6, "H"), "flags": (8, "H"), "method": (10, "H"),
            "time": (12, "H"), "crc": (16, "I"), "compressed size": (20, "I"), "size": (24, "I"),
            "name length": (28, "H"), "extra length": (30, "H"), "comment length": (32, "H"), "disk": (34, "H"),
            "external attributes": (38, "I"), "local header offset": (42, "I")}
_LOCAL = {"version needed": (4, "H"), "flags": (6, "H"), "method": (8, "H"), "crc": (14, "I"),
          "compressed size": (18, "I"), "size": (22, "I"), "name length": (26, "H"), "extra length": (28, "H")}
_END = {"disk": (4, "H"), "directory disk": (6, "H"), "entries on disk": (8, "H"), "entries": (10, "H"),
        "directory size": (12, "I"), "directory offset": (16, "I"), "comment length": (20, "H")}


def _records(data: bytes):
    """(end record offset, [(central header offset, local header offset, name)]) of a zip, or None."""
    end = data.rfind(b"PK\x05\x06")
    if end < 0 or end + 22 > len(data):
        return None
    count, _, start = struct.unpack_from("<HII", data, end + 10)
    records, position = [], start
    for _ in range(count):
        if data[position:position + 4] != b"PK\x01\x02" or position + 46 > len(data):
            break
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, position + 28)
        local = struct.unpack_from("<I", data, position + 42)[0]
        records.append((position, local, data[position + 46:position + 46 + name_length]))
        position += 46 + name_length + extra_length + comment_length
    return end, records


def _field_value(rng, current, size, others):
    limit = (1 << (8 * size)) - 1
    choices = [0, 1, limit, limit - 1, current + 1, max(current - 1, 0), current * 2, rng.randrange(limit + 1)]
    choices += others
    return min(max(rng.choice(choices), 0), limit)


# -- mutations ---------------------------------------------------------------------------------------
class Mutation:
    """What one mutation did: ``data``, the new archive, and ``text``, how (for a report)."""

    def __init__(self, data: bytes, text: str):
        self.data, self.text = data, text


def _short(value, limit=70) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 20]}...<{len(text)} chars>...{text[-12:]}"


def flip_bytes(data, rng, corpus):
    if not data:  # an earlier mutation left nothing
        return None
    damaged = bytearray(data)
    positions = sorted(rng.randrange(len(data)) for _ in range(rng.choice([1, 1, 2, 4, 8])))
    for position in positions:
        damaged[position] ^= rng.choice([0xFF, 1 << rng.randrange(8), rng.randrange(1, 256)])
    return Mutation(bytes(damaged), f"bytes: flipped at {positions}")


def insert_bytes(data, rng, corpus):
    position, length = rng.randrange(len(data) + 1), rng.choice([1, 2, 4, 16, 100])
    junk = rng.choice([bytes(rng.randrange(256) for _ in range(length)), b"\0" * length, b"PK\x03\x04",
                       b"PK\x01\x02", b"PK\x05\x06" + b"\0" * 18])
    return Mutation(data[:position] + junk + data[position:], f"bytes: inserted {_short(junk, 40)} at {position}")


def delete_bytes(data, rng, corpus):
    if not data:  # an earlier mutation left nothing
        return None
    position = rng.randrange(len(data))
    length = rng.choice([1, 2, 4, 30, 46, 200])
    return Mutation(data[:position] + data[position + length:], f"bytes: deleted {length} at {position}")


def truncate(data, rng, corpus):
    if not data:  # an earlier mutation left nothing
        return None
    length = rng.choice([rng.randrange(len(data)), rng.randrange(max(1, len(data) - 100), len(data)),
                         rng.randrange(min(200, len(data)))])
    return Mutation(data[:length], f"bytes: truncated to {length} of {len(data)}")


def duplicate_bytes(data, rng, corpus):
    if not data:  # an earlier mutation left nothing
        return None
    start = rng.randrange(len(data))
    end = min(len(data), start + rng.choice([4, 46, 100, 1000]))
    position = rng.randrange(len(data) + 1)
    return Mutation(data[:position] + data[start:end] + data[position:],
                    f"bytes: copied {start}:{end} to {position}")


def zip_entries(data, rng, corpus):
    """Drop, duplicate, rename, swap or add entries, or deflate one (a small bomb)."""
    entries = _entries(data)
    if not entries:
        return None
    names = [name for name, _ in entries]
    index = rng.randrange(len(entries))
    name, content = entries[index]
    action = rng.choice(["drop", "duplicate", "rename", "rename", "swap", "add", "many", "compress", "bomb",
                         "extra field", "directory"])
    if action == "drop":
        del entries[index]
        return Mutation(_zipped(entries), f"zip: dropped {name!r}")
    if action == "duplicate":
        other = rng.choice([content, b"", rng.choice(entries)[1]])
        entries.insert(rng.randrange(len(entries) + 1), (name, other))
        return Mutation(_zipped(entries), f"zip: a second {name!r} ({len(other)} bytes)")
    if action == "rename":
        new = rng.choice(ENTRY_NAMES + names + [name.upper(), name + "x", name.replace("/", "//", 1)])
        entries[index] = (new, content)
        return Mutation(_zipped(entries), f"zip: renamed {name!r} to {_short(new)}")
    if action == "swap":
        other = rng.randrange(len(entries))
        entries[index], entries[other] = (name, entries[other][1]), (entries[other][0], content)
        return Mutation(_zipped(entries), f"zip: swapped the contents of {name!r} and {entries[other][0]!r}")
    if action == "add":
        new = rng.choice(ENTRY_NAMES + ["storages/9.bin", "code/functions/g.py", "extra/x", "tensors/0.npy"])
        entries.insert(rng.randrange(len(entries) + 1), (new, content))
        return Mutation(_zipped(entries), f"zip: added {_short(new)} holding {name!r}'s bytes")
    if action == "many":
        count = rng.choice([100, 2000, 5000])
        entries += [(f"extra/{n}", b"") for n in range(count)]
        return Mutation(_zipped(entries), f"zip: {count} empty entries added")
    if action == "compress":
        return Mutation(_zipped(entries, compressed={name}), f"zip: {name!r} deflated")
    if action == "bomb":
        size = rng.choice([1 << 20, 64 << 20])
        return Mutation(_zip_bomb(entries, name, size), f"zip: {name!r} replaced by {size} deflated zero bytes")
    if action == "extra field":
        field = rng.choice([struct.pack("<HHQQ", 1, 16, 2 ** 63, 2 ** 63), struct.pack("<HH", 1, 60000),
                            struct.pack("<HHQ", 1, 8, 2 ** 64 - 1), b"\x01", struct.pack("<HH", 0x7075, 5) + b"\1abcd"])
        return Mutation(_zipped(entries, extra={name: field}), f"zip: {name!r} with the extra field {field.hex()}")
    entries.insert(index, (name + "/" if not name.endswith("/") else name, b""))
    return Mutation(_zipped(entries), f"zip: a directory entry {name + '/'!r}")


@functools.cache
def _deflated_zeros(size):
    """(raw deflate stream, CRC) of ``size`` zero bytes, made a MiB at a time."""
    import zlib  # noqa: PLC0415

    compressor, chunk, crc = zlib.compressobj(9, zlib.DEFLATED, -15), bytes(1 << 20), 0
    parts = []
    for _ in range(size >> 20):
        parts.append(compressor.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    return b"".join(parts) + compressor.flush(), crc


def _zip_bomb(entries, name, size):
    """``entries`` with ``name`` holding ``size`` deflated zeros (a few hundred bytes per MiB)."""
    deflated, crc = _deflated_zeros(size)
    data = bytearray(_zipped([(n, c) for n, c in entries if n != name] + [(name, deflated)]))
    found = _records(bytes(data))
    for central, local, raw in found[1]:  # mark the entry deflated, with the inflated size and CRC
        if raw == name.encode():
            struct.pack_into("<H", data, central + 10, 8)
            struct.pack_into("<III", data, central + 16, crc, len(deflated), size)
            struct.pack_into("<H", data, local + 8, 8)
            struct.pack_into("<III", data, local + 14, crc, len(deflated), size)
    return bytes(data)


def zip_fields(data, rng, corpus):
    """A field of a central header, a local header or the end record set to another number."""
    found = _records(data)
    if not found or not found[1]:
        return None
    end, records = found
    damaged = bytearray(data)
    central, local, raw = rng.choice(records)
    where = rng.choice(["central", "central", "local", "end"])
    table, base = {"central": (_CENTRAL, central), "local": (_LOCAL, local), "end": (_END, end)}[where]
    field = rng.choice(sorted(table))
    offset, fmt = table[field]
    if base + offset + struct.calcsize(fmt) > len(data):
        return None
    current = struct.unpack_from("<" + fmt, data, base + offset)[0]
    others = [r[1] for r in records] if "offset" in field else []
    if field == "flags":
        value = current ^ (1 << rng.choice([0, 1, 3, 6, 11, 13]))
    elif field == "method":
        value = rng.choice([0, 1, 8, 9, 12, 14, 93, 99])
    else:
        value = _field_value(rng, current, struct.calcsize(fmt), others)
    struct.pack_into("<" + fmt, damaged, base + offset, value)
    return Mutation(bytes(damaged), f"zip: {where} {field} of {raw[:60]!r} {current} -> {value}")


def version_entry(data, rng, corpus):
    entries = _entries(data)
    if not entries:
        return None
    text = rng.choice(VERSIONS)
    return Mutation(_zipped([(n, text.encode("utf-8", "surrogatepass") if n == "version" else c) for n, c in entries]),
                    f"version: {_short(text)}")


# -- the manifest ------------------------------------------------------------------------------------
_RAW = "\u0000archive-fuzz-raw\u0000"  # a value replaced by raw JSON text after dumping
_INTERESTING_KEYS = {"tensors", "storages", "slots", "submodules", "calls", "constants", "root", "entry", "attributes",
                     "children", "parameters", "buffers", "fields", "methods", "name", "type", "container", "dtype",
                     "shape", "strides", "offset", "byteorder", "device", "scalar", "nbytes", "version", "object",
                     "format", "non_persistent_buffers", "key", "unit", "original_name", "modules", "types", "stub",
                     "namedtuples", "module", "qualname", "extra_files", "traced_training", "kind"}


def _paths(value, prefix=()):
    yield prefix
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from _paths(child, prefix + (key,))


def _at(manifest, path):
    target = manifest
    for key in path:
        target = target[key]
    return target


def _values_by_key(manifest):
    """{key: [values under that key anywhere]}: what a field can be cross-wired to."""
    found = defaultdict(list)
    for path in _paths(manifest):
        if path:
            found[path[-1] if isinstance(path[-1], str) else _parent_key(path)].append(_at(manifest, path))
    return found


def _parent_key(path):
    return next((key for key in reversed(path) if isinstance(key, str)), None)


def _replacement(rng, current, key, manifest, siblings):
    """(a new value, raw JSON text or None) for the value ``current`` at ``key``."""
    roll = rng.random()
    if roll < 0.12:
        return _RAW, rng.choice(RAW_JSON)
    if roll < 0.3 and siblings.get(key):
        return copy.deepcopy(rng.choice(siblings[key])), None  # cross-wired: another record's value there
    pools = {"dtype": DTYPES, "device": DEVICES, "byteorder": BYTEORDERS, "module": [m for m, _ in FOREIGN_CLASSES],
             "qualname": [q for _, q in FOREIGN_CLASSES]}
    if key in pools and roll < 0.7:
        return rng.choice(pools[key]), None
    if isinstance(current, bool) or current is None:
        return rng.choice([not current, 0, 1, "true", None, []]), None
    if isinstance(current, int):
        return rng.choice([current + 1, current - 1, -current, current * 2, current * 1000, current + 8,
                           2 ** rng.randrange(70), rng.choice(NUMBERS), float(current), str(current)]), None
    if isinstance(current, float):
        return rng.choice([current * 2, -current, 0.0, 1e308, int(current) if math.isfinite(current) else 0,
                           str(current)]), None
    if isinstance(current, str):
        if roll < 0.5:
            return rng.choice(NAMES + TYPES), None
        return rng.choice([current + "_", current.upper(), current[:-1], current + "\n", f"__{current}__",
                           current + ".x", current * 2, [current], {current: current}, current + "\x00"]), None
    if isinstance(current, list):
        if current and roll < 0.6:
            edited = list(current)
            index = rng.randrange(len(edited))
            what = rng.choice(["drop", "duplicate", "reverse", "grow", "clear", "swap"])
            if what == "drop":
                del edited[index]
            elif what == "duplicate":
                edited.insert(index, edited[index])
            elif what == "reverse":
                edited.reverse()
            elif what == "grow":
                edited += [edited[index]] * rng.choice([10, 1000, 20_000])
            elif what == "clear":
                edited = []
            else:
                other = rng.randrange(len(edited))
                edited[index], edited[other] = edited[other], edited[index]
            return edited, None
        return rng.choice(OTHER_VALUES + [{}, "", [current], None]), None
    if isinstance(current, dict):
        edited = dict(current)
        if edited and roll < 0.5:
            name = rng.choice(sorted(edited))
            if rng.random() < 0.5:
                del edited[name]
            else:
                edited[rng.choice(NAMES)] = edited.pop(name)
        else:
            edited[rng.choice(NAMES + sorted(_INTERESTING_KEYS))] = rng.choice(OTHER_VALUES + NUMBERS)
        return edited, None
    return rng.choice(OTHER_VALUES), None


def manifest_fields(data, rng, corpus):
    """One JSON-aware edit of the manifest: a field deleted, retyped, replaced, cross-wired,
    grown, or replaced by raw JSON (deep nesting, huge numbers, NaN...)."""
    entries = _entries(data)
    manifest = _manifest_of(entries) if entries else None
    if manifest is None:
        return None
    paths = list(_paths(manifest))[1:]
    if not paths:
        return None
    if rng.random() < 0.6:
        paths = [p for p in paths if _INTERESTING_KEYS.intersection(k for k in p if isinstance(k, str))] or paths
    path = rng.choice(paths)
    siblings = _values_by_key(manifest)
    parent, key = _at(manifest, path[:-1]), path[-1]
    field = key if isinstance(key, str) else _parent_key(path)
    if isinstance(parent, dict) and {"module", "qualname"} <= parent.keys() and rng.random() < 0.3:
        parent["module"], parent["qualname"] = rng.choice(FOREIGN_CLASSES)  # a class the process already has
        text, raw = json.dumps(manifest), None
        description = f"manifest: {_path_text(path[:-1])} names {parent['module']}.{parent['qualname']}"
    elif rng.random() < 0.15:
        del parent[key]
        text, raw, description = json.dumps(manifest), None, f"manifest: deleted {_path_text(path)}"
    else:
        value, raw = _replacement(rng, parent[key], field, manifest, siblings)
        parent[key] = value
        text = json.dumps(manifest)
        description = f"manifest: {_path_text(path)} = {_short(raw if raw is not None else value)}"
        if raw is not None:
            text = text.replace(json.dumps(_RAW), raw, 1)
    replaced = [(n, text.encode("utf-8", "surrogatepass") if n == "manifest.json" else c) for n, c in entries]
    return Mutation(_zipped(replaced), description)


def _manifest_of(entries):
    """The parsed manifest of ``entries`` when it is a JSON object, else None."""
    text = dict(entries).get("manifest.json")
    try:
        manifest = json.loads(text.decode("utf-8")) if text is not None else None
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return manifest if isinstance(manifest, dict) else None


def _path_text(path) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path).lstrip(".")


def manifest_text(data, rng, corpus):
    """The manifest's text damaged as text: truncated, flipped, prefixed, not UTF-8."""
    entries = _entries(data)
    if not entries or not any(n == "manifest.json" for n, _ in entries):
        return None
    text = dict(entries)["manifest.json"]
    action = rng.choice(["truncate", "flip", "bom", "latin-1", "garbage", "top level", "indent"])
    if action == "truncate":
        cut = rng.randrange(len(text))
        new, description = text[:cut], f"truncated to {cut}"
    elif action == "flip":
        position = rng.randrange(len(text))
        new = text[:position] + bytes([text[position] ^ rng.choice([1, 2, 4, 32, 0x80])]) + text[position + 1:]
        description = f"byte {position} flipped"
    elif action == "bom":
        new, description = b"\xef\xbb\xbf" + text, "a UTF-8 byte order mark first"
    elif action == "latin-1":
        new, description = text.replace(b'"', b'"\xe9', 1), "a byte that is not UTF-8"
    elif action == "garbage":
        new, description = text + rng.choice([b"x", b"{}", b"\0", b" " * 1000]), "trailing bytes"
    elif action == "top level":
        new = rng.choice([b"[]", b"null", b"1", b'"manifest"', b"[" + text + b"]"])
        description = f"replaced by {new[:20]!r}"
    else:
        manifest = _manifest_of(entries)
        if manifest is None:
            return None
        new, description = json.dumps(manifest, indent=rng.choice([0, 8])).encode(), "re-indented"
    return Mutation(_zipped([(n, new if n == "manifest.json" else c) for n, c in entries]),
                    f"manifest text: {description}")


RENAMES = ["np", "math", "F", "jit", "device", "Tensor", "List", "Dict", "Optional", "Tuple", "CONSTANTS", "int",
           "float", "str", "len", "range", "type", "print", "self", "x", "input", "forward", "training", "_parameters",
           "_modules", "_buffers", "_type", "code", "graph", "__init__", "__class__", "\ufb01", "T", "cls", "object",
           "None", "def", "_", "__", "_np", "_xp", "_ndarray", "_convert0", "_const0", "_nested0", "_profile", "_last",
           "_miss", "bind", "v_3", "x_0", "x_1", "input_2", "cond_0", "_inf", "_nan", "_method5", "_call1", "a" * 300,
           "weight", "bias", "Linear", "Sequential", "Point", "Counter", "scaled", "twice", "_scale", "f", "g"]
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REGISTRY_KEYS = {"parameters", "buffers", "children", "attributes", "slots", "calls"}  # dicts keyed by names


def rename(data, rng, corpus):
    """One name (a type, attribute, parameter, local, function, field) renamed everywhere at
    once — manifest values, registry keys, code entries, entry names — so that only the
    checks of the name itself can refuse it."""
    entries = _entries(data)
    manifest = _manifest_of(entries) if entries else None
    if manifest is None:
        return None
    try:
        code = [c.decode("utf-8") for n, c in entries if n.startswith("code/")]
    except UnicodeDecodeError:
        return None
    words = sorted({w for text in code for w in _WORD.findall(text)} - set(keyword.kwlist))
    if not words:
        return None
    old = rng.choice(words)
    new = rng.choice(RENAMES + [old + "_1", old.upper(), "_" + old])
    pattern = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(old)}(?![A-Za-z0-9_])")

    def renamed(value, key=None):
        if isinstance(value, str):
            return pattern.sub(new, value)
        if isinstance(value, list):
            return [renamed(v) for v in value]
        if isinstance(value, dict):  # schema keys stay; names that key a registry are renamed
            return {(pattern.sub(new, k) if key in _REGISTRY_KEYS else k): renamed(v, k) for k, v in value.items()}
        return value

    text = json.dumps(renamed(manifest)).encode()
    moved = [(pattern.sub(new, n) if n.startswith("code/") else n,
              text if n == "manifest.json" else pattern.sub(new, c.decode("utf-8")).encode("utf-8")
              if n.startswith("code/") else c) for n, c in entries]
    return Mutation(_zipped(moved), f"rename {old!r} -> {_short(new, 40)} everywhere")


# -- stored code -------------------------------------------------------------------------------------
def _code_entry(entries, rng):
    names = [n for n, _ in entries if n.startswith("code/")]
    return rng.choice(names) if names else None


def _tokens(text):
    try:
        return [t for t in tokenize.generate_tokens(io.StringIO(text).readline)]
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None


def _offsets(text):
    starts, total = [], 0
    for line in text.splitlines(keepends=True):
        starts.append(total)
        total += len(line)
    starts.append(total)
    return lambda position: starts[position[0] - 1] + position[1] if position[0] - 1 < len(starts) else total


def _parameter(text) -> str:
    match = re.search(r"def \w+\(\s*(\w+)", text)
    return match.group(1) if match else "x"


def _other_code(corpus, rng):
    """The text of a code entry of a random seed archive."""
    return rng.choice(_code_texts(corpus[rng.choice(sorted(corpus))]))


@functools.lru_cache(maxsize=64)
def _code_texts(data: bytes) -> tuple:
    return tuple(c.decode("utf-8") for n, c in _entries(data) if n.startswith("code/")) or (
        "def f(x: Tensor) -> Tensor:\n    return x\n",)


def _token_edit(text, rng, corpus):
    tokens = _tokens(text)
    if not tokens:
        return None
    at = _offsets(text)
    names = [t for t in tokens if t.type == tokenize.NAME and t.string not in ("def", "return", "for", "in", "if")]
    values = [t for t in tokens if t.type in (tokenize.NAME, tokenize.NUMBER, tokenize.STRING)]
    action = rng.choice(["identifier", "identifier", "attribute", "format", "nest", "long", "operator", "number",
                         "string", "delete", "duplicate", "swap", "annotation"])
    if action in ("identifier", "attribute") and names:
        token = rng.choice(names)
        if action == "identifier":
            new = rng.choice(IDENTIFIERS + [t.string for t in names])
            start, end, insert = at(token.start), at(token.end), new
        else:
            new = "." + rng.choice(ATTRIBUTES)
            start = end = at(token.end)
            insert = new
        return start, end, insert, f"{action} {token.string!r} -> {_short(new, 50)}"
    if action in ("format", "nest", "long") and values:
        token = rng.choice(values)
        value = token.string
        if action == "format":
            new = rng.choice(FORMATS).format(v=value)
        elif action == "nest":
            depth = rng.choice([20, 100, 150, 199, 201, 250, 1000, 5000])
            new = rng.choice(["(" * depth + value + ")" * depth, "-" * depth + value, "not " * depth + value,
                              value + "[0]" * depth, "[" * depth + value + "]" * depth,
                              "float(" * depth + value + ")" * depth, f"({value} if {value} else " * depth
                              + value + ")" * depth, "lambda: " * depth + value, value + " ** 0.5" * depth])
        else:
            count = rng.choice([100, 1000, 10_000])  # 10,000 terms: about 100 KB of code
            new = rng.choice([" + ".join([value] * count), "[" + ", ".join(["1"] * count) + "]",
                              "'" + "a" * count * 10 + "'", "f'" + "{" + value + "}a" * count + "'",
                              "(" + ", ".join([value] * count) + ")", "{" + ", ".join(f"{i}: {value}" for i in
                                                                                 range(count)) + "}"])
        return at(token.start), at(token.end), new, f"{action} {value!r} -> {_short(new, 60)}"
    if action == "operator":
        ops = [t for t in tokens if t.type == tokenize.OP]
        if not ops:
            return None
        token, new = rng.choice(ops), rng.choice(OPERATORS)
        return at(token.start), at(token.end), new, f"operator {token.string!r} -> {new!r}"
    if action == "number" or action == "string":
        kind = tokenize.NUMBER if action == "number" else tokenize.STRING
        found = [t for t in tokens if t.type == kind] or values
        if not found:
            return None
        token = rng.choice(found)
        new = rng.choice(NUMBER_TOKENS if action == "number" else STRING_TOKENS)
        return at(token.start), at(token.end), new, f"{action} {token.string!r} -> {_short(new, 50)}"
    if action in ("delete", "duplicate", "swap"):
        real = [t for t in tokens if t.type not in (tokenize.ENDMARKER,) and t.string]
        if len(real) < 2:
            return None
        index = rng.randrange(len(real) - 1)
        token = real[index]
        if action == "delete":
            return at(token.start), at(token.end), "", f"deleted token {token.string!r}"
        if action == "duplicate":
            return at(token.start), at(token.start), token.string + " ", f"duplicated token {token.string!r}"
        after = real[index + 1]
        start, end = at(token.start), at(after.end)
        middle = text[at(token.end):at(after.start)]
        return start, end, after.string + middle + token.string, f"swapped {token.string!r} and {after.string!r}"
    annotated = [t for t in tokens if t.type == tokenize.NAME and t.string in ("Tensor", "int", "float", "str", "bool")]
    if not annotated:
        return None
    token, new = rng.choice(annotated), rng.choice(ANNOTATIONS)
    return at(token.start), at(token.end), new, f"annotation {token.string!r} -> {_short(new, 50)}"


def _line_edit(text, rng, corpus):
    lines = text.splitlines()
    if len(lines) < 2:
        return None
    index = rng.randrange(1, len(lines))
    line = lines[index]
    indent = line[:len(line) - len(line.lstrip())] or "    "
    parameter = _parameter(text)
    action = rng.choice(["statement", "statement", "blocks", "delete", "duplicate", "indent", "splice line",
                         "splice entry", "second function", "decorator", "signature", "chain"])
    if action == "statement":
        statement = rng.choice(STATEMENTS).format(p=parameter, i=indent)
        lines.insert(index, indent + statement)
        description = f"line {index}: inserted {_short(statement, 60)}"
    elif action == "blocks":
        simple = [i for i in range(1, len(lines)) if not lines[i].rstrip().endswith(":")
                  and (i + 1 == len(lines) or len(lines[i + 1]) - len(lines[i + 1].lstrip())
                       <= len(lines[i]) - len(lines[i].lstrip()))]
        if not simple:
            return None
        index = rng.choice(simple)
        line = lines[index]
        indent = line[:len(line) - len(line.lstrip())]
        depth = rng.choice([10, 30, 60, 99, 101, 150, 250])
        header = rng.choice([f"if {parameter} is not None:", "for _n in range(1):", "while False:",
                             f"if {parameter} is None:\n{{i}}    pass\n{{i}}else:", "with jit.strict_fusion():"])
        nested = [indent + "    " * level + header.format(i=indent + "    " * level) for level in range(depth)]
        lines[index:index + 1] = nested + [indent + "    " * depth + line.lstrip()]
        description = f"line {index}: nested {depth} levels of {header.splitlines()[0]!r}"
    elif action == "delete":
        del lines[index]
        description = f"line {index}: deleted"
    elif action == "duplicate":
        lines.insert(index, line)
        description = f"line {index}: duplicated"
    elif action == "indent":
        lines[index] = rng.choice(["", " ", "\t", "        ", " " * 400]) + line.lstrip()
        description = f"line {index}: re-indented"
    elif action == "splice line":
        other = _other_code(corpus, rng).splitlines()
        spliced = rng.choice(other[1:] or other).lstrip()
        lines[index] = indent + spliced
        description = f"line {index}: replaced by {_short(spliced, 60)}"
    elif action == "splice entry":
        other = _other_code(corpus, rng)
        return other, f"replaced by another seed's code {_short(other.splitlines()[0], 60)}"
    elif action == "second function":
        other = _other_code(corpus, rng)
        return text + "\n" + other, f"another function appended: {_short(other.splitlines()[0], 50)}"
    elif action == "decorator":
        decorator = rng.choice(["@jit.ignore", "@jit.unused", "@staticmethod", "@property", "@jit.script",
                                "@__import__('os').system", "@jit.export"])
        lines.insert(0, decorator)
        description = f"decorated with {decorator}"
    elif action == "signature":
        header = lines[0]
        new = rng.choice([header.replace("(", "(*args, ", 1), header.replace(")", ", **kwargs)", 1),
                          header.replace(")", " = None)", 1), re.sub(r" -> [^:]+:", ":", header),
                          re.sub(r"def (\w+)", r"def \1_renamed", header), re.sub(r": \w+", "", header, count=1),
                          header.replace("def ", "async def ", 1), header.replace(")", ", *, k: int = 3)", 1),
                          re.sub(r"\(", "(__class__, ", header, count=1)])
        lines[0] = new
        description = f"signature -> {_short(new, 70)}"
    else:
        count = rng.choice([100, 1000, 3000])
        lines.insert(index, "\n".join([f"{indent}{parameter} = {parameter} + {parameter}"] * count))
        description = f"line {index}: {count} chained statements"
    return "\n".join(lines) + "\n", description


def stored_code(data, rng, corpus):
    entries = _entries(data)
    if not entries:
        return None
    name = _code_entry(entries, rng)
    if name is None:
        return None
    content = dict(entries)[name]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if rng.random() < 0.5:
        edit = _token_edit(text, rng, corpus)
        if edit is None:
            return None
        start, end, insert, description = edit
        new = text[:start] + insert + text[end:]
    else:
        edit = _line_edit(text, rng, corpus)
        if edit is None:
            return None
        new, description = edit
    encoded = new.encode("utf-8", "surrogatepass")
    return Mutation(_zipped([(n, encoded if n == name else c) for n, c in entries]), f"code {name}: {description}")


# -- storages and .npy entries -----------------------------------------------------------------------
def storage_bytes(data, rng, corpus):
    entries = _entries(data)
    if not entries:
        return None
    names = [n for n, _ in entries if n.startswith(("storages/", "tensors/"))]
    if not names:
        return None
    name = rng.choice(names)
    content = dict(entries)[name]
    action = rng.choice(["truncate", "extend", "random", "empty", "extend and declare", "npy header"])
    declared = None
    if action == "truncate":
        new = content[:rng.randrange(len(content) + 1)]
    elif action == "extend":
        new = content + bytes(rng.choice([1, 7, 8, 4096]))
    elif action == "random":
        new = bytes(rng.randrange(256) for _ in range(len(content)))
    elif action == "empty":
        new, declared = b"", 0
    elif action == "extend and declare":
        new = content + bytes(rng.choice([1, 8, 1 << 16]))
        declared = len(new)
    else:
        if not name.startswith("tensors/"):
            return None
        new = _npy_edit(content, rng)
        if new is None:
            return None
    entries = [(n, new if n == name else c) for n, c in entries]
    description = f"storage {name}: {action} ({len(content)} -> {len(new)} bytes)"
    manifest = _manifest_of(entries)
    if declared is not None and name.startswith("storages/") and manifest is not None:
        for storage in manifest.get("storages", []) if isinstance(manifest.get("storages"), list) else ():
            if isinstance(storage, dict) and storage.get("entry") == name:
                storage["nbytes"] = declared
        entries = [(n, json.dumps(manifest).encode() if n == "manifest.json" else c) for n, c in entries]
        description += ", nbytes declared to match"
    return Mutation(_zipped(entries), description)


_LAYOUT_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16",
                  "float32", "float64", "complex64", "complex128"]


def tensor_layout(data, rng, corpus):
    """A tensor made another view that its storage holds (so the loader accepts it): another
    storage, dtype, shape, strides (negative, zero, unaligned), offset, byte order, scalar flag."""
    entries = _entries(data)
    manifest = _manifest_of(entries) if entries else None
    if manifest is None or not isinstance(manifest.get("tensors"), list) or not manifest["tensors"] \
            or not isinstance(manifest.get("storages"), list):
        return None
    number = rng.randrange(len(manifest["tensors"]))
    record, storages = manifest["tensors"][number], manifest["storages"]
    if not isinstance(record, dict) or not storages:
        return None
    storage = rng.randrange(len(storages)) if rng.random() < 0.3 else record.get("storage")
    if type(storage) is not int or not 0 <= storage < len(storages) or not isinstance(storages[storage], dict):
        return None
    nbytes = storages[storage].get("nbytes")
    dtype = rng.choice(_LAYOUT_DTYPES) if rng.random() < 0.5 else record.get("dtype")
    if type(nbytes) is not int or dtype not in _LAYOUT_DTYPES:
        return None
    itemsize = np.dtype(dtype).itemsize
    shape = [rng.choice([0, 1, 1, 2, 3, 4, 5]) for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4]))]
    unit = 1 if rng.random() < 0.1 else itemsize  # unaligned steps, now and then
    strides = [rng.choice([0, 1, 1, 2, 3, -1, -2]) * unit * rng.choice([1, 1, 2]) for _ in shape]
    low = sum(s * (n - 1) for n, s in zip(shape, strides) if s < 0 and n)
    high = itemsize + sum(s * (n - 1) for n, s in zip(shape, strides) if s > 0 and n)
    if high - low > nbytes:
        return None
    offset = -low + rng.randrange(nbytes - (high - low) + 1)
    if offset % itemsize and rng.random() < 0.8:
        offset -= offset % itemsize  # mostly aligned
        if offset + low < 0:
            return None
    record.update(storage=storage, dtype=dtype, shape=shape, strides=strides, offset=offset, device="cpu",
                  scalar=not shape and rng.random() < 0.5)
    if rng.random() < 0.2:
        record["byteorder"] = "big"
    else:
        record.pop("byteorder", None)
    text = json.dumps(manifest).encode()
    return Mutation(_zipped([(n, text if n == "manifest.json" else c) for n, c in entries]),
                    f"manifest: tensors[{number}] = {_short(record, 200)}")


def _npy_edit(content, rng):
    """A version-1 entry's .npy header edited: dtype, shape, order, version, length."""
    match = re.search(rb"\{.*\}", content[:4096], re.DOTALL)
    if not match:
        return None
    header = match.group(0)
    choice = rng.choice(["descr", "shape", "fortran", "version", "length", "object"])
    if choice == "descr":
        header = re.sub(rb"'descr': '[^']*'", b"'descr': " + repr(rng.choice(
            ["|O", "<V8", "[('a', '<f4')]", "|S5", "<U1", ">f4", "<f8", "<M8[D]", "|b1", "<c16"])).encode(), header)
    elif choice == "shape":
        header = re.sub(rb"'shape': \([^)]*\)", b"'shape': " + rng.choice(
            [b"(-1,)", b"(2**62,)", b"(" + b"1, " * 70 + b")", b"()", b"(0,)", b"'x'", b"(1.5,)",
             b"(" * 200 + b")" * 200,
             b"(99999999999999999999,)"]), header)
    elif choice == "fortran":
        header = header.replace(b"False", rng.choice([b"True", b"1", b"'no'", b"None"]))
    elif choice == "version":
        return content[:6] + bytes([rng.choice([0, 2, 3, 9]), 0]) + content[8:]
    elif choice == "length":
        return content[:8] + struct.pack("<H", rng.choice([0, 1, 0xFFFF])) + content[10:]
    else:
        pickled = io.BytesIO()
        np.save(pickled, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
        return pickled.getvalue()
    start, end = match.span()
    length_format = "<H" if content[6:7] == b"\x01" else "<I"  # .npy 1.0: a 2-byte header length, else 4
    edited = bytearray(content[:start] + header + content[end:])
    length = struct.unpack_from(length_format, content, 8)[0] + len(header) - (end - start)
    struct.pack_into(length_format, edited, 8, length % (1 << (8 * struct.calcsize(length_format))))
    return bytes(edited)


# (weight, mutation): what a case draws from
MUTATIONS = [(3, flip_bytes), (1, insert_bytes), (1, delete_bytes), (2, truncate), (1, duplicate_bytes),
             (6, zip_entries), (4, zip_fields), (2, version_entry), (30, manifest_fields), (3, manifest_text),
             (28, stored_code), (6, storage_bytes), (6, tensor_layout), (6, rename)]
_WEIGHTS = [w for w, _ in MUTATIONS]


@dataclasses.dataclass
class Case:
    number: int
    seed: str
    data: bytes
    description: str
    map_location: str | None = None  # what jit.load is given: mostly nothing, sometimes "cpu"


def make_case(number: int, corpus: dict) -> Case:
    """Case ``number``: a seed archive and one to three mutations, from ``random.Random(number)``."""
    rng = random.Random(number)
    names = sorted(corpus)
    seed = rng.choices(names, [SEED_WEIGHTS.get(name, 3) for name in names])[0]
    data, steps = corpus[seed], []
    for _ in range(rng.choices([1, 2, 3], [80, 15, 5])[0]):
        for _attempt in range(10):  # a mutation that does not apply (no code entry, no zip): draw another
            mutation = rng.choices(MUTATIONS, _WEIGHTS)[0][1](data, rng, corpus)
            if mutation is not None:
                data = mutation.data
                steps.append(mutation.text)
                break
    map_location = "cpu" if rng.random() < 0.2 else None  # (drawn last: the mutations do not depend on it)
    if map_location:
        steps.append("loaded with map_location='cpu'")
    return Case(number, seed, data, "; ".join(steps), map_location)
