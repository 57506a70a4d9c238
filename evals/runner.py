"""Runs eval cases: each case K times, each trial against a fresh agent over the case's orders, with bounded
concurrency; the checks turn each trial's transcript into verdicts.

The agent is built by an injectable factory (the real `Agent` by default), so the runner can be tested, and other
agents compared, without touching the runner. Model traffic goes through one httpx2 transport per trial: the
real one, a recording wrapper around it, or a replay of the cassettes.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx2

from assistant.llm import LLMClient, ModelSettings
from evals.cases import Case
from evals.cassettes import Cassettes, RecordingTransport, ReplayTransport
from evals.checks import Judge, grounding_claims, run_checks
from evals.records import CaseResult, RunResult, TrialResult, Turn
from evals.source import MemorySource
from tools.config import MerchantConfig
from tools.sources import OrderSource

__all__ = ["AgentFactory", "EvalAgent", "ModelSetup", "Runner", "default_agent"]


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
        if self.cassettes is not None:
            return "record" if self.record else "replay"
        return "live" if self.agent or self.judge else "offline"

    def trial_transport(self, case_id: str, trial: int) -> httpx2.BaseTransport | None:
        if self.agent is None and self.judge is None:
            return None
        if self.cassettes is not None and not self.record:
            return ReplayTransport(self.cassettes, case_id, trial)
        if self.cassettes is not None:
            return RecordingTransport(self.transport(), self.cassettes, case_id, trial)
        return self.transport()


def _turn(text: str, result: Any, latency: float) -> Turn:
    return Turn(
        user=text, answer=result.answer,
        tool_calls=[{"name": c.name, "arguments": c.arguments, "result": c.result} for c in result.tool_calls],
        model=result.model, fallback=result.fallback, grounding=result.grounding,
        unsupported_claims=list(result.unsupported_claims), usage=dict(result.usage),
        model_calls=result.model_calls, latency_s=round(latency, 4),
    )


class Runner:
    def __init__(
        self, *, models: ModelSetup | None = None, agent_factory: AgentFactory = default_agent,
        trials: int | None = None, concurrency: int = 1, grounder: Grounder = grounding_claims,
        progress: bool = False,
    ) -> None:
        self.models = models or ModelSetup()
        self.agent_factory = agent_factory
        self.trials = trials
        """Trials per case; None: each case's own `trials`."""
        self.concurrency = max(1, concurrency)
        self.grounder = grounder
        self.progress = progress

    def trials_of(self, case: Case) -> int:
        return self.trials or case.spec.trials

    def run(self, cases: list[Case]) -> RunResult:
        jobs = [(i, t) for i, case in enumerate(cases) for t in range(1, self.trials_of(case) + 1)]
        results: dict[tuple[int, int], TrialResult] = {}
        with _Progress(len(jobs), self.progress) as bar:
            if self.concurrency == 1:
                for i, t in jobs:
                    results[(i, t)] = self.run_trial(cases[i], t)
                    bar.advance()
            else:
                with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="eval") as pool:
                    futures = {pool.submit(self.run_trial, cases[i], t): (i, t) for i, t in jobs}
                    for future in as_completed(futures):
                        results[futures[future]] = future.result()
                        bar.advance()
        case_results = [
            CaseResult(case, [results[(i, t)] for t in range(1, self.trials_of(case) + 1)])
            for i, case in enumerate(cases)
        ]
        settings = {
            "mode": self.models.mode,
            "model": self.models.agent.name if self.models.agent else None,
            "judge_model": self.models.judge.name if self.models.judge else None,
            "trials": self.trials, "concurrency": self.concurrency,
            "cassettes": str(self.models.cassettes.root) if self.models.cassettes else None,
        }
        return RunResult(case_results, settings)

    def run_trial(self, case: Case, trial: int) -> TrialResult:
        """One trial; never raises: what went wrong is the trial's error, and the trial fails."""
        result = TrialResult(case.id, trial)
        spec = case.spec
        if spec.user.simulated is not None and self.models.agent is None:
            result.skipped = "simulated shopper needs a model (--model)"
            return result
        started = time.perf_counter()
        transport = self.models.trial_transport(case.id, trial)
        client = httpx2.Client(transport=transport) if transport is not None else None
        try:
            self._converse(case, result, client)
            for turn, claims in zip(result.turns, self.grounder(case, result.turns), strict=True):
                turn.claims = claims
            result.verdicts = run_checks(case, result.turns, self._judge(client, result))
        except Exception as exc:  # noqa: BLE001 -- one broken trial is reported; the suite goes on
            result.error = f"{type(exc).__name__}: {exc}"
            result.trace = traceback.format_exc()
        finally:
            if client is not None:
                client.close()
        if isinstance(transport, ReplayTransport) and transport.misses:
            # The agent answered a missed request offline; the transcript is not the recorded one, so no verdict.
            result.error, result.trace, result.verdicts = transport.misses[0], None, []
        result.latency_s = round(time.perf_counter() - started, 4)
        return result

    def _llm(self, settings: ModelSettings | None, client: httpx2.Client | None) -> LLMClient | None:
        if settings is None or client is None:
            return None
        return LLMClient(settings, http_client=client)

    def _judge(self, client: httpx2.Client | None, result: TrialResult) -> Judge | None:
        llm = self._llm(self.models.judge, client)
        if llm is None:
            return None
        from evals.judge import LLMJudge

        judge = LLMJudge(llm)
        result.side_usage[f"judge:{llm.model}"] = judge.usage
        return judge

    def _converse(self, case: Case, result: TrialResult, client: httpx2.Client | None) -> None:
        spec = case.spec
        now = spec.now
        source = MemorySource(case.orders)
        agent = self.agent_factory(case.merchant_config(), source, self._llm(self.models.agent, client), lambda: now)
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
        shopper_llm = self._llm(self.models.agent, client)
        assert shopper_llm is not None
        shopper = SimulatedShopper(shopper_llm, simulated, spec.merchant.name)
        result.side_usage[f"shopper:{shopper_llm.model}"] = shopper.usage
        while (text := shopper.next_message(result.turns)) is not None:
            result.turns.append(self._respond(agent, conversation, text))

    def _respond(self, agent: EvalAgent, conversation: Any, text: str) -> Turn:
        started = time.perf_counter()
        reply = agent.respond(conversation, text)
        return _turn(text, reply, time.perf_counter() - started)


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
