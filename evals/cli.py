"""`order-assistant eval`: run eval cases and report. Exit 0 when every case passes, 1 when any fails or nothing
was tested (every case skipped), 2 for invalid cases or options (one line on stderr, no traceback)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx2

from assistant.llm import ModelSettings, model_settings
from evals.cases import Case, CaseSpec, load_cases
from evals.cassettes import Cassettes
from evals.records import RunResult
from evals.report import (
    load_prices,
    render_html,
    render_json,
    render_junit,
    render_table,
    summary_line,
    warning_lines,
)
from evals.runner import AgentFactory, ModelSetup, Runner, default_agent
from tools.config import CONFIG_ENV, MerchantConfig, ModelConfig, resolve_config
from tools.errors import OrderAssistantError

__all__ = ["CASES_DIR", "EvalUsageError", "add_eval_parser", "cmd_eval"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
CASES_DIR = Path(__file__).parent / "cases"
"""The shipped suite."""
REPORTS = ("table", "json", "html", "junit")
MAX_TRIALS = next(m.le for m in CaseSpec.model_fields["trials"].metadata if getattr(m, "le", None) is not None)
"""--trials is capped as a case's `trials` is."""


class EvalUsageError(OrderAssistantError):
    """The eval command line is contradictory or incomplete."""


def add_eval_parser(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Add `eval` to a command's subparsers; options a parent already defines (--config, --model...) are kept."""
    parser = commands.add_parser(
        "eval", parents=parents, help="run conversation eval cases and report pass^k",
        description="Run eval cases (files or folders of YAML; none: the shipped suite) against the agent.",
    )
    taken = {flag for parent in parents for action in parent._actions for flag in action.option_strings}

    def option(*flags: str, **kwargs: object) -> None:
        if not taken.intersection(flags):
            parser.add_argument(*flags, **kwargs)

    parser.add_argument("paths", nargs="*", metavar="PATH", help="case files or folders (default: the shipped suite)")
    option("--config", metavar="PATH", help="merchant config whose `model` and `agent` sections eval uses")
    option("--offline", action="store_true", help="the offline responder answers (the default with no model)")
    option("--model", metavar="M", help="model under test (default: config, $OPENAI_MODEL)")
    option("--base-url", metavar="URL", help="OpenAI-compatible server (default $OPENAI_BASE_URL)")
    option("--trials", type=int, metavar="K",
           help=f"trials per case, 1 to {MAX_TRIALS} (default: each case's `trials`)")
    option("--concurrency", type=int, default=4, metavar="N", help="trials run at once (default 4)")
    option("--record", metavar="DIR", help="record model exchanges as cassettes in DIR")
    option("--replay", metavar="DIR", help="answer model requests from the cassettes in DIR, with no network")
    option("--report", choices=REPORTS, default="table", help="report format (default table)")
    option("--out", metavar="FILE", help="write the report here (json/html/junit default to stdout)")
    option("--prices", metavar="FILE", help="YAML price table {model: {input_per_1m, output_per_1m}} in USD")
    option("--judge-model", metavar="M", help="grade `rubric` criteria with this model (else they are skipped)")
    parser.set_defaults(func=cmd_eval)


def cmd_eval(
    args: argparse.Namespace, *, agent_factory: AgentFactory = default_agent,
    transport: Callable[[], httpx2.BaseTransport] | None = None,
) -> int:
    """Run the `eval` command. `agent_factory` and `transport` (the real model transport) are for tests."""
    opts = _Options.of(args)
    try:
        cases, runner = _prepare(opts, agent_factory, transport)
        run = runner.run(cases)
        _report(opts, run)
    except OrderAssistantError as exc:
        print(f"order-assistant eval: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # the report file could not be written
        print(f"order-assistant eval: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # Warnings once each, naming where they came from, after the report rather than one line per turn within it.
    for line in warning_lines(run):
        print(f"order-assistant eval: {line}", file=sys.stderr)
    if not run.scored:
        print("order-assistant eval: nothing was tested: every case was skipped", file=sys.stderr)
    return EXIT_OK if run.ok else EXIT_FAILED


@dataclass(frozen=True)
class _Options:
    paths: list[Path]
    config: str | None
    offline: bool
    model: str | None
    base_url: str | None
    trials: int | None
    concurrency: int
    record: str | None
    replay: str | None
    report: str
    out: str | None
    prices: str | None
    judge_model: str | None

    @classmethod
    def of(cls, args: argparse.Namespace) -> _Options:
        def get(name: str, default: Any = None) -> Any:
            return getattr(args, name, default)

        return cls(
            paths=[Path(p) for p in get("paths") or []], config=get("config"), offline=bool(get("offline")),
            model=get("model"), base_url=get("base_url"), trials=get("trials"), concurrency=get("concurrency", 4),
            record=get("record"), replay=get("replay"), report=get("report") or "table", out=get("out"),
            prices=get("prices"), judge_model=get("judge_model"),
        )


def _prepare(opts: _Options, agent_factory: AgentFactory,
             transport: Callable[[], httpx2.BaseTransport] | None) -> tuple[list[Case], Runner]:
    if opts.trials is not None and opts.trials < 1:
        raise EvalUsageError("--trials must be at least 1")
    if opts.trials is not None and opts.trials > MAX_TRIALS:
        raise EvalUsageError(f"--trials must be at most {MAX_TRIALS}, as a case's `trials`")
    if opts.concurrency < 1:
        raise EvalUsageError("--concurrency must be at least 1")
    if opts.record and opts.replay:
        raise EvalUsageError("give --record or --replay, not both")
    if opts.offline and (opts.model or opts.record or opts.replay):
        raise EvalUsageError("--offline runs no model: drop --model, --record and --replay")
    _check_out(opts.out)
    paths = opts.paths or [CASES_DIR]
    if not opts.paths and not CASES_DIR.is_dir():
        raise EvalUsageError(f"no cases found (the shipped suite {CASES_DIR} is missing)")
    cases = load_cases(list(paths))
    if not cases:
        raise EvalUsageError("no cases found in " + ", ".join(str(p) for p in paths))
    load_prices(opts.prices)  # a bad price file is a usage error before anything runs
    config = _config(opts)
    models = _models(opts, config.model if config is not None else ModelConfig())
    if transport is not None:
        models = replace(models, transport=transport)
    if models.record and models.cassettes is not None:
        clashes = models.cassettes.conflicts([case.id for case in cases])
        if clashes:  # before any model call: a recording must never overwrite another case's cassette
            raise EvalUsageError(f"--record: {clashes[0]}" + (f" (and {len(clashes) - 1} more)" if len(clashes) > 1
                                                              else ""))
    runner = Runner(models=models, agent_factory=agent_factory, trials=opts.trials, concurrency=opts.concurrency,
                    progress=sys.stderr.isatty(), agent_config=config.agent if config is not None else None)
    return cases, runner


def _check_out(out: str | None) -> None:
    """A report file that cannot be written is a usage error before the run, not after it."""
    if not out:
        return
    path = Path(out)
    folder = path.parent
    if path.is_dir():
        raise EvalUsageError(f"--out: {out} is a folder; give a file name")
    if not folder.is_dir():
        raise EvalUsageError(f"--out: no folder {folder} to write {path.name} in")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise EvalUsageError(f"--out: {out} is not writable")


def _config(opts: _Options) -> MerchantConfig | None:
    # The config matters here for its model and its agent loop (as `ask` and `chat` build the agent from it);
    # cases bring their own merchant and policy.
    if opts.config or os.environ.get(CONFIG_ENV):
        return resolve_config(opts.config)
    return None


def _usable(settings: ModelSettings, flag: str) -> ModelSettings:
    if not settings.api_key:
        raise EvalUsageError(f"{flag}: no API key: set OPENAI_API_KEY, or give --base-url for a local "
                             "OpenAI-compatible server")
    return settings


def _replay_models(opts: _Options, config: ModelConfig) -> ModelSetup:
    cassettes = Cassettes(opts.replay or "")
    if not cassettes.root.is_dir():
        raise EvalUsageError(f"--replay: {opts.replay} is not a folder of cassettes")
    name = opts.model or config.name or os.environ.get("OPENAI_MODEL")
    if not name:
        recorded = sorted(cassettes.models() - {opts.judge_model})
        if len(recorded) != 1:
            found = f"they record {', '.join(recorded)}" if recorded else "they record no model"
            raise EvalUsageError(f"--replay: give --model ({found})")
        name = recorded[0]

    def settings(model: str) -> ModelSettings:
        # No key and no network: every request is answered from the cassettes.
        return ModelSettings(name=model, base_url=opts.base_url or config.base_url, api_key="replay",
                             timeout_s=config.timeout_s, max_retries=0)

    judge = settings(opts.judge_model) if opts.judge_model else None
    return ModelSetup(settings(name), judge, cassettes, record=False)


def _models(opts: _Options, config: ModelConfig) -> ModelSetup:
    if opts.replay:
        return _replay_models(opts, config)
    agent = None if opts.offline else model_settings(config, model=opts.model, base_url=opts.base_url)
    if opts.record and agent is None:
        raise EvalUsageError("--record needs a model: give --model (and $OPENAI_API_KEY or --base-url)")
    if agent is not None:
        agent = _usable(agent, "--model")
    judge = None
    if opts.judge_model:
        judge = model_settings(config, model=opts.judge_model, base_url=opts.base_url)
        assert judge is not None  # a name is given
        judge = _usable(judge, "--judge-model")
    return ModelSetup(agent, judge, Cassettes(opts.record) if opts.record else None, record=bool(opts.record))


def _report(opts: _Options, run: RunResult) -> None:
    from rich.console import Console

    kind, out = opts.report, opts.out
    prices = load_prices(opts.prices)
    if kind == "table":
        render_table(run, Console())
        if out:
            with open(out, "w", encoding="utf-8") as file:
                render_table(run, Console(file=file, width=140, no_color=True, force_terminal=False))
        return
    text = {"json": lambda: render_json(run, prices), "html": lambda: render_html(run, prices),
            "junit": lambda: render_junit(run)}[kind]()
    if out:
        Path(out).write_text(text, encoding="utf-8")
        render_table(run, Console())
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
        print(summary_line(run), file=sys.stderr)
