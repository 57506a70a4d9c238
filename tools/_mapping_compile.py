"""Compilation of a mapping's fields into code: each canonical field's kind, read off the schema, and the
statements that compute it from a payload (paths, conditions, cases, nested objects and lists)."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from tools._mapping_codegen import Emit, Env, Gen
from tools._mapping_convert import ReportedUnknown, coercer, compile_transform, text_code
from tools._mapping_spec import Condition, ValueSpec, did_you_mean, pydantic_message
from tools._paths import Getter, compile_jmespath, compile_path, jmespath_fields
from tools.schema import OrderStatus, ShipmentStatus

Prefix = tuple[str, ...]
"""Where the current element sits in the record, for the usage report (several when `each` has alternatives)."""
PathExpr = Callable[[Gen, str], str]
"""An expression reading a path from the element in the named variable."""
Test = Callable[[Gen, str, str], str]
"""A condition on a value, as an expression over the variables holding the value and its `_norm`."""
Check = tuple[str, PathExpr, Test]

# ---------------------------------------------------------------------------------------------------------
# What each canonical field is, read off the schema so the two cannot drift.

_SCALAR_KINDS = {str: "text", int: "int", Decimal: "money"}


def _kind_of(name: str, annotation: Any) -> tuple[str, type[BaseModel] | None]:
    """('text'|'int'|'quantity'|'money'|'datetime'|'order_status'|'shipment_status'|'phone'|'email'|'currency'|'extra'
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
    if name == "quantity" and base is int:
        return "quantity", None
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
# Fields to code


def _emit_none(g: Gen, node: str, out: str) -> None:
    g.line(f"{out} = None")


def _norm(value: Any) -> Any:
    return value.strip().casefold() if isinstance(value, str) else value


def _norm_code(var: str) -> str:
    """`_norm` of a variable, as an expression."""
    return f"({var}.strip().casefold() if isinstance({var}, str) else {var})"


def _compile_condition(raw: Any, key: str, env: Env) -> Test:
    if isinstance(raw, dict):
        try:
            cond = Condition.model_validate(raw)
        except ValidationError as exc:
            env.error(key, pydantic_message(exc))
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


def _absent_code(var: str) -> str:
    """`not _present(var)` as an expression: JSON text, lists and objects are empty when falsy; anything else is
    compared as `_present` does."""
    return (f"({var} is None or (not {var} if {var}.__class__ in _CONTAINERS "
            f"else ({var} == '' or {var} == _NO_LIST or {var} == _NO_DICT)))")


def _compile_when(when: dict[str, Any], key: str, env: Env, prefix: Prefix) -> list[Check]:
    return [
        (path, _path_expr(path, f"{key}.{path}", env, prefix), _compile_condition(raw, f"{key}.{path}", env))
        for path, raw in when.items()
    ]


def _emit_checks(g: Gen, node: str, whens: list[list[Check]]) -> list[str]:
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


def _checked_path(path: str, key: str, env: Env, prefix: Prefix) -> Getter | None:
    """The getter of a valid path, its use recorded for the usage report; None (with the error noted) otherwise."""
    if path == "@rows" and not env.grouped:
        env.error(key, "'@rows' needs group_by")
    try:
        getter, label = compile_path(path)
    except ValueError as exc:
        env.error(key, str(exc))
        return None
    _mark(env, label, prefix)
    return getter


def _path_expr(path: str, key: str, env: Env, prefix: Prefix) -> PathExpr:
    """The expression, in generated code, reading a valid `path` from the element in a named variable."""
    if _checked_path(path, key, env, prefix) is None:
        return lambda g, node: "None"
    return lambda g, node: g.path(path, node)


def _mark(env: Env, label: str, prefix: Prefix) -> None:
    if not label:
        return
    if label.startswith("$"):
        env.used.add(label[2:] if label.startswith("$.") else "")
    else:
        env.used.update(f"{p}{label}" for p in prefix)


def compile_value(raw: Any, key: str, kind: str, env: Env, prefix: Prefix) -> Emit:
    """Code computing one scalar field: its source, transforms, table, default and canonical conversion."""
    if isinstance(raw, str | list) and not isinstance(raw, dict):
        raw = {"path": raw}
    if not isinstance(raw, dict):
        env.error(key, "expected a path, a list of paths or a mapping with path/jmespath/const/join/cases")
        return _emit_none
    try:
        spec = ValueSpec.model_validate(raw)
    except ValidationError as exc:
        env.error(key, pydantic_message(exc, ValueSpec))
        return _emit_none

    if kind in ("order_status", "shipment_status"):
        spec = _status_targets(spec, key, kind, env)
    source = _compile_source(spec, key, env, prefix)
    steps: list[Callable[[Any], Any]] = []
    if spec.transform is not None:
        raws = spec.transform if isinstance(spec.transform, list) else [spec.transform]
        for i, one in enumerate(raws):
            step = compile_transform(one, f"{key}.transform" + (f"[{i}]" if len(raws) > 1 else ""), env)
            if step is not None:
                steps.append(step)
    table = _value_map(spec.map, f"{key}.map", env) if spec.map else None
    default = spec.default
    coerce = coercer(kind, key, env)

    def emit(g: Gen, node: str, out: str) -> None:
        source(g, node, out)
        for step in steps:  # a transform is skipped once the value is None, as are the ones after it
            g.line(f"if {out} is not None: {out} = {g.const(step)}({out})")
        if table is not None:
            g.line(f"if isinstance({out}, _LABEL): {out} = {g.const(table)}.get({_norm_code(out)}, {out})")
        if default is not None:
            g.line(f"if {out} is None or {out} == '': {out} = {g.const(default)}")
        coerce(g, out)

    return emit


def _status_targets(spec: ValueSpec, key: str, kind: str, env: Env) -> ValueSpec:
    """`spec` with the statuses it writes itself (`map` targets, `const`, `default`, cases' `value`) checked: each
    must be canonical, or `{unknown: LABEL}` for a status deliberately unknown that `mapping check` reports under
    LABEL (as the shopify preset does for a payment state Shopify may add). Anything else would fall to `unknown`
    on every record it applies to, reported as if it were a merchant's label: an error naming the key."""
    enum = OrderStatus if kind == "order_status" else ShipmentStatus
    canonical = [member.value for member in enum]
    what = "an order status" if enum is OrderStatus else "a shipment status"

    def target(where: str, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, dict) and set(value) == {"unknown"} and isinstance(value["unknown"], str) \
                and value["unknown"].strip():
            return ReportedUnknown(value["unknown"].strip())
        guess = re.sub(r"[\s\-]+", "_", value.strip().casefold()) if isinstance(value, str) else None
        if guess not in canonical:
            env.error(where, f"{value!r} is not {what}: write one of {', '.join(canonical)} (or {{unknown: LABEL}} "
                             "for an unknown status that `mapping check` reports as LABEL)")
        return value

    update: dict[str, Any] = {}
    if spec.map:
        update["map"] = {label: target(f"{key}.map.{label}", value) for label, value in spec.map.items()}
    if "const" in spec.model_fields_set:
        update["const"] = target(f"{key}.const", spec.const)
    if spec.default is not None:
        update["default"] = target(f"{key}.default", spec.default)
    if spec.cases:
        update["cases"] = [case.model_copy(update={"value": target(f"{key}.cases[{i}].value", case.value)})
                           for i, case in enumerate(spec.cases)]
    return spec.model_copy(update=update) if update else spec


def _value_map(labels: dict[str, Any], key: str, env: Env) -> dict[Any, Any]:
    """A `map:` table keyed as labels are looked up (stripped and case-folded). Two labels that fold to one key are
    an error, as a key written twice in YAML is: else the later one would silently replace the earlier one."""
    table: dict[Any, Any] = {}
    first: dict[Any, str] = {}
    for label, value in labels.items():
        norm = _norm(label)
        if norm in first:
            env.error(key, f"{first[norm]!r} and {label!r} are one label (labels match ignoring case and the spaces "
                           "around them)")
            continue
        first[norm] = label
        table[norm] = value
    return table


def _compile_source(spec: ValueSpec, key: str, env: Env, prefix: Prefix) -> Emit:
    if spec.path is not None:
        paths = [spec.path] if isinstance(spec.path, str) else spec.path
        exprs = [_path_expr(p, key, env, prefix) for p in paths]

        def first_present(g: Gen, node: str, out: str) -> None:
            g.line(f"{out} = {exprs[0](g, node)}")
            if len(exprs) > 1:
                # A flag, so that once a path gives a value the later ones cost a test of it each, not a fresh
                # look at the value (a long synonym list, as in `generic`, is mostly skipped this way).
                absent = g.fresh("m")
                g.line(f"{absent} = {_absent_code(out)}")
                for expr in exprs[1:]:
                    g.line(f"if {absent}: {out} = {expr(g, node)}; {absent} = {_absent_code(out)}")
                g.line(f"if {absent}: {out} = None")

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

        def joined(g: Gen, node: str, out: str) -> None:
            texts = []
            for expr in parts:
                text = g.fresh("j")
                g.line(f"{text} = {expr(g, node)}")
                g.line(text_code(text))
                texts.append(text)
            g.line(f"{out} = {g.const(sep)}.join(filter(None, ({''.join(t + ', ' for t in texts)}))) or None")

        return joined
    if spec.cases is not None:
        compiled = [
            (_compile_when(case.when, f"{key}.cases[{i}].when", env, prefix), case.value)
            for i, case in enumerate(spec.cases)
        ]

        def first_case(g: Gen, node: str, out: str) -> None:
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
    raw: Any, key: str, model: type[BaseModel], env: Env, prefix: Prefix, optional: bool, path: str = ""
) -> Emit:
    """Code building the dict of a nested model (customer, shipping_address, a list element); an optional one with
    no value at all is None."""
    if not isinstance(raw, dict):
        env.error(key, f"expected a mapping of {model.__name__} fields ({', '.join(model.model_fields)})")
        return _emit_none
    fields = compile_fields(raw, key, model, env, prefix, path)

    def emit(g: Gen, node: str, out: str) -> None:
        _emit_dict(g, node, out, fields)
        if optional:
            g.line(f"if not {out}: {out} = None")

    return emit


def _emit_dict(g: Gen, node: str, out: str, fields: list[tuple[str, Emit]]) -> None:
    """Every field computed in order, then the dict of those that are not None."""
    values = []
    for name, emit in fields:
        value = g.fresh()
        emit(g, node, value)
        values.append((name, value))
    g.line(f"{out} = {{}}")
    for name, value in values:
        g.line(f"if {value} is not None: {out}[{name!r}] = {value}")


def compile_fields(
    raw: dict[str, Any], key: str, model: type[BaseModel], env: Env, prefix: Prefix, path: str = ""
) -> list[tuple[str, Emit]]:
    """Each field's code. `path` is where the model sits in the order ("items[]."): a nested field's code first
    names it there, so a value that cannot be converted is reported as "items[].quantity", not "items"."""
    schema = _fields_of(model)
    out: list[tuple[str, Emit]] = []
    for name, spec in raw.items():
        sub = f"{key}.{name}" if key else str(name)
        if name not in schema:
            env.error(sub, f"not a field of {model.__name__}{did_you_mean(str(name), list(schema))}")
            continue
        kind, submodel = schema[name]
        if kind == "list":
            assert submodel is not None
            emit = _compile_list(spec, sub, submodel, env, prefix, f"{path}{name}[].")
        elif kind == "object":
            assert submodel is not None
            optional = model.model_fields[name].default is None
            emit = _compile_object(spec, sub, submodel, env, prefix, optional, f"{path}{name}.")
        else:
            emit = compile_value(spec, sub, kind, env, prefix)
        out.append((name, _named(emit, f"{path}{name}") if path else emit))
    return out


def _named(emit: Emit, label: str) -> Emit:
    def named(g: Gen, node: str, out: str) -> None:
        g.line(f"field = {label!r}")
        emit(g, node, out)

    return named


_LIST_KEYS = {"each", "where", "fields", "unique_by"}


def _compile_list(raw: Any, key: str, model: type[BaseModel], env: Env, prefix: Prefix, path: str = "") -> Emit:
    """Code mapping each element of a source list (or a single object) to a dict of `model`'s fields."""
    if not isinstance(raw, dict) or "each" not in raw or "fields" not in raw:
        env.error(key, "a list field needs 'each' (where the list is) and 'fields' (how to map one element)")
        return _emit_empty_list
    unknown = set(raw) - _LIST_KEYS
    for name in sorted(unknown):
        env.error(f"{key}.{name}", f"unknown key{did_you_mean(name, sorted(_LIST_KEYS))}")
    each_raw = raw["each"]
    source = compile_value(each_raw, f"{key}.each", "extra", env, prefix)
    alternatives = [each_raw] if isinstance(each_raw, str) else each_raw if isinstance(each_raw, list) else []
    element_prefix = tuple(
        _element_prefix(str(alt), parent) for alt in alternatives for parent in prefix
    ) or prefix
    where = _compile_when(raw["where"], f"{key}.where", env, element_prefix) if raw.get("where") else None
    if not isinstance(raw["fields"], dict):
        env.error(f"{key}.fields", f"expected a mapping of {model.__name__} fields")
        return _emit_empty_list
    fields = compile_fields(raw["fields"], f"{key}.fields", model, env, element_prefix, path)
    unique_by = raw.get("unique_by")
    if unique_by is not None and unique_by not in model.model_fields:
        env.error(f"{key}.unique_by", f"not a field of {model.__name__}")
        unique_by = None

    def emit(g: Gen, node: str, out: str) -> None:
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


def _emit_empty_list(g: Gen, node: str, out: str) -> None:
    g.line(f"{out} = []")


def _element_prefix(each: str, parent: str) -> str:
    if each == "@rows" or each == "$":
        return ""
    if each.startswith("$."):
        return f"{each[2:]}[]."
    return f"{parent}{each}[]."
