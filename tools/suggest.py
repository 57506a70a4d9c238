"""`mapping suggest`: a draft mapping inferred from a sample's field names and value shapes.

Every source field is scored against every canonical field by name (camelCase, snake_case and spaces normalised;
English, pinyin-style vendor and a few Chinese synonyms) and by what its values look like (emails, phones, dates,
tracking numbers, amounts, currency codes and signs, short status labels); the best pairs win, each source path once.
Amounts with cents beat small whole numbers under a count's name (`items_total`: 3 items); an `{amount, currency}`
money object of whole numbers is read in minor units, per currency when the sample's currencies differ; the first
of a list of shipping addresses is the order's address. Shapes the presets know also get drafted in general terms:
a list of address lines is line1 and line2; an order without its own contact or address reads its list's recipient
(Square's fulfillments); records without the item list may be the item themselves; a status label field is the
status's fallback; packages may sit in a key/value list's entry, in JSON text, or in the elements' own lists; and
item amounts the totals add up as they are are line totals.
The YAML is written line by line so that every guess carries a comment saying why, and it is compiled before it
is returned, so a draft always loads. It is a first draft for `mapping check` to confirm, not an answer.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import phonenumbers
import yaml
from pydantic import BaseModel

from tools import _transforms as tf
from tools._suggest_plan import _finish_order, _line_prices, _List, _Pick, _plan, _Scope
from tools._suggest_shapes import (
    _REGION_CURRENCY,
    _REGIONS,
    _distinct,
    _exponents,
    _Leaf,
    _minor_jmespath,
    _Node,
    _path,
    _phones,
    _profile,
    _transform,
)
from tools._suggest_vocab import (
    _CJK,
    _ITEM_LISTS,
    _MODELS,
    _ORDER,
    _ORDER_LABELS,
    _SHIPMENT_LABELS,
    _label_key,
    _match,
    _tokens,
)
from tools._yaml import load_yaml
from tools.check import source_fields
from tools.errors import MappingError, SampleError
from tools.files import Payload
from tools.mapping import compile_mapping, load_mapping_text, unwrap_records
from tools.schema import OrderStatus, ShipmentStatus

__all__ = ["suggest_mapping"]

_MAX_RECORDS = 1000
"""Records analysed; a larger sample says nothing new about names and shapes and only costs time."""


# ---------------------------------------------------------------------------------------------------------
# Records and defaults


_ENVELOPES = ("orders", "order", "data", "list", "items", "records", "rows", "results", "result", "content",
              "body", "response", "payload", "page")


def _orderish(obj: dict[str, Any]) -> bool:
    hits = 0
    for key in obj:
        tokens = _tokens(str(key))
        if any(_match(tokens, _ORDER[name].names)[0] >= 0.7 for name in ("id", "status", "created_at", "total")):
            hits += 1
        elif _match(tokens, _ITEM_LISTS)[0] >= 0.8 and isinstance(obj[key], list | dict):
            hits += 1
    return hits >= 2


def _locate(payload: Payload, source: str) -> tuple[list[Any], str | None]:
    """The order records of a sample, and the `records` path when they sit inside an envelope."""
    data = payload.data
    if payload.kind != "json" or isinstance(data, list):
        records = data if isinstance(data, list) else [data]
        return records, None
    if not isinstance(data, dict):
        raise SampleError(f"{source}: the sample is a single value, not order records")
    if _orderish(data):
        return [data], None
    queue: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while queue:
        value, keys = queue.pop(0)
        if isinstance(value, list):
            objects = [v for v in value if isinstance(v, dict)]
            if objects and any(_orderish(v) for v in objects[:5]):
                return objects, _path(keys)
        elif isinstance(value, dict) and len(keys) < 4:
            if keys and _orderish(value):
                return [value], _path(keys)
            ordered = sorted(value, key=lambda k: _ENVELOPES.index(k) if k in _ENVELOPES else len(_ENVELOPES))
            queue += [(value[k], (*keys, str(k))) for k in ordered if isinstance(value[k], list | dict)]
    return unwrap_records(data), None


def _defaults(scope: _Scope, root: _Node) -> list[str]:
    """The `defaults:` lines: timezone, currency and region, each with why."""
    leaves = list(_all_leaves(root))
    # Han text is Chinese content unless the sample also has kana: Japanese writes names in kanji alone.
    jp = any(leaf.tags["kana"] for leaf in leaves)
    cjk = any(leaf.tags["cjk"] or _CJK.search(leaf.label) for leaf in leaves) and not jp
    region, region_why = None, ""
    for name in ("customer.phone", "shipping_address.phone"):
        pick = scope.picks.get(name)
        if pick is not None and region is None:
            region, described = _phones(pick.leaves[0])
            region_why = described.replace("values", "phones", 1)
    if region is None:
        country = scope.picks.get("shipping_address.country")
        codes = _distinct(country.leaves[0]) if country else []
        if len(codes) == 1 and re.fullmatch(r"[A-Za-z]{2}", codes[0]):
            region, region_why = codes[0].upper(), "every shipping country in the sample"
    dates = [p.leaves[0] for p in scope.all_picks() if p.rule.kind == "datetime"]
    offsets: Counter[str] = sum((leaf.tagged("offset:") for leaf in dates), Counter())
    naive = any(leaf.tags["naive"] for leaf in dates)
    symbols: Counter[str] = sum((leaf.tagged("symbol:") for leaf in leaves), Counter())
    east8 = bool(offsets) and offsets.most_common(1)[0][0] == "+08:00"
    cn = cjk or east8 or region == "CN"
    if east8:
        zone, zone_why = "Asia/Shanghai", "dates carry +08:00"
    elif cn:
        zone, zone_why = "Asia/Shanghai", "Chinese content (text or CN phones)" + (" and naive times" if naive else "")
    elif naive:
        zone, zone_why = "UTC", "TODO: the sample's times have no offset; set the merchant's IANA zone"
    elif offsets:
        zone, zone_why = "UTC", "dates carry their own offset"
    else:
        zone, zone_why = "UTC", "no naive times in the sample"
    lines = ["defaults:", _line("  ", f"timezone: {zone}", zone_why)]

    currency_pick = scope.picks.get("currency")
    labels = {c.strip() for leaf in (*currency_pick.leaves, *currency_pick.fallbacks) for c in _distinct(leaf)
              } if currency_pick else set()
    meanings = {label: tf.currency_meanings(label) for label in sorted(labels)}
    codes = sorted({m[0] for m in meanings.values() if len(m) == 1})
    # Signs several currencies share ("¥", "$", "kr") are read as the default currency: guess it from the content.
    shared: dict[tuple[str, ...], list[str]] = {}
    for label, m in meanings.items():
        if len(m) > 1:
            shared.setdefault(m, []).append(repr(label))
    hint, hint_why = ("CNY", "Chinese content") if cn else ("JPY", "Japanese content") if jp else (
        (_REGION_CURRENCY[region], f"the phone region {region}") if region in _REGION_CURRENCY else (None, ""))
    if shared:
        written = "; ".join(f"{' and '.join(signs)}, which can be {', '.join(m[:-1])} or {m[-1]}"
                            for m, signs in shared.items())
        if hint is not None and all(hint in m for m in shared):
            lines.append(_line("  ", f"currency: {hint}", f"the sample writes {written}; {hint_why} suggests {hint}"))
        else:
            first = next(iter(shared))[0]
            lines.append(f"  # currency: {first}   # TODO: the sample writes {written}; set the merchant's currency")
    elif currency_pick and len(codes) == 1:
        lines.append(_line("  ", f"currency: {codes[0]}", "every order in the sample is in " + codes[0]))
    elif currency_pick:
        lines.append("  # currency: the sample has several currencies; orders carry their own")
    elif symbols:
        code = symbols.most_common(1)[0][0]
        lines.append(_line("  ", f"currency: {code}", "amounts are written with its symbol"))
    elif cn:
        lines.append(_line("  ", "currency: CNY", "no currency field; Chinese content suggests CNY"))
    elif region in _REGION_CURRENCY:
        lines.append(_line("  ", f"currency: {_REGION_CURRENCY[region]}",
                           f"no currency field; guessed from the phone region {region}, check it"))
    else:
        lines.append("  # currency: USD   # TODO: no currency in the sample; set the merchant's (check needs one)")
    if region:
        lines.append(_line("  ", f"region: {region}", region_why))
    return lines


def _hint_regions(root: _Node) -> None:
    """Let every phone field try the regions the sample itself points at first: the country codes of its
    international numbers and its two-letter country fields."""
    counts: Counter[str] = Counter()
    country = _ORDER["shipping_address.country"].names
    leaves = list(_all_leaves(root))
    for leaf in leaves:
        if leaf.frac("phone") >= 0.5:
            for value in leaf.values[:50]:
                text = str(value).strip()
                if text.startswith("+"):
                    try:
                        code = phonenumbers.parse(text, None).country_code or 0
                    except phonenumbers.NumberParseException:
                        continue
                    counts[phonenumbers.region_code_for_country_code(code)] += 1
        elif _match(_tokens(leaf.keys[-1]), country)[0] >= 0.8:
            counts.update(v.upper() for v in map(str, leaf.values[:50]) if re.fullmatch(r"[A-Za-z]{2}", v))
    counts.pop("ZZ", None)
    regions = tuple(r for r, _ in counts.most_common()) + tuple(r for r in _REGIONS if r not in counts)
    for leaf in leaves:
        leaf.regions = regions


def _all_leaves(node: _Node) -> Iterable[_Leaf]:
    yield from node.leaves.values()
    for coll in node.colls.values():
        if coll.node is not None:
            yield from _all_leaves(coll.node)


# ---------------------------------------------------------------------------------------------------------
# Writing YAML


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_\-./]*")


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and yaml.safe_load(text) == text and load_yaml(text) == text:
        return text
    if text.isprintable():
        return "'" + text.replace("'", "''") + "'"  # single quotes escape nothing else: '["Order No."]'
    return json.dumps(text, ensure_ascii=False)


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def _line(pad: str, text: str, comment: str = "") -> str:
    comment = " ".join(comment.split())
    return f"{pad}{text}   # {comment}" if comment else f"{pad}{text}"


def _wrap(line: str, width: int) -> list[str]:
    """A long line of a JMESPath expression broken after its list separators (", " never occurs in its literals)."""
    parts: list[str] = []
    while len(line) > width and (cut := line.rfind(", ", 0, width)) > 0:
        parts.append(line[: cut + 1])
        line = line[cut + 2 :]
    return [*parts, line]


def _spec(pick: _Pick) -> tuple[Any, str]:
    """The mapping value for a pick, and notes to add to its comment."""
    if len(pick.leaves) > 1:
        return {"join": [leaf.path for leaf in pick.leaves]}, ""
    leaf = pick.leaves[0]
    transform, note = _transform(pick.rule, leaf)
    if pick.jmespath is not None:
        return ({"jmespath": pick.jmespath} if transform is None else
                {"jmespath": pick.jmespath, "transform": transform}), note
    if pick.rule.kind == "money" and leaf.minor and len(_exponents(leaf)) > 1:
        return {"jmespath": _minor_jmespath([leaf, *pick.fallbacks]), "transform": transform}, note
    path: Any = pick.path or leaf.path
    if pick.transform is not None:
        transform = pick.transform
    if pick.fallbacks:
        path = [path, *(leaf.path for leaf in pick.fallbacks)]
    return (path if transform is None else {"path": path, "transform": transform}), note


def _render_pick(name: str, pick: _Pick, pad: str, out: list[str]) -> None:
    spec, note = _spec(pick)
    reason = pick.reason + (f"; {note}" if note else "")
    if isinstance(spec, dict) and isinstance(spec.get("jmespath"), list):
        out.append(_line(pad, f"{name}:", reason))
        out.append(f"{pad}  jmespath: >-")  # folded: the lines are one expression, joined by spaces
        out += [f"{pad}    {part}" for line in spec["jmespath"] for part in _wrap(line, 100)]
        out.append(f"{pad}  transform: {_flow(spec['transform'])}")
        return
    if pick.rule.kind not in ("status", "shipment_status"):
        out.append(_line(pad, f"{name}: {_flow(spec)}", reason))
        return
    enum: type[OrderStatus] | type[ShipmentStatus]
    enum, table = (OrderStatus, _ORDER_LABELS) if pick.rule.kind == "status" else (ShipmentStatus, _SHIPMENT_LABELS)
    canonical = {member.value for member in enum}
    known: list[tuple[Any, str]] = []
    as_is: list[str] = []
    unknown: list[Any] = []
    labels: dict[str, Any] = {}
    for leaf in (*pick.leaves, *pick.fallbacks):
        for folded, value in leaf.labels.items():
            labels.setdefault(folded, value)
    for label in labels.values():
        if re.sub(r"[\s\-]+", "_", str(label).casefold()) in canonical:
            as_is.append(str(label))
        elif _label_key(label) in table:
            known.append((label, table[_label_key(label)]))
        else:
            unknown.append(label)
    out.append(_line(pad, f"{name}:", reason))
    out.append(f"{pad}  path: {_flow(spec)}")
    if known:
        out.append(f"{pad}  map:")
        out += [_line(f"{pad}    ", f"{_scalar(label)}: {status}", "known label") for label, status in known[:50]]
    elif unknown:
        out.append(f"{pad}  map: {{}}")
    choices = ", ".join(m.value for m in enum if m.value != "unknown")
    for label in unknown[:50]:
        out.append(f"{pad}    # {_scalar(label)}: TODO   # a label I do not know; one of {choices}")
    if as_is:
        out.append(f"{pad}  # already canonical: {', '.join(as_is[:20])}")


def _render_scope(scope: _Scope, pad: str, out: list[str]) -> None:
    model = _MODELS[scope.model]
    for name, info in model.model_fields.items():
        if name in scope.lists:
            _render_list(name, scope.lists[name], pad, out)
        elif name in scope.picks:
            _render_pick(name, scope.picks[name], pad, out)
        elif name in ("customer", "shipping_address"):
            names = _sub_fields(info.annotation)
            inner = [(f, scope.picks[f"{name}.{f}"]) for f in names if f"{name}.{f}" in scope.picks]
            if inner:
                out.append(f"{pad}{name}:")
                for field_name, pick in inner:
                    _render_pick(field_name, pick, pad + "  ", out)


def _sub_fields(annotation: Any) -> list[str]:
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return list(candidate.model_fields)
    return []


def _render_list(name: str, plan: _List, pad: str, out: list[str]) -> None:
    if not any(True for _ in plan.scope.all_picks()):
        return
    out.append(_line(pad, f"{name}:", plan.reason))
    out.append(f"{pad}  each: {_flow(plan.each)}")
    if plan.where:
        out.append(f"{pad}  where: {_flow(plan.where)}")
    if plan.unique_by:
        out.append(_line(f"{pad}  ", f"unique_by: {plan.unique_by}", "a repeated row for the same product replaces"
                                                                        " the earlier one"))
    out.append(f"{pad}  fields:")
    _render_scope(plan.scope, pad + "    ", out)


def _examples(value: Any, prefix: str, out: dict[str, Any]) -> None:
    """The first value of each leaf, keyed as `source_fields` names leaves."""
    if isinstance(value, dict):
        for key, inner in value.items():
            _examples(inner, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        for inner in value:
            _examples(inner, f"{prefix}[]", out)
    elif prefix and (prefix not in out or out[prefix] in (None, "", [])):
        out[prefix] = value


def _unplaced(records: list[Any], used: frozenset[str], root: _Node) -> list[str]:
    seen: set[str] = set()
    examples: dict[str, Any] = {}
    for record in records:
        seen |= source_fields(record)
        _examples(record, "", examples)
    notes = {leaf.label: leaf.note for leaf in _all_leaves(root) if leaf.note}
    lines = []
    for label in sorted(seen):
        parts = [label[:i] for i, ch in enumerate(label) if ch in ".["]
        if label in used or f"{label}[]" in used or any(p in used for p in parts):
            continue
        example = examples.get(label)
        shown = json.dumps(example, ensure_ascii=False)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        note = notes.get(label, "")
        lines.append(f"#   {label}   e.g. {shown}" + (f"   ({note})" if note else ""))
    return lines


def suggest_mapping(payload: Payload, source: str) -> str:
    """A draft mapping (YAML text with a comment on every guess) for the orders in `payload`, read from `source`.

    SampleError when the sample holds no order records. The draft always loads and compiles.
    """
    records, records_path = _locate(payload, source)
    records = records[:_MAX_RECORDS]
    if not records:
        raise SampleError(f"{source}: no order records to learn from")
    if not all(isinstance(r, dict) for r in records):
        raise SampleError(f"{source}: the order records are not objects")
    root = _profile(records, "")
    _hint_regions(root)
    scope = _plan("order", root)
    group_by = _finish_order(scope)
    _line_prices(scope, records)

    stem = re.sub(r"[^a-z0-9]+", "-", Path(source).stem.casefold()).strip("-") or "draft"
    out = [
        f"# Draft mapping for {Path(source).name}, suggested by `order-assistant mapping suggest` from "
        f"{len(records)} record(s).",
        "# Each guess says why in a comment: review them, then run",
        f"#   order-assistant mapping check THIS.yaml {source}",
        f"name: {_scalar(stem)}",
        f"description: {_scalar(f'Draft inferred from {Path(source).name}; review before use.')}",
        *_defaults(scope, root),
    ]
    if records_path is not None:
        out.append(_line("", f"records: {_scalar(records_path)}", f"the orders are under '{records_path}'"))
    if group_by is not None:
        out.append(_line("", f"group_by: {_scalar(group_by)}",
                         "rows repeat order numbers (one row per item); they become one order"))
    body: list[str] = []
    _render_scope(scope, "  ", body)
    if body:
        out += ["order:", *body]
    else:
        out.append("order: {}   # TODO: no field name or value in the sample was recognised")
    text = "\n".join(out) + "\n"
    try:
        mapper = compile_mapping(load_mapping_text(text, "draft"), source="draft")
    except MappingError as exc:  # a bug here, not a mistake of the user's: say so plainly
        raise MappingError(f"{source}: the suggested mapping does not compile ({exc}); please report this") from None
    unplaced = _unplaced(records, mapper.used_fields, root)
    if unplaced:
        text += "# Source fields not placed (map them by hand if they matter):\n" + "\n".join(unplaced) + "\n"
    else:
        text += "# Every source field is used.\n"
    return text
