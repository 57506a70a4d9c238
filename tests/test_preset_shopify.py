"""The `shopify` preset on Shopify Admin REST `Order` payloads: status policy, fulfillments, nulls, money, times."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tools.check import check_sample
from tools.files import read_payload
from tools.mapping import Mapper, load_mapping
from tools.schema import OrderStatus, ShipmentStatus

EST = timezone(timedelta(hours=-5))


@pytest.fixture(scope="module")
def shopify() -> Mapper:
    return load_mapping("shopify")


@pytest.fixture
def order(fixtures: Path) -> dict[str, Any]:
    """A paid order shipped in two packages (a third fulfillment cancelled), one line item still to ship."""
    data: dict[str, Any] = json.loads((fixtures / "shopify_order.json").read_text(encoding="utf-8"))
    return data


def test_identity_contact_address_items_and_money(shopify: Mapper, order: dict[str, Any]) -> None:
    o = shopify.map_one(order)
    assert o.id == "#1042"
    assert o.external_ref_id == "820982911946154508"
    assert o.status_text == "paid / partial"
    assert o.created_at == datetime(2024, 3, 4, 11, 0, tzinfo=EST)
    assert o.updated_at == datetime(2024, 3, 7, 9, 30, tzinfo=EST)
    assert o.customer.model_dump() == {"name": "Jon Snow", "email": "Jon.Snow@example.com", "phone": "+16135550111"}
    assert o.shipping_address is not None
    assert o.shipping_address.model_dump() == {
        "name": "Jon Snow", "line1": "1 Wall Street", "line2": "Suite 200", "city": "Burlington", "region": "Vermont",
        "postal_code": "05401", "country": "US", "phone": "555-625-1199",
    }
    assert [(i.sku, i.name, i.quantity, i.price, i.product_id) for i in o.items] == [
        ("BOOT-42", "Trail Boot - 42 / Brown", 1, Decimal("129.00"), "632910392"),
        ("SOCK-3P", "Wool Socks", 2, Decimal("12.50"), "632910393"),
        ("LACE-BRN", "Spare Laces", 1, Decimal("25.00"), "632910394"),
    ]
    assert o.total == Decimal("199.98")
    assert o.currency == "USD"
    assert o.payment_method == "shopify_payments"


def test_split_shipments_skip_cancelled_fulfillment(shopify: Mapper, order: dict[str, Any]) -> None:
    o = shopify.map_one(order)
    assert o.status == OrderStatus.PARTIALLY_SHIPPED
    assert [(s.carrier, s.tracking_number, s.tracking_url, s.status, s.shipped_at) for s in o.shipments] == [
        ("UPS", "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784",
         ShipmentStatus.DELIVERED, datetime(2024, 3, 5, 10, 0, tzinfo=EST)),
        # Only tracking_numbers[]: the carrier is detected from the number and the link built from it.
        ("USPS", "9400111899562537866361",
         "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899562537866361",
         ShipmentStatus.DELIVERY_ATTEMPTED, datetime(2024, 3, 6, 8, 15, tzinfo=EST)),
    ]
    assert [[(i.sku, i.name, i.quantity) for i in s.items] for s in o.shipments] == [
        [("BOOT-42", "Trail Boot - 42 / Brown", 1)],
        [("SOCK-3P", "Wool Socks", 2)],
    ]


@pytest.mark.parametrize("status", ["error", "failure", "CANCELLED"])
def test_failed_fulfillments_are_not_shipments(shopify: Mapper, order: dict[str, Any], status: str) -> None:
    order["fulfillments"][0]["status"] = status
    assert [s.tracking_number for s in shopify.map_one(order).shipments] == ["9400111899562537866361"]


def test_tracking_url_falls_back_to_first_of_tracking_urls(shopify: Mapper, order: dict[str, Any]) -> None:
    order["fulfillments"] = [{"status": "success", "tracking_company": "Acme Freight", "tracking_number": None,
                              "tracking_numbers": ["AF-1", "AF-2"], "tracking_url": None,
                              "tracking_urls": ["https://acme.example/t/AF-1", "https://acme.example/t/AF-2"]}]
    (s,) = shopify.map_one(order).shipments
    assert (s.carrier, s.tracking_number, s.tracking_url, s.status, s.shipped_at) == (
        "Acme Freight", "AF-1", "https://acme.example/t/AF-1", ShipmentStatus.UNKNOWN, None)


@pytest.mark.parametrize(
    ("financial", "fulfillment", "cancelled_at", "expected"),
    [
        ("paid", None, None, OrderStatus.PROCESSING),
        ("authorized", None, None, OrderStatus.PROCESSING),
        ("partially_paid", None, None, OrderStatus.PROCESSING),
        ("partially_refunded", "unfulfilled", None, OrderStatus.PROCESSING),
        ("pending", None, None, OrderStatus.PENDING),
        ("paid", "partial", None, OrderStatus.PARTIALLY_SHIPPED),
        ("paid", "fulfilled", None, OrderStatus.SHIPPED),
        ("pending", "fulfilled", None, OrderStatus.SHIPPED),  # cash on delivery: shipped before it is paid
        ("paid", "restocked", None, OrderStatus.RETURNED),
        ("refunded", "fulfilled", None, OrderStatus.REFUNDED),
        ("voided", None, None, OrderStatus.CANCELLED),
        ("paid", "fulfilled", "2024-03-08T10:00:00-05:00", OrderStatus.CANCELLED),
        ("refunded", None, "2024-03-08T10:00:00-05:00", OrderStatus.CANCELLED),
        ("PAID", "Fulfilled", None, OrderStatus.SHIPPED),
    ],
)
def test_one_status_from_financial_fulfillment_and_cancellation(
    shopify: Mapper, order: dict[str, Any], financial: str, fulfillment: str | None, cancelled_at: str | None,
    expected: OrderStatus,
) -> None:
    order.update(financial_status=financial, fulfillment_status=fulfillment, cancelled_at=cancelled_at)
    order["fulfillments"][2]["shipment_status"] = "in_transit"  # not all delivered: no upgrade to delivered
    o = shopify.map_one(order)
    assert o.status == expected
    assert o.status_text == " / ".join(label for label in (financial, fulfillment) if label)


def test_fulfilled_order_with_every_package_delivered_is_delivered(shopify: Mapper, order: dict[str, Any]) -> None:
    order["fulfillment_status"] = "fulfilled"
    assert shopify.map_one(order).status == OrderStatus.SHIPPED
    order["fulfillments"][2]["shipment_status"] = "delivered"
    assert shopify.map_one(order).status == OrderStatus.DELIVERED
    # A partial fulfillment stays partial even when what shipped has arrived.
    order["fulfillment_status"] = "partial"
    assert shopify.map_one(order).status == OrderStatus.PARTIALLY_SHIPPED


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("label_printed", ShipmentStatus.LABEL_CREATED),
        ("label_purchased", ShipmentStatus.LABEL_CREATED),
        ("confirmed", ShipmentStatus.LABEL_CREATED),
        ("in_transit", ShipmentStatus.IN_TRANSIT),
        ("carrier_picked_up", ShipmentStatus.IN_TRANSIT),
        ("picked_up", ShipmentStatus.IN_TRANSIT),
        ("delayed", ShipmentStatus.IN_TRANSIT),
        ("out_for_delivery", ShipmentStatus.OUT_FOR_DELIVERY),
        ("attempted_delivery", ShipmentStatus.DELIVERY_ATTEMPTED),
        ("ready_for_pickup", ShipmentStatus.AVAILABLE_FOR_PICKUP),
        ("delivered", ShipmentStatus.DELIVERED),
        ("failure", ShipmentStatus.EXCEPTION),
        (None, ShipmentStatus.UNKNOWN),
    ],
)
def test_shipment_status_labels(
    shopify: Mapper, order: dict[str, Any], label: str | None, expected: ShipmentStatus
) -> None:
    order["fulfillments"][0]["shipment_status"] = label
    mapped = shopify.map_records([order], notes=True)
    assert mapped.orders[0].shipments[0].status == expected
    assert mapped.unknown_labels == []


def test_unknown_shipment_status_is_unknown_and_reported(shopify: Mapper, order: dict[str, Any]) -> None:
    order["fulfillments"][0]["shipment_status"] = "held_at_customs"
    mapped = shopify.map_records([order], notes=True)
    assert mapped.orders[0].shipments[0].status == ShipmentStatus.UNKNOWN
    assert mapped.unknown_labels == [("order.shipments.fields.status", "held_at_customs")]


@pytest.mark.parametrize(
    ("financial", "fulfillment", "reported"),
    [
        ("expired", None, "unrecognised financial_status"),
        (None, None, "unrecognised financial_status"),
        ("paid", "on_hold", "unrecognised fulfillment_status"),
    ],
)
def test_unknown_status_labels_fall_to_unknown_and_are_reported(
    shopify: Mapper, order: dict[str, Any], financial: str | None, fulfillment: str | None, reported: str
) -> None:
    order.update(financial_status=financial, fulfillment_status=fulfillment)
    mapped = shopify.map_records([order], notes=True)
    (o,) = mapped.orders
    assert o.status == OrderStatus.UNKNOWN
    assert o.status_text == (" / ".join(label for label in (financial, fulfillment) if label) or None)
    assert mapped.unknown_labels == [("order.status", reported)]


def test_nulls_unfulfilled_no_address_no_phone_no_customer(shopify: Mapper, order: dict[str, Any]) -> None:
    order.update(fulfillment_status=None, shipping_address=None, phone=None, customer=None, fulfillments=None,
                 payment_gateway_names=[], gateway=None, updated_at=None)
    o = shopify.map_one(order)
    assert o.status == OrderStatus.PROCESSING
    assert o.status_text == "paid"
    assert o.shipping_address is None
    assert o.customer.model_dump() == {"name": None, "email": "Jon.Snow@example.com", "phone": None}
    assert o.shipments == []
    assert o.payment_method is None
    assert o.updated_at is None


def test_contact_falls_back_to_customer_and_gateway(shopify: Mapper, order: dict[str, Any]) -> None:
    order.update(email=None, contact_email="", phone=None, payment_gateway_names=[], gateway="manual")
    order["customer"]["phone"] = " +1 613 555 0111 "
    o = shopify.map_one(order)
    assert (o.customer.email, o.customer.phone, o.payment_method) == ("jon.snow@example.com", "+16135550111", "manual")


def test_free_text_phones_become_e164_with_the_merchant_region(order: dict[str, Any]) -> None:
    mapper = load_mapping("shopify", region="US")
    order["phone"] = "(802) 555-0142"
    o = mapper.map_one(order)
    assert o.customer.phone == "+18025550142"
    assert o.shipping_address is not None and o.shipping_address.phone == "+15556251199"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("199.98", Decimal("199.98")), (199.98, Decimal("199.98")), (200, Decimal("200")),
        ("1,299.00", Decimal("1299.00")),
    ],
)
def test_money_as_strings_or_numbers(shopify: Mapper, order: dict[str, Any], raw: Any, expected: Decimal) -> None:
    order["total_price"] = raw
    order["line_items"][0]["price"] = raw
    o = shopify.map_one(order)
    assert o.total == expected
    assert o.items[0].price == expected


def test_naive_times_are_read_in_the_default_or_merchant_zone(order: dict[str, Any]) -> None:
    order["created_at"] = "2024-03-04T11:00:00"
    assert load_mapping("shopify").map_one(order).created_at == datetime(2024, 3, 4, 11, 0, tzinfo=UTC)
    vermont = load_mapping("shopify", timezone="America/New_York").map_one(order)
    assert vermont.created_at == datetime(2024, 3, 4, 16, 0, tzinfo=UTC)
    # Offsets in the payload win over any zone.
    assert vermont.updated_at == datetime(2024, 3, 7, 9, 30, tzinfo=EST)


def test_envelopes_are_unwrapped(shopify: Mapper, order: dict[str, Any]) -> None:
    assert [o.id for o in shopify.map_payload({"order": order}).orders] == ["#1042"]
    second = copy.deepcopy(order)
    second["name"] = "#1043"
    assert [o.id for o in shopify.map_payload({"orders": [order, second]}).orders] == ["#1042", "#1043"]


def test_sample_passes_check(shopify: Mapper, samples: Path) -> None:
    report = check_sample(shopify, read_payload(samples / "shopify.json"))
    assert report.ok, report.lines()
    assert report.unknown_labels == {}
    assert [(o.id, o.status) for o in report.orders] == [
        ("#1001", OrderStatus.DELIVERED),
        ("#1002", OrderStatus.PARTIALLY_SHIPPED),
        ("#1003", OrderStatus.SHIPPED),
        ("#1004", OrderStatus.CANCELLED),
        ("#1005", OrderStatus.REFUNDED),
        ("#1006", OrderStatus.PENDING),
        ("#1007", OrderStatus.PROCESSING),
        ("#1008", OrderStatus.RETURNED),
    ]


def test_sample_canonical_json(shopify: Mapper, samples: Path, snapshot: Any) -> None:
    orders = shopify.map_payload(read_payload(samples / "shopify.json").data).orders
    assert [o.model_dump(mode="json") for o in orders] == snapshot


def test_realistic_orders_match_the_hand_written_transform() -> None:
    """The benchmark's generated orders (every status mix, split shipments, phones in many formats) map exactly as
    an independent hand-written transform of the same rules does."""
    from benchmarks._gen_shopify import generate_orders
    from benchmarks.bench_mapping import REGION, verify

    orders = json.loads(json.dumps(generate_orders(400, seed=7)))
    statuses = {o.status for o in load_mapping("shopify", region=REGION).map_payload(orders).orders}
    assert statuses >= {OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.PARTIALLY_SHIPPED,
                        OrderStatus.PROCESSING, OrderStatus.CANCELLED, OrderStatus.REFUNDED}
    verify(load_mapping("shopify", region=REGION), orders)
