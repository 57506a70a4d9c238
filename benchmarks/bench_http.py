"""HTTP source benchmark: the cost of `HttpSource.find` over a bare `httpx.Client.get` + `.json()`.

    .venv/bin/python -m benchmarks.bench_http [--requests N] [--block N]

A stdlib HTTP/1.1 keep-alive server in a separate process (so it does not compete with the client for the GIL)
answers every request with a seed-002 JSON array of 1-3 orders. Three clients take turns in blocks, rotating
which goes first, so drift in the machine's speed falls on all of them alike:

    bare       httpx.Client.get(url, params) + response.json()
    transport  HttpSource.fetch_records: the same GET through the source's retry/deadline/size-cap path
    find       HttpSource.find: fetch_records + mapping onto canonical Orders

Target: find <= 1.2x bare. Mapping is separate work that the bare GET does not do, so the transport-only ratio
is reported beside it. Results are printed and written to benchmarks/out/http.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import platform
import socket
import statistics
import sys
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tools.config import HttpSourceConfig
from tools.http_source import HttpSource
from tools.mapping import load_mapping

OUT = Path(__file__).resolve().parent / "out"
TARGET_RATIO = 1.2
VARIANTS = ("bare", "transport", "find")


def seed_orders(n: int) -> list[dict[str, Any]]:
    """`n` orders in seed 002's documented shape, varied the way a real customer's orders are."""
    statuses = ["shipped", "delivered", "processing"]
    products = [("ABC123", "Wireless Earbuds", 59.99), ("CASE-9", "Charging case", 19.5),
                ("USB-C2", "USB-C cable", 9.0)]
    orders = []
    for i in range(n):
        items: list[dict[str, Any]] = [
            {"sku": sku, "name": name, "quantity": 1 + (i + j) % 2, "price": price,
             "image_url": f"https://cdn.example.com/{sku}.jpg"}
            for j, (sku, name, price) in enumerate(products[: i + 1])
        ]
        orders.append({
            "id": f"ORD-{12345 + i}",
            "status": statuses[i % 3],
            "created_at": f"2024-10-1{i}T14:21:00Z",
            "updated_at": f"2024-10-1{i + 1}T09:05:00Z",
            "customer": {"email": "jane@example.com", "phone": "+14151234567", "name": "Jane Doe"},
            "shipping_address": {"line1": "123 Main Street", "city": "San Francisco", "postal_code": "94103",
                                 "country": "US"},
            "items": items,
            "total": round(sum(it["price"] * it["quantity"] for it in items), 2),
            "currency": "USD",
            "tracking_number": "1Z999AA10123456784" if i % 3 != 2 else None,
            "external_ref_id": f"XYZ{987 + i}",
        })
    return orders


BODIES = [json.dumps(seed_orders(n)).encode() for n in (1, 2, 3)]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        local = parse_qs(urlsplit(self.path).query).get("email", ["0@"])[0].partition("@")[0]
        body = BODIES[int(local[-1]) % 3 if local[-1:].isdigit() else 0]
        # One write: headers and body in separate small writes can stall on delayed ACKs.
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                "Connection: keep-alive\r\n\r\n").encode()
        self.wfile.write(head + body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's signature)
        pass


def _serve(sock: socket.socket) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    server.serve_forever()


def _start_server() -> tuple[multiprocessing.process.BaseProcess, str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    process = multiprocessing.get_context("fork").Process(target=_serve, args=(sock,), daemon=True)
    process.start()
    sock.close()
    return process, f"http://127.0.0.1:{port}/api/orders"


def _stats(samples_ns: list[int]) -> dict[str, float]:
    ordered = sorted(samples_ns)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] / 1e3

    return {"n": len(ordered), "mean_us": statistics.fmean(ordered) / 1e3, "p50_us": pct(0.50),
            "p99_us": pct(0.99), "min_us": ordered[0] / 1e3}


def run(requests: int = 3000, block: int = 150) -> dict[str, Any]:
    """Time `requests` lookups per variant against a local server; the figures as a dict."""
    process, url = _start_server()
    emails = [f"jane{i}@example.com" for i in range(3)]  # the server answers 1, 2 or 3 orders by the last digit
    config = HttpSourceConfig(type="http", url=url, timeout_s=5, retries=0)
    bare = httpx.Client()
    source = HttpSource(config, load_mapping("generic"))
    calls: dict[str, Callable[[str], Any]] = {
        "bare": lambda e: bare.get(url, params={"email": e}).json(),
        "transport": lambda e: source.fetch_records("email", e),
        "find": lambda e: source.find("email", e),
    }
    try:
        for name, call in calls.items():  # warm-up: connections, caches, the mapping's first-call paths
            sizes = {len(call(emails[i % 3])) for i in range(200)}
            assert sizes == {1, 2, 3}, (name, sizes)
        samples: dict[str, list[int]] = {name: [] for name in VARIANTS}
        rounds = max(1, requests // block)
        gc.collect()
        for r in range(rounds):
            order = VARIANTS[r % 3:] + VARIANTS[: r % 3]
            for name in order:
                call, out = calls[name], samples[name]
                clock = time.perf_counter_ns
                for i in range(block):
                    email = emails[i % 3]
                    start = clock()
                    call(email)
                    out.append(clock() - start)
        # Mapping alone, on already-decoded replies, to explain the gap between transport and find.
        payloads = [json.loads(body) for body in BODIES]
        mapper = source.mapper
        mapping_ns = []
        for i in range(requests):
            start = time.perf_counter_ns()
            mapper.map_records(payloads[i % 3])
            mapping_ns.append(time.perf_counter_ns() - start)
    finally:
        source.close()
        bare.close()
        process.terminate()
        process.join(5)

    stats = {name: _stats(samples[name]) for name in VARIANTS}
    stats["mapping_only"] = _stats(mapping_ns)
    base = stats["bare"]
    ratios = {
        f"{name}/bare": {key: stats[name][f"{key}_us"] / base[f"{key}_us"] for key in ("mean", "p50", "p99")}
        for name in ("transport", "find")
    }
    return {
        "benchmark": "http_source",
        "requests_per_variant": rounds * block,
        "block": block,
        "orders_per_reply": [1, 2, 3],
        "reply_bytes": [len(b) for b in BODIES],
        "target": f"find/bare mean <= {TARGET_RATIO}",
        "results": stats,
        "ratios": ratios,
        "mapping_in_find_us": stats["find"]["mean_us"] - stats["transport"]["mean_us"],
        "target_met": {"end_to_end": ratios["find/bare"]["mean"] <= TARGET_RATIO,
                       "transport": ratios["transport/bare"]["mean"] <= TARGET_RATIO},
        "environment": {"python": sys.version.split()[0], "httpx": httpx.__version__, "platform": platform.platform(),
                        "cpus": os.cpu_count()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=3000, help="requests per variant (default 3000)")
    parser.add_argument("--block", type=int, default=150, help="requests per turn before the next variant")
    args = parser.parse_args(argv)
    report = run(args.requests, args.block)
    print(f"{report['requests_per_variant']} sequential requests per variant, replies of 1-3 seed-002 orders")
    print(f"{'variant':<14}{'mean us':>10}{'p50 us':>10}{'p99 us':>10}")
    for name, s in report["results"].items():
        print(f"{name:<14}{s['mean_us']:>10.1f}{s['p50_us']:>10.1f}{s['p99_us']:>10.1f}")
    for name, r in report["ratios"].items():
        print(f"{name:<16} mean {r['mean']:.2f}x  p50 {r['p50']:.2f}x  p99 {r['p99']:.2f}x")
    met = report["target_met"]
    print(f"target {report['target']}: end to end {'met' if met['end_to_end'] else 'NOT met'}, "
          f"transport only {'met' if met['transport'] else 'NOT met'}")
    OUT.mkdir(exist_ok=True)
    (OUT / "http.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written to {OUT / 'http.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
