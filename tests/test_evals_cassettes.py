"""Record model exchanges through the scripted fake model, replay them with no model, and fail clearly on a miss."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpx2
import pytest

from assistant.llm import LLMClient, LLMError, ModelSettings
from evals.cases import load_cases
from evals.cassettes import CassetteError, Cassettes, RecordingTransport, ReplayTransport, request_key
from evals.runner import ModelSetup, Runner
from tests.conftest import FIXTURES
from tests.fake_model import ScriptedModel, call, say

CASE = FIXTURES / "evals" / "cases" / "order-and-email.yaml"
FAKE = ModelSettings(name="fake-model", base_url="http://fake.test/v1", api_key="k", max_retries=0)
REPLAY = ModelSettings(name="fake-model", api_key="replay", max_retries=0)


def script() -> ScriptedModel:
    return ScriptedModel(
        call("lookup_orders", {"order_id": "#1042", "email": "jane@example.com"}),
        say("Order #1042 shipped with UPS: tracking number 1Z999AA10123456784.", usage=(321, 17)),
    )


def record(tmp_path: Path, cases, trials: int = 1) -> tuple[Path, ScriptedModel]:
    model = ScriptedModel(*(script().steps * trials))
    folder = tmp_path / "cassettes"
    models = ModelSetup(agent=FAKE, cassettes=Cassettes(folder), record=True,
                        transport=lambda: httpx2.MockTransport(model.handle))
    run = Runner(models=models, trials=trials).run(cases)
    model.assert_complete()
    assert run.ok, [(v.name, v.detail) for c in run.cases for t in c.trials for v in t.verdicts]
    return folder, model


def test_record_then_replay_without_a_model(tmp_path):
    cases = load_cases([CASE])
    folder, model = record(tmp_path, cases)
    cassette = folder / "example" / "order-and-email.json"
    text = cassette.read_text()
    data = json.loads(text)
    assert data["case"] == "example/order-and-email" and len(data["exchanges"]) == 2
    assert text == json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n"  # stable, diffable
    first = data["exchanges"][0]
    assert first["request"] == model.requests[0] and first["key"] == request_key(model.requests[0], 1)
    assert first["response"]["status"] == 200 and "json" in first["response"]

    def no_network() -> httpx2.BaseTransport:
        raise AssertionError("replay must not build a real transport")

    replay = ModelSetup(agent=REPLAY, cassettes=Cassettes(folder), transport=no_network)
    run = Runner(models=replay).run(cases)
    assert run.ok and run.settings["mode"] == "replay"
    turn = run.cases[0].trials[0].turns[0]
    assert turn.answer == "Order #1042 shipped with UPS: tracking number 1Z999AA10123456784."
    assert turn.model == "fake-model" and turn.grounding == "passed" and not turn.fallback
    assert turn.usage == {"prompt_tokens": 421, "completion_tokens": 37, "total_tokens": 458}


def test_each_trial_has_its_own_recording(tmp_path):
    cases = load_cases([CASE])
    folder, model = record(tmp_path, cases, trials=2)
    data = json.loads((folder / "example" / "order-and-email.json").read_text())
    assert [(e["trial"], e["seq"]) for e in data["exchanges"]] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert data["exchanges"][0]["request"] == data["exchanges"][2]["request"]
    assert data["exchanges"][0]["key"] != data["exchanges"][2]["key"]
    assert Runner(models=ModelSetup(agent=REPLAY, cassettes=Cassettes(folder)), trials=2).run(cases).ok
    # A third trial was never recorded: a miss, not a silent offline answer.
    run = Runner(models=ModelSetup(agent=REPLAY, cassettes=Cassettes(folder)), trials=3).run(cases)
    assert [t.passed for t in run.cases[0].trials] == [True, True, False]
    assert run.cases[0].trials[2].error.startswith("cassette miss for case example/order-and-email trial 3: ")


def test_a_changed_request_is_a_clear_miss(tmp_path):
    folder, _ = record(tmp_path, load_cases([CASE]))
    changed = tmp_path / "changed"
    changed.mkdir()
    (changed / "fixtures").mkdir()
    (changed / "fixtures" / "orders.json").write_text((CASE.parent / "fixtures" / "orders.json").read_text())
    (changed / "case.yaml").write_text(CASE.read_text().replace("Hi, where is", "Hello, where is"))
    run = Runner(models=ModelSetup(agent=REPLAY, cassettes=Cassettes(folder))).run(load_cases([changed]))
    trial = run.cases[0].trials[0]
    assert not run.ok and trial.verdicts == []
    assert trial.error is not None
    assert trial.error.startswith("cassette miss for case example/order-and-email trial 1: request hash ")
    assert trial.error.endswith(": run with --record")


def test_a_case_without_a_cassette_misses_naming_the_file(tmp_path):
    run = Runner(models=ModelSetup(agent=REPLAY, cassettes=Cassettes(tmp_path))).run(load_cases([CASE]))
    error = run.cases[0].trials[0].error
    assert error is not None and "no cassette" in error and "order-and-email.json" in error


def test_streamed_sse_bodies_are_recorded_and_replayed(tmp_path):
    cassettes = Cassettes(tmp_path)
    model = ScriptedModel(say("Streaming works fine."))
    recorder = RecordingTransport(httpx2.MockTransport(model.handle), cassettes, "stream/case", 1)
    seen: list[str] = []
    live = LLMClient(FAKE, http_client=httpx2.Client(transport=recorder))
    assert live.complete([{"role": "user", "content": "hi"}], on_text=seen.append).content == "Streaming works fine."
    (exchange,) = json.loads((tmp_path / "stream" / "case.json").read_text())["exchanges"]
    assert exchange["response"]["content_type"].startswith("text/event-stream")
    assert exchange["response"]["text"].startswith("data: ") and "[DONE]" in exchange["response"]["text"]

    replayed: list[str] = []
    offline = LLMClient(REPLAY, http_client=httpx2.Client(transport=ReplayTransport(Cassettes(tmp_path),
                                                                                    "stream/case", 1)))
    completion = offline.complete([{"role": "user", "content": "hi"}], on_text=replayed.append)
    assert completion.content == "Streaming works fine." and "".join(replayed) == "".join(seen)
    assert completion.usage["total_tokens"] == 120


def test_a_cassette_of_another_case_or_bad_json_is_an_error(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"case": "b", "exchanges": []}))
    with pytest.raises(CassetteError, match="not the cassette of case 'a'"):
        Cassettes(tmp_path).responses("a")
    (tmp_path / "c.json").write_text("{nope")
    with pytest.raises(CassetteError, match="unreadable cassette"):
        Cassettes(tmp_path).responses("c")


def test_models_lists_recorded_models(tmp_path):
    folder, _ = record(tmp_path, load_cases([CASE]))
    assert Cassettes(folder).models() == {"fake-model"}


def test_a_corrupt_cassette_fails_the_trial_instead_of_falling_back_silently(tmp_path):
    folder, _ = record(tmp_path, load_cases([CASE]))
    (folder / "example" / "order-and-email.json").write_text("{not json")
    run = Runner(models=ModelSetup(agent=REPLAY, cassettes=Cassettes(folder))).run(load_cases([CASE]))
    trial = run.cases[0].trials[0]
    assert not run.ok and trial.error is not None and "unreadable cassette" in trial.error
    assert trial.turns[0].fallback  # the agent's offline answer is in the transcript, but judged by nothing
    assert trial.verdicts == []


# -- one file per case, never another case's ------------------------------------------------------------------


def test_ids_that_sanitise_alike_get_their_own_files(tmp_path):
    cassettes = Cassettes(tmp_path)
    paths = {case_id: cassettes.path(case_id) for case_id in ("qa/a:b", "qa/a+b", "qa/a_b", "qa/a b")}
    assert len(set(paths.values())) == 4
    assert paths["qa/a_b"] == tmp_path / "qa" / "a_b.json"  # an id that is a file name keeps it
    assert paths["qa/a:b"].parent == tmp_path / "qa" and paths["qa/a:b"].name.startswith("a_b-")
    assert cassettes.path("qa/a:b") == Cassettes(tmp_path).path("qa/a:b")  # stable from run to run


def test_two_ids_alike_record_and_replay_side_by_side(tmp_path):
    base = load_cases([CASE])[0]
    cases = [replace(base, spec=base.spec.model_copy(update={"id": case_id})) for case_id in ("qa/a:b", "qa/a+b")]
    model = ScriptedModel(*(script().steps * 2))
    folder = tmp_path / "cassettes"
    models = ModelSetup(agent=FAKE, cassettes=Cassettes(folder), record=True,
                        transport=lambda: httpx2.MockTransport(model.handle))
    assert Runner(models=models).run(cases).ok
    assert sorted(json.loads(p.read_text())["case"] for p in folder.rglob("*.json")) == ["qa/a+b", "qa/a:b"]
    replay = Runner(models=ModelSetup(agent=REPLAY, cassettes=Cassettes(folder))).run(cases)
    assert replay.ok, [t.error for c in replay.cases for t in c.trials]


def test_recording_refuses_to_overwrite_another_cases_cassette(tmp_path):
    cassettes = Cassettes(tmp_path)
    theirs = cassettes.path("qa/a_b")
    theirs.parent.mkdir(parents=True)
    theirs.write_text(json.dumps({"case": "qa/a:b", "version": 1, "exchanges": []}))  # named the old way
    before = theirs.read_text()
    assert cassettes.conflicts(["qa/a_b", "example/order-and-email"]) == [
        f"{theirs} holds the cassette of case 'qa/a:b', not 'qa/a_b': recording will not overwrite it"]

    model = script()
    recorder = RecordingTransport(httpx2.MockTransport(model.handle), cassettes, "qa/a_b", 1)
    live = LLMClient(FAKE, http_client=httpx2.Client(transport=recorder))
    with pytest.raises(LLMError, match="holds the cassette of case 'qa/a:b'"):
        live.complete([{"role": "user", "content": "hi"}])
    assert recorder.misses and "not 'qa/a_b'" in recorder.misses[0]
    assert model.requests == []  # the model was never asked
    assert theirs.read_text() == before
    with pytest.raises(CassetteError, match="recording will not overwrite it"):
        cassettes.add("qa/a_b", 1, 1, {"model": "m"}, {"status": 200, "json": {}})
    assert theirs.read_text() == before


def test_a_cassette_under_the_old_name_still_replays_for_its_own_case(tmp_path):
    folder, _ = record(tmp_path, load_cases([CASE]))
    base = load_cases([CASE])[0]
    odd = replace(base, spec=base.spec.model_copy(update={"id": "example/order:email"}))
    recorded = json.loads((folder / "example" / "order-and-email.json").read_text())
    legacy = folder / "example" / "order_email.json"  # where "example/order:email" was recorded before
    legacy.write_text(json.dumps({**recorded, "case": "example/order:email"}))
    assert Runner(models=ModelSetup(agent=REPLAY, cassettes=Cassettes(folder))).run([odd]).ok
    legacy.write_text(json.dumps({**recorded, "case": "example/order+email"}))  # another id that shared the name
    run = Runner(models=ModelSetup(agent=REPLAY, cassettes=Cassettes(folder))).run([odd])
    error = run.cases[0].trials[0].error
    assert error is not None and "no cassette" in error
