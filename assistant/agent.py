"""The agent: one explicit, bounded loop per shopper turn.

model -> tool calls (validated, run under the policy, results back as compact JSON) -> ... -> answer ->
grounding guard (regenerate once with a correction, then the templated answer). When no model is configured the
offline responder answers; when the model fails it answers the turn and the result says so.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from assistant.answers import render_answer
from assistant.grounding import Facts, check, correction_message
from assistant.language import detect_language
from assistant.llm import Completion, LLMClient, LLMError
from assistant.offline import TOOL, OfflineResponder, lookup, note_lookup
from assistant.prompting import build_messages, render_system, situations
from assistant.state import Conversation, ToolCallRecord, TurnResult
from tools._transforms import zone
from tools.config import MerchantConfig
from tools.errors import OrderAssistantError, SampleError
from tools.lookup import TOOLS, LookupContext, Session
from tools.sources import OrderSource

__all__ = ["Agent", "StepLimitExceeded", "StreamSink"]

log = logging.getLogger("order_assistant.agent")

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])|\n+")


class StepLimitExceeded(OrderAssistantError):
    """The model kept calling tools past the turn's step limit."""


class StreamSink(Protocol):
    """Receives a reply as it is produced: checked text deltas, and a reset when the answer is replaced."""

    def delta(self, text: str) -> None: ...

    def reset(self, text: str) -> None: ...


_REFUSALS = {
    ("en", "long"): "Sorry, that message is too long for me. Could you send just your question and order number?",
    ("zh", "long"): "抱歉，这条消息太长了。请只发送您的问题和订单号。",
    ("en", "not_text"): "Sorry, I can only read text messages. Please type your question and order number.",
    ("zh", "not_text"): "抱歉，我只能读取文字消息。请输入您的问题和订单号。",
    ("en", "empty"): "Hi! How can I help with your order? Please share your order number and the email or phone "
    "number used at checkout.",
    ("zh", "empty"): "您好！请问有什么可以帮您？请提供订单号以及下单时使用的邮箱或手机号。",
}


class _Guarded:
    """Passes the model's text to the sink one sentence at a time, only when the sentence is grounded."""

    def __init__(self, sink: StreamSink | None, facts: Callable[[], Facts], language: str) -> None:
        self.sink = sink
        self.facts = facts
        self.language = language
        self.buffer = ""
        self.emitted = ""
        self.blocked = False
        self.held = ""
        """Text of this model step not shown: from the first sentence the check failed on."""
        self.shown_before = 0
        """Length of `emitted` shown in earlier model steps of the turn (a "let me check" before a lookup)."""

    def __call__(self, text: str) -> None:
        self.buffer += text
        parts = _SENTENCE_END.split(self.buffer)
        if len(parts) > 1:
            complete = self.buffer[: len(self.buffer) - len(parts[-1])]
            self.buffer = parts[-1]
            self._emit(complete)

    def _emit(self, text: str) -> None:
        if not text:
            return
        if self.blocked:
            self.held += text
            return
        if check(text, self.facts(), language=self.language):
            self.blocked, self.held = True, text
            return
        self.emitted += text
        if self.sink is not None:
            self.sink.delta(text)

    def next_step(self) -> None:
        """The model called tools (now in the history): what it said before them stays shown, and the answer
        follows it. Text held back is checked again first: the calls' arguments, where the shopper wrote them, are
        facts ("Let me check order 1031."); if it still fails it is dropped unseen, and the answer streams on."""
        pending, self.held, self.buffer, self.blocked = self.held + self.buffer, "", "", False
        self._emit(pending)
        self.held, self.blocked = "", False
        if self.emitted and not self.emitted.endswith((" ", "\n")):
            self.emitted += " "
            if self.sink is not None:
                self.sink.delta(" ")
        self.shown_before = len(self.emitted)

    def finish(self, final: str) -> None:
        """Show the final answer: the rest of the stream when it is what was streamed, else a reset to it."""
        if self.sink is None:
            return
        streamed = self.emitted[self.shown_before:]
        if not self.blocked and final.startswith(streamed):
            rest = final[len(streamed):]
            if rest:
                self.sink.delta(rest)
        else:
            self.sink.reset(final)


def _replayable(message: dict[str, Any]) -> dict[str, Any]:
    """The model's tool-call message as the history keeps it: arguments that are not a JSON object become `{}`
    (the tool result says what was wrong), since servers that parse the history's arguments reject the request."""
    calls = message.get("tool_calls") or []
    fixed = []
    for call in calls:
        raw = call.get("function", {}).get("arguments") or ""
        try:
            valid = isinstance(json.loads(raw), dict) if raw else False
        except ValueError:
            valid = False
        fixed.append(call if valid else {**call, "function": {**call["function"], "arguments": "{}"}})
    return {**message, "tool_calls": fixed} if calls else message


class _Shown:
    """A sink that remembers whether the shopper has seen any of this turn's reply yet; after `replacing()`, the
    next text replaces what was shown (a new reply to the same turn) instead of following it."""

    def __init__(self, sink: StreamSink | None) -> None:
        self.sink = sink
        self.seen = False
        self.replace = False

    def delta(self, text: str) -> None:
        if self.replace and self.seen:
            self.reset(text)
            return
        self.seen = self.seen or bool(text)
        if self.sink is not None:
            self.sink.delta(text)

    def reset(self, text: str) -> None:
        self.seen = True
        if self.sink is not None:
            self.sink.reset(text)

    def replacing(self) -> _Shown:
        self.replace = True
        return self


def _add_calls(conversation: Conversation, calls: list[ToolCallRecord], kind: str) -> None:
    """Lookups made without the model, written into the history as the model's own tool calls and results. Their
    ids are nine letters and digits ("p00000003"): servers for Mistral models accept no other kind."""
    start = len(conversation.tool_results) - len(calls)
    ids = [f"{kind[0]}{start + i:08d}" for i in range(len(calls))]
    conversation.messages.append({"role": "assistant", "content": None, "tool_calls": [
        {"id": i, "type": "function",
         "function": {"name": c.name, "arguments": json.dumps(c.arguments, ensure_ascii=False, separators=(",", ":"))}}
        for i, c in zip(ids, calls, strict=True)]})
    conversation.messages.extend(
        {"role": "tool", "tool_call_id": i, "content": json.dumps(c.result, ensure_ascii=False, separators=(",", ":"))}
        for i, c in zip(ids, calls, strict=True))


class Agent:
    """Answers shopper turns for one merchant. Stateless between turns: all state is in the Conversation."""

    def __init__(
        self, config: MerchantConfig, source: OrderSource, llm: LLMClient | None = None, *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config
        self.source = source
        self.llm = llm
        self.clock = clock or (lambda: datetime.now(UTC))
        self.settings = config.agent
        self.offline = OfflineResponder(stale_after_days=self.settings.stale_after_days)
        self.tool_schemas = [tool.schema() for tool in TOOLS.values()]
        """The tools in full: what a request sends while the model has yet to decide on this turn's lookup."""
        self.brief_tool_schemas = [tool.brief_schema() for tool in TOOLS.values()]
        """The tools by their bare signatures (`Tool.brief_schema`): what a request sends once this turn has a lookup
        (prefetched or the model's own) and the model answers from it. The model can still look up again, having
        just seen a call and its result; the full descriptions would cost about 120 tokens a request more."""

    def new_conversation(
        self, *, verified_email: str | None = None, verified_phone: str | None = None,
        order_info: Any = None,
    ) -> Conversation:
        """A conversation, optionally opened from an order page (Bytedesk `orderInfo`: a hint, not a fact)."""
        conversation = Conversation(session=Session(verified_email=verified_email, verified_phone=verified_phone))
        if order_info is not None:
            from tools.order_info import order_info_hint

            try:
                conversation.order_hint = order_info_hint(order_info)
            except SampleError as exc:
                # The widget's payload is the shopper's browser talking: without a readable order number the
                # shopper still chats, and names the order themselves.
                log.warning("%s; the conversation goes on without it", exc)
        return conversation

    # -- one turn -------------------------------------------------------------------------------------------

    def respond(self, conversation: Conversation, message: Any, sink: StreamSink | None = None) -> TurnResult:
        """Answer one shopper message; never raises for anything the shopper or the model did."""
        refusal = self._refusal(conversation, message)
        if refusal is not None:
            if sink is not None:
                sink.delta(refusal)
            return TurnResult(answer=refusal)
        text = str(message).strip()
        conversation.language = detect_language(text, conversation.language)
        ctx = self._context(conversation, text)
        if self.llm is None:
            return self._offline(conversation, text, ctx, sink, fallback=False)
        saved = (len(conversation.messages), len(conversation.tool_results), conversation.slots.model_copy())
        shown = _Shown(sink)
        try:
            return self._model_turn(conversation, text, ctx, shown if sink is not None else None)
        except (LLMError, StepLimitExceeded) as exc:
            log.warning("model failed, the offline responder answers this turn: %s", exc)
            # The turn starts again from where it began: the offline responder reads the message afresh. The
            # session is kept: the failed attempts the model's lookups made still count (a model that fails on
            # purpose, at the step limit say, must not reset them), and a lookup the offline responder repeats
            # is no second attempt, since the same details count once.
            del conversation.messages[saved[0]:]
            del conversation.tool_results[saved[1]:]
            conversation.slots = saved[2]
            ctx = self._context(conversation, text)
            # Text the shopper already saw from the failed reply is replaced, not added to.
            return self._offline(conversation, text, ctx, shown.replacing() if sink is not None else None,
                                 fallback=True)

    def _context(self, conversation: Conversation, text: str) -> LookupContext:
        """The tool's context for this turn: contact details verify an order only if the shopper wrote them."""
        said = [m["content"] for m in conversation.messages if m.get("role") == "user" and isinstance(
            m.get("content"), str)]
        return LookupContext(self.source, self.config.merchant, self.config.policy, conversation.session,
                             shopper_text="\n".join([*said, text]))

    def _refusal(self, conversation: Conversation, message: Any) -> str | None:
        language = conversation.language
        if not isinstance(message, str):
            return _REFUSALS[(language, "not_text")]
        if len(message) > self.settings.max_message_chars:
            return _REFUSALS[(detect_language(message[:500], language), "long")]
        if not message.strip():
            return _REFUSALS[(language, "empty")]
        return None

    def _offline(self, conversation: Conversation, text: str, ctx: LookupContext, sink: StreamSink | None,
                 fallback: bool) -> TurnResult:
        answer, calls = self.offline.respond(conversation, text, ctx, self.clock())
        if calls and conversation.messages and conversation.messages[-1].get("role") == "assistant":
            # Keep the lookups in the history as tool calls, so a model taking over later sees them.
            reply = conversation.messages.pop()
            _add_calls(conversation, calls, "offline")
            conversation.messages.append(reply)
        if sink is not None:
            sink.delta(answer)
        return TurnResult(answer=answer, tool_calls=calls, model=None, fallback=fallback, grounding="offline")

    def _system(self, conversation: Conversation) -> Callable[[str | None, str | None], str]:
        now = self.clock()
        signed_in = bool(conversation.session.verified_email or conversation.session.verified_phone)
        merchant = self.config.merchant

        def render(earlier_facts: str | None, shopper_gave: str | None = None) -> str:
            # Read when each request is built: a lookup earlier in the turn can call for a rule.
            now_in = situations(conversation.tool_results, now, merchant.timezone,
                                stale_after_days=self.settings.stale_after_days, signed_in=signed_in)
            return render_system(
                merchant, self.config.policy, now, language=conversation.language,
                order_hint=conversation.order_hint, earlier_facts=earlier_facts,
                stale_after_days=self.settings.stale_after_days, signed_in=signed_in, situations=now_in,
                shopper_gave=shopper_gave,
            )

        return render

    def _facts(self, conversation: Conversation) -> Facts:
        """What answers may state: the tool results, and the identifiers the shopper gave the tools (so "I couldn't
        find order #1043" can repeat the number asked about). An argument the shopper never wrote is no fact."""
        now = self.clock()
        tz = zone(self.config.merchant.timezone)
        given: list[dict[str, Any]] = []
        for message in conversation.messages:
            for tool_call in message.get("tool_calls") or ():
                try:
                    arguments = json.loads(tool_call["function"].get("arguments") or "{}")
                except ValueError:
                    continue
                if isinstance(arguments, dict):
                    given.append(arguments)
        # The order page the chat was opened from (a widget's order hint) counts as given by the shopper.
        said = [m["content"] for m in conversation.messages
                if m.get("role") == "user" and isinstance(m.get("content"), str)]
        if conversation.order_hint:
            said.append(conversation.order_hint)
        return Facts.from_results(conversation.tool_results, tz=tz, today=now.astimezone(tz).date(),
                                  arguments=given, shopper_text="\n".join(said))

    def _model_turn(self, conversation: Conversation, text: str, ctx: LookupContext,
                    sink: StreamSink | None) -> TurnResult:
        assert self.llm is not None
        conversation.messages.append({"role": "user", "content": text})
        result = TurnResult(answer="", model=self.llm.model, grounding="passed")
        turn_results: list[dict[str, Any]] = []
        system = self._system(conversation)
        cached: dict[tuple[int, int], Facts] = {}

        def facts() -> Facts:
            # The facts change only when a tool round adds messages and results: build them once per state,
            # not once per streamed sentence.
            key = (len(conversation.messages), len(conversation.tool_results))
            if key not in cached:
                cached.clear()
                cached[key] = self._facts(conversation)
            return cached[key]

        guard = _Guarded(sink, facts, conversation.language)
        # The slots are read on every turn, so a fallback or a later offline turn knows what the shopper gave.
        plan = self.offline.plan(conversation, text, ctx)
        prefetched: dict[str, Any] | None = None
        if plan.lookup and self.settings.prefetch:
            # The lookup the shopper's message asks for is made before the model's first call, as if the model had
            # called it: the model answers in one round trip instead of two, and reads the same policy view.
            record = lookup(ctx, plan.lookup, conversation.slots)
            conversation.tool_results.append(record.result)
            _add_calls(conversation, [record], "prefetch")
            result.tool_calls.append(record)
            turn_results.append(record.result)
            prefetched = record.result
        steps = 0
        while True:
            if steps >= self.settings.max_steps:
                raise StepLimitExceeded(f"no answer after {steps} model calls")
            looked_up = any(r.get("result") != "invalid_arguments" for r in turn_results)
            tools = self.brief_tool_schemas if looked_up else self.tool_schemas
            messages = build_messages(conversation, system, budget=self.settings.history_token_budget,
                                      model=self.llm.model, tools=tools)
            completion = self._complete(messages, tools, guard if sink is not None else None, result)
            steps += 1
            if completion.tool_calls:
                conversation.messages.append(_replayable(completion.message()))
                guard.next_step()
                for call in completion.tool_calls:
                    record = self._run_tool(call, ctx)
                    if record.name == TOOL:
                        note_lookup(conversation.slots, record.arguments, record.result, ctx.merchant.default_region)
                    result.tool_calls.append(record)
                    turn_results.append(record.result)
                    conversation.tool_results.append(record.result)
                    conversation.messages.append({
                        "role": "tool", "tool_call_id": call["id"],
                        "content": json.dumps(record.result, ensure_ascii=False, separators=(",", ":")),
                    })
                continue
            answer = (completion.content or "").strip()
            claims = check(answer, facts(), language=conversation.language)
            if claims and result.grounding == "passed":
                # One regeneration, with the correction as the last message; it is not kept in the history. It is a
                # user-role message because several open models' chat templates refuse a system message mid-chat.
                result.grounding = "regenerated"
                result.unsupported_claims = [c.text for c in claims]
                correction = f"(Automatic fact check, not from the shopper) {correction_message(claims)}"
                retry = [*messages, completion.message(), {"role": "user", "content": correction}]
                if steps >= self.settings.max_steps:
                    raise StepLimitExceeded(f"no grounded answer after {steps} model calls")
                completion = self._complete(retry, tools, None, result)
                steps += 1
                answer = (completion.content or "").strip()
                if completion.tool_calls or check(answer, facts(), language=conversation.language):
                    result.grounding = "replaced"
                    answer = self._templated(conversation, turn_results, prefetched)
            elif not answer:
                result.grounding = "replaced"
                answer = self._templated(conversation, turn_results, prefetched)
            conversation.messages.append({"role": "assistant", "content": answer})
            result.answer = answer
            guard.finish(answer)
            return result

    def _complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
                  on_text: Callable[[str], None] | None, result: TurnResult) -> Completion:
        assert self.llm is not None
        completion = self.llm.complete(messages, tools, on_text=on_text)
        result.model_calls += 1
        result.model = completion.model or result.model
        for key, value in completion.usage.items():
            result.usage[key] = result.usage.get(key, 0) + value
        return completion

    def _run_tool(self, call: dict[str, Any], ctx: LookupContext) -> ToolCallRecord:
        name = call["function"]["name"]
        raw = call["function"].get("arguments") or ""
        try:
            arguments = json.loads(raw) if raw else {}
        except ValueError:
            arguments = {"_raw": raw}
        tool = TOOLS.get(name)
        if tool is None:
            outcome = {"result": "invalid_arguments", "message": f"there is no tool {name!r}; use lookup_orders"}
        else:
            outcome = tool.call(ctx, raw)
        return ToolCallRecord(name=name, arguments=arguments if isinstance(arguments, dict) else {"_raw": raw},
                              result=outcome)

    def _templated(self, conversation: Conversation, turn_results: list[dict[str, Any]],
                   prefetched: dict[str, Any] | None = None) -> str:
        # What was found this turn answers; failing that, the lookup the shopper's own message asked for, which a
        # lookup the model added on its own (perhaps with details it made up) does not replace.
        found = [r for r in turn_results if r.get("result") == "found"]
        results = found or ([prefetched] if prefetched is not None else turn_results or conversation.tool_results)
        return render_answer(results, language=conversation.language, merchant=self.config.merchant,
                             now=self.clock(), stale_after_days=self.settings.stale_after_days)


