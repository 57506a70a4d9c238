"""The `magento` preset on Magento 2 / Adobe Commerce REST orders: the search envelope, state vs status, partial
shipments, configurable child rows, UTC dates, the ship-to address and its billing fallback."""

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


@pytest.fixture(scope="module")
def magento() -> Mapper:
    return load_mapping("magento")


@pytest.fixture
def order(fixtures: Path) -> dict[str, Any]:
    """A processing order as GET /V1/orders/{id} returns it: a configurable tee (parent and child rows) shipped, a
    yoga strap not yet, a virtual warranty; shipped to another address than billed."""
    data: dict[str, Any] = json.loads((fixtures / "magento_order.json").read_text(encoding="utf-8"))
    return data


def _envelope(*orders: dict[str, Any]) -> dict[str, Any]:
    criteria = {"filter_groups": [], "page_size": 20, "current_page": 1}
    return {"items": list(orders), "search_criteria": criteria, "total_count": len(orders)}


def test_identity_contact_address_items_and_money(magento: Mapper, order: dict[str, Any]) -> None:
    (o,) = magento.map_payload(_envelope(order)).orders
    assert (o.id, o.external_ref_id) == ("000000057", "57")
    assert (o.status, o.status_text) == (OrderStatus.PARTIALLY_SHIPPED, "processing")
    assert o.customer.model_dump() == {
        "name": "Veronica Costello", "email": "Roni_Cost@example.com", "phone": "(555) 229-3326",
    }
    assert o.shipping_address is not None
    assert o.shipping_address.model_dump() == {
        "name": "Ronnie Costello", "line1": "301 E Liberty St", "line2": None, "city": "Ann Arbor",
        "region": "Michigan", "postal_code": "48104", "country": "US", "phone": "(734) 555-0117",
    }
    # The configurable's child row (the simple product, price 0) is not a second item.
    assert [(i.sku, i.name, i.quantity, i.price, i.product_id) for i in o.items] == [
        ("WS12-XS-Orange", "Radiant Tee", 1, Decimal("29"), "1553"),
        ("24-WG085", "Sprite Yoga Strap 6 foot", 2, Decimal("21"), "33"),
        ("WARRANTY-2Y", "Extended Warranty (2 years)", 1, Decimal("44"), "2001"),
    ]
    assert (o.total, o.currency, o.payment_method) == (Decimal("131.27"), "USD", "Credit Card (Braintree)")


def test_the_search_envelope_is_unwrapped(magento: Mapper, order: dict[str, Any]) -> None:
    other = copy.deepcopy(order)
    other.update(increment_id="000000058", entity_id=58)
    assert [o.id for o in magento.map_payload(_envelope(order, other)).orders] == ["000000057", "000000058"]
    assert magento.map_payload(_envelope()).orders == []


def test_a_bare_order_maps_as_in_the_envelope(magento: Mapper, order: dict[str, Any]) -> None:
    """GET /V1/orders/{id} answers the order itself: its `items` are line items, not orders."""
    in_envelope = magento.map_payload(_envelope(order)).orders
    assert magento.map_payload(order).orders == in_envelope
    assert magento.map_payload({"items": [order]}).orders == in_envelope
    assert len(in_envelope[0].items) == 3


def test_check_reads_a_bare_order(order: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import main

    sample = tmp_path / "order.json"
    sample.write_text(json.dumps(order), encoding="utf-8")
    assert main(["mapping", "check", "--preset", "magento", str(sample), "--json"]) == 0
    captured = capsys.readouterr()
    assert [o["id"] for o in json.loads(captured.out)] == ["000000057"]
    assert "1 record(s) -> 1 order(s)" in captured.err


@pytest.mark.parametrize(
    ("state", "status", "expected"),
    [
        ("new", "pending", OrderStatus.PENDING),
        ("pending_payment", "pending_payment", OrderStatus.PENDING),
        ("complete", "complete", OrderStatus.SHIPPED),
        ("closed", "closed", OrderStatus.REFUNDED),
        ("canceled", "canceled", OrderStatus.CANCELLED),
        ("holded", "holded", OrderStatus.ON_HOLD),
        ("payment_review", "payment_review", OrderStatus.ON_HOLD),
        ("payment_review", "fraud", OrderStatus.ON_HOLD),
        # A merchant's own status code under a known state: the state decides, the code is the text.
        ("complete", "delivered_to_locker", OrderStatus.SHIPPED),
        ("Canceled", "canceled", OrderStatus.CANCELLED),
    ],
)
def test_state_decides(magento: Mapper, order: dict[str, Any], state: str, status: str, expected: OrderStatus) -> None:
    order.update(state=state, status=status)
    mapped = magento.map_records([order], notes=True)
    assert (mapped.orders[0].status, mapped.orders[0].status_text) == (expected, status)
    assert mapped.unknown_labels == []


@pytest.mark.parametrize(
    ("status", "expected"),
    [("pending", OrderStatus.PENDING), ("processing", OrderStatus.PARTIALLY_SHIPPED),
     ("complete", OrderStatus.SHIPPED), ("closed", OrderStatus.REFUNDED), ("canceled", OrderStatus.CANCELLED),
     ("holded", OrderStatus.ON_HOLD), ("fraud", OrderStatus.ON_HOLD), ("pending_payment", OrderStatus.PENDING)],
)
def test_default_status_codes_without_state(
    magento: Mapper, order: dict[str, Any], status: str, expected: OrderStatus
) -> None:
    del order["state"]
    order["status"] = status
    assert magento.map_one(order).status == expected


@pytest.mark.parametrize(("state", "status"), [("archived", "archived"), (None, "ready_for_pickup")])
def test_unknown_labels_are_unknown_and_reported(
    magento: Mapper, order: dict[str, Any], state: str | None, status: str
) -> None:
    order.update(state=state, status=status)
    mapped = magento.map_records([order], notes=True)
    assert (mapped.orders[0].status, mapped.orders[0].status_text) == (OrderStatus.UNKNOWN, status)
    assert mapped.unknown_labels == [("order.status", state or status)]


def _ship(order: dict[str, Any], shipped: list[int], canceled: tuple[int, ...] = (0, 0, 0, 0)) -> None:
    for item, qty, cancel in zip(order["items"], shipped, canceled, strict=True):
        item.update(qty_shipped=qty, qty_canceled=cancel)


@pytest.mark.parametrize(
    ("shipped", "canceled", "expected"),
    [
        ([0, 0, 0, 0], (0, 0, 0, 0), OrderStatus.PROCESSING),
        ([1, 1, 0, 0], (0, 0, 0, 0), OrderStatus.PARTIALLY_SHIPPED),
        ([0, 0, 1, 0], (0, 0, 0, 0), OrderStatus.PARTIALLY_SHIPPED),
        # Every physical unit shipped; the virtual warranty never ships and the child row repeats its parent.
        ([1, 0, 2, 0], (0, 0, 0, 0), OrderStatus.SHIPPED),
        # The strap's second unit was cancelled: nothing more will ship.
        ([1, 1, 1, 0], (0, 0, 1, 0), OrderStatus.SHIPPED),
    ],
)
def test_processing_reads_the_items_shipped(
    magento: Mapper, order: dict[str, Any], shipped: list[int], canceled: tuple[int, ...], expected: OrderStatus
) -> None:
    _ship(order, shipped, canceled)
    o = magento.map_one(order)
    assert (o.status, o.status_text) == (expected, "processing")


def test_refunded_units_are_not_waited_for(magento: Mapper, order: dict[str, Any]) -> None:
    order["items"][2].update(qty_shipped=1, qty_refunded=1)
    assert magento.map_one(order).status == OrderStatus.SHIPPED


def test_complete_virtual_order_is_delivered_and_ships_nowhere(magento: Mapper, order: dict[str, Any]) -> None:
    order.update(state="complete", status="complete", is_virtual=1, items=[order["items"][3]])
    o = magento.map_one(order)
    assert (o.status, o.status_text) == (OrderStatus.DELIVERED, "complete")
    assert o.shipping_address is None
    assert o.customer.phone == "(555) 229-3326"


def test_child_rows_are_skipped_by_parent_item_id_or_parent_item(magento: Mapper, order: dict[str, Any]) -> None:
    child = order["items"][1]
    del child["parent_item_id"]
    assert [i.name for i in magento.map_one(order).items].count("Radiant Tee-XS-Orange") == 0
    child["parent_item_id"] = 140
    del child["parent_item"]
    assert [i.name for i in magento.map_one(order).items].count("Radiant Tee-XS-Orange") == 0
    del child["parent_item_id"]
    assert [i.name for i in magento.map_one(order).items].count("Radiant Tee-XS-Orange") == 1


def test_dates_are_utc_whatever_the_merchant_zone(order: dict[str, Any]) -> None:
    for mapper in (load_mapping("magento"), load_mapping("magento", timezone="America/Los_Angeles")):
        o = mapper.map_one(order)
        assert o.created_at == datetime(2024, 1, 5, 10, 11, 12, tzinfo=UTC)
        assert o.updated_at == datetime(2024, 1, 6, 18, 30, tzinfo=UTC)


def test_shipping_address_falls_back_to_billing_whole(magento: Mapper, order: dict[str, Any]) -> None:
    del order["extension_attributes"]["shipping_assignments"]
    o = magento.map_one(order)
    assert o.shipping_address is not None
    assert o.shipping_address.model_dump() == {
        "name": "Veronica Costello", "line1": "6146 Honey Bluff Parkway", "line2": "Unit 4", "city": "Calder",
        "region": "Michigan", "postal_code": "49628-7978", "country": "US", "phone": "(555) 229-3326",
    }
    order.pop("extension_attributes")
    assert magento.map_one(order).shipping_address == o.shipping_address


def test_blank_shipping_fields_are_not_filled_from_billing(magento: Mapper, order: dict[str, Any]) -> None:
    """The shipping address has one street line and the billing two: no second line is borrowed."""
    address = order["extension_attributes"]["shipping_assignments"][0]["shipping"]["address"]
    address.update(region=None, region_code="MI", telephone=None)
    o = magento.map_one(order)
    assert o.shipping_address is not None
    assert (o.shipping_address.line2, o.shipping_address.region, o.shipping_address.phone) == (None, "MI", None)


def test_guest_names_come_from_billing(magento: Mapper, order: dict[str, Any]) -> None:
    order.update(customer_firstname=None, customer_lastname=None, customer_is_guest=1, customer_email=None)
    order["billing_address"]["lastname"] = None
    assert magento.map_one(order).customer.model_dump() == {
        "name": "Veronica", "email": "roni_cost@example.com", "phone": "(555) 229-3326",
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(131.27, Decimal("131.27")), (131, Decimal("131")), ("131.2700", Decimal("131.2700")), (0.1, Decimal("0.1"))],
)
def test_money_as_numbers_or_strings(magento: Mapper, order: dict[str, Any], raw: Any, expected: Decimal) -> None:
    order["grand_total"] = raw
    order["items"][0]["price"] = raw
    o = magento.map_one(order)
    assert (o.total, o.items[0].price) == (expected, expected)


@pytest.mark.parametrize(("ordered", "shipped"), [(2.0, 1.0), ("2.0000", "1.0000")])
def test_quantities_written_as_decimals_or_text(
    magento: Mapper, order: dict[str, Any], ordered: Any, shipped: Any
) -> None:
    order["items"][2].update(qty_ordered=ordered, qty_shipped=shipped)
    o = magento.map_one(order)
    assert (o.items[1].quantity, o.status) == (2, OrderStatus.PARTIALLY_SHIPPED)
    order["items"][2]["qty_shipped"] = ordered
    assert magento.map_one(order).status == OrderStatus.SHIPPED


def test_payment_title_then_method_code(magento: Mapper, order: dict[str, Any]) -> None:
    order["extension_attributes"]["payment_additional_info"] = [{"key": "cc_type", "value": "Visa"}]
    assert magento.map_one(order).payment_method == "braintree"
    order["payment"] = None
    assert magento.map_one(order).payment_method is None


def test_nulls_and_missing_blocks(magento: Mapper, order: dict[str, Any]) -> None:
    order.update(updated_at=None, billing_address=None, extension_attributes=None, payment=None)
    o = magento.map_one(order)
    assert (o.updated_at, o.shipping_address, o.payment_method, o.customer.phone) == (None, None, None, None)
    assert o.customer.name == "Veronica Costello"


def test_the_order_payload_has_no_tracking(magento: Mapper, order: dict[str, Any]) -> None:
    """Tracks live on shipments (GET /V1/shipments), not on the order: a complete order has none."""
    order.update(state="complete", status="complete")
    o = magento.map_one(order)
    assert (o.status, o.shipments) == (OrderStatus.SHIPPED, [])


def test_embedded_shipments_give_one_package_per_track(magento: Mapper, order: dict[str, Any]) -> None:
    order["shipments"] = [
        {"entity_id": 12, "order_id": 57, "increment_id": "000000012", "created_at": "2024-01-06 18:30:00",
         "items": [{"sku": "WS12-XS-Orange", "name": "Radiant Tee", "qty": 1, "order_item_id": 140}],
         "tracks": [
             {"entity_id": 5, "parent_id": 12, "order_id": 57, "track_number": "1Z999AA10123456784",
              "title": "United Parcel Service", "carrier_code": "ups", "created_at": "2024-01-06 18:30:00"},
             {"entity_id": 6, "parent_id": 12, "order_id": 57, "track_number": "PKG-2-OF-2",
              "title": "Lakeside Couriers", "carrier_code": "custom", "created_at": "2024-01-06 18:31:00"},
         ]},
        {"entity_id": 13, "order_id": 57, "created_at": "2024-01-07 09:00:00", "items": [], "tracks": [
            {"track_number": "9400111899562537866361", "title": "", "carrier_code": "custom",
             "created_at": "2024-01-07 09:00:00"},
            {"track_number": "", "title": "Federal Express", "carrier_code": "fedex"},
        ]},
        {"entity_id": 14, "order_id": 57, "items": [], "tracks": []},
    ]
    o = load_mapping("magento", timezone="Europe/Berlin").map_one(order)
    assert [(s.carrier, s.tracking_number, s.tracking_url, s.status, s.shipped_at) for s in o.shipments] == [
        ("UPS", "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784",
         ShipmentStatus.UNKNOWN, datetime(2024, 1, 6, 18, 30, tzinfo=UTC)),
        ("Lakeside Couriers", "PKG-2-OF-2", None, ShipmentStatus.UNKNOWN, datetime(2024, 1, 6, 18, 31, tzinfo=UTC)),
        # `custom` with no title names no carrier: the number's format does.
        ("USPS", "9400111899562537866361",
         "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899562537866361", ShipmentStatus.UNKNOWN,
         datetime(2024, 1, 7, 9, 0, tzinfo=UTC)),
    ]


def test_sample_passes_check(magento: Mapper, samples: Path) -> None:
    report = check_sample(magento, read_payload(samples / "magento.json"))
    assert report.ok, report.lines()
    assert report.unknown_labels == {}
    assert "extension_attributes.shipping_assignments[].shipping.address.street" not in report.unused
    assert [(o.id, o.status, o.currency, len(o.items)) for o in report.orders] == [
        ("000000031", OrderStatus.SHIPPED, "USD", 2),
        ("000000032", OrderStatus.PARTIALLY_SHIPPED, "EUR", 2),
        ("000000033", OrderStatus.PENDING, "GBP", 1),
    ]


def test_sample_canonical_json(magento: Mapper, samples: Path, snapshot: Any) -> None:
    orders = magento.map_payload(read_payload(samples / "magento.json").data).orders
    assert [o.model_dump(mode="json") for o in orders] == snapshot
