"""Lists, dicts, tuples and strings: their methods, operators and indexing.

Lists and dicts are mutable Python objects at run time, shared by reference as in
Python (``l.append(x)`` changes every alias); the ops that change them have side
effects. ``l.keys()``-style views are lists, as in TorchScript.
"""
from __future__ import annotations

import builtins

from jit import types as T

from . import string_format
from . import type_rules as R
from .registry import Arg, OpDef, Spelling, register

ANY_LIST = T.ListType(T.ANY)
ANY_DICT = T.DictType(T.ANY, T.ANY)
_OPTIONAL_INT = T.OptionalType(T.INT)


def _fits(value_type, element_type) -> bool:
    return element_type == T.ANY or value_type.is_subtype_of(element_type) or (
        value_type == T.INT and element_type == T.FLOAT)


def _require(infos, kinds, what):
    for info, kind in zip(infos, kinds):
        if kind is not None and not isinstance(info.type, kind):
            raise TypeError(f"{what} needs a {kind.__name__.removesuffix('Type').lower()}, "
                            f"got {info.type.annotation_str()}")


def _element_rule(what, result=None, element_at=1):
    """The rule of an op on a list: the argument at ``element_at`` (if any) must fit
    its elements; the op gives ``result``, or an element when None."""
    def rule(infos):
        _require(infos, (T.ListType,), what)
        element = infos[0].type.element
        if element_at is not None and len(infos) > element_at and not _fits(infos[element_at].type, element):
            raise TypeError(f"{what}: an element of type {infos[element_at].type.annotation_str()} does not fit a "
                            f"{infos[0].type.annotation_str()}")
        return element if result is None else result
    return rule


def _list_op(name, args, returns, rule, template, method=None, side_effects=False, **options):
    spellings = [Spelling("method", method, receiver="list")] if method else []
    return register(OpDef(f"prim::{name}", args, returns, rule, template=template, spellings=spellings,
                          side_effects=side_effects, **options))


_LIST, _ELEMENT = Arg("list", ANY_LIST), Arg("element", T.ANY)
_list_op("ListAppend", [_LIST, _ELEMENT], None, _element_rule("list.append", T.NONE), "{0}.append({1})", "append",
         True)
_list_op("ListInsert", [_LIST, Arg("index", T.INT), _ELEMENT], None, _element_rule("list.insert", T.NONE, 2),
         "{0}.insert({1}, {2})", "insert", True)
_list_op("ListRemove", [_LIST, _ELEMENT], None, _element_rule("list.remove", T.NONE), "{0}.remove({1})", "remove",
         True)
_list_op("ListPop", [_LIST, Arg("index", T.INT, -1)], T.ANY, _element_rule("list.pop", element_at=None),
         "{0}.pop({1})", "pop", True)
_list_op("ListClear", [_LIST], None, _element_rule("list.clear", T.NONE), "{0}.clear()", "clear", True)
_list_op("ListReverse", [_LIST], None, _element_rule("list.reverse", T.NONE), "{0}.reverse()", "reverse", True)
_list_op("ListSort", [_LIST, Arg("reverse", T.BOOL, False, kwarg_only=True)], None,
         _element_rule("list.sort", T.NONE, element_at=None), "{0}.sort(reverse={1})", "sort", True)


def _same_list(infos):
    _require(infos, (T.ListType,), "this list method")
    return infos[0].type


def _extend_rule(infos):
    _require(infos, (T.ListType, T.ListType), "list.extend")
    if not _fits(infos[1].type.element, infos[0].type.element):
        raise TypeError(f"list.extend: a value of type {infos[1].type.annotation_str()} does not fit a "
                        f"{infos[0].type.annotation_str()}")
    return T.NONE


_list_op("ListExtend", [_LIST, Arg("other", ANY_LIST)], None, _extend_rule, "{0}.extend({1})", "extend", True)
_list_op("ListCopy", [_LIST], ANY_LIST, _same_list, "{0}.copy()", "copy")
_list_op("ListIndexOf", [_LIST, _ELEMENT], T.INT, _element_rule("list.index", T.INT), "{0}.index({1})", "index")
_list_op("ListCount", [_LIST, _ELEMENT], T.INT, _element_rule("list.count", T.INT), "{0}.count({1})", "count")
_list_op("ListSetItem", [_LIST, Arg("index", T.INT), _ELEMENT], None, _element_rule("l[i] = v", T.NONE, 2),
         "_operator.setitem({0}, {1}, {2})", side_effects=True, doc="l[i] = v")


def _concat_rule(infos):
    first, second = (i.type for i in infos)
    if isinstance(first, T.ListType) and isinstance(second, T.ListType):
        element = T.unify(first.element, second.element)
        if element is None:
            raise TypeError(f"cannot concatenate a {first.annotation_str()} and a {second.annotation_str()}")
        return T.ListType(element)
    raise TypeError("+ joins two lists")


register(OpDef("prim::ListConcat", [Arg("a", ANY_LIST), Arg("b", ANY_LIST)], ANY_LIST, _concat_rule,
               template="{0} + {1}", spellings=[Spelling("operator", "+")], doc="a + b of lists"))
register(OpDef("prim::ListRepeat", [Arg("list", ANY_LIST), Arg("times", T.INT)], ANY_LIST, _same_list,
               template="{0} * {1}", spellings=[Spelling("operator", "*")], doc="l * n"))


def _tuple_concat_rule(infos):
    first, second = (i.type for i in infos)
    if isinstance(first, T.TupleType) and isinstance(second, T.TupleType):
        return T.TupleType(first.elements + second.elements)
    unified = T.unify(first, second)
    if isinstance(unified, T.VarTupleType):
        return unified
    raise TypeError(f"cannot concatenate a {first.annotation_str()} and a {second.annotation_str()}")


_TUPLES = T.SequenceType(T.ANY)  # tuples of any length (lists are taken by ListConcat first)
register(OpDef("prim::TupleConcat", [Arg("a", _TUPLES), Arg("b", _TUPLES)], T.ANY, _tuple_concat_rule,
               template="{0} + {1}", spellings=[Spelling("operator", "+")], doc="a + b of tuples (x.shape + (1,))"))


def _contains_rule(container_kinds, what):
    def rule(infos):
        item, container = infos[0].type, infos[1].type
        if not isinstance(container, container_kinds):
            raise TypeError(f"'in' on a {what} needs a {what}, got {container.annotation_str()}")
        if isinstance(container, T.ListType) and not _fits(item, container.element) and item != T.NONE:
            raise TypeError(f"'in' looks for a {container.element.annotation_str()}, got {item.annotation_str()}")
        if isinstance(container, T.DictType) and not _fits(item, container.key):
            raise TypeError(f"'in' looks for a {container.key.annotation_str()} key, got {item.annotation_str()}")
        if container == T.STR and item != T.STR:
            raise TypeError(f"'in <str>' needs a str on the left, got {item.annotation_str()}")
        return T.BOOL
    return rule


for _name, _kinds, _what in (("ListContains", T.ListType, "list"), ("DictContains", T.DictType, "dict"),
                             ("TupleContains", (T.TupleType, T.VarTupleType), "tuple"),
                             ("StrContains", T.StrType, "str")):
    register(OpDef(f"prim::{_name}", [Arg("item", T.ANY), Arg("container", T.ANY)], T.BOOL,
                   _contains_rule(_kinds, _what), template="{0} in {1}", spellings=[Spelling("operator", "in")],
                   doc=f"item in a {_what}"))


def _list_reduction(what):
    def rule(infos):
        _require(infos, (T.ListType,), what)
        element = infos[0].type.element
        if element not in (T.INT, T.FLOAT, T.BOOL, T.STR) and not (what != "sum" and element == T.ANY):
            raise TypeError(f"{what}() of a list needs numbers, got a {infos[0].type.annotation_str()}")
        return T.INT if what == "sum" and element == T.BOOL else element
    return rule


for _builtin in (builtins.min, builtins.max, builtins.sum):
    register(OpDef(f"prim::List{_builtin.__name__.capitalize()}", [Arg("list", ANY_LIST)], T.ANY,
                   _list_reduction(_builtin.__name__), template=f"{_builtin.__name__}({{0}})",
                   spellings=[Spelling("function", _builtin.__name__, _builtin, overload=_builtin is not builtins.sum)],
                   doc=f"{_builtin.__name__}(list) of numbers"))


# Dicts.
def _dict_rule(infos):
    if len(infos) % 2:
        raise TypeError("a dict literal needs key, value pairs")
    if not infos:
        return ANY_DICT  # the frontend types {} (Dict[str, Tensor], or as annotated)
    keys, values = infos[0::2], infos[1::2]
    key, value = keys[0].type, values[0].type
    for info in keys[1:]:
        key = T.unify(key, info.type) or _mismatch("keys", keys)
    for info in values[1:]:
        value = T.unify(value, info.type) or _mismatch("values", values)
    if key not in (T.STR, T.INT, T.FLOAT):
        raise TypeError(f"dict keys must be str, int or float, not {key.annotation_str()}")
    return T.DictType(key, value)


def _mismatch(what, infos):
    raise TypeError(f"dict {what} must all have one type, got " + ", ".join(i.type.annotation_str() for i in infos))


def _render_dict(args, xp):
    return "{" + ", ".join(f"{k}: {v}" for k, v in zip(args[0::2], args[1::2])) + "}"


register(OpDef("prim::DictConstruct", [Arg("keys_and_values", T.ANY)], ANY_DICT, _dict_rule,
               impl=lambda xp, *items: dict(zip(items[0::2], items[1::2])), render_fn=_render_dict, variadic=True,
               doc="{k: v, ...}; an empty dict is Dict[str, Tensor]"))


def _key_rule(result):
    def rule(infos):
        _require(infos, (T.DictType,), "this dict operation")
        kind = infos[0].type
        if len(infos) > 1 and not _fits(infos[1].type, kind.key):
            raise TypeError(f"a {kind.annotation_str()} has {kind.key.annotation_str()} keys, "
                            f"not {infos[1].type.annotation_str()}")
        return result(kind, infos)
    return rule


def _dict_op(name, args, returns, result, template, method=None, side_effects=False, doc=""):
    spellings = [Spelling("method", method, receiver="dict")] if method else []
    return register(OpDef(f"prim::{name}", args, returns, _key_rule(result), template=template, spellings=spellings,
                          side_effects=side_effects, doc=doc))


_DICT, _KEY = Arg("dict", ANY_DICT), Arg("key", T.ANY)


def _get_result(kind, infos):
    default = infos[2].type
    if default == T.NONE:
        return T.OptionalType(kind.value)
    if not _fits(default, kind.value):
        raise TypeError(f"dict.get: the default must be a {kind.value.annotation_str()}, got {default.annotation_str()}")
    return kind.value


def _set_item_result(kind, infos):
    if not _fits(infos[2].type, kind.value):
        raise TypeError(f"a {kind.annotation_str()} holds {kind.value.annotation_str()} values, "
                        f"not {infos[2].type.annotation_str()}")
    return T.NONE


_dict_op("DictIndex", [_DICT, _KEY], T.ANY, lambda kind, infos: kind.value, "{0}[{1}]", doc="d[k]")
_dict_op("DictSetItem", [_DICT, _KEY, Arg("value", T.ANY)], None, _set_item_result,
         "_operator.setitem({0}, {1}, {2})", side_effects=True, doc="d[k] = v")
_dict_op("DictGet", [_DICT, _KEY, Arg("default", T.ANY, None)], T.ANY, _get_result, "{0}.get({1}, {2})", "get")
_dict_op("DictPop", [_DICT, _KEY], T.ANY, lambda kind, infos: kind.value, "{0}.pop({1})", "pop", True)
_dict_op("DictKeys", [_DICT], T.ANY, lambda kind, infos: T.ListType(kind.key), "list({0}.keys())", "keys")
_dict_op("DictValues", [_DICT], T.ANY, lambda kind, infos: T.ListType(kind.value), "list({0}.values())", "values")
_dict_op("DictItems", [_DICT], T.ANY, lambda kind, infos: T.ListType(T.TupleType([kind.key, kind.value])),
         "list({0}.items())", "items")
_dict_op("DictCopy", [_DICT], T.ANY, lambda kind, infos: kind, "{0}.copy()", "copy")
_dict_op("DictClear", [_DICT], None, lambda kind, infos: T.NONE, "{0}.clear()", "clear", True)


def _update_rule(infos):
    _require(infos, (T.DictType, T.DictType), "dict.update")
    kind, other = infos[0].type, infos[1].type
    if not (_fits(other.key, kind.key) and _fits(other.value, kind.value)):
        raise TypeError(f"dict.update needs a {kind.annotation_str()}, got {other.annotation_str()}")
    return T.NONE


register(OpDef("prim::DictUpdate", [_DICT, Arg("other", ANY_DICT)], None, _update_rule, template="{0}.update({1})",
               spellings=[Spelling("method", "update", receiver="dict")], side_effects=True))


def _setdefault_result(kind, infos):
    _set_item_result(kind, infos)
    return kind.value


_dict_op("DictSetDefault", [_DICT, _KEY, Arg("default", T.ANY)], T.ANY, _setdefault_result,
         "{0}.setdefault({1}, {2})", "setdefault", True)


# Strings.
def _str_op(name, args, returns, template, method=None, doc=""):
    def rule(infos):
        for arg, info in zip(args, infos):
            if not info.type.is_subtype_of(arg.type):
                raise TypeError(f"str.{method or name}: '{arg.name}' must be {arg.type.annotation_str()}, "
                                f"got {info.type.annotation_str()}")
        return returns
    spellings = [Spelling("method", method, receiver="str")] if method else []
    return register(OpDef(f"prim::str_{name}", args, returns, rule, template=template, spellings=spellings, doc=doc))


_S = Arg("s", T.STR)
_OPTIONAL_STR = T.OptionalType(T.STR)
for _method in ("upper", "lower", "capitalize", "title", "swapcase"):
    _str_op(_method, [_S], T.STR, f"{{0}}.{_method}()", _method)
for _method in ("isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower"):
    _str_op(_method, [_S], T.BOOL, f"{{0}}.{_method}()", _method)
for _method in ("strip", "lstrip", "rstrip"):
    _str_op(_method, [_S, Arg("chars", _OPTIONAL_STR, None)], T.STR, f"{{0}}.{_method}({{1}})", _method)
for _method in ("startswith", "endswith"):
    _str_op(_method, [_S, Arg("affix", T.STR)], T.BOOL, f"{{0}}.{_method}({{1}})", _method)
for _method in ("find", "count"):
    _str_op(_method, [_S, Arg("sub", T.STR)], T.INT, f"{{0}}.{_method}({{1}})", _method)
_str_op("replace", [_S, Arg("old", T.STR), Arg("new", T.STR)], T.STR, "{0}.replace({1}, {2})", "replace")
_str_op("split", [_S, Arg("sep", _OPTIONAL_STR, None), Arg("maxsplit", T.INT, -1)], T.ListType(T.STR),
        "{0}.split({1}, {2})", "split")
_str_op("join", [_S, Arg("parts", T.ListType(T.STR))], T.STR, "{0}.join({1})", "join")
_str_op("index", [_S, Arg("index", T.INT)], T.STR, "{0}[{1}]", doc="s[i]")
_str_op("slice", [_S, Arg("start", _OPTIONAL_INT), Arg("stop", _OPTIONAL_INT), Arg("step", _OPTIONAL_INT)], T.STR,
        "{0}[{1}:{2}:{3}]", doc="s[a:b:c]")


def _format_rule(infos):
    """A constant template is checked here, at compile time; another one when it runs."""
    if infos[0].is_constant:
        try:
            string_format.check(infos[0].value, [info.type for info in infos[1:]])
        except string_format.FormatError as error:
            raise TypeError(str(error)) from None
    return T.STR


register(OpDef("prim::format", [Arg("format", T.STR), Arg("values", T.ANY)], T.STR, _format_rule,
               impl=lambda xp, text, *values: string_format.format_values(text, *values), variadic=True,
               spellings=[Spelling("method", "format", receiver="str")],
               doc="'...{}...'.format(*values) with positional fields only ({} or {0}, !r/!s, standard "
                   "specs), never Python's attribute or index lookups; f-strings compile to it"))



def _percent_format_rule(infos):
    if infos[0].type != T.STR:
        raise TypeError(f"'%' formatting needs a str on its left, got {infos[0].type.annotation_str()}")
    return T.STR


register(OpDef("prim::percent_format", [Arg("format", T.STR), Arg("values", T.ANY)], T.STR, _percent_format_rule,
               template="{0} % {1}", spellings=[Spelling("operator", "%")],
               doc="'...%d...' % value or % (a, b): printf-style formatting, as Python does it"))


def _list_of_rule(infos):
    source = infos[0].type
    if isinstance(source, (T.ListType, T.VarTupleType)):
        return T.ListType(source.element)
    if isinstance(source, T.TupleType):
        element = None
        for item in source.elements:
            element = item if element is None else T.unify(element, item)
            if element is None:
                raise TypeError(f"list() of a {source.annotation_str()} would mix types")
        return T.ListType(element if element is not None else T.TENSOR)
    if source == T.STR:
        return T.ListType(T.STR)
    raise TypeError(f"list() takes a list, a tuple or a str, not {source.annotation_str()}")


register(OpDef("prim::list", [Arg("sequence", T.ANY)], ANY_LIST, _list_of_rule, template="list({0})",
               spellings=[Spelling("function", "list", builtins.list)], doc="list(t): a new list of the items"))
