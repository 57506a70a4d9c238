"""Reading merchant files: JSON (object, array or envelope), JSON Lines, CSV and Excel (.xlsx) exports."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from tools.errors import SampleError

__all__ = ["Payload", "jsonl_lines", "read_payload"]


@dataclass
class Payload:
    """A file's content: the parsed JSON payload, or the list of records of a JSONL/CSV file."""

    data: Any
    kind: str
    """"json", "jsonl", "csv" or "xlsx"."""
    lines: list[int] | None = None
    """For JSONL and CSV, the line number each record starts on; for a spreadsheet, its row number."""
    unit: str = "line"
    """What `lines` counts: "line", or "row" in a spreadsheet."""
    path: Path | None = None
    """The file it was read from."""

    def line_of(self, index: int) -> str:
        """How to name record `index` to a person: its line or row, or its position in the JSON."""
        if self.lines is not None and 0 <= index < len(self.lines):
            return f"{self.unit} {self.lines[index]}"
        return f"record {index + 1}"


def _decode(raw: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Chinese spreadsheet exports are often GB18030
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SampleError(f"{path}: not UTF-8 or GB18030 text")


def read_payload(path: str | Path) -> Payload:
    """Read a JSON, JSONL, CSV or .xlsx file, chosen by extension and then by content; SampleError names the
    position."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SampleError(f"{path}: no such file") from None
    except OSError as exc:
        raise SampleError(f"{path}: cannot read ({exc.strerror})") from None
    payload = _parse(raw, path)
    payload.path = path
    return payload


def _parse(raw: bytes, path: Path) -> Payload:
    suffix = path.suffix.lower()
    if raw.startswith(b"\xd0\xcf\x11\xe0"):  # an OLE compound file, whatever its name
        raise SampleError(f"{path}: an Excel 97-2003 (.xls) workbook: save it as .xlsx or CSV")
    if suffix in (".xlsx", ".xlsm") or raw.startswith(b"PK\x03\x04"):  # a zip file is never text: a workbook
        return _xlsx(raw, path)
    # Anything else is text, whatever its name: platforms export tab-separated text as ".xls".
    text = _decode(raw, path)
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
    # Lines end at \n only: U+2028 and its kin are valid inside a JSON string, where splitlines() would cut.
    for number, line in enumerate(jsonl_lines(text), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise SampleError(f"{path}: line {number}, column {exc.colno}: invalid JSON ({exc.msg})") from None
        lines.append(number)
    return Payload(records, "jsonl", lines)


def jsonl_lines(text: str) -> list[str]:
    """The lines of JSON Lines text: split at \n (and \r\n), never at the other Unicode line breaks."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _csv(text: str, path: Path) -> Payload:
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    # Strict: a stray or unclosed quote is an error, not a field that swallows the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), dialect, strict=True)
    start = 1
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
        if "end of data" in str(exc):
            raise SampleError(f"{path}: line {start}: a quote opened in this row is never closed") from None
        raise SampleError(f"{path}: line {reader.line_num}: invalid CSV ({exc})") from None
    return Payload(records, "csv", lines)


def _xlsx(raw: bytes, path: Path) -> Payload:
    """The active sheet of a workbook as records, like a CSV file: the first row is the header, and cells become
    the text a CSV export of the sheet would hold (whole numbers without ".0", times as "2022-09-14 11:03:23")."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SampleError(f"{path}: not a readable .xlsx workbook ({exc})") from None
    try:
        sheet = book.active or book.worksheets[0]
        rows = (_cells(row, number, path) for number, row in enumerate(sheet.iter_rows(), start=1))
        header = next(rows, None)
        names = [h or "" for h in header or ()]
        if not any(names):
            raise SampleError(f"{path}: row 1 of sheet {sheet.title!r}: a spreadsheet needs a header row")
        dupes = {n for n in names if names.count(n) > 1 and n}
        if dupes:
            raise SampleError(f"{path}: row 1: duplicate column {sorted(dupes)[0]!r}")
        records: list[Any] = []
        lines: list[int] = []
        for number, cells in enumerate(rows, start=2):
            if not any(cells):
                continue
            if any(c for n, c in zip(names, cells, strict=False) if not n) or any(cells[len(names):]):
                raise SampleError(f"{path}: row {number}: a value in a column with no header")
            records.append({n: c for n, c in zip(names, cells, strict=False) if n})
            lines.append(number)
    finally:
        book.close()
    return Payload(records, "xlsx", lines, unit="row")


def _cells(row: Any, number: int, path: Path) -> list[str | None]:
    out: list[str | None] = []
    for column, cell in enumerate(row, start=1):
        value = cell.value
        if isinstance(value, float) and abs(value) >= 1e15:
            # A spreadsheet keeps 15 significant digits of a number: a longer one (a tracking number typed into a
            # number cell) has already lost digits, and no reading can bring them back.
            raise SampleError(f"{path}: row {number}, column {column}: the number {value:g} is too long to keep "
                              "every digit in a number cell; format the column as text and enter it again")
        out.append(_cell(value, getattr(cell, "number_format", None)))
    return out


def _cell(value: Any, number_format: str | None = None) -> str | None:
    """A spreadsheet cell as the text a CSV export would hold, or None when empty: a number with its format's
    decimals ("59.00" under 0.00), else whole numbers without ".0"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and (places := _decimals(number_format)) is not None:
        return f"{value:.{places}f}"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds") if value.microsecond == 0 else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _decimals(number_format: str | None) -> int | None:
    """Decimal places a fixed number format shows ("0.00", "#,##0.00", '"$"#,##0.000'), None for General, text,
    percentages, dates and scientific formats."""
    if not number_format or number_format == "General":
        return None
    section = number_format.split(";")[0]
    if any(mark in section for mark in ("%", "E+", "E-", "@", "y", "m", "d", "h", "s")):
        return None
    found = re.search(r"0\.(0+)", section)
    return len(found.group(1)) if found else (0 if "0" in section else None)
