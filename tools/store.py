"""The embedded order store: canonical orders in one SQLite file, found by order id, email, phone or reference.

Each order is kept as its canonical JSON beside the columns it is found by: the normalised order id (unique),
the normalised reference and email, and, in a side table, every phone on the order (customer and shipping)
keyed by its last seven digits, so an exact and a near phone match are one index probe. A store path may
also name a canonical orders JSON file (the demo merchant's): it is served from a database built from the
file on first use in the user's cache folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError

from tools.phones import last7
from tools.schema import Item, Order, OrderStatus
from tools.sources import Key, SourceError, normalise_email, normalise_order_id

__all__ = ["Batch", "ImportCounts", "OrderRow", "OrderStore", "StoreError", "merge_orders", "order_row"]

SCHEMA_VERSION = 1
_CHUNK = 500
"""Keys per `IN (...)` query; well under SQLite's bound-parameter limit."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY,
    order_key TEXT NOT NULL UNIQUE,
    ref_key TEXT,
    email TEXT,
    created_at REAL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_ref ON orders (ref_key, created_at) WHERE ref_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS orders_email ON orders (email, created_at) WHERE email IS NOT NULL;
CREATE TABLE IF NOT EXISTS order_phones (
    last7 TEXT NOT NULL,
    phone TEXT NOT NULL,
    order_id INTEGER NOT NULL,
    PRIMARY KEY (last7, phone, order_id)
) WITHOUT ROWID;
"""

_SELECT = "SELECT data FROM orders"
_ORDER_BY = " ORDER BY created_at DESC NULLS LAST, id DESC"
_QUERIES: dict[str, str] = {
    "order_id": f"{_SELECT} WHERE order_key = ?",
    "ref_id": f"{_SELECT} WHERE ref_key = ?{_ORDER_BY}",
    "email": f"{_SELECT} WHERE email = ?{_ORDER_BY}",
    "phone": f"{_SELECT} WHERE id IN (SELECT order_id FROM order_phones WHERE last7 = ?){_ORDER_BY}",
}


class StoreError(SourceError):
    """The order store cannot be opened or written (missing file, not a store, disk full)."""


@dataclass
class ImportCounts:
    """What an upsert did: orders inserted, changed, or given again unchanged."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


class OrderRow(NamedTuple):
    """An order as the store keeps it: its lookup keys and its canonical JSON."""

    key: str
    ref: str | None
    email: str | None
    created_at: float | None
    data: str
    phones: tuple[tuple[str, str], ...]
    """(last-7 key, phone) for each distinct phone on the order."""


def _phone_key(phone: str) -> str:
    if phone[:1] == "+" and len(phone) >= 8 and phone[1:].isdigit():
        return phone[-7:]  # E.164, the usual case: no need for last7's regex
    # Numbers too short for a last-7 key are found by their exact text.
    return last7(phone) or phone


def order_row(order: Order) -> OrderRow:
    """The row of `order`; ValueError when it has no order id."""
    key = normalise_order_id(order.id) if order.id else ""
    if not key:
        raise ValueError("order has no id")
    customer_phone = order.customer.phone
    shipping_phone = order.shipping_address.phone if order.shipping_address else None
    phones: tuple[tuple[str, str], ...] = ()
    if customer_phone and customer_phone.strip():
        phones = ((_phone_key(customer_phone), customer_phone),)
    if shipping_phone and shipping_phone != customer_phone and shipping_phone.strip():
        phones = tuple(sorted((*phones, (_phone_key(shipping_phone), shipping_phone))))
    return OrderRow(
        key,
        normalise_order_id(order.external_ref_id) or None if order.external_ref_id else None,
        normalise_email(order.customer.email) or None if order.customer.email else None,
        order.created_at.timestamp() if order.created_at else None,
        order.model_dump_json(),
        phones,
    )


def _item_keys(item: Item) -> set[tuple[str, str]]:
    keys = set()
    if item.sku:
        keys.add(("sku", item.sku))
    if item.product_id:
        keys.add(("product_id", item.product_id))
    if not keys and item.name:
        keys.add(("name", item.name))
    return keys


def _contacts(order: Order) -> tuple[str | None, set[str]]:
    phones = {order.customer.phone, order.shipping_address.phone if order.shipping_address else None}
    email = normalise_email(order.customer.email) if order.customer.email else None
    return email or None, {_phone_key(p) for p in phones if p and p.strip()}


def other_customer(stored: Order, incoming: Order) -> bool:
    """Whether the two records may be of different customers: both name one, and not by the same email or a
    shared phone (one with only an email and one with only a phone cannot be told to be the same). Such records are
    two orders under one number, not one order sent again. A record naming no customer (a status update) is not."""
    (email, phones), (new_email, new_phones) = _contacts(stored), _contacts(incoming)
    if not (email or phones) or not (new_email or new_phones):
        return False
    if email and new_email:
        return email != new_email
    return not phones & new_phones


def merge_orders(stored: Order, incoming: Order) -> Order:
    """`incoming` with the stored items it does not mention kept (by sku or product_id, else name).

    An item of `incoming` replaces the stored item with the same key in its place; new items come last.
    Stored items with no key at all are dropped when `incoming` has items, since nothing can tell them apart.
    A record for another customer (`other_customer`) keeps nothing: one shopper never sees another's items.
    """
    return incoming if other_customer(stored, incoming) else _merged(stored, incoming)


def _merged(stored: Order, incoming: Order) -> Order:
    """`merge_orders` for two records already known to be one customer's."""
    wanted = [_item_keys(item) for item in incoming.items]
    placed: set[int] = set()
    items: list[Item] = []
    for item in stored.items:
        keys = _item_keys(item)
        if not keys:
            if not incoming.items:
                items.append(item)
            continue
        match = next((j for j, other in enumerate(wanted) if other & keys), None)
        if match is None:
            items.append(item)
        elif match not in placed:
            items.append(incoming.items[match])
            placed.add(match)
    items.extend(item for j, item in enumerate(incoming.items) if j not in placed)
    update = _kept_fields(stored, incoming)
    if items != incoming.items:
        update["items"] = items
    return incoming.model_copy(update=update) if update else incoming


_SCALARS = ("external_ref_id", "status_text", "created_at", "updated_at", "total", "currency", "payment_method")


def _filled(stored: BaseModel | None, incoming: BaseModel | None) -> Any:
    """`incoming` with each field it leaves empty taken from `stored` (a contact or an address)."""
    if stored is None or incoming is None:
        return incoming if incoming is not None else stored
    kept = {name: value for name, value in stored if value is not None and getattr(incoming, name) is None}
    return incoming.model_copy(update=kept) if kept else incoming


def _kept_fields(stored: Order, incoming: Order) -> dict[str, Any]:
    """What a record given again leaves empty and the stored order has: a later export row without the phone or
    the tracking must not erase them (the shopper could no longer verify, or track)."""
    update: dict[str, Any] = {name: getattr(stored, name) for name in _SCALARS
                              if getattr(incoming, name) is None and getattr(stored, name) is not None}
    if incoming.status == OrderStatus.UNKNOWN and incoming.status_text is None and stored.status != incoming.status:
        update["status"] = stored.status
    customer = _filled(stored.customer, incoming.customer)
    if customer is not incoming.customer:
        update["customer"] = customer
    address = _filled(stored.shipping_address, incoming.shipping_address)
    if address is not incoming.shipping_address:
        update["shipping_address"] = address
    if not incoming.shipments and stored.shipments:
        update["shipments"] = stored.shipments
    if (extra := {**stored.extra, **incoming.extra}) != incoming.extra:
        update["extra"] = extra
    return update


def _merge_rows(stored: str, incoming: OrderRow, conflicts: set[str]) -> OrderRow:
    """The row of `incoming` merged into the stored order; its key goes to `conflicts` when the two name different
    customers (the incoming record then replaces the stored one whole)."""
    old, new = Order.model_validate_json(stored), Order.model_validate_json(incoming.data)
    if other_customer(old, new):
        conflicts.add(incoming.key)
        return incoming
    return order_row(_merged(old, new))


def _dedupe(rows: Iterable[OrderRow], replace: bool, repeated: set[str], conflicts: set[str]) -> list[OrderRow]:
    """One row per order key: later rows for the same order merge into earlier ones (or replace them), as across
    imports. Keys given more than once are added to `repeated`; those for another customer, to `conflicts`."""
    out: dict[str, OrderRow] = {}
    for row in rows:
        earlier = out.get(row.key)
        if earlier is not None:
            repeated.add(row.key)
        out[row.key] = row if earlier is None or replace else _merge_rows(earlier.data, row, conflicts)
    return list(out.values())


class Batch:
    """Writes inside one transaction (see `OrderStore.batch`); counts each order once however often it comes."""

    def __init__(self, conn: sqlite3.Connection, replace: bool = False) -> None:
        self._conn = conn
        self.replace = replace
        """An order given again replaces the stored one whole, instead of keeping stored items it does not name."""
        self.repeated: set[str] = set()
        """Order keys given more than once in this transaction (merged, or the last one kept with `replace`)."""
        self.conflicts: set[str] = set()
        """Order keys whose new record names another customer than the earlier one: replaced whole, not merged."""
        self.merged: set[str] = set()
        """Order keys whose record merged into the order already stored (which is then not the record as given)."""
        self.rolled_back = False
        self._was_empty = conn.execute("SELECT 1 FROM orders LIMIT 1").fetchone() is None
        self._inserted: set[str] = set()
        self._updated: set[str] = set()
        self._unchanged: set[str] = set()

    def counts(self) -> ImportCounts:
        if self.rolled_back:
            return ImportCounts()
        return ImportCounts(len(self._inserted), len(self._updated), len(self._unchanged - self._updated))

    def rollback(self) -> None:
        """Write nothing: the transaction is rolled back when the block ends."""
        self.rolled_back = True

    def write(self, rows: Sequence[OrderRow]) -> None:
        """Upsert `rows`; an order given twice (here or in an earlier call) merges like one given again later."""
        rows = _dedupe(rows, self.replace, self.repeated, self.conflicts)
        self.repeated.update(r.key for r in rows if r.key in self._inserted or r.key in self._updated
                             or r.key in self._unchanged)
        if self._was_empty:
            # Only orders this transaction inserted can exist: skip the probe for all others.
            existing = self._existing([r.key for r in rows if r.key in self._inserted])
        else:
            existing = self._existing([r.key for r in rows])
        inserts: list[OrderRow] = []
        updates: list[tuple[int, OrderRow, OrderRow]] = []
        for row in rows:
            found = existing.get(row.key)
            if found is None:
                inserts.append(row)
                self._inserted.add(row.key)
                continue
            row_id, stored = found
            # The same order again (a re-import) is the common case: equal JSON merges to itself.
            merged = row if row.data == stored or self.replace else _merge_rows(stored, row, self.conflicts)
            if merged.data != row.data:
                self.merged.add(row.key)
            if merged.data == stored:
                if row.key not in self._inserted:
                    self._unchanged.add(row.key)
                continue
            updates.append((row_id, order_row(Order.model_validate_json(stored)), merged))
            if row.key not in self._inserted:
                self._updated.add(row.key)
        self._insert(inserts)
        self._update(updates)

    def orders(self, keys: Iterable[str]) -> dict[str, Order]:
        """The orders stored under `keys` as this transaction has written them so far."""
        return {key: Order.model_validate_json(data) for key, (_, data) in self._existing(list(keys)).items()}

    def _existing(self, keys: list[str]) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT order_key, id, data FROM orders WHERE order_key IN ({marks})"
            for key, row_id, data in self._conn.execute(query, chunk):
                found[key] = (row_id, data)
        return found

    def _insert(self, rows: list[OrderRow]) -> None:
        if not rows:
            return
        # Ids are given here, not by SQLite, so the phone rows can name them without a query per order.
        first = int(self._conn.execute("SELECT coalesce(max(id), 0) + 1 FROM orders").fetchone()[0])
        self._conn.executemany(
            "INSERT INTO orders (id, order_key, ref_key, email, created_at, data) VALUES (?, ?, ?, ?, ?, ?)",
            [(first + i, r.key, r.ref, r.email, r.created_at, r.data) for i, r in enumerate(rows)],
        )
        self._conn.executemany(
            "INSERT OR IGNORE INTO order_phones (last7, phone, order_id) VALUES (?, ?, ?)",
            [(k, p, first + i) for i, r in enumerate(rows) for k, p in r.phones],
        )

    def _update(self, updates: list[tuple[int, OrderRow, OrderRow]]) -> None:
        if not updates:
            return
        self._conn.executemany(
            "UPDATE orders SET ref_key = ?, email = ?, created_at = ?, data = ? WHERE id = ?",
            [(new.ref, new.email, new.created_at, new.data, row_id) for row_id, _, new in updates],
        )
        self._conn.executemany(
            "DELETE FROM order_phones WHERE last7 = ? AND phone = ? AND order_id = ?",
            [(k, p, row_id) for row_id, old, _ in updates for k, p in old.phones],
        )
        self._conn.executemany(
            "INSERT OR IGNORE INTO order_phones (last7, phone, order_id) VALUES (?, ?, ?)",
            [(k, p, row_id) for row_id, _, new in updates for k, p in new.phones],
        )


class OrderStore:
    """An `OrderSource` over a SQLite file. `create=True` makes the file when it does not exist (imports)."""

    def __init__(self, path: str | Path, *, create: bool = False) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._fresh = False
        if self.path.suffix.lower() in (".json", ".jsonl"):
            if create:
                raise StoreError(f"{self.path}: a JSON orders file is read-only; import into a .db file instead")
            self._conn = _open_snapshot(self.path)
        elif not self.path.parent.is_dir():
            parent = self.path.parent
            missing = "does not exist" if not parent.exists() else "is not a folder"
            raise StoreError(f"{self.path}: the folder {parent} {missing}" + (" (create it first)" if create else ""))
        elif self.path.is_dir():
            raise StoreError(f"{self.path}: is a folder, not an order store (name a .db file in it)")
        elif not create and not self.path.exists():
            raise StoreError(f"{self.path}: no such order store (create it with `order-assistant import`)")
        else:
            # A new store is filled with a rollback journal, which for new pages stays empty, so a first bulk
            # import writes its pages once instead of twice (WAL, then checkpoint); it turns to WAL after.
            self._fresh = not self.path.exists()
            self._conn = _connect(self.path, wal=not self._fresh)

    @classmethod
    def _over(cls, conn: sqlite3.Connection, path: Path) -> OrderStore:
        store = cls.__new__(cls)
        store.path = path
        store._lock = threading.Lock()
        store._conn = conn
        store._fresh = False
        return store

    # -- reading

    def find(self, key: Key, value: str) -> list[Order]:
        """Orders matching `value` by `key`, most recent first; phone lookups include last-7 near matches."""
        query = _QUERIES.get(key)
        if query is None:
            raise ValueError(f"unknown lookup key {key!r}")
        if key == "email":
            probe = normalise_email(value)
        elif key == "phone":
            probe = _phone_key(value.strip())
        else:
            probe = normalise_order_id(value)
        if not probe:
            return []
        with self._lock:
            try:
                rows = self._conn.execute(query, (probe,)).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: {exc}") from None
        return [Order.model_validate_json(data) for (data,) in rows]

    def count(self) -> int:
        """How many orders the store holds."""
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM orders").fetchone()[0])

    def all_orders(self) -> list[Order]:
        """Every order, most recent first (for exports and small stores; not for lookups)."""
        with self._lock:
            rows = self._conn.execute(_SELECT + _ORDER_BY).fetchall()
        return [Order.model_validate_json(data) for (data,) in rows]

    # -- writing

    def upsert(self, orders: Iterable[Order]) -> ImportCounts:
        """Insert or update orders by order id, in one transaction; items merge with the stored order's."""
        return self.write_rows([order_row(order) for order in orders])

    def write_rows(self, rows: Sequence[OrderRow]) -> ImportCounts:
        """`upsert` for rows made by `order_row`."""
        with self.batch() as batch:
            batch.write(rows)
        return batch.counts()

    @contextmanager
    def batch(self, replace: bool = False) -> Iterator[Batch]:
        """One write transaction for many `Batch.write` calls: committed at the end of the block, rolled back
        when the block raises or calls `Batch.rollback`. Readers see the store as it was until the commit.
        With `replace`, an order already stored is replaced whole rather than merged (see `merge_orders`)."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                batch = Batch(conn, replace)
                try:
                    yield batch
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("ROLLBACK" if batch.rolled_back else "COMMIT")
                if self._fresh and not batch.rolled_back:
                    conn.execute("PRAGMA journal_mode = WAL")
                    self._fresh = False
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StoreError(f"{self.path}: cannot write ({exc})") from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> OrderStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _connect(path: Path, wal: bool = True) -> sqlite3.Connection:
    try:
        # Autocommit mode: transactions are begun explicitly, so an import is exactly one of them.
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 5000")
        if wal:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")  # with WAL: durable at checkpoints, never corrupt
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute("PRAGMA temp_store = MEMORY")
        _init_schema(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not an order store ({exc})") from None
    return conn


def _init_schema(conn: sqlite3.Connection) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version == SCHEMA_VERSION:
        return
    if version != 0:
        raise StoreError(f"store schema version {version} is not supported (expected {SCHEMA_VERSION})")
    conn.executescript(f"BEGIN; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")


# ---------------------------------------------------------------------------------------------------------
# A canonical orders JSON file served as a store (the bundled demo merchant).


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "order-assistant"


def _load_orders(path: Path, raw: bytes) -> list[Order]:
    text = raw.decode("utf-8")
    try:
        if path.suffix.lower() == ".jsonl":
            data: Any = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StoreError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
    if isinstance(data, dict):
        data = data.get("orders")
    if not isinstance(data, list):
        raise StoreError(f"{path}: expected a list of canonical orders or {{\"orders\": [...]}}")
    orders = []
    for i, record in enumerate(data):
        try:
            orders.append(Order.model_validate(record))
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise StoreError(f"{path}: order {i + 1}: {loc}: {first['msg']}") from None
    return orders


def _open_snapshot(source: Path) -> sqlite3.Connection:
    """A connection to a database holding the orders of `source`, built once per content in the cache folder.

    The database is written beside its final name and renamed into place, so concurrent first uses never see
    half a file. Without a writable cache folder (a read-only home) the orders are loaded into memory.
    """
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise StoreError(f"{source}: cannot read ({exc.strerror})") from None
    digest = hashlib.sha256(raw + f"schema {SCHEMA_VERSION}".encode()).hexdigest()[:16]
    prefix = f"{source.parent.name}-{source.stem}"
    target = _cache_dir() / f"{prefix}-{digest}.db"
    if target.exists():
        try:
            return _connect(target)
        except StoreError:
            pass  # a damaged cache file is rebuilt below
    orders = _load_orders(source, raw)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{prefix}-", suffix=".db", dir=target.parent)
        os.close(fd)
        try:
            _fill(_connect(Path(tmp), wal=False), orders)
            os.replace(tmp, target)
        finally:
            for leftover in (tmp, f"{tmp}-wal", f"{tmp}-shm"):
                Path(leftover).unlink(missing_ok=True)
        for old in target.parent.glob(f"{prefix}-*.db"):
            if old != target:
                old.unlink(missing_ok=True)
        return _connect(target)
    except (OSError, StoreError):
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        _init_schema(conn)
        _fill(conn, orders, close=False)
        return conn


def _fill(conn: sqlite3.Connection, orders: list[Order], close: bool = True) -> None:
    # Built with a rollback journal: the file renamed into place must not leave committed pages in a -wal file.
    OrderStore._over(conn, Path(":memory:")).upsert(orders)
    if close:
        conn.close()
