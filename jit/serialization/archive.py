"""The zip container of a saved file: atomic writing, and reading that trusts nothing.

Every entry is stored uncompressed (so a declared size can be checked against
the file's own length before anything is read), names are checked before use,
and every failure of the zip layer (bad CRC, truncation, a foreign file) becomes
a ``SerializationError`` that says what was wrong.
"""
from __future__ import annotations

import io
import os
import re
import struct
import tempfile
import zipfile
import zlib

from jit.errors import SerializationError

FORMAT_VERSION = 2  # 2: arrays as views of storages (docs/format.md, Versions)
VERSION_ENTRY = "version"
MANIFEST_ENTRY = "manifest.json"
TEXT_LIMIT = 64 << 20  # the manifest and each code entry
ENTRY_LIMIT = 100_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error, EOFError, OSError, ValueError,
               NotImplementedError, RuntimeError, OverflowError, UnicodeDecodeError, KeyError, IndexError)


def check_entry_name(name: str, what: str = "entry", where: str | None = None) -> str:
    """``name`` if it is a safe relative path (no '..', no absolute path, no backslash
    or control characters); otherwise a SerializationError (naming the file ``where``)."""
    if not isinstance(name, str) or not name or len(name) > 1024 or _CONTROL.search(name) \
            or name.startswith("/") or any(part in ("", ".", "..") for part in name.split("/")) \
            or re.match(r"^[A-Za-z]:", name):
        shown = repr(name) if len(repr(name)) <= 80 else repr(name)[:77] + "..."
        raise SerializationError(f"{where + ': ' if where else ''}the {what} name {shown} is not a safe relative "
                                 "path (no '..', no leading '/', no backslashes or control characters)")
    return name


class ArchiveWriter:
    """Collects entries in memory; ``write_to(f)`` puts the finished archive in place."""

    def __init__(self):
        self.buffer = io.BytesIO()
        self.zip = zipfile.ZipFile(self.buffer, "w", zipfile.ZIP_STORED)
        self.add(VERSION_ENTRY, f"{FORMAT_VERSION}\n".encode())

    def add(self, name: str, data: bytes):
        info = zipfile.ZipInfo(check_entry_name(name), date_time=(1980, 1, 1, 0, 0, 0))  # reproducible bytes
        info.compress_type = zipfile.ZIP_STORED
        self.zip.writestr(info, data)

    def close(self):
        self.zip.close()  # a second close does nothing

    def write_to(self, f):
        """Write the archive to a path (atomically: a temporary file renamed over the
        target, so a failure never leaves half a file) or to a binary file object."""
        self.zip.close()
        data = self.buffer.getvalue()
        if isinstance(f, (str, os.PathLike)):
            _write_atomically(os.fspath(f), data)
            return
        if not hasattr(f, "write"):
            raise TypeError(f"save writes to a path or a binary file object, not a {type(f).__name__}")
        if isinstance(f, io.TextIOBase):
            raise TypeError("save needs a binary file object (open(path, 'wb') or io.BytesIO()), not a text one")
        f.write(data)
        if hasattr(f, "flush"):
            f.flush()


def _write_atomically(path: str, data: bytes):
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".arrayscript-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


class ArchiveReader:
    """A saved file opened for reading; ``where`` names it in errors."""

    def __init__(self, f):
        self.where, data = _read_all(f)
        self.size = len(data)
        if not data.startswith(b"PK"):
            raise SerializationError(f"{self.where} is not an ArrayScript archive: it is not a zip file "
                                     f"(it starts with {data[:8]!r})")
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except _ZIP_ERRORS as error:
            raise SerializationError(f"{self.where} is damaged or truncated: {error}") from None
        if len(infos) > ENTRY_LIMIT:
            raise SerializationError(f"{self.where} has {len(infos)} entries, more than the {ENTRY_LIMIT} allowed")
        self.entries = {}
        for info in infos:
            check_entry_name(info.filename, where=self.where)
            if info.filename in self.entries:
                raise SerializationError(f"{self.where} has two entries named {info.filename!r}")
            self.entries[info.filename] = info
        if VERSION_ENTRY not in self.entries or MANIFEST_ENTRY not in self.entries:
            listing = ", ".join(sorted(self.entries)[:5]) + (", ..." if len(self.entries) > 5 else "")
            raise SerializationError(f"{self.where} is a zip file but not an ArrayScript archive (it has no "
                                     f"'{VERSION_ENTRY}' and '{MANIFEST_ENTRY}' entries; it holds: {listing or 'nothing'})")
        self.version = self._version()

    def _version(self) -> int:
        text = self.text(VERSION_ENTRY).strip()
        if not re.fullmatch(r"[0-9]{1,9}", text):  # str.isdigit() also takes '²', which int() refuses
            raise SerializationError(f"{self.where}: the version record {text[:40]!r} is not a version number")
        version = int(text)
        if version > FORMAT_VERSION:
            raise SerializationError(f"{self.where} was written in format version {version}, newer than this "
                                     f"ArrayScript reads (up to {FORMAT_VERSION}); upgrade arrayscript to load it")
        if version < 1:
            raise SerializationError(f"{self.where}: format version {version} does not exist")
        return version

    def has(self, name: str) -> bool:
        return name in self.entries

    def size_of(self, name: str) -> int:
        """The size entry ``name`` declares, once it is sure the file can hold it."""
        info = self.entries.get(name)
        if info is None:
            raise SerializationError(f"{self.where} has no entry {name!r}, which its manifest refers to")
        if info.compress_type != zipfile.ZIP_STORED:
            raise SerializationError(f"{self.where}: entry {name!r} is compressed; ArrayScript archives store "
                                     "entries uncompressed (save the model again rather than re-zipping the file)")
        if info.file_size != info.compress_size or info.file_size > self.size:
            raise SerializationError(f"{self.where}: entry {name!r} declares {info.file_size} bytes, which the "
                                     f"{self.size}-byte file cannot hold")
        return info.file_size

    def read(self, name: str, limit: int | None = None) -> bytes:
        """The bytes of entry ``name``, after checking its declared size."""
        self.size_of(name)
        info = self.entries[name]
        if limit is not None and info.file_size > limit:
            raise SerializationError(f"{self.where}: entry {name!r} is {info.file_size} bytes, more than the "
                                     f"{limit} allowed for it")
        try:
            with self.zip.open(info) as entry:
                data = entry.read(info.file_size + 1)
        except _ZIP_ERRORS as error:
            raise SerializationError(f"{self.where}: entry {name!r} is damaged: {error}") from None
        if len(data) != info.file_size:
            raise SerializationError(f"{self.where}: entry {name!r} holds {len(data)} bytes, not the "
                                     f"{info.file_size} it declares")
        return data

    def text(self, name: str) -> str:
        try:
            return self.read(name, TEXT_LIMIT).decode("utf-8")
        except UnicodeDecodeError:
            raise SerializationError(f"{self.where}: entry {name!r} is not UTF-8 text") from None


def _read_all(f):
    """(a name for errors, the whole content) of a path or a binary file object."""
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        try:
            with open(path, "rb") as handle:
                return repr(path), handle.read()
        except OSError as error:
            raise SerializationError(f"cannot read {path!r}: {error.strerror or error}") from None
    if not hasattr(f, "read"):
        raise TypeError(f"load reads from a path or a binary file object, not a {type(f).__name__}")
    data = f.read()
    if isinstance(data, str):
        raise TypeError("load needs a binary file object (open(path, 'rb') or io.BytesIO(...)), not a text one")
    return "the file object", bytes(data)
