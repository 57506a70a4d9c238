"""The `sobot` preset against order import spreadsheets: rows grouped by order no., same SKU updates a line, a new
SKU merges into the order, English and Chinese headers and statuses, times in Asia/Shanghai."""

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
from tools.schema import Customer, Item, OrderStatus, Shipment

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def sobot() -> Mapper:
    return load_mapping("sobot")


def row(**overrides: Any) -> dict[str, Any]:
    """One English-header row as the CSV reader gives it (text cells, blanks as None)."""
    base: dict[str, Any] = {
        "Order No.": "SO1",
        "Order Status": "Paid",
        "Order Time": "2022-09-14 11:03:23",
        "Store No.": "ST001",
        "Buyer Mobile No.": "13800138000",
        "Buyer Nickname": "Xiao Ming",
        "Product ID": "P1",
        "Product SKU": "P1-M",
        "Product Name": "T-shirt M",
        "Quantity": "1",
        "Price": "59.00",
        "Order Amount": "59.00",
        "Logistics Company": None,
        "Tracking No.": None,
    }
    return base | overrides


def test_one_row_with_english_headers(sobot: Mapper) -> None:
    mapped = sobot.map_records([row()])
    assert mapped.errors == []
    (o,) = mapped.orders
    assert o.id == "SO1"
    assert o.status == OrderStatus.PROCESSING
    assert o.status_text == "Paid"
    assert o.created_at == datetime(2022, 9, 14, 11, 3, 23, tzinfo=SHANGHAI)
    assert o.created_at.isoformat() == "2022-09-14T11:03:23+08:00"
    assert o.customer == Customer(name="Xiao Ming", phone="+8613800138000")
    assert o.items == [Item(sku="P1-M", product_id="P1", name="T-shirt M", quantity=1, price=Decimal("59.00"))]
    assert o.total == Decimal("59.00")
    assert o.currency == "CNY"
    assert o.shipments == []
    assert o.shipping_address is None


def test_chinese_headers(sobot: Mapper, fixtures: Path) -> None:
    mapped = sobot.map_records(read_payload(fixtures / "sobot_zh.csv").data, notes=True)
    assert mapped.errors == []
    assert mapped.unknown_labels == []  # 其他 maps to unknown on purpose
    assert [(o.id, o.status, o.status_text) for o in mapped.orders] == [
        ("ZH001", OrderStatus.SHIPPED, "已发货"),
        ("ZH002", OrderStatus.PENDING, "待付款"),
        ("ZH003", OrderStatus.UNKNOWN, "其他"),
    ]
    first = mapped.orders[0]
    assert first.created_at == datetime(2022, 9, 14, 11, 3, 23, tzinfo=SHANGHAI)
    assert first.customer == Customer(name="小明", phone="+8613800138000")
    assert first.items == [
        Item(sku="P1-A", product_id="P1", name="羊毛围巾", quantity=1, price=Decimal("48.00")),
        Item(sku="P2-B", product_id="P2", name="保温杯", quantity=2, price=Decimal("44.00")),
    ]
    assert first.total == Decimal("136.00")
    assert first.shipments == [
        Shipment(
            carrier="ZTO Express",
            tracking_number="75312345678901",
            tracking_url="https://www.zto.com/?num=75312345678901",
        )
    ]
    assert mapped.orders[1].total == Decimal("129")
    assert mapped.sources == [[0, 1], [2], [3]]


def test_same_sku_updates_the_line_and_a_new_sku_merges(sobot: Mapper, fixtures: Path) -> None:
    mapped = sobot.map_records(read_payload(fixtures / "sobot_update.csv").data)
    assert mapped.errors == []
    assert [o.id for o in mapped.orders] == ["UP001", "UP002"]
    assert mapped.sources == [[0, 2, 3], [1]]
    up1 = mapped.orders[0]
    assert [(i.sku, i.product_id, i.quantity, i.price) for i in up1.items] == [
        ("P1-M", "P1", 3, Decimal("55.00")),
        ("P1-L", "P1", 1, Decimal("49.00")),
    ]
    assert up1.total == Decimal("214.00")  # "Paid Amount" when there is no "Order Amount"
    assert [(i.sku, i.quantity) for i in mapped.orders[1].items] == [("P9-X", 1)]


def test_rows_without_an_sku_are_separate_lines(sobot: Mapper) -> None:
    mapped = sobot.map_records([row(**{"Product SKU": None}), row(**{"Product SKU": None, "Product ID": "P2"})])
    assert [(i.sku, i.product_id) for i in mapped.orders[0].items] == [(None, "P1"), (None, "P2")]


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("To Be Paid", OrderStatus.PENDING),
        ("待付款", OrderStatus.PENDING),
        ("Paid", OrderStatus.PROCESSING),
        ("已付款", OrderStatus.PROCESSING),
        ("Shipped", OrderStatus.SHIPPED),
        ("已发货", OrderStatus.SHIPPED),
        ("Signed for", OrderStatus.DELIVERED),
        ("signed FOR", OrderStatus.DELIVERED),
        ("已签收", OrderStatus.DELIVERED),
        ("Dealed", OrderStatus.DELIVERED),
        ("交易成功", OrderStatus.DELIVERED),
        ("Deal Closed", OrderStatus.CANCELLED),
        ("交易关闭", OrderStatus.CANCELLED),
        ("Other", OrderStatus.UNKNOWN),
        ("其他", OrderStatus.UNKNOWN),
    ],
)
def test_statuses(sobot: Mapper, label: str, expected: OrderStatus) -> None:
    mapped = sobot.map_records([row(**{"Order Status": label})], notes=True)
    assert [(o.status, o.status_text) for o in mapped.orders] == [(expected, label)]
    assert mapped.unknown_labels == []


def test_unknown_status_labels_are_reported(sobot: Mapper) -> None:
    mapped = sobot.map_records([row(**{"Order Status": "Refunding"}), row(**{"Order No.": "SO2"})], notes=True)
    assert [(o.id, o.status) for o in mapped.orders] == [("SO1", OrderStatus.UNKNOWN), ("SO2", OrderStatus.PROCESSING)]
    assert mapped.orders[0].status_text == "Refunding"
    assert mapped.unknown_labels == [("order.status", "Refunding")]


def test_rows_without_an_order_no_are_errors_and_the_rest_map(sobot: Mapper) -> None:
    mapped = sobot.map_records([row(**{"Order No.": None}), row(**{"Order No.": "SO2"})])
    assert [o.id for o in mapped.orders] == ["SO2"]
    assert [(e.field, e.reason, e.record) for e in mapped.errors] == [("group_by", "missing", 0)]


def test_header_variants_and_required_markers(sobot: Mapper) -> None:
    starred = {"*订单号": "S9", "*订单状态": "已签收", "*下单时间": "2022-09-14 11:03:23", "*买家手机号": "13800138000",
               "*商品ID": "P1", "*商品SKU": "P1-M", "*商品名称": "围巾", "*数量": "2", "*单价": "10", "实付金额": "20"}
    plain = {"Order No": "S10", "Order Status": "Dealed", "Buyer Mobile": "13800138000", "Product SKU": "X",
             "Unit Price": "5", "Paid Amount": "5"}
    a, b = sobot.map_records([starred, plain]).orders
    assert (a.id, a.status, a.total, a.customer.phone) == ("S9", OrderStatus.DELIVERED, Decimal("20"), "+8613800138000")
    assert [(i.sku, i.product_id, i.name, i.quantity, i.price) for i in a.items] == [
        ("P1-M", "P1", "围巾", 2, Decimal("10"))
    ]
    assert (b.id, b.status, b.total, [i.price for i in b.items]) == ("S10", OrderStatus.DELIVERED, Decimal("5"),
                                                                     [Decimal("5")])


def test_order_amount_is_preferred_to_paid_amount(sobot: Mapper) -> None:
    (o,) = sobot.map_records([row(**{"Order Amount": "100.00", "Paid Amount": "90.00"})]).orders
    assert o.total == Decimal("100.00")


def test_one_shipment_per_tracking_number(sobot: Mapper) -> None:
    rows = [
        row(**{"Logistics Company": "顺丰速运", "Tracking No.": "SF1234567890123"}),
        row(**{"Product SKU": "P2-S", "Logistics Company": "顺丰速运", "Tracking No.": "SF1234567890123"}),
        row(**{"Product SKU": "P3-S", "Logistics Company": "圆通", "Tracking No.": "YT6012345678901"}),
        row(**{"Product SKU": "P4-S"}),
    ]
    (o,) = sobot.map_records(rows).orders
    assert [(s.carrier, s.tracking_number) for s in o.shipments] == [
        ("SF Express", "SF1234567890123"),
        ("YTO Express", "YT6012345678901"),
    ]
    assert len(o.items) == 4


def test_sample_passes_mapping_check(sobot: Mapper, samples: Path) -> None:
    report = check_sample(sobot, read_payload(samples / "sobot.csv"))
    assert report.errors == []
    assert report.incomplete == []
    assert not report.unknown_labels
    assert report.records == 9
    assert [(o.id, o.status.value, len(o.items)) for o in report.orders] == [
        ("SO20220914001", "shipped", 2),
        ("SO20220915002", "processing", 1),
        ("SO20220916003", "delivered", 2),
        ("SO20220917004", "cancelled", 1),
        ("SO20220918005", "pending", 1),
        ("SO20220919006", "delivered", 1),
        ("SO20220920007", "delivered", 1),
    ]


def test_sample_canonical_json(sobot: Mapper, samples: Path, snapshot: SnapshotAssertion) -> None:
    orders = sobot.map_records(read_payload(samples / "sobot.csv").data).orders
    assert json.dumps([o.model_dump(mode="json") for o in orders], ensure_ascii=False, indent=2) == snapshot


def test_a_bad_order_level_value_is_blamed_on_the_row_that_has_it(sobot: Mapper) -> None:
    rows = [row(**{"Product SKU": "A"}), row(**{"Product SKU": "B"}), row(**{"Product SKU": "C", "Order Time": "soon"})]
    mapped = sobot.map_records(rows)
    assert [(e.record, e.field) for e in mapped.errors] == [(2, "created_at")]
