"""Lists, dicts, tuples and strings; iteration over them; comprehensions;
starred unpacking. Each function is compared with its eager run."""
from __future__ import annotations

import numpy as np
import pytest

import jit

from ...helpers import assert_matches_eager, node_kinds, script_source

COVERS = {"prim::ListAppend", "prim::ListInsert", "prim::ListRemove", "prim::ListPop", "prim::ListClear",
          "prim::ListReverse", "prim::ListSort", "prim::ListExtend", "prim::ListCopy", "prim::ListIndexOf",
          "prim::ListCount", "prim::ListSetItem", "prim::ListConcat", "prim::ListRepeat", "prim::TupleConcat",
          "prim::ListContains", "prim::DictContains", "prim::TupleContains", "prim::StrContains", "prim::ListMin",
          "prim::ListMax", "prim::ListSum", "prim::DictConstruct", "prim::DictIndex", "prim::DictSetItem",
          "prim::DictGet", "prim::DictPop", "prim::DictKeys", "prim::DictValues", "prim::DictItems",
          "prim::DictCopy", "prim::DictClear", "prim::DictUpdate", "prim::DictSetDefault", "prim::format", "prim::percent_format",
          "prim::list"} | {f"prim::str_{m}" for m in (
              "upper", "lower", "capitalize", "title", "swapcase", "isdigit", "isalpha", "isalnum", "isspace",
              "isupper", "islower", "strip", "lstrip", "rstrip", "startswith", "endswith", "find", "count",
              "replace", "split", "join", "index", "slice")}


def test_list_methods_mutate_like_python():
    function = assert_matches_eager('''
    def f(xs: List[int], n: int):
        ys = xs.copy()
        ys.append(n)
        ys.insert(0, -n)
        ys.extend([7, 8])
        ys.remove(7)
        last = ys.pop()
        first = ys.pop(0)
        ys.reverse()
        where = ys.index(n)
        ys.sort()
        zs = ys.copy()
        zs.sort(reverse=True)
        ys[1] = 100
        ys[-1] += 1
        count = ys.count(n)
        doubled = ys * 2 + [0]
        zs.clear()
        return xs, ys, zs, last, first, where, count, doubled, min(ys), max(ys), sum(ys), len(doubled)
    ''', ([3, 1, 2], 5), ([4], 4))
    assert {"prim::ListAppend", "prim::ListSort", "prim::ListSetItem", "prim::ListRepeat"} <= set(node_kinds(function))


def test_lists_are_shared_by_reference():
    assert_matches_eager('''
    def f(n: int):
        a = [1, 2]
        b = a
        b.append(n)
        return a
    ''', (3,))


def test_lists_of_arrays_and_empty_lists():
    assert_matches_eager('''
    def f(x):
        parts = []
        for i in range(3):
            parts.append(x * float(i))
        names = jit.annotate(List[str], [])
        names.append("a")
        return np.stack(parts), len(parts), names, [x] + parts
    ''', (np.arange(3.0),))


def test_dicts():
    function = assert_matches_eager('''
    def f(d: Dict[str, int], key: str):
        e = d.copy()
        e["new"] = len(key)
        e[key] = e.get(key, 0) + 1
        missing = e.get("absent")
        found = "new" in e and key in e
        other = {"z": 26}
        e.update(other)
        popped = e.pop("z")
        default = e.setdefault("q", 7)
        keys, values, items = list(e.keys()), list(e.values()), list(e.items())  # views are lists in script
        f = {1: 1.5, 2: 2.5}
        empty = jit.annotate(Dict[int, str], {})
        empty[3] = "three"
        cleared = other.copy()
        cleared.clear()
        return e, missing is None, found, popped, default, keys, values, items, f[2], empty, cleared, len(e)
    ''', ({"a": 1, "b": 2}, "a"), ({}, "k"))
    assert "prim::DictGet" in set(node_kinds(function))


def test_missing_key_raises_keyerror_like_python():
    function, eager = script_source("def f(d: Dict[str, int]):\n    return d['absent']\n")
    with pytest.raises(KeyError):
        function({"a": 1})
    with pytest.raises(KeyError):
        eager({"a": 1})


def test_strings():
    assert_matches_eager('''
    def f(s: str, n: int):
        words = s.split()
        joined = "-".join(words)
        parts = s.split(",", 1)
        return (s.upper(), s.lower(), s.strip(), s.lstrip(" h"), s.rstrip(), s.capitalize(), s.title(),
                s.swapcase(), s.startswith(" h"), s.endswith("d "), s.find("o"), s.count("l"),
                s.replace("l", "L"), words, joined, parts, s[1], s[-2:], s[::2], "lo" in s, s + "!" * n,
                s.isdigit(), "abc".isalpha(), "a1".isalnum(), "  ".isspace(), "AB".isupper(), "ab".islower(),
                f"{n}:{s!r}:{n * 1.5:.2f}:{{}}", "{} and {}".format(n, s), str(n) < s, len(s))
    ''', (" hello, world ", 2), ("ab", 0))



def test_percent_formatting(capsys):
    function = assert_matches_eager("""
    def f(n: int, x: float, s: str, t: Tuple[int, str]):
        print("step %d: loss %.3f" % (n, x))
        return "%s=%d" % (s, n), "%5.1f%%" % x, "%r" % s, "%d-%s" % t, "ratio " + "%.2e" % x
    """, (3, 0.125, "lr", (7, "x")))
    assert "prim::percent_format" in set(node_kinds(function))
    assert capsys.readouterr().out == "step 3: loss 0.125\n" * 2
    with pytest.raises(jit.CompilationError, match="the '%' operator expected"):
        script_source("def f(t: Tuple[int, int]):\n    return t % 2\n")

def test_tuples():
    function = assert_matches_eager('''
    def f(x, t: Tuple[int, float]):
        u = t + (3, "s")
        shape = x.shape + (1,)
        return u, shape, 2 in t, 5 in x.shape, x.reshape(shape).ndim
    ''', (np.ones((2, 3)), (2, 1.5)))
    assert {"prim::TupleConcat", "prim::TupleContains"} <= set(node_kinds(function))


def test_for_over_lists_tuples_strings_dicts_arrays_and_shapes():
    assert_matches_eager('''
    def f(x, xs: List[float], t: Tuple[int, float, str], d: Dict[str, int]):
        total = 0.0
        for v in xs:
            total += v
        for i, v in enumerate(xs, 1):
            total += i * v
        for a, b in zip(xs, xs[1:]):
            total += a - b
        for i, (a, b) in enumerate(zip(xs, [1, 2, 3])):
            total += i + a * b
        texts = jit.annotate(List[str], [])
        for e in t:
            texts.append(str(e))
        for k in d:
            total += d[k]
        for k, v in d.items():
            total += len(k) + v
        for row in x:
            total += float(row.sum())
        for n in x.shape:
            total += n
        for c in "abc":
            texts.append(c)
        return total, texts
    ''', (np.arange(6.0).reshape(2, 3), [1.0, 2.5, 4.0], (1, 2.5, "s"), {"ab": 1, "c": 2}),
        (np.ones((0, 2)), [], (0, 0.0, ""), {}))


def test_comprehensions():
    function = assert_matches_eager('''
    def f(xs: List[int], x):
        squares = [i * i for i in range(5) if i % 2 == 0]
        nested = [a + b for a in range(3) for b in range(a) if a != b]
        scaled = [x * float(v) for v in xs]
        table = {str(i): i * 1.5 for i in xs if i > 0}
        i = 42
        words = [w.upper() for w in "a b c".split()]
        return squares, nested, np.stack(scaled) if len(scaled) > 0 else x, table, i, words
    ''', ([1, -2, 3], np.arange(2.0)))
    assert "prim::ListAppend" in set(node_kinds(function)) and "prim::DictSetItem" in set(node_kinds(function))


def test_starred_unpacking():
    assert_matches_eager('''
    def f(x, xs: List[int], t: Tuple[int, float, float, int]):
        first, *rest = xs
        *init, last = xs
        a, *mid, b = t
        n, *dims = x.shape
        return first, rest, init, last, a, mid, b, n, dims
    ''', (np.ones((2, 3, 4)), [1, 2, 3], (1, 2.0, 3.0, 4)))
    function, eager = script_source("def f(xs: List[int]):\n    a, b, *c = xs\n    return c\n")
    with pytest.raises(jit.Error, match="ValueError: not enough values to unpack"):
        function([1])
    with pytest.raises(ValueError):
        eager([1])


def test_container_type_errors():
    with pytest.raises(jit.CompilationError, match="list.append: an element of type str does not fit a List\\[int\\]"):
        script_source("def f(xs: List[int]):\n    xs.append('a')\n    return xs\n")
    with pytest.raises(jit.CompilationError, match="an empty \\[\\] is a List\\[Tensor\\]: declare the element type"):
        # the first append gives an empty list its element type (test_list_inference.py); a later one cannot
        script_source("def f(x, n: int):\n    xs = []\n    xs.append(x)\n    xs.append(n)\n    return xs\n")
    with pytest.raises(jit.CompilationError, match="'d\\[k\\] = v': .*an empty {} is a Dict\\[str, Tensor\\]"):
        script_source("def f(n: int):\n    d = {}\n    d['a'] = n\n    return d\n")
    with pytest.raises(jit.CompilationError, match="has str keys, not int"):
        script_source("def f(d: Dict[str, int]):\n    return d[1]\n")
    with pytest.raises(jit.CompilationError, match="the starred target would be a list of mixed types"):
        script_source("def f(t: Tuple[int, float, str]):\n    a, *b = t\n    return a\n")
    with pytest.raises(jit.CompilationError, match="the list attribute 'apend'; did you mean 'append'"):
        script_source("def f(xs: List[int]):\n    xs.apend(1)\n    return xs\n")
