"""Conversation evals: case files, a runner with pass^k, deterministic checks of facts, grounding and privacy,
simulated shoppers, record/replay of model traffic, and reports (terminal, JSON, HTML, JUnit).

The shipped suite lives in `evals/cases/`; `order-assistant eval` runs it (see `evals.cli`).
"""

from __future__ import annotations

from evals.cases import Case, CaseError, load_case, load_cases
from evals.records import CaseResult, RunResult, TrialResult, Turn, Verdict, pass_hat_k
from evals.runner import ModelSetup, Runner

__all__ = [
    "Case",
    "CaseError",
    "CaseResult",
    "ModelSetup",
    "Runner",
    "RunResult",
    "TrialResult",
    "Turn",
    "Verdict",
    "load_case",
    "load_cases",
    "pass_hat_k",
]
