"""`order-assistant mapping ...` as a merchant runs it: output, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from assistant.cli import main
from tests.conftest import ROOT, SAMPLES


def test_presets_lists_names_with_descriptions(capsys):
    assert main(["mapping", "presets"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[0] in out
    assert any(line.startswith("generic ") and "seed" in line for line in out.splitlines())


def test_check_preset_on_bundled_sample_exits_0(capsys):
    assert main(["mapping", "check", "--preset", "generic", str(SAMPLES / "generic.json")]) == 0
    out = capsys.readouterr().out
    assert '"id": "ORD-12345"' in out
    assert "every order has id, status" in out


def test_check_json_mode_keeps_stdout_pure(capsys):
    assert main(["mapping", "check", "--preset", "generic", str(SAMPLES / "generic.json"), "--json"]) == 0
    captured = capsys.readouterr()
    orders = json.loads(captured.out)
    assert [o["id"] for o in orders] == ["ORD-12345", "ORD-12346"]
    assert orders[0]["total"] == "59.99"
    assert "record(s)" in captured.err


def test_check_reports_missing_fields_unknown_labels_and_unused_fields(tmp_path, capsys):
    sample = tmp_path / "s.json"
    sample.write_text(json.dumps({"orders": [
        {"id": "A", "status": "Awaiting pickup", "email": "a@example.com", "items": [{"name": "x"}], "total": 1,
         "currency": "USD", "loyalty_points": 5},
        {"id": "B", "status": "shipped", "items": []},
    ]}))
    assert main(["mapping", "check", "--preset", "generic", str(sample)]) == 1
    out = capsys.readouterr().out
    assert "order A (record 1): status" in out
    assert "order B (record 2): email or phone, items, total, currency" in out
    assert "'Awaiting pickup' x1" in out
    assert "loyalty_points" in out


def test_check_with_a_mapping_file_and_csv(tmp_path, capsys):
    (tmp_path / "m.yaml").write_text("order: {id: no, status: st, customer: {phone: tel}, total: amt, currency: cur,"
                                     " items: {each: $, fields: {name: item}}}\n")
    (tmp_path / "s.csv").write_text("no,st,tel,amt,cur,item\n1,paid,+14155550100,9.50,usd,Cap\n")
    assert main(["mapping", "check", str(tmp_path / "m.yaml"), str(tmp_path / "s.csv"), "--json"]) == 1
    (order,) = json.loads(capsys.readouterr().out)
    assert order["items"] == [{"sku": None, "name": "Cap", "quantity": 1, "price": None, "image_url": None,
                               "url": None, "product_id": None}]
    assert (order["total"], order["currency"], order["status"]) == ("9.50", "USD", "unknown")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "nope", "x.json"], "no preset 'nope'"),
        (["--preset", "generic", "missing.json"], "missing.json: no such file"),
        (["bad.yaml", "sample.json"], "bad.yaml: line 2, column 1: invalid YAML"),
        (["--preset", "generic", "broken.json"], "broken.json: line 2, column 1: invalid JSON"),
    ],
)
def test_unreadable_mapping_or_sample_exits_2_with_one_line(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text("order: [\n")
    (tmp_path / "sample.json").write_text("[]")
    (tmp_path / "broken.json").write_text('[{"id": 1},\n')
    proc = subprocess.run([sys.executable, "-m", "assistant", "mapping", "check", *args], capture_output=True,
                          text=True, cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 2


@pytest.mark.parametrize("content", ["[]", '{"orders": []}', ""])
def test_check_on_a_sample_with_no_orders_says_so_and_exits_1(tmp_path, capsys, content):
    sample = tmp_path / ("empty.jsonl" if not content else "empty.json")
    sample.write_text(content)
    assert main(["mapping", "check", "--preset", "generic", str(sample)]) == 1
    out = capsys.readouterr().out
    assert "no orders" in out and "every order has" not in out


def test_check_names_the_sample_when_the_records_path_is_not_in_it(tmp_path, capsys):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("records: data.orders\norder: {id: id}\n")
    assert main(["mapping", "check", str(mapping), str(SAMPLES / "generic.json")]) == 2
    assert f"{SAMPLES / 'generic.json'}: data.orders: not found" in capsys.readouterr().err


def test_suggest_to_a_path_it_cannot_write_is_a_one_line_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["mapping", "suggest", str(SAMPLES / "generic.json"), "-o", str(tmp_path / "no-dir" / "x.yaml")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "no-dir/x.yaml: cannot write (No such file or directory)" in err and "Traceback" not in err


def _order(order_id, total, items, postal_code="94103"):
    return {"id": order_id, "status": "shipped", "email": "a@example.com", "total": total, "currency": "USD",
            "items": [{"name": name, "price": price, "quantity": qty} for name, price, qty in items],
            "shipping_address": {"line1": "1 Main St", "postal_code": postal_code}}


def test_check_warns_of_totals_far_from_their_items_without_failing(tmp_path, capsys):
    sample = tmp_path / "s.json"
    sample.write_text(json.dumps({"orders": [
        _order("COUNT", 3, [("Mug", "5.00", 3)]),  # items add up to 15.00: the total is a count of items
        _order("CENTS", 6050, [("Beans", "18.00", 2), ("Dripper", "24.50", 1)]),  # 60.50 read as 6050
        _order("SHIP", "19.95", [("Mug", "5.00", 3)]),  # shipping and tax on top: normal
        _order("SALE", "8.00", [("Mug", "5.00", 3)]),  # a discount of nearly half: normal
        _order("NOPRICE", 1, [("Mug", None, 3)]),  # nothing to compare with
    ]}))
    assert main(["mapping", "check", "--preset", "generic", str(sample)]) == 0
    out = capsys.readouterr().out
    warning = out[out.index("totals far from what their items add up to"):]
    assert warning.splitlines()[0].startswith("totals far from what their items add up to (2 order(s); under 50% or "
                                              "over 10x")
    assert warning.splitlines()[1:3] == ["  order COUNT (record 1): total 3, items 15.00",
                                         "  order CENTS (record 2): total 6050, items 60.50"]
    assert "SHIP" not in warning and "SALE" not in warning and "NOPRICE" not in warning


@pytest.mark.parametrize("code", ["N/A", "NA", "-", "none", "00000", "0"])
def test_check_counts_placeholder_postal_codes_without_failing(tmp_path, capsys, code):
    sample = tmp_path / "s.json"
    sample.write_text(json.dumps([_order("1", "5.00", [("Mug", "5.00", 1)], code),
                                  _order("2", "5.00", [("Mug", "5.00", 1)], code),
                                  _order("3", "5.00", [("Mug", "5.00", 1)], "94103"),
                                  _order("4", "5.00", [("Mug", "5.00", 1)], "")]))
    assert main(["mapping", "check", "--preset", "generic", str(sample)]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("placeholder postal codes"))
    assert lines[start].startswith("placeholder postal codes (2 order(s); they never verify a shopper")
    assert lines[start + 1] == f"  shipping_address.postal_code: {code!r} x2"
    assert not any(line.startswith("  shipping_address.postal_code") for line in lines[start + 2:])


def test_check_on_the_bundled_samples_with_their_presets_warns_of_nothing(capsys):
    for preset, sample in [("generic", "generic.json"), ("shopify", "shopify.json"), ("square", "square.json"),
                           ("bigcommerce", "bigcommerce.json"), ("woocommerce", "woocommerce.json"),
                           ("magento", "magento.json"), ("amazon", "amazon.json"), ("sobot", "sobot.csv"),
                           ("bytedesk", "bytedesk.json")]:
        main(["mapping", "check", "--preset", preset, str(SAMPLES / sample)])
        out = capsys.readouterr().out
        assert "totals far from" not in out and "placeholder postal codes" not in out, preset


def test_suggest_never_writes_over_the_sample_nor_an_existing_file_without_force(tmp_path, capsys):
    sample = tmp_path / "orders.json"
    sample.write_text((SAMPLES / "generic.json").read_text(encoding="utf-8"), encoding="utf-8")
    original = sample.read_bytes()
    for target in (sample, tmp_path / "." / "orders.json"):
        with pytest.raises(SystemExit) as exit_info:
            main(["mapping", "suggest", str(sample), "-o", str(target), "--force"])
        assert exit_info.value.code == 2
        assert "that is the sample" in capsys.readouterr().err
    assert sample.read_bytes() == original
    edited = tmp_path / "mapping.yaml"
    edited.write_text("# edited by hand\norder: {id: id}\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["mapping", "suggest", str(sample), "-o", str(edited)])
    assert exit_info.value.code == 2
    assert f"-o {edited}: the file exists; pass --force to replace it" in capsys.readouterr().err
    assert edited.read_text() == "# edited by hand\norder: {id: id}\n"
    assert main(["mapping", "suggest", str(sample), "-o", str(edited), "--force"]) == 0
    assert edited.read_text().startswith("# Draft mapping for")
