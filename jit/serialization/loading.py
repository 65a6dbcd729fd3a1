"""``jit.load``: an archive back to a ScriptModule or ScriptFunction.

The stored code is compiled by the same frontend that compiled the original,
in "saved" mode: it may call operators and what the archive defines, nothing of
Python. Classes and NamedTuples are rebuilt from their recorded fields, modules
from their records, arrays from their ``.npy`` entries onto their saved device
or ``map_location``. Whatever is wrong with the file raises a SerializationError.
"""
from __future__ import annotations

import collections
import sys

import device as _device
from jit import types as T
from jit.errors import CompilationError, SerializationError
from jit.frontend import MAX_SAVED_CODE_TOTAL, code_namespace, compile_source
from jit.frontend.annotations import AnnotationResolver, namedtuple_type
from jit.ir.code_printer import CONSTANTS_NAME, TensorConstants
from jit.runtime import ScriptFunction
from jit.runtime.codegen import is_reserved_name
from jit.runtime.module import ScriptModule

from .archive import MANIFEST_ENTRY, ArchiveReader
from .limits import LoadBudget, parse_manifest
from .names import (TYPE_RESERVED, check_name, check_registry_key, check_unique, is_dunder, module_member_reserved,
                    shown)
from .saving import FORMAT_NAME
from .storages import TensorReader
from .values import decode, parse_type, type_text

_REGISTRIES = ("_parameters", "_buffers", "_modules")
_SLOT_WHAT = {"_parameters": "parameter", "_buffers": "buffer", "_modules": "submodule"}


def load(f, map_location=None, _extra_files=None, *, max_bytes=None):
    """The ScriptModule or ScriptFunction saved in ``f`` (a path or a binary file
    object). ``map_location`` ("cpu", "cuda", "cuda:N" or a Device) places every
    array there instead of on the device it was saved from. ``_extra_files``: a dict
    whose keys name extra files to read; their contents (bytes) are filled in.
    ``max_bytes``: the most bytes the load may materialize (arrays, the manifest and
    the values decoded from it); by default 16 times the file's size plus 1 MiB, so
    that a small file cannot declare gigabytes. Raise it for a trusted file."""
    target = _target_device(map_location)
    archive = ArchiveReader(f)
    budget = LoadBudget(archive.size, max_bytes, archive.where)
    loader = None
    try:
        loader = _Loader(archive, target, budget)
        return loader.load(_extra_files)
    except SerializationError:
        raise
    # Whatever else a crafted file provokes in any stage becomes one SerializationError
    # that names the member being read (KeyboardInterrupt and SystemExit are not Exceptions).
    except Exception as error:  # noqa: BLE001
        member = loader.member if loader is not None else "the manifest"
        raise SerializationError(f"{archive.where}: {member}: {_failure(error)}") from None


def _failure(error: Exception) -> str:
    if isinstance(error, CompilationError):
        return f"its code does not compile: {error}"
    if isinstance(error, RecursionError):
        return "it is nested too deeply (in the manifest or the code)"
    if isinstance(error, MemoryError):
        return "it needs more memory than there is"
    text = str(error)
    return f"it is malformed ({type(error).__name__}: {text if len(text) <= 300 else text[:297] + '...'})"


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


def _number_parameters(record, compiled, where) -> tuple:
    """The parameters of a loaded function that take Python numbers (``number_parameters``
    in its record, a list of names): those of them its code types Tensor or Optional[Tensor]."""
    names = record.get("number_parameters", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise SerializationError(f"{where}: 'number_parameters' is not a list of parameter names")
    types = {spec.name: spec.type for spec in compiled.parameters}
    return tuple(n for n in dict.fromkeys(names) if types.get(n) in (T.TENSOR, T.OptionalType(T.TENSOR)))


def _per_call_function(representative, compiled, record, where):
    """A function saved as compiled per call for Python numbers: its code is one variant;
    the parameters in ``number_parameters`` are typed by each call again (Tensor, or
    Optional[Tensor] where they default to None, unless a Python number is passed)."""
    from jit.runtime.variants import PerCallFunction  # noqa: PLC0415 - the runtime sits beside serialization

    names = record.get("number_parameters")
    specs = {spec.name: spec for spec in compiled.parameters}
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n in specs for n in names):
        raise SerializationError(f"{where}: 'number_parameters' is not a list of its parameter names")
    candidates = {n: T.OptionalType(T.TENSOR) if specs[n].has_default and specs[n].default is None else T.TENSOR
                  for n in dict.fromkeys(names)}
    return PerCallFunction.loaded(representative, lambda types: compiled.recompile({**candidates, **types}),
                                  candidates)


def _as_tuple(kinds):
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _kind_names(kinds):
    names = {dict: "an object", list: "a list", str: "a string", int: "a number", bool: "a boolean"}
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kinds))


class _Loader:
    member = "the manifest"  # what is being read, for the message of an unexpected failure

    def __init__(self, archive, target, budget):
        self.archive, self.target, self.where, self.budget = archive, target, archive.where, budget
        self.manifest = parse_manifest(archive.text(MANIFEST_ENTRY), budget)
        if not isinstance(self.manifest, dict) or self.manifest.get("format") != FORMAT_NAME:
            raise SerializationError(f"{self.where}: the manifest is not an ArrayScript manifest")
        if self.manifest.get("version") != archive.version:
            raise SerializationError(f"{self.where}: the manifest's version {self.manifest.get('version')!r} differs "
                                     f"from the version record ({archive.version})")
        self.namespace = code_namespace()
        self.resolver = AnnotationResolver(self.namespace, saved=True)
        self.functions = {}
        self.code_characters = 0
        self.methods_of = {}  # type name -> the methods its record lists

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
        self.member = "the tensors"
        self.tensors = TensorReader(self.archive, manifest, self.place, self.budget)
        self.check_devices(self.tensors)
        for record in _field(manifest, "namedtuples", list, self.where):
            self.namedtuple(record)
        types = [self.class_type(record) for record in _field(manifest, "types", list, self.where)]
        for kind, record in types:
            self.declare(kind, record)
        for record in _field(manifest, "code", list, self.where):
            self.code_unit(record)
        for kind, _ in types:
            missing = sorted(self.methods_of[kind.name] - set(kind.methods))
            if missing:  # else the loaded object lacks a method its type says it has
                raise SerializationError(f"{self.where}: the type {shown(kind.name)} lists the method(s) "
                                         f"{shown(missing)}, which the archive has no code for")
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
        self.member = "the extra files"
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
    def bind_name(self, name, value, what, where):
        """Bind a type's (checked) name, for the stored code to refer to."""
        check_name(name, what, where, reserved=TYPE_RESERVED)
        if name in self.namespace:
            raise SerializationError(f"{where}: the {what} name {shown(name)} is taken by another type of the archive")
        self.namespace[name] = value

    def namedtuple(self, record):
        name = _field(record, "name", str, f"{self.where}: a NamedTuple")
        self.member = f"the NamedTuple {shown(name)}"
        where = f"{self.where}: {self.member}"
        check_name(name, "NamedTuple", where, reserved=TYPE_RESERVED)
        fields = _field(record, "fields", list, where)
        if not all(isinstance(f, list) and len(f) == 2 for f in fields):
            raise SerializationError(f"{where}: its fields are not [name, type] pairs")
        names = [check_name(n, "field", where) for n, _ in fields]
        check_unique(names, "field", where)
        for field in names:
            if field.startswith("_"):
                raise SerializationError(f"{where}: the field name {shown(field)} starts with '_', which a NamedTuple "
                                         "field cannot")
        types = [parse_type(t, self.resolver, f"{where}, field {n}") for n, t in fields]
        cls = _existing_namedtuple(record, names)
        if cls is None or namedtuple_type(cls).elements != tuple(types):
            cls = collections.namedtuple(name, names)
            cls.__module__ = "jit.serialization.loaded"
            cls.__jit_field_types__ = types
        self.bind_name(name, cls, "NamedTuple", where)

    def class_type(self, record):
        name = _field(record, "name", str, f"{self.where}: a type")
        self.member = f"the type {shown(name)}"
        where = f"{self.where}: {self.member}"
        check_name(name, "type", where, reserved=TYPE_RESERVED)
        category = record.get("kind")
        if category not in ("module", "class"):
            raise SerializationError(f"{where}: its kind {category!r} is neither 'module' nor 'class'")
        methods = _field(record, "methods", list, where)
        for method_name in methods:  # a script class defines __init__ (and may define other dunders)
            check_name(method_name, "method", where, dunder_allowed=category == "class")
        check_unique(methods, "method", where)
        if category == "module":
            original = check_name(_field(record, "original_name", str, where), "original class", where)
            python_class = type(original, (), {"__module__": "<saved module>"})
        else:
            python_class = _existing_class(record)
            if python_class is None:
                python_class = type(name, (), {"__module__": "jit.serialization.loaded"})
                for method_name in methods:  # other dunders would change how Python itself treats the objects
                    if not is_dunder(method_name) or method_name == "__init__":
                        setattr(python_class, method_name, _python_method(method_name))
        kind = T.ClassType(name, python_class, category)
        if python_class.__dict__.get("__jit_class_type__") is None and category == "class":
            python_class.__jit_class_type__ = kind
        self.bind_name(name, kind, "type", where)
        self.methods_of[name] = set(methods)
        return kind, record

    def declare(self, kind, record):
        """The attributes, slots and constants of a type, once every type has a name."""
        self.member = f"the type {shown(kind.name)}"
        where = f"{self.where}: {self.member}"
        module = kind.kind == "module"
        pairs = _field(record, "attributes", list, where)
        if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
            raise SerializationError(f"{where}: an attribute is not a [name, type] pair")
        slots = _field(record, "slots", dict, where) if module else {}
        if any(registry not in _REGISTRIES for registry in slots.values()):
            raise SerializationError(f"{where}: its slots name registries other than {', '.join(_REGISTRIES)}")
        # The runtime looks for arrays in the registries of any object it is given (codegen._arrays_of_object).
        reserved = module_member_reserved() if module else frozenset(_REGISTRIES)
        for attribute, _ in pairs:  # registry entries are only ever read as registry['name']
            if isinstance(attribute, str) and attribute in slots:  # (a list is no key: check_name refuses it)
                check_registry_key(attribute, _SLOT_WHAT[slots[attribute]], where)
            else:
                check_name(attribute, "attribute", where, reserved=reserved)
        check_unique([attribute for attribute, _ in pairs], "attribute", where)
        for attribute, text in pairs:
            kind.attributes[attribute] = parse_type(text, self.resolver, f"{where}, attribute {shown(attribute)}")
        if not module:
            return
        if any(name not in kind.attributes for name in slots):
            raise SerializationError(f"{where}: its slots name unknown attributes")
        if "training" in kind.attributes and ("training" in slots or kind.attributes["training"] != T.BOOL):
            raise SerializationError(f"{where}: its attribute 'training' is not a plain bool")
        kind.slots = dict(slots)
        triples = _field(record, "constants", list, where)
        if not all(isinstance(triple, list) and len(triple) == 3 for triple in triples):
            raise SerializationError(f"{where}: a constant is not a [name, type, value] triple")
        for constant, _, _ in triples:
            check_name(constant, "constant", where, reserved=reserved)
            if constant in kind.attributes:
                raise SerializationError(f"{where}: the constant {shown(constant)} is also an attribute")
        check_unique([constant for constant, _, _ in triples], "constant", where)
        for constant, text, data in triples:
            constant_type = parse_type(text, self.resolver, f"{where}, constant {constant}")
            value = decode(data, constant_type, None, f"{where}, constant {constant}", self.map_device)
            kind.constants[constant] = tuple(value) if isinstance(value, list) else value
        kind.container = record.get("container")
        if kind.container not in (None, "list", "dict"):
            raise SerializationError(f"{where}: container {kind.container!r} is not 'list' or 'dict'")
        submodules = _field(record, "submodules", list, where)
        held = {name for name, registry in slots.items() if registry == "_modules"}
        if kind.container is None and submodules:
            raise SerializationError(f"{where}: it lists submodules in order, but it is not a container")
        # A container is indexed by position and iterated in order: its submodules are listed once each.
        if kind.container is not None and (not all(isinstance(name, str) for name in submodules)
                                           or len(set(submodules)) != len(submodules) or set(submodules) != held):
            raise SerializationError(f"{where}: its submodules {shown(submodules)} are not its submodule slots "
                                     f"{shown(sorted(held))}, each once")
        kind.submodules = list(submodules)

    # -- code ------------------------------------------------------------------------------------
    def code_unit(self, record):
        name = _field(record, "name", str, f"{self.where}: a code unit")
        qualname = record.get("qualname")
        qualname = qualname if isinstance(qualname, str) and 0 < len(qualname) <= 1000 else name
        self.member = f"the code of {shown(qualname)}"
        where = f"{self.where}: {self.member}"
        unit = record.get("unit")
        if unit == "function":
            key = check_name(_field(record, "key", str, where), "function key", where)
            check_name(name, "function", where)
            if key in self.functions:
                raise SerializationError(f"{where}: the function {key!r} is defined twice")
        elif unit == "method":
            type_name = _field(record, "type", str, where)
            kind = self.namespace.get(type_name)
            if not isinstance(kind, T.ClassType) or type_name not in self.methods_of or name in kind.methods:
                raise SerializationError(f"{where}: its type {shown(type_name)} is not defined, or has this method "
                                         "twice")
            if name not in self.methods_of[type_name]:
                raise SerializationError(f"{where}: the type {type_name} does not list the method {shown(name)}")
        else:
            raise SerializationError(f"{where}: its unit {unit!r} is neither 'function' nor 'method'")
        entry = _field(record, "entry", str, where)
        namespace = dict(self.namespace)
        arrays = [self.tensors.get(n, where) for n in _field(record, "constants", list, where)]
        namespace[CONSTANTS_NAME] = TensorConstants(arrays)
        for printed, callee in _field(record, "calls", dict, where).items():
            check_name(printed, "called function", where, reserved=self.namespace.keys() | {CONSTANTS_NAME})
            if not isinstance(callee, str) or callee not in self.functions:
                raise SerializationError(f"{where}: it calls {callee!r}, which the archive does not define before it")
            namespace[printed] = self.functions[callee]
        text = self.archive.text(entry)
        self.code_characters += len(text)
        if self.code_characters > MAX_SAVED_CODE_TOTAL:  # compiling holds some hundred bytes per character
            raise SerializationError(f"{where}: the archive's code is more than {MAX_SAVED_CODE_TOTAL} characters "
                                     "in all, more than a file may hold")
        if is_reserved_name(name):  # the generated Python would read the function where it reads that global
            raise SerializationError(f"{where}: the {unit} name {shown(name)} is reserved by the code generator")
        return_inferred = record.get("return_inferred", False)
        if not isinstance(return_inferred, bool):
            raise SerializationError(f"{where}: 'return_inferred' is not true or false")
        if unit == "function":
            compiled = compile_source(text, name, namespace, entry, qualname=qualname, saved=True,
                                      map_device=self.map_device, return_inferred=return_inferred)
        else:
            compiled = compile_source(text, name, namespace, entry, qualname=f"{kind.annotation_str()}.{name}",
                                      self_type=kind, saved=True, map_device=self.map_device,
                                      return_inferred=return_inferred)
        for parameter in compiled.parameters:
            if is_reserved_name(parameter.name):
                raise SerializationError(f"{where}: the parameter name {shown(parameter.name)} is reserved by the "
                                         "code generator")
        if unit == "function" and record.get("per_call") is True:
            self.functions[key] = _per_call_function(ScriptFunction(compiled), compiled, record, where)
        elif unit == "function":
            self.functions[key] = ScriptFunction(compiled, number_parameters=_number_parameters(record, compiled,
                                                                                                where))
        else:
            kind.methods[name] = ScriptFunction(compiled, number_parameters=_number_parameters(record, compiled,
                                                                                                where))

    # -- modules ---------------------------------------------------------------------------------
    def module(self, records, number, built, open_numbers):
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
        self.member = f"module {number} ({kind.name})"
        where = f"{self.where}: {self.member}"
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
        self.member = f"module {number} ({kind.name})"  # again, after its submodules
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
        if not all(isinstance(name, str) and name in registries["_buffers"] for name in non_persistent):
            raise SerializationError(f"{where}: its non-persistent buffers are not a list of its buffers' names")
        original = check_name(_field(record, "original_name", str, where), "original class", where)
        module = ScriptModule.rebuilt(kind, original, registries, set(non_persistent), attributes)
        if isinstance(record.get("traced_training"), bool):
            object.__setattr__(module, "_traced_training", record["traced_training"])
        open_numbers.discard(number)
        built[number] = module
        return module


def _existing_namedtuple(record, fields):
    """The NamedTuple class the archive names, when its module is already imported
    and it has the same fields; else None."""
    found = _imported(record.get("module"), record.get("qualname"))
    if not (T.is_namedtuple_class(found) and list(found._fields) == fields and _is_plain_namedtuple(found)):
        return None
    return found


# Besides its fields, data and underscore methods, what collections.namedtuple and
# typing.NamedTuple put in a class: their own functions (code in collections, or
# eval'd) and the instance-dict slots of a subclass without __slots__.
_NAMEDTUPLE_FUNCTIONS = frozenset({"__new__", "__repr__", "__getnewargs__", "__replace__"})
_NAMEDTUPLE_DESCRIPTORS = frozenset({"__dict__", "__weakref__", "__annotate__", "__annotate_func__"})
_PLAIN_DATA = (str, int, tuple, list, dict, frozenset, type(None))


def _is_plain_namedtuple(cls) -> bool:
    """Whether ``cls`` adds no dunder of its own to what namedtuple/NamedTuple generate:
    reusing a class with its own __repr__, __eq__, __del__... would let a file pick which
    of the process's Python code runs on the values it loads."""
    for base in cls.__mro__[:cls.__mro__.index(tuple)]:
        for name, value in vars(base).items():
            if not is_dunder(name) or name in _NAMEDTUPLE_DESCRIPTORS or isinstance(value, _PLAIN_DATA):
                continue
            code = getattr(getattr(value, "__func__", value), "__code__", None)  # __new__ is a staticmethod
            if name not in _NAMEDTUPLE_FUNCTIONS or code is None \
                    or code.co_filename not in ("<string>", collections.__file__):
                return False
    return True


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
