"""Store benchmark: import N synthetic orders end to end, then time lookups by every key.

    .venv/bin/python -m benchmarks.bench_store [--orders N] [--lookups N] [--keep]

Targets: import of 1,000,000 orders <= 60 s on 2 cores; lookup p99 <= 1 ms for each key. Results are printed
and written to benchmarks/out/store.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._gen_orders import email, order_id, phone, ref_id, write_jsonl
from tools.importer import import_file
from tools.mapping import load_mapping
from tools.store import OrderStore

OUT = Path(__file__).resolve().parent / "out"
IMPORT_TARGET_S = 60.0
P99_TARGET_MS = 1.0


def _percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def _lookups(store: OrderStore, n_orders: int, count: int, seed: int) -> dict[str, dict[str, float]]:
    rnd = random.Random(seed)
    customers = max(1, n_orders // 3)
    # Ask the way shoppers do: order numbers with and without '#', emails in any case, E.164 phones.
    probes = {
        "order_id": lambda: order_id(rnd.randrange(n_orders)).lstrip("#" if rnd.random() < 0.5 else ""),
        "email": lambda: email(rnd.randrange(customers)).upper() if rnd.random() < 0.1 else email(
            rnd.randrange(customers)),
        "phone": lambda: phone(rnd.randrange(customers)),
        "ref_id": lambda: ref_id(rnd.randrange(n_orders)),
    }
    results: dict[str, dict[str, float]] = {}
    for key, make in probes.items():
        values = [make() for _ in range(count)]
        for value in values[:200]:  # warm the page cache the way a running service has it
            store.find(key, value)  # type: ignore[arg-type]
        times: list[float] = []
        found = 0
        for value in values:
            start = time.perf_counter()
            orders = store.find(key, value)  # type: ignore[arg-type]
            times.append((time.perf_counter() - start) * 1000)
            found += bool(orders)
        times.sort()
        results[key] = {
            "p50_ms": round(_percentile(times, 0.50), 4),
            "p99_ms": round(_percentile(times, 0.99), 4),
            "max_ms": round(times[-1], 4),
            "mean_ms": round(statistics.fmean(times), 4),
            "hit_rate": round(found / count, 3),
        }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_store", description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=10_000, help="lookups per key (default 10,000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true", help="keep the generated file and database in benchmarks/out")
    args = parser.parse_args(argv)

    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-store-", dir=OUT))
    source = work / "orders.jsonl"
    db = work / "orders.db"
    started = time.perf_counter()
    write_jsonl(source, args.orders, args.seed)
    generated_s = time.perf_counter() - started
    print(f"generated {args.orders:,} orders ({source.stat().st_size / 1e6:.0f} MB) in {generated_s:.1f} s",
          file=sys.stderr)

    mapper = load_mapping("generic", region="US")  # national-format phones are parsed, as for a real merchant
    started = time.perf_counter()
    result = import_file(db, source, mapper)
    import_s = time.perf_counter() - started
    if result.errors:
        print(f"import failed: {result.errors[0]}", file=sys.stderr)
        return 1

    with OrderStore(db) as store:
        count = store.count()
        lookups = _lookups(store, args.orders, args.lookups, args.seed + 1)
    db_mb = sum(p.stat().st_size for p in work.glob("orders.db*")) / 1e6

    report = {
        "orders": args.orders,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "import_s": round(import_s, 2),
        "import_orders_per_s": round(args.orders / import_s),
        "import_target_s": IMPORT_TARGET_S * args.orders / 1_000_000,
        "inserted": result.inserted,
        "stored": count,
        "db_mb": round(db_mb),
        "lookups_per_key": args.lookups,
        "lookup": lookups,
        "p99_target_ms": P99_TARGET_MS,
    }
    (OUT / "store.json").write_text(json.dumps(report, indent=2) + "\n")

    print(f"\nimport: {args.orders:,} orders in {import_s:.1f} s ({report['import_orders_per_s']:,}/s), "
          f"database {db_mb:.0f} MB")
    print(f"\n{'key':<10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'hits':>6}")
    for key, row in lookups.items():
        flag = "" if row["p99_ms"] <= P99_TARGET_MS else "  over target"
        print(f"{key:<10} {row['p50_ms']:>8.3f} {row['p99_ms']:>8.3f} {row['max_ms']:>8.3f} "
              f"{row['hit_rate']:>6.0%}{flag}")
    print(f"\nwritten to {OUT / 'store.json'}")

    if not args.keep:
        for path in work.iterdir():
            path.unlink()
        work.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
