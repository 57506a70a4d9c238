"""The merchant's own order endpoint (seed 002): `GET url?email=...` answers with a JSON list of orders.

One pooled `httpx.Client` per source. A lookup has one deadline (`timeout_s`) covering every attempt, backoff
sleep and Retry-After wait; failures become the `SourceError`s of `tools.sources`, whose `str()` is a one-line
diagnosis for logs and the merchant (never a secret) and whose `shopper_message` is generic.

Keys the endpoint does not support (a null name in `params`) raise `UnsupportedKey` rather than returning no
orders: "no orders under that email" would be a wrong answer to the shopper and would count as a failed attempt.

Secrets: a header carrying one (Authorization for bearer and basic, the named header for `header` auth) is sent
only to the configured URL's origin (scheme, host and port); a redirect elsewhere is followed without it. Every
message is redacted of each secret in the forms it may come back in (as sent, URL-encoded, JSON-escaped, and
basic's base64 of user:password) before anything is cut to length.
"""

from __future__ import annotations

import base64
import email.utils
import json
import logging
import random
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, quote_plus

import httpx

from tools._paths import parse_path
from tools.config import HttpSourceConfig, secret
from tools.errors import RecordError, kind_of
from tools.mapping import Mapper
from tools.phones import last7
from tools.schema import Order
from tools.sources import Key, MerchantBadResponse, MerchantRejected, MerchantUnavailable

__all__ = ["HttpSource", "UnsupportedKey"]

log = logging.getLogger(__name__)

BACKOFF_BASE_S = 0.25
"""First retry waits 0.125-0.25 s, doubling per retry (jittered so many sessions do not retry in step)."""
BACKOFF_MAX_S = 4.0
ERROR_BODY_CHARS = 200
"""How much of a refusal's body goes into the diagnosis: enough for {"error": "invalid token"}."""
PREVIEW_BYTES = 4096
"""How much of a body is read for that preview (redacted whole, then cut to ERROR_BODY_CHARS)."""
DRAIN_BYTES = 65_536
USER_AGENT = "order-assistant/0.1"

_KEY_WORDS = {"order_id": "order number", "email": "email address", "phone": "phone number", "ref_id": "reference ID"}
_NON_DIGIT = re.compile(r"\D")
_MISSING = object()


class UnsupportedKey(MerchantRejected):
    """The merchant's endpoint cannot search by this key (its parameter is null in the config)."""

    def __init__(self, message: str, key: Key) -> None:
        super().__init__(message)
        self.shopper_message = (
            f"This store's order system can't search by {_KEY_WORDS[key]}. "
            "The order number or the email address used at checkout will work instead."
        )


class _Retry(Exception):
    """One attempt failed in a way worth another try; `wait` is the server's Retry-After, if it gave one."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class HttpSource:
    """Orders from a merchant's HTTP endpoint, mapped with the merchant's mapping.

    `sleep`, `clock` (monotonic), `wall_clock` (for Retry-After dates), `jitter` (0..1) and `transport` are
    injectable so tests run without waiting or a network.
    """

    def __init__(
        self,
        config: HttpSourceConfig,
        mapper: Mapper,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
        config_file: str | None = None,
    ) -> None:
        """`config_file` names the merchant config in messages about its secrets."""
        self.config = config
        self.mapper = mapper
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._jitter = jitter
        self._where = f"GET {_display_url(config.url)}"
        self._origin = _origin(httpx.URL(config.url))
        self._orders_path = parse_path(config.orders_path) if config.orders_path else None  # checked by the config

        headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **config.headers}
        self._auth_params: dict[str, str] = {}
        auth: httpx.Auth | None = None
        secrets: list[str] = []
        self._secret_headers: tuple[str, ...] = ()
        """Headers never sent beyond the configured origin."""
        in_file = f"{config_file}: " if config_file else ""

        def read(key: str, header: bool = False) -> str:
            value = secret(getattr(config.auth, key), f"{in_file}source.auth.{key}", header=header)
            secrets.append(value)
            return value

        # Secrets are read now, so a missing variable stops the service at start-up, not mid-conversation.
        match config.auth.type:
            case "bearer":
                headers["Authorization"] = f"Bearer {read('token_env', header=True)}"
                self._secret_headers = ("Authorization",)
            case "header":
                headers[config.auth.name] = read("value_env", header=True)
                self._secret_headers = (config.auth.name,)
            case "basic":
                username, password = read("username_env"), read("password_env")
                auth = httpx.BasicAuth(username, password)
                secrets.remove(username)  # a user name alone is no secret; with the password it is, encoded
                secrets.append(base64.b64encode(f"{username}:{password}".encode()).decode())
                self._secret_headers = ("Authorization",)
            case "query":
                self._auth_params[config.auth.param] = read("value_env")
        self._secrets = _forms(secrets)
        hooks = {"request": [self._keep_secrets_home]} if self._secret_headers else None
        self._client = httpx.Client(headers=headers, auth=auth, transport=transport, follow_redirects=True,
                                    event_hooks=hooks)

    def _keep_secrets_home(self, request: httpx.Request) -> None:
        """Drop the secret headers from a request to another origin (a redirect): httpx drops Authorization
        itself, but not a custom header such as X-Api-Key, and keeps Authorization on an http -> https hop."""
        if _origin(request.url) != self._origin:
            for name in self._secret_headers:
                request.headers.pop(name, None)

    def __enter__(self) -> HttpSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # -----------------------------------------------------------------------------------------------------

    def find(self, key: Key, value: str) -> list[Order]:
        """Orders the endpoint returns for `key`; records that do not map are logged and skipped."""
        records = self.fetch_records(key, value)
        if not records:
            return []
        mapped = self.mapper.map_records(records)
        # Records are counted from 1, as imports count them.
        errors = [self._redact(f"record {e.record + 1}: {e.field}: {e.reason}" if e.record is not None else str(e))
                  for e in mapped.errors]
        for error in errors:
            log.warning("%s: skipped a record that does not map: %s", self._where, error)
        orders = [o for o in mapped.orders if o.id]
        if len(orders) < len(mapped.orders):
            # An object without an order number ({"error": "..."} with HTTP 200, say) is no order.
            log.warning("%s: skipped %d record(s) without an order id", self._where, len(mapped.orders) - len(orders))
        if not orders:
            # Nothing usable: "no orders" would be a wrong answer, so say the reply could not be read.
            first = errors[0] if errors else "no order id"
            raise MerchantBadResponse(
                f"{self._where}: none of the {len(records)} records maps onto an order (first: {first})"
            )
        return orders

    def fetch_records(self, key: Key, value: str) -> list[Any]:
        """The raw order records the endpoint returns for `key`, before mapping (for `find` and diagnostics)."""
        name = getattr(self.config.params, key)
        if name is None:
            raise UnsupportedKey(f"{self._where}: the endpoint does not search by {key} (params.{key} is null)", key)
        sent = self._format(key, value)
        if not sent:
            return []
        params = {name: sent, **self._auth_params} if self._auth_params else {name: sent}
        return self._records(self._get(params))

    def _format(self, key: Key, value: str) -> str | None:
        value = value.strip()
        if key != "phone":
            return value
        fmt = self.config.params.phone_format
        if fmt == "digits":
            return _NON_DIGIT.sub("", value)
        if fmt == "last7":
            return last7(value)  # None (fewer than 7 digits) can match nothing under the endpoint's own rule
        return value

    # -----------------------------------------------------------------------------------------------------

    def _get(self, params: dict[str, str]) -> Any:
        """The decoded JSON reply, after retries; SourceError when there is none to be had in time."""
        timeout = self.config.timeout_s
        deadline = self._clock() + timeout
        attempt = 0
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise MerchantUnavailable(
                    self._redact(f"{self._where}: no reply within the {timeout:g}s deadline ({_attempts(attempt)})")
                )
            attempt += 1
            try:
                return self._attempt(params, remaining, deadline)
            except _Retry as failure:
                if attempt > self.config.retries:
                    raise MerchantUnavailable(
                        self._redact(f"{self._where}: {failure.reason} after {_attempts(attempt)}")
                    ) from None
                backoff = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** (attempt - 1)) * (0.5 + 0.5 * self._jitter())
                delay = failure.wait if failure.wait is not None else backoff
                left = deadline - self._clock()
                if delay >= left:
                    # Waiting would leave no time for another attempt: give the shopper the answer now.
                    asked = "Retry-After" if failure.wait is not None else "backoff"
                    raise MerchantUnavailable(
                        self._redact(
                            f"{self._where}: {failure.reason} after {_attempts(attempt)}; {asked} {delay:.3g}s "
                            f"exceeds the {max(left, 0):.3g}s left of the {timeout:g}s deadline"
                        )
                    ) from None
                log.info("%s: %s; retrying in %.3gs", self._where, self._redact(failure.reason), delay)
                self._sleep(delay)

    def _attempt(self, params: dict[str, str], remaining: float, deadline: float) -> Any:
        try:
            with self._client.stream("GET", self.config.url, params=params, timeout=remaining) as response:
                status = response.status_code
                if 200 <= status < 300:
                    return self._decode(self._read(response, deadline), status)
                if status == 404:
                    self._drain(response)
                    return []  # the seed endpoint's "no such order"
                if status == 429 or status >= 500:
                    self._drain(response)
                    raise _Retry(f"HTTP {status}", self._retry_after(response))
                snippet = self._snippet(response)
                note = self._elsewhere(response)
                raise MerchantRejected(self._redact(f"{self._where}: HTTP {status}{snippet}{note}"))
        except (httpx.LocalProtocolError, httpx.UnsupportedProtocol) as exc:
            # Our own request cannot be sent (a header value with a newline, say): retrying will not help.
            raise MerchantRejected(self._redact(f"{self._where}: request not sent ({exc})")) from None
        except httpx.TimeoutException as exc:
            raise _Retry(f"{type(exc).__name__} (no reply in time)") from None
        except httpx.TransportError as exc:
            raise _Retry(f"{type(exc).__name__}: {exc}") from None
        except (httpx.DecodingError, httpx.TooManyRedirects) as exc:
            raise MerchantBadResponse(self._redact(f"{self._where}: {exc}")) from None

    def _read(self, response: httpx.Response, deadline: float) -> bytes:
        """The body, refusing more than max_response_bytes (checked as it streams, after decompression)."""
        cap = self.config.max_response_bytes
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > cap:
            raise MerchantBadResponse(f"{self._where}: reply of {int(declared):,} bytes exceeds the {cap:,}-byte cap")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > cap:
                raise MerchantBadResponse(f"{self._where}: reply exceeds the {cap:,}-byte cap")
            if self._clock() > deadline:
                raise httpx.ReadTimeout("deadline passed while reading the reply")
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _decode(self, body: bytes, status: int) -> Any:
        if not body.strip():
            if status == 204:
                return []
            raise MerchantBadResponse(f"{self._where}: HTTP {status} with an empty body, expected JSON")
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as exc:
            start = self._preview(body[:PREVIEW_BYTES], complete=len(body) <= PREVIEW_BYTES)
            message = f"{self._where}: reply is not JSON ({exc}; starts {start})"
            raise MerchantBadResponse(self._redact(message)) from None

    def _drain(self, response: httpx.Response) -> None:
        """Read a short body to its end, so the pooled connection can be reused (closing mid-body drops it)."""
        size = 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > DRAIN_BYTES:
                    return
        except httpx.HTTPError:
            return

    def _snippet(self, response: httpx.Response) -> str:
        """The start of a refusal's body, redacted, for the diagnosis (PREVIEW_BYTES are read, not all of it)."""
        chunks: list[bytes] = []
        size = 0
        complete = False
        try:
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > PREVIEW_BYTES:
                    break
            else:
                complete = True
        except httpx.HTTPError:
            pass
        body = b"".join(chunks)
        if not body.strip():
            return ""
        return f" ({self._preview(body[:PREVIEW_BYTES], complete=complete and size <= PREVIEW_BYTES)})"

    def _preview(self, body: bytes, complete: bool) -> str:
        """The start of `body`, redacted first and then cut, so a secret cut in two is never half shown.
        `complete`: `body` is the whole reply; when it is not, its last bytes, where a secret may have been cut
        short by the read, are dropped before redacting."""
        text = body.decode("utf-8", "replace")
        if not complete and self._secrets:
            text = text[: max(0, len(text) - max(map(len, self._secrets)))]
        text = " ".join(self._redact(text).split())
        return repr(text[:ERROR_BODY_CHARS])

    def _elsewhere(self, response: httpx.Response) -> str:
        """A note when a refusal came from another origin than the configured one (after a redirect), where the
        credentials are not sent."""
        if not response.history or not self._secret_headers or _origin(response.url) == self._origin:
            return ""
        return (f"; the request was redirected to {_display_url(str(response.url))}, another origin, where the "
                "credentials are not sent (set source.url to it if that is the endpoint)")

    def _retry_after(self, response: httpx.Response) -> float | None:
        """Retry-After in seconds (a number or an HTTP date), or None when absent or unreadable."""
        raw = response.headers.get("retry-after")
        if not raw:
            return None
        raw = raw.strip()
        try:
            return max(0.0, float(raw))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        return max(0.0, when.timestamp() - self._wall_clock())

    def _records(self, payload: Any) -> list[Any]:
        """The list of order records in a reply; MerchantBadResponse when the reply is not shaped like one."""
        if self._orders_path is not None:
            found = _walk(payload, self._orders_path)
            if found is _MISSING:
                raise MerchantBadResponse(f"{self._where}: orders_path {self.config.orders_path!r} is not in the reply")
            records = [] if found is None else found if isinstance(found, list) else [found]
        else:
            try:
                records = self.mapper.records(payload)
            except RecordError as exc:  # the mapping's own `records` path is not in the reply
                raise MerchantBadResponse(f"{self._where}: {exc}") from None
        if records and not any(isinstance(r, dict) for r in records):
            first = "a list" if isinstance(records[0], list) else self._redact(kind_of(records[0]))
            raise MerchantBadResponse(
                f"{self._where}: expected a list of order objects, got a list whose first item is {first}")
        return records

    def _redact(self, text: str) -> str:
        for value in self._secrets:
            if value in text:
                text = text.replace(value, "***")
        return text


def _forms(secrets: list[str]) -> list[str]:
    """Each secret as it may come back in a reply or an error: as is, URL-encoded (as httpx sends a query
    parameter, and by urllib's rules, with upper- or lower-case hex), JSON-escaped (with `/` as `\\/`, as PHP
    writes it); longest first, so a form holding another is replaced whole."""
    forms: set[str] = set()
    for value in secrets:
        sent = str(httpx.QueryParams({"k": value}))[2:]
        escaped = json.dumps(value)[1:-1]
        found = {value, sent, quote(value, safe=""), quote_plus(value, safe=""), escaped, escaped.replace("/", "\\/")}
        found |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), f) for f in found}
        forms |= found
    return sorted((f for f in forms if f), key=len, reverse=True)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """Scheme, host and port (the scheme's default when none is written)."""
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default


def _walk(value: Any, steps: tuple[str | int, ...]) -> Any:
    """The value at `steps`, None for an explicit null, _MISSING when a step is absent."""
    for step in steps:
        if isinstance(value, dict) and isinstance(step, str):
            value = value.get(step, _MISSING)
        elif isinstance(value, list) and isinstance(step, int) and -len(value) <= step < len(value):
            value = value[step]
        else:
            return _MISSING
        if value is _MISSING or value is None:
            return value
    return value


def _display_url(url: str) -> str:
    """The URL without its query or user info, which may carry credentials."""
    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}{parsed.path}"


def _attempts(n: int) -> str:
    return f"{n} attempt" if n == 1 else f"{n} attempts"
