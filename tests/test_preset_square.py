"""The `square` preset on Square Orders API orders: one status from state and fulfillments, integer minor-unit
Money in each currency's exponent, fulfillment recipients, split shipments, nulls and RFC 3339 times."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from tools.check import check_sample
from tools.files import read_payload
from tools.mapping import Mapper, load_mapping
from tools.schema import Address, Customer, Item, OrderStatus, ShipmentStatus


@pytest.fixture(scope="module")
def square() -> Mapper:
    return load_mapping("square")


@pytest.fixture
def order(fixtures: Path) -> dict[str, Any]:
    """An open, paid order in three SHIPMENT fulfillments: one shipped, one packed, one cancelled."""
    data: dict[str, Any] = json.loads((fixtures / "square_order.json").read_text(encoding="utf-8"))
    return data


def _f(kind: str, state: str) -> dict[str, Any]:
    return {"uid": f"{kind}-{state}", "type": kind, "state": state}


def test_identity_contact_address_items_and_money(square: Mapper, order: dict[str, Any]) -> None:
    o = square.map_one(order)
    assert (o.id, o.external_ref_id) == ("1042", "CAISENgvlJ6jLWAzERDzjyHVybY")
    assert (o.status, o.status_text) == (OrderStatus.PARTIALLY_SHIPPED, "OPEN / COMPLETED, PREPARED, CANCELED")
    assert o.created_at == datetime(2024, 3, 4, 16, 0, tzinfo=UTC)
    assert o.updated_at == datetime(2024, 3, 5, 15, 0, 2, 481000, tzinfo=UTC)
    assert o.customer == Customer(name="Jon Snow", email="Jon.Snow@example.com", phone="+16135550111")
    assert o.shipping_address == Address(
        name="Jon Snow", line1="1 Wall Street", line2="Suite 200, Building B", city="Burlington", region="VT",
        postal_code="05401", country="US", phone="+16135550111",
    )
    # Line items have no SKU: it is on the catalog variation catalog_object_id names.
    assert o.items == [
        Item(name="Trail Boot - 42 / Brown", quantity=1, price=Decimal("129.00"),
             product_id="W62UWFY35CWMYGVWK6TWJDNI"),
        Item(name="Wool Socks", quantity=2, price=Decimal("12.50"), product_id="AII7CXOQSYG6QWZKGM4XVY2K"),
        Item(name="Spare Laces - Regular", quantity=1, price=Decimal("25.00"),
             product_id="BSOL4BB6RCMX6SH4KQIFWZDP"),
    ]
    assert (o.total, o.currency, o.payment_method) == (Decimal("179.00"), "USD", "CARD")


def test_reference_id_falls_back_to_the_order_id(square: Mapper, order: dict[str, Any]) -> None:
    del order["reference_id"]
    assert (square.map_one(order).id, square.map_one(order).external_ref_id) == (
        "CAISENgvlJ6jLWAzERDzjyHVybY", "CAISENgvlJ6jLWAzERDzjyHVybY")
    order["reference_id"] = ""
    assert square.map_one(order).id == "CAISENgvlJ6jLWAzERDzjyHVybY"


def test_split_shipments_skip_cancelled_fulfillment(square: Mapper, order: dict[str, Any]) -> None:
    o = square.map_one(order)
    assert [(s.carrier, s.tracking_number, s.tracking_url, s.status, s.shipped_at) for s in o.shipments] == [
        ("UPS", "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784&loc=en_US",
         ShipmentStatus.UNKNOWN, datetime(2024, 3, 5, 15, 0, tzinfo=UTC)),
        # No carrier: detected from the number, and the link built from it. Packed, not yet with the carrier.
        ("USPS", "9400111899562537866361",
         "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899562537866361",
         ShipmentStatus.LABEL_CREATED, None),
    ]
    assert all(s.items == [] and s.delivered_at is None for s in o.shipments)


@pytest.mark.parametrize("state", ["PROPOSED", "RESERVED", "CANCELED", "FAILED"])
def test_fulfillments_not_packed_or_shipped_are_not_shipments(
    square: Mapper, order: dict[str, Any], state: str
) -> None:
    order["fulfillments"][1]["state"] = state
    assert [s.tracking_number for s in square.map_one(order).shipments] == ["1Z999AA10123456784"]


def test_pickups_and_deliveries_are_not_shipments(square: Mapper, order: dict[str, Any]) -> None:
    for fulfillment, kind in zip(order["fulfillments"], ["PICKUP", "DELIVERY", "SHIPMENT"], strict=True):
        fulfillment["type"] = kind
    assert square.map_one(order).shipments == []


@pytest.mark.parametrize(
    ("state", "fulfillments", "tenders", "expected"),
    [
        ("CANCELED", [_f("SHIPMENT", "COMPLETED")], True, OrderStatus.CANCELLED),
        ("DRAFT", [_f("SHIPMENT", "PROPOSED")], False, OrderStatus.PENDING),
        ("DRAFT", [], False, OrderStatus.PENDING),
        # Open, nothing done yet: pending until paid or accepted.
        ("OPEN", [_f("SHIPMENT", "PROPOSED")], False, OrderStatus.PENDING),
        ("OPEN", [_f("SHIPMENT", "PROPOSED")], True, OrderStatus.PROCESSING),
        ("OPEN", [_f("SHIPMENT", "RESERVED")], False, OrderStatus.PROCESSING),
        ("OPEN", [_f("PICKUP", "PREPARED")], True, OrderStatus.PROCESSING),
        ("COMPLETED", [_f("SHIPMENT", "PREPARED")], True, OrderStatus.PROCESSING),
        # Fulfillments done.
        ("OPEN", [_f("SHIPMENT", "COMPLETED"), _f("SHIPMENT", "RESERVED")], True, OrderStatus.PARTIALLY_SHIPPED),
        ("OPEN", [_f("PICKUP", "COMPLETED"), _f("SHIPMENT", "PROPOSED")], True, OrderStatus.PARTIALLY_SHIPPED),
        ("COMPLETED", [_f("SHIPMENT", "COMPLETED")], True, OrderStatus.SHIPPED),
        ("OPEN", [_f("SHIPMENT", "COMPLETED"), _f("SHIPMENT", "CANCELED")], True, OrderStatus.SHIPPED),
        ("COMPLETED", [_f("SHIPMENT", "COMPLETED"), _f("PICKUP", "COMPLETED")], True, OrderStatus.SHIPPED),
        ("COMPLETED", [_f("PICKUP", "COMPLETED")], True, OrderStatus.DELIVERED),
        ("COMPLETED", [_f("DELIVERY", "COMPLETED"), _f("DELIVERY", "FAILED")], True, OrderStatus.DELIVERED),
        # Nothing left to fulfil.
        ("OPEN", [_f("SHIPMENT", "FAILED")], True, OrderStatus.ON_HOLD),
        ("OPEN", [_f("SHIPMENT", "FAILED"), _f("SHIPMENT", "CANCELED")], True, OrderStatus.ON_HOLD),
        ("OPEN", [_f("SHIPMENT", "CANCELED")], True, OrderStatus.CANCELLED),
        ("COMPLETED", [_f("PICKUP", "CANCELED")], True, OrderStatus.CANCELLED),
        # No fulfillments: a counter sale or an invoice.
        ("COMPLETED", [], True, OrderStatus.DELIVERED),
        ("OPEN", [], True, OrderStatus.PROCESSING),
        ("OPEN", [], False, OrderStatus.PENDING),
    ],
)
def test_one_status_from_state_fulfillments_and_tenders(
    square: Mapper, order: dict[str, Any], state: str, fulfillments: list[dict[str, Any]], tenders: bool,
    expected: OrderStatus,
) -> None:
    order.update(state=state, fulfillments=fulfillments, tenders=order["tenders"] if tenders else [])
    mapped = square.map_records([order], notes=True)
    (o,) = mapped.orders
    assert o.status == expected
    assert o.status_text == " / ".join(filter(None, [state, ", ".join(f["state"] for f in fulfillments)]))
    assert mapped.unknown_labels == []


def test_missing_fulfillments_and_tenders_are_none(square: Mapper, order: dict[str, Any]) -> None:
    del order["fulfillments"], order["tenders"]
    o = square.map_one(order)
    assert (o.status, o.status_text) == (OrderStatus.PENDING, "OPEN")
    assert (o.customer, o.shipping_address, o.shipments, o.payment_method) == (Customer(), None, [], None)


@pytest.mark.parametrize(
    ("state", "fulfillment_state", "reported"),
    [
        ("PENDING_REVIEW", "COMPLETED", "PENDING_REVIEW"),
        ("OPEN", "IN_TRANSIT", "fulfillment IN_TRANSIT"),
        ("COMPLETED", "RETURNED", "fulfillment RETURNED"),
    ],
)
def test_unknown_labels_fall_to_unknown_and_are_reported(
    square: Mapper, order: dict[str, Any], state: str, fulfillment_state: str, reported: str
) -> None:
    order["state"] = state
    order["fulfillments"][1]["state"] = fulfillment_state
    mapped = square.map_records([order], notes=True)
    (o,) = mapped.orders
    assert o.status == OrderStatus.UNKNOWN
    assert o.status_text == f"{state} / COMPLETED, {fulfillment_state}, CANCELED"
    assert mapped.unknown_labels == [("order.status", reported)]


def test_no_state_at_all_is_unknown_without_a_label(square: Mapper) -> None:
    mapped = square.map_records([{"id": "X1"}], notes=True)
    assert (mapped.orders[0].status, mapped.orders[0].status_text, mapped.unknown_labels) == (
        OrderStatus.UNKNOWN, None, [])


@pytest.mark.parametrize(
    ("money", "expected", "text"),
    [
        ({"amount": 400, "currency": "USD"}, Decimal("4.00"), "4.00"),
        ({"amount": "17900", "currency": "USD"}, Decimal("179.00"), "179.00"),
        ({"amount": 0, "currency": "GBP"}, Decimal("0.00"), "0.00"),
        ({"amount": -250, "currency": "EUR"}, Decimal("-2.50"), "-2.50"),
        # JPY has no minor unit: 1500 is ¥1500.
        ({"amount": 1500, "currency": "JPY"}, Decimal("1500"), "1500"),
        ({"amount": 1500, "currency": "KRW"}, Decimal("1500"), "1500"),
        # Three-decimal currencies: 1500 fils is 1.500 KWD.
        ({"amount": 1500, "currency": "KWD"}, Decimal("1.500"), "1.500"),
        # A Money without a currency (Square always sends one) is read as cents.
        ({"amount": 400}, Decimal("4.00"), "4.00"),
    ],
)
def test_money_is_minor_units_in_each_currencys_exponent(
    square: Mapper, order: dict[str, Any], money: dict[str, Any], expected: Decimal, text: str
) -> None:
    order["total_money"] = money
    order["line_items"][0]["base_price_money"] = money
    o = square.map_one(order)
    assert (o.total, o.items[0].price) == (expected, expected)
    assert o.model_dump(mode="json")["total"] == text


def test_the_merchant_currency_does_not_change_how_amounts_are_read(order: dict[str, Any]) -> None:
    for currency in ("USD", "JPY"):
        o = load_mapping("square", currency=currency).map_one(order)
        assert (o.total, o.currency) == (Decimal("179.00"), "USD")
    order["total_money"] = {"amount": 1300, "currency": "JPY"}
    assert load_mapping("square", currency="USD").map_one(order).total == Decimal("1300")


@pytest.mark.parametrize("money", [None, {}, {"amount": None, "currency": "USD"}, {"currency": "USD"}])
def test_missing_money_is_none(square: Mapper, order: dict[str, Any], money: dict[str, Any] | None) -> None:
    order["total_money"] = money
    order["line_items"][0]["base_price_money"] = money
    o = square.map_one(order)
    assert (o.total, o.items[0].price) == (None, None)
    assert o.currency == ("USD" if money else None)


def test_currency_from_line_items_when_there_is_no_total(square: Mapper, order: dict[str, Any]) -> None:
    del order["total_money"]
    assert square.map_one(order).currency == "USD"
    for item in order["line_items"]:
        del item["base_price_money"]
    assert square.map_one(order).currency is None


@pytest.mark.parametrize(("raw", "expected"), [("3", 3), ("1.0", 1), ("0", 0), (2, 2), ("2.25", 1), (None, 1)])
def test_quantity_strings_and_measured_quantities(
    square: Mapper, order: dict[str, Any], raw: Any, expected: int
) -> None:
    order["line_items"][0]["quantity"] = raw
    assert square.map_one(order).items[0].quantity == expected


def test_pickup_recipient_is_the_customer_and_there_is_no_shipping_address(
    square: Mapper, order: dict[str, Any]
) -> None:
    order["fulfillments"] = [{
        "uid": "p1", "type": "PICKUP", "state": "PREPARED",
        "pickup_details": {"recipient": {"display_name": "Sansa Stark", "phone_number": "+44 20 7946 0958"},
                           "pickup_at": "2024-03-05T12:00:00Z"},
    }]
    o = square.map_one(order)
    assert o.customer == Customer(name="Sansa Stark", phone="+442079460958")
    assert o.shipping_address is None
    assert (o.status, o.shipments) == (OrderStatus.PROCESSING, [])


def test_courier_delivery_recipient_gives_the_address(square: Mapper, order: dict[str, Any]) -> None:
    order["fulfillments"] = [{
        "uid": "d1", "type": "DELIVERY", "state": "RESERVED",
        "delivery_details": {"recipient": {
            "display_name": "Arya Stark", "email_address": "arya@example.com", "phone_number": None,
            "address": {"address_line_1": "9 Kings Road", "locality": "London", "postal_code": "SW3 4RP",
                        "country": "GB"}}},
    }]
    o = square.map_one(order)
    assert o.customer == Customer(name="Arya Stark", email="arya@example.com")
    assert o.shipping_address == Address(name="Arya Stark", line1="9 Kings Road", city="London",
                                         postal_code="SW3 4RP", country="GB")


def test_address_from_the_first_recipient_with_one(square: Mapper, order: dict[str, Any]) -> None:
    order["fulfillments"][0]["shipment_details"]["recipient"] = {"display_name": "Gift Desk"}
    o = square.map_one(order)
    # Each contact detail is the first a recipient has.
    assert o.customer == Customer(name="Gift Desk", email="Jon.Snow@example.com", phone="+16135550111")
    assert o.shipping_address == Address(name="Jon Snow", line1="1 Wall Street", city="Burlington", region="VT",
                                         postal_code="05401", country="US", phone="+16135550111")


def test_nulls_in_recipient_and_address(square: Mapper, order: dict[str, Any]) -> None:
    recipient = order["fulfillments"][0]["shipment_details"]["recipient"]
    recipient.update(email_address=None, phone_number="")
    recipient["address"].update(address_line_2=None, address_line_3=None, administrative_district_level_1=None)
    o = square.map_one(order)
    assert o.customer == Customer(name="Jon Snow", email="Jon.Snow@example.com", phone="+16135550111")
    assert o.shipping_address == Address(name="Jon Snow", line1="1 Wall Street", city="Burlington",
                                         postal_code="05401", country="US")


@pytest.mark.parametrize(
    ("tenders", "expected"),
    [
        ([{"type": "CARD"}], "CARD"),
        ([{"type": "SQUARE_GIFT_CARD"}, {"type": "CASH"}], "SQUARE_GIFT_CARD, CASH"),
        ([{"id": "t1"}], None),
        ([], None),
        (None, None),
    ],
)
def test_payment_method_from_tenders(
    square: Mapper, order: dict[str, Any], tenders: list[dict[str, Any]] | None, expected: str | None
) -> None:
    order["tenders"] = tenders
    assert square.map_one(order).payment_method == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-04T16:00:00Z", datetime(2024, 3, 4, 16, 0, tzinfo=UTC)),
        ("2024-03-04T16:00:00.000Z", datetime(2024, 3, 4, 16, 0, tzinfo=UTC)),
        ("2024-03-04T16:00:00.123456Z", datetime(2024, 3, 4, 16, 0, 0, 123456, tzinfo=UTC)),
        ("2024-03-04T08:00:00-08:00", datetime(2024, 3, 4, 8, 0, tzinfo=timezone(timedelta(hours=-8)))),
    ],
)
def test_rfc3339_times(square: Mapper, order: dict[str, Any], raw: str, expected: datetime) -> None:
    order["created_at"] = raw
    order["fulfillments"][0]["shipment_details"]["shipped_at"] = raw
    o = square.map_one(order)
    assert o.created_at == expected
    assert o.shipments[0].shipped_at == expected


def test_envelopes_are_unwrapped(square: Mapper, order: dict[str, Any]) -> None:
    second = copy.deepcopy(order)
    second["reference_id"] = "1043"
    assert [o.id for o in square.map_payload({"orders": [order, second], "cursor": "abc"}).orders] == ["1042", "1043"]
    assert [o.id for o in square.map_payload({"order": order}).orders] == ["1042"]
    assert square.map_payload({"orders": []}).orders == []


def test_sample_passes_check(square: Mapper, samples: Path) -> None:
    report = check_sample(square, read_payload(samples / "square.json"))
    assert report.ok, report.lines()
    assert report.unknown_labels == {}
    assert [(o.id, o.status, o.total, o.currency, len(o.shipments)) for o in report.orders] == [
        ("SQ-1001", OrderStatus.SHIPPED, Decimal("60.50"), "USD", 1),
        ("SQ-1002", OrderStatus.PARTIALLY_SHIPPED, Decimal("198.50"), "USD", 1),
        ("zTfCVeXw9qRbNw1d5Y8JkLmPaHgZY", OrderStatus.PROCESSING, Decimal("1300"), "JPY", 0),
    ]


def test_sample_canonical_json(square: Mapper, samples: Path, snapshot: SnapshotAssertion) -> None:
    orders = square.map_payload(read_payload(samples / "square.json").data).orders
    assert [o.model_dump(mode="json") for o in orders] == snapshot
