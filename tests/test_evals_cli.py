"""`order-assistant eval` as CI runs it: exit codes 0/1/2, report formats and files, record/replay, the judge."""

from __future__ import annotations

import argparse
import json
import shutil
import xml.etree.ElementTree as ET

import httpx2
import pytest

from evals import cli
from evals.cli import add_eval_parser, cmd_eval
from tests.conftest import FIXTURES
from tests.fake_model import ScriptedModel, call, fail, say

EVALS = FIXTURES / "evals"


@pytest.fixture(autouse=True)
def no_model_env(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_MODEL", "OPENAI_BASE_URL", "ORDER_ASSISTANT_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def parser(*parents: argparse.ArgumentParser) -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="order-assistant")
    commands = root.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH")
    add_eval_parser(commands, [common, *parents])
    return root


def main(*argv: str, **kwargs) -> int:
    args = parser().parse_args(["eval", *argv])
    return args.func(args, **kwargs)


def test_passing_cases_exit_0_with_the_table(capsys):
    assert main(str(EVALS / "cases")) == 0
    out = capsys.readouterr().out
    assert "example/order-and-email" in out and "3 cases: 3 passed, 0 failed, 0 skipped" in out


def test_a_failing_case_exits_1(capsys):
    assert main(str(EVALS / "cases"), str(EVALS / "failing"), "--trials", "2") == 1
    out = capsys.readouterr().out
    assert "4 cases: 3 passed, 1 failed" in out and "pass^2" in out


def test_skipped_simulated_cases_do_not_fail_the_run(capsys):
    assert main(str(EVALS / "simulated"), str(EVALS / "cases")) == 0
    assert "1 skipped" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["--record", "a", "--replay", "b"], "give --record or --replay, not both"),
    (["--trials", "0"], "--trials must be at least 1"),
    (["--concurrency", "0"], "--concurrency must be at least 1"),
    (["--offline", "--model", "m"], "--offline runs no model"),
    (["--record", "cassettes"], "--record needs a model"),
    (["--model", "gpt-4o-mini"], "--model: no API key"),
    (["--judge-model", "gpt-4o"], "--judge-model: no API key"),
])
def test_contradictory_or_incomplete_options_exit_2(capsys, argv, message):
    assert main(str(EVALS / "cases"), *argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("order-assistant eval: error: ") and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_invalid_cases_exit_2_naming_file_and_key(tmp_path, capsys):
    (tmp_path / "typo.yaml").write_text('id: t/typo\nnow: "2026-11-25T10:00:00Z"\nuser: {turns: [hi]}\n'
                                        "expect: {sai: [x]}\n")
    assert main(str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'typo.yaml'}: expect.sai: unknown key (did you mean 'say'?)" in err
    assert len(err.strip().splitlines()) == 1


def test_missing_paths_and_empty_suites_exit_2(tmp_path, monkeypatch, capsys):
    assert main(str(tmp_path / "nope")) == 2
    assert "no such case file or folder" in capsys.readouterr().err
    assert main(str(tmp_path)) == 2
    assert "no cases found in" in capsys.readouterr().err
    monkeypatch.setattr(cli, "CASES_DIR", tmp_path)  # the shipped suite, still empty
    assert main() == 2
    assert "no cases found" in capsys.readouterr().err
    monkeypatch.setattr(cli, "CASES_DIR", tmp_path / "missing")
    assert main() == 2
    assert "no cases found" in capsys.readouterr().err


def test_no_path_runs_the_shipped_suite(tmp_path, monkeypatch, capsys):
    shutil.copytree(EVALS / "cases", tmp_path / "cases")
    monkeypatch.setattr(cli, "CASES_DIR", tmp_path / "cases")
    assert main() == 0
    assert "3 passed" in capsys.readouterr().out


def test_a_bad_price_file_exits_2(tmp_path, capsys):
    (tmp_path / "p.yaml").write_text("gpt-4o: {input: 1}\n")
    assert main(str(EVALS / "cases"), "--prices", str(tmp_path / "p.yaml")) == 2
    assert "p.yaml: gpt-4o.input: unknown key" in capsys.readouterr().err


def test_json_report_goes_to_stdout_and_the_summary_to_stderr(capsys):
    assert main(str(EVALS / "failing"), "--report", "json") == 1
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["summary"]["failed"] == 1 and data["cases"][0]["id"] == "example/wrong-expectation"
    assert "1 case: 0 passed, 1 failed" in captured.err


@pytest.mark.parametrize("kind", ["junit", "html", "json", "table"])
def test_out_writes_the_report_and_the_table_still_shows(tmp_path, capsys, kind):
    out = tmp_path / f"report.{kind}"
    assert main(str(EVALS / "cases"), str(EVALS / "failing"), "--report", kind, "--out", str(out)) == 1
    assert "example/wrong-expectation" in capsys.readouterr().out  # the terminal table
    text = out.read_text()
    if kind == "junit":
        suite = ET.fromstring(text).find("testsuite")
        assert suite is not None and suite.get("failures") == "1" and suite.get("tests") == "4"
    elif kind == "html":
        assert "<!DOCTYPE html>" in text and "jane@example.com" in text
    elif kind == "json":
        assert json.loads(text)["summary"]["cases"] == 4
    else:
        assert "By category" in text and "\x1b[" not in text


def test_record_then_replay_through_the_command(tmp_path, capsys):
    model = ScriptedModel(call("lookup_orders", {"order_id": "#1042", "email": "jane@example.com"}),
                          say("Order #1042 shipped with UPS: 1Z999AA10123456784."))
    case = str(EVALS / "cases" / "order-and-email.yaml")
    cassettes = tmp_path / "cassettes"
    assert main(case, "--model", "fake-model", "--base-url", "http://fake.test/v1", "--record", str(cassettes),
                transport=lambda: httpx2.MockTransport(model.handle)) == 0
    model.assert_complete()
    assert (cassettes / "example" / "order-and-email.json").is_file()
    capsys.readouterr()

    # No model configured, no network: the model is read from the cassettes.
    assert main(case, "--replay", str(cassettes), "--report", "json") == 0
    turn = json.loads(capsys.readouterr().out)["cases"][0]["trials"][0]["turns"][0]
    assert turn["model"] == "fake-model" and turn["assistant"] == "Order #1042 shipped with UPS: 1Z999AA10123456784."

    # Another trial count asks for requests never recorded: the run fails, saying why.
    assert main(case, "--replay", str(cassettes), "--trials", "2", "--report", "json") == 1
    trial = json.loads(capsys.readouterr().out)["cases"][0]["trials"][1]
    assert trial["error"].startswith("cassette miss for case example/order-and-email trial 2: request hash ")
    assert trial["error"].endswith("run with --record")


def test_record_refuses_before_any_model_call_to_overwrite_another_cases_cassette(tmp_path, capsys):
    case = str(EVALS / "cases" / "order-and-email.yaml")
    cassettes = tmp_path / "cassettes"
    taken = cassettes / "example" / "order-and-email.json"  # where this case records, holding another case's
    taken.parent.mkdir(parents=True)
    taken.write_text(json.dumps({"case": "someone/else", "exchanges": []}))
    model = ScriptedModel()
    status = main(case, "--model", "fake-model", "--base-url", "http://fake.test/v1", "--record", str(cassettes),
                  transport=lambda: httpx2.MockTransport(model.handle))
    err = capsys.readouterr().err
    assert status == 2 and model.requests == []
    assert "--record:" in err and "holds the cassette of case 'someone/else'" in err
    assert json.loads(taken.read_text())["case"] == "someone/else"


def test_replay_needs_a_folder_and_a_model(tmp_path, capsys):
    assert main(str(EVALS / "cases"), "--replay", str(tmp_path / "none")) == 2
    assert "is not a folder of cassettes" in capsys.readouterr().err
    assert main(str(EVALS / "cases"), "--replay", str(tmp_path)) == 2
    assert "--replay: give --model (they record no model)" in capsys.readouterr().err


def test_the_judge_grades_rubrics_when_configured(tmp_path, capsys):
    text = (EVALS / "cases" / "order-and-email.yaml").read_text().replace(
        "  max_tool_calls: 2", "  max_tool_calls: 2\n  rubric: [Gives the tracking number, Offers a refund]")
    (tmp_path / "fixtures").mkdir()
    shutil.copy(EVALS / "cases" / "fixtures" / "orders.json", tmp_path / "fixtures" / "orders.json")
    (tmp_path / "case.yaml").write_text(text)
    assert main(str(tmp_path), "--report", "json") == 0  # no judge: skipped, never failing
    checks = json.loads(capsys.readouterr().out)["cases"][0]["trials"][0]["checks"]
    assert checks[-1] == {"name": "rubric", "status": "skipped",
                          "detail": "no judge model configured (--judge-model)"}

    grades = {"grades": [{"criterion": 1, "met": True, "reason": "it does"},
                         {"criterion": 2, "met": False, "reason": "no refund offered"}]}
    judge = ScriptedModel(say(json.dumps(grades)), model="judge-m")
    code = main(str(tmp_path), "--judge-model", "judge-m", "--base-url", "http://fake.test/v1", "--report", "json",
                transport=lambda: httpx2.MockTransport(judge.handle))
    assert code == 1
    judge.assert_complete()
    assert "Offers a refund" in judge.requests[0]["messages"][1]["content"]
    trial = json.loads(capsys.readouterr().out)["cases"][0]["trials"][0]
    assert trial["checks"][-1]["status"] == "fail" and "no refund offered" in trial["checks"][-1]["detail"]
    assert trial["turns"][0]["model"] is None  # the agent stayed offline; only the judge used a model
    assert trial["side_usage"] == {"judge:judge-m": {"prompt_tokens": 100, "completion_tokens": 20,
                                                     "total_tokens": 120}}


def test_parents_that_already_define_model_options_do_not_conflict(capsys):
    models = argparse.ArgumentParser(add_help=False)
    models.add_argument("--model")
    models.add_argument("--offline", action="store_true")
    models.add_argument("--base-url")
    args = parser(models).parse_args(["eval", str(EVALS / "cases"), "--offline", "--trials", "1"])
    assert cmd_eval(args) == 0


def test_nothing_tested_exits_1(tmp_path, capsys):
    # Every case skipped: a simulated shopper with no model.
    assert main(str(EVALS / "simulated")) == 1
    captured = capsys.readouterr()
    assert "1 case: 0 passed, 0 failed, 1 skipped; pass^1 -; nothing tested" in captured.out
    assert "nothing was tested: every case was skipped" in captured.err
    # A case whose only check is a rubric, with no judge: skipped in the table too, not passed.
    (tmp_path / "r.yaml").write_text('id: r/rubric-only\nnow: "2026-11-25T10:00:00Z"\nuser: {turns: [hi]}\n'
                                     "expect: {rubric: [Answers in French]}\n")
    assert main(str(tmp_path)) == 1
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "r/rubric-only" in line and "│" in line)
    assert "skipped" in row and "pass" not in row.replace("pass^", "")
    assert "SKIP r/rubric-only: nothing checked: rubric skipped (no judge model configured" in out
    # With something tested beside it, the skipped case does not fail the run.
    assert main(str(tmp_path), str(EVALS / "cases")) == 0


def test_a_bad_out_folder_is_an_error_before_anything_runs(tmp_path, capsys):
    def never(*args):
        raise AssertionError("nothing may run before --out is checked")

    for out, message in [(tmp_path / "none" / "r.json", f"--out: no folder {tmp_path / 'none'} to write r.json in"),
                         (tmp_path, f"--out: {tmp_path} is a folder")]:
        assert main(str(EVALS / "cases"), "--report", "json", "--out", str(out), agent_factory=never) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.startswith(f"order-assistant eval: error: {message}")
        assert len(captured.err.strip().splitlines()) == 1


def test_trials_are_capped_like_a_case_trials(capsys):
    assert main(str(EVALS / "cases"), "--trials", "101") == 2
    err = capsys.readouterr().err
    assert err == "order-assistant eval: error: --trials must be at most 100, as a case's `trials`\n"


def test_a_price_file_yaml_error_is_one_line(tmp_path, capsys):
    (tmp_path / "p.yaml").write_text("x: [\n")
    assert main(str(EVALS / "cases"), "--prices", str(tmp_path / "p.yaml")) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"order-assistant eval: error: {tmp_path / 'p.yaml'}: line 2, column 1: invalid YAML")
    assert len(err.strip().splitlines()) == 1


def test_offline_with_a_judge_reports_the_offline_mode(capsys):
    judge = ScriptedModel(model="judge-m")  # the case has no rubric: the judge is never asked
    assert main(str(EVALS / "cases" / "order-and-email.yaml"), "--offline", "--judge-model", "judge-m",
                "--base-url", "http://fake.test/v1", "--report", "json",
                transport=lambda: httpx2.MockTransport(judge.handle)) == 0
    settings = json.loads(capsys.readouterr().out)["settings"]
    assert settings["mode"] == "offline" and settings["model"] is None and settings["judge_model"] == "judge-m"


def test_the_config_agent_section_is_honoured(tmp_path, capsys):
    # prefetch off and a two-step limit: the model must look up the order itself, and a model that looks up
    # twice runs out of steps (the offline responder answers, and the trial fails naming the step limit).
    (tmp_path / "m.yaml").write_text("agent: {prefetch: false, max_steps: 2}\n")
    case = str(EVALS / "cases" / "order-and-email.yaml")
    args = (case, "--config", str(tmp_path / "m.yaml"), "--model", "fake-model", "--base-url", "http://fake.test/v1")
    model = ScriptedModel(call("lookup_orders", {"order_id": "#1042", "email": "jane@example.com"}),
                          say("Order #1042 shipped with UPS: tracking number 1Z999AA10123456784."))
    assert main(*args, transport=lambda: httpx2.MockTransport(model.handle)) == 0
    model.assert_complete()
    assert not any(m["role"] == "tool" for m in model.requests[0]["messages"])  # nothing prefetched
    capsys.readouterr()
    model = ScriptedModel(call("lookup_orders", {"order_id": "#1042"}),
                          call("lookup_orders", {"order_id": "#1042", "email": "jane@example.com"}))
    assert main(*args, "--report", "json", transport=lambda: httpx2.MockTransport(model.handle)) == 1
    model.assert_complete()
    data = json.loads(capsys.readouterr().out)
    assert data["settings"]["agent"]["max_steps"] == 2
    check = data["cases"][0]["trials"][0]["checks"][-1]
    assert check["name"] == "model_answered" and "no answer after 2 model calls" in check["detail"]


def test_a_failing_model_fails_the_run_and_its_warning_is_printed_once(capsys):
    model = ScriptedModel(*[fail(500)] * 6)  # 3 trials of one turn, each request tried twice (max_retries 1)
    code = main(str(EVALS / "cases" / "order-and-email.yaml"), "--model", "fake-model", "--base-url",
                "http://fake.test/v1", "--trials", "3", "--concurrency", "1",
                transport=lambda: httpx2.MockTransport(model.handle))
    assert code == 1
    model.assert_complete()
    captured = capsys.readouterr()
    assert "3 turns answered offline after a model failure" in captured.out
    assert "FAIL example/order-and-email" in captured.out
    assert "model_answered: turn 1: the model failed (" in captured.out
    warnings = [line for line in captured.err.splitlines() if "model failed" in line]
    assert len(warnings) == 1 and warnings[0].startswith("order-assistant eval: warning: model failed")
    assert warnings[0].endswith("(3 times, example/order-and-email trial 1, example/order-and-email trial 2, "
                                "example/order-and-email trial 3)")
