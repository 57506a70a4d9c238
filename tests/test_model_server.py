"""The model path over real HTTP: the CLI and the eval runner talk to a fake OpenAI-compatible server on
127.0.0.1 (the openai SDK and its httpx2 transport run for real), and eval cassettes replay with it gone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2
import pytest

from tests.conftest import ROOT
from tests.fake_model import ScriptedModel, Step, say

DEMO = json.loads((ROOT / "tools" / "demo" / "orders.json").read_text())["orders"]
ORDER = next(o for o in DEMO if o["status"] == "shipped" and o["customer"]["email"] and o["shipments"]
             and o["shipping_address"] and o["shipping_address"]["country"] == "US")
TRACKING = ORDER["shipments"][0]["tracking_number"]


class Server:
    """An OpenAI-compatible /v1/chat/completions endpoint answering from a ScriptedModel."""

    def __init__(self, *steps: Step) -> None:
        self.model = ScriptedModel(*steps, model="fake-served")
        model = self.model

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = httpx2.Request("POST", f"http://fake{self.path}", content=body)
                response = model.handle(request)
                payload = response.read()
                self.send_response(response.status_code)
                self.send_header("Content-Type", response.headers.get("content-type", "application/json"))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ORDER_ASSISTANT_"))}
    env["OPENAI_API_KEY"] = "test-key"
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=60, stdin=subprocess.DEVNULL)


@pytest.fixture
def grounded_answer() -> str:
    return f"Order {ORDER['id']} is on its way: tracking number {TRACKING}."


def test_ask_against_an_openai_compatible_server(grounded_answer):
    arguments = {"order_id": ORDER["id"], "email": ORDER["customer"]["email"]}
    # The message holds an order number and its email: the lookup is made before the model's one round trip.
    with Server(say(grounded_answer, usage=(321, 12))) as server:
        proc = cli("ask", f"where is {ORDER['id']}? {ORDER['customer']['email']}", "--json",
                   "--model", "fake-served", "--base-url", server.url)
        server.model.assert_complete()
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        assert out["answer"] == grounded_answer
        assert (out["model"], out["fallback"]) == ("fake-served", False)
        assert out["tool_calls"] == [{"name": "lookup_orders", "arguments": arguments}]
        assert out["usage"]["prompt_tokens"] == 321
        first, = server.model.requests
        assert first["model"] == "fake-served" and first["tools"][0]["function"]["name"] == "lookup_orders"
        assert first["messages"][-1]["role"] == "tool" and TRACKING in first["messages"][-1]["content"]


def test_chat_streams_from_the_server(grounded_answer):
    with Server(say(grounded_answer)) as server:
        shopper = f"where is {ORDER['id']}? {ORDER['customer']['email']}\n"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ORDER_ASSISTANT_"))}
        proc = subprocess.run([sys.executable, "-m", "assistant", "chat", "--model", "fake-served", "--base-url",
                               server.url], input=shopper, capture_output=True, text=True, cwd=ROOT,
                              env={**env, "OPENAI_API_KEY": "k"}, timeout=60)
        server.model.assert_complete()
        assert grounded_answer in proc.stdout


def test_eval_records_cassettes_then_replays_them_with_no_server(tmp_path):
    case_dir = ROOT / "tests" / "fixtures" / "evals" / "cases"
    case = case_dir / "order-and-email.yaml"
    answer = "Order #1042 has shipped: tracking number 1Z999AA10123456784."
    cassettes = tmp_path / "cassettes"
    with Server(say(answer)) as server:
        recorded = cli("eval", str(case), "--model", "fake-served", "--base-url", server.url, "--record",
                       str(cassettes), "--report", "json", "--out", str(tmp_path / "recorded.json"))
        server.model.assert_complete()
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert list(cassettes.rglob("*.json"))
    replayed = cli("eval", str(case), "--replay", str(cassettes), "--report", "json", "--out",
                   str(tmp_path / "replayed.json"))
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    report = json.loads((tmp_path / "replayed.json").read_text())
    assert report["summary"]["passed"] == 1
    # A case whose requests are not in the cassettes fails clearly instead of reaching for a model.
    other = case_dir / "verify-over-two-turns.yml"
    missing = cli("eval", str(other), "--replay", str(cassettes), "--model", "fake-served")
    assert missing.returncode == 1
    assert "cassette miss" in missing.stdout + missing.stderr
