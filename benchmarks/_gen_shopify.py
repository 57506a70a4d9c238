"""Realistic Shopify Admin REST orders for benchmarks: seeded, so every run maps the same payloads.

Customers repeat (a pool smaller than the order count, with a few regulars), phones come in the formats shoppers
type, shops write times with their own offset, and fulfillments agree with each order's fulfillment_status.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

__all__ = ["generate_orders"]

_FIRST = ("Jane John Maria Wei Omar Aisha Lucas Emma Noah Olivia Liam Sofia Mateo Chloe Arjun Priya Kenji Yuki Ana "
          "Tom Kim Sam Leah Ivan Fatima Diego Mei Hugo Nora Ravi").split()
_LAST = ("Doe Smith Garcia Chen Haddad Khan Martin Muller Rossi Silva Nguyen Lee Patel Tanaka Kowalski Brown Lopez "
         "Dubois Jensen Novak Okafor Cohen Singh Ivanova Murphy").split()
_CITIES = (
    ("San Francisco", "California", "94103", "US", -7), ("Austin", "Texas", "78701", "US", -5),
    ("Brooklyn", "New York", "11201", "US", -4), ("Toronto", "Ontario", "M5H 2M9", "CA", -4),
    ("Denver", "Colorado", "80202", "US", -6), ("London", "England", "SW1A 1AA", "GB", 1),
    ("Berlin", "Berlin", "10115", "DE", 2), ("Sydney", "New South Wales", "2000", "AU", 10),
)
_STREETS = ("Main Street", "Market St", "Queen Street West", "Harbour Road", "Elm Avenue", "Mission St", "High Street")
_GATEWAYS: tuple[list[str], ...] = (
    ["shopify_payments"], ["shopify_payments"], ["shopify_payments"], ["paypal"], ["gift_card", "shopify_payments"],
    ["manual"], [],
)
_ADJECTIVES = ("Trail", "Classic", "Cirrus", "Ridge", "Harbor")
_NOUNS = ("Boot", "Tent", "Mug", "Jacket", "Lamp", "Socks")
_CARRIERS = ("UPS", "USPS", "FedEx", "DHL Express", "Canada Post", "Royal Mail", None)
# (financial_status, fulfillment_status, weight): a shop's usual mix, most orders already shipped.
_STATES = (
    ("paid", "fulfilled", 50), ("paid", None, 14), ("paid", "partial", 6), ("authorized", None, 4),
    ("pending", None, 4), ("partially_refunded", "fulfilled", 4), ("refunded", "fulfilled", 3), ("voided", None, 2),
    ("paid", "restocked", 1), ("partially_paid", None, 1), ("refunded", None, 2),
)
_SHIPMENT_STATUS = ("delivered", "delivered", "delivered", "in_transit", "in_transit", "out_for_delivery",
                    "label_printed", "confirmed", "attempted_delivery", "ready_for_pickup", "failure", "delayed",
                    "carrier_picked_up", None, None)
_DIGITS = "0123456789"
_UPS_CHARS = "0123456789ABCDEFGHJKLMNPRSTVWXYZ"


def _phone(r: random.Random, country: str) -> str:
    """One number, written the way a shopper in `country` might type it."""
    if country in ("US", "CA"):
        area, mid, last = r.randint(201, 989), r.randint(200, 999), r.randint(0, 9999)
        return r.choice((
            f"+1{area}{mid}{last:04d}", f"({area}) {mid}-{last:04d}", f"{area}-{mid}-{last:04d}",
            f"{area}.{mid}.{last:04d}", f"+1 {area} {mid} {last:04d}", f"{area}{mid}{last:04d}",
            f"1-{area}-{mid}-{last:04d}",
        ))
    if country == "GB":
        rest = r.randint(100000, 999999)
        return r.choice((f"+447700{rest}", f"07700 {rest}", f"+44 7700 {rest}"))
    if country == "DE":
        rest = r.randint(1000000, 9999999)
        return r.choice((f"+4930{rest}", f"+49 30 {rest}", f"030 {rest}"))
    rest = r.randint(10000000, 99999999)
    return r.choice((f"+614{rest}", f"04{rest // 10} {rest % 10}", f"+61 4{rest}"))


def _customer(r: random.Random, cid: int) -> dict[str, Any]:
    first, last = r.choice(_FIRST), r.choice(_LAST)
    city, province, zip_code, country, offset = r.choice(_CITIES)
    phone = _phone(r, country)
    address = {
        "first_name": first, "last_name": last, "name": f"{first} {last}", "company": None,
        "address1": f"{r.randint(1, 9999)} {r.choice(_STREETS)}",
        "address2": r.choice((None, None, "Apt 4B", "Unit 12")),
        "city": city, "province": province, "province_code": None, "zip": zip_code, "country": country,
        "country_code": country, "phone": phone if r.random() < 0.8 else None,
    }
    return {
        "customer": {
            "id": 6000000 + cid, "email": f"{first}.{last}{cid}@example.com".lower(), "first_name": first,
            "last_name": last, "phone": phone if r.random() < 0.4 else None, "state": "enabled",
            "verified_email": True, "default_address": address,
        },
        "address": address,
        "offset": timezone(timedelta(hours=offset)),
        "phone": phone,
    }


def _ups(r: random.Random) -> str:
    body = "".join(r.choice(_UPS_CHARS) for _ in range(6)) + r.choice(("01", "02", "03", "12")) + "".join(
        r.choice(_DIGITS) for _ in range(7))
    total = sum((int(c) if c.isdigit() else (ord(c) - 63) % 10) * (2 if i % 2 else 1) for i, c in enumerate(body))
    return f"1Z{body}{(10 - total % 10) % 10}"


def _tracking(r: random.Random, carrier: str | None) -> str:
    if carrier in ("UPS", None):
        return _ups(r)
    return "".join(r.choice(_DIGITS) for _ in range(r.choice((12, 16, 20, 22))))


def _product(r: random.Random, i: int) -> dict[str, Any]:
    title = f"{r.choice(_ADJECTIVES)} {r.choice(_NOUNS)}"
    price = f"{r.randint(5, 400)}.{r.choice(('00', '50', '95', '99'))}"
    return {"product_id": 7000000 + i, "variant_id": 9000000 + i, "sku": f"SKU-{i:05d}", "title": title,
            "variant_title": r.choice((None, "S", "M", "L", "Black / 42")), "price": price}


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def generate_orders(count: int, seed: int = 1042) -> list[dict[str, Any]]:
    """`count` Shopify orders, the same for the same seed."""
    r = random.Random(seed)
    # Regulars: a fifth of the pool places about half the orders.
    pool = [_customer(r, i) for i in range(max(1, count // 4))]
    regulars = pool[: max(1, len(pool) // 5)]
    products = [_product(r, i) for i in range(500)]
    states = [s[:2] for s in _STATES]
    weights = [s[2] for s in _STATES]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    orders = []
    for n in range(count):
        who = r.choice(regulars) if r.random() < 0.5 else r.choice(pool)
        financial, fulfillment = r.choices(states, weights)[0]
        created = (start + timedelta(seconds=r.randint(0, 300 * 86400))).astimezone(who["offset"])
        line_items: list[dict[str, Any]] = []
        prices: list[tuple[str, int]] = []
        for line, product in enumerate(r.sample(products, r.randint(1, 4))):
            title, variant = product["title"], product["variant_title"]
            quantity = r.choice((1, 1, 1, 2, 3))
            prices.append((product["price"], quantity))
            line_items.append({
                "id": 13000000 + n * 4 + line, "sku": product["sku"], "title": title, "variant_title": variant,
                "name": f"{title} - {variant}" if variant else title, "quantity": quantity,
                "price": product["price"], "product_id": product["product_id"], "variant_id": product["variant_id"],
                "fulfillment_status": fulfillment if fulfillment in ("fulfilled", "restocked") else None,
                "requires_shipping": True, "gift_card": False,
            })
        fulfillments = []
        if fulfillment is not None:
            parts = 1 if fulfillment == "restocked" or len(line_items) == 1 else r.choice((1, 1, 2))
            for part in range(parts):
                carrier = r.choice(_CARRIERS)
                number = _tracking(r, carrier)
                shipped = created + timedelta(hours=r.randint(4, 72) + part * 24)
                fulfillments.append({
                    "id": 4000000 + n * 2 + part, "status": "cancelled" if r.random() < 0.03 else "success",
                    "created_at": _iso(shipped), "updated_at": _iso(shipped + timedelta(days=2)),
                    "tracking_company": carrier, "tracking_number": number, "tracking_numbers": [number],
                    "tracking_url": None, "tracking_urls": [],
                    "shipment_status": "delivered" if fulfillment == "restocked" else r.choice(_SHIPMENT_STATUS),
                    "line_items": line_items[part::parts],
                })
        subtotal = sum(float(product_price) * quantity for product_price, quantity in prices)
        cancelled = financial in ("voided", "refunded") and fulfillment is None
        customer, address = who["customer"], who["address"]
        orders.append({
            "id": 5600000000000 + n, "admin_graphql_api_id": f"gid://shopify/Order/{5600000000000 + n}",
            "name": f"#{1001 + n}", "order_number": 1001 + n, "email": customer["email"],
            "phone": who["phone"] if r.random() < 0.3 else None,
            "created_at": _iso(created), "updated_at": _iso(created + timedelta(hours=r.randint(0, 240))),
            "processed_at": _iso(created), "cancelled_at": _iso(created + timedelta(hours=5)) if cancelled else None,
            "cancel_reason": "customer" if cancelled else None, "closed_at": None,
            "financial_status": financial, "fulfillment_status": fulfillment, "currency": "USD",
            "subtotal_price": f"{subtotal:.2f}", "total_tax": f"{subtotal * 0.08:.2f}",
            "total_price": f"{subtotal * 1.08:.2f}", "payment_gateway_names": r.choice(_GATEWAYS),
            "gateway": "shopify_payments", "customer": customer,
            "shipping_address": address if r.random() < 0.97 else None, "billing_address": address,
            "line_items": line_items, "fulfillments": fulfillments, "tags": "", "note": None,
        })
    return orders
