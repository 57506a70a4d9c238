"""The project's exceptions. Lower-level errors (YAML, JSON, CSV, pydantic, httpx) are translated into these
at the boundary, so a user sees one line naming the file and the key or position, never a traceback."""

from __future__ import annotations

__all__ = ["MappingError", "OrderAssistantError", "RecordError", "SampleError"]


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
