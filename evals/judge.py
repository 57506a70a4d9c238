"""The rubric judge: an LLM grades a transcript against a case's criteria. Used only when a judge model is
configured; deterministic checks never depend on it."""

from __future__ import annotations

import json
import re
from typing import Any

from assistant.llm import LLMClient, LLMError
from evals.cases import Case
from evals.checks import JudgeError
from evals.records import Turn

__all__ = ["LLMJudge", "judge_messages"]

_INSTRUCTIONS = """You grade a conversation between a shopper and an online shop's order assistant against criteria.
The tool results are the only facts the assistant had. Judge each criterion strictly and independently.
Answer with one JSON object and nothing else:
{"grades": [{"criterion": 1, "met": true, "reason": "one short sentence"}, ...]}
with one entry per criterion, numbered as given."""


def _transcript(turns: list[Turn]) -> str:
    lines = []
    for turn in turns:
        lines.append(f"SHOPPER: {turn.user}")
        for call in turn.tool_calls:
            lines.append(f"TOOL CALL {call['name']}({json.dumps(call.get('arguments'), ensure_ascii=False)}) -> "
                         f"{json.dumps(call.get('result'), ensure_ascii=False)}")
        lines.append(f"ASSISTANT: {turn.answer}")
    return "\n".join(lines)


def judge_messages(case: Case, turns: list[Turn], criteria: list[str]) -> list[dict[str, Any]]:
    numbered = "\n".join(f"{i}. {c}" for i, c in enumerate(criteria, start=1))
    user = (f"Case: {case.spec.description or case.id}\n\nConversation:\n{_transcript(turns)}\n\n"
            f"Criteria:\n{numbered}")
    return [{"role": "system", "content": _INSTRUCTIONS}, {"role": "user", "content": user}]


class LLMJudge:
    def __init__(self, llm: LLMClient) -> None:
        self.llm = llm
        self.usage: dict[str, int] = {}

    def grade(self, case: Case, turns: list[Turn], criteria: list[str]) -> list[tuple[str, bool, str]]:
        try:
            completion = self.llm.complete(judge_messages(case, turns, criteria))
        except LLMError as exc:
            raise JudgeError(str(exc)) from None
        for key, value in completion.usage.items():
            self.usage[key] = self.usage.get(key, 0) + value
        return parse_grades(completion.content or "", criteria)


def parse_grades(text: str, criteria: list[str]) -> list[tuple[str, bool, str]]:
    """The judge's JSON answer as (criterion, met, reason); a criterion it left out counts as unmet."""
    match = re.search(r"\{.*\}", text, re.DOTALL)
    try:
        data = json.loads(match.group()) if match else None
    except ValueError:
        data = None
    grades = data.get("grades") if isinstance(data, dict) else None
    if not isinstance(grades, list):
        raise JudgeError(f"unreadable judge answer: {text[:120]!r}")
    by_number: dict[int, tuple[bool, str]] = {}
    for grade in grades:
        if isinstance(grade, dict) and isinstance(grade.get("criterion"), int):
            by_number[grade["criterion"]] = (grade.get("met") is True, str(grade.get("reason", "")))
    return [(c, *by_number.get(i, (False, "not graded"))) for i, c in enumerate(criteria, start=1)]
