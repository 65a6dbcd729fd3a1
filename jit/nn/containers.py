"""``Sequential``, ``ModuleList`` and ``ModuleDict``: submodules held in order
(named "0", "1", ...) or by key. Script code iterates them by unrolling and
indexes them with constants."""
from __future__ import annotations

import collections
import operator

from .module import Module


def _as_module(value, owner):
    if not isinstance(value, Module):
        raise TypeError(f"{owner} holds Modules, not {type(value).__name__}")
    return value


class _Indexed(Module):
    """Submodules named by their position."""

    def _index(self, index):
        try:
            index = operator.index(index)
        except TypeError:
            raise TypeError(f"{type(self).__name__} indices must be integers or slices, "
                            f"not {type(index).__name__}") from None
        count = len(self)
        if not -count <= index < count:
            raise IndexError(f"index {index} is out of range for a {type(self).__name__} of {count} modules")
        return index % count

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def _renumber(self, modules):
        self._modules.clear()
        for index, module in enumerate(modules):
            self._modules[str(index)] = module

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._sliced(list(self._modules.items())[index])
        return list(self._modules.values())[self._index(index)]

    def __setitem__(self, index, module):
        key = list(self._modules)[self._index(index)]
        self._modules[key] = _as_module(module, type(self).__name__)

    def __delitem__(self, index):
        modules = list(self._modules.values())
        del modules[index if isinstance(index, slice) else self._index(index)]
        self._renumber(modules)

    def append(self, module):
        self.add_module(str(len(self)), _as_module(module, type(self).__name__))
        return self

    def __dir__(self):
        return [name for name in super().__dir__() if not name.isdigit()]


class Sequential(_Indexed):
    """Modules applied in order: ``Sequential(a, b)(x)`` is ``b(a(x))``. Takes
    modules, or one ordered dict of named modules."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            for name, module in modules[0].items():
                self.add_module(name, _as_module(module, "Sequential"))
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), _as_module(module, "Sequential"))

    def _sliced(self, items):
        return Sequential(collections.OrderedDict(items))

    def forward(self, input):
        for module in self:
            input = module(input)
        return input


class ModuleList(_Indexed):
    """A list of modules (its own ``forward`` is not defined: iterate or index it)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _sliced(self, items):
        return ModuleList(module for _, module in items)

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        modules = list(self._modules.values())
        modules.insert(index, _as_module(module, "ModuleList"))
        self._renumber(modules)

    def __iadd__(self, modules):
        return self.extend(modules)


class ModuleDict(Module):
    """Modules by str key, in insertion order."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        if key not in self._modules:
            raise KeyError(f"ModuleDict has no module {key!r}; its keys are {list(self._modules)}")
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, _as_module(module, "ModuleDict"))

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules):
        pairs = modules.items() if isinstance(modules, (dict, ModuleDict)) else modules
        for key, module in pairs:
            self[key] = module

    def pop(self, key):
        module = self[key]
        del self._modules[key]
        return module

    def clear(self):
        self._modules.clear()
