"""Eval reports: a terminal table, JSON (every case, trial, check, turn, tokens, latency and cost), one
self-contained HTML file with transcripts, and JUnit XML for CI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import yaml
from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evals.records import CaseResult, RunResult, TrialResult, Turn
from tools._yaml import load_yaml
from tools.errors import OrderAssistantError

__all__ = [
    "DEFAULT_PRICES",
    "Price",
    "PriceError",
    "cost",
    "load_prices",
    "render_html",
    "render_json",
    "render_junit",
    "render_table",
    "to_json",
]

REPORT_VERSION = 1


class PriceError(OrderAssistantError):
    """The price table file is missing or invalid."""


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input_per_1m: float = Field(ge=0)
    """US dollars per million prompt tokens."""
    output_per_1m: float = Field(ge=0)


class _Prices(RootModel[dict[str, Price]]):
    pass


DEFAULT_PRICES: dict[str, Price] = {
    # List prices (USD per 1M tokens) when this was written; give --prices FILE to change or extend them.
    "gpt-4o-mini": Price(input_per_1m=0.15, output_per_1m=0.60),
    "gpt-4o": Price(input_per_1m=2.50, output_per_1m=10.00),
    "gpt-4.1": Price(input_per_1m=2.00, output_per_1m=8.00),
    "gpt-4.1-mini": Price(input_per_1m=0.40, output_per_1m=1.60),
    "gpt-4.1-nano": Price(input_per_1m=0.10, output_per_1m=0.40),
    "gpt-5": Price(input_per_1m=1.25, output_per_1m=10.00),
    "gpt-5-mini": Price(input_per_1m=0.25, output_per_1m=2.00),
    "gpt-5-nano": Price(input_per_1m=0.05, output_per_1m=0.40),
}


def load_prices(path: str | Path | None) -> dict[str, Price]:
    """The default table, with a YAML file's entries ({model: {input_per_1m, output_per_1m}}) over it."""
    prices = dict(DEFAULT_PRICES)
    if path is None:
        return prices
    path = Path(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PriceError(f"{path}: no such price file") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PriceError(f"{path}: cannot read ({exc})") from None
    try:
        prices.update(_Prices.model_validate(data or {}).root)
    except ValidationError as exc:
        errors = exc.errors()
        error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        loc = ".".join(str(p) for p in error["loc"]) or "prices"
        message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        raise PriceError(f"{path}: {loc}: {message} (expected {{model: {{input_per_1m, output_per_1m}}}})"
                         ) from None
    return prices


def _price(model: str | None, prices: dict[str, Price]) -> Price | None:
    if not model:
        return None
    if model in prices:
        return prices[model]
    # Dated snapshots ("gpt-4o-mini-2024-07-18") cost what their family costs; the longest name wins.
    family = [name for name in prices if model.startswith(name + "-")]
    return prices[max(family, key=len)] if family else None


def cost(model: str | None, usage: dict[str, int], prices: dict[str, Price]) -> float | None:
    """US dollars for `usage` of `model`; 0 for no tokens, None when the model has no price."""
    if not usage.get("prompt_tokens") and not usage.get("completion_tokens"):
        return 0.0
    price = _price(model, prices)
    if price is None:
        return None
    return (usage.get("prompt_tokens", 0) * price.input_per_1m
            + usage.get("completion_tokens", 0) * price.output_per_1m) / 1_000_000


def _add(total: dict[str, int], usage: dict[str, int]) -> None:
    for key, value in usage.items():
        total[key] = total.get(key, 0) + value


def _sum_costs(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else round(sum(v for v in values if v is not None), 6)


# -- JSON ---------------------------------------------------------------------------------------------------


def _turn_json(turn: Turn, prices: dict[str, Price]) -> dict[str, Any]:
    return {
        "user": turn.user, "assistant": turn.answer, "tool_calls": turn.tool_calls, "model": turn.model,
        "fallback": turn.fallback, "grounding": turn.grounding, "unsupported_claims": turn.unsupported_claims,
        "ungrounded_claims": turn.claims, "usage": turn.usage, "model_calls": turn.model_calls,
        "latency_s": turn.latency_s, "cost_usd": cost(turn.model, turn.usage, prices),
    }


def _trial_costs(trial: TrialResult, prices: dict[str, Price]) -> list[float | None]:
    values = [cost(t.model, t.usage, prices) for t in trial.turns]
    values += [cost(role.split(":", 1)[1], usage, prices) for role, usage in trial.side_usage.items()]
    return values


def _trial_json(trial: TrialResult, prices: dict[str, Price]) -> dict[str, Any]:
    usage: dict[str, int] = {}
    for turn in trial.turns:
        _add(usage, turn.usage)
    return {
        "trial": trial.trial, "status": trial.status, "error": trial.error, "skipped": trial.skipped,
        "trace": trial.trace, "latency_s": trial.latency_s, "usage": usage, "side_usage": trial.side_usage,
        "cost_usd": _sum_costs(_trial_costs(trial, prices)),
        "checks": [{"name": v.name, "status": v.status, "detail": v.detail} for v in trial.verdicts],
        "turns": [_turn_json(t, prices) for t in trial.turns],
    }


def _pass_hats(result: CaseResult) -> dict[str, float | None]:
    return {str(k): result.pass_hat(k) for k in range(1, result.n + 1)}


def _case_json(result: CaseResult, prices: dict[str, Price]) -> dict[str, Any]:
    spec = result.case.spec
    return {
        "id": spec.id, "file": str(result.case.path), "description": spec.description, "tags": spec.tags,
        "categories": result.case.categories, "status": result.status, "flaky": result.flaky,
        "passes": result.c, "trials_run": result.n, "pass_hat": _pass_hats(result),
        "trials": [_trial_json(t, prices) for t in result.trials],
    }


def _grounding_counts(run: RunResult) -> dict[str, int]:
    return dict(Counter(turn.grounding for c in run.cases for t in c.trials for turn in t.turns))


def to_json(run: RunResult, prices: dict[str, Price] | None = None) -> dict[str, Any]:
    prices = DEFAULT_PRICES if prices is None else prices
    usage: dict[str, int] = {}
    costs: list[float | None] = []
    for case in run.cases:
        for trial in case.trials:
            for turn in trial.turns:
                _add(usage, turn.usage)
            for side in trial.side_usage.values():
                _add(usage, side)
            costs += _trial_costs(trial, prices)
    turns = [turn for c in run.cases for t in c.trials for turn in t.turns]
    return {
        "version": REPORT_VERSION,
        "settings": run.settings,
        "summary": {
            "cases": len(run.cases),
            "passed": sum(c.status == "pass" for c in run.cases),
            "failed": sum(c.status == "fail" for c in run.cases),
            "skipped": sum(c.status == "skipped" for c in run.cases),
            "flaky": [c.case.id for c in run.flaky],
            "k": run.k,
            "pass_hat": {str(k): run.pass_hat(k) for k in range(1, run.k + 1)},
            "usage": usage,
            "cost_usd": _sum_costs(costs),
            "turns": len(turns),
            "mean_turn_latency_s": round(sum(t.latency_s for t in turns) / len(turns), 4) if turns else None,
            "grounding": _grounding_counts(run),
            "fallback_turns": sum(t.fallback for t in turns),
        },
        "categories": {
            name: {"cases": len(results), "passed": sum(r.status == "pass" for r in results),
                   "pass_hat_1": run.pass_hat(1, results),
                   "pass_hat": {str(k): run.pass_hat(k, results) for k in range(1, run.k + 1)}}
            for name, results in run.categories().items()
        },
        "cases": [_case_json(c, prices) for c in run.cases],
    }


def render_json(run: RunResult, prices: dict[str, Price] | None = None) -> str:
    return json.dumps(to_json(run, prices), ensure_ascii=False, indent=2) + "\n"


# -- terminal -----------------------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _why(result: CaseResult) -> str:
    for trial in result.trials:
        if trial.error:
            return f"trial {trial.trial}: {trial.error}"
        failed = [v for v in trial.verdicts if v.status == "fail"]
        if failed:
            return f"trial {trial.trial}: " + "; ".join(f"{v.name}: {v.detail}" for v in failed)
    skipped = next((t.skipped for t in result.trials if t.skipped), None)
    return skipped or ""


def render_table(run: RunResult, console: Console) -> None:
    k = run.k
    cases = Table(title="Eval cases")
    cases.add_column("case", no_wrap=True)
    cases.add_column("status")
    cases.add_column("passes", justify="right")
    cases.add_column("pass^1", justify="right")
    if k > 1:
        cases.add_column(f"pass^{k}", justify="right")
    style = {"pass": "green", "fail": "red", "skipped": "yellow"}
    for result in run.cases:
        status = "flaky" if result.flaky else result.status
        row = [escape(result.case.id), f"[{style[result.status]}]{status}[/]", f"{result.c}/{result.n}",
               _pct(result.pass_hat(1))]
        if k > 1:
            row.append(_pct(result.pass_hat(k)))
        cases.add_row(*row)
    console.print(cases)
    categories = run.categories()
    if categories:
        table = Table(title="By category")
        table.add_column("category")
        table.add_column("cases", justify="right")
        table.add_column("pass^1", justify="right")
        if k > 1:
            table.add_column(f"pass^{k}", justify="right")
        for name, results in categories.items():
            cells = [name, str(len(results)), _pct(run.pass_hat(1, results))]
            table.add_row(*cells, *([_pct(run.pass_hat(k, results))] if k > 1 else []))
        console.print(table)
    # Why each case failed, below the tables: details are long and a table column would wrap them to pieces.
    for result in run.failed:
        console.print(f"[red]FAIL[/] {escape(f'{result.case.id} ({result.case.path}): {_why(result)}')}",
                      highlight=False, soft_wrap=True)
    for result in (r for r in run.cases if r.status == "skipped"):
        console.print(f"[yellow]SKIP[/] {escape(f'{result.case.id}: {_why(result)}')}", highlight=False)
    if run.flaky:
        console.print("flaky: " + ", ".join(f"{c.case.id} ({c.c}/{c.n})" for c in run.flaky), highlight=False)
    console.print(summary_line(run), highlight=False)


def summary_line(run: RunResult) -> str:
    counts = Counter(c.status for c in run.cases)
    parts = [f"{len(run.cases)} cases: {counts['pass']} passed, {counts['fail']} failed, {counts['skipped']} skipped",
             f"pass^1 {_pct(run.pass_hat(1))}"]
    if run.k > 1:
        parts.append(f"pass^{run.k} {_pct(run.pass_hat(run.k))}")
    if run.flaky:
        parts.append(f"{len(run.flaky)} flaky")
    fallbacks = sum(turn.fallback for c in run.cases for t in c.trials for turn in t.turns)
    if fallbacks:
        parts.append(f"{fallbacks} turn(s) answered offline after a model failure")
    return "; ".join(parts)


# -- HTML ---------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["pretty"] = lambda value: json.dumps(value, ensure_ascii=False, indent=2)
    env.filters["pct"] = _pct
    return env


def render_html(run: RunResult, prices: dict[str, Price] | None = None) -> str:
    data = to_json(run, prices)
    return _templates().get_template("report.html.j2").render(report=data, summary=summary_line(run))


# -- JUnit --------------------------------------------------------------------------------------------------


def render_junit(run: RunResult) -> str:
    """One testcase per case; a failing case carries every failed check of every trial."""
    counts = Counter(c.status for c in run.cases)
    total_time = sum(t.latency_s for c in run.cases for t in c.trials)
    attrs = {"name": "order-assistant evals", "tests": str(len(run.cases)), "failures": str(counts["fail"]),
             "errors": "0", "skipped": str(counts["skipped"]), "time": f"{total_time:.3f}"}
    suites = ET.Element("testsuites", attrs)
    suite = ET.SubElement(suites, "testsuite", attrs)
    for result in run.cases:
        case = result.case
        element = ET.SubElement(suite, "testcase", {
            "classname": f"evals.{case.categories[0]}", "name": case.id, "file": str(case.path),
            "time": f"{sum(t.latency_s for t in result.trials):.3f}",
        })
        if result.status == "skipped":
            ET.SubElement(element, "skipped", {"message": _why(result)})
            continue
        if result.status == "fail":
            lines = []
            for trial in result.trials:
                if trial.error:
                    lines.append(f"trial {trial.trial}: error: {trial.error}")
                lines += [f"trial {trial.trial}: {v.name}: {v.detail}" for v in trial.verdicts if v.status == "fail"]
            failure = ET.SubElement(element, "failure", {
                "message": f"{result.c}/{result.n} trials passed: {_why(result)}"[:500], "type": "EvalFailure",
            })
            failure.text = "\n".join(lines)
        out = ET.SubElement(element, "system-out")
        out.text = f"pass^1 {_pct(result.pass_hat(1))}; {result.c}/{result.n} trials passed"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
