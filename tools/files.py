"""Reading merchant files: JSON (object, array or envelope), JSON Lines and CSV exports."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.errors import SampleError

__all__ = ["Payload", "read_payload"]


@dataclass
class Payload:
    """A file's content: the parsed JSON payload, or the list of records of a JSONL/CSV file."""

    data: Any
    kind: str
    """"json", "jsonl" or "csv"."""
    lines: list[int] | None = None
    """For JSONL and CSV, the line number each record starts on."""

    def line_of(self, index: int) -> str:
        """How to name record `index` to a person: its line, or its position in the JSON."""
        if self.lines is not None and 0 <= index < len(self.lines):
            return f"line {self.lines[index]}"
        return f"record {index + 1}"


def _decode(raw: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Chinese spreadsheet exports are often GB18030
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SampleError(f"{path}: not UTF-8 or GB18030 text")


def read_payload(path: str | Path) -> Payload:
    """Read a JSON, JSONL or CSV file, chosen by extension and then by content; SampleError names the position."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SampleError(f"{path}: no such file") from None
    except OSError as exc:
        raise SampleError(f"{path}: cannot read ({exc.strerror})") from None
    text = _decode(raw, path)
    suffix = path.suffix.lower()
    stripped = text.lstrip()
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl(text, path)
    if suffix == ".csv" or (suffix not in (".json",) and stripped[:1] not in ("{", "[")):
        return _csv(text, path)
    try:
        return Payload(json.loads(text), "json")
    except json.JSONDecodeError as exc:
        if stripped.startswith("{") and exc.msg == "Extra data":
            return _jsonl(text, path)
        raise SampleError(f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg})") from None


def _jsonl(text: str, path: Path) -> Payload:
    records: list[Any] = []
    lines: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise SampleError(f"{path}: line {number}, column {exc.colno}: invalid JSON ({exc.msg})") from None
        lines.append(number)
    return Payload(records, "jsonl", lines)


def _csv(text: str, path: Path) -> Payload:
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise SampleError(f"{path}: line 1: a CSV file needs a header row")
        names = [h.strip() for h in header]
        dupes = {n for n in names if names.count(n) > 1 and n}
        if dupes:
            raise SampleError(f"{path}: line 1: duplicate column {sorted(dupes)[0]!r}")
        records: list[Any] = []
        lines: list[int] = []
        start = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                if len(row) > len(names):
                    raise SampleError(f"{path}: line {start}: {len(row)} cells but {len(names)} columns")
                records.append({n: (c.strip() or None) for n, c in zip(names, row, strict=False) if n})
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise SampleError(f"{path}: line {reader.line_num}: invalid CSV ({exc})") from None
    return Payload(records, "csv", lines)
