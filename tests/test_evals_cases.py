"""Eval case files: strict validation with errors naming the file and key, relative paths, discovery."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from evals.cases import CaseError, find_case_files, load_case, load_cases
from tests.conftest import FIXTURES

CASES = FIXTURES / "evals" / "cases"

MINIMAL = """\
id: {id}
orders: fixtures/orders.json
now: "2026-11-25T10:00:00-08:00"
user: {{turns: ["where is my order?"]}}
"""


INLINE = MINIMAL.replace("orders: fixtures/orders.json", "orders: []")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    write(tmp_path / "fixtures" / "orders.json", (CASES / "fixtures" / "orders.json").read_text())
    return tmp_path


def test_example_case_loads_with_orders_relative_to_the_case_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # not relative to the working directory
    case = load_case(CASES / "nested" / "postal-code.yaml")
    assert case.id == "example/postal-code"
    assert [o.id for o in case.orders] == ["#1042", "#1043", "#2001"]
    assert case.orders[0].total == Decimal("59.90")
    assert case.categories == ["lookup", "status"]
    assert case.spec.expect.tool_calls[0].args == {"order_id": "2001", "postal_code": "97201"}
    assert case.merchant_config().merchant.timezone == "America/Los_Angeles"


@pytest.mark.parametrize(("body", "message"), [
    ("expect: {sai: [x]}", "expect.sai: unknown key (did you mean 'say'?)"),
    ("expect: {tool_calls: [{name: lookup_orders, arg: {}}]}",
     "expect.tool_calls[0].arg: unknown key (did you mean 'args'?)"),
    ("tagz: [a]", "tagz: unknown key (did you mean 'tags'?)"),
    ("merchant: {timezon: UTC}", "merchant.timezon: unknown key (did you mean 'timezone'?)"),
    ("policy: {verification: lax}", "policy.verification:"),
    ("session: {verified_mail: a@b.co}", "session.verified_mail: unknown key (did you mean 'verified_email'?)"),
    ("trials: 0", "trials: Input should be greater than or equal to 1"),
    ("expect: {max_tool_calls: many}", "expect.max_tool_calls:"),
    ("expect: {disclose_only: ['#1042', '9999']}", "expect.disclose_only: no order '9999' in the case's orders"),
])
def test_a_typo_or_bad_value_names_the_file_and_the_key(suite, body, message):
    path = write(suite / "case.yaml", MINIMAL.format(id="t/typo") + body + "\n")
    with pytest.raises(CaseError) as err:
        load_case(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


@pytest.mark.parametrize(("user", "message"), [
    ("user: {turns: [hi], simulated: {persona: p, goal: g}}", "user: give exactly one of turns or simulated"),
    ("user: {}", "user: give exactly one of turns or simulated"),
    ("user: {turns: []}", "at least one shopper message"),
    ("user: {simulated: {persona: p}}", "user.simulated.goal: missing"),
])
def test_user_is_turns_or_a_simulated_shopper(suite, user, message):
    text = MINIMAL.format(id="t/user").replace('user: {turns: ["where is my order?"]}', user)
    with pytest.raises(CaseError, match=message.replace("[", r"\[")):
        load_case(write(suite / "case.yaml", text))


def test_now_must_be_timezone_aware_and_is_required(suite):
    text = MINIMAL.format(id="t/now")
    with pytest.raises(CaseError, match="now: give a UTC offset"):
        load_case(write(suite / "a.yaml", text.replace("-08:00", "")))
    with pytest.raises(CaseError, match="now: missing"):
        load_case(write(suite / "b.yaml", text.replace('now: "2026-11-25T10:00:00-08:00"\n', "")))


def test_duplicate_ids_name_both_files(suite):
    first = write(suite / "a" / "one.yaml", INLINE.format(id="dup/case"))
    second = write(suite / "b" / "two.yml", INLINE.format(id="dup/case"))
    with pytest.raises(CaseError) as err:
        load_cases([suite])
    assert "duplicate case id 'dup/case'" in str(err.value)
    assert str(first) in str(err.value) and str(second) in str(err.value)


def test_folders_are_searched_recursively_for_yaml_and_yml_skipping_fixtures(suite):
    write(suite / "x.yaml", MINIMAL.format(id="t/x"))
    write(suite / "deep" / "er" / "y.yml", INLINE.format(id="t/y"))
    write(suite / "fixtures" / "mapping.yaml", "order: {id: no}\n")  # data, not a case
    write(suite / "notes.txt", "not a case")
    assert [p.relative_to(suite).as_posix() for p in find_case_files(suite)] == ["deep/er/y.yml", "x.yaml"]
    assert sorted(c.id for c in load_cases([suite, suite / "x.yaml"])) == ["t/x", "t/y"]  # a file given twice: once


def test_missing_paths_and_order_files_are_clear_errors(suite):
    with pytest.raises(CaseError, match="no such case file or folder"):
        load_cases([suite / "nope"])
    path = write(suite / "c.yaml", MINIMAL.format(id="t/c").replace("fixtures/orders.json", "fixtures/gone.json"))
    with pytest.raises(CaseError, match=r"c.yaml: orders: .*fixtures/gone.json: no such file"):
        load_case(path)


def test_invalid_yaml_and_non_mapping(suite):
    with pytest.raises(CaseError, match=r"bad.yaml: line \d+, column \d+: invalid YAML"):
        load_case(write(suite / "bad.yaml", "id: [unclosed\n"))
    with pytest.raises(CaseError, match="expected a YAML mapping"):
        load_case(write(suite / "list.yaml", "- 1\n"))


def test_inline_canonical_orders_are_validated(suite):
    text = MINIMAL.format(id="t/inline").replace(
        "orders: fixtures/orders.json", 'orders: [{id: "A1", status: shipped, total: "5.00", currency: usd}]')
    case = load_case(write(suite / "inline.yaml", text))
    assert case.orders[0].id == "A1" and case.orders[0].currency == "USD"
    bad = text.replace("status: shipped", "status: flying")
    with pytest.raises(CaseError, match=r"orders: order 1: status:"):
        load_case(write(suite / "bad.yaml", bad))


def test_orders_in_a_preset_format_are_mapped(suite):
    record = {"id": "ORD-1", "status": "shipped", "created_at": "2026-11-20 09:00:00",
              "customer": {"email": "a@example.com", "phone": "(415) 555-0100"}, "items": [{"name": "Cap"}],
              "total": 9.5, "currency": "usd", "tracking_number": "1Z999AA10123456784"}
    write(suite / "fixtures" / "generic.json", json.dumps([record]))
    text = MINIMAL.format(id="t/mapped").replace("fixtures/orders.json", "fixtures/generic.json")
    text += "mapping: generic\nmerchant: {timezone: America/Los_Angeles, default_region: US}\n"
    (order,) = load_case(write(suite / "mapped.yaml", text)).orders
    assert order.customer.phone == "+14155550100"  # the merchant's region applies
    assert order.created_at is not None and order.created_at.utcoffset() is not None
    assert order.created_at.isoformat() == "2026-11-20T09:00:00-08:00"  # and its timezone
    assert order.shipments[0].tracking_number == "1Z999AA10123456784"
    with pytest.raises(CaseError, match="no such mapping file or preset"):
        load_case(write(suite / "m2.yaml", text.replace("mapping: generic", "mapping: nope.yaml")))


def test_shipped_case_examples_are_not_in_the_fixture_data_folders():
    # The fixtures folder beside the example cases holds orders only; discovery must not read it as cases.
    assert all("fixtures" not in p.parts[-2:-1] for p in find_case_files(CASES))
    assert len(find_case_files(CASES)) == 3
