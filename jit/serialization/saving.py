"""``jit.save``: a ScriptModule or ScriptFunction to an archive (see docs/format.md).

Every function, method and class the object's code reaches is printed as script
code (``.code``), in an order where each callee comes before its callers, so
that loading compiles them one after another with the same frontend. Calls into
@jit.ignore'd and @jit.unused Python functions are saved as calls of a stub
that raises; a call of any other Python function makes the object unsaveable.
"""
from __future__ import annotations

import ast
import builtins
import json

from jit import types as T
from jit.errors import SerializationError
from jit.frontend import MAX_SAVED_CODE, MAX_SAVED_CODE_TOTAL
from jit.frontend.calls import python_signature
from jit.ir.code_printer import CONSTANTS_NAME, PRINTED_GLOBALS, literal, tensor_constants

from .archive import FORMAT_VERSION, MANIFEST_ENTRY, ArchiveWriter, check_entry_name
from .storages import TensorWriter
from .values import encode, type_text

FORMAT_NAME = "arrayscript"


def save(obj, f, _extra_files=None):
    """Save a ScriptModule or ScriptFunction (scripted or traced) to ``f``, a path or a
    binary file object, with ``_extra_files`` ({name: str or bytes}) stored beside it.
    Nothing is written unless the whole archive could be made."""
    writer = ArchiveWriter()
    try:
        _write(obj, writer, _extra_files)
    finally:
        writer.close()  # also when saving failed: nothing half-made stays open
    writer.write_to(f)


def _write(obj, writer, _extra_files):
    saver = _Saver(writer)
    if getattr(obj, "is_script_module", False):
        manifest_object, root = "module", saver.module(obj, obj.original_name)
    elif getattr(obj, "is_script_function", False):
        manifest_object, root = "function", saver.function(obj)
    elif getattr(obj, "compiles_per_call", False):  # the code of one variant, its number parameters marked
        manifest_object, root = "function", saver.function(obj.representative())
        record = saver.found[root][0]
        record["per_call"] = True
        record["number_parameters"] = list(obj.number_parameters)
        if obj.representative().return_inferred:
            record["return_inferred"] = True
    else:
        raise TypeError(f"jit.save saves a ScriptModule or ScriptFunction (from jit.script or jit.trace), not a "
                        f"{type(obj).__name__}")
    extra_names = []
    for name, content in (_extra_files or {}).items():
        check_entry_name(name, "extra file")
        if isinstance(content, str):
            content = content.encode("utf-8")
        if not isinstance(content, (bytes, bytearray, memoryview)):
            raise TypeError(f"the extra file {name!r} must be str or bytes, not {type(content).__name__}")
        writer.add(f"extra/{name}", bytes(content))
        extra_names.append(name)
    if manifest_object == "function":
        root = saver.found[root][0]["key"]
    code = saver.write_units()
    saver.tensors.finish()  # every array is known: group them into storages
    manifest = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "producer": _producer(), "object": manifest_object,
                "root": root, "code": code, "namedtuples": saver.namedtuple_records,
                "types": saver.type_records, "modules": saver.module_records, "storages": saver.tensors.storages,
                "tensors": saver.tensors.records, "extra_files": extra_names}
    writer.add(MANIFEST_ENTRY, json.dumps(manifest, indent=1, allow_nan=False).encode("utf-8"))


def _producer() -> str:
    try:
        from importlib.metadata import version  # noqa: PLC0415 - slow to import; only a save reads the version

        return f"arrayscript {version('arrayscript')}"
    except Exception:  # noqa: BLE001 - running from a source tree
        return "arrayscript"


class _Saver:
    def __init__(self, writer):
        self.writer = writer
        self.tensors = TensorWriter(writer)
        self.named = {}                 # printed type name -> the type it names (one per name)
        self.type_records, self.namedtuple_records = [], []
        self.found = {}                 # unit identity -> (record, code, calls, callees), as discovered
        self.function_keys = set()
        self.code_characters = 0
        self.module_records, self.module_numbers = [], {}

    def write_units(self):
        """Write each unit's code entry; the code records, each after every unit it
        calls (the order loading compiles them in)."""
        ordered, state = [], {}
        for start in self.found:
            stack = [(start, iter(self.found[start][3]))]
            if state.get(start) == "done":
                continue
            state[start] = "open"
            while stack:
                identity, callees = stack[-1]
                callee = next(callees, None)
                if callee is None:
                    stack.pop()
                    state[identity] = "done"
                    ordered.append(self.unit_record(identity))
                elif state.get(callee) == "open":
                    raise SerializationError(f"cannot save: {self.found[callee][0].get('qualname')} calls itself "
                                             "(through other functions or methods)")
                elif callee not in state:
                    state[callee] = "open"
                    stack.append((callee, iter(self.found[callee][3])))
        return ordered

    def unit_record(self, identity):
        record, code, calls, _ = self.found[identity]
        directory = "functions" if record["unit"] == "function" else record["type"]
        entry = f"code/{directory}/{record.get('key', record['name'])}.py"
        if len(code) > MAX_SAVED_CODE:  # the loader refuses it: fail now, not when someone loads the file
            raise SerializationError(f"cannot save: the code of {record.get('qualname', record['name'])} is "
                                     f"{len(code)} characters long, more than the {MAX_SAVED_CODE} a file may hold "
                                     "per function (split it into functions or submodules)")
        self.code_characters += len(code)
        if self.code_characters > MAX_SAVED_CODE_TOTAL:
            raise SerializationError(f"cannot save: the code of its functions and methods is more than "
                                     f"{MAX_SAVED_CODE_TOTAL} characters in all, more than a file may hold")
        self.writer.add(entry, code.encode("utf-8"))
        return {**record, "entry": entry, "calls": calls}

    # -- modules -------------------------------------------------------------------------------
    def module(self, module, path) -> int:
        if id(module) in self.module_numbers:
            number = self.module_numbers[id(module)]
            if number is None:
                raise SerializationError(f"the module {path} contains itself")
            return number
        self.module_numbers[id(module)] = None
        kind = module._type
        self.class_type(kind)
        record = {"type": kind.name, "original_name": module.original_name, "parameters": {}, "buffers": {},
                  "non_persistent_buffers": sorted(module._non_persistent_buffers), "children": {},
                  "attributes": {}}
        traced_training = module.__dict__.get("_traced_training")
        if traced_training is not None:
            record["traced_training"] = traced_training
        for registry in ("_parameters", "_buffers"):
            for name, array in getattr(module, registry).items():
                record[registry[1:]][name] = None if array is None else self.tensors.add(array)
        for name, child in module._modules.items():
            record["children"][name] = None if child is None else self.module(child, f"{path}.{name}")
        for name, member in kind.attributes.items():
            if name not in kind.slots:
                record["attributes"][name] = encode(getattr(module, name), member, self.tensors,
                                                    f"the attribute {path}.{name}")
        self.module_records.append(record)
        self.module_numbers[id(module)] = len(self.module_records) - 1
        return self.module_numbers[id(module)]

    # -- types ---------------------------------------------------------------------------------
    def claim_name(self, name, kind) -> bool:
        """Claim ``name`` for ``kind`` (printed code refers to types by name); False
        when ``kind`` already has it."""
        if self.named.get(name) is kind:
            return False
        if name in PRINTED_GLOBALS or hasattr(builtins, name) or name == CONSTANTS_NAME:
            raise SerializationError(f"the type {name} cannot be saved: printed code uses that name for "
                                     "something else; rename the class")
        if name in self.named:
            raise SerializationError(f"cannot save two different types both named {name} (printed code names "
                                     "types by their class name); rename one of the classes")
        self.named[name] = kind
        return True

    def types_in(self, kind):
        for inner in T.types_within(T.erase_refinement(kind)):
            if isinstance(inner, T.NamedTupleType):
                self.namedtuple(inner)
            elif isinstance(inner, T.ClassType):
                self.class_type(inner)

    def namedtuple(self, kind):
        if any(other == kind for other in self.named.values() if isinstance(other, T.NamedTupleType)):
            return
        for element in kind.elements:
            self.types_in(element)  # an inner NamedTuple is recorded first
        self.claim_name(kind.name, kind)
        self.namedtuple_records.append({"name": kind.name, "fields": [[f, type_text(e)] for f, e in
                                                                      zip(kind.fields, kind.elements)],
                                        "module": kind.cls.__module__, "qualname": kind.cls.__qualname__})

    def class_type(self, kind):
        name = kind.annotation_str()
        if not self.claim_name(name, kind):
            return
        record = {"name": name, "kind": kind.kind, "attributes": [], "methods": []}
        if kind.kind == "class":
            record.update(module=kind.python_class.__module__, qualname=kind.python_class.__qualname__)
        self.type_records.append(record)
        for attribute, member in kind.attributes.items():
            self.types_in(member)
            record["attributes"].append([attribute, type_text(member)])
        if kind.kind == "module":
            record.update(original_name=kind.python_class.__name__, slots=dict(kind.slots),
                          constants=[[n, type_text(T.type_of_constant(v)), encode(v, T.type_of_constant(v), None, n)]
                                     for n, v in kind.constants.items()],
                          container=kind.container, submodules=list(kind.submodules))
        for method_name in kind.methods:
            self.method(kind, method_name)

    def record_of(self, kind):
        return next(r for r in self.type_records if r["name"] == kind.annotation_str())

    # -- code ----------------------------------------------------------------------------------
    def function(self, function):
        identity = ("function", id(function))
        if identity not in self.found:
            key = self.fresh_function_key(function.name)
            record = {"unit": "function", "key": key, "name": function.name, "qualname": function.qualname}
            if function.number_parameters:  # the loaded function takes Python numbers there too
                record["number_parameters"] = list(function.number_parameters)
                if function.return_inferred:  # its variants infer their return type (float for a float)
                    record["return_inferred"] = True
            self.discover(identity, record, function)
        return identity

    def method(self, kind, name):
        identity = ("method", id(kind), name)
        if identity not in self.found:
            self.class_type(kind)
            if name not in self.record_of(kind)["methods"]:
                self.record_of(kind)["methods"].append(name)
            function = kind.methods[name]
            record = {"unit": "method", "type": kind.annotation_str(), "name": name,
                      "qualname": f"{kind.annotation_str()}.{name}"}
            if function.number_parameters:  # the loaded method takes Python numbers there too
                record["number_parameters"] = list(function.number_parameters)
                if function.return_inferred:
                    record["return_inferred"] = True
            self.discover(identity, record, function)
        return identity

    def stub(self, node):
        """The raising stand-in for an @ignore'd or @unused Python function or method."""
        function = node["function"]
        name = function.__name__
        owner = node.inputs[0].type if node.attrs.get("method") else None
        identity = ("stub", id(function), id(owner))
        if identity in self.found:
            return identity
        parameters, result = python_signature(function, name, node.source_range)
        qualname = getattr(function, "__qualname__", name)
        decorator = "@jit.unused" if node["mode"] == "unused" else "@jit.ignore"
        message = f"{qualname} is {decorator} Python code, which was not saved; it cannot run in a loaded model"
        texts = [f"{p.name}: {p.type.annotation_str()}" for p in parameters]
        for parameter in parameters[1 if owner is not None else 0:]:
            self.types_in(parameter.type)
        self.types_in(result)
        if owner is not None:
            texts[0] = f"{parameters[0].name}: {owner.annotation_str()}"
            self.class_type(owner)
            if name not in self.record_of(owner)["methods"]:
                self.record_of(owner)["methods"].append(name)
            record = {"unit": "method", "type": owner.annotation_str(), "name": name, "qualname": qualname}
        else:
            record = {"unit": "function", "key": self.fresh_function_key(name), "name": name, "qualname": qualname}
        code = (f"def {name}({', '.join(texts)}) -> {result.annotation_str()}:\n"
                f"    raise RuntimeError({literal(message).text})\n")
        self.found[identity] = ({**record, "stub": True, "constants": []}, code, {}, [])
        return identity

    def fresh_function_key(self, name):
        key, counter = name, 0
        while key in self.function_keys:
            counter += 1
            key = f"{name}_{counter}"
        self.function_keys.add(key)
        return key

    def discover(self, identity, record, function):
        """Record the unit of ``function`` and, first, every unit and type it reaches."""
        callees, calls = [], {}
        self.found[identity] = (record, None, calls, callees)  # claimed: a unit reached again is not redone
        for parameter in function.parameters:
            self.types_in(parameter.type)
        self.types_in(function.return_type)
        for node in function.graph.all_nodes():
            for value in list(node.inputs) + list(node.outputs):
                self.types_in(value.type)
            call = node["call"] if node.kind == "prim::fork" else node.kind
            if call == "prim::CallFunction":
                callee = node.inputs[0].node["value"]
                callees.append(self.function(callee))
                self.bind_call(calls, callee.name, self.found[callees[-1]][0]["key"], record)
            elif call == "prim::CallMethod":
                callees.append(self.method(node.inputs[0].type, node["name"]))
            elif call == "prim::CreateObject" and "__init__" in node.output.type.methods:
                callees.append(self.method(node.output.type, "__init__"))
            elif call == "prim::PythonOp" and node["mode"] == "python":
                raise SerializationError(
                    f"cannot save: {record['qualname']} calls the Python function {node['name']}, whose code would "
                    "not be saved. Script it (jit.script), or mark it @jit.ignore or @jit.unused to save the call as "
                    "one that raises" + (f":\n{node.source_range.highlight()}" if node.source_range else ""))
            elif call == "prim::PythonOp":
                callees.append(self.stub(node))
                if not node.attrs.get("method"):
                    self.bind_call(calls, node["function"].__name__, self.found[callees[-1]][0]["key"], record)
        record["constants"] = [self.tensors.add(array) for array in tensor_constants(function.graph)]
        _check_printed_calls(function, record)
        self.found[identity] = (record, function.code, calls, callees)

    @staticmethod
    def bind_call(calls, printed_name, key, record):
        if calls.setdefault(printed_name, key) != key:
            raise SerializationError(f"cannot save {record['qualname']}: it calls two different functions both "
                                     f"named {printed_name}; rename one of them")


def _check_printed_calls(function, record):
    """Printed code calls builtins by name (``len`` and ``range`` for a loop over a list): a
    parameter of that name would hide the builtin from the loaded code, which would not compile."""
    parameters = {parameter.name for parameter in function.parameters}
    for node in ast.walk(ast.parse(function.code)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in parameters:
            raise SerializationError(f"cannot save {record['qualname']}: its printed code calls {node.func.id}(), "
                                     f"which its parameter '{node.func.id}' would hide when the file is loaded; "
                                     "rename the parameter")
