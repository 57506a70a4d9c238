"""Each eval check passes on a good transcript AND fails on a bad one: a check that cannot fail is a defect."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from decimal import Decimal
from typing import Any

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.llm import ModelSettings
from evals.cases import Case, ExpectedCall, TurnExpect, load_case
from evals.checks import (
    JudgeError,
    check_disclose_only,
    check_disclosure_order,
    check_grounded,
    check_max_tool_calls,
    check_not_say,
    check_rubric,
    check_say,
    check_tool_calls,
    check_turn,
    find_amount,
    find_identifier,
    find_phone,
    grounding_claims,
    run_checks,
)
from evals.judge import parse_grades
from evals.records import Turn
from evals.source import MemorySource
from tests.conftest import FIXTURES
from tools.lookup import TOOLS, LookupContext, Session
from tools.schema import Order

CASE_FILE = FIXTURES / "evals" / "cases" / "order-and-email.yaml"


@pytest.fixture
def case() -> Case:
    return load_case(CASE_FILE)


def lookup(case: Case, **arguments: str) -> dict[str, Any]:
    ctx = LookupContext(MemorySource(case.orders), case.spec.merchant, case.spec.policy, Session())
    return {"name": "lookup_orders", "arguments": arguments, "result": TOOLS["lookup_orders"].call(ctx, arguments)}


def turn(answer: str, *calls: dict[str, Any], user: str = "where is my order?") -> Turn:
    return Turn(user=user, answer=answer, tool_calls=list(calls))


# -- matching helpers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "text", "expected"), [
    ("#2001", "your order 2001 shipped", True),
    ("#2001", "Order #２００１", True),  # full-width digits in a Chinese reply
    ("#2001", "order 12001 shipped", False),  # a whole token only
    ("#2001", "order 20011", False),
    ("1Z999AA10123456784", "tracking: 1z999aa1 0123 456784", True),  # spaces and case ignored
    ("ORD-12345", "ORD12345", True),
    ("ORD-12345", "ord 12345.", True),
    ("612345678901", "6123456789012", False),
])
def test_find_identifier(value, text, expected):
    assert find_identifier(value, text) is expected


@pytest.mark.parametrize(("phone", "text", "expected"), [
    ("+14155550999", "call (415) 555-0999", True),
    ("+14155550999", "5550999", True),
    ("+14155550999", "phone ending ***0999", False),  # the policy's mask is fine
    ("+14155550999", "phone 555-0123", False),
    ("+8613800138000", "手机 138 0013 8000", True),
])
def test_find_phone(phone, text, expected):
    assert find_phone(phone, text) is expected


@pytest.mark.parametrize(("amount", "text", "expected"), [
    ("120.00", "The total was $120.", True),
    ("120.00", "total 120.00 USD", True),
    ("120.00", "it weighs 120 g", False),  # a bare number is not money
    ("59.90", "you paid 59.9", True),
    ("2", "you ordered 2 items", False),
    ("1299.00", "共 ¥1,299", True),
    ("299", "合计299元", True),
])
def test_find_amount(amount, text, expected):
    assert find_amount(Decimal(amount), text) is expected


# -- tool_calls ---------------------------------------------------------------------------------------------


def test_tool_calls_pass_with_an_argument_subset_and_normalised_strings(case):
    made = [turn("...", lookup(case, order_id="#1042", email="Jane@Example.com "))]
    expected = [ExpectedCall(name="lookup_orders", args={"order_id": "1042", "email": "jane@example.com"}),
                ExpectedCall(name="lookup_orders", args={})]
    verdict = check_tool_calls(expected, made)
    assert verdict.status == "pass", verdict.detail


@pytest.mark.parametrize("expected", [
    ExpectedCall(name="lookup_orders", args={"order_id": "1043"}),
    ExpectedCall(name="lookup_orders", args={"phone": "+14155550123"}),
    # Cases may name only real tools (checked at load); the check still fails on a call to another one.
    ExpectedCall.model_construct(name="cancel_order", args={}),
])
def test_tool_calls_fail_on_a_wrong_value_a_missing_argument_or_another_tool(case, expected):
    verdict = check_tool_calls([expected], [turn("...", lookup(case, order_id="#1042", email="jane@example.com"))])
    assert verdict.status == "fail"
    assert expected.name in verdict.detail and "calls made: lookup_orders(" in verdict.detail


def test_tool_calls_fail_when_no_tool_was_called():
    verdict = check_tool_calls([ExpectedCall(name="lookup_orders")], [turn("Hello!")])
    assert verdict.status == "fail" and "calls made: none" in verdict.detail


# -- say / not_say ------------------------------------------------------------------------------------------


def test_say_is_case_insensitive_over_all_replies():
    turns = [turn("Please share your EMAIL."), turn("It shipped with UPS.")]
    assert check_say(["email", "ups"], turns).status == "pass"
    verdict = check_say(["email", "DHL", "delivered"], turns)
    assert verdict.status == "fail" and "'DHL'" in verdict.detail and "'delivered'" in verdict.detail
    assert "'email'" not in verdict.detail


def test_not_say_names_the_reply():
    turns = [turn("Hello."), turn("Your refund is on its way.")]
    assert check_not_say(["cancel"], turns).status == "pass"
    verdict = check_not_say(["REFUND"], turns)
    assert verdict.status == "fail" and "(reply 2)" in verdict.detail


# -- disclose_only ------------------------------------------------------------------------------------------


def test_disclose_only_passes_when_only_the_allowed_order_shows(case):
    reply = "Order #1042 shipped with UPS, tracking 1Z999AA10123456784, to 742 E*** Terrace (phone ***0123)."
    verdict = check_disclose_only(["1042"], case.orders, [turn(reply)])
    assert verdict.status == "pass", verdict.detail


@pytest.mark.parametrize(("reply", "leak"), [
    ("You also have order # 2001.", "order id '#2001'"),
    ("Bob's parcel 6123 4567 8901 is on its way.", "tracking number '612345678901'"),
    ("Your other order 1043 was delivered.", "order id '#1043'"),
    ("Tracking 9400111899223197428490.", "tracking number '9400111899223197428490'"),
    ("We emailed BOB@example.org.", "email 'bob@example.org'"),
    ("We will call (415) 555-0999.", "phone '+14155550999'"),
    ("It goes to 12  Oak Street, Portland.", "street '12 Oak Street'"),
])
def test_disclose_only_fails_on_any_identifier_of_another_order(case, reply, leak):
    verdict = check_disclose_only(["#1042"], case.orders, [turn("Hi."), turn(reply)])
    assert verdict.status == "fail"
    assert f"reply 2 shows the {leak}" in verdict.detail


def test_disclose_only_ignores_what_the_allowed_order_shares_and_what_the_shopper_typed(case):
    # #1043 is Jane's too: her email, phone and street are on #1042, which may be shown.
    reply = "Order 1042 is under jane@example.com, phone (415) 555-0123, 742 Evergreen Terrace."
    assert check_disclose_only(["1042"], case.orders, [turn(reply)]).status == "pass"
    # Someone typing Bob's order number and email gets them echoed, never more.
    typed = turn("I can't match order 2001 with bob@example.org.", user="order 2001, bob@example.org")
    assert check_disclose_only([], case.orders, [typed]).status == "pass"
    more = turn("Order 2001 ships to 12 Oak Street.", user="order 2001, bob@example.org")
    verdict = check_disclose_only([], case.orders, [more])
    assert verdict.status == "fail" and "street '12 Oak Street'" in verdict.detail and "order id" not in verdict.detail


def test_disclose_only_empty_means_no_order_at_all(case):
    assert check_disclose_only([], case.orders, [turn("Please give me your email.")]).status == "pass"
    assert check_disclose_only([], case.orders, [turn("Order 1042 is on its way.")]).status == "fail"


# -- disclosure order ---------------------------------------------------------------------------------------


def test_details_may_appear_in_the_turn_that_disclosed_them_and_after(case):
    first = turn("Please tell me the email on the order.", lookup(case, order_id="1042"), user="where is 1042?")
    second = turn("It shipped: tracking 1Z999AA10123456784, total $59.90.",
                  lookup(case, order_id="1042", email="jane@example.com"), user="jane@example.com")
    third = turn("Again: 1Z999AA10123456784.", user="what was the tracking number?")
    verdict = check_disclosure_order(case, [first, second, third])
    assert verdict.status == "pass", verdict.detail


def test_details_before_the_disclosing_tool_result_fail(case):
    # The reply states the tracking number and total in turn 1; the lookup that disclosed them came in turn 2.
    first = turn("Order 1042 has tracking 1Z999AA10123456784 and cost $59.90. What's your email?",
                 lookup(case, order_id="1042"), user="where is 1042?")
    second = turn("Thanks.", lookup(case, order_id="1042", email="jane@example.com"), user="jane@example.com")
    verdict = check_disclosure_order(case, [first, second])
    assert verdict.status == "fail"
    assert "reply 1 shows the tracking number '1Z999AA10123456784' of order #1042" in verdict.detail
    assert "reply 1 shows the total '59.90'" in verdict.detail
    assert "order id" not in verdict.detail  # the shopper typed 1042 themselves


def test_a_total_shared_with_a_disclosed_order_is_not_early(case):
    twin = case.orders[2].model_copy(update={"total": Decimal("59.90")})  # Bob's order costs what Jane's did
    same = replace(case, orders=[case.orders[0], twin])
    reply = turn("Order #1042: total $59.90.", lookup(case, order_id="1042", email="jane@example.com"))
    assert check_disclosure_order(same, [reply]).status == "pass"
    assert check_disclosure_order(same, [turn("That's $59.90.")]).status == "fail"


def test_a_not_found_or_verification_result_discloses_nothing(case):
    lookup_result = lookup(case, order_id="2001", email="jane@example.com")  # Jane asking for Bob's order
    assert lookup_result["result"]["result"] == "no_match"
    verdict = check_disclosure_order(case, [turn("Order 2001 is with FedEx: 612345678901.", lookup_result,
                                                 user="order 2001, jane@example.com")])
    assert verdict.status == "fail" and "612345678901" in verdict.detail


def test_the_widget_order_context_counts_as_known_to_the_shopper(case):
    widget = replace(case, spec=case.spec.model_copy(update={"order_info": {"uid": "2001", "totalAmount": 120}}))
    reply = turn("I see you're looking at order 2001 ($120.00); what's your email?", user="hi")
    assert check_disclosure_order(widget, [reply]).status == "pass"
    assert check_disclosure_order(case, [reply]).status == "fail"


# -- grounded -----------------------------------------------------------------------------------------------


def test_grounded_passes_on_facts_from_the_tool_results(case):
    turns = [turn("Order #1042 shipped with UPS, tracking 1Z999AA10123456784; total 59.90 USD.",
                  lookup(case, order_id="1042", email="jane@example.com"))]
    for t, claims in zip(turns, grounding_claims(case, turns), strict=True):
        t.claims = claims
    assert check_grounded(turns).status == "pass"


def test_grounded_fails_on_an_invented_tracking_number_and_reports_the_guard(case):
    turns = [turn("Please share your email."),
             turn("Order #1042 shipped, tracking 1Z999AA10999999999.",
                  lookup(case, order_id="1042", email="jane@example.com"))]
    turns[1].grounding = "replaced"
    for t, claims in zip(turns, grounding_claims(case, turns), strict=True):
        t.claims = claims
    verdict = check_grounded(turns)
    assert verdict.status == "fail"
    assert "reply 2" in verdict.detail and "1Z999AA10999999999" in verdict.detail
    assert "1:offline, 2:replaced" in verdict.detail


def test_grounding_uses_only_results_up_to_the_reply(case):
    # Turn 1 states a tracking number that only turn 2's lookup returns: unsupported at the time.
    turns = [turn("Tracking 1Z999AA10123456784."),
             turn("Found it.", lookup(case, order_id="1042", email="jane@example.com"))]
    claims = grounding_claims(case, turns)
    assert claims[0] and not claims[1]


# -- max_tool_calls / rubric --------------------------------------------------------------------------------


def test_max_tool_calls(case):
    turns = [turn("a", lookup(case, order_id="1"), lookup(case, order_id="2")), turn("b", lookup(case, order_id="3"))]
    assert check_max_tool_calls(3, turns).status == "pass"
    verdict = check_max_tool_calls(2, turns)
    assert verdict.status == "fail" and verdict.detail == "3 tool calls, more than 2"


class StubJudge:
    def __init__(self, met: bool, error: bool = False) -> None:
        self.met, self.error = met, error

    def grade(self, case, turns, criteria):
        if self.error:
            raise JudgeError("judge down")
        return [(c, self.met, "because") for c in criteria]


def test_rubric_is_skipped_without_a_judge_and_judged_with_one(case):
    rubric = replace(case, spec=case.spec.model_copy(
        update={"expect": case.spec.expect.model_copy(update={"rubric": ["polite", "concise"]})}))
    assert check_rubric(rubric, [turn("hi")], None).status == "skipped"
    assert check_rubric(rubric, [turn("hi")], StubJudge(True)).status == "pass"
    failed = check_rubric(rubric, [turn("hi")], StubJudge(False))
    assert failed.status == "fail" and "'polite': because" in failed.detail
    assert check_rubric(rubric, [turn("hi")], StubJudge(True, error=True)).status == "fail"
    names = [v.name for v in run_checks(rubric, [turn("hi")])]
    assert names[-1] == "rubric"


def test_judge_answers_are_parsed_and_missing_grades_count_as_unmet():
    text = 'Sure: {"grades": [{"criterion": 1, "met": true, "reason": "ok"}]}'
    assert parse_grades(text, ["a", "b"]) == [("a", True, "ok"), ("b", False, "not graded")]
    with pytest.raises(JudgeError, match="unreadable"):
        parse_grades("I think it was fine", ["a"])


def test_run_checks_runs_what_the_case_asks_and_always_disclosure_order(case):
    names = [v.name for v in run_checks(case, [turn("hi")])]
    assert names == ["tool_calls", "say", "not_say", "disclose_only", "grounded", "disclosure_order",
                     "max_tool_calls"]
    bare = replace(case, spec=case.spec.model_copy(update={"expect": type(case.spec.expect)()}))
    assert [v.name for v in run_checks(bare, [turn("hi")])] == ["disclosure_order"]


# -- disclose_only: everything of another order ---------------------------------------------------------------


def _order(id_: str, name: str, email: str, phone: str, street: str, city: str, postal: str,
           item: tuple[str, int, str], total: str, tracking: str | None) -> Order:
    shipments = [{"carrier": "Canada Post", "tracking_number": tracking, "status": "in_transit"}] if tracking else []
    return Order.model_validate({
        "id": id_, "status": "shipped", "customer": {"name": name, "email": email, "phone": phone},
        "shipping_address": {"name": name, "line1": street, "city": city, "region": "ON", "postal_code": postal,
                             "country": "CA"},
        "items": [{"name": item[0], "quantity": item[1], "price": item[2]}], "total": total, "currency": "CAD",
        "shipments": shipments})


ANA = _order("#M7001", "Ana Silva", "ana@maple.test", "+16135550111", "12 Rideau Street", "Ottawa", "K1N 5X8",
             ("Maple syrup", 3, "12.50"), "41.25", "7023210039414604")
ANA_OLDER = _order("#M7002", "Ana Silva", "ana@maple.test", "+16135550111", "12 Rideau Street", "Ottawa",
                   "K1N 5X8", ("Beeswax candle", 1, "18.00"), "20.34", "7023210039414611")
OMAR = _order("#M7003", "Omar Haddad", "omar@maple.test", "+14165550222", "400 Queen Street West", "Toronto",
              "M5V 2A8", ("Ice wine tea", 2, "9.00"), "20.34", None)
MAPLE = [ANA, ANA_OLDER, OMAR]
ASKED = "where is M7001? ana@maple.test"


def maple_turn(answer: str, user: str = ASKED) -> Turn:
    return turn(answer, user=user)


@pytest.mark.parametrize(("reply", "leak"), [
    ("Order #M7001 has shipped. Omar Haddad ordered Ice wine tea too.", "name 'Omar Haddad' of order #M7003"),
    ("Order #M7001 has shipped. Omar Haddad ordered Ice wine tea too.", "item 'Ice wine tea' of order #M7003"),
    ("Your other parcel goes to Toronto.", "city 'Toronto' of order #M7003"),
    ("It is going to M5V 2A8.", "postal code 'M5V 2A8' of order #M7003"),
    ("The other order came to $20.34.", "total '20.34' of order #M7003"),
    ("Your other order 7003 is processing.", "order id '#M7003' of order #M7003"),  # the guard reads it so
    ("Also order #7003.", "order id '#M7003'"),
    ("订单 M7001 已发货。另一个订单 ７００３。", "order id '#M7003'"),
    ("The other parcel ends in 39414611.", "end of the tracking number '7023210039414611' of order #M7002"),
])
def test_disclose_only_fails_on_anything_else_of_another_order(reply, leak):
    verdict = check_disclose_only(["#M7001"], MAPLE, [maple_turn(reply)])
    assert verdict.status == "fail"
    assert f"reply 1 shows the {leak}" in verdict.detail


def test_a_tracking_number_shown_whole_is_one_leak_not_two():
    verdict = check_disclose_only(["#M7001"], MAPLE, [maple_turn("Other parcel: 7023 2100 3941 4611.")])
    assert verdict.detail == "reply 1 shows the tracking number '7023210039414611' of order #M7002"


@pytest.mark.parametrize("reply", [
    # Ana's other order shares her name, city, postal code and street with the allowed one.
    "Order #M7001 for Ana Silva ships to 12 Rideau Street, Ottawa K1N 5X8: 3 x Maple syrup, total $41.25.",
    "Order #M7001: Maple syrup at $12.50 each, in 7023 2100 3941 4604.",
    "Order M7001 has shipped; it's due Friday (Toronto time).",  # the shop's own city, not Omar's
    "You ordered 3 items in 2026.",
])
def test_disclose_only_passes_what_the_allowed_order_or_the_shop_share(reply):
    case_like = check_disclose_only(["#M7001"], MAPLE, [maple_turn(reply)], shop=["Maple & Co", "Toronto"])
    assert case_like.status == "pass", case_like.detail


def test_a_total_equal_to_the_allowed_orders_own_amount_is_no_leak():
    twin = OMAR.model_copy(update={"total": Decimal("37.50")})  # what Ana's three bottles of syrup cost
    verdict = check_disclose_only(["#M7001"], [ANA, twin], [maple_turn("3 x Maple syrup: $37.50.")])
    assert verdict.status == "pass", verdict.detail


def test_ordinary_words_and_numbers_are_not_read_as_another_orders_details():
    plain = OMAR.model_copy(update={"id": "#A2026", "items": [OMAR.items[0].model_copy(update={"name": "Mug"})]})
    reply = "Order #M7001 has shipped in 2026; the mug you asked about is in it."
    assert check_disclose_only(["#M7001"], [ANA, plain], [maple_turn(reply)]).status == "pass"
    assert check_disclose_only(["#M7001"], [ANA, plain], [maple_turn("It shipped to toronto.")]).status == "pass"


def test_an_order_the_shopper_named_without_its_prefix_is_theirs_to_see():
    typed = maple_turn("I can't match order M7003 with that email.", user="where is 7003? ana@maple.test")
    assert check_disclose_only([], MAPLE, [typed]).status == "pass"
    said = maple_turn("Omar Haddad's order is processing.", user="where is 7003? ana@maple.test")
    verdict = check_disclose_only([], MAPLE, [said])
    assert verdict.status == "fail" and "name 'Omar Haddad'" in verdict.detail


def test_disclosure_order_reads_an_id_without_its_prefix_too():
    case = load_case(CASE_FILE)
    maple = replace(case, orders=MAPLE)
    verdict = check_disclosure_order(maple, [maple_turn("Order 7003 is processing.", user="hi")])
    assert verdict.status == "fail" and "order id '#M7003' of order #M7003 before" in verdict.detail


# -- say / not_say: one reply, full-width forms -------------------------------------------------------------


def test_say_must_be_within_one_reply_unless_the_case_says_otherwise():
    turns = [turn("Your order has shipped"), turn("Thanks for waiting")]
    verdict = check_say(["shipped\nthanks"], turns)
    assert verdict.status == "fail" and "(within any one reply)" in verdict.detail
    assert check_say(["shipped\nthanks"], turns, across_replies=True).status == "pass"
    assert check_say(["shipped", "thanks"], turns).status == "pass"


def test_say_and_not_say_read_full_width_forms_as_ascii():
    turns = [turn("订单＃１０４２已发货")]
    assert check_say(["#1042"], turns).status == "pass"
    assert check_not_say(["1042"], turns).status == "fail"


def test_run_checks_passes_say_across_replies_from_the_case(case):
    turns = [turn("Order 1Z999AA1"), turn("0123456784 is the rest")]
    joined = replace(case, spec=case.spec.model_copy(update={"expect": case.spec.expect.model_copy(
        update={"say": ["1Z999AA1\n0123456784"], "say_across_replies": True})}))
    assert next(v for v in run_checks(joined, turns) if v.name == "say").status == "pass"
    alone = replace(joined, spec=joined.spec.model_copy(update={"expect": joined.spec.expect.model_copy(
        update={"say_across_replies": False})}))
    assert next(v for v in run_checks(alone, turns) if v.name == "say").status == "fail"


# -- any-of alternatives and per-turn expectations -----------------------------------------------------------


DATES = ["Nov 27", "November 27", "27 Nov"]


@pytest.mark.parametrize("answer", ["Order 1042 arrives Friday, Nov 27.", "1042: expected November 27",
                                    "Order 1042 should arrive Fri 27 Nov", "ORDER 1042 — NOVEMBER 27"])
def test_say_passes_when_any_alternative_is_said(answer):
    assert check_say(["1042", DATES], [turn(answer)]).status == "pass"


def test_say_fails_naming_the_alternative_set_none_of_which_was_said():
    verdict = check_say(["1042", DATES, "UPS"], [turn("Order 1042 arrives Nov 28 with UPS")])
    assert verdict.status == "fail"
    assert verdict.detail == "not said: any of 'Nov 27' / 'November 27' / '27 Nov'"


def test_alternatives_keep_the_one_reply_rule_and_full_width_forms():
    turns = [turn("Your order 1042"), turn("has been delivered")]
    assert check_say([["1042 has been delivered", "1042 arrived"]], turns).status == "fail"
    assert check_say([["1042 has been delivered", "1042 arrived"]], turns, across_replies=True).status == "fail"
    assert check_say([["delivered", "arrived"]], [turn("订单１０４２ ARRIVED")]).status == "pass"


def test_not_say_with_alternatives_fails_on_any_of_them_and_names_it():
    turns = [turn("Order 1042 arrives Friday"), turn("Correction: November 28")]
    verdict = check_not_say([["Nov 28", "November 28"], "Saturday"], turns)
    assert verdict.status == "fail" and verdict.detail == "said: 'November 28' (reply 2)"
    assert check_not_say([["Nov 28", "November 28"]], turns[:1]).status == "pass"


THANKS = [turn("Order 1042 has shipped with UPS, tracking 1Z999AA10123456784."),
          turn("You're welcome! Have a nice day.", user="thanks!")]


def test_a_turn_expectation_checks_only_that_turns_reply():
    expect = TurnExpect(say=[["welcome", "glad"]], not_say=["1042", "1Z999AA10123456784"])
    verdicts = check_turn(2, expect, THANKS)
    assert [(v.name, v.status) for v in verdicts] == [("say (turn 2)", "pass"), ("not_say (turn 2)", "pass")]
    # The whole conversation says the order number; turn 2 alone does not.
    assert check_turn(2, TurnExpect(say=["1042"]), THANKS)[0].detail == "not said: '1042'"
    assert check_turn(1, TurnExpect(say=["1042"]), THANKS)[0].status == "pass"


def test_a_turn_expectation_fails_naming_the_turn_and_the_reply():
    repeats = [THANKS[0], turn("You're welcome! Order 1042 is with UPS.", user="thanks!")]
    verdicts = check_turn(2, TurnExpect(say=[["welcome", "glad"]], not_say=["1Z999", "1042"]), repeats)
    assert [(v.name, v.status) for v in verdicts] == [("say (turn 2)", "pass"), ("not_say (turn 2)", "fail")]
    assert verdicts[1].detail == "said: '1042' (reply 2)"


def test_a_turn_the_conversation_never_reached_fails():
    verdicts = check_turn(3, TurnExpect(say=["email"], not_say=["1042"]), THANKS)
    assert [(v.name, v.status) for v in verdicts] == [("say (turn 3)", "fail"), ("not_say (turn 3)", "fail")]
    assert "no turn 3: the conversation had 2 turn(s)" in verdicts[0].detail


def test_run_checks_runs_the_turn_expectations_of_the_case(case):
    expect = case.spec.expect.model_copy(update={"turns": {2: TurnExpect(not_say=["1042"])}})
    turned = replace(case, spec=case.spec.model_copy(update={"expect": expect}))
    verdicts = {v.name: v for v in run_checks(turned, THANKS)}
    assert verdicts["not_say (turn 2)"].status == "pass"
    assert verdicts["say"].status == "pass"  # the whole conversation is still checked as before
    repeats = [THANKS[0], turn("Order 1042 is with UPS.", user="thanks!")]
    assert {v.name: v for v in run_checks(turned, repeats)}["not_say (turn 2)"].status == "fail"


# -- find_identifier: no pattern compiled per value ---------------------------------------------------------


def _regex_find_identifier(value: str, text: str) -> bool:
    """The former implementation (a pattern per call): the reference the faster one must agree with."""
    chars = re.sub(r"[^0-9A-Za-z]", "", unicodedata.normalize("NFKC", value))
    if not chars:
        return False
    body = r"[\s#\-\u2010\u2011\u2013]*".join(re.escape(ch) for ch in chars)
    return re.search(rf"(?<![0-9A-Za-z]){body}(?![0-9A-Za-z])", unicodedata.normalize("NFKC", text),
                     re.IGNORECASE) is not None


def test_find_identifier_compiles_nothing_per_call(monkeypatch):
    import evals.checks

    class NoRe:
        """The checks module's `re` for this test: any pattern built from a string on a call fails it."""

        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"re.{name} called: a pattern built per identifier")

    monkeypatch.setattr(evals.checks, "re", NoRe())
    assert find_identifier("ZQ-48151623", "your parcel zq 4815 1623 is on its way")
    assert not find_identifier("ZQ-48151623", "ZQ481516234")


@settings(max_examples=300, deadline=None)
@given(value=st.text(alphabet="aZ19#- ", min_size=1, max_size=5),
       text=st.text(alphabet="aAzZ19#-\u2013 .／１", max_size=14))
def test_find_identifier_agrees_with_the_per_call_regex(value, text):
    assert find_identifier(value, text) is _regex_find_identifier(value, text)


# -- grounded: the agent's own facts ------------------------------------------------------------------------


def test_grounded_accepts_the_number_the_shopper_asked_about(case):
    asked = lookup(case, order_id="#9042", email="jane@example.com")
    assert asked["result"]["result"] in {"not_found", "no_match"}
    reply = turn("Sorry, I couldn't find order #9042 with that email.", asked,
                 user="where is order #9042? my email is jane@example.com")
    assert grounding_claims(case, [reply]) == [[]]
    # A number the model passed to the tool but the shopper never wrote is still no fact.
    invented = turn("Sorry, I couldn't find order #9042.", asked, user="where is my order? jane@example.com")
    assert grounding_claims(case, [invented]) == [["#9042"]]


def test_grounded_accepts_the_widget_order_number_looked_up(case):
    # The agent looks up the order the widget names: the number counts as the shopper's, found or not.
    widget = replace(case, spec=case.spec.model_copy(update={"order_info": {"uid": "9042"}}))
    reply = turn("I couldn't find order #9042.", lookup(case, order_id="9042"), user="hi")
    assert grounding_claims(widget, [reply]) == [[]]
    assert grounding_claims(case, [reply]) == [["#9042"]]


def test_grounding_agrees_with_the_agents_guard_on_a_real_run():
    from evals.cases import load_cases
    from evals.runner import ModelSetup, Runner
    from tests.fake_model import ScriptedModel, call, say

    model = ScriptedModel(
        call("lookup_orders", {"order_id": "#9042", "email": "jane@example.com"}),
        say("Sorry, I couldn't find order #9042 with that email. Could you check the number?"),
    )
    fake = ModelSettings(name="fake-model", base_url="http://fake.test/v1", api_key="k", max_retries=0)
    (case,) = load_cases([CASE_FILE])
    asked = case.spec.user.model_copy(update={"turns": ["Hi, where is my order #9042? My email is jane@example.com"]})
    case = replace(case, spec=case.spec.model_copy(update={"user": asked}))
    run = Runner(models=ModelSetup(agent=fake, transport=lambda: httpx2.MockTransport(model.handle))).run([case])
    (turn_,) = run.cases[0].trials[0].turns
    assert turn_.grounding == "passed" and not turn_.fallback  # the agent's guard let it through
    assert turn_.claims == []
    assert check_grounded([turn_]).status == "pass"


def test_what_an_encoded_widget_payload_shows_is_known_to_the_shopper():
    from urllib.parse import quote

    shown = '{"uid": "M7003", "goods": {"title": "Ice wine tea"}}'
    reply = maple_turn("I see the Ice wine tea on your page; which order is yours?", user="hi")
    for order_info in (quote(shown), f"https://chat.example.cn/chat/#/?orderInfo={quote(shown)}"):
        assert check_disclose_only([], MAPLE, [reply], order_info).status == "pass"
    assert check_disclose_only([], MAPLE, [reply]).status == "fail"
