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


# -- mistakes a case author makes, caught at load ---------------------------------------------------------------


@pytest.mark.parametrize(("body", "message"), [
    ('expect: {say: [""]}', "expect.say: phrase 1 is empty"),
    ('expect: {say: ["shipped", "  "]}', "expect.say: phrase 2 is empty"),
    ('expect: {not_say: [" "]}', "expect.not_say: phrase 1 is empty"),
    ('expect: {say: ["1042", []]}', "expect.say: phrase 2: an empty list of alternatives"),
    ('expect: {say: [["Nov 27", ""]]}', "expect.say: phrase 1: alternative 2 is empty"),
    ('expect: {not_say: [[" "]]}', "expect.not_say: phrase 1: alternative 1 is empty"),
    ("expect: {turns: {1: {sai: [x]}}}", "expect.turns[1].sai: unknown key (did you mean 'say'?)"),
    ('expect: {turns: {1: {say: [["a", " "]]}}}', "expect.turns[1].say: phrase 1: alternative 2 is empty"),
    ("expect: {turns: {0: {say: [x]}}}", "expect.turns: turn 0: shopper turns count from 1"),
    ("expect: {turns: {1: {}}}", "expect.turns: turn 1: give say or not_say"),
    ("expect: {turns: {2: {say: [x]}}}", "expect.turns: turn 2, but the case scripts 1 shopper turn"),
    ("expect: {tool_calls: [{name: lookup_order}]}",
     "expect.tool_calls[0].name: no tool 'lookup_order' (did you mean 'lookup_orders'?)"),
    ("expect: {tool_calls: [{name: cancel_order}]}", "expect.tool_calls[0].name: no tool 'cancel_order' (tools: "),
    ("expect: {tool_calls: [{name: lookup_orders, args: {order_number: '1042'}}]}",
     "expect.tool_calls[0]: args.order_number: not an argument of lookup_orders (did you mean 'order_id'?)"),
    ("session: {verified_email: not-an-email}", "session.verified_email: 'not-an-email' is not an email address"),
    ("session: {verified_phone: abc}", "session.verified_phone: 'abc' is not a phone number without "
     "merchant.default_region"),
    ("session: {verified_phone: '415 555 0123'}", "session.verified_phone: '415 555 0123' is not a phone number"),
    ("merchant: {default_region: US}\nsession: {verified_phone: abc}",
     "session.verified_phone: 'abc' is not a phone number in region US"),
])
def test_a_check_that_could_never_work_is_an_error_at_load(suite, body, message):
    path = write(suite / "case.yaml", MINIMAL.format(id="t/author") + body + "\n")
    with pytest.raises(CaseError) as err:
        load_case(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


@pytest.mark.parametrize("body", [
    "session: {verified_phone: '+14155550123', verified_email: Jane@Example.com}",
    "merchant: {default_region: US}\nsession: {verified_phone: (415) 555-0123}",
    "expect: {say: [shipped], say_across_replies: true, tool_calls: [{name: lookup_orders, args: {email: a@b.co}}]}",
    'expect: {say: ["1042", ["Nov 27", "November 27"]], not_say: [["Nov 28", "November 28"]], '
    'turns: {1: {say: [[delivered, arrived]], not_say: [refund]}}}',
])
def test_sound_sessions_and_expectations_load(suite, body):
    load_case(write(suite / "case.yaml", MINIMAL.format(id="t/sound") + body + "\n"))


def test_orders_a_mapping_leaves_without_ids_are_an_error_naming_the_file(suite):
    # Canonical orders read through the shopify preset: every order loses its number.
    text = MINIMAL.format(id="t/wrong-mapping") + "mapping: shopify\n"
    path = write(suite / "case.yaml", text)
    with pytest.raises(CaseError) as err:
        load_case(path)
    message = str(err.value)
    assert message.startswith(f"{path}: orders (") and "fixtures/orders.json" in message
    assert "record 1 has no order id when mapped with 'shopify'" in message
    assert "drop `mapping:`" in message  # the data is canonical


def test_a_shops_export_without_mapping_gets_a_hint(suite):
    shopify = [{"id": 5510000000006201, "name": "#6201", "email": "kim@example.com", "line_items": []}]
    write(suite / "fixtures" / "shopify.json", json.dumps({"orders": shopify}))
    path = write(suite / "case.yaml", MINIMAL.format(id="t/no-mapping").replace("orders.json", "shopify.json"))
    with pytest.raises(CaseError, match=r"order 1: id: .*\(add `mapping:` with the preset or mapping file for this "
                                        r"data\)$"):
        load_case(path)
    assert load_case(write(suite / "ok.yaml", path.read_text() + "mapping: shopify\n")).orders[0].id == "#6201"


@pytest.mark.parametrize(("name", "text"), [
    ("orders.json", (CASES / "fixtures" / "orders.json").read_text()),
    ("mapping.yaml", "name: mine\norder: {id: number}\n"),
    ("empty.yaml", ""),
    ("list.yaml", "- id: t/x\n"),
])
def test_a_file_that_is_not_a_case_says_so(suite, name, text):
    path = write(suite / "given" / name, text)
    with pytest.raises(CaseError) as err:
        load_cases([path])
    assert str(err.value) == f"{path}: not an eval case file (expected a YAML mapping with keys id, now, user, expect)"


def test_load_errors_exit_2_from_the_command_line(suite, capsys):
    from assistant.cli import main

    typo = write(suite / "typo.yaml", MINIMAL.format(id="t/typo") + "expect: {tool_calls: [{name: lookup_order}]}\n")
    assert main(["eval", "--offline", str(typo)]) == 2
    assert "did you mean 'lookup_orders'?" in capsys.readouterr().err
    assert main(["eval", "--offline", str(suite / "fixtures" / "orders.json")]) == 2
    assert "orders.json: not an eval case file" in capsys.readouterr().err


def test_turn_expectations_of_a_simulated_shopper_are_bounded_by_its_max_turns(suite):
    text = MINIMAL.format(id="t/sim").replace('user: {turns: ["where is my order?"]}',
                                              "user: {simulated: {persona: p, goal: g, max_turns: 3}}")
    case = load_case(write(suite / "case.yaml", text + "expect: {turns: {3: {say: [email]}}}\n"))
    assert case.spec.expect.turns[3].say == ["email"]
    with pytest.raises(CaseError, match="expect.turns: turn 4, but the simulated shopper's max_turns is 3"):
        load_case(write(suite / "case.yaml", text + "expect: {turns: {4: {say: [email]}}}\n"))
