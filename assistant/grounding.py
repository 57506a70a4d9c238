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
- Marketplace names that double as carrier aliases ("Amazon", "JD"/"京东") and the generic word 邮政 are not read
  as carrier claims; "Amazon Logistics", "京东物流" and "中国邮政" are.
- A weekday on its own ("arrives Monday") must be the weekday of some fact date; "Monday to Friday" is not a claim.
  A delivery weekday is one of the next two weeks, or of the last two when it was missed ("was due Tuesday").
- "Today", "tomorrow" and "yesterday" (今天, 明天, 昨天) in a sentence about the package are dates: "arriving
  tomorrow" needs a result dated tomorrow. Elsewhere, and in "as of today", they claim nothing; nor do they (or
  "in 2 days", "arrives Monday") when negated ("it won't arrive today", "FedEx doesn't deliver on Sunday"), in a
  question, or about what the shopper or we may do ("you can contact FedEx today"). A negated date is not checked
  against the results, so "it wasn't delivered today" passes even for a parcel delivered today.
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
  "it was left at your front door") need that status in a result; negated ones ("hasn't been delivered") do not.
  "All the items were delivered" needs the order itself delivered, not one of its packages.
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

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from assistant._spans import day_of_month, find_spans
from tools.carriers import canonical_carrier, carrier_aliases

__all__ = ["Claim", "ClaimKind", "Facts", "check", "correction_message"]

ClaimKind = Literal["id", "amount", "date", "time", "carrier", "url", "status"]


@dataclass(frozen=True, slots=True)
class Claim:
    """A statement in an answer that no tool result supports."""

    kind: ClaimKind
    text: str
    """The claim as written in the answer."""
    span: tuple[int, int]
    """Start and end offsets in the answer."""


# --- shared patterns -------------------------------------------------------------------------------------------

# Full-width ASCII (１０４２, ＃, ：) to ASCII, one character for one so spans stay valid.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_MASK = "\x00"

_DASHES = "\\-\u2010\u2011\u2013"
# Words containing a digit, hyphenated ones whole ("ORD-12345").
_WORD = re.compile(
    rf"(?<![A-Za-z0-9])(?=[#A-Za-z0-9])(#\s?)?"
    rf"(?=[A-Za-z0-9{_DASHES}]*\d)([A-Za-z0-9]+(?:[{_DASHES}][A-Za-z0-9]+)*)(?![A-Za-z0-9])"
)
_ID_JUNK = re.compile(rf"[#\s{_DASHES}\u2014_]+")
_DASH = re.compile(rf"[{_DASHES}]")
# "27th", "24hours", "2pcs", "500ml": a small number with a lower-case unit is not an identifier.
_UNIT_WORD = re.compile(r"\d{1,3}[a-z]+")
_ID_KEYS = frozenset({"id", "external_ref_id", "tracking_number", "sku", "postal_code"})
_LETTER_PREFIX = re.compile(r"[A-Z]+(\d+)")
_GROUP_PREFIX = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,4})[ \u00a0]$")

# A link ends where Chinese text starts ("…tracknum=1Z…查询"): CJK and full-width forms are never part of one here.
_URL = re.compile(r"""https?://[^\s<>"'`\[\]{}|\\^()\u3000-\u9fff\uff00-\uffef]+""", re.IGNORECASE)
_URL_TRAIL = ".,;:!?*_~'\""
_EMAIL = re.compile(r"(?<![\w.+\-*])[\w.+\-*]+@[\w\-]+(?:\.[\w\-]+)+")

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12,
}
_WEEKDAYS_EN = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}

_MON = (
    r"(?<![a-z])(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])\.?"
)
_WD_EN = (
    r"(?<![a-z])(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|(?:mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)(?![a-z])\.?)(?![a-z])"
)
_WD_ZH = r"(?:周|星期|礼拜|禮拜)[一二三四五六日天]"
_WD = rf"(?:{_WD_EN}|{_WD_ZH})"
_ORDINAL = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
_COUNTED = r"(?!\s*(?:items?|packages?|parcels?|boxes|orders?|pcs|件|个|個|包裹))"

_DATE = re.compile(
    rf"""
    (?:(?<![a-z0-9])(?=[0-9adfjmnostw])|(?=[周星礼禮]))
    (?=\d|[周星礼禮]|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun))
    (?:
    (?:(?P<w1>{_WD})[\s,，、(（]*)?
    (?:
        (?<!\d)(?P<iy>{_YEAR})[-/.](?P<im>\d{{1,2}})[-/.](?P<id>\d{{1,2}})
            (?:[T\s]\d{{1,2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?(?:Z|[+-]\d{{2}}:?\d{{2}})?)?(?!\d)
      | (?:(?P<zy>{_YEAR})\s*年\s*)?(?<!\d)(?P<zm>\d{{1,2}})\s*月\s*(?P<zd>\d{{1,2}})(?!\d)\s*(?:日|号|號)?
      | (?P<mm>{_MON})\s*(?P<md>\d{{1,2}})(?!\d){_ORDINAL}(?:,?\s*(?P<my>{_YEAR})(?!\d))?
      | (?<!\d)(?P<dd>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<dm>{_MON})(?:,?\s*(?P<dy>{_YEAR})(?!\d))?
      # "11/26", "26/11"; "24/7" is round the clock, not July 24
      | (?<![\d/.])(?!24/7(?![\d/]))(?P<na>\d{{1,2}})/(?P<nb>\d{{1,2}})(?:/(?P<ny>\d{{4}}|\d{{2}}))?(?![\d/]){_COUNTED}
      | (?<![\d.])(?P<ea>\d{{1,2}})\.(?P<eb>\d{{1,2}})\.(?P<ey>{_YEAR})(?!\d)
    )
    (?:[\s,，、]*[(（]?\s*(?P<w2>{_WD})[)）]?)?
    | (?P<w3>{_WD_EN})[\s,]+(?:the\s+)?(?P<od>\d{{1,2}})(?:st|nd|rd|th)(?![a-z])
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)
_WEEKDAY = re.compile(
    r"(?=[mtwfs周星礼禮])(?<![a-z])(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?![a-z])|(?P<zh>"
    + _WD_ZH
    + ")",
    re.IGNORECASE,
)
# "Monday to Friday", "周一至周五": delivery days in general, not a date.
_WEEKDAY_RANGE = re.compile(
    rf"(?=[mtwfs周星礼禮])(?<![a-z]){_WD}\s*(?:-|–|—|~|～|至|到|to|through|thru)\s*{_WD}", re.IGNORECASE
)
_TIME = re.compile(
    r"(?<![\d:])(?=[\d上下晚早中凌傍])(?:\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?(?![a-z]))?(?![\d:])"
    r"|(?<![\dA-Za-z])\d{1,2}\s*[ap]\.?m\.?(?![a-z])"
    r"|(?:上午|下午|晚上|早上|中午|凌晨|傍晚)?(?<!\d)\d{1,2}\s*[点點时時](?:\s*\d{1,2}\s*分)?)",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"(?=[\d百])(?<![\d.])\d+(?:\.\d+)?\s*(?:%|percent)|百分之\d+(?:\.\d+)?", re.IGNORECASE)

_CODES = (
    "USD|CAD|AUD|NZD|HKD|SGD|TWD|MXN|EUR|GBP|CNY|RMB|JPY|KRW|INR|CHF|SEK|NOK|DKK|PLN|BRL|MOP|MYR|THB|PHP|IDR|VND|AED"
)
_CURRENCY_SETS: dict[str, frozenset[str]] = {
    "$": frozenset({"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "TWD", "MXN"}),
    "US$": frozenset({"USD"}), "C$": frozenset({"CAD"}), "CA$": frozenset({"CAD"}), "A$": frozenset({"AUD"}),
    "AU$": frozenset({"AUD"}), "NZ$": frozenset({"NZD"}), "HK$": frozenset({"HKD"}), "NT$": frozenset({"TWD"}),
    "S$": frozenset({"SGD"}), "MX$": frozenset({"MXN"}), "€": frozenset({"EUR"}), "£": frozenset({"GBP"}),
    "¥": frozenset({"CNY", "JPY"}), "￥": frozenset({"CNY", "JPY"}), "₩": frozenset({"KRW"}),
    "₹": frozenset({"INR"}), "RMB": frozenset({"CNY"}), "人民币": frozenset({"CNY"}),
    "元": frozenset({"CNY", "HKD", "TWD", "MOP"}), "块钱": frozenset({"CNY"}), "美元": frozenset({"USD"}),
    "欧元": frozenset({"EUR"}), "英镑": frozenset({"GBP"}), "日元": frozenset({"JPY"}), "円": frozenset({"JPY"}),
    "港元": frozenset({"HKD"}), "港币": frozenset({"HKD"}), "YUAN": frozenset({"CNY"}),
    "EURO": frozenset({"EUR"}), "EUROS": frozenset({"EUR"}),
    "DOLLAR": frozenset({"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "TWD"}),
}
_CURRENCY_SETS["DOLLARS"] = _CURRENCY_SETS["DOLLAR"]
_NUM = r"\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d+(?:\.\d+|,\d{1,2}(?!\d))?"
_PRE = rf"US\$|C\$|CA\$|A\$|AU\$|NZ\$|HK\$|NT\$|S\$|MX\$|(?-i:{_CODES})|[$€£¥￥₩₹]|人民币|港币"
_SUF = rf"(?-i:{_CODES})|美元|欧元|英镑|日元|港元|港币|块钱|元|円|€|dollars?|euros?|yuan"
_UNITS = r"kg|g|lbs?|oz|km|mi|miles?|cm|mm|m|in|inch(?:es)?|ft|l|ml|公斤|千克|克|斤|公里|米|厘米|小时|天"
_AMOUNT = re.compile(
    rf"(?<![A-Za-z0-9])(?=(?-i:[\dA-Z$€£¥￥₩₹人港]))(?:(?P<pre>{_PRE})\s?(?P<n1>{_NUM})"
    rf"|(?<![A-Za-z0-9.,])(?P<n2>{_NUM})\s?(?P<suf>{_SUF})(?![A-Za-z])"
    # An unmarked number with exactly two decimals ("1299.99") is money in an order chat.
    rf"|(?<![A-Za-z0-9_.,/:])(?P<n3>\d{{1,3}}(?:,\d{{3}})+\.\d{{2}}|\d+\.\d{{2}})(?![\d.%])(?!\s*(?:{_UNITS})(?![a-z])))",
    re.IGNORECASE,
)
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_CODE = re.compile(_CODES)

# Marketplace names and a generic word that are also carrier aliases: not claims about a carrier.
_NOT_CARRIER_CLAIMS = frozenset({"amazon", "jd", "京东", "邮政"})


def _trie_pattern(words: list[str]) -> str:
    """One regex for many aliases, factored by common prefixes so matching does not try each alias in turn."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [
            (r"[\s_\-.]+" if ch == " " else re.escape(ch)) + emit(child) for ch, child in sorted(node.items()) if ch
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        # Longer aliases first: an alias that ends here is the optional tail of the longer ones.
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


def _carrier_pattern() -> re.Pattern[str]:
    exact: list[str] = []
    loose: list[str] = []
    for key in carrier_aliases():
        if key in _NOT_CARRIER_CLAIMS:
            continue
        # "UPS", "SF", "EMS": short codes only in capitals, so "ups and downs" or "sto" are not carriers.
        # Longer names come first in the pattern, so "DHL eCommerce" is not read as "DHL".
        if key.isascii() and key.isalpha() and len(key) <= 3:
            exact.append(key.upper())
        else:
            loose.append(key)
    starts = "".join(sorted({re.escape(k[0]) for k in exact + loose}))
    return re.compile(
        rf"(?<![A-Za-z0-9])(?=[{starts}])(?:{_trie_pattern(loose)}|(?-i:{_trie_pattern(exact)}))(?![A-Za-z0-9])",
        re.IGNORECASE,
    )


_CARRIER = _carrier_pattern()
# Result fields whose day is a delivery's: an estimate, or when it was delivered.
_DELIVERY_KEYS = frozenset({"estimated_delivery", "delivered_at"})
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")


# --- facts -----------------------------------------------------------------------------------------------------


def _norm_id(text: str) -> str:
    return _ID_JUNK.sub("", text).upper()


def _carrier_key(name: str) -> str:
    known = canonical_carrier(name)
    return re.sub(r"[\s_\-.]+", " ", (known.name if known else name).strip().casefold())


def _decimal(number: str) -> Decimal | None:
    text = number.replace("，", ",")
    text = text.replace(",", "") if _THOUSANDS.fullmatch(text) else text.replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _words(text: str) -> Iterator[tuple[int, int, str, bool]]:
    """Start, end, text and whether a '#' preceded it, for every word containing a digit."""
    for match in _WORD.finditer(text):
        yield match.start(), match.end(), match.group(2), bool(match.group(1))


@dataclass(frozen=True, slots=True)
class Facts:
    """What this conversation's tool results state; the only things an answer may claim."""

    ids: frozenset[str] = frozenset()
    """Identifiers, normalised: upper case, no '#', spaces or dashes."""
    amounts: frozenset[Decimal] = frozenset()
    currencies: frozenset[str] = frozenset()
    dates: frozenset[date] = frozenset()
    carriers: frozenset[str] = frozenset()
    """Casefolded display names of the carriers (canonical when the carrier is known)."""
    urls: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    """Every status the results give (orders, packages, tracking events)."""
    result_dates: frozenset[date] = frozenset()
    """The dates in the results themselves, without the days around today that `dates` adds."""
    today: date | None = None
    times: frozenset[tuple[int, int]] = frozenset()
    """Hour and minute of every time in the results, in the merchant's timezone."""
    delivery_dates: frozenset[date] = frozenset()
    """The days a package is estimated to arrive or did arrive: what "in 3-5 days" must be about."""
    order_statuses: frozenset[str] = frozenset()
    """The status of each order as a whole (not of its packages): "all items were delivered" needs "delivered"."""

    @classmethod
    def from_results(
        cls, results: list[dict[str, Any]], *, tz: tzinfo, today: date,
        arguments: Iterable[Mapping[str, Any]] = (), shopper_text: str = "",
    ) -> Facts:
        """The facts of every tool result of a conversation; `today` (and the days either side) are facts too.

        `arguments` are the tool calls' arguments. A value in them the shopper wrote (`shopper_text`: all they
        said) is an identifier an answer may repeat, "I could not find order #1043"; one the model made up is not,
        or it could state anything by passing it to the tool first. No argument supports a date, amount or carrier.
        """
        builder = _FactBuilder(tz)
        for result in results:
            builder.walk(result)
            for view in result.get("orders") or []:
                if isinstance(view, dict):
                    builder.order(view)
        said: _Said | None = None
        for given in arguments:
            for key, value in given.items():
                if not isinstance(value, str):
                    continue
                said = said or _Said(shopper_text)
                if said.wrote(key, value):
                    builder.identifiers(value.translate(_FULLWIDTH))
                if key == "phone":
                    # As the shopper wrote it ("612-555-0114" for "+16125550114"), with or without the area code.
                    for digits in said.phones(value):
                        builder.ids.update({digits, digits[-10:], digits[-7:]})
        result_dates = frozenset(builder.dates)
        builder.dates.update({today, today - timedelta(days=1), today + timedelta(days=1)})
        return cls(
            statuses=frozenset(builder.statuses),
            result_dates=result_dates,
            today=today,
            times=frozenset(builder.times),
            delivery_dates=frozenset(builder.delivery_dates),
            order_statuses=frozenset(builder.order_statuses),
            ids=frozenset(builder.ids),
            amounts=frozenset(builder.amounts),
            currencies=frozenset(builder.currencies),
            dates=frozenset(builder.dates),
            carriers=frozenset(builder.carriers),
            urls=frozenset(builder.urls),
        )


class _FactBuilder:
    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.ids: set[str] = set()
        self.amounts: set[Decimal] = set()
        self.currencies: set[str] = set()
        self.dates: set[date] = set()
        self.carriers: set[str] = set()
        self.urls: set[str] = set()
        self.statuses: set[str] = set()
        self.times: set[tuple[int, int]] = set()
        self.delivery_dates: set[date] = set()
        self.order_statuses: set[str] = set()

    def walk(self, value: Any, key: str | None = None) -> None:
        """Every string anywhere in a result may support a claim: ids, links, dates, carriers, amounts in text."""
        if isinstance(value, dict):
            for k, v in value.items():
                self.walk(v, k)
        elif isinstance(value, list):
            for v in value:
                self.walk(v, key)
        elif isinstance(value, str) and value.strip():
            self.text(value.strip(), key)

    def text(self, text: str, key: str | None) -> None:
        if _ISO.fullmatch(text):
            days = self.datetime(text)
            if key in _DELIVERY_KEYS:
                self.delivery_dates.update(days)
            return
        if text[:4].casefold() == "http":
            self.urls.add(text)
            return
        if key == "carrier":
            self.carriers.add(_carrier_key(text))
        if key == "status":
            self.statuses.add(text.casefold())
        text = text.translate(_FULLWIDTH)
        if key in _ID_KEYS:
            # Whole only: a part of a tracking number ("9400 1118") is not the tracking number.
            norm = _norm_id(text)
            self.ids.add(norm)
            if key in {"id", "external_ref_id"} and (prefixed := _LETTER_PREFIX.fullmatch(norm)):
                self.ids.add(prefixed.group(1))
            return
        self.identifiers(text)
        for match in _CARRIER.finditer(text):
            self.carriers.add(_carrier_key(match.group()))
        for match in _AMOUNT.finditer(text):
            amount = _decimal(match.group("n1") or match.group("n2") or match.group("n3"))
            if amount is not None:
                self.amounts.add(amount)

    def identifiers(self, text: str) -> None:
        """Every word with a digit in `text`, and words written in groups joined ("SW1A 1AA")."""
        run: list[str] = []
        last_end = -1
        for start, end, word, _ in _words(text):
            if run and text[last_end:start] != " ":
                self.ids.add("".join(run))
                run = []
            run.append(_norm_id(word))
            self.ids.add(run[-1])
            last_end = end
        if run:
            self.ids.add("".join(run))

    def datetime(self, text: str) -> set[date]:
        """Adds the days (and the time) of an ISO date or time to the facts, and returns the days."""
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return set()
        # The day as written, and the merchant's day: the lookup writes times in the merchant's timezone, so the
        # two agree, and an estimate of 02:00 UTC is not "arriving" on the UTC day in Los Angeles.
        days = {moment.date()}
        if moment.tzinfo is not None:
            moment = moment.astimezone(self.tz)
            days.add(moment.date())
        self.dates.update(days)
        if len(text) > 10:  # a time was written, not just a date
            self.times.add((moment.hour, moment.minute))
        return days

    def order(self, view: dict[str, Any]) -> None:
        if isinstance(status := view.get("status"), str):
            self.order_statuses.add(status.casefold())
        if isinstance(currency := view.get("currency"), str):
            self.currencies.add(currency.upper())
        if (total := _money(view.get("total"))) is not None:
            self.amounts.add(total)
        lines: list[Decimal] = []
        for item in view.get("items") or []:
            price = _money(item.get("price")) if isinstance(item, dict) else None
            if price is None:
                continue
            quantity = item.get("quantity")
            line = price * quantity if isinstance(quantity, int) else price
            self.amounts.update({price, line})
            lines.append(line)
        if lines:
            self.amounts.add(sum(lines, Decimal(0)))


_ALNUM = re.compile(r"[A-Za-z0-9]+")
_SEPARATORS = frozenset(" \t\n-\u2010\u2011\u2012\u2013\u2014.()/#+")
_PHONE_RUN = re.compile(r"\+?\d[\d\s().\-]{5,}\d")
_DIGIT_WORDS = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                "seven": "7", "eight": "8", "nine": "9"}
_DIGIT_WORD = re.compile(r"(?<![a-z])(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)(?![a-z])"
                         r"|[零〇一二三四五六七八九幺]", re.IGNORECASE)
_DIGIT_CHARS = str.maketrans("零〇一二三四五六七八九幺", "001234567891")


class _Said:
    """What the shopper wrote, read for the values they gave: each run of words joined by at most two spaces,
    dashes or brackets ("ord 12345", "(415) 555-0199") gives every identifier its consecutive words spell."""

    _LONGEST = 40

    def __init__(self, text: str) -> None:
        self.text = unicodedata.normalize("NFKC", text)
        self.tokens: set[str] = set()
        self._read(self.text)
        if _DIGIT_WORD.search(self.text):  # digits spelled out: "one oh four two", 一零四二
            self._read(_DIGIT_WORD.sub(
                lambda m: _DIGIT_WORDS.get(m.group().casefold()) or m.group().translate(_DIGIT_CHARS), self.text))

    def _read(self, text: str) -> None:
        run: list[str] = []
        last = 0
        for match in _ALNUM.finditer(text):
            gap = text[last:match.start()]
            if run and (len(gap) > 2 or not _SEPARATORS.issuperset(gap)):
                self._spell(run)
                run = []
            run.append(match.group().upper())
            last = match.end()
        self._spell(run)

    def _spell(self, words: list[str]) -> None:
        for i in range(len(words)):
            joined = ""
            for word in words[i:]:
                joined += word
                if len(joined) > self._LONGEST:
                    break
                self.tokens.add(joined)

    def wrote(self, key: str, value: str) -> bool:
        """Whether the shopper wrote `value` as a whole token, in any case, with separators or without; a phone
        number by its last 7 digits, as the tool reads it ("+1 415-555-0199" for "(415) 555 0199")."""
        if re.sub(r"[^A-Za-z0-9]", "", unicodedata.normalize("NFKC", value)).upper() in self.tokens:
            return True
        return key == "phone" and bool(self.phones(value))

    def phones(self, value: str) -> list[str]:
        """The digits of each phone number the shopper wrote that ends with the last 7 digits of `value`."""
        tail = re.sub(r"\D", "", value)[-7:]
        if len(tail) < 7:
            return []
        runs = (re.sub(r"\D", "", m.group()) for m in _PHONE_RUN.finditer(self.text))
        return [digits for digits in runs if digits.endswith(tail)]


def _money(value: Any) -> Decimal | None:
    if isinstance(value, str):
        return _decimal(value.strip())
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value))
    return None


# --- checking --------------------------------------------------------------------------------------------------


class _Scan:
    """The answer being checked, with the parts already read blanked out so later patterns skip them."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.source = answer.translate(_FULLWIDTH)
        self.text = self.source
        self.claims: list[Claim] = []
        self.days: list[tuple[int, int]] = []
        """Spans of the dates read so far, and of "today"/"tomorrow" said about the package: what a time is on."""

    def claim(self, kind: ClaimKind, start: int, end: int) -> None:
        self.claims.append(Claim(kind, self.answer[start:end], (start, end)))

    def blank(self, spans: list[tuple[int, int]]) -> None:
        if not spans:
            return
        parts: list[str] = []
        last = 0
        for start, end in spans:
            parts.append(self.text[last:start])
            parts.append(_MASK * (end - start))
            last = end
        parts.append(self.text[last:])
        self.text = "".join(parts)


def check(answer: str, facts: Facts, *, language: str | None = None) -> list[Claim]:
    """The claims in `answer` that `facts` do not support, in order; an empty list means the answer is grounded.

    `language` is accepted for the agent's convenience but every reply is read for both English and Chinese
    forms, because replies mix them (a Chinese answer names UPS, an English one may quote 顺丰).
    """
    del language
    scan = _Scan(answer)
    _check_urls(scan, facts)
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


# "arriving tomorrow": a relative day in a sentence about the package is a date claim like "Nov 26".
_RELATIVE_DAY = re.compile(
    r"(?<![a-z])(?:the\s+day\s+after\s+tomorrow|tomorrow|today|tonight|yesterday)(?![a-z])"
    r"|后天|明天|今天|今晚|昨天|明日|今日|昨日",
    re.IGNORECASE,
)
_RELATIVE_OFFSET = {"the day after tomorrow": 2, "后天": 2, "tomorrow": 1, "明天": 1, "明日": 1, "today": 0,
                    "tonight": 0, "今天": 0, "今晚": 0, "今日": 0, "yesterday": -1, "昨天": -1, "昨日": -1}
# Arriving in other words: "it'll be there", "it got to you", "it reached you", "it came", "you received it".
_ARRIVAL = (
    r"(?<![a-z])(?:be|get|gets|got|getting)\s+(?:there|to\s+you)(?![a-z])|(?<![a-z])reach(?:es|ed)?\s+you(?![a-z])"
    r"|(?<![a-z])(?:it|package|parcel|order|shipment)\s+came(?![a-z])"
    r"|(?<![a-z])received\s+(?:it|them|the\s+(?:package|parcel|order)|your\s+(?:package|parcel|order))(?![a-z])"
)
_PARCEL_WORDS = re.compile(
    r"arriv|deliver|ship|dispatch|expect|\bdue\b|out for|pick|left|到达|送达|送到|发货|发出|派送|签收|揽收|预计|"
    + _ARRIVAL
    # "明天到", "今天下午能到", "3天后到": arriving, though 到 alone is also "until" ("今天到现在").
    + r"|(?:(?:明天|今天|后天|今晚|明日|今日)(?:上午|下午|晚上|早上|中午|傍晚|凌晨)?"
    r"|(?:天|日|周|星期|礼拜|小时)(?:之?内|以内|之?后|以后|左右))(?:会|就|能|可|可以|将|才)?到(?!现在|目前|此|这|那|今|期)",
    re.IGNORECASE,
)
_AS_OF = re.compile(r"(?<![a-z])as\s+of\s+$|截至$|截止$|截至到$", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?。！？\n]+")
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
# "Returns are accepted within 30 days of delivery": a store policy, or a span counted from an event, is no date.
_POLICY = re.compile(r"(?<![a-z])(?:returns?|exchanges?|warranty|policy)(?![a-z])|退货|换货|退换|保修", re.IGNORECASE)
_COUNTED_FROM = re.compile(
    r"\s+(?:of|from|after)\s+(?:the\s+|your\s+)?(?:date\s+of\s+)?"
    r"(?:delivery|purchase|receipt|receiving|arrival|order|ordering|shipping|shipment)(?![a-z])",
    re.IGNORECASE,
)
# Tense, for what a date without a month ("the 27th") or a span means: "it shipped on the 14th" looks back.
_PAST_TENSE = re.compile(r"(?<![a-z])(?:was|were|had|did|came|got|left|sent|took|since|ago|[a-z]{3,}ed)(?![a-z])"
                         r"|(?:(?<![a-z])(?:has|have)|['’]s|['’]ve)\s+(?:been|arrived)", re.IGNORECASE)
_FUTURE_TENSE = re.compile(r"(?<![a-z])(?:will|shall|should|expect\w*|estimat\w*|scheduled|planned|slated|set|due"
                           r"|going\s+to|can|could|may|might)(?![a-z])|['’]ll", re.IGNORECASE)
# "arrives Monday", "delivered on Tuesday": the weekday of a delivery is a date near today.
_DELIVERY_WEEKDAY = re.compile(
    rf"(?<![a-z])(?P<verb>arriv\w*|deliver\w*|due|expected|expect\s+it|estimated)\s+"
    rf"(?:on\s+|by\s+|this\s+|next\s+|around\s+|until\s+)?(?P<wd>{_WD_EN})(?![a-z])"
    # A weekday with its date ("Monday, Aug 31") is checked as that date.
    r"(?!\s*,?\s*(?:\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s*\d))"
    r"(?!\s*(?:-|–|—|~|to\b|through\b|thru\b))",  # "Monday to Friday": delivery days, not a date
    re.IGNORECASE,
)
# "It was supposed to arrive on Tuesday", "was due Tuesday", "should have arrived Tuesday": a day that has passed.
_PAST_DUE = re.compile(
    r"(?<![a-z])(?:was|were|had\s+been)\s+(?:originally\s+|first\s+)?"
    r"(?:supposed|expected|due|scheduled|meant|estimated|slated|set|going)(?![a-z])"
    r"|(?<![a-z])(?:should|would|could|must)(?:\s+have|['’]ve)\s+(?:been\s+)?(?:arrived|delivered|come)(?![a-z])",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"(?:not|n't|never|no longer|yet to|未|没|尚|不)\W*\w*\W*$", re.IGNORECASE)
# A clause that states a condition ("once it has shipped", "if it is returned to sender", "如果…") claims nothing.
_CONDITION = re.compile(r"(?<![a-z])(?:once|if|when|whenever|after|until|unless|as soon as|in case|whether)(?![a-z])"
                        r"|如果|如有|若|一旦|等到|等|之后|以后|后|时|是否", re.IGNORECASE)
# Nor does one about the future, a negated one or a question ("it will be shipped", "no sign it was delivered").
_NOT_A_FACT = re.compile(r"(?<![a-z])(?:will|would|could|can|may|might|should|going to|not|never|no sign|yet)"
                         r"(?![a-z])|n't|'ll|会|将|是否|吗|没|未|尚|不", re.IGNORECASE)
_CLAUSE_END = ".!?。！？\n,;，；"


def _clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Where the clause around text[start:end] (between punctuation marks) starts and ends."""
    i = start
    while i > 0 and text[i - 1] not in _CLAUSE_END:
        i -= 1
    j = end
    while j < len(text) and text[j] not in _CLAUSE_END:
        j += 1
    return i, j


def _clause(text: str, start: int, end: int) -> tuple[str, bool]:
    """The clause around text[start:end], and whether it ends a question."""
    i, j = _clause_bounds(text, start, end)
    return text[i:j], text[j:j + 1] in ("?", "？")


# Where a clause divides into parts with their own verbs: "it hasn't shipped yet, so it won't be delivered today",
# "it hasn't shipped but will arrive tomorrow" (the negation is not about the arrival).
_PART_BREAK = re.compile(r"(?<![a-z])(?:but|and|so|though|although|while|whereas)(?![a-z])|[:：](?!\d)|—"
                         r"|但是|但|不过|可是|而且|并且", re.IGNORECASE)
# A negated part states no date: "it won't arrive today", "no new update today", "今天不会送达", "今天还不会到".
# ("No later than tomorrow" is a date; 不过, 不久, 未来 are no negations.) In English the negation comes before the
# day, or as a verb after it ("today isn't possible"): "arrives tomorrow with no signature needed" is a date.
_NEGATED = re.compile(r"(?<![a-z])(?:not|no|never|nothing|none)(?![a-z])(?!\s+(?:later|sooner|earlier)\s+than)"
                      r"|(?<=[a-z])n['’]t(?![a-z])|不(?!过|久|断|用|必|便)|没|未(?!来)|无法", re.IGNORECASE)
_NEGATED_VERB = re.compile(r"(?<=[a-z])n['’]t(?![a-z])|(?<![a-z])(?:is|are|was|were|will|would|does|did|can|could"
                           r"|has|have)\s+not(?![a-z])", re.IGNORECASE)
# What the shopper or we may do ("you can contact FedEx today", "they'll get back to you within 1 business day",
# "您今天可以联系顺丰") is not about the package. The carrier is no actor here: "FedEx will call you today" is a claim.
_SOMEONES_ACTION = re.compile(
    r"(?<![a-z])(?:you|i|we|they|our\s+(?:support\s+|customer\s+service\s+)?team|support)(?:['’](?:ll|d|re|ve))?"
    r"\s+(?:[a-z'’]+\s+){0,3}?(?:contact|call|phone|reach|e-?mail|message|text|ask|chat|check|follow\s+up"
    r"|get\s+(?:back|in\s+touch)|hear|reply|respond|write|update|let\s+\w+\s+know|look\s+into|track)(?![a-z])"
    r"|(?:您|你|我们|我|请|客服)(?!的)[^，。,;；]{0,6}?(?:联系|致电|咨询|询问|拨打|查询|回复|跟进|核实)",
    re.IGNORECASE,
)


def _part(text: str, start: int, end: int) -> tuple[int, int]:
    """Where the part of the clause around text[start:end] starts and ends: the clause cut at `_PART_BREAK`."""
    i, j = _clause_bounds(text, start, end)
    for match in _PART_BREAK.finditer(text, i, j):
        if match.end() <= start:
            i = match.end()
        elif match.start() >= end:
            j = match.start()
            break
    return i, j


def _not_about_the_package(text: str, start: int, end: int) -> bool:
    """Whether the part of its clause that text[start:end] is in is negated ("FedEx doesn't deliver on Sunday") or
    says what the shopper or we may do ("you can contact FedEx today about the delivery")."""
    i, j = _part(text, start, end)
    if _SOMEONES_ACTION.search(text, i, j):
        return True
    if not text[start:end].isascii():
        return bool(_NEGATED.search(text, i, j))
    return bool(_NEGATED.search(text, i, start) or _NEGATED_VERB.search(text, end, j))


def _sentence_at(text: str, index: int) -> str:
    for match in _SENTENCE.finditer(text):
        if match.start() <= index < match.end():
            return match.group()
    return ""


def _check_relative_days(scan: _Scan, facts: Facts) -> None:
    if facts.today is None:
        return
    spans: list[tuple[int, int]] = []
    lowered = scan.text.casefold()
    if not any(key in lowered for key in ("today", "tomorrow", "yesterday", "tonight", "天", "日", "今晚")):
        return
    for match in _RELATIVE_DAY.finditer(scan.text):
        if not _PARCEL_WORDS.search(_sentence_at(scan.text, match.start())) or _AS_OF.search(
                scan.text, max(0, match.start() - 8), match.start()):
            continue  # "today" in "as of today" or "today is Wednesday" claims nothing about the package
        spans.append(match.span())
        if _hedged(scan.text, *match.span()):
            continue  # "did it arrive today?", "if it hasn't arrived by tomorrow"
        if _not_about_the_package(scan.text, *match.span()):
            continue  # "it won't arrive today", "you can contact FedEx today about the delivery"
        word = re.sub(r"\s+", " ", match.group().casefold())
        day = facts.today + timedelta(days=_RELATIVE_OFFSET[word])
        if day not in facts.result_dates:
            scan.claim("date", *match.span())
    scan.days.extend(spans)
    scan.blank(spans)


def _hedged(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is in a question or a condition ("if it hasn't arrived by tomorrow"); the words
    matched are not read for the condition, so "the day after tomorrow" and "三天后" are no conditions."""
    i, j = _clause_bounds(text, start, end)
    return text[j:j + 1] in ("?", "？") or bool(_CONDITION.search(text, i, start) or _CONDITION.search(text, end, j))


def _check_spans(scan: _Scan, facts: Facts) -> None:
    """A span about the package's delivery ("in 3-5 days", "this weekend", "预计下周一送达") needs an estimate or a
    delivery in the results on one of its days; about something else that happens to it ("ships within 2 days"),
    any date of the results. With no estimate, any delivery span is a claim."""
    if facts.today is None:
        return
    today = facts.today
    text = scan.text
    spans = find_spans(text, today)
    for span in spans:
        start, end = span.start, span.end
        if not _PARCEL_WORDS.search(_sentence_at(text, start)) or _hedged(text, start, end):
            continue
        if _not_about_the_package(text, start, end):
            continue  # "they'll get back to you about the delivery within 1 business day"
        clause, _ = _clause(text, start, end)
        if _POLICY.search(clause) or _COUNTED_FROM.match(text, end):
            continue  # "returns are accepted within 30 days of delivery"
        part = text[slice(*_part(text, start, end))]
        past = _past(part)
        if past and span.counted:
            continue  # "it was delivered in 2 days": how long it took, not when
        # "It was delivered this week": days of the week already past count only in the past tense.
        first = span.first if past else max(span.first, today)
        dates = facts.delivery_dates if _DELIVERY_WORDS.search(part) else facts.result_dates
        if not any(first <= d <= span.last for d in dates):
            scan.claim("date", start, end)
    # "下周一" is read here, not again as the weekday "周一".
    scan.blank([(span.start, span.end) for span in spans])
    if "day" not in scan.text.casefold():
        return  # no weekday
    for match in _DELIVERY_WEEKDAY.finditer(scan.text):
        weekday = _weekday(match.group("wd"))
        clause, question = _clause(scan.text, *match.span())
        scan.blank([match.span("wd")])
        if question or _CONDITION.search(clause) or _not_about_the_package(scan.text, *match.span()):
            continue  # "if it hasn't arrived by Friday", "FedEx doesn't deliver on Sunday"
        verb = match.group("verb").casefold()
        future = not verb.endswith("ed") or verb == "expected" or re.search(
            r"(?<![a-z])(?:will|'ll|should|be|expected|estimated|due|going to)(?![a-z])", clause, re.IGNORECASE)
        # A coming delivery is due within two weeks, a missed one was due within the last two; one that happened
        # may be any day the results give.
        if _PAST_DUE.search(clause):
            near = [today - timedelta(days=k) for k in range(14)]
        elif future:
            near = [today + timedelta(days=k) for k in range(14)]
        else:
            near = sorted(facts.result_dates)
        if not any(d in facts.result_dates and d.weekday() == weekday for d in near):
            scan.claim("date", *match.span("wd"))


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


def _check_urls(scan: _Scan, facts: Facts) -> None:
    spans: list[tuple[int, int]] = []
    for match in _URL.finditer(scan.text):
        start, end = match.span()
        url = match.group().rstrip(_URL_TRAIL)
        end = start + len(url)
        if url not in facts.urls:
            scan.claim("url", start, end)
        spans.append((start, end))
    scan.blank(spans)
    scan.blank([m.span() for m in _EMAIL.finditer(scan.text)])


_COUNT_BEFORE = re.compile(r"(?:包裹|第|package|parcel|box|shipment)\s*$", re.IGNORECASE)
"""Words before "1/2" that make it a count ("包裹 1/2", package 1 of 2), not January 2."""


# "It arrives on the 27th": a day of the month without its month (not "the 1st of 2 packages" or "the 2nd box").
_DAY_OF_MONTH = re.compile(
    r"(?<![a-z])the\s+(?P<d>\d{1,2})(?:st|nd|rd|th)(?![a-z])(?=\s*(?:$|[^\sA-Za-z0-9]"
    r"|(?:at|by|in|and|or|but|so|between|around|if|when|as|for|via|with|from)(?![a-z])))",
    re.IGNORECASE,
)
_ORDINAL_DAY = re.compile(r"\d(?:st|nd|rd|th)(?![a-z])")
"""Looked for first, in lower case: quicker than `_DAY_OF_MONTH`, and most answers have no "27th"."""


def _check_dates(scan: _Scan, facts: Facts) -> None:
    _check_full_dates(scan, facts)
    if facts.today is None or not _ORDINAL_DAY.search(scan.text.lower()):
        return
    for match in _DAY_OF_MONTH.finditer(scan.text):
        if _hedged(scan.text, *match.span()):
            continue  # "if it hasn't arrived by the 27th"
        clause, _ = _clause(scan.text, *match.span())
        about_delivery = _about_delivery(scan, *match.span())
        # The coming 27th, or the last one: by the tense, else a delivery is to come and other events may be either.
        if _past(clause):
            looking_back = [True]
        elif about_delivery or _FUTURE_TENSE.search(clause):
            looking_back = [False]
        else:
            looking_back = [True, False]
        days = [day_of_month(facts.today, int(match.group("d")), past=back) for back in looking_back]
        if not any(d is not None and (d in facts.result_dates or (d in facts.dates and not about_delivery))
                   for d in days):
            scan.claim("date", *match.span())


def _past(text: str) -> bool:
    """Whether `text` is in the past tense: "it shipped on the 14th", "should have arrived in 3 days"."""
    return bool(_PAST_DUE.search(text)) or (bool(_PAST_TENSE.search(text)) and not _FUTURE_TENSE.search(text))


def _check_full_dates(scan: _Scan, facts: Facts) -> None:
    spans: list[tuple[int, int]] = []
    for match in _DATE.finditer(scan.text):
        if match.group("na") and _COUNT_BEFORE.search(scan.text[max(0, match.start() - 10):match.start()]):
            spans.append(match.span())
            continue
        parsed = _parse_date(match)
        if parsed is None:
            continue
        # Today and the days either side are facts, but not as the day it is (or was) delivered.
        if not _stated(parsed, facts.result_dates) and (
                not _stated(parsed, facts.dates) or _about_delivery(scan, *match.span())):
            scan.claim("date", *match.span())
        spans.append(match.span())
        scan.days.append(match.span())
    scan.blank(spans)


# Words that make a clock time in their clause the time of something that happened to the package (or will).
_EVENT_WORDS = re.compile(
    r"ship|dispatch|deliver|arriv|expect|estimat|scan|signed|transit|out\s+for|picked\s+up|depart"
    r"|(?<![a-z])(?:left|eta)(?![a-z])|发货|发出|寄出|送达|送到|签收|派送|揽收|到达|妥投|出库|离开|运输",
    re.IGNORECASE,
)
# "9am-5pm", "between 9 AM and 8 PM", "9点至17点": hours, not the time of an event.
_RANGE_AFTER = re.compile(r"\s*(?:-|–|—|~|～|to|until|till|and|至|到)\s*(?=\d|上午|下午|晚上|早上|中午|凌晨|傍晚)",
                          re.IGNORECASE)
_RANGE_BEFORE = re.compile(
    r"(?:(?<![a-z])(?:between|from|to|until|till|and)\s+|[-–—~～至到]\s*)$", re.IGNORECASE)
# "by 3:45 PM", "before 2 PM", "下午3点前": a cut-off, not an event (unless a date says when).
_DEADLINE_BEFORE = re.compile(r"(?<![a-z])(?:by|before|after|until|till|cut-?off)\s+$", re.IGNORECASE)
_DEADLINE_AFTER = re.compile(r"\s*(?:之前|以前|前|之后|以后|后)")
# "We usually ship at 3 PM", "the shipping cut-off is 2 PM": what happens in general, not to this package.
_IN_GENERAL = re.compile(r"(?<![a-z])(?:every|daily|usually|typically|normally|generally|cut-?off|hours)(?![a-z])"
                         r"|通常|每天|每日|一般|截单|营业", re.IGNORECASE)
# What may stand between a date and its time: "Nov 14 at 9:00 AM", "(Aug 31, 7:29 AM)", "8月31日下午7点".
_DATE_TIME_GAP = re.compile(r"[\s,，、(（]*(?:(?:at|on|around|about|approximately|@)(?![a-z]))?[\s,，、(（]*",
                            re.IGNORECASE)
_TIME_PARTS = re.compile(
    r"(?P<zh>上午|下午|晚上|早上|中午|凌晨|傍晚)?\s*(?P<h>\d{1,2})(?:\s*[:点點时時]\s*(?P<m>\d{2}|\d{1,2}(?=\s*分))?)?"
    r"(?:\s*(?P<ap>[ap])\.?m\.?)?",
    re.IGNORECASE,
)


def _check_times(scan: _Scan, facts: Facts) -> None:
    """A clock time on a date or with a package event ("shipped Nov 14 at 9:00 AM", "8月31日下午7点29分签收")
    must be a time in the results, to the minute; an hour alone ("7 PM") must be the hour of one."""
    matches = list(_TIME.finditer(scan.text))
    if not matches:
        return
    scan.blank([m.span() for m in matches])  # "时" in "7时29分" is no condition
    text, source = scan.text, scan.source
    for match in matches:
        start, end = match.span()
        if _RANGE_AFTER.match(source, end) or _RANGE_BEFORE.search(source, max(0, start - 10), start):
            continue
        dated = any(
            (e <= start and start - e <= 16 and _DATE_TIME_GAP.fullmatch(source, e, start))
            or (s >= end and s - end <= 16 and _DATE_TIME_GAP.fullmatch(source, end, s))
            for s, e in scan.days
        )
        clause, question = _clause(text, start, end)
        if question or _CONDITION.search(clause):
            continue
        if not dated and (not _EVENT_WORDS.search(clause) or _IN_GENERAL.search(clause)
                          or _DEADLINE_BEFORE.search(source, max(0, start - 10), start)
                          or _DEADLINE_AFTER.match(source, end)):
            continue
        if not _time_stated(match.group(), facts.times):
            # "at 9:00 AM." ends a sentence; "9 a.m." keeps its dot.
            scan.claim("time", start, end - 1 if re.search(r"[^.][ap]m\.$", match.group(), re.IGNORECASE) else end)


def _time_stated(written: str, times: frozenset[tuple[int, int]]) -> bool:
    parts = _TIME_PARTS.match(written)
    if parts is None:
        return True
    hour = int(parts.group("h"))
    minute = int(parts.group("m")) if parts.group("m") else None
    marker = (parts.group("ap") or "").casefold() or parts.group("zh")
    if hour > 23 or (minute is not None and minute > 59):
        return True  # not a clock time
    if marker in ("a", "上午", "早上", "凌晨"):
        hours = {hour % 12}
    elif marker in ("p", "下午", "晚上", "傍晚"):
        hours = {hour % 12 + 12}
    elif marker == "中午":
        hours = {hour if hour >= 11 else hour + 12}
    else:  # "7:29", "7点29分": morning or evening
        hours = {hour, hour + 12} if hour < 12 else {hour, 0} if hour == 12 else {hour}
    return any(h in hours and (minute is None or m == minute) for h, m in times)


def _stated(parsed: tuple[int | None, int | None, int, int | None], dates: frozenset[date]) -> bool:
    year, month, day, weekday = parsed
    return any(
        d.day == day
        and (month is None or d.month == month)
        and (year is None or d.year == year)
        and (weekday is None or d.weekday() == weekday)
        for d in dates
    )


# Words that make a date in their clause the package's delivery date: "Expected delivery: Nov 26", "ETA 11/26",
# "预计11月26日送达". ("Due to weather" is not one.)
_DELIVERY_WORDS = re.compile(
    r"deliver|arriv|expect|estimat|(?<![a-z])(?:eta|due(?!\s+to(?![a-z])))(?![a-z])|送达|到达|预计|签收|派送|"
    + _ARRIVAL + r"|(?:天|日|周|星期|礼拜|小时)(?:之?内|以内|之?后|以后|左右)(?:会|就|能|可|可以|将|才)?到",
    re.IGNORECASE,
)


def _about_delivery(scan: _Scan, start: int, end: int) -> bool:
    """Whether the date at text[start:end] is stated as a delivery date: a delivery word in its clause, no
    condition ("if it hasn't arrived by Nov 26")."""
    clause, _ = _clause(scan.text, start, end)
    return bool(_DELIVERY_WORDS.search(clause)) and not _CONDITION.search(clause)


def _parse_date(match: re.Match[str]) -> tuple[int | None, int | None, int, int | None] | None:
    """Year, month, day and weekday (Monday 0) of a date match, or None when it is not a calendar date."""
    g = match.group
    year: int | None = None
    month: int | None
    if g("od"):
        month, day = None, int(g("od"))
    elif g("iy"):
        year, month, day = int(g("iy")), int(g("im")), int(g("id"))
    elif g("zm"):
        year, month, day = (int(g("zy")) if g("zy") else None), int(g("zm")), int(g("zd"))
    elif g("mm"):
        if g("mm")[:3] == "may":  # the verb, not the month
            return None
        month, day = _MONTHS[g("mm")[:3].casefold()], int(g("md"))
        year = int(g("my")) if g("my") else None
    elif g("dm"):
        month, day = _MONTHS[g("dm")[:3].casefold()], int(g("dd"))
        year = int(g("dy")) if g("dy") else None
    elif g("na"):
        month, day = int(g("na")), int(g("nb"))
        if month > 12:  # 27/11: day first
            month, day = day, month
        if g("ny"):
            year = int(g("ny")) + (2000 if len(g("ny")) == 2 else 0)
    else:
        year, month, day = int(g("ey")), int(g("eb")), int(g("ea"))
    if not 1 <= day <= 31 or (month is not None and not 1 <= month <= 12):
        return None
    named = g("w1") or g("w2") or g("w3")
    return year, month, day, _weekday(named) if named else None


def _weekday(name: str) -> int:
    return _WEEKDAYS_ZH[name[-1]] if name[-1] in _WEEKDAYS_ZH else _WEEKDAYS_EN[name[:3].casefold()]


def _check_amounts(scan: _Scan, facts: Facts) -> None:
    spans: list[tuple[int, int]] = []
    for match in _AMOUNT.finditer(scan.text):
        spans.append(match.span())
        amount = _decimal(match.group("n1") or match.group("n2") or match.group("n3"))
        marker = match.group("pre") or match.group("suf")
        currencies = _currencies(marker) if marker else frozenset()
        if (
            amount is None
            or amount not in facts.amounts
            or (currencies and facts.currencies and not currencies & facts.currencies)
        ):
            scan.claim("amount", *match.span())
    scan.blank(spans)


def _currencies(marker: str) -> frozenset[str]:
    key = marker.upper()
    return _CURRENCY_SETS.get(key) or (frozenset({key}) if _CODE.fullmatch(key) else frozenset())


def _check_carriers(scan: _Scan, facts: Facts) -> None:
    spans: list[tuple[int, int]] = []
    for match in _CARRIER.finditer(scan.text):
        spans.append(match.span())
        name = _carrier_key(match.group())
        written = re.sub(r"[\s_\-.]+", " ", match.group().casefold())
        # "DHL" names the family: it is supported by "DHL eCommerce" as well as by "DHL Express".
        if name not in facts.carriers and not any(f.startswith(written + " ") for f in facts.carriers):
            scan.claim("carrier", *match.span())
    scan.blank(spans)


# "已于周一签收", "原定周二送达": a delivery day that has passed.
_ZH_PAST = re.compile(r"已|了|原定|原本|原计划|本应|本该")


def _check_weekdays(scan: _Scan, facts: Facts) -> None:
    scan.blank([m.span() for m in _WEEKDAY_RANGE.finditer(scan.text)])
    weekdays = {d.weekday() for d in facts.dates}
    stated = {d.weekday() for d in facts.result_dates}
    for match in _WEEKDAY.finditer(scan.text):
        weekday = _weekday(match.group())
        if match.group("zh") and facts.today is not None and _about_delivery(scan, *match.span()):
            if _hedged(scan.text, *match.span()) or _not_about_the_package(scan.text, *match.span()):
                continue  # "周日不派送", "周一能到吗？"
            clause, _ = _clause(scan.text, *match.span())
            if not _ZH_PAST.search(clause):
                # "预计周一送达": like "arrives Monday", a coming delivery day is one of the next two weeks.
                if not any(d.weekday() == weekday and 0 <= (d - facts.today).days < 14 for d in facts.result_dates):
                    scan.claim("date", *match.span())
                continue
        if weekday not in stated and (weekday not in weekdays or _about_delivery(scan, *match.span())):
            scan.claim("date", *match.span())


def _check_ids(scan: _Scan, facts: Facts) -> None:
    text = scan.text
    run: list[tuple[int, int, str, bool]] = []
    for word in _words(text):
        start, _, raw, hashed = word
        joins = (
            run
            and not hashed
            and text[run[-1][1]:start] in (" ", "\u00a0")
            and not _UNIT_WORD.fullmatch(raw)
            and not _UNIT_WORD.fullmatch(run[-1][2])
        )
        if not joins and run:
            _check_run(scan, facts, run)
            run = []
        run.append(word)
    if run:
        _check_run(scan, facts, run)


def _check_run(scan: _Scan, facts: Facts, run: list[tuple[int, int, str, bool]]) -> None:
    """Words with digits separated by single spaces: one identifier written in groups, or separate words."""
    joined = "".join(_norm_id(raw) for _, _, raw, _ in run)
    # "SF 1234 5678 9012 3": the letters were read as a carrier, but they belong to the number.
    prefix = _GROUP_PREFIX.search(scan.source, max(0, run[0][0] - 6), run[0][0])
    if joined in facts.ids or (prefix is not None and prefix.group(1).upper() + joined in facts.ids):
        return
    if len(run) > 2:
        if _is_claim(joined, run[0][3], None):
            scan.claim("id", run[0][0], run[-1][1])
        return
    for start, end, raw, hashed in run:
        norm = _norm_id(raw)
        if norm not in facts.ids and _is_claim(norm, hashed, raw):
            scan.claim("id", start, end)


def _is_claim(norm: str, hashed: bool, raw: str | None) -> bool:
    """Whether a token states an identifier: '#' and digits, 4+ digits, or 5+ characters mixing letters and digits."""
    digits = sum(ch.isdigit() for ch in norm)
    if hashed:
        # "#1042" is an order number, "package #2" is not.
        return digits > 0 and len(norm) >= 3
    if raw is not None:
        if _UNIT_WORD.fullmatch(raw):
            return False
        parts = _DASH.split(raw)
        # "24-hour", "3-5-day", "covid-19": a compound word, not a code; "24-48" (hours): a range.
        if len(parts) > 1 and digits < 4 and all(p.isdigit() or (p.isalpha() and p.islower()) for p in parts):
            return False
        if len(parts) == 2 and all(p.isdigit() and len(p) <= 3 for p in parts):
            return False
    if digits == len(norm) == 4 and 1900 <= int(norm) <= 2100:
        return False
    return digits >= 4 or (len(norm) >= 5 and digits < len(norm))


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
