"""The answer as the checks read it: the claims found so far, the parts already read blanked out, and the clause
around a match (a question, a condition, a negation, what someone may do).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Literal

from assistant._facts import _FULLWIDTH

ClaimKind = Literal["id", "amount", "date", "time", "carrier", "url", "status"]


@dataclass(frozen=True, slots=True)
class Claim:
    """A statement in an answer that no tool result supports."""

    kind: ClaimKind
    text: str
    """The claim as written in the answer."""
    span: tuple[int, int]
    """Start and end offsets in the answer."""


_MASK = "\x00"


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


# A clause that states a condition ("once it has shipped", "if it is returned to sender", "如果…") claims nothing.
_CONDITION = re.compile(r"(?<![a-z])(?:once|if|when|whenever|after|until|unless|as soon as|in case|whether)(?![a-z])"
                        r"|如果|如有|若|一旦|等到|等|之后|以后|后|时|是否", re.IGNORECASE)

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


_CLAUSE_ENDS = re.compile(rf"[{re.escape(_CLAUSE_END)}]")
_SENTENCE_ENDS = re.compile(r"[.!?。！？\n]")


class _Parts:
    """Clauses, parts and sentences of one text found by bisection, and the first match of a pattern in a part
    looked for once: a check that reads many matches ("until … until …") reads the text once, not once a match."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.ends = [m.start() for m in _CLAUSE_ENDS.finditer(text)]
        self.sentence_ends = [m.start() for m in _SENTENCE_ENDS.finditer(text)]
        self.breaks = [m.span() for m in _PART_BREAK.finditer(text)]
        self.break_starts = [b[0] for b in self.breaks]
        self.break_ends = [b[1] for b in self.breaks]
        self._first: dict[tuple[re.Pattern[str], int, int], re.Match[str] | None] = {}

    def clause(self, start: int, end: int) -> tuple[int, int]:
        """As `_clause_bounds`."""
        k = bisect_left(self.ends, start)
        m = bisect_left(self.ends, end)
        return (self.ends[k - 1] + 1 if k else 0), (self.ends[m] if m < len(self.ends) else len(self.text))

    def part(self, start: int, end: int) -> tuple[int, int]:
        """As `_part`."""
        i, j = self.clause(start, end)
        k = bisect_right(self.break_ends, start) - 1
        if k >= 0 and self.breaks[k][0] >= i:
            i = self.breaks[k][1]
        m = bisect_left(self.break_starts, end)
        if m < len(self.breaks) and self.breaks[m][1] <= j:
            j = self.breaks[m][0]
        return i, j

    def sentence(self, index: int) -> tuple[int, int] | None:
        """Where the sentence holding text[index] starts and ends (between `.!?。！？` and line breaks); None on a
        sentence end."""
        k = bisect_left(self.sentence_ends, index)
        end = self.sentence_ends[k] if k < len(self.sentence_ends) else len(self.text)
        if end == index:
            return None
        return (self.sentence_ends[k - 1] + 1 if k else 0), end

    def sentence_start(self, index: int) -> int:
        k = bisect_left(self.sentence_ends, index)
        return self.sentence_ends[k - 1] + 1 if k else 0

    def first(self, pattern: re.Pattern[str], i: int, j: int) -> re.Match[str] | None:
        """The first match of `pattern` in text[i:j]."""
        key = (pattern, i, j)
        if key not in self._first:
            self._first[key] = pattern.search(self.text, i, j)
        return self._first[key]

    def before(self, pattern: re.Pattern[str], i: int, j: int, index: int) -> bool:
        """Whether `pattern` matches in the part text[i:j] before `index`."""
        match = self.first(pattern, i, j)
        return match is not None and match.end() <= index


def _not_about_the_package(text: str, start: int, end: int) -> bool:
    """Whether the part of its clause that text[start:end] is in is negated ("FedEx doesn't deliver on Sunday") or
    says what the shopper or we may do ("you can contact FedEx today about the delivery")."""
    i, j = _part(text, start, end)
    if _SOMEONES_ACTION.search(text, i, j):
        return True
    if not text[start:end].isascii():
        return bool(_NEGATED.search(text, i, j))
    return bool(_NEGATED.search(text, i, start) or _NEGATED_VERB.search(text, end, j))


def _hedged(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is in a question or a condition ("if it hasn't arrived by tomorrow"); the words
    matched are not read for the condition, so "the day after tomorrow" and "三天后" are no conditions."""
    i, j = _clause_bounds(text, start, end)
    return text[j:j + 1] in ("?", "？") or bool(_CONDITION.search(text, i, start) or _CONDITION.search(text, end, j))
