"""The `amazon` preset on Selling Partner API Orders v0 payloads: statuses, restricted buyer data, embedded order
items, line prices, money, UTC dates and the getOrders envelope."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from tools.check import check_sample, missing_minimum
from tools.errors import RecordError
from tools.files import read_payload
from tools.mapping import Mapper, load_mapping
from tools.schema import Address, Customer, Item, OrderStatus


@pytest.fixture(scope="module")
def amazon() -> Mapper:
    return load_mapping("amazon")


@pytest.fixture
def order(fixtures: Path) -> dict[str, Any]:
    """A shipped merchant-fulfilled order read with a Restricted Data Token, its getOrderItems lines embedded."""
    data: dict[str, Any] = json.loads((fixtures / "amazon_order.json").read_text(encoding="utf-8"))
    return data


def test_identity_contact_address_items_and_money(amazon: Mapper, order: dict[str, Any]) -> None:
    o = amazon.map_one(order)
    assert (o.id, o.external_ref_id) == ("902-3159896-1390916", "SO-20240304-0042")
    assert (o.status, o.status_text) == (OrderStatus.SHIPPED, "Shipped")
    assert o.created_at == datetime(2024, 3, 4, 16, 0, tzinfo=UTC)
    assert o.updated_at == datetime(2024, 3, 6, 14, 30, tzinfo=UTC)
    assert o.customer == Customer(name="Jon Snow", email="2r5fx7q9mkd1ht4@marketplace.amazon.com", phone="+18025550142")
    assert o.shipping_address == Address(
        name="Jon Snow", line1="1 Wall Street", line2="Suite 200, c/o Night's Watch", city="Burlington", region="VT",
        postal_code="05401-3320", country="US", phone="+18025550142",
    )
    # ItemPrice is the line's price: it is a unit price only on a line of one.
    assert o.items == [
        Item(sku="BOOT-42", name="Trail Boot, Size 42, Brown", quantity=1, price=Decimal("59.99"),
             product_id="B00X4WHP5E"),
        Item(sku="SOCK-3P", name="Wool Socks, 3 Pairs", quantity=2, price=None, product_id="B01MYWG3TL"),
    ]
    assert (o.total, o.currency) == (Decimal("89.97"), "USD")
    assert o.payment_method == "CreditCard, GiftCertificate"
    # The order resource has no carrier, tracking number or delivery date.
    assert o.shipments == []


def test_external_ref_id_falls_back_to_the_amazon_order_id(amazon: Mapper, order: dict[str, Any]) -> None:
    del order["SellerOrderId"]
    assert amazon.map_one(order).external_ref_id == "902-3159896-1390916"
    order["SellerOrderId"] = ""
    assert amazon.map_one(order).external_ref_id == "902-3159896-1390916"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("PendingAvailability", OrderStatus.PENDING),
        ("Pending", OrderStatus.PENDING),
        ("Unshipped", OrderStatus.PROCESSING),
        ("PartiallyShipped", OrderStatus.PARTIALLY_SHIPPED),
        ("Shipped", OrderStatus.SHIPPED),
        ("InvoiceUnconfirmed", OrderStatus.SHIPPED),
        ("Canceled", OrderStatus.CANCELLED),
        ("Unfulfillable", OrderStatus.ON_HOLD),
        ("UNSHIPPED", OrderStatus.PROCESSING),
        (" partiallyshipped ", OrderStatus.PARTIALLY_SHIPPED),
    ],
)
def test_every_order_status(amazon: Mapper, order: dict[str, Any], label: str, expected: OrderStatus) -> None:
    order["OrderStatus"] = label
    mapped = amazon.map_records([order], notes=True)
    (o,) = mapped.orders
    assert (o.status, o.status_text) == (expected, label.strip())
    assert mapped.unknown_labels == []


@pytest.mark.parametrize("label", ["AwaitingPickup", "Pending Review"])
def test_unknown_status_is_unknown_and_reported(amazon: Mapper, order: dict[str, Any], label: str) -> None:
    order["OrderStatus"] = label
    mapped = amazon.map_records([order], notes=True)
    assert (mapped.orders[0].status, mapped.orders[0].status_text) == (OrderStatus.UNKNOWN, label)
    assert mapped.unknown_labels == [("order.status", label)]


def test_missing_status_is_unknown_without_a_label(amazon: Mapper, order: dict[str, Any]) -> None:
    del order["OrderStatus"]
    mapped = amazon.map_records([order], notes=True)
    assert (mapped.orders[0].status, mapped.orders[0].status_text) == (OrderStatus.UNKNOWN, None)
    assert mapped.unknown_labels == []


def test_without_restricted_data_only_the_coarse_address_is_left(amazon: Mapper, order: dict[str, Any]) -> None:
    """Read without a Restricted Data Token: no BuyerInfo, and only city, region, postal code and country."""
    del order["BuyerInfo"]
    order["ShippingAddress"] = {"City": "BURLINGTON", "StateOrRegion": "VT", "PostalCode": "05401-3320",
                                "CountryCode": "US"}
    o = amazon.map_one(order)
    assert o.customer == Customer()
    assert o.shipping_address == Address(city="BURLINGTON", region="VT", postal_code="05401-3320", country="US")
    assert missing_minimum(o) == ["email or phone"]


def test_nulls_and_missing_optional_blocks(amazon: Mapper, order: dict[str, Any]) -> None:
    order.update(BuyerInfo={}, ShippingAddress=None, PaymentMethodDetails=None, PaymentMethod=None,
                 LastUpdateDate=None, SellerOrderId=None)
    o = amazon.map_one(order)
    assert o.customer == Customer()
    assert o.shipping_address is None
    assert o.payment_method is None
    assert o.updated_at is None
    assert o.external_ref_id == "902-3159896-1390916"
    order["ShippingAddress"] = {"Name": None, "AddressLine1": "", "AddressLine2": None, "City": None}
    assert amazon.map_one(order).shipping_address is None


def test_buyer_fields_at_the_top_level_of_older_payloads(amazon: Mapper, order: dict[str, Any]) -> None:
    del order["BuyerInfo"]
    order.update(BuyerEmail="Old.Style@Marketplace.Amazon.com", BuyerName="Arya Stark")
    o = amazon.map_one(order)
    assert (o.customer.name, o.customer.email) == ("Arya Stark", "Old.Style@marketplace.amazon.com")


def test_the_shipping_phone_reads_in_the_merchant_region(order: dict[str, Any]) -> None:
    order["ShippingAddress"].update(CountryCode="JP", Phone="090-1234-5678")
    assert load_mapping("amazon").map_one(order).customer.phone == "090-1234-5678"
    o = load_mapping("amazon", region="JP").map_one(order)
    assert o.customer.phone == "+819012345678"
    assert o.shipping_address is not None and o.shipping_address.phone == "+819012345678"


@pytest.mark.parametrize(
    ("quantity", "price"),
    [(1, Decimal("59.99")), ("1", Decimal("59.99")), (1.0, Decimal("59.99")), (3, None), (0, None)],
)
def test_item_price_only_when_the_line_is_one_unit(
    amazon: Mapper, order: dict[str, Any], quantity: Any, price: Decimal | None
) -> None:
    order["OrderItems"][0]["QuantityOrdered"] = quantity
    item = amazon.map_one(order).items[0]
    assert (item.quantity, item.price) == (int(quantity), price)


def test_items_embedded_as_the_whole_get_order_items_payload(amazon: Mapper, order: dict[str, Any]) -> None:
    lines = order["OrderItems"]
    order["OrderItems"] = {"AmazonOrderId": order["AmazonOrderId"], "OrderItems": lines, "NextToken": None}
    assert [i.sku for i in amazon.map_one(order).items] == ["BOOT-42", "SOCK-3P"]
    # One line as an object is one item.
    order["OrderItems"] = lines[0]
    assert [i.sku for i in amazon.map_one(order).items] == ["BOOT-42"]


def test_order_without_items_or_total(amazon: Mapper, order: dict[str, Any]) -> None:
    """A Pending order often has no OrderTotal yet; the currency is still on embedded item prices."""
    order.update(OrderStatus="Pending", OrderTotal=None)
    o = amazon.map_one(order)
    assert (o.status, o.total, o.currency) == (OrderStatus.PENDING, None, "USD")
    del order["OrderItems"]
    o = amazon.map_one(order)
    assert (o.items, o.total, o.currency) == ([], None, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("89.97", Decimal("89.97")), (89.97, Decimal("89.97")), (90, Decimal("90")), ("1,299.00", Decimal("1299.00")),
     ("7960", Decimal("7960"))],
)
def test_money_as_strings_or_numbers(amazon: Mapper, order: dict[str, Any], raw: Any, expected: Decimal) -> None:
    order["OrderTotal"]["Amount"] = raw
    order["OrderItems"][0]["ItemPrice"]["Amount"] = raw
    o = amazon.map_one(order)
    assert (o.total, o.items[0].price) == (expected, expected)


def test_currency_comes_with_the_amount(amazon: Mapper, order: dict[str, Any]) -> None:
    order["OrderTotal"] = {"CurrencyCode": "jpy", "Amount": "7960"}
    o = amazon.map_one(order)
    assert (o.total, o.currency) == (Decimal("7960"), "JPY")
    assert o.model_dump(mode="json")["total"] == "7960"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-04T16:00:00Z", datetime(2024, 3, 4, 16, 0, tzinfo=UTC)),
        ("2024-03-04T16:00:00.000Z", datetime(2024, 3, 4, 16, 0, tzinfo=UTC)),
        ("2024-03-05T01:00:00+09:00", datetime(2024, 3, 5, 1, 0, tzinfo=timezone(timedelta(hours=9)))),
        ("2024-03-04T16:00:00", datetime(2024, 3, 4, 16, 0, tzinfo=UTC)),
    ],
)
def test_dates_are_utc(amazon: Mapper, order: dict[str, Any], raw: str, expected: datetime) -> None:
    order["PurchaseDate"] = raw
    created = amazon.map_one(order).created_at
    assert created == expected
    assert created == datetime(2024, 3, 4, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("details", "method", "expected"),
    [
        (["Standard"], "Other", "Standard"),
        (["CashOnDelivery"], "COD", "CashOnDelivery"),
        ([], "CVS", "CVS"),
        (None, "Other", "Other"),
        (None, None, None),
    ],
)
def test_payment_method(
    amazon: Mapper, order: dict[str, Any], details: list[str] | None, method: str | None, expected: str | None
) -> None:
    order.update(PaymentMethodDetails=details, PaymentMethod=method)
    assert amazon.map_one(order).payment_method == expected


def test_get_orders_envelope_is_unwrapped(amazon: Mapper, order: dict[str, Any]) -> None:
    second = copy.deepcopy(order)
    second["AmazonOrderId"] = "902-3159896-1390917"
    payload = {"payload": {"Orders": [order, second], "NextToken": "abc", "LastUpdatedBefore": "2024-03-07T00:00:00Z"}}
    assert [o.id for o in amazon.map_payload(payload).orders] == ["902-3159896-1390916", "902-3159896-1390917"]
    assert amazon.map_payload({"payload": {"Orders": []}}).orders == []


def test_get_order_envelope_and_a_bare_order_are_one_record(amazon: Mapper, order: dict[str, Any]) -> None:
    """getOrder answers {"payload": {...order}}; an order already out of its envelope is one record too."""
    assert [o.id for o in amazon.map_payload({"payload": order}).orders] == ["902-3159896-1390916"]
    assert [o.id for o in amazon.map_payload(order).orders] == ["902-3159896-1390916"]
    with pytest.raises(RecordError, match="records"):
        amazon.records({"payload": {"NextToken": "abc"}})


def test_sample_passes_check(amazon: Mapper, samples: Path) -> None:
    report = check_sample(amazon, read_payload(samples / "amazon.json"))
    assert report.ok, report.lines()
    assert report.unknown_labels == {}
    assert [(o.id, o.status, o.currency) for o in report.orders] == [
        ("113-5536402-1234567", OrderStatus.SHIPPED, "USD"),
        ("114-3941689-8772232", OrderStatus.PROCESSING, "USD"),
        ("503-2817734-6610458", OrderStatus.PARTIALLY_SHIPPED, "JPY"),
    ]
    assert not any(name.startswith(("OrderItems", "BuyerInfo", "OrderTotal")) for name in report.unused)


def test_sample_canonical_json(amazon: Mapper, samples: Path, snapshot: SnapshotAssertion) -> None:
    orders = amazon.map_payload(read_payload(samples / "amazon.json").data).orders
    assert [o.model_dump(mode="json") for o in orders] == snapshot
