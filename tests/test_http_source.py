"""The merchant HTTP source against respx-mocked endpoints: every fault, every auth type, no real sleeping."""

from __future__ import annotations

import base64
import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import respx
from pydantic import ValidationError

from tools.config import ConfigError, HttpSourceConfig
from tools.http_source import HttpSource, UnsupportedKey
from tools.mapping import load_mapping
from tools.sources import MerchantBadResponse, MerchantRejected, MerchantUnavailable, SourceError

URL = "https://shop.example.com/api/orders"
TOKEN = "s3cr3t-t0ken-value"


def seed_order(id_: str = "ORD-12345", **changes: Any) -> dict[str, Any]:
    """An order exactly as seed 002's example endpoint returns it."""
    order = {
        "id": id_,
        "status": "shipped",
        "created_at": "2024-10-10T14:21:00Z",
        "customer": {"email": "jane@example.com", "phone": "+14151234567", "name": "Jane Doe"},
        "shipping_address": {"line1": "123 Main Street", "city": "San Francisco", "postal_code": "94103",
                             "country": "US"},
        "items": [{"sku": "ABC123", "name": "Wireless Earbuds", "quantity": 1, "price": 59.99}],
        "total": 59.99,
        "currency": "USD",
        "tracking_number": "1Z999AA10123456784",
        "external_ref_id": "XYZ987",
    }
    order.update(changes)
    return order


class FakeTime:
    """A monotonic clock that only moves when the source sleeps (or a test advances it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def mock() -> Any:
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def make(fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("SHOP_TOKEN", TOKEN)
    made: list[HttpSource] = []

    def make(**config: Any) -> HttpSource:
        source = HttpSource(
            HttpSourceConfig.model_validate({"type": "http", "url": URL, **config}),
            load_mapping("generic"),
            sleep=fake_time.sleep,
            clock=fake_time.clock,
            wall_clock=lambda: datetime(2026, 1, 1, tzinfo=UTC).timestamp(),
            jitter=lambda: 1.0,
        )
        made.append(source)
        return source

    yield make
    for source in made:
        source.close()


# -- success ---------------------------------------------------------------------------------------------


def test_maps_the_seed_reply_and_sends_the_key(mock: Any, make: Any) -> None:
    route = mock.get(URL).respond(200, json=[seed_order(), seed_order("ORD-2")])
    orders = make().find("email", " jane@example.com ")
    assert [o.id for o in orders] == ["ORD-12345", "ORD-2"]
    assert orders[0].customer.email == "jane@example.com"
    assert orders[0].total is not None and str(orders[0].total) == "59.99"
    assert orders[0].shipments[0].tracking_number == "1Z999AA10123456784"
    request = route.calls.last.request
    assert dict(request.url.params) == {"email": "jane@example.com"}
    assert request.headers["accept"] == "application/json"
    assert "authorization" not in request.headers


@pytest.mark.parametrize(
    ("key", "value", "sent"),
    [("order_id", "ORD-12345", ("orderNo", "ORD-12345")), ("ref_id", "XYZ987", ("ref", "XYZ987")),
     ("email", "jane@example.com", ("mail", "jane@example.com"))],
)
def test_uses_the_configured_parameter_names(mock: Any, make: Any, key: str, value: str, sent: tuple) -> None:
    route = mock.get(URL).respond(200, json=[seed_order()])
    source = make(params={"order_id": "orderNo", "ref_id": "ref", "email": "mail"})
    assert len(source.find(key, value)) == 1
    assert list(route.calls.last.request.url.params.items()) == [sent]


@pytest.mark.parametrize(
    ("fmt", "sent"), [("e164", "+14151234567"), ("digits", "14151234567"), ("last7", "1234567")]
)
def test_phone_formats(mock: Any, make: Any, fmt: str, sent: str) -> None:
    route = mock.get(URL).respond(200, json=[seed_order()])
    assert len(make(params={"phone_format": fmt}).find("phone", "+14151234567")) == 1
    assert route.calls.last.request.url.params["phone"] == sent


def test_a_phone_too_short_for_last7_matches_nothing_without_asking(mock: Any, make: Any) -> None:
    route = mock.get(URL).respond(200, json=[seed_order()])
    assert make(params={"phone_format": "last7"}).find("phone", "+1234") == []
    assert not route.called


def test_unsupported_key_raises_with_a_shopper_safe_message(mock: Any, make: Any) -> None:
    route = mock.get(URL).respond(200, json=[seed_order()])
    with pytest.raises(UnsupportedKey) as caught:
        make(params={"phone": None}).find("phone", "+14151234567")
    assert isinstance(caught.value, MerchantRejected)
    assert "params.phone is null" in str(caught.value)
    assert "phone number" in caught.value.shopper_message
    assert "shop.example.com" not in caught.value.shopper_message
    assert not route.called


def test_static_headers_are_sent(mock: Any, make: Any) -> None:
    route = mock.get(URL).respond(200, json=[])
    make(headers={"X-Store": "eu-1"}).find("email", "a@b.co")
    assert route.calls.last.request.headers["x-store"] == "eu-1"


def test_one_pooled_client_serves_every_lookup(mock: Any, make: Any) -> None:
    mock.get(URL).respond(200, json=[seed_order()])
    source = make()
    client = source._client
    source.find("email", "a@b.co")
    source.find("order_id", "ORD-12345")
    assert source._client is client and not client.is_closed
    source.close()
    assert client.is_closed


# -- reply shapes ----------------------------------------------------------------------------------------


def test_404_means_no_orders(mock: Any, make: Any) -> None:
    mock.get(URL).respond(404, json={"error": "not found"})
    assert make().find("order_id", "NOPE") == []


def test_envelope_is_detected_without_orders_path(mock: Any, make: Any) -> None:
    mock.get(URL).respond(200, json={"orders": [seed_order()], "count": 1})
    assert [o.id for o in make().find("email", "jane@example.com")] == ["ORD-12345"]


def test_orders_path_selects_the_list(mock: Any, make: Any) -> None:
    mock.get(URL).respond(200, json={"ok": True, "result": {"items": [seed_order("A"), seed_order("B")]}})
    assert [o.id for o in make(orders_path="result.items").find("email", "x@y.co")] == ["A", "B"]


def test_orders_path_null_means_no_orders(mock: Any, make: Any) -> None:
    mock.get(URL).respond(200, json={"result": {"items": None}})
    assert make(orders_path="result.items").find("email", "x@y.co") == []


def test_orders_path_missing_is_a_bad_response(mock: Any, make: Any) -> None:
    mock.get(URL).respond(200, json={"result": {"orders": []}})
    with pytest.raises(MerchantBadResponse, match="orders_path 'result.items' is not in the reply"):
        make(orders_path="result.items").find("email", "x@y.co")


def test_invalid_orders_path_is_refused_by_the_config(make: Any) -> None:
    with pytest.raises(ValidationError, match=r"orders_path\n.*position"):
        make(orders_path="result..items")


@pytest.mark.parametrize("body", [b"<html>Oops</html>", b'{"orders": [', b""])
def test_non_json_is_a_bad_response(mock: Any, make: Any, body: bytes) -> None:
    mock.get(URL).respond(200, content=body, headers={"content-type": "text/html"})
    with pytest.raises(MerchantBadResponse) as caught:
        make().find("email", "x@y.co")
    assert str(caught.value).startswith(f"GET {URL}: ")
    assert "not JSON" in str(caught.value) or "empty body" in str(caught.value)


@pytest.mark.parametrize(
    ("payload", "first"),
    [(["ORD-1", "ORD-2"], "the text 'ORD-1'"), (42, "the number 42"), ("ok", "the text 'ok'"), ([[1, 2]], "a list"),
     ([None], "nothing (an empty value)")],
)
def test_wrong_shape_is_a_bad_response(mock: Any, make: Any, payload: Any, first: str) -> None:
    mock.get(URL).respond(200, json=payload)
    with pytest.raises(MerchantBadResponse) as caught:
        make().find("email", "x@y.co")
    assert str(caught.value) == f"GET {URL}: expected a list of order objects, got a list whose first item is {first}"


def test_records_that_do_not_map_are_skipped_and_logged(
    mock: Any, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    mock.get(URL).respond(200, json=[seed_order("GOOD"), seed_order("BAD", total="lots"), "junk"])
    with caplog.at_level(logging.WARNING, logger="tools.http_source"):
        orders = make().find("email", "jane@example.com")
    assert [o.id for o in orders] == ["GOOD"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "record 2: total: 'lots' is not an amount" in warnings[0]  # counted from 1, as imports count


def test_a_reply_where_no_record_maps_is_a_bad_response(mock: Any, make: Any) -> None:
    mock.get(URL).respond(200, json=[seed_order("BAD", total="lots")])
    with pytest.raises(MerchantBadResponse, match="none of the 1 records maps onto an order"):
        make().find("email", "jane@example.com")


def test_oversize_body_with_content_length_is_refused(mock: Any, make: Any) -> None:
    mock.get(URL).respond(200, json=[seed_order() for _ in range(20)])
    with pytest.raises(MerchantBadResponse, match="exceeds the 1,000-byte cap"):
        make(max_response_bytes=1000).find("email", "x@y.co")


def test_oversize_streamed_body_stops_reading_past_the_cap(mock: Any, make: Any) -> None:
    served: list[int] = []

    def chunks() -> Any:
        for i in range(1000):
            served.append(i)
            yield b"[" if i == 0 else b" " * 100

    mock.get(URL).mock(return_value=httpx.Response(200, content=chunks()))
    with pytest.raises(MerchantBadResponse, match="reply exceeds the 1,000-byte cap"):
        make(max_response_bytes=1000).find("email", "x@y.co")
    assert len(served) < 20  # the body was not read to its end


# -- faults and retries ----------------------------------------------------------------------------------


def test_connection_error_then_success(mock: Any, make: Any, fake_time: FakeTime) -> None:
    route = mock.get(URL).mock(side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=[seed_order()])])
    assert len(make().find("email", "x@y.co")) == 1
    assert route.call_count == 2
    assert fake_time.sleeps == [0.25]


def test_503_503_200(mock: Any, make: Any, fake_time: FakeTime) -> None:
    route = mock.get(URL).mock(
        side_effect=[httpx.Response(503), httpx.Response(503), httpx.Response(200, json=[seed_order()])]
    )
    assert len(make(retries=2).find("email", "x@y.co")) == 1
    assert route.call_count == 3
    assert fake_time.sleeps == [0.25, 0.5]  # exponential; jitter pinned at its top


def test_jitter_spreads_the_backoff(mock: Any, fake_time: FakeTime) -> None:
    mock.get(URL).mock(side_effect=[httpx.Response(502), httpx.Response(200, json=[])])
    config = HttpSourceConfig(type="http", url=URL)
    with HttpSource(config, load_mapping("generic"), sleep=fake_time.sleep, clock=fake_time.clock,
                    jitter=lambda: 0.0) as source:
        source.find("email", "x@y.co")
    assert fake_time.sleeps == [0.125]


def test_exhausted_retries_are_unavailable(mock: Any, make: Any, fake_time: FakeTime) -> None:
    route = mock.get(URL).respond(503)
    with pytest.raises(MerchantUnavailable) as caught:
        make(retries=2).find("email", "x@y.co")
    assert str(caught.value) == f"GET {URL}: HTTP 503 after 3 attempts"
    assert route.call_count == 3
    assert len(fake_time.sleeps) == 2
    assert "shop.example.com" not in caught.value.shopper_message


def test_no_retries_means_one_attempt(mock: Any, make: Any, fake_time: FakeTime) -> None:
    route = mock.get(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(MerchantUnavailable, match="ReadTimeout .* after 1 attempt$"):
        make(retries=0).find("email", "x@y.co")
    assert route.call_count == 1 and fake_time.sleeps == []


def test_429_retry_after_seconds_is_honoured(mock: Any, make: Any, fake_time: FakeTime) -> None:
    mock.get(URL).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json=[seed_order()])]
    )
    assert len(make(timeout_s=10).find("email", "x@y.co")) == 1
    assert fake_time.sleeps == [2.0]


def test_429_retry_after_http_date_is_honoured(mock: Any, make: Any, fake_time: FakeTime) -> None:
    then = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=3)
    mock.get(URL).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": format_datetime(then, usegmt=True)}),
                     httpx.Response(200, json=[])]
    )
    make(timeout_s=10).find("email", "x@y.co")
    assert fake_time.sleeps == [3.0]


def test_retry_after_beyond_the_deadline_gives_up_at_once(mock: Any, make: Any, fake_time: FakeTime) -> None:
    route = mock.get(URL).respond(429, headers={"Retry-After": "120"})
    with pytest.raises(MerchantUnavailable, match=r"HTTP 429 after 1 attempt; Retry-After 120s exceeds the 5s left"):
        make(timeout_s=5, retries=3).find("email", "x@y.co")
    assert route.call_count == 1 and fake_time.sleeps == []


def test_unreadable_retry_after_falls_back_to_backoff(mock: Any, make: Any, fake_time: FakeTime) -> None:
    mock.get(URL).mock(side_effect=[httpx.Response(503, headers={"Retry-After": "soon"}), httpx.Response(200, json=[])])
    make().find("email", "x@y.co")
    assert fake_time.sleeps == [0.25]


def test_the_deadline_covers_attempts_and_sleeps(mock: Any, make: Any, fake_time: FakeTime) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        fake_time.now += 0.4  # each attempt eats 0.4 s of the 1 s deadline before timing out
        raise httpx.ReadTimeout("slow", request=request)

    route = mock.get(URL).mock(side_effect=slow)
    with pytest.raises(MerchantUnavailable, match=r"1s deadline") as caught:
        make(timeout_s=1, retries=10).find("email", "x@y.co")
    assert route.call_count == 2  # 0.4 + 0.25 sleep + 0.4 = 1.05 s: no third attempt
    assert "ReadTimeout" in str(caught.value)
    timeouts = [call.request.extensions["timeout"]["read"] for call in route.calls]
    assert timeouts == pytest.approx([1.0, 1.0 - 0.4 - 0.25])  # each attempt gets what is left


def test_a_body_read_past_the_deadline_times_out(mock: Any, make: Any, fake_time: FakeTime) -> None:
    def dribble() -> Any:
        yield b"["
        fake_time.now += 10
        yield b"]"

    mock.get(URL).mock(return_value=httpx.Response(200, content=dribble()))
    with pytest.raises(MerchantUnavailable, match="ReadTimeout"):
        make(timeout_s=5).find("email", "x@y.co")


@pytest.mark.parametrize("status", [400, 401, 403, 422])
def test_other_4xx_are_rejected_without_retry(mock: Any, make: Any, fake_time: FakeTime, status: int) -> None:
    route = mock.get(URL).respond(status, json={"error": "invalid token"})
    with pytest.raises(MerchantRejected) as caught:
        make().find("email", "x@y.co")
    assert str(caught.value) == f"GET {URL}: HTTP {status} ('{{\"error\":\"invalid token\"}}')"
    assert route.call_count == 1 and fake_time.sleeps == []


def test_errors_are_source_errors_with_generic_shopper_messages() -> None:
    for cls in (MerchantUnavailable, MerchantBadResponse, MerchantRejected):
        assert issubclass(cls, SourceError)
        assert "http" not in cls.shopper_message.lower()


# -- auth ------------------------------------------------------------------------------------------------


def test_bearer_auth(mock: Any, make: Any) -> None:
    route = mock.get(URL).respond(200, json=[])
    make(auth={"type": "bearer", "token_env": "SHOP_TOKEN"}).find("email", "x@y.co")
    assert route.calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"


def test_header_auth(mock: Any, make: Any) -> None:
    route = mock.get(URL).respond(200, json=[])
    make(auth={"type": "header", "name": "X-Api-Key", "value_env": "SHOP_TOKEN"}).find("email", "x@y.co")
    assert route.calls.last.request.headers["x-api-key"] == TOKEN


def test_basic_auth(mock: Any, make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_USER", "shop")
    route = mock.get(URL).respond(200, json=[])
    make(auth={"type": "basic", "username_env": "SHOP_USER", "password_env": "SHOP_TOKEN"}).find("email", "x@y.co")
    expected = base64.b64encode(f"shop:{TOKEN}".encode()).decode()
    assert route.calls.last.request.headers["authorization"] == f"Basic {expected}"


def test_query_auth(mock: Any, make: Any) -> None:
    route = mock.get(URL).respond(200, json=[])
    make(auth={"type": "query", "param": "api_key", "value_env": "SHOP_TOKEN"}).find("email", "x@y.co")
    assert dict(route.calls.last.request.url.params) == {"email": "x@y.co", "api_key": TOKEN}


AUTHS = [
    {"type": "bearer", "token_env": "SHOP_TOKEN"},
    {"type": "header", "name": "X-Api-Key", "value_env": "SHOP_TOKEN"},
    {"type": "basic", "username_env": "SHOP_USER", "password_env": "SHOP_TOKEN"},
    {"type": "query", "param": "api_key", "value_env": "SHOP_TOKEN"},
]


@pytest.mark.parametrize("auth", AUTHS, ids=lambda a: a["type"])
def test_missing_secret_is_a_config_error_naming_the_variable(
    make: Any, monkeypatch: pytest.MonkeyPatch, auth: dict[str, str]
) -> None:
    monkeypatch.setenv("SHOP_USER", "shop")
    monkeypatch.delenv("SHOP_TOKEN")
    with pytest.raises(ConfigError, match="environment variable SHOP_TOKEN is not set"):
        make(auth=auth)


@pytest.mark.parametrize("auth", AUTHS, ids=lambda a: a["type"])
@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(401, text=f"bad credentials: {TOKEN}"),
        httpx.Response(200, text=f"<html>token {TOKEN} expired</html>"),
        httpx.ConnectError(f"cannot connect to {URL}?api_key={TOKEN}"),
    ],
    ids=["401-echo", "html-echo", "connect-error"],
)
def test_the_secret_never_reaches_an_error_message(
    mock: Any, make: Any, monkeypatch: pytest.MonkeyPatch, auth: dict[str, str], reply: Any
) -> None:
    monkeypatch.setenv("SHOP_USER", "shop")
    mock.get(URL).mock(side_effect=[reply] * 3)
    with pytest.raises(SourceError) as caught:
        make(auth=auth, retries=2).find("email", "x@y.co")
    assert TOKEN not in str(caught.value)
    assert "***" in str(caught.value)
    assert TOKEN not in caught.value.shopper_message


def test_the_displayed_url_drops_the_query(mock: Any, make: Any) -> None:
    url = "https://shop.example.com:8443/api/orders?static=1"
    mock.get(url__startswith="https://shop.example.com:8443/api/orders").respond(500)
    with pytest.raises(MerchantUnavailable) as caught:
        make(url=url, retries=0).find("email", "x@y.co")
    assert str(caught.value) == "GET https://shop.example.com:8443/api/orders: HTTP 500 after 1 attempt"


# -- secrets: redirects, redaction, odd values ------------------------------------------------------------

OTHER = "https://cdn.other-site.example/orders"
SECRET_HEADER = {"bearer": "authorization", "header": "x-api-key", "basic": "authorization"}


@pytest.mark.parametrize("auth", AUTHS[:3], ids=lambda a: a["type"])
@pytest.mark.parametrize(
    "target",
    [OTHER, "https://shop.example.com:8443/elsewhere", "http://shop.example.com/elsewhere"],
    ids=["other-host", "other-port", "other-scheme"],
)
def test_a_secret_header_is_not_sent_to_another_origin_on_redirect(
    mock: Any, make: Any, monkeypatch: pytest.MonkeyPatch, auth: dict[str, str], target: str
) -> None:
    monkeypatch.setenv("SHOP_USER", "shop")
    mock.get(URL).respond(302, headers={"Location": target})
    other = mock.get(url__startswith=target).respond(200, json=[seed_order()])
    assert [o.id for o in make(auth=auth).find("email", "jane@example.com")] == ["ORD-12345"]
    sent = other.calls.last.request
    assert SECRET_HEADER[auth["type"]] not in sent.headers
    assert TOKEN not in str(sent.url) and TOKEN not in str(sent.headers)


@pytest.mark.parametrize("auth", AUTHS[:3], ids=lambda a: a["type"])
def test_a_secret_header_follows_a_redirect_within_the_origin(
    mock: Any, make: Any, monkeypatch: pytest.MonkeyPatch, auth: dict[str, str]
) -> None:
    monkeypatch.setenv("SHOP_USER", "shop")
    moved = "https://shop.example.com/v2/orders"
    mock.get(URL).respond(301, headers={"Location": moved})
    route = mock.get(url__startswith=moved).respond(200, json=[seed_order()])
    make(auth=auth).find("email", "jane@example.com")
    assert SECRET_HEADER[auth["type"]] in route.calls.last.request.headers


def test_a_secret_header_does_not_come_back_after_a_hop_elsewhere(mock: Any, make: Any) -> None:
    mock.get(URL).respond(302, headers={"Location": OTHER})
    mock.get(OTHER).respond(302, headers={"Location": "https://shop.example.com/back"})
    back = mock.get("https://shop.example.com/back").respond(200, json=[])
    make(auth={"type": "header", "name": "X-Api-Key", "value_env": "SHOP_TOKEN"}).find("email", "x@y.co")
    assert "x-api-key" not in back.calls.last.request.headers


def test_a_refusal_after_a_redirect_elsewhere_says_the_credentials_stayed_behind(mock: Any, make: Any) -> None:
    mock.get(URL).respond(302, headers={"Location": OTHER})
    mock.get(OTHER).respond(401, json={"error": "no key"})
    with pytest.raises(MerchantRejected) as caught:
        make(auth={"type": "header", "name": "X-Api-Key", "value_env": "SHOP_TOKEN"}).find("email", "x@y.co")
    assert "redirected to https://cdn.other-site.example/orders, another origin" in str(caught.value)


@pytest.mark.parametrize("auth", AUTHS, ids=lambda a: a["type"])
@pytest.mark.parametrize("pad", ["\r", "\n", "\r\n", "  ", "\t\n"], ids=repr)
def test_whitespace_around_a_secret_is_removed_with_a_warning_that_does_not_show_it(
    mock: Any, make: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    auth: dict[str, str], pad: str,
) -> None:
    monkeypatch.setenv("SHOP_USER", "shop")
    monkeypatch.setenv("SHOP_TOKEN", TOKEN + pad)
    route = mock.get(URL).respond(200, json=[])
    with caplog.at_level(logging.WARNING):
        make(auth=auth).find("email", "x@y.co")
    request = route.calls.last.request
    expected = {"bearer": f"Bearer {TOKEN}", "header": TOKEN,
                "basic": "Basic " + base64.b64encode(f"shop:{TOKEN}".encode()).decode()}
    if auth["type"] == "query":
        assert request.url.params["api_key"] == TOKEN
    else:
        assert request.headers[SECRET_HEADER[auth["type"]]] == expected[auth["type"]]
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "environment variable SHOP_TOKEN begins or ends with whitespace" in warning
    assert TOKEN[:6] not in warning


@pytest.mark.parametrize("auth", AUTHS, ids=lambda a: a["type"])
@pytest.mark.parametrize("value", [f"{TOKEN[:6]}\r\n{TOKEN[6:]}", f"{TOKEN[:6]}\x1b{TOKEN[6:]}"], ids=["crlf", "esc"])
def test_a_line_break_inside_a_secret_is_a_config_error_naming_the_variable_not_the_value(
    make: Any, monkeypatch: pytest.MonkeyPatch, auth: dict[str, str], value: str
) -> None:
    monkeypatch.setenv("SHOP_USER", "shop")
    monkeypatch.setenv("SHOP_TOKEN", value)
    with pytest.raises(ConfigError) as caught:
        make(auth=auth)
    message = str(caught.value)
    assert "environment variable SHOP_TOKEN has a line break or another control character" in message
    key = "password_env" if auth["type"] == "basic" else next(k for k in auth if k.endswith("_env"))
    assert f"source.auth.{key}: " in message
    assert TOKEN[:6] not in message and "\n" not in message


@pytest.mark.parametrize("auth", AUTHS[:2], ids=lambda a: a["type"])
def test_a_header_secret_outside_ascii_is_a_config_error(
    make: Any, monkeypatch: pytest.MonkeyPatch, auth: dict[str, str]
) -> None:
    monkeypatch.setenv("SHOP_TOKEN", f"\u201c{TOKEN}\u201d")  # pasted with curly quotes
    with pytest.raises(ConfigError, match="SHOP_TOKEN has a character outside ASCII") as caught:
        make(auth=auth)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize("auth", AUTHS, ids=lambda a: a["type"])
def test_a_secret_cut_by_the_preview_is_not_half_shown(
    mock: Any, make: Any, monkeypatch: pytest.MonkeyPatch, auth: dict[str, str]
) -> None:
    monkeypatch.setenv("SHOP_USER", "shop")
    mock.get(URL).respond(401, text="x" * 174 + " bad credentials: " + TOKEN)  # the token straddles char 200
    with pytest.raises(MerchantRejected) as caught:
        make(auth=auth).find("email", "x@y.co")
    assert TOKEN[:4] not in str(caught.value)


def test_a_secret_cut_by_the_read_limit_is_not_half_shown(mock: Any, make: Any) -> None:
    from tools.http_source import PREVIEW_BYTES

    # Whitespace is collapsed in the preview, so what sits at the read limit would come to its start.
    body = " " * (PREVIEW_BYTES - 8) + TOKEN + " and more"
    mock.get(URL).respond(401, text=body)
    with pytest.raises(MerchantRejected) as caught:
        make(auth={"type": "header", "name": "X-Api-Key", "value_env": "SHOP_TOKEN"}).find("email", "x@y.co")
    assert TOKEN[:4] not in str(caught.value)


class _Chunks(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Any:
        yield from self.chunks


def test_a_secret_split_across_chunks_is_redacted(mock: Any, make: Any) -> None:
    body = f'{{"error": "bad token {TOKEN}"}}'.encode()
    mock.get(URL).respond(401, stream=_Chunks([body[:25], body[25:30], body[30:]]))  # the token spans all three
    with pytest.raises(MerchantRejected) as caught:
        make(auth={"type": "bearer", "token_env": "SHOP_TOKEN"}).find("email", "x@y.co")
    assert TOKEN[:4] not in str(caught.value) and "bad token ***" in str(caught.value)


ENCODED_KEY = "Zm9v/YmFy+c2VjcmV0="


@pytest.mark.parametrize(
    "echo",
    ["api_key=Zm9v%2FYmFy%2Bc2VjcmV0%3D", "api_key=Zm9v%2fYmFy%2bc2VjcmV0%3d", '"key": "Zm9v\\/YmFy+c2VjcmV0="',
     "key Zm9v/YmFy+c2VjcmV0="],
    ids=["url-encoded", "lower-hex", "json-escaped", "plain"],
)
def test_encoded_forms_of_a_secret_are_redacted(
    mock: Any, make: Any, monkeypatch: pytest.MonkeyPatch, echo: str
) -> None:
    monkeypatch.setenv("SHOP_TOKEN", ENCODED_KEY)
    mock.get(url__startswith=URL).respond(401, text=f'{{"error": "bad key", "request": "/orders?{echo}"}}')
    with pytest.raises(MerchantRejected) as caught:
        make(auth={"type": "query", "param": "api_key", "value_env": "SHOP_TOKEN"}).find("email", "x@y.co")
    message = str(caught.value)
    assert "Zm9v" not in message and "***" in message


def test_basic_credentials_are_redacted_in_their_encoded_form(
    mock: Any, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_USER", "shop")
    encoded = base64.b64encode(f"shop:{TOKEN}".encode()).decode()
    mock.get(URL).respond(401, json={"error": f"invalid token Basic {encoded}"})
    with pytest.raises(MerchantRejected) as caught:
        make(auth={"type": "basic", "username_env": "SHOP_USER", "password_env": "SHOP_TOKEN"}).find("email", "x@y")
    assert encoded not in str(caught.value) and "Basic ***" in str(caught.value)


def test_a_record_error_echoing_a_secret_is_redacted(
    mock: Any, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    mock.get(URL).respond(200, json=[seed_order("GOOD"), seed_order("BAD", total=f"token {TOKEN}")])
    with caplog.at_level(logging.WARNING, logger="tools.http_source"):
        make(auth={"type": "bearer", "token_env": "SHOP_TOKEN"}).find("email", "jane@example.com")
    assert caplog.records and TOKEN not in caplog.text


# -- a real loopback server ------------------------------------------------------------------------------


def test_lookups_reuse_one_connection_even_after_a_404(monkeypatch: pytest.MonkeyPatch) -> None:
    connections: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            connections.append(1)

        def do_GET(self) -> None:  # noqa: N802
            found = "ORD" in self.path
            body = json.dumps([seed_order()]).encode() if found else b'{"error": "no such order"}'
            self.send_response(200 if found else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/orders"
        with HttpSource(HttpSourceConfig(type="http", url=url), load_mapping("generic")) as source:
            assert source.find("order_id", "NOPE") == []
            assert [o.id for o in source.find("order_id", "ORD-12345")] == ["ORD-12345"]
            assert source.find("order_id", "NOPE") == []
        assert len(connections) == 1
    finally:
        server.shutdown()
        server.server_close()


def test_a_200_error_object_is_a_bad_response_not_an_empty_order(mock, make):
    mock.get(URL).mock(return_value=httpx.Response(200, json={"error": "database offline"}))
    with pytest.raises(MerchantBadResponse):
        make().find("email", "jane@example.com")


def test_an_unknown_order_number_is_not_tried_as_a_reference_id_where_the_endpoint_cannot_search_by_one(mock, make):
    from tools.config import MerchantInfo, PolicyConfig
    from tools.lookup import TOOLS, LookupContext, Session

    mock.get(URL).mock(return_value=httpx.Response(200, json={"orders": []}))
    source = make(params={"order_id": "order_id", "email": "email", "phone": None, "ref_id": None})
    ctx = LookupContext(source, MerchantInfo(default_region="US"), PolicyConfig(), Session())
    result = TOOLS["lookup_orders"].call(ctx, {"order_id": "9999", "email": "a@example.com"})
    assert result["result"] == "no_match"  # not "unavailable": the endpoint answered, there is no such order


def test_a_redirect_to_another_port_on_loopback_drops_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    received: list[dict[str, str]] = []

    class Other(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            received.append(dict(self.headers))
            body = json.dumps([seed_order()]).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    other = ThreadingHTTPServer(("127.0.0.1", 0), Other)

    class Redirect(Other):
        def do_GET(self) -> None:  # noqa: N802
            received.append(dict(self.headers))
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{other.server_address[1]}/orders")
            self.send_header("Content-Length", "0")
            self.end_headers()

    first = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    servers = [first, other]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("SHOP_TOKEN", TOKEN)
    try:
        config = HttpSourceConfig.model_validate({
            "type": "http", "url": f"http://127.0.0.1:{first.server_address[1]}/orders",
            "auth": {"type": "header", "name": "X-Api-Key", "value_env": "SHOP_TOKEN"}})
        with HttpSource(config, load_mapping("generic")) as source:
            assert [o.id for o in source.find("email", "jane@example.com")] == ["ORD-12345"]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    assert [h.get("X-Api-Key") for h in received] == [TOKEN, None]
