"""Templated answers: one reply, in the shopper's language, from the tool results of a turn.

Every fact in a reply (order and tracking numbers, carriers, dates, amounts, item names) is read from the
results; this module only formats them (dates in the merchant's timezone, amounts with their currency) and the
templates in prompts/answers/ hold the wording. The offline responder answers with it, and the model path falls
back to it when a model answer cannot be grounded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Literal

import jinja2
from pydantic import BaseModel

from tools._transforms import zone
from tools.config import MerchantInfo

__all__ = [
    "STALE_AFTER_DAYS",
    "format_amount",
    "format_date",
    "format_day",
    "format_eta",
    "format_time",
    "is_delivered",
    "is_late",
    "is_stale",
    "last_activity",
    "latest_event",
    "parse_time",
    "pick_result",
    "render_answer",
    "render_message",
]

Language = Literal["en", "zh"]

STALE_AFTER_DAYS = 5
"""No tracking news for this many days on an undelivered package: apologise and offer a human."""

KINDS = ("found", "verification_needed", "no_match", "not_found", "locked", "unavailable", "invalid_arguments")
"""Tool result kinds the templates answer."""

MESSAGES = ("greeting", "thanks", "need_order_id", "oldest_not_listed", "not_listed", "which_order_number")
"""Replies that answer no tool result (the offline responder's small talk, asking again when the shopper picks a
place the list shown does not hold, and asking which order a number it could not read means)."""

_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SYMBOLS = {"USD": "$", "CNY": "¥", "EUR": "€", "GBP": "£"}
"""Currencies written with their symbol; every other currency is written with its code ("CAD 12.00")."""

_SHIPPED = {"in_transit", "out_for_delivery", "delivery_attempted", "available_for_pickup", "delivered", "exception",
            "returned_to_sender"}
"""Shipment statuses that mean the package has left the merchant."""
_TROUBLE = ("exception", "delivery_attempted", "returned_to_sender")
_NO_PROMISE = ("exception", "returned_to_sender")


# --- dates -------------------------------------------------------------------------------------------------


def _tz(tz: str | tzinfo) -> tzinfo:
    return zone(tz) if isinstance(tz, str) else tz


def _aware(now: datetime) -> datetime:
    return now if now.utcoffset() is not None else now.replace(tzinfo=UTC)


def parse_time(value: Any) -> datetime | None:
    """An aware datetime from a result's ISO string (or a datetime); None when absent or unreadable."""
    if isinstance(value, datetime):
        return _aware(value)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return _aware(datetime.fromisoformat(value.strip()))
    except ValueError:
        return None


def _local(value: Any, tz: str | tzinfo) -> datetime | None:
    moment = parse_time(value)
    return None if moment is None else moment.astimezone(_tz(tz))


def _today(now: datetime, tz: str | tzinfo) -> date:
    return _aware(now).astimezone(_tz(tz)).date()


def _month_day(day: date, language: str, today: date) -> str:
    if language == "zh":
        year = f"{day.year}年" if day.year != today.year else ""
        return f"{year}{day.month}月{day.day}日"
    year = f", {day.year}" if day.year != today.year else ""
    return f"{_MONTHS[day.month - 1]} {day.day}{year}"


def _weekday(day: date, language: str) -> str:
    return _WEEKDAYS["zh" if language == "zh" else "en"][day.weekday()]


def format_date(value: Any, *, language: str, tz: str | tzinfo, now: datetime) -> str | None:
    """The calendar day of an ISO time in `tz`: "Nov 1" / "11月1日" (with the year when it is not this year)."""
    local = _local(value, tz)
    return None if local is None else _month_day(local.date(), language, _today(now, tz))


def format_day(value: Any, *, language: str, tz: str | tzinfo, now: datetime) -> str | None:
    """The day with its weekday: "Thursday, Nov 27" / "11月27日（周四）"."""
    local = _local(value, tz)
    if local is None:
        return None
    day = local.date()
    text = _month_day(day, language, _today(now, tz))
    return f"{text}（{_weekday(day, language)}）" if language == "zh" else f"{_weekday(day, language)}, {text}"


def format_time(value: Any, *, language: str, tz: str | tzinfo, now: datetime) -> str | None:
    """Day and clock time: "Nov 24, 3:12 PM" / "11月24日 15:12"."""
    local = _local(value, tz)
    if local is None:
        return None
    text = _month_day(local.date(), language, _today(now, tz))
    if language == "zh":
        return f"{text} {local:%H:%M}"
    hour = local.hour % 12 or 12
    return f"{text}, {hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def format_eta(iso: str, *, language: str, tz: str | tzinfo, now: datetime) -> str:
    """An estimated delivery in plain words, relative to `now` in `tz`.

    "arriving Thursday, Nov 27", "arriving tomorrow, Thursday, Nov 27", "expected Tuesday, Nov 18" once the day
    has passed; in Chinese "预计11月27日（周四）送达", "预计明天（11月27日，周四）送达", "原预计11月18日（周二）送达".
    An unreadable value is returned as it was.
    """
    local = _local(iso, tz)
    if local is None:
        return str(iso)
    day, today = local.date(), _today(now, tz)
    text = _month_day(day, language, today)
    weekday = _weekday(day, language)
    relative = {today: "today", today + timedelta(days=1): "tomorrow"}.get(day)
    if language == "zh":
        if day < today:
            return f"原预计{text}（{weekday}）送达"
        if relative:
            return f"预计{'今天' if relative == 'today' else '明天'}（{text}，{weekday}）送达"
        return f"预计{text}（{weekday}）送达"
    if day < today:
        return f"expected {weekday}, {text}"
    if relative:
        return f"arriving {relative}, {weekday}, {text}"
    return f"arriving {weekday}, {text}"


# --- amounts -----------------------------------------------------------------------------------------------


def format_amount(amount: Any, currency: str | None = None) -> str | None:
    """ "$214.00", "¥299,900.00", "€9.50", "£12.00", other currencies as "CAD 12.00"; no currency: "214.00".

    Two decimals unless the amount has more significant digits (nothing is rounded away).
    """
    if amount is None or amount == "":
        return None
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    if not value.is_finite():
        return str(amount)
    cents = value.quantize(Decimal("0.01"))
    if cents == value:
        value = cents
    else:
        value = value.normalize()
    text = f"{value:,f}"
    code = (currency or "").upper()
    if not code:
        return text
    symbol = _SYMBOLS.get(code)
    if symbol:
        return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"
    return f"{code} {text}"


# --- shipments ---------------------------------------------------------------------------------------------


def _shipment(shipment: Mapping[str, Any] | BaseModel) -> Mapping[str, Any]:
    return shipment.model_dump(mode="json") if isinstance(shipment, BaseModel) else shipment


def is_delivered(shipment: Mapping[str, Any] | BaseModel) -> bool:
    data = _shipment(shipment)
    return data.get("status") == "delivered" or bool(data.get("delivered_at"))


def is_late(shipment: Mapping[str, Any] | BaseModel, now: datetime, tz: str | tzinfo | None = None) -> bool:
    """Not delivered and its estimated delivery day is before today (both days in `tz`, default `now`'s zone).

    Days, not instants: an ETA of "Nov 27" is not late on the afternoon of Nov 27.
    """
    data = _shipment(shipment)
    if is_delivered(data) or data.get("status") == "returned_to_sender":
        return False
    eta = parse_time(data.get("estimated_delivery"))
    if eta is None:
        return False
    zone_ = _tz(tz) if tz is not None else _aware(now).tzinfo
    assert zone_ is not None
    return eta.astimezone(zone_).date() < _aware(now).astimezone(zone_).date()


def latest_event(shipment: Mapping[str, Any] | BaseModel) -> dict[str, Any] | None:
    """The most recent tracking event (by time; the last listed when none has a time)."""
    events = [e for e in _shipment(shipment).get("events") or [] if isinstance(e, Mapping)]
    if not events:
        return None
    timed = [(t, i) for i, e in enumerate(events) if (t := parse_time(e.get("time"))) is not None]
    if not timed:
        return dict(events[-1])
    return dict(events[max(timed)[1]])


def last_activity(shipment: Mapping[str, Any] | BaseModel) -> datetime | None:
    """When the package was last heard of: its latest event's time, else when it shipped."""
    data = _shipment(shipment)
    times = [t for e in data.get("events") or [] if isinstance(e, Mapping) and (t := parse_time(e.get("time")))]
    if times:
        return max(times)
    return parse_time(data.get("shipped_at"))


def is_stale(shipment: Mapping[str, Any] | BaseModel, now: datetime, days: int = STALE_AFTER_DAYS) -> bool:
    """Not delivered and nothing heard for more than `days` days (latest event, else shipped_at)."""
    data = _shipment(shipment)
    if is_delivered(data) or data.get("status") == "returned_to_sender":
        return False
    last = last_activity(data)
    return last is not None and _aware(now) - last > timedelta(days=days)


# --- picking and shaping results ---------------------------------------------------------------------------


def pick_result(results: Sequence[Any]) -> dict[str, Any] | None:
    """The result to answer: the last one of a known kind, passing over argument mistakes when something
    better came before them (the model's retry that went wrong should not hide an answer it already had)."""
    known = [r for r in results if isinstance(r, Mapping) and r.get("result") in KINDS]
    if not known:
        return None
    meaningful = [r for r in known if r.get("result") != "invalid_arguments"]
    return dict((meaningful or known)[-1])


def _quantity(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def _item_key(item: Mapping[str, Any]) -> tuple[str, str]:
    if item.get("sku"):
        return ("sku", str(item["sku"]))
    return ("name", str(item.get("name") or ""))


def _items(items: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {"name": str(i.get("name") or i.get("sku")), "quantity": _quantity(i.get("quantity"))}
        for i in items if isinstance(i, Mapping) and (i.get("name") or i.get("sku"))
    ]


def _unshipped(order: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """Items not in any package that has left; None when that cannot be told from the result."""
    items = [i for i in order.get("items") or [] if isinstance(i, Mapping)]
    sent = [s for s in order.get("shipments") or [] if s.get("status") in _SHIPPED or is_delivered(s)]
    if not items or not sent or any(not s.get("items") for s in sent):
        return None
    remaining: dict[tuple[str, str], int] = {}
    for item in items:
        key = _item_key(item)
        remaining[key] = remaining.get(key, 0) + _quantity(item.get("quantity"))
    for shipment in sent:
        for line in shipment["items"]:
            keys = [("sku", str(line.get("sku"))), ("name", str(line.get("name")))]
            match = next((k for k in keys if k in remaining), None)
            if match is None:
                continue
            quantity = line.get("quantity")
            remaining[match] -= remaining[match] if quantity is None else _quantity(quantity)
    out = []
    for item in items:
        key = _item_key(item)
        if remaining.get(key, 0) > 0:
            out.append({"name": str(item.get("name") or item.get("sku")), "quantity": remaining[key]})
            remaining[key] = 0
    return out


class _Formatter:
    def __init__(self, language: str, tz: tzinfo, now: datetime, stale_after_days: int) -> None:
        self.language, self.tz, self.now, self.stale_after_days = language, tz, _aware(now), stale_after_days

    def date(self, value: Any) -> str | None:
        return format_date(value, language=self.language, tz=self.tz, now=self.now)

    def day(self, value: Any) -> str | None:
        return format_day(value, language=self.language, tz=self.tz, now=self.now)

    def time(self, value: Any) -> str | None:
        return format_time(value, language=self.language, tz=self.tz, now=self.now)

    def shipment(self, data: Mapping[str, Any], index: int, count: int) -> dict[str, Any]:
        delivered = is_delivered(data)
        status = "delivered" if delivered else str(data.get("status") or "unknown")
        event = latest_event(data)
        eta = data.get("estimated_delivery")
        # A package waiting at a pickup point has arrived: no arrival day to promise, nothing late, and no news
        # from the carrier is expected while it waits.
        waiting = status == "available_for_pickup"
        late = not waiting and is_late(data, self.now, self.tz)
        stale = not waiting and is_stale(data, self.now, self.stale_after_days)
        if waiting:
            eta = None
        return {
            "index": index,
            "count": count,
            "carrier": data.get("carrier"),
            "tracking_number": data.get("tracking_number"),
            "tracking_url": data.get("tracking_url"),
            "status": status,
            "products": _items(data.get("items") or []),
            "event": None if event is None else {
                "description": event.get("description"),
                "status": event.get("status"),
                "location": event.get("location"),
                "when": self.time(event.get("time")),
            },
            # A package the carrier reports in trouble or coming back has no arrival to promise; a passed
            # estimate is still said, as the day it was expected.
            "eta": None if delivered or not eta or (status in _NO_PROMISE and not late)
            else format_eta(eta, language=self.language, tz=self.tz, now=self.now),
            "delivered_on": self.day(data.get("delivered_at")) if delivered else None,
            "late": late,
            "stale": stale,
            "last_heard": self.date(last_activity(data)) if stale else None,
            "trouble": status if status in _TROUBLE else None,
        }

    def order(self, data: Mapping[str, Any]) -> dict[str, Any]:
        raw_shipments = [s for s in data.get("shipments") or [] if isinstance(s, Mapping)]
        shipments = [self.shipment(s, i + 1, len(raw_shipments)) for i, s in enumerate(raw_shipments)]
        status = str(data.get("status") or "unknown")
        moving = [s for s in shipments if s["status"] in _SHIPPED]
        if status == "shipped" and shipments and all(s["status"] == "delivered" for s in shipments):
            status = "delivered"
        elif status in ("pending", "processing", "unknown") and moving:
            # The order's own status lags behind its carrier in many stores (WooCommerce has no "shipped").
            status = "shipped"
        if status == "delivered":
            # The store says delivered while a carrier feed lags: no transit news, ETA or apology for those.
            for s in shipments:
                if s["status"] != "delivered":
                    s.update(status="unknown", eta=None, late=False, stale=False, trouble=None)
        delivered_at = [t for s in raw_shipments if (t := parse_time(s.get("delivered_at")))]
        changed = data.get("updated_at") or None
        items = _items(data.get("items") or [])
        return {
            "id": data.get("id") or data.get("external_ref_id"),
            "status": status,
            "status_text": data.get("status_text"),
            "placed": self.date(data.get("created_at")),
            "changed_on": self.day(changed) if changed else None,
            "placed_on": self.day(data.get("created_at")),
            "total": format_amount(data.get("total"), data.get("currency")),
            "products": items,
            "product_count": sum(i["quantity"] for i in items),
            "first_product": items[0] if items else None,
            "more_products": max(len(items) - 1, 0),
            "unshipped": _unshipped(data) if status == "partially_shipped" else None,
            "shipments": shipments,
            "delivered_on": self.day(max(delivered_at)) if status == "delivered" and delivered_at else None,
            "late": any(s["late"] for s in shipments),
            "stale": any(s["stale"] for s in shipments),
            "trouble": any(s["trouble"] for s in shipments),
            "all_label": bool(shipments) and all(s["status"] == "label_created" for s in shipments),
        }


def _created(order: Mapping[str, Any]) -> float:
    moment = parse_time(order.get("created_at"))
    return moment.timestamp() if moment else float("-inf")


# --- rendering ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("prompts", "answers"),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def _template_name(language: str) -> str:
    return "zh.j2" if language == "zh" else "en.j2"


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _render(language: str, **context: Any) -> str:
    return _tidy(_environment().get_template(_template_name(language)).render(**context))


def render_message(kind: str, *, language: str) -> str:
    """A reply that answers no tool result (one of `MESSAGES`)."""
    if kind not in MESSAGES:
        raise ValueError(f"unknown message kind {kind!r} (expected one of {', '.join(MESSAGES)})")
    return _render(language, kind=kind)


def render_answer(
    results: Sequence[dict[str, Any]], *, language: str, merchant: MerchantInfo, now: datetime,
    stale_after_days: int = STALE_AFTER_DAYS,
) -> str:
    """One reply from the tool results of the current turn (the last meaningful one); a greeting when there are
    none. Dates are given in the merchant's timezone relative to `now`."""
    result = pick_result(results)
    if result is None:
        return render_message("greeting", language=language)
    kind = str(result["result"])
    if kind != "found":
        ask_for = [a for a in result.get("ask_for") or [] if isinstance(a, str)]
        return _render(language, kind=kind, ask_for=ask_for)
    fmt = _Formatter(language, zone(merchant.timezone), now, stale_after_days)
    views = [o for o in result.get("orders") or [] if isinstance(o, Mapping)]
    if not views:
        return _render(language, kind="not_found", ask_for=[])
    views = sorted(views, key=_created, reverse=True)
    if result.get("disclosure") == "status":
        # The order number alone shows status and tracking, never what was bought (nor in a package's contents).
        views = [{**v, "items": [], "shipments": [{**s, "items": []} for s in v.get("shipments") or []
                                                   if isinstance(s, Mapping)]} for v in views]
    orders = [fmt.order(v) for v in views]
    more = result.get("more") if isinstance(result.get("more"), int) else 0
    return _render(language, kind="found" if len(orders) == 1 else "several", orders=orders, more=more,
                   disclosure=result.get("disclosure", "full"))
