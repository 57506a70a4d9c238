"""`mapping check`: map a sample and report what a merchant must fix."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tools.errors import RecordError, SampleError
from tools.files import Payload
from tools.mapping import Mapper
from tools.policy import is_placeholder_postal_code
from tools.schema import Order, OrderStatus, money_text

__all__ = ["CheckReport", "check_sample", "far_total", "missing_minimum", "source_fields"]

TOTAL_BELOW = Decimal("0.5")
"""A total under this share of what the items add up to is reported: discounts rarely take half an order."""
TOTAL_ABOVE = Decimal(10)
"""A total over this many times what the items add up to is reported: shipping and tax never add nine times."""


def missing_minimum(order: Order) -> list[str]:
    """Which of the seed endpoint's minimum fields `order` lacks: id, status, email or phone, one item, total,
    currency. A status that fell to `unknown` counts as missing."""
    missing = []
    if not order.id:
        missing.append("id")
    if order.status == OrderStatus.UNKNOWN:
        missing.append("status")
    if not (order.customer.email or order.customer.phone):
        missing.append("email or phone")
    if not order.items:
        missing.append("items")
    if order.total is None:
        missing.append("total")
    if not order.currency:
        missing.append("currency")
    return missing


def far_total(order: Order) -> tuple[Decimal, Decimal] | None:
    """`order`'s total and what its items add up to (price x quantity) when the two are far apart: the total under
    TOTAL_BELOW of the sum or over TOTAL_ABOVE times it, which is a field mapped wrongly (a count of items, cents
    read as dollars) rather than shipping, tax or a discount. None when they are close, or when the total or a
    price is missing."""
    total = order.total
    if total is None or not order.items:
        return None
    items = Decimal(0)
    for item in order.items:
        if item.price is None:
            return None  # a partial sum says nothing about the total
        items += item.price * item.quantity
    if items <= 0 or TOTAL_BELOW * items <= total <= TOTAL_ABOVE * items:
        return None
    return total, items


def source_fields(value: Any, prefix: str = "") -> set[str]:
    """Normalised paths of every leaf in a record (`line_items[].sku`)."""
    out: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            out |= source_fields(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        for inner in value:
            out |= source_fields(inner, f"{prefix}[]")
    elif prefix:
        out.add(prefix)
    return out


def _is_used(leaf: str, used: frozenset[str]) -> bool:
    """Whether the mapping reads `leaf`, or an object or list it is in, or one of its values (a list of text read by
    index, `street[0]`, is `street[]` to the mapping)."""
    if leaf in used or f"{leaf}[]" in used:
        return True
    parts = [leaf[: i] for i, ch in enumerate(leaf) if ch in ".["]
    return any(p in used for p in parts)


@dataclass
class CheckReport:
    orders: list[Order]
    records: int
    incomplete: list[tuple[str, list[str]]] = field(default_factory=list)
    """(order id or record position, missing fields)."""
    errors: list[str] = field(default_factory=list)
    unknown_labels: Counter[tuple[str, str]] = field(default_factory=Counter)
    unused: list[str] = field(default_factory=list)
    far_totals: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)
    """(order, its total, what its items add up to) for totals far from the items: warnings, not errors."""
    placeholder_postal_codes: Counter[str] = field(default_factory=Counter)
    """Postal codes that stand for none ("N/A", "00000", "-"), by value: they never verify a shopper."""

    @property
    def ok(self) -> bool:
        return bool(self.orders) and not self.incomplete and not self.errors

    def lines(self) -> list[str]:
        out = [f"{self.records} record(s) -> {len(self.orders)} order(s)"]
        if self.errors:
            out.append(f"could not map ({len(self.errors)}):")
            out += [f"  {e}" for e in self.errors]
        if not self.orders:
            out.append("no orders: the sample has no records the mapping could map (an empty file or list, or the "
                       "orders are somewhere the mapping does not look)")
        elif self.incomplete:
            out.append(f"missing minimum fields ({len(self.incomplete)} order(s)):")
            out += [f"  {who}: {', '.join(missing)}" for who, missing in self.incomplete]
        else:
            out.append("minimum fields: every order has id, status, email or phone, an item, total and currency")
        if self.unknown_labels:
            out.append("status labels that fell to 'unknown' (add them to the field's map):")
            out += [f"  {fld}: {label!r} x{n}" for (fld, label), n in sorted(self.unknown_labels.items())]
        if self.far_totals:
            out.append(f"totals far from what their items add up to ({len(self.far_totals)} order(s); under "
                       f"{TOTAL_BELOW:%} or over {TOTAL_ABOVE}x the items' price x quantity: check what total and the "
                       "prices read):")
            out += [f"  {who}: total {money_text(total)}, items {money_text(items)}"
                    for who, total, items in self.far_totals]
        if self.placeholder_postal_codes:
            out.append(f"placeholder postal codes ({self.placeholder_postal_codes.total()} order(s); they never "
                       "verify a shopper, so leave the field empty where there is none):")
            out += [f"  shipping_address.postal_code: {code!r} x{n}"
                    for code, n in sorted(self.placeholder_postal_codes.items())]
        if self.unused:
            out.append(f"source fields never used ({len(self.unused)}):")
            out += [f"  {name}" for name in self.unused]
        return out


def check_sample(mapper: Mapper, payload: Payload) -> CheckReport:
    """Map every record of `payload` and report missing minimum fields, unknown labels and unused fields, and warn
    of totals far from their items and of placeholder postal codes."""
    try:
        records = payload.data if payload.kind != "json" or payload.data == [] else mapper.records(payload.data)
    except RecordError as exc:
        raise SampleError(f"{payload.path or 'sample'}: {exc}") from None
    mapped = mapper.map_records(records, notes=True)
    report = CheckReport(mapped.orders, len(records))
    for order, sources in zip(mapped.orders, mapped.sources, strict=True):
        where = payload.line_of(sources[0])
        who = f"order {order.id} ({where})" if order.id else where
        missing = missing_minimum(order)
        if missing:
            report.incomplete.append((who, missing))
        far = far_total(order)
        if far is not None:
            report.far_totals.append((who, *far))
        postal_code = order.shipping_address.postal_code if order.shipping_address else None
        if postal_code and is_placeholder_postal_code(postal_code):
            report.placeholder_postal_codes[postal_code] += 1
    report.errors = [f"{payload.line_of(e.record or 0)}: {e.field}: {e.reason}{payload.note_of(e.record or 0)}"
                     for e in mapped.errors]
    report.unknown_labels = Counter(mapped.unknown_labels)
    seen: set[str] = set()
    for record in records:
        seen |= source_fields(record)
    report.unused = sorted(leaf for leaf in seen if not _is_used(leaf, mapper.used_fields))
    return report
