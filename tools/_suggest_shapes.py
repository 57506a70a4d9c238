"""What values look like to `mapping suggest`: per-value shape tags (emails, phones, dates, amounts, tracking
numbers, ...), a profile of a sample's paths built from them, and the readings drawn from a profiled path (phone
region, date style, the transform its values need).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import phonenumbers

from tools import _transforms as tf
from tools._suggest_vocab import _ALL_LISTS, _CJK, _FIRST, _SHIPMENT, _group_of, _key, _match, _Rule, _tokens
from tools.carriers import canonical_carrier, detect_carrier

_MAX_VALUES = 200
"""Values per field whose shapes are looked at."""
_MAX_LABELS = 100
"""Distinct short values kept per field (status labels, currency codes), however many records there are."""


# ---------------------------------------------------------------------------------------------------------
# Value shapes

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_PHONE_TEXT = re.compile(r"\+?[\d\s().\-/]{6,24}")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_IMAGE = re.compile(r"\.(jpe?g|png|gif|webp|avif|bmp|svg)(\?|$)|/images?/|img", re.IGNORECASE)
_UNIX_TEXT = re.compile(r"\d{9,13}")
_DATEISH = re.compile(r"\d{4}[-/.年]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|[A-Za-z]{3},? \d|\d{1,2} [A-Za-z]{3} \d{4}")
_KANA = re.compile(r"[\u3040-\u30ff]")
_IP_TEXT = re.compile(r"[\d.]{7,15}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+")
_MINOR_WORDS = {"cent", "cents", "fen", "minor", "pence"}
_MONEY_AMOUNTS = {"amount", "value", "amountcents", "cents", "units"}
"""Names of the number in a money object ({amount: 6050, currency: "USD"})."""
_MONEY_CURRENCIES = {"currency", "currencycode", "currencyiso"}
"""Names of the currency code beside it."""
_CURRENCIES = set("USD EUR GBP CNY JPY CAD AUD HKD TWD SGD KRW INR CHF SEK NOK DKK NZD MXN BRL ZAR RUB TRY PLN THB "
                  "MYR IDR PHP VND AED SAR ILS CZK HUF".split())
# Regions tried for numbers without a country code, after the sample's own hints. Chinese numbering is tried
# last because its fixed-line plan accepts almost any 0-prefixed number; its mobiles are valid nowhere else.
_REGIONS = ("US", "GB", "CA", "AU", "DE", "FR", "IN", "JP", "SG", "HK", "TW", "CN")
_NANP_TEXT = re.compile(r"\(?[2-9]\d{2}\)?[\s.-]?[2-9]\d{2}[\s.-]\d{4}")
"""A North American number as it is written there, "(415) 555-0134" or "512-555-0199": US or Canadian even when it
is one of the 555 numbers reserved for examples, which are valid nowhere else only by accident."""
_REGION_CURRENCY = {"US": "USD", "CN": "CNY", "GB": "GBP", "CA": "CAD", "AU": "AUD", "JP": "JPY", "IN": "INR",
                    "DE": "EUR", "FR": "EUR", "IT": "EUR", "ES": "EUR", "NL": "EUR", "IE": "EUR", "HK": "HKD",
                    "SG": "SGD", "TW": "TWD", "KR": "KRW", "NZ": "NZD", "CH": "CHF"}
_SYMBOLS = {"¥": "CNY", "￥": "CNY", "€": "EUR", "£": "GBP", "$": "USD"}
_EXTRA_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M",
                  "%m/%d/%Y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y年%m月%d日 %H:%M:%S",
                  "%Y年%m月%d日 %H:%M", "%Y年%m月%d日")
# Parsing a text twice with different zones tells naive times (they move) from ones carrying an offset.
_READ_UTC = tf.to_datetime(UTC)
_READ_ODD = tf.to_datetime(timezone(timedelta(hours=5, minutes=17)))
_EARLIEST, _LATEST = 946684800, 4102444800  # Unix seconds of 2000 and 2100: plausible order times


def _unix_tag(number: float) -> str | None:
    seconds = number / 1000 if number >= 1e11 else number
    if _EARLIEST <= seconds <= _LATEST:
        return "unix_ms" if number >= 1e11 else "unix_s"
    return None


def _date_tags(text: str) -> set[str]:
    if _UNIX_TEXT.fullmatch(text):
        unit = _unix_tag(float(text))
        return {"date", unit} if unit else set()
    if not _DATEISH.match(text):
        return set()
    try:
        one, two = _READ_UTC(text), _READ_ODD(text)
    except ValueError:
        formats = set()
        for fmt in _EXTRA_FORMATS:
            try:
                datetime.strptime(text, fmt)  # noqa: DTZ007 (only probing the format)
            except ValueError:
                continue
            formats.add(f"fmt:{fmt}")
        return {"date", "naive", *formats} if formats else set()
    if one is None or not 1970 <= one.year <= 2100:
        return set()
    if one != two:
        return {"date", "naive"}
    offset = one.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return {"date", f"offset:{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"}


def _phoneish(text: str) -> bool:
    return bool(_PHONE_TEXT.fullmatch(text)) and 7 <= sum(ch.isdigit() for ch in text) <= 15


def _tags(value: Any) -> set[str]:
    """What one value looks like: email, phone, date (and its style), money, int, url, currency, ..."""
    if isinstance(value, dict):
        return {"dict"}
    if isinstance(value, list):
        # A list of text is lines of one value (Magento's `street: ["301 E Liberty St", "Suite 200"]`).
        return {"list", "lines"} if value and all(isinstance(v, str) for v in value) else {"list"}
    if isinstance(value, bool):
        return {"bool"}
    if isinstance(value, int | float):
        tags = {"money", "idlike"}
        whole = isinstance(value, int) or value.is_integer()
        if isinstance(value, float):
            tags.add("cents")  # written with a decimal point, as amounts are and counts are not
        if whole:
            tags.add("whole")
            if 0 <= value <= 100000:
                tags.add("int")
            if 0 <= value < 1000:
                tags.add("short")
                if isinstance(value, int):
                    tags.add("count")
        unit = _unix_tag(float(value))
        if unit:
            tags |= {"date", unit}
        elif whole and _phoneish(str(int(value))):
            tags.add("phone")
        return tags
    text = str(value).strip()
    if not text:
        return set()
    tags = {"text"}
    if _KANA.search(text):
        tags.add("kana")  # Japanese: its kanji are not Chinese content
    elif _CJK.search(text):
        tags.add("cjk")
    if len(text) <= 40 and "@" not in text and "://" not in text:
        tags.add("short")
    if _EMAIL.fullmatch(text):
        tags.add("email")
    if _URL.fullmatch(text):
        tags.add("url")
        if _IMAGE.search(text):
            tags.add("image")
    if text[0] in "{[":
        try:
            json.loads(text)
            tags.add("json")
        except ValueError:
            pass
    tags |= _date_tags(text)
    if "date" not in tags and _phoneish(text):
        tags.add("phone")
    try:
        amount = tf.to_decimal(text)
    except ValueError:
        amount = None
    if amount is not None:
        tags.add("money")
        if "." in text:
            tags.add("cents")
        if amount == amount.to_integral_value():
            tags.add("whole")
            if 0 <= amount <= 100000:
                tags.add("int")
            if 0 <= amount < 1000 and text.isdigit():
                tags.add("count")
        if text[0] in _SYMBOLS:
            tags.add(f"symbol:{_SYMBOLS[text[0]]}")
    if re.fullmatch(r"[A-Z]{3}", text) or (len(text) == 3 and text.upper() in _CURRENCIES):
        tags.add("currency")
    elif tf.is_currency_label(text) and text != "KR":  # "KR" is far more often Korea than crowns ("kr")
        tags.add("currency")
    if " " not in text and len(text) <= 64 and any(ch.isdigit() for ch in text):
        tags.add("idlike")
    compact = re.sub(r"[\s-]", "", text)
    if 8 <= len(compact) <= 40 and compact.isalnum() and sum(ch.isdigit() for ch in compact) >= 6:
        tags.add("trackingish")
        carrier = detect_carrier(compact)
        if carrier is not None:
            tags |= {"tracking", f"carrier:{carrier.name}"}
    if len(text) <= 40 and canonical_carrier(text) is not None:
        tags.add("carriername")
    if _IP_TEXT.fullmatch(text):
        try:
            ipaddress.ip_address(text)
            tags.add("ip")
        except ValueError:
            pass
    return tags


# ---------------------------------------------------------------------------------------------------------
# Profiling a sample: leaves (scalar paths) and collections (lists of objects), per level.


@dataclass
class _Leaf:
    keys: tuple[str, ...]
    path: str
    label: str
    values: list[Any] = field(default_factory=list)
    tags: Counter[str] = field(default_factory=Counter)
    rows: set[int] = field(default_factory=set)
    """Which elements have a value here."""
    labels: dict[str, Any] = field(default_factory=dict)
    """Distinct scalar values, by their case-folded text, in the order first seen."""
    note: str = ""
    regions: tuple[str, ...] = _REGIONS
    """Regions to try for phone numbers without a country code, the sample's own hints first."""
    phone: tuple[str | None, str] | None = None
    currency: _Leaf | None = None
    """The currency code beside this amount in a money object ({amount: 6050, currency: "USD"})."""

    @property
    def minor(self) -> bool:
        """An amount of a money object, in whole minor units (cents) as Square and Stripe write them."""
        return self.currency is not None and bool(self.values) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in self.values)

    def add(self, row: int, value: Any) -> None:
        self.rows.add(row)
        if len(self.values) < _MAX_VALUES:
            self.values.append(value)
        if isinstance(value, str | int) and not isinstance(value, bool) and len(self.labels) < _MAX_LABELS:
            text = str(value).strip()
            if len(text) <= 60:
                self.labels.setdefault(text.casefold(), value.strip() if isinstance(value, str) else value)

    def frac(self, tag: str) -> float:
        return self.tags[tag] / len(self.values) if self.values else 0.0

    def tagged(self, prefix: str) -> Counter[str]:
        return Counter({t[len(prefix):]: n for t, n in self.tags.items() if t.startswith(prefix)})


@dataclass
class _Coll:
    keys: tuple[str, ...]
    path: str
    label: str
    json: bool
    elements: list[dict[str, Any]] = field(default_factory=list)
    node: _Node | None = None
    rows: set[int] = field(default_factory=set)
    """Which records have the list."""
    jmespath: str | None = None
    """An expression reading the list where no path can (one entry's value in a key/value list); `path` is then
    only its name in this profile."""
    loose: bool = False
    """JSON text in some records and other text (a note) in others: read with `try_json`, which skips the notes."""
    package: bool = False
    """JSON text of one object holding a tracking number, not of a list: one package."""

    def add(self, row: int, elements: list[dict[str, Any]]) -> None:
        self.rows.add(row)
        self.elements.extend(elements)

    @property
    def each(self) -> Any:
        """The list's `each` in a mapping: its path, its expression, and `transform: json` when it is JSON text."""
        where: Any = {"jmespath": self.jmespath} if self.jmespath else {"path": self.path}
        if self.json:
            return {**where, "transform": "try_json" if self.loose else "json"}
        return where if self.jmespath else self.path


@dataclass
class _Node:
    leaves: dict[str, _Leaf] = field(default_factory=dict)
    colls: dict[str, _Coll] = field(default_factory=dict)


_PLAIN_KEY = re.compile(r"[^.\[\]\"']+")


def _path(keys: Iterable[str]) -> str:
    out = ""
    for key in keys:
        if key == _FIRST:
            out += key
        elif _PLAIN_KEY.fullmatch(key) and key == key.strip() and key not in ("$", "@rows"):
            out += f".{key}" if out else key
        else:
            out += f'["{key}"]' if '"' not in key else f"['{key}']"
    return out


def _profile(elements: list[dict[str, Any]], label: str) -> _Node:
    node = _Node()
    for row, element in enumerate(elements):
        _walk(element, (), node, label, row, 0)
    for leaf in node.leaves.values():
        for value in leaf.values:
            leaf.tags.update(_tags(value))
    currencies = {leaf.keys[:-1]: leaf for leaf in node.leaves.values()
                  if _key(leaf.keys[-1]) in _MONEY_CURRENCIES and leaf.frac("currency") >= 0.8}
    for leaf in node.leaves.values():
        if len(leaf.keys) >= 2 and _key(leaf.keys[-1]) in _MONEY_AMOUNTS and leaf.frac("money") >= 0.9:
            leaf.currency = currencies.get(leaf.keys[:-1])
    for coll in node.colls.values():
        coll.node = _profile(coll.elements, coll.label)
        text = node.leaves.get(coll.path)
        coll.loose = coll.json and text is not None and text.frac("json") < 1
    return node


def _walk(obj: dict[str, Any], keys: tuple[str, ...], node: _Node, label: str, row: int, depth: int,
          lists: bool = True) -> None:
    """Profile one element's paths into `node`; with `lists` false, only its scalar and object paths."""
    for raw_key, value in obj.items():
        key = str(raw_key)
        ks = (*keys, key)
        if "'" in key and '"' in key:
            continue  # no path syntax can name it
        if isinstance(value, dict):
            if value and _match(_tokens(key), _ALL_LISTS)[0] >= 0.8:
                if lists:
                    _coll(node, ks, _label(ks, label) + ".", False).add(row, [value])
            else:
                _leaf(node, ks, label).add(row, value)  # an object may be `extra` as a whole
                if depth < 6:
                    _walk(value, ks, node, label, row, depth + 1, lists)
        elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
            elements = [v for v in value if isinstance(v, dict)]
            if lists:
                _coll(node, ks, _label(ks, label) + "[].", False).add(row, elements)
                _keyed_lists(node, ks, elements, label, row)
            if _group_of(key) == "shipping" and depth < 6:
                # A list of addresses (BigCommerce `shipping_addresses`, Magento `shipping_assignments`): the
                # order's address is the first one's, read as `shipping_addresses[0].zip`.
                _walk(elements[0], (*ks, _FIRST), node, label, row, depth + 1, lists=False)
        else:
            leaf = _leaf(node, ks, label)
            if value is None or value == "" or value == []:
                continue
            leaf.add(row, value)
            if lists and isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
                _json_coll(node, ks, key, value, label, row)


def _json_coll(node: _Node, keys: tuple[str, ...], key: str, text: str, label: str, row: int) -> None:
    """Lists of objects sent as JSON text (`goods: "[{...}]"`) are collections read with `transform: json`."""
    elements = _decoded_list(key, text)
    if elements:
        coll = _coll(node, keys, _label(keys, label) + "[].", True)
        coll.add(row, elements)
        coll.package |= not text.lstrip().startswith("[") and _match(_tokens(key), _ALL_LISTS)[0] < 0.8


def _decoded_list(key: str, text: str) -> list[dict[str, Any]]:
    """The objects of a list sent as JSON text; an object alone counts when its name is a list's."""
    try:
        decoded = json.loads(text)
    except ValueError:
        return []
    if isinstance(decoded, list):
        return [v for v in decoded if isinstance(v, dict)]
    if isinstance(decoded, dict) and _match(_tokens(key), _ALL_LISTS)[0] >= 0.8:
        return [decoded]
    if isinstance(decoded, dict) and any(_match(_tokens(str(k)), _TRACKING)[0] >= 0.8 for k in decoded):
        return [decoded]  # Bytedesk's `extra: "{\"trackingNumber\": ...}"`: an object holding a package
    return []


_TRACKING = _SHIPMENT["tracking_number"].names
_KEY_NAMES = {"key", "name", "metakey"}
_VALUE_NAMES = {"value", "metavalue"}


def _keyed_lists(node: _Node, keys: tuple[str, ...], entries: list[dict[str, Any]], label: str, row: int) -> None:
    """Key/value lists (WooCommerce `meta_data: [{key, value}]`) whose value under one key is a list of objects, or
    JSON text of one (the Shipment Tracking extension's `_wc_shipment_tracking_items`): that value is a list of its
    own, named by its key and read as `meta_data[?key=='...'].value | [0]`."""
    for entry in entries:
        names = {_key(k): k for k in entry}
        key_field = next((names[k] for k in _KEY_NAMES if k in names), None)
        value_field = next((names[k] for k in _VALUE_NAMES if k in names), None)
        if key_field is None or value_field is None or not isinstance(entry[key_field], str):
            continue
        name, value = entry[key_field], entry[value_field]
        if isinstance(value, str):
            elements, is_json = _decoded_list(name, value), True
        elif isinstance(value, list):
            elements, is_json = [v for v in value if isinstance(v, dict)], False
        else:
            continue
        if not elements or "'" in name:
            continue
        expression = f"{_jmespath(keys)}[?{_jmespath((key_field,))} == '{name}'].{_jmespath((value_field,))} | [0]"
        coll = _coll(node, (*keys, name), f"{_label(keys, label)}[].{value_field}[].", is_json, expression)
        coll.add(row, elements)


def _label(keys: tuple[str, ...], label: str) -> str:
    """A path as `mapping check` names source fields (`shipping_addresses[].zip`), after the element's own label."""
    return label + ".".join(keys).replace(f".{_FIRST}", "[]")


def _leaf(node: _Node, keys: tuple[str, ...], label: str) -> _Leaf:
    path = _path(keys)
    if path not in node.leaves:
        node.leaves[path] = _Leaf(keys, path, _label(keys, label))
    return node.leaves[path]


def _coll(node: _Node, keys: tuple[str, ...], label: str, is_json: bool, jmespath: str | None = None) -> _Coll:
    path = jmespath or _path(keys)
    if path not in node.colls:
        node.colls[path] = _Coll(keys, path, label, is_json, jmespath=jmespath)
    node.colls[path].json |= is_json
    return node.colls[path]


# ---------------------------------------------------------------------------------------------------------
# Reading a profiled path


def _distinct(leaf: _Leaf) -> list[str]:
    return [str(value) for value in leaf.labels.values()]


def _date_style(leaf: _Leaf) -> str:
    f = leaf.frac
    if f("unix_s") >= 0.8:
        return "values are Unix seconds"
    if f("unix_ms") >= 0.8:
        return "values are Unix milliseconds"
    fmt = _date_format(leaf)
    if fmt:
        return f"values need the format {fmt!r}"
    if f("naive") >= 0.5:
        example = next((str(v) for v in leaf.values if isinstance(v, str)), "")
        return f"values are naive times like {example!r} (read in defaults.timezone)"
    offsets = leaf.tagged("offset:")
    if offsets:
        return "values are ISO 8601 with " + "/".join(o.replace("+00:00", "Z") for o in sorted(offsets))
    return "values are dates"


def _date_format(leaf: _Leaf) -> str | None:
    """A strptime format when the default parser does not read the values (day/month order first)."""
    formats = leaf.tagged("fmt:")
    if not formats:
        return None
    best = max(formats.values())
    return next(fmt for fmt in _EXTRA_FORMATS if formats.get(fmt) == best)


def _phones(leaf: _Leaf) -> tuple[str | None, str]:
    """The region the phone numbers belong to, and a description for the comment."""
    if leaf.phone is not None:
        return leaf.phone
    international: Counter[str] = Counter()
    valid: Counter[str] = Counter()
    mobile: Counter[str] = Counter()
    local = 0
    for value in leaf.values[:50]:
        text = str(value).strip()
        if text.startswith("00"):
            text = "+" + text[2:]
        try:
            if text.startswith("+"):
                code = phonenumbers.parse(text, None).country_code or 0
                international[phonenumbers.region_code_for_country_code(code)] += 1
                continue
            local += 1
            if _NANP_TEXT.fullmatch(text):
                valid[next((r for r in leaf.regions if r in ("US", "CA")), "US")] += 1
                continue
            for region in leaf.regions:
                number = phonenumbers.parse(text, region)
                if phonenumbers.is_valid_number(number):
                    valid[region] += 1
                    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE:
                        mobile[region] += 1
                    break
        except phonenumbers.NumberParseException:
            continue
    international.pop("ZZ", None)  # an unknown country code
    # The region is how numbers *without* a country code are read: those decide it; international ones only when
    # there are no others.
    combined = valid or international
    if not combined:
        leaf.phone = (None, "values look like phone numbers")
        return leaf.phone
    order = {region: i for i, region in enumerate(leaf.regions)}
    region = max(combined, key=lambda r: (combined[r], -order.get(r, 99)))
    if not local:
        leaf.phone = (region, f"values are international numbers ({region})")
    elif mobile[region] * 2 > local:
        code = phonenumbers.country_code_for_region(region)
        leaf.phone = (region, f"values look like {region} mobiles" + (f" without +{code}" if not international else ""))
    else:
        leaf.phone = (region, f"values look like {region} phone numbers")
    return leaf.phone


def _exponents(leaf: _Leaf) -> set[int]:
    """The minor-unit exponents of the currencies beside a money object's amounts (2 for USD, 0 for JPY)."""
    assert leaf.currency is not None
    return {tf.currency_exponent(code) for code in _distinct(leaf.currency)}


_JMES_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _jmespath(keys: tuple[str, ...]) -> str:
    """A path as a JMESPath expression: `total_money.amount`, `a."key with space"`, `list[0].x`."""
    out = ""
    for key in keys:
        if key == _FIRST:
            out += key
            continue
        name = key if _JMES_NAME.fullmatch(key) else json.dumps(key, ensure_ascii=False)
        out += f".{name}" if out else name
    return out


def _minor_jmespath(leaves: list[_Leaf]) -> list[str]:
    """Lines of a JMESPath expression reading money objects' amounts in their own currency's minor units, for
    `transform: {minor_units: 2}`: the amount is written with the power of ten its currency's exponent differs from
    2 by ("1300E2" for JPY 1300), as the square preset does. The first present amount of `leaves` wins."""
    by_exponent: dict[int, list[str]] = {}
    for code, exponent in sorted(tf._EXPONENTS.items()):
        by_exponent.setdefault(exponent, []).append(code)
    lines: list[str] = []
    for leaf in leaves:
        assert leaf.currency is not None
        amount, currency = _jmespath(leaf.keys), _jmespath(leaf.currency.keys)
        lines += [f"{'|| ' if lines else ''}{amount} != `null` && join('', [to_string({amount}),",
                  *(f"contains({by_exponent[exponent]!r}, {currency}) && 'E{2 - exponent}' ||"
                    for exponent in sorted(by_exponent)),
                  "''])"]
    return [*lines, "|| `null`"]


def _transform(rule: _Rule, leaf: _Leaf) -> tuple[Any, str]:
    """The transform a field needs for these values, and a note for its comment."""
    if rule.kind == "datetime":
        if leaf.frac("unix_s") >= 0.8:
            return {"datetime": {"unit": "s"}}, ""
        if leaf.frac("unix_ms") >= 0.8:
            return {"datetime": {"unit": "ms"}}, ""
        fmt = _date_format(leaf)
        if fmt:
            return {"datetime": fmt}, "day/month order is a guess" if fmt.startswith(("%d/%m", "%m/%d")) else ""
    elif rule.kind == "money":
        if leaf.minor:
            exponents = _exponents(leaf)
            if len(exponents) > 1:
                return {"minor_units": 2}, ("its currencies have different minor units: each amount is read with "
                                            "its own currency's, as the square preset does")
            exponent = exponents.pop() if exponents else 2
            return ("minor_units" if exponent == 2 else {"minor_units": exponent}), ""
        if _MINOR_WORDS & set(_tokens(leaf.keys[-1])):
            return "minor_units", "the name says minor units (cents/fen)"
        if leaf.values and all(isinstance(v, int) and not isinstance(v, bool) for v in leaf.values):
            return None, "whole numbers: if they are cents/fen, add transform: minor_units"
    elif rule.kind == "extra" and leaf.frac("json") >= 0.8:
        return "json", ""
    return None, ""
