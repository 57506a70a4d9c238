"""The mapping file format: strict pydantic models of what a person writes, and the wording of their errors."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tools import _transforms as tf


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Condition(_Strict):
    """A test on one value; strings compare case-insensitively."""

    equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    not_in: list[Any] | None = None
    present: bool | None = None


class Case(_Strict):
    """`value` is used when every condition in `when` holds (paths relative to the current element)."""

    when: dict[str, Any]
    value: Any


class ValueSpec(_Strict):
    """Where a scalar comes from and how it is converted. Exactly one source: path, jmespath, const, join or cases."""

    path: str | list[str] | None = None
    """A dotted path, or a list of paths of which the first present one wins."""
    jmespath: str | None = None
    const: Any = None
    join: list[str] | None = None
    """Paths whose present values are joined with `sep` (name parts, address lines)."""
    sep: str = " "
    cases: list[Case] | None = None
    map: dict[str, Any] | None = None
    """Merchant labels to canonical values, matched ignoring case and the spaces around them (so two labels that
    differ only so are an error); other labels pass through."""
    transform: str | dict[str, Any] | list[str | dict[str, Any]] | None = None
    default: Any = None

    @model_validator(mode="after")
    def _one_source(self) -> ValueSpec:
        sources = [name for name in ("path", "jmespath", "const", "join", "cases") if name in self.model_fields_set]
        if len(sources) != 1:
            got = ", ".join(sources) if sources else "none"
            raise ValueError(f"needs exactly one of path, jmespath, const, join, cases (got {got})")
        return self


class Defaults(_Strict):
    """Per-mapping defaults; a merchant config may override them."""

    timezone: str = "UTC"
    """Naive merchant times are read in this IANA zone."""
    currency: str | None = None
    """ISO 4217 code of orders that carry none; a shared sign ("$", "¥", "kr") in the currency field means it when
    it can."""
    region: str | None = None
    """ISO 3166 region for phone numbers written without a country code."""

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return tf.currency_setting(value)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        return tf.region_code(value)


class MappingSpec(_Strict):
    """A whole mapping file."""

    name: str | None = None
    description: str | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    records: str | dict[str, Any] | None = None
    """Where the orders are in a payload: a path, or `{jmespath: EXPRESSION}` for payloads of more than one shape
    (a search envelope or a bare order); without it, envelopes ({"orders": [...]}, ...) are detected."""
    group_by: str | list[str] | None = None
    """For exports with one row per item: rows with the same value here become one order (a list of paths: the
    first present one wins, for exports whose column names vary)."""
    status_from_shipments: bool = False
    """A shipped order whose every shipment is delivered becomes `delivered`."""
    order: dict[str, Any]

    @field_validator("records", mode="before")
    @classmethod
    def _records(cls, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, dict) and set(value) == {"jmespath"} and isinstance(value["jmespath"], str):
            return value
        raise ValueError("expected a path or {jmespath: EXPRESSION}")


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def pydantic_message(exc: ValidationError, model: type[BaseModel] | None = None) -> str:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    if first["type"] == "extra_forbidden" and model is not None:
        return f"unknown key {loc!r}{did_you_mean(str(first['loc'][-1]), model.model_fields)}"
    message = first["msg"].removeprefix("Value error, ")
    return f"{loc}: {message}" if loc else message
