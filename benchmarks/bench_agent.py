"""Agent benchmarks over the eval suite's scripted conversations, with a fake model of no latency.

For each case the offline responder first plays the conversation; its tool calls and answers become the script
of a fake model (tests/fake_model.py) served at the openai client's transport. The agent then runs the same
conversation through the model path, and we measure:
- agent overhead per turn (wall time of `Agent.respond`, the model taking no time): p50 / p99;
- tokens per resolved question, counted with tiktoken (o200k_base) on the requests actually sent, against a naive
  baseline that sends the same conversation with full history and the raw merchant JSON of every order the
  lookup key matched in place of the policy's compact view;
- model round trips per single-question answer (median).

    .venv/bin/python -m benchmarks.bench_agent [PATH ...] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from assistant.agent import Agent
from assistant.llm import LLMClient, ModelSettings
from assistant.tokens import count_messages, count_text
from evals.cases import Case, load_cases
from evals.source import MemorySource
from tests.fake_model import ScriptedModel, Step, call, say
from tools.lookup import TOOLS

MODEL = "gpt-4o-mini"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SUITE = ROOT / "evals" / "cases"


def _offline_script(case: Case) -> tuple[list[Step], int]:
    """The fake model's script: the offline responder's tool calls and answers, turn by turn."""
    agent = Agent(case.merchant_config(), MemorySource(case.orders), None, clock=lambda: case.spec.now)
    conversation = agent.new_conversation(verified_email=case.spec.session.verified_email,
                                          verified_phone=case.spec.session.verified_phone,
                                          order_info=case.spec.order_info)
    steps: list[Step] = []
    turns = case.spec.user.turns or []
    for text in turns:
        result = agent.respond(conversation, text)
        if result.tool_calls:
            first, *rest = [(c.name, c.arguments) for c in result.tool_calls]
            steps.append(call(first[0], first[1], *rest))
        steps.append(say(result.answer, usage=(0, count_text(result.answer, MODEL))))
    return steps, len(turns)


def _raw_json(source: MemorySource, arguments: dict[str, Any]) -> str:
    """What a naive integration hands the model: every order the key matched, as the merchant sent it."""
    for key in ("order_id", "ref_id", "email", "phone"):
        if arguments.get(key):
            orders = source.find(key, str(arguments[key]))  # type: ignore[arg-type]
            return json.dumps([o.model_dump(mode="json") for o in orders], ensure_ascii=False, indent=2)
    return "[]"


def _naive(messages: list[dict[str, Any]], source: MemorySource) -> list[dict[str, Any]]:
    calls = {c["id"]: json.loads(c["function"]["arguments"] or "{}")
             for m in messages for c in (m.get("tool_calls") or [])}
    out = []
    for message in messages:
        if message["role"] == "tool":
            message = {**message, "content": _raw_json(source, calls.get(message["tool_call_id"], {}))}
        out.append(message)
    return out


def run(cases: list[Case], repeat: int) -> dict[str, Any]:
    tools = [tool.schema() for tool in TOOLS.values()]
    overhead: list[float] = []
    round_trips: list[int] = []
    ours_tokens = naive_tokens = 0
    questions = 0
    skipped: list[str] = []
    for case in cases:
        if not case.spec.user.turns:
            continue
        for _ in range(repeat):
            steps, turns = _offline_script(case)
            model = ScriptedModel(*steps, model=MODEL)
            llm = LLMClient(ModelSettings(name=MODEL, base_url="http://fake.invalid/v1", api_key="k", max_retries=0),
                            http_client=model.client())
            source = MemorySource(case.orders)
            agent = Agent(case.merchant_config(), source, llm, clock=lambda case=case: case.spec.now)
            conversation = agent.new_conversation(verified_email=case.spec.session.verified_email,
                                                  verified_phone=case.spec.session.verified_phone,
                                                  order_info=case.spec.order_info)
            trips = []
            fallback = False
            for text in case.spec.user.turns:
                started = time.perf_counter()
                result = agent.respond(conversation, text)
                overhead.append(time.perf_counter() - started)
                trips.append(result.model_calls)
                fallback |= result.fallback
            if fallback or model.steps:
                skipped.append(case.id)  # the guard or a fallback changed the script: not comparable
                continue
            if _ == 0:
                if turns == 1:
                    round_trips.extend(trips)
                questions += 1
                for body, step in zip(model.requests, [s for s in steps], strict=False):
                    answer = step.text or "".join(a for _, a in step.calls)
                    ours_tokens += count_messages(body["messages"], MODEL, tools) + count_text(answer, MODEL)
                    naive_tokens += count_messages(_naive(body["messages"], source), MODEL, tools) + count_text(
                        answer, MODEL)
    overhead.sort()
    return {
        "cases": len(cases),
        "compared": questions,
        "skipped": sorted(set(skipped)),
        "turns_timed": len(overhead),
        "overhead_p50_ms": round(1000 * statistics.median(overhead), 3),
        "overhead_p99_ms": round(1000 * overhead[min(len(overhead) - 1, int(0.99 * len(overhead)))], 3),
        "tokens_per_question": round(ours_tokens / max(questions, 1)),
        "naive_tokens_per_question": round(naive_tokens / max(questions, 1)),
        "token_ratio": round(ours_tokens / max(naive_tokens, 1), 3),
        "round_trips_median_single_question": statistics.median(round_trips) if round_trips else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=[str(DEFAULT_SUITE)])
    parser.add_argument("--repeat", type=int, default=5, help="times each conversation is timed")
    args = parser.parse_args(argv)
    cases = load_cases(args.paths)
    run(cases[:3], 1)  # warm-up: loading the tiktoken encoding and compiling templates happen once per process
    results = run(cases, args.repeat)
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "agent.json").write_text(json.dumps(results, indent=2) + "\n")
    width = max(map(len, results))
    for key, value in results.items():
        print(f"{key:<{width}}  {value}")
    ok = (results["overhead_p50_ms"] <= 2 and results["overhead_p99_ms"] <= 10 and results["token_ratio"] <= 0.35
          and results["round_trips_median_single_question"] == 2)
    print("targets (p50 <= 2 ms, p99 <= 10 ms, tokens <= 35% of naive, median round trips 2):",
          "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
