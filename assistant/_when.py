"""Date claims: calendar dates, weekdays, days of the month, "today"/"tomorrow" and spans ("in 3-5 days"), checked
against the days of the results.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, timedelta

from assistant._facts import Facts
from assistant._scan import (
    _CONDITION,
    _NEGATED,
    _SOMEONES_ACTION,
    _clause,
    _hedged,
    _not_about_the_package,
    _part,
    _Parts,
    _Scan,
)
from assistant._spans import day_of_month, find_spans

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


# "It won't arrive until Friday", "not before Nov 30", "no earlier than tomorrow": a negation with the day it will come.
_UNTIL_EN = re.compile(
    r"(?<![a-z])(?P<cue>until|till|(?<=['’])til|before|(?P<than>(?:no|not)\s+(?:earlier|sooner)\s+than))\s+",
    re.IGNORECASE,
)
# "要到明天才能送达", "周五之前不会到", "下周一才到": the day before 才 or 之前.
_UNTIL_ZH = re.compile(
    r"(?P<when>(?:\d{4}\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*[日号號]?|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|(?:下下?|本|这|這)?(?:个|個)?(?:周|星期|礼拜|禮拜)[一二三四五六日天]|后天|明天|今天|今晚|明日|今日|(?<![\d月])\d{1,2}\s*[号號])"
    r"\s*(?:(?:上午|下午|晚上|早上|中午|傍晚|凌晨|左右)\s*)?(?:\d{1,2}\s*[点點时時](?:\s*\d{1,2}\s*分)?\s*)?"
    r"(?P<cue>才|之前|以前|前)"
)
_WHEN_EN = re.compile(
    rf"(?:(?:this|next|the\s+coming)\s+)?{_WD_EN}|the\s+\d{{1,2}}(?:st|nd|rd|th)(?![a-z])", re.IGNORECASE
)
# Arriving, said of the package or of the shopper getting it: "you won't get it until Friday", "不会送达".
_ARRIVING = re.compile(
    r"arriv|deliver|(?<![a-z])(?:be\s+here|show\s+up|(?:get|receive)\s+(?:it|them|the\s+(?:package|parcel|order)"
    r"|your\s+(?:package|parcel|order)))(?![a-z])|送达|送到|到达|到货|签收|派送|收到|寄到|到(?!现在|目前|此|这|那|今|期)|"
    + _ARRIVAL,
    re.IGNORECASE,
)
# "It's not expected until Friday" is its arrival, "we don't expect to ship it until Monday" is not.
_EXPECTED = re.compile(r"expect|estimat|(?<![a-z])(?:eta|due)(?![a-z])|预计", re.IGNORECASE)
_OTHER_EVENT = re.compile(
    r"(?<![a-z])(?:ship(?:s|ped|ping)?|dispatch\w*|process\w*|pa(?:y|id|yment)|refund\w*|return\w*|restock\w*"
    r"|update\w*|scan\w*|charg\w*|cancel\w*|pick\w*)(?![a-z])|发货|发出|寄出|退款|退货|付款|更新|揽收",
    re.IGNORECASE,
)
# A condition, a promise not made or the shopper's own words: "if it hasn't arrived by Friday", "I can't promise it
# before Friday", "you mentioned it won't arrive until Monday".
_NOT_STATED = re.compile(
    r"(?<![a-z])(?:if|unless|when|whenever|once|in\s+case|whether|as\s+soon\s+as|promise|guarantee|sure|certain"
    r"|say|know|tell|confirm|predict|understand|according\s+to\s+you|(?:you|customer|shopper)\s+(?:said|say|says"
    r"|mentioned|mention|reported|report|told|wrote|noted|think|believe))(?![a-z])"
    r"|如果|如有|若|一旦|的话|假如|万一|要是|是否|能否|保证|确定|承诺|确认|您说|你说|您提到|你提到|您反馈|您表示",
    re.IGNORECASE,
)
# "It wasn't delivered before Friday" does not say when it was.
_PAST_NEGATION = re.compile(r"(?<![a-z])(?:was|were|did|had)(?:n['’]t|\s+not)(?![a-z])", re.IGNORECASE)
# What we or the shopper may do ("we can't ship until Monday", "you can't return it until it's delivered"): policy.
_OURS = re.compile(r"(?<![a-z])(?:we|you|i|our)(?![a-z])|我们|您|你|我", re.IGNORECASE)
_ENDS = ".!?。！？\n"


def _check_until(scan: _Scan, facts: Facts) -> None:
    """The day a negation says the package comes ("it won't arrive until Friday", "not before Nov 30", "要到明天才能
    送达", "周五之前不会到") is its delivery: an estimate or a delivery in the results on that day. The same words
    about what we or the shopper may do ("we can't ship until Monday") are policy, no date of the package."""
    text = scan.text
    lowered = text.casefold()
    english = any(cue in lowered for cue in ("til", "before", "than"))
    if facts.today is None or not (english or "才" in text or "前" in text):
        return
    parts = _Parts(text)
    # The day's span, the part of the clause it is in, whether that part is about its arrival (None: read it) and
    # whether it looks back ("it wasn't delivered until Monday").
    found: list[tuple[int, int, int, int, bool | None, bool]] = []
    for match in _UNTIL_EN.finditer(text) if english else ():
        end = _day_after(text, match.end())
        if end is None:
            continue
        i, j = parts.part(match.start(), end)
        if not (match.group("than") or parts.before(_NEGATED, i, j, match.start())):
            continue
        back = parts.before(_PAST_NEGATION, i, j, match.start())
        if back and match.group("cue").casefold() == "before":
            continue
        found.append((match.end(), end, i, j, None, back))
    for match in _UNTIL_ZH.finditer(text) if "才" in text or "前" in text else ():
        i, j = parts.part(match.start(), match.end())
        after = text[match.end():min(j, match.end() + 20)]  # "之前您都不会收到": the verb comes soon
        if match.group("cue") == "才":  # "才能送达", "才可以为您送到"
            arriving = _ARRIVING.match(after.lstrip("要会能可以将有望为您你给")) is not None
        elif parts.first(_NEGATED, i, j) is not None:
            arriving = _ARRIVING.search(after) is not None
        else:
            continue  # "周五之前送达" is "by Friday"
        arrival = arriving and not _OTHER_EVENT.search(after)
        found.append((*match.span("when"), i, j, arrival, parts.first(_ZH_PAST, i, j) is not None))
    spans: list[tuple[int, int]] = []
    about: dict[tuple[int, int], bool] = {}  # whether each part is about the arrival
    delivered: dict[tuple[str, bool], bool] = {}  # whether each day written is a delivery day
    for start, end, i, j, about_arrival, back in sorted(found):
        if spans and start < spans[-1][1]:
            continue  # read already
        clause_end = parts.clause(start, end)[1]
        if text[clause_end:clause_end + 1] in ("?", "？") or parts.first(_NOT_STATED, i, j):
            continue  # "Won't it arrive until Monday?", "if it hasn't arrived by Friday"
        if parts.first(_SOMEONES_ACTION, i, j):
            spans.append((start, end))  # "you can't contact FedEx about the delivery until Monday"
            continue
        if about_arrival is None:
            if (i, j) not in about:
                about[i, j] = _about_arrival(text, parts, i, j)
            about_arrival = about[i, j]
        if not about_arrival:
            if parts.before(_OURS, i, j, start):
                spans.append((start, end))  # "we can't ship until Monday": store policy
            continue
        spans.append((start, end))
        when = (text[start:end], back)
        if when not in delivered:
            delivered[when] = _on_a_delivery_day(*when, facts.today, facts.delivery_dates)
        if not delivered[when]:
            scan.claim("date", start, end)
    scan.days.extend(spans)
    scan.blank(spans)


def _day_after(text: str, pos: int) -> int | None:
    """Where the day written at text[pos:] ends ("Friday, Nov 27", "tomorrow", "next Friday", "the 30th")."""
    for pattern in (_DATE, _RELATIVE_DAY, _WHEN_EN):
        match = pattern.match(text, pos)
        if match is not None:
            return match.end()
    return None


def _about_arrival(text: str, parts: _Parts, i: int, j: int) -> bool:
    """Whether the part text[i:j] is about the package arriving. A part without a verb ("not until Friday", "and
    won't until Friday") is about what its sentence, or the one before, says ("Will it arrive today? Not until
    Friday."), in the last 200 characters."""
    said = text[i:j]
    if not (_ARRIVING.search(said) or _EXPECTED.search(said) or _OTHER_EVENT.search(said)):
        start = parts.sentence_start(i)
        if not text[start:i].strip(" \t*_-–—,，"):
            previous = start - 1
            while previous > 0 and text[previous - 1] in _ENDS + " \t":
                previous -= 1
            start = parts.sentence_start(max(previous, 0))
        said = text[max(start, i - 200):j]
    return bool(_ARRIVING.search(said) or _EXPECTED.search(said)) and not _OTHER_EVENT.search(said)


def _on_a_delivery_day(when: str, back: bool, today: date, days: frozenset[date]) -> bool:
    """Whether `when` ("tomorrow", "Friday", "Nov 30", "the 30th", "下周一", "30号") is one of the delivery `days`:
    a weekday alone one of the next two weeks, or of the last two when it looks `back`."""
    word = re.sub(r"\s+", " ", when.casefold())
    if word in _RELATIVE_OFFSET:
        return today + timedelta(days=_RELATIVE_OFFSET[word]) in days
    if (match := _DATE.fullmatch(when)) is not None and (parsed := _parse_date(match)) is not None:
        return _stated(parsed, days)
    if spans := find_spans(when, today):  # "下周一", "本周五"
        return any(spans[0].first <= d <= spans[0].last for d in days)
    if (weekday := _WEEKDAY.search(when)) is not None:
        return any(d.weekday() == _weekday(weekday.group()) and 0 <= (today - d if back else d - today).days < 14
                   for d in days)
    if (number := re.search(r"\d{1,2}", when)) is not None:  # "the 30th", "30号"
        return day_of_month(today, int(number.group()), past=back) in days
    return True


def _parcel_sentences(text: str) -> Callable[[int], bool]:
    """Whether the sentence at an index speaks of the package, each sentence found by bisection and searched once
    (`_Parts`): an answer of one long sentence with many day words ("today today ...") would otherwise be searched
    whole for each of them."""
    parts = _Parts(text)

    def about(index: int) -> bool:
        bounds = parts.sentence(index)
        return bounds is not None and parts.first(_PARCEL_WORDS, *bounds) is not None

    return about


def _check_relative_days(scan: _Scan, facts: Facts) -> None:
    if facts.today is None:
        return
    spans: list[tuple[int, int]] = []
    lowered = scan.text.casefold()
    if not any(key in lowered for key in ("today", "tomorrow", "yesterday", "tonight", "天", "日", "今晚")):
        return
    about_parcel = _parcel_sentences(scan.text)
    for match in _RELATIVE_DAY.finditer(scan.text):
        if not about_parcel(match.start()) or _AS_OF.search(
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


def _check_spans(scan: _Scan, facts: Facts) -> None:
    """A span about the package's delivery ("in 3-5 days", "this weekend", "预计下周一送达") needs an estimate or a
    delivery in the results on one of its days; about something else that happens to it ("ships within 2 days"),
    any date of the results. With no estimate, any delivery span is a claim."""
    if facts.today is None:
        return
    today = facts.today
    text = scan.text
    spans = find_spans(text, today)
    about_parcel = _parcel_sentences(text)
    for span in spans:
        start, end = span.start, span.end
        if not about_parcel(start) or _hedged(text, start, end):
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
    about_parcel = _parcel_sentences(scan.text)
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
        if not any(d is not None and (d in facts.result_dates or _lenient(
                d in facts.dates, d == facts.today - timedelta(days=1), scan, match, about_parcel)) for d in days):
            scan.claim("date", *match.span())


def _lenient(near_today: bool, yesterday: bool, scan: _Scan, match: re.Match[str],
             about_parcel: Callable[[int], bool]) -> bool:
    """Whether a date no result holds may still be said: today and the days either side are facts ("today is
    Wednesday, Nov 25"), but never as the day it is delivered, and yesterday not in a statement about the package:
    "it was delivered, on Nov 24" or "latest update: Nov 24" must be a result's day."""
    if not near_today or _about_delivery(scan, *match.span()):
        return False
    return not yesterday or not about_parcel(match.start()) or _hedged(scan.text, *match.span())


def _yesterday(facts: Facts) -> frozenset[date]:
    return frozenset() if facts.today is None else frozenset({facts.today - timedelta(days=1)})


def _impossible(match: re.Match[str]) -> bool:
    """A month and day written as a date that no calendar has ("Nov 31", "8月32日", "2026-02-30")."""
    g = match.group
    for month_group, day_group in (("zm", "zd"), ("iy", "id"), ("mm", "md"), ("dm", "dd")):
        if not g(day_group) or (month_group == "mm" and g("mm")[:3].casefold() == "may"):
            continue
        if month_group in ("zm", "iy"):
            month = int(g("zm") if month_group == "zm" else g("im"))
        else:
            month = _MONTHS[g(month_group)[:3].casefold()]
        day = int(g(day_group))
        if not 1 <= month <= 12:
            return True
        return day < 1 or day > calendar.monthrange(2024, month)[1]  # a leap year: Feb 29 may be real
    return False


def _past(text: str) -> bool:
    """Whether `text` is in the past tense: "it shipped on the 14th", "should have arrived in 3 days"."""
    return bool(_PAST_DUE.search(text)) or (bool(_PAST_TENSE.search(text)) and not _FUTURE_TENSE.search(text))


def _check_full_dates(scan: _Scan, facts: Facts) -> None:
    spans: list[tuple[int, int]] = []
    about_parcel = _parcel_sentences(scan.text)
    for match in _DATE.finditer(scan.text):
        if match.group("na") and _COUNT_BEFORE.search(scan.text[max(0, match.start() - 10):match.start()]):
            spans.append(match.span())
            continue
        parsed = _parse_date(match)
        if parsed is None:
            if _impossible(match):  # "Nov 31", "8月32日": a date no result can hold
                scan.claim("date", *match.span())
                spans.append(match.span())
            continue
        if not _stated(parsed, facts.result_dates) and not _lenient(
                _stated(parsed, facts.dates), _stated(parsed, _yesterday(facts)), scan, match, about_parcel):
            scan.claim("date", *match.span())
        spans.append(match.span())
        scan.days.append(match.span())
    scan.blank(spans)


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
