"""Deterministic checks of one trial's conversation: each yields a verdict (pass, fail or skipped, and why).

Identifiers are searched for the way a shopper might see them written: order ids and tracking numbers without
spaces, '#' or case (an order id also without its letter prefix, as the grounding guard reads it); phones by digits
(the last seven at least); emails case-insensitively; names, places and products as whole words.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Protocol

from assistant._facts import _FULLWIDTH, _LETTER_PREFIX, _norm_id
from assistant._values import _is_claim
from evals.cases import Case, ExpectedCall, Phrase, TurnExpect, order_info_text
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
    "check_turn",
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


@lru_cache(maxsize=4096)
def _plain(text: str) -> str:
    # Full-width digits and letters (Chinese replies: １０４２, ＃) read as ASCII.
    return unicodedata.normalize("NFKC", text)


_NOT_ID_CHAR = re.compile(r"[^0-9A-Za-z]")
_NON_DIGIT = re.compile(r"\D")
_ID_SEPARATORS = frozenset("#-\u2010\u2011\u2013")
_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


@lru_cache(maxsize=8192)
def _id_chars(value: str) -> str:
    return _NOT_ID_CHAR.sub("", _plain(value)).upper()


@lru_cache(maxsize=1024)
def _squeezed(text: str) -> tuple[str, tuple[int, ...], str]:
    """The text upper-cased without the separators an identifier may be written with ("1Z 999-AA1"), where each
    character left was, and the text itself. Read once per reply: every identifier of every order is searched for
    in it, and a regular expression per identifier cost most of an offline run in compiling alone."""
    plain = _plain(text)
    kept = [(i, ch.upper() if ch in _ALNUM else ch) for i, ch in enumerate(plain)
            if not (ch.isspace() or ch in _ID_SEPARATORS)]
    return "".join(ch for _, ch in kept), tuple(i for i, _ in kept), plain


def find_identifier(value: str | None, text: str) -> bool:
    """`value` (an order id, reference or tracking number) appears in `text`, ignoring case, spaces, '#' and
    dashes, as a whole token (order 104 is not found in 1042)."""
    chars = _id_chars(value or "")
    if not chars:
        return False
    squeezed, where, plain = _squeezed(text)
    start = squeezed.find(chars)
    while start != -1:
        first, last = where[start], where[start + len(chars) - 1]
        if (first == 0 or plain[first - 1] not in _ALNUM) and (last + 1 == len(plain) or plain[last + 1] not in _ALNUM):
            return True
        start = squeezed.find(chars, start + 1)
    return False


_PHONE_RUN = re.compile(r"\+?\d[\d\s().\-]{5,}\d")


@lru_cache(maxsize=1024)
def _phone_runs(text: str) -> tuple[str, ...]:
    return tuple(_NON_DIGIT.sub("", m.group()) for m in _PHONE_RUN.finditer(_plain(text)))


def find_phone(value: str | None, text: str) -> bool:
    """The phone's last seven digits (or all of them, when shorter) appear within one phone-like run of digits."""
    digits = _NON_DIGIT.sub("", value or "")
    if len(digits) < 5:
        return False
    needle = digits[-7:]
    return any(needle in run for run in _phone_runs(text))


@lru_cache(maxsize=4096)
def _spaced(text: str) -> str:
    return " ".join(_plain(text).split()).casefold()


def _find_text(value: str | None, text: str) -> bool:
    needle = _spaced(value or "")
    return len(needle) >= 4 and needle in _spaced(text)


_WORD_RUN = re.compile(r"\w+")


def _phrase(value: str) -> str:
    """A name, place or product as words: case-folded and single-spaced; Chinese without spaces."""
    text = _plain(value).casefold()
    return "".join(text.split()) if _CJK.search(text) else " ".join(_WORD_RUN.findall(text))


@lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    body = r"\W{1,3}".join(re.escape(word) for word in phrase.split())
    return re.compile(rf"(?<![^\W_]){body}(?![^\W_])", re.IGNORECASE)


def _find_phrase(value: str, text: str, *, proper: bool = False) -> bool:
    """The phrase's words, whole and in order, in any case; `proper`: written as a proper noun ("Toronto", not the
    "nice" of a city called Nice). Chinese is matched as it is, spaces aside."""
    phrase = _phrase(value)
    if not phrase:
        return False
    text = _plain(text)
    if _CJK.search(phrase):
        return phrase in "".join(text.split()).casefold()
    for match in _phrase_pattern(phrase).finditer(text):
        first = match.group()[0]
        if not proper or first.isupper() or first.lower() == first.upper():
            return True
    return False


def _find_name(value: str, text: str) -> bool:
    return _find_phrase(value, text, proper=True)


def _distinct_phrase(value: str | None, *, words: int, chars: int, cjk: int) -> str | None:
    """The phrase when it is unlikely to be an ordinary word of a reply ("Ice wine tea", "Toronto", 王小明), else
    None ("Mug", "Bill")."""
    phrase = _phrase(value or "")
    if _CJK.search(phrase):
        return phrase if len(phrase) >= cjk else None
    return phrase if len(phrase.split()) >= words and len(phrase.replace(" ", "")) >= chars else None


_AMOUNT = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\d])")
_CURRENCY_NEAR = re.compile(r"[$€£¥￥]|元|\b[A-Z]{3}\b")


@lru_cache(maxsize=1024)
def _amounts_in(text: str) -> tuple[frozenset[Decimal], frozenset[Decimal]]:
    """The numbers of the text written as money, and every number."""
    text = _plain(text)
    money: set[Decimal] = set()
    every: set[Decimal] = set()
    for m in _AMOUNT.finditer(text):
        try:
            value = Decimal(m.group(1).replace(",", "") + (f".{m.group(2)}" if m.group(2) else ""))
        except InvalidOperation:
            continue
        every.add(value)
        near = text[max(0, m.start() - 4):m.start()] + " " + text[m.end():m.end() + 4]
        if m.group(2) is not None or _CURRENCY_NEAR.search(near):
            money.add(value)
    return frozenset(money), frozenset(every)


def find_amount(amount: Decimal | None, text: str, *, money_only: bool = True) -> bool:
    """The amount appears as money: with decimals ("59.90", "59.9") or next to a currency sign or code ("$60",
    "60 USD", "299元"); a bare "2" (as in "2 items") is not an amount unless `money_only` is off."""
    if amount is None or amount <= 0:
        return False
    money, every = _amounts_in(text)
    return amount in (money if money_only else every)


def _label(order: Order) -> str:
    return f"order {order.id}" if order.id else "an order without id"


@dataclass(frozen=True)
class _Detail:
    """Something that tells whoever reads it about an order, and how to find it in a reply."""

    what: str
    value: str
    forms: tuple[tuple[str, str], ...]
    """Each spelling searched for, with its key: the spelling normalised, to tell when an allowed order shares it
    (one customer's email on both orders)."""
    find: Callable[[str, str], bool]
    typed: tuple[str, ...] = ()
    """The spellings that, typed by the shopper, make the detail theirs to see; none given: every spelling."""
    find_typed: Callable[[str, str], bool] | None = None

    def shown(self, reply: str, known: str, own: _Own) -> bool:
        """In the reply in a spelling the allowed orders do not share, and not something the shopper typed or the
        widget showed them."""
        if not any(key not in own and self.find(form, reply) for form, key in self.forms):
            return False
        find = self.find_typed or self.find
        return not any(find(form, known) for form in self.typed or [form for form, _ in self.forms])


def _id_key(value: str) -> str:
    return "id:" + _NOT_ID_CHAR.sub("", _plain(value)).upper()


def _ident(what: str, value: str, *, bare: bool = True) -> _Detail:
    """An identifier, and with `bare` the digits of a letter-prefixed one ("7003" for "M7003"), which the grounding
    guard takes for the same order (`assistant._facts`); digits it would not read as an identifier are left out."""
    norm = _norm_id(value.translate(_FULLWIDTH))
    forms = [norm]
    if bare and (prefixed := _LETTER_PREFIX.fullmatch(norm)) and _is_claim(prefixed.group(1), False, None):
        forms.append(prefixed.group(1))
    return _Detail(what, value, tuple((form, _id_key(form)) for form in forms), find_identifier)


_TAIL = 8
"""The end of a tracking number ("ending 39414611") tells as much as the number."""


def _amount_key(amount: Decimal) -> str:
    return f"amount:{amount.normalize()}"


def _find_total(value: str, text: str, *, money_only: bool = True) -> bool:
    return find_amount(Decimal(value), text, money_only=money_only)


def _find_total_typed(value: str, text: str) -> bool:
    return _find_total(value, text, money_only=False)


def _details(order: Order, *, personal: bool = True) -> list[_Detail]:
    """The order's ids, reference, tracking numbers and total; with `personal` also whose it is and what it holds:
    email, phones, street, names, city, postal code and item names (those distinct enough not to be ordinary words
    of a reply)."""
    out = [_ident(what, value) for what, value in (("order id", order.id), ("reference", order.external_ref_id))
           if value]
    for shipment in order.shipments:
        number = shipment.tracking_number
        if not number:
            continue
        out.append(_ident("tracking number", number, bare=False))
        chars = _NOT_ID_CHAR.sub("", _plain(number))
        if len(chars) >= _TAIL + 4:
            tail = chars[-_TAIL:]
            out.append(_Detail("end of the tracking number", number, ((tail, _id_key(tail)),), find_identifier,
                               typed=(tail, number)))
    if order.total is not None and order.total > 0:
        total = str(order.total)
        out.append(_Detail("total", total, ((total, _amount_key(order.total)),), _find_total,
                           find_typed=_find_total_typed))
    if not personal:
        return out
    address = order.shipping_address
    if order.customer.email:
        email = order.customer.email
        out.append(_Detail("email", email, ((email, "email:" + email.strip().casefold()),), _find_text))
    for phone in sorted({p for p in (order.customer.phone, address.phone if address else None) if p}):
        out.append(_Detail("phone", phone, ((phone, "phone:" + _NON_DIGIT.sub("", phone)[-7:]),), find_phone))
    if address and address.line1:
        out.append(_Detail("street", address.line1, ((address.line1, "text:" + _phrase(address.line1)),),
                           _find_text))
    names = dict.fromkeys(n for n in (order.customer.name, address.name if address else None) if n)
    for name in names:
        if phrase := _distinct_phrase(name, words=2, chars=5, cjk=2):
            out.append(_Detail("name", name, ((name, "text:" + phrase),), _find_name))
    if address and address.city and (phrase := _distinct_phrase(address.city, words=1, chars=4, cjk=2)):
        out.append(_Detail("city", address.city, ((address.city, "text:" + phrase),), _find_name))
    code = address.postal_code if address else None
    chars = _NOT_ID_CHAR.sub("", _plain(code or ""))
    if code and (len(chars) >= 5 or (len(chars) >= 4 and not chars.isdigit() and not chars.isalpha())):
        out.append(_ident("postal code", code, bare=False))
    items = dict.fromkeys(i.name for i in order.items if i.name)
    for item in items:
        if phrase := _distinct_phrase(item, words=2, chars=8, cjk=3):
            out.append(_Detail("item", item, ((item, "text:" + phrase),), _find_phrase))
    return out


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str) and value.strip():
        yield value


def _amounts(order: Order) -> set[Decimal]:
    """The order's amounts as the grounding guard reads them: total, prices, line totals and their sum."""
    amounts = {order.total} if order.total is not None else set()
    lines = [item.price * item.quantity for item in order.items if item.price is not None]
    amounts.update(item.price for item in order.items if item.price is not None)
    amounts.update(lines)
    if lines:
        amounts.add(sum(lines, Decimal(0)))
    return amounts


class _Own:
    """What the allowed orders (and the shop) show of themselves: another order's detail that is also theirs (the
    same customer's email, the same city, an item both hold, an equal amount) tells nothing about that order."""

    def __init__(self, orders: list[Order], shop: Sequence[str] = ()) -> None:
        self.keys = {key for order in orders for detail in _details(order) for _, key in detail.forms}
        self.keys |= {_amount_key(amount) for order in orders for amount in _amounts(order)}
        texts = [s for order in orders for s in _strings(order.model_dump(mode="json"))]
        self.texts = [f" {_phrase(t)} " for t in [*texts, *shop]]
        self.keys |= {_id_key(t) for t in texts}

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if key in self.keys:
            return True
        kind, _, phrase = key.partition(":")
        if kind != "text" or not phrase:
            return False
        needle = phrase if _CJK.search(phrase) else f" {phrase} "
        return any(needle in text for text in self.texts)


# -- checks -------------------------------------------------------------------------------------------------


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


def _said(phrase: str, reply: str) -> bool:
    # Full-width forms read as ASCII, as identifiers do: "1042" is said in "订单１０４２".
    return _plain(phrase).casefold() in _plain(reply).casefold()


def _alternatives(entry: Phrase) -> list[str]:
    return [entry] if isinstance(entry, str) else list(entry)


def _said_any(entry: Phrase, reply: str) -> str | None:
    """The first alternative of the entry said in the reply, or None."""
    return next((p for p in _alternatives(entry) if _said(p, reply)), None)


def _show(entry: Phrase) -> str:
    return repr(entry) if isinstance(entry, str) else "any of " + " / ".join(repr(p) for p in entry)


def _scope(turn: int | None) -> str:
    return "" if turn is None else f" (turn {turn})"


def check_say(phrases: Sequence[Phrase], turns: list[Turn], *, across_replies: bool = False,
              turn: int | None = None) -> Verdict:
    """Each phrase (or one of its alternatives) within one reply; with `across_replies`, anywhere in the replies
    joined by newlines. `turn` (1-based) names the shopper turn `turns` were taken from, for the verdict."""
    replies = ["\n".join(t.answer for t in turns)] if across_replies else [t.answer for t in turns]
    missing = [p for p in phrases if not any(_said_any(p, reply) for reply in replies)]
    name = "say" + _scope(turn)
    if missing:
        where = " (within any one reply)" if len(replies) > 1 else ""
        return Verdict(name, "fail", "not said: " + ", ".join(_show(p) for p in missing) + where)
    return Verdict(name, "pass", f"all {len(phrases)} phrase(s) said")


def check_not_say(phrases: Sequence[Phrase], turns: list[Turn], *, turn: int | None = None) -> Verdict:
    """No phrase (nor any alternative of a list entry) in any reply; `turn` as in `check_say`."""
    said = []
    for i, reply in enumerate(turns, start=turn or 1):
        found = [p for p in (_said_any(e, reply.answer) for e in phrases) if p is not None]
        said += [f"{p!r} (reply {i})" for p in found]
    name = "not_say" + _scope(turn)
    if said:
        return Verdict(name, "fail", "said: " + ", ".join(said))
    return Verdict(name, "pass", f"none of {len(phrases)} phrase(s) said")


def check_turn(n: int, expect: TurnExpect, turns: list[Turn]) -> list[Verdict]:
    """The `say`/`not_say` of shopper turn `n` (1-based), checked on that turn's reply alone; a conversation that
    ended before it (a simulated shopper) fails both."""
    if n > len(turns):
        why = f"no turn {n}: the conversation had {len(turns)} turn(s)"
        return [Verdict(name + _scope(n), "fail", why) for name, asked in (("say", expect.say),
                                                                       ("not_say", expect.not_say)) if asked]
    reply = turns[n - 1:n]
    verdicts = []
    if expect.say:
        verdicts.append(check_say(expect.say, reply, turn=n))
    if expect.not_say:
        verdicts.append(check_not_say(expect.not_say, reply, turn=n))
    return verdicts


def check_disclose_only(allowed: list[str], orders: list[Order], turns: list[Turn],
                        order_info: Any = None, *, shop: Sequence[str] = ()) -> Verdict:
    """No reply shows anything of an order other than `allowed`: its id (also without its letter prefix, as the
    grounding guard reads it), reference, tracking numbers, total, email, phones, street, customer name, city,
    postal code or item names. Values the allowed orders (or the shop, `shop`) share and values the shopper typed
    (or the widget showed them) are not leaks."""
    keep = {normalise_order_id(a) for a in allowed}
    mine = [o for o in orders if o.id and normalise_order_id(o.id) in keep]
    others = [o for o in orders if o not in mine]
    own = _Own(mine, shop)
    details = [(order, _details(order)) for order in others]
    known = order_info_text(order_info)
    leaks: dict[tuple[int, int, str], str] = {}
    for i, turn in enumerate(turns, start=1):
        known += "\n" + turn.user
        for n, (order, found) in enumerate(details):
            for d in found:
                # One line per value: a tracking number shown whole also shows its end.
                if (i, n, d.value) not in leaks and d.shown(turn.answer, known, own):
                    leaks[(i, n, d.value)] = f"reply {i} shows the {d.what} {d.value!r} of {_label(order)}"
    if leaks:
        return Verdict("disclose_only", "fail", "; ".join(leaks.values()))
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
    details = [_details(order, personal=False) for order in case.orders]
    own = _Own([])
    early: dict[tuple[int, int, str], str] = {}
    for i, turn in enumerate(turns, start=1):
        before = len(disclosed)
        disclosed |= _found_ids(turn)
        known += "\n" + turn.user
        shown = [n for n, o in enumerate(case.orders) if o.id and normalise_order_id(o.id) in disclosed]
        if len(disclosed) != before:
            own = _Own([case.orders[n] for n in shown])
        for n, order in enumerate(case.orders):
            for d in details[n] if n not in shown else ():
                if (i, n, d.value) not in early and d.shown(turn.answer, known, own):
                    early[(i, n, d.value)] = (f"reply {i} shows the {d.what} {d.value!r} of {_label(order)} before "
                                              "a lookup disclosed it")
    if early:
        return Verdict("disclosure_order", "fail", "; ".join(early.values()))
    return Verdict("disclosure_order", "pass", "no order detail before its disclosure")


def _language(text: str) -> str:
    return "zh" if _CJK.search(text) else "en"


class _ThisThread(logging.Filter):
    """Drops the records of the thread that made it."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread != self.thread


def _order_hint(order_info: Any) -> str | None:
    """The widget's order number, read as `Agent.new_conversation` reads it. The agent has already warned about
    whatever in the payload it could not read, so reading it again here says nothing."""
    if order_info is None:
        return None
    from tools.errors import SampleError
    from tools.order_info import log, order_info_hint

    quiet = _ThisThread()
    log.addFilter(quiet)
    try:
        return order_info_hint(order_info)
    except SampleError:
        return None
    finally:
        log.removeFilter(quiet)


def grounding_claims(case: Case, turns: list[Turn]) -> list[list[str]]:
    """For each reply, the claims `assistant.grounding` finds unsupported by the facts the agent itself had at that
    turn (`Agent._facts`): the tool results so far, the identifiers the shopper wrote and passed to a tool, and what
    the shopper said, with the widget's order number."""
    from assistant.grounding import Facts, check
    from tools._transforms import zone

    config = case.merchant_config()
    tz = zone(config.merchant.timezone)
    today = case.spec.now.astimezone(tz).date()
    hint = _order_hint(case.spec.order_info)
    results: list[dict[str, Any]] = []
    arguments: list[dict[str, Any]] = []
    said: list[str] = []
    out = []
    for turn in turns:
        text = turn.user.strip()
        # A message the agent refused (empty, too long) never joined its history.
        if text and len(turn.user) <= config.agent.max_message_chars:
            said.append(text)
        for call in turn.tool_calls:
            if call.get("result"):
                results.append(call["result"])
            given = call.get("arguments")
            # Arguments that were not a JSON object are kept as {"_raw": text}; the agent's history has {} for them.
            if isinstance(given, dict) and set(given) != {"_raw"}:
                arguments.append(given)
        facts = Facts.from_results(results, tz=tz, today=today, arguments=arguments,
                                   shopper_text="\n".join([*said, hint] if hint else said))
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


def _shop(case: Case) -> list[str]:
    """What a reply may say of the shop itself: its name, and the city of its timezone ("Toronto time")."""
    merchant = case.spec.merchant
    return [merchant.name, merchant.timezone.rsplit("/", 1)[-1].replace("_", " ")]


def run_checks(case: Case, turns: list[Turn], judge: Judge | None = None) -> list[Verdict]:
    """Every check the case asks for, plus disclosure order, which always holds."""
    expect = case.spec.expect
    verdicts: list[Verdict] = []
    if expect.tool_calls:
        verdicts.append(check_tool_calls(expect.tool_calls, turns))
    if expect.say:
        verdicts.append(check_say(expect.say, turns, across_replies=expect.say_across_replies))
    if expect.not_say:
        verdicts.append(check_not_say(expect.not_say, turns))
    for n in sorted(expect.turns):
        verdicts += check_turn(n, expect.turns[n], turns)
    if expect.disclose_only is not None:
        verdicts.append(check_disclose_only(expect.disclose_only, case.orders, turns, case.spec.order_info,
                                            shop=_shop(case)))
    if expect.grounded:
        verdicts.append(check_grounded(turns))
    verdicts.append(check_disclosure_order(case, turns))
    if expect.max_tool_calls is not None:
        verdicts.append(check_max_tool_calls(expect.max_tool_calls, turns))
    if expect.rubric:
        verdicts.append(check_rubric(case, turns, judge))
    return verdicts
