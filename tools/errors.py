"""The project's exceptions. Lower-level errors (YAML, JSON, CSV, pydantic, httpx) are translated into these
at the boundary, so a user sees one line naming the file and the key or position, never a traceback."""

from __future__ import annotations

__all__ = ["MappingError", "OrderAssistantError", "RecordError", "SampleError", "kind_of"]


class OrderAssistantError(Exception):
    """Base class: a mistake in the user's input or environment, with a message fit to print."""


class MappingError(OrderAssistantError):
    """A mapping file or preset is invalid."""


class SampleError(OrderAssistantError):
    """A sample or import file cannot be read."""


class RecordError(OrderAssistantError):
    """One merchant record could not be mapped onto the canonical schema."""

    def __init__(self, field: str, message: str, record: int | None = None) -> None:
        self.field = field
        self.reason = message
        self.record = record
        where = f"record {record}: " if record is not None else ""
        super().__init__(f"{where}{field}: {message}")

    def at(self, record: int) -> RecordError:
        """The same error, naming which record of a batch it came from."""
        return RecordError(self.field, self.reason, record)


def kind_of(value: object) -> str:
    """What a value is, in a user's words, for messages ("a list", "the number 5"), never a Python type name."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a yes/no value)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping of keys"
    return "a value of another kind"
