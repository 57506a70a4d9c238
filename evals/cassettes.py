"""Record and replay model exchanges at the openai client's HTTP transport, so evals run in CI with no model.

`--record DIR` wraps the real transport and stores every exchange (the request's JSON body and the response body,
streamed SSE bodies included); `--replay DIR` serves them back from an `httpx2.MockTransport`. An exchange is keyed
by the sha256 of the request body (model, messages, tools, every parameter) and the trial number. One cassette per
case: `DIR/<case id>.json` (an id that is no file name as it stands gets a short hash of itself), plain JSON with
sorted keys, fit to commit and to diff; recording never overwrites another case's cassette.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

import httpx2

from tools.errors import OrderAssistantError

__all__ = ["CassetteError", "Cassettes", "RecordingTransport", "ReplayTransport", "request_key"]

VERSION = 1


class CassetteError(OrderAssistantError):
    """A cassette file is unreadable or belongs to another case."""


def _body(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return {"_raw": content.decode("utf-8", "replace")}


def request_key(body: Any, trial: int) -> str:
    """The exchange's key: every request parameter and the trial (so K trials of one case are K recordings)."""
    canonical = json.dumps({"request": body, "trial": trial}, sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _response_record(status: int, content_type: str, content: bytes) -> dict[str, Any]:
    record: dict[str, Any] = {"status": status, "content_type": content_type}
    text = content.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            record["json"] = json.loads(text)
            return record
        except ValueError:
            pass
    record["text"] = text
    return record


def _response(record: dict[str, Any], request: httpx2.Request) -> httpx2.Response:
    content = json.dumps(record["json"]).encode() if "json" in record else record.get("text", "").encode()
    return httpx2.Response(record["status"], headers={"content-type": record.get("content_type", "")},
                           content=content, request=request)


def _legacy_name(case_id: str) -> str:
    parts = [re.sub(r"[^A-Za-z0-9._-]+", "_", p).strip(".") or "_" for p in case_id.split("/")]
    return "/".join(parts)


def _file_name(case_id: str) -> str:
    """`<case id>.json`; an id that is not a file name as it stands is made one, with a short hash of the id
    appended so that two ids never share a file ("qa/a:b" and "qa/a+b" would both be "qa/a_b")."""
    name = _legacy_name(case_id)
    if name != case_id:
        name += "-" + hashlib.sha256(case_id.encode()).hexdigest()[:10]
    return name + ".json"


class Cassettes:
    """A folder of cassettes, one per case. Thread-safe: trials of one case may record at the same time."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._recorded: dict[str, list[dict[str, Any]]] = {}
        self._loaded: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self._owners: dict[Path, str] = {}

    def path(self, case_id: str) -> Path:
        return self.root / _file_name(case_id)

    def _legacy_path(self, case_id: str) -> Path:
        """Where cassettes were written before names carried a hash; still read when the case's own is missing."""
        return self.root / (_legacy_name(case_id) + ".json")

    # -- recording ------------------------------------------------------------------------------------------

    def conflicts(self, case_ids: list[str]) -> list[str]:
        """Why recording these cases would overwrite a cassette not theirs: two of them with one file, or a file
        already holding another case. Empty when recording may go ahead."""
        problems = []
        owners: dict[Path, str] = {}
        for case_id in case_ids:
            path = self.path(case_id)
            if owners.setdefault(path, case_id) != case_id:
                problems.append(f"{path}: cases {owners[path]!r} and {case_id!r} would share this cassette")
        with self._lock:
            problems += [p for p in map(self._refusal, dict.fromkeys(case_ids)) if p]
        return problems

    def claim(self, case_id: str) -> str | None:
        """Reserve the case's cassette for recording; why not (another case's cassette is there), or None."""
        with self._lock:
            refusal = self._refusal(case_id)
            if refusal is None:
                self._owners[self.path(case_id)] = case_id
            return refusal

    def _refusal(self, case_id: str) -> str | None:
        path = self.path(case_id)
        owner = self._owners.get(path)
        if owner is None and path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None  # unreadable: nothing of another case's to keep
            owner = data.get("case") if isinstance(data, dict) else None
        if owner is None or owner == case_id:
            return None
        return f"{path} holds the cassette of case {owner!r}, not {case_id!r}: recording will not overwrite it"

    def add(self, case_id: str, trial: int, seq: int, body: Any, response: dict[str, Any]) -> None:
        """Store one exchange and rewrite the case's cassette (a case recorded in this run starts afresh).
        CassetteError when the file holds another case's cassette."""
        exchange = {"trial": trial, "seq": seq, "key": request_key(body, trial), "request": body,
                    "response": response}
        with self._lock:
            refusal = self._refusal(case_id)
            if refusal is not None:
                raise CassetteError(refusal)
            self._owners[self.path(case_id)] = case_id
            exchanges = self._recorded.setdefault(case_id, [])
            exchanges.append(exchange)
            exchanges.sort(key=lambda e: (e["trial"], e["seq"]))
            self._write(case_id, exchanges)

    def _write(self, case_id: str, exchanges: list[dict[str, Any]]) -> None:
        path = self.path(case_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"case": case_id, "version": VERSION, "exchanges": exchanges}, sort_keys=True,
                          ensure_ascii=False, indent=2) + "\n"
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cassette-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)

    # -- replay ---------------------------------------------------------------------------------------------

    def responses(self, case_id: str) -> dict[str, list[dict[str, Any]]] | None:
        """The case's recorded responses by request key, in the order recorded; None when it has no cassette."""
        with self._lock:
            if case_id not in self._loaded:
                loaded = self._read(case_id)
                if loaded is None:
                    return None
                self._loaded[case_id] = loaded
            return self._loaded[case_id]

    def _read(self, case_id: str) -> dict[str, list[dict[str, Any]]] | None:
        path = self.path(case_id)
        legacy = self._legacy_path(case_id)
        if not path.exists() and legacy != path and legacy.exists():
            data = self._load(legacy)
            # The old name may hold the cassette of another id that shared it: then this case has none.
            if not isinstance(data, dict) or data.get("case") != case_id:
                return None
            path = legacy
        else:
            data = self._load(path)
        if data is None:
            return None
        if not isinstance(data, dict) or data.get("case") != case_id or not isinstance(data.get("exchanges"), list):
            raise CassetteError(f"{path}: not the cassette of case {case_id!r}")
        out: dict[str, list[dict[str, Any]]] = {}
        for exchange in sorted(data["exchanges"], key=lambda e: (e.get("trial", 0), e.get("seq", 0))):
            out.setdefault(exchange["key"], []).append(exchange["response"])
        return out

    @staticmethod
    def _load(path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise CassetteError(f"{path}: unreadable cassette ({exc})") from None

    def models(self) -> set[str]:
        """Every model named in the folder's recorded requests (replay's default model)."""
        found = set()
        for file in self.root.rglob("*.json"):
            try:
                data = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            for exchange in data.get("exchanges", []) if isinstance(data, dict) else []:
                model = (exchange.get("request") or {}).get("model")
                if isinstance(model, str):
                    found.add(model)
        return found


class RecordingTransport(httpx2.BaseTransport):
    """Passes each request to `inner` (the real transport, or a fake in tests) and records the exchange."""

    def __init__(self, inner: httpx2.BaseTransport, cassettes: Cassettes, case_id: str, trial: int) -> None:
        self.inner = inner
        self.cassettes = cassettes
        self.case_id = case_id
        self.trial = trial
        self.seq = 0
        self.misses: list[str] = []
        """Requests not sent, and why: the case's cassette file holds another case's (as `ReplayTransport.misses`)."""

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        body = _body(request.read())
        refusal = self.cassettes.claim(self.case_id)
        if refusal is not None:
            self.misses.append(refusal)
            # Not sent to the model: a 400, which the openai client does not retry, fails the request at once.
            return httpx2.Response(400, json={"error": {"message": refusal, "type": "cassette_conflict"}},
                                   request=request)
        response = self.inner.handle_request(request)
        try:
            content = response.read()
        finally:
            response.close()
        content_type = response.headers.get("content-type", "")
        record = _response_record(response.status_code, content_type, content)
        self.seq += 1
        self.cassettes.add(self.case_id, self.trial, self.seq, body, record)
        # Served from the bytes read: content-encoding is already undone, so only the content type is kept.
        return _response(record, request)

    def close(self) -> None:
        self.inner.close()


class ReplayTransport(httpx2.MockTransport):
    """Serves a case's recorded responses; a request not in the cassette is a miss, kept in `misses` (the agent
    would otherwise fall back to its offline responder and the miss would go unnoticed)."""

    def __init__(self, cassettes: Cassettes, case_id: str, trial: int) -> None:
        super().__init__(self._handle)
        self.cassettes = cassettes
        self.case_id = case_id
        self.trial = trial
        self.misses: list[str] = []
        self._served: dict[str, int] = {}

    def _handle(self, request: httpx2.Request) -> httpx2.Response:
        body = _body(request.content)
        key = request_key(body, self.trial)
        try:
            recorded = self.cassettes.responses(self.case_id)
        except CassetteError as exc:
            return self._miss(str(exc), request)
        options = (recorded or {}).get(key)
        if not options:
            why = "no cassette " + str(self.cassettes.path(self.case_id)) if recorded is None else f"request hash {key}"
            return self._miss(f"cassette miss for case {self.case_id} trial {self.trial}: {why}: run with --record",
                              request)
        # An identical request sent again in one trial (a retry) gets the next recorded response.
        index = self._served.get(key, 0)
        self._served[key] = index + 1
        return _response(options[min(index, len(options) - 1)], request)

    def _miss(self, message: str, request: httpx2.Request) -> httpx2.Response:
        self.misses.append(message)
        # 400 is not retried by the openai client: the miss surfaces at once.
        return httpx2.Response(400, json={"error": {"message": message, "type": "cassette_miss"}}, request=request)
