"""Paths into merchant payloads: dotted with list indices (`line_items[0].sku`, `a["odd.key"]`), rooted at the
current element, at the record (`$.name`), or at the grouped rows of an export (`@rows`)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any

import jmespath
import jmespath.functions
from jmespath.exceptions import JMESPathError, JMESPathTypeError

Getter = Callable[[Any, "Context"], Any]

_TOKEN = re.compile(r"""\[(-?\d+)\]|\["([^"]*)"\]|\['([^']*)'\]|([^.\[\]]+)|(\.)""")


class Context:
    """What a getter may read besides the current element: the whole record and, for grouped exports, its rows."""

    __slots__ = ("notes", "root", "rows")

    def __init__(self, root: Any, rows: list[Any] | None = None, notes: list[tuple[str, str]] | None = None) -> None:
        self.root = root
        self.rows = rows
        self.notes = notes


def parse_path(path: str) -> tuple[str | int, ...]:
    """The steps of a dotted path; ValueError naming the position of a mistake."""
    steps: list[str | int] = []
    pos = 0
    expect_key = True
    while pos < len(path):
        match = _TOKEN.match(path, pos)
        if match is None:
            raise ValueError(f"unexpected {path[pos]!r} at position {pos + 1} of path {path!r}")
        index, dq, sq, name, dot = match.groups()
        if dot:
            if expect_key:
                raise ValueError(f"empty segment at position {pos + 1} of path {path!r}")
            expect_key = True
        elif index is not None:
            steps.append(int(index))
            expect_key = False
        else:
            if not expect_key and name is not None:
                raise ValueError(f"missing '.' at position {pos + 1} of path {path!r}")
            steps.append(dq if dq is not None else sq if sq is not None else name.strip())
            expect_key = False
        pos = match.end()
    if not steps or expect_key and path.endswith("."):
        raise ValueError(f"path {path!r} is empty or ends with '.'")
    return tuple(steps)


def normalised(steps: tuple[str | int, ...]) -> str:
    """A path in the form the field-usage report speaks: list indices become `[]`."""
    out = ""
    for step in steps:
        if isinstance(step, int):
            out += "[]"
        else:
            out += ("." if out else "") + step
    return out


def _walk(value: Any, steps: tuple[str | int, ...]) -> Any:
    for step in steps:
        if isinstance(value, dict):
            value = value.get(step) if isinstance(step, str) else value.get(str(step))
        elif isinstance(value, list) and isinstance(step, int):
            try:
                value = value[step]
            except IndexError:
                return None
        else:
            return None
        if value is None:
            return None
    return value


def compile_path(path: str) -> tuple[Getter, str]:
    """A getter for `path` and the normalised path it reads (relative to the element, or from `$`)."""
    if path == "@rows":
        return (lambda node, ctx: ctx.rows), ""
    from_root = path == "$" or path.startswith("$.") or path.startswith("$[")
    if path == "$":
        return (lambda node, ctx: ctx.root), "$"
    steps = parse_path(path[1:].lstrip(".") if from_root else path)
    label = ("$." if from_root else "") + normalised(steps)
    if from_root:
        return (lambda node, ctx: _walk(ctx.root, steps)), label
    if len(steps) == 1:
        key = steps[0]
        if isinstance(key, str):

            def get_key(node: Any, ctx: Context) -> Any:
                return node.get(key) if isinstance(node, dict) else None

            return get_key, label
    if len(steps) == 2 and isinstance(steps[0], str) and isinstance(steps[1], str):
        first, second = steps

        def get_two(node: Any, ctx: Context) -> Any:
            if isinstance(node, dict):
                inner = node.get(first)
                if isinstance(inner, dict):
                    return inner.get(second)
            return None

        return get_two, label
    return (lambda node, ctx: _walk(node, steps)), label


def compile_jmespath(expression: str) -> tuple[Getter, str]:
    """A getter for a JMESPath expression and the leading field chain it reads, for the usage report
    (`jmespath_fields` gives every chain). ValueError for an expression that is not JMESPath or calls a function
    JMESPath does not have, or with the wrong number of arguments.

    At run time, a function given null (a field the record lacks) gives null, as a missing path does; given a
    value of another type (text where it adds numbers), the getter raises ValueError saying so, which fails the
    record naming its field rather than leaving the field silently empty."""
    try:
        compiled = jmespath.compile(expression)
    except JMESPathError as exc:
        raise ValueError(f"invalid JMESPath {expression!r}: {exc}") from None
    problem = _function_problem(compiled.parsed)
    if problem:
        raise ValueError(f"JMESPath {expression!r}: {problem}")
    chain: list[str] = []
    node: Any = compiled.parsed
    while True:
        kind = node.get("type")
        if kind == "field":
            chain.append(node["value"])
            break
        if kind in ("subexpression", "index_expression", "projection", "filter_projection", "pipe") and node.get(
            "children"
        ):
            node = node["children"][0]
            continue
        break

    def get(node: Any, ctx: Context) -> Any:
        try:
            return compiled.search(node)
        except JMESPathTypeError as exc:
            if exc.actual_type in ("null", "NoneType"):
                return None
            raise ValueError(_type_error(exc)) from None
        except JMESPathError as exc:
            raise ValueError(f"JMESPath {expression!r}: {exc}") from None

    return get, ".".join(chain)


_FUNCTIONS: dict[str, Any] = jmespath.functions.Functions.FUNCTION_TABLE


def _function_problem(node: Any) -> str | None:
    """The first call in a parsed JMESPath expression to a function JMESPath lacks, or with the wrong number of
    arguments (jmespath itself finds these only when the call runs)."""
    if not isinstance(node, dict):
        return None
    if node.get("type") == "function_expression":
        name = node.get("value")
        if name not in _FUNCTIONS:
            close = difflib.get_close_matches(str(name), list(_FUNCTIONS), n=1)
            hint = f" (did you mean {close[0]}()?)" if close else ""
            return f"unknown function {name}(){hint}; JMESPath's functions: {', '.join(sorted(_FUNCTIONS))}"
        signature = _FUNCTIONS[name]["signature"]
        given = len(node.get("children") or ())
        variadic = bool(signature) and signature[-1].get("variadic")
        if (given < len(signature)) if variadic else (given != len(signature)):
            wanted = f"at least {len(signature)}" if variadic else str(len(signature))
            plural = "" if wanted.endswith("1") else "s"
            return f"{name}() takes {wanted} argument{plural}, not {given}"
    for child in node.get("children") or ():
        problem = _function_problem(child)
        if problem:
            return problem
    return None


_JSON_TYPES = {"str": "text", "string": "text", "int": "a number", "float": "a number", "number": "a number",
               "list": "an array", "array": "an array", "dict": "an object", "object": "an object",
               "bool": "a boolean", "boolean": "a boolean"}


def _type_error(exc: JMESPathTypeError) -> str:
    value = repr(exc.current_value)
    shown = value if len(value) <= 40 else value[:37] + "..."
    got = _JSON_TYPES.get(exc.actual_type, exc.actual_type)
    wanted = " or ".join(exc.expected_types)
    hint = " (to_number() reads a number written as text)" if "number" in wanted and got == "text" else ""
    return f"JMESPath {exc.function_name}() takes {wanted}, not {got} {shown}{hint}"


# Nodes whose children are all read from the current element (`a || b`, `f(a, b)`, `{x: a, y: b}`).
_BRANCHING = {"or_expression", "and_expression", "not_expression", "function_expression", "multi_select_list",
              "multi_select_dict", "key_val_pair", "comparator"}
# Nodes whose first child is read from the current element and the rest from what it yields.
_LEADING = {"index_expression", "projection", "filter_projection", "pipe", "slice_expression", "flatten",
            "value_projection"}


def jmespath_fields(expression: str) -> list[str]:
    """The dotted field chains a JMESPath expression reads from the current element (`a && b.c` -> a, b.c), for
    the usage report; a chain stops at the first list step, as paths' labels do."""
    try:
        parsed = jmespath.compile(expression).parsed
    except JMESPathError:
        return []
    return _chains(parsed)


def _chains(node: Any) -> list[str]:
    kind = node.get("type")
    children = node.get("children") or []
    if kind == "field":
        return [node["value"]]
    if kind == "subexpression":
        heads = _chains(children[0])
        rest = children[1:]
        while len(heads) == 1 and rest:
            step = rest[0]
            if step.get("type") == "field":
                heads = [f"{heads[0]}.{step['value']}"]
            elif step.get("type") == "index_expression" and step["children"][0].get("type") == "field":
                heads = [f"{heads[0]}.{step['children'][0]['value']}"]
                break
            else:
                break
            rest = rest[1:]
        return heads
    if kind in _LEADING and children:
        return _chains(children[0])
    if kind in _BRANCHING:
        return [chain for child in children for chain in _chains(child)]
    return []


def index_step(value: Any, step: int) -> Any:
    """One list-index step of a path, as `_walk` takes it (a dict is read at the index's text)."""
    if isinstance(value, dict):
        return value.get(str(step))
    if isinstance(value, list):
        try:
            return value[step]
        except IndexError:
            return None
    return None
