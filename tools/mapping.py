"""Mapping files: how one merchant's order payload becomes canonical `Order`s.

A mapping (YAML) names, for each canonical field, where its value is in the payload and how to convert it.
It is validated strictly (a typo is an error naming the key) and compiled once into one generated Python
function, which then maps many payloads fast. See `docs/mapping.md` for the file format.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import tzinfo
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from types import CodeType, MappingProxyType
from typing import Any, cast, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tools import _transforms as tf
from tools._paths import Context, Getter, compile_jmespath, compile_path, index_step, jmespath_fields, parse_path
from tools._yaml import parse_mapping, read_text
from tools.carriers import complete_shipment
from tools.errors import MappingError, RecordError
from tools.schema import Order, OrderStatus, ShipmentStatus

__all__ = ["Mapped", "Mapper", "MappingSpec", "compile_mapping", "load_mapping", "load_mapping_text"]

ENVELOPE_KEYS = ("orders", "order", "data", "results", "records", "rows")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Condition(_Strict):
    """A test on one value; strings compare case-insensitively."""

    equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    not_in: list[Any] | None = None
    present: bool | None = None


class Case(_Strict):
    """`value` is used when every condition in `when` holds (paths relative to the current element)."""

    when: dict[str, Any]
    value: Any


class ValueSpec(_Strict):
    """Where a scalar comes from and how it is converted. Exactly one source: path, jmespath, const, join or cases."""

    path: str | list[str] | None = None
    """A dotted path, or a list of paths of which the first present one wins."""
    jmespath: str | None = None
    const: Any = None
    join: list[str] | None = None
    """Paths whose present values are joined with `sep` (name parts, address lines)."""
    sep: str = " "
    cases: list[Case] | None = None
    map: dict[str, Any] | None = None
    """Merchant labels to canonical values, matched case-insensitively; other labels pass through."""
    transform: str | dict[str, Any] | list[str | dict[str, Any]] | None = None
    default: Any = None

    @model_validator(mode="after")
    def _one_source(self) -> ValueSpec:
        sources = [name for name in ("path", "jmespath", "const", "join", "cases") if name in self.model_fields_set]
        if len(sources) != 1:
            got = ", ".join(sources) if sources else "none"
            raise ValueError(f"needs exactly one of path, jmespath, const, join, cases (got {got})")
        return self


class Defaults(_Strict):
    """Per-mapping defaults; a merchant config may override them."""

    timezone: str = "UTC"
    """Naive merchant times are read in this IANA zone."""
    currency: str | None = None
    region: str | None = None
    """ISO 3166 region for phone numbers written without a country code."""


class MappingSpec(_Strict):
    """A whole mapping file."""

    name: str | None = None
    description: str | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    records: str | None = None
    """Path to the list of orders in a payload; without it, envelopes ({"orders": [...]}, ...) are detected."""
    group_by: str | list[str] | None = None
    """For exports with one row per item: rows with the same value here become one order (a list of paths: the
    first present one wins, for exports whose column names vary)."""
    status_from_shipments: bool = False
    """A shipped order whose every shipment is delivered becomes `delivered`."""
    order: dict[str, Any]


# ---------------------------------------------------------------------------------------------------------
# What each canonical field is, read off the schema so the two cannot drift.

_SCALAR_KINDS = {str: "text", int: "int", Decimal: "money"}


def _kind_of(name: str, annotation: Any) -> tuple[str, type[BaseModel] | None]:
    """('text'|'int'|'money'|'datetime'|'order_status'|'shipment_status'|'phone'|'email'|'currency'|'extra'
    |'object'|'list', submodel) for a schema field."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    origin = get_origin(annotation)
    if origin is list:
        return "list", get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object", annotation
    if origin is dict:
        return "extra", None
    base = args[0] if args else annotation
    if get_origin(base) is not None and get_args(base):  # Annotated[...]
        base = get_args(base)[0]
    if isinstance(base, type) and issubclass(base, BaseModel):
        return "object", base
    if name in ("phone",):
        return "phone", None
    if name == "email":
        return "email", None
    if name == "currency":
        return "currency", None
    if base is OrderStatus:
        return "order_status", None
    if base is ShipmentStatus:
        return "shipment_status", None
    if getattr(base, "__name__", "") == "datetime":
        return "datetime", None
    return _SCALAR_KINDS.get(base, "text"), None


def _fields_of(model: type[BaseModel]) -> dict[str, tuple[str, type[BaseModel] | None]]:
    return {name: _kind_of(name, info.annotation) for name, info in model.model_fields.items()}


# ---------------------------------------------------------------------------------------------------------
# Compilation


@dataclass
class _Env:
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
Prefix = tuple[str, ...]
"""Where the current element sits in the record, for the usage report (several when `each` has alternatives)."""


class _Gen:
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


Emit = Callable[[_Gen, str, str], None]
"""Writes statements that compute a field's value from the element in variable arg 2 into variable arg 3."""
PathExpr = Callable[[_Gen, str], str]
"""An expression reading a path from the element in the named variable."""
Test = Callable[[_Gen, str, str], str]
"""A condition on a value, as an expression over the variables holding the value and its `_norm`."""
Check = tuple[str, PathExpr, Test]


def _emit_none(g: _Gen, node: str, out: str) -> None:
    g.line(f"{out} = None")


def _norm(value: Any) -> Any:
    return value.strip().casefold() if isinstance(value, str) else value


def _norm_code(var: str) -> str:
    """`_norm` of a variable, as an expression."""
    return f"({var}.strip().casefold() if isinstance({var}, str) else {var})"


def _compile_condition(raw: Any, key: str, env: _Env) -> Test:
    if isinstance(raw, dict):
        try:
            cond = Condition.model_validate(raw)
        except ValidationError as exc:
            env.error(key, _pydantic_message(exc))
            return lambda g, v, n: "False"
    elif isinstance(raw, list):
        cond = Condition.model_validate({"in": raw})
    else:
        cond = Condition(equals=raw)
    tests: list[Test] = []
    if "equals" in cond.model_fields_set:
        want = _norm(cond.equals)
        tests.append(lambda g, v, n: f"{n} == {g.const(want)}")
    if cond.in_ is not None:
        allowed = {_norm(v) for v in cond.in_ if v is None or isinstance(v, str | int | float | bool)}
        tests.append(
            lambda g, v, n: f"({n} in {g.const(allowed)} if isinstance({v}, _SCALAR) or {v} is None else False)"
        )
    if cond.not_in is not None:
        banned = {_norm(v) for v in cond.not_in if isinstance(v, str | int | float | bool)}
        tests.append(lambda g, v, n: f"not (isinstance({v}, _SCALAR) and {n} in {g.const(banned)})")
    if cond.present is not None:
        want_present = cond.present
        tests.append(lambda g, v, n: f"_present({v})" if want_present else f"not _present({v})")
    if not tests:
        env.error(key, "a condition needs equals, in, not_in or present")
    return lambda g, v, n: " and ".join(f"({test(g, v, n)})" for test in tests) or "True"


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def _absent_code(var: str) -> str:
    """`not _present(var)` as an expression: JSON text, lists and objects are empty when falsy; anything else is
    compared as `_present` does."""
    return (f"({var} is None or (not {var} if {var}.__class__ in _CONTAINERS "
            f"else ({var} == '' or {var} == _NO_LIST or {var} == _NO_DICT)))")


def _compile_when(when: dict[str, Any], key: str, env: _Env, prefix: Prefix) -> list[Check]:
    return [
        (path, _path_expr(path, f"{key}.{path}", env, prefix), _compile_condition(raw, f"{key}.{path}", env))
        for path, raw in when.items()
    ]


def _emit_checks(g: _Gen, node: str, whens: list[list[Check]]) -> list[str]:
    """Each `when`'s condition as an expression; the values they test are read (and normalised) once, before.

    Reading values has no effects, so reading all of them up front gives the same outcome as testing in turn."""
    seen: dict[str, tuple[str, str]] = {}
    out = []
    for checks in whens:
        parts = []
        for path, expr, test in checks:
            if path not in seen:
                seen[path] = value, norm = g.fresh("c"), g.fresh("n")
                g.line(f"{value} = {expr(g, node)}")
                g.line(f"{norm} = {_norm_code(value)}")
            value, norm = seen[path]
            parts.append(f"({test(g, value, norm)})")
        out.append(" and ".join(parts) or "True")
    return out


def _getter(path: str, key: str, env: _Env, prefix: Prefix) -> Getter:
    if path == "@rows" and not env.grouped:
        env.error(key, "'@rows' needs group_by")
    try:
        getter, label = compile_path(path)
    except ValueError as exc:
        env.error(key, str(exc))
        return lambda node, ctx: None
    _mark(env, label, prefix)
    return getter


def _path_expr(path: str, key: str, env: _Env, prefix: Prefix) -> PathExpr:
    """Like `_getter`, for generated code: the expression reading `path` from the element in a named variable."""
    if path == "@rows" and not env.grouped:
        env.error(key, "'@rows' needs group_by")
    try:
        _, label = compile_path(path)
    except ValueError as exc:
        env.error(key, str(exc))
        return lambda g, node: "None"
    _mark(env, label, prefix)
    return lambda g, node: g.path(path, node)


def _mark(env: _Env, label: str, prefix: Prefix) -> None:
    if not label:
        return
    if label.startswith("$"):
        env.used.add(label[2:] if label.startswith("$.") else "")
    else:
        env.used.update(f"{p}{label}" for p in prefix)


_NO_ARG = object()


def _compile_transform(raw: Any, key: str, env: _Env) -> Callable[[Any], Any] | None:
    if isinstance(raw, str):
        name, arg = raw, _NO_ARG
    elif isinstance(raw, dict) and len(raw) == 1:
        ((name, arg),) = raw.items()
    else:
        env.error(key, "a transform is a name or a one-key mapping {name: argument}")
        return None

    def args(allowed: set[str]) -> dict[str, Any]:
        if arg is _NO_ARG or arg is None:
            return {}
        if not isinstance(arg, dict):
            env.error(f"{key}.{name}", f"expected a mapping with {', '.join(sorted(allowed))}")
            return {}
        unknown = set(arg) - allowed
        if unknown:
            env.error(f"{key}.{name}.{sorted(unknown)[0]}", f"unknown option (expected {', '.join(sorted(allowed))})")
        return arg

    if name in ("datetime", "date"):
        if isinstance(arg, str):
            opts: dict[str, Any] = {"format": arg}
        else:
            opts = args({"format", "unit", "timezone"})
        zone = env.tz
        if opts.get("timezone"):
            try:
                zone = tf.zone(str(opts["timezone"]))
            except ValueError as exc:
                env.error(f"{key}.{name}.timezone", str(exc))
        unit = opts.get("unit")
        if unit not in (None, "s", "ms"):
            env.error(f"{key}.{name}.unit", "expected s or ms")
        return tf.to_datetime(zone, opts.get("format"), unit)
    if name == "minor_units":
        if isinstance(arg, int) and not isinstance(arg, bool):
            exponent = arg
        else:
            exponent = int(args({"exponent"}).get("exponent", tf.currency_exponent(env.currency)))
        return tf.minor_units(exponent)
    if name == "phone":
        region = arg if isinstance(arg, str) else env.region
        return tf.phone(region)
    if name == "strip_prefix":
        if not isinstance(arg, str):
            env.error(f"{key}.{name}", "expected the prefix to strip")
            return None
        prefix = arg
        return lambda v: v[len(prefix) :] if isinstance(v, str) and v.startswith(prefix) else v
    if name == "split":
        sep = arg if isinstance(arg, str) else ","
        return lambda v: [part.strip() for part in v.split(sep) if part.strip()] if isinstance(v, str) else v
    simple: dict[str, Callable[[Any], Any]] = {
        "json": tf.decode_json,
        "try_json": tf.try_decode_json,
        "decimal": tf.to_decimal,
        "int": tf.to_int,
        "text": tf.to_text,
        "email": tf.email,
        "lower": lambda v: v.lower() if isinstance(v, str) else v,
        "upper": lambda v: v.upper() if isinstance(v, str) else v,
        "strip": lambda v: v.strip() if isinstance(v, str) else v,
        "first": lambda v: (v[0] if v else None) if isinstance(v, list) else v,
    }
    if name in simple:
        if arg is not _NO_ARG and arg is not None:
            env.error(f"{key}.{name}", "takes no argument")
        return simple[name]
    known = sorted([*simple, "datetime", "date", "minor_units", "phone", "strip_prefix", "split"])
    env.error(key, f"unknown transform {name!r}{_did_you_mean(name, known)}")
    return None


def _text_code(var: str) -> str:
    """`tf.to_text` of a variable, in place, with text and whole numbers (the usual cases) handled without a call."""
    return (f"if {var} is not None: {var} = ({var}.strip() or None) if {var}.__class__ is str "
            f"else str({var}) if {var}.__class__ is int else _to_text({var})")


def _coercer(kind: str, key: str, env: _Env) -> Callable[[_Gen, str], None]:
    """Code converting, in place, a value of a canonical field of `kind` after the mapping's own transforms."""
    if kind == "text":
        return lambda g, v: g.line(_text_code(v))
    if kind == "int":
        return lambda g, v: g.line(f"if {v} is not None and {v}.__class__ is not int: {v} = _to_int({v})")
    if kind == "money":
        return lambda g, v: g.line(f"if {v} is not None: {v} = _to_decimal({v})")
    if kind in ("datetime", "phone", "email"):
        convert = {"datetime": lambda: tf.to_datetime(env.tz), "phone": lambda: tf.phone(env.region),
                   "email": lambda: tf.email}[kind]()
        return lambda g, v: g.line(f"if {v} is not None: {v} = {g.const(convert)}({v})")
    if kind == "currency":
        return lambda g, v: g.line(f"if {v} is not None: {v} = _to_text({v}); {v} = {v}.upper() if {v} else None")
    if kind in ("order_status", "shipment_status"):
        enum: type[StrEnum] = OrderStatus if kind == "order_status" else ShipmentStatus
        values = {member.value for member in enum}

        def status(v: Any, ctx: Context) -> Any:
            if v.__class__ is str and v in values:  # already canonical: what the slow path below would return
                return v
            if v is None or v == "":
                return None
            if isinstance(v, enum):
                return v
            label = str(v).strip()
            guess = re.sub(r"[\s\-]+", "_", label.casefold())
            if guess in values:
                return guess
            if ctx.notes is not None:
                ctx.notes.append((key, label))
            return enum("unknown")

        return lambda g, v: g.line(f"if {v} is not None: {v} = {g.const(status)}({v}, ctx)")
    if kind == "extra":
        return lambda g, v: None
    raise AssertionError(kind)


def _compile_value(raw: Any, key: str, kind: str, env: _Env, prefix: Prefix) -> Emit:
    """Code computing one scalar field: its source, transforms, table, default and canonical conversion."""
    if isinstance(raw, str | list) and not isinstance(raw, dict):
        raw = {"path": raw}
    if not isinstance(raw, dict):
        env.error(key, "expected a path, a list of paths or a mapping with path/jmespath/const/join/cases")
        return _emit_none
    try:
        spec = ValueSpec.model_validate(raw)
    except ValidationError as exc:
        env.error(key, _pydantic_message(exc, ValueSpec))
        return _emit_none

    source = _compile_source(spec, key, env, prefix)
    steps: list[Callable[[Any], Any]] = []
    if spec.transform is not None:
        raws = spec.transform if isinstance(spec.transform, list) else [spec.transform]
        for i, one in enumerate(raws):
            step = _compile_transform(one, f"{key}.transform" + (f"[{i}]" if len(raws) > 1 else ""), env)
            if step is not None:
                steps.append(step)
    table = {_norm(k): v for k, v in spec.map.items()} if spec.map else None
    default = spec.default
    coerce = _coercer(kind, key, env)

    def emit(g: _Gen, node: str, out: str) -> None:
        source(g, node, out)
        for step in steps:  # a transform is skipped once the value is None, as are the ones after it
            g.line(f"if {out} is not None: {out} = {g.const(step)}({out})")
        if table is not None:
            g.line(f"if isinstance({out}, _LABEL): {out} = {g.const(table)}.get({_norm_code(out)}, {out})")
        if default is not None:
            g.line(f"if {out} is None or {out} == '': {out} = {g.const(default)}")
        coerce(g, out)

    return emit


def _compile_source(spec: ValueSpec, key: str, env: _Env, prefix: Prefix) -> Emit:
    if spec.path is not None:
        paths = [spec.path] if isinstance(spec.path, str) else spec.path
        exprs = [_path_expr(p, key, env, prefix) for p in paths]

        def first_present(g: _Gen, node: str, out: str) -> None:
            g.line(f"{out} = {exprs[0](g, node)}")
            if len(exprs) > 1:
                for expr in exprs[1:]:
                    g.line(f"if {_absent_code(out)}: {out} = {expr(g, node)}")
                g.line(f"if {_absent_code(out)}: {out} = None")

        return first_present
    if spec.jmespath is not None:
        try:
            getter, _ = compile_jmespath(spec.jmespath)
        except ValueError as exc:
            env.error(f"{key}.jmespath", str(exc))
            return _emit_none
        for label in jmespath_fields(spec.jmespath):
            _mark(env, label, prefix)
        return lambda g, node, out: g.line(f"{out} = {g.const(getter)}({node}, ctx)")
    if spec.join is not None:
        parts = [_path_expr(p, key, env, prefix) for p in spec.join]
        sep = spec.sep

        def joined(g: _Gen, node: str, out: str) -> None:
            texts = []
            for expr in parts:
                text = g.fresh("j")
                g.line(f"{text} = {expr(g, node)}")
                g.line(_text_code(text))
                texts.append(text)
            g.line(f"{out} = {g.const(sep)}.join(filter(None, ({''.join(t + ', ' for t in texts)}))) or None")

        return joined
    if spec.cases is not None:
        compiled = [
            (_compile_when(case.when, f"{key}.cases[{i}].when", env, prefix), case.value)
            for i, case in enumerate(spec.cases)
        ]

        def first_case(g: _Gen, node: str, out: str) -> None:
            if not compiled:
                g.line(f"{out} = None")
                return
            conditions = _emit_checks(g, node, [checks for checks, _ in compiled])
            for i, (condition, (_, result)) in enumerate(zip(conditions, compiled, strict=True)):
                g.line(f"{'elif' if i else 'if'} {condition}: {out} = {g.const(result)}")
            g.line(f"else: {out} = None")

        return first_case
    constant = spec.const
    return lambda g, node, out: g.line(f"{out} = {g.const(constant)}")


def _compile_object(
    raw: Any, key: str, model: type[BaseModel], env: _Env, prefix: Prefix, optional: bool
) -> Emit:
    """Code building the dict of a nested model (customer, shipping_address, a list element); an optional one with
    no value at all is None."""
    if not isinstance(raw, dict):
        env.error(key, f"expected a mapping of {model.__name__} fields ({', '.join(model.model_fields)})")
        return _emit_none
    fields = _compile_fields(raw, key, model, env, prefix)

    def emit(g: _Gen, node: str, out: str) -> None:
        _emit_dict(g, node, out, fields)
        if optional:
            g.line(f"if not {out}: {out} = None")

    return emit


def _emit_dict(g: _Gen, node: str, out: str, fields: list[tuple[str, Emit]]) -> None:
    """Every field computed in order, then the dict of those that are not None."""
    values = []
    for name, emit in fields:
        value = g.fresh()
        emit(g, node, value)
        values.append((name, value))
    g.line(f"{out} = {{}}")
    for name, value in values:
        g.line(f"if {value} is not None: {out}[{name!r}] = {value}")


def _compile_fields(
    raw: dict[str, Any], key: str, model: type[BaseModel], env: _Env, prefix: Prefix
) -> list[tuple[str, Emit]]:
    schema = _fields_of(model)
    out: list[tuple[str, Emit]] = []
    for name, spec in raw.items():
        sub = f"{key}.{name}" if key else str(name)
        if name not in schema:
            env.error(sub, f"not a field of {model.__name__}{_did_you_mean(str(name), list(schema))}")
            continue
        kind, submodel = schema[name]
        if kind == "list":
            assert submodel is not None
            out.append((name, _compile_list(spec, sub, submodel, env, prefix)))
        elif kind == "object":
            assert submodel is not None
            optional = model.model_fields[name].default is None
            out.append((name, _compile_object(spec, sub, submodel, env, prefix, optional)))
        else:
            out.append((name, _compile_value(spec, sub, kind, env, prefix)))
    return out


_LIST_KEYS = {"each", "where", "fields", "unique_by"}


def _compile_list(raw: Any, key: str, model: type[BaseModel], env: _Env, prefix: Prefix) -> Emit:
    """Code mapping each element of a source list (or a single object) to a dict of `model`'s fields."""
    if not isinstance(raw, dict) or "each" not in raw or "fields" not in raw:
        env.error(key, "a list field needs 'each' (where the list is) and 'fields' (how to map one element)")
        return _emit_empty_list
    unknown = set(raw) - _LIST_KEYS
    for name in sorted(unknown):
        env.error(f"{key}.{name}", f"unknown key{_did_you_mean(name, sorted(_LIST_KEYS))}")
    each_raw = raw["each"]
    source = _compile_value(each_raw, f"{key}.each", "extra", env, prefix)
    alternatives = [each_raw] if isinstance(each_raw, str) else each_raw if isinstance(each_raw, list) else []
    element_prefix = tuple(
        _element_prefix(str(alt), parent) for alt in alternatives for parent in prefix
    ) or prefix
    where = _compile_when(raw["where"], f"{key}.where", env, element_prefix) if raw.get("where") else None
    if not isinstance(raw["fields"], dict):
        env.error(f"{key}.fields", f"expected a mapping of {model.__name__} fields")
        return _emit_empty_list
    fields = _compile_fields(raw["fields"], f"{key}.fields", model, env, element_prefix)
    unique_by = raw.get("unique_by")
    if unique_by is not None and unique_by not in model.model_fields:
        env.error(f"{key}.unique_by", f"not a field of {model.__name__}")
        unique_by = None

    def emit(g: _Gen, node: str, out: str) -> None:
        items, element, built = g.fresh("items"), g.fresh("el"), g.fresh("b")
        source(g, node, items)
        g.line(f"{out} = []")
        g.line(f"if not ({items} is None or {items} == ''):")
        g.depth += 1
        g.line(f"if isinstance({items}, dict): {items} = [{items}]")
        g.line(f"elif not isinstance({items}, list): raise _list_error({g.const(key)}, {items})")
        g.line(f"for {element} in {items}:")
        g.depth += 1
        with g.scope(element):
            if where is not None:
                (condition,) = _emit_checks(g, element, [where])
                g.line(f"if not ({condition}): continue")
            _emit_dict(g, element, built, fields)
            g.line(f"if {built}: {out}.append({built})")
        g.depth -= 1
        if unique_by is not None:
            g.line(f"{out} = _unique({out}, {unique_by!r})")
        g.depth -= 1

    return emit


def _emit_empty_list(g: _Gen, node: str, out: str) -> None:
    g.line(f"{out} = []")


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


def _element_prefix(each: str, parent: str) -> str:
    if each == "@rows" or each == "$":
        return ""
    if each.startswith("$."):
        return f"{each[2:]}[]."
    return f"{parent}{each}[]."


def _did_you_mean(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _pydantic_message(exc: ValidationError, model: type[BaseModel] | None = None) -> str:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    if first["type"] == "extra_forbidden" and model is not None:
        return f"unknown key {loc!r}{_did_you_mean(str(first['loc'][-1]), model.model_fields)}"
    message = first["msg"].removeprefix("Value error, ")
    return f"{loc}: {message}" if loc else message


# ---------------------------------------------------------------------------------------------------------
# The compiled mapper


@dataclass
class Mapped:
    """The outcome of mapping a batch of records."""

    orders: list[Order]
    sources: list[list[int]]
    """For each order, the indices of the records (rows) it came from."""
    errors: list[RecordError]
    unknown_labels: list[tuple[str, str]]
    """(field, merchant label) pairs that fell to `unknown`."""


class Mapper:
    """A compiled mapping: `map_records` for batches, `map_one` for one record, `records` to unwrap envelopes."""

    def __init__(self, spec: MappingSpec, build: Value, env: _Env, records: Getter | None, group: Getter | None):
        self.spec = spec
        self.name = spec.name
        self._build = build
        self._records = records
        self._group = group
        self._tz = env.tz
        self.code = ""
        """The source of the generated function that maps one record (for debugging a mapping)."""
        self.used_fields: frozenset[str] = frozenset(env.used)
        """Normalised source paths the mapping reads (`line_items[].sku`); a path marks its subtree used."""

    @property
    def grouped(self) -> bool:
        return self._group is not None

    def records(self, payload: Any) -> list[Any]:
        """The order records inside a payload: a list, one object, or an envelope around either."""
        if self._records is not None:
            found = self._records(payload, Context(payload))
            if found is None:
                raise RecordError(self.spec.records or "records", "not found in the payload")
            return found if isinstance(found, list) else [found]
        return _unwrap(payload)

    def map_one(self, record: Any) -> Order:
        """One record to an Order; RecordError naming the field when it cannot be mapped."""
        return self._finish(self._build(record, Context(record)))

    def _finish(self, data: Any) -> Order:
        try:
            for shipment in data.get("shipments", ()):
                complete_shipment(shipment)
            if self.spec.status_from_shipments:
                _derive_status(data)
            return Order.__pydantic_validator__.validate_python(data)  # model_validate, one frame less
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise RecordError(loc or "order", first["msg"].removeprefix("Value error, ")) from None

    def map_records(self, records: list[Any], notes: bool = False) -> Mapped:
        """Map many records (rows are grouped first when the mapping has group_by); errors are collected."""
        result = Mapped([], [], [], [])
        label_notes: list[tuple[str, str]] | None = [] if notes else None
        for indices, node, rows in self._units(records, result):
            try:
                if not isinstance(node, dict):
                    raise RecordError("record", f"expected an object, got {type(node).__name__}")
                data = self._build(node, Context(node, rows, label_notes))
                order = self._finish(data)
            except RecordError as exc:
                result.errors.append(exc.at(indices[0]))
            except (ValueError, TypeError, ArithmeticError) as exc:  # a transform's own error
                result.errors.append(RecordError("record", str(exc), indices[0]))
            else:
                result.orders.append(order)
                result.sources.append(indices)
        result.unknown_labels = label_notes or []
        return result

    def map_payload(self, payload: Any, notes: bool = False) -> Mapped:
        return self.map_records(self.records(payload), notes=notes)

    def _units(self, records: list[Any], result: Mapped) -> Iterable[tuple[list[int], Any, list[Any] | None]]:
        if self._group is None:
            for i, record in enumerate(records):
                yield [i], record, None
            return
        groups: dict[Any, list[int]] = {}
        for i, record in enumerate(records):
            key = self._group(record, Context(record)) if isinstance(record, dict) else None
            key = tf.to_text(key) if isinstance(key, str | int | float) else None
            if key is None:
                name = self.spec.group_by if isinstance(self.spec.group_by, str) else "group_by"
                result.errors.append(RecordError(name, "missing", i))
                continue
            groups.setdefault(key, []).append(i)
        for indices in groups.values():
            rows = [records[i] for i in indices]
            # Order-level fields read the rows merged, later rows winning: an update row changes status or total.
            merged: dict[str, Any] = {}
            for row in rows:
                if isinstance(row, dict):
                    merged.update((k, v) for k, v in row.items() if v is not None and v != "")
            yield indices, merged, rows


def _derive_status(data: dict[str, Any]) -> None:
    shipments = data.get("shipments") or []
    if data.get("status") in ("shipped", OrderStatus.SHIPPED) and shipments:
        if all(s.get("status") in ("delivered", ShipmentStatus.DELIVERED) or s.get("delivered_at") for s in shipments):
            data["status"] = OrderStatus.DELIVERED


def _unwrap(payload: Any) -> list[Any]:
    for _ in range(4):
        if isinstance(payload, list):
            return payload
        if not isinstance(payload, dict):
            return [payload]
        inner = next((payload[k] for k in ENVELOPE_KEYS if isinstance(payload.get(k), list | dict)), None)
        # Unwrap only an envelope: a dict with an order's own keys ("data" may be a field of an order) stays.
        if inner is None or len(payload) > 6 or any(k in payload for k in ("id", "uid", "orderUid", "order_id")):
            return [payload]
        payload = inner
    return [payload]


def compile_mapping(spec: MappingSpec, *, timezone: str | None = None, currency: str | None = None,
                    region: str | None = None, source: str = "mapping") -> Mapper:
    """Compile a validated spec, with merchant overrides of its defaults; MappingError lists every problem."""
    tz_name = timezone or spec.defaults.timezone
    env_errors: list[str] = []
    try:
        tz = tf.zone(tz_name)
    except ValueError as exc:
        env_errors.append(f"defaults.timezone: {exc}")
        tz = tf.zone("UTC")
    env = _Env(tz, currency or spec.defaults.currency, region or spec.defaults.region, spec.group_by is not None)
    env.errors.extend(env_errors)
    order_fields = _compile_fields(spec.order, "order", Order, env, ("",))
    names = {name for name, _ in order_fields}
    if "status" in names and "status_text" not in names:
        # Keep the merchant's own label: status_text reads status's source without its map.
        raw = spec.order["status"]
        raw = {"path": raw} if isinstance(raw, str | list) else dict(raw) if isinstance(raw, dict) else raw
        if isinstance(raw, dict) and "cases" not in raw:
            raw = {k: v for k, v in raw.items() if k not in ("map", "default")}
            order_fields.append(("status_text", _compile_value(raw, "order.status", "text", env, ("",))))
    default_currency = env.currency.upper() if env.currency else None
    if default_currency and "currency" not in names:
        order_fields.append(("currency", lambda g, node, out: g.line(f"{out} = {g.const(default_currency)}")))
    records = _getter(spec.records, "records", env, ("",)) if spec.records else None
    group_by = _compile_value(spec.group_by, "group_by", "extra", env, ("",)) if spec.group_by else None
    if env.errors:
        raise MappingError(f"{source}: " + "; ".join(env.errors))
    build, code = _generate(order_fields, default_currency, source)
    group = _value_function(group_by, source) if group_by is not None else None
    mapper = Mapper(spec, build, env, records, group)
    mapper.code = code
    return mapper


def _generate(fields: list[tuple[str, Emit]], currency_default: str | None, source: str) -> tuple[Value, str]:
    """The mapping's `build(node, ctx)` and its source: the order's fields in order, an error naming its field."""
    g = _Gen()
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


def _value_function(emit: Emit, source: str) -> Value:
    g = _Gen()
    value = g.fresh()
    with g.scope("node"):
        emit(g, "node", value)
    g.line(f"return {value}")
    return _define(g, source)[0]


def _define(g: _Gen, source: str) -> tuple[Value, str]:
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


def load_mapping_text(text: str, source: str) -> MappingSpec:
    """Parse and validate a mapping's YAML text; MappingError naming `source` and the line or key."""
    data = parse_mapping(text, source, MappingError, "a YAML mapping with an 'order' key")
    try:
        return MappingSpec.model_validate(data)
    except ValidationError as exc:
        raise MappingError(f"{source}: {_pydantic_message(exc, MappingSpec)}") from None


def load_mapping(name_or_path: str | Path, **overrides: Any) -> Mapper:
    """A compiled mapper from a preset name or a mapping file path."""
    from tools.presets import preset_path

    path = preset_path(str(name_or_path)) if isinstance(name_or_path, str) else None
    if path is None:
        path = Path(name_or_path)
    text = read_text(path, MappingError, "mapping file or preset")
    source = str(name_or_path) if path.parent.name == "presets" else str(path)
    return compile_mapping(load_mapping_text(text, source), source=source, **overrides)
