"""The disclosure policy: what the model may see of an order, decided here in code and nowhere else.

Prompts never widen it: the model only ever receives the views built by this module. Contact details and
street lines are masked even when an order is disclosed; city, region and postal code are kept.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tools.phones import to_e164
from tools.schema import Order, Shipment, money_text
from tools.sources import normalise_email

__all__ = [
    "Disclosure",
    "is_placeholder_postal_code",
    "mask_email",
    "mask_phone",
    "mask_street",
    "matches_email",
    "matches_phone",
    "matches_postal_code",
    "order_region",
    "order_summary",
    "order_view",
]


class Disclosure(StrEnum):
    """How much of an order the model may see."""

    FULL = "full"
    """Verified: status, items, totals, shipments, masked contact and address."""
    STATUS = "status"
    """`verification: order_number` on the order ID alone: status, shipments and ETA only."""


def mask_email(email: str | None) -> str | None:
    """`jane@example.com` -> `j***@example.com`."""
    if not email:
        return None
    local, at, domain = email.strip().rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str | None) -> str | None:
    """`+14155550199` -> `***0199`: the last four digits only."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    return f"***{digits[-4:]}" if len(digits) >= 4 else "***"


def mask_street(line: str | None) -> str | None:
    """`742 Evergreen Terrace` -> `742 E*** Terrace`: the house number, an initial and the street type."""
    if not line or not line.strip():
        return None
    tokens = line.split()
    if len(tokens) == 1:
        word = tokens[0]
        return f"{word[:2]}***" if len(word) > 2 else "***"
    out: list[str] = []
    masked = False
    for i, token in enumerate(tokens):
        last = i == len(tokens) - 1
        if i == 0 and any(ch.isdigit() for ch in token):
            out.append(token)
        elif not masked:
            out.append(f"{token[0]}***")
            masked = True
        elif last and len(tokens) > 2 and token.isalpha():
            out.append(token)
    return " ".join(out)


def matches_email(order: Order, email: str | None) -> bool:
    return bool(email and order.customer.email and normalise_email(order.customer.email) == normalise_email(email))


def order_region(order: Order, region: str | None) -> str | None:
    """The order's shipping country when phones there are read otherwise than in the merchant's `region`: a UK
    order of a US store keeps its phone as the shopper wrote it, "0113 496 0000"."""
    country = order.shipping_address.country if order.shipping_address else None
    code = country.strip().upper() if country else None
    if not code or code == (region or "").upper() or len(code) != 2:
        return None
    import phonenumbers

    return code if code in phonenumbers.SUPPORTED_REGIONS else None


def _order_phones(order: Order, region: str | None) -> set[str]:
    phones = {order.customer.phone, order.shipping_address.phone if order.shipping_address else None}
    regions = [region, order_region(order, region)]
    return {e for p in phones if p for r in regions if (e := to_e164(p, r)) and e.startswith("+")}


def matches_phone(order: Order, phone_e164: str | None, region: str | None) -> bool:
    """The full number matches the customer's or the shipping phone (never the last digits alone), those read in
    the merchant's `region` or in the order's own country (`order_region`)."""
    return bool(phone_e164) and phone_e164 in _order_phones(order, region)


def _postal(value: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


_NO_POSTAL_CODE = frozenset({"NA", "NONE", "NULL", "NIL", "UNKNOWN", "XXX", "XXXXX", "TBD",
                             # Chinese shops' stand-ins for Hong Kong and Macau, which have no postal codes.
                             "999077", "999078"})


def is_placeholder_postal_code(value: str | None) -> bool:
    """A stand-in exports write where an address has no postal code ("N/A", "00000", "-"): never a secret, so
    it verifies nothing. A real code has three or more characters, a digit, and not one character repeated."""
    code = _postal(value or "")
    return len(code) < 3 or code in _NO_POSTAL_CODE or not any(c.isdigit() for c in code) or len(set(code)) == 1


def matches_postal_code(order: Order, postal_code: str | None) -> bool:
    """Postal codes compare without spaces, dashes or case; a US ZIP matches its ZIP+4. A placeholder
    (`is_placeholder_postal_code`) matches nothing."""
    if not postal_code or not order.shipping_address or not order.shipping_address.postal_code:
        return False
    given, stored = _postal(postal_code), _postal(order.shipping_address.postal_code)
    if is_placeholder_postal_code(given) or is_placeholder_postal_code(stored):
        return False
    if given == stored:
        return True
    shorter, longer = sorted((given, stored), key=len)
    return len(shorter) == 5 and shorter.isdigit() and len(longer) == 9 and longer.startswith(shorter)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else money_text(amount)


def _shipment_view(shipment: Shipment, tz: tzinfo) -> dict[str, Any]:
    """A package as answers need it: carrier, number, link, status, dates, contents and the latest event."""
    latest = max(shipment.events, key=lambda e: e.time.timestamp() if e.time else float("-inf"), default=None)
    return {
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "status": shipment.status.value,
        "shipped_at": _when(shipment.shipped_at, tz),
        "estimated_delivery": _when(shipment.estimated_delivery, tz),
        "delivered_at": _when(shipment.delivered_at, tz),
        "items": [{"name": i.name or i.sku, "quantity": i.quantity} for i in shipment.items],
        # Only the latest event: it is what an answer reports, and older ones cost tokens on every turn.
        "events": [] if latest is None else [{
            "time": _when(latest.time, tz), "status": latest.status.value,
            "description": latest.description, "location": latest.location}],
    }


def _when(value: datetime | None, tz: tzinfo) -> str | None:
    """A time in the merchant's timezone, to the minute: the day a model reads off it is the shopper's day (an
    estimate of 02:00 UTC is the evening before in Los Angeles), and seconds say nothing to a shopper."""
    if value is None:
        return None
    return value.astimezone(tz).isoformat(timespec="minutes").replace("+00:00", "Z")


def _label(order: Order) -> str | None:
    """The merchant's label when it says more than the canonical status."""
    text = order.status_text
    if not text or re.sub(r"[\s_-]+", "", text.casefold()) == order.status.value.replace("_", ""):
        return None
    return text


def order_view(order: Order, disclosure: Disclosure, tz: tzinfo = UTC) -> dict[str, Any]:
    """The compact JSON-ready view of `order` the model may see at `disclosure`: canonical field names, times in
    the merchant's timezone `tz`, empty fields left out, contact details and street masked."""
    shipments = [_shipment_view(s, tz) for s in order.shipments]
    if disclosure == Disclosure.STATUS:
        for shipment in shipments:
            del shipment["items"]  # what was bought is a detail: it needs verification
        return _drop_none(
            {"id": order.id, "status": order.status.value, "status_text": _label(order),
             "updated_at": _when(order.updated_at, tz), "shipments": shipments}
        )
    address = order.shipping_address
    return _drop_none(
        {
            "id": order.id,
            "external_ref_id": order.external_ref_id,
            "status": order.status.value,
            "status_text": _label(order),
            "created_at": _when(order.created_at, tz),
            "updated_at": _when(order.updated_at, tz),
            "customer": {
                "name": order.customer.name,
                "email": mask_email(order.customer.email),
                "phone": mask_phone(order.customer.phone),
            },
            "shipping_address": None
            if address is None
            else {
                "line1": mask_street(address.line1),
                "city": address.city,
                "region": address.region,
                "postal_code": address.postal_code,
                "country": address.country,
            },
            "items": [{"name": i.name or i.sku, "quantity": i.quantity, "price": _money(i.price)} for i in order.items],
            "total": _money(order.total),
            "currency": order.currency,
            "shipments": shipments,
            "payment_method": order.payment_method,
        }
    )


def order_summary(order: Order, tz: tzinfo = UTC) -> dict[str, Any]:
    """One line of a list of a verified shopper's orders: enough to tell them apart and ask which (number, date,
    status, what was bought, total), none of the delivery detail that only the chosen order needs."""
    return _drop_none(
        {
            "id": order.id,
            "status": order.status.value,
            "status_text": _label(order),
            "created_at": _when(order.created_at, tz),
            "items": [{"name": i.name or i.sku, "quantity": i.quantity} for i in order.items],
            "total": _money(order.total),
            "currency": order.currency,
        }
    )
