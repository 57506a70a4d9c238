"""Conversation state: everything a turn needs from the turns before it, as one serialisable object, so the
server can persist it between requests and resume a conversation anywhere."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.lookup import Session

__all__ = ["Conversation", "Slots", "ToolCallRecord", "TurnResult"]

Language = Literal["en", "zh"]


class Slots(BaseModel):
    """What the shopper has told us so far (the offline responder's slot filling, kept across turns)."""

    model_config = ConfigDict(extra="forbid")

    order_id: str | None = None
    email: str | None = None
    phone: str | None = None
    ref_id: str | None = None
    postal_code: str | None = None
    pending: Literal["order_id", "second_factor", "which_order"] | None = None
    """What the last reply asked for, so a bare answer ("94103") fills the right slot."""


class ToolCallRecord(BaseModel):
    """One tool call in a turn and what it returned (the result is exactly what the model saw)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    arguments: dict[str, Any]
    result: dict[str, Any] = Field(default_factory=dict)


class Conversation(BaseModel):
    """One shopper's conversation."""

    model_config = ConfigDict(extra="forbid")

    messages: list[dict[str, Any]] = Field(default_factory=list)
    """Chat Completions messages without the system prompt: user, assistant (with tool_calls) and tool."""
    session: Session = Field(default_factory=Session)
    slots: Slots = Field(default_factory=Slots)
    order_hint: str | None = None
    """The order number the widget says the shopper is looking at: a hint to look up, never a fact or a factor."""
    language: Language = "en"
    tool_results: list[dict[str, Any]] = Field(default_factory=list)
    """Every tool result of the conversation, oldest first: the facts answers may state."""


class TurnResult(BaseModel):
    """What one turn produced (the `ask --json` object, plus detail for evals)."""

    answer: str
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    model: str | None = None
    """The model that answered, or None for the offline responder."""
    fallback: bool = False
    """True when the model failed and the offline responder answered instead."""
    usage: dict[str, int] = Field(default_factory=dict)
    model_calls: int = 0
    grounding: Literal["passed", "regenerated", "replaced", "offline"] = "offline"
    unsupported_claims: list[str] = Field(default_factory=list)
    """Claims the guard found unsupported in the model's first answer (empty when it passed)."""
