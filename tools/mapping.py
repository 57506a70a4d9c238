"""Mapping files: how one merchant's order payload becomes canonical `Order`s.

A mapping (YAML) names, for each canonical field, where its value is in the payload and how to convert it.
It is validated strictly (a typo is an error naming the key) and compiled once into one generated Python
function, which then maps many payloads fast. See `docs/mapping.md` for the file format.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tools import _transforms as tf
from tools._mapping_codegen import Env, Value, generate, value_function
from tools._mapping_compile import compile_fields, compile_value
from tools._mapping_spec import MappingSpec, pydantic_message
from tools._paths import Context, Getter
from tools._yaml import parse_mapping, read_text
from tools.carriers import complete_shipment
from tools.errors import MappingError, RecordError
from tools.schema import Order, OrderStatus, ShipmentStatus

__all__ = ["Mapped", "Mapper", "MappingSpec", "compile_mapping", "load_mapping", "load_mapping_text", "unwrap_records"]

ENVELOPE_KEYS = ("orders", "order", "data", "results", "records", "rows")


@dataclass
class Mapped:
    """The outcome of mapping a batch of records."""

    orders: list[Order]
    sources: list[list[int]]
    """For each order, the indices of the records (rows) it came from."""
    errors: list[RecordError]
    unknown_labels: list[tuple[str, str]]
    """(field, merchant label) pairs that fell to `unknown`."""


class Mapper:
    """A compiled mapping: `map_records` for batches, `map_one` for one record, `records` to unwrap envelopes."""

    def __init__(self, spec: MappingSpec, build: Value, env: Env, records: Getter | None, group: Getter | None):
        self.spec = spec
        self.name = spec.name
        self._build = build
        self._records = records
        self._group = group
        self._tz = env.tz
        self.code = ""
        """The source of the generated function that maps one record (for debugging a mapping)."""
        self.used_fields: frozenset[str] = frozenset(env.used)
        """Normalised source paths the mapping reads (`line_items[].sku`); a path marks its subtree used."""

    @property
    def grouped(self) -> bool:
        return self._group is not None

    def records(self, payload: Any) -> list[Any]:
        """The order records inside a payload: a list, one object, or an envelope around either."""
        if self._records is not None:
            where = self.spec.records if isinstance(self.spec.records, str) else "records"
            try:
                found = self._records(payload, Context(payload))
            except ValueError as exc:  # a JMESPath function given a value of another type
                raise RecordError(where, str(exc)) from None
            if found is None:
                raise RecordError(where, "not found in the payload")
            return found if isinstance(found, list) else [found]
        return unwrap_records(payload)

    def map_one(self, record: Any) -> Order:
        """One record to an Order; RecordError naming the field when it cannot be mapped."""
        return self._finish(self._build(record, Context(record)))

    def _finish(self, data: Any) -> Order:
        try:
            for shipment in data.get("shipments", ()):
                complete_shipment(shipment)
            if self.spec.status_from_shipments:
                _derive_status(data)
            return Order.__pydantic_validator__.validate_python(data)  # model_validate, one frame less
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise RecordError(loc or "order", first["msg"].removeprefix("Value error, ")) from None

    def map_records(self, records: list[Any], notes: bool = False) -> Mapped:
        """Map many records (rows are grouped first when the mapping has group_by); errors are collected."""
        if self._group is None:
            return self._map_units(((([i], record, None)) for i, record in enumerate(records)), notes)
        groups, errors = self.group_rows(records)
        mapped = self.map_groups(records, groups, notes)
        mapped.errors[:0] = errors
        return mapped

    def group_rows(self, records: list[Any]) -> tuple[list[list[int]], list[RecordError]]:
        """The indices of each order's rows (a grouped mapping), orders in the order of their first row; an error
        for each row with no group key."""
        assert self._group is not None
        groups: dict[Any, list[int]] = {}
        errors: list[RecordError] = []
        name = self.spec.group_by if isinstance(self.spec.group_by, str) else "group_by"
        for i, record in enumerate(records):
            try:
                key = self._group(record, Context(record)) if isinstance(record, dict) else None
            except ValueError as exc:
                errors.append(RecordError(name, str(exc), i))
                continue
            key = tf.to_text(key) if isinstance(key, str | int | float) else None
            if key is None:
                errors.append(RecordError(name, "missing", i))
                continue
            groups.setdefault(key, []).append(i)
        return list(groups.values()), errors

    def map_groups(self, records: list[Any], groups: list[list[int]], notes: bool = False) -> Mapped:
        """Map orders from rows grouped by `group_rows` (or a slice of its groups); sources index `records`."""
        return self._map_units((self._merged(records, indices) for indices in groups), notes)

    @staticmethod
    def _merged(records: list[Any], indices: list[int]) -> tuple[list[int], Any, list[Any]]:
        rows = [records[i] for i in indices]
        # Order-level fields read the rows merged, later rows winning: an update row changes status or total.
        merged: dict[str, Any] = {}
        for row in rows:
            if isinstance(row, dict):
                merged.update((k, v) for k, v in row.items() if v is not None and v != "")
        return indices, merged, rows

    def _map_units(self, units: Iterable[tuple[list[int], Any, list[Any] | None]], notes: bool) -> Mapped:
        result = Mapped([], [], [], [])
        label_notes: list[tuple[str, str]] | None = [] if notes else None
        for indices, node, rows in units:
            try:
                if not isinstance(node, dict):
                    raise RecordError("record", f"expected an object, got {type(node).__name__}")
                data = self._build(node, Context(node, rows, label_notes))
                order = self._finish(data)
            except RecordError as exc:
                result.errors.append(exc.at(self._culprit(indices, rows, exc.field)))
            except (ValueError, TypeError, ArithmeticError) as exc:  # a transform's own error
                result.errors.append(RecordError("record", str(exc), indices[0]))
            else:
                result.orders.append(order)
                result.sources.append(indices)
        result.unknown_labels = label_notes or []
        return result

    def _culprit(self, indices: list[int], rows: list[Any] | None, field: str) -> int:
        """The row to blame for an order's error: with several rows, the first whose own value of `field` fails
        (an order-level value read from the merged rows may come from any of them), else the order's first row."""
        if not rows or len(rows) < 2:
            return indices[0]
        for index, row in zip(indices, rows, strict=True):
            if not isinstance(row, dict):
                continue
            try:
                self._build(row, Context(row, [row]))
            except RecordError as exc:
                if exc.field == field:
                    return index
            except (ValueError, TypeError, ArithmeticError):
                continue
        return indices[0]

    def map_payload(self, payload: Any, notes: bool = False) -> Mapped:
        return self.map_records(self.records(payload), notes=notes)


def _derive_status(data: dict[str, Any]) -> None:
    shipments = data.get("shipments") or []
    if data.get("status") in ("shipped", OrderStatus.SHIPPED) and shipments:
        if all(s.get("status") in ("delivered", ShipmentStatus.DELIVERED) or s.get("delivered_at") for s in shipments):
            data["status"] = OrderStatus.DELIVERED


def unwrap_records(payload: Any) -> list[Any]:
    """The order records in a payload: a list, one object, or an envelope ({"orders": [...]}, {"order": {...}},
    {"data": ...}) around either."""
    for _ in range(4):
        if isinstance(payload, list):
            return payload
        if not isinstance(payload, dict):
            return [payload]
        inner = next((payload[k] for k in ENVELOPE_KEYS if isinstance(payload.get(k), list | dict)), None)
        # Unwrap only an envelope: a dict with an order's own keys ("data" may be a field of an order) stays.
        if inner is None or len(payload) > 6 or any(k in payload for k in ("id", "uid", "orderUid", "order_id")):
            return [payload]
        payload = inner
    return [payload]


def compile_mapping(spec: MappingSpec, *, timezone: str | None = None, currency: str | None = None,
                    region: str | None = None, source: str = "mapping") -> Mapper:
    """Compile a validated spec, with merchant overrides of its defaults; MappingError lists every problem."""
    tz_name = timezone or spec.defaults.timezone
    env_errors: list[str] = []
    try:
        tz = tf.zone(tz_name)
    except ValueError as exc:
        env_errors.append(f"defaults.timezone: {exc}")
        tz = tf.zone("UTC")
    try:
        # A merchant's currency comes checked from its config; one passed here directly is read the same way.
        default_currency = tf.currency_setting(currency) if currency else spec.defaults.currency
    except ValueError as exc:
        env_errors.append(f"currency: {exc}")
        default_currency = None
    env = Env(tz, default_currency, region or spec.defaults.region, spec.group_by is not None)
    env.errors.extend(env_errors)
    order_fields = compile_fields(spec.order, "order", Order, env, ("",))
    names = {name for name, _ in order_fields}
    if "status" in names and "status_text" not in names:
        # Keep the merchant's own label: status_text reads status's source without its map.
        raw = spec.order["status"]
        raw = {"path": raw} if isinstance(raw, str | list) else dict(raw) if isinstance(raw, dict) else raw
        if isinstance(raw, dict) and "cases" not in raw and not isinstance(raw.get("const"), dict):
            raw = {k: v for k, v in raw.items() if k not in ("map", "default")}
            order_fields.append(("status_text", compile_value(raw, "order.status", "text", env, ("",))))
    if default_currency and "currency" not in names:
        order_fields.append(("currency", lambda g, node, out: g.line(f"{out} = {g.const(default_currency)}")))
    records = compile_value(spec.records, "records", "extra", env, ("",)) if spec.records else None
    group_by = compile_value(spec.group_by, "group_by", "extra", env, ("",)) if spec.group_by else None
    if env.errors:
        raise MappingError(f"{source}: " + "; ".join(dict.fromkeys(env.errors)))
    build, code = generate(order_fields, default_currency, source)
    find = value_function(records, source) if records is not None else None
    group = value_function(group_by, source) if group_by is not None else None
    mapper = Mapper(spec, build, env, find, group)
    mapper.code = code
    return mapper


def load_mapping_text(text: str, source: str) -> MappingSpec:
    """Parse and validate a mapping's YAML text; MappingError naming `source` and the line or key."""
    data = parse_mapping(text, source, MappingError, "a YAML mapping with an 'order' key")
    try:
        return MappingSpec.model_validate(data)
    except ValidationError as exc:
        raise MappingError(f"{source}: {pydantic_message(exc, MappingSpec)}") from None


def load_mapping(name_or_path: str | Path, **overrides: Any) -> Mapper:
    """A compiled mapper from a preset name or a mapping file path."""
    from tools.presets import preset_path

    path = preset_path(str(name_or_path)) if isinstance(name_or_path, str) else None
    if path is None:
        path = Path(name_or_path)
    text = read_text(path, MappingError, "mapping file or preset")
    source = str(name_or_path) if path.parent.name == "presets" else str(path)
    return compile_mapping(load_mapping_text(text, source), source=source, **overrides)
