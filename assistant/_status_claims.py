"""Status claims: "has been delivered", "was refunded", "已签收" need that status in a result."""

from __future__ import annotations

import re

from assistant._facts import Facts
from assistant._scan import _CONDITION, _clause, _Scan

# Statements that something happened: "has been delivered", "was refunded", "已签收". A status the results do
# not give is a claim (negated ones, "hasn't been delivered", are not).
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


def _check_statuses(scan: _Scan, facts: Facts) -> None:
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
