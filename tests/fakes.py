"""Test doubles for the order side. (Fakes live only in tests.)"""

from __future__ import annotations

from typing import Any

from evals.source import MemorySource
from tools.schema import Order
from tools.sources import Key, MerchantUnavailable


class ListSource(MemorySource):
    """The evals' in-memory source (the store's matching rules), able to fail like a merchant that is down."""

    def __init__(self, orders: list[Order], fail: bool = False) -> None:
        super().__init__(orders)
        self.fail = fail

    def find(self, key: Key, value: str) -> list[Order]:
        if self.fail:
            self.calls.append((key, value))
            raise MerchantUnavailable("GET http://merchant/orders: HTTP 503 after 3 attempts (token abc)")
        return super().find(key, value)


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
