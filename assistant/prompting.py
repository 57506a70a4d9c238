"""Building what the model reads: the system prompt (a jinja2 template) and a history trimmed to a token budget
that keeps the tool facts still needed."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from assistant.state import Conversation
from assistant.tokens import message_tokens, request_overhead, tokens_at_most
from tools._transforms import zone
from tools.config import MerchantInfo, PolicyConfig

__all__ = ["build_messages", "render_system", "templates"]


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


def render_system(
    merchant: MerchantInfo, policy: PolicyConfig, now: datetime, *, language: str = "en",
    order_hint: str | None = None, earlier_facts: str | None = None, stale_after_days: int = 5,
    signed_in: bool = False,
) -> str:
    local = now.astimezone(zone(merchant.timezone))
    return templates().get_template("system.j2").render(
        merchant=merchant, policy=policy, today_long=f"{local:%A}, {local:%B} {local.day}, {local.year}",
        today_iso=local.date().isoformat(), language=language, order_hint=order_hint,
        earlier_facts=earlier_facts, stale_after_days=stale_after_days, signed_in=signed_in,
    )


def _turns(messages: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Messages grouped into turns, each starting at a user message (tool results stay with their call)."""
    turns: list[list[dict[str, Any]]] = []
    for message in messages:
        if message.get("role") == "user" or not turns:
            turns.append([])
        turns[-1].append(message)
    return turns


class _DroppedFacts:
    """The latest tool result about each order among the messages dropped from the history so far: what later
    answers may still need."""

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
                    self.latest[order["id"]] = order

    def text(self) -> str | None:
        if not self.latest:
            return None
        return json.dumps({"orders": list(self.latest.values())}, ensure_ascii=False, separators=(",", ":"))


def build_messages(
    conversation: Conversation, system: Any, *, budget: int, model: str | None = None,
    tools: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """System prompt plus as much recent history as fits `budget` tokens. `system(earlier_facts)` renders the
    system prompt; orders from dropped tool results are carried into it so later answers keep their facts."""
    head = {"role": "system", "content": system(None)}
    if tokens_at_most([head, *conversation.messages], tools) <= budget:
        return [head, *conversation.messages]  # fits even at a token a byte: nothing to count
    turns = _turns(conversation.messages)
    costs = [sum(message_tokens(m, model) for m in turn) for turn in turns]
    overhead = request_overhead(model, tools)
    kept_cost = sum(costs)
    dropped = _DroppedFacts()
    while len(turns) > 1 and overhead + message_tokens(head, model) + kept_cost > budget:
        dropped.drop(turns.pop(0))
        kept_cost -= costs.pop(0)
        head = {"role": "system", "content": system(dropped.text())}
    return [head, *(m for turn in turns for m in turn)]
