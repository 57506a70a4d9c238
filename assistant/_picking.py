"""Picking an order from the list the shopper was shown: "the second one", "第10个", "the oldest", "not the first".

The list is most recent first and may leave older orders out (the tool's `more`). A place the list does not hold
picks nothing: the shopper is asked for the order number, never answered about a neighbouring order. Nor do words
that only look like places ("wait a second", "the last update", "ordered 2nd", "the second time") or several places
at once ("the last two"): the shopper is asked which.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["Pick", "pick"]

Unlisted = Literal["oldest_not_listed", "not_listed"]

_OLDEST = "oldest"

_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
          "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12}
_EN = rf"(?:(?P<w>{'|'.join(_WORDS)})|(?P<n>\d{{1,3}})(?:st|nd|rd|th))"
"""An English ordinal: a word, or digits with their suffix ("2nd", "11th")."""
_ANY = rf"(?:{'|'.join(_WORDS)}|\d{{1,3}}(?:st|nd|rd|th))"
"""`_EN` without its groups."""
_CN = r"(?P<cn>\d{1,4}|[零〇一二两三四五六七八九十百千]+)"
"""A Chinese ordinal's number: digits or numerals ("第10个", "第十个")."""
_TIME = (r"(?!\s+(?:week|month|year|night|time|weekend|few|couple|monday|tuesday|wednesday|thursday|friday"
         r"|saturday|sunday)\b)")
"""After "last": "last week" is a time, no place."""

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def _cn_number(text: str) -> int:
    """ "10", "十", "十一", "二十三", "一百零一" as a number."""
    if text.isdigit():
        return int(text)
    total = current = 0
    for ch in text:
        if ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        else:
            current = _CN_DIGITS[ch]
    return total + current


def _ordinal(match: re.Match[str]) -> int:
    if word := match.group("w"):
        return _WORDS[word.lower()]
    return int(match.group("n"))


Place = int | str
"""An index into the list (negative from its end), or the oldest order, listed or not."""

_REFERS = re.compile(
    r"\s*(?:(?:one|order|package|parcel|item|purchase)(?![A-Za-z])"
    r"|(?:(?:in|on|from)\s+(?:the|your|that|this)\s+list|listed|from\s+the\s+top)(?![A-Za-z])"
    r"|(?:\s+(?:please|pls|thanks|thank\s+you))*\s*(?:[,.;!?:]|$))",
    re.IGNORECASE,
)
"""After an English place word, what makes it a place in the list: a noun for an order ("the second one", "the
2nd order", "the latest one"), the list ("#2 in the list"), or the end of the clause ("the second", "last")..."""
_LEADS = re.compile(r"(?:^|[,.;!?:]\s*|(?<![A-Za-z])(?:the|my|that|this|your|just|ok|okay|um|uh|no|yes|very)\s+)$",
                    re.IGNORECASE)
"""...which then must follow "the", "my", or start the message or clause: "at last!", "wait a second", "the one
ordered 2nd" and "first of all" name no place."""
_CN_REFERS = re.compile(r"\s*(?:的|一个|那个|这个|一单|一笔|[个单笔]|订单|下的|买的|订的|[，。！？,.!?]|$)")
""" 最后, 最新, 最近, 最早 name a place only before 的, 个, 订单 or the end: "最近有更新吗" asks for news."""
_SEVERAL = re.compile(
    rf"\b{_ANY}(?:\s+one)?\s*(?:and|&|or|\+|/)\s*(?:(?:the|my)\s+)?{_ANY}"
    r"|\b(?:first|last|latest|newest|most\s+recent|top|bottom)\s+(?:two|three|four|five|six|seven|eight|nine|ten|\d+"
    r"|few|couple|several)\b|\bboth\b|\ball\s+(?:of\s+)?(?:them|my\s+orders)\b|\beach\s+(?:one|of\s+them)\b"
    rf"|第\s*{_CN}\s*[个单笔]?\s*(?:和|跟|与|及|或|、)\s*第"
    r"|(?:前|最后|最近|最新|倒数)\s*(?:[两二三四五六七八九十几]|\d+)\s*[个单笔]|全部|所有(?:的)?订单",
    re.IGNORECASE,
)
"""Several orders at once ("the last two", "my first and second orders", "第一个和第二个"): no one pick, so the
shopper is asked which."""

# Places in the order they are read. Each match is blanked before the next pattern runs, so "the second to last"
# is not also "second" and "last", nor "第一次买的" also "第一". Words that mean first or last in time come before
# the places: "the first one I ever placed" is the oldest and "my last order" or "the last one I placed" the most
# recent, while "the first one" is the first listed and "the last one" the last listed. A place word marked
# `clear` must refer to the list (`_REFERS` after, `_LEADS` before; `_CN_REFERS` for Chinese).
_PLACES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], Place], bool]] = [
    (re.compile(r"\bmy\s+last\b(?=\s+(?:order|one|purchase)\b|\s*(?:[,.;!?]|$))"
                r"|\blast(?:\s+\w+){0,2}?\s+(?:I|we)\s+(?:ever\s+)?(?:placed|ordered|made|bought)\b"
                r"|上一?次(?:下|买|订|购)|最后一次(?:下|买|订|购)", re.IGNORECASE), lambda m: 0, False),
    (re.compile(r"\b(?:oldest|earliest)\b", re.IGNORECASE), lambda m: _OLDEST, True),
    (re.compile(r"\bfirst(?:\s+\w+){0,2}?\s+(?:ever|(?:I|we)\s+(?:ever\s+)?(?:placed|ordered|made|bought))\b"
                r"|第一次(?:下|买|订|购)", re.IGNORECASE), lambda m: _OLDEST, False),
    (re.compile(r"最早", re.IGNORECASE), lambda m: _OLDEST, True),
    (re.compile(rf"\b{_EN}[\s-]+(?:one[\s-]+)?(?:(?:(?:to|from)[\s-]+(?:the[\s-]+)?)?last\b{_TIME}"
                r"|from[\s-]+the[\s-]+(?:bottom|end)\b)", re.IGNORECASE), lambda m: -_ordinal(m), False),
    (re.compile(rf"\bpenultimate\b|\b(?:one\s+)?before\s+(?:the\s+)?last\b{_TIME}|\blast\s+but\s+one\b",
                re.IGNORECASE), lambda m: -2, False),
    (re.compile(rf"倒数第\s*{_CN}"), lambda m: -_cn_number(m.group("cn")), False),
    (re.compile(r"(?:#|(?<![A-Za-z])(?:number|no\.?)\s*)(?P<d>\d{1,3})(?=\s+(?:in|on|from)\s+(?:the|your|that|this)"
                r"\s+list\b)", re.IGNORECASE), lambda m: int(m.group("d")) - 1, False),
    (re.compile(rf"\blast\b{_TIME}|最后(?!一次)", re.IGNORECASE), lambda m: -1, True),
    (re.compile(r"\b(?:latest|most\s+recent|newest)\b|最新|最近", re.IGNORECASE), lambda m: 0, True),
    (re.compile(rf"\b{_EN}\b", re.IGNORECASE), lambda m: _ordinal(m) - 1, True),
    # "第3次" is the third time, "第3天" the third day: no place
    (re.compile(rf"第\s*{_CN}(?!\s*[次天日周年月期页名])"), lambda m: _cn_number(m.group("cn")) - 1, False),
]
_NEGATED = re.compile(r"(?:(?<![A-Za-z])not|n't|不是|不要)\s*(?:(?:the|my|that)\s+)?$", re.IGNORECASE)
_DATE_BEFORE = re.compile(r"(?:(?<![A-Za-z])(?:on|from|since|by|until|till|of)\s+(?:the\s+)?|(?<![A-Za-z])(?:jan|feb"
                          r"|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?:the\s+)?)$", re.IGNORECASE)
"""Before an English ordinal, a date: "the one from the 3rd", "on the 21st", "Nov 3rd"."""


@dataclass(frozen=True)
class Pick:
    """What a message picks from the list shown: an order, or a place the list does not hold."""

    order_id: str | None = None
    unlisted: Unlisted | None = None
    """The place asked for is not in the list shown ("oldest_not_listed" when older orders were left out of it):
    the reply asks for the order number."""


@dataclass(frozen=True)
class _Mention:
    start: int
    place: Place
    negated: bool


def _refers(match: re.Match[str], text: str) -> bool:
    """The place word `match` holds refers to the list (see `_REFERS`)."""
    if re.match(r"[\u4e00-\u9fff]", match.group()):
        return bool(_CN_REFERS.match(text, match.end()))
    return bool(_REFERS.match(text, match.end())) and bool(_LEADS.search(text[:match.start()]))


def _mentions(text: str) -> list[_Mention]:
    rest = text
    found: list[_Mention] = []
    for pattern, place, clear in _PLACES:
        for match in pattern.finditer(rest):
            before = text[max(0, match.start() - 24):match.start()]
            if "w" in pattern.groupindex and _DATE_BEFORE.search(before):
                continue
            if clear and not _refers(match, text):
                continue
            found.append(_Mention(match.start(), place(match), bool(_NEGATED.search(before))))
            rest = rest[:match.start()] + " " * (match.end() - match.start()) + rest[match.end():]
    return found


def _resolve(place: Place, listed: list[str], more: int) -> Pick:
    if place == _OLDEST:
        # The list leaves the older orders out: the oldest listed is not the oldest.
        return Pick(unlisted="oldest_not_listed") if more else Pick(order_id=listed[-1])
    assert isinstance(place, int)
    if -len(listed) <= place < len(listed):
        return Pick(order_id=listed[place])
    return Pick(unlisted="not_listed")


def pick(text: str, listed: list[str], more: int = 0) -> Pick:
    """The order `text` picks from `listed` (most recent first; `more` older orders left out of it). The last place
    named wins ("the first one, no, the second"); a place after "not" is excluded, and of two orders shown, "not the
    first one" is the other."""
    if not listed or _SEVERAL.search(text):
        return Pick()
    mentions = _mentions(text)
    wanted = [m for m in mentions if not m.negated]
    if wanted:
        return _resolve(max(wanted, key=lambda m: m.start).place, listed, more)
    if mentions and len(listed) == 2 and not more:
        excluded = {_resolve(m.place, listed, more).order_id for m in mentions}
        others = [o for o in listed if o not in excluded]
        if len(others) == 1:
            return Pick(order_id=others[0])
    return Pick()
