"""What a run produces: each turn of each trial, each check's verdict, and the per-case and per-suite scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from math import comb
from typing import Any, Literal

from evals.cases import Case

__all__ = ["CaseResult", "RunResult", "TrialResult", "Turn", "Verdict", "pass_hat_k"]

Status = Literal["pass", "fail", "skipped"]


def pass_hat_k(c: int, n: int, k: int) -> float | None:
    """pass^k: the chance that k trials drawn from n (c of them passed) all pass, C(c,k)/C(n,k) (τ-bench's
    unbiased estimator). None when there are fewer than k trials."""
    if k < 1 or n < k or not 0 <= c <= n:
        return None
    return comb(c, k) / comb(n, k)


@dataclass
class Turn:
    """One shopper message and the agent's reply, with what it took."""

    user: str
    answer: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    """{name, arguments, result} for each tool call of the turn, in order."""
    model: str | None = None
    fallback: bool = False
    model_error: str | None = None
    """Why the model failed, when the offline responder answered the turn instead (`fallback`)."""
    grounding: str = "offline"
    """The agent's own guard outcome: passed, regenerated, replaced or offline."""
    unsupported_claims: list[str] = field(default_factory=list)
    """Claims the agent's guard caught in the model's first answer."""
    claims: list[str] = field(default_factory=list)
    """Claims of the final reply the eval's grounding check found unsupported by the tool results so far."""
    usage: dict[str, int] = field(default_factory=dict)
    model_calls: int = 0
    latency_s: float = 0.0


@dataclass
class Verdict:
    name: str
    status: Status
    detail: str = ""


@dataclass
class TrialResult:
    case_id: str
    trial: int
    """1-based."""
    turns: list[Turn] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    error: str | None = None
    """Why the trial could not run to the end (an exception, a cassette miss); the trial fails."""
    trace: str | None = None
    """The traceback, when the error was an exception."""
    skipped: str | None = None
    """Why the trial was not run (a simulated shopper with no model) or nothing of it was checked (its only checks
    were skipped); neither passes nor fails."""
    latency_s: float = 0.0
    side_usage: dict[str, dict[str, int]] = field(default_factory=dict)
    """Tokens the simulated shopper and the judge used, by model."""
    warnings: list[str] = field(default_factory=list)
    """Warnings logged while the trial ran (a model failure, an unreadable orderInfo), reported once per run."""

    @property
    def passed(self) -> bool:
        return self.skipped is None and self.error is None and all(v.status != "fail" for v in self.verdicts)

    @property
    def status(self) -> Status:
        if self.skipped is not None:
            return "skipped"
        return "pass" if self.passed else "fail"


@dataclass
class CaseResult:
    case: Case
    trials: list[TrialResult]

    @property
    def ran(self) -> list[TrialResult]:
        return [t for t in self.trials if t.skipped is None]

    @property
    def n(self) -> int:
        return len(self.ran)

    @property
    def c(self) -> int:
        return sum(t.passed for t in self.ran)

    @property
    def status(self) -> Status:
        if not self.ran:
            return "skipped"
        return "pass" if self.c == self.n else "fail"

    @property
    def flaky(self) -> bool:
        """Some trials passed and some failed."""
        return 0 < self.c < self.n

    def pass_hat(self, k: int) -> float | None:
        return pass_hat_k(self.c, self.n, k) if self.ran else None


@dataclass
class RunResult:
    cases: list[CaseResult]
    settings: dict[str, Any] = field(default_factory=dict)
    """Mode, model, trials, concurrency: what the run was."""
    baseline: RunResult | None = None
    """In a model run, the offline responder over the same cases (one trial each): the score a model must beat."""

    @property
    def scored(self) -> list[CaseResult]:
        return [c for c in self.cases if c.status != "skipped"]

    @property
    def k(self) -> int:
        """The largest k every scored case has trials for."""
        return min((c.n for c in self.scored), default=1)

    def pass_hat(self, k: int, cases: list[CaseResult] | None = None) -> float | None:
        """pass^k averaged over cases (skipped cases and cases with fewer than k trials left out)."""
        values = [v for c in (self.scored if cases is None else cases) if (v := c.pass_hat(k)) is not None]
        return sum(values) / len(values) if values else None

    def categories(self) -> dict[str, list[CaseResult]]:
        out: dict[str, list[CaseResult]] = {}
        for result in self.scored:
            for category in result.case.categories:
                out.setdefault(category, []).append(result)
        return dict(sorted(out.items()))

    @property
    def flaky(self) -> list[CaseResult]:
        return [c for c in self.cases if c.flaky]

    @property
    def failed(self) -> list[CaseResult]:
        return [c for c in self.cases if c.status == "fail"]

    @property
    def ok(self) -> bool:
        """No case failed, and something was tested: a run whose every case was skipped proves nothing."""
        return not self.failed and bool(self.scored)

    def worse_than_baseline(self) -> list[tuple[CaseResult, CaseResult]]:
        """(model, baseline) results of the cases where the model's pass^1 is below the offline responder's."""
        if self.baseline is None:
            return []
        base = {r.case.id: r for r in self.baseline.cases}
        out = []
        for result in self.scored:
            other = base.get(result.case.id)
            mine, theirs = result.pass_hat(1), other.pass_hat(1) if other is not None else None
            if other is not None and mine is not None and theirs is not None and mine < theirs:
                out.append((result, other))
        return out
