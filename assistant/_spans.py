"""The days a span of time in an answer covers, counted from today: "in 3-5 days", "within the week", "this weekend",
"in about 48 hours", "下周一", "三天后", "3个工作日内". The grounding guard checks that a delivery date of the results
falls within them; this module only reads the words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["Span", "day_of_month", "find_spans"]

_COUNT_EN = r"\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|(?:a\s+)?couple(?:\s+of)?|(?:a\s+)?few|several"
_COUNT_ZH = r"\d{1,3}|[一二两兩三四五六七八九十]+"
_ZH_WEEK = r"周|星期|礼拜|禮拜"

_SPAN_EN = re.compile(
    rf"""
    (?<![a-z])(?=[iowbutedln])(?:
      # "in 3-5 days", "within 2 business days", "in about 48 hours", "in a couple of days", "in a day or two"
      (?P<q>in|within|over(?=\s+the\s+(?:next|coming)))\s+
      (?:(?P<qual>the\s+next|the\s+coming|about|around|roughly|approximately|approx\.?|just|another|less\s+than
                 |under|up\s+to)\s+)?
      (?:a\s+(?P<or_two>day|week)\s+or\s+two
        |(?P<n>{_COUNT_EN})(?:\s*(?:-|–|—|to|or)\s*(?P<m>{_COUNT_EN}))?\s+
         (?P<unit>(?:business\s+|working\s+)?days?|hours?|hrs?|weeks?))
      # "this week", "within the week", "by end of week", "this weekend", "early next week", "by the weekend"
    | (?P<week>(?:(?:by|before|until)\s+)?(?:the\s+)?end\s+of\s+(?:the\s+|this\s+|next\s+)?week
        |(?:within|during)\s+the\s+week
        |(?:(?:by|before|until)\s+|later\s+|early\s+|earlier\s+)?(?:this|next)\s+week(?:end)?
        |(?:by|before|until|over|during)\s+the\s+weekend)
    )(?![a-z])
    """,
    re.IGNORECASE | re.VERBOSE,
)
_SPAN_ZH = re.compile(
    rf"""
    # "3天内", "三天后", "3-5个工作日内", "一两天内", "48小时内"
    (?<!\d)(?=[\d一二两兩三四五六七八九十])(?P<zn>{_COUNT_ZH})(?:\s*[-–~～到至]\s*(?P<zm>{_COUNT_ZH}))?\s*(?:个|個)?\s*
      (?P<zu>工作日|天|日|小时|小時|{_ZH_WEEK})(?P<zk>之?内|以内|之?后|以后|左右)
    # "下周", "本周末", "下周一", "这个星期五前"
    | (?=[下本这這])(?P<zw>下下?|本|这|這)(?:个|個)?(?:{_ZH_WEEK})(?P<zd>[一二三四五六日天]|末)?(?P<zby>之?前|以前)?
    """,
    re.VERBOSE,
)
# The words every span has, looked for first: most answers have none, and these are quick to look for.
_HAS_EN = re.compile(r"[dwh](?<![a-z][dwh])(?:ays?|eeks?|eekend|ours?|rs?)(?![a-z])")
_HAS_ZH = "内后右周期拜"


@dataclass(frozen=True, slots=True)
class Span:
    """A span of time in an answer and the days it covers."""

    start: int
    end: int
    first: date
    """The first day: today for "within 3 days", but Monday for "this week" (the caller decides if days past count)."""
    last: date
    counted: bool
    """A length of time ("in 3 days"), which in the past tense says how long something took, not when."""


def find_spans(text: str, today: date) -> list[Span]:
    """The spans of time in `text`, in order, with the days they cover counted from `today`."""
    patterns: list[re.Pattern[str]] = []
    if _HAS_EN.search(text.lower()):
        patterns.append(_SPAN_EN)
    if any(ch in text for ch in _HAS_ZH):
        patterns.append(_SPAN_ZH)
    found: list[Span] = []
    for pattern in patterns:
        for match in pattern.finditer(text):
            groups = match.groupdict()
            days = _days(groups, today)
            if days is not None:
                counted = not (groups.get("week") or groups.get("zw"))
                found.append(Span(match.start(), match.end(), *days, counted=counted))
    return sorted(found, key=lambda span: span.start)


_NUMBERS_EN = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
               "eight": 8, "nine": 9, "ten": 10}
# About how many: "a couple of days" is two, give or take; "a few" two to five; "several" three to seven.
_VAGUE_EN = {"couple": (2, 2), "few": (2, 5), "several": (3, 7)}
_DIGITS_ZH = {"一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_UNTIL = ("by", "before", "until")
_WITHIN = ("the next", "the coming", "less than", "under", "up to")


def _days(groups: dict[str, str | None], today: date) -> tuple[date, date] | None:
    """The first and last day a span covers, or None when it names no number of days.

    "In 2 days" is the day after tomorrow, give or take one; "within 2 days" any day from today until then.
    Business days stretch either way over a weekend; weeks by a few days. "This week" starts on its Monday: the
    caller decides whether days already past count.
    """
    monday = today - timedelta(days=today.weekday())
    if (week := groups.get("week")) is not None:
        words = re.sub(r"\s+", " ", week.casefold())
        return _week(monday + timedelta(days=7 if "next" in words else 0), today,
                     weekend=words.endswith("weekend"), until=words.startswith(_UNTIL) or "end of" in words)
    if (week := groups.get("zw")) is not None:
        if week.startswith("下"):
            monday += timedelta(days=7 * len(week))
        day = groups.get("zd")
        if day and day != "末":
            exact = monday + timedelta(days=_WEEKDAYS_ZH[day])
            return (today, exact) if groups.get("zby") else (exact, exact)
        return _week(monday, today, weekend=day == "末", until=bool(groups.get("zby")))
    n, m, unit = groups.get("zn"), groups.get("zm"), groups.get("zu")
    if n is not None and unit is not None:
        counted = _count(n, m, _number_zh)
        within = "内" in (groups.get("zk") or "")
    elif (unit := groups.get("or_two")) is not None:
        counted, within = (1, 2), (groups.get("q") or "").casefold() != "in"
    elif (n := groups.get("n")) is not None and (unit := groups.get("unit")) is not None:
        counted = _count(n, groups.get("m"), _number_en)
        qualifier = re.sub(r"\s+", " ", (groups.get("qual") or "").casefold())
        within = (groups.get("q") or "").casefold() != "in" or qualifier in _WITHIN
    else:
        return None
    if counted is None:
        return None
    low, high = counted
    unit = unit.casefold()
    if unit.startswith(("h", "小")):
        low, high, slack = low // 24, -(-high // 24), 1
    elif unit.startswith(("week", "周", "星", "礼", "禮")):
        low, high, slack = low * 7, high * 7, 3
    else:
        slack = 1 if unit.startswith(("day", "天", "日")) else 3
    first = today if within else today + timedelta(days=max(low - 1, 0))
    return first, today + timedelta(days=high + slack)


def _week(monday: date, today: date, *, weekend: bool, until: bool) -> tuple[date, date]:
    """The days of the week starting `monday` (its weekend only), or from today until its end."""
    sunday = monday + timedelta(days=6)
    if until:
        return today, sunday
    return (monday + timedelta(days=5) if weekend else monday), sunday


def _count(n: str, m: str | None, number: Callable[[str], tuple[int, int] | None]) -> tuple[int, int] | None:
    """The range "n" or "n-m" counts, each read by `number` (`_number_en` or `_number_zh`)."""
    low = number(n)
    high = number(m) if m else low
    if low is None or high is None:
        return None
    return min(low[0], high[0]), max(low[1], high[1])


def _number_en(word: str) -> tuple[int, int] | None:
    word = re.sub(r"^a\s+|\s+of$", "", re.sub(r"\s+", " ", word.casefold()))
    if word.isdigit():
        return int(word), int(word)
    if word in _NUMBERS_EN:
        return _NUMBERS_EN[word], _NUMBERS_EN[word]
    return _VAGUE_EN.get(word)


def _number_zh(word: str) -> tuple[int, int] | None:
    """"3", "三", "十五", "二十" as a number; "一两", "三五" (one or two, three to five) as a range."""
    if word.isdigit():
        return int(word), int(word)
    if "十" in word:
        tens, _, units = word.partition("十")
        if len(tens) > 1 or len(units) > 1 or (tens and tens not in _DIGITS_ZH) or (units and units not in _DIGITS_ZH):
            return None
        value = _DIGITS_ZH.get(tens, 1) * 10 + _DIGITS_ZH.get(units, 0)
        return value, value
    digits = [_DIGITS_ZH[ch] for ch in word if ch in _DIGITS_ZH]
    if not 1 <= len(digits) <= 2 or len(digits) != len(word):
        return None
    return min(digits), max(digits)


def day_of_month(today: date, day: int, *, past: bool) -> date | None:
    """The date "the 27th" means: the next one from today, or the last one up to today when it is `past`."""
    year, month = today.year, today.month
    for _ in range(3):
        try:
            candidate = date(year, month, day)
        except ValueError:
            candidate = None
        if candidate is not None and (candidate <= today if past else candidate >= today):
            return candidate
        month += -1 if past else 1
        if month == 0:
            year, month = year - 1, 12
        elif month == 13:
            year, month = year + 1, 1
    return None
