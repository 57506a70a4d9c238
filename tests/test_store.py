"""The embedded order store: lookups by every key, upserts with item merging, transactions, JSON snapshots."""

from __future__ import annotations

import sqlite3
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tools.schema import Order
from tools.store import OrderStore, StoreError, merge_orders, order_row


def make(id_: str | None, **kw: Any) -> Order:
    data: dict[str, Any] = {
        "id": id_,
        "status": "shipped",
        "created_at": "2026-11-01T10:00:00Z",
        "customer": {"name": "Jane Doe", "email": "jane.doe@example.com", "phone": "+14155550142"},
        "items": [{"sku": "A1", "name": "Tent", "quantity": 1, "price": "10.00"}],
    }
    data.update(kw)
    return Order.model_validate(data)


@pytest.fixture
def store(tmp_path: Path):
    with OrderStore(tmp_path / "orders.db", create=True) as s:
        yield s


def ids(orders: list[Order]) -> list[str | None]:
    return [o.id for o in orders]


def test_order_id_is_found_without_hash_spaces_or_case(store: OrderStore):
    store.upsert([make("#1042"), make("ord-7"), make("1043")])
    for probe in ("#1042", "1042", " 1042", "# 1042"):
        assert ids(store.find("order_id", probe)) == ["#1042"]
    assert ids(store.find("order_id", "ORD-7")) == ["ord-7"]
    assert store.find("order_id", "104") == []
    assert store.find("order_id", "#") == []


def test_email_and_ref_are_normalised_and_results_are_most_recent_first(store: OrderStore):
    store.upsert([
        make("1", created_at="2026-10-01T00:00:00Z", external_ref_id="ref-9"),
        make("2", created_at="2026-11-20T00:00:00Z", customer={"email": "Jane.Doe@example.com"}),
        make("3", created_at=None),
        make("4", created_at="2026-11-05T00:00:00Z", customer={"email": "other@example.com"}),
    ])
    assert ids(store.find("email", "  JANE.DOE@EXAMPLE.COM ")) == ["2", "1", "3"]
    assert ids(store.find("ref_id", "REF-9")) == ["1"]
    assert ids(store.find("ref_id", "#ref-9")) == ["1"]
    assert store.find("email", "") == []


def test_phone_finds_customer_and_shipping_phones_exactly_and_by_last_seven_digits(store: OrderStore):
    store.upsert([
        make("1", customer={"phone": "+14155550142"}),
        make("2", customer={"phone": None}, shipping_address={"phone": "+14155550142"}),
        make("3", customer={"phone": "+8613805550142"}),  # another country, same last 7 digits
        make("4", customer={"phone": "+14155550143"}),
        make("5", customer={"phone": "555-0142 ext"}),  # not E.164: still a near match by its digits
        make("6", customer={"phone": "12345"}),  # too short for a last-7 key: exact text only
    ])
    assert sorted(ids(store.find("phone", "+14155550142"))) == ["1", "2", "3", "5"]
    assert ids(store.find("phone", "+14155550143")) == ["4"]
    assert ids(store.find("phone", "12345")) == ["6"]
    assert store.find("phone", "+19998887766") == []


def test_an_order_with_the_same_phone_twice_is_returned_once(store: OrderStore):
    store.upsert([make("1", shipping_address={"phone": "+14155550142"})])
    assert ids(store.find("phone", "+14155550142")) == ["1"]


def test_unknown_key_is_a_programming_error(store: OrderStore):
    with pytest.raises(ValueError, match="unknown lookup key"):
        store.find("name", "Jane")  # type: ignore[arg-type]


def test_upsert_counts_inserted_updated_unchanged(store: OrderStore):
    counts = store.upsert([make("1"), make("2")])
    assert (counts.inserted, counts.updated, counts.unchanged) == (2, 0, 0)
    counts = store.upsert([make("1"), make("#2", status="delivered"), make("3")])
    assert (counts.inserted, counts.updated, counts.unchanged) == (1, 1, 1)
    assert store.count() == 3
    assert store.find("order_id", "2")[0].status == "delivered"


def test_an_order_given_twice_in_one_upsert_is_one_order(store: OrderStore):
    counts = store.upsert([make("1"), make("#1", items=[{"sku": "B2", "name": "Stakes"}])])
    assert (counts.inserted, counts.updated, counts.unchanged) == (1, 0, 0)
    assert [i.sku for i in store.find("order_id", "1")[0].items] == ["A1", "B2"]


def test_update_merges_items_by_sku_and_takes_other_fields_from_the_new_order(store: OrderStore):
    store.upsert([make("1", items=[{"sku": "A1", "name": "Tent", "quantity": 1}, {"sku": "B2", "name": "Stakes"}])])
    store.upsert([make("1", status="delivered", items=[{"sku": "B2", "name": "Stakes", "quantity": 4},
                                                        {"sku": "C3", "name": "Lamp"}])])
    order = store.find("order_id", "1")[0]
    assert [(i.sku, i.quantity) for i in order.items] == [("A1", 1), ("B2", 4), ("C3", 1)]
    assert order.status == "delivered"


def test_update_reindexes_email_phone_and_reference(store: OrderStore):
    store.upsert([make("1", external_ref_id="R1")])
    store.upsert([make("1", external_ref_id="R2", customer={"email": "new@example.com", "phone": "+442071838750"})])
    assert store.find("email", "jane.doe@example.com") == []
    assert store.find("phone", "+14155550142") == []
    assert store.find("ref_id", "R1") == []
    assert ids(store.find("email", "new@example.com")) == ["1"]
    assert ids(store.find("phone", "+442071838750")) == ["1"]
    assert ids(store.find("ref_id", "r2")) == ["1"]


def test_merge_orders_matches_by_product_id_and_name_and_drops_keyless_items():
    stored = make("1", items=[{"product_id": "P1", "name": "Tent"}, {"name": "Gift wrap"}, {"quantity": 2}])
    incoming = make("1", items=[{"product_id": "P1", "name": "Tent (green)"}, {"name": "Gift wrap", "quantity": 3}])
    merged = merge_orders(stored, incoming)
    assert [(i.name, i.quantity) for i in merged.items] == [("Tent (green)", 1), ("Gift wrap", 3)]
    assert merge_orders(stored, make("1", items=[])).items == stored.items
    assert merge_orders(incoming, incoming) is incoming


def test_order_without_an_id_cannot_be_stored(store: OrderStore):
    with pytest.raises(ValueError, match="no id"):
        order_row(make(None))
    with pytest.raises(ValueError, match="no id"):
        order_row(make(" # "))


def test_a_failed_batch_leaves_the_store_as_it_was(store: OrderStore):
    store.upsert([make("1")])
    before = store.find("order_id", "1")
    with pytest.raises(RuntimeError), store.batch() as batch:
        batch.write([order_row(make("1", status="delivered")), order_row(make("2"))])
        raise RuntimeError("crash mid-import")
    assert store.count() == 1
    assert store.find("order_id", "1") == before
    with store.batch() as batch:
        batch.write([order_row(make("3"))])
        batch.rollback()
    assert store.count() == 1
    assert (batch.counts().inserted, batch.counts().updated) == (0, 0)


def test_readers_see_the_old_orders_until_the_commit(tmp_path: Path):
    path = tmp_path / "orders.db"
    with OrderStore(path, create=True) as writer:
        writer.upsert([make("1")])
        with OrderStore(path) as reader, writer.batch() as batch:
            batch.write([order_row(make("2"))])
            assert reader.find("order_id", "2") == []
        with OrderStore(path) as reader:
            assert ids(reader.find("order_id", "2")) == ["2"]
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_store_is_usable_from_several_threads(store: OrderStore):
    store.upsert([make(str(i)) for i in range(20)])
    found: list[int] = []

    def look() -> None:
        found.extend(len(store.find("order_id", str(i))) for i in range(20))

    threads = [threading.Thread(target=look) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert found == [1] * 80


def test_missing_or_foreign_files_are_clear_errors(tmp_path: Path):
    with pytest.raises(StoreError, match="no such order store"):
        OrderStore(tmp_path / "nope.db")
    junk = tmp_path / "junk.db"
    junk.write_text("this is not a database" * 100)
    with pytest.raises(StoreError, match="not an order store"):
        OrderStore(junk)


@pytest.mark.parametrize("create", [False, True], ids=["open", "create"])
def test_a_store_in_a_missing_folder_says_the_folder_does_not_exist(tmp_path: Path, create: bool):
    with pytest.raises(StoreError) as caught:
        OrderStore(tmp_path / "data" / "orders.db", create=create)
    assert str(caught.value).startswith(
        f"{tmp_path / 'data' / 'orders.db'}: the folder {tmp_path / 'data'} does not exist")
    assert not (tmp_path / "data").exists()


def test_a_folder_as_the_store_path_is_named_as_one(tmp_path: Path):
    with pytest.raises(StoreError, match="is a folder, not an order store"):
        OrderStore(tmp_path, create=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="the folder .*file is not a folder"):
        OrderStore(tmp_path / "file" / "orders.db", create=True)


def test_a_canonical_orders_json_file_is_served_from_a_cached_database(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = tmp_path / "shop" / "orders.json"
    source.parent.mkdir()
    source.write_text('{"reference_date": "2026-11-25", "orders": [' + make("#1").model_dump_json() + "]}")
    with OrderStore(source) as s:
        assert ids(s.find("order_id", "1")) == ["#1"]
    cached = list((tmp_path / "cache" / "order-assistant").glob("shop-orders-*.db"))
    assert len(cached) == 1
    # A changed file gets a new database; the old one is removed.
    source.write_text("[" + make("#1").model_dump_json() + "," + make("#2").model_dump_json() + "]")
    with OrderStore(source) as s:
        assert s.count() == 2
    assert [p.name for p in (tmp_path / "cache" / "order-assistant").glob("shop-orders-*.db")] != [cached[0].name]
    with pytest.raises(StoreError, match="read-only"):
        OrderStore(source, create=True)


def test_a_json_store_without_a_writable_cache_is_loaded_in_memory(tmp_path: Path, monkeypatch):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    source = tmp_path / "orders.jsonl"
    source.write_text(make("#1").model_dump_json() + "\n\n" + make("#2").model_dump_json() + "\n")
    with OrderStore(source) as s:
        assert s.count() == 2


def test_an_invalid_json_store_names_the_file_and_the_order(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = tmp_path / "orders.json"
    source.write_text('[{"id": "1", "status": "lost in space"}]')
    with pytest.raises(StoreError, match=r"orders.json: order 1: status"):
        OrderStore(source)
    source.write_text('{"orders": 5}')
    with pytest.raises(StoreError, match="expected a list"):
        OrderStore(source)


def test_a_record_given_again_keeps_what_it_leaves_empty(store: OrderStore):
    """A later export row without the phone, address line or tracking must not erase them: the shopper could no
    longer verify with that phone, or track the parcel."""
    first = make("1", customer={"email": "jane.doe@example.com", "phone": "+14155550142", "name": "Jane"},
                 shipments=[{"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}], total="10.00")
    store.upsert([first])
    again = make("1", customer={"email": "jane.doe@example.com"}, shipments=[], total=None, status="unknown",
                 items=[{"sku": "C3", "name": "Lamp"}])
    store.upsert([again])
    (order,) = store.find("phone", "+14155550142")
    assert (order.customer.phone, order.customer.name) == ("+14155550142", "Jane")
    assert order.shipments[0].tracking_number == "1Z999AA10123456784"
    assert order.total == Decimal("10.00") and order.status == first.status
    assert [i.sku for i in order.items][-1] == "C3"
    # What the new record does give wins.
    store.upsert([make("1", customer={"email": "jane.doe@example.com", "phone": "+14155550143"}, status="delivered")])
    (order,) = store.find("order_id", "1")
    assert (order.customer.phone, order.status) == ("+14155550143", "delivered")
