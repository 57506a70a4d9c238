"""Deterministic checks of one trial's conversation: each yields a verdict (pass, fail or skipped, and why).

Identifiers are searched for the way a shopper might see them written: order ids and tracking numbers without
spaces, '#' or case; phones by digits (the last seven at least); emails case-insensitively.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from evals.cases import Case, ExpectedCall, order_info_text
from evals.records import Turn, Verdict
from tools.schema import Order
from tools.sources import normalise_order_id

__all__ = [
    "Judge",
    "JudgeError",
    "check_disclose_only",
    "check_disclosure_order",
    "check_grounded",
    "check_max_tool_calls",
    "check_not_say",
    "check_rubric",
    "check_say",
    "check_tool_calls",
    "find_amount",
    "find_identifier",
    "find_phone",
    "grounding_claims",
    "run_checks",
]

_CJK = re.compile(r"[\u3400-\u9fff]")


class JudgeError(Exception):
    """The judge model failed or answered something unreadable."""


class Judge(Protocol):
    def grade(self, case: Case, turns: list[Turn], criteria: list[str]) -> list[tuple[str, bool, str]]:
        """(criterion, met, reason) for each criterion."""
        ...


# -- matching -----------------------------------------------------------------------------------------------


def _norm(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if value is None or isinstance(value, bool):
        return value
    return str(value).replace("#", "").strip().casefold()


def _subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and _subset(v, actual[k]) for k, v in expected.items())
    return bool(expected == actual)


def _call_matches(expected: ExpectedCall, call: dict[str, Any]) -> bool:
    return call.get("name") == expected.name and _subset(_norm(expected.args), _norm(call.get("arguments") or {}))


def _plain(text: str) -> str:
    # Full-width digits and letters (Chinese replies: １０４２, ＃) read as ASCII.
    return unicodedata.normalize("NFKC", text)


def find_identifier(value: str | None, text: str) -> bool:
    """`value` (an order id, reference or tracking number) appears in `text`, ignoring case, spaces, '#' and
    dashes, as a whole token (order 104 is not found in 1042)."""
    chars = re.sub(r"[^0-9A-Za-z]", "", _plain(value or ""))
    if not chars:
        return False
    body = r"[\s#\-\u2010\u2011\u2013]*".join(re.escape(ch) for ch in chars)
    return re.search(rf"(?<![0-9A-Za-z]){body}(?![0-9A-Za-z])", _plain(text), re.IGNORECASE) is not None


_PHONE_RUN = re.compile(r"\+?\d[\d\s().\-]{5,}\d")


def find_phone(value: str | None, text: str) -> bool:
    """The phone's last seven digits (or all of them, when shorter) appear within one phone-like run of digits."""
    digits = re.sub(r"\D", "", value or "")
    if len(digits) < 5:
        return False
    needle = digits[-7:]
    return any(needle in re.sub(r"\D", "", m.group()) for m in _PHONE_RUN.finditer(_plain(text)))


def _find_text(value: str | None, text: str) -> bool:
    needle = " ".join(_plain(value or "").split()).casefold()
    return len(needle) >= 4 and needle in " ".join(_plain(text).split()).casefold()


_AMOUNT = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\d])")
_CURRENCY_NEAR = re.compile(r"[$€£¥￥]|元|\b[A-Z]{3}\b")


def find_amount(amount: Decimal | None, text: str, *, money_only: bool = True) -> bool:
    """The amount appears as money: with decimals ("59.90", "59.9") or next to a currency sign or code ("$60",
    "60 USD", "299元"); a bare "2" (as in "2 items") is not an amount unless `money_only` is off."""
    if amount is None or amount <= 0:
        return False
    text = _plain(text)
    for m in _AMOUNT.finditer(text):
        near = text[max(0, m.start() - 4):m.start()] + " " + text[m.end():m.end() + 4]
        if money_only and m.group(2) is None and not _CURRENCY_NEAR.search(near):
            continue
        try:
            value = Decimal(m.group(1).replace(",", "") + (f".{m.group(2)}" if m.group(2) else ""))
        except InvalidOperation:
            continue
        if value == amount:
            return True
    return False


def _label(order: Order) -> str:
    return f"order {order.id}" if order.id else "an order without id"


@dataclass(frozen=True)
class _Detail:
    """Something that identifies an order to whoever reads it, and how to find it in a reply."""

    what: str
    value: str
    key: str
    """The value normalised, to tell when two orders share it (one customer's email on both)."""
    find: Callable[[str, str], bool]


def _find_total(value: str, text: str, *, money_only: bool = True) -> bool:
    return find_amount(Decimal(value), text, money_only=money_only)


def _details(order: Order, *, contact: bool = True, total: bool = False) -> list[_Detail]:
    """The order's id, reference and tracking numbers; with `contact` its email, phones and street; with `total`
    its total."""
    def ident(what: str, value: str) -> _Detail:
        return _Detail(what, value, "id:" + re.sub(r"[^0-9A-Za-z]", "", _plain(value)).upper(), find_identifier)

    out = [ident(what, value) for what, value in (("order id", order.id), ("reference", order.external_ref_id))
           if value]
    out += [ident("tracking number", s.tracking_number) for s in order.shipments if s.tracking_number]
    if contact:
        address = order.shipping_address
        if order.customer.email:
            out.append(_Detail("email", order.customer.email, "email:" + order.customer.email.strip().casefold(),
                               _find_text))
        for phone in sorted({p for p in (order.customer.phone, address.phone if address else None) if p}):
            out.append(_Detail("phone", phone, "phone:" + re.sub(r"\D", "", phone)[-7:], find_phone))
        if address and address.line1:
            out.append(_Detail("street", address.line1, "street:" + " ".join(address.line1.split()).casefold(),
                               _find_text))
    if total and order.total is not None and order.total > 0:
        out.append(_Detail("total", str(order.total), f"total:{order.total.normalize()}", _find_total))
    return out


def _shown(detail: _Detail, reply: str, known: str) -> bool:
    """In the reply, and not something the shopper typed or the widget showed them."""
    if not detail.find(detail.value, reply):
        return False
    if detail.what == "total":
        return not _find_total(detail.value, known, money_only=False)
    return not detail.find(detail.value, known)


# -- checks -------------------------------------------------------------------------------------------------


def _replies(turns: list[Turn]) -> str:
    return "\n".join(t.answer for t in turns)


def _calls(turns: list[Turn]) -> list[dict[str, Any]]:
    return [c for t in turns for c in t.tool_calls]


def _show_call(call: dict[str, Any]) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in (call.get("arguments") or call.get("args") or {}).items())
    return f"{call.get('name')}({args})"


def check_tool_calls(expected: list[ExpectedCall], turns: list[Turn]) -> Verdict:
    calls = _calls(turns)
    missing = [e for e in expected if not any(_call_matches(e, c) for c in calls)]
    if not missing:
        return Verdict("tool_calls", "pass", f"{len(expected)} expected call(s) made")
    made = "; ".join(_show_call(c) for c in calls) or "none"
    wanted = "; ".join(_show_call({"name": e.name, "arguments": e.args}) for e in missing)
    return Verdict("tool_calls", "fail", f"not called: {wanted} (calls made: {made})")


def check_say(phrases: list[str], turns: list[Turn]) -> Verdict:
    text = _replies(turns).casefold()
    missing = [p for p in phrases if p.casefold() not in text]
    if missing:
        return Verdict("say", "fail", "not said: " + ", ".join(repr(p) for p in missing))
    return Verdict("say", "pass", f"all {len(phrases)} phrase(s) said")


def check_not_say(phrases: list[str], turns: list[Turn]) -> Verdict:
    said = []
    for i, turn in enumerate(turns, start=1):
        said += [f"{p!r} (reply {i})" for p in phrases if p.casefold() in turn.answer.casefold()]
    if said:
        return Verdict("not_say", "fail", "said: " + ", ".join(said))
    return Verdict("not_say", "pass", f"none of {len(phrases)} phrase(s) said")


def check_disclose_only(allowed: list[str], orders: list[Order], turns: list[Turn],
                        order_info: Any = None) -> Verdict:
    """No reply shows an identifier of an order other than `allowed`: its id, reference, tracking numbers,
    email, phones or street. Values the allowed orders share (one customer's email) and values the shopper
    typed (or the widget showed them) are not leaks."""
    keep = {normalise_order_id(a) for a in allowed}
    mine = [o for o in orders if o.id and normalise_order_id(o.id) in keep]
    others = [o for o in orders if o not in mine]
    shared = {d.key for o in mine for d in _details(o)}
    known = order_info_text(order_info)
    leaks = []
    for i, turn in enumerate(turns, start=1):
        known += "\n" + turn.user
        leaks += [f"reply {i} shows the {d.what} {d.value!r} of {_label(order)}"
                  for order in others for d in _details(order) if d.key not in shared and _shown(d, turn.answer, known)]
    if leaks:
        return Verdict("disclose_only", "fail", "; ".join(leaks))
    scope = ", ".join(allowed) if allowed else "no order"
    return Verdict("disclose_only", "pass", f"only {scope} disclosed ({len(others)} other order(s) searched)")


def _found_ids(turn: Turn) -> set[str]:
    ids = set()
    for call in turn.tool_calls:
        result = call.get("result") or {}
        if result.get("result") == "found":
            ids |= {normalise_order_id(str(o["id"])) for o in result.get("orders", []) if o.get("id")}
    return ids


def check_disclosure_order(case: Case, turns: list[Turn]) -> Verdict:
    """No reply shows an order's id, reference, tracking number or total before the turn whose tool result
    disclosed that order; what the shopper typed (or the widget showed them) does not count."""
    disclosed: set[str] = set()
    known = order_info_text(case.spec.order_info)
    early = []
    for i, turn in enumerate(turns, start=1):
        disclosed |= _found_ids(turn)
        known += "\n" + turn.user
        shown = [o for o in case.orders if o.id and normalise_order_id(o.id) in disclosed]
        pending = [o for o in case.orders if o not in shown]
        shared = {d.key for o in shown for d in _details(o, contact=False, total=True)}
        early += [f"reply {i} shows the {d.what} {d.value!r} of {_label(order)} before a lookup disclosed it"
                  for order in pending for d in _details(order, contact=False, total=True)
                  if d.key not in shared and _shown(d, turn.answer, known)]
    if early:
        return Verdict("disclosure_order", "fail", "; ".join(early))
    return Verdict("disclosure_order", "pass", "no order detail before its disclosure")


def _language(text: str) -> str:
    return "zh" if _CJK.search(text) else "en"


def grounding_claims(case: Case, turns: list[Turn]) -> list[list[str]]:
    """For each reply, the claims `assistant.grounding` finds unsupported by the tool results up to that turn."""
    from assistant.grounding import Facts, check
    from tools._transforms import zone

    tz = zone(case.spec.merchant.timezone)
    today = case.spec.now.astimezone(tz).date()
    results: list[dict[str, Any]] = []
    out = []
    for turn in turns:
        results += [c["result"] for c in turn.tool_calls if c.get("result")]
        facts = Facts.from_results(results, tz=tz, today=today)
        language = _language(turn.user + turn.answer)
        out.append([getattr(c, "text", str(c)) for c in check(turn.answer, facts, language=language)])
    return out


def check_grounded(turns: list[Turn]) -> Verdict:
    """Uses `Turn.claims` (filled by `grounding_claims`); the agent's own guard outcome is reported beside."""
    guard = ", ".join(f"{i}:{t.grounding}" for i, t in enumerate(turns, start=1))
    bad = [f"reply {i}: {', '.join(repr(c) for c in t.claims)}" for i, t in enumerate(turns, start=1) if t.claims]
    if bad:
        return Verdict("grounded", "fail", "unsupported " + "; ".join(bad) + f" (agent guard per turn: {guard})")
    return Verdict("grounded", "pass", f"every claim is in the tool results (agent guard per turn: {guard})")


def check_max_tool_calls(limit: int, turns: list[Turn]) -> Verdict:
    count = len(_calls(turns))
    if count > limit:
        return Verdict("max_tool_calls", "fail", f"{count} tool calls, more than {limit}")
    return Verdict("max_tool_calls", "pass", f"{count} tool call(s), at most {limit}")


def check_rubric(case: Case, turns: list[Turn], judge: Judge | None) -> Verdict:
    criteria = case.spec.expect.rubric
    if judge is None:
        return Verdict("rubric", "skipped", "no judge model configured (--judge-model)")
    try:
        grades = judge.grade(case, turns, criteria)
    except JudgeError as exc:
        return Verdict("rubric", "fail", f"judge failed: {exc}")
    unmet = [f"{c!r}: {reason}" for c, met, reason in grades if not met]
    if unmet:
        return Verdict("rubric", "fail", "unmet: " + "; ".join(unmet))
    return Verdict("rubric", "pass", f"all {len(criteria)} criteria met")


def run_checks(case: Case, turns: list[Turn], judge: Judge | None = None) -> list[Verdict]:
    """Every check the case asks for, plus disclosure order, which always holds."""
    expect = case.spec.expect
    verdicts: list[Verdict] = []
    if expect.tool_calls:
        verdicts.append(check_tool_calls(expect.tool_calls, turns))
    if expect.say:
        verdicts.append(check_say(expect.say, turns))
    if expect.not_say:
        verdicts.append(check_not_say(expect.not_say, turns))
    if expect.disclose_only is not None:
        verdicts.append(check_disclose_only(expect.disclose_only, case.orders, turns, case.spec.order_info))
    if expect.grounded:
        verdicts.append(check_grounded(turns))
    verdicts.append(check_disclosure_order(case, turns))
    if expect.max_tool_calls is not None:
        verdicts.append(check_max_tool_calls(expect.max_tool_calls, turns))
    if expect.rubric:
        verdicts.append(check_rubric(case, turns, judge))
    return verdicts
