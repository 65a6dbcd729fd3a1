"""``nn.Module`` and ``nn.Parameter``: the torch.nn.Module surface that scripting
relies on, over NumPy and CuPy arrays.

A module keeps its parameters, buffers and submodules in three ordered dicts;
assigning a ``Parameter`` or a module to an attribute registers it, and reading
the attribute gives the plain array (or module) back. Everything else is an
ordinary Python attribute, which scripting types from its value.
"""
from __future__ import annotations

import collections

import numpy as np

import device as _device
from jit import _tracing
from jit.api import Attribute

_FLOAT_KINDS = "f"  # dtype kinds that float()/half()/double() and to(dtype) convert, as torch does


class Parameter:
    """Marks an array as a module parameter: ``self.weight = nn.Parameter(w)``
    registers ``w``; ``self.weight`` then reads as the plain array."""

    __slots__ = ("data",)

    def __init__(self, data):
        if not _device.is_array(data):
            raise TypeError(f"nn.Parameter takes a NumPy or CuPy array, got {type(data).__name__}")
        self.data = data

    def __repr__(self):
        return f"Parameter containing:\n{self.data!r}"


class _IncompatibleKeys(collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


class Module:
    """Base class of models: subclasses set attributes in ``__init__`` and define
    ``forward``; calling the module calls ``forward``."""

    training: bool

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # -- attributes ---------------------------------------------------------------------
    def _registries(self):
        try:
            return self.__dict__["_parameters"], self.__dict__["_buffers"], self.__dict__["_modules"]
        except KeyError:
            raise AttributeError(f"{type(self).__name__}.__init__ did not call super().__init__() before setting "
                                 "attributes") from None

    def __setattr__(self, name, value):
        parameters, buffers, modules = self._registries()
        if isinstance(value, Attribute):  # the value, with its script type declared
            self.__dict__.setdefault("_attribute_types", {})[name] = value.type
            value = value.value
        if isinstance(value, Parameter):
            self._forget(name)
            parameters[name] = value.data
        elif isinstance(value, Module):
            self._forget(name)
            modules[name] = value
        elif name in parameters:
            parameters[name] = self._checked_array(name, value, "parameter")
        elif name in buffers:
            buffers[name] = self._checked_array(name, value, "buffer")
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to '{name}', a submodule "
                                "(a Module or None expected)")
            modules[name] = None
        else:
            object.__setattr__(self, name, value)

    @staticmethod
    def _checked_array(name, value, what):
        if value is not None and not _device.is_array(value):
            raise TypeError(f"cannot assign a {type(value).__name__} to the {what} '{name}' "
                            "(an array or None expected)")
        return value

    def _forget(self, name):
        for registry in self._registries():
            registry.pop(name, None)
        self.__dict__.pop(name, None)

    def __getattr__(self, name):  # only for names not found the ordinary way
        registries = self.__dict__.get("_parameters"), self.__dict__.get("_buffers"), self.__dict__.get("_modules")
        for registry in registries:
            if registry is not None and name in registry:
                return registry[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in self._registries():
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | {n for r in self._registries() for n in r})

    def register_parameter(self, name: str, param: Parameter | None):
        _check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter('{name}') takes an nn.Parameter or None, "
                            f"got {type(param).__name__}")
        self._forget(name)
        self._parameters[name] = None if param is None else param.data

    def register_buffer(self, name: str, array, persistent: bool = True):
        """A named array that is part of the module's state but not a parameter (running
        statistics, masks); ``persistent=False`` leaves it out of ``state_dict()``."""
        _check_name(name, "buffer")
        self._checked_array(name, array, "buffer")
        self._forget(name)
        self._buffers[name] = array
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: "Module | None"):
        _check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module('{name}') takes a Module or None, got {type(module).__name__}")
        self._forget(name)
        self._modules[name] = module

    # -- calling ---------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        if _tracing.active:
            recorder = _tracing.current()
            if recorder is not None:  # a trace records the call (a submodule's method call)
                return recorder.call_module(self, args, kwargs)
        return self.forward(*args, **kwargs)

    # -- iteration --------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry_name, prefix, recurse):
        seen = set()
        owners = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for owner_prefix, owner in owners:
            for name, array in getattr(owner, registry_name).items():
                if array is None or id(array) in seen:
                    continue
                seen.add(id(array))
                yield (f"{owner_prefix}.{name}" if owner_prefix else name), array

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True):
        for _, array in self.named_parameters(recurse=recurse):
            yield array

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True):
        for _, array in self.named_buffers(recurse=recurse):
            yield array

    # -- state ------------------------------------------------------------------------------
    def state_dict(self, prefix: str = "") -> dict:
        """Parameters and persistent buffers by dotted name (``linear.weight``); the
        arrays themselves, not copies."""
        state = collections.OrderedDict()
        for name, array in self._parameters.items():
            if array is not None:
                state[prefix + name] = array
        for name, array in self._buffers.items():
            if array is not None and name not in self._non_persistent_buffers:
                state[prefix + name] = array
        for name, module in self._modules.items():
            if module is not None:
                state.update(module.state_dict(prefix=f"{prefix}{name}."))
        return state

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy arrays into this module's parameters and buffers, in place (their dtype
        and device stay). With ``strict``, missing and unexpected keys are errors."""
        own = self.state_dict()
        errors = []
        for name, target in own.items():
            if name not in state_dict:
                continue
            source = state_dict[name]
            if not _device.is_array(source) and not np.isscalar(source):
                errors.append(f"the value of {name} is a {type(source).__name__}, not an array")
                continue
            shape = tuple(np.shape(source))
            if shape != target.shape:
                errors.append(f"size mismatch for {name}: copying a param with shape {shape} from checkpoint, "
                              f"the shape in current model is {target.shape}.")
                continue
            xp = _device.array_module(target)
            xp.copyto(target, xp.asarray(_device.to(source, _device.of(target))
                                         if _device.is_array(source) else source), casting="unsafe")
        missing = [name for name in own if name not in state_dict]
        unexpected = [name for name in state_dict if name not in own]
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        return _IncompatibleKeys(missing, unexpected)

    # -- conversion -------------------------------------------------------------------------
    def _apply(self, convert):
        """Replace every parameter and buffer array by ``convert(array)``, recursively."""
        for module in self.modules():
            for registry in (module._parameters, module._buffers):
                for name, array in registry.items():
                    if array is not None:
                        registry[name] = convert(array)
        return self

    def to(self, *args, **kwargs):
        """``to(device)``, ``to(dtype)`` or ``to(device, dtype)``: moves every array,
        and converts floating-point ones to ``dtype``. Returns self."""
        target_device, dtype = _parse_to(args, kwargs)
        if target_device is not None:
            self._apply(lambda a: _device.to(a, target_device))
        if dtype is not None:
            self._apply(lambda a: a.astype(dtype) if a.dtype.kind in _FLOAT_KINDS else a)
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self, index: int | None = None):
        return self.to(_device.Device("cuda", index))

    def float(self):
        return self.to(np.float32)

    def half(self):
        return self.to(np.float16)

    def double(self):
        return self.to(np.float64)

    def train(self, mode: bool = True):
        if not isinstance(mode, bool):
            raise TypeError(f"train() takes a bool, got {type(mode).__name__}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def apply(self, function):
        for module in self.children():
            module.apply(function)
        function(self)
        return self

    # -- printing ---------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): {_indent(repr(module), 2)}" for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if len(extra_lines) == 1 and not child_lines:
            text += extra_lines[0]
        elif lines:
            text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"


def _indent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    return lines[0] if len(lines) == 1 else lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _check_name(name, what):
    if not isinstance(name, str):
        raise TypeError(f"{what} name should be a str, got {type(name).__name__}")
    if not name or "." in name:
        raise KeyError(f"{what} name can't be empty or contain \".\", got {name!r}")


def _parse_to(args, kwargs):
    target_device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, (str, _device.Device)):
            target_device = arg
        else:
            try:
                dtype = np.dtype(arg)
            except TypeError:
                raise TypeError(f"to() takes a device ('cpu', 'cuda:0') and/or a dtype, got {arg!r}") from None
    if len(args) > 2:
        raise TypeError("to() takes at most a device and a dtype")
    return (None if target_device is None else _device.Device(target_device)), dtype
