"""An in-memory order source for eval cases: a case's orders are few, and each trial gets its own source."""

from __future__ import annotations

from collections.abc import Iterable

from tools.phones import last7
from tools.schema import Order
from tools.sources import Key, normalise_email, normalise_order_id

__all__ = ["MemorySource"]


def _phone_key(phone: str) -> str:
    # As the embedded store does: a number too short for a last-7 key is found by its exact text.
    return last7(phone) or phone.strip()


class MemorySource:
    """Finds orders as the embedded store does: ids and references without '#', spaces or case, emails
    case-insensitively, phones by exact E.164 or the same last seven digits (the lookup layer then demands the
    full number)."""

    def __init__(self, orders: Iterable[Order]) -> None:
        self.orders = sorted(orders, key=lambda o: o.created_at.timestamp() if o.created_at else float("-inf"),
                             reverse=True)
        self.calls: list[tuple[Key, str]] = []

    def find(self, key: Key, value: str) -> list[Order]:
        self.calls.append((key, value))
        if key in ("order_id", "ref_id"):
            wanted = normalise_order_id(value)
            field = "id" if key == "order_id" else "external_ref_id"
            return [o for o in self.orders if wanted and (v := getattr(o, field)) and normalise_order_id(v) == wanted]
        if key == "email":
            email = normalise_email(value)
            return [o for o in self.orders if email and o.customer.email and normalise_email(o.customer.email) == email]
        if key == "phone":
            probe = _phone_key(value)
            return [o for o in self.orders if probe and probe in _phones(o)]
        raise ValueError(f"unknown lookup key {key!r}")

    def close(self) -> None:
        pass


def _phones(order: Order) -> set[str]:
    phones = {order.customer.phone, order.shipping_address.phone if order.shipping_address else None}
    return {_phone_key(p) for p in phones if p and p.strip()}
