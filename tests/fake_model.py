"""A scripted fake model served at the openai client's HTTP transport (httpx2.MockTransport).

It replays scripted steps (tool calls, answers, errors) in order, streaming or not as the client asks, records
every request, and `assert_complete()` fails when a scripted step was left unused (as openai-agents'
ScriptedModel does).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import httpx2


@dataclass
class Step:
    text: str | None = None
    calls: list[tuple[str, str]] = field(default_factory=list)
    """(tool name, raw JSON arguments as the model would send them)."""
    status: int | None = None
    """Answer with this HTTP error status instead."""
    timeout: bool = False
    usage: tuple[int, int] = (100, 20)
    raw: tuple[str, str] | None = None
    """Answer 200 with this (content type, body) instead: a server that sends something else."""
    cut: bool = False
    """Streaming, end the stream after the text with no finish reason (a dropped connection)."""
    finish: str | None = None
    """The finish reason to send instead of stop / tool_calls (e.g. "length")."""


def say(text: str, usage: tuple[int, int] = (100, 20)) -> Step:
    return Step(text=text, usage=usage)


def call(name: str, arguments: dict[str, Any] | str, *more: tuple[str, dict[str, Any] | str]) -> Step:
    def raw(a: dict[str, Any] | str) -> str:
        return a if isinstance(a, str) else json.dumps(a)

    return Step(calls=[(name, raw(arguments))] + [(n, raw(a)) for n, a in more])


def fail(status: int) -> Step:
    return Step(status=status)


def raw(content_type: str, body: str) -> Step:
    return Step(raw=(content_type, body))


def cut(text: str) -> Step:
    return Step(text=text, cut=True)


def hang() -> Step:
    return Step(timeout=True)


class ScriptedModel:
    def __init__(self, *steps: Step, model: str = "fake-model") -> None:
        self.steps = list(steps)
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def client(self) -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(self.handle))

    def assert_complete(self) -> None:
        assert not self.steps, f"{len(self.steps)} scripted step(s) left unused: {self.steps}"

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        if not self.steps:
            raise AssertionError(f"the model was called more often than scripted; last request: {body['messages'][-1]}")
        step = self.steps.pop(0)
        if step.timeout:
            raise httpx2.ReadTimeout("scripted timeout", request=request)
        if step.status is not None:
            return httpx2.Response(step.status, json={"error": {"message": "scripted failure", "type": "server_error"}})
        if step.raw is not None:
            return httpx2.Response(200, headers={"content-type": step.raw[0]}, content=step.raw[1].encode())
        if body.get("stream"):
            return self._stream(step)
        message: dict[str, Any] = {"role": "assistant", "content": step.text}
        if step.calls:
            message["tool_calls"] = [
                {"id": f"call_{next(self._ids)}", "type": "function", "function": {"name": n, "arguments": a}}
                for n, a in step.calls
            ]
        return httpx2.Response(200, json={
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": self.model,
            "choices": [{"index": 0, "message": message,
                         "finish_reason": step.finish or ("tool_calls" if step.calls else "stop")}],
            "usage": self._usage(step),
        })

    def _usage(self, step: Step) -> dict[str, int]:
        prompt, completion = step.usage
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def _stream(self, step: Step) -> httpx2.Response:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": self.model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        chunks = [chunk({"role": "assistant"})]
        text = step.text or ""
        for i in range(0, len(text), 7):  # a few characters at a time, as servers do
            chunks.append(chunk({"content": text[i:i + 7]}))
        for index, (name, arguments) in enumerate(step.calls):
            half = len(arguments) // 2
            chunks.append(chunk({"tool_calls": [{"index": index, "id": f"call_{next(self._ids)}", "type": "function",
                                                 "function": {"name": name, "arguments": arguments[:half]}}]}))
            chunks.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": arguments[half:]}}]}))
        if step.cut:
            payload = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks)
            return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=payload.encode())
        chunks.append(chunk({}, step.finish or ("tool_calls" if step.calls else "stop")))
        chunks.append({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": self.model,
                       "choices": [], "usage": self._usage(step)})
        payload = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=payload.encode())
