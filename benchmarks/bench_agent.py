"""Agent benchmarks over the eval suite's scripted conversations, with a fake model of no latency.

For each case the offline responder first plays the conversation; its answers (and, where the agent does not make
the lookup itself, its tool calls) become the script of a fake model (tests/fake_model.py) served at the openai
client's transport. The agent then runs the same conversation through the model path, and we measure:
- agent overhead per turn (wall time of `Agent.respond`, the model taking no time): p50 / p99;
- tokens per resolved question, counted with tiktoken (o200k_base): the requests the agent actually sent and the
  model's outputs, against a naive integration of the same conversation: the plain tool loop (the model asks for
  each lookup, then answers: one request per tool call and one per answer), the full history every time, and the
  raw merchant JSON of every order the lookup key matched as the tool result. "Raw" is the order as the case's
  fixture holds it: the merchant's own payload where the case maps one (shopify, woocommerce, bytedesk), and our
  canonical JSON where the fixture is already canonical (a merchant whose endpoint speaks seed 002's schema);
- model round trips per single-question answer (median).

    .venv/bin/python -m benchmarks.bench_agent [PATH ...] [--repeat N] [--no-prefetch]
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
from tools.config import AgentConfig, MerchantConfig
from tools.files import read_payload
from tools.lookup import TOOLS
from tools.mapping import load_mapping
from tools.presets import preset_path

MODEL = "gpt-4o-mini"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SUITE = ROOT / "evals" / "cases"


def _config(case: Case, prefetch: bool) -> MerchantConfig:
    config = case.merchant_config()
    return config.model_copy(update={"agent": AgentConfig(**{**config.agent.model_dump(), "prefetch": prefetch})})


def _conversation(agent: Agent, case: Case) -> Any:
    return agent.new_conversation(verified_email=case.spec.session.verified_email,
                                  verified_phone=case.spec.session.verified_phone, order_info=case.spec.order_info)


def _offline_script(case: Case, prefetch: bool) -> tuple[list[Step], int]:
    """The fake model's script: the offline responder's answers turn by turn, preceded by its tool calls when the
    agent does not make them itself (with prefetch the agent makes exactly the offline responder's lookups)."""
    agent = Agent(case.merchant_config(), MemorySource(case.orders), None, clock=lambda: case.spec.now)
    conversation = _conversation(agent, case)
    steps: list[Step] = []
    turns = case.spec.user.turns or []
    for text in turns:
        result = agent.respond(conversation, text)
        if result.tool_calls and not prefetch:
            first, *rest = [(c.name, c.arguments) for c in result.tool_calls]
            steps.append(call(first[0], first[1], *rest))
        steps.append(say(result.answer, usage=(0, count_text(result.answer, MODEL))))
    return steps, len(turns)


def raw_orders(case: Case) -> dict[str, list[Any]]:
    """Each order of the case (by id) as its fixture holds it: the merchant's records where the case maps them."""
    data: Any = case.spec.orders
    kind = "json"
    if isinstance(data, str):
        payload = read_payload(case.path.parent / data)
        data, kind = payload.data, payload.kind
    if case.spec.mapping is None:
        records = data.get("orders", [data]) if isinstance(data, dict) else data
        return {str(r.get("id")): [r] for r in records if isinstance(r, dict)}
    ref: str | Path = case.spec.mapping
    if preset_path(case.spec.mapping) is None:
        ref = case.path.parent / case.spec.mapping
    mapper = load_mapping(ref, **case.merchant_config().mapping_overrides())
    records = data if kind in ("csv", "jsonl") else mapper.records(data)
    mapped = mapper.map_records(records)
    return {str(o.id): [records[i] for i in rows] for o, rows in zip(mapped.orders, mapped.sources, strict=True)}


def _raw_json(case: Case, raw: dict[str, list[Any]], source: MemorySource, arguments: dict[str, Any]) -> str:
    """What a naive integration hands the model: every order the key matched, as the merchant sent it."""
    session = case.spec.session
    keys = [(k, arguments.get(k)) for k in ("order_id", "ref_id", "email", "phone")]
    if arguments.get("signed_in"):
        keys += [("email", session.verified_email), ("phone", session.verified_phone)]
    for key, value in keys:
        if value:
            orders = source.find(key, str(value))  # type: ignore[arg-type]
            return json.dumps([r for o in orders for r in raw.get(str(o.id), [])], ensure_ascii=False)
    return "[]"


def naive_tokens(case: Case, conversation: Any, systems: list[str], tools: list[dict[str, Any]]) -> int:
    """Tokens of the naive integration over the whole conversation: every assistant message (a tool call or an
    answer) is one request of the system prompt and the full history before it, raw JSON as tool results."""
    raw = raw_orders(case)
    source = MemorySource(case.orders)
    calls: dict[str, dict[str, Any]] = {}
    history: list[dict[str, Any]] = []
    total = 0
    turn = -1
    for message in conversation.messages:
        role = message["role"]
        if role == "user":
            turn += 1
        elif role == "assistant":
            system = {"role": "system", "content": systems[min(turn, len(systems) - 1)]}
            total += count_messages([system, *history], MODEL, tools)
            total += count_text(message.get("content") or json.dumps(message.get("tool_calls")), MODEL)
            for tool_call in message.get("tool_calls") or ():
                calls[tool_call["id"]] = json.loads(tool_call["function"]["arguments"] or "{}")
        elif role == "tool":
            message = {**message, "content": _raw_json(case, raw, source, calls.get(message["tool_call_id"], {}))}
        history.append(message)
    return total


def run(cases: list[Case], repeat: int, prefetch: bool = True) -> dict[str, Any]:
    tools = [tool.schema() for tool in TOOLS.values()]
    overhead: list[float] = []
    round_trips: list[int] = []
    ours_tokens = naive_total = ours_results = ours_fixed = requests = 0
    questions = 0
    skipped: list[str] = []
    for case in cases:
        if not case.spec.user.turns:
            continue
        for attempt in range(repeat):
            steps, turns = _offline_script(case, prefetch)
            model = ScriptedModel(*steps, model=MODEL)
            llm = LLMClient(ModelSettings(name=MODEL, base_url="http://fake.invalid/v1", api_key="k", max_retries=0),
                            http_client=model.client())
            source = MemorySource(case.orders)
            agent = Agent(_config(case, prefetch), source, llm, clock=lambda case=case: case.spec.now)
            conversation = _conversation(agent, case)
            trips = []
            systems = []
            fallback = False
            for text in case.spec.user.turns:
                first = len(model.requests)
                started = time.perf_counter()
                result = agent.respond(conversation, text)
                overhead.append(time.perf_counter() - started)
                trips.append(result.model_calls)
                fallback |= result.fallback
                if len(model.requests) > first:
                    system = model.requests[first]["messages"][0]["content"]
                    systems.append(system.split("\nFacts from earlier lookups")[0])
            if fallback or model.steps:
                skipped.append(case.id)  # the guard or a fallback changed the script: not comparable
                continue
            if attempt == 0:
                if turns == 1:
                    round_trips.extend(trips)
                questions += 1
                for body, step in zip(model.requests, steps, strict=True):
                    answer = step.text or "".join(a for _, a in step.calls)
                    # The tools this request declared: in full while the model decides on a lookup, brief after.
                    sent = body.get("tools")
                    ours_tokens += count_messages(body["messages"], MODEL, sent) + count_text(answer, MODEL)
                    ours_fixed += count_messages(body["messages"][:1], MODEL, sent)
                    results = [m["content"] for m in body["messages"] if m["role"] == "tool"]
                    ours_results += sum(count_text(content, MODEL) for content in results)
                    requests += 1
                naive_total += naive_tokens(case, conversation, systems, tools)
    overhead.sort()
    return {
        "prefetch": prefetch,
        "cases": len(cases),
        "compared": questions,
        "skipped": sorted(set(skipped)),
        "turns_timed": len(overhead),
        "overhead_p50_ms": round(1000 * statistics.median(overhead), 3),
        "overhead_p99_ms": round(1000 * overhead[min(len(overhead) - 1, int(0.99 * len(overhead)))], 3),
        "tokens_per_question": round(ours_tokens / max(questions, 1)),
        "naive_tokens_per_question": round(naive_total / max(questions, 1)),
        "token_ratio": round(ours_tokens / max(naive_total, 1), 3),
        # Where our tokens go: the system prompt and tool schema every request repeats, and the tool results.
        "requests_per_question": round(requests / max(questions, 1), 2),
        "system_and_tools_tokens_per_request": round(ours_fixed / max(requests, 1)),
        "tool_result_tokens_per_question": round(ours_results / max(questions, 1)),
        "round_trips_median_single_question": statistics.median(round_trips) if round_trips else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=[str(DEFAULT_SUITE)])
    parser.add_argument("--repeat", type=int, default=5, help="times each conversation is timed")
    parser.add_argument("--no-prefetch", dest="prefetch", action="store_false",
                        help="the model makes every lookup itself (agent.prefetch: false)")
    args = parser.parse_args(argv)
    cases = load_cases(args.paths)
    run(cases[:3], 1, args.prefetch)  # warm-up: the tiktoken encoding and the templates load once per process
    results = run(cases, args.repeat, args.prefetch)
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "agent.json").write_text(json.dumps(results, indent=2) + "\n")
    width = max(map(len, results))
    for key, value in results.items():
        print(f"{key:<{width}}  {value}")
    ok = (results["overhead_p50_ms"] <= 2 and results["overhead_p99_ms"] <= 10 and results["token_ratio"] <= 0.35
          and (results["round_trips_median_single_question"] or 0) <= 2)
    print("targets (p50 <= 2 ms, p99 <= 10 ms, tokens <= 35% of naive, median round trips <= 2):",
          "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
