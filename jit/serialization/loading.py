"""``jit.load``: an archive back to a ScriptModule or ScriptFunction.

The stored code is compiled by the same frontend that compiled the original,
in "saved" mode: it may call operators and what the archive defines, nothing of
Python. Classes and NamedTuples are rebuilt from their recorded fields, modules
from their records, arrays from their ``.npy`` entries onto their saved device
or ``map_location``. Whatever is wrong with the file raises a SerializationError.
"""
from __future__ import annotations

import collections
import json
import sys

import device as _device
from jit import types as T
from jit.errors import CompilationError, SerializationError
from jit.frontend import code_namespace, compile_source
from jit.frontend.annotations import AnnotationResolver, namedtuple_type
from jit.ir.code_printer import CONSTANTS_NAME, TensorConstants

from .archive import MANIFEST_ENTRY, ArchiveReader
from .saving import FORMAT_NAME
from .values import TensorReader, decode, parse_type, type_text

_REGISTRIES = ("_parameters", "_buffers", "_modules")


def load(f, map_location=None, _extra_files=None):
    """The ScriptModule or ScriptFunction saved in ``f`` (a path or a binary file
    object). ``map_location`` ("cpu", "cuda", "cuda:N" or a Device) places every
    array there instead of on the device it was saved from. ``_extra_files``: a dict
    whose keys name extra files to read; their contents (bytes) are filled in."""
    target = _target_device(map_location)
    archive = ArchiveReader(f)
    try:
        return _Loader(archive, target).load(_extra_files)
    except CompilationError as error:
        raise SerializationError(f"{archive.where}: its code does not compile: {error}") from None
    except RecursionError:
        raise SerializationError(f"{archive.where}: its manifest or code is nested too deeply") from None


def _target_device(map_location):
    if map_location is None:
        return None
    if not isinstance(map_location, (str, _device.Device)):
        raise TypeError(f"map_location is a device name ('cpu', 'cuda', 'cuda:N') or a Device, not a "
                        f"{type(map_location).__name__}")
    return _device.Device(map_location)


def _field(container, key, kinds, where):
    value = container.get(key) if isinstance(container, dict) else None
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _as_tuple(kinds)):
        raise SerializationError(f"{where}: '{key}' is missing or is not {_kind_names(kinds)}")
    return value


def _as_tuple(kinds):
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _kind_names(kinds):
    names = {dict: "an object", list: "a list", str: "a string", int: "a number", bool: "a boolean"}
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kinds))


class _Loader:
    def __init__(self, archive, target):
        self.archive, self.target, self.where = archive, target, archive.where
        try:
            self.manifest = json.loads(archive.text(MANIFEST_ENTRY))
        except (ValueError, RecursionError) as error:
            raise SerializationError(f"{self.where}: the manifest is not valid JSON ({error})") from None
        if not isinstance(self.manifest, dict) or self.manifest.get("format") != FORMAT_NAME:
            raise SerializationError(f"{self.where}: the manifest is not an ArrayScript manifest")
        if self.manifest.get("version") != archive.version:
            raise SerializationError(f"{self.where}: the manifest's version {self.manifest.get('version')!r} differs "
                                     f"from the version record ({archive.version})")
        self.namespace = code_namespace()
        self.resolver = AnnotationResolver(self.namespace, saved=True)
        self.functions = {}

    def map_device(self, dev):
        return dev if self.target is None else self.target

    # -- arrays ----------------------------------------------------------------------------------
    def destination(self, saved, where):
        """Where an array saved on ``saved`` goes, once it is sure it can go there."""
        target = self.target or saved
        if target.type == "cuda":
            if not _device.cuda_is_available():
                why = "CuPy is not installed" if _device.cupy_module() is None else "CuPy sees no CUDA device"
                if self.target is not None:
                    raise SerializationError(f"map_location={str(self.target)!r} needs CUDA, which is not "
                                             f"available here ({why}); pass map_location='cpu'")
                raise SerializationError(f"{where} was saved on {saved}, and CUDA is not available here ({why}); "
                                         "pass map_location='cpu' to jit.load to load the model on the CPU")
            count = _device.cupy_module().cuda.runtime.getDeviceCount()
            if target.index is not None and target.index >= count:
                raise SerializationError(f"{where} was saved on {saved}, but this machine has {count} CUDA "
                                         "device(s); pass map_location='cuda:0' (or 'cpu') to jit.load")
        return target

    def place(self, array, saved, where):
        return _device.to(array, self.destination(saved, where))

    def check_devices(self, tensors):
        """Fail before compiling anything when an array cannot go where it must."""
        for number in range(len(tensors.records)):
            self.destination(tensors.device_of(number), f"{self.where}: tensor {number}")

    # -- the whole -------------------------------------------------------------------------------
    def load(self, extra_files):
        manifest = self.manifest
        self.tensors = TensorReader(self.archive, manifest.get("tensors"), self.place)
        self.check_devices(self.tensors)
        for record in _field(manifest, "namedtuples", list, self.where):
            self.namedtuple(record)
        types = [self.class_type(record) for record in _field(manifest, "types", list, self.where)]
        for kind, record in types:
            self.declare(kind, record)
        for record in _field(manifest, "code", list, self.where):
            self.code_unit(record)
        if manifest.get("object") == "module":
            modules = _field(manifest, "modules", list, self.where)
            root = _field(manifest, "root", int, self.where)
            result = self.module(modules, root, {}, set())
        elif manifest.get("object") == "function":
            root = _field(manifest, "root", str, self.where)
            if root not in self.functions:
                raise SerializationError(f"{self.where}: the root function {root!r} is not in the archive's code")
            result = self.functions[root]
        else:
            raise SerializationError(f"{self.where}: the manifest's object {manifest.get('object')!r} is neither "
                                     "'module' nor 'function'")
        self.extra_files(extra_files)
        return result

    def extra_files(self, requested):
        if requested is None:
            return
        stored = _field(self.manifest, "extra_files", list, self.where)
        for name in list(requested):
            if name not in stored or not self.archive.has(f"extra/{name}"):
                listing = ", ".join(repr(n) for n in stored) or "none"
                raise SerializationError(f"{self.where} has no extra file {name!r} (it has: {listing})")
            requested[name] = self.archive.read(f"extra/{name}")

    # -- types -----------------------------------------------------------------------------------
    def bind_name(self, name, value, where):
        if not isinstance(name, str) or not name.isidentifier() or name in self.namespace or name == CONSTANTS_NAME:
            raise SerializationError(f"{where}: the name {name!r} is not a free identifier")
        self.namespace[name] = value

    def namedtuple(self, record):
        name = _field(record, "name", str, f"{self.where}: a NamedTuple")
        where = f"{self.where}: the NamedTuple {name}"
        fields = _field(record, "fields", list, where)
        if not all(isinstance(f, list) and len(f) == 2 and isinstance(f[0], str) and f[0].isidentifier()
                   and not f[0].startswith("_") for f in fields) or len({f[0] for f in fields}) != len(fields):
            raise SerializationError(f"{where}: its fields are not distinct [name, type] pairs")
        types = [parse_type(t, self.resolver, f"{where}, field {n}") for n, t in fields]
        cls = _existing_namedtuple(record, [n for n, _ in fields])
        if cls is None or namedtuple_type(cls).elements != tuple(types):
            cls = collections.namedtuple(name, [n for n, _ in fields])
            cls.__module__ = "jit.serialization.loaded"
            cls.__jit_field_types__ = types
        self.bind_name(name, cls, where)

    def class_type(self, record):
        name = _field(record, "name", str, f"{self.where}: a type")
        where = f"{self.where}: the type {name}"
        category = record.get("kind")
        if category == "module":
            original = _field(record, "original_name", str, where)
            python_class = type(original if original.isidentifier() else name, (), {"__module__": "<saved module>"})
        elif category == "class":
            python_class = _existing_class(record)
            if python_class is None:
                python_class = type(name, (), {"__module__": "jit.serialization.loaded"})
                for method_name in _field(record, "methods", list, where):
                    if isinstance(method_name, str) and method_name.isidentifier():
                        setattr(python_class, method_name, _python_method(method_name))
        else:
            raise SerializationError(f"{where}: its kind {category!r} is neither 'module' nor 'class'")
        kind = T.ClassType(name, python_class, category)
        if python_class.__dict__.get("__jit_class_type__") is None and category == "class":
            python_class.__jit_class_type__ = kind
        self.bind_name(name, kind, where)
        return kind, record

    def declare(self, kind, record):
        """The attributes, slots and constants of a type, once every type has a name."""
        where = f"{self.where}: the type {kind.name}"
        for pair in _field(record, "attributes", list, where):
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                raise SerializationError(f"{where}: an attribute is not a [name, type] pair")
            kind.attributes[pair[0]] = parse_type(pair[1], self.resolver, f"{where}, attribute {pair[0]}")
        if kind.kind != "module":
            return
        slots = _field(record, "slots", dict, where)
        if any(registry not in _REGISTRIES or name not in kind.attributes for name, registry in slots.items()):
            raise SerializationError(f"{where}: its slots name unknown attributes or registries")
        kind.slots = dict(slots)
        for triple in _field(record, "constants", list, where):
            if not (isinstance(triple, list) and len(triple) == 3 and isinstance(triple[0], str)):
                raise SerializationError(f"{where}: a constant is not a [name, type, value] triple")
            constant_type = parse_type(triple[1], self.resolver, f"{where}, constant {triple[0]}")
            value = decode(triple[2], constant_type, None, f"{where}, constant {triple[0]}", self.map_device)
            kind.constants[triple[0]] = tuple(value) if isinstance(value, list) else value
        kind.container = record.get("container")
        if kind.container not in (None, "list", "dict"):
            raise SerializationError(f"{where}: container {kind.container!r} is not 'list' or 'dict'")
        kind.submodules = _field(record, "submodules", list, where)
        if not all(isinstance(name, str) and name in kind.attributes for name in kind.submodules):
            raise SerializationError(f"{where}: its submodules are not all attributes")

    # -- code ------------------------------------------------------------------------------------
    def code_unit(self, record):
        from jit.runtime import ScriptFunction  # noqa: PLC0415 - the runtime sits beside serialization

        name = _field(record, "name", str, f"{self.where}: a code unit")
        entry = _field(record, "entry", str, f"{self.where}: the code of {name}")
        where = f"{self.where}: the code of {record.get('qualname', name)}"
        namespace = dict(self.namespace)
        arrays = [self.tensors.get(n, where) for n in _field(record, "constants", list, where)]
        namespace[CONSTANTS_NAME] = TensorConstants(arrays)
        for printed, key in _field(record, "calls", dict, where).items():
            if not isinstance(key, str) or key not in self.functions:
                raise SerializationError(f"{where}: it calls {key!r}, which the archive does not define before it")
            namespace[printed] = self.functions[key]
        text = self.archive.text(entry)
        if record.get("unit") == "function":
            key = _field(record, "key", str, where)
            if key in self.functions:
                raise SerializationError(f"{where}: the function {key!r} is defined twice")
            compiled = compile_source(text, name, namespace, entry, qualname=record.get("qualname", name)
                                      if isinstance(record.get("qualname"), str) else name, saved=True,
                                      map_device=self.map_device)
            self.functions[key] = ScriptFunction(compiled)
        elif record.get("unit") == "method":
            type_name = _field(record, "type", str, where)
            kind = self.namespace.get(type_name)
            if not isinstance(kind, T.ClassType) or name in kind.methods:
                raise SerializationError(f"{where}: its type {type_name!r} is not defined, or has this method twice")
            compiled = compile_source(text, name, namespace, entry, qualname=f"{kind.annotation_str()}.{name}",
                                      self_type=kind, saved=True, map_device=self.map_device)
            kind.methods[name] = ScriptFunction(compiled)
        else:
            raise SerializationError(f"{where}: its unit {record.get('unit')!r} is neither 'function' nor 'method'")

    # -- modules ---------------------------------------------------------------------------------
    def module(self, records, number, built, open_numbers):
        from jit.runtime.module import ScriptModule  # noqa: PLC0415 - the runtime sits beside serialization

        if type(number) is not int or not 0 <= number < len(records):
            raise SerializationError(f"{self.where}: module {number!r} is not in the manifest's module list")
        if number in built:
            return built[number]
        if number in open_numbers:
            raise SerializationError(f"{self.where}: module {number} contains itself")
        open_numbers.add(number)
        record = records[number]
        where = f"{self.where}: module {number}"
        kind = self.namespace.get(_field(record, "type", str, where))
        if not isinstance(kind, T.ClassType) or kind.kind != "module":
            raise SerializationError(f"{where}: its type {record.get('type')!r} is not a module type of the archive")
        where = f"{self.where}: module {number} ({kind.name})"
        registries = {}
        for registry in _REGISTRIES:
            entries = _field(record, "children" if registry == "_modules" else registry[1:], dict, where)
            expected = {n for n, r in kind.slots.items() if r == registry}
            if set(entries) != expected:
                raise SerializationError(f"{where}: its {registry[1:]} {sorted(entries)} are not those of its type "
                                         f"{sorted(expected)}")
            registries[registry] = {}
            for name, value in entries.items():
                if value is None:
                    registries[registry][name] = None
                elif registry == "_modules":
                    registries[registry][name] = self.module(records, value, built, open_numbers)
                else:
                    registries[registry][name] = self.tensors.get(value, f"{where}, {registry[1:-1]} {name}")
        for name, child in registries["_modules"].items():
            if child is not None and child._type is not kind.attributes[name]:
                raise SerializationError(f"{where}: submodule {name} is not of the type its parent declares")
        values = _field(record, "attributes", dict, where)
        plain = [n for n in kind.attributes if n not in kind.slots]
        if set(values) != set(plain):
            raise SerializationError(f"{where}: its attributes {sorted(values)} are not those of its type "
                                     f"{sorted(plain)}")
        attributes = {name: decode(values[name], kind.attributes[name], self.tensors, f"{where}, attribute {name}",
                                   self.map_device) for name in plain}
        non_persistent = _field(record, "non_persistent_buffers", list, where)
        if not all(isinstance(name, str) for name in non_persistent):
            raise SerializationError(f"{where}: its non-persistent buffers are not a list of names")
        module = ScriptModule.rebuilt(kind, _field(record, "original_name", str, where), registries,
                                      set(non_persistent), attributes)
        if isinstance(record.get("traced_training"), bool):
            object.__setattr__(module, "_traced_training", record["traced_training"])
        open_numbers.discard(number)
        built[number] = module
        return module


def _existing_namedtuple(record, fields):
    """The NamedTuple class the archive names, when its module is already imported
    and it has the same fields; else None."""
    found = _imported(record.get("module"), record.get("qualname"))
    return found if T.is_namedtuple_class(found) and list(found._fields) == fields else None


def _existing_class(record):
    """The script class the archive names, when its module is already imported and
    its attributes are the recorded ones: objects of the loaded model are then
    instances of the user's class (its methods in script code still come from the
    archive). None otherwise."""
    found = _imported(record.get("module"), record.get("qualname"))
    kind = T.class_type_of(found)
    if kind is None or [[n, type_text(t)] for n, t in kind.attributes.items()] != record.get("attributes"):
        return None
    return found


def _imported(module_name, qualname):
    """The object at ``qualname`` in an already imported module (nothing is imported
    or run: attributes are read from the modules' and classes' dicts); else None."""
    module = sys.modules.get(module_name) if isinstance(module_name, str) else None
    if module is None or not isinstance(qualname, str):
        return None
    found = module
    for part in qualname.split("."):
        found = vars(found).get(part) if hasattr(found, "__dict__") else None
    return found


def _python_method(name):
    """A rebuilt class's method, callable from Python: runs the compiled method."""
    def method(self, *args, **kwargs):
        return type(self).__jit_class_type__.methods[name](self, *args, **kwargs)
    method.__name__ = name
    return method
