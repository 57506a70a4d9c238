"""Order sources: where the assistant reads orders from (a merchant's HTTP endpoint or the embedded store).

A source answers one question: which orders match this key? Matching beyond the key (second factors,
identity, full-number phone checks) is the lookup layer's job, so every source is held to the same policy.
"""

from __future__ import annotations

import re
from typing import Literal, Protocol

from tools.config import MerchantConfig
from tools.errors import OrderAssistantError
from tools.schema import Order

__all__ = [
    "Key",
    "MerchantBadResponse",
    "MerchantRejected",
    "MerchantUnavailable",
    "OrderSource",
    "SourceError",
    "normalise_email",
    "normalise_order_id",
    "open_source",
]

Key = Literal["order_id", "email", "phone", "ref_id"]


class SourceError(OrderAssistantError):
    """The order source failed; `shopper_message` is safe to show a shopper (no internals)."""

    shopper_message = "I can't reach the order system right now. Please try again in a few minutes."


class MerchantUnavailable(SourceError):
    """The merchant's endpoint timed out, refused the connection or kept failing (5xx, 429)."""

    shopper_message = "The order system isn't answering right now. Please try again in a few minutes."


class MerchantBadResponse(SourceError):
    """The endpoint answered with something that is not orders (not JSON, wrong shape, too large)."""

    shopper_message = "The order system sent a reply I couldn't read. A team member can look it up for you."


class MerchantRejected(SourceError):
    """The endpoint refused the request (4xx other than 404 and 429): usually credentials or configuration."""

    shopper_message = "I can't look up orders right now. A team member can help you instead."


class OrderSource(Protocol):
    """Finds orders by one key. `phone` is E.164; sources may return near matches (last 7 digits)."""

    def find(self, key: Key, value: str) -> list[Order]: ...

    def close(self) -> None: ...


_ID_JUNK = re.compile(r"[\s#]")


def normalise_order_id(value: str) -> str:
    """The form order numbers are compared in: no '#', spaces or case ("#1042" == "1042", "ord-1" == "ORD-1")."""
    return _ID_JUNK.sub("", value).upper()


EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
"""An email address in a shopper's text. ASCII only: in "邮箱是jane@example.com谢谢" it ends at the Chinese."""


def normalise_email(value: str) -> str:
    """Emails compare case-insensitively, surrounding spaces ignored."""
    return value.strip().casefold()


def open_source(config: MerchantConfig) -> OrderSource:
    """The source a merchant config names."""
    if config.source.type == "http":
        from tools.http_source import HttpSource

        return HttpSource(config.source, config.mapper(),
                          config_file=str(config.file) if config.file is not None else None)
    from tools.store import OrderStore, StoreError

    path = config.resolve(config.source.path, "source.path")
    try:
        return OrderStore(path)
    except StoreError as exc:
        if config.file is None:
            raise
        raise StoreError(f"{config.where('source.path')}: {exc}") from None
