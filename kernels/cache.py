"""Where generated kernels live on disk, and how a process loads one.

Each kernel's source is a module file named by the hash of its text, in
``$ARRAYSCRIPT_CACHE_DIR`` or else the user's cache directory
(``$XDG_CACHE_HOME/arrayscript``, ``~/.cache/arrayscript``). Numba keeps
the compiled code beside it (``__pycache__``, ``cache=True``), so a second
process that needs the same kernel loads machine code instead of compiling.

Two processes may write the same kernel at once: a file is written under a
temporary name and renamed into place, and only when it is missing, so a
reader never sees half a file and Numba's stamp (the file's mtime) never
changes under a cached entry. Numba writes its own cache files the same way.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from pathlib import Path

from device import numba_setup

_modules: dict = {}
_lock = threading.RLock()  # a kernel module loads the shared helpers' module as it is imported


def cache_root() -> Path:
    """Where every kind of compiled kernel is kept, each kind in its own directory."""
    root = os.environ.get("ARRAYSCRIPT_CACHE_DIR")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "arrayscript")
    return Path(root)


def cache_dir() -> Path:
    """The directory of this Python and Numba's kernels (created on first use)."""
    import numba  # noqa: PLC0415 - the version names the directory; numba loads with the first kernel

    numba_setup.configure()  # before the first kernel compiles
    path = cache_root() / f"cpu-py{sys.version_info[0]}{sys.version_info[1]}-numba{numba.__version__}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def module_name(source: str) -> str:
    return "arrayscript_kernel_" + hashlib.sha256(source.encode()).hexdigest()[:24]


def load_module(source: str):
    """The module of ``source``, written to the cache directory if it is not there
    yet, imported once per process."""
    name = module_name(source)
    with _lock:
        module = _modules.get(name)
        if module is not None:
            return module
        directory = cache_dir()
        path = directory / f"{name}.py"
        if not path.exists() or path.read_text() != source:
            write_atomically(path, source)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # Numba's disk cache finds the module of its functions by name
        spec.loader.exec_module(module)
        _modules[name] = module
        return module


def write_atomically(path: Path, text: "str | bytes"):
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb" if isinstance(text, bytes) else "w") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
