"""Templated answers: wording in English and Chinese, dates in the merchant's timezone, and only facts that are in
the tool results."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from assistant.answers import (
    format_amount,
    format_eta,
    is_late,
    is_stale,
    pick_result,
    render_answer,
    render_message,
)
from tools.config import MerchantInfo
from tools.policy import Disclosure, order_view
from tools.schema import Order, Shipment

LA = "America/Los_Angeles"
MERCHANT = MerchantInfo(name="Demo Outfitters", timezone=LA, default_region="US")
NOW = datetime(2025, 11, 25, 18, 0, tzinfo=UTC)  # Tuesday, Nov 25, 10:00 in Los Angeles
TRACKING = "1Z999AA10123456784"
URL = f"https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums={TRACKING}"
HELP_EN = "I can connect you with our team to look into it."
HELP_ZH = "我可以为您转接我们的团队跟进处理。"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def shipment(**kw: Any) -> dict[str, Any]:
    return {
        "carrier": "UPS",
        "tracking_number": TRACKING,
        "tracking_url": URL,
        "status": "in_transit",
        "shipped_at": "2025-11-22T09:00:00-08:00",
        "estimated_delivery": "2025-11-27T00:00:00-08:00",
        "events": [
            {"time": "2025-11-22T09:00:00-08:00", "status": "in_transit", "description": "Picked up",
             "location": "Portland, OR"},
            {"time": "2025-11-24T15:12:00-08:00", "status": "in_transit", "description": "Arrived at facility",
             "location": "Oakland, CA"},
        ],
        **kw,
    }


def make_order(**kw: Any) -> Order:
    data: dict[str, Any] = {
        "id": "#1042",
        "status": "shipped",
        "created_at": "2025-11-20T10:00:00-08:00",
        "customer": {"name": "Jane Doe", "email": "jane@example.com", "phone": "+14155550199"},
        "items": [{"sku": "T1", "name": "Tent", "quantity": 1, "price": "150.00"},
                  {"sku": "S1", "name": "Sleeping bag", "quantity": 2, "price": "32.00"}],
        "total": "214.00",
        "currency": "USD",
        "shipments": [shipment()],
    }
    data.update(kw)
    return Order.model_validate(data)


def found(*orders: Order, disclosure: Disclosure = Disclosure.FULL, **extra: Any) -> list[dict[str, Any]]:
    return [{"result": "found", "disclosure": disclosure.value,
             "orders": [order_view(o, disclosure) for o in orders], **extra}]


def answer(results: list[dict[str, Any]], language: str = "en", now: datetime = NOW, **kw: Any) -> str:
    text = render_answer(results, language=language, merchant=kw.pop("merchant", MERCHANT), now=now, **kw)
    assert text == text.strip() and "\n\n\n" not in text and "None" not in text
    return text


def local_days(results: list[dict[str, Any]], tz: str) -> set[tuple[int, int]]:
    """(month, day) of every ISO time in the results, in the merchant's timezone."""
    days = set()
    for value in re.findall(r'"(\d{4}-\d\d-\d\dT[^"]+)"', json.dumps(results)):
        moment = datetime.fromisoformat(value).astimezone(ZoneInfo(tz))
        days.add((moment.month, moment.day))
    return days


def assert_grounded(text: str, results: list[dict[str, Any]], tz: str = LA) -> None:
    """Every number-like token (order and tracking numbers, amounts, years) and every date in the answer comes
    from the results."""
    source = json.dumps(results, ensure_ascii=False)
    for token in re.findall(r"[A-Za-z0-9][A-Za-z0-9-]*\d[A-Za-z0-9-]*", text):
        if len(token) >= 3:
            assert token in source, f"{token!r} is not in the results"
    days = local_days(results, tz)
    mentioned = [(MONTHS.index(m) + 1, int(d)) for m, d in re.findall(rf"\b({'|'.join(MONTHS)}) (\d{{1,2}})\b", text)]
    mentioned += [(int(m), int(d)) for m, d in re.findall(r"(\d{1,2})月(\d{1,2})日", text)]
    for day in mentioned:
        assert day in days, f"date {day} is not in the results"


def test_the_grounding_check_catches_invented_facts() -> None:
    results = found(make_order())
    assert_grounded("Order #1042 is arriving Thursday, Nov 27.", results)
    with pytest.raises(AssertionError, match="9999"):
        assert_grounded("Order #9999 is arriving Thursday, Nov 27.", results)
    with pytest.raises(AssertionError, match="date"):
        assert_grounded("Order #1042 is arriving Friday, Nov 28.", results)
    with pytest.raises(AssertionError, match="date"):
        assert_grounded("预计11月28日（周五）送达", results)


# --- helpers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("eta", "now", "language", "expected"),
    [
        ("2025-11-27T00:00:00-08:00", NOW, "en", "arriving Thursday, Nov 27"),
        ("2025-11-27T00:00:00-08:00", NOW, "zh", "预计11月27日（周四）送达"),
        # Nov 27 is a Friday in 2026.
        ("2026-11-27T00:00:00-08:00", datetime(2026, 11, 25, 18, tzinfo=UTC), "en", "arriving Friday, Nov 27"),
        ("2025-11-26T12:00:00-08:00", NOW, "en", "arriving tomorrow, Wednesday, Nov 26"),
        ("2025-11-26T12:00:00-08:00", NOW, "zh", "预计明天（11月26日，周三）送达"),
        ("2025-11-25T20:00:00-08:00", NOW, "en", "arriving today, Tuesday, Nov 25"),
        ("2025-11-25T20:00:00-08:00", NOW, "zh", "预计今天（11月25日，周二）送达"),
        # 03:00 UTC on the 27th is still the 26th in Los Angeles.
        ("2025-11-27T03:00:00Z", NOW, "en", "arriving tomorrow, Wednesday, Nov 26"),
        ("2025-11-18T00:00:00-08:00", NOW, "en", "expected Tuesday, Nov 18"),
        ("2025-11-18T00:00:00-08:00", NOW, "zh", "原预计11月18日（周二）送达"),
        ("2026-01-02T00:00:00-08:00", NOW, "en", "arriving Friday, Jan 2, 2026"),
        ("2026-01-02T00:00:00-08:00", NOW, "zh", "预计2026年1月2日（周五）送达"),
    ],
)
def test_format_eta(eta: str, now: datetime, language: str, expected: str) -> None:
    assert format_eta(eta, language=language, tz=LA, now=now) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [("214.00", "USD", "$214.00"), ("214", "USD", "$214.00"), ("299900", "CNY", "¥299,900.00"),
     ("9.5", "EUR", "€9.50"), ("12", "CAD", "CAD 12.00"), ("12.3456", "USD", "$12.3456"),
     ("214.00", None, "214.00"), ("-5", "USD", "-$5.00"), (None, "USD", None)],
)
def test_format_amount(amount: str | None, currency: str | None, expected: str | None) -> None:
    assert format_amount(amount, currency) == expected


def test_late_is_by_day_in_the_merchant_timezone() -> None:
    due_today = shipment(estimated_delivery="2025-11-25T00:00:00-08:00")
    assert not is_late(due_today, NOW, LA)
    assert is_late(shipment(estimated_delivery="2025-11-24T00:00:00-08:00"), NOW, LA)
    assert not is_late(shipment(estimated_delivery="2025-11-24T00:00:00-08:00", status="delivered",
                                delivered_at="2025-11-24T12:00:00-08:00"), NOW, LA)
    assert not is_late(shipment(estimated_delivery=None), NOW, LA)
    # pydantic shipments are accepted too
    assert is_late(Shipment.model_validate(shipment(estimated_delivery="2025-11-20T00:00:00-08:00")), NOW, LA)


def test_stale_uses_the_latest_event_else_shipped_at() -> None:
    assert not is_stale(shipment(), NOW, 5)  # last event Nov 24
    old_events = shipment(events=[{"time": "2025-11-10T08:00:00-08:00", "status": "in_transit"}])
    assert is_stale(old_events, NOW, 5)
    assert not is_stale(old_events, NOW, 30)
    assert is_stale(shipment(events=[], shipped_at="2025-11-12T08:00:00-08:00"), NOW, 5)
    assert not is_stale(shipment(events=[], shipped_at=None), NOW, 5)
    assert not is_stale(dict(old_events, status="delivered"), NOW, 5)


def test_pick_result_prefers_the_last_meaningful_result() -> None:
    verification = {"result": "verification_needed", "ask_for": ["email"]}
    invalid = {"result": "invalid_arguments", "message": "bad"}
    assert pick_result([]) is None
    assert pick_result([verification, invalid]) == verification
    assert pick_result([invalid]) == invalid
    assert pick_result([invalid, verification, {"unrelated": True}]) == verification


# --- found: one order --------------------------------------------------------------------------------------


def test_in_transit_english() -> None:
    results = found(make_order())
    text = answer(results)
    assert text.startswith("Order #1042 has shipped.")
    assert f"UPS tracking number: {TRACKING}" in text
    assert f"Track it here: {URL}" in text
    assert "Latest update: Arrived at facility, Oakland, CA (Nov 24, 3:12 PM)." in text
    assert "It's arriving Thursday, Nov 27." in text
    assert "sorry" not in text and "Package" not in text
    assert_grounded(text, results)


def test_in_transit_chinese() -> None:
    results = found(make_order())
    text = answer(results, "zh")
    assert text.startswith("订单 #1042 已发货。")
    assert f"UPS 运单号：{TRACKING}" in text
    assert f"物流查询：{URL}" in text
    assert "最新动态：Arrived at facility，Oakland, CA（11月24日 15:12）。" in text
    assert "预计11月27日（周四）送达。" in text
    assert "抱歉" not in text
    assert_grounded(text, results)


def test_delivered() -> None:
    order = make_order(status="delivered", shipments=[
        shipment(status="delivered", delivered_at="2025-11-18T14:05:00-08:00",
                 estimated_delivery="2025-11-19T00:00:00-08:00")])
    results = found(order)
    en, zh = answer(results), answer(results, "zh")
    assert en.startswith("Order #1042 was delivered on Tuesday, Nov 18.")
    assert zh.startswith("订单 #1042 已于11月18日（周二）送达。")
    assert "arriving" not in en and "expected" not in en and "sorry" not in en
    assert "预计" not in zh
    assert_grounded(en, results)
    assert_grounded(zh, results)


def test_order_status_lagging_behind_the_carrier_says_delivered() -> None:
    order = make_order(status="shipped", shipments=[
        shipment(status="delivered", delivered_at="2025-11-18T14:05:00-08:00")])
    assert answer(found(order)).startswith("Order #1042 was delivered on Tuesday, Nov 18.")


def test_late_apologises_and_offers_a_human() -> None:
    order = make_order(shipments=[shipment(estimated_delivery="2025-11-20T00:00:00-08:00")])
    results = found(order)
    en, zh = answer(results), answer(results, "zh")
    assert "It was expected Thursday, Nov 20." in en
    assert en.endswith(f"I'm sorry it's running late. {HELP_EN}")
    assert "arriving" not in en
    assert "原预计11月20日（周四）送达。" in zh
    assert zh.endswith(f"很抱歉包裹延误了。{HELP_ZH}")
    assert_grounded(en, results)
    assert_grounded(zh, results)


def test_stale_apologises_and_offers_a_human() -> None:
    order = make_order(shipments=[shipment(
        estimated_delivery=None, shipped_at="2025-11-08T09:00:00-08:00",
        events=[{"time": "2025-11-10T07:30:00-08:00", "status": "in_transit", "description": "Departed facility",
                 "location": "Reno, NV"}])])
    results = found(order)
    en, zh = answer(results), answer(results, "zh")
    assert "There hasn't been a tracking update since Nov 10." in en
    assert en.endswith(f"I'm sorry there haven't been any recent updates. {HELP_EN}")
    assert "自11月10日以来没有新的物流更新。" in zh
    assert zh.endswith(f"很抱歉物流信息一直没有更新。{HELP_ZH}")
    # with a longer threshold it is not stale
    assert "sorry" not in answer(results, stale_after_days=30)
    assert_grounded(en, results)


def test_stale_from_shipped_at_when_there_are_no_events() -> None:
    order = make_order(shipments=[shipment(events=[], estimated_delivery=None,
                                           shipped_at="2025-11-12T09:00:00-08:00")])
    assert "There hasn't been a tracking update since Nov 12." in answer(found(order))


@pytest.mark.parametrize("status", ["exception", "delivery_attempted", "returned_to_sender"])
def test_carrier_trouble_offers_help(status: str) -> None:
    order = make_order(shipments=[shipment(status=status)])
    en, zh = answer(found(order)), answer(found(order), "zh")
    assert en.endswith(HELP_EN)
    assert zh.endswith(HELP_ZH)


@pytest.mark.parametrize("status", ["exception", "returned_to_sender"])
def test_a_package_in_trouble_is_promised_no_arrival(status: str) -> None:
    order = make_order(shipments=[shipment(status=status)])  # its estimate, Nov 27, is still ahead
    en, zh = answer(found(order)), answer(found(order), "zh")
    assert "arriving" not in en and "Nov 27" not in en and "Thursday" not in en
    assert "预计" not in zh and "11月27日" not in zh
    assert en.endswith(f"I'm sorry for the trouble. {HELP_EN}")


def test_a_package_in_trouble_past_its_estimate_says_when_it_was_expected() -> None:
    order = make_order(shipments=[shipment(status="exception", estimated_delivery="2025-11-21T00:00:00-08:00")])
    en = answer(found(order))
    assert "It was expected Friday, Nov 21." in en
    assert en.endswith(f"I'm sorry it's running late. {HELP_EN}")


def test_label_created_has_not_shipped() -> None:
    order = make_order(shipments=[shipment(status="label_created", events=[], shipped_at=None,
                                           estimated_delivery=None)])
    en, zh = answer(found(order)), answer(found(order), "zh")
    assert en.startswith("Order #1042 hasn't shipped yet: a shipping label has been created.")
    assert f"UPS tracking number: {TRACKING}" in en
    assert zh.startswith("订单 #1042 尚未发货：已生成运单。")


@pytest.mark.parametrize(("status", "en", "zh"), [
    ("processing", "Order #1042 is being prepared and hasn't shipped yet.", "订单 #1042 正在处理中，尚未发货。"),
    ("pending", "Order #1042 has been received and hasn't shipped yet.", "订单 #1042 已收到，尚未发货。"),
])
def test_not_shipped_yet(status: str, en: str, zh: str) -> None:
    order = make_order(status=status, shipments=[])
    assert answer(found(order)) == en
    assert answer(found(order), "zh") == zh


def test_split_shipments_per_package() -> None:
    order = make_order(
        status="partially_shipped",
        items=[{"sku": "T1", "name": "Tent", "quantity": 1}, {"sku": "S1", "name": "Sleeping bag", "quantity": 2},
               {"sku": "L1", "name": "Lantern", "quantity": 1}],
        shipments=[
            shipment(items=[{"sku": "T1", "name": "Tent", "quantity": 1}]),
            shipment(carrier="USPS", tracking_number="9400111899223197428490", tracking_url=None,
                     estimated_delivery="2025-11-26T00:00:00-08:00", events=[],
                     items=[{"sku": "S1", "name": "Sleeping bag", "quantity": 2}]),
        ],
    )
    results = found(order)
    en = answer(results)
    assert en.startswith("Order #1042 has partly shipped.")
    first, second = en.index("Package 1 of 2: Tent\n"), en.index("Package 2 of 2: Sleeping bag ×2\n")
    assert first < en.index(TRACKING) < en.index("It's arriving Thursday, Nov 27.") < second
    assert second < en.index("USPS tracking number: 9400111899223197428490")
    assert second < en.index("It's arriving tomorrow, Wednesday, Nov 26.")
    assert en.endswith("Still to ship: Lantern.")
    zh = answer(results, "zh")
    assert "包裹 1/2：Tent\n" in zh and "包裹 2/2：Sleeping bag ×2\n" in zh
    assert zh.endswith("尚未发货的商品：Lantern。")
    assert_grounded(en, results)
    assert_grounded(zh, results)


def test_partially_shipped_without_package_contents_says_the_rest_has_not_shipped() -> None:
    order = make_order(status="partially_shipped")
    assert answer(found(order)).endswith("The rest of the order hasn't shipped yet.")


# --- found: several, cancelled, refunded -------------------------------------------------------------------


def test_several_orders_most_recent_first_and_asks_which() -> None:
    older = make_order(id="#1001", status="delivered", created_at="2025-10-02T10:00:00-07:00",
                       items=[{"name": "Camp stove", "quantity": 1}],
                       shipments=[shipment(status="delivered", delivered_at="2025-10-06T10:00:00-07:00")])
    newest = make_order(id="#1077", status="processing", created_at="2025-11-23T10:00:00-08:00",
                        items=[{"name": "Headlamp", "quantity": 3}], shipments=[])
    results = found(older, make_order(), newest)  # not in date order: the answer sorts them
    en = answer(results)
    assert en.splitlines() == [
        "I found 3 orders, most recent first:",
        "- #1077, placed Nov 23: being prepared (Headlamp ×3)",
        "- #1042, placed Nov 20: shipped (Tent and 1 more item)",
        "- #1001, placed Oct 2: delivered (Camp stove)",
        "Which one would you like me to check? Just send me its order number.",
    ]
    zh = answer(results, "zh")
    assert zh.splitlines() == [
        "我找到了 3 个订单（最新的在前）：",
        "- #1077，11月23日下单：处理中（Headlamp ×3）",
        "- #1042，11月20日下单：已发货（Tent等3件商品）",
        "- #1001，10月2日下单：已送达（Camp stove）",
        "请问您想查询哪一个？请发送它的订单号。",
    ]
    assert TRACKING not in en  # a list, not the details
    assert_grounded(en, results)
    assert_grounded(zh, results)


def test_several_orders_says_there_are_more() -> None:
    results = found(make_order(), make_order(id="#1001"), more=2)
    assert "There are 2 more orders I haven't listed." in answer(results)
    assert "另有 2 个订单未列出。" in answer(results, "zh")


def test_cancelled_with_the_update_date() -> None:
    order = make_order(status="cancelled", updated_at="2025-11-21T09:00:00-08:00", shipments=[])
    results = found(order)
    assert answer(results) == "Order #1042 (total $214.00) was cancelled on Friday, Nov 21."
    assert answer(results, "zh") == "订单 #1042（金额 $214.00）已于11月21日（周五）取消。"
    assert_grounded(answer(results), results)


def test_refunded_without_an_update_date_uses_the_order_date() -> None:
    order = make_order(status="refunded", shipments=[], total="299900", currency="CNY")
    results = found(order)
    assert answer(results) == "Order #1042 (total ¥299,900.00), placed on Thursday, Nov 20, has been refunded."
    assert answer(results, "zh") == "订单 #1042（金额 ¥299,900.00，11月20日下单）已退款。"


def test_status_disclosure_shows_only_status_and_shipments() -> None:
    order = make_order(status="cancelled", updated_at="2025-11-21T09:00:00-08:00", shipments=[])
    results = found(order, disclosure=Disclosure.STATUS)
    assert answer(results) == "Order #1042 was cancelled on Friday, Nov 21."
    shipped = answer(found(make_order(), disclosure=Disclosure.STATUS))
    assert "It's arriving Thursday, Nov 27." in shipped and "Tent" not in shipped


def test_status_disclosure_never_shows_what_was_bought_even_in_package_contents() -> None:
    # Written by hand: whatever the view holds, an answer on the order number alone names no products.
    package = {"carrier": "UPS", "tracking_number": TRACKING, "status": "in_transit"}
    results = [{"result": "found", "disclosure": "status", "orders": [{
        "id": "#1042", "status": "shipped", "items": [{"name": "Tent", "quantity": 1}],
        "shipments": [{**package, "items": [{"name": "Tent", "quantity": 1}]},
                      {**package, "tracking_number": "9400111899223197428490",
                       "items": [{"name": "Sleeping bag", "quantity": 2}]}]}]}]
    en, zh = answer(results), answer(results, "zh")
    assert "Package 1 of 2\n" in en and "9400111899223197428490" in en
    assert "包裹 1/2\n" in zh
    for text in (en, zh):
        assert "Tent" not in text and "Sleeping bag" not in text
    full = answer([{**results[0], "disclosure": "full"}])
    assert "Package 1 of 2: Tent\n" in full


def test_unknown_status_uses_the_merchants_label() -> None:
    order = make_order(status="unknown", status_text="已支付", shipments=[])
    assert answer(found(order), "zh") == "订单 #1042 的状态是“已支付”。"
    bare = make_order(status="unknown", shipments=[])
    assert answer(found(bare)) == f"I found order #1042, but I can't see its current status.\n\n{HELP_EN}"


# --- other results -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("result", "en", "zh"), [
    ({"result": "verification_needed", "ask_for": ["email", "phone", "postal_code"]},
     "please tell me the email address, phone number or shipping postal code used on the order.",
     "请提供下单时使用的邮箱、手机号或收货地址的邮编。"),
    ({"result": "verification_needed", "ask_for": ["order_id"]},
     "Could you tell me your order number?", "请提供您的订单号"),
    ({"result": "no_match", "attempts_left": 3},
     "Those details don't match an order together. Please check the order number and the email address",
     "这些信息没有匹配到同一个订单。"),
    ({"result": "not_found"}, "Please check the order number in your order confirmation email",
     "请核对订单确认邮件中的订单号"),
    ({"result": "locked", "handoff": True}, "I can connect you with our team", "我可以为您转接我们的团队"),
    ({"result": "unavailable", "handoff": True}, "I'm sorry, I can't reach our order system right now.",
     "很抱歉，订单系统暂时无法访问。"),
    ({"result": "invalid_arguments"}, "Could you tell me your order number and the email address",
     "请提供您的订单号，以及下单时使用的邮箱。"),
])
def test_other_results(result: dict[str, Any], en: str, zh: str) -> None:
    result = {"message": "for the model, never shown", **result}
    assert en in answer([result])
    assert zh in answer([result], "zh")
    assert "never shown" not in answer([result])


def test_answers_that_disclose_nothing_state_no_facts() -> None:
    for kind in ("verification_needed", "no_match", "not_found", "locked", "unavailable"):
        text = answer([{"result": kind, "message": "#1042", "ask_for": ["email"]}])
        assert "1042" not in text
        assert "found your order" not in text and "exists" not in text


def test_no_results_greets_and_asks_for_the_order_number() -> None:
    assert answer([]) == render_message("greeting", language="en")
    assert "order number and the email address or phone number" in answer([])
    assert "请提供订单号，以及下单时使用的邮箱或手机号" in answer([], "zh")


def test_unknown_message_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown message kind"):
        render_message("farewell", language="en")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_package_waiting_at_a_pickup_point_has_no_arrival_day_and_is_not_late(language):
    waiting = shipment(status="available_for_pickup", estimated_delivery="2025-11-20T00:00:00-08:00",
                       events=[{"time": "2025-11-10T09:00:00-08:00", "status": "available_for_pickup",
                                "description": "Held at access point", "location": "Oakland, CA"}])
    text = answer(found(make_order(shipments=[waiting])), language=language)
    assert ("ready for pickup" in text) if language == "en" else ("待取件" in text or "自提" in text or "取件" in text)
    assert "arriv" not in text and "Nov 20" not in text and "11月20日" not in text
    assert HELP_EN not in text and HELP_ZH not in text  # not late, not stale: it is waiting for the shopper


@pytest.mark.parametrize(("language", "expected"), [
    ("en", 'Order #1042 hasn\'t shipped yet. Its status is "Awaiting payment".'),
    ("zh", '订单 #1042 尚未发货，当前状态为"Awaiting payment"。'),
])
def test_a_pending_order_says_the_merchants_own_label(language, expected):
    text = answer(found(make_order(status="pending", status_text="Awaiting payment", shipments=[])),
                  language=language)
    assert text.splitlines()[0].startswith(expected.split("Awaiting")[0]) and "Awaiting payment" in text
