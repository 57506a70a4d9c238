"""Seeded synthetic orders in the generic preset's format, for the store benchmark (one JSON object a line).

The shape follows the seed endpoint (id, status, customer, shipping_address, items, total, currency,
tracking_number, external_ref_id) with the variety that costs time when mapping: national-format phones
that need parsing, several items, some orders with shipments and tracking events, some without a carrier.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["generate_orders", "order_id", "write_jsonl"]

_FIRST = ["Jane", "Sam", "Alex", "Maria", "Wei", "Li", "Noah", "Emma", "Lukas", "Sofia", "Hiro", "Priya"]
_LAST = ["Doe", "Lee", "Smith", "Garcia", "Zhang", "Wang", "Brown", "Müller", "Rossi", "Martin", "Kim", "Patel"]
_PRODUCTS = [("TENT-2P", "Two-person tent", "189.00"), ("STAKE-8", "Tent stakes (8)", "12.50"),
             ("BAG-20", "Sleeping bag 20F", "129.95"), ("LAMP-H", "Head lamp", "24.00"),
             ("STOVE-1", "Camp stove", "59.99"), ("MUG-TI", "Titanium mug", "29.00"),
             ("PACK-45", "Backpack 45L", "149.00"), ("SOCK-W", "Wool socks", "18.00")]
_STATUSES = ["pending", "processing", "shipped", "shipped", "delivered", "delivered", "delivered", "cancelled",
             "refunded", "on-hold"]
_CARRIERS = ["UPS", "USPS", "FedEx", "DHL", None]
_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def order_id(i: int) -> str:
    """The order number of synthetic order `i` (what lookups in the benchmark ask for)."""
    return f"#{100000 + i}"


def ref_id(i: int) -> str:
    return f"R{i * 7919 % 10_000_019:08d}"


def email(customer: int) -> str:
    return f"customer{customer}@example.com"


def phone(customer: int) -> str:
    """E.164 of a customer; a US number whose last 7 digits spread over the whole range."""
    n = (customer * 2_654_435_761) % 10_000_000
    return f"+1{415 + customer % 300:03d}{n:07d}"


def generate_orders(n: int, seed: int = 42) -> Iterator[dict[str, object]]:
    """`n` orders; about three orders per customer, so email and phone lookups return a few orders."""
    rnd = random.Random(seed)
    customers = max(1, n // 3)
    for i in range(n):
        c = rnd.randrange(customers)
        created = _EPOCH + timedelta(seconds=rnd.randrange(365 * 86400))
        items = []
        total = 0.0
        for sku, name, price in rnd.sample(_PRODUCTS, rnd.choice((1, 1, 2, 3))):
            qty = rnd.choice((1, 1, 1, 2))
            items.append({"sku": sku, "name": name, "quantity": qty, "price": price})
            total += float(price) * qty
        e164 = phone(c)
        # A tenth of the exports write the phone the way people type it, which the mapper must parse.
        shown_phone = e164 if rnd.random() < 0.9 else f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"
        status = rnd.choice(_STATUSES)
        order: dict[str, object] = {
            "id": order_id(i),
            "status": status,
            "created_at": created.isoformat().replace("+00:00", "Z"),
            "customer": {"email": email(c), "phone": shown_phone, "name": f"{_FIRST[c % 12]} {_LAST[c // 12 % 12]}"},
            "shipping_address": {"line1": f"{c % 9000 + 1} Main Street", "city": "San Francisco",
                                 "postal_code": f"{94000 + c % 1000}", "country": "US"},
            "items": items,
            "total": f"{total:.2f}",
            "currency": "USD",
            "external_ref_id": ref_id(i),
        }
        if status in ("shipped", "delivered"):
            carrier = rnd.choice(_CARRIERS)
            shipped = created + timedelta(days=1)
            order["tracking_number"] = f"1Z{i:016d}"
            if carrier:
                order["carrier"] = carrier
            order["shipped_at"] = shipped.isoformat()
            if rnd.random() < 0.3:
                order["events"] = [
                    {"time": shipped.isoformat(), "status": "in_transit", "description": "Departed facility",
                     "location": "Oakland, CA"},
                    {"time": (shipped + timedelta(days=2)).isoformat(), "status": "out_for_delivery",
                     "location": "San Francisco, CA"},
                ]
        yield order


def write_jsonl(path: Path, n: int, seed: int = 42) -> Path:
    """Write `n` orders to `path` as JSON Lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with path.open("w", encoding="utf-8") as fh:
        batch: list[str] = []
        for order in generate_orders(n, seed):
            batch.append(dumps(order))
            if len(batch) >= 10_000:
                fh.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            fh.write("\n".join(batch) + "\n")
    return path
