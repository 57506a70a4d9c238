"""What tool results state (`Facts`, built by walking every result) and the normalising of identifiers, amounts
and carrier names that both the facts and the checks of an answer use.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from tools._transforms import currency_labels, currency_meanings
from tools.carriers import canonical_carrier, carrier_aliases

# Full-width ASCII (１０４２, ＃, ：) to ASCII, one character for one so spans stay valid.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_DASHES = "\\-\u2010\u2011\u2013"
# Words containing a digit, hyphenated ones whole ("ORD-12345").
_WORD = re.compile(
    rf"(?<![A-Za-z0-9])(?=[#A-Za-z0-9])(#\s?)?"
    rf"(?=[A-Za-z0-9{_DASHES}]*\d)([A-Za-z0-9]+(?:[{_DASHES}][A-Za-z0-9]+)*)(?![A-Za-z0-9])"
)
_ID_JUNK = re.compile(rf"[#\s{_DASHES}\u2014_]+")

_ID_KEYS = frozenset({"id", "external_ref_id", "tracking_number", "sku", "postal_code"})
_LETTER_PREFIX = re.compile(r"[A-Z]+(\d+)")

# Currency marks in answers. The labels are the mapping's, from its one table (`tools._transforms`): a label the
# mapping reads as a currency is read here as that currency, a shared sign ("$", "¥", "kr") as any of its currencies.
# Replies also write words no currency field holds, and ISO codes.
_REPLY_WORDS: dict[str, frozenset[str]] = {
    "MX$": frozenset({"MXN"}), "美元": frozenset({"USD"}), "欧元": frozenset({"EUR"}), "英镑": frozenset({"GBP"}),
    "日元": frozenset({"JPY"}), "円": frozenset({"JPY"}), "港元": frozenset({"HKD"}), "港币": frozenset({"HKD"}),
    "块钱": frozenset({"CNY"}), "YUAN": frozenset({"CNY"}),
    "DOLLAR": frozenset({"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "TWD"}),
    "DOLLARS": frozenset({"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "TWD"}),
    # A currency field's "元" is the yuan, but in a sentence it is also the unit of the Hong Kong, Taiwan and Macau
    # dollars ("港币199元", "總計199元" for NT$199).
    "元": frozenset({"HKD", "TWD", "MOP"}),
}
_LABELS = currency_labels()
_CURRENCY_MARKS: dict[str, frozenset[str]] = {
    mark: frozenset(currency_meanings(mark) if mark in _LABELS else ()) | _REPLY_WORDS.get(mark, frozenset())
    for mark in _LABELS | _REPLY_WORDS.keys()
}
"""Each mark (upper-cased) and the ISO 4217 codes it can mean."""
_ISO_CODES = frozenset((
    "USD CAD AUD NZD HKD SGD TWD MXN EUR GBP CNY JPY KRW INR CHF SEK NOK DKK PLN BRL MOP MYR THB PHP IDR VND AED"
).split()).union(*_CURRENCY_MARKS.values())
"""The codes read in answers (in capitals): common ones and those the marks mean. Not all of ISO 4217, where "ALL"
and "TOP" are codes too."""
# "KR" in capitals is Korea's country code ("Seoul, KR 04524"), as `tools._suggest_shapes` reads it; crowns are "kr".
_NOT_IN_CAPITALS = frozenset({"KR"})


def _mark_pattern(marks: Iterable[str]) -> str:
    """Marks as one alternation, longest first; letters in any case ("rmb", "Euros") except `_NOT_IN_CAPITALS`."""
    parts = [
        f"(?-i:{mark.lower()}|{mark.capitalize()})" if mark in _NOT_IN_CAPITALS else re.escape(mark)
        for mark in sorted(marks, key=lambda m: (-len(m), m))
    ]
    return "|".join(parts)


def _prefixed(mark: str) -> bool:
    """Whether a mark is written before the amount as well as after: signs ("$199", "199 €"), codes and short labels
    ("RMB 199", "kr 199"), 人民币 and 港币; words and units only follow it ("199 euros", "199元")."""
    return not mark.isalnum() or (mark.isascii() and len(mark) <= 3) or mark.endswith("币")


_CODES = "|".join(sorted(_ISO_CODES))
_NUM = r"\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d+(?:\.\d+|,\d{1,2}(?!\d))?"
# "1 299 kr", "1 299,00 €": thousands apart by spaces, as Nordic and French amounts are written before their mark.
# Read from the run's first group only, and possessively, so a long run of groups is read once.
_SPACED = r"(?<!\d[ \u00a0\u202f])\d{1,3}(?:[ \u00a0\u202f]\d{3})++(?:[.,]\d{1,2})?(?!\d)"
_PRE = rf"(?-i:{_CODES})|{_mark_pattern(m for m in _CURRENCY_MARKS if _prefixed(m))}"
# A sign followed by a number is that number's ("order 1042 $59.99"), not the one before.
_SUF = (rf"(?:{_mark_pattern(m for m in _CURRENCY_MARKS if not m.isalnum())})(?!\s?\d)"
        rf"|{_mark_pattern(m for m in _CURRENCY_MARKS if m.isalnum())}|(?-i:{_CODES})")
_STARTS = "".join(sorted({re.escape(c) for m in _CURRENCY_MARKS if _prefixed(m) for c in (m[0], m[0].lower())}))
_UNITS = r"kg|g|lbs?|oz|km|mi|miles?|cm|mm|m|in|inch(?:es)?|ft|l|ml|公斤|千克|克|斤|公里|米|厘米|小时|天"
_AMOUNT = re.compile(
    rf"(?<![A-Za-z0-9])(?=(?-i:[\dA-Z{_STARTS}]))(?:(?P<pre>{_PRE})\s?(?P<n1>{_NUM})"
    rf"|(?<![A-Za-z0-9.,])(?P<n2>{_SPACED}|{_NUM})\s?(?P<suf>{_SUF})(?![A-Za-z])"
    # An unmarked number with exactly two decimals ("1299.99") is money in an order chat.
    rf"|(?<![A-Za-z0-9_.,/:])(?P<n3>\d{{1,3}}(?:,\d{{3}})+\.\d{{2}}|\d+\.\d{{2}})(?![\d.%])(?!\s*(?:{_UNITS})(?![a-z])))",
    re.IGNORECASE,
)


def _currencies(marker: str) -> frozenset[str]:
    """The codes a currency mark in an answer can mean: a mark's, or the code itself."""
    key = marker.upper()
    return _CURRENCY_MARKS.get(key) or (frozenset({key}) if key in _ISO_CODES else frozenset())


_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_SPACES = re.compile(r"[ \u00a0\u202f]")

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


def _norm_id(text: str) -> str:
    return _ID_JUNK.sub("", text).upper()


def _carrier_key(name: str) -> str:
    known = canonical_carrier(name)
    return re.sub(r"[\s_\-.]+", " ", (known.name if known else name).strip().casefold())


def _decimal(number: str) -> Decimal | None:
    text = _SPACES.sub("", number.replace("，", ","))
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
    order_states: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Each order's status and the status of each of its packages ("unknown" where a result gives none): a negated
    status ("hasn't shipped") contradicts the results only when no order and no package bears it out."""

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
            order_states=tuple(builder.order_states),
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
        self.order_states: list[tuple[str, tuple[str, ...]]] = []

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
        packages = tuple(_state(shipment) for shipment in view.get("shipments") or [] if isinstance(shipment, dict))
        self.order_states.append((_state(view), packages))
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


def _state(view: dict[str, Any]) -> str:
    status = view.get("status")
    return status.strip().casefold() if isinstance(status, str) and status.strip() else "unknown"


def _money(value: Any) -> Decimal | None:
    if isinstance(value, str):
        return _decimal(value.strip())
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value))
    return None
