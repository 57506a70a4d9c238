"""Value claims: identifiers, amounts, carriers and links, checked against the results (percentages and emails are
only skipped).
"""

from __future__ import annotations

import re

from assistant._facts import (
    _AMOUNT,
    _CARRIER,
    _DASHES,
    Facts,
    _carrier_key,
    _currencies,
    _decimal,
    _norm_id,
    _words,
)
from assistant._scan import _Scan

_DASH = re.compile(rf"[{_DASHES}]")
# "27th", "24hours", "2pcs", "500ml": a small number with a lower-case unit is not an identifier.
_UNIT_WORD = re.compile(r"\d{1,3}[a-z]+")
_GROUP_PREFIX = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,4})[ \u00a0]$")

# A link ends where Chinese text starts ("…tracknum=1Z…查询"): CJK and full-width forms are never part of one here.
_URL = re.compile(r"""https?://[^\s<>"'`\[\]{}|\\^()\u3000-\u9fff\uff00-\uffef]+""", re.IGNORECASE)
_URL_TRAIL = ".,;:!?*_~'\""
_EMAIL = re.compile(r"(?<![\w.+\-*])[\w.+\-*]+@[\w\-]+(?:\.[\w\-]+)+")

_PERCENT = re.compile(r"(?=[\d百])(?<![\d.])\d+(?:\.\d+)?\s*(?:%|percent)|百分之\d+(?:\.\d+)?", re.IGNORECASE)


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
