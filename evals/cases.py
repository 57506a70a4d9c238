"""Eval case files: one YAML file per case, validated strictly, with its orders loaded and mapped.

A case names the shop (merchant, policy, orders), the shopper (signed identity, widget order context, scripted
turns or a simulated persona) and what must hold of the conversation (`expect`). Paths in a case are relative to
the case file. A typo is an error naming the file and the key; two cases with one id are an error naming both.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tools._yaml import load_yaml, parse_mapping, read_text
from tools.config import MerchantConfig, MerchantInfo, PolicyConfig
from tools.errors import OrderAssistantError, RecordError, SampleError
from tools.schema import Order
from tools.sources import normalise_order_id

__all__ = [
    "Case",
    "CaseError",
    "CaseSpec",
    "Expect",
    "ExpectedCall",
    "Phrase",
    "Simulated",
    "TurnExpect",
    "find_case_files",
    "load_case",
    "load_cases",
]

CASE_SUFFIXES = (".yaml", ".yml")
CASE_KEYS = ("id", "now", "user", "expect")
"""A file with none of these is no case file at all (an order file, a mapping), whatever else it holds."""
DATA_DIRS = frozenset({"fixtures", "cassettes"})
"""Folders under a case folder that hold data (order files, mappings, cassettes), never cases."""


class CaseError(OrderAssistantError):
    """An eval case file is missing, unreadable or invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _close(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class ExpectedCall(_Strict):
    name: str
    """A tool the agent has (`tools.lookup.TOOLS`): a misspelt name could never be called, so the case would fail
    for a reason no run can fix."""
    args: dict[str, Any] = Field(default_factory=dict)
    """A subset of the call's arguments; strings compare case-folded, stripped and without '#'."""

    @field_validator("name")
    @classmethod
    def _tool(cls, value: str) -> str:
        from tools.lookup import TOOLS

        if value not in TOOLS:
            raise ValueError(f"no tool {value!r}" + (_close(value, list(TOOLS)) or f" (tools: {', '.join(TOOLS)})"))
        return value

    @model_validator(mode="after")
    def _args(self) -> ExpectedCall:
        from tools.lookup import TOOLS

        known = TOOLS[self.name].schema()["function"]["parameters"].get("properties", {})
        for arg in self.args:
            if arg not in known:
                raise ValueError(f"args.{arg}: not an argument of {self.name}{_close(arg, list(known))}")
        return self


Phrase = str | list[str]
"""A `say`/`not_say` entry: a phrase, or a list of alternatives (any one of them counts as said)."""


def _phrases(value: list[Phrase]) -> list[Phrase]:
    for i, entry in enumerate(value, start=1):
        if isinstance(entry, list):
            if not entry:
                raise ValueError(f"phrase {i}: an empty list of alternatives")
            for j, alternative in enumerate(entry, start=1):
                if not alternative.strip():
                    raise ValueError(f"phrase {i}: alternative {j} is empty")
        elif not entry.strip():
            # An empty phrase is in every reply: the check could never fail (nor, in not_say, pass).
            raise ValueError(f"phrase {i} is empty")
    return value


class TurnExpect(_Strict):
    """What the reply (or replies) to one shopper message must and must not say."""

    say: list[Phrase] = Field(default_factory=list)
    not_say: list[Phrase] = Field(default_factory=list)

    @field_validator("say", "not_say")
    @classmethod
    def _blank(cls, value: list[Phrase]) -> list[Phrase]:
        return _phrases(value)


class Expect(_Strict):
    tool_calls: list[ExpectedCall] = Field(default_factory=list)
    """Each must occur somewhere in the conversation."""
    say: list[Phrase] = Field(default_factory=list)
    """Each appears within one of the assistant's replies (case-insensitive, full-width forms as ASCII); an entry
    that is a list passes when any one of its alternatives does."""
    say_across_replies: bool = False
    """A `say` phrase may run across replies (joined by newlines) rather than sit within one."""
    not_say: list[Phrase] = Field(default_factory=list)
    """None appears in any reply; a list entry is a group of phrases, none of which may appear."""
    turns: dict[int, TurnExpect] = Field(default_factory=dict)
    """`say`/`not_say` of the reply to one shopper message, by its 1-based index."""
    disclose_only: list[str] | None = None
    """Order ids the replies may mention; nothing of any other order of the case (id, tracking number, total,
    contact, name, city, postal code, items) may appear. [] means none."""
    grounded: bool = False
    """Every claim (tracking number, order id, date, amount) of every reply is in the tool results."""
    max_tool_calls: int | None = Field(None, ge=0)
    rubric: list[str] = Field(default_factory=list)
    """Criteria an LLM judge grades, only when a judge model is configured."""

    @field_validator("say", "not_say")
    @classmethod
    def _blank(cls, value: list[Phrase]) -> list[Phrase]:
        return _phrases(value)

    @field_validator("turns")
    @classmethod
    def _turns(cls, value: dict[int, TurnExpect]) -> dict[int, TurnExpect]:
        for n, expect in value.items():
            if n < 1:
                raise ValueError(f"turn {n}: shopper turns count from 1")
            if not (expect.say or expect.not_say):
                raise ValueError(f"turn {n}: give say or not_say")
        return value


class Session(_Strict):
    verified_email: str | None = None
    verified_phone: str | None = None
    """Read in the merchant's `default_region` unless written in E.164; checked when the case loads."""

    @field_validator("verified_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        from tools.sources import EMAIL

        if value is not None and not EMAIL.fullmatch(value.strip()):
            raise ValueError(f"{value!r} is not an email address")
        return value


class Simulated(_Strict):
    persona: str
    goal: str
    known_info: dict[str, Any] = Field(default_factory=dict)
    """What the shopper knows and may tell when asked (order number, email, postal code...)."""
    max_turns: int = Field(8, ge=1, le=50)


class User(_Strict):
    turns: list[str] | None = None
    simulated: Simulated | None = None

    @model_validator(mode="after")
    def _one(self) -> User:
        if (self.turns is None) == (self.simulated is None):
            raise ValueError("give exactly one of turns or simulated")
        if self.turns is not None and not self.turns:
            raise ValueError("turns: give at least one shopper message")
        return self


class CaseSpec(_Strict):
    """A case file as written."""

    id: str = Field(min_length=1)
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    orders: str | list[dict[str, Any]] = Field(default_factory=list)
    """A file (relative to the case file) or an inline list, in the format of `mapping`."""
    mapping: str | None = None
    """A preset name or a mapping file; none: the orders are canonical Order JSON."""
    merchant: MerchantInfo = Field(default_factory=MerchantInfo)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    now: datetime
    """The frozen clock of the conversation."""
    session: Session = Field(default_factory=Session)
    order_info: Any = None
    """The widget's order context (Bytedesk orderInfo), as an object or a JSON string."""
    user: User
    expect: Expect = Field(default_factory=Expect)
    trials: int = Field(1, ge=1, le=100)

    @field_validator("orders", mode="before")
    @classmethod
    def _orders(cls, value: Any) -> Any:
        if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
            return value
        raise ValueError("expected a file path (relative to the case file) or a list of orders")

    @field_validator("now")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.utcoffset() is None:
            raise ValueError("give a UTC offset, e.g. 2026-11-25T10:00:00-08:00")
        return value

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if value != value.strip() or any(ch.isspace() for ch in value):
            raise ValueError("an id has no spaces")
        return value


@dataclass(frozen=True)
class Case:
    """A validated case with its orders loaded."""

    spec: CaseSpec
    path: Path
    orders: list[Order]

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def categories(self) -> list[str]:
        """Tag categories: the part of each tag before ':' (untagged cases fall in 'untagged')."""
        seen = dict.fromkeys(tag.split(":", 1)[0] for tag in self.spec.tags)
        return list(seen) or ["untagged"]

    def merchant_config(self) -> MerchantConfig:
        return MerchantConfig(merchant=self.spec.merchant, policy=self.spec.policy,
                              mapping=self.spec.mapping or "generic", base_dir=self.path.parent)


# -- validation messages ------------------------------------------------------------------------------------


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _message(exc: ValidationError) -> str:
    errors = exc.errors()
    # A typo in a required key also reports that key missing; the typo is the useful half.
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = [p for p in error["loc"] if not str(p).startswith(("function-", "tagged-union"))]
    where = ""
    model: type[BaseModel] | None = CaseSpec
    parent: type[BaseModel] | None = CaseSpec
    for step in loc:
        where += f"[{step}]" if isinstance(step, int) else (f".{step}" if where else str(step))
        if isinstance(step, int):
            continue
        parent = model
        info = model.model_fields.get(step) if model is not None else None
        model = _model_of(info.annotation) if info is not None else None
    where = where or "case"
    if error["type"] == "extra_forbidden":
        last = str(loc[-1]) if loc else ""
        close = difflib.get_close_matches(last, list(parent.model_fields) if parent else [], n=1)
        return f"{where}: unknown key" + (f" (did you mean {close[0]!r}?)" if close else "")
    if error["type"] == "missing":
        return f"{where}: missing"
    return f"{where}: {error['msg'].removeprefix('Value error, ')}"


# -- loading ------------------------------------------------------------------------------------------------


_NOT_A_CASE = f"not an eval case file (expected a YAML mapping with keys {', '.join(CASE_KEYS)})"


def _read_yaml(path: Path) -> dict[str, Any]:
    text = read_text(path, CaseError, "case file")
    try:
        data = load_yaml(text)
    except yaml.YAMLError:
        return parse_mapping(text, str(path), CaseError, "a YAML mapping")  # says where the YAML breaks
    # An order file or a mapping given by mistake would otherwise fail on its first key ("id: missing").
    if not isinstance(data, dict) or not any(key in data for key in CASE_KEYS):
        raise CaseError(f"{path}: {_NOT_A_CASE}")
    return data


_NO_MAPPING_HINT = "add `mapping:` with the preset or mapping file for this data"


def _canonical(records: list[Any], where: str, *, hint: bool = True) -> list[Order]:
    orders = []
    for i, record in enumerate(records, start=1):
        try:
            orders.append(Order.model_validate(record))
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"]) or "order"
            # Without `mapping:` the data must be canonical; a shop's own export fails here on its first field.
            more = f" ({_NO_MAPPING_HINT})" if hint else ""
            raise CaseError(f"{where}: order {i}: {loc}: {first['msg'].removeprefix('Value error, ')}{more}") \
                from None
    return orders


def _load_orders(spec: CaseSpec, path: Path) -> list[Order]:
    from tools.files import read_payload

    base = path.parent
    if isinstance(spec.orders, str):
        file = base / spec.orders
        try:
            payload = read_payload(file)
        except SampleError as exc:
            raise CaseError(f"{path}: orders: {exc}") from None
        data, kind, where = payload.data, payload.kind, f"{path}: orders ({file})"
    else:
        data, kind, where = spec.orders, "json", f"{path}: orders"
    if spec.mapping is None:
        if isinstance(data, dict):
            data = data.get("orders", [data])
        if not isinstance(data, list):
            raise CaseError(f"{where}: expected a list of canonical orders")
        return _canonical(data, where)
    return _mapped(spec, path, data, kind, where)


def _mapped(spec: CaseSpec, path: Path, data: Any, kind: str, where: str) -> list[Order]:
    from tools.mapping import load_mapping
    from tools.presets import preset_path

    assert spec.mapping is not None
    ref: str | Path = spec.mapping if preset_path(spec.mapping) is not None else path.parent / spec.mapping
    overrides = MerchantConfig(merchant=spec.merchant).mapping_overrides()
    try:
        mapper = load_mapping(ref, **overrides)
        mapped = mapper.map_records(data) if kind != "json" else mapper.map_payload(data)
    except (OrderAssistantError, RecordError) as exc:
        raise CaseError(f"{where}: {exc}") from None
    if mapped.errors:
        raise CaseError(f"{where}: {mapped.errors[0]}")
    for order, sources in zip(mapped.orders, mapped.sources, strict=True):
        if not order.id:
            # An order without its number can never be looked up: the mapping does not fit the data, and every
            # check of the case would pass or fail for that reason alone.
            record = f"record {sources[0] + 1}" if sources else "an order"
            raise CaseError(f"{where}: {record} has no order id when mapped with {spec.mapping!r}: is that the "
                            f"mapping for this data?{_canonical_hint(data)}")
    return mapped.orders


def _canonical_hint(data: Any) -> str:
    records = data.get("orders", [data]) if isinstance(data, dict) else data
    try:
        _canonical(records if isinstance(records, list) else [records], "", hint=False)
    except CaseError:
        return ""
    return " (it reads as canonical orders: drop `mapping:`)"


def load_case(path: str | Path) -> Case:
    """Read, validate and load one case file; CaseError names the file and the key."""
    path = Path(path)
    data = _read_yaml(path)
    try:
        spec = CaseSpec.model_validate(data)
    except ValidationError as exc:
        raise CaseError(f"{path}: {_message(exc)}") from None
    _check_session(spec, path)
    orders = _load_orders(spec, path)
    ids = {normalise_order_id(o.id) for o in orders if o.id}
    for allowed in spec.expect.disclose_only or []:
        if normalise_order_id(allowed) not in ids:
            raise CaseError(f"{path}: expect.disclose_only: no order {allowed!r} in the case's orders")
    _check_turns(spec, path)
    return Case(spec=spec, path=path, orders=orders)


def _check_turns(spec: CaseSpec, path: Path) -> None:
    """A turn the conversation can never reach would fail every trial for a reason no run can fix."""
    user = spec.user
    if user.turns is not None:
        count = len(user.turns)
        bound = f"the case scripts {count} shopper turn{'s' if count != 1 else ''}"
    else:
        count = user.simulated.max_turns if user.simulated else 0
        bound = f"the simulated shopper's max_turns is {count}"
    for n in spec.expect.turns:
        if n > count:
            raise CaseError(f"{path}: expect.turns: turn {n}, but {bound}")


def _check_session(spec: CaseSpec, path: Path) -> None:
    """A signed-in phone the lookup cannot read (`tools.phones`) would silently sign no one in."""
    from tools.phones import to_e164

    phone = spec.session.verified_phone
    if phone is None:
        return
    region = spec.merchant.default_region
    reading = to_e164(phone, region)
    if not (reading and reading.startswith("+")):
        where = f"in region {region}" if region else "without merchant.default_region (write it as +<country><number>)"
        raise CaseError(f"{path}: session.verified_phone: {phone!r} is not a phone number {where}")


def find_case_files(path: str | Path) -> list[Path]:
    """A case file, or every *.yaml / *.yml under a folder (recursively, skipping data and hidden folders)."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise CaseError(f"{path}: no such case file or folder")
    found = []
    for file in sorted(path.rglob("*")):
        parts = file.relative_to(path).parts[:-1]
        if file.suffix.lower() not in CASE_SUFFIXES or not file.is_file():
            continue
        if any(p in DATA_DIRS or p.startswith(".") for p in parts) or file.name.startswith("."):
            continue
        found.append(file)
    return found


def load_cases(paths: Sequence[str | Path]) -> list[Case]:
    """Every case under `paths` (files or folders), in a stable order; duplicate ids are an error."""
    cases: list[Case] = []
    seen: dict[str, Path] = {}
    files: dict[Path, Path] = {}
    for path in paths:
        for file in find_case_files(path):
            files.setdefault(file.resolve(), file)
    for file in files.values():
        case = load_case(file)
        if case.id in seen:
            raise CaseError(f"duplicate case id {case.id!r} in {seen[case.id]} and {file}")
        seen[case.id] = file
        cases.append(case)
    return cases


def order_info_text(value: Any) -> str:
    """The widget order context as text (what the shopper's page shows them), decoded when it came URL-encoded or
    in a chat link, so that the item title it shows reads as one."""
    if value is None:
        return ""
    from tools.order_info import parse_order_info

    raw = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    try:
        decoded = parse_order_info(value)
    except SampleError:
        return raw
    return raw + "\n" + json.dumps(decoded, ensure_ascii=False)
