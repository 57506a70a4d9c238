"""The Bytedesk / Weiyu chat widget's `orderInfo`: decode what the widget sends and map it with the bytedesk preset.

The widget passes the order the shopper is asking about as a JSON string (`chatConfig.orderInfo`), or URL-encoded
in the `orderInfo` parameter of an H5 chat link. Either way it is the shopper's own browser talking, so the result
is context for the conversation, never proof of who the shopper is.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tools.errors import RecordError, SampleError, kind_of
from tools.mapping import Mapper, compile_mapping, load_mapping
from tools.schema import Order

__all__ = ["order_info_hint", "order_info_orders", "parse_order_info"]

log = logging.getLogger("order_assistant.order_info")

_PARAM = "orderInfo"
_MAX_DEPTH = 4
"""How many layers of encoding (URL inside URL, JSON string inside JSON) are undone before giving up."""
_MAX_CHARS = 100_000
"""The widget's payload fits in a URL; anything far larger is not an orderInfo."""


def parse_order_info(value: str | dict[str, Any] | list[Any]) -> Any:
    """The orderInfo payload (an object, or a list of them) from a JSON string, a URL-encoded JSON string, a query
    string or chat URL with an `orderInfo` parameter, or an already-parsed object or list.

    Raises SampleError with a one-line reason when it is none of these.
    """
    return _parse(value, 0)


def order_info_orders(
    value: str | dict[str, Any] | list[Any],
    *,
    timezone: str | None = None,
    currency: str | None = None,
    region: str | None = None,
) -> list[Order]:
    """The canonical orders in a widget orderInfo, mapped with the bytedesk preset (the keyword arguments override
    the preset's defaults, as a merchant config does). SampleError when it cannot be read or mapped."""
    mapper = _mapper(timezone, currency, region)
    records = _plain_numbers(mapper.records(parse_order_info(value)))
    mapped = mapper.map_records(records)

    def where(index: int | None) -> str:
        return f"order {index + 1}: " if index is not None and len(records) > 1 else ""

    if mapped.errors:
        first = mapped.errors[0]
        raise SampleError(f"{_PARAM}: {where(first.record)}{first.field}: {first.reason}")
    for order, sources in zip(mapped.orders, mapped.sources, strict=True):
        if not order.id:
            # Without its number the order cannot be looked up or named to the shopper.
            raise SampleError(f"{_PARAM}: {where(sources[0])}no order number (uid or orderUid)")
    return mapped.orders


def order_info_hint(
    value: str | dict[str, Any] | list[Any],
    *,
    timezone: str | None = None,
    currency: str | None = None,
    region: str | None = None,
) -> str:
    """The order number a widget orderInfo names (its first order's), the conversation's hint.

    Only the number is used, so a field the preset cannot read (a date as "2025/9/14 上午11:03", a quantity as
    "1件") is logged as a warning and ignored. SampleError when the payload cannot be decoded or names no order
    number at all."""
    mapper = _mapper(timezone, currency, region)
    try:
        records = _plain_numbers(mapper.records(parse_order_info(value)))
    except RecordError as exc:
        raise SampleError(f"{_PARAM}: {exc}") from None
    mapped = mapper.map_records(records)
    for error in mapped.errors:
        where = f"order {error.record + 1}: " if error.record is not None and len(records) > 1 else ""
        log.warning("%s: %s%s: %s; ignored (only the order number is used)", _PARAM, where, error.field, error.reason)
    if not mapped.errors:
        numbers = [order.id for order in mapped.orders]
    else:
        numbers = [order.id for order in _number_mapper(timezone, currency, region).map_records(records).orders]
    number = next((n for n in numbers if n), None)
    if number is None:
        raise SampleError(f"{_PARAM}: no order number (uid or orderUid)")
    return number


_NUMBER_KEYS = ("orderUid", "uid")
"""The keys the bytedesk preset reads the order number from."""


def _plain_numbers(records: list[Any]) -> list[Any]:
    """The records without an order number that is neither text nor a whole number: `{"uid": true}` would map to
    order "true", and looking that up costs the shopper a failed attempt. Lists and objects go the same way."""
    out = []
    for index, record in enumerate(records):
        if isinstance(record, dict):
            odd = [k for k in _NUMBER_KEYS if record.get(k) is not None and (
                isinstance(record[k], bool) or not isinstance(record[k], str | int))]
            for key in odd:
                where = f"order {index + 1}: " if len(records) > 1 else ""
                log.warning("%s: %s%s: %s is not an order number; ignored", _PARAM, where, key,
                            json.dumps(record[key], ensure_ascii=False)[:40])
            record = {k: v for k, v in record.items() if k not in odd}
        out.append(record)
    return out


@lru_cache(maxsize=8)
def _mapper(timezone: str | None, currency: str | None, region: str | None) -> Mapper:
    return load_mapping("bytedesk", timezone=timezone, currency=currency, region=region)


@lru_cache(maxsize=8)
def _number_mapper(timezone: str | None, currency: str | None, region: str | None) -> Mapper:
    """The preset reading the order number alone, for a payload whose other fields cannot all be read."""
    spec = _mapper(timezone, currency, region).spec
    only_number = spec.model_copy(update={"order": {"id": spec.order["id"]}})
    return compile_mapping(only_number, timezone=timezone, currency=currency, region=region, source="bytedesk")


def _parse(value: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise SampleError(f"{_PARAM}: encoded too many times")
    if isinstance(value, dict):
        inner = value.get(_PARAM)
        # A whole chatConfig (or {"orderInfo": ...}) rather than the order itself.
        if inner is not None and not any(k in value for k in ("uid", "orderUid")):
            return _parse(inner, depth + 1)
        return value
    if isinstance(value, list):
        if not value:
            raise SampleError(f"{_PARAM}: empty list")
        return [_element(item, depth) for item in value]
    if not isinstance(value, str):
        raise SampleError(f"{_PARAM}: expected a JSON string, a URL or an object, got {kind_of(value)}")
    return _parse_text(value, depth)


def _element(item: Any, depth: int) -> Any:
    parsed = _parse(item, depth + 1) if isinstance(item, str) else item
    if not isinstance(parsed, dict):
        raise SampleError(f"{_PARAM}: a list of orders holds {kind_of(parsed)}, not an order object")
    return parsed


def _parse_text(text: str, depth: int) -> Any:
    text = text.strip()
    if not text:
        raise SampleError(f"{_PARAM}: empty")
    if len(text) > _MAX_CHARS:
        raise SampleError(f"{_PARAM}: {len(text)} characters is too long for an order (at most {_MAX_CHARS})")
    if text[0] in "{[\"":
        try:
            decoded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SampleError(f"{_PARAM}: not valid JSON ({exc.msg} at char {exc.pos})") from None
        if isinstance(decoded, str):  # JSON.stringify applied twice
            return _parse(decoded, depth + 1)
        if not isinstance(decoded, dict | list):
            raise SampleError(f"{_PARAM}: expected a JSON object or array, got {kind_of(decoded)}")
        return _parse(decoded, depth + 1)
    param = _query_param(text)
    if param is not None:
        return _parse(param, depth + 1)
    if "%" in text:
        unquoted = unquote(text)
        if unquoted != text:
            return _parse(unquoted, depth + 1)
    raise SampleError(f"{_PARAM}: expected JSON, URL-encoded JSON or a link with an orderInfo parameter")


def _query_param(text: str) -> str | None:
    """The decoded `orderInfo` parameter of a URL or query string, or None when there is none."""
    if f"{_PARAM}=" not in text:
        return None
    parts = urlsplit(text) if "://" in text or text.startswith("/") else None
    # Single-page chat apps put the query after the hash (https://host/chat/#/?orderInfo=...).
    candidates = [parts.query, parts.fragment.partition("?")[2] or parts.fragment] if parts else [text.lstrip("?#&")]
    for query in candidates:
        found = parse_qs(query, keep_blank_values=True).get(_PARAM)
        if found:
            if not found[0].strip():
                raise SampleError(f"{_PARAM}: the link's orderInfo parameter is empty")
            return found[0]
    raise SampleError(f"{_PARAM}: no orderInfo parameter in the link")
