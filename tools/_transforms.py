"""Value conversions used by compiled mappings: dates, money, JSON strings, phones, text.

Each converter takes a value read from a merchant payload and returns a canonical value or None, or raises
ValueError with a short reason; the mapper turns that into a RecordError naming the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tools.phones import to_e164
from tools.schema import currency_code

Converter = Callable[[Any], Any]

# ISO 4217 currencies whose minor unit is not 1/100.
_EXPONENTS = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),  # units of account: Chile's UF, Uruguay's nominal wage index
}

_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_GROUPED = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?")
_UNIX = re.compile(r"-?\d{9,13}(\.\d+)?")
_FALLBACK_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y%m%d%H%M%S", "%Y-%m-%d %H:%M")


def region_code(value: str | None) -> str | None:
    """A region phone numbers are read in (ISO 3166, upper-cased); ValueError when phone numbering knows none."""
    if value is None:
        return None
    import phonenumbers

    code = value.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{value!r} is not an ISO 3166 region with phone numbers (two letters, such as US or CN)")
    return code


def currency_exponent(currency: str | None) -> int:
    """Digits after the decimal point in `currency`'s minor unit (2 when unknown)."""
    return _EXPONENTS.get((currency or "").upper(), 2)


# What merchants write in a currency field instead of an ISO 4217 code, upper-cased, and the codes it can mean.
# The one table of such labels (mapped values, mapping defaults and merchant configs all read it); kept to labels
# seen in real exports. A sign several currencies share means the default currency when that is one of them.
_CURRENCY_LABELS: dict[str, tuple[str, ...]] = {
    "€": ("EUR",), "EURO": ("EUR",), "EUROS": ("EUR",), "£": ("GBP",),
    "US$": ("USD",), "USD$": ("USD",), "HK$": ("HKD",), "C$": ("CAD",), "CA$": ("CAD",), "A$": ("AUD",),
    "AU$": ("AUD",), "NZ$": ("NZD",), "S$": ("SGD",), "NT$": ("TWD",), "R$": ("BRL",),
    "₹": ("INR",), "₩": ("KRW",), "₽": ("RUB",), "₺": ("TRY",),
    # The yuan by its Chinese names, and offshore yuan (CNH, traded in Hong Kong): the amounts are yuan.
    "RMB": ("CNY",), "元": ("CNY",), "人民币": ("CNY",), "CNH": ("CNY",),
    # Shared signs: dollars and the pesos written with "$", the yen and the yuan, the Nordic crowns.
    "$": ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "TWD", "MXN", "ARS", "CLP", "COP"),
    "¥": ("JPY", "CNY"), "￥": ("JPY", "CNY"),
    "KR": ("SEK", "NOK", "DKK", "ISK"),
}


def currency_meanings(label: str) -> tuple[str, ...]:
    """The ISO 4217 codes a currency field's text can mean: several for a shared sign, the text itself upper-cased
    when it is not a label (the schema decides whether that is a code)."""
    text = label.strip().upper()
    return _CURRENCY_LABELS.get(text, (text,))


def currency_labels() -> frozenset[str]:
    """Every label of the table above, upper-cased: the grounding guard reads the same marks in answers."""
    return frozenset(_CURRENCY_LABELS)


def is_currency_label(text: str) -> bool:
    """Whether `text` is a currency's sign or name from the table above rather than a code."""
    return text.strip().upper() in _CURRENCY_LABELS


def _ambiguous(value: str, meanings: tuple[str, ...]) -> str:
    return f"{value.strip()!r} can be {', '.join(meanings[:-1])} or {meanings[-1]}"


def to_currency(default: str | None) -> Converter:
    """A converter of a currency field's text to a code: a label names its currency, a shared sign (`$`, `¥`,
    `kr`) the default currency when it is one the sign can mean; ValueError for a shared sign otherwise."""

    def convert(value: Any) -> str | None:
        text = to_text(value)
        if text is None:
            return None
        meanings = currency_meanings(text)
        if len(meanings) == 1:
            return meanings[0]
        if default in meanings:
            return default
        if default is None:
            raise ValueError(f"{_ambiguous(text, meanings)}: set the mapping's default currency, or map the field to "
                             "a code")
        raise ValueError(f"{_ambiguous(text, meanings)}, not {default} (the default currency): map the field to a "
                         "code")

    return convert


def currency_setting(value: str | None) -> str | None:
    """A default currency as a person writes it in a mapping or a config: an ISO 4217 code or a label naming one
    currency ("RMB", "€"); ValueError for a shared sign or anything else."""
    if value is None:
        return None
    meanings = currency_meanings(value)
    if len(meanings) > 1:
        raise ValueError(f"{_ambiguous(value, meanings)}: write its ISO 4217 code")
    return currency_code(meanings[0])


@lru_cache(maxsize=256)
def zone(name: str) -> tzinfo:
    """The tzinfo for an IANA name; ValueError when there is no such zone."""
    if name.upper() in ("UTC", "Z", "GMT"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {name!r}") from None


def to_decimal(value: Any) -> Decimal | None:
    """A Decimal from a number or a decimal string ("59.99", "1,299.00", "$5"); floats go through repr."""
    if value.__class__ is str:  # the usual case, first
        return _decimal_text(value) if value else None
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        return _decimal_text(value)
    else:
        raise ValueError(f"{type(value).__name__} is not an amount")
    if not result.is_finite():
        raise ValueError(f"{value!r} is not an amount")
    return result


@lru_cache(maxsize=8192)
def _decimal_text(value: str) -> Decimal:
    """The amount a non-empty string states. Cached: catalogues repeat prices, and a Decimal is immutable."""
    text = value.strip().lstrip("$€£¥￥").strip()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"{value!r} is not an amount")
    try:
        result = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if not result.is_finite():
        raise ValueError(f"{value!r} is not an amount")
    return result


def minor_units(exponent: int) -> Converter:
    """Integer minor units (cents, fen) to major units: 400 -> 4.00 with exponent 2."""

    def convert(value: Any) -> Decimal | None:
        amount = to_decimal(value)
        return None if amount is None else amount.scaleb(-exponent)

    return convert


def to_datetime(tz: tzinfo, fmt: str | None = None, unit: str | None = None) -> Converter:
    """A converter to aware datetimes. Naive times are read in `tz`; numbers are Unix seconds or milliseconds
    (`unit` "s"/"ms", or by size); strings are ISO 8601, RFC 2822, `fmt` when given, or a few common forms."""

    def from_number(number: float) -> datetime:
        ms = unit == "ms" or (unit is None and abs(number) >= 1e11)
        try:
            return datetime.fromtimestamp(number / 1000 if ms else number, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"{number!r} is not a Unix time") from None

    def convert(value: Any) -> datetime | None:
        if value.__class__ is str and fmt is None and ":" in value:
            # The usual case, first: a time of day is never Unix seconds, so it goes straight to the parsers.
            result = _parse_text(value.strip())
            return result if result.tzinfo is not None else result.replace(tzinfo=tz)
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            result = value
        elif isinstance(value, date):
            result = datetime.combine(value, time())
        elif isinstance(value, bool):
            raise ValueError(f"{value!r} is not a date")
        elif isinstance(value, int | float):
            return from_number(value)
        elif isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            if fmt is not None:
                try:
                    result = datetime.strptime(text, fmt)  # noqa: DTZ007 (made aware below)
                except ValueError:
                    raise ValueError(f"{value!r} does not match format {fmt!r}") from None
            elif _UNIX.fullmatch(text):
                return from_number(float(text))
            else:
                result = _parse_text(text)
        else:
            raise ValueError(f"{type(value).__name__} is not a date")
        return result if result.tzinfo is not None else result.replace(tzinfo=tz)

    return convert


def _parse_text(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    if "," in text or text[:3].isalpha():
        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            pass
    for fmt in _FALLBACK_FORMATS:
        try:
            return datetime.strptime(text, fmt)  # noqa: DTZ007 (made aware by the caller)
        except ValueError:
            continue
    if (twelve := _TWELVE_HOUR.fullmatch(text)) is not None:
        return _twelve_hour(twelve)
    raise ValueError(f"{text!r} is not a date this mapping can read (add a format)")


# Chinese twelve-hour times, as a zh locale writes them: "2025/9/14 上午11:03" is 11:03, "下午1:03" 13:03. The
# morning words put 12 at midnight (凌晨12:30 is 00:30); 晚上12点 is the midnight that ends the day.
_TWELVE_HOUR = re.compile(r"(?P<date>\d{4}[-/]\d{1,2}[-/]\d{1,2})\s*(?P<half>上午|早上|凌晨|中午|下午|晚上)\s*"
                          r"(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?")
_AFTERNOON = ("中午", "下午", "晚上")


def _twelve_hour(match: re.Match[str]) -> datetime:
    day = datetime.strptime(match["date"].replace("/", "-"), "%Y-%m-%d")  # noqa: DTZ007 (made aware by the caller)
    hour, half = int(match["h"]), match["half"]
    if hour > 12:
        raise ValueError(f"{match.group()!r}: {half} {hour}:00 is no time of day")
    if half == "晚上" and hour == 12:
        hour = 24
    elif half in _AFTERNOON and hour < 12 and not (half == "中午" and hour >= 11):
        hour += 12
    elif half not in _AFTERNOON and hour == 12:
        hour = 0
    try:
        return day.replace(minute=int(match["m"]), second=int(match["s"] or 0)) + timedelta(hours=hour)
    except ValueError:
        raise ValueError(f"{match.group()!r} is no time of day") from None


def to_text(value: Any) -> str | None:
    """Text for string fields: numbers become their digits, blanks become None."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | Decimal):
        return str(value)
    raise ValueError(f"{type(value).__name__} is not text")


def to_int(value: Any) -> int | None:
    """A whole number from an int, an integral float or a digit string."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    if isinstance(value, int):
        return value
    try:
        amount = to_decimal(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None
    if amount is None or amount != amount.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number")
    return int(amount)


def to_quantity(value: Any) -> int | None:
    """A count of units: a whole number that is not negative (zero stays: a line kept after its units were
    removed). A negative count is an error rather than a number lookups would show."""
    count = to_int(value)
    if count is not None and count < 0:
        raise ValueError(f"{count!r} is not a quantity")
    return count


def decode_json(value: Any) -> Any:
    """Decode a JSON string (merchants often nest JSON as text); other values pass through."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at char {exc.pos})") from None


def try_decode_json(value: Any) -> Any:
    """Like `decode_json`, but text that is not JSON gives None: a field documented as JSON sometimes holds a note."""
    try:
        return decode_json(value)
    except ValueError:
        return None


def phone(region: str | None) -> Converter:
    """E.164 where the number parses with `region`; otherwise the merchant's text."""

    def convert(value: Any) -> str | None:
        text = to_text(value)
        return to_e164(text, region) if text else None

    return convert


def email(value: Any) -> str | None:
    """An email address, stripped; the domain is lower-cased (the local part may be case-sensitive)."""
    text = to_text(value)
    if not text:
        return None
    local, at, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}" if at else text
