"""Status claims: "has been delivered", "was refunded", "已签收" need that status in a result; "hasn't shipped",
"wasn't cancelled", "还没签收" need an order or package the results leave in another state."""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant._facts import Facts
from assistant._scan import _CONDITION, _clause, _part, _Scan

# Statements that something happened: "has been delivered", "was refunded", "已签收". A status the results do
# not give is a claim (negated ones, "hasn't been delivered", are `_NEGATED_CLAIMS`).
_STATUS_CLAIMS: list[tuple[frozenset[str], re.Pattern[str]]] = [
    (frozenset({"delivered"}), re.compile(
        r"(?:(?<![a-z])(?:has|have|had|was|were|is|are|been|got|now)|['’]s)\s+(?:been\s+)?(?:successfully\s+)?"
        r"delivered(?![a-z])|已(?:经)?(?:送达|签收|妥投)", re.IGNORECASE)),
    (frozenset({"refunded", "returned"}), re.compile(
        r"(?<![a-z])(?:has|have|had|was|were|is|are|been)\s+(?:been\s+)?(?:fully\s+|partially\s+)?refunded"
        r"(?![a-z])|refund(?:\s+of\s+\S+)?\s+(?:was|has\s+been|is\s+being|is)\s+(?:issued|processed|sent|made)"
        r"|已(?:经)?退款|退款已", re.IGNORECASE)),
    (frozenset({"cancelled", "canceled"}), re.compile(
        r"(?<![a-z])(?:has|have|had|was|were|is|are|been)\s+(?:been\s+)?cancell?ed(?![a-z])|已(?:被)?取消",
        re.IGNORECASE)),
    # "Delivered on 16 Nov", "Status: delivered", "Order #1048 - **Delivered**": the status as a label.
    (frozenset({"delivered"}), re.compile(
        r"(?:^|(?<=[\n:：.!?;|•(（\-–—]))[\s*_]*(?P<claim>delivered)(?![a-z])"
        r"(?=[\s*_]*(?:$|[.,;:!?。，；：)）\-–—\n]|(?:on|at|to|in|by|yesterday|today)(?![a-z])|\d"
        r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s*\d))", re.IGNORECASE)),
    (frozenset({"delivered"}), re.compile(
        r"(?<![a-z])(?:has|have|had)\s+arrived(?!\s+(?:at|in)\b)|(?:was|were|been)\s+signed\s+for", re.IGNORECASE)),
    # "It got there", "it reached you", "it came yesterday", "you received it", "it was left at your front door".
    (frozenset({"delivered"}), re.compile(
        r"(?<![a-z])got\s+(?:there|to\s+you)(?![a-z])|(?<![a-z])reached\s+(?:you|your\s+(?:door|doorstep|home|house))"
        r"(?![a-z])|(?<![a-z])(?:it|package|parcel|order|shipment)\s+came(?![a-z])(?!\s+(?:from|with|back)(?![a-z]))"
        r"|(?<![a-z])you(?:\s+have|['’]ve)?\s+received\s+(?:it|them|the\s+(?:package|parcel|order)"
        r"|your\s+(?:package|parcel|order))(?![a-z])"
        r"|(?<![a-z])(?:(?:was|were|been|got)\s+left|left\s+(?:it|them|the\s+\w+|your\s+\w+))\s+"
        r"(?:at|on|in|with|by|outside|inside|behind)\s+(?:your|the)\s+(?:front\s+|back\s+|side\s+)?"
        r"(?:door|doorstep|porch|step|mailbox|neighbou?r|reception|front\s+desk|mail\s*room|garage|gate|lobby"
        r"|concierge)", re.IGNORECASE)),
    (frozenset({"refunded", "returned"}), re.compile(r"(?<![a-z])refunded\s+(?:you|your)(?![a-z])", re.IGNORECASE)),
    (frozenset({"out_for_delivery"}), re.compile(
        r"(?:(?<![a-z])(?:is|are|was)|['’]s)\s+(?:now\s+)?out\s+for\s+delivery|正在派送|派送中", re.IGNORECASE)),
    (frozenset({"returned_to_sender", "returned"}), re.compile(
        r"(?<![a-z])returned\s+to\s+(?:the\s+)?sender|退回(?:给)?发件人|已退回", re.IGNORECASE)),
    # Left the warehouse: any state of a package on its way or past it (a label alone is not shipping).
    (frozenset({"shipped", "partially_shipped", "delivered", "in_transit", "out_for_delivery", "delivery_attempted",
                "available_for_pickup", "exception", "returned_to_sender", "returned"}), re.compile(
        r"(?<![a-z])(?:has|have|had|was|were|is|been)\s+(?:been\s+)?(?:shipped|dispatched)(?![a-z])"
        r"|(?<![a-z])is\s+on\s+its\s+way|已发货|已发出", re.IGNORECASE)),
    # Paid: every order status past payment.
    (frozenset({"processing", "partially_shipped", "shipped", "delivered", "refunded", "returned"}), re.compile(
        r"(?<![a-z])payment(?:\s+(?:for|of)\s+\S+(?:\s+#?\S+)?)?\s+(?:was|has\s+been|is)\s+(?:received|confirmed)"
        r"|(?<![a-z])received\s+(?:your\s+|the\s+)?payment|(?<![a-z])payment\s+(?:received|confirmed)"
        r"|(?<![a-z])(?:has|have)\s+been\s+paid|已付款|已支付|已收到(?:您的)?(?:付款|款项)", re.IGNORECASE)),
]
# "All three items were delivered", "your entire order has been delivered"; not "all but the mugs".
_WHOLE_ORDER_DELIVERED = re.compile(
    r"(?<![a-z])(?:all|every|everything|entire|whole)(?![a-z])"
    r"(?:(?!(?<![a-z])(?:except|but|other|apart|besides|aside)(?![a-z]))[^.!?;:,\n]){0,40}?"
    r"(?:(?<![a-z])(?:has|have|had|was|were|is|are|been|got)|['’]s)\s+(?:all\s+)?(?:been\s+)?delivered(?![a-z])"
    r"|全部(?:已|已经)?(?:送达|签收|妥投)|已(?:经)?全部(?:送达|签收|妥投)",
    re.IGNORECASE,
)
_WHOLE_KEYS = ("all", "every", "entire", "whole", "全部")
# Words one of each pattern above needs: a pattern runs only on an answer that has one (most answers have few).
_STATUS_KEYS: list[tuple[str, ...]] = [
    ("deliver", "已"), ("refund", "退款"), ("cancel", "取消"), ("delivered",), ("arrived", "signed"),
    ("got", "reached", "came", "received", "left"), ("refunded",),
    ("out for", "派送"), ("returned", "退回"), ("shipped", "dispatched", "on its way", "已发"),
    ("payment", "paid", "付款", "支付", "款项"),
]
assert len(_STATUS_KEYS) == len(_STATUS_CLAIMS)

_NEGATION = re.compile(r"(?:not|n't|never|no longer|yet to|未|没|尚|不)\W*\w*\W*$", re.IGNORECASE)

# Nor does one about the future, a negated one or a question ("it will be shipped", "no sign it was delivered").
_NOT_A_FACT = re.compile(r"(?<![a-z])(?:will|would|could|can|may|might|should|going to|not|never|no sign|yet)"
                         r"(?![a-z])|n't|'ll|会|将|是否|吗|没|未|尚|不", re.IGNORECASE)


# Package states past the warehouse, and order states that leave something in it.
_LEFT = frozenset({"in_transit", "out_for_delivery", "delivery_attempted", "available_for_pickup", "delivered",
                   "exception", "returned_to_sender", "returned"})
_NOT_LEFT = frozenset({"pending", "processing", "on_hold", "partially_shipped"})


def _all_left(states: tuple[tuple[str, tuple[str, ...]], ...]) -> bool:
    """Every package has left and no order waits for one: each order shipped or delivered, or in another state
    (cancelled after shipping, say) with packages that all left. A cancelled order without packages never shipped."""
    return all(
        all(package in _LEFT for package in packages)
        and (status in {"shipped", "delivered"} or (bool(packages) and status not in _NOT_LEFT))
        for status, packages in states
    )


def _all_delivered(states: tuple[tuple[str, tuple[str, ...]], ...]) -> bool:
    return all(status == "delivered" and all(package == "delivered" for package in packages)
               for status, packages in states)


# Negated statuses: "hasn't shipped", "was never cancelled", "not delivered yet", "还没发货". English ones only
# passive or with a plain object ("we haven't shipped it"), and only where nothing qualifies the verb: "wasn't
# delivered today", "wasn't shipped together" or "hasn't been delivered to you" may be true of a package delivered.
_EN_NOT = (r"(?<![a-z])(?:(?:has|have|had|is|are|was|were|did)(?:n['’]t|\s+not)|not|never)"
           r"(?:\s+(?:yet|even|actually|been|officially|got|gotten|get))*\s+")
_EN_OBJECT = r"(?:\s+(?:it|them|you|(?:your|the|this|that|my)\s+\w+))?"
_EN_END = (r"(?:\s+(?:yet|so\s+far|at\s+all|still|either|already|as\s+of\s+(?:today|now|yet|this\s+\w+)))?"
           r"(?=[\s*_]*(?:$|[.,;:!?…)\]\"”’—–\n]|\s-\s"
           r"|(?:and|but|so|because|since|though|although|while|which|or)(?![a-z])))")
# Chinese: 还没发货, 尚未签收, 没有取消; not in 有没有发货 (whether), nor before 的 (的话: a condition; 未发货的商品).
_ZH_NOT = r"(?<!有)(?:还|尚|仍|暂|并)?(?:未|没)有?被?"
_NEGATED_CLAIMS: list[tuple[Callable[[tuple[tuple[str, tuple[str, ...]], ...]], bool], re.Pattern[str]]] = [
    (_all_left, re.compile(
        rf"(?:{_EN_NOT}(?:shipped(?:\s+out)?|dispatched|left\s+(?:the|our)\s+warehouse)"
        rf"|(?<![a-z])did(?:n['’]t|\s+not)\s+(?:yet\s+|even\s+)?ship"
        rf"|(?<![a-z])(?:has|have|is|are)\s+yet\s+to\s+(?:be\s+)?(?:ship(?:ped)?|dispatched)(?![a-z]))"
        rf"{_EN_OBJECT}{_EN_END}"
        rf"|{_ZH_NOT}(?:发货|发出|寄出|出库|揽收)(?!的)", re.IGNORECASE)),
    (_all_delivered, re.compile(
        rf"(?:{_EN_NOT}(?:delivered|signed\s+for)|(?<![a-z])did(?:n['’]t|\s+not)\s+(?:yet\s+)?deliver"
        rf"|(?<![a-z])(?:has|have|is|are)\s+yet\s+to\s+be\s+delivered"
        rf"|(?<![a-z])no\s+(?:sign|record|indication|evidence|confirmation|proof)\s+(?:yet\s+)?(?:that\s+)?"
        rf"(?:(?:it|they|(?:your|the)\s+\w+)\s+)?(?:was|were|has|have|had|got)\s+(?:been\s+)?delivered)(?![a-z])"
        rf"{_EN_OBJECT}{_EN_END}|{_ZH_NOT}(?:签收|送达|妥投|派送成功|投递成功)(?!的)", re.IGNORECASE)),
    (lambda states: all(status in {"cancelled", "canceled"} for status, _ in states), re.compile(
        rf"{_EN_NOT}cancell?ed{_EN_END}|{_ZH_NOT}取消(?!的)", re.IGNORECASE)),
    (lambda states: all(status == "refunded" for status, _ in states), re.compile(
        rf"(?:{_EN_NOT}refunded|(?<![a-z])refund\s+(?:(?:has|is|was)(?:n['’]t|\s+not)|not)\s+(?:yet\s+)?(?:been\s+)?"
        rf"(?:issued|processed|made|sent)"
        rf"|(?<![a-z])no\s+refund\s+(?:has\s+been|was|is)\s+(?:issued|processed|made|sent))"
        rf"(?![a-z]){_EN_OBJECT}{_EN_END}|{_ZH_NOT}(?:退款|退钱)(?!的)", re.IGNORECASE)),
]
_NEGATION_KEYS = ("not", "n't", "n’t", "never", "yet to", "no ", "未", "没")
# A negation that is a guess, a modal or the shopper's own words states no status: "it may not have shipped",
# "you mentioned it hasn't been delivered", "应该还没发货".
_NOT_STATED = re.compile(
    r"(?<![a-z])(?:will|would|could|can|cannot|may|might|should|must|going\s+to|maybe|perhaps|possibly|probably"
    r"|understand|according\s+to\s+you)(?![a-z])|(?:wo|ca|could|should|would|must|might)n['’]t|['’]ll(?![a-z])"
    r"|(?<![a-z])(?:you|customer|shopper)\s+(?:said|say|says|mentioned|mention|reported|report|told|wrote|noted|feel"
    r"|think|believe)(?![a-z])|会|将|可能|应该|也许|或许|估计|大概|能否|是否|吗|您说|你说|您提到|你提到|您反馈|您表示",
    re.IGNORECASE,
)


def _check_statuses(scan: _Scan, facts: Facts) -> None:
    _check_negated_statuses(scan, facts)
    lowered = scan.text.casefold()
    for (supported_by, pattern), keys in zip(_STATUS_CLAIMS, _STATUS_KEYS, strict=True):
        if supported_by & facts.statuses or not any(key in lowered for key in keys):
            continue
        for match in pattern.finditer(scan.text):
            span = match.span("claim") if "claim" in pattern.groupindex else match.span()
            if _states_status(scan.text, *span):
                scan.claim("status", *span)
    # A package delivered is not the order delivered: "all three items were delivered" needs the order's status.
    if "delivered" in (facts.order_statuses or facts.statuses) or not any(key in lowered for key in _WHOLE_KEYS):
        return
    for match in _WHOLE_ORDER_DELIVERED.finditer(scan.text):
        if _states_status(scan.text, *match.span()):
            scan.claim("status", *match.span())


def _states_status(text: str, start: int, end: int) -> bool:
    """Whether the status words at text[start:end] state that status: not negated, in a condition, in the future or
    in a question ("hasn't been delivered", "once it has shipped", "it will be shipped", "has it been delivered?")."""
    if _NEGATION.search(text[max(0, start - 16):start]):
        return False
    clause, question = _clause(text, start, end)
    return not (question or _CONDITION.search(clause) or _NOT_A_FACT.search(clause))


def _check_negated_statuses(scan: _Scan, facts: Facts) -> None:
    """A negated status ("hasn't shipped yet") is a claim when every order and package in the results contradicts
    it; one true of any of them ("package 2 hasn't been delivered"), or of no order looked up, is none."""
    states = facts.order_states
    if not states or not any(key in scan.text.casefold() for key in _NEGATION_KEYS):
        return
    for contradicted, pattern in _NEGATED_CLAIMS:
        if not contradicted(states):
            continue
        for match in pattern.finditer(scan.text):
            if _negation_stated(scan.text, *match.span()):
                scan.claim("status", *match.span())


def _negation_stated(text: str, start: int, end: int) -> bool:
    """Whether the negated status at text[start:end] is stated: not in a question or a condition ("if it hasn't
    arrived by Friday"), nor a guess, a modal or the shopper's words in its part of the clause."""
    clause, question = _clause(text, start, end)
    if question or _CONDITION.search(clause):
        return False
    i, j = _part(text, start, end)
    return not _NOT_STATED.search(text, i, j)
