"""The grounding guard: answers may state only what this conversation's tool results state."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from assistant.grounding import Claim, Facts, check, correction_message
from tools.policy import Disclosure, order_summary, order_view
from tools.schema import Order

LA = ZoneInfo("America/Los_Angeles")
TODAY = date(2026, 11, 25)  # a Wednesday

UPS_URL = "https://www.ups.com/track?tracknum=1Z999AA10123456784"
ORDER = Order.model_validate(
    {
        "id": "#1042",
        "external_ref_id": "ORD-12345",
        "status": "partially_shipped",
        "created_at": "2026-11-20T09:00:00-08:00",
        "customer": {"name": "Jane Doe", "email": "jane@example.com", "phone": "+14155550199"},
        "shipping_address": {"line1": "742 Evergreen Terrace", "city": "Springfield", "region": "OR",
                             "postal_code": "97403", "country": "US"},
        "items": [
            {"sku": "TENT-2P", "name": "Trail Tent", "quantity": 2, "price": "15.00"},
            {"sku": "MAT-01", "name": "Sleeping Mat", "quantity": 1, "price": "29.99"},
        ],
        "total": "59.99",
        "currency": "USD",
        "shipments": [
            {
                "carrier": "UPS",
                "tracking_number": "1Z999AA10123456784",
                "tracking_url": UPS_URL,
                "status": "in_transit",
                "shipped_at": "2026-11-24T17:00:00Z",
                # 18:00 on Friday Nov 27 in Los Angeles; already Saturday Nov 28 in UTC.
                "estimated_delivery": "2026-11-28T02:00:00Z",
            },
            {"carrier": "usps", "tracking_number": "9400 1118 9922 3197 4284 90", "status": "label_created"},
        ],
    }
)
FOUND = {"result": "found", "disclosure": "full", "orders": [order_view(ORDER, Disclosure.FULL, LA)]}


DEMO = {o["id"]: o for o in json.loads((Path(__file__).parent.parent / "tools" / "demo" / "orders.json")
                                       .read_text())["orders"]}


@pytest.fixture(scope="module")
def order_1048() -> dict[str, Any]:
    """The demo order QA used: in transit with FedEx 796725218999 since Nov 14 (5:00 PM in Los Angeles), no ETA."""
    return {"result": "found", "disclosure": "full",
            "orders": [order_view(Order.model_validate(DEMO["#1048"]), Disclosure.FULL, LA)]}


@pytest.fixture(scope="module")
def facts() -> Facts:
    return Facts.from_results([FOUND], tz=LA, today=TODAY)


def texts(claims: list[Claim]) -> list[tuple[str, str]]:
    return [(c.kind, c.text) for c in claims]


def test_grounded_english_answer_passes(facts: Facts) -> None:
    answer = (
        "Your order #1042 (ORD-12345) has partly shipped. The tent is with UPS, tracking number "
        "1Z999AA10123456784, and should arrive Friday, Nov 27. You can follow it here: " + UPS_URL + ". "
        "The mat ships separately with USPS (9400 1118 9922 3197 4284 90). The order total was $59.99, "
        "which includes 2 tents at $15.00 each ($30.00) and the mat at USD 29.99."
    )
    assert check(answer, facts, language="en") == []


def test_grounded_chinese_answer_passes(facts: Facts) -> None:
    answer = (
        "您的订单#1042已部分发货：帐篷由UPS承运，运单号1Z999AA10123456784，预计11月27日（周五）送达，"
        "可在此查询：" + UPS_URL + "。垫子将由USPS单独寄出。订单总额59.99美元，下单时间2026年11月20日，"
        "预留手机尾号0199。"
    )
    assert check(answer, facts, language="zh") == []


@pytest.mark.parametrize(
    ("answer", "kind", "text"),
    [
        ("Your tracking number is 1Z999AA10123456785.", "id", "1Z999AA10123456785"),  # one digit off
        ("Your order #1043 has shipped.", "id", "#1043"),
        ("Order ORD-12346 has shipped.", "id", "ORD-12346"),
        ("It should arrive on Nov 30.", "date", "Nov 30"),
        ("It should arrive Thursday, Nov 27.", "date", "Thursday, Nov 27"),  # Nov 27 2026 is a Friday
        ("预计11月27日（周四）送达。", "date", "11月27日（周四）"),
        ("It should arrive on Monday.", "date", "Monday"),
        ("Your refund of $12.50 is on its way.", "amount", "$12.50"),
        ("The total was €59.99.", "amount", "€59.99"),  # the right number in the wrong currency
        ("订单总额299元。", "amount", "299元"),
        ("It is on its way with FedEx.", "carrier", "FedEx"),
        ("您的包裹由顺丰发出。", "carrier", "顺丰"),
        ("Track it at https://www.ups.com/track?tracknum=1Z999AA10123456785.", "url",
         "https://www.ups.com/track?tracknum=1Z999AA10123456785"),
        ("Track it at https://www.ups.com/track.", "url", "https://www.ups.com/track"),  # a prefix is not a fact
    ],
)
def test_invented_claims_are_caught(facts: Facts, answer: str, kind: str, text: str) -> None:
    assert texts(check(answer, facts)) == [(kind, text)]


@pytest.mark.parametrize(
    "answer",
    [
        "In 2026 we shipped it; it has 3 items in 2 packages.",
        "The carrier scans parcels within 24 hours, usually by 3:45 PM, sometimes by 10am.",
        "Tracking updates can take 24-48 hours (2–3 business days).",
        "We sent a text to the phone ending in 0199 (***0199).",
        "包裹共3件，24小时内更新，下午3点前发出。",
        "包裹 1/2：Trail Tent。Package 2/2 has not shipped.",
        "As of today, your order is in transit; tomorrow I can check again.",
        "Carriers deliver Monday to Friday; 98% of parcels arrive on time.",
        "Package #2 is a 24-hour express, the 1st of 2 packages; about 2.5 kg.",
        "Email us at help@example.com or reply here.",
        "Your order 1042 ships to 97403.",
        "Order 12345 is the same as ORD-12345.",
        "Amazon orders cannot be tracked here.",
    ],
)
def test_not_claims_are_not_flagged(facts: Facts, answer: str) -> None:
    assert check(answer, facts) == []


def test_numbers_written_with_spaces(facts: Facts) -> None:
    assert check("USPS tracking: 9400 1118 9922 3197 4284 90.", facts) == []
    assert check("USPS tracking: 9400111899223197428490.", facts) == []
    assert texts(check("USPS tracking: 9400 1118 9922 3197 4284 91.", facts)) == [
        ("id", "9400 1118 9922 3197 4284 91")
    ]
    # A part of a tracking number is not the tracking number.
    assert texts(check("USPS tracking: 9400 1118.", facts)) == [("id", "9400"), ("id", "1118")]
    assert texts(check("UPS tracking 1Z999AA1012345.", facts)) == [("id", "1Z999AA1012345")]


def test_carrier_letters_written_apart_from_the_number() -> None:
    shipment = {"carrier": "顺丰", "tracking_number": "SF1234567890123", "status": "in_transit"}
    view = order_view(Order.model_validate({"id": "1001", "shipments": [shipment]}), Disclosure.STATUS)
    facts = Facts.from_results([{"result": "found", "disclosure": "status", "orders": [view]}], tz=LA, today=TODAY)
    assert check("顺丰速运单号 SF 1234 5678 9012 3，SF Express。", facts) == []
    assert texts(check("Tracking SF 1234 5678 9012 4 with UPS", facts)) == [
        ("id", "1234 5678 9012 4"), ("carrier", "UPS"),
    ]


def test_eta_near_midnight_utc(facts: Facts) -> None:
    # The ETA 2026-11-28T02:00:00Z is Friday Nov 27 in Los Angeles, and the lookup writes it so. Saturday Nov 28,
    # its UTC date, is a day the shopper was never told.
    assert FOUND["orders"][0]["shipments"][0]["estimated_delivery"] == "2026-11-27T18:00-08:00"
    for answer in ("It arrives Nov 27.", "It arrives Friday, November 27.", "11/27", "2026-11-27",
                   "2026年11月27日（星期五）"):
        assert check(answer, facts) == [], answer
    assert texts(check("It arrives Saturday, Nov 28.", facts)) == [("date", "Saturday, Nov 28")]
    assert texts(check("It arrives Friday, Nov 28.", facts)) == [("date", "Friday, Nov 28")]
    assert texts(check("It arrives 27 November 2025.", facts)) == [("date", "27 November 2025")]

    # In a UTC merchant the ETA is Nov 28 only: Nov 27 is not stated (and is not today or tomorrow).
    utc_view = {"result": "found", "orders": [order_view(ORDER, Disclosure.FULL)]}
    utc = Facts.from_results([utc_view], tz=ZoneInfo("UTC"), today=TODAY)
    assert texts(check("It arrives Nov 27.", utc)) == [("date", "Nov 27")]
    assert check("It arrives Saturday, Nov 28.", utc) == []


def test_today_and_the_days_either_side_are_facts() -> None:
    facts = Facts.from_results([], tz=LA, today=TODAY)
    assert check("Today is Wednesday, Nov 25; yesterday was Nov 24 and tomorrow is Thursday, Nov 26.", facts) == []
    assert texts(check("It arrives Nov 27.", facts)) == [("date", "Nov 27")]


def test_amounts_compare_numerically(facts: Facts) -> None:
    answer = "Total: $59.990, or 59.99 USD. Two tents: US$30 ($15 each), 12,50 € is not it."
    assert texts(check(answer, facts)) == [("amount", "12,50 €")]
    assert texts(check("Total: 1,299.99", facts)) == [("amount", "1,299.99")]
    yen = Order.model_validate({"id": "A-7", "total": "299900", "currency": "JPY"})
    jp = Facts.from_results([{"result": "found", "orders": [order_view(yen, Disclosure.FULL)]}], tz=LA, today=TODAY)
    assert jp.amounts == frozenset({Decimal("299900")})
    assert check("合计¥299,900（299900日元）。", jp) == []
    assert texts(check("合计299900美元。", jp)) == [("amount", "299900美元")]


def test_facts_from_results(facts: Facts) -> None:
    assert {"1042", "ORD12345", "12345", "1Z999AA10123456784", "9400111899223197428490", "0199"} <= facts.ids
    # Parts of a structured identifier are not identifiers.
    assert "9400" not in facts.ids
    assert facts.amounts >= {Decimal("59.99"), Decimal("15.00"), Decimal("30.00"), Decimal("29.99")}
    assert facts.carriers == {"ups", "usps"}
    assert facts.urls == {UPS_URL}
    assert facts.dates >= {date(2026, 11, 27), date(2026, 11, 20), date(2026, 11, 24), date(2026, 11, 26)}
    assert date(2026, 11, 28) not in facts.dates  # the ETA's UTC day, not the merchant's
    # Results without orders state nothing about orders.
    none = Facts.from_results(
        [{"result": "not_found", "message": "No order has that number."}, {"result": "no_match", "attempts_left": 2}],
        tz=LA, today=TODAY,
    )
    assert none.ids == frozenset() and none.amounts == frozenset() and none.carriers == frozenset()
    assert texts(check("Your order #1042 shipped with UPS.", none)) == [("id", "#1042"), ("carrier", "UPS")]


def test_tool_arguments_the_shopper_wrote_may_be_repeated() -> None:
    not_found = {"result": "not_found", "message": "No order has that number."}
    arguments = [{"order_id": "#1043", "phone": "+1 415-555-0199"}]
    facts = Facts.from_results([not_found], tz=LA, today=TODAY, arguments=arguments,
                               shopper_text="Where is order 1043? My phone: (415) 555 0199.")
    assert check("I could not find order #1043 for +1 415-555-0199 or 415-555-0199.", facts) == []
    assert texts(check("I could not find order #1044.", facts)) == [("id", "#1044")]
    # Digits spelled out are written too.
    for said in ("my order is one oh four two", "订单号一零四二"):
        spelled = Facts.from_results([], tz=LA, today=TODAY, arguments=[{"order_id": "1042"}], shopper_text=said)
        assert "1042" in spelled.ids, said


def test_tool_arguments_the_shopper_did_not_write_are_no_facts(order_1048: dict[str, Any]) -> None:
    # QA round 5: the model passed a number to the tool, then stated it as a fact.
    arguments = [{"order_id": "1Z999AA10123456784"}, {"order_id": "1048", "postal_code": "2026-12-25"}]
    facts = Facts.from_results([order_1048], tz=LA, today=TODAY, arguments=arguments,
                               shopper_text="where is my order 1048??")
    answer = "Your order #1048 shipped via FedEx, tracking number 1Z999AA10123456784."
    assert texts(check(answer, facts)) == [("id", "1Z999AA10123456784")]
    assert texts(check("It arrives Dec 25.", facts)) == [("date", "Dec 25")]
    # What the shopper wrote supports only identifiers: not a date, an amount or a carrier.
    said = Facts.from_results([order_1048], tz=LA, today=TODAY,
                              arguments=[{"order_id": "1048", "postal_code": "2026-12-25", "ref_id": "UPS 30.00"}],
                              shopper_text="order 1048, 2026-12-25, UPS 30.00")
    assert "20261225" in said.ids and date(2026, 12, 25) not in said.dates
    assert texts(check("It arrives 2026-12-25 with UPS; you paid $30.00.", said)) == [
        ("date", "2026-12-25"), ("carrier", "UPS"), ("amount", "$30.00")]
    # Written apart or in other case, it is still what the shopper wrote; inside a longer number it is not.
    assert "ORD12345" in Facts.from_results([], tz=LA, today=TODAY, arguments=[{"ref_id": "ORD-12345"}],
                                            shopper_text="my ref is ord 12345").ids
    assert "1043" not in Facts.from_results([], tz=LA, today=TODAY, arguments=[{"order_id": "1043"}],
                                            shopper_text="call 4151043990").ids


def test_carrier_names_and_families() -> None:
    shipment = {"carrier": "DHL eCommerce", "tracking_number": "GM2951173225174494", "status": "in_transit"}
    view = order_view(Order.model_validate({"id": "1001", "shipments": [shipment]}), Disclosure.STATUS)
    facts = Facts.from_results([{"result": "found", "orders": [view]}], tz=LA, today=TODAY)
    assert check("It ships with DHL (DHL eCommerce, dhl global mail).", facts) == []
    assert texts(check("It ships with DHL Express.", facts)) == [("carrier", "DHL Express")]
    # Short codes count only in capitals; "ups and downs" is not UPS.
    assert check("Deliveries have their ups and downs.", facts) == []


def test_spans_point_into_the_answer(facts: Facts) -> None:
    answer = "订单＃１０４３由FedEx发出，https://x.example/t。"
    claims = check(answer, facts)
    assert texts(claims) == [("id", "＃１０４３"), ("carrier", "FedEx"), ("url", "https://x.example/t")]
    assert all(answer[c.span[0]:c.span[1]] == c.text for c in claims)


def test_correction_message_lists_each_claim_once(facts: Facts) -> None:
    claims = check("Order #1043 ships with FedEx; order #1043 arrives Nov 30.", facts)
    message = correction_message(claims)
    assert message.count('"#1043"') == 1
    assert 'carrier "FedEx"' in message and 'date "Nov 30"' in message
    assert "only" in message and "tool results" in message


@pytest.mark.parametrize(("answer", "claimed"), [
    ("It left the warehouse today and should be out for delivery tomorrow.", ["today", "tomorrow"]),
    ("今天或明天到达。", ["今天", "明天"]),
    ("Order #1042 will arrive tomorrow.", ["tomorrow"]),
    ("It shipped yesterday.", []),  # Nov 24: the shipment's date
    ("It's out for delivery today.", ["today"]),
    ("It's not out for delivery today.", []),  # negated: no date stated (QA round 6)
])
def test_today_and_tomorrow_about_the_package_are_dates(facts: Facts, answer: str, claimed: list[str]) -> None:
    assert [c.text for c in check(answer, facts) if c.kind == "date"] == claimed


@pytest.mark.parametrize(("answer", "claimed"), [
    # QA round 5: #1048 has no estimate; today and the days either side are facts, but not as its delivery date.
    ("Expected delivery: Thursday, November 26.", ["Thursday, November 26"]),
    ("Estimated delivery is 11/26", ["11/26"]),
    ("预计11月26日送达", ["11月26日"]),
    ("ETA: Nov 25.", ["Nov 25"]),
    ("It is due 2026-11-26.", ["2026-11-26"]),
    ("Your order #1048 was delivered on Nov 24, 2026.", ["Nov 24, 2026"]),
    ("Expected delivery: Thursday.", ["Thursday"]),
    # Not about its delivery.
    ("As of today, Nov 25, your order is in transit.", []),
    ("As of today, Nov 25, it hasn't been delivered; it shipped Nov 14.", []),
    ("今天是11月25日，包裹正在运输中。", []),
    ("If it hasn't arrived by Nov 26, please let me know.", []),
    ("Delays due to weather are common around Nov 26.", []),
])
def test_a_delivery_date_must_be_a_result_date(order_1048: dict[str, Any], answer: str, claimed: list[str]) -> None:
    facts = Facts.from_results([order_1048], tz=LA, today=TODAY)
    assert [c.text for c in check(answer, facts) if c.kind == "date"] == claimed


def test_a_delivery_date_the_results_give_is_no_claim(facts: Facts) -> None:
    assert check("Estimated delivery: Friday, Nov 27 (it shipped Tuesday, Nov 24).", facts) == []
    delivered = Order.model_validate({**ORDER.model_dump(), "status": "delivered", "shipments": [
        {**ORDER.shipments[0].model_dump(), "status": "delivered", "delivered_at": "2026-11-24T18:00:00Z"}]})
    result = {"result": "found", "disclosure": "full", "orders": [order_view(delivered, Disclosure.FULL, LA)]}
    assert check("It was delivered on Tuesday, Nov 24.", Facts.from_results([result], tz=LA, today=TODAY)) == []


def test_arriving_tomorrow_is_grounded_when_the_estimate_is_tomorrow() -> None:
    tomorrow = Facts.from_results([FOUND], tz=LA, today=date(2026, 11, 26))
    assert check("Order #1042 is arriving tomorrow, Friday, Nov 27.", tomorrow) == []


@pytest.mark.parametrize(("answer", "claimed"), [
    ("Order #1042 has been delivered and signed for.", ["has been delivered"]),
    ("A refund of $59.99 was issued on Nov 24.", ["refund of $59.99 was issued"]),
    ("Your order was cancelled.", ["was cancelled"]),
    ("订单已签收。", ["已签收"]),
    ("订单已退款。", ["已退款"]),
    ("It hasn't been delivered yet.", []),
    ("It has not been cancelled.", []),
    ("订单尚未签收。", []),
])
def test_a_status_the_results_do_not_give_is_a_claim(facts: Facts, answer: str, claimed: list[str]) -> None:
    assert [c.text for c in check(answer, facts) if c.kind == "status"] == claimed


def test_a_status_the_results_give_is_no_claim() -> None:
    delivered = Order.model_validate({**ORDER.model_dump(), "status": "delivered"})
    result = {"result": "found", "disclosure": "full", "orders": [order_view(delivered, Disclosure.FULL)]}
    assert check("Order #1042 has been delivered.", Facts.from_results([result], tz=LA, today=TODAY)) == []


def test_every_templated_answer_about_the_demo_orders_is_grounded() -> None:
    """The answers the offline responder writes, in both languages, pass the guard the model's answers face."""
    from datetime import UTC, datetime

    from assistant.answers import render_answer
    from tools.config import MerchantInfo

    demo = list(DEMO.values())
    merchant = MerchantInfo(name="Demo Outfitters", timezone="America/Los_Angeles", default_region="US")
    now = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    for data in demo:
        result = {"result": "found", "disclosure": "full",
                  "orders": [order_view(Order.model_validate(data), Disclosure.FULL)]}
        facts = Facts.from_results([result], tz=LA, today=TODAY)
        for language in ("en", "zh"):
            answer = render_answer([result], language=language, merchant=merchant, now=now)
            assert check(answer, facts) == [], (data["id"], language, answer)


@pytest.mark.parametrize(("answer", "kind", "claimed"), [
    # The fixture's order is partly shipped: one package in transit (estimate Friday Nov 27), one with a label only.
    ("We've refunded you.", "status", "refunded you"),
    ("Your order has arrived.", "status", "has arrived"),
    ("It was signed for by a neighbour.", "status", "was signed for"),
    ("Your order is out for delivery.", "status", "is out for delivery"),
    ("It has been returned to sender.", "status", "returned to sender"),
    ("Your payment for order #1042 was received.", "status", None),  # partially_shipped: it was paid
    ("It should arrive on Monday.", "date", "Monday"),
    ("Expect it by Monday.", "date", "Monday"),
    ("It arrives next week.", "date", "next week"),
    ("It will arrive in 5 days.", "date", "in 5 days"),
    ("It will arrive in 2 days.", "date", None),  # Nov 27: the estimate
    ("It should arrive this week.", "date", None),
    ("It is due Friday.", "date", None),
    ("It has arrived at the Oakland facility.", "status", None),
])
def test_paraphrased_claims_about_the_package(facts: Facts, answer: str, kind: str, claimed: str | None) -> None:
    found = [c.text for c in check(answer, facts) if c.kind == kind]
    assert found == ([claimed] if claimed else [])


def test_shipped_and_paid_need_an_order_past_payment() -> None:
    unpaid = Order.model_validate({**ORDER.model_dump(), "status": "pending", "shipments": []})
    result = {"result": "found", "disclosure": "full", "orders": [order_view(unpaid, Disclosure.FULL)]}
    facts = Facts.from_results([result], tz=LA, today=TODAY)
    assert [c.text for c in check("Order #1042 has shipped.", facts)] == ["has shipped"]
    assert [c.text for c in check("Your payment was received.", facts)] == ["payment was received"]
    assert check("Order #1042 hasn't shipped yet.", facts) == []


@pytest.mark.parametrize("answer", [
    # Conditions, the future, negations and questions state no status (QA round 3).
    "Once payment is received, we'll ship it.",
    "It will ship once your payment has been received.",
    "You'll receive a tracking number once it has shipped.",
    "We'll let you know if it's returned to sender.",
    "If it is returned to sender, we'll refund you.",
    "It doesn't look like it has arrived yet.",
    "I can't see that it has been delivered yet.",
    "Has it been delivered? Not yet.",
    "如果包裹被退回发件人，我们会为您退款。",
    "等订单已发货后，您会收到运单号。",
    "If it hasn't arrived by Friday, please let me know.",
    # A link followed straight by Chinese text.
    "UPS运单号1Z999AA10123456784，可在https://www.ups.com/track?tracknum=1Z999AA10123456784查询。",
])
def test_hedged_sentences_and_links_in_chinese_text_are_no_claims(facts: Facts, answer: str) -> None:
    assert check(answer, facts) == []


@pytest.mark.parametrize(("answer", "claimed"), [
    ("It will be delivered on Friday.", []),  # the estimate: Friday Nov 27
    ("It should be delivered Friday.", []),
    ("UPS estimated Friday for delivery.", []),
    ("It will be delivered on Sunday.", ["Sunday"]),
    ("It was delivered on Friday, the day it was ordered.", []),  # Nov 20, a past result date
])
def test_delivery_weekdays_follow_the_tense(facts: Facts, answer: str, claimed: list[str]) -> None:
    assert [c.text for c in check(answer, facts) if c.kind == "date"] == claimed


@pytest.mark.parametrize("answer", ["Your payment of $59.99 was received.", "We received your payment.",
                                    "Payment received, thanks!"])
def test_payment_claims_for_an_unpaid_order(answer: str) -> None:
    unpaid = Order.model_validate({**ORDER.model_dump(), "status": "pending", "shipments": []})
    result = {"result": "found", "disclosure": "full", "orders": [order_view(unpaid, Disclosure.FULL)]}
    assert [c.kind for c in check(answer, Facts.from_results([result], tz=LA, today=TODAY))] == ["status"]


# -- QA round 5: statuses and times that slipped through ----------------------------------------------------------


def demo_facts(order_id: str) -> Facts:
    result = {"result": "found", "disclosure": "full",
              "orders": [order_view(Order.model_validate(DEMO[order_id]), Disclosure.FULL, LA)]}
    return Facts.from_results([result], tz=LA, today=TODAY)


@pytest.mark.parametrize(("answer", "claimed"), [
    ("Order #1048: Delivered on 16 Nov in Denver, CO.", ["Delivered"]),
    ("Status: delivered.", ["delivered"]),
    ("Order #1048 - **Delivered**: Nov 16", ["Delivered"]),
    ("Delivered to your front door.", ["Delivered"]),
    ("Delivered? Not yet: it is in transit.", []),
    ("Not delivered yet.", []),
    ("Delivered items can be returned within 30 days.", []),
    ("Once delivered, you'll get an email.", []),
])
def test_a_bare_delivered_is_a_status_claim(answer: str, claimed: list[str]) -> None:
    assert [c.text for c in check(answer, demo_facts("#1048")) if c.kind == "status"] == claimed
    # #1002 was delivered Aug 31: a bare "delivered" is supported, and "not delivered" contradicts it.
    contradicted = ["Not delivered yet"] if answer == "Not delivered yet." else []
    assert [c.text for c in check(answer, demo_facts("#1002")) if c.kind == "status"] == contradicted


def test_expected_tomorrow_in_chinese_is_a_date() -> None:
    assert texts(check("预计明天到。", demo_facts("#1001"))) == [("date", "明天")]
    assert check("今天到现在还没有更新。", demo_facts("#1001")) == []


@pytest.mark.parametrize(("order_id", "answer", "claimed"), [
    # #1048 shipped Nov 14 at 17:00 in Los Angeles; its last scan was Nov 16 at 12:00.
    ("#1048", "Order #1048 shipped Nov 14 at 9:00 AM.", ["9:00 AM"]),
    ("#1048", "Order #1048 shipped Nov 14 at 5:00 PM.", []),
    ("#1048", "Order #1048 shipped on Nov 14, 17:00.", []),
    ("#1048", "Order #1048 shipped Nov 14 around 5 PM.", []),  # the hour alone
    ("#1048", "Order #1048 shipped Nov 14 around 5 AM.", ["5 AM"]),
    ("#1048", "It was scanned in Denver at 12:00 PM on Nov 16.", []),
    ("#1048", "It was scanned in Denver at 12:30 PM.", ["12:30 PM"]),
    ("#1048", "It left Salt Lake City at 3:15 PM.", ["3:15 PM"]),
    # #1001 was signed for Aug 31 at 07:29 in Los Angeles.
    ("#1001", "您的包裹已于8月31日下午7点29分签收。", ["下午7点29分"]),
    ("#1001", "您的包裹已于8月31日上午7点29分签收。", []),
    ("#1001", "您的包裹已于8月31日7时29分签收。", []),
    ("#1001", "您的包裹已于8月31日 07:29 签收。", []),
    ("#1001", "包裹8月31日晚上7点签收。", ["晚上7点"]),
    # Times not about the package: hours, cut-offs, ranges, the shopper's questions.
    ("#1048", "Our team is available 9am-5pm, Monday to Friday.", []),
    ("#1048", "Orders placed before 2 PM ship the same day.", []),
    ("#1048", "UPS delivers between 9 AM and 8 PM.", []),
    ("#1048", "订单在下午3点前付款当天发货。", []),
    ("#1048", "The shipping cut-off is 2 PM; we usually ship at 3:30 PM.", []),
    ("#1048", "If it hasn't arrived by 6 PM on Nov 26, let us know.", []),
])
def test_clock_times_about_the_package_must_be_result_times(order_id: str, answer: str, claimed: list[str]) -> None:
    assert [c.text for c in check(answer, demo_facts(order_id)) if c.kind == "time"] == claimed


# -- QA round 6: correct answers that were flagged, each with a twin that states something false -----------------


def date_claims(order_id: str, answer: str) -> list[str]:
    return [c.text for c in check(answer, demo_facts(order_id)) if c.kind == "date"]


@pytest.mark.parametrize(("order_id", "answer", "claimed"), [
    # #1126: UPS estimates Sunday Nov 29; nothing happened today. #1167: estimate tomorrow, Nov 26.
    ("#1126", "It won't arrive today; the estimated delivery is Sunday, Nov 29.", []),
    ("#1126", "It will arrive today; the estimated delivery is Sunday, Nov 29.", ["today"]),
    ("#1126", "It won't arrive today; the estimated delivery is Monday, Nov 30.", ["Monday, Nov 30"]),
    ("#1126", "There's no new tracking update today, but UPS still expects to deliver it on Nov 29.", []),
    ("#1126", "There's a new tracking update today, and UPS still expects to deliver it on Nov 29.", ["today"]),
    ("#1126", "It's not out for delivery today. UPS estimates delivery on Sunday, November 29.", []),
    ("#1126", "It's out for delivery today. UPS estimates delivery on Sunday, November 29.", ["today"]),
    ("#1126", "今天不会送达，预计11月29日（周日）送达。", []),
    ("#1126", "今天送达，预计11月29日（周日）送达。", ["今天"]),
    ("#1167", "It hasn't shipped yet, so it won't be delivered today. The estimated delivery is tomorrow, Nov 26.",
     []),
    ("#1167", "It hasn't shipped yet, but it will be delivered today.", ["today"]),  # the negation is not on "today"
    ("#1167", "预计明天送达，今天还不会到。", []),
    ("#1167", "预计今天送达，明天还不会到。", ["今天"]),
    ("#1048", "Unfortunately it wasn't delivered yesterday or today; the last scan was Nov 16 in Denver.", []),
    ("#1048", "It was delivered yesterday; the last scan was Nov 16 in Denver.", ["yesterday"]),
    ("#1048", "It should arrive no later than tomorrow.", ["tomorrow"]),
    # In English a negation after the day counts only as a verb: "with no signature" does not negate the arrival.
    ("#1048", "Today it won't arrive.", []),
    ("#1048", "Delivery today isn't possible.", []),
    ("#1048", "It arrives tomorrow with no signature needed.", ["tomorrow"]),
    ("#1048", "It will be delivered within 2 days with no signature required.", ["within 2 days"]),
    ("#1048", "No worries — it will arrive tomorrow.", ["tomorrow"]),
    ("#1048", "不是今天送达。", []),
])
def test_a_negated_relative_day_states_no_date(order_id: str, answer: str, claimed: list[str]) -> None:
    assert date_claims(order_id, answer) == claimed


@pytest.mark.parametrize(("order_id", "answer", "claimed"), [
    # What the shopper (or we) may do today is no date of the package; #1048 has nothing dated today.
    ("#1048", "You can also contact FedEx today about the delivery using tracking number 796725218999.", []),
    ("#1048", "FedEx will contact you today about the delivery using tracking number 796725218999.", ["today"]),
    ("#1048", "You can also contact FedEx today; it will be delivered today.", ["today"]),
    ("#1048", "You can pick it up today.", ["today"]),
    ("#1048", "We'll update you tomorrow about the delivery.", []),
    # #1055 is with SF Express, in transit.
    ("#1055", "如有疑问，您今天可以联系顺丰了解派送情况。", []),
    ("#1055", "顺丰今天会联系您派送。", ["今天"]),
    ("#1055", "您的包裹今天派送，请联系顺丰。", ["今天"]),
])
def test_the_shoppers_own_action_today_is_no_date(order_id: str, answer: str, claimed: list[str]) -> None:
    assert date_claims(order_id, answer) == claimed


@pytest.mark.parametrize(("order_id", "answer", "claimed"), [
    # #1079 was estimated for Tuesday Nov 24 (yesterday) and is still in transit: a missed delivery day looks back.
    ("#1079", "It was supposed to arrive on Tuesday, but it's still in transit.", []),
    ("#1079", "It was supposed to arrive on Monday, but it's still in transit.", ["Monday"]),
    ("#1079", "It was expected on Tuesday, but it's still in transit.", []),
    ("#1079", "It was due Tuesday; it's now a day late.", []),
    ("#1079", "It was due Thursday; it's now a day late.", ["Thursday"]),
    ("#1079", "It should have arrived Tuesday.", []),
    ("#1079", "It is expected on Tuesday.", ["Tuesday"]),  # the coming Tuesday, Dec 1
    # #1126 is estimated for the coming Sunday, Nov 29: no Sunday of the last two weeks is in its results.
    ("#1126", "It is expected on Sunday.", []),
    ("#1126", "It was supposed to arrive on Sunday, but it's still in transit.", ["Sunday"]),
])
def test_a_missed_delivery_weekday_is_a_past_date(order_id: str, answer: str, claimed: list[str]) -> None:
    assert date_claims(order_id, answer) == claimed


@pytest.mark.parametrize(("order_id", "answer", "claimed"), [
    # Not about this package: what a carrier never does, and when our team replies. #1048 has no estimate.
    ("#1048", "Just so you know, FedEx doesn't deliver on Sunday.", []),
    ("#1048", "Just so you know, FedEx will deliver it on Sunday.", ["Sunday"]),
    ("#1048", "FedEx doesn't deliver on Sunday, so expect it Monday.", ["Monday"]),
    ("#1048", "I've passed this to our team, and they'll get back to you about the delivery within 1 business day.",
     []),
    ("#1048", "I've passed this to our team, and it will be delivered within 1 business day.",
     ["within 1 business day"]),
    ("#1048", "FedEx will get back to you about the delivery within 1 business day.", ["within 1 business day"]),
])
def test_general_statements_and_our_replies_are_no_dates(order_id: str, answer: str, claimed: list[str]) -> None:
    assert date_claims(order_id, answer) == claimed


@pytest.mark.parametrize(("answer", "claimed"), [
    # A question states nothing (QA round 5 notes); #1048 has nothing dated today or tomorrow.
    ("Did it arrive today?", []),
    ("Will it arrive tomorrow? I can check again then.", []),
    ("今天到了吗？", []),
    ("Should it arrive in 2 days?", []),
    ("It arrives tomorrow, right?", ["tomorrow"]),  # the question is "right?"; the clause before it is a statement
    ("It arrives tomorrow. Anything else?", ["tomorrow"]),
])
def test_a_relative_day_in_a_question_is_no_date(answer: str, claimed: list[str]) -> None:
    assert date_claims("#1048", answer) == claimed


@pytest.mark.parametrize(("answer", "claimed"), [
    # QA round 6: correct answers that were flagged, each with a false twin.
    ("Your order is in transit. Our team is available 24/7 if you need anything.", []),
    ("Your order is in transit. It will arrive 24/11.", [("date", "24/11")]),
    ("It's in transit. Returns are accepted within 30 days of delivery.", []),
    ("It's in transit and will be delivered within 30 days.", [("date", "within 30 days")]),
])
def test_round_the_clock_and_return_windows_are_no_dates(answer: str, claimed: list[tuple[str, str]]) -> None:
    assert texts(check(answer, demo_facts("#1048"))) == claimed


def test_a_phone_number_counts_as_the_shopper_wrote_it(order_1048: dict[str, Any]) -> None:
    # QA round 6: the agent passes the phone in E.164; the shopper wrote it with dashes, without the country code.
    arguments = [{"order_id": "1048", "phone": "+16125550114"}]
    said = "where's order 1048? my phone is 612-555-0114"
    facts = Facts.from_results([order_1048], tz=LA, today=TODAY, arguments=arguments, shopper_text=said)
    assert check("Order #1048 was placed with phone 612-555-0114 and is in transit.", facts) == []
    assert check("Your phone is (612) 555-0114, or +1 612 555 0114.", facts) == []
    assert texts(check("Order #1048 was placed with phone 612-555-0199.", facts)) == [("id", "612-555-0199")]
    # Without the shopper writing it, the number is the tool's, not a fact.
    unsaid = Facts.from_results([order_1048], tz=LA, today=TODAY, arguments=arguments, shopper_text="order 1048")
    assert texts(check("Your phone on file is 612-555-0114.", unsaid)) == [("id", "612-555-0114")]


# -- QA round 6: deliveries said in other words that passed, each with a twin the results support ----------------


def package_facts(status: str, order_status: str = "shipped", **dates: str) -> Facts:
    """#1048 with its package in another state, estimated or delivered on a day a test needs."""
    data = copy.deepcopy(DEMO["#1048"])
    data["status"] = order_status
    data["shipments"][0] |= {"status": status, **dates}
    result = {"result": "found", "disclosure": "full",
              "orders": [order_view(Order.model_validate(data), Disclosure.FULL, LA)]}
    return Facts.from_results([result], tz=LA, today=TODAY)


def facts_of(key: str) -> Facts:
    """A demo order by number, or #1048 estimated for Monday Nov 30, or delivered yesterday (Nov 24)."""
    if key == "eta Nov 30":
        return package_facts("in_transit", estimated_delivery="2026-11-30T20:00:00Z")
    if key == "delivered Nov 24":
        return package_facts("delivered", "delivered", delivered_at="2026-11-24T20:00:00Z")
    return demo_facts(key)


@pytest.mark.parametrize(("key", "answer", "claimed"), [
    ("#1048", "It got there yesterday.", [("status", "got there"), ("date", "yesterday")]),
    ("delivered Nov 24", "It got there yesterday.", []),
    ("#1048", "It got there today.", [("status", "got there"), ("date", "today")]),
    ("#1161", "It got there today.", []),  # delivered this morning
    ("#1048", "It reached you yesterday.", [("status", "reached you"), ("date", "yesterday")]),
    ("delivered Nov 24", "It reached you yesterday.", []),
    ("#1048", "It came yesterday.", [("status", "It came"), ("date", "yesterday")]),
    ("delivered Nov 24", "It came yesterday.", []),
    ("#1048", "You received it yesterday.", [("status", "You received it"), ("date", "yesterday")]),
    ("delivered Nov 24", "You received it yesterday.", []),
    ("#1048", "It's delivered.", [("status", "'s delivered")]),
    ("#1106", "It's delivered.", []),
    ("#1048", "It was left at your front door.", [("status", "was left at your front door")]),
    ("#1161", "It was left at your front door.", []),
    ("#1048", "It's out for delivery.", [("status", "'s out for delivery")]),
    ("#1164", "It's out for delivery.", []),
    # #1161: the tent and sleeping bag were delivered today; its mugs have not shipped.
    ("#1161", "All three items were delivered today.", [("status", "All three items were delivered")]),
    ("#1161", "The tent and sleeping bag were delivered today.", []),
    ("#1161", "Everything but the mugs was delivered today.", []),
    ("#1161", "您的订单已全部签收。", [("status", "已全部签收")]),
    ("#1161", "帐篷和睡袋都已签收。", []),
    ("#1106", "All items were delivered.", []),
])
def test_delivery_in_other_words_needs_a_delivery(key: str, answer: str, claimed: list[tuple[str, str]]) -> None:
    assert texts(check(answer, facts_of(key))) == claimed


# -- QA round 6: invented spans and relative days that passed, each with a twin the results support -------------


@pytest.mark.parametrize(("key", "answer", "claimed"), [
    # #1048 has no estimate; #1155 is estimated for Friday Nov 27, #1126 for Sunday Nov 29, #1136 for Thursday Nov 26.
    ("#1048", "It arrives the day after tomorrow.", ["the day after tomorrow"]),
    ("#1155", "It arrives the day after tomorrow.", []),
    ("#1048", "Expect it in 3-5 days.", ["in 3-5 days"]),
    ("#1155", "Expect it in 3-5 days.", []),
    ("#1136", "Expect it in 3-5 days.", ["in 3-5 days"]),  # Nov 26 is before the range
    ("#1048", "It should arrive in 3 to 5 business days.", ["in 3 to 5 business days"]),
    ("eta Nov 30", "It should arrive in 3 to 5 business days.", []),
    ("#1048", "It'll arrive in 2-3 days.", ["in 2-3 days"]),
    ("#1155", "It'll arrive in 2-3 days.", []),
    ("#1048", "Expect it within 3-5 business days.", ["within 3-5 business days"]),
    ("#1155", "Expect it within 3-5 business days.", []),
    ("#1048", "It'll be there in two days.", ["in two days"]),
    ("#1155", "It'll be there in two days.", []),
    ("#1048", "It should arrive in a couple of days.", ["in a couple of days"]),
    ("#1155", "It should arrive in a couple of days.", []),
    ("#1048", "It should arrive in about 48 hours.", ["in about 48 hours"]),
    ("#1155", "It should arrive in about 48 hours.", []),
    ("#1048", "It should arrive within the week.", ["within the week"]),
    ("#1155", "It should arrive within the week.", []),
    ("#1048", "It'll arrive this weekend.", ["this weekend"]),
    ("#1155", "It'll arrive this weekend.", ["this weekend"]),  # Friday is no weekend day
    ("#1126", "It'll arrive this weekend.", []),
    ("#1048", "It should be there by end of week.", ["by end of week"]),
    ("#1126", "It should be there by end of week.", []),
    ("#1048", "It arrives on the 27th.", ["the 27th"]),
    ("#1155", "It arrives on the 27th.", []),
    ("#1048", "Order #1048 was placed on the 27th and shipped on the 14th.", []),  # Oct 27 and Nov 14
    ("#1048", "It's been in transit since the 14th.", []),
    ("#1048", "它后天到。", ["后天"]),
    ("#1155", "它后天到。", []),
    ("#1048", "预计下周一送达。", ["下周一"]),
    ("eta Nov 30", "预计下周一送达。", []),
    ("#1048", "预计周一送达。", ["周一"]),  # Monday Nov 16 is a result date, but not a coming one
    ("eta Nov 30", "预计周一送达。", []),
    ("#1048", "预计下周送达。", ["下周"]),
    ("eta Nov 30", "预计下周送达。", []),
    ("#1048", "预计本周末送达。", ["本周末"]),
    ("#1126", "预计本周末送达。", []),
    ("#1048", "预计3天内送达。", ["3天内"]),
    ("#1155", "预计3天内送达。", []),
    ("#1048", "预计三天后送达。", ["三天后"]),
    ("#1155", "预计三天后送达。", []),
    ("#1048", "3天后到。", ["3天后"]),
    ("#1155", "3天后到。", []),
    ("#1048", "明天下午到。", ["明天"]),
    ("#1136", "明天下午到。", []),
    # Hedged: a condition, a negation, "whether", and how long it should have taken.
    ("#1048", "包裹已于11月14日发出，本周内如有更新我们会通知您。", []),
    ("#1048", "目前没有预计送达时间，无法确定是否本周送达。", []),
    ("#1048", "It should have arrived in 3-5 days, but it's running late.", []),
])
def test_delivery_spans_need_an_estimate_in_them(key: str, answer: str, claimed: list[str]) -> None:
    assert [c.text for c in check(answer, facts_of(key)) if c.kind == "date"] == claimed


# -- Negated statuses: "hasn't shipped" told of an order the results show shipped -----------------------------------


def status_claims(facts: Facts, answer: str) -> list[str]:
    return [c.text for c in check(answer, facts) if c.kind == "status"]


@pytest.mark.parametrize(("order_id", "answer", "claimed"), [
    # #1048 is shipped, its one package in transit; #1002 delivered; #1034 cancelled; #1021 refunded.
    ("#1048", "Your order hasn't shipped yet.", ["hasn't shipped yet"]),
    ("#1048", "It has not been dispatched.", ["has not been dispatched"]),
    ("#1048", "We haven't shipped it yet.", ["haven't shipped it yet"]),
    ("#1048", "It has yet to ship.", ["has yet to ship"]),
    ("#1048", "Status: not shipped.", ["not shipped"]),
    ("#1048", "您的订单还没发货。", ["还没发货"]),
    ("#1048", "订单尚未发货。", ["尚未发货"]),
    ("#1002", "It hasn't shipped yet.", ["hasn't shipped yet"]),  # delivered: it left long ago
    ("#1002", "It hasn't been delivered yet.", ["hasn't been delivered yet"]),
    ("#1002", "It was never delivered.", ["never delivered"]),
    ("#1002", "Not delivered yet.", ["Not delivered yet"]),
    ("#1002", "There's no sign it was delivered.", ["no sign it was delivered"]),
    ("#1002", "包裹还没有签收。", ["还没有签收"]),
    ("#1002", "订单尚未送达。", ["尚未送达"]),
    ("#1034", "It wasn't cancelled.", ["wasn't cancelled"]),
    ("#1034", "Your order has not been cancelled.", ["has not been cancelled"]),
    ("#1034", "订单没有取消。", ["没有取消"]),
    ("#1021", "It hasn't been refunded.", ["hasn't been refunded"]),
    ("#1021", "The refund hasn't been issued yet.", ["refund hasn't been issued yet"]),
    ("#1021", "订单还没退款。", ["还没退款"]),
])
def test_a_negated_status_the_results_contradict_is_a_claim(order_id: str, answer: str, claimed: list[str]) -> None:
    assert status_claims(demo_facts(order_id), answer) == claimed


@pytest.mark.parametrize(("order_id", "answer"), [
    # Some order or package the results give bears the negation out.
    ("#1100", "Package 2 hasn't been delivered yet."),  # split: one package delivered, one in transit
    ("#1100", "第二个包裹还没签收。"),
    ("#1048", "It hasn't been delivered yet."),  # in transit
    ("#1161", "The mugs haven't shipped yet."),  # partially shipped
    ("#1173", "Your order hasn't shipped yet."),  # pending
    ("#1173", "您的订单尚未发货。"),
    ("#1154", "It hasn't shipped yet: only a shipping label has been created."),  # processing, label created
    ("#1034", "It was cancelled and hasn't shipped."),  # cancelled before any package
    ("#1020", "It hasn't been delivered: it was returned to sender."),
    ("#1023", "It wasn't cancelled."),  # refunded
    # Questions, conditions, advice about the future, guesses and the shopper's own words state no status.
    ("#1048", "Hasn't it shipped yet?"),
    ("#1048", "It hasn't shipped?"),
    ("#1048", "如果还没发货的话，您可以取消订单。"),
    ("#1048", "我帮您查一下有没有发货。"),
    ("#1002", "If it hasn't been delivered by Friday, please let me know."),
    ("#1002", "If it still hasn't arrived, contact us."),
    ("#1002", "Contact us if it's not delivered by Friday."),
    ("#1002", "It may not have been delivered yet."),
    ("#1002", "You mentioned it hasn't been delivered, but FedEx shows it was."),
    # A qualified negation may be true of a delivered package: not today, not to this door.
    ("#1002", "It wasn't delivered today."),
    ("#1021", "The refund hasn't reached your account yet."),
    ("#1021", "It hasn't been fully refunded."),
])
def test_a_negated_status_a_result_bears_out_is_no_claim(order_id: str, answer: str) -> None:
    assert status_claims(demo_facts(order_id), answer) == []


def test_a_negated_status_needs_every_order_to_contradict_it() -> None:
    def facts_of_orders(*order_ids: str) -> Facts:
        views = [order_view(Order.model_validate(DEMO[i]), Disclosure.FULL, LA) for i in order_ids]
        return Facts.from_results([{"result": "found", "orders": views}], tz=LA, today=TODAY)

    assert facts_of_orders("#1002", "#1048").order_states == (("delivered", ("delivered",)),
                                                               ("shipped", ("in_transit",)))
    assert status_claims(facts_of_orders("#1002", "#1048"), "It hasn't been delivered yet.") == []
    assert status_claims(facts_of_orders("#1002", "#1003"), "It hasn't been delivered yet.") == [
        "hasn't been delivered yet"]
    # Several orders come in brief, without packages: each order's own status decides.
    briefs = [order_summary(Order.model_validate(DEMO[i]), LA) for i in ("#1048", "#1002")]
    shipped = Facts.from_results([{"result": "found", "orders": briefs}], tz=LA, today=TODAY)
    assert status_claims(shipped, "尚未发货。") == ["尚未发货"]
    briefs.append(order_summary(Order.model_validate(DEMO["#1173"]), LA))
    assert status_claims(Facts.from_results([{"result": "found", "orders": briefs}], tz=LA, today=TODAY),
                         "尚未发货。") == []


@pytest.mark.parametrize("results", [
    [],
    [{"result": "verification_needed", "message": "Ask for the email or phone used at checkout."}],
    [{"result": "no_match", "attempts_left": 2}],
    [{"result": "not_found", "message": "No order has that number."}],
])
def test_a_negated_status_about_no_order_looked_up_is_not_checked(results: list[dict[str, Any]]) -> None:
    facts = Facts.from_results(results, tz=LA, today=TODAY)
    for answer in ("It hasn't shipped yet.", "It hasn't been delivered.", "It wasn't cancelled.",
                   "It hasn't been refunded.", "还没发货。"):
        assert status_claims(facts, answer) == [], answer


# -- Negated delivery days: "it won't arrive until Friday" says when it arrives -----------------------------------


@pytest.mark.parametrize(("key", "answer", "claimed"), [
    # #1136 is estimated for Thursday Nov 26 (its results have a Friday and a Monday, not as deliveries); #1155 for
    # Friday Nov 27; #1167 for tomorrow, Nov 26; "eta Nov 30" for Monday Nov 30; #1048 has no estimate.
    ("#1136", "It won't arrive until Friday.", ["Friday"]),
    ("#1155", "It won't arrive until Friday.", []),
    ("#1048", "It won't arrive until Friday.", ["Friday"]),
    ("#1155", "It won't arrive until tomorrow.", ["tomorrow"]),
    ("#1167", "It won't arrive until tomorrow.", []),
    ("#1136", "It won't be delivered before Monday.", ["Monday"]),
    ("eta Nov 30", "It won't be delivered before Monday.", []),
    ("#1155", "It won't be delivered before Nov 30.", ["Nov 30"]),
    ("eta Nov 30", "It won't be delivered before Nov 30.", []),
    ("#1155", "It won't arrive until Friday, Nov 27.", []),
    ("#1048", "It won't be delivered before Nov 16.", ["Nov 16"]),  # its last scan, not a delivery
    ("#1136", "It's not expected until Friday.", ["Friday"]),
    ("#1136", "You won't get it until Friday.", ["Friday"]),
    ("#1136", "It won't be here until Friday.", ["Friday"]),
    ("#1136", "It won't arrive today, and not until Friday.", ["Friday"]),
    ("#1155", "It won't arrive today, and not until Friday.", []),
    ("#1136", "Will it arrive today? Not until Friday.", ["Friday"]),
    ("#1155", "Will it arrive today? Not until Friday.", []),
    ("#1155", "It won't arrive until the 30th.", ["the 30th"]),
    ("eta Nov 30", "It won't arrive until the 30th.", []),
    ("delivered Nov 24", "It wasn't delivered until Monday.", ["Monday"]),
    ("delivered Nov 24", "It wasn't delivered until Tuesday.", []),
    # #1100: one package delivered Thursday Nov 19, one estimated for Sunday Nov 29. A coming Thursday is not Nov 19.
    ("#1100", "The second package won't arrive until Thursday.", ["Thursday"]),
    ("#1100", "The second package won't arrive until Sunday.", []),
    ("#1100", "The first package wasn't delivered until Thursday.", []),
    ("#1136", "周五之前不会到。", ["周五"]),
    ("#1155", "周五之前不会到。", []),
    ("#1136", "不会在周五之前送达。", ["周五"]),
    ("#1155", "明天之前不会送达。", ["明天"]),
    ("#1167", "明天之前不会送达。", []),
    ("#1136", "要等到周五才能送达。", ["周五"]),
    ("#1155", "要等到周五才能送达。", []),
    ("#1136", "您周五才能收到。", ["周五"]),
    ("#1155", "您周五才能收到。", []),
    ("#1155", "30号才能到。", ["30号"]),
    ("eta Nov 30", "30号才能到。", []),
    ("#1155", "要到明天才能送达。", ["明天"]),
    ("#1167", "要到明天才能送达。", []),
])
def test_the_day_a_negation_says_it_arrives_is_a_delivery_date(key: str, answer: str, claimed: list[str]) -> None:
    assert [c.text for c in check(answer, facts_of(key)) if c.kind == "date"] == claimed


@pytest.mark.parametrize(("key", "answer"), [
    # No day of arrival: today only, shipping or what we or the shopper may do, a condition, a question, a promise
    # not made, the shopper's own words. #1136 (estimated Thursday) and #1155 (Friday) have no Monday in them.
    ("#1126", "It won't arrive today."),
    ("#1136", "It won't arrive today; the estimated delivery is Thursday, Nov 26."),
    ("#1155", "We can't ship until Monday."),
    ("#1155", "You can't return it until it's delivered."),
    ("#1155", "You can't contact FedEx about the delivery until Monday."),
    ("#1136", "If it hasn't arrived by Friday, contact us."),
    ("#1136", "If it's not delivered before Friday, contact us."),
    ("#1136", "Won't it arrive until Friday?"),
    ("#1136", "I can't promise it will arrive before Friday."),
    ("#1136", "You mentioned it won't arrive until Friday, but UPS expects it Thursday."),
    ("#1136", "It won't be delivered before 5 PM."),
    ("#1136", "It can't be delivered until the customs fee is paid."),
    ("#1155", "我们周一才能发货。"),
    ("#1136", "如果周五之前还没到，请联系我们。"),
    ("#1136", "周五之前没到的话，请联系我们。"),
    ("#1136", "周五之前能到吗？"),
    ("#1136", "签收之前不能退货。"),
])
def test_a_negation_without_a_day_of_arrival_is_no_date(key: str, answer: str) -> None:
    assert [c.text for c in check(answer, facts_of(key)) if c.kind == "date"] == []


# -- Currency marks: read as the mapping reads them (tools._transforms) ------------------------------------------


def currency_facts(currency: str, total: str = "199") -> Facts:
    order = Order.model_validate({"id": "A-7", "total": total, "currency": currency})
    return Facts.from_results([{"result": "found", "orders": [order_view(order, Disclosure.FULL)]}], tz=LA, today=TODAY)


def test_every_currency_label_the_mapping_reads_is_read_as_its_currencies() -> None:
    from tools._transforms import currency_labels, currency_meanings

    for label in sorted(currency_labels()):
        written = label.lower() if label.isalpha() else label  # "kr", "rmb", "euros": as replies write them
        for currency in currency_meanings(label):
            assert check(f"The total is 199 {written}.", currency_facts(currency)) == [], (label, currency)
        other = next(c for c in ("GBP", "USD") if c not in currency_meanings(label))
        assert texts(check(f"The total is 199 {written}.", currency_facts(other))) == [
            ("amount", f"199 {written}")], label


@pytest.mark.parametrize(("currency", "answer", "claimed"), [
    ("CNY", "合计¥199。", []),
    ("CNY", "合计199元。", []),
    ("CNY", "Total: RMB 199.", []),
    ("CNY", "合计人民币199元。", []),
    ("HKD", "Total: HK$199.", []),
    ("HKD", "合计港币199元。", []),
    ("HKD", "合计199元。", []),  # 元 is also the unit of the Hong Kong dollar in a sentence
    ("CLP", "Total: $199.", []),  # "$" is the peso too, as the mapping reads it
    ("SEK", "Totalt 1 299 kr.", [("amount", "1 299 kr")]),  # the amount is 199
    ("SEK", "Totalt 199 kr.", []),
    ("BRL", "Total: R$199.", []),
    # The right number in the wrong currency is a claim, as before; a shared sign needs one of its currencies.
    ("CNY", "Total: $199.", [("amount", "$199")]),
    ("CNY", "Total: HK$199.", [("amount", "HK$199")]),
    ("HKD", "合计¥199。", [("amount", "¥199")]),
    ("HKD", "Total: RMB 199.", [("amount", "RMB 199")]),
    ("USD", "合计199元。", [("amount", "199元")]),
    ("CNY", "Total: R$199.", [("amount", "R$199")]),  # labels the guard did not read passed unchecked
    ("CNY", "Total: USD$199.", [("amount", "USD$199")]),
    ("USD", "Total: 199 kr.", [("amount", "199 kr")]),
    ("BRL", "Total: R$250.", [("amount", "R$250")]),
    ("SEK", "Totalt 250 kr.", [("amount", "250 kr")]),
    # "KR" in capitals is Korea ("Seoul, KR"), not crowns; "order 1042 $199": the sign is the amount's after it.
    ("USD", "Ships to Seoul, KR 199.", []),
    ("USD", "Order 1042 $199.", [("id", "1042")]),
])
def test_currency_marks_in_answers(currency: str, answer: str, claimed: list[tuple[str, str]]) -> None:
    assert texts(check(answer, currency_facts(currency))) == claimed


def test_thousands_apart_by_spaces_before_a_mark() -> None:
    assert check("Totalt 1 299 kr.", currency_facts("SEK", "1299")) == []
    assert check("Total : 1 299,00 €.", currency_facts("EUR", "1299")) == []
    assert texts(check("Totalt 1 399 kr.", currency_facts("SEK", "1299"))) == [("amount", "1 399 kr")]


class _Counted:
    """A compiled pattern that counts its searches."""

    def __init__(self, pattern: Any) -> None:
        self.pattern, self.searches = pattern, 0

    def search(self, *args: Any) -> Any:
        self.searches += 1
        return self.pattern.search(*args)


@pytest.mark.parametrize(("module", "name", "answer"), [
    ("assistant._when", "_PARCEL_WORDS", "today " * 400),  # one long sentence with many day words
    ("assistant._clock", "_EVENT_WORDS", "shipped at 9:00 AM " * 300),  # one long clause with many clock times
])
def test_a_long_sentence_is_read_once_not_once_for_each_claim_in_it(facts: Facts, monkeypatch, module, name,
                                                                       answer) -> None:
    # Reading the whole sentence again for each match made a 5,000-character answer take a second to check.
    import importlib

    counted = _Counted(getattr(importlib.import_module(module), name))
    monkeypatch.setattr(f"{module}.{name}", counted)
    check(answer, facts)
    assert 1 <= counted.searches <= 2


DELIVERED_MONDAY = {"result": "found", "disclosure": "full", "orders": [{
    "id": "#1042", "status": "delivered", "shipments": [{
        "carrier": "UPS", "tracking_number": "1Z999AA10123456784", "status": "delivered",
        "shipped_at": "2026-11-20T10:00-08:00", "delivered_at": "2026-11-23T11:00-08:00",
        "events": [{"time": "2026-11-23T11:00-08:00", "status": "delivered", "description": "Delivered"}]}]}]}


@pytest.mark.parametrize(("answer", "claimed"), [
    # Yesterday is no fact in a statement about the package (delivered Monday, Nov 23; today Wednesday, Nov 25).
    ("Order #1042 was delivered, on November 24.", ["November 24"]),
    ("Latest update: November 24 at 11:00 AM, Delivered.", ["November 24"]),
    ("It shipped on the 24th.", ["the 24th"]),
    # Today's and yesterday's dates otherwise, a condition, and the result's own day stay facts.
    ("As of today, November 25, order #1042 shows as delivered on November 23.", []),
    ("Today is Wednesday, Nov 25; yesterday was Nov 24.", []),
    ("If it hasn't arrived by Nov 24, tell us.", []),
    # A date no calendar has.
    ("It was delivered on Nov 31.", ["Nov 31"]),
    ("订单#1042已于8月32日签收。", ["8月32日"]),
    ("Shipped 2026-02-30.", ["2026-02-30"]),
    ("Mix 3/45 of the batch.", []),  # a fraction, not a date
])
def test_yesterday_about_the_package_and_impossible_dates_are_claims(answer: str, claimed: list[str]) -> None:
    facts = Facts.from_results([DELIVERED_MONDAY], tz=LA, today=TODAY)
    assert [c.text for c in check(answer, facts, language="zh" if "订单" in answer else "en")] == claimed
