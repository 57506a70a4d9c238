"""Bulk import: validation before writing, upserts and merges, rejects, one transaction, parallel pieces."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tools import importer
from tools.errors import SampleError
from tools.importer import format_result, import_file, rejects_path_for
from tools.mapping import load_mapping
from tools.store import OrderStore

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def generic():
    return load_mapping("generic", region="US")


@pytest.fixture
def rows_mapping(fixtures: Path):
    return load_mapping(fixtures / "import_rows_mapping.yaml")


def counts(result) -> tuple[int, int, int, int]:
    return result.inserted, result.updated, result.unchanged, result.rejected


def test_jsonl_import_then_reimport_is_unchanged(tmp_path: Path, fixtures: Path, generic):
    db = tmp_path / "orders.db"
    result = import_file(db, fixtures / "import_orders.jsonl", generic)
    assert counts(result) == (3, 0, 0, 0) and result.exit_code == 0
    with OrderStore(db) as store:
        order = store.find("order_id", "1042")[0]
        assert order.customer.phone == "+14155550142"
        assert [o.id for o in store.find("email", "jane.doe@example.com")] == ["1043", "#1042"]
        assert [o.id for o in store.find("phone", "+14155550199")] == ["#1042"]  # the shipping phone
        assert order.shipments[0].carrier == "UPS"
    again = import_file(db, fixtures / "import_orders.jsonl", generic)
    assert counts(again) == (0, 0, 3, 0)


def test_changed_orders_are_updated(tmp_path: Path, fixtures: Path, generic):
    db = tmp_path / "orders.db"
    import_file(db, fixtures / "import_orders.jsonl", generic)
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps([{"id": "1043", "status": "shipped", "customer": {"email": "jane.doe@example.com"},
                                    "items": [{"sku": "LAMP", "name": "Lamp"}]},
                                   {"id": "N-1", "status": "pending"}]))
    result = import_file(db, changed, generic)
    assert counts(result) == (1, 1, 0, 0)
    with OrderStore(db) as store:
        order = store.find("order_id", "1043")[0]
    # Items of the stored order that the new export does not mention are kept.
    assert [i.sku for i in order.items] == ["MUG-TI", "LAMP"]
    assert order.status == "shipped"


def test_rows_of_one_order_merge_and_the_same_product_updates(tmp_path: Path, fixtures: Path, rows_mapping):
    db = tmp_path / "orders.db"
    result = import_file(db, fixtures / "import_rows.csv", rows_mapping)
    assert counts(result) == (2, 0, 0, 0)
    with OrderStore(db) as store:
        so1 = store.find("order_id", "so-1")[0]
        assert [(i.product_id, i.quantity) for i in so1.items] == [("P-1", 1), ("P-2", 3)]
        assert so1.customer.phone == "+8613800138000"
    # A later export: a new product joins the order, an existing product is replaced, the rest is kept.
    result = import_file(db, fixtures / "import_rows_more.csv", rows_mapping)
    assert counts(result) == (0, 1, 0, 0)
    with OrderStore(db) as store:
        so1 = store.find("order_id", "SO-1")[0]
        assert [(i.product_id, i.name) for i in so1.items] == [("P-1", "Tent (green)"), ("P-2", "Stakes"),
                                                               ("P-3", "Lantern")]
        assert so1.status == "delivered"
        assert store.count() == 2


def test_the_same_order_twice_in_a_file_is_one_order(tmp_path: Path, generic):
    file = tmp_path / "dupes.jsonl"
    file.write_text('{"id": "7", "items": [{"sku": "A"}]}\n'
                    '{"id": "#7", "status": "shipped", "items": [{"sku": "B"}]}\n')
    result = import_file(tmp_path / "orders.db", file, generic)
    assert counts(result) == (1, 0, 0, 0)
    with OrderStore(tmp_path / "orders.db") as store:
        order = store.find("order_id", "7")[0]
    assert ([i.sku for i in order.items], order.status) == (["A", "B"], "shipped")


def test_bad_rows_stop_the_import_and_are_all_reported(tmp_path: Path, fixtures: Path, generic):
    db = tmp_path / "orders.db"
    result = import_file(db, fixtures / "import_bad.jsonl", generic)
    assert result.exit_code == 1 and not result.written
    assert [(b.where, b.field) for b in result.errors] == [("line 2", "id"), ("line 3", "total")]
    assert "ten dollars" in result.errors[1].reason or "decimal" in result.errors[1].reason.lower()
    assert counts(result) == (0, 0, 0, 2)
    assert not db.exists()  # nothing written, not even an empty store
    text = format_result(result, as_json=False)
    assert "nothing was imported" in text and "line 2: id: missing" in text and "line 3: total" in text
    report = json.loads(format_result(result, as_json=True))
    assert set(report) == {"inserted", "updated", "unchanged", "rejected", "errors"}
    assert report["errors"][0] == {"where": "line 2", "field": "id", "reason": result.errors[0].reason}


def test_bad_rows_leave_an_existing_store_untouched(tmp_path: Path, fixtures: Path, generic):
    db = tmp_path / "orders.db"
    import_file(db, fixtures / "import_orders.jsonl", generic)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "#1042", "status": "cancelled"}\n{"status": "pending"}\n')
    result = import_file(db, bad, generic)
    assert result.exit_code == 1
    with OrderStore(db) as store:
        assert store.find("order_id", "1042")[0].status == "shipped"


def test_skip_invalid_writes_good_rows_and_the_rejects(tmp_path: Path, fixtures: Path, generic):
    file = tmp_path / "import_bad.jsonl"
    shutil.copy(fixtures / "import_bad.jsonl", file)
    result = import_file(tmp_path / "orders.db", file, generic, skip_invalid=True)
    assert counts(result) == (2, 0, 0, 2) and result.exit_code == 0
    assert result.rejects_path == tmp_path / "import_bad.jsonl.rejects.jsonl"
    rejects = [json.loads(line) for line in result.rejects_path.read_text().splitlines()]
    assert [r["where"] for r in rejects] == ["line 2", "line 3"]
    assert rejects[0]["record"] == {"status": "shipped", "customer": {"email": "noid@example.com"}, "total": "5.00"}
    assert rejects[0]["reason"].startswith("id: missing")
    assert "written to" in format_result(result, as_json=False)
    assert json.loads(format_result(result, as_json=True))["rejected"] == 2

    chosen = tmp_path / "out" / "rej.jsonl"
    chosen.parent.mkdir()
    result = import_file(tmp_path / "orders.db", file, generic, skip_invalid=True, rejects_path=chosen)
    assert counts(result) == (0, 0, 2, 2)
    assert len(chosen.read_text().splitlines()) == 2


def test_json_without_line_numbers_names_records(tmp_path: Path, generic):
    file = tmp_path / "orders.json"
    file.write_text(json.dumps({"orders": [{"id": "1"}, {"status": "pending"}]}))
    result = import_file(tmp_path / "orders.db", file, generic)
    assert [b.where for b in result.errors] == ["record 2"]


def test_grouped_rows_of_a_rejected_order_are_all_rejected(tmp_path: Path, rows_mapping):
    file = tmp_path / "rows.csv"
    file.write_text("order_no,product_id,product,qty,price,status,time,mobile\n"
                    "SO-1,P-1,Tent,1,lots,Shipped,2026-11-01 10:00:00,13800138000\n"
                    "SO-2,P-1,Tent,1,10,Shipped,2026-11-01 10:00:00,13800138000\n"
                    "SO-1,P-2,Stakes,2,12.50,Shipped,2026-11-01 10:00:00,13800138000\n"
                    ",P-3,Lamp,1,5,Shipped,2026-11-01 10:00:00,13800138000\n")
    result = import_file(tmp_path / "orders.db", file, rows_mapping, skip_invalid=True)
    assert [b.where for b in result.errors] == ["line 2", "line 4", "line 5"]
    assert counts(result)[:2] == (1, 0)
    assert result.rejects_path is not None
    assert len(result.rejects_path.read_text().splitlines()) == 3


def test_a_chinese_export_writing_the_yuan_as_a_sign_imports_under_a_cny_default(tmp_path: Path):
    mapping = tmp_path / "cn.yaml"
    mapping.write_text("defaults: {timezone: Asia/Shanghai, currency: CNY, region: CN}\n"
                       "order: {id: 订单号, status: {path: 状态, map: {已发货: shipped, 待发货: processing}},\n"
                       "        customer: {phone: 手机}, total: 实付金额, currency: 币种,\n"
                       "        items: {each: $, fields: {name: 商品, quantity: 数量, price: 单价}}}\n",
                       encoding="utf-8")
    file = tmp_path / "订单.csv"
    file.write_text("订单号,状态,手机,商品,数量,单价,实付金额,币种\n"
                    "SO-1,已发货,13800138000,茶杯,1,59.00,59.00,¥\n"
                    "SO-2,待发货,13900139000,茶壶,2,100.00,200.00,￥\n"
                    "SO-3,待发货,13700137000,茶叶,1,88.00,88.00,人民币\n", encoding="utf-8")
    result = import_file(tmp_path / "orders.db", file, load_mapping(mapping))
    assert counts(result) == (3, 0, 0, 0) and result.errors == []
    with OrderStore(tmp_path / "orders.db") as store:
        assert [(o.currency, str(o.total)) for o in (store.find("order_id", n)[0] for n in ("SO-1", "SO-2", "SO-3"))
                ] == [("CNY", "59.00"), ("CNY", "200.00"), ("CNY", "88.00")]
    # The same export under a mapping with no default currency is refused whole, each "¥" row named.
    mapping.write_text(mapping.read_text(encoding="utf-8").replace(" currency: CNY,", ""), encoding="utf-8")
    refused = import_file(tmp_path / "other.db", file, load_mapping(mapping))
    assert not refused.written and [(b.where, b.field) for b in refused.errors] == [("line 2", "currency"),
                                                                                   ("line 3", "currency")]
    assert "'¥' can be JPY or CNY: set the mapping's default currency" in refused.errors[0].reason


def test_unreadable_files_raise_sample_errors(tmp_path: Path, generic):
    with pytest.raises(SampleError, match="no such file"):
        import_file(tmp_path / "orders.db", tmp_path / "missing.jsonl", generic)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "1"}\n{"id": \n')
    with pytest.raises(SampleError, match="line 2"):
        import_file(tmp_path / "orders.db", broken, generic)
    assert not (tmp_path / "orders.db").exists()


def _big_jsonl(path: Path, n: int, bad: set[int] = frozenset(), blank_every: int = 0) -> None:
    lines = []
    for i in range(n):
        if blank_every and i % blank_every == 0:
            lines.append("")
        record = {"status": "shipped"} if i in bad else {
            "id": f"#{i}", "status": "shipped", "created_at": "2026-11-01T10:00:00Z",
            "customer": {"email": f"c{i % 50}@example.com", "phone": f"+1415555{i % 10000:04d}"},
            "items": [{"sku": "A", "name": "名字", "price": "1.50"}]}
        lines.append(json.dumps(record, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_large_jsonl_files_are_split_across_workers_with_the_same_outcome(tmp_path: Path, generic, monkeypatch):
    file = tmp_path / "big.jsonl"
    _big_jsonl(file, 600, bad={0, 299, 599}, blank_every=7)
    serial = import_file(tmp_path / "a.db", file, generic, skip_invalid=True, workers=1)
    monkeypatch.setattr(importer, "SPLIT_FROM_BYTES", 1)
    split = import_file(tmp_path / "b.db", file, generic, skip_invalid=True, workers=2)
    assert counts(split) == counts(serial) == (597, 0, 0, 3)
    assert [b.where for b in split.errors] == [b.where for b in serial.errors]
    assert [b.index for b in split.errors] == [b.index for b in serial.errors] == [0, 299, 599]
    with OrderStore(tmp_path / "a.db") as a, OrderStore(tmp_path / "b.db") as b:
        assert a.find("email", "c7@example.com") == b.find("email", "c7@example.com")
        assert a.all_orders() == b.all_orders()


def test_split_jsonl_reports_invalid_json_at_its_line_in_the_whole_file(tmp_path: Path, generic, monkeypatch):
    file = tmp_path / "big.jsonl"
    _big_jsonl(file, 400, blank_every=9)
    lines = file.read_text().splitlines()
    lines[350] = '{"id": oops}'
    file.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(importer, "SPLIT_FROM_BYTES", 1)
    with pytest.raises(SampleError, match=r"line 351, column 8: invalid JSON"):
        import_file(tmp_path / "b.db", file, generic, workers=2)


def test_split_jsonl_in_gb18030_falls_back_to_reading_the_whole_file(tmp_path: Path, generic, monkeypatch):
    file = tmp_path / "gbk.jsonl"
    file.write_bytes('{"id": "1", "items": [{"name": "睡袋"}]}\n'.encode("gb18030") * 3)
    monkeypatch.setattr(importer, "SPLIT_FROM_BYTES", 1)
    result = import_file(tmp_path / "orders.db", file, generic, workers=2)
    assert counts(result) == (1, 0, 0, 0)
    with OrderStore(tmp_path / "orders.db") as store:
        assert store.find("order_id", "1")[0].items[0].name == "睡袋"


def test_large_payloads_are_mapped_by_forked_workers(tmp_path: Path, generic, monkeypatch):
    file = tmp_path / "big.json"
    _big_jsonl(tmp_path / "rows.jsonl", 300, bad={150})
    file.write_text(json.dumps([json.loads(line) for line in (tmp_path / "rows.jsonl").read_text().splitlines()]))
    monkeypatch.setattr(importer, "PARALLEL_FROM", 10)
    result = import_file(tmp_path / "orders.db", file, generic, skip_invalid=True, workers=2)
    assert counts(result) == (299, 0, 0, 1)
    assert [b.where for b in result.errors] == ["record 151"]


def test_grouped_rows_are_mapped_by_forked_workers_with_the_serial_outcome(tmp_path: Path, monkeypatch):
    sobot = load_mapping("sobot")
    header = "Order No.,Order Status,Order Time,Buyer Mobile No.,Product SKU,Product Name,Quantity,Price,Order Amount"
    rows = [header]
    for i in range(200):
        for sku in ("A", "B") if i % 3 else ("A",):
            rows.append(f"SO{i},Paid,2022-09-14 11:03:23,1380013{i:04d},{sku},Mug {sku},1,9.50,19.00")
    rows[57] = ",Paid,2022-09-14 11:03:23,13800130000,A,Mug,1,9.50,9.50"  # no order no.: the row is rejected
    rows[120] = rows[120].replace("2022-09-14 11:03:23", "not a time")  # rejects its whole order
    rows.append("SO5,Shipped,2022-09-14 11:03:23,13800130005,C,Mug C,2,9.50,38.00")  # a late row of order SO5
    file = tmp_path / "rows.csv"
    file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    serial = import_file(tmp_path / "a.db", file, sobot, skip_invalid=True, workers=1)
    monkeypatch.setattr(importer, "PARALLEL_FROM", 10)
    forked = import_file(tmp_path / "b.db", file, sobot, skip_invalid=True, workers=2)
    assert counts(forked) == counts(serial)
    assert [(b.index, b.where, b.field) for b in forked.errors] == [(b.index, b.where, b.field) for b in serial.errors]
    assert {b.where for b in serial.errors} >= {"line 58", "line 121"} and len(serial.errors) >= 3
    with OrderStore(tmp_path / "a.db") as a, OrderStore(tmp_path / "b.db") as b:
        assert a.all_orders() == b.all_orders()
        (late,) = b.find("order_id", "SO5")
        assert late.status.value == "shipped" and [i.sku for i in late.items] == ["A", "B", "C"]


def _import_and_die(db: Path, file: Path) -> None:
    """Import in a child process that dies by SIGKILL after writing its orders, inside the transaction."""
    script = textwrap.dedent(f"""
        import os, signal
        from tools import store
        from tools.importer import import_file
        from tools.mapping import load_mapping
        write = store.Batch.write
        def write_then_die(self, rows):
            write(self, rows)
            os.kill(os.getpid(), signal.SIGKILL)
        store.Batch.write = write_then_die
        import_file({str(db)!r}, {str(file)!r}, load_mapping("generic"))
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=60)
    assert proc.returncode == -9, proc.stderr.decode()


def test_a_killed_import_leaves_the_store_as_it_was(tmp_path: Path, fixtures: Path, generic):
    db = tmp_path / "orders.db"
    import_file(db, fixtures / "import_orders.jsonl", generic)
    big = tmp_path / "big.jsonl"
    _big_jsonl(big, 300)
    _import_and_die(db, big)
    with OrderStore(db) as store:
        assert store.count() == 3
        assert store.find("order_id", "#5") == []
    assert counts(import_file(db, big, generic)) == (300, 0, 0, 0)


def test_a_killed_first_import_leaves_an_empty_store(tmp_path: Path):
    db = tmp_path / "new.db"
    big = tmp_path / "big.jsonl"
    _big_jsonl(big, 50)
    _import_and_die(db, big)
    with OrderStore(db) as store:
        assert store.count() == 0


def test_an_unwritable_rejects_file_stops_the_import_before_anything_is_written(tmp_path: Path, fixtures: Path,
                                                                                 generic):
    with pytest.raises(SampleError, match="cannot write the rejected rows there"):
        import_file(tmp_path / "orders.db", fixtures / "import_bad.jsonl", generic, skip_invalid=True,
                    rejects_path=tmp_path / "no-such-folder" / "rejects.jsonl")
    assert not (tmp_path / "orders.db").exists()
    good = import_file(tmp_path / "orders.db", fixtures / "import_orders.jsonl", generic, skip_invalid=True)
    assert good.written and not good.errors and not rejects_path_for(fixtures / "import_orders.jsonl").exists()


def _orders_file(path: Path, *orders: dict) -> Path:
    path.write_text(json.dumps(list(orders)), encoding="utf-8")
    return path


def _order(order_id: str, email: str, *skus: str) -> dict:
    return {"id": order_id, "status": "processing", "customer": {"email": email}, "currency": "USD",
            "total": str(len(skus)), "items": [{"sku": sku, "price": "1"} for sku in skus]}


def test_an_order_given_again_merges_items_by_default_and_is_replaced_whole_with_replace(tmp_path: Path, generic):
    store = tmp_path / "orders.db"
    import_file(store, _orders_file(tmp_path / "a.json", _order("R1", "r@example.com", "A", "B")), generic)
    second = _orders_file(tmp_path / "b.json", _order("R1", "r@example.com", "A"))
    merged = import_file(store, second, generic)
    with OrderStore(store) as s:
        assert [i.sku for i in s.find("order_id", "R1")[0].items] == ["A", "B"]  # B kept: Sobot's rule
    assert counts(merged) == (0, 1, 0, 0)  # the total changed; the items merged
    replaced = import_file(store, second, generic, replace=True)
    assert counts(replaced) == (0, 1, 0, 0) and replaced.replaced
    with OrderStore(store) as s:
        assert [i.sku for i in s.find("order_id", "R1")[0].items] == ["A"]


def test_order_numbers_repeated_in_one_file_are_reported(tmp_path: Path, generic):
    file = _orders_file(tmp_path / "dupes.json", _order("D1", "a@example.com", "A"),
                        _order("#d1", "b@example.com", "B"), _order("D2", "c@example.com", "C"))
    result = import_file(tmp_path / "orders.db", file, generic)
    assert counts(result) == (2, 0, 0, 0) and result.repeated == ["D1"]
    assert result.conflicts == ["D1"]  # b@ is not a@: see the test below
    text = format_result(result, as_json=False)
    assert "1 order number(s) came in more than one record (merged into one order, items by SKU): D1" in text
    assert json.loads(format_result(result, as_json=True))["repeated_order_numbers"] == ["D1"]
    replaced = import_file(tmp_path / "other.db", file, generic, replace=True)
    assert "the last record kept" in format_result(replaced, as_json=False)
    with OrderStore(tmp_path / "other.db") as s:
        (order,) = s.find("order_id", "D1")
        assert (order.customer.email, [i.sku for i in order.items]) == ("b@example.com", ["B"])


def test_orders_without_what_shoppers_ask_about_are_imported_and_counted(tmp_path: Path, generic):
    file = _orders_file(tmp_path / "thin.json", {"id": "M1"}, {"id": "M2", "status": "zzz", "email": "a@b.co"},
                        _order("M3", "c@d.co", "A"))
    result = import_file(tmp_path / "orders.db", file, generic)
    assert counts(result) == (3, 0, 0, 0)
    assert result.incomplete == 2 and result.missing["status"] == 2 and result.missing["email or phone"] == 1
    assert "note: 2 order(s) lack what shoppers ask about: status (2)" in format_result(result, as_json=False)
    assert json.loads(format_result(result, as_json=True))["incomplete"] == 2


def _die(bounds: tuple[int, int]) -> None:
    os._exit(3)  # a worker killed mid-import (out of memory, a signal)


def test_a_worker_that_dies_does_not_hang_the_import_it_is_redone_in_one_process(tmp_path: Path, generic,
                                                                                 monkeypatch, caplog):
    file = tmp_path / "big.json"
    _big_jsonl(tmp_path / "rows.jsonl", 300)
    file.write_text(json.dumps([json.loads(line) for line in (tmp_path / "rows.jsonl").read_text().splitlines()]))
    monkeypatch.setattr(importer, "PARALLEL_FROM", 10)
    monkeypatch.setattr(importer, "_records_part", _die)
    with caplog.at_level("WARNING", logger="order_assistant.importer"):
        result = import_file(tmp_path / "orders.db", file, generic, workers=2)
    assert counts(result) == (300, 0, 0, 0) and result.written
    assert "an import worker died" in caplog.text


def test_an_empty_file_says_it_has_no_orders(tmp_path: Path, generic):
    result = import_file(tmp_path / "orders.db", _orders_file(tmp_path / "empty.json"), generic)
    assert counts(result) == (0, 0, 0, 0)
    assert "has no orders" in format_result(result, as_json=False)


def test_a_record_for_another_customer_under_the_same_number_replaces_rather_than_merges(tmp_path: Path, generic):
    """"#1001" and "1001" are one order number to the store: a record of it for another customer is another
    order, and merging would show that customer the first one's items."""
    db = tmp_path / "orders.db"
    import_file(db, _orders_file(tmp_path / "a.json", _order("1001", "a@example.com", "THING")), generic)
    again = import_file(db, _orders_file(tmp_path / "b.json", _order("1001", "A@Example.com", "MORE")), generic)
    assert again.conflicts == []  # the same customer, email compared as stored: items merge
    other = import_file(db, _orders_file(tmp_path / "c.json", _order("#1001", "c@example.com", "OTHER")), generic)
    assert other.conflicts == ["1001"] and counts(other) == (0, 1, 0, 0)
    with OrderStore(db) as store:
        (order,) = store.find("order_id", "1001")
        assert (order.customer.email, [i.sku for i in order.items]) == ("c@example.com", ["OTHER"])
    text = format_result(other, as_json=False)
    assert "warning: 1 order number(s) name another customer" in text and text.endswith(": 1001")
    assert json.loads(format_result(other, as_json=True))["other_customer_order_numbers"] == ["1001"]


def test_orders_with_a_total_far_from_their_items_are_imported_with_a_warning(tmp_path: Path, generic):
    far = [dict(_order(f"T{n}", "t@example.com", "A", "B"), total=total) for n, total in enumerate(["0.5", "300"])]
    file = _orders_file(tmp_path / "totals.json", *far, _order("T9", "t@example.com", "A", "B"))
    result = import_file(tmp_path / "orders.db", file, generic)
    assert counts(result) == (3, 0, 0, 0)
    assert result.far_totals == 2
    text = format_result(result, as_json=False)
    assert ("warning: 2 order(s) have a total far from what their items add up to (under 50% or over 10x the "
            "items' price x quantity)") in text
    assert "order T0: total 0.5, items 2; order T1: total 300, items 2;" in text and "T9" not in text
    assert json.loads(format_result(result, as_json=True))["far_totals"] == 2


def test_an_email_only_record_and_a_phone_only_record_are_not_one_customer(tmp_path: Path, generic):
    """Nothing shows the two are one shopper: the phone's owner must not see the email's owner's items."""
    db = tmp_path / "orders.db"
    import_file(db, _orders_file(tmp_path / "a.json", _order("1001", "alice@example.com", "SECRET")), generic)
    bob = {**_order("#1001", "", "B-1"), "customer": {"phone": "+14155550177", "name": "Bob"}}
    result = import_file(db, _orders_file(tmp_path / "b.json", bob), generic)
    assert result.conflicts == ["1001"]
    with OrderStore(db) as store:
        assert [i.sku for i in store.find("order_id", "1001")[0].items] == ["B-1"]
    # A record naming no customer at all (a status update) still merges.
    update = {"id": "1001", "status": "shipped", "items": [{"sku": "B-2", "price": "1"}]}
    assert import_file(db, _orders_file(tmp_path / "c.json", update), generic).conflicts == []
    with OrderStore(db) as store:
        assert [i.sku for i in store.find("order_id", "1001")[0].items] == ["B-1", "B-2"]


# -- where the rejected rows may go


@pytest.mark.parametrize("target", ["store", "store-wal", "store-shm", "store-journal", "input", "input-by-link"])
def test_a_rejects_path_that_is_the_input_or_the_store_is_refused_before_anything_is_imported(tmp_path: Path,
                                                                                            fixtures: Path, generic,
                                                                                            capsys, target):
    from assistant.cli import main

    db = tmp_path / "orders.db"
    import_file(db, fixtures / "import_orders.jsonl", generic)
    export = tmp_path / "export.jsonl"
    shutil.copy(fixtures / "import_bad.jsonl", export)
    before = export.read_bytes(), db.read_bytes()
    rejects = {"store": db, "input": export}.get(target, tmp_path / f"orders.db-{target.partition('-')[2]}")
    if target == "input-by-link":
        rejects = tmp_path / "link.jsonl"
        rejects.symlink_to(export)
    assert main(["import", str(export), "--preset", "generic", "--store", str(db), "--skip-invalid",
                 "--rejects", str(rejects)]) == 2
    err = capsys.readouterr().err
    assert "cannot write the rejected rows there: it is the" in err and len(err.strip().splitlines()) == 1
    assert (export.read_bytes(), db.read_bytes()) == before
    with OrderStore(db) as store:
        assert store.count() == 3


def test_a_rejects_path_that_is_the_mapping_file_is_refused(tmp_path: Path, fixtures: Path, capsys):
    from assistant.cli import main

    mapping = tmp_path / "m.yaml"
    mapping.write_text("order: {id: id}\n")
    with pytest.raises(SystemExit) as exit_:
        main(["import", str(fixtures / "import_bad.jsonl"), "--mapping", str(mapping), "--skip-invalid",
              "--store", str(tmp_path / "o.db"), "--rejects", str(mapping)])
    assert exit_.value.code == 2
    assert "it is the mapping file" in capsys.readouterr().err
    assert mapping.read_text() == "order: {id: id}\n"


def test_skip_invalid_fails_when_every_row_is_rejected(tmp_path: Path, generic, capsys):
    from assistant.cli import main

    file = _orders_file(tmp_path / "bad.json", {"id": "B1", "total": "abc"}, {"id": "B2", "total": "xyz"})
    result = import_file(tmp_path / "orders.db", file, generic, skip_invalid=True)
    assert counts(result) == (0, 0, 0, 2) and result.all_rejected and result.exit_code == 1
    assert main(["import", str(file), "--preset", "generic", "--store", str(tmp_path / "o.db"), "--skip-invalid"]) == 1
    out = capsys.readouterr().out
    assert f"error: every row of {file} was rejected; nothing was imported" in out
    assert rejects_path_for(file).exists()  # the rows are still there to fix
    one_good = _orders_file(tmp_path / "mixed.json", {"id": "B1", "total": "abc"}, _order("G1", "g@example.com", "A"))
    assert import_file(tmp_path / "orders.db", one_good, generic, skip_invalid=True).exit_code == 0


def test_the_rejects_of_an_earlier_run_are_removed_when_a_run_rejects_nothing(tmp_path: Path, generic):
    file = _orders_file(tmp_path / "orders.json", {"id": "B1", "total": "abc"}, _order("G1", "g@example.com", "A"))
    first = import_file(tmp_path / "orders.db", file, generic, skip_invalid=True)
    assert first.rejects_path == rejects_path_for(file) and rejects_path_for(file).exists()
    _orders_file(file, _order("B1", "b@example.com", "A"), _order("G1", "g@example.com", "A"))  # fixed
    second = import_file(tmp_path / "orders.db", file, generic, skip_invalid=True)
    assert second.old_rejects == rejects_path_for(file) and not rejects_path_for(file).exists()
    assert "removed " + str(rejects_path_for(file)) in format_result(second, as_json=False)
    third = import_file(tmp_path / "orders.db", file, generic, skip_invalid=True)
    assert third.old_rejects is None and "removed" not in format_result(third, as_json=False)
    # Without --skip-invalid there is no rejects file to speak of: whatever is there stays.
    rejects_path_for(file).write_text("{}\n")
    assert import_file(tmp_path / "orders.db", file, generic).old_rejects is None and rejects_path_for(file).exists()


# -- the total warning judges the order as imported


def test_the_total_warning_judges_an_order_given_in_several_records_as_merged(tmp_path: Path, generic):
    # The second record adds an item worth 5 to an order of 59.99: its own items are far from the total, the
    # merged order's are not.
    first = {**_order("ORD-1", "a@example.com"), "total": "59.99", "items": [{"sku": "A", "price": "59.99"}]}
    second = {**_order("ORD-1", "a@example.com"), "total": "59.99", "items": [{"sku": "NEW", "price": "5"}]}
    result = import_file(tmp_path / "orders.db", _orders_file(tmp_path / "dup.json", first, second), generic)
    assert result.repeated == ["ORD-1"] and result.far_totals == 0
    assert "far from" not in format_result(result, as_json=False)
    # The same record given after the first was imported merges into the stored order: judged as merged too.
    import_file(tmp_path / "b.db", _orders_file(tmp_path / "first.json", first), generic)
    later = import_file(tmp_path / "b.db", _orders_file(tmp_path / "second.json", second), generic)
    assert counts(later) == (0, 1, 0, 0) and later.far_totals == 0
    # A merged order that is far is still reported, once.
    cents = {**_order("ORD-2", "c@example.com"), "total": "6499", "items": [{"sku": "A", "price": "59.99"}]}
    again = {**cents, "items": [{"sku": "NEW", "price": "5"}]}
    far = import_file(tmp_path / "c.db", _orders_file(tmp_path / "far.json", cents, again), generic)
    assert far.far_totals == 1 and far.far_total_examples == ["order ORD-2: total 6499, items 64.99"]


# -- SIGINT and SIGTERM: the store unchanged (or said to have changed), the workers gone


def _interrupt_while(monkeypatch, target: object, name: str, signum: int) -> None:
    original = getattr(target, name)

    def interrupted(*args, **kwargs):
        result = original(*args, **kwargs)
        os.kill(os.getpid(), signum)
        return result

    monkeypatch.setattr(target, name, interrupted)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_import_says_nothing_was_imported_and_the_store_is_unchanged(tmp_path: Path, fixtures: Path,
                                                                                   generic, monkeypatch, capsys,
                                                                                   signum, code):
    from assistant.cli import main
    from tools import store

    db = tmp_path / "orders.db"
    import_file(db, fixtures / "import_orders.jsonl", generic)
    before = db.read_bytes()
    big = tmp_path / "big.jsonl"
    _big_jsonl(big, 50)
    _interrupt_while(monkeypatch, store.Batch, "write", signum)
    assert main(["import", str(big), "--preset", "generic", "--store", str(db)]) == code
    captured = capsys.readouterr()
    assert captured.err == "order-assistant: interrupted; nothing was imported, the store is unchanged\n"
    assert captured.out == ""
    assert db.read_bytes() == before
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handlers are put back
    # A first import interrupted leaves no store behind.
    assert main(["import", str(big), "--preset", "generic", "--store", str(tmp_path / "new.db")]) == code
    assert not list(tmp_path.glob("new.db*"))


def test_a_signal_during_the_commit_waits_and_then_says_the_import_was_committed(tmp_path: Path, generic,
                                                                                monkeypatch, capsys):
    from assistant.cli import main

    big = tmp_path / "big.jsonl"
    _big_jsonl(big, 50)
    _interrupt_while(monkeypatch, OrderStore, "close", signal.SIGTERM)  # closed just after the commit
    assert main(["import", str(big), "--preset", "generic", "--store", str(tmp_path / "orders.db")]) == 143
    captured = capsys.readouterr()
    assert captured.out.startswith("50 inserted, 0 updated, 0 unchanged, 0 rejected")
    assert "interrupted after the import was committed" in captured.err
    monkeypatch.undo()
    with OrderStore(tmp_path / "orders.db") as store:
        assert store.count() == 50


_SLOW_WORKERS = """
import os, sys, time
from pathlib import Path
from tools import importer
from tools.importer import import_file
from tools.mapping import load_mapping

pids = Path(sys.argv[1])

def slow(bounds):
    (pids / str(os.getpid())).touch()
    time.sleep(float(sys.argv[3]))
    return importer._Part([], [], bounds[1] - bounds[0])

importer._records_part = slow
importer.PARALLEL_FROM = 10
if sys.argv[2] == "watch":  # as where the kernel cannot end a worker with its parent
    importer._killed_with_parent = lambda parent: False
if sys.argv[4] == "cli":
    os.cpu_count = lambda: 2  # workers even on a one-CPU machine
    from assistant.cli import main
    sys.exit(main(["import", sys.argv[5], "--preset", "generic", "--store", sys.argv[6]]))
import_file(sys.argv[6], sys.argv[5], load_mapping("generic"), workers=2)
"""


def _start_slow_import(tmp_path: Path, how: str, seconds: float, via: str) -> tuple[subprocess.Popen, list[int]]:
    pids = tmp_path / "pids"
    pids.mkdir()
    file = tmp_path / "big.json"
    _big_jsonl(tmp_path / "rows.jsonl", 40)
    file.write_text(json.dumps([json.loads(line) for line in (tmp_path / "rows.jsonl").read_text().splitlines()]))
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WORKERS, str(pids), how, str(seconds), via, str(file),
                             str(tmp_path / "orders.db")], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    try:
        while len(list(pids.iterdir())) < 2:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.05)
    except BaseException:
        proc.kill()
        _kill([int(p.name) for p in pids.iterdir()])
        raise
    return proc, [int(p.name) for p in pids.iterdir()]


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rpartition(")")[2].split()[0] == "Z"  # a zombie has ended; only its entry is left
    except FileNotFoundError:
        return True


def _wait_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(map(_gone, pids)):
        time.sleep(0.05)
    return [pid for pid in pids if not _gone(pid)]


@pytest.mark.skipif(not sys.platform.startswith("linux") or not importer._can_fork(), reason="Linux /proc, fork")
@pytest.mark.parametrize("how", ["kernel", "watch"])
def test_workers_end_when_the_import_is_killed(tmp_path: Path, how):
    proc, workers = _start_slow_import(tmp_path, how, 60, "api")
    proc.kill()
    proc.communicate()
    try:
        assert _wait_gone(workers, 5) == []
    finally:
        _kill(workers)


def _kill(pids: list[int]) -> None:
    """End what a failing test would leave behind."""
    for pid in pids:
        if not _gone(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux") or not importer._can_fork(), reason="Linux /proc, fork")
def test_sigterm_ends_an_import_and_its_workers_like_ctrl_c(tmp_path: Path):
    proc, workers = _start_slow_import(tmp_path, "kernel", 0.5, "cli")
    try:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 143, err.decode()
        assert err.decode() == "order-assistant: interrupted; nothing was imported, the store is unchanged\n"
        assert _wait_gone(workers, 5) == []
        assert not list(tmp_path.glob("orders.db*"))
    finally:
        proc.kill()
        _kill(workers)
