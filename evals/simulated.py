"""The simulated shopper (τ-bench style): an LLM plays a persona with a goal and a few known facts, writing the
shopper's next message from the conversation so far, and ends with a stop token when the goal is met."""

from __future__ import annotations

import json
from typing import Any

from assistant.llm import LLMClient
from evals.cases import Simulated
from evals.records import Turn

__all__ = ["GREETING", "STOP", "SimulatedShopper", "shopper_prompt"]

STOP = "###STOP###"
GREETING = "Hi! How can I help you with your order today?"
"""The chat's opening line, shown to the simulated shopper only (the agent speaks when spoken to)."""


def shopper_prompt(spec: Simulated, merchant: str) -> str:
    known = "\n".join(f"- {k}: {json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v}"
                      for k, v in spec.known_info.items()) or "- nothing beyond what the goal says"
    return f"""You are role-playing a shopper chatting with the order assistant of the online shop {merchant}.

Persona: {spec.persona}
Goal: {spec.goal}

What you know (give a detail only when it helps or when asked, one or two at a time):
{known}

Rules:
- Write only the shopper's next chat message: short and natural, in the persona's language and style.
- Never invent order numbers, emails, phone numbers, postal codes or other details you were not given; if asked
  for something you do not know, say so.
- Do not play the assistant, and do not say you are simulated.
- When your goal is met, or the assistant cannot help (it says so or hands you to a person), reply with exactly
  {STOP} and nothing else."""


class SimulatedShopper:
    """Writes the shopper's side of a conversation; `next_message` is None when the shopper is done."""

    def __init__(self, llm: LLMClient, spec: Simulated, merchant: str) -> None:
        self.llm = llm
        self.spec = spec
        self.system = shopper_prompt(spec, merchant)
        self.usage: dict[str, int] = {}

    def messages(self, turns: list[Turn]) -> list[dict[str, Any]]:
        """The conversation from the shopper's side: its own lines are `assistant`, the agent's are `user`."""
        out: list[dict[str, Any]] = [{"role": "system", "content": self.system},
                                     {"role": "user", "content": GREETING}]
        for turn in turns:
            out.append({"role": "assistant", "content": turn.user})
            out.append({"role": "user", "content": turn.answer})
        return out

    def next_message(self, turns: list[Turn]) -> str | None:
        """The next shopper message; None when the shopper stops (stop token, or nothing to say)."""
        if len(turns) >= self.spec.max_turns:
            return None
        completion = self.llm.complete(self.messages(turns))
        for key, value in completion.usage.items():
            self.usage[key] = self.usage.get(key, 0) + value
        text = (completion.content or "").strip()
        if not text or STOP in text:
            return None
        return text
