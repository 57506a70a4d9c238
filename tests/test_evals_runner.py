"""The eval runner: pass^k, flaky cases, failures that must fail, errors, concurrency, simulated shoppers."""

from __future__ import annotations

import itertools
import json
import logging
import threading

import httpx2
import pytest

from assistant.llm import ModelSettings
from assistant.state import ToolCallRecord, TurnResult
from evals.cases import load_case, load_cases
from evals.records import pass_hat_k
from evals.report import to_json
from evals.runner import ModelSetup, Runner
from evals.simulated import STOP
from tests.conftest import FIXTURES
from tests.fake_model import ScriptedModel, call, fail, say
from tools.config import AgentConfig

EVALS = FIXTURES / "evals"
FAKE = ModelSettings(name="fake-model", base_url="http://fake.test/v1", api_key="k", max_retries=0)


@pytest.mark.parametrize(("c", "n", "k", "expected"), [
    (2, 3, 2, 1 / 3), (3, 3, 2, 1.0), (2, 3, 1, 2 / 3), (1, 3, 2, 0.0), (0, 4, 1, 0.0), (4, 5, 3, 0.4),
    (2, 2, 3, None), (1, 1, 0, None),
])
def test_pass_hat_k_is_the_unbiased_estimator(c, n, k, expected):
    got = pass_hat_k(c, n, k)
    assert got == pytest.approx(expected) if expected is not None else got is None


class ScriptedAgent:
    """An agent stub: answers each turn from a shared script (thread-safe), with one tool call."""

    def __init__(self, answers, config, source):
        self.answers = answers
        self.source = source

    def new_conversation(self, **identity):
        return {"identity": identity}

    def respond(self, conversation, message):
        answer = next(self.answers)
        if isinstance(answer, Exception):
            raise answer
        result = {"result": "verification_needed", "message": "ask", "ask_for": ["email"]}
        return TurnResult(answer=answer, tool_calls=[ToolCallRecord(name="lookup_orders",
                                                                    arguments={"order_id": "#1042"}, result=result)])


def stub_factory(*answers):
    lock = threading.Lock()
    cycle = itertools.cycle(answers)

    def safe():
        while True:
            with lock:
                yield next(cycle)

    shared = safe()
    return lambda config, source, llm, clock: ScriptedAgent(shared, config, source)


def say_case(tmp_path, phrase="email"):
    path = tmp_path / "c.yaml"
    path.write_text(f"""id: stub/say
tags: [lookup:order_id, privacy]
now: "2026-11-25T10:00:00Z"
user: {{turns: ["where is #1042?"]}}
expect: {{say: ["{phrase}"], tool_calls: [{{name: lookup_orders, args: {{order_id: "1042"}}}}]}}
""")
    return load_case(path)


def no_grounding(case, turns):
    return [[] for _ in turns]


def test_flaky_case_scores_pass_hat_k_and_is_listed(tmp_path):
    # Trials 1 and 3 say what is expected, trial 2 does not: c=2 of n=3.
    factory = stub_factory("What's your email?", "Hello!")
    run = Runner(agent_factory=factory, trials=3, grounder=no_grounding).run([say_case(tmp_path)])
    (result,) = run.cases
    assert [t.passed for t in result.trials] == [True, False, True]
    assert (result.c, result.n, result.status, result.flaky) == (2, 3, "fail", True)
    assert result.pass_hat(1) == pytest.approx(2 / 3)
    assert result.pass_hat(2) == pytest.approx(1 / 3)
    assert result.pass_hat(3) == 0
    assert run.flaky == [result] and not run.ok
    assert run.k == 3 and run.pass_hat(2) == pytest.approx(1 / 3)
    assert set(run.categories()) == {"lookup", "privacy"}


def test_steady_passes_and_failures_are_not_flaky(tmp_path):
    good = Runner(agent_factory=stub_factory("your email please"), trials=2, grounder=no_grounding)
    bad = Runner(agent_factory=stub_factory("hello"), trials=2, grounder=no_grounding)
    passed, failed = good.run([say_case(tmp_path)]), bad.run([say_case(tmp_path)])
    assert passed.ok and passed.cases[0].status == "pass" and not passed.flaky
    assert not failed.ok and failed.cases[0].c == 0 and not failed.flaky


def test_a_case_with_wrong_expectations_fails_every_check_it_names():
    run = Runner().run(load_cases([EVALS / "failing"]))
    (result,) = run.cases
    assert result.status == "fail"
    statuses = {v.name: v.status for v in result.trials[0].verdicts}
    assert statuses == {"tool_calls": "fail", "say": "fail", "not_say": "fail", "disclose_only": "fail",
                        "disclosure_order": "pass", "max_tool_calls": "fail"}


def test_the_example_suite_passes_offline():
    run = Runner().run(load_cases([EVALS / "cases"]))
    assert run.ok, [(c.case.id, [(v.name, v.detail) for t in c.trials for v in t.verdicts if v.status == "fail"])
                    for c in run.failed]
    assert {c.status for c in run.cases} == {"pass"}
    assert all(t.grounding == "offline" for c in run.cases for trial in c.trials for t in trial.turns)


def test_an_agent_error_fails_its_trial_and_the_run_goes_on(tmp_path):
    runner = Runner(agent_factory=stub_factory(RuntimeError("boom"), "email?"), trials=2, grounder=no_grounding)
    (result,) = runner.run([say_case(tmp_path)]).cases
    first, second = result.trials
    assert first.error == "RuntimeError: boom" and "Traceback" in (first.trace or "")
    assert not first.passed and second.passed and result.flaky


def _comparable(run):
    data = to_json(run)

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if "latency" not in k and k != "settings"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(data)


def test_concurrency_gives_the_same_results():
    cases = load_cases([EVALS / "cases", EVALS / "failing"])
    serial = Runner(trials=3, concurrency=1).run(cases)
    parallel = Runner(trials=3, concurrency=4).run(cases)
    assert _comparable(serial) == _comparable(parallel)
    assert [c.case.id for c in parallel.cases] == [c.id for c in cases]
    assert [t.trial for t in parallel.cases[0].trials] == [1, 2, 3]


def test_a_simulated_shopper_is_skipped_offline():
    run = Runner().run(load_cases([EVALS / "simulated", EVALS / "cases"]))
    simulated = next(c for c in run.cases if c.case.id == "example/simulated-shopper")
    assert simulated.status == "skipped" and simulated.trials[0].skipped
    assert simulated.pass_hat(1) is None and simulated not in run.scored
    assert run.ok  # skipped is not failed


def test_a_simulated_shopper_talks_to_the_agent_until_it_stops():
    model = ScriptedModel(
        say("Hi, where is my order #1042?"),  # the shopper opens
        call("lookup_orders", {"order_id": "#1042"}),  # the agent looks it up
        say("Could you tell me the email address on the order?"),
        say("jane@example.com"),  # the shopper answers
        call("lookup_orders", {"order_id": "#1042", "email": "jane@example.com"}),
        say("Order #1042 shipped with UPS, tracking number 1Z999AA10123456784."),
        say(f"Thanks! {STOP}"),  # goal met
    )
    models = ModelSetup(agent=FAKE, transport=lambda: httpx2.MockTransport(model.handle))
    (result,) = Runner(models=models).run(load_cases([EVALS / "simulated"])).cases
    model.assert_complete()
    trial = result.trials[0]
    assert trial.error is None, trial.trace
    assert [t.user for t in trial.turns] == ["Hi, where is my order #1042?", "jane@example.com"]
    assert result.status == "pass", [(v.name, v.detail) for v in trial.verdicts]
    # The shopper saw the conversation from its side: the agent's reply as the user message.
    shopper_request = model.requests[3]
    assert "Persona: Jane" in shopper_request["messages"][0]["content"]
    assert shopper_request["messages"][-1] == {"role": "user",
                                               "content": "Could you tell me the email address on the order?"}
    assert "tools" not in shopper_request
    assert trial.side_usage["shopper:fake-model"]["total_tokens"] == 360
    assert trial.turns[1].usage == {"prompt_tokens": 200, "completion_tokens": 40, "total_tokens": 240}


def test_the_simulated_shopper_stops_at_max_turns(tmp_path):
    text = (EVALS / "simulated" / "shopper.yaml").read_text().replace("max_turns: 4", "max_turns: 1")
    (tmp_path / "s.yaml").write_text(text.replace("../cases/fixtures/orders.json", "orders.json"))
    (tmp_path / "orders.json").write_text((EVALS / "cases" / "fixtures" / "orders.json").read_text())
    model = ScriptedModel(say("where is 1042?"), say("Could you tell me the email on the order?"))
    models = ModelSetup(agent=FAKE, transport=lambda: httpx2.MockTransport(model.handle))
    (result,) = Runner(models=models).run(load_cases([tmp_path])).cases
    model.assert_complete()  # no third request: the shopper stopped after one turn
    assert len(result.trials[0].turns) == 1 and result.status == "fail"


def test_report_settings_name_the_mode():
    run = Runner().run(load_cases([EVALS / "cases" / "order-and-email.yaml"]))
    assert run.settings["mode"] == "offline" and run.settings["model"] is None
    assert json.loads(json.dumps(to_json(run)))["settings"]["concurrency"] == 1


# -- a model run grades the model's own answers ---------------------------------------------------------------

CASE = EVALS / "cases" / "order-and-email.yaml"
GOOD = "Order #1042 shipped with UPS: tracking number 1Z999AA10123456784."
MADE_UP = "Order #99999 has shipped. Tracking number: 1Z999AA10000000000."


def model_run(*steps, trials=1, paths=(CASE,), **runner):
    model = ScriptedModel(*steps)
    models = ModelSetup(agent=FAKE, transport=lambda: httpx2.MockTransport(model.handle))
    run = Runner(models=models, trials=trials, **runner).run(load_cases(list(paths)))
    model.assert_complete()
    return run


def verdict(trial, name):
    return next(v for v in trial.verdicts if v.name == name)


def test_a_turn_answered_offline_after_a_model_failure_fails_the_trial_naming_turn_and_error():
    # The offline responder's answer would pass every check; the model never answered.
    run = model_run(fail(500))
    trial = run.cases[0].trials[0]
    assert trial.turns[0].fallback and "500" in (trial.turns[0].model_error or "")
    assert not trial.passed and not run.ok
    failed = [v for v in trial.verdicts if v.status == "fail"]
    assert [v.name for v in failed] == ["model_answered"]
    assert failed[0].detail.startswith("turn 1: the model failed (") and "500" in failed[0].detail
    assert failed[0].detail.endswith("the offline responder answered")


def test_a_model_answer_the_guard_replaced_fails_the_trial_with_the_model_claims():
    run = model_run(say(MADE_UP), say(MADE_UP))  # the answer, then the retry after the fact check
    trial = run.cases[0].trials[0]
    turn = trial.turns[0]
    assert turn.grounding == "replaced" and "1Z999AA10123456784" in turn.answer  # the templated answer
    assert "'1Z999AA10000000000'" in repr(turn.unsupported_claims)
    check = verdict(trial, "model_answered")
    assert check.status == "fail" and check.detail.startswith("turn 1: the grounding guard replaced the model's answer")
    assert "'#99999'" in check.detail and "'1Z999AA10000000000'" in check.detail
    assert [v.name for v in trial.verdicts if v.status == "fail"] == ["model_answered"]  # the rest graded the template


def test_a_regenerated_turn_passes_and_is_counted():
    run = model_run(say(MADE_UP), say(GOOD))
    trial = run.cases[0].trials[0]
    assert trial.turns[0].grounding == "regenerated" and trial.passed
    check = verdict(trial, "model_answered")
    assert check.status == "pass" and "1 turn regenerated after a fact check (turn 1: '#99999'" in check.detail


def test_offline_runs_have_no_model_verdict_and_no_baseline():
    run = Runner().run(load_cases([CASE]))
    assert run.ok and run.baseline is None
    assert "model_answered" not in {v.name for v in run.cases[0].trials[0].verdicts}


def test_a_conversation_without_a_shopper_turn_fails(tmp_path):
    # The simulated shopper stops before saying anything: no check would have anything to look at.
    run = model_run(say(STOP), paths=(EVALS / "simulated",))
    (result,) = run.cases
    trial = result.trials[0]
    assert trial.turns == [] and not trial.passed and result.status == "fail" and not run.ok
    assert trial.error is not None and trial.error.startswith("no shopper turn")


def test_a_case_whose_only_checks_were_skipped_is_skipped_not_passed(tmp_path):
    (tmp_path / "r.yaml").write_text('id: r/only-rubric\nnow: "2026-11-25T10:00:00Z"\nuser: {turns: [hi]}\n'
                                     "expect: {rubric: [Is polite]}\n")
    run = Runner().run(load_cases([tmp_path]))
    (result,) = run.cases
    assert result.status == "skipped" and result.trials[0].skipped.startswith("nothing checked: rubric skipped")
    assert not run.scored and not run.ok  # nothing tested is no success


def case_like(tmp_path, old, new):
    """The order-and-email case with `old` replaced by `new`, in a folder of its own."""
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "orders.json").write_text((CASE.parent / "fixtures" / "orders.json").read_text())
    (tmp_path / "case.yaml").write_text(CASE.read_text().replace(old, new))
    return tmp_path


def test_a_case_with_a_skipped_rubric_and_other_checks_still_counts(tmp_path):
    folder = case_like(tmp_path, "  max_tool_calls: 2", "  max_tool_calls: 2\n  rubric: [Is polite]")
    run = Runner().run(load_cases([folder]))
    assert run.ok and run.cases[0].status == "pass"


def test_the_offline_baseline_runs_beside_the_model_once_per_case():
    # Trial 1 answers from the lookup, trial 2 makes up a tracking number twice: the model is worse than the offline
    # responder, which passes its one trial.
    run = model_run(say(GOOD), say(MADE_UP), say(MADE_UP), trials=2)
    assert run.baseline is not None
    (mine,), (theirs,) = run.cases, run.baseline.cases
    assert (mine.c, mine.n) == (1, 2) and len(theirs.trials) == 1 and theirs.status == "pass"
    assert theirs.trials[0].turns[0].model is None and theirs.trials[0].turns[0].grounding == "offline"
    assert run.baseline.settings["mode"] == "offline" and run.settings["mode"] == "live"
    assert run.worse_than_baseline() == [(mine, theirs)]


def test_warnings_are_kept_with_their_trial(tmp_path, caplog):
    folder = case_like(tmp_path, "user:", "order_info: {uid: true}\nuser:")
    run = model_run(fail(500), fail(500), trials=2, paths=(folder,))
    first, second = run.cases[0].trials
    assert any("orderInfo" in w for w in first.warnings) and any("orderInfo" in w for w in second.warnings)
    assert any(w.startswith("model failed") and "500" in w for w in first.warnings)
    assert not [r for r in caplog.records if r.name.startswith("order_assistant")]  # not printed one by one
    assert not logging.getLogger("order_assistant").handlers and logging.getLogger("order_assistant").propagate


def test_the_agent_section_of_a_config_is_honoured():
    # prefetch off: the model's first request carries no lookup, and the model makes it itself.
    model = ScriptedModel(call("lookup_orders", {"order_id": "#1042", "email": "jane@example.com"}), say(GOOD))
    models = ModelSetup(agent=FAKE, transport=lambda: httpx2.MockTransport(model.handle))
    run = Runner(models=models, agent_config=AgentConfig(prefetch=False)).run(load_cases([CASE]))
    model.assert_complete()
    assert not any(m["role"] == "tool" for m in model.requests[0]["messages"])
    assert run.ok and run.settings["agent"]["prefetch"] is False


def test_a_judge_alone_leaves_the_mode_offline():
    judge = ModelSettings(name="judge-m", base_url="http://fake.test/v1", api_key="k")
    assert ModelSetup(judge=judge).mode == "offline" and ModelSetup(agent=FAKE, judge=judge).mode == "live"
