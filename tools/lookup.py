"""The order-lookup tool the model calls, and the session it runs in. The policy is applied here, in code:
what the model sees of an order depends on the session's verified identity and the factors given, never on
what a prompt says."""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tools._transforms import zone
from tools.config import MerchantInfo, PolicyConfig
from tools.http_source import UnsupportedKey
from tools.phones import last7, phone_readings, to_e164
from tools.policy import (
    Disclosure,
    matches_email,
    matches_phone,
    matches_postal_code,
    order_region,
    order_summary,
    order_view,
)
from tools.schema import Order
from tools.sources import EMAIL, OrderSource, SourceError, normalise_order_id
from tools.toolkit import ToolArgumentError, function_tool

__all__ = ["LookupContext", "MAX_ORDERS", "Session", "TOOLS", "lookup_orders"]

log = logging.getLogger("order_assistant.lookup")

MAX_ORDERS = 10
"""At most this many orders (most recent first) in one result; `more` says how many were left out."""

HANDOFF = "Offer to connect the shopper with a team member."


class Session(BaseModel):
    """What one conversation has established; serialisable so a server can persist it."""

    model_config = ConfigDict(extra="forbid")

    verified_email: str | None = None
    """An email the merchant vouched for (a signed widget token; the CLI's --verified-email)."""
    verified_phone: str | None = None
    failed_attempts: int = 0
    failed_lookups: list[str] = Field(default_factory=list)
    """The details of each failed attempt (normalised): the same details again are not another attempt."""
    disclosed: list[str] = Field(default_factory=list)
    """Order ids disclosed so far, in order."""


@dataclass
class LookupContext:
    """Everything a lookup needs besides the model's arguments."""

    source: OrderSource
    merchant: MerchantInfo
    policy: PolicyConfig
    session: Session
    shopper_text: str | None = None
    """Everything the shopper has written in the conversation. When set, an email, phone or postal code only
    verifies an order if the shopper wrote it: a model that makes one up, or is steered by text inside merchant
    data, cannot verify anything. None (a merchant's own `lookup` command): arguments are taken as given."""

    @cached_property
    def _said(self) -> str:
        return unicodedata.normalize("NFKC", self.shopper_text or "")

    def from_shopper(self, kind: str, value: str | None) -> str | None:
        """`value` when the shopper wrote it (see `shopper_text`), else None. Whole tokens only: an email inside a
        longer one, or a postal code inside a phone number, was not written."""
        if not value or self.shopper_text is None:
            return value
        said = self._said
        if kind == "email":
            wanted = value.strip().casefold()
            return value if any(m.group().casefold() == wanted for m in EMAIL.finditer(said)) else None
        if kind == "phone":
            tail = last7(value)
            runs = (re.sub(r"\D", "", m.group()) for m in _PHONE_TOKEN.finditer(said))
            return value if tail and any(run.endswith(tail) for run in runs) else None
        wanted = re.sub(r"[\s-]", "", value).upper()
        if not wanted:
            return None
        # The characters in order, spaces or dashes allowed between them ("3511 LX", "SW1A-1AA"), as a whole token.
        pattern = r"[\s-]?".join(map(re.escape, wanted))
        found = re.search(rf"(?<![A-Za-z0-9]){pattern}(?![A-Za-z0-9])", said, re.IGNORECASE)
        return value if found else None


_PHONE_TOKEN = re.compile(r"\+?\d[\d\s().-]{5,}\d")


def _result(kind: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"result": kind, "message": message, **extra}


def _identity_phones(ctx: LookupContext) -> list[str]:
    """The signed-in phone, read in the merchant's region: one number. A typed phone may also be tried as a
    Chinese mobile (`phone_readings`) because an order number or the orders' contact limits what it finds; a
    signed-in phone lists every order under it, so "1 (502) 888-9999" must never also mean +86 150 2888 9999."""
    phone = ctx.session.verified_phone
    reading = to_e164(phone, ctx.merchant.default_region) if phone else None
    return [reading] if reading and reading.startswith("+") else []


def _identity_matches(order: Order, ctx: LookupContext) -> bool:
    region = ctx.merchant.default_region
    return matches_email(order, ctx.session.verified_email) or any(
        matches_phone(order, p, region) for p in _identity_phones(ctx))


def _found(orders: list[Order], disclosure: Disclosure, ctx: LookupContext) -> dict[str, Any]:
    """The orders found, most recent first. One order comes whole (as `disclosure` allows); several come as a
    list to ask which from, each in brief: the chosen one is then looked up by its number."""
    orders = sorted(orders, key=lambda o: o.created_at.timestamp() if o.created_at else 0.0, reverse=True)
    shown = orders[:MAX_ORDERS]
    for order in shown:
        if order.id and order.id not in ctx.session.disclosed:
            ctx.session.disclosed.append(order.id)
    tz = zone(ctx.merchant.timezone)
    brief = len(shown) > 1 and disclosure == Disclosure.FULL
    out: dict[str, Any] = {
        "result": "found",
        "disclosure": disclosure.value,
        "orders": [order_summary(o, tz) if brief else order_view(o, disclosure, tz) for o in shown],
    }
    if len(orders) > len(shown):
        out["more"] = more = len(orders) - len(shown)
        out["message"] = (f"{more} older order(s) are not listed, so the oldest is not here: for one of them, ask for "
                          "its order number.")
    return out


def _failed(ctx: LookupContext, details: str) -> dict[str, Any]:
    """A failed attempt, counted once per set of details: a shopper (or a model) sending the same wrong details
    again learns nothing new, so it costs no second attempt."""
    if details not in ctx.session.failed_lookups:
        ctx.session.failed_lookups.append(details)
        ctx.session.failed_attempts += 1
    left = ctx.policy.max_failed_attempts - ctx.session.failed_attempts
    if left <= 0:
        return _locked()
    return _result(
        "no_match",
        "No order matches those details together. Ask the shopper to check the order number and the email, "
        "phone or postal code used at checkout.",
        attempts_left=left,
    )


def _locked() -> dict[str, Any]:
    return _result("locked", f"Too many unsuccessful lookups in this conversation. {HANDOFF}", handoff=True)


def lookup_orders(
    ctx: LookupContext,
    order_id: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    ref_id: str | None = None,
    postal_code: str | None = None,
    signed_in: bool = False,
) -> dict[str, Any]:
    """Look up the shopper's orders. Give at least one of order_id, email, phone, ref_id, as the shopper wrote
    them, or signed_in. Details need verification: an order number or ref ID with the email, phone or postal code
    on that order, or a signed-in shopper; otherwise the result says what to ask for.

    Args:
      order_id: Order number, e.g. "#1042".
      email: Email address.
      phone: Phone number, any format.
      ref_id: Alternative reference ID.
      postal_code: Shipping postal code, to confirm an order number.
      signed_in: True to list the signed-in shopper's own orders.
    """
    # Full-width forms (＃１０４８, ＋８６…) as the shopper may have typed them, read as ASCII.
    order_id, email, phone, ref_id, postal_code = (
        unicodedata.normalize("NFKC", v) if isinstance(v, str) else v
        for v in (order_id, email, phone, ref_id, postal_code))
    if not (order_id or email or phone or ref_id or signed_in):
        raise ToolArgumentError("give at least one of order_id, email, phone or ref_id, or signed_in")
    if ctx.session.failed_attempts >= ctx.policy.max_failed_attempts:
        return _locked()
    if signed_in and not (order_id or email or phone or ref_id):
        return _signed_in(ctx)
    region = ctx.merchant.default_region
    phones = phone_readings(phone, region) if phone else []
    # A phone that is no number here may be one in an order's own country; with an order number it is tried there.
    # Too short to be a whole number anywhere, or with no order number to try, it is no detail at all.
    if phone and not phones and (not (order_id or ref_id) or len(re.sub(r"\D", "", phone)) < 8):
        raise ToolArgumentError("the phone number is incomplete; ask for it with the country code")
    # Contact details verify an order only as the shopper wrote them (see LookupContext.shopper_text).
    email, postal_code = ctx.from_shopper("email", email), ctx.from_shopper("postal_code", postal_code)
    phones = [p for p in phones if ctx.from_shopper("phone", p)]
    if not (order_id or email or phones or ref_id):
        return _result("verification_needed", "Ask the shopper for the order number and the email, phone or postal "
                       "code used on it: only details the shopper wrote can confirm an order.",
                       ask_for=["order_id", "email"])
    try:
        if order_id or ref_id:
            return _by_order_number(ctx, order_id, ref_id, email, phones, postal_code, phone)
        return _by_contact(ctx, email, phones)
    except SourceError as exc:
        log.warning("order source failed: %s", exc)
        return _result("unavailable", f"{exc.shopper_message} {HANDOFF}", handoff=True)


def _by_order_number(
    ctx: LookupContext, order_id: str | None, ref_id: str | None, email: str | None, phones: list[str],
    postal_code: str | None, typed_phone: str | None = None,
) -> dict[str, Any]:
    """`phones`: the typed phone's readings in the merchant's region; `typed_phone` as written, also read in each
    candidate order's own country."""
    if order_id:
        wanted = normalise_order_id(order_id)
        candidates = [o for o in ctx.source.find("order_id", order_id) if o.id and normalise_order_id(o.id) == wanted]
        if not candidates and not ref_id:
            # Shoppers don't know an order number from a reference ID: a number no order has may be the other.
            try:
                candidates = [o for o in ctx.source.find("ref_id", order_id)
                              if o.external_ref_id and normalise_order_id(o.external_ref_id) == wanted]
            except UnsupportedKey:
                pass  # an endpoint that cannot search by reference ID
    else:
        assert ref_id is not None
        wanted = normalise_order_id(ref_id)
        candidates = [
            o for o in ctx.source.find("ref_id", ref_id)
            if o.external_ref_id and normalise_order_id(o.external_ref_id) == wanted
        ]
    region = ctx.merchant.default_region
    # The phone as typed counts only if the shopper wrote it, decided before any order is looked at: a detail that
    # counts for one order and not another would say which orders exist, and one read abroad but never counted
    # would let a phone be guessed without end. Unreadable in the merchant's region, it is still a detail.
    typed = typed_phone if typed_phone and ctx.from_shopper("phone", typed_phone) else None
    written = typed if not phones else None
    factors = bool(email or phones or written or postal_code)
    verified = [
        o for o in candidates
        if _identity_matches(o, ctx)
        or matches_email(o, email)
        or any(matches_phone(o, p, region) for p in phones + _abroad(ctx, o, typed))
        or matches_postal_code(o, postal_code)
    ]
    if verified:
        return _found(verified, Disclosure.FULL, ctx)
    if factors:
        # Not found and found-but-not-matching are the same answer, and both count as a failed attempt.
        phone_given = sorted(phones) or re.sub(r"\D", "", written or "")
        details = json.dumps([wanted, (email or "").strip().casefold(), phone_given,
                              re.sub(r"[\s-]", "", postal_code or "").upper()])
        return _failed(ctx, details)
    if ctx.policy.verification == "order_number":
        if candidates:
            return _found(candidates, Disclosure.STATUS, ctx)
        return _result("not_found", "No order has that number. Ask the shopper to check it (it is in the order "
                       "confirmation email).")
    return _result(
        "verification_needed",
        "To show this order, ask the shopper for the email address, phone number or shipping postal code used "
        "on the order.",
        ask_for=["email", "phone", "postal_code"],
    )


def _abroad(ctx: LookupContext, order: Order, typed_phone: str | None) -> list[str]:
    """A typed phone read in the order's own country, when that is not the merchant's ("0113 496 0000" on a UK
    order of a US store): it can only confirm this order number, so reading it there widens nothing."""
    country = order_region(order, ctx.merchant.default_region) if typed_phone else None
    return phone_readings(typed_phone, country) if country and typed_phone else []


def _by_contact(ctx: LookupContext, email: str | None, phones: list[str]) -> dict[str, Any]:
    session = ctx.session
    own_email = bool(email and session.verified_email) and matches_email(
        Order.model_validate({"customer": {"email": session.verified_email}}), email
    )
    phone = next((p for p in phones if p in _identity_phones(ctx)), None)
    own_phone = phone is not None
    if not (own_email or own_phone):
        return _result(
            "verification_needed",
            "An email or phone alone does not show orders. Ask the shopper for the order number to go with it.",
            ask_for=["order_id"],
        )
    key, value = ("email", email) if own_email else ("phone", phone)
    assert value is not None
    orders = [o for o in ctx.source.find(key, value) if _identity_matches(o, ctx)]  # type: ignore[arg-type]
    if not orders:
        return _result("not_found", f"There are no orders under that {key}. Ask the shopper whether they used "
                       "another email or phone at checkout, or for the order number.")
    return _found(orders, Disclosure.FULL, ctx)


def _signed_in(ctx: LookupContext) -> dict[str, Any]:
    """The signed-in shopper's own orders, found by the identity the merchant vouched for (never shown whole)."""
    session = ctx.session
    if not (session.verified_email or session.verified_phone):
        return _result(
            "verification_needed",
            "The shopper is not signed in. Ask for the order number and the email, phone or postal code used on it.",
            ask_for=["order_id", "email"],
        )
    try:
        if session.verified_email:
            orders = ctx.source.find("email", session.verified_email)
        else:
            assert session.verified_phone is not None
            found = [o for p in _identity_phones(ctx) or [session.verified_phone] for o in ctx.source.find("phone", p)]
            orders = list({o.id or str(i): o for i, o in enumerate(found)}.values())
    except SourceError as exc:
        log.warning("order source failed: %s", exc)
        return _result("unavailable", f"{exc.shopper_message} {HANDOFF}", handoff=True)
    mine = [o for o in orders if _identity_matches(o, ctx)]
    if not mine:
        return _result("not_found", "There are no orders under the signed-in account. Ask whether the shopper "
                       "ordered as a guest with another email, or for the order number.")
    return _found(mine, Disclosure.FULL, ctx)


LOOKUP_ORDERS = function_tool(lookup_orders)
TOOLS = {LOOKUP_ORDERS.name: LOOKUP_ORDERS}
"""Every tool the model may call, by name."""
