"""The `bytedesk` preset against the widget's `orderInfo`: both documented shapes, goods object or array, nulls,
status codes and Chinese labels, money as numbers or strings, naive times in Asia/Shanghai, logistics in `extra`."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from syrupy.assertion import SnapshotAssertion

from tools.check import check_sample
from tools.files import read_payload
from tools.mapping import Mapper, load_mapping
from tools.schema import Address, Customer, Item, OrderStatus, Shipment

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def bytedesk() -> Mapper:
    return load_mapping("bytedesk")


def _load(fixtures: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((fixtures / name).read_text(encoding="utf-8"))
    return data


@pytest.fixture
def legacy(fixtures: Path) -> dict[str, Any]:
    """The documentation's chatConfig.orderInfo example: nested goods object, extra as a JSON string."""
    return _load(fixtures, "bytedesk_legacy.json")


@pytest.fixture
def flat(fixtures: Path) -> dict[str, Any]:
    """The newer flattened shape: order* product fields, shipping* fields, amounts as numeric strings."""
    return _load(fixtures, "bytedesk_flat.json")


def test_legacy_shape(bytedesk: Mapper, legacy: dict[str, Any]) -> None:
    o = bytedesk.map_one(legacy)
    assert o.id == "ORD202505270001"
    assert o.status == OrderStatus.PROCESSING
    assert o.status_text == "Paid"
    assert o.created_at == datetime(2025, 5, 27, 14, 30, tzinfo=SHANGHAI)
    assert o.created_at.isoformat() == "2025-05-27T14:30:00+08:00"
    assert o.customer == Customer(name="Zhang San", phone="+8613800138000")
    assert o.shipping_address == Address(
        name="Zhang San", line1="No. 88 Jianguo Road, Chaoyang District, Beijing", phone="+8613800138000"
    )
    assert o.items == [
        Item(
            product_id="goods_001",
            name="BYD Yangwang U7 Luxury Pure Electric Sedan",
            quantity=1,
            price=Decimal("299900"),
            image_url="https://example.com/yu7.jpg",
            url="https://example.com/product/yu7",
        )
    ]
    assert o.total == Decimal("299900")
    assert o.currency == "CNY"
    assert o.payment_method == "WeChat Pay"
    assert o.extra == {
        "invoiceType": "Electronic Invoice",
        "expectedDelivery": "2025-05-30",
        "remarks": "Please deliver on weekdays",
    }
    assert o.shipments == [Shipment(estimated_delivery=datetime(2025, 5, 30, tzinfo=SHANGHAI))]


def test_flattened_shape_with_numeric_strings_and_address_as_text(bytedesk: Mapper, flat: dict[str, Any]) -> None:
    o = bytedesk.map_one(flat)
    assert o.id == "ORD202506050003"
    assert o.status == OrderStatus.SHIPPED
    assert o.status_text == "运输中"
    assert o.created_at == datetime(2025, 6, 5, 20, 0, tzinfo=SHANGHAI)
    assert o.customer == Customer(name="王五", phone="+8613700001111")
    assert o.shipping_address == Address(name="王五", line1="广东省深圳市南山区科技园1号", phone="+8613700001111")
    assert o.items == [
        Item(
            name="Ceramic Tea Set",
            quantity=2,
            price=Decimal("134.50"),
            image_url="https://example.com/teaset.jpg",
            url="https://example.com/product/teaset",
        )
    ]
    assert o.total == Decimal("269.00")
    assert o.payment_method == "微信支付"
    assert o.shipments == [
        Shipment(
            carrier="YTO Express",
            tracking_number="YT6012345678901",
            tracking_url="https://www.yto.net.cn/?waybillNo=YT6012345678901",
            estimated_delivery=datetime(2025, 6, 8, 18, 0, tzinfo=SHANGHAI),
        )
    ]


def test_flattened_shape_with_address_object(bytedesk: Mapper, flat: dict[str, Any]) -> None:
    flat["shippingAddress"] = {"name": "Zhao Liu", "phone": "13600002222", "address": "No. 1 Tianfu Avenue, Chengdu"}
    flat["shippingName"] = flat["shippingPhone"] = None
    o = bytedesk.map_one(flat)
    assert o.shipping_address == Address(name="Zhao Liu", line1="No. 1 Tianfu Avenue, Chengdu", phone="+8613600002222")
    assert o.customer.phone == "+8613600002222"


def test_an_address_object_without_address_gives_no_line1(bytedesk: Mapper, flat: dict[str, Any]) -> None:
    flat["shippingAddress"] = {"name": "Zhao Liu"}
    o = bytedesk.map_one(flat)
    assert o.shipping_address == Address(name="Zhao Liu", phone="+8613700001111")


def test_goods_array_gives_one_item_each_in_order(bytedesk: Mapper, legacy: dict[str, Any]) -> None:
    legacy["goods"] = [
        {"uid": "g1", "title": "Earbuds", "price": "199.00", "quantity": "2"},
        {"goodsUid": "g2", "title": "Case", "price": 29.9, "quantity": 1},
        {"uid": "g3", "title": "Cable"},
    ]
    o = bytedesk.map_one(legacy)
    assert [(i.product_id, i.name, i.quantity, i.price) for i in o.items] == [
        ("g1", "Earbuds", 2, Decimal("199.00")),
        ("g2", "Case", 1, Decimal("29.9")),
        ("g3", "Cable", 1, None),
    ]


def test_the_order_number_is_never_taken_for_a_product_id(bytedesk: Mapper, flat: dict[str, Any]) -> None:
    # The demo normaliser accepts `uid` in place of orderUid on the flattened shape.
    flat["uid"] = flat.pop("orderUid")
    o = bytedesk.map_one(flat)
    assert o.id == "ORD202506050003"
    assert [(i.product_id, i.name) for i in o.items] == [(None, "Ceramic Tea Set")]


@pytest.mark.parametrize("key", ["goods", "shippingAddress", "extra", "totalAmount", "time", "paymentMethod"])
def test_nulls_are_absent_values(bytedesk: Mapper, legacy: dict[str, Any], key: str) -> None:
    legacy[key] = None
    o = bytedesk.map_one(legacy)
    assert o.id == "ORD202505270001"
    assert o.status == OrderStatus.PROCESSING
    if key == "goods":
        assert o.items == []
    if key == "shippingAddress":
        assert o.shipping_address is None
        assert o.customer == Customer()
    if key == "extra":
        assert o.extra == {}
        assert o.shipments == []
    if key == "totalAmount":
        assert o.total is None
        assert o.currency == "CNY"
    if key == "time":
        assert o.created_at is None
    if key == "paymentMethod":
        assert o.payment_method is None


def test_a_bare_minimum_order(bytedesk: Mapper) -> None:
    o = bytedesk.map_one({"uid": "A1", "status": None, "goods": [], "shippingAddress": "", "extra": None})
    assert o.id == "A1"
    assert o.status == OrderStatus.UNKNOWN
    assert (o.items, o.shipments, o.shipping_address, o.extra) == ([], [], None, {})


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("pending", OrderStatus.PENDING),
        ("unpaid", OrderStatus.PENDING),
        ("paid", OrderStatus.PROCESSING),
        ("PAID", OrderStatus.PROCESSING),
        ("processing", OrderStatus.PROCESSING),
        ("shipped", OrderStatus.SHIPPED),
        ("delivered", OrderStatus.DELIVERED),
        ("completed", OrderStatus.DELIVERED),
        ("cancelled", OrderStatus.CANCELLED),
        ("canceled", OrderStatus.CANCELLED),
        ("refunded", OrderStatus.REFUNDED),
        ("returned", OrderStatus.RETURNED),
    ],
)
def test_status_codes(bytedesk: Mapper, code: str, expected: OrderStatus) -> None:
    o = bytedesk.map_one({"uid": "A1", "status": code, "statusText": "something else"})
    assert o.status == expected
    assert o.status_text == "something else"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("待付款", OrderStatus.PENDING),
        ("已支付", OrderStatus.PROCESSING),
        ("已付款", OrderStatus.PROCESSING),
        ("待发货", OrderStatus.PROCESSING),
        ("已发货", OrderStatus.SHIPPED),
        ("运输中", OrderStatus.SHIPPED),
        ("已送达", OrderStatus.DELIVERED),
        ("已签收", OrderStatus.DELIVERED),
        ("已完成", OrderStatus.DELIVERED),
        ("已取消", OrderStatus.CANCELLED),
        ("已退款", OrderStatus.REFUNDED),
        ("退货", OrderStatus.RETURNED),
        ("Paid", OrderStatus.PROCESSING),
        ("In transit", OrderStatus.SHIPPED),
    ],
)
def test_status_text_is_the_fallback_when_there_is_no_code(bytedesk: Mapper, label: str, expected: OrderStatus) -> None:
    o = bytedesk.map_one({"uid": "A1", "statusText": label})
    assert o.status == expected
    assert o.status_text == label


def test_state_stands_in_for_status(bytedesk: Mapper) -> None:
    o = bytedesk.map_one({"orderUid": "A1", "state": "delivered"})
    assert (o.status, o.status_text) == (OrderStatus.DELIVERED, "delivered")


def test_unknown_status_labels_are_reported(bytedesk: Mapper) -> None:
    mapped = bytedesk.map_records(
        [{"uid": "A1", "status": "awaiting_review", "statusText": "审核中"}, {"uid": "A2", "statusText": "退款中"}],
        notes=True,
    )
    assert mapped.errors == []
    assert [(o.status, o.status_text) for o in mapped.orders] == [
        (OrderStatus.UNKNOWN, "审核中"),
        (OrderStatus.UNKNOWN, "退款中"),
    ]
    assert mapped.unknown_labels == [("order.status", "awaiting_review"), ("order.status", "退款中")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (299900, Decimal("299900")),
        (199.9, Decimal("199.9")),
        (0.1, Decimal("0.1")),
        ("199.90", Decimal("199.90")),
        (" 88 ", Decimal("88")),
        ("1,299.00", Decimal("1299.00")),
        ("¥59.00", Decimal("59.00")),
    ],
)
def test_money_as_numbers_or_strings(bytedesk: Mapper, raw: Any, expected: Decimal) -> None:
    o = bytedesk.map_one({"uid": "A1", "totalAmount": raw, "goods": {"uid": "g", "price": raw, "quantity": "3"}})
    assert o.total == expected
    assert o.items[0].price == expected
    assert o.items[0].quantity == 3


def test_a_bad_amount_fails_the_record_naming_the_field(bytedesk: Mapper) -> None:
    mapped = bytedesk.map_records([{"uid": "A1", "totalAmount": "about 10 yuan"}, {"uid": "A2", "totalAmount": 5}])
    assert [o.id for o in mapped.orders] == ["A2"]
    assert [(e.field, e.record) for e in mapped.errors] == [("total", 0)]


def test_times_with_an_offset_are_kept_and_merchant_timezone_overrides(legacy: dict[str, Any]) -> None:
    shanghai = load_mapping("bytedesk")
    legacy["time"] = "2025-05-27T14:30:00Z"
    assert shanghai.map_one(legacy).created_at == datetime(2025, 5, 27, 22, 30, tzinfo=SHANGHAI)
    utc = load_mapping("bytedesk", timezone="Europe/London")
    legacy["time"] = "2025-05-27 14:30:00"
    assert utc.map_one(legacy).created_at == datetime(2025, 5, 27, 14, 30, tzinfo=ZoneInfo("Europe/London"))


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"trackingNumber": "SF1234567890123"}, ("SF Express", "SF1234567890123")),
        ({"logisticsNo": "75312345678901", "logisticsCompany": "中通快递"}, ("ZTO Express", "75312345678901")),
        ({"logistics": {"company": "顺丰", "trackingNumber": "SF0000000000001"}}, ("SF Express", "SF0000000000001")),
        ({"expressNo": "ABC123", "expressCompany": "Some Local Courier"}, ("Some Local Courier", "ABC123")),
    ],
)
def test_tracking_in_extra_makes_a_shipment(
    bytedesk: Mapper, legacy: dict[str, Any], extra: dict[str, Any], expected: tuple[str, str]
) -> None:
    legacy["extra"] = json.dumps(extra, ensure_ascii=False)
    o = bytedesk.map_one(legacy)
    assert [(s.carrier, s.tracking_number) for s in o.shipments] == [expected]
    assert o.extra == extra


def test_extra_without_logistics_or_not_json_makes_no_shipment(bytedesk: Mapper, legacy: dict[str, Any]) -> None:
    legacy["extra"] = json.dumps({"invoiceType": "Electronic Invoice"})
    assert bytedesk.map_one(legacy).shipments == []
    legacy["extra"] = "Please deliver on weekdays"
    o = bytedesk.map_one(legacy)
    assert o.shipments == []
    assert o.extra == {"text": "Please deliver on weekdays"}


def test_one_object_or_a_list(bytedesk: Mapper, legacy: dict[str, Any], flat: dict[str, Any]) -> None:
    assert [o.id for o in bytedesk.map_payload(legacy).orders] == ["ORD202505270001"]
    assert [o.id for o in bytedesk.map_payload([legacy, flat]).orders] == ["ORD202505270001", "ORD202506050003"]


def test_sample_passes_mapping_check(bytedesk: Mapper, samples: Path) -> None:
    report = check_sample(bytedesk, read_payload(samples / "bytedesk.json"))
    assert report.errors == []
    assert report.incomplete == []
    assert not report.unknown_labels
    assert [o.id for o in report.orders] == ["ORD202505270001", "ORD202506010002", "ORD202506050003", "ORD202506080004"]
    assert [len(o.items) for o in report.orders] == [1, 2, 1, 1]


def test_sample_canonical_json(bytedesk: Mapper, samples: Path, snapshot: SnapshotAssertion) -> None:
    orders = bytedesk.map_payload(read_payload(samples / "bytedesk.json").data).orders
    assert json.dumps([o.model_dump(mode="json") for o in orders], ensure_ascii=False, indent=2) == snapshot
