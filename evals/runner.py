"""Runs eval cases: each case K times, each trial against a fresh agent over the case's orders, with bounded
concurrency; the checks turn each trial's transcript into verdicts.

The agent is built by an injectable factory (the real `Agent` by default), so the runner can be tested, and other
agents compared, without touching the runner. Model traffic goes through one httpx2 transport per trial: the
real one, a recording wrapper around it, or a replay of the cassettes.

In a model run the model must answer every turn itself: a turn the offline responder answered after a model failure,
or whose answer the grounding guard replaced, fails the trial (the checks would otherwise grade the fallback's
answer, not the model's). The offline responder also runs each case once beside the model, as the baseline.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx2

from assistant.llm import LLMClient, ModelSettings
from evals.cases import Case
from evals.cassettes import Cassettes, RecordingTransport, ReplayTransport
from evals.checks import Judge, grounding_claims, run_checks
from evals.records import CaseResult, RunResult, TrialResult, Turn, Verdict
from evals.source import MemorySource
from tools.config import AgentConfig, MerchantConfig
from tools.sources import OrderSource

__all__ = ["AgentFactory", "EvalAgent", "ModelSetup", "Runner", "default_agent", "model_verdict"]


class EvalAgent(Protocol):
    """What the runner needs of an agent (assistant.agent.Agent has it)."""

    def new_conversation(self, *, verified_email: str | None = None, verified_phone: str | None = None,
                         order_info: Any = None) -> Any: ...

    def respond(self, conversation: Any, message: Any) -> Any: ...


AgentFactory = Callable[[MerchantConfig, OrderSource, LLMClient | None, Callable[[], datetime]], EvalAgent]
Grounder = Callable[[Case, list[Turn]], list[list[str]]]


def default_agent(config: MerchantConfig, source: OrderSource, llm: LLMClient | None,
                  clock: Callable[[], datetime]) -> EvalAgent:
    from assistant.agent import Agent

    return Agent(config, source, llm, clock=clock)


@dataclass(frozen=True)
class ModelSetup:
    """Which models a run talks to, and how their traffic flows."""

    agent: ModelSettings | None = None
    """The model under test (also plays simulated shoppers); None: the offline responder answers."""
    judge: ModelSettings | None = None
    """The rubric judge; None: rubric checks are skipped."""
    cassettes: Cassettes | None = None
    record: bool = False
    """With cassettes: record (through `transport`) rather than replay."""
    transport: Callable[[], httpx2.BaseTransport] = httpx2.HTTPTransport
    """The real transport (tests pass a fake model's MockTransport)."""

    @property
    def mode(self) -> str:
        """How the agent answers; a judge model alone leaves the agent offline."""
        if self.cassettes is not None:
            return "record" if self.record else "replay"
        return "live" if self.agent else "offline"

    def trial_transport(self, case_id: str, trial: int) -> httpx2.BaseTransport | None:
        if self.agent is None and self.judge is None:
            return None
        if self.cassettes is not None and not self.record:
            return ReplayTransport(self.cassettes, case_id, trial)
        if self.cassettes is not None:
            return RecordingTransport(self.transport(), self.cassettes, case_id, trial)
        return self.transport()


def _turn(text: str, result: Any, latency: float, model_error: str | None = None) -> Turn:
    return Turn(
        user=text, answer=result.answer,
        tool_calls=[{"name": c.name, "arguments": c.arguments, "result": c.result} for c in result.tool_calls],
        model=result.model, fallback=result.fallback, model_error=model_error if result.fallback else None,
        grounding=result.grounding, unsupported_claims=list(result.unsupported_claims), usage=dict(result.usage),
        model_calls=result.model_calls, latency_s=round(latency, 4),
    )


MODEL_CHECK = "model_answered"
"""The verdict a model run adds to each trial: the model, not a fallback, answered every turn."""
ALWAYS_CHECKED = frozenset({"disclosure_order"})
"""Checks `run_checks` makes of every case, asked for or not."""


def _claims(claims: list[str]) -> str:
    return ", ".join(repr(c) for c in claims)


def model_verdict(turns: list[Turn]) -> Verdict:
    """Fails when the offline responder answered a turn after a model failure, or the grounding guard replaced the
    model's answer with the templated one: the checks then graded an answer the model did not give. A turn the
    model corrected after one fact check passes, and is counted."""
    problems = []
    regenerated = []
    for i, turn in enumerate(turns, start=1):
        if turn.fallback:
            problems.append(f"turn {i}: the model failed ({turn.model_error or 'no error reported'}); "
                            "the offline responder answered")
        elif turn.grounding == "replaced":
            why = (f"unsupported claims {_claims(turn.unsupported_claims)}; its retry after the fact check "
                   "failed too" if turn.unsupported_claims else "the model gave no usable answer")
            problems.append(f"turn {i}: the grounding guard replaced the model's answer ({why})")
        elif turn.grounding == "regenerated":
            regenerated.append(f"turn {i}: {_claims(turn.unsupported_claims)}" if turn.unsupported_claims
                               else f"turn {i}")
    count = len(regenerated)
    fixed = (f"; {count} turn{'s' if count != 1 else ''} regenerated after a fact check ({'; '.join(regenerated)})"
             if regenerated else "")
    if problems:
        return Verdict(MODEL_CHECK, "fail", "; ".join(problems) + fixed)
    return Verdict(MODEL_CHECK, "pass", f"the model answered every turn ({len(turns)})" + fixed)


_trial = threading.local()
"""The log records of the trial the current thread runs (None outside a trial)."""


class _TrialLogs(logging.Handler):
    """Keeps the warnings logged while a trial runs (the agent's "model failed", an unreadable orderInfo) with that
    trial, so the report names the case and counts repeats, instead of one anonymous stderr line per turn. What is
    logged outside a trial goes where it would have gone."""

    def emit(self, record: logging.LogRecord) -> None:
        records: list[logging.LogRecord] | None = getattr(_trial, "records", None)
        if records is not None and record.levelno >= logging.WARNING:
            records.append(record)
            return
        handlers = logging.getLogger().handlers or ([logging.lastResort] if logging.lastResort else [])
        for handler in handlers:
            if record.levelno >= handler.level:
                handler.handle(record)


@contextmanager
def _captured_logs() -> Iterator[None]:
    logger = logging.getLogger("order_assistant")
    handler, propagate = _TrialLogs(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _logged_error(records: list[logging.LogRecord]) -> str | None:
    """The exception a warning was logged with (the agent logs the model's failure as its argument)."""
    for record in reversed(records):
        args = record.args if isinstance(record.args, tuple) else ()
        for arg in args:
            if isinstance(arg, BaseException):
                return str(arg) or type(arg).__name__
    return None


_OFFLINE = ModelSetup()


class Runner:
    def __init__(
        self, *, models: ModelSetup | None = None, agent_factory: AgentFactory = default_agent,
        trials: int | None = None, concurrency: int = 1, grounder: Grounder = grounding_claims,
        progress: bool = False, agent_config: AgentConfig | None = None, baseline: bool = True,
    ) -> None:
        self.models = models or ModelSetup()
        self.agent_factory = agent_factory
        self.trials = trials
        """Trials per case; None: each case's own `trials`."""
        self.concurrency = max(1, concurrency)
        self.grounder = grounder
        self.progress = progress
        self.agent_config = agent_config
        """The agent loop's limits (a config's `agent:` section); None: the defaults, as for a config without one."""
        self.baseline = baseline and self.models.agent is not None
        """Also run the offline responder once per case (model runs only; it is deterministic and fast)."""

    def trials_of(self, case: Case) -> int:
        return self.trials or case.spec.trials

    def run(self, cases: list[Case]) -> RunResult:
        jobs = [(i, t, self.models) for i, case in enumerate(cases) for t in range(1, self.trials_of(case) + 1)]
        if self.baseline:
            jobs += [(i, 0, _OFFLINE) for i in range(len(cases))]  # trial 0: the baseline's one trial
        results: dict[tuple[int, int], TrialResult] = {}
        with _Progress(len(jobs), self.progress) as bar, _captured_logs():
            if self.concurrency == 1:
                for i, t, models in jobs:
                    results[(i, t)] = self.run_trial(cases[i], max(t, 1), models=models)
                    bar.advance()
            else:
                with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="eval") as pool:
                    futures = {pool.submit(self.run_trial, cases[i], max(t, 1), models=models): (i, t)
                               for i, t, models in jobs}
                    for future in as_completed(futures):
                        results[futures[future]] = future.result()
                        bar.advance()
        case_results = [
            CaseResult(case, [results[(i, t)] for t in range(1, self.trials_of(case) + 1)])
            for i, case in enumerate(cases)
        ]
        run = RunResult(case_results, self._settings(self.models, self.trials))
        if self.baseline:
            run.baseline = RunResult([CaseResult(case, [results[(i, 0)]]) for i, case in enumerate(cases)],
                                     self._settings(_OFFLINE, 1))
        return run

    def _settings(self, models: ModelSetup, trials: int | None) -> dict[str, Any]:
        return {
            "mode": models.mode,
            "model": models.agent.name if models.agent else None,
            "judge_model": models.judge.name if models.judge else None,
            "trials": trials, "concurrency": self.concurrency,
            "cassettes": str(models.cassettes.root) if models.cassettes else None,
            "agent": self.agent_config.model_dump() if self.agent_config is not None else None,
        }

    def run_trial(self, case: Case, trial: int, *, models: ModelSetup | None = None) -> TrialResult:
        """One trial (with `models`, default the run's); never raises: what went wrong is the trial's error, and
        the trial fails."""
        models = models or self.models
        result = TrialResult(case.id, trial)
        spec = case.spec
        if spec.user.simulated is not None and models.agent is None:
            result.skipped = "simulated shopper needs a model (--model)"
            return result
        started = time.perf_counter()
        transport = models.trial_transport(case.id, trial)
        client = httpx2.Client(transport=transport) if transport is not None else None
        records: list[logging.LogRecord] = []
        _trial.records = records
        try:
            self._converse(case, result, client, models)
            if not result.turns:
                raise _NoTurns("no shopper turn: the simulated shopper ended the conversation before writing "
                               "anything (its first message was empty or the stop token)")
            for turn, claims in zip(result.turns, self.grounder(case, result.turns), strict=True):
                turn.claims = claims
            result.verdicts = run_checks(case, result.turns, self._judge(models, client, result))
            if models.agent is not None:
                result.verdicts.append(model_verdict(result.turns))
            result.skipped = _nothing_checked(result.verdicts)
        except _NoTurns as exc:
            result.error = str(exc)
        except Exception as exc:  # noqa: BLE001 -- one broken trial is reported; the suite goes on
            result.error = f"{type(exc).__name__}: {exc}"
            result.trace = traceback.format_exc()
        finally:
            _trial.records = None
            if client is not None:
                client.close()
        if isinstance(transport, ReplayTransport | RecordingTransport) and transport.misses:
            # The agent answered a missed (or refused) request offline; the transcript is not the model's, so no
            # verdict.
            result.error, result.trace, result.verdicts, result.skipped = transport.misses[0], None, [], None
        result.warnings = [r.getMessage() for r in records]
        result.latency_s = round(time.perf_counter() - started, 4)
        return result

    def _llm(self, settings: ModelSettings | None, client: httpx2.Client | None) -> LLMClient | None:
        if settings is None or client is None:
            return None
        return LLMClient(settings, http_client=client)

    def _judge(self, models: ModelSetup, client: httpx2.Client | None, result: TrialResult) -> Judge | None:
        llm = self._llm(models.judge, client)
        if llm is None:
            return None
        from evals.judge import LLMJudge

        judge = LLMJudge(llm)
        result.side_usage[f"judge:{llm.model}"] = judge.usage
        return judge

    def _converse(self, case: Case, result: TrialResult, client: httpx2.Client | None, models: ModelSetup) -> None:
        spec = case.spec
        now = spec.now
        source = MemorySource(case.orders)
        config = case.merchant_config()
        if self.agent_config is not None:
            config = config.model_copy(update={"agent": self.agent_config})
        agent = self.agent_factory(config, source, self._llm(models.agent, client), lambda: now)
        conversation = agent.new_conversation(
            verified_email=spec.session.verified_email, verified_phone=spec.session.verified_phone,
            order_info=spec.order_info,
        )
        if spec.user.turns is not None:
            for line in spec.user.turns:
                result.turns.append(self._respond(agent, conversation, line))
            return
        from evals.simulated import SimulatedShopper

        simulated = spec.user.simulated
        assert simulated is not None
        shopper_llm = self._llm(models.agent, client)
        assert shopper_llm is not None
        shopper = SimulatedShopper(shopper_llm, simulated, spec.merchant.name)
        result.side_usage[f"shopper:{shopper_llm.model}"] = shopper.usage
        while (text := shopper.next_message(result.turns)) is not None:
            result.turns.append(self._respond(agent, conversation, text))

    def _respond(self, agent: EvalAgent, conversation: Any, text: str) -> Turn:
        records: list[logging.LogRecord] | None = getattr(_trial, "records", None)
        records = [] if records is None else records
        before = len(records)
        started = time.perf_counter()
        reply = agent.respond(conversation, text)
        return _turn(text, reply, time.perf_counter() - started, _logged_error(records[before:]))


class _NoTurns(Exception):
    """The conversation had no shopper turn: nothing to check."""


def _nothing_checked(verdicts: list[Verdict]) -> str | None:
    """Why the trial counts as skipped: every check the case asked for was skipped (a rubric with no judge) and
    nothing failed; None when something was checked."""
    asked = [v for v in verdicts if v.name not in ALWAYS_CHECKED and v.name != MODEL_CHECK]
    if not asked or any(v.status != "skipped" for v in asked) or any(v.status == "fail" for v in verdicts):
        return None
    return "nothing checked: " + "; ".join(f"{v.name} skipped ({v.detail})" for v in asked)


class _Progress:
    """A rich progress bar on a terminal; nothing otherwise."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn("evals"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                      console=Console(file=sys.stderr), transient=True)
            self._progress.__enter__()
            self._task = self._progress.add_task("evals", total=self.total)
        return self

    def advance(self) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)
