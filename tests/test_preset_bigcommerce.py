"""The `bigcommerce` preset on BigCommerce v2 orders: status ids, RFC 2822 dates, 4-decimal money, sub-resources
embedded or left as links, shipments."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tools.check import check_sample, missing_minimum
from tools.files import read_payload
from tools.mapping import Mapper, load_mapping
from tools.schema import OrderStatus, ShipmentStatus

EST = timezone(timedelta(hours=-5))


@pytest.fixture(scope="module")
def bc() -> Mapper:
    return load_mapping("bigcommerce")


@pytest.fixture
def order(fixtures: Path) -> dict[str, Any]:
    """A partially shipped order, products, address and two shipments embedded (one by a local courier)."""
    data: dict[str, Any] = json.loads((fixtures / "bigcommerce_order.json").read_text(encoding="utf-8"))
    return data


def _link(order_id: int, resource: str) -> dict[str, str]:
    return {"url": f"https://api.bigcommerce.com/stores/abc123/v2/orders/{order_id}/{resource}",
            "resource": f"/orders/{order_id}/{resource}"}


def test_identity_contact_address_items_and_money(bc: Mapper, order: dict[str, Any]) -> None:
    o = bc.map_one(order)
    assert (o.id, o.external_ref_id) == ("250", "250")
    assert (o.status, o.status_text) == (OrderStatus.PARTIALLY_SHIPPED, "Partially Shipped")
    assert o.customer.model_dump() == {"name": "Jon Snow", "email": "Jon.Snow@example.com", "phone": "(802) 555-0142"}
    assert o.shipping_address is not None
    assert o.shipping_address.model_dump() == {
        "name": "Jon Snow", "line1": "1 Wall Street", "line2": "Suite 200", "city": "Burlington", "region": "Vermont",
        "postal_code": "05401", "country": "US", "phone": "555-625-1199",
    }
    # 4-decimal strings stay exact; the unit price is the one before tax.
    assert [(i.sku, i.name, i.quantity, i.price, i.product_id) for i in o.items] == [
        ("BOOT-42", "Trail Boot - 42 / Brown", 1, Decimal("129.0000"), "77"),
        ("SOCK-3P", "Wool Socks", 2, Decimal("12.5000"), "78"),
        ("LACE-BRN", "Spare Laces", 1, Decimal("25.0000"), "79"),
    ]
    assert (o.total, o.currency, o.payment_method) == (Decimal("206.7600"), "USD", "Credit Card")


STATUS_IDS = [
    (0, "Incomplete", OrderStatus.PENDING),
    (1, "Pending", OrderStatus.PENDING),
    (2, "Shipped", OrderStatus.SHIPPED),
    (3, "Partially Shipped", OrderStatus.PARTIALLY_SHIPPED),
    (4, "Refunded", OrderStatus.REFUNDED),
    (5, "Cancelled", OrderStatus.CANCELLED),
    (6, "Declined", OrderStatus.CANCELLED),
    (7, "Awaiting Payment", OrderStatus.PENDING),
    (8, "Awaiting Pickup", OrderStatus.PROCESSING),
    (9, "Awaiting Shipment", OrderStatus.PROCESSING),
    (10, "Completed", OrderStatus.DELIVERED),
    (11, "Awaiting Fulfillment", OrderStatus.PROCESSING),
    (12, "Manual Verification Required", OrderStatus.ON_HOLD),
    (13, "Disputed", OrderStatus.ON_HOLD),
    (14, "Partially Refunded", OrderStatus.SHIPPED),  # the fixture's 3 of 4 units shipped, 1 refunded below
]


@pytest.mark.parametrize(("status_id", "name", "expected"), STATUS_IDS)
def test_every_status_id(
    bc: Mapper, order: dict[str, Any], status_id: int, name: str, expected: OrderStatus
) -> None:
    order.update(status_id=status_id, status=name, custom_status=name)
    order["products"][2]["quantity_refunded"] = 1
    mapped = bc.map_records([order], notes=True)
    assert (mapped.orders[0].status, mapped.orders[0].status_text) == (expected, name)
    assert mapped.unknown_labels == []


@pytest.mark.parametrize(("status_id", "name", "expected"), STATUS_IDS)
def test_status_id_as_text_and_name_without_id(
    bc: Mapper, order: dict[str, Any], status_id: int, name: str, expected: OrderStatus
) -> None:
    order["products"][2]["quantity_refunded"] = 1
    order.update(status_id=str(status_id), status=None, custom_status=None)
    assert (bc.map_one(order).status, bc.map_one(order).status_text) == (expected, name)
    del order["status_id"]
    order.update(status=name)
    assert bc.map_one(order).status == expected


@pytest.mark.parametrize(
    ("shipped", "total", "refunded", "expected"),
    [
        (0, 4, [0, 0, 1], OrderStatus.PROCESSING),  # refunded before anything left
        (1, 4, [0, 0, 1], OrderStatus.PARTIALLY_SHIPPED),  # 1 shipped + 1 refunded of 4: two still to go
        (3, 4, [0, 0, 0], OrderStatus.PARTIALLY_SHIPPED),  # a refund of money only (a discount after the fact)
        (3, 4, [0, 0, 1], OrderStatus.SHIPPED),  # the unshipped unit was refunded: nothing else will ship
        (4, 4, [0, 0, 0], OrderStatus.SHIPPED),
    ],
)
def test_partially_refunded_reads_how_much_shipped(
    bc: Mapper, order: dict[str, Any], shipped: int, total: int, refunded: list[int], expected: OrderStatus
) -> None:
    order.update(status_id=14, custom_status="Partially Refunded", items_shipped=shipped, items_total=total)
    for product, quantity in zip(order["products"], refunded, strict=True):
        product["quantity_refunded"] = quantity
    o = bc.map_one(order)
    assert (o.status, o.status_text) == (expected, "Partially Refunded")


def test_partially_refunded_counts_read_from_text(bc: Mapper, order: dict[str, Any]) -> None:
    order.update(status_id="14", items_shipped="3", items_total="4")
    order["products"][2]["quantity_refunded"] = "1"
    assert bc.map_one(order).status == OrderStatus.SHIPPED


def test_partially_refunded_without_embedded_products_counts_shipped_units(bc: Mapper, order: dict[str, Any]) -> None:
    order.update(status_id=14, items_shipped=3, items_total=4, products=_link(250, "products"))
    assert bc.map_one(order).status == OrderStatus.PARTIALLY_SHIPPED
    order["items_shipped"] = 4
    assert bc.map_one(order).status == OrderStatus.SHIPPED


@pytest.mark.parametrize(("status_id", "name"), [(15, "Some Future Status"), (None, "Awaiting Approval")])
def test_unknown_status_is_unknown_and_reported(
    bc: Mapper, order: dict[str, Any], status_id: int | None, name: str
) -> None:
    order.update(status_id=status_id, status=name, custom_status=name)
    mapped = bc.map_records([order], notes=True)
    assert (mapped.orders[0].status, mapped.orders[0].status_text) == (OrderStatus.UNKNOWN, name)
    assert mapped.unknown_labels == [("order.status", str(status_id) if status_id is not None else name)]


def test_status_text_is_the_merchants_label(bc: Mapper, order: dict[str, Any]) -> None:
    order.update(status_id=11, status="Awaiting Fulfillment", custom_status="Being packed")
    assert (bc.map_one(order).status, bc.map_one(order).status_text) == (OrderStatus.PROCESSING, "Being packed")
    order["custom_status"] = ""
    assert bc.map_one(order).status_text == "Awaiting Fulfillment"


def test_rfc_2822_dates_keep_their_offset(bc: Mapper, order: dict[str, Any]) -> None:
    o = bc.map_one(order)
    assert o.created_at == datetime(2024, 3, 4, 11, 0, tzinfo=EST)
    assert o.created_at == datetime(2024, 3, 4, 16, 0, tzinfo=UTC)
    assert o.updated_at == datetime(2024, 3, 7, 14, 30, tzinfo=UTC)
    # A merchant's zone changes nothing: every v2 date has its offset.
    assert load_mapping("bigcommerce", timezone="Asia/Tokyo").map_one(order).created_at == o.created_at


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("206.7600", Decimal("206.7600")), ("0.0000", Decimal("0")), (206.76, Decimal("206.76")), (207, Decimal("207"))],
)
def test_money_as_strings_or_numbers(bc: Mapper, order: dict[str, Any], raw: Any, expected: Decimal) -> None:
    order["total_inc_tax"] = raw
    order["products"][0]["price_ex_tax"] = raw
    o = bc.map_one(order)
    assert (o.total, o.items[0].price) == (expected, expected)


def test_price_falls_back_to_base_price_and_currency_to_default(bc: Mapper, order: dict[str, Any]) -> None:
    del order["products"][0]["price_ex_tax"]
    order.update(currency_code=None, default_currency_code="cad")
    o = bc.map_one(order)
    assert (o.items[0].price, o.currency) == (Decimal("129.0000"), "CAD")


def test_link_objects_are_not_data(bc: Mapper, order: dict[str, Any]) -> None:
    """Without the integration fetching the sub-resources the order has links only: no items, no address."""
    order.update(products=_link(250, "products"), shipping_addresses=_link(250, "shipping_addresses"))
    del order["shipments"]
    mapped = bc.map_records([order])
    (o,) = mapped.orders
    assert (o.items, o.shipping_address, o.shipments) == ([], None, [])
    assert missing_minimum(o) == ["items"]


def test_nulls_and_missing_optional_blocks(bc: Mapper, order: dict[str, Any]) -> None:
    order["billing_address"].update(phone=None, last_name="", email="jon@example.com")
    order["shipping_addresses"][0].update(street_2=None, phone="", state="", country_iso2=None)
    order.update(date_modified="", payment_method=None)
    del order["shipments"]
    o = bc.map_one(order)
    assert o.customer.model_dump() == {"name": "Jon", "email": "jon@example.com", "phone": None}
    assert o.shipping_address is not None
    assert (o.shipping_address.line2, o.shipping_address.region, o.shipping_address.phone) == (None, None, None)
    assert o.shipping_address.country == "United States"
    assert (o.updated_at, o.payment_method, o.shipments) == (None, None, [])


def test_only_the_first_of_several_shipping_addresses(bc: Mapper, order: dict[str, Any]) -> None:
    second = copy.deepcopy(order["shipping_addresses"][0])
    second.update(id=41, first_name="Arya", street_1="2 Kings Road", street_2="")
    order["shipping_addresses"].append(second)
    o = bc.map_one(order)
    assert o.shipping_address is not None and o.shipping_address.line1 == "1 Wall Street"


def test_split_shipments(bc: Mapper, order: dict[str, Any]) -> None:
    o = bc.map_one(order)
    assert [(s.carrier, s.tracking_number, s.tracking_url, s.status, s.shipped_at) for s in o.shipments] == [
        # `upsready` is the label integration: the carrier is UPS. BigCommerce's generated link is kept.
        ("UPS", "1Z999AA10123456784",
         "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1Z999AA10123456784",
         ShipmentStatus.UNKNOWN, datetime(2024, 3, 5, 15, 0, tzinfo=UTC)),
        # A custom courier: no carrier name, the merchant's own link.
        (None, "AF-7731", "https://acme-freight.example/t/AF-7731", ShipmentStatus.UNKNOWN,
         datetime(2024, 3, 6, 13, 15, tzinfo=UTC)),
    ]
    # Shipment items carry no sku or name, only how many units the package holds.
    assert [[(i.sku, i.name, i.quantity) for i in s.items] for s in o.shipments] == [[(None, None, 1)],
                                                                                     [(None, None, 2)]]


@pytest.mark.parametrize(
    ("carrier", "provider", "expected"),
    [
        ("fedex", "", "FedEx"),
        ("canada-post", "canadapost", "Canada Post"),
        ("royal-mail", "", "Royal Mail"),
        ("", "auspost", "Australia Post"),
        ("", "endicia", "USPS"),
        ("", "upsonline", "UPS"),
        ("usps", "endicia", "USPS"),
    ],
)
def test_carrier_from_tracking_carrier_then_provider(
    bc: Mapper, order: dict[str, Any], carrier: str, provider: str, expected: str
) -> None:
    order["shipments"][1].update(tracking_carrier=carrier, shipping_provider=provider, tracking_link="")
    assert bc.map_one(order).shipments[1].carrier == expected


def test_shipperhq_is_no_carrier_so_the_number_names_it(bc: Mapper, order: dict[str, Any]) -> None:
    order["shipments"][0].update(shipping_provider="shipperhq", generated_tracking_link="")
    s = bc.map_one(order).shipments[0]
    assert (s.carrier, s.tracking_url) == ("UPS", "https://www.ups.com/track?tracknum=1Z999AA10123456784")


def test_merchants_link_wins_over_the_generated_one(bc: Mapper, order: dict[str, Any]) -> None:
    order["shipments"][0]["tracking_link"] = "https://brand.example/track/1Z999AA10123456784"
    assert bc.map_one(order).shipments[0].tracking_url == "https://brand.example/track/1Z999AA10123456784"


def test_shipped_at_falls_back_to_the_orders_date_shipped(bc: Mapper, order: dict[str, Any]) -> None:
    order["shipments"][0]["date_created"] = ""
    assert bc.map_one(order).shipments[0].shipped_at == datetime(2024, 3, 6, 13, 15, tzinfo=UTC)
    order["date_shipped"] = ""
    assert bc.map_one(order).shipments[0].shipped_at is None


def test_shipments_as_a_link_or_empty(bc: Mapper, order: dict[str, Any]) -> None:
    for shipments in (_link(250, "shipments"), [], None):
        order["shipments"] = shipments
        assert bc.map_one(order).shipments == []


def test_envelopes_are_unwrapped(bc: Mapper, order: dict[str, Any]) -> None:
    other = copy.deepcopy(order)
    other["id"] = 251
    # v2 answers a bare list (or one object); v3-style `{data, meta}` wrappers are detected too.
    assert [o.id for o in bc.map_payload([order, other]).orders] == ["250", "251"]
    assert [o.id for o in bc.map_payload({"data": [order, other], "meta": {}}).orders] == ["250", "251"]
    assert [o.id for o in bc.map_payload(order).orders] == ["250"]


def test_sample_passes_check(bc: Mapper, samples: Path) -> None:
    report = check_sample(bc, read_payload(samples / "bigcommerce.json"))
    assert report.ok, report.lines()
    assert report.unknown_labels == {}
    assert [(o.id, o.status, o.currency, len(o.shipments)) for o in report.orders] == [
        ("118", OrderStatus.SHIPPED, "USD", 2),
        ("119", OrderStatus.PROCESSING, "CAD", 0),
        ("120", OrderStatus.SHIPPED, "GBP", 1),
    ]


def test_sample_canonical_json(bc: Mapper, samples: Path, snapshot: Any) -> None:
    orders = bc.map_payload(read_payload(samples / "bigcommerce.json").data).orders
    assert [o.model_dump(mode="json") for o in orders] == snapshot
