"""Token counting works offline from the bundled BPE files, and never crashes the product."""

from __future__ import annotations

import logging

import pytest

from assistant import tokens


@pytest.fixture(autouse=True)
def fresh_encoders():
    tokens._encoder.cache_clear()
    yield
    tokens._encoder.cache_clear()


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
