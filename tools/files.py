"""Reading merchant files: JSON (object, array or envelope), JSON Lines, CSV and Excel (.xlsx) exports."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from tools.errors import SampleError

__all__ = ["Payload", "json_loads", "jsonl_lines", "read_payload"]


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
    sheet: str | None = None
    """For a spreadsheet, the name of the sheet read (the active one)."""
    find_merged: Callable[[], list[tuple[str, int, int]]] | None = field(default=None, repr=False)
    """For a spreadsheet, what finds its merged cell ranges that span rows: ("A2:A3", 2, 3) for each. Called only
    when a record is bad (`note_of`), as it reads the sheet again."""
    _merged: list[tuple[str, int, int]] | None = field(default=None, repr=False)

    def line_of(self, index: int) -> str:
        """How to name record `index` to a person: its line or row (and sheet), or its position in the JSON."""
        if self.lines is not None and 0 <= index < len(self.lines):
            where = f"{self.unit} {self.lines[index]}"
            return f"{where} of sheet {self.sheet!r}" if self.sheet is not None else where
        return f"record {index + 1}"

    def note_of(self, index: int) -> str:
        """What else a person should know of a bad record `index`: that its row is in merged cells, whose value a
        spreadsheet keeps in their first row only (so the later rows read empty there). Empty when nothing."""
        if self.find_merged is None or self.lines is None or not 0 <= index < len(self.lines):
            return ""
        if self._merged is None:
            self._merged = self.find_merged()
        row = self.lines[index]
        spans = [(ref, first) for ref, first, last in self._merged if first < row <= last]
        if not spans:
            return ""
        shown = ", ".join(ref for ref, _ in spans[:4]) + (f" (+{len(spans) - 4} more)" if len(spans) > 4 else "")
        firsts = " or ".join(str(first) for first in sorted({first for _, first in spans}))
        return (f" (in merged cells {shown}: a merged cell's value is in its first row, {firsts}, only; unmerge "
                "them and fill the value into every row)")


def _decode(raw: bytes, path: Path) -> str:
    """The text of a file: UTF-8 (with or without a BOM), UTF-16 with a BOM, or GB18030 when the bytes are plainly
    a Chinese export in it (see `_plausibly_gb18030`); else an error naming the first line that is not UTF-8.

    Decoding as GB18030 anything that is not UTF-8 would "succeed" on most other text and store it corrupted: a
    Western (cp1252) "Renée" reads as "Ren閑", and one bad line in a UTF-8 file would turn every other line's
    accents into Chinese characters."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode Text" is UTF-16 with a BOM
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise SampleError(f"{path}: starts with a UTF-16 byte order mark but is not UTF-16 text; save it as "
                              "UTF-8") from None
    bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        return raw[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
    if _plausibly_gb18030(raw):
        return raw.decode("gb18030")
    line = raw.count(b"\n", 0, offset) + 1
    how = "" if path.suffix.lower() in (".json", ".jsonl", ".ndjson") else ' ("CSV UTF-8" in Excel)'
    raise SampleError(f"{path}: line {line} is not UTF-8 text (byte 0x{raw[offset]:02X} at byte offset {offset}); "
                      f"save the file as UTF-8{how}")


_GB_SHARE = 0.9
"""Of the characters outside ASCII that a GB18030 reading gives, the share that must be common Chinese text."""


def _plausibly_gb18030(raw: bytes) -> bool:
    """Whether bytes that are not UTF-8 are Chinese text in GB18030 (GBK), on the evidence of the bytes: they read
    as GB18030, most lines outside ASCII are not UTF-8 (a UTF-8 file with a stray line is not), and the characters
    outside ASCII are mostly GB2312's punctuation and common (level 1) hanzi, as Chinese text is. Western text in
    a one-byte code page reads, if at all, as rare characters (an accented letter and the ASCII letter after it
    make one GBK/3 or GBK/4 character), and Cyrillic as level 2 or user-defined ones."""
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        return False
    utf8 = other = 0
    for line in raw.split(b"\n"):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other += 1
        else:
            utf8 += 1
    if other <= utf8:
        return False
    wide = [ch for ch in text if ord(ch) > 0x7F and ch != "\ufeff"]
    common = sum(1 for ch in wide if _common_chinese(ch))
    return bool(wide) and common >= _GB_SHARE * len(wide)


def _common_chinese(ch: str) -> bool:
    """A GB2312 symbol or punctuation mark (rows 1-9) or a level 1 hanzi (rows 16-55): Chinese text is mostly these."""
    try:
        code = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and (0xA1 <= code[0] <= 0xA9 or 0xB0 <= code[0] <= 0xD7)


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
    if not stripped:
        # An empty file of any text kind holds no orders, as `[]` does: the same outcome whatever its format.
        kind = "jsonl" if suffix in (".jsonl", ".ndjson") else "csv" if suffix == ".csv" else "json"
        return Payload([], kind, [] if kind != "json" else None)
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl(text, path)
    if suffix == ".csv" or (suffix not in (".json",) and stripped[:1] not in ("{", "[")):
        return _csv(text, path)
    try:
        return Payload(json_loads(text), "json")
    except json.JSONDecodeError as exc:
        if stripped.startswith("{") and exc.msg == "Extra data":
            return _jsonl(text, path)
        raise SampleError(f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg})") from None
    except ValueError as exc:
        raise SampleError(f"{path}: {exc}") from None


def json_loads(text: str | bytes) -> Any:
    """`json.loads`, with the limits Python's parser has given as ValueError (the JSONDecodeError of bad syntax is
    one too): nesting deeper than the parser can follow, and integers with more digits than Python converts."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("invalid JSON (nested too deeply to read)") from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:
        if "digits" in str(exc):
            raise ValueError("invalid JSON (a number with more digits than can be read: write it as text)") from None
        raise


def _jsonl(text: str, path: Path) -> Payload:
    records: list[Any] = []
    lines: list[int] = []
    # Lines end at \n only: U+2028 and its kin are valid inside a JSON string, where splitlines() would cut.
    for number, line in enumerate(jsonl_lines(text), start=1):
        if not line.strip():
            continue
        try:
            records.append(json_loads(line))
        except json.JSONDecodeError as exc:
            raise SampleError(f"{path}: line {number}, column {exc.colno}: invalid JSON ({exc.msg})") from None
        except ValueError as exc:
            raise SampleError(f"{path}: line {number}: {exc}") from None
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
    the text a CSV export of the sheet would hold (whole numbers without ".0", times as "2022-09-14 11:03:23").
    Errors name the sheet, as the workbook may have others."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SampleError(f"{path}: not a readable .xlsx workbook ({exc})") from None
    try:
        sheet = book.active or book.worksheets[0]
        where = f"of sheet {sheet.title!r}"
        rows = (_cells(row, number, path, where) for number, row in enumerate(sheet.iter_rows(), start=1))
        header = next(rows, None)
        names = [h or "" for h in header or ()]
        if not any(names):
            others = [s.title for s in book.worksheets if s.title != sheet.title]
            also = f" (the workbook's active sheet is read; it also has {', '.join(map(repr, others))})" if others \
                else ""
            raise SampleError(f"{path}: row 1 {where}: a spreadsheet needs a header row{also}")
        dupes = {n for n in names if names.count(n) > 1 and n}
        if dupes:
            raise SampleError(f"{path}: row 1 {where}: duplicate column {sorted(dupes)[0]!r}")
        records: list[Any] = []
        lines: list[int] = []
        for number, cells in enumerate(rows, start=2):
            if not any(cells):
                continue
            if any(c for n, c in zip(names, cells, strict=False) if not n) or any(cells[len(names):]):
                raise SampleError(f"{path}: row {number} {where}: a value in a column with no header")
            records.append({n: c for n, c in zip(names, cells, strict=False) if n})
            lines.append(number)
        part = getattr(sheet, "_worksheet_path", None)  # openpyxl's fast reader keeps no merged cells
    finally:
        book.close()
    return Payload(records, "xlsx", lines, unit="row", sheet=sheet.title,
                   find_merged=(lambda: _merged_ranges(raw, part)) if part else None)


_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _merged_ranges(raw: bytes, sheet_path: str) -> list[tuple[str, int, int]]:
    """The merged ranges spanning rows of the sheet at `sheet_path` in the workbook, read from its XML:
    ("A2:A3", 2, 3) for each."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            xml = archive.read(sheet_path.lstrip("/"))
    except (zipfile.BadZipFile, KeyError, OSError):
        return []
    if b"mergeCell" not in xml:
        return []
    out = []
    for match in _MERGE_CELL.finditer(xml):
        first, last = int(match[2]), int(match[4])
        if last > first:
            out.append((f"{match[1].decode()}{first}:{match[3].decode()}{last}", first, last))
    return sorted(out, key=lambda span: (span[1], len(span[0]), span[0]))


def _cells(row: Any, number: int, path: Path, where: str) -> list[str | None]:
    out: list[str | None] = []
    for column, cell in enumerate(row, start=1):
        value = cell.value
        if isinstance(value, float) and abs(value) >= 1e15:
            # A spreadsheet keeps 15 significant digits of a number: a longer one (a tracking number typed into a
            # number cell) has already lost digits, and no reading can bring them back.
            raise SampleError(f"{path}: row {number}, column {column} {where}: the number {value:g} is too long to "
                              "keep every digit in a number cell; format the column as text and enter it again")
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
