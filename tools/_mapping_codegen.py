"""Generated mapping code: the environment a mapping compiles in, the writer of a generated `build(node, ctx)`
function's source, the names such functions run with, and their definition."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import tzinfo
from functools import lru_cache
from types import CodeType, MappingProxyType
from typing import Any, cast

from tools import _transforms as tf
from tools._paths import Context, index_step, parse_path
from tools.errors import RecordError


@dataclass
class Env:
    """What compilation needs besides the spec: defaults, errors found so far, fields the mapping reads."""

    tz: tzinfo
    currency: str | None
    region: str | None
    grouped: bool
    errors: list[str] = field(default_factory=list)
    used: set[str] = field(default_factory=set)

    def error(self, key: str, message: str) -> None:
        self.errors.append(f"{key}: {message}")


Value = Callable[[Any, Context], Any]


class Gen:
    """The source of a mapping's generated `build(node, ctx)` function, while it is written.

    A mapping compiles to one Python function rather than a tree of closures: every path, transform, table and
    conversion of a field runs inline, with no call per layer, which maps several times more orders a second.
    Objects the code needs (tables, transforms, defaults) are passed in by name, never written as source text.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = dict(_RUNTIME)
        self.depth = 1
        self._count = 0
        self._scopes: list[_Scope] = []

    def fresh(self, hint: str = "v") -> str:
        self._count += 1
        return f"{hint}{self._count}"

    def const(self, value: Any) -> str:
        name = self.fresh("_k")
        self.names[name] = value
        return name

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    @contextmanager
    def scope(self, var: str) -> Iterator[None]:
        """Code reading paths from the element in `var`; the objects on those paths are read once, at the start."""
        scope = _Scope(var, len(self.lines), self.depth)
        self._scopes.append(scope)
        yield
        self._scopes.pop()
        indent = "    " * scope.depth
        self.lines[scope.at : scope.at] = [indent + line for line in scope.hoisted]

    def path(self, path: str, node: str) -> str:
        """An expression reading `path` as `compile_path`'s getter does, from the element in `node`, the record
        (`$.`) or the grouped rows (`@rows`). Leading key steps are read once per element (reading is pure)."""
        if path == "@rows":
            return "ctx.rows"
        if path == "$":
            return "ctx.root"
        from_root = path.startswith("$.") or path.startswith("$[")
        steps = parse_path(path[1:].lstrip(".") if from_root else path)
        scope = self._scopes[0] if from_root else next(s for s in reversed(self._scopes) if s.var == node)
        base = "ctx.root" if from_root else node
        keys = 0
        while keys < len(steps) and isinstance(steps[keys], str):
            keys += 1
        if keys == len(steps):
            parent = self._dict(scope, base, cast(tuple[str, ...], steps[:-1]))
            return f"{parent}.get({steps[-1]!r})"
        expr = self._raw(scope, base, cast(tuple[str, ...], steps[:keys]))
        for step in steps[keys:]:
            if isinstance(step, int):
                expr = f"_index({expr}, {step!r})"
            else:
                temp = self.fresh("p")
                expr = f"({temp}.get({step!r}) if isinstance({temp} := {expr}, dict) else None)"
        return expr

    def _raw(self, scope: _Scope, base: str, keys: tuple[str, ...]) -> str:
        """The variable holding the value at `keys` (None where a step is missing)."""
        if not keys:
            return base
        if (base, keys) not in scope.raw:
            parent = self._dict(scope, base, keys[:-1])
            scope.raw[base, keys] = name = self.fresh("r")
            scope.hoisted.append(f"{name} = {parent}.get({keys[-1]!r})")
        return scope.raw[base, keys]

    def _dict(self, scope: _Scope, base: str, keys: tuple[str, ...]) -> str:
        """The variable holding the object at `keys`, or an empty mapping when it is not an object."""
        if (base, keys) not in scope.dicts:
            value = self._raw(scope, base, keys)
            scope.dicts[base, keys] = name = self.fresh("d")
            scope.hoisted.append(f"{name} = {value} if isinstance({value}, dict) else _EMPTY")
        return scope.dicts[base, keys]


@dataclass
class _Scope:
    """An element generated code reads paths from, and the reads hoisted to where its code starts."""

    var: str
    at: int
    depth: int
    hoisted: list[str] = field(default_factory=list)
    raw: dict[tuple[str, tuple[str, ...]], str] = field(default_factory=dict)
    """Variable of the value at (base, keys); the base is the element or the record (`ctx.root`)."""
    dicts: dict[tuple[str, tuple[str, ...]], str] = field(default_factory=dict)
    """Variable of the object at (base, keys), or of an empty mapping where there is no object."""


Emit = Callable[[Gen, str, str], None]
"""Writes statements that compute a field's value from the element in variable arg 2 into variable arg 3."""


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def _list_error(key: str, items: Any) -> RecordError:
    return RecordError(key, f"expected a list or an object, got {type(items).__name__}")


def _unique(built: list[dict[str, Any]], unique_by: str) -> list[dict[str, Any]]:
    """A later element with the same value of `unique_by` replaces an earlier one, in the earlier one's place."""
    seen: dict[Any, dict[str, Any]] = {}
    for position, element in enumerate(built):
        seen[element.get(unique_by, ("#", position))] = element
    return list(seen.values())


# What generated code may name besides its own constants.
_RUNTIME: dict[str, Any] = {
    "RecordError": RecordError,
    "_index": index_step,
    "_present": _present,
    "_to_text": tf.to_text,
    "_to_int": tf.to_int,
    "_to_quantity": tf.to_quantity,
    "_to_decimal": tf.to_decimal,
    "_list_error": _list_error,
    "_unique": _unique,
    "_SCALAR": (str, int, float, bool),
    "_LABEL": (str, int, bool),
    "_NO_LIST": [],
    "_NO_DICT": {},
    "_CONTAINERS": frozenset({str, list, dict}),
    "_EMPTY": MappingProxyType({}),
}


def generate(fields: list[tuple[str, Emit]], currency_default: str | None, source: str) -> tuple[Value, str]:
    """The mapping's `build(node, ctx)` and its source: the order's fields in order, an error naming its field."""
    g = Gen()
    g.line("out = {}")
    with g.scope("node"):
        g.line("try:")
        g.depth += 1
        g.line("pass")
        for name, emit in fields:
            value = g.fresh()
            g.line(f"field = {name!r}")
            emit(g, "node", value)
            g.line(f"if {value} is not None: out[{name!r}] = {value}")
        g.depth -= 1
    g.line("except RecordError: raise")
    g.line("except (ValueError, TypeError, ArithmeticError) as exc: raise RecordError(field, str(exc)) from None")
    if currency_default:
        g.line(f"if 'currency' not in out: out['currency'] = {g.const(currency_default)}")
    g.line("return out")
    return _define(g, source)


def value_function(emit: Emit, source: str) -> Value:
    g = Gen()
    value = g.fresh()
    with g.scope("node"):
        emit(g, "node", value)
    g.line(f"return {value}")
    return _define(g, source)[0]


def _define(g: Gen, source: str) -> tuple[Value, str]:
    """The generated function (its globals are the names it refers to) and its source. Only our own code is
    executed: text from the mapping file reaches it as string literals (repr) or as bound names, never as code."""
    text = "def build(node, ctx):\n" + "\n".join(g.lines) + "\n"
    names = g.names
    # A name linecache asks the function's `__loader__` about, so tracebacks through generated code show its lines.
    names["__name__"] = filename = f"mapping:{source}#{hashlib.sha1(text.encode()).hexdigest()[:12]}"
    names["__loader__"] = _GeneratedSource(text)
    exec(_compile_source_text(text, filename), names)
    build: Value = names["build"]
    return build, text


@lru_cache(maxsize=64)
def _compile_source_text(text: str, filename: str) -> CodeType:
    """Python's compiler takes milliseconds over a mapping's code; the same mapping loaded again reuses it."""
    return cast(CodeType, compile(text, filename, "exec"))


class _GeneratedSource:
    """The source of a generated function, for `linecache` (the loader protocol's one method it uses)."""

    def __init__(self, text: str) -> None:
        self._text = text

    def get_source(self, name: str) -> str:
        return self._text
