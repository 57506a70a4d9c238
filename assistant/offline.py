"""The deterministic responder: answers without a model, through the same tool under the same policy.

Each turn it reads order numbers, reference IDs, emails, phones and postal codes from the shopper's message,
merges them into the conversation's slots, calls `lookup_orders` when the shopper gave something new, and
answers with the templated answers. It is the product when no model is configured and the fallback when the
model fails, so it must never disclose more than the tool returns, nor claim anything the result does not hold.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

import phonenumbers

from assistant._picking import pick
from assistant.answers import STALE_AFTER_DAYS, render_answer, render_message
from assistant.language import detect_language, has_cjk
from assistant.state import Conversation, Slots, ToolCallRecord
from tools.carriers import detect_carrier
from tools.lookup import TOOLS, LookupContext
from tools.phones import to_e164
from tools.sources import EMAIL, normalise_email, normalise_order_id

__all__ = ["OfflineResponder", "Plan", "extract_slots", "lookup", "note_lookup"]

TOOL = "lookup_orders"

Pending = Literal["order_id", "second_factor", "which_order"]

_ID = r"[A-Za-z0-9][A-Za-z0-9-]*"
_REF = re.compile(
    r"(?:(?<![A-Za-z])ref(?:erence)?(?![A-Za-z])(?:\s*(?:number|num|no|id|code)\b\.?)*|参考(?:编号|号码|号))"
    rf"\s*(?:is\s+|是|为)?[:：#＃]?\s*(?P<v>{_ID})",
    re.IGNORECASE,
)
# "order" must be followed by a word that says a number follows, or by the number itself (three digits at least,
# so "an order 2 days ago" is no order number).
_ORDER_EN = re.compile(
    r"(?<![A-Za-z])order(?P<kw>(?:\s*(?:number|num|no|nr|id|code|is|was)\b\.?|\s*[:：])*)\s*"
    rf"(?P<v>[#＃]?\s?{_ID})",
    re.IGNORECASE,
)
_ORDER_ZH = re.compile(rf"订单(?:号码|编号|号)?\s*(?:是|为|:|：|\s)*(?P<v>[#＃]?\s?{_ID})")
# "1018号订单", "我的1018订单": the number before the word (three digits at least, so "3个订单" names none).
_ORDER_ZH_BEFORE = re.compile(r"(?<![A-Za-z0-9-])(?P<v>[#＃]?\s?[A-Za-z0-9-]*\d[A-Za-z0-9-]*)\s*号?\s*订单")
# "the status of 1048": a number of three digits at least ("the status of 2 orders" names none).
_STATUS_OF = re.compile(r"(?<![A-Za-z])status\s+(?:of|for|on)\s+(?P<v>\d{3,}[A-Za-z0-9-]*)", re.IGNORECASE)
_HASH = re.compile(r"(?<![A-Za-z0-9&#＃])(?P<v>[#＃]\s?[A-Za-z0-9-]*\d[A-Za-z0-9-]*)(?![A-Za-z0-9-])"
                   r"(?!\s+(?:in|on|from)\s+(?:the|your|that|this)\s+list)")
""" "#1048"; "#2 in the list" is a place in the list shown (`assistant._picking`)."""
# Codes like ORD-12345 or ORD202505270001 on their own: capitals then four or more digits.
_CODE = re.compile(r"(?<![A-Za-z0-9@./_-])(?P<v>[A-Z]{2,6}-?\d{4,}[A-Z0-9]*)(?![A-Za-z0-9@])")
# Amazon order IDs (114-3941689-8772232): no phone, date or amount has this shape, so it is an order number anywhere.
_AMAZON = re.compile(r"(?<![\w-])(?P<v>\d{3}-\d{7}-\d{7})(?![\w-])")
_S10 = re.compile(r"[A-Z]{2}\d{9}[A-Z]{2}")
"""UPU tracking numbers (LZ123456789US) look like codes but are no order numbers."""

# National shapes with a space come before the plain run, so "D02 X285" and "3511 LX" are read whole.
_POSTAL_VALUE = (
    r"(?P<v>[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"  # UK
    r"|[A-Z]\d[A-Z]\s?\d[A-Z]\d"  # Canada
    r"|(?:[AC-FHKNPRTV-Y]\d\d|D6W)\s?(?=[0-9A-Z]{0,3}\d)[0-9AC-FHKNPRTV-Y]{4}"  # Ireland (Eircode)
    # the Netherlands; "3511 is mine" is no postal code "3511 IS"
    r"|\d{4}\s?(?!(?:is|in|on|at|ok|or|to|so|my|me|it|if|as|be|by|do|no|of|up|us|an|am|we|en|op|te)(?![A-Z]))"
    r"[A-Z]{2}"
    r"|\d{3}\s\d{2}"  # Sweden, Czechia, Slovakia, Greece
    r"|\d{3,6}(?:-\d{3,4})?"  # US ZIP(+4), China, most of Europe
    r"|[A-Z0-9-]*\d[A-Z0-9-]*)"
)
_POSTAL = re.compile(
    r"(?:(?<![A-Za-z])(?:zip(?:\s*code)?|post(?:al)?\s*code|postcode|eircode|postleitzahl|(?-i:PLZ)|code\s+postal"
    r"|postnummer|cep|pincode)(?![A-Za-z])|邮编|邮政编码|郵便番号|郵遞區號|郵政編碼)"
    rf"\s*(?:is\s+|是|为)?[:：#]?\s*{_POSTAL_VALUE}(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_BARE_POSTAL = re.compile(rf"{_POSTAL_VALUE}", re.IGNORECASE)
_CN_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_BARE_TOKEN = re.compile(r"#?\s?[A-Za-z0-9][A-Za-z0-9-]*")
_FILLER = re.compile(
    r"^(?:(?:it'?s|it is|that'?s|that is|my|the|is|是|为)\s+|(?:sorry|oops|actually|i\s+meant?|不好意思|抱歉|不对)"
    r"[\s.,!:，。！：]*)|[\s.,!?;:。，！？；：]+$",
    re.IGNORECASE,
)

# A number right after a correction ("sorry, I meant 1050", "不对，是1018", "no, 1050", "not 1048, 1050", "the
# correct number is 1050") or a follow-up ("what about 1005", "那1035呢", "and 1005?", "can you check 1005") names an
# order even without "order" or "#". "not 1048" and "不是1001" name the order it is not. Once the conversation knows
# an order number, a number after a cue must have its form (see `_Seen`).
_CUE = re.compile(
    r"(?:(?P<fix>(?P<restate>(?<![A-Za-z])i\s+meant?(?![A-Za-z])|我是说|我说的是|应该是)"
    r"|(?<![A-Za-z])(?:sorry|actually|oops|correction|wait|my\s+(?:bad|mistake)|but|rather|no|nope|nah"
    r"|make\s+(?:it|that)|change\s+(?:it|that)\s+to|(?:right|correct|actual|real)\s+(?:order\s+)?(?:number|one|order))"
    r"(?![A-Za-z'])|不对|错了|不好意思|抱歉|对不起|改成|换成|更正|(?:^|(?<=[，,。.!！?？\s]))是"
    r"|(?:(?<![A-Za-z])not\s+|不是\s*)(?P<neg>[#＃]?\s?[A-Za-z0-9-]*\d[A-Za-z0-9-]*)(?=\s*[,，;；]))"
    r"|(?P<ask>(?<![A-Za-z])(?:what\s+about|how\s+about|try|check(?:\s+(?:on|for))?|look\s+(?:up|at|into))"
    r"(?![A-Za-z])|那)"
    r"|(?P<add>(?<![A-Za-z])(?:and(?:\s+also)?|also|plus)(?![A-Za-z])|还有|另外))"
    # one separator at a time: "[…]+" inside the repetition backtracked exponentially over a blanked run
    r"(?:[\s,，:：.。!！~-]|(?:it'?s|(?:it|that)\s+(?:is|was)|that'?s|should\s+be|is|was|the|my|order|number|no)"
    r"(?![A-Za-z])|是|为|订单号?|单号|这个|那个|个|笔)*"
    r"(?P<v>[#＃]?\s?(?=[A-Za-z0-9-]*\d)[A-Za-z0-9][A-Za-z0-9-]*)",
    re.IGNORECASE,
)
_LEAD = re.compile(
    r"(?:^|(?<=[.!?;]\s)|(?<=[!?。！？；]))\s*"
    r"(?:(?:it'?s|it\s+is|it\s+was|that'?s|that\s+is|ok(?:ay)?|oh|so|um+|hmm+|well)(?![A-Za-z'])[\s,.]*)*"
    r"(?P<v>[#＃]?\s?(?=[A-Za-z0-9-]*\d)[A-Za-z0-9][A-Za-z0-9-]*)"
    r"(?P<restate>[\s,.!?？！。]*(?:(?:please|pls|plz|actually|instead|thanks|thank\s+you)(?![A-Za-z])[\s,.!?？！。]*)*$)?",
    re.IGNORECASE,
)
"""A number that begins a message or a sentence ("1126", "1126 please", "It's 1126 actually", "1126 is late") is
read as after a cue: the shopper names the order the conversation is about. One that is all the message says
restates an order number, as "I meant" does (a year of the orders' form is one)."""
_CUE_VALUE = re.compile(r"\d[\d-]*\d|[A-Z]{1,6}-?\d[A-Z0-9-]*")
"""Digits (dashes allowed) or a code in capitals: "300pcs" or "v2" are no order numbers."""
_NOT_AN_ORDER = re.compile(r"(?:19|20)\d\d|\d{4}-\d{1,2}-\d{1,2}")
"""Years and dates, unless the shop's order numbers have their shape."""
_AFTER_OK = frozenset(
    "please pls plz too instead and thanks thank thx my email e-mail phone mobile zip postal postcode post is was "
    "now again also as the it its it's where what has hasn't order i actually right ok okay".split())
"""Words that may follow a number after a cue and leave it an order number ("1050 please", not "300 pegs"). A
preposition, "or", "when" or "then" may not ("1290 with shipping", "1500 or so", "1600 then?"): what the number
is stays open."""
_WITH_DETAILS = re.compile(
    r"(?:with|for)\s+(?:(?:my|the|this|an?)\s+)?(?:email|e-mail|phone|mobile|number|zip|postal|postcode|me|us|please)"
    r"(?![A-Za-z])", re.IGNORECASE)
""" "1050 with my email …", "try 1050 for me": a preposition that leaves the number an order number."""
_MEASURE_AFTER = re.compile(
    r"(?:(?:-|\s*)ish|odd|something|or\s+(?:so|more|less|later|earlier|sooner|after|before|above|below|over|under"
    r"|thereabouts|higher|lower)|give\s+or\s+take|at\s+the\s+(?:latest|earliest|most|least)|tops|max|min"
    r"|(?:with|for|incl(?:uding)?|excl(?:uding)?|plus|before|after)\s+(?:the\s+)?(?:tax|taxes|vat|shipping|delivery"
    r"|postage|handling|fees?|discount|coupon|tip|interest|duties|customs)"
    r"|dollars?|bucks|usd|eur|euros?|gbp|pounds?|quid|cents?|rmb|yuan|cad|aud|yen"
    r"|a\.?m\.?|p\.?m\.?|o'?clock|h|hrs?|hours?|minutes?|mins?|seconds?|secs?|days?|weeks?|months?|years?|yrs?|nights?"
    r"|items?|pcs|pieces?|units?|pairs?|packs?|people|points|times"
    r"|miles?|mi|km|kilomet(?:er|re)s?|met(?:er|re)s?|feet|ft|inch(?:es)?|kgs?|kilos?|lbs?|grams?|g|oz|ml"
    r"|lit(?:er|re)s?|gallons?|mph|kph|watts?|mah|gb|mb|tb)(?![A-Za-z])"
    r"|[A-Z][a-z]+\s+(?:st|street|ave|avenue|rd|road|blvd|boulevard|ln|lane|dr|drive|way|ct|court|pl|place)\b"
    # Chinese units and approximations: "1200多块", "1030左右", "1030前"
    r"|(?:多|余|来块|左右|上下|前后|以[前后内上下]|之[前后内]|前|后)",
    re.IGNORECASE,
)
"""After a number, a unit, an amount or time, an approximation or a street: plainly no order number."""
_MEASURE_BEFORE = re.compile(
    r"(?:(?<![A-Za-z])(?:(?<!what\s)(?<!how\s)about|around|approx(?:imately|\.)?|roughly|nearly|almost|over|under"
    r"|than|(?<!look\s)at|before|after|by|until|till|from|between|since|past"
    r"|apt\.?|apartment|suite|ste\.?|unit|room|rm\.?|floor|flat|gate|door|code|pin|box|building|bldg|house"
    r"|ext(?:ension|\.)?)"
    r"(?:\s+(?:is|was|number|no\.?|#))?|[~≈]|约|大约|大概|差不多|将近|超过|不到|花了|付了|一共|总共|共)\s*$",
    re.IGNORECASE,
)
"""Before a number, an approximation, a time, or a part of an address: plainly no order number."""
_CJK_VERB = re.compile(r"到(?!哪)|送|签收|收到|发出|寄出")
""" "是1030到的", "1430签收的": a time the parcel came, so no order number; whether it is one stays open."""
_STATES = re.compile(r"(?:is|was|has|had|isn't|wasn't|hasn't|'s)(?![A-Za-z'])|是|为", re.IGNORECASE)
"""A verb right after the number makes the sentence about the number ("1500 is too much", "2025是我的邮编")..."""
_ABOUT_AN_ORDER = re.compile(
    r"\s*(?:(?:still|not|never|also|just|yet|been)\s+)*"
    r"(?:(?:late|delayed|missing|lost|stuck|overdue|arrived|here|shipped|delivered|dispatched|come|came|moved"
    r"|updated|(?:shown|showed|turned)\s+up)(?![A-Za-z])"
    r"|(?:my|the|our)\s+(?:(?:right|correct|actual|real|other|new)\s+)?(?:order|one)(?![A-Za-z])"
    r"|(?:right|correct)\s+(?:one|order|number)(?![A-Za-z])|(?:我的)?(?:订单|单号))",
    re.IGNORECASE,
)
""" "...unless what it says is about an order: "1042 is late", "1050 is the right one", "1018是我的订单号"."""
_NOT_THAT_ONE = re.compile(r"not\s+(?P<neg>[#＃]?\s?[A-Za-z0-9-]*\d[A-Za-z0-9-]*)")
"""After the number, "not 1048": the order number it corrects ("sorry, I meant 1003 not 1048")."""
_HAO = re.compile(r"号(?=\s*(?:订单|单)|的?\s*(?:呢|吗|啊|吧)?\s*(?:[,，。.!！?？;；]|$))")
""" "1018号订单", "那个1092号(呢)": 号 after an order number, as Chinese often writes one; "1092号楼" stays a unit."""
_CJK_UNIT = re.compile(r"[件个份台双只条盒包瓶箱天日号月年点分秒元块毛角斤克米岁次人张本]|美元|公斤")

_ORDINAL = re.compile(r"\d{1,3}(?:st|nd|rd|th)", re.IGNORECASE)
""" "2nd", "11th": a place in a list, never an order number."""

_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|hiya|good\s+(?:morning|afternoon|evening)|你好|您好|嗨|哈喽|在吗)(?:\s+there)?[\s!.,！。，~]*$",
    re.IGNORECASE,
)
_THANKS = re.compile(r"\b(?:thanks|thank\s+you|thx|ty|cheers)\b|谢谢|多谢|感谢", re.IGNORECASE)
@dataclass
class _Text:
    """The message with each recognised span blanked out, so one number is never read as two things."""

    text: str

    def take(self, start: int, end: int) -> None:
        self.text = self.text[:start] + " " * (end - start) + self.text[end:]

    def first(self, pattern: re.Pattern[str], ok: Any = None) -> str | None:
        for match in pattern.finditer(self.text):
            value = match.group("v")
            if ok is None or ok(match):
                self.take(*match.span())
                return value
        return None




def _has_digit(value: str) -> bool:
    return any(ch.isdigit() for ch in value)


def _order_ok(match: re.Match[str]) -> bool:
    value = match.group("v").lstrip("#＃ ")
    if not _has_digit(value):
        return False
    keyword = match.groupdict().get("kw")
    # After a bare "order", only a number with three digits or more is taken as one.
    return keyword is None or bool(keyword.strip()) or sum(ch.isdigit() for ch in value) >= 3


def _number_before_ok(match: re.Match[str]) -> bool:
    """ "1018号订单" names order 1018; in "13800138000订单到哪了" the number is the shopper's mobile."""
    return _order_ok(match) and not _CN_MOBILE.fullmatch(match.group("v").lstrip("#＃ "))


def _shape(value: str) -> str:
    """An order number's form with each digit as 9: "#1048" and "1050" share one, "ORD-12345" has another."""
    return re.sub(r"\d", "9", normalise_order_id(value))


@dataclass(frozen=True)
class _Seen:
    """What the conversation holds that a number after a cue is read against."""

    ids: frozenset[str] = frozenset()
    """The order numbers known (normalised): "not 1048, 1003" corrects only an order number the shopper gave."""
    shapes: frozenset[str] = frozenset()
    """The forms (`_shape`) of the order numbers known: once there is one, a number after a cue must have one of
    them ("actually 55401" after #1048 is no order number)."""
    years: bool = False
    """An order number known is itself a year (19xx, 20xx): only then may a year after a cue be an order number."""
    postal_codes: frozenset[str] = frozenset()
    phones: tuple[str, ...] = ()
    """The digits of the phones the shopper gave: a number they end with ("0114") is the phone's end."""

    def naming(self, order_id: str) -> _Seen:
        """With an order number named earlier in the message ("order 1001, sorry, I meant 1018")."""
        value = normalise_order_id(order_id)
        return replace(self, ids=self.ids | {value}, shapes=self.shapes | {_shape(value)},
                       years=self.years or bool(_NOT_AN_ORDER.fullmatch(value)))

    @classmethod
    def of(cls, known: Sequence[str], given: Sequence[str]) -> _Seen:
        ids = [normalise_order_id(k) for k in known if k]
        return cls(frozenset(ids), frozenset(_shape(i) for i in ids), any(_NOT_AN_ORDER.fullmatch(i) for i in ids),
                   frozenset(_postal(g) for g in given if g),
                   tuple(d for g in given if len(d := re.sub(r"\D", "", g or "")) >= 7))


def _something_else(match: re.Match[str], text: str, seen: _Seen) -> bool:
    """The number `match` holds is plainly no order number: a price, a measure, a time, a date, a year, the first
    group of a spaced number, the postal code or phone the shopper gave, or the subject of a sentence about
    something else ("1500 is too much")."""
    value = match.group("v").lstrip("#＃ ")
    start, end = match.span("v")
    if text[start - 1:start] in ("$", "€", "£", "¥", "￥"):
        return True
    after = text[end:]
    # 150.00, 11/20, 10:30, 30%, and the first group of a spaced number ("415 555 0199", "SW1A 1AA")
    if re.match(r"[.,:/]\d|\s*[%％]|\s[A-Za-z]?\d", after):
        return True
    rest = after.lstrip()
    if (verb := _STATES.match(rest)) and not _ABOUT_AN_ORDER.match(rest, verb.end()):
        return True  # "but 1500 is too much", "actually 0114 is the end of my phone", "1030 is when…"
    if (_CJK_UNIT.match(rest) and not _HAO.match(rest)) or _MEASURE_AFTER.match(rest):
        return True
    if _MEASURE_BEFORE.search(text[max(0, match.start("v") - 24):match.start("v")]):
        return True
    digits = value.replace("-", "")
    if _postal(value) in seen.postal_codes or (digits.isdigit() and any(p.endswith(digits) for p in seen.phones)):
        return True  # the postal code or (the end of) the phone the shopper gave
    # a year or a date, unless order numbers look like years or it restates one ("I meant 2001" after 1042)
    return bool(_NOT_AN_ORDER.fullmatch(value)) and not (
        seen.years or (match.groupdict().get("restate") is not None and _shape(value) in seen.shapes))


def _cue_order(match: re.Match[str], text: str, region: str | None, seen: _Seen) -> bool:
    """The number after a cue is an order number: it looks like one, and nothing makes it a quantity, price,
    year, date, phone, postal code, or the subject of a sentence about something else. Once an order number is
    known, it has that order number's form: a wrong order number costs the shopper a failed attempt, a missed
    one only a question."""
    value = match.group("v").lstrip("#＃ ")
    if sum(ch.isdigit() for ch in value) < 3 or _something_else(match, text, seen):
        return False
    rest = text[match.end("v"):].lstrip()
    word = re.match(r"[A-Za-z'-]+", rest)
    negated = match.groupdict().get("neg") or ((not_that := _NOT_THAT_ONE.match(rest)) and not_that.group("neg"))
    if negated and normalise_order_id(negated) not in seen.ids:
        return False  # "not 1500, 1200": what it corrects is no order number the conversation knows
    if word and word.group().lower() not in _AFTER_OK and not negated and not _WITH_DETAILS.match(rest):
        return False
    if _CJK_VERB.match(rest):
        return False
    if match.groupdict().get("add"):
        before = re.search(r"[A-Za-z0-9-]+(?=[\s,，]*$)", text[:match.start()])
        if before and _shape(before.group()) == _shape(value):
            return False  # "in 2024 and 2025": a list of like numbers, the first not read as an order either
    if seen.shapes:
        return _shape(value) in seen.shapes
    if not _CUE_VALUE.fullmatch(value):
        return False
    digits = value.replace("-", "")
    return not (digits.isdigit() and len(digits) >= 7 and (
            len(digits) > 20 or _CN_MOBILE.fullmatch(digits) or _dashed_phone(value, region)
            or any(m.start == 0 and m.end == len(value)
                   for m in phonenumbers.PhoneNumberMatcher(value, (region or "ZZ").upper()))
            or (len(digits) >= 10 and detect_carrier(digits))))  # a phone or a tracking number


def _cue_orders(rest: _Text, region: str | None, seen: _Seen, named: str | None, lead: bool = True) -> str | None:
    """The order number a correction or follow-up gives: the last one after a correction, else (when the
    message names no other order) the first after a follow-up or at the start of a sentence (`lead`). Every
    number read this way is taken from `rest`."""
    if named:
        seen = seen.naming(named)
    found = [m for m in _CUE.finditer(rest.text) if _cue_order(m, rest.text, region, seen)]
    if lead:
        cued = {m.span("v") for m in found}
        found += [m for m in _LEAD.finditer(rest.text)
                  if m.span("v") not in cued and _cue_order(m, rest.text, region, seen)]
        found.sort(key=lambda m: m.start("v"))
    for match in found:
        rest.take(*match.span("v"))
    fixes = [m for m in found if m.groupdict().get("fix")]
    chosen = fixes[-1] if fixes else None if named or not found else found[0]
    return re.sub(r"^[#＃]\s?", "#", chosen.group("v")) if chosen else None


_NUMBER = re.compile(r"(?<![A-Za-z0-9-])(?P<v>[#＃]?\s?[A-Za-z0-9-]*\d[A-Za-z0-9-]*)")
_NOT_BEFORE = re.compile(r"(?:(?<![A-Za-z])not|不是)\s*$", re.IGNORECASE)


def _unread(text: str, seen: _Seen, current: Sequence[str]) -> list[str]:
    """Numbers of the form of the orders known that nothing read and nothing plainly makes something else: the
    shopper may mean another order, so the last answer must not stand for this one. The order the conversation is
    about (`current`) and a number the shopper says it is not ("not 1048") are no other order."""
    if not seen.shapes:
        return []
    mine = {normalise_order_id(c) for c in current}
    return [value for m in _NUMBER.finditer(text)
            if _shape(value := m.group("v").lstrip("#＃ ")) in seen.shapes and normalise_order_id(value) not in mine
            and not _NOT_BEFORE.search(text[max(0, m.start() - 12):m.start()]) and not _something_else(m, text, seen)]


def _phone(text: _Text, region: str | None) -> str | None:
    if sum(ch.isdigit() for ch in text.text) < 7:
        return None  # no phone the lookup could match (it needs at least the last seven digits)
    if has_cjk(text.text):
        # A Chinese message's 11-digit 1xx number is a Chinese mobile, even where it also reads as a US number.
        for cn in _CN_MOBILE.finditer(text.text):
            text.take(*cn.span())
            return "+86" + "".join(cn.groups())
    for match in phonenumbers.PhoneNumberMatcher(text.text, (region or "ZZ").upper()):
        text.take(match.start, match.end)
        raw = match.raw_string.strip()
        if (region or "").upper() != "CN" and raw[:1] == "1" and _CN_MOBILE.fullmatch(raw):
            # "15028889999" is a US number and a Chinese mobile alike: the digits go to the tool, which tries both.
            return re.sub(r"\D", "", raw)
        return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    # Chinese mobiles are written without +86; read them as such whatever the merchant's region.
    for cn in _CN_MOBILE.finditer(text.text):
        text.take(*cn.span())
        return "+86" + "".join(cn.groups())
    # The metadata calls some numbers shoppers do have invalid (new ranges, the UK's 07700 900xxx), and the lookup
    # tool accepts any possible number; one written with a country code or a trunk prefix is taken when possible.
    # A leading 0 is a trunk prefix only where the region dials one ("0612 34 56 78" is no US number).
    possible = phonenumbers.Leniency.POSSIBLE
    prefixes = ("+", "0") if _trunk_zero(region) else ("+",)
    for match in phonenumbers.PhoneNumberMatcher(text.text, (region or "ZZ").upper(), leniency=possible):
        if match.raw_string.startswith(prefixes) and sum(ch.isdigit() for ch in match.raw_string) >= 10:
            text.take(match.start, match.end)
            return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    # A number called a phone but written as in another country ("0113 496 0000" or "612 34 56 78" to a US store)
    # goes to the tool as written: it reads it in the order's own country.
    for cued in _CUED_PHONE.finditer(text.text):
        if 8 <= sum(ch.isdigit() for ch in cued.group("v")) <= 15:
            text.take(*cued.span("v"))
            return cued.group("v")
    return None


_CUED_PHONE = re.compile(
    r"(?:(?<![A-Za-z])(?:(?:cell|mobile|tele)?[\s-]?phone|mobile|cell|tel)(?![A-Za-z])|电话|手机)"
    r"[^\d+]{0,15}(?<![\d+])(?P<v>\d[\d ().-]{6,24}\d)(?!\d)",
    re.IGNORECASE,
)
"""After "phone", "mobile", "tel", 电话 or 手机: a run of 8 to 15 digits, spaced or dashed as the shopper wrote it."""


def _trunk_zero(region: str | None) -> bool:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region((region or "").upper())
    return metadata is not None and metadata.national_prefix == "0"


def _dashed_phone(token: str, region: str | None) -> bool:
    """ "415-555-0199" is a phone even where an order number was asked for; "1042" or "ORD-1" are not."""
    if "-" not in token or not re.fullmatch(r"[\d-]+", token):
        return False
    return any(m.start == 0 and m.end == len(token)
               for m in phonenumbers.PhoneNumberMatcher(token, (region or "ZZ").upper()))


def _bare(text: str) -> str:
    previous = None
    while previous != text:
        previous, text = text, _FILLER.sub("", text.strip())
    return text


def extract_slots(text: str, region: str | None = None, pending: str | None = None, *,
                  known: Sequence[str] = (), given: Sequence[str] = ()) -> dict[str, str]:
    """Order number, reference ID, email, phone (E.164) and postal code found in one message.

    `pending` is what the last reply asked for: a bare token is an order number when it asked for one
    ("order_id" or "which_order"), a bare postal code when it asked for a second factor ("second_factor").
    `known` are the order numbers the conversation already holds: a number of their shape after a correction or
    a follow-up ("sorry, I meant 1050") is an order number even where it could be a postal code, and one of
    another form is not. `given` are the postal codes and phones the shopper gave: a number after a cue equal to
    one (or a phone's end) is not an order number.
    """
    return _read(text, region, pending, known=known, given=given)[0]


def _read(text: str, region: str | None = None, pending: str | None = None, *, known: Sequence[str] = (),
          given: Sequence[str] = (), current: Sequence[str] = ()) -> tuple[dict[str, str], list[str]]:
    """`extract_slots`, and the numbers of the orders' form it left unread (see `_unread`)."""
    # Full-width digits, letters and signs (＃１０４８, common in Chinese input) read as their ASCII forms.
    rest = _Text(unicodedata.normalize("NFKC", text))
    out: dict[str, str] = {}
    for match in EMAIL.finditer(rest.text):
        out.setdefault("email", match.group(0))
        rest.take(*match.span())
    if ref := rest.first(_REF, lambda m: _has_digit(m.group("v"))):
        out["ref_id"] = ref
    if postal := rest.first(_POSTAL, lambda m: _has_digit(m.group("v"))):
        out["postal_code"] = postal.upper()
    for pattern in (_ORDER_EN, _ORDER_ZH, _ORDER_ZH_BEFORE, _HASH, _STATUS_OF, _AMAZON):
        if order := rest.first(pattern, _order_ok if pattern is not _ORDER_ZH_BEFORE else _number_before_ok):
            out["order_id"] = re.sub(r"^[#＃]\s?", "#", order)
            break
    else:
        if code := rest.first(_CODE, lambda m: not _S10.fullmatch(m.group("v"))):
            out["order_id"] = code
    seen = _Seen.of(known, given)
    # A number leading a message is read as after a cue (`_LEAD`), but a bare number while a postal code is asked
    # for is the postal code (read below).
    # With no order known, only where an order number was asked for.
    lead = bool(seen.shapes) or pending in ("order_id", "which_order")
    lead = lead and not (pending == "second_factor" and _BARE_POSTAL.fullmatch(_bare(rest.text)))
    if cued := _cue_orders(rest, region, seen, named=out.get("order_id") or out.get("ref_id"), lead=lead):
        out["order_id"] = cued
    bare = _bare(rest.text)
    if pending in ("order_id", "which_order") and "order_id" not in out and "ref_id" not in out:
        # A bare run of digits answers "what is your order number?" even when it could be dialled.
        if (_BARE_TOKEN.fullmatch(bare) and _has_digit(bare) and len(bare) <= 40 and not _dashed_phone(bare, region)
                and not _ORDINAL.fullmatch(bare)):
            out["order_id"] = bare.replace(" ", "")
            rest.take(0, len(rest.text))
    if phone := _phone(rest, region):
        out["phone"] = phone
    if pending == "second_factor" and "postal_code" not in out:
        bare = _bare(rest.text)
        if bare and _BARE_POSTAL.fullmatch(bare) and _has_digit(bare):
            out["postal_code"] = bare.upper()
            rest.take(0, len(rest.text))
    return out, _unread(rest.text, seen, current)


def _postal(value: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


def _same(key: str, old: str | None, new: str, region: str | None) -> bool:
    if old is None:
        return False
    if key in ("order_id", "ref_id"):
        return normalise_order_id(old) == normalise_order_id(new)
    if key == "email":
        return normalise_email(old) == normalise_email(new)
    if key == "phone":
        return to_e164(old, region) == to_e164(new, region)
    return _postal(old) == _postal(new)


def merge_slots(slots: Slots, found: dict[str, str], region: str | None = None) -> bool:
    """Merge what a message gave into `slots`; True when anything changed.

    A new order number replaces the old one (and a reference ID, the other key) but keeps the email, phone and
    postal code: shoppers asking about a second order mostly used the same details, and the tool decides.
    """
    changed = False
    for key in ("order_id", "ref_id", "email", "phone", "postal_code"):
        value = found.get(key)
        if not value or _same(key, getattr(slots, key), value, region):
            continue
        setattr(slots, key, value)
        if key == "order_id":
            slots.ref_id = None
        elif key == "ref_id":
            slots.order_id = None
        changed = True
    return changed


def _arguments(slots: Slots) -> dict[str, str]:
    keys: tuple[str, ...] = ("email", "phone")
    if slots.order_id or slots.ref_id:
        keys = ("order_id", "ref_id", "email", "phone", "postal_code")
    return {k: v for k in keys if (v := getattr(slots, k))}


def _pending(result: dict[str, Any]) -> Pending | None:
    kind = result.get("result")
    if kind == "verification_needed":
        return "order_id" if "order_id" in (result.get("ask_for") or []) else "second_factor"
    if kind == "found":
        return "which_order" if len(result.get("orders") or []) > 1 else None
    if kind in ("not_found", "invalid_arguments"):
        return "order_id"
    return None


def _listed_orders(conversation: Conversation) -> tuple[list[str], int]:
    """The order numbers of the last list the shopper was asked to choose from, most recent first, and how many
    (older) orders it left out."""
    for result in reversed(conversation.tool_results):
        if result.get("result") == "found":
            more = result.get("more")
            return ([str(o["id"]) for o in result.get("orders") or [] if isinstance(o, dict) and o.get("id")],
                    more if isinstance(more, int) and not isinstance(more, bool) else 0)
    return [], 0


def _small_talk(text: str) -> str | None:
    if _GREETING.match(text):
        return "greeting"
    if _THANKS.search(text) and len(text.split()) <= 6 and len(text) <= 40:
        return "thanks"
    return None


@dataclass
class Plan:
    """What a shopper's message leads to before any answer is written."""

    lookup: dict[str, Any]
    """The `lookup_orders` arguments to call with this turn; empty when there is nothing new to look up."""
    talk: str | None
    """"greeting" or "thanks" when the message is only that; "oldest_not_listed" or "not_listed" when it picks a
    place the list shown does not hold, "which_order_number" when it holds a number like the orders' that was not
    read as one (the reply asks for the order number)."""
    changed: bool
    """The message gave something new (a slot changed)."""


def note_lookup(slots: Slots, arguments: dict[str, Any], result: dict[str, Any], region: str | None) -> None:
    """A lookup the model made itself: its keys join the slots and its result sets what the reply asks for, so the
    next message is read (and its lookup made) knowing what the model already asked the tool."""
    if result.get("result") == "invalid_arguments":
        return
    merge_slots(slots, {k: v for k, v in arguments.items() if k in _SLOT_KEYS and isinstance(v, str) and v}, region)
    slots.pending = _pending(result)


_SLOT_KEYS = ("order_id", "ref_id", "email", "phone", "postal_code")


def lookup(ctx: LookupContext, arguments: dict[str, Any], slots: Slots) -> ToolCallRecord:
    """Call `lookup_orders`; the slots' `pending` becomes what its result asks the shopper for."""
    result = TOOLS[TOOL].call(ctx, arguments)
    slots.pending = _pending(result)
    return ToolCallRecord(name=TOOL, arguments=arguments, result=result)


class OfflineResponder:
    """Answers a turn without a model: slot filling, one `lookup_orders` call when there is something new,
    and a templated answer."""

    def __init__(self, *, stale_after_days: int = STALE_AFTER_DAYS) -> None:
        self.stale_after_days = stale_after_days

    def plan(self, conversation: Conversation, text: str, ctx: LookupContext) -> Plan:
        """Read the message into the conversation's slots and decide the turn's lookup (the same decision the
        agent uses to fetch the lookup before the model's first call)."""
        slots = conversation.slots
        region = ctx.merchant.default_region
        pending = slots.pending or (None if (slots.order_id or slots.ref_id) else "order_id")
        listed, more = _listed_orders(conversation)
        known = [k for k in (slots.order_id, slots.ref_id, conversation.order_hint, *listed) if k]
        given = [g for g in (slots.postal_code, slots.phone, conversation.session.verified_phone) if g]
        found, unread = _read(text, region, pending, known=known, given=given,
                              current=[c for c in (slots.order_id, slots.ref_id) if c])
        unlisted: str | None = None
        if slots.pending == "which_order" and "order_id" not in found:
            chosen = pick(text, listed, more)
            if chosen.order_id:
                found["order_id"] = chosen.order_id
            unlisted = chosen.unlisted
        changed = merge_slots(slots, found, region)
        if unread and not (found.get("order_id") or found.get("ref_id")):
            # A number like the orders' that was not read may name another order: ask, rather than answer about
            # this one again or look up a guess (a wrong order number costs the shopper a failed attempt).
            return Plan({}, "which_order_number", changed)
        if not (slots.order_id or slots.ref_id) and conversation.order_hint:
            # The widget's order is where the shopper is looking; it is looked up like a typed order number.
            slots.order_id = conversation.order_hint
            changed = True
        talk = unlisted or (None if found else _small_talk(text))
        arguments: dict[str, Any] = _arguments(slots)
        session = conversation.session
        if not arguments and not talk and not conversation.tool_results and (
            session.verified_email or session.verified_phone
        ):
            # A signed-in shopper asking about "my order" without a number: their own orders.
            arguments, changed = {"signed_in": True}, True
        return Plan(arguments if changed else {}, talk, changed)

    def respond(
        self, conversation: Conversation, text: str, ctx: LookupContext, now: datetime
    ) -> tuple[str, list[ToolCallRecord]]:
        conversation.language = detect_language(text, conversation.language)
        language = conversation.language
        slots = conversation.slots
        plan = self.plan(conversation, text, ctx)
        calls: list[ToolCallRecord] = []
        if plan.lookup:
            call = lookup(ctx, plan.lookup, slots)
            calls.append(call)
            conversation.tool_results.append(call.result)
            answer = self._answer([call.result], language, ctx, now)
        elif plan.talk:
            answer = render_message(plan.talk, language=language)
            if plan.talk == "greeting" and not conversation.tool_results:
                slots.pending = "order_id"
            elif plan.talk == "which_order_number" and slots.pending != "which_order":
                slots.pending = "order_id"
        elif plan.changed:
            # Only a postal code: it confirms an order number, so ask for one.
            slots.pending = "order_id"
            answer = render_message("need_order_id", language=language)
        elif conversation.tool_results:
            # Nothing new (a question about the same order, or details already found not to match): the last
            # result still answers it, and the tool is not asked the same thing twice.
            answer = self._answer(conversation.tool_results, language, ctx, now)
        else:
            slots.pending = "order_id"
            answer = render_message("greeting", language=language)
        conversation.messages.append({"role": "user", "content": text})
        conversation.messages.append({"role": "assistant", "content": answer})
        return answer, calls

    def _answer(self, results: list[dict[str, Any]], language: str, ctx: LookupContext, now: datetime) -> str:
        return render_answer(results, language=language, merchant=ctx.merchant, now=now,
                             stale_after_days=self.stale_after_days)
