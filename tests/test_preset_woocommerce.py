"""The `woocommerce` preset against WooCommerce REST v3 orders: statuses, *_gmt dates, tracking meta, money, nulls."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tools.check import check_sample
from tools.files import read_payload
from tools.mapping import Mapper, load_mapping
from tools.schema import OrderStatus, ShipmentStatus

TRACKING_KEY = "_wc_shipment_tracking_items"


@pytest.fixture(scope="module")
def woo() -> Mapper:
    return load_mapping("woocommerce")


@pytest.fixture
def order(fixtures: Path) -> dict[str, Any]:
    """A completed order shipped in two packages (one with a custom carrier), tracking meta as an array."""
    data: dict[str, Any] = json.loads((fixtures / "woocommerce_order.json").read_text(encoding="utf-8"))
    return data


def _tracking(order: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = next(m for m in order["meta_data"] if m["key"] == TRACKING_KEY)
    return meta


def test_identity_contact_address_items_and_money(woo: Mapper, order: dict[str, Any]) -> None:
    o = woo.map_one(order)
    assert (o.id, o.external_ref_id) == ("727", "727")
    assert (o.status, o.status_text) == (OrderStatus.SHIPPED, "completed")
    assert o.customer.model_dump() == {"name": "John Doe", "email": "John.Doe@example.com", "phone": "(555) 555-5555"}
    assert o.shipping_address is not None
    assert o.shipping_address.model_dump() == {
        "name": "John Doe", "line1": "969 Market", "line2": "Floor 2", "city": "San Francisco", "region": "CA",
        "postal_code": "94103", "country": "US", "phone": "(555) 555-5555",
    }
    # Line prices are JSON numbers, totals strings: both exact decimals.
    assert [(i.sku, i.name, i.quantity, i.price, i.product_id) for i in o.items] == [
        ("WOO-1", "Woo Single #1", 2, Decimal("3"), "93"),
        (None, "Ship Your Idea - Black, M", 1, Decimal("11.99"), "22"),
    ]
    assert (o.total, o.currency, o.payment_method) == (Decimal("29.35"), "USD", "Direct Bank Transfer")


def test_number_differs_from_id_and_falls_back_to_it(woo: Mapper, order: dict[str, Any]) -> None:
    order["number"] = "WC-2024-0727"
    assert (woo.map_one(order).id, woo.map_one(order).external_ref_id) == ("WC-2024-0727", "727")
    del order["number"]
    assert woo.map_one(order).id == "727"


@pytest.mark.parametrize(
    ("label", "expected", "text"),
    [
        ("pending", OrderStatus.PENDING, "pending"),
        ("wc-pending", OrderStatus.PENDING, "pending"),
        ("checkout-draft", OrderStatus.PENDING, "checkout-draft"),
        ("processing", OrderStatus.PROCESSING, "processing"),
        ("wc-on-hold", OrderStatus.ON_HOLD, "on-hold"),
        ("completed", OrderStatus.SHIPPED, "completed"),
        ("cancelled", OrderStatus.CANCELLED, "cancelled"),
        ("refunded", OrderStatus.REFUNDED, "refunded"),
        ("failed", OrderStatus.CANCELLED, "failed"),
        ("trash", OrderStatus.CANCELLED, "trash"),
        ("wc-shipped", OrderStatus.SHIPPED, "shipped"),
        ("delivered", OrderStatus.DELIVERED, "delivered"),
        ("wc-partial-shipped", OrderStatus.PARTIALLY_SHIPPED, "partial-shipped"),
        ("Processing", OrderStatus.PROCESSING, "Processing"),
    ],
)
def test_status_labels(woo: Mapper, order: dict[str, Any], label: str, expected: OrderStatus, text: str) -> None:
    order["status"] = label
    mapped = woo.map_records([order], notes=True)
    assert (mapped.orders[0].status, mapped.orders[0].status_text) == (expected, text)
    assert mapped.unknown_labels == []


def test_unknown_status_is_unknown_and_reported(woo: Mapper, order: dict[str, Any]) -> None:
    order["status"] = "wc-awaiting-pickup"
    mapped = woo.map_records([order], notes=True)
    assert (mapped.orders[0].status, mapped.orders[0].status_text) == (OrderStatus.UNKNOWN, "awaiting-pickup")
    assert mapped.unknown_labels == [("order.status", "awaiting-pickup")]


def test_gmt_dates_are_utc_whatever_the_site_zone(order: dict[str, Any]) -> None:
    for mapper in (load_mapping("woocommerce"), load_mapping("woocommerce", timezone="America/Sao_Paulo")):
        o = mapper.map_one(order)
        assert o.created_at == datetime(2024, 3, 22, 16, 28, 2, tzinfo=UTC)
        assert o.updated_at == datetime(2024, 3, 23, 12, 0, tzinfo=UTC)


def test_site_local_dates_when_gmt_twins_are_missing(order: dict[str, Any]) -> None:
    del order["date_created_gmt"]
    order["date_modified_gmt"] = None
    o = load_mapping("woocommerce", timezone="America/Sao_Paulo").map_one(order)  # UTC-3 in March 2024
    assert o.created_at == datetime(2024, 3, 22, 16, 28, 2, tzinfo=UTC)
    assert o.updated_at == datetime(2024, 3, 23, 12, 0, tzinfo=UTC)
    # Without a merchant zone the preset's default (UTC) reads them.
    assert load_mapping("woocommerce").map_one(order).created_at == datetime(2024, 3, 22, 13, 28, 2, tzinfo=UTC)


EXPECTED_SHIPMENTS = [
    ("USPS", "9400111899562537866361", "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899562537866361",
     datetime(2024, 3, 23, 0, 0, tzinfo=UTC)),
    ("Lone Star Overnight", "LSO998877", "https://www.lso.com/track?number=LSO998877",
     datetime(2024, 3, 24, 0, 0, tzinfo=UTC)),
]


def _shipments(woo: Mapper, order: dict[str, Any]) -> list[tuple[Any, ...]]:
    o = woo.map_one(order)
    assert all(s.status == ShipmentStatus.UNKNOWN for s in o.shipments)  # the extension records no carrier events
    return [(s.carrier, s.tracking_number, s.tracking_url, s.shipped_at) for s in o.shipments]


def test_tracking_meta_array(woo: Mapper, order: dict[str, Any]) -> None:
    assert _shipments(woo, order) == EXPECTED_SHIPMENTS


def test_tracking_meta_as_json_string(woo: Mapper, order: dict[str, Any]) -> None:
    meta = _tracking(order)
    meta["value"] = json.dumps(meta["value"])
    assert _shipments(woo, order) == EXPECTED_SHIPMENTS


def test_tracking_provider_slugs_become_carrier_names(woo: Mapper, order: dict[str, Any]) -> None:
    meta = _tracking(order)
    meta["value"] = [{"tracking_provider": "dhl-us", "tracking_number": "3318810025", "date_shipped": 1711152000},
                     {"tracking_provider": "royal-mail", "tracking_number": "", "date_shipped": 1711152000}]
    assert _shipments(woo, order) == [
        ("DHL Express", "3318810025", "https://www.dhl.com/en/express/tracking.html?AWB=3318810025",
         datetime(2024, 3, 23, 0, 0, tzinfo=UTC)),
    ]


def test_no_tracking_meta_no_shipments(woo: Mapper, order: dict[str, Any]) -> None:
    order["meta_data"] = [m for m in order["meta_data"] if m["key"] != TRACKING_KEY]
    assert woo.map_one(order).shipments == []
    order["meta_data"] = []
    assert woo.map_one(order).shipments == []


def test_broken_tracking_json_is_a_record_error(woo: Mapper, order: dict[str, Any]) -> None:
    _tracking(order)["value"] = '[{"tracking_number": "1Z'
    mapped = woo.map_records([order])
    assert mapped.orders == []
    assert [(e.field, e.record) for e in mapped.errors] == [("shipments", 0)]
    assert mapped.errors[0].reason.startswith("not valid JSON")


def test_virtual_order_has_no_shipping_address(woo: Mapper, order: dict[str, Any]) -> None:
    order["shipping"] = {key: "" for key in order["shipping"]}
    o = woo.map_one(order)
    assert o.shipping_address is None
    assert o.customer.phone == "(555) 555-5555"


def test_shipping_phone_wins_over_billing_phone(order: dict[str, Any]) -> None:
    order["shipping"]["phone"] = "+1 415 555 0100"
    o = load_mapping("woocommerce", region="US").map_one(order)
    assert o.shipping_address is not None and o.shipping_address.phone == "+14155550100"
    assert o.customer.phone == "+15555555555"


def test_nulls_and_numbers_for_money(woo: Mapper, order: dict[str, Any]) -> None:
    order.update(total=29.35, payment_method_title="", billing={**order["billing"], "phone": None, "last_name": None})
    order["line_items"][0]["price"] = "3.00"
    o = woo.map_one(order)
    assert (o.total, o.items[0].price, o.payment_method) == (Decimal("29.35"), Decimal("3.00"), "bacs")
    assert o.customer.model_dump() == {"name": "John", "email": "John.Doe@example.com", "phone": None}


def test_envelopes_are_unwrapped(woo: Mapper, order: dict[str, Any]) -> None:
    other = copy.deepcopy(order)
    other["number"] = "728"
    for payload in ({"orders": [order, other]}, {"data": [order, other]}):
        assert [o.id for o in woo.map_payload(payload).orders] == ["727", "728"]
    assert [o.id for o in woo.map_payload({"order": order}).orders] == ["727"]


def test_sample_passes_check(woo: Mapper, samples: Path) -> None:
    report = check_sample(woo, read_payload(samples / "woocommerce.json"))
    assert report.ok, report.lines()
    assert report.unknown_labels == {}
    assert "date_created_gmt" not in report.unused and "shipping.phone" not in report.unused
    assert [(o.id, o.status, len(o.shipments)) for o in report.orders] == [
        ("727", OrderStatus.PROCESSING, 0),
        ("728", OrderStatus.SHIPPED, 1),
        ("WC-729", OrderStatus.SHIPPED, 2),
        ("1730", OrderStatus.DELIVERED, 1),
        ("731", OrderStatus.ON_HOLD, 0),
        ("732", OrderStatus.CANCELLED, 0),
        ("733", OrderStatus.REFUNDED, 0),
        ("734", OrderStatus.CANCELLED, 0),
    ]


def test_sample_canonical_json(woo: Mapper, samples: Path, snapshot: Any) -> None:
    orders = woo.map_payload(read_payload(samples / "woocommerce.json").data).orders
    assert [o.model_dump(mode="json") for o in orders] == snapshot
