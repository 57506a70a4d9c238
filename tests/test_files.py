"""Reading merchant files. CSV quoting mistakes are errors naming the line, never a field that swallows the rest of
the file. Excel (.xlsx) exports read like their CSV export: the header row names the fields, cells become the text
a CSV would hold, and a bad workbook is a one-line error naming the file and the row."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from assistant.cli import main
from tests.conftest import SAMPLES
from tools.errors import SampleError
from tools.files import read_payload
from tools.importer import import_file
from tools.mapping import load_mapping
from tools.store import OrderStore


def _typed(value: str) -> object:
    """A CSV cell as a spreadsheet holds it: times as dates, whole numbers and prices as numbers."""
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007 -- spreadsheet cells hold no zone
    except ValueError:
        pass
    if value.isdigit() and len(value) <= 15:
        return int(value)
    try:
        return float(value) if "." in value else value
    except ValueError:
        return value


def sobot_workbook(path: Path, rows: list[list[str]] | None = None) -> Path:
    """The bundled Sobot sample as an .xlsx of typed cells, with a second sheet of instructions."""
    with (SAMPLES / "sobot.csv").open(encoding="utf-8", newline="") as f:
        header, *body = list(csv.reader(f))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Orders"
    sheet.append(header)
    for values in rows if rows is not None else body:
        sheet.append([_typed(v) if v else None for v in values])
    sheet.append([])  # a blank row, as spreadsheets have at the end
    book.create_sheet("Instructions").append(["All items with * are required"])
    book.save(path)
    return path


def test_a_workbook_reads_as_the_csv_export_of_its_sheet(tmp_path):
    xlsx = read_payload(sobot_workbook(tmp_path / "orders.xlsx"))
    csv_payload = read_payload(SAMPLES / "sobot.csv")
    assert read_payload(sobot_workbook(tmp_path / "misnamed.csv")).data == xlsx.data  # found by its content
    assert (xlsx.kind, xlsx.unit) == ("xlsx", "row")
    assert xlsx.lines == csv_payload.lines  # the header is row 1 and line 1 alike
    for mine, theirs in zip(xlsx.data, csv_payload.data, strict=True):
        assert set(mine) == set(theirs)
        assert mine["Order Time"] == theirs["Order Time"]  # a date cell is written as Sobot's format
        assert mine["Buyer Mobile No."] == theirs["Buyer Mobile No."]  # a number cell loses no digits, no ".0"
        assert mine["Order No."] == theirs["Order No."]
    sobot = load_mapping("sobot")
    from_xlsx, from_csv = sobot.map_records(xlsx.data), sobot.map_records(csv_payload.data)
    assert not from_xlsx.errors and from_xlsx.orders == from_csv.orders  # 59 and 59.00 are the same Decimal
    assert from_xlsx.orders[0].items[0].price == Decimal("59")


def test_mapping_check_and_import_take_a_workbook(tmp_path, capsys):
    book = sobot_workbook(tmp_path / "orders.xlsx")
    assert main(["mapping", "check", "--preset", "sobot", str(book), "--json"]) == 0
    orders = json.loads(capsys.readouterr().out)
    assert orders[0]["id"] == "SO20220914001" and orders[0]["customer"]["phone"] == "+8613800138000"
    result = import_file(tmp_path / "orders.db", book, load_mapping("sobot"))
    assert result.written and result.inserted == len(orders) and not result.errors
    with OrderStore(tmp_path / "orders.db") as store:
        assert [o.id for o in store.find("order_id", "SO20220914001")] == ["SO20220914001"]


def test_a_bad_row_is_named_by_its_spreadsheet_row(tmp_path):
    with (SAMPLES / "sobot.csv").open(encoding="utf-8", newline="") as f:
        body = list(csv.reader(f))[1:]
    body[2][0] = ""  # the third data row, spreadsheet row 4, has no order no.
    book = sobot_workbook(tmp_path / "orders.xlsx", body)
    result = import_file(tmp_path / "orders.db", book, load_mapping("sobot"))
    assert not result.written
    assert [bad.where for bad in result.errors] == ["row 4 of sheet 'Orders'"]  # the workbook has two sheets


def test_a_negative_quantity_in_a_chinese_sheet_is_a_bad_row_at_its_row_and_field(tmp_path):
    with (SAMPLES / "sobot.csv").open(encoding="utf-8", newline="") as f:
        header, *body = list(csv.reader(f))
    header[header.index("Quantity")] = "数量"
    body[1][header.index("数量")] = "-1"  # spreadsheet row 3
    book = openpyxl.Workbook()
    book.active.append(header)
    for values in body:
        book.active.append([_typed(v) if v.lstrip("-").isdigit() or not v else v for v in values])
    book.save(tmp_path / "orders.xlsx")
    result = import_file(tmp_path / "orders.db", tmp_path / "orders.xlsx", load_mapping("sobot"))
    assert not result.written
    assert [str(bad) for bad in result.errors] == [
        "row 2 of sheet 'Sheet': order: part of an order rejected at another row",
        "row 3 of sheet 'Sheet': items[].quantity: -1 is not a quantity"]


@pytest.mark.parametrize(("content", "message"), [
    (b"PK\x03\x04 not really a zip", "not a readable .xlsx workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "save it as .xlsx or CSV"),
])
def test_an_unreadable_workbook_is_one_clear_error(tmp_path, capsys, content, message):
    for name in ("orders.xlsx", "orders.xls", "orders.dat"):  # found by content, whatever the name
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(SampleError, match=message):
            read_payload(path)
    assert main(["mapping", "check", "--preset", "sobot", str(tmp_path / "orders.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "orders.xlsx" in err and message in err and "Traceback" not in err


def test_header_problems_name_the_row(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["Order No.", "Order Status", "Order No."])
    book.save(tmp_path / "dupes.xlsx")
    with pytest.raises(SampleError, match=r"row 1 of sheet 'Sheet': duplicate column 'Order No\.'"):
        read_payload(tmp_path / "dupes.xlsx")
    book = openpyxl.Workbook()
    book.active.append(["Order No."])
    book.active.append(["SO1", "stray"])
    book.save(tmp_path / "stray.xlsx")
    with pytest.raises(SampleError, match="row 2 of sheet 'Sheet': a value in a column with no header"):
        read_payload(tmp_path / "stray.xlsx")
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    with pytest.raises(SampleError, match="needs a header row"):
        read_payload(tmp_path / "empty.xlsx")


def test_an_unclosed_quote_in_a_csv_is_an_error_at_its_row_not_a_swallowed_file(tmp_path, capsys):
    quote = '"'
    rows = ["id,status,email,total,currency"] + [
        f"Q{i},{quote if i == 4 else ''}shipped,q{i}@example.com,1,USD" for i in range(1000)]
    sample = tmp_path / "orders.csv"
    sample.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(SampleError, match="line 6: a quote opened in this row is never closed"):
        read_payload(sample)
    assert main(["import", str(sample), "--preset", "generic", "--store", str(tmp_path / "orders.db")]) == 2
    assert "line 6" in capsys.readouterr().err
    assert not (tmp_path / "orders.db").exists()


def test_numbers_are_written_with_the_decimals_their_cell_format_shows(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Order No.", "Price", "Order Amount", "Buyer Mobile No.", "Quantity"])
    sheet.append(["SO1", 59, 35.5, 13800138000, 2])
    for cell, fmt in zip(sheet[2], ("@", "0.00", "#,##0.00", "0", "General"), strict=True):
        cell.number_format = fmt
    book.save(tmp_path / "formats.xlsx")
    (record,) = read_payload(tmp_path / "formats.xlsx").data
    assert record == {"Order No.": "SO1", "Price": "59.00", "Order Amount": "35.50",
                      "Buyer Mobile No.": "13800138000", "Quantity": "2"}


def test_json_lines_end_only_at_newlines_so_unicode_line_separators_stay_in_their_strings(tmp_path):
    sample = tmp_path / "orders.jsonl"
    sample.write_text('{"id": "1", "note": "a\u2028b\u0085c"}\r\n{"id": "2"}\n', encoding="utf-8")
    payload = read_payload(sample)
    assert [r["id"] for r in payload.data] == ["1", "2"] and payload.lines == [1, 2]
    assert payload.data[0]["note"] == "a\u2028b\u0085c"


def test_a_number_too_long_for_a_number_cell_is_an_error_not_lost_digits(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["Order No.", "Tracking No."])
    book.active.append(["SO1", 9400111899223197428490.0])
    book.save(tmp_path / "long.xlsx")
    with pytest.raises(SampleError, match=r"row 2, column 2 of sheet 'Sheet': the number 9\.40011e\+21 is too long"):
        read_payload(tmp_path / "long.xlsx")


# -- text encodings: UTF-8 (BOM or not), UTF-16 with a BOM, GB18030 only on the evidence of the bytes


def _gb_export(path: Path) -> Path:
    text = ("订单号,订单状态,收货人,手机号,商品名称,数量,金额\n"
            "SO1,已发货,张三,13800138000,睡袋,1,59.00\n"
            "SO2,待发货,李四,13900139000,帐篷,2,120.00\n")
    path.write_bytes(text.encode("gb18030"))
    return path


def test_a_chinese_export_in_gb18030_is_read_as_such(tmp_path):
    payload = read_payload(_gb_export(tmp_path / "orders.csv"))
    assert [r["收货人"] for r in payload.data] == ["张三", "李四"]


def test_western_text_in_a_one_byte_code_page_is_an_error_at_its_line_not_chinese(tmp_path, capsys):
    sample = tmp_path / "orders.csv"
    # cp1252 "Renée": é and the e after it also read as one GB18030 character, 閑
    sample.write_bytes("id,status,customer_name,total,currency\nR1,shipped,Renée Smith,1.00,EUR\n".encode("cp1252"))
    with pytest.raises(SampleError, match=r"orders\.csv: line 2 is not UTF-8 text \(byte 0xE9 at byte offset 53\); "
                                          r"save the file as UTF-8"):
        read_payload(sample)
    assert main(["import", str(sample), "--preset", "generic", "--store", str(tmp_path / "orders.db")]) == 2
    assert "line 2 is not UTF-8" in capsys.readouterr().err
    assert not (tmp_path / "orders.db").exists()


def test_one_line_not_utf8_in_a_utf8_file_is_an_error_at_that_line_not_a_whole_file_read_as_gb18030(tmp_path):
    lines = [json.dumps({"id": f"M{i}", "customer": {"name": name}}, ensure_ascii=False).encode("utf-8")
             for i, name in enumerate(["Zoë Müller", "José", "Łukasz"])]
    lines.insert(2, json.dumps({"id": "G1", "customer": {"name": "张三"}}, ensure_ascii=False).encode("gb18030"))
    sample = tmp_path / "orders.jsonl"
    sample.write_bytes(b"\n".join(lines) + b"\n")
    offset = len(lines[0]) + len(lines[1]) + 2 + lines[2].index(b'"name": "') + 9
    with pytest.raises(SampleError, match=rf"line 3 is not UTF-8 text \(byte 0x.. at byte offset {offset}\)"):
        read_payload(sample)


def test_utf8_with_a_bom_and_utf16_with_a_bom_are_read(tmp_path):
    text = "id,status,customer_name\nU1,shipped,Zoë 张\n"
    for encoding in ("utf-8-sig", "utf-16"):
        sample = tmp_path / f"{encoding}.csv"
        sample.write_bytes(text.encode(encoding))
        assert read_payload(sample).data == [{"id": "U1", "status": "shipped", "customer_name": "Zoë 张"}]


# -- JSON the parser cannot take, and files with no orders


@pytest.mark.parametrize(("text", "message"), [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('[{"id": ' + "9" * 5000 + "}]", "a number with more digits than can be read"),
])
def test_json_too_deep_or_with_a_too_long_integer_is_a_one_line_error(tmp_path, capsys, text, message):
    sample = tmp_path / "orders.json"
    sample.write_text(text)
    with pytest.raises(SampleError, match=rf"orders\.json: invalid JSON \({message}"):
        read_payload(sample)
    lines = tmp_path / "orders.jsonl"
    lines.write_text('{"id": "1"}\n' + text.removeprefix("[").removesuffix("]") + "\n")
    with pytest.raises(SampleError, match=rf"orders\.jsonl: line 2: invalid JSON \({message}"):
        read_payload(lines)
    for argv in (["import", str(sample), "--preset", "generic", "--store", str(tmp_path / "o.db")],
                 ["mapping", "check", "--preset", "generic", str(sample)],
                 ["mapping", "suggest", str(lines)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_an_empty_json_jsonl_or_csv_file_has_no_orders_like_an_empty_list(tmp_path, capsys):
    for name, content in (("a.json", ""), ("b.json", " \n"), ("c.jsonl", ""), ("d.json", "[]"), ("e.csv", "")):
        sample = tmp_path / name
        sample.write_text(content)
        assert read_payload(sample).data == []
        db = tmp_path / f"{name}.db"
        assert main(["import", str(sample), "--preset", "generic", "--store", str(db)]) == 0
        out = capsys.readouterr().out
        assert out.startswith("0 inserted, 0 updated, 0 unchanged, 0 rejected")
        assert f"note: {sample} has no orders" in out
    # A mapping that says where the orders are finds none in an empty file either, rather than failing on it.
    mapping = tmp_path / "m.yaml"
    mapping.write_text("records: data.orders\norder: {id: id}\n")
    assert main(["import", str(tmp_path / "a.json"), "--mapping", str(mapping), "--store", str(tmp_path / "m.db")]) == 0


# -- spreadsheets: errors name the sheet, and say when a row is in merged cells


def test_errors_name_the_sheet_read(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Summary"
    book.active.append(["Report", "x"])
    book.active.append(["nothing", "here"])
    book.create_sheet("Orders").append(["Order No."])
    book.save(tmp_path / "orders.xlsx")
    result = import_file(tmp_path / "orders.db", tmp_path / "orders.xlsx", load_mapping("sobot"))
    assert [str(bad) for bad in result.errors] == ["row 2 of sheet 'Summary': group_by: missing"]


def test_a_row_in_merged_cells_is_an_error_that_says_so(tmp_path, capsys):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Order No.", "Order Status", "Buyer Mobile No.", "Product SKU", "Quantity", "Price"])
    sheet.append(["SO10", "Shipped", "13800138000", "A", 1, 10])
    sheet.append([None, None, None, "B", 2, 10])
    for column in "ABC":
        sheet.merge_cells(f"{column}2:{column}3")
    book.save(tmp_path / "merged.xlsx")
    result = import_file(tmp_path / "orders.db", tmp_path / "merged.xlsx", load_mapping("sobot"))
    assert [str(bad) for bad in result.errors] == [
        "row 3 of sheet 'Sheet': group_by: missing (in merged cells A2:A3, B2:B3, C2:C3: a merged cell's value is in "
        "its first row, 2, only; unmerge them and fill the value into every row)"]
    assert main(["mapping", "check", "--preset", "sobot", str(tmp_path / "merged.xlsx")]) == 1
    assert "row 3 of sheet 'Sheet': group_by: missing (in merged cells A2:A3" in capsys.readouterr().out
