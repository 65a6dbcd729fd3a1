"""What script functions and script modules share as things that are saved: ``save``
and pickling as the archive (no code is pickled)."""
from __future__ import annotations


class Archived:
    def save(self, f, _extra_files=None):
        """``jit.save(self, f, _extra_files)``."""
        from jit.serialization import save  # noqa: PLC0415 - serialization imports the runtime: it loads into it

        save(self, f, _extra_files)

    def __reduce__(self):
        """Pickles as its ``jit.save`` archive and unpickles through ``jit.load`` (no code is pickled)."""
        from jit.serialization.pickling import reduce_to_archive  # noqa: PLC0415 - as save above

        return reduce_to_archive(self)
