"""Bulk import: a merchant's JSON, JSONL, CSV or .xlsx export mapped onto canonical orders and upserted into the store.

Every row is checked and written inside one transaction. A bad row (it fails to map, or its order has no
order number) rolls the transaction back and the result names every bad row by line, unless the caller
asks to skip them; then the good orders are committed and the bad rows go, as they were, to a rejects file.
A crash or a kill before the commit leaves the store as it was.

Large files are parsed and mapped in forked worker processes (JSON Lines in byte ranges, other files by
record ranges) while this process writes what they send back, so an import of a million orders uses every
core: see benchmarks/bench_store.py.
"""

from __future__ import annotations

import ctypes
import dataclasses
import gc
import itertools
import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.check import TOTAL_ABOVE, TOTAL_BELOW, far_total, missing_minimum
from tools.errors import RecordError, SampleError
from tools.files import Payload, json_loads, jsonl_lines, read_payload
from tools.mapping import Mapper
from tools.schema import Order, money_text
from tools.store import Batch, OrderRow, OrderStore, order_row

__all__ = ["BadRow", "ImportResult", "Interrupted", "format_result", "import_file", "interrupts_raise",
           "rejects_path_for"]

log = logging.getLogger("order_assistant.importer")

PARALLEL_FROM = 50_000
"""Payloads with fewer records are mapped in this process: starting workers costs more than it saves."""
SPLIT_FROM_BYTES = 16 << 20
"""JSON Lines files from this size are parsed in pieces by the workers instead of read whole here."""


@dataclass
class BadRow:
    """A record that cannot be imported, named the way a person finds it in the file."""

    index: int
    where: str
    """"line 12" for JSONL and CSV, "record 3" for a JSON array."""
    field: str
    reason: str
    record: Any = dataclasses.field(default=None, repr=False)
    """The record as it was in the file (written to the rejects file)."""

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.reason}"


@dataclass
class ImportResult:
    """What an import did; nothing was written when `written` is false."""

    file: Path
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[BadRow] = field(default_factory=list)
    written: bool = False
    rejects_path: Path | None = None
    incomplete: int = 0
    """Orders imported without one of seed 002's minimum fields (status, email or phone, items, total, currency)."""
    missing: dict[str, int] = field(default_factory=dict)
    """For each minimum field, how many imported orders lack it."""
    repeated: list[str] = field(default_factory=list)
    """Order numbers (as compared: no '#', upper case) that more than one record gave, merged into one order."""
    replaced: bool = False
    """Orders given again replaced the stored ones whole (`replace`), rather than merging items."""
    conflicts: list[str] = field(default_factory=list)
    """Order numbers whose record names another customer than the stored (or earlier) one: replaced whole."""
    far_totals: int = 0
    """Orders imported with a total far from what their items add up to (see `tools.check.far_total`)."""
    far_total_examples: list[str] = field(default_factory=list)
    """The first few of them: "order 118: total 3, items 15.00"."""
    old_rejects: Path | None = None
    """The rejects file of an earlier run, removed because this run (with --skip-invalid) rejected nothing."""

    @property
    def all_rejected(self) -> bool:
        """Every record was rejected (with --skip-invalid): nothing was imported though the import went through."""
        return self.written and self.rejected > 0 and not (self.inserted or self.updated or self.unchanged)

    @property
    def exit_code(self) -> int:
        """1 when bad rows stopped the import, or when every row was rejected; else 0."""
        return 1 if (self.errors and not self.written) or self.all_rejected else 0


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM stopped an import (SIGTERM under `interrupts_raise`; a KeyboardInterrupt comes out of
    `import_file` as this). `result` says what was done: when not `result.written`, the transaction was rolled back
    and the store is as it was."""

    def __init__(self, signum: int, result: ImportResult | None = None) -> None:
        super().__init__(signum)
        self.signum = signum
        self.result = result

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, as a shell reports a process its signal ended: 130 for SIGINT, 143 SIGTERM."""
        return 128 + self.signum

    def message(self) -> str:
        if self.result is None or not self.result.written:
            return "interrupted; nothing was imported, the store is unchanged"
        return "interrupted after the import was committed: the orders counted above are in the store"


def rejects_path_for(file: str | Path) -> Path:
    """Where rejected rows go by default: beside the file, as FILE.rejects.jsonl."""
    file = Path(file)
    return file.with_name(file.name + ".rejects.jsonl")


def import_file(
    store_path: str | Path,
    file: str | Path,
    mapper: Mapper,
    *,
    skip_invalid: bool = False,
    rejects_path: str | Path | None = None,
    workers: int | None = None,
    replace: bool = False,
) -> ImportResult:
    """Import `file` into the store at `store_path` (created when missing) with `mapper`.

    SampleError when the file cannot be read or the rejects file cannot go where asked; bad rows are in the result,
    not raised. Large files are parsed and mapped by `workers` processes (default: one per CPU) while this one
    writes. Interrupted (a KeyboardInterrupt) when SIGINT, or SIGTERM under `interrupts_raise`, stops it.
    """
    file = Path(file)
    store_path = Path(store_path)
    rejects = Path(rejects_path) if rejects_path else rejects_path_for(file)
    if skip_invalid or rejects_path:
        _check_rejects_path(rejects, file, store_path)
    if skip_invalid:
        # Found unwritable only after the commit, the rejected rows would be lost: check before writing anything.
        _check_writable(rejects)
    existed = store_path.exists()
    result = ImportResult(file, replaced=replace)
    try:
        with _gc_paused():
            try:
                _import(result, store_path, mapper, skip_invalid, workers, split_jsonl=True)
            except _NotUtf8:
                result = ImportResult(file, replaced=replace)  # not UTF-8: read it whole, like any other file
                _import(result, store_path, mapper, skip_invalid, workers, split_jsonl=False)
            except BrokenProcessPool:
                # A worker died (killed, out of memory): nothing was committed; import again in this process.
                log.warning("an import worker died; importing %s in one process", file)
                result = ImportResult(file, replaced=replace)
                _import(result, store_path, mapper, skip_invalid, 1, split_jsonl=False)
        if result.written and result.errors:
            result.rejects_path = rejects
            _write_rejects(rejects, result.errors)
        elif result.written and skip_invalid and rejects.is_file():
            # The rejects file holds the last run's rejects (it would have been replaced, had this run any): left in
            # place, an earlier run's would read as this run's.
            rejects.unlink()
            result.old_rejects = rejects
    except Interrupted as exc:
        exc.result = result
        raise
    except KeyboardInterrupt:
        raise Interrupted(signal.SIGINT, result) from None
    finally:
        pending = _stop_deferring()
        if not existed and not result.written:
            for leftover in (store_path, *(Path(f"{store_path}{end}") for end in _STORE_SIDE_FILES)):
                leftover.unlink(missing_ok=True)
    if pending is not None:
        raise Interrupted(pending, result)
    return result


_STORE_SIDE_FILES = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside a store while it is written."""


def _check_rejects_path(rejects: Path, file: Path, store_path: Path) -> None:
    """A rejects file must not be the file imported or the store (or a file SQLite keeps beside it): written after
    the commit, it would replace the export or the orders just imported."""
    targets = [(file, "the file being imported"), (store_path, "the order store")]
    targets += [(Path(f"{store_path}{end}"), f"the order store's {end[1:]} file") for end in _STORE_SIDE_FILES]
    for path, what in targets:
        if _same_file(rejects, path):
            raise SampleError(f"{rejects}: cannot write the rejected rows there: it is {what}")


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


# -- SIGINT and SIGTERM

_deferred: list[int] | None = None
"""While an import commits and reports (see `_defer_signals`), the signals that arrived meanwhile."""


def _on_signal(signum: int, frame: object) -> None:
    if _deferred is not None:
        _deferred.append(signum)
        return
    raise Interrupted(signum)


@contextmanager
def interrupts_raise() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise `Interrupted` (an import rolls back, stops its workers and says
    so), except from the moment an import commits until it has reported what it wrote: a signal then waits for
    that, so that `Interrupted.result` always tells truly whether the store changed. Main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _on_signal) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _defer_signals() -> None:
    global _deferred
    if _deferred is None:
        _deferred = []


def _stop_deferring() -> int | None:
    """End `_defer_signals`; the first signal that arrived meanwhile, if any."""
    global _deferred
    pending, _deferred = _deferred, None
    return pending[0] if pending else None


@dataclass
class _Part:
    """The outcome of parsing and mapping one piece of a file, in file order."""

    rows: list[OrderRow]
    bad: list[tuple[int, int | None, str, str, Any]]
    """(record index in the piece, line in the piece when known, field, reason, the record)."""
    records: int
    lines: int = 0
    invalid_json: tuple[int, int, str] | None = None
    """(line in the piece, column or 0, message) of a line that is not JSON; the piece stops there."""
    incomplete: int = 0
    """Orders lacking one of the minimum fields (see `tools.check.missing_minimum`)."""
    missing: Counter[str] = field(default_factory=Counter)
    """How many orders lack each minimum field."""
    far: list[tuple[str, str]] = field(default_factory=list)
    """(order key, "order 118: total 3, items 15.00") of each order whose total is far from what its items add up
    to, as mapped from its own record (an order given again is judged again once merged)."""


class _NotUtf8(Exception):
    """A piece of a JSON Lines file is not UTF-8."""


def _import(result: ImportResult, store_path: Path, mapper: Mapper, skip_invalid: bool, workers: int | None,
            split_jsonl: bool) -> None:
    file = result.file
    count = min(workers or os.cpu_count() or 1, 8)
    parallel = count >= 2 and _can_fork()
    payload: Payload | None = None
    with ExitStack() as stack:
        # Workers are forked before the store is opened: a child must not inherit a live SQLite connection.
        if parallel and split_jsonl and not mapper.grouped and _splittable(file):
            pool = stack.enter_context(_workers(count, mapper, [], None))
            parts: Iterator[_Part] = pool.map(_jsonl_part, _pieces(file, count))
        else:
            payload = read_payload(file)
            try:
                # Only a JSON document is unwrapped: JSON Lines, CSV and spreadsheet rows are the records already,
                # and an empty file or list has no orders, in whatever envelope the mapping expects them.
                records = mapper.records(payload.data) if payload.kind == "json" and payload.data != [] \
                    else payload.data
            except RecordError as exc:
                raise SampleError(f"{file}: {exc}") from None
            if parallel and len(records) >= PARALLEL_FROM and mapper.grouped:
                # Rows are grouped into orders here (one pass over the keys); workers map ranges of the orders.
                groups, missing = mapper.group_rows(records)
                pool = stack.enter_context(_workers(count, mapper, records, groups))
                size = max(1, -(-len(groups) // (count * 8)))
                keyless = _Part([], [(e.record or 0, None, e.field, e.reason, records[e.record or 0]) for e in missing],
                                0)
                parts = itertools.chain([keyless], pool.map(_groups_part, [(i, min(i + size, len(groups)))
                                                                           for i in range(0, len(groups), size)]))
            elif parallel and len(records) >= PARALLEL_FROM:
                # Forked workers share the parsed records and the compiled mapper (closures, not picklable)
                # with this process; only ranges go out and only finished rows come back.
                pool = stack.enter_context(_workers(count, mapper, records, None))
                size = -(-len(records) // (count * 8))
                parts = pool.map(_records_part, [(i, min(i + size, len(records)))
                                                 for i in range(0, len(records), size)])
            else:
                parts = iter([_map_part(mapper, records)])
        batch = stack.enter_context(stack.enter_context(OrderStore(store_path, create=True)).batch(result.replaced))
        seen_records = seen_lines = 0
        lacking: Counter[str] = Counter()
        far: dict[str, str] = {}
        for part in parts:
            if part.invalid_json is not None:
                line, column, message = part.invalid_json
                where = f"line {seen_lines + line}" + (f", column {column}" if column else "")
                raise SampleError(f"{file}: {where}: {message}")
            for index, line_in_part, field_name, reason, record in part.bad:
                where = (f"line {seen_lines + line_in_part}" if line_in_part is not None
                         else payload.line_of(seen_records + index) if payload is not None
                         else f"record {seen_records + index + 1}")
                note = payload.note_of(seen_records + index) if payload is not None else ""
                result.errors.append(BadRow(seen_records + index, where, field_name, reason + note, record))
            if skip_invalid or not result.errors:  # after a bad row only checking goes on: it will roll back
                batch.write(part.rows)
            result.incomplete += part.incomplete
            for key, example in part.far:
                far.setdefault(key, example)
            lacking.update(part.missing)
            seen_records += part.records
            seen_lines += part.lines
        result.errors.sort(key=lambda bad: bad.index)
        result.rejected = len(result.errors)
        if result.errors and not skip_invalid:
            batch.rollback()
        else:
            _judge_merged_totals(batch, far)
        result.far_totals = len(far)
        result.far_total_examples = list(itertools.islice(far.values(), _EXAMPLES))
        # From the commit (as the block ends) until the result says what was written, a signal waits.
        _defer_signals()
    counts = batch.counts()
    result.repeated = sorted(batch.repeated)
    result.conflicts = [] if batch.rolled_back else sorted(batch.conflicts)
    result.missing = dict(lacking.most_common())
    result.inserted, result.updated, result.unchanged = counts.inserted, counts.updated, counts.unchanged
    result.written = not batch.rolled_back


def _map_part(mapper: Mapper, records: list[Any], groups: list[list[int]] | None = None) -> _Part:
    """Map `records` (or, given `groups`, those orders of them: the part's indices then index all `records`)."""
    mapped = mapper.map_records(records) if groups is None else mapper.map_groups(records, groups)
    part = _Part([], [], len(records) if groups is None else 0)
    for error in mapped.errors:
        index = error.record or 0
        part.bad.append((index, None, error.field, error.reason, records[index]))
    covered: set[int] = set()
    for order, sources in zip(mapped.orders, mapped.sources, strict=True):
        lacking = [name for name in missing_minimum(order) if name != "id"]
        if lacking:
            part.incomplete += 1
            part.missing.update(lacking)
        try:
            row = order_row(order)
        except ValueError:
            part.bad.append((sources[0], None, "id", "missing (every order needs its order number)",
                             records[sources[0]]))
            continue
        part.rows.append(row)
        covered.update(sources)
        example = _far_example(order)
        if example is not None:
            part.far.append((row.key, example))
    if mapper.grouped:
        # The rows of a rejected order other than the one its error names are rejected with it.
        named = covered | {index for index, *_ in part.bad}
        rows = range(len(records)) if groups is None else (i for group in groups for i in group)
        part.bad.extend((i, None, "order", "part of an order rejected at another row", records[i])
                        for i in rows if i not in named)
    return part


_EXAMPLES = 3
"""Orders named in a warning that counts many."""


def _far_example(order: Order) -> str | None:
    """How the total warning names `order` when its total is far from its items (see `far_total`), else None:
    "order 118: total 3, items 15.00"."""
    far = far_total(order)
    if far is None:
        return None
    total, items = far
    return f"order {order.id}: total {money_text(total)}, items {money_text(items)}"


def _judge_merged_totals(batch: Batch, far: dict[str, str]) -> None:
    """Judge again, as written, the orders that are not one record as given: a number given twice in the file, or
    a record merged into the stored order. Its items are then the merged ones, which its total may well cover
    when a single record's items did not (or no longer cover)."""
    keys = batch.repeated | batch.merged
    if not keys:
        return
    for key, order in batch.orders(keys).items():
        example = _far_example(order)
        if example is None:
            far.pop(key, None)
        else:
            far[key] = example


_job: tuple[Mapper, list[Any], list[list[int]] | None] | None = None
"""Set only in a worker process, by its initializer."""


@contextmanager
def _workers(count: int, mapper: Mapper, records: list[Any], groups: list[list[int]] | None,
             ) -> Iterator[ProcessPoolExecutor]:
    """Forked workers sharing the compiled mapper (closures, not picklable) and the parsed records with this
    process. A worker that dies breaks the pool (BrokenProcessPool) instead of leaving the import waiting; when the
    import stops early (a line that is not JSON), the pieces not yet started are dropped."""
    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"), initializer=_init_worker,
                               initargs=(mapper, records, groups, os.getpid()))
    try:
        yield pool
    except BaseException:
        # Stopped (an interrupt, a line that is not JSON): the pieces not started are dropped, and the workers end
        # after the one each is on. They are not killed: one killed while sending its rows back would leave the
        # pool's reader waiting forever for the rest of them.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _init_worker(mapper: Mapper, records: list[Any], groups: list[list[int]] | None, parent: int) -> None:
    global _job
    _job = (mapper, records, groups)
    gc.disable()
    # The import's process handles SIGINT (a Ctrl-C reaches the whole process group) and SIGTERM (so may a service
    # manager's), and ends its workers itself once each has sent back the piece it is on: a worker must neither
    # print a KeyboardInterrupt, nor run the handler it was forked with, nor die while it sends its rows back.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if not _killed_with_parent(parent):
        threading.Thread(target=_watch_parent, args=(parent,), name="watch-parent", daemon=True).start()


_PR_SET_PDEATHSIG = 1
_WATCH_EVERY = 0.5
"""Seconds between a worker's looks at whether its parent is alive, where the kernel cannot tell it."""


def _killed_with_parent(parent: int) -> bool:
    """Have the kernel end this worker when the import's process dies, even by SIGKILL (else the worker runs on,
    orphaned, holding its memory): Linux's prctl(PR_SET_PDEATHSIG). False where that is not to be had, and a
    thread then watches the parent (`_watch_parent`)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    return True


def _watch_parent(parent: int) -> None:
    """End this worker once its parent is gone (it is then another process's child)."""
    while os.getppid() == parent:
        time.sleep(_WATCH_EVERY)
    os._exit(1)


def _records_part(bounds: tuple[int, int]) -> _Part:
    assert _job is not None
    mapper, records, _ = _job
    start, end = bounds
    return _map_part(mapper, records[start:end])


def _groups_part(bounds: tuple[int, int]) -> _Part:
    assert _job is not None
    mapper, records, groups = _job
    assert groups is not None
    start, end = bounds
    return _map_part(mapper, records, groups[start:end])


def _splittable(file: Path) -> bool:
    """A JSON Lines file large enough to be worth parsing in pieces (as `read_payload` would read it)."""
    if file.suffix.lower() not in (".jsonl", ".ndjson"):
        return False
    try:
        return file.stat().st_size >= SPLIT_FROM_BYTES
    except OSError:
        return False


def _pieces(file: Path, workers: int) -> list[tuple[str, int, int]]:
    """Byte ranges of `file` that end just after a newline, a few per worker and at most ~8 MB each."""
    size = file.stat().st_size
    count = max(workers * 4, size // (8 << 20))
    bounds = [0]
    with file.open("rb") as fh:
        for k in range(1, count):
            fh.seek(max(size * k // count, bounds[-1]))
            fh.readline()
            if fh.tell() >= size:
                break
            if fh.tell() > bounds[-1]:
                bounds.append(fh.tell())
    bounds.append(size)
    return [(str(file), a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def _jsonl_part(piece: tuple[str, int, int]) -> _Part:
    """Parse and map one byte range of a JSON Lines file exactly as `read_payload` reads the whole file."""
    assert _job is not None
    mapper = _job[0]
    path, start, end = piece
    with open(path, "rb") as fh:
        fh.seek(start)
        raw = fh.read(end - start)
    if start == 0 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _NotUtf8(path) from None
    lines = jsonl_lines(text)
    records: list[Any] = []
    numbers: list[int] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(json_loads(line))
        except json.JSONDecodeError as exc:
            return _Part([], [], 0, 0, (number, exc.colno, f"invalid JSON ({exc.msg})"))
        except ValueError as exc:
            return _Part([], [], 0, 0, (number, 0, str(exc)))
        numbers.append(number)
    part = _map_part(mapper, records)
    part.bad = [(i, numbers[i], f, reason, record) for i, _, f, reason, record in part.bad]
    part.lines = len(lines)
    return part


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cycle collector: a large import makes millions of acyclic objects, and collecting while they
    pile up doubles the mapping time for nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _check_writable(path: Path) -> None:
    existed = path.exists()
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise SampleError(f"{path}: cannot write the rejected rows there ({exc.strerror})") from None
    if not existed:
        path.unlink()


def _write_rejects(path: Path, errors: list[BadRow]) -> None:
    try:
        with path.open("w", encoding="utf-8") as fh:
            for bad in errors:
                entry = {"where": bad.where, "reason": f"{bad.field}: {bad.reason}",
                         "record": bad.record}
                fh.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
    except OSError as exc:
        raise SampleError(f"{path}: cannot write the rejected rows ({exc.strerror})") from None


def format_result(result: ImportResult, as_json: bool) -> str:
    """The report the CLI prints: counts, then every bad row (`as_json`: one JSON object)."""
    counts = {"inserted": result.inserted, "updated": result.updated, "unchanged": result.unchanged,
              "rejected": result.rejected}
    if as_json:
        out: dict[str, Any] = dict(counts)
        if result.errors:
            out["errors"] = [{"where": b.where, "field": b.field, "reason": b.reason} for b in result.errors]
        if result.repeated:
            out["repeated_order_numbers"] = result.repeated
        if result.conflicts:
            out["other_customer_order_numbers"] = result.conflicts
        if result.incomplete and result.written:
            out["incomplete"] = result.incomplete
            out["missing"] = result.missing
        if result.far_totals and result.written:
            out["far_totals"] = result.far_totals
        if result.all_rejected:
            out["all_rejected"] = True
        return json.dumps(out, ensure_ascii=False)
    lines = [", ".join(f"{n} {name}" for name, n in counts.items())]
    if result.errors and not result.written:
        lines.append(f"{result.file}: {len(result.errors)} bad row(s); nothing was imported "
                     "(fix them, or pass --skip-invalid to import the other rows):")
    elif result.errors:
        lines.append(f"{result.file}: {len(result.errors)} bad row(s) skipped, written to {result.rejects_path}:")
    lines.extend(f"  {bad}" for bad in result.errors)
    if result.all_rejected:
        lines.append(f"error: every row of {result.file} was rejected; nothing was imported")
    if result.old_rejects is not None:
        lines.append(f"note: no row was rejected; removed {result.old_rejects}, the rejects of an earlier run")
    if not any(counts.values()):
        lines.append(f"note: {result.file} has no orders (an empty file or list, or the orders are somewhere the "
                     "mapping does not look: `order-assistant mapping check` shows what it reads)")
    if result.incomplete and result.written:
        fields = ", ".join(f"{name} ({n})" for name, n in result.missing.items())
        lines.append(f"note: {result.incomplete} order(s) lack what shoppers ask about: {fields}; "
                     "`order-assistant mapping check` on the file shows which")
    if result.repeated:
        how = "the last record kept" if result.replaced else "merged into one order, items by SKU"
        lines.append(f"note: {len(result.repeated)} order number(s) came in more than one record ({how}): "
                     f"{_first_ten(result.repeated)}")
    if result.conflicts:
        lines.append(f"warning: {len(result.conflicts)} order number(s) name another customer than the order "
                     "stored or given earlier under the same number (as compared: no '#', upper case); each was "
                     f"replaced whole, not merged, so no customer sees another's items: {_first_ten(result.conflicts)}")
    if result.far_totals and result.written:
        more = result.far_totals - len(result.far_total_examples)
        lines.append(f"warning: {result.far_totals} order(s) have a total far from what their items add up to "
                     f"(under {TOTAL_BELOW:%} or over {TOTAL_ABOVE}x the items' price x quantity), as a total that "
                     f"reads the wrong field or cents as units would: {'; '.join(result.far_total_examples)}"
                     + (f" (+{more} more)" if more else "") + "; `order-assistant mapping check` on the file shows "
                     "which")
    return "\n".join(lines)


def _first_ten(numbers: list[str]) -> str:
    return ", ".join(numbers[:10]) + (f" (+{len(numbers) - 10} more)" if len(numbers) > 10 else "")
