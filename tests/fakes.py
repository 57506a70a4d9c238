"""Test doubles for the order side. (Fakes live only in tests.)"""

from __future__ import annotations

from typing import Any

from tools.phones import last7
from tools.schema import Order
from tools.sources import MerchantUnavailable, normalise_email, normalise_order_id


class ListSource:
    """An order source over a list: exact keys, and last-7 near matches for phones, as the store behaves."""

    def __init__(self, orders: list[Order], fail: bool = False) -> None:
        self.orders = orders
        self.fail = fail
        self.calls: list[tuple[str, str]] = []

    def find(self, key: str, value: str) -> list[Order]:
        self.calls.append((key, value))
        if self.fail:
            raise MerchantUnavailable("GET http://merchant/orders: HTTP 503 after 3 attempts (token abc)")
        if key == "order_id":
            return [o for o in self.orders if o.id and normalise_order_id(o.id) == normalise_order_id(value)]
        if key == "ref_id":
            return [o for o in self.orders if o.external_ref_id == value]
        if key == "email":
            wanted = normalise_email(value)
            return [o for o in self.orders if o.customer.email and normalise_email(o.customer.email) == wanted]
        return [o for o in self.orders if o.customer.phone and last7(o.customer.phone) == last7(value)]

    def close(self) -> None:
        pass


def make_order(id_: str, email: str, phone: str, *, postal: str = "94103", created: str = "2026-11-01T10:00:00Z",
               item_name: str = "Tent", **kw: Any) -> Order:
    return Order.model_validate(
        {
            "id": id_,
            "status": "shipped",
            "created_at": created,
            "customer": {"name": "Jane Doe", "email": email, "phone": phone},
            "shipping_address": {"line1": "742 Evergreen Terrace", "line2": "Apt 4", "city": "Springfield",
                                 "region": "OR", "postal_code": postal, "country": "US", "phone": phone},
            "items": [{"sku": "A1", "name": item_name, "quantity": 1, "price": "10.00"}],
            "total": "10.00",
            "currency": "USD",
            "shipments": [{"carrier": "UPS", "tracking_number": "1Z999AA10123456784", "status": "in_transit",
                           "shipped_at": "2026-11-20T10:00:00Z", "estimated_delivery": "2026-11-27T20:00:00Z",
                           "events": [{"time": "2026-11-24T18:00:00Z", "status": "in_transit",
                                       "description": "Departed facility", "location": "Portland, OR"}]}],
            **kw,
        }
    )
