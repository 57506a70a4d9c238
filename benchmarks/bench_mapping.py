"""How fast the compiled `shopify` preset maps orders, against a hand-written transform of the same semantics.

    .venv/bin/python -m benchmarks.bench_mapping [--orders N] [--check N] [--repeat N]

Both paths end in the same place: phones through `tools.phones.to_e164` (region US, as a merchant config sets
it), carriers through `tools.carriers.complete_shipment`, and `Order.model_validate`. They are first checked to
give identical orders, then timed on one core (CPU time of this single-threaded process, best of --repeat).
Results go to stdout as a table and to benchmarks/out/mapping.json as one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks._gen_shopify import generate_orders
from tools.carriers import complete_shipment
from tools.mapping import Mapper, load_mapping
from tools.phones import to_e164
from tools.schema import Order

OUT = Path(__file__).resolve().parent / "out" / "mapping.json"
REGION = "US"
TARGET_RATE = 50_000
TARGET_RATIO = 2.0

# ---------------------------------------------------------------------------------------------------------
# The hand-written path: what a developer would write for Shopify alone, with the preset's semantics.

_PAID = {"paid", "authorized", "partially_paid", "partially_refunded"}
_UNFULFILLED = {None, "unfulfilled"}
_SKIPPED = {"cancelled", "error", "failure"}
_SHIPMENT_STATUS = {
    "label_printed": "label_created", "label_purchased": "label_created", "confirmed": "label_created",
    "in_transit": "in_transit", "carrier_picked_up": "in_transit", "picked_up": "in_transit", "delayed": "in_transit",
    "out_for_delivery": "out_for_delivery", "attempted_delivery": "delivery_attempted",
    "ready_for_pickup": "available_for_pickup", "delivered": "delivered", "failure": "exception",
}


def _label(value: Any) -> Any:
    return value.strip().casefold() if isinstance(value, str) else value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.strip() or None if isinstance(value, str) else str(value)


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _phone(value: Any) -> str | None:
    return to_e164(value, REGION) if value else None


def _email(value: str | None) -> str | None:
    if not value:
        return None
    local, at, domain = value.strip().rpartition("@")
    return f"{local}@{domain.lower()}" if at else value.strip()


def _status(order: dict[str, Any]) -> str:
    financial, fulfillment = _label(order.get("financial_status")), _label(order.get("fulfillment_status"))
    if order.get("cancelled_at"):
        return "cancelled"
    if financial == "refunded":
        return "refunded"
    if financial == "voided":
        return "cancelled"
    if fulfillment == "restocked":
        return "returned"
    if fulfillment == "partial":
        return "partially_shipped"
    if fulfillment == "fulfilled":
        return "shipped"
    if fulfillment in _UNFULFILLED and financial in _PAID:
        return "processing"
    if fulfillment in _UNFULFILLED and financial == "pending":
        return "pending"
    return "unknown"


def _shipment(fulfillment: dict[str, Any]) -> dict[str, Any]:
    numbers, urls = fulfillment.get("tracking_numbers") or [None], fulfillment.get("tracking_urls") or [None]
    label = _label(fulfillment.get("shipment_status"))
    shipment = {
        "carrier": _text(fulfillment.get("tracking_company")),
        "tracking_number": _text(fulfillment.get("tracking_number") or numbers[0]),
        "tracking_url": _text(fulfillment.get("tracking_url") or urls[0]),
        "status": _SHIPMENT_STATUS.get(label, "unknown") if label else "unknown",
        "shipped_at": _time(fulfillment.get("created_at")),
        "items": [
            {"sku": _text(item.get("sku")), "name": _text(item.get("name") or item.get("title")),
             "quantity": item.get("quantity")}
            for item in fulfillment.get("line_items") or ()
        ],
    }
    complete_shipment(shipment)
    return shipment


def hand_written(order: dict[str, Any]) -> Order:
    """The `shopify` preset's mapping, written out by hand for Shopify orders."""
    return Order.model_validate(hand_data(order))


def hand_data(order: dict[str, Any]) -> dict[str, Any]:
    """The fields of the Order `hand_written` validates."""
    customer = order.get("customer") or {}
    address = order.get("shipping_address")
    gateways = order.get("payment_gateway_names")
    status = _status(order)
    shipments = [_shipment(f) for f in order.get("fulfillments") or () if _label(f.get("status")) not in _SKIPPED]
    if status == "shipped" and shipments and all(s["status"] == "delivered" for s in shipments):
        status = "delivered"
    data = {
        "id": _text(order.get("name") or order.get("order_number")),
        "external_ref_id": _text(order.get("id")),
        "status": status,
        "status_text": " / ".join(
            t for t in (_text(order.get("financial_status")), _text(order.get("fulfillment_status"))) if t
        ) or None,
        "created_at": _time(order.get("created_at")),
        "updated_at": _time(order.get("updated_at")),
        "customer": {
            "name": " ".join(t for t in (customer.get("first_name"), customer.get("last_name")) if t) or None,
            "email": _email(order.get("email") or order.get("contact_email") or customer.get("email")),
            "phone": _phone(order.get("phone") or customer.get("phone")),
        },
        "shipping_address": None if not address else {
            "name": _text(address.get("name")), "line1": _text(address.get("address1")),
            "line2": _text(address.get("address2")), "city": _text(address.get("city")),
            "region": _text(address.get("province")), "postal_code": _text(address.get("zip")),
            "country": _text(address.get("country_code")), "phone": _phone(address.get("phone")),
        },
        "items": [
            {"sku": _text(item.get("sku")), "name": _text(item.get("name") or item.get("title")),
             "quantity": item.get("quantity"), "price": Decimal(item["price"]),
             "product_id": _text(item.get("product_id"))}
            for item in order.get("line_items") or ()
        ],
        "total": Decimal(order["total_price"]),
        "currency": order["currency"].upper(),
        "shipments": shipments,
        "payment_method": _text(gateways[0] if gateways else order.get("gateway")),
    }
    return data


# ---------------------------------------------------------------------------------------------------------
# Timing


def _cpu_seconds(run: Callable[[], None], repeat: int) -> float:
    """The best CPU time of `repeat` runs: this process is single-threaded, so it is time on one core, and other
    load on the machine (other processes) does not count against it."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def _each(fn: Callable[[Any], Any], items: Iterable[Any]) -> Callable[[], None]:
    def run() -> None:
        for item in items:
            fn(item)

    return run


def verify(mapper: Mapper, orders: list[dict[str, Any]]) -> None:
    """The two paths give identical orders (AssertionError naming the first that differs)."""
    for order in orders:
        mapped, hand = mapper.map_one(order), hand_written(order)
        if mapped != hand or mapped.model_dump(mode="json") != hand.model_dump(mode="json"):
            a, b = mapped.model_dump(mode="json"), hand.model_dump(mode="json")
            diff = {k: (a[k], b[k]) for k in a if a[k] != b[k]}
            raise AssertionError(f"order {order.get('name')}: preset and hand-written differ: {diff}")


def run(count: int, check: int, repeat: int, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    # Through JSON text, so every order is its own objects, as when a merchant's payload is parsed.
    orders: list[dict[str, Any]] = [json.loads(json.dumps(order)) for order in generate_orders(count, seed)]
    generated = time.perf_counter() - started
    mapper = load_mapping("shopify", region=REGION)
    verify(mapper, orders[:check])
    validated = [hand_data(o) for o in orders[: min(count, 20_000)]]
    # The input is a few million long-lived objects: without this, the collector's full passes over them would
    # be charged to whichever path happened to trigger one.
    gc.collect()
    gc.freeze()
    preset = _cpu_seconds(_each(mapper.map_one, orders), repeat)
    hand = _cpu_seconds(_each(hand_written, orders), repeat)
    validate = _cpu_seconds(_each(Order.model_validate, validated), repeat) * count / len(validated)
    gc.unfreeze()
    return {
        "benchmark": "mapping",
        "preset": "shopify",
        "orders": count,
        "seed": seed,
        "checked_identical": min(check, count),
        "preset_orders_per_s": round(count / preset),
        "hand_orders_per_s": round(count / hand),
        "validate_only_orders_per_s": round(count / validate),
        "preset_us_per_order": round(preset / count * 1e6, 2),
        "hand_us_per_order": round(hand / count * 1e6, 2),
        "validate_us_per_order": round(validate / count * 1e6, 2),
        "ratio_preset_to_hand": round(preset / hand, 2),
        "target_orders_per_s": TARGET_RATE,
        "target_ratio": TARGET_RATIO,
        "meets_rate": count / preset >= TARGET_RATE,
        "meets_ratio": preset / hand <= TARGET_RATIO,
        "generate_s": round(generated, 2),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def table(result: dict[str, Any]) -> str:
    rows = [
        ("shopify preset (Mapper.map_one)", result["preset_orders_per_s"], result["preset_us_per_order"]),
        ("hand-written dict transform", result["hand_orders_per_s"], result["hand_us_per_order"]),
        ("Order.model_validate alone", result["validate_only_orders_per_s"], result["validate_us_per_order"]),
    ]
    lines = [f"{result['orders']:,} Shopify orders, one core, Python {result['python']} "
             f"({result['checked_identical']:,} checked identical)", "",
             f"{'path':<34} {'orders/s':>10} {'us/order':>9}", "-" * 55]
    lines += [f"{name:<34} {rate:>10,} {us:>9.2f}" for name, rate, us in rows]
    lines += ["", f"preset / hand-written time: {result['ratio_preset_to_hand']:.2f}x "
              f"(target <= {TARGET_RATIO:.0f}x: {'met' if result['meets_ratio'] else 'MISSED'})",
              f"preset rate: {result['preset_orders_per_s']:,}/s "
              f"(target >= {TARGET_RATE:,}/s: {'met' if result['meets_rate'] else 'MISSED'})"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_mapping", description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders to generate and map (default 100000)")
    parser.add_argument("--check", type=int, default=5_000, help="orders checked identical first (default 5000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per path; the best counts (default 3)")
    parser.add_argument("--seed", type=int, default=1042)
    args = parser.parse_args(argv)
    if args.orders < 1 or args.repeat < 1 or args.check < 0:
        parser.error("--orders and --repeat must be at least 1, --check at least 0")
    result = run(args.orders, args.check, args.repeat, args.seed)
    print(table(result))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result) + "\n", encoding="utf-8")
    print(f"\nwrote {OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
