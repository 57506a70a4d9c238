"""`mapping suggest`: drafts inferred from samples must pick the right paths, say why, list what they could not
place, load and compile, and map the sample to the expected canonical values under `mapping check`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.cli import main
from tests.conftest import FIXTURES, SAMPLES
from tools.errors import SampleError
from tools.files import read_payload
from tools.mapping import compile_mapping, load_mapping_text
from tools.suggest import suggest_mapping


def draft(path: Path) -> str:
    return suggest_mapping(read_payload(path), str(path))


def spec_of(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def check(tmp_path: Path, sample: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, Any]], str]:
    """Write the draft, run `mapping check --json` on it as a merchant would: (exit code, orders, report)."""
    mapping = tmp_path / "draft.yaml"
    mapping.write_text(draft(sample), encoding="utf-8")
    code = main(["mapping", "check", "--json", str(mapping), str(sample)])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def line_of(text: str, start: str) -> str:
    """The draft line that starts (after indentation) with `start`."""
    return next(line for line in text.splitlines() if line.strip().startswith(start))


ALL_SAMPLES = [SAMPLES / "generic.json", *sorted(FIXTURES.glob("suggest_*"))]


@pytest.mark.parametrize("sample", ALL_SAMPLES, ids=lambda p: p.name)
def test_every_draft_round_trips_through_the_mapping_loader(sample):
    text = draft(sample)
    mapper = compile_mapping(load_mapping_text(text, "draft"))
    assert mapper.used_fields
    assert text.startswith("# Draft mapping for ")


def test_seed_002_shape(tmp_path, capsys):
    sample = SAMPLES / "generic.json"
    text = draft(sample)
    order = spec_of(text)["order"]
    assert order["id"] == "id"
    assert order["customer"] == {"name": "customer.name", "email": "customer.email", "phone": "customer.phone"}
    assert order["items"]["each"] == "items"
    assert order["items"]["fields"]["price"] == "price"
    assert order["shipments"]["each"] == "$"
    assert order["shipments"]["where"] == {"tracking_number": {"present": True}}
    assert order["shipments"]["fields"]["tracking_number"] == "tracking_number"
    assert spec_of(text)["defaults"]["region"] == "US"  # from the +1 number, not CN's permissive fixed lines
    assert "UPS tracking numbers" in line_of(text, "tracking_number:")
    assert "# Every source field is used." in text

    code, orders, report = check(tmp_path, sample, capsys)
    assert code == 0, report
    assert [o["id"] for o in orders] == ["ORD-12345", "ORD-12346"]
    assert orders[1]["customer"]["phone"] == "+14155550199"
    assert orders[1]["total"] == "214.00" and orders[1]["currency"] == "USD"
    assert orders[0]["shipments"][0]["carrier"] == "UPS"


def test_chinese_vendor_pinyin_names(tmp_path, capsys):
    sample = FIXTURES / "suggest_cn_vendor.json"
    text = draft(sample)
    spec = spec_of(text)
    order = spec["order"]
    assert order["id"] == "orderNo"
    assert order["customer"] == {"name": "buyerNick", "email": "mail", "phone": "mobile"}
    assert order["shipping_address"]["phone"] == "receiverMobile"
    assert order["shipping_address"]["line1"] == "receiverAddress"
    assert order["total"] == "payAmount"
    assert order["created_at"] == "createTime"
    assert order["status"]["map"] == {"已发货": "shipped", "待发货": "processing", "已签收": "delivered"}
    assert order["items"]["each"] == "goods"
    assert order["items"]["fields"] == {"sku": "skuCode", "name": "goodsName", "quantity": "goodsNum",
                                        "price": "goodsPrice"}
    shipments = order["shipments"]
    assert shipments["fields"]["tracking_number"] == "expressNo"
    assert shipments["fields"]["shipped_at"] == {"path": "deliveryTime", "transform": {"datetime": {"unit": "s"}}}
    assert order["extra"] == {"path": "extInfo", "transform": "json"}
    assert spec["defaults"] == {"timezone": "Asia/Shanghai", "currency": "CNY", "region": "CN"}
    assert "external_ref_id" not in order  # shopId ends with "id" but is not an order reference
    # Why each guess was made, in words.
    assert "name matches 'mobile' (phone synonym); values look like CN mobiles" in line_of(text, "phone: mobile")
    assert "SF Express tracking numbers" in line_of(text, "tracking_number:")
    assert "Unix seconds" in line_of(text, "shipped_at:")
    assert "naive times" in line_of(text, "created_at:")
    # What it could not place is listed at the end.
    tail = text.split("# Source fields not placed", 1)[1]
    assert '#   shopId   e.g. "S-88"' in tail

    code, orders, report = check(tmp_path, sample, capsys)
    assert code == 0, report
    first = orders[0]
    assert first["id"] == "DD20240501001"
    assert first["status"] == "shipped" and first["status_text"] == "已发货"
    assert first["customer"] == {"name": "小明", "email": "xiaoming@example.com", "phone": "+8613800138000"}
    assert first["shipping_address"]["phone"] == "+8613900139000"
    assert first["total"] == "299.00" and first["currency"] == "CNY"
    assert first["created_at"] == "2024-05-01T10:00:00+08:00"
    assert first["shipments"][0]["tracking_number"] == "SF1234567890123"
    assert first["shipments"][0]["carrier"] == "SF Express"
    assert first["shipments"][0]["shipped_at"] == "2024-05-01T11:00:00Z"
    assert first["extra"] == {"invoice": "电子发票"}
    assert orders[1]["shipments"] == []  # no express number: no shipment
    assert [i["quantity"] for i in orders[1]["items"]] == [2, 1]


def test_flat_csv_with_one_row_per_item_is_grouped(tmp_path, capsys):
    sample = FIXTURES / "suggest_items.csv"
    text = draft(sample)
    spec = spec_of(text)
    assert spec["group_by"] == "订单号"
    order = spec["order"]
    assert order["id"] == "订单号"
    assert order["customer"]["phone"] == "手机号"
    items = order["items"]
    assert items["each"] == "@rows" and items["unique_by"] == "sku"
    assert items["fields"] == {"sku": "商品编码", "name": "商品名称", "quantity": "数量", "price": "单价"}
    assert order["total"] == "实付金额"
    assert order["shipments"]["fields"]["tracking_number"] == "物流单号"
    assert "records" not in spec
    assert '#   店铺   e.g. "旗舰店"' in text

    code, orders, report = check(tmp_path, sample, capsys)
    assert code == 0, report
    assert [o["id"] for o in orders] == ["SO1001", "SO1002", "SO1003"]
    assert [i["sku"] for i in orders[0]["items"]] == ["P1001-BLK", "P2001-WHT"]
    assert orders[0]["customer"]["phone"] == "+8613800138000"
    assert orders[0]["total"] == "167.00" and orders[0]["currency"] == "CNY"
    assert orders[0]["shipments"][0]["tracking_number"] == "SF1234567890123"
    assert orders[1]["status"] == "processing" and orders[1]["shipments"] == []


def test_woocommerce_like_nested_sample(tmp_path, capsys):
    sample = FIXTURES / "suggest_woo.json"
    text = draft(sample)
    order = spec_of(text)["order"]
    assert order["id"] == "number"  # the number the shopper sees, not the internal id
    assert order["external_ref_id"] == "id"
    assert order["customer"] == {"name": {"join": ["billing.first_name", "billing.last_name"]},
                                 "email": "billing.email", "phone": "billing.phone"}
    assert order["shipping_address"]["line1"] == "shipping.address_1"
    assert order["created_at"] == {"path": "date_created_gmt", "transform": {"datetime": {"timezone": "UTC"}}}
    assert order["items"]["each"] == "line_items"
    assert order["items"]["fields"]["product_id"] == "product_id"
    assert order["status"]["map"] == {"completed": "delivered"}
    assert "# already canonical: on-hold" in text
    assert "the name suggests shipping_address.city, but it is under 'billing' (customer)" in text

    code, orders, report = check(tmp_path, sample, capsys)
    assert code == 0, report
    first = orders[0]
    assert first["id"] == "W-727" and first["external_ref_id"] == "727"
    assert first["status"] == "delivered" and orders[1]["status"] == "on_hold"
    assert first["customer"] == {"name": "Ana García", "email": "ana.garcia@example.com", "phone": "+15125550148"}
    assert first["created_at"] == "2024-10-09T15:15:02Z"
    assert first["total"] == "95.97" and first["currency"] == "USD"
    assert first["items"][0] == {"sku": "BEAN-1KG", "name": "Single Origin Beans 1kg", "quantity": 2,
                                 "price": "34.5", "image_url": None, "url": None, "product_id": "501"}


def test_envelope_with_an_unknown_status_label(tmp_path, capsys):
    sample = FIXTURES / "suggest_envelope.json"
    text = draft(sample)
    spec = spec_of(text)
    assert spec["records"] == "data.list"
    assert spec["defaults"]["timezone"] == "Asia/Shanghai"  # the dates carry +08:00
    order = spec["order"]
    assert order["id"] == "order_sn"
    assert order["customer"] == {"email": "buyer_email", "phone": "tel"}
    assert order["total"] == "real_amount" and order["currency"] == "currency_code"
    assert order["shipments"]["fields"]["tracking_number"] == "waybill_no"
    assert order["status"]["map"] == {"WAIT_SELLER_SEND_GOODS": "processing", "TRADE_FINISHED": "delivered"}
    assert "# AWAITING_MOONRISE: TODO" in text  # left for a person, commented so the draft still loads

    code, orders, report = check(tmp_path, sample, capsys)
    assert code == 1  # the unknown label: incomplete, but the draft itself is fine (never 2)
    assert "'AWAITING_MOONRISE' x1" in report
    assert [o["id"] for o in orders] == ["A1001", "A1002", "A1003"]
    assert orders[0]["customer"] == {"name": None, "email": "Amy@example.com", "phone": "+8613800138000"}
    assert orders[0]["total"] == "88.8"
    assert orders[1]["shipments"][0]["carrier"] == "SF Express"


def test_orders_envelope_and_shape_only_guesses(tmp_path, capsys):
    sample = tmp_path / "orders.json"
    sample.write_text(json.dumps({"orders": [
        {"ref": "X-1", "channel": "web", "order_id": "1001", "state": "paid", "contact": "ann@example.com",
         "amount_cents": 1999, "curr": "EUR", "placed": 1714561200000, "goods": json.dumps([{"sku": "A", "qty": 1}])},
        {"ref": "X-2", "channel": "app", "order_id": "1002", "state": "dispatched", "contact": "ben@example.com",
         "amount_cents": 500, "curr": "EUR", "placed": 1714647600000, "goods": json.dumps([{"sku": "B", "qty": 2}])},
    ]}))
    text = draft(sample)
    spec = spec_of(text)
    assert spec["records"] == "orders"
    order = spec["order"]
    assert order["customer"]["email"] == "contact"
    assert "(the name is not one I know)" in line_of(text, "email: contact")
    assert order["currency"] == "curr"
    assert order["total"] == {"path": "amount_cents", "transform": "minor_units"}
    assert order["items"]["each"] == {"path": "goods", "transform": "json"}
    assert order["created_at"] == {"path": "placed", "transform": {"datetime": {"unit": "ms"}}}
    assert order["id"] == "order_id" and order["external_ref_id"] == "ref"
    assert '#   channel   e.g. "web"' in text

    code, orders, report = check(tmp_path, sample, capsys)
    assert code == 0, report
    assert orders[0]["total"] == "19.99" and orders[0]["currency"] == "EUR"
    assert orders[1]["status"] == "shipped"
    assert orders[1]["items"][0]["sku"] == "B" and orders[1]["items"][0]["quantity"] == 2
    assert orders[0]["created_at"] == "2024-05-01T11:00:00Z"


def test_mixed_record_shapes_get_fallback_paths(tmp_path):
    sample = tmp_path / "mixed.json"
    sample.write_text(json.dumps([
        {"orderUid": "A1", "status": "paid", "totalAmount": 5, "phone": "+14155550100"},
        {"uid": "A2", "status": "paid", "totalAmount": 6, "phone": "+14155550101"},
    ]))
    order = spec_of(draft(sample))["order"]
    assert order["id"] == ["orderUid", "uid"]


def test_no_currency_and_no_hints_leaves_a_todo(tmp_path, capsys):
    sample = tmp_path / "plain.json"
    sample.write_text(json.dumps([{"id": "1", "status": "shipped", "email": "a@example.com", "total": "3.00",
                                   "items": [{"name": "Pen"}]}]))
    text = draft(sample)
    assert "# currency: USD   # TODO" in text
    code, _, report = check(tmp_path, sample, capsys)
    assert code == 1 and "currency" in report


def test_a_currency_field_of_signs_is_the_currency_and_a_shared_sign_gets_the_content_s_default(tmp_path, capsys):
    sample = tmp_path / "订单.csv"
    sample.write_text("订单号,状态,手机,数量,单价,实付金额,币种\n"
                      "SO-1,已发货,13800138000,1,59.00,59.00,¥\n"
                      "SO-2,待发货,13900139000,2,100.00,200.00,￥\n", encoding="utf-8")
    text = draft(sample)
    assert spec_of(text)["order"]["currency"] == "币种"
    assert "values are currencies (¥, ￥)" in line_of(text, "currency: '币种'")
    assert line_of(text, "currency: CNY").endswith(
        "# the sample writes '¥' and '￥', which can be JPY or CNY; Chinese content suggests CNY")
    code, orders, report = check(tmp_path, sample, capsys)
    assert code == 0, report
    assert [(o["total"], o["currency"]) for o in orders] == [("59.00", "CNY"), ("200.00", "CNY")]


def test_a_shared_sign_without_a_hint_leaves_a_todo_and_labels_naming_one_currency_are_its_code(tmp_path, capsys):
    sample = tmp_path / "dollars.json"
    sample.write_text(json.dumps([{"id": "1", "status": "shipped", "email": "a@example.com", "total": "3.00",
                                   "currency": "$"}]))
    text = draft(sample)
    assert spec_of(text)["order"]["currency"] == "currency"
    assert "# currency: USD   # TODO: the sample writes '$', which can be USD, CAD" in text
    code, _, report = check(tmp_path, sample, capsys)
    assert code == 1 and "'$' can be USD" in report
    sample.write_text(json.dumps([{"id": str(i), "status": "shipped", "email": "a@example.com", "total": "3.00",
                                   "currency": label} for i, label in enumerate(["€", "EUR", "euro"])]))
    assert "currency: EUR   # every order in the sample is in EUR" in draft(sample)


def test_unrecognised_sample_still_compiles(tmp_path):
    sample = tmp_path / "odd.json"
    sample.write_text(json.dumps([{"foo": "x", "bar": 1}]))
    text = draft(sample)
    assert "order: {}" in text
    compile_mapping(load_mapping_text(text, "draft"))
    assert '#   foo   e.g. "x"' in text


def test_empty_sample_is_a_sample_error(tmp_path):
    sample = tmp_path / "empty.json"
    sample.write_text("[]")
    with pytest.raises(SampleError, match="no order records"):
        draft(sample)


def test_cli_suggest_to_stdout_and_to_a_file(tmp_path, capsys):
    sample = FIXTURES / "suggest_cn_vendor.json"
    assert main(["mapping", "suggest", str(sample)]) == 0
    out = capsys.readouterr().out
    assert spec_of(out)["order"]["id"] == "orderNo"

    target = tmp_path / "draft.yaml"
    assert main(["mapping", "suggest", str(sample), "-o", str(target)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"wrote {target}" in captured.err
    assert target.read_text(encoding="utf-8") == out
    assert main(["mapping", "check", str(target), str(sample)]) == 0


def test_cli_suggest_on_an_empty_sample_exits_2(tmp_path, capsys):
    sample = tmp_path / "empty.json"
    sample.write_text("[]")
    assert main(["mapping", "suggest", str(sample)]) == 2
    assert "no order records" in capsys.readouterr().err


def test_bigcommerce_total_is_the_money_field_not_the_count_of_items(tmp_path, capsys):
    sample = SAMPLES / "bigcommerce.json"
    text = draft(sample)
    order = spec_of(text)["order"]
    assert order["total"] == "total_inc_tax"  # not items_total (3), total_ex_tax or total_tax
    assert "values are amounts with cents" in line_of(text, "total:")
    assert "items_total" in text.split("# Source fields not placed", 1)[1]
    code, orders, report = check(tmp_path, sample, capsys)
    assert [o["total"] for o in orders] == ["177.3200", "54.5000", "76.9900"]
    assert "totals far from" not in report


def test_small_whole_numbers_under_a_count_name_are_not_the_total(tmp_path):
    sample = tmp_path / "orders.json"
    sample.write_text(json.dumps([
        {"id": "1", "status": "paid", "items_total": 3, "item_count": 3, "amount": 42.5, "total_tax": "3.40"},
        {"id": "2", "status": "paid", "items_total": 1, "item_count": 1, "amount": 9.99, "total_tax": "0.80"},
    ]))
    assert spec_of(draft(sample))["order"]["total"] == "amount"


def test_square_money_objects_are_read_in_minor_units_per_currency(tmp_path, capsys):
    sample = SAMPLES / "square.json"
    text = draft(sample)
    spec = spec_of(text)
    order = spec["order"]
    assert spec["defaults"]["timezone"] == "UTC"  # Japanese text is not Chinese content; the dates carry Z
    assert "currency" not in spec["defaults"]  # USD and JPY
    assert order["currency"] == "total_money.currency"
    # USD has cents and JPY none: each amount is read with its own currency's exponent, as the square preset does.
    assert order["total"]["transform"] == {"minor_units": 2} and "total_money.amount" in order["total"]["jmespath"]
    assert "money objects in minor units" in line_of(text, "total:")
    assert "base_price_money.amount" in order["items"]["fields"]["price"]["jmespath"]
    code, orders, report = check(tmp_path, sample, capsys)
    assert [(o["total"], o["currency"]) for o in orders] == [("60.50", "USD"), ("198.50", "USD"), ("1300", "JPY")]
    assert [i["price"] for i in orders[0]["items"]] == ["18.00", "24.50"]
    assert orders[2]["items"][0]["price"] == "650"
    assert "totals far from" not in report


def test_money_objects_in_one_currency_get_a_plain_minor_units(tmp_path, capsys):
    sample = tmp_path / "orders.json"
    sample.write_text(json.dumps([
        {"id": "1", "status": "paid", "email": "a@example.com",
         "amount_money": {"amount": 1999, "currency": "EUR"},
         "lines": [{"sku": "A", "quantity": 1, "unit_price": {"amount": 1999, "currency": "EUR"}}]},
        {"id": "2", "status": "paid", "email": "b@example.com",
         "amount_money": {"amount": 500, "currency": "EUR"},
         "lines": [{"sku": "B", "quantity": 2, "unit_price": {"amount": 250, "currency": "EUR"}}]},
    ]))
    text = draft(sample)
    order = spec_of(text)["order"]
    assert order["total"] == {"path": "amount_money.amount", "transform": "minor_units"}
    assert order["items"]["fields"]["price"] == {"path": "unit_price.amount", "transform": "minor_units"}
    code, orders, report = check(tmp_path, sample, capsys)
    assert code == 0, report
    assert [o["total"] for o in orders] == ["19.99", "5.00"] and orders[1]["items"][0]["price"] == "2.50"


def test_an_ip_address_and_its_geoip_country_are_not_the_shipping_address(tmp_path):
    sample = tmp_path / "orders.json"
    sample.write_text(json.dumps([
        {"id": "1", "status": "paid", "ip_address": "198.51.100.23", "geoip_country": "United States"},
        {"id": "2", "status": "paid", "ip_address": "2001:db8::1", "geoip_country": "Canada"},
    ]))
    text = draft(sample)
    assert "shipping_address" not in spec_of(text)["order"]
    assert '#   ip_address   e.g. "198.51.100.23"' in text and "#   geoip_country" in text


def test_a_list_of_shipping_addresses_gives_the_first_one(tmp_path, capsys):
    sample = SAMPLES / "bigcommerce.json"
    address = spec_of(draft(sample))["order"]["shipping_address"]
    assert address["line1"] == "shipping_addresses[0].street_1"
    assert address["postal_code"] == "shipping_addresses[0].zip"
    code, orders, report = check(tmp_path, sample, capsys)
    assert orders[0]["shipping_address"]["postal_code"] == "78751"
    assert orders[1]["shipping_address"] is None  # a link object {url, resource}, not the addresses
    assert orders[2]["shipping_address"]["city"] == "London"


def test_the_region_comes_from_numbers_without_a_country_code(tmp_path, capsys):
    sample = tmp_path / "orders.json"
    sample.write_text(json.dumps([
        {"id": "1", "status": "paid", "phone": "512-555-0199", "country": "US"},
        {"id": "2", "status": "paid", "phone": "+44 20 7946 0958", "country": "GB"},
        {"id": "3", "status": "paid", "phone": "(555) 229-3326", "country": "GB"},  # an example number: still US
    ]))
    text = draft(sample)
    assert spec_of(text)["defaults"]["region"] == "US"
    _, orders, _ = check(tmp_path, sample, capsys)
    assert [o["customer"]["phone"] for o in orders] == ["+15125550199", "+442079460958", "+15552293326"]


def test_a_name_that_only_contains_a_synonym_and_ends_in_type_or_id_is_not_that_field():
    order = spec_of(draft(SAMPLES / "magento.json"))["order"]
    address = order["shipping_address"]
    assert not str(address["line1"]).endswith("address_type")  # "shipping"; Magento's street is a list of lines
    assert address["postal_code"] == "extension_attributes.shipping_assignments[0].shipping.address.postcode"


def test_magento_items_skip_child_rows_and_read_the_ordered_quantity(tmp_path, capsys):
    sample = SAMPLES / "magento.json"
    items = spec_of(draft(sample))["order"]["items"]
    assert items["where"] == {"parent_item_id": {"present": False}, "parent_item": {"present": False}}
    assert items["fields"]["quantity"] == "qty_ordered"
    assert items["fields"]["product_id"] == "product_id"  # not item_id, the order line's own id
    _, orders, _ = check(tmp_path, sample, capsys)
    assert [(i["sku"], i["quantity"]) for i in orders[0]["items"]] == [("WS12-XS-Orange", 1), ("24-WG085", 2)]


BUNDLED = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".json", ".csv"))


@pytest.mark.parametrize("sample", BUNDLED, ids=lambda p: p.name)
def test_every_bundled_sample_s_draft_passes_check(tmp_path, capsys, sample):
    """Each shipped preset passes `mapping check` on its sample; the draft for the same sample must too."""
    code, orders, report = check(tmp_path, sample, capsys)
    assert code == 0, report
    assert "  order.status:" not in report  # no order status label fell to unknown


def test_square_contact_and_address_come_from_the_fulfillment_recipients(tmp_path, capsys):
    sample = SAMPLES / "square.json"
    text = draft(sample)
    order = spec_of(text)["order"]
    assert order["customer"]["email"] == {
        "jmespath": "fulfillments[].shipment_details.recipient.email_address | [?@] | [0]"}
    # A pickup's recipient is a contact too; the phone of whichever recipient has one.
    assert "pickup_details.recipient.phone_number" in order["customer"]["phone"]["jmespath"]
    assert "the order itself has no email or phone" in line_of(text, "email:")
    address = order["shipping_address"]
    assert address["postal_code"] == {
        "jmespath": "fulfillments[].shipment_details.recipient.address.postal_code | [?@] | [0]"}
    assert "pickup" not in address["name"]["jmespath"]  # one address: never a pickup's name with a shipment's street
    assert order["status"]["map"] == {"COMPLETED": "delivered", "OPEN": "processing"}
    assert order["shipments"]["fields"]["status"]["map"] == {
        "COMPLETED": "delivered", "RESERVED": "label_created", "PREPARED": "label_created"}
    assert order["items"]["fields"]["product_id"] == "catalog_object_id"

    code, orders, report = check(tmp_path, sample, capsys)
    assert code == 0, report
    assert "fell to 'unknown'" not in report
    assert [(o["customer"]["email"], o["customer"]["phone"]) for o in orders] == [
        ("jane.doe@example.com", "+14155550134"), ("sam.lee@example.net", None), (None, "+819012345678")]
    assert [o["customer"]["name"] for o in orders] == ["Jane Doe", "Sam Lee", "佐藤 花子"]
    assert orders[0]["shipping_address"]["line2"] == "Suite 600" and orders[1]["shipping_address"]["city"] == (
        "San Francisco")
    assert orders[2]["shipping_address"] is None  # a pickup: nowhere to ship


def test_a_contact_inside_a_list_is_only_read_when_the_order_has_none(tmp_path):
    sample = tmp_path / "orders.json"
    records = [{"id": "1", "status": "paid", "deliveries": [{"recipient": {"email": "a@example.com"}}]},
               {"id": "2", "status": "paid", "deliveries": [{"recipient": {"email": "b@example.com"}}]}]
    sample.write_text(json.dumps(records))
    assert spec_of(draft(sample))["order"]["customer"] == {
        "email": {"jmespath": "deliveries[].recipient.email | [?@] | [0]"}}
    for i, record in enumerate(records):
        record["buyer_email"] = f"buyer{i}@example.com"
    sample.write_text(json.dumps(records))
    assert spec_of(draft(sample))["order"]["customer"] == {"email": "buyer_email"}


def test_bytedesk_both_order_info_shapes_get_items_status_and_shipments(tmp_path, capsys):
    sample = SAMPLES / "bytedesk.json"
    text = draft(sample)
    order = spec_of(text)["order"]
    # Legacy `goods` (an object or a list), else the flattened record itself is the item.
    items = order["items"]
    assert items["each"] == ["goods", "$"]
    assert items["fields"]["name"] == ["title", "orderTitle"]
    assert items["fields"]["price"] == ["price", "orderPrice"]
    assert "records without it are one item themselves" in line_of(text, "items:")
    # The newer shape may send only the label; it is the status's fallback and still the status_text.
    assert order["status"]["path"] == ["status", "statusText"]
    assert order["status"]["map"]["待发货"] == "processing"
    assert order["status_text"] == "statusText"
    assert order["customer"]["name"] == ["shippingName", "shippingAddress.name"]
    shipments = order["shipments"]
    assert shipments["each"] == {"path": "extra", "transform": "json"}
    assert shipments["fields"]["tracking_number"] == "trackingNumber"
    assert "an object with a tracking number: one package" in line_of(text, "shipments:")

    code, orders, report = check(tmp_path, sample, capsys)
    assert code == 0, report
    assert [o["status"] for o in orders] == ["processing", "shipped", "delivered", "processing"]
    assert [[(i["name"], i["quantity"]) for i in o["items"]] for o in orders[2:]] == [
        [("Ceramic Tea Set", 1)], [("Running Shoes", 1)]]
    assert len(orders[1]["items"]) == 2 and orders[0]["items"][0]["product_id"] == "goods_001"
    assert orders[1]["shipments"][0]["tracking_number"] == "SF1234567890123"
    assert orders[1]["shipments"][0]["carrier"] == "SF Express"


def test_records_without_the_item_list_are_not_items_when_the_record_shares_the_list_s_paths(tmp_path):
    sample = tmp_path / "orders.json"
    sample.write_text(json.dumps([
        {"id": "1", "status": "paid", "email": "a@example.com", "goods": [{"title": "Pen", "price": "2.50"}]},
        {"id": "2", "status": "paid", "email": "b@example.com", "title": "Spring sale", "orderPrice": "9.00",
         "orderQuantity": 1},
    ]))
    # On the record, `title` is the order's own title: reading it as the item's name would be wrong.
    assert spec_of(draft(sample))["order"]["items"]["each"] == "goods"


def test_a_status_label_field_is_the_status_s_fallback_only_when_its_labels_are_known(tmp_path):
    sample = tmp_path / "orders.json"
    records = [{"id": "1", "status": "paid", "statusText": "已付款", "email": "a@example.com"},
               {"id": "2", "statusText": "已发货", "email": "b@example.com"}]
    sample.write_text(json.dumps(records))
    status = spec_of(draft(sample))["order"]["status"]
    assert status["path"] == ["status", "statusText"] and status["map"]["已发货"] == "shipped"
    records[1]["statusText"] = "Waiting for the moon"
    sample.write_text(json.dumps(records))
    assert spec_of(draft(sample))["order"]["status"]["path"] == "status"


def test_magento_street_lines_are_line1_and_line2(tmp_path, capsys):
    sample = SAMPLES / "magento.json"
    text = draft(sample)
    address = spec_of(text)["order"]["shipping_address"]
    street = "extension_attributes.shipping_assignments[0].shipping.address.street"
    assert address["line1"] == f"{street}[0]" and address["line2"] == f"{street}[1]"
    assert "values are lists of address lines: line1 is the first" in line_of(text, "line1:")
    code, orders, report = check(tmp_path, sample, capsys)
    assert code == 0, report
    assert [(o["shipping_address"] or {}).get("line1") for o in orders] == ["301 E Liberty St", "Marienplatz 8", None]
    assert orders[0]["shipping_address"]["line2"] == "Suite 200" and orders[1]["shipping_address"]["line2"] is None
    # Read by index, the list counts as used.
    assert "shipping.address.street\n" not in report.split("source fields never used", 1)[1]


def test_woocommerce_shipment_tracking_meta_becomes_shipments(tmp_path, capsys):
    sample = SAMPLES / "woocommerce.json"
    text = draft(sample)
    shipments = spec_of(text)["order"]["shipments"]
    assert shipments["each"] == {"jmespath": "meta_data[?key == '_wc_shipment_tracking_items'].value | [0]",
                                 "transform": "json"}
    assert shipments["fields"]["tracking_number"] == "tracking_number"
    assert shipments["fields"]["carrier"] == ["tracking_provider", "custom_tracking_provider"]
    assert shipments["fields"]["shipped_at"] == {"path": "date_shipped", "transform": {"datetime": {"unit": "s"}}}
    assert "key/value list 'meta_data'" in line_of(text, "shipments:")
    code, orders, report = check(tmp_path, sample, capsys)
    assert code == 0, report
    tracked = {o["id"]: [(s["tracking_number"], s["carrier"]) for s in o["shipments"]]
               for o in orders if o["shipments"]}
    assert tracked == {"728": [("1Z5R89390357567127", "UPS")],
                       "WC-729": [("9405511899223197428490", "USPS"), ("LSO123456", "Lone Star Overnight")],
                       "1730": [("3318810025", "DHL Express")]}  # the last one's meta value is JSON text
    assert orders[1]["shipments"][0]["shipped_at"] == "2024-10-10T00:00:00Z"


def test_a_key_value_list_entry_of_packages_is_read_by_its_key(tmp_path, capsys):
    sample = tmp_path / "orders.json"
    sample.write_text(json.dumps([
        {"id": "1", "status": "shipped", "email": "a@example.com", "total": "5.00", "currency": "USD",
         "items": [{"name": "Pen"}],
         "attributes": [{"name": "gift", "value": "no"},
                        {"name": "parcels", "value": [{"tracking_number": "1Z999AA10123456784"}]}]},
    ]))
    shipments = spec_of(draft(sample))["order"]["shipments"]
    assert shipments["each"] == {"jmespath": "attributes[?name == 'parcels'].value | [0]"}
    code, orders, report = check(tmp_path, sample, capsys)
    assert code == 0, report
    assert orders[0]["shipments"][0]["carrier"] == "UPS"


def test_a_list_with_tracking_numbers_is_shipments_whatever_its_name(tmp_path):
    sample = tmp_path / "orders.json"
    sample.write_text(json.dumps([
        {"id": "1", "status": "shipped", "boxes": [{"tracking_number": "1Z999AA10123456784"}]},
        {"id": "2", "status": "shipped", "boxes": [{"tracking_number": "9400111899562537866361"}]},
    ]))
    shipments = spec_of(draft(sample))["order"]["shipments"]
    assert shipments["each"] == "boxes" and shipments["fields"]["tracking_number"] == "tracking_number"


def test_shipment_entities_holding_tracks_give_one_package_per_track(tmp_path, capsys):
    sample = tmp_path / "orders.json"
    sample.write_text(json.dumps([
        {"increment_id": "000000031", "status": "complete", "customer_email": "a@example.com",
         "shipments": [{"entity_id": 7, "tracks": [
             {"track_number": "1Z999AA10123456784", "title": "United Parcel Service"},
             {"track_number": "9400111899562537866361", "title": "USPS"}]}]},
    ]))
    text = draft(sample)
    shipments = spec_of(text)["order"]["shipments"]
    assert shipments["each"] == {"jmespath": "shipments[].tracks[]"}
    assert shipments["fields"]["tracking_number"] == "track_number"
    assert "every element of those is one package" in line_of(text, "shipments:")
    _, orders, _ = check(tmp_path, sample, capsys)
    assert [s["tracking_number"] for s in orders[0]["shipments"]] == ["1Z999AA10123456784", "9400111899562537866361"]


def test_amazon_money_objects_and_line_totals(tmp_path, capsys):
    sample = SAMPLES / "amazon.json"
    text = draft(sample)
    order = spec_of(text)["order"]
    assert order["total"] == "OrderTotal.Amount"
    assert "'OrderTotal' is a money object: its name matches 'orderTotal'" in line_of(text, "total:")
    # ItemPrice is the whole line's amount: the totals add it up without the quantities.
    assert order["items"]["fields"]["price"] == {
        "jmespath": "to_number(QuantityOrdered) == `1` && ItemPrice.Amount || `null`"}
    assert "they are line totals" in line_of(text, "price:")
    assert order["items"]["fields"]["product_id"] == "ASIN"
    assert order["external_ref_id"] == "SellerOrderId"
    code, orders, report = check(tmp_path, sample, capsys)
    assert code == 0, report
    assert [[i["price"] for i in o["items"]] for o in orders] == [[None, "34.99"], ["18.49"], [None]]


def test_decimal_money_objects_are_named_by_the_object_and_unit_prices_stay_plain(tmp_path):
    sample = tmp_path / "orders.json"
    sample.write_text(json.dumps([
        {"id": "1", "status": "paid", "tax": {"value": "1.00", "currency": "EUR"},
         "order_total": {"value": "21.00", "currency": "EUR"},
         "lines": [{"sku": "A", "quantity": 2, "unit_price": {"value": "10.50", "currency": "EUR"}}]},
    ]))
    order = spec_of(draft(sample))["order"]
    assert order["total"] == "order_total.value"  # not tax.value, though both are `value`
    assert order["items"]["fields"]["price"] == "unit_price.value"  # 2 x 10.50 is the total: unit prices
