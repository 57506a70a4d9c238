"""The bundled demo merchant, Demo Outfitters: a config (merchant.yaml) and ~200 generated canonical orders
(orders.json, made by `python -m tools.demo.generate`), served by the embedded store with no setup step."""

from __future__ import annotations

from pathlib import Path

__all__ = ["CONFIG_PATH", "ORDERS_PATH", "REFERENCE_DATE"]

DEMO_DIR = Path(__file__).resolve().parent
CONFIG_PATH = DEMO_DIR / "merchant.yaml"
ORDERS_PATH = DEMO_DIR / "orders.json"
REFERENCE_DATE = "2026-11-25"
"""The demo's "today": its late and stale shipments are late and stale relative to this date."""
