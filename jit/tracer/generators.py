"""``rng = np.random.default_rng(seed)`` in a trace: the Generator is a graph value
(``np::random.default_rng`` is recorded, see factories), and the traced code gets a
TracedGenerator whose draws (``rng.normal(...)``) are recorded as the registry's
``np::random.Generator.*`` ops, drawing from the real Generator of this run."""
from __future__ import annotations

from jit import ops

from .proxies import Traced


class TracedGenerator(Traced):
    """A NumPy Generator of a trace."""

    __slots__ = ()

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        found = ops.for_method(name, "generator")
        if found is None:
            self._fail(f"rng.{name} is not in the operator registry, so a trace cannot record it "
                       f"(the Generator methods it records: {', '.join(ops.attribute_names('generator'))})")
        op, spelling = found

        def draw(*args, **kwargs):
            return self._live_recorder().record(op, spelling, args, kwargs, receiver=self)

        return draw

    def __repr__(self):
        return f"TracedGenerator({self._concrete!r})"
