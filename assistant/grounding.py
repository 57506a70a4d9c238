"""The grounding guard: every checkable claim in an answer must come from this conversation's tool results.

`check` finds the identifiers, amounts, dates, carriers and links an answer states (English and Chinese) and
returns those no tool result supports. The agent regenerates once with `correction_message`, then replaces the
answer, so a shopper never sees an unchecked claim.

Choices that are not obvious:
- A date is a fact in the merchant's zone, in UTC and in the offset the result was written with. An ETA of
  2026-11-28T02:00:00Z is Nov 27 in Los Angeles, yet models often quote the ISO date as written; flagging "Nov 28"
  would replace correct-looking answers, so near midnight an answer may be a day off. Weekdays are still checked
  against the very date they are written with.
- Order numbers may be written without '#', dashes, spaces or their letter prefix ("ORD-12345" as "12345");
  tracking numbers must be complete and exact.
- Currency marks are read through the mapping's one table of labels (`tools._transforms`): a label it reads as a
  currency ("€", "US$", "HK$", "RMB", "人民币", "R$", "kr") is read as that currency, a shared sign ("$", "¥",
  "kr") as any of its currencies, and an amount whose mark means none of the results' currencies is a claim even
  when the number is right ("$199" for a CNY order). Replies also write words no currency field holds (美元, 港币,
  "dollars", "yuan") and ISO codes; in a sentence 元 is also the unit of the Hong Kong, Taiwan and Macau dollars.
  "KR" in capitals is Korea, not crowns; "1 299 kr" is one amount.
- Marketplace names that double as carrier aliases ("Amazon", "JD"/"京东") and the generic word 邮政 are not read
  as carrier claims; "Amazon Logistics", "京东物流" and "中国邮政" are.
- A weekday on its own ("arrives Monday") must be the weekday of some fact date; "Monday to Friday" is not a claim.
  A delivery weekday is one of the next two weeks, or of the last two when it was missed ("was due Tuesday").
- "Today", "tomorrow" and "yesterday" (今天, 明天, 昨天) in a sentence about the package are dates: "arriving
  tomorrow" needs a result dated tomorrow. Elsewhere, and in "as of today", they claim nothing; nor do they (or
  "in 2 days", "arrives Monday") when negated ("it won't arrive today", "FedEx doesn't deliver on Sunday"), in a
  question, or about what the shopper or we may do ("you can contact FedEx today"). A negated date is not checked
  against the results, so "it wasn't delivered today" passes even for a parcel delivered today; the day after
  "until" or "before" is (below).
- The day a negation says the package arrives ("it won't arrive until Friday", "not before Nov 30", "not until
  tomorrow", "要到明天才能送达", "周五之前不会到", "您周五才能收到") must be a delivery date of the results, an
  estimate or a delivery (a weekday alone: one of the next two weeks, or of the last two in "it wasn't delivered
  until Monday"); "won't arrive before Monday" is read as arriving Monday, not as any day from Monday on. A
  verbless "not until Friday" is about what its sentence, or the one before, says. The same words about shipping
  or about what we or the shopper may do ("we can't ship until Monday", "you can't return it until it's
  delivered", "我们周一才能发货") are policy and no date; conditions, questions, promises not made ("I can't
  promise it before Friday") and the shopper's words neither. "Until next week" and other spans after a negation
  are not checked.
- Today and the days either side are facts ("As of today, Nov 25"), but a date (or weekday) in a clause about
  delivery ("Expected delivery: Nov 26", "预计11月26日送达") must be a date the results give. A day of the month
  alone ("arrives on the 27th") is the coming one, or the last one in the past tense.
- A span about delivery ("in 3-5 days", "within the week", "this weekend", "in about 48 hours", "下周一",
  "三天后") needs an estimate or a delivery in the results on one of its days (a day either side for counted
  days); with no estimate, every delivery span is a claim. A span about something else that happens to the
  package ("ships within 2 days") may be met by any date of the results. Store policy ("returns are accepted
  within 30 days of delivery") and how long something took ("it was delivered in 2 days") are no spans.
- "Has been delivered", "was refunded", "was cancelled" (已签收, 已退款, 已取消), "Delivered" as a label
  ("Delivered on 16 Nov", "Status: delivered") and delivery in other words ("it got there", "you received it",
  "it was left at your front door") need that status in a result. "All the items were delivered" needs the order
  itself delivered, not one of its packages.
- A negated status ("hasn't shipped", "not delivered yet", "wasn't cancelled", "hasn't been refunded", 还没发货,
  尚未签收) is a claim only when every order and package looked up contradicts it: all left the warehouse, all
  delivered, all cancelled, all refunded. One package still in transit makes "it hasn't been delivered" true. With
  no order looked up, it is not checked. Questions, conditions, guesses ("it may not have shipped"), the shopper's
  own words ("you mentioned it hasn't been delivered"), arrival and receipt ("I'm sorry it hasn't arrived", which
  echo the shopper) and qualified negations ("it wasn't delivered today", "not shipped together") are no claims.
- A clock time on a date or with a package event ("shipped Nov 14 at 9:00 AM", "8月31日下午7点29分签收") must be a
  result's time in the merchant's zone, to the minute ("7 PM": to the hour; "7:29" may be morning or evening).
  Opening hours, ranges ("9am-5pm"), cut-offs ("before 2 PM", "3点前") and habits ("we usually ship at 3 PM")
  are not about the package.
- A tool call's arguments are facts only as identifiers, and only those the shopper wrote (digits spelled out
  count): a model that passed "1Z999…" to the tool may not then call it the tracking number. A phone number
  counts as the shopper wrote it ("612-555-0114" for the argument "+16125550114"), as the tool matches it.
- Full phone numbers and emails are never in tool results (they are masked), so a full phone number in an answer
  is flagged; emails are skipped, since the shopper's own address is what the model would repeat.
"""

from __future__ import annotations

from assistant._clock import _check_times
from assistant._facts import Facts
from assistant._scan import Claim, ClaimKind, _Scan
from assistant._status_claims import _check_statuses
from assistant._values import _PERCENT, _check_amounts, _check_carriers, _check_ids, _check_urls
from assistant._when import _check_dates, _check_relative_days, _check_spans, _check_until, _check_weekdays

__all__ = ["Claim", "ClaimKind", "Facts", "check", "correction_message"]


def check(answer: str, facts: Facts, *, language: str | None = None) -> list[Claim]:
    """The claims in `answer` that `facts` do not support, in order; an empty list means the answer is grounded.

    `language` is accepted for the agent's convenience but every reply is read for both English and Chinese
    forms, because replies mix them (a Chinese answer names UPS, an English one may quote 顺丰).
    """
    del language
    scan = _Scan(answer)
    _check_urls(scan, facts)
    _check_until(scan, facts)
    _check_relative_days(scan, facts)
    _check_spans(scan, facts)
    _check_statuses(scan, facts)
    _check_dates(scan, facts)
    _check_times(scan, facts)
    _check_amounts(scan, facts)
    scan.blank([m.span() for m in _PERCENT.finditer(scan.text)])
    _check_carriers(scan, facts)
    _check_weekdays(scan, facts)
    _check_ids(scan, facts)
    return sorted(scan.claims, key=lambda c: c.span)


# --- correction ------------------------------------------------------------------------------------------------

_KIND_NAMES: dict[ClaimKind, str] = {
    "id": "number", "amount": "amount", "date": "date", "time": "time", "carrier": "carrier", "url": "link",
    "status": "status",
}


def correction_message(claims: list[Claim]) -> str:
    """One instruction for the model's second try: what it stated without support, and to use only the results."""
    listed: list[str] = []
    for claim in claims:
        item = f'{_KIND_NAMES[claim.kind]} "{claim.text}"'
        if item not in listed:
            listed.append(item)
    return (
        "Your answer states things the tool results do not support: "
        + "; ".join(listed)
        + ". Answer again using only facts from the tool results: copy order numbers, tracking numbers, amounts, "
        "dates (with the right weekday), times, carriers, links and statuses exactly as the results give them, and "
        "leave out anything they do not state."
    )
