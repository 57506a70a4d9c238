"""The commands as a merchant and a shopper run them: real subprocesses, the bundled demo, a real SQLite store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

DEMO = json.loads((ROOT / "tools" / "demo" / "orders.json").read_text())["orders"]


def run(*args: str, stdin: str | None = None, cwd: Path | None = None, env: dict[str, str] | None = None):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ORDER_ASSISTANT_"))}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, input=stdin,
                          cwd=cwd or ROOT, env=environ, timeout=60)


def demo_order(status: str = "shipped") -> dict:
    return next(o for o in DEMO if o["status"] == status and o["customer"]["email"] and o["shipments"]
                and o["shipping_address"] and o["shipping_address"]["country"] == "US")


def test_lookup_on_the_demo_prints_what_the_model_sees():
    order = demo_order()
    proc = run("lookup", "--order-id", order["id"].lstrip("#"), "--email", order["customer"]["email"].upper(),
               "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["result"] == "found"
    (view,) = result["orders"]
    assert view["id"] == order["id"]
    assert view["shipments"][0]["tracking_number"] == order["shipments"][0]["tracking_number"]
    assert order["customer"]["email"] not in proc.stdout and order["customer"]["phone"] not in proc.stdout


def test_lookup_without_a_second_factor_discloses_nothing_and_exits_1():
    proc = run("lookup", "--order-id", demo_order()["id"])
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["result"] == "verification_needed"


def test_lookup_needs_a_key_and_config_errors_are_one_line(tmp_path):
    assert "at least one of" in run("lookup").stderr
    bad = tmp_path / "merchant.yaml"
    bad.write_text("merchant: {name: X, timezone: Mars/Base}\n")
    proc = run("lookup", "--config", str(bad), "--order-id", "1")
    assert proc.returncode == 2
    assert "merchant.timezone" in proc.stderr and "Traceback" not in proc.stderr


def test_http_merchant_down_gives_a_shopper_safe_message_and_lookup_exits_3(tmp_path):
    config = tmp_path / "merchant.yaml"
    config.write_text("source: {type: http, url: 'http://127.0.0.1:9/orders', timeout_s: 1, retries: 0}\n")
    proc = run("lookup", "--config", str(config), "--order-id", "1042", "--email", "a@example.com", "--json")
    assert proc.returncode == 3  # the source failed: not "no such order" (1)
    result = json.loads(proc.stdout)
    assert result["result"] == "unavailable" and "isn't answering" in result["message"]
    assert "Connection refused" in proc.stderr and "Traceback" not in proc.stderr
    # The shopper still gets a polite answer, and ask succeeds.
    asked = run("ask", "--config", str(config), "--offline", "where is order 1042? a@example.com")
    assert asked.returncode == 0 and "order system" in asked.stdout


@pytest.fixture
def merchant_server():
    """A loopback merchant endpoint: /ok answers one order, /e401 refuses, /e500 fails, /none finds nothing."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    order = {"id": "1042", "status": "shipped", "customer": {"email": "jane@example.com"}}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            path = self.path.split("?")[0]
            status, body = {"/ok": (200, [order]), "/e401": (401, {"error": "invalid token"}),
                            "/none": (200, [])}.get(path, (500, {"error": "oops"}))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("path", "code"), [("/ok", 0), ("/none", 1), ("/e401", 3), ("/e500", 3)])
def test_lookup_exit_codes_tell_a_failing_source_from_no_match(tmp_path, merchant_server, path, code):
    config = tmp_path / "merchant.yaml"
    config.write_text(f"source: {{type: http, url: '{merchant_server}{path}', timeout_s: 2, retries: 0}}\n")
    proc = run("lookup", "--config", str(config), "--order-id", "1042", "--email", "jane@example.com", "--json")
    assert proc.returncode == code, proc.stderr
    if code == 3:
        assert f"order source failed: GET {merchant_server}{path}: HTTP" in proc.stderr


def test_lookup_help_documents_the_exit_codes():
    out = run("lookup", "--help").stdout
    assert "exit codes:" in out
    for line in ("0  an order was found", "1  nothing shown", "2  usage or config error", "3  the order source failed"):
        assert line in out


def test_a_bad_mapping_in_the_config_stops_lookup_and_ask(tmp_path):
    config = tmp_path / "merchant.yaml"
    config.write_text("source: {type: store, path: orders.db}\nmapping: shopifyy\n")
    for args in (("lookup", "--order-id", "1", "--email", "a@b.co"), ("ask", "--offline", "where is order 1?")):
        proc = run(*args, "--config", str(config))
        assert proc.returncode == 2
        assert f"{config}: mapping: no preset 'shopifyy'" in proc.stderr and "Traceback" not in proc.stderr


def test_import_then_lookup_through_a_store_config(tmp_path):
    config = tmp_path / "merchant.yaml"
    config.write_text("merchant: {name: Acme, timezone: America/Los_Angeles, default_region: US}\n"
                      "source: {type: store, path: orders.db}\n")
    fixture = ROOT / "tests" / "fixtures" / "import_orders.jsonl"
    first = run("import", str(fixture), "--preset", "generic", "--config", str(config), "--json")
    assert first.returncode == 0, first.stderr
    counts = json.loads(first.stdout)
    assert counts["inserted"] > 0 and counts["rejected"] == 0
    again = json.loads(run("import", str(fixture), "--preset", "generic", "--config", str(config), "--json").stdout)
    assert again["inserted"] == 0 and again["unchanged"] == counts["inserted"]
    found = run("lookup", "--config", str(config), "--order-id", "1042", "--phone", "(415) 555-0142", "--json")
    assert json.loads(found.stdout)["result"] == "found", found.stdout


def test_import_uses_the_configs_mapping_and_store_from_the_flag_or_the_environment(tmp_path):
    config = tmp_path / "merchant.yaml"
    config.write_text("merchant: {name: Acme, timezone: America/New_York, default_region: US}\n"
                      "source: {type: store, path: shop.db}\nmapping: shopify\n")
    sample = ROOT / "tools" / "samples" / "shopify.json"
    first = run("import", str(sample), "--config", str(config), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["inserted"] > 0
    assert (tmp_path / "shop.db").exists() and not (ROOT / "orders.db").exists()
    # $ORDER_ASSISTANT_CONFIG is the same config: the same store, where the orders already are.
    again = run("import", str(sample), "--json", cwd=tmp_path, env={"ORDER_ASSISTANT_CONFIG": str(config)})
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["inserted"] == 0 and not (tmp_path / "orders.db").exists()
    order = json.loads(sample.read_text())
    order = (order.get("orders") or [order])[0] if isinstance(order, dict) else order[0]
    found = run("lookup", "--order-id", order["name"], "--email", order["email"], "--json",
                env={"ORDER_ASSISTANT_CONFIG": str(config)})
    assert json.loads(found.stdout)["result"] == "found", found.stdout


def test_import_without_a_mapping_or_config_says_what_to_give(tmp_path):
    proc = run("import", str(ROOT / "tools" / "samples" / "shopify.json"), cwd=tmp_path)
    assert proc.returncode == 2
    assert "--preset NAME or --mapping FILE" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "orders.db").exists()


def test_a_bad_import_writes_nothing_and_reports_every_bad_line(tmp_path):
    store = tmp_path / "orders.db"
    bad = ROOT / "tests" / "fixtures" / "import_bad.jsonl"
    proc = run("import", str(bad), "--preset", "generic", "--store", str(store))
    assert proc.returncode == 1
    assert "line " in proc.stdout + proc.stderr
    assert not store.exists()


@pytest.mark.parametrize("question", ["where is my order?"])
def test_ask_json_shape_offline(question):
    proc = run("ask", question, "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"answer", "tool_calls", "model", "fallback", "usage"}
    assert out["model"] is None and out["fallback"] is False and "order number" in out["answer"]


def test_ask_with_a_verified_identity_and_widget_order_info():
    order = demo_order()
    info = json.dumps({"uid": order["id"], "status": "shipped", "goods": {"title": "x", "price": 1, "quantity": 1},
                       "totalAmount": 1})
    proc = run("ask", "where is it?", "--order-info", info, "--verified-email", order["customer"]["email"], "--json")
    out = json.loads(proc.stdout)
    assert out["tool_calls"][0]["arguments"]["order_id"] == order["id"]
    assert order["shipments"][0]["tracking_number"] in out["answer"]


@pytest.mark.parametrize("info", ['{"uid":"1048","time":"昨天上午11点03分"}',
                                  '{"uid":"1048","goods":{"title":"x","quantity":"1件"}}',
                                  '{"orderUid":"1048","orderQuantity":"x"}'])
def test_ask_with_an_unreadable_field_in_the_widget_order_keeps_its_number(info):
    proc = run("ask", "hi", "--order-info", info, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tool_calls"][0]["arguments"] == {"order_id": "1048"}
    assert "ignored (only the order number is used)" in proc.stderr and "Traceback" not in proc.stderr


def test_ask_with_a_malformed_widget_order_says_so_and_answers():
    proc = run("ask", "where is my order?", "--order-info", '{"uid":"1048",', "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == ("order-assistant: orderInfo: not valid JSON (Expecting property name enclosed in "
                                   "double quotes at char 14); the conversation goes on without it")
    out = json.loads(proc.stdout)
    assert out["tool_calls"] == [] and "order number" in out["answer"]


def test_chat_reads_one_message_a_line_until_eof():
    order = demo_order()
    lines = f"hi, where is order {order['id']}?\n{order['customer']['email']}\nthanks!\n"
    proc = run("chat", stdin=lines)
    assert proc.returncode == 0, proc.stderr
    assert order["shipments"][0]["tracking_number"] in proc.stdout
    assert "welcome" in proc.stdout.lower()


def test_model_failure_falls_back_and_says_so():
    # A model server that refuses connections: the offline responder answers and the result says so.
    order = demo_order()
    proc = run("ask", f"where is {order['id']}? {order['customer']['email']}", "--json", "--model", "m",
               "--base-url", "http://127.0.0.1:9/v1", env={"OPENAI_API_KEY": "k"})
    out = json.loads(proc.stdout)
    assert out["fallback"] is True and out["model"] is None
    assert order["shipments"][0]["tracking_number"] in out["answer"]
