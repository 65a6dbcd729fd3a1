"""``arrayscript inspect FILE``: what a saved file holds, read without compiling
or running anything: format version, the module tree with parameters, buffers
(shape, dtype, device) and attributes, each method's code, the extra files."""
from __future__ import annotations

import json

from jit.errors import SerializationError
from jit.frontend import MAX_SAVED_CODE

from .archive import MANIFEST_ENTRY, ArchiveReader
from .limits import LoadBudget, parse_manifest
from .names import escaped


def describe(f, show_code: bool = True) -> str:
    archive = ArchiveReader(f)
    try:  # the same memory bound as jit.load: inspecting a file must not blow up either
        manifest = parse_manifest(archive.text(MANIFEST_ENTRY), LoadBudget(archive.size, where=archive.where))
    except MemoryError as error:
        raise SerializationError(f"{archive.where}: the manifest is too large to inspect ({error})") from None
    if not isinstance(manifest, dict):
        raise SerializationError(f"{archive.where}: the manifest is not an object")
    try:
        return _Description(archive, manifest, show_code).text()
    except SerializationError:
        raise
    except Exception as error:  # noqa: BLE001 - a file that lies in any way is a bad file, never a traceback
        raise SerializationError(f"{archive.where}: the manifest is malformed ({type(error).__name__}: "
                                 f"{str(error)[:200]})") from None


class _Description:
    def __init__(self, archive, manifest, show_code):
        self.archive, self.manifest, self.show_code = archive, manifest, show_code
        self.lines = []
        self.tensors = manifest.get("tensors", [])
        self.types = {t["name"]: t for t in manifest.get("types", [])}
        self.code = manifest.get("code", [])

    def text(self) -> str:
        manifest = self.manifest
        self.lines.append(f"ArrayScript archive, format version {self.archive.version} "
                          f"(written by {manifest.get('producer', 'an unknown producer')})")
        if manifest.get("object") == "function":
            self.lines.append(f"a script function: {manifest['root']}")
            self.units(lambda unit: unit.get("unit") == "function", "")
        else:
            modules = manifest["modules"]
            self.module(modules, manifest["root"], "", "", set())
            shown = {modules[n]["type"] for n in range(len(modules))}
            self.units(lambda unit: unit.get("unit") == "function" or unit.get("type") not in shown, "")
        extras = manifest.get("extra_files", [])
        self.lines.append("extra files:" if extras else "extra files: none")
        for name in extras:
            size = self.archive.entries[f"extra/{name}"].file_size if self.archive.has(f"extra/{name}") else "missing"
            self.lines.append(f"  {name} ({size} bytes)")
        return "\n".join(escaped(line) for line in self.lines) + "\n"  # names and code are the file's text

    def tensor(self, number) -> str:
        record = self.tensors[number]
        return f"{record['dtype']}{tuple(record['shape'])} on {record['device']}"

    def module(self, modules, number, path, indent, seen):
        record = modules[number]
        kind = self.types.get(record["type"], {})
        title = f"{indent}{path or 'module'}: {record['original_name']} (type {record['type']})"
        if number in seen:
            self.lines.append(title + ", shared: shown above")
            return
        seen.add(number)
        self.lines.append(title)
        inner = indent + "  "
        for registry in ("parameters", "buffers"):
            for name, value in record[registry].items():
                where = "None" if value is None else self.tensor(value)
                persistence = " (not persistent)" if name in record.get("non_persistent_buffers", ()) else ""
                self.lines.append(f"{inner}{registry[:-1]} {name}: {where}{persistence}")
        types = dict((n, t) for n, t in kind.get("attributes", []))
        for name, value in record["attributes"].items():
            self.lines.append(f"{inner}attribute {name}: {types.get(name, '?')} = {self.value_text(value)}")
        for name, _, value in kind.get("constants", []):
            self.lines.append(f"{inner}constant {name} = {_short_json(value)}")
        self.units(lambda unit: unit.get("unit") == "method" and unit.get("type") == record["type"], inner)
        for name, child in record["children"].items():
            if child is None:
                self.lines.append(f"{inner}{name}: None")
            else:
                self.module(modules, child, name, inner, seen)

    def units(self, chosen, indent):
        for unit in self.code:
            if not chosen(unit):
                continue
            stub = " (saved as a raise: @ignore/@unused Python code)" if unit.get("stub") else ""
            constants = ", ".join(f"CONSTANTS.c{i} = {self.tensor(n)}" for i, n in enumerate(unit.get("constants", [])))
            self.lines.append(f"{indent}{'method' if unit['unit'] == 'method' else 'function'} "
                              f"{unit.get('qualname', unit['name'])}{stub}" + (f" ({constants})" if constants else ""))
            if self.show_code:
                code = self.archive.text(unit["entry"])
                if len(code) > MAX_SAVED_CODE:  # what jit.load refuses to compile is not shown (nor escaped) either
                    self.lines.append(f"{indent}  ({len(code)} characters of code, more than the {MAX_SAVED_CODE} "
                                      "a saved function may hold: not shown)")
                    continue
                for line in code.rstrip("\n").splitlines():
                    self.lines.append(f"{indent}  | {line}")


    def value_text(self, value) -> str:
        """An attribute's JSON value with its arrays described (dtype, shape, device)."""
        def described(item):
            if isinstance(item, dict) and set(item) == {"tensor"}:
                return f"<{self.tensor(item['tensor'])}>"
            if isinstance(item, dict):
                return {k: described(v) for k, v in item.items()}
            return [described(v) for v in item] if isinstance(item, list) else item
        return _short_json(described(value))


def _short_json(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."
