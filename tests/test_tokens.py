"""Token counting works offline from the bundled BPE files, and never crashes the product."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant import tokens
from assistant.prompting import build_messages
from assistant.state import Conversation


@pytest.fixture(autouse=True)
def fresh_encoders():
    tokens._encoder.cache_clear()
    tokens._cached.cache_clear()
    yield
    tokens._encoder.cache_clear()
    tokens._cached.cache_clear()


def test_counts_offline_from_an_empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    # o200k_base encodes this as 8 tokens; cl100k_base as 8 as well, but with other ids.
    assert tokens.count_text("Where is my order #1042?") == 8
    assert tokens.count_text("Where is my order #1042?", "gpt-4") == 8
    assert len(list(tmp_path.iterdir())) == 2  # both official files placed, hash-checked, where tiktoken looks


def test_encoding_by_model():
    assert tokens.encoding_name("gpt-4o-mini") == "o200k_base"
    assert tokens.encoding_name("gpt-4-turbo") == "cl100k_base"
    assert tokens.encoding_name("llama3.1") == "o200k_base"


def test_message_overheads_follow_the_published_rules(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    one = tokens.count_messages([{"role": "user", "content": "hi"}])
    assert one == 3 + 3 + tokens.count_text("user") + tokens.count_text("hi")


def test_a_broken_tokenizer_falls_back_to_an_estimate(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "file"))
    (tmp_path / "file").write_text("not a directory")
    with caplog.at_level(logging.WARNING, logger="order_assistant.tokens"):
        count = tokens.count_text("Where is my order #1042? 我的订单在哪里")
    assert count > 0
    assert "falls back to an estimate" in caplog.text


_texts = st.text(st.characters(codec="utf-8"), max_size=200)
_messages = st.lists(st.one_of(
    st.builds(lambda role, text: {"role": role, "content": text},
              st.sampled_from(["user", "assistant", "tool"]), _texts),
    st.builds(lambda args: {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "lookup_orders", "arguments": args}}]}, _texts),
), max_size=6)


@settings(max_examples=150, deadline=None)
@given(messages=_messages, model=st.sampled_from(["gpt-4o-mini", "gpt-4"]))
def test_the_byte_bound_is_never_below_the_count(messages, model):
    tools = [{"type": "function", "function": {"name": "lookup_orders", "description": "Look up orders."}}]
    assert tokens.tokens_at_most(messages, tools) >= tokens.count_messages(messages, model, tools)


def _conversation(turns: int) -> Conversation:
    messages = []
    for i in range(turns):
        messages += [{"role": "user", "content": f"where is order #{1000 + i}? " + "please " * 40},
                     {"role": "assistant", "content": f"Order #{1000 + i} is on its way. " + "Thanks! " * 40}]
    return Conversation(messages=messages)


def test_a_short_history_is_sent_whole_without_loading_an_encoder(monkeypatch):
    def no_encoder(name):
        raise AssertionError("an encoder was loaded")

    monkeypatch.setattr(tokens, "_cached", no_encoder)
    conversation = _conversation(2)
    messages = build_messages(conversation, lambda facts, given: "You are an order assistant.", budget=4000)
    assert messages[1:] == conversation.messages


def test_a_long_history_keeps_the_newest_turns_that_fit():
    conversation = _conversation(30)
    messages = build_messages(conversation, lambda facts, given: "You are an order assistant.", budget=1000)
    assert tokens.count_messages(messages) <= 1000
    kept = messages[1:]
    assert kept == conversation.messages[-len(kept):] and len(kept) % 2 == 0
    # One more turn would not have fitted.
    longer = [messages[0], *conversation.messages[-len(kept) - 2:]]
    assert tokens.count_messages(longer) > 1000
