"""Declaring tools once, as typed Python functions: the JSON schema the model sees and the validation of the
arguments it sends both come from the signature and docstring, so they cannot drift."""

from __future__ import annotations

import copy
import functools
import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

__all__ = ["Tool", "ToolArgumentError", "function_tool"]


class ToolArgumentError(ValueError):
    """The model's arguments are wrong; the message goes back to the model as the tool result."""


def _doc_parts(doc: str) -> tuple[str, dict[str, str]]:
    """The description (text before `Args:`) and each argument's description."""
    doc = inspect.cleandoc(doc or "")
    head, _, args = doc.partition("\nArgs:")
    params: dict[str, str] = {}
    current = None
    for line in args.splitlines():
        match = re.match(r"\s{2,}(\w+):\s*(.*)", line)
        if match:
            current = match.group(1)
            params[current] = match.group(2).strip()
        elif current and line.strip():
            params[current] += " " + line.strip()
    return " ".join(head.split()), params


@dataclass(frozen=True)
class Tool:
    """A function the model may call: `fn(context, **arguments) -> JSON-ready dict`."""

    name: str
    description: str
    arguments: type[BaseModel]
    fn: Callable[..., dict[str, Any]]

    def schema(self) -> dict[str, Any]:
        """The tool as the Chat Completions API declares it (built once per tool)."""
        return copy.deepcopy(_schema(self))

    def brief_schema(self) -> dict[str, Any]:
        """The same declaration with only the description's first sentence and no argument descriptions: for a
        request whose model has already seen the tool used (its call and result are in the request), so it can call
        it again at a third of the tokens. The sentence stays for chat templates that print every description."""
        function = self.schema()["function"]
        parameters = function["parameters"]
        parameters.pop("additionalProperties", None)  # `parse` rejects unknown arguments all the same
        for prop in parameters.get("properties", {}).values():
            prop.pop("description", None)
        first = re.match(r".*?[.!?](?=\s|$)", function["description"])
        description = first.group(0) if first else function["description"]
        return {"type": "function",
                "function": {"name": function["name"], "description": description, "parameters": parameters}}

    def _build_schema(self) -> dict[str, Any]:
        parameters = self.arguments.model_json_schema()
        parameters.pop("title", None)
        for prop in parameters.get("properties", {}).values():
            prop.pop("title", None)
            # Optional[str] renders as anyOf [string, null]; models read a plain type with a default more reliably.
            options = prop.pop("anyOf", None)
            if options:
                kinds = [o for o in options if o.get("type") != "null"]
                prop.update(kinds[0] if len(kinds) == 1 else {"anyOf": kinds})
            prop.pop("default", None)
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": parameters}}

    def parse(self, raw: str | dict[str, Any] | None) -> BaseModel:
        """Validate the model's arguments (a JSON string or a dict); ToolArgumentError says what is wrong."""
        if raw is None or raw == "":
            raw = {}
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError as exc:
                raise ToolArgumentError(f"arguments are not valid JSON ({exc})") from None
        if not isinstance(raw, dict):
            raise ToolArgumentError("arguments must be a JSON object")
        try:
            return self.arguments.model_validate(raw)
        except ValidationError as exc:
            problems = []
            for error in exc.errors():
                where = ".".join(str(p) for p in error["loc"]) or "arguments"
                what = "unknown argument" if error["type"] == "extra_forbidden" else error["msg"]
                problems.append(f"{where}: {what}")
            raise ToolArgumentError("; ".join(problems)) from None

    def call(self, context: Any, raw: str | dict[str, Any] | None) -> dict[str, Any]:
        """Validate and run; argument mistakes come back as an `invalid_arguments` result for the model."""
        try:
            arguments = self.parse(raw)
            return self.fn(context, **arguments.model_dump())
        except ToolArgumentError as exc:
            return {"result": "invalid_arguments", "message": str(exc)}


@functools.cache
def _schema(tool: Tool) -> dict[str, Any]:
    return tool._build_schema()


def function_tool(fn: Callable[..., dict[str, Any]]) -> Tool:
    """Make a Tool of `fn(context, *, arg: type = default, ...)`; its docstring describes it and its `Args:`."""
    description, param_docs = _doc_parts(fn.__doc__ or "")
    hints = get_type_hints(fn)
    fields: dict[str, Any] = {}
    for i, (name, param) in enumerate(inspect.signature(fn).parameters.items()):
        if i == 0:
            continue  # the context, supplied by the caller, never by the model
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[name] = (hints[name], Field(default, description=param_docs.get(name)))
    model = create_model(
        f"{fn.__name__}_arguments", __config__=ConfigDict(extra="forbid", str_strip_whitespace=True), **fields
    )
    return Tool(fn.__name__, description, model, fn)
