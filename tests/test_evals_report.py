"""Eval reports: JSON keys, HTML transcripts and verdicts, JUnit XML for CI, the terminal table, prices."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import httpx2
import pytest
from rich.console import Console

from assistant.llm import ModelSettings
from evals.cases import load_cases
from evals.cassettes import Cassettes
from evals.records import RunResult
from evals.report import (
    DEFAULT_PRICES,
    Price,
    PriceError,
    cost,
    load_prices,
    render_html,
    render_json,
    render_junit,
    render_table,
    warning_lines,
)
from evals.runner import ModelSetup, Runner
from tests.conftest import FIXTURES
from tests.fake_model import ScriptedModel, call, fail, say

EVALS = FIXTURES / "evals"


@pytest.fixture(scope="module")
def run() -> RunResult:
    """The three passing examples, the failing one and the simulated one (skipped offline), 2 trials each."""
    return Runner(trials=2).run(load_cases([EVALS / "cases", EVALS / "failing", EVALS / "simulated"]))


def test_json_has_every_case_trial_check_and_turn(run):
    data = json.loads(render_json(run))
    assert set(data) == {"version", "settings", "summary", "baseline", "categories", "cases"}
    assert data["baseline"] is None  # offline: the run is the baseline
    summary = data["summary"]
    assert (summary["cases"], summary["passed"], summary["failed"], summary["skipped"]) == (5, 3, 1, 1)
    assert summary["k"] == 2 and summary["pass_hat"] == {"1": 0.75, "2": 0.75}
    assert summary["grounding"] == {"offline": 10}
    assert summary["cost_usd"] == 0.0 and summary["flaky"] == []
    assert data["categories"]["meta"] == {"cases": 1, "pass_hat_1": 0.0, "passed": 0,
                                          "pass_hat": {"1": 0.0, "2": 0.0}}
    assert data["categories"]["lookup"]["cases"] == 3  # the skipped simulated case is not scored
    case = next(c for c in data["cases"] if c["id"] == "example/verify-over-two-turns")
    assert set(case) >= {"id", "file", "tags", "status", "passes", "trials_run", "pass_hat", "trials"}
    assert case["pass_hat"] == {"1": 1.0, "2": 1.0} and len(case["trials"]) == 2
    trial = case["trials"][0]
    assert set(trial) >= {"trial", "status", "checks", "turns", "usage", "latency_s", "cost_usd", "error"}
    assert {c["name"] for c in trial["checks"]} >= {"tool_calls", "grounded", "disclosure_order"}
    turn = trial["turns"][1]
    assert turn["user"] == "jane@example.com" and "1Z999AA10123456784" in turn["assistant"]
    assert turn["tool_calls"][0]["result"]["result"] == "found"
    assert set(turn) >= {"latency_s", "usage", "cost_usd", "grounding", "model"}
    skipped = next(c for c in data["cases"] if c["id"] == "example/simulated-shopper")
    assert skipped["status"] == "skipped" and skipped["trials"][0]["skipped"]


def test_html_is_self_contained_with_transcripts_and_verdicts(run):
    html = render_html(run)
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert "<link" not in html and "<script src" not in html and "http://" not in html.replace(
        "https://", "")  # no external assets
    assert "Hi, where is my order #1042? My email is jane@example.com" in html  # shopper line
    assert "1Z999AA10123456784" in html  # assistant reply
    assert "<details class=\"tool\">" in html and "lookup_orders" in html  # tool calls, collapsed
    assert "not said: &#39;DHL&#39;" in html  # the failing verdict, escaped
    assert 'class="badge fail"' in html and 'class="badge pass"' in html


def test_html_escapes_transcript_text(tmp_path):
    (tmp_path / "x.yaml").write_text("""id: x/escape
orders: []
now: "2026-11-25T10:00:00Z"
user: {turns: ["<script>alert(1)</script>"]}
""")
    html = render_html(Runner().run(load_cases([tmp_path])))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_junit_has_one_testcase_per_case_with_failures_and_skips(run):
    root = ET.fromstring(render_junit(run))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("5", "1", "1")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert len(cases) == 5
    failure = cases["example/wrong-expectation"].find("failure")
    assert failure is not None and "0/2 trials passed" in failure.get("message", "")
    assert "trial 1: say: not said: 'DHL'" in (failure.text or "")
    assert "trial 2: max_tool_calls: 1 tool calls, more than 0" in (failure.text or "")
    assert cases["example/simulated-shopper"].find("skipped") is not None
    assert cases["example/order-and-email"].find("failure") is None
    assert cases["example/order-and-email"].get("classname") == "evals.lookup"


def test_table_shows_cases_categories_and_totals(run):
    out = io.StringIO()
    render_table(run, Console(file=out, width=200, no_color=True))
    text = out.getvalue()
    for expected in ("example/order-and-email", "example/wrong-expectation", "By category", "pass^2", "slots",
                     "5 cases: 3 passed, 1 failed, 1 skipped", "not said: 'DHL'"):
        assert expected in text


def test_flaky_cases_are_listed_in_the_table_and_json(tmp_path):
    model = ScriptedModel(
        call("lookup_orders", {"order_id": "#1042", "email": "jane@example.com"}),
        say("It shipped: 1Z999AA10123456784."),
        call("lookup_orders", {"order_id": "#1042", "email": "jane@example.com"}),
        say("It is on its way."),
        model="gpt-4o-mini-2024-07-18",
    )
    models = ModelSetup(agent=ModelSettings(name="gpt-4o-mini-2024-07-18", base_url="http://x.test/v1", api_key="k",
                                            max_retries=0),
                        transport=lambda: httpx2.MockTransport(model.handle))
    flaky = Runner(models=models, trials=2).run(load_cases([EVALS / "cases" / "order-and-email.yaml"]))
    out = io.StringIO()
    render_table(flaky, Console(file=out, width=200, no_color=True))
    assert "flaky: example/order-and-email (1/2)" in out.getvalue()
    data = json.loads(render_json(flaky))
    assert data["summary"]["flaky"] == ["example/order-and-email"]
    # 2 trials x 2 model calls x (100 prompt + 20 completion) tokens at gpt-4o-mini's price (dated snapshot).
    assert data["summary"]["usage"]["total_tokens"] == 480
    assert data["summary"]["cost_usd"] == pytest.approx((400 * 0.15 + 80 * 0.60) / 1e6)


def test_cost_and_price_files(tmp_path):
    usage = {"prompt_tokens": 1_000_000, "completion_tokens": 500_000}
    assert cost("gpt-4o", usage, DEFAULT_PRICES) == pytest.approx(2.5 + 5.0)
    assert cost("gpt-4o-2024-08-06", usage, DEFAULT_PRICES) == pytest.approx(7.5)
    assert cost("my-local-llama", usage, DEFAULT_PRICES) is None
    assert cost(None, {}, DEFAULT_PRICES) == 0.0
    prices_file = tmp_path / "prices.yaml"
    prices_file.write_text("my-local-llama: {input_per_1m: 0, output_per_1m: 0.5}\n")
    prices = load_prices(prices_file)
    assert prices["my-local-llama"] == Price(input_per_1m=0, output_per_1m=0.5) and "gpt-4o" in prices
    assert cost("my-local-llama", usage, prices) == pytest.approx(0.25)
    prices_file.write_text("m: {input_per_1m: 1, output_per_1M: 2}\n")
    with pytest.raises(PriceError, match="prices.yaml: m.output_per_1M: unknown key"):
        load_prices(prices_file)
    with pytest.raises(PriceError, match="no such price file"):
        load_prices(tmp_path / "none.yaml")


# -- model runs: the model's own failures, the offline baseline ----------------------------------------------

CASE = EVALS / "cases" / "order-and-email.yaml"
FAKE = ModelSettings(name="fake-model", base_url="http://fake.test/v1", api_key="k", max_retries=0)
GOOD = "Order #1042 shipped with UPS: tracking number 1Z999AA10123456784."
MADE_UP = "Order #99999 has shipped. Tracking number: 1Z999AA10000000000."


def model_run(*steps, trials=1, paths=(CASE,)) -> RunResult:
    model = ScriptedModel(*steps)
    models = ModelSetup(agent=FAKE, transport=lambda: httpx2.MockTransport(model.handle))
    run = Runner(models=models, trials=trials).run(load_cases(list(paths)))
    model.assert_complete()
    return run


def table(run: RunResult, width: int = 200) -> str:
    out = io.StringIO()
    render_table(run, Console(file=out, width=width, no_color=True, force_terminal=False))
    return out.getvalue()


def test_a_replaced_answer_and_its_claims_are_in_every_report():
    run = model_run(say(MADE_UP), say(MADE_UP))
    assert "FAIL example/order-and-email" in table(run) and "'1Z999AA10000000000'" in table(run)
    assert "1 turn replaced by the grounding guard" in table(run)
    trial = json.loads(render_json(run))["cases"][0]["trials"][0]
    assert trial["status"] == "fail" and "1Z999AA10000000000" in trial["turns"][0]["unsupported_claims"]
    assert "'1Z999AA10000000000'" in next(c["detail"] for c in trial["checks"] if c["name"] == "model_answered")
    html = render_html(run)
    assert "the grounding guard replaced the model&#39;s answer" in html
    assert "the model first claimed: " in html and "1Z999AA10000000000" in html
    failure = ET.fromstring(render_junit(run)).find("testsuite/testcase/failure")
    assert failure is not None and "model_answered: turn 1: the grounding guard replaced" in (failure.text or "")
    assert "1Z999AA10000000000" in failure.get("message", "")


def test_a_fallback_turn_names_the_model_error_in_the_reports():
    run = model_run(fail(500))
    assert "turn 1: the model failed (" in table(run) and "1 turn answered offline after a model failure" in table(run)
    turn = json.loads(render_json(run))["cases"][0]["trials"][0]["turns"][0]
    assert turn["fallback"] and "500" in turn["model_error"]
    assert "(fallback: " in render_html(run)


def test_regenerated_turns_are_counted_and_shown():
    run = model_run(say(MADE_UP), say(GOOD), say(GOOD), trials=2)
    assert run.ok
    text = table(run)
    assert "regenerated after a fact check: example/order-and-email (1 turn)" in text
    assert "1 turn regenerated" in text.splitlines()[-1]
    summary = json.loads(render_json(run))["summary"]
    assert summary["regenerated_turns"] == 1 and summary["grounding"] == {"regenerated": 1, "passed": 1}


def test_the_offline_baseline_is_beside_the_model_in_every_report():
    # The model makes up a tracking number for example/postal-code and answers the other two cases well; the offline
    # responder passes all three.
    run = model_run(say(MADE_UP), say(MADE_UP),  # nested/postal-code: the answer and its retry
                    say(GOOD),  # order-and-email
                    say("Could you tell me the email address on the order?"), say(GOOD),  # verify-over-two-turns
                    paths=(EVALS / "cases",))
    assert [(c.case.id, c.status) for c in run.cases] == [
        ("example/postal-code", "fail"), ("example/order-and-email", "pass"), ("example/verify-over-two-turns", "pass")]
    data = json.loads(render_json(run))
    baseline = data["baseline"]
    assert baseline["responder"] == "offline" and baseline["trials"] == 1 and baseline["pass_hat_1"] == 1.0
    assert baseline["worse"] == [{"id": "example/postal-code", "pass_hat_1": 0.0, "baseline_pass_hat_1": 1.0}]
    assert baseline["categories"]["lookup"] == 1.0
    assert data["categories"]["lookup"]["pass_hat_1"] == pytest.approx(2 / 3)
    assert data["categories"]["lookup"]["baseline_pass_hat_1"] == 1.0
    case = next(c for c in data["cases"] if c["id"] == "example/postal-code")
    assert case["baseline"] == {"status": "pass", "pass_hat_1": 1.0, "why": None} and case["pass_hat"]["1"] == 0.0
    text = table(run)
    header = next(line for line in text.splitlines() if "case" in line and "pass^1" in line)
    assert [h.strip() for h in header.split("┃")[1:-1]] == ["case", "status", "passes", "pass^1", "baseline"]
    row = next(line for line in text.splitlines() if "example/postal-code" in line and "│" in line)
    assert [c.strip() for c in row.split("│")[-3:-1]] == ["0.00", "1.00"]
    lookup = next(line for line in text.splitlines() if line.startswith("│ lookup"))
    assert [c.strip() for c in lookup.split("│")[1:-1]] == ["lookup", "3", "0.67", "1.00"]
    assert "worse than the offline baseline: example/postal-code (0.00 vs 1.00)" in text
    assert "offline baseline pass^1 1.00; worse than the baseline on 1 case" in text.splitlines()[-1]
    html = render_html(run)
    assert "offline baseline pass^1</th>" in html and "worse than the baseline" in html
    assert '<a href="#example/postal-code">example/postal-code</a> (0.00 vs 1.00)' in html
    assert "offline baseline 1.00 (pass)" in html


def test_offline_reports_have_no_baseline_column(run):
    assert "baseline" not in table(run) and "baseline" not in render_html(run)
    assert "baseline_pass_hat_1" not in json.loads(render_json(run))["categories"]["lookup"]


def test_junit_counts_crashes_and_cassette_misses_as_errors(tmp_path):
    replay = ModelSetup(agent=ModelSettings(name="fake-model", api_key="replay", max_retries=0),
                        cassettes=Cassettes(tmp_path))
    missed = Runner(models=replay).run(load_cases([CASE]))  # no cassette: a miss
    failing = Runner().run(load_cases([EVALS / "failing"]))
    run = RunResult(missed.cases + failing.cases)
    suite = ET.fromstring(render_junit(run)).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "1")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    error = cases["example/order-and-email"].find("error")
    assert error is not None and cases["example/order-and-email"].find("failure") is None
    assert "cassette miss" in error.get("message", "") and error.get("type") == "EvalError"
    assert cases["example/wrong-expectation"].find("failure") is not None


def test_the_summary_line_never_wraps_and_counts_in_words():
    one = Runner().run(load_cases([EVALS / "failing"]))
    text = table(one, width=40)
    last = text.rstrip("\n").splitlines()[-1]
    assert last.startswith("1 case: 0 passed, 1 failed, 0 skipped; pass^1 0.00") and len(last) > 40
    assert "3 cases: 3 passed" in table(Runner().run(load_cases([EVALS / "cases"])), width=40)


def test_warnings_are_summarised_once_naming_case_and_trial():
    run = model_run(fail(500), fail(500), trials=2)
    (line,) = [w for w in warning_lines(run) if "model failed" in w]
    assert line.startswith("warning: model failed, the offline responder answers this turn: ")
    assert line.endswith("(2 times, example/order-and-email trial 1, example/order-and-email trial 2)")


def test_a_price_file_yaml_error_is_one_line_with_its_position(tmp_path):
    prices_file = tmp_path / "prices.yaml"
    prices_file.write_text("gpt-4o: {input_per_1m: 1\nx: [\n")
    with pytest.raises(PriceError) as error:
        load_prices(prices_file)
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"{prices_file}: line ") and "invalid YAML" in message
