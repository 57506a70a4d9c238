"""The canonical order schema: every merchant payload is mapped onto these models.

Downstream code (lookup tools, answers, evals) reads only these names. JSON output uses exactly the field
names below; money is `Decimal` and serialises as a string; datetimes are timezone-aware.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, field_validator

__all__ = [
    "Address",
    "Customer",
    "Item",
    "Money",
    "Order",
    "OrderStatus",
    "Shipment",
    "ShipmentItem",
    "ShipmentStatus",
    "TrackingEvent",
    "currency_code",
    "money_text",
]


class OrderStatus(StrEnum):
    """Where an order stands, whatever the merchant calls it."""

    PENDING = "pending"
    PROCESSING = "processing"
    ON_HOLD = "on_hold"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    RETURNED = "returned"
    UNKNOWN = "unknown"


class ShipmentStatus(StrEnum):
    """Where one package stands, whatever the carrier calls it."""

    LABEL_CREATED = "label_created"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERY_ATTEMPTED = "delivery_attempted"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED_TO_SENDER = "returned_to_sender"
    UNKNOWN = "unknown"


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return value


@cache
def _iso_4217() -> frozenset[str]:
    """The current ISO 4217 codes (pycountry's list), read once on first use: importing pycountry costs ~5 ms."""
    import pycountry

    return frozenset(currency.alpha_3 for currency in pycountry.currencies) | _WITHDRAWN


# Codes withdrawn from ISO 4217 since 2008 (pycountry lists only current ones): old orders still carry them.
_WITHDRAWN = frozenset("BYR CUC CYP EEK HRK LTL LVL MRO MTL SKK SLL STD VEF ZMK ZWL".split())


def currency_code(value: str | None) -> str | None:
    """An ISO 4217 code, upper-cased; ValueError when it is not one. Labels such as "RMB" or "¥" are read by the
    mapping (`tools._transforms.to_currency`), which knows the default currency; an Order takes only codes."""
    if value is None:
        return None
    code = value.strip().upper()
    if code not in _iso_4217():
        raise ValueError(f"{value!r} is not an ISO 4217 currency code (such as USD, EUR or CNY)")
    return code


def money_text(amount: Decimal) -> str:
    """An amount as JSON and tool results write it: every digit, never an exponent ("1E+3" is "1000")."""
    return format(amount, "f")


Money = Annotated[Decimal, PlainSerializer(money_text, return_type=str, when_used="json")]
"""A decimal amount in major units; JSON output is a string so no precision is lost."""

AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
Currency = Annotated[str, AfterValidator(currency_code)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False, use_enum_values=False)


class Customer(_Model):
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    """E.164 when it parsed with the merchant's region, else the merchant's text."""


class Address(_Model):
    name: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    phone: str | None = None


class Item(_Model):
    sku: str | None = None
    name: str | None = None
    quantity: int = 1
    price: Money | None = None
    image_url: str | None = None
    url: str | None = None
    product_id: str | None = None


class ShipmentItem(_Model):
    sku: str | None = None
    name: str | None = None
    quantity: int | None = None


class TrackingEvent(_Model):
    time: AwareDatetime | None = None
    status: ShipmentStatus = ShipmentStatus.UNKNOWN
    description: str | None = None
    location: str | None = None


class Shipment(_Model):
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    status: ShipmentStatus = ShipmentStatus.UNKNOWN
    shipped_at: AwareDatetime | None = None
    estimated_delivery: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None
    items: list[ShipmentItem] = Field(default_factory=list)
    events: list[TrackingEvent] = Field(default_factory=list)


class Order(_Model):
    id: str | None = None
    """The order number the shopper sees ("#1042", "ORD-12345")."""
    external_ref_id: str | None = None
    status: OrderStatus = OrderStatus.UNKNOWN
    status_text: str | None = None
    """The merchant's own label for the status, kept as it was."""
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    customer: Customer = Field(default_factory=Customer)
    shipping_address: Address | None = None
    items: list[Item] = Field(default_factory=list)
    total: Money | None = None
    currency: Currency | None = None
    shipments: list[Shipment] = Field(default_factory=list)
    payment_method: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("extra", mode="before")
    @classmethod
    def _decode_extra(cls, value: Any) -> Any:
        if value is None:
            return {}
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return {}
            try:
                value = json.loads(text)
            except ValueError:
                return {"text": value}
        return value if isinstance(value, dict) else {"value": value}
