"""The one place the openai SDK is used: Chat Completions with tools, streaming and parallel tool calls, against
OpenAI or any OpenAI-compatible server (vLLM, Ollama, llama.cpp server, LiteLLM)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tools.config import ModelConfig
from tools.errors import OrderAssistantError

if TYPE_CHECKING:
    import httpx2

__all__ = ["Completion", "LLMClient", "LLMError", "ModelSettings", "model_settings"]

DEFAULT_MODEL = "gpt-4o-mini"


class LLMError(OrderAssistantError):
    """The model could not answer (unreachable, timed out, refused, or sent something unusable)."""


@dataclass(frozen=True)
class ModelSettings:
    name: str
    base_url: str | None = None
    api_key: str | None = None
    timeout_s: float = 15.0
    max_retries: int = 1
    temperature: float | None = 0.2


def model_settings(
    config: ModelConfig, *, model: str | None = None, base_url: str | None = None, offline: bool = False,
    environ: dict[str, str] | None = None,
) -> ModelSettings | None:
    """The model to use, from flags, then the config, then the environment; None means the offline responder.

    A model is on when a name is given (flag, config or OPENAI_MODEL) or an API key is set (then the default
    model is used). A base URL without a key (a local server) needs no key.
    """
    env = os.environ if environ is None else environ
    if offline:
        return None
    name = model or config.name or env.get("OPENAI_MODEL")
    key = env.get(config.api_key_env) or None
    url = base_url or config.base_url or env.get("OPENAI_BASE_URL") or None
    if not name and not key:
        return None
    return ModelSettings(
        name=name or DEFAULT_MODEL, base_url=url, api_key=key or ("not-needed" if url else None),
        timeout_s=config.timeout_s, max_retries=config.max_retries,
    )


@dataclass
class Completion:
    """One model reply: text, or tool calls (as Chat Completions message dicts), and what it cost."""

    content: str | None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)
    model: str = ""

    def message(self) -> dict[str, Any]:
        """The assistant message to append to the conversation."""
        out: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            out["tool_calls"] = self.tool_calls
        return out


class LLMClient:
    """Chat Completions with tools. `http_client` lets tests inject an httpx2 transport."""

    def __init__(self, settings: ModelSettings, http_client: httpx2.Client | None = None) -> None:
        if not settings.api_key:
            raise LLMError("no API key: set OPENAI_API_KEY, or give --base-url for a local OpenAI-compatible server")
        # Imported here: the SDK takes 0.4 s to import, which every offline command would otherwise pay.
        import openai

        self.settings = settings
        self._client = openai.OpenAI(
            api_key=settings.api_key,
            base_url=settings.base_url,
            timeout=settings.timeout_s,
            max_retries=settings.max_retries,
            http_client=http_client,
        )

    @property
    def model(self) -> str:
        return self.settings.name

    def complete(
        self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] = (),
        on_text: Callable[[str], None] | None = None,
    ) -> Completion:
        """One round trip. With `on_text` the reply is streamed and each text delta passed to it."""
        import openai
        from openai.types.chat import ChatCompletion, ChatCompletionChunk

        params: dict[str, Any] = {"model": self.settings.name, "messages": list(messages)}
        if tools:
            params["tools"] = list(tools)
            params["parallel_tool_calls"] = True
        if self.settings.temperature is not None:
            params["temperature"] = self.settings.temperature
        try:
            # client.post is the SDK's documented way to send a request body as it is: it keeps the SDK's auth,
            # retries, timeouts and typed responses, but skips re-walking every message through the request
            # TypedDicts (about 2.5 ms a call with a few turns of history, more than the rest of a turn).
            if on_text is None:
                response = self._client.post("/chat/completions", body=params, cast_to=ChatCompletion)
                if not isinstance(response, ChatCompletion):
                    raise LLMError(f"the model server did not send a chat completion ({_short(str(response))})")
                return self._parse(response)
            stream = self._client.post(
                "/chat/completions", body={**params, "stream": True, "stream_options": {"include_usage": True}},
                cast_to=ChatCompletion, stream=True, stream_cls=openai.Stream[ChatCompletionChunk],
            )
            return self._collect(stream, on_text)
        except openai.APIStatusError as exc:
            raise LLMError(f"model server answered HTTP {exc.status_code}: {_short(exc.message)}") from None
        except openai.APITimeoutError:
            raise LLMError(f"model did not answer within {self.settings.timeout_s:g} s") from None
        except openai.APIConnectionError as exc:
            raise LLMError(f"cannot reach the model server ({_short(str(exc))})") from None
        except openai.OpenAIError as exc:
            raise LLMError(f"model error: {_short(str(exc))}") from None
        except (ValueError, TypeError, AttributeError) as exc:  # a body that is not a chat completion (HTML, text)
            raise LLMError(f"the model server sent something that is not a chat completion: {_short(str(exc))}") \
                from None

    def _parse(self, response: Any) -> Completion:
        if not response.choices:
            raise LLMError("the model sent no choices")
        if response.choices[0].finish_reason == "length":
            raise LLMError("the model's reply was cut off at its length limit")
        message = response.choices[0].message
        calls = [
            {"id": call.id, "type": "function",
             "function": {"name": call.function.name, "arguments": call.function.arguments or ""}}
            for call in (message.tool_calls or [])
            if getattr(call, "function", None) is not None
        ]
        return Completion(message.content, calls, _usage(response.usage), response.model or self.settings.name)

    def _collect(self, stream: Any, on_text: Callable[[str], None]) -> Completion:
        text: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        usage: dict[str, int] = {}
        model = self.settings.name
        finish: str | None = None
        for chunk in stream:
            model = chunk.model or model
            if chunk.usage is not None:
                usage = _usage(chunk.usage)
            if not chunk.choices:
                continue
            finish = chunk.choices[0].finish_reason or finish
            delta = chunk.choices[0].delta
            if delta.content:
                text.append(delta.content)
                on_text(delta.content)
            for part in delta.tool_calls or []:
                call = calls.setdefault(part.index, {"id": None, "type": "function",
                                                     "function": {"name": "", "arguments": ""}})
                if part.id:
                    call["id"] = part.id
                if part.function is not None:
                    call["function"]["name"] += part.function.name or ""
                    call["function"]["arguments"] += part.function.arguments or ""
        if finish is None:
            # The connection ended before the model said it was done: what came is part of a reply.
            raise LLMError("the model's reply was cut off (the stream ended without a finish reason)")
        if finish == "length":
            raise LLMError("the model's reply was cut off at its length limit")
        ordered = [calls[i] for i in sorted(calls)]
        for i, call in enumerate(ordered):
            call["id"] = call["id"] or f"call_{i}"
        return Completion("".join(text) or None, ordered, usage, model)


def _usage(usage: Any) -> dict[str, int]:
    """Token counts as the server reports them; a count that is not a whole number (some servers send null or
    text) is 0: usage is bookkeeping, never a reason to fail a turn."""
    if usage is None:
        return {}

    def count(name: str) -> int:
        value = getattr(usage, name, None)
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0

    return {name: count(name) for name in ("prompt_tokens", "completion_tokens", "total_tokens")}


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= 200 else text[:197] + "..."
