"""Eval reports: a terminal table, JSON (every case, trial, check, turn, tokens, latency and cost), one
self-contained HTML file with transcripts, and JUnit XML for CI. A model run's reports show the offline responder's
pass^1 beside the model's (the baseline), and the cases where the model does worse."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evals.records import CaseResult, RunResult, TrialResult, Turn
from tools._yaml import parse_mapping, read_text
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
    "summary_line",
    "to_json",
    "warning_lines",
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
        data = parse_mapping(read_text(path, PriceError, "price file"), str(path), PriceError,
                             "a mapping {model: {input_per_1m, output_per_1m}}")
    except PriceError as exc:
        raise PriceError(" ".join(str(exc).split())) from None  # one line, whatever the parser said
    try:
        prices.update(_Prices.model_validate(data).root)
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
        "fallback": turn.fallback, "model_error": turn.model_error, "grounding": turn.grounding,
        "unsupported_claims": turn.unsupported_claims,
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
        "trace": trial.trace, "warnings": trial.warnings, "latency_s": trial.latency_s, "usage": usage,
        "side_usage": trial.side_usage,
        "cost_usd": _sum_costs(_trial_costs(trial, prices)),
        "checks": [{"name": v.name, "status": v.status, "detail": v.detail} for v in trial.verdicts],
        "turns": [_turn_json(t, prices) for t in trial.turns],
    }


def _pass_hats(result: CaseResult) -> dict[str, float | None]:
    return {str(k): result.pass_hat(k) for k in range(1, result.n + 1)}


def _baseline_case(result: CaseResult | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {"status": result.status, "pass_hat_1": result.pass_hat(1), "why": _why(result) or None}


def _case_json(result: CaseResult, prices: dict[str, Price], baseline: dict[str, CaseResult] | None
               ) -> dict[str, Any]:
    spec = result.case.spec
    data = {
        "id": spec.id, "file": str(result.case.path), "description": spec.description, "tags": spec.tags,
        "categories": result.case.categories, "status": result.status, "flaky": result.flaky,
        "passes": result.c, "trials_run": result.n, "pass_hat": _pass_hats(result),
        "trials": [_trial_json(t, prices) for t in result.trials],
    }
    if baseline is not None:
        data["baseline"] = _baseline_case(baseline.get(result.case.id))
    return data


def _turns(run: RunResult) -> list[Turn]:
    return [turn for c in run.cases for t in c.trials for turn in t.turns]


def _grounding_counts(run: RunResult) -> dict[str, int]:
    return dict(Counter(turn.grounding for turn in _turns(run)))


def _baseline_by_case(run: RunResult) -> dict[str, CaseResult] | None:
    return {r.case.id: r for r in run.baseline.cases} if run.baseline is not None else None


def _baseline_categories(run: RunResult) -> dict[str, float | None]:
    """The baseline's pass^1 in each category (over the cases it could run: simulated shoppers need a model)."""
    if run.baseline is None:
        return {}
    return {name: run.baseline.pass_hat(1, results) for name, results in run.baseline.categories().items()}


def _baseline_json(run: RunResult) -> dict[str, Any] | None:
    base = run.baseline
    if base is None:
        return None
    counts = Counter(c.status for c in base.cases)
    return {
        "responder": "offline", "trials": 1, "pass_hat_1": base.pass_hat(1),
        "passed": counts["pass"], "failed": counts["fail"], "skipped": counts["skipped"],
        "categories": _baseline_categories(run),
        "worse": [{"id": mine.case.id, "pass_hat_1": mine.pass_hat(1), "baseline_pass_hat_1": theirs.pass_hat(1)}
                  for mine, theirs in run.worse_than_baseline()],
    }


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
    turns = _turns(run)
    base_categories = _baseline_categories(run)
    baseline = _baseline_by_case(run)
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
            "regenerated_turns": sum(t.grounding == "regenerated" for t in turns),
            "replaced_turns": sum(t.grounding == "replaced" for t in turns),
            "tested": bool(run.scored),
        },
        "baseline": _baseline_json(run),
        "categories": {
            name: {"cases": len(results), "passed": sum(r.status == "pass" for r in results),
                   "pass_hat_1": run.pass_hat(1, results),
                   "pass_hat": {str(k): run.pass_hat(k, results) for k in range(1, run.k + 1)},
                   **({"baseline_pass_hat_1": base_categories.get(name)} if run.baseline is not None else {})}
            for name, results in run.categories().items()
        },
        "cases": [_case_json(c, prices, baseline) for c in run.cases],
    }


def render_json(run: RunResult, prices: dict[str, Price] | None = None) -> str:
    return json.dumps(to_json(run, prices), ensure_ascii=False, indent=2) + "\n"


# -- terminal -----------------------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _why(result: CaseResult) -> str:
    for trial in result.trials:
        if trial.error:
            return f"trial {trial.trial}: {trial.error}"
        failed = [v for v in trial.verdicts if v.status == "fail"]
        if failed:
            return f"trial {trial.trial}: " + "; ".join(f"{v.name}: {v.detail}" for v in failed)
    skipped = next((t.skipped for t in result.trials if t.skipped), None)
    return skipped or ""


def _regenerated(result: CaseResult) -> int:
    return sum(turn.grounding == "regenerated" for t in result.trials for turn in t.turns)


def render_table(run: RunResult, console: Console) -> None:
    k = run.k
    baseline = _baseline_by_case(run)
    cases = Table(title="Eval cases")
    cases.add_column("case", no_wrap=True)
    cases.add_column("status")
    cases.add_column("passes", justify="right")
    cases.add_column("pass^1", justify="right")
    if k > 1:
        cases.add_column(f"pass^{k}", justify="right")
    if baseline is not None:
        cases.add_column("baseline", justify="right")
    style = {"pass": "green", "fail": "red", "skipped": "yellow"}
    for result in run.cases:
        status = "flaky" if result.flaky else result.status
        row = [escape(result.case.id), f"[{style[result.status]}]{status}[/]", f"{result.c}/{result.n}",
               _pct(result.pass_hat(1))]
        if k > 1:
            row.append(_pct(result.pass_hat(k)))
        if baseline is not None:
            base = baseline.get(result.case.id)
            row.append(_pct(base.pass_hat(1) if base is not None else None))
        cases.add_row(*row)
    console.print(cases)
    categories = run.categories()
    if categories:
        base_categories = _baseline_categories(run)
        table = Table(title="By category")
        table.add_column("category")
        table.add_column("cases", justify="right")
        table.add_column("pass^1", justify="right")
        if k > 1:
            table.add_column(f"pass^{k}", justify="right")
        if baseline is not None:
            table.add_column("baseline", justify="right")
        for name, results in categories.items():
            cells = [name, str(len(results)), _pct(run.pass_hat(1, results))]
            cells += [_pct(run.pass_hat(k, results))] if k > 1 else []
            cells += [_pct(base_categories.get(name))] if baseline is not None else []
            table.add_row(*cells)
        console.print(table)
    # Why each case failed, below the tables: details are long and a table column would wrap them to pieces.
    for result in run.failed:
        console.print(f"[red]FAIL[/] {escape(f'{result.case.id} ({result.case.path}): {_why(result)}')}",
                      highlight=False, soft_wrap=True)
    for result in (r for r in run.cases if r.status == "skipped"):
        console.print(f"[yellow]SKIP[/] {escape(f'{result.case.id}: {_why(result)}')}", highlight=False,
                      soft_wrap=True)
    if run.flaky:
        console.print("flaky: " + ", ".join(f"{c.case.id} ({c.c}/{c.n})" for c in run.flaky), highlight=False,
                      soft_wrap=True)
    regenerated = [(r, n) for r in run.cases if (n := _regenerated(r))]
    if regenerated:
        console.print(escape("regenerated after a fact check: " + ", ".join(
            f"{r.case.id} ({_count(n, 'turn')})" for r, n in regenerated)), highlight=False, soft_wrap=True)
    worse = run.worse_than_baseline()
    if worse:
        console.print(escape("worse than the offline baseline: " + ", ".join(
            f"{mine.case.id} ({_pct(mine.pass_hat(1))} vs {_pct(theirs.pass_hat(1))})" for mine, theirs in worse)),
            highlight=False, soft_wrap=True)
    # One line whatever the console's width (CI logs are not terminals, and rich would wrap at 80 columns).
    console.print(summary_line(run), highlight=False, soft_wrap=True)


def summary_line(run: RunResult) -> str:
    counts = Counter(c.status for c in run.cases)
    parts = [f"{_count(len(run.cases), 'case')}: {counts['pass']} passed, {counts['fail']} failed, "
             f"{counts['skipped']} skipped", f"pass^1 {_pct(run.pass_hat(1))}"]
    if run.k > 1:
        parts.append(f"pass^{run.k} {_pct(run.pass_hat(run.k))}")
    if run.baseline is not None:
        parts.append(f"offline baseline pass^1 {_pct(run.baseline.pass_hat(1))}")
        worse = len(run.worse_than_baseline())
        if worse:
            parts.append(f"worse than the baseline on {_count(worse, 'case')}")
    if run.flaky:
        parts.append(f"{len(run.flaky)} flaky")
    turns = _turns(run)
    fallbacks = sum(turn.fallback for turn in turns)
    if fallbacks:
        parts.append(f"{_count(fallbacks, 'turn')} answered offline after a model failure")
    replaced = sum(turn.grounding == "replaced" for turn in turns)
    if replaced:
        parts.append(f"{_count(replaced, 'turn')} replaced by the grounding guard")
    regenerated = sum(turn.grounding == "regenerated" for turn in turns)
    if regenerated:
        parts.append(f"{_count(regenerated, 'turn')} regenerated")
    if not run.scored:
        parts.append("nothing tested")
    return "; ".join(parts)


def warning_lines(run: RunResult, *, shown: int = 3) -> list[str]:
    """Each distinct warning logged during the run once, with the trials it came from and how often."""
    where: dict[str, list[str]] = {}
    for case in run.cases:
        for trial in case.trials:
            for message in trial.warnings:
                where.setdefault(message, []).append(f"{case.case.id} trial {trial.trial}")
    lines = []
    for message, trials in where.items():
        seen = list(dict.fromkeys(trials))
        names = ", ".join(seen[:shown]) + (f" and {len(seen) - shown} more" if len(seen) > shown else "")
        times = f"{len(trials)} times, " if len(trials) > 1 else ""
        lines.append(f"warning: {message} ({times}{names})")
    return lines


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


def _errored(result: CaseResult) -> bool:
    """A failing case none of whose trials failed a check: each could not run to the end (a crash, a cassette
    miss), so the case is an error, not a failure, in JUnit's terms."""
    failing = [t for t in result.ran if not t.passed]
    return bool(failing) and all(t.error is not None for t in failing)


def render_junit(run: RunResult) -> str:
    """One testcase per case; a failing case carries every failed check of every trial, an erroring one (every
    failing trial crashed or missed its cassette) every error."""
    errors = sum(c.status == "fail" and _errored(c) for c in run.cases)
    failures = sum(c.status == "fail" for c in run.cases) - errors
    skipped = sum(c.status == "skipped" for c in run.cases)
    total_time = sum(t.latency_s for c in run.cases for t in c.trials)
    attrs = {"name": "order-assistant evals", "tests": str(len(run.cases)), "failures": str(failures),
             "errors": str(errors), "skipped": str(skipped), "time": f"{total_time:.3f}"}
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
            kind, tag = ("EvalError", "error") if _errored(result) else ("EvalFailure", "failure")
            failure = ET.SubElement(element, tag, {
                "message": f"{result.c}/{result.n} trials passed: {_why(result)}"[:500], "type": kind,
            })
            failure.text = "\n".join(lines)
        out = ET.SubElement(element, "system-out")
        out.text = f"pass^1 {_pct(result.pass_hat(1))}; {result.c}/{result.n} trials passed"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
