"""Clock-time claims: a time on a date or with a package event must be a time of the results."""

from __future__ import annotations

import re

from assistant._facts import Facts
from assistant._scan import _CONDITION, _Parts, _Scan

_TIME = re.compile(
    r"(?<![\d:])(?=[\d上下晚早中凌傍])(?:\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?(?![a-z]))?(?![\d:])"
    r"|(?<![\dA-Za-z])\d{1,2}\s*[ap]\.?m\.?(?![a-z])"
    r"|(?:上午|下午|晚上|早上|中午|凌晨|傍晚)?(?<!\d)\d{1,2}\s*[点點时時](?:\s*\d{1,2}\s*分)?)",
    re.IGNORECASE,
)

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
    parts = _Parts(text)  # each clause read once, however many times it holds
    for match in matches:
        start, end = match.span()
        if _RANGE_AFTER.match(source, end) or _RANGE_BEFORE.search(source, max(0, start - 10), start):
            continue
        dated = any(
            (e <= start and start - e <= 16 and _DATE_TIME_GAP.fullmatch(source, e, start))
            or (s >= end and s - end <= 16 and _DATE_TIME_GAP.fullmatch(source, end, s))
            for s, e in scan.days
        )
        i, j = parts.clause(start, end)
        if text[j:j + 1] in ("?", "？") or parts.first(_CONDITION, i, j):
            continue
        if not dated and (not parts.first(_EVENT_WORDS, i, j) or parts.first(_IN_GENERAL, i, j)
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
