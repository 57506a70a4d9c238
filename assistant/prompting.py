"""Building what the model reads: the system prompt (a jinja2 template) and a history trimmed to a token budget
that keeps the tool facts still needed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from assistant.answers import is_late, is_stale
from assistant.state import Conversation, Slots
from assistant.tokens import count_text, message_tokens, request_overhead, tokens_at_most
from tools._transforms import zone
from tools.config import MerchantInfo, PolicyConfig

__all__ = ["SITUATIONS", "build_messages", "render_system", "settled", "situations", "templates"]


@lru_cache(maxsize=1)
def templates() -> jinja2.Environment:
    """The jinja2 environment over the `prompts` package."""
    import prompts

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(prompts.__file__).parent),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 -- plain text for a model, never HTML
        keep_trailing_newline=False,
    )


_CONTINUED = re.compile(r"\n  +")


SITUATIONS = frozenset({"packages", "several", "cancelled", "trouble"})


def situations(results: Iterable[Any], now: datetime, tz: str, *, stale_after_days: int = 5,
               signed_in: bool = False) -> frozenset[str]:
    """Which of the system prompt's situational rules the conversation's tool results call for: "packages" (an
    order has shipments), "several" (a list of orders, or a signed-in shopper who may ask for one), "cancelled"
    (a cancelled or refunded order shown whole), "trouble" (a late or stale package, or a latest lookup that was
    `locked` or `unavailable`).
    A rule for a situation the chat is not in only costs tokens on every request."""
    found: set[str] = {"several"} if signed_in else set()
    results = [r for r in results if isinstance(r, Mapping)]
    if results and results[-1].get("result") in ("locked", "unavailable"):
        found.add("trouble")  # the latest lookup's: a source back up, or a later lookup that worked, ends it
    for result in results:
        orders = [o for o in result.get("orders") or () if isinstance(o, Mapping)]
        if result.get("result") != "found" or not orders:
            continue
        if len(orders) > 1 or result.get("more"):
            found.add("several")
        if len(orders) > 1 and result.get("disclosure") == "full":
            continue  # a list in brief, to ask which: its orders' detail comes when one is chosen
        for order in orders:
            if order.get("status") in ("cancelled", "refunded"):
                found.add("cancelled")
            shipments = [s for s in order.get("shipments") or () if isinstance(s, Mapping)]
            if shipments:
                found.add("packages")
            if any(is_late(s, now, tz) or is_stale(s, now, stale_after_days) for s in shipments):
                found.add("trouble")
    return frozenset(found)


def render_system(
    merchant: MerchantInfo, policy: PolicyConfig, now: datetime, *, language: str = "en",
    order_hint: str | None = None, earlier_facts: str | None = None, stale_after_days: int = 5,
    signed_in: bool = False, situations: Iterable[str] = SITUATIONS, shopper_gave: str | None = None,
) -> str:
    """The system prompt; `situations` chooses the situational rules (all of them unless told)."""
    local = now.astimezone(zone(merchant.timezone))
    text = templates().get_template("system.j2").render(
        merchant=merchant, policy=policy, today_long=f"{local:%A}, {local:%B} {local.day}, {local.year}",
        today_iso=local.date().isoformat(), language=language, order_hint=order_hint,
        earlier_facts=earlier_facts, stale_after_days=stale_after_days, signed_in=signed_in,
        situations=frozenset(situations), shopper_gave=shopper_gave,
    )
    # The template wraps its lines for reading; the model gets one line a rule (see system.j2).
    return _CONTINUED.sub(" ", text)


def _turns(messages: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Messages grouped into turns, each starting at a user message (tool results stay with their call)."""
    turns: list[list[dict[str, Any]]] = []
    for message in messages:
        if message.get("role") == "user" or not turns:
            turns.append([])
        turns[-1].append(message)
    return turns


class _DroppedFacts:
    """The latest tool result about each order among the messages dropped from the history so far (what later
    answers may still need), oldest first."""

    def __init__(self) -> None:
        self.latest: dict[str, Any] = {}

    def drop(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            if message.get("role") != "tool":
                continue
            try:
                result = json.loads(message.get("content") or "{}")
            except ValueError:
                continue
            for order in result.get("orders", []) if isinstance(result, dict) else []:
                if isinstance(order, dict) and order.get("id"):
                    self.latest.pop(order["id"], None)  # a later result of the same order moves it last
                    self.latest[order["id"]] = order

    def text(self, keep: int | None = None) -> str | None:
        """The newest `keep` orders (all of them by default) as one line of JSON."""
        orders = list(self.latest.values())
        if keep is not None:
            orders = orders[len(orders) - keep:] if keep > 0 else []
        if not orders:
            return None
        return json.dumps({"orders": orders}, ensure_ascii=False, separators=(",", ":"))

    def fitting(self, excess: int, model: str | None) -> int:
        """How many of the newest orders to keep so the facts shrink by at least `excess` tokens (all may go: an
        order left out is looked up again if the shopper asks about it, with the details they gave)."""
        orders = list(self.latest.values())
        keep = len(orders)
        for order in orders:  # oldest first
            if excess <= 0:
                break
            excess -= count_text(json.dumps(order, ensure_ascii=False, separators=(",", ":")), model) + 1
            keep -= 1
        return keep


def _given(slots: Slots) -> str | None:
    """What the shopper told us in messages dropped from the history (their order number and contact details,
    their own words), so the model can still look up with them."""
    given = {key: value for key in ("order_id", "email", "phone", "ref_id", "postal_code")
             if (value := getattr(slots, key))}
    return json.dumps(given, ensure_ascii=False, separators=(",", ":")) if given else None


def settled(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history as the model reads it: a tool result of an earlier turn that found nothing keeps its outcome
    (`verification_needed`, `no_match`, `locked`...) but not its `message`, which told the model what to say in that
    turn; the turn's answer, which said it, is in the history. What was found is kept whole."""
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=0)
    out = messages
    for i in range(last_user):
        message = messages[i]
        content = message.get("content")
        if message.get("role") != "tool" or not isinstance(content, str) or '"message":' not in content:
            continue
        try:
            result = json.loads(content)
        except ValueError:
            continue
        if not isinstance(result, dict) or result.get("result") == "found" or "message" not in result:
            continue
        if out is messages:
            out = list(messages)
        del result["message"]
        out[i] = {**message, "content": json.dumps(result, ensure_ascii=False, separators=(",", ":"))}
    return out


def build_messages(
    conversation: Conversation, system: Any, *, budget: int, model: str | None = None,
    tools: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """System prompt plus as much recent history as fits `budget` tokens (the last turn is always sent). Turns are
    dropped oldest first; `system(earlier_facts, given)` renders the system prompt, carrying the newest orders of
    dropped tool results that fit and the details the shopper gave, so later answers keep their facts."""
    head = {"role": "system", "content": system(None, None)}
    history = settled(conversation.messages)
    if tokens_at_most([head, *history], tools) <= budget:
        return [head, *history]  # fits even at a token a byte: nothing to count
    turns = _turns(history)
    costs = [sum(message_tokens(m, model) for m in turn) for turn in turns]
    overhead = request_overhead(model, tools)
    kept_cost = sum(costs)
    dropped = _DroppedFacts()
    given = None
    while len(turns) > 1 and overhead + message_tokens(head, model) + kept_cost > budget:
        dropped.drop(turns.pop(0))
        kept_cost -= costs.pop(0)
        given = _given(conversation.slots)
        head = {"role": "system", "content": system(dropped.text(), given)}
    excess = overhead + message_tokens(head, model) + kept_cost - budget
    if excess > 0 and dropped.latest:
        # The carried facts alone are over: the newest orders stay, as many as fit.
        head = {"role": "system", "content": system(dropped.text(dropped.fitting(excess, model)), given)}
    return [head, *(m for turn in turns for m in turn)]
