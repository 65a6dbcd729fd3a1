"""Pickling a ScriptFunction or ScriptModule: as the bytes ``jit.save`` writes.

``pickle`` (and so multiprocessing, Dask and Ray) ships the archive, and the
receiving process rebuilds the object with ``jit.load``: what travels is printed
script code, arrays and a manifest, never pickled code, and unpickling runs
nothing but the script compiler. Arrays come back on the device they were
pickled from; a CUDA model unpickled where there is no GPU fails as ``jit.load``
does, saying to move it to the CPU first (``jit.load(..., map_location="cpu")``
on the archive, or pickle a CPU copy).
"""
from __future__ import annotations

import io
import pickle

from .loading import load
from .saving import save


def reduce_to_archive(obj):
    """``obj.__reduce__()``: the loader and the archive bytes it takes."""
    buffer = io.BytesIO()
    try:
        save(obj, buffer)
    except Exception as error:  # noqa: BLE001 - whatever makes it unsaveable makes it unpicklable
        name = getattr(obj, "original_name", None) or getattr(obj, "qualname", type(obj).__name__)
        raise pickle.PicklingError(f"cannot pickle {name}: it is pickled as its jit.save archive, and saving "
                                   f"it failed: {error}") from error
    return load_archive_bytes, (buffer.getvalue(),)


def load_archive_bytes(data: bytes):
    """Unpickle: the ScriptFunction or ScriptModule that ``data`` (an archive) holds."""
    if not isinstance(data, (bytes, bytearray)):
        raise pickle.UnpicklingError(f"a pickled script object holds archive bytes, not a {type(data).__name__}")
    return load(io.BytesIO(bytes(data)))
