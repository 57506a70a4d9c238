"""The LLM client against the scripted fake model at the openai SDK's HTTP transport."""

from __future__ import annotations

import pytest

from assistant.llm import DEFAULT_MODEL, LLMClient, LLMError, ModelSettings, model_settings
from tests.fake_model import ScriptedModel, call, fail, hang, raw, say
from tools.config import ModelConfig

TOOLS = [{"type": "function", "function": {"name": "lookup_orders", "parameters": {"type": "object"}}}]


def client(model: ScriptedModel, **kw) -> LLMClient:
    settings = ModelSettings(name="fake-model", base_url="http://fake.test/v1", api_key="k", max_retries=0, **kw)
    return LLMClient(settings, http_client=model.client())


def test_plain_completion_with_usage():
    model = ScriptedModel(say("Hello there", usage=(11, 3)))
    completion = client(model).complete([{"role": "user", "content": "hi"}], TOOLS)
    assert completion.content == "Hello there"
    assert completion.usage == {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}
    assert model.requests[0]["tools"] == TOOLS and model.requests[0]["parallel_tool_calls"] is True
    model.assert_complete()


def test_usage_that_is_not_a_count_is_zero():
    body = ('{"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": [{"index": 0, '
            '"message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}], '
            '"usage": {"prompt_tokens": "many", "completion_tokens": null, "total_tokens": 5}}')
    model = ScriptedModel(raw("application/json", body))
    completion = client(model).complete([{"role": "user", "content": "hi"}])
    assert (completion.content, completion.usage) == ("ok", {"prompt_tokens": 0, "completion_tokens": 0,
                                                             "total_tokens": 5})


def test_streaming_passes_deltas_and_assembles_parallel_tool_calls():
    model = ScriptedModel(call("lookup_orders", {"order_id": "#1"}, ("lookup_orders", {"email": "a@b.co"})),
                          say("Your order is on its way."))
    llm = client(model)
    seen: list[str] = []
    first = llm.complete([{"role": "user", "content": "hi"}], TOOLS, on_text=seen.append)
    assert [c["function"]["arguments"] for c in first.tool_calls] == ['{"order_id": "#1"}', '{"email": "a@b.co"}']
    assert len({c["id"] for c in first.tool_calls}) == 2
    assert first.message()["tool_calls"] == first.tool_calls
    second = llm.complete([{"role": "user", "content": "hi"}], TOOLS, on_text=seen.append)
    assert second.content == "Your order is on its way." == "".join(seen)
    assert len(seen) > 1
    assert second.usage["total_tokens"] == 120
    assert model.requests[0]["stream"] is True
    model.assert_complete()


@pytest.mark.parametrize(("step", "message"), [(fail(500), "HTTP 500"), (fail(401), "HTTP 401"),
                                                (hang(), "did not answer")])
def test_failures_become_llm_errors(step, message):
    model = ScriptedModel(step)
    with pytest.raises(LLMError, match=message):
        client(model, timeout_s=1).complete([{"role": "user", "content": "hi"}])
    model.assert_complete()


def test_retries_on_server_errors():
    model = ScriptedModel(fail(503), say("ok"))
    settings = ModelSettings(name="m", base_url="http://fake.test/v1", api_key="k", max_retries=1)
    llm = LLMClient(settings, http_client=model.client())
    assert llm.complete([{"role": "user", "content": "hi"}]).content == "ok"
    model.assert_complete()


def test_model_settings_resolution():
    none = ModelConfig()
    assert model_settings(none, environ={}) is None
    assert model_settings(none, environ={"OPENAI_API_KEY": "k"}) == ModelSettings(DEFAULT_MODEL, None, "k")
    local = model_settings(none, model="llama3", base_url="http://127.0.0.1:11434/v1", environ={})
    assert local is not None and (local.name, local.api_key) == ("llama3", "not-needed")
    env = model_settings(none, environ={"OPENAI_MODEL": "m", "OPENAI_BASE_URL": "http://x/v1", "OPENAI_API_KEY": "k"})
    assert env is not None and (env.name, env.base_url) == ("m", "http://x/v1")
    flagged = model_settings(ModelConfig(name="cfg", base_url="http://cfg/v1"), model="flag", environ={})
    assert flagged is not None and (flagged.name, flagged.base_url) == ("flag", "http://cfg/v1")
    assert model_settings(none, offline=True, environ={"OPENAI_API_KEY": "k"}) is None


def test_missing_key_is_a_clear_error():
    with pytest.raises(LLMError, match="OPENAI_API_KEY"):
        LLMClient(ModelSettings(name="m"))
