"""Phone numbers: E.164 with the merchant's default region, and the seed endpoint's last-7-digit key."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

__all__ = ["last7", "phone_readings", "to_e164"]

_E164 = re.compile(r"\+[1-9]\d{6,14}")
_NON_DIGIT = re.compile(r"\D")


def to_e164(raw: str | None, region: str | None = None) -> str | None:
    """The number in E.164 when it parses as a possible number with `region`; otherwise the text, stripped.

    Already-E.164 text is returned as it is without a parse (the hot path when mapping many orders).
    """
    if raw is None:
        return None
    text = str(raw).strip()
    if not text:
        return None
    if _E164.fullmatch(text):
        return text
    return _parse(text, region.upper() if region else None) or text


@lru_cache(maxsize=65536)
def _parse(text: str, region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_CN_MOBILE = re.compile(r"1[3-9]\d{9}")


def phone_readings(raw: str, region: str | None) -> list[str]:
    """The E.164 numbers a shopper's phone may mean: as read in the merchant's region, and, for a bare
    11-digit 1xx number, also as a Chinese mobile (shoppers write those without +86 wherever the store is)."""
    readings = []
    first = to_e164(raw, region)
    if first and first.startswith("+"):
        readings.append(first)
    digits = _NON_DIGIT.sub("", raw)
    if not raw.strip().startswith("+") and _CN_MOBILE.fullmatch(digits) and f"+86{digits}" not in readings:
        readings.append(f"+86{digits}")
    return readings


def last7(raw: str | None) -> str | None:
    """The last seven digits (seed 002's weak matching key), or None when there are fewer than seven."""
    if not raw:
        return None
    digits = _NON_DIGIT.sub("", str(raw))
    return digits[-7:] if len(digits) >= 7 else None
