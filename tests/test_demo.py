"""The bundled demo merchant: its generated orders have the variety the assistant's tests rely on, and it works
from a fresh clone or a read-only install with no setup step."""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tools.carriers import detect_carrier
from tools.config import demo_config, load_config
from tools.demo import ORDERS_PATH, REFERENCE_DATE
from tools.demo.generate import INJECTION, NOW, build, render
from tools.schema import Order, OrderStatus, ShipmentStatus
from tools.sources import open_source
from tools.store import OrderStore

STALE_AFTER = timedelta(days=7)


@pytest.fixture(scope="module")
def demo() -> dict:
    return json.loads(ORDERS_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def orders(demo: dict) -> list[Order]:
    return [Order.model_validate(o) for o in demo["orders"]]


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_committed_file_is_what_the_generator_writes(demo: dict):
    assert ORDERS_PATH.read_text(encoding="utf-8") == render(build()), "run: python -m tools.demo.generate"
    assert demo["reference_date"] == REFERENCE_DATE == "2026-11-25"
    assert 150 <= len(demo["orders"]) <= 250


def test_every_order_and_shipment_status_is_there(orders: list[Order]):
    assert {o.status for o in orders} == set(OrderStatus)
    assert {s.status for o in orders for s in o.shipments} == set(ShipmentStatus)
    assert all(o.status_text for o in orders)


def test_ids_are_unique_and_orders_are_complete(orders: list[Order]):
    assert len({o.id for o in orders}) == len(orders)
    assert len({o.external_ref_id for o in orders}) == len(orders)
    for order in orders:
        assert order.created_at and order.created_at <= NOW
        assert order.customer.email and order.items and order.total and order.currency
        assert sum(i.price * i.quantity for i in order.items if i.price) <= order.total


def test_split_shipments_name_their_items(orders: list[Order]):
    split = [o for o in orders if len(o.shipments) > 1]
    assert len(split) >= 4
    for order in split:
        skus = [i.sku for s in order.shipments for i in s.items]
        assert len(skus) == len(set(skus)) and set(skus) <= {i.sku for i in order.items}
    partial = [o for o in orders if o.status == OrderStatus.PARTIALLY_SHIPPED]
    assert all(len({i.sku for s in o.shipments for i in s.items}) < len(o.items) for o in partial)


def test_repeat_customers_in_three_regions_with_e164_phones(orders: list[Order]):
    per_customer = Counter(o.customer.email.casefold() for o in orders if o.customer.email)
    assert sum(1 for n in per_customer.values() if n >= 3) >= 10
    phones = [o.customer.phone for o in orders if o.customer.phone]
    assert all(p.startswith("+") and p[1:].isdigit() for p in phones)
    prefixes = {p[:3] for p in phones}
    assert any(p.startswith("+1") and len(p) == 12 for p in phones) and "+86" in prefixes
    assert prefixes & {"+49", "+33", "+31", "+34", "+39", "+35", "+43"}
    assert {o.currency for o in orders} == {"USD", "EUR", "CNY"}
    assert any(o.customer.phone is None for o in orders)  # some shoppers gave no phone
    # Some orders spell the same email differently; lookups must not care.
    assert len({o.customer.email for o in orders}) > len(per_customer)


def test_chinese_customers_get_chinese_product_names_and_events(orders: list[Order]):
    cn = [o for o in orders if o.currency == "CNY"]
    assert len(cn) >= 10
    has_han = lambda text: any("\u4e00" <= ch <= "\u9fff" for ch in text or "")  # noqa: E731
    assert all(has_han(item.name) for o in cn for item in o.items if "Ignore" not in (item.name or ""))
    assert all(has_han(e.description) for o in cn for s in o.shipments for e in s.events)


def test_tracking_numbers_are_valid_for_their_carrier_and_linked(orders: list[Order]):
    shipments = [s for o in orders for s in o.shipments]
    assert {"UPS", "USPS", "FedEx", "SF Express"} <= {s.carrier for s in shipments}
    for shipment in shipments:
        assert shipment.tracking_number and shipment.tracking_url
        detected = detect_carrier(shipment.tracking_number)
        assert detected is not None and detected.name == shipment.carrier, shipment.tracking_number
        assert shipment.tracking_number in shipment.tracking_url
    assert any(s.tracking_number.startswith("1Z") for s in shipments)


def test_events_are_in_order_in_the_past_and_match_the_shipment(orders: list[Order]):
    for order in orders:
        for shipment in order.shipments:
            times = [e.time for e in shipment.events]
            assert times and all(t is not None for t in times)
            assert times == sorted(times) and times[-1] <= NOW  # type: ignore[operator]
            assert all(e.location for e in shipment.events)
            assert shipment.events[-1].status == shipment.status
            if shipment.status == ShipmentStatus.DELIVERED:
                assert shipment.delivered_at == times[-1]


def test_late_and_stale_shipments_relative_to_the_reference_date(orders: list[Order]):
    moving = [s for o in orders for s in o.shipments if s.status == ShipmentStatus.IN_TRANSIT]
    late = [s for s in moving if s.estimated_delivery and s.estimated_delivery < NOW]
    stale = [s for s in moving if NOW - s.events[-1].time > STALE_AFTER]  # type: ignore[operator]
    assert len(late) >= 2 and len(stale) >= 2
    on_time = [s for s in moving if s.estimated_delivery and s.estimated_delivery > NOW]
    assert on_time, "some shipments are still on schedule"
    assert NOW == datetime(2026, 11, 25, 20, 0, tzinfo=UTC)  # noon in Los Angeles


def test_prompt_injection_text_is_in_some_orders(orders: list[Order]):
    carrying = [o for o in orders if INJECTION in o.model_dump_json()]
    assert len(carrying) == 3
    assert any(INJECTION in (i.name or "") for o in carrying for i in o.items)
    assert any(INJECTION in str(o.extra.get("note")) for o in carrying)


def test_demo_config_opens_a_working_store():
    config = demo_config()
    assert (config.merchant.name, config.merchant.timezone) == ("Demo Outfitters", "America/Los_Angeles")
    assert (config.merchant.default_region, config.mapping, config.policy.verification) == ("US", "generic", "strict")
    source = open_source(config)
    try:
        assert isinstance(source, OrderStore)
        assert source.count() == len(build())
        first = source.find("order_id", "1001")[0]
        assert first.id == "#1001"
        assert first in source.find("email", first.customer.email.upper())
        assert any(o.id == "#1001" for o in source.find("phone", first.customer.phone or "none"))
    finally:
        source.close()


def test_demo_works_from_a_read_only_install_without_a_cache(tmp_path: Path, monkeypatch):
    install = tmp_path / "site-packages" / "demo"
    shutil.copytree(ORDERS_PATH.parent, install, ignore=shutil.ignore_patterns("__pycache__"))
    files = sorted(os.listdir(install))
    for path in [install, *install.iterdir()]:
        path.chmod(stat.S_IRUSR | stat.S_IXUSR if path.is_dir() else stat.S_IRUSR)
    blocked = tmp_path / "no-cache"
    blocked.write_text("")  # a file where the cache folder would be: nothing can be written there
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    try:
        source = open_source(load_config(install / "merchant.yaml"))
        assert source.find("order_id", "#1002")
        source.close()
        assert sorted(os.listdir(install)) == files  # nothing was written beside the config
    finally:
        for path in [install, *install.iterdir()]:
            path.chmod(stat.S_IRWXU)
