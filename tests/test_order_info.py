"""Decoding the chat widget's orderInfo: JSON strings, URL-encoded JSON, H5 chat links, parsed objects; bad input."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from tools.errors import SampleError
from tools.order_info import order_info_hint, order_info_orders, parse_order_info
from tools.schema import OrderStatus

# The H5 example of the Bytedesk documentation.
H5 = {
    "uid": "ORD202505270001",
    "time": "2025-05-27 14:30:00",
    "status": "paid",
    "statusText": "Paid",
    "goods": {"uid": "goods_001", "title": "BYD Yangwang U7", "price": 299900, "quantity": 1},
    "totalAmount": 299900,
}
TEXT = json.dumps(H5, ensure_ascii=False)


def encode_uri_component(text: str) -> str:
    """What the widget's JavaScript `encodeURIComponent` produces."""
    return quote(text, safe="-_.!~*'()")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(TEXT, id="json"),
        pytest.param(f"  {TEXT}\n", id="json-padded"),
        pytest.param(json.dumps(TEXT), id="json-stringified-twice"),
        pytest.param(encode_uri_component(TEXT), id="url-encoded"),
        pytest.param(encode_uri_component(encode_uri_component(TEXT)), id="url-encoded-twice"),
        pytest.param(f"orderInfo={encode_uri_component(TEXT)}", id="query"),
        pytest.param(f"?org=df_org_uid&t=1&orderInfo={encode_uri_component(TEXT)}", id="query-with-mark"),
        pytest.param(
            f"https://www.weiyuai.cn/chat/?org=df_org_uid&t=1&sid=df_wg_aftersales&orderInfo={encode_uri_component(TEXT)}",
            id="chat-url",
        ),
        pytest.param(
            f"https://www.weiyuai.cn/chat/#/?org=df_org_uid&orderInfo={encode_uri_component(TEXT)}&lang=zh-cn",
            id="chat-url-hash-route",
        ),
        pytest.param(H5, id="object"),
        pytest.param({"org": "df_org_uid", "orderInfo": TEXT}, id="chat-config"),
    ],
)
def test_every_form_gives_the_same_payload(value: Any) -> None:
    assert parse_order_info(value) == H5


def test_chinese_text_survives_url_encoding() -> None:
    order = {"orderUid": "A1", "statusText": "已发货", "shippingAddress": "上海市浦东新区 世纪大道100号 & 2楼"}
    link = f"https://www.weiyuai.cn/chat/?orderInfo={encode_uri_component(json.dumps(order, ensure_ascii=False))}"
    assert parse_order_info(link) == order


def test_lists_are_kept_and_json_string_elements_decoded() -> None:
    other = {"orderUid": "B2", "statusText": "待发货"}
    assert parse_order_info([H5, json.dumps(other)]) == [H5, other]
    assert parse_order_info(json.dumps([H5, other])) == [H5, other]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "orderInfo: empty"),
        ("   ", "orderInfo: empty"),
        ('{"uid": "A1",', "orderInfo: not valid JSON (Expecting property name enclosed in double quotes at char 13)"),
        ("42", "orderInfo: expected JSON, URL-encoded JSON or a link with an orderInfo parameter"),
        ("\"just text\"", "orderInfo: expected JSON, URL-encoded JSON or a link with an orderInfo parameter"),
        ("[1, 2]", "orderInfo: a list of orders holds the number 1, not an order object"),
        ("[null]", "orderInfo: a list of orders holds nothing (an empty value), not an order object"),
        ("[]", "orderInfo: empty list"),
        ("https://www.weiyuai.cn/chat/?org=x&orderInfo=", "orderInfo: the link's orderInfo parameter is empty"),
        ("https://www.weiyuai.cn/chat/?org=x&notorderInfo=1", "orderInfo: no orderInfo parameter in the link"),
        ("%7Bnot%20json", "orderInfo: not valid JSON (Expecting property name enclosed in double quotes at char 1)"),
        ("x" * 100_001, "orderInfo: 100001 characters is too long for an order (at most 100000)"),
    ],
)
def test_bad_input_is_one_line_naming_the_reason(value: str, reason: str) -> None:
    with pytest.raises(SampleError) as caught:
        parse_order_info(value)
    assert str(caught.value) == reason


def test_too_many_layers_of_encoding() -> None:
    value = TEXT
    for _ in range(6):
        value = json.dumps(value)
    with pytest.raises(SampleError, match="encoded too many times"):
        parse_order_info(value)


def test_not_a_string_or_object() -> None:
    with pytest.raises(SampleError, match="got the number 42$"):
        parse_order_info(42)  # type: ignore[arg-type]


def test_orders_from_an_h5_link() -> None:
    (order,) = order_info_orders(f"https://www.weiyuai.cn/chat/?org=o&orderInfo={encode_uri_component(TEXT)}")
    assert order.id == "ORD202505270001"
    assert order.status == OrderStatus.PROCESSING
    assert order.created_at == datetime(2025, 5, 27, 14, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert order.total == Decimal("299900")
    assert order.currency == "CNY"
    assert [(i.product_id, i.name) for i in order.items] == [("goods_001", "BYD Yangwang U7")]


def test_merchant_defaults_override_the_preset(fixtures: Path) -> None:
    flat = json.loads((fixtures / "bytedesk_flat.json").read_text(encoding="utf-8"))
    flat["shippingPhone"] = "(202) 555-0143"
    (order,) = order_info_orders(flat, timezone="Asia/Tokyo", currency="usd", region="US")
    assert order.created_at == datetime(2025, 6, 5, 20, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert order.currency == "USD"
    assert order.customer.phone == "+12025550143"


def test_orders_from_a_list_keep_their_order(fixtures: Path) -> None:
    legacy = (fixtures / "bytedesk_legacy.json").read_text(encoding="utf-8")
    flat = (fixtures / "bytedesk_flat.json").read_text(encoding="utf-8")
    assert [o.id for o in order_info_orders([legacy, flat])] == ["ORD202505270001", "ORD202506050003"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"uid": "A1", "time": "next tuesday"}, "orderInfo: created_at: 'next tuesday' is not a date"),
        ([{"uid": "A1"}, {"uid": "A2", "totalAmount": "lots"}], "orderInfo: order 2: total: 'lots' is not an amount"),
        ({"statusText": "已发货"}, "orderInfo: no order number (uid or orderUid)"),
        ([{"uid": "A1"}, {"uid": " "}], "orderInfo: order 2: no order number (uid or orderUid)"),
    ],
)
def test_orders_that_cannot_be_mapped_are_sample_errors(value: Any, reason: str) -> None:
    with pytest.raises(SampleError) as caught:
        order_info_orders(json.dumps(value))
    assert str(caught.value).startswith(reason)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "logged"),
    [
        ({"uid": "1048", "time": "昨天上午11点03分"}, "created_at: '昨天上午11点03分' is not a date"),
        ({"uid": "1048", "goods": {"title": "x", "quantity": "1件"}}, "items[].quantity: '1件' is not a whole number"),
        ({"orderUid": "1048", "orderQuantity": "x"}, "items[].quantity: 'x' is not a whole number"),
        ([{"uid": "1048", "totalAmount": "lots"}, {"uid": "A2"}], "order 1: total: 'lots' is not an amount"),
    ],
)
def test_the_hint_is_the_order_number_whatever_else_cannot_be_read(
        value: Any, logged: str, caplog: pytest.LogCaptureFixture) -> None:
    """Only the number is used: a display field the preset cannot read is logged and ignored."""
    with caplog.at_level("WARNING", logger="order_assistant.order_info"):
        assert order_info_hint(json.dumps(value, ensure_ascii=False)) == "1048"
    (record,) = caplog.records
    assert record.levelname == "WARNING" and logged in record.getMessage()


def test_the_hint_of_a_readable_order_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="order_assistant.order_info"):
        assert order_info_hint(TEXT) == "ORD202505270001"
        assert order_info_hint([{"statusText": "已发货"}, {"orderUid": "B2"}]) == "B2"
    assert caplog.records == []


@pytest.mark.parametrize("value", [True, False, 10.5, 1048.0, [1048], {"id": 1048}])
def test_an_order_number_that_is_neither_text_nor_a_whole_number_is_ignored(
        value: Any, caplog: pytest.LogCaptureFixture) -> None:
    """{"uid": true} named order "true": a lookup that cost the shopper a failed attempt."""
    with caplog.at_level("WARNING", logger="order_assistant.order_info"):
        with pytest.raises(SampleError, match="no order number"):
            order_info_hint({"uid": value, "statusText": "已发货"})
        with pytest.raises(SampleError, match="no order number"):
            order_info_orders(json.dumps({"uid": value}))
        # the other key still names the order
        assert order_info_hint({"orderUid": value, "uid": "1048"}) == "1048"
    assert "uid" in caplog.text and "ignored" in caplog.text


def test_a_whole_number_order_number_is_read() -> None:
    assert order_info_hint({"uid": 1048}) == "1048"
    assert order_info_hint('{"orderUid": 1048}') == "1048"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"statusText": "已发货", "time": "soon"}, "orderInfo: no order number (uid or orderUid)"),
        ('{"uid": "1048",', "orderInfo: not valid JSON (Expecting property name enclosed in double quotes at char 15)"),
    ],
)
def test_a_hint_without_any_order_number_is_a_sample_error(value: Any, reason: str) -> None:
    with pytest.raises(SampleError) as caught:
        order_info_hint(value)
    assert str(caught.value) == reason
