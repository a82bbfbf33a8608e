"""A real local HTTP server that behaves like a Kimina Lean Server, answering with recorded responses.

It listens on 127.0.0.1 (a free port), serves ``POST /api/check`` and the backward-compatible ``POST /verify``,
looks a snippet's answer up by its exact code (recordings from ``../shared/data/kimina-verify-transcripts``
or rules added with ``add``), and counts every request. Validation follows the server's request models: a
missing field or an empty/duplicate-id snippet list is answered 422, as FastAPI does.

Positions: the recordings count lines from the snippet BODY (the server of that time); ``lines="file"``
makes the fake behave like servers from 2025-10 on, which add the header lines back.

Fault injection (``inject``): each queued fault is spent on one request, in order:
``Fault.rate_limit(retry_after)`` (429), ``Fault.server_error()`` (500), ``Fault.slow(seconds)`` (answers
late), ``Fault.drop()`` (closes the connection without answering).
"""

from __future__ import annotations

import copy
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

NO_RECORDING = "fake Kimina server: no recorded response for this snippet"


@dataclass(frozen=True)
class Transcript:
    name: str
    code: str
    result: dict[str, Any]  # one element of the recorded "results" (backward /verify shape)


def load_transcripts(folder: Path) -> list[Transcript]:
    """Every ``input/NAME.lean`` with the single result of ``output/NAME.json``."""
    transcripts = []
    for lean_file in sorted((folder / "input").glob("*.lean")):
        recorded = json.loads((folder / "output" / f"{lean_file.stem}.json").read_text(encoding="utf-8"))
        (result,) = recorded["results"]
        transcripts.append(Transcript(lean_file.stem, lean_file.read_text(encoding="utf-8"), result))
    return transcripts


@dataclass(frozen=True)
class Fault:
    kind: Literal["rate_limit", "server_error", "slow", "drop"]
    retry_after: str | None = None
    delay_s: float = 0.0

    @classmethod
    def rate_limit(cls, retry_after: str | None = "1") -> Fault:
        return cls("rate_limit", retry_after=retry_after)

    @classmethod
    def server_error(cls) -> Fault:
        return cls("server_error")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls("slow", delay_s=seconds)

    @classmethod
    def drop(cls) -> Fault:
        return cls("drop")


@dataclass
class SeenRequest:
    path: str
    body: Any
    headers: dict[str, str]
    fault: Fault | None = None


def _header_line_count(code: str) -> int:
    count = 0
    for line in code.splitlines():
        if line.strip() and not line.strip().startswith("import "):
            break
        count += 1
    return count


def _shift(response: dict[str, Any], lines: int) -> dict[str, Any]:
    shifted = copy.deepcopy(response)
    for key in ("messages", "sorries"):
        for item in shifted.get(key) or ():
            for pos_key in ("pos", "endPos"):
                if isinstance(item.get(pos_key), dict):
                    item[pos_key]["line"] += lines
    return shifted


@dataclass
class KiminaFakeServer:
    recordings: dict[str, dict[str, Any]] = field(default_factory=dict)
    lines: Literal["body", "file"] = "body"
    api_key: str | None = None
    latency_s: float = 0.0  # every answer waits this long (benchmarks)
    requests: list[SeenRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def from_transcripts(cls, transcripts: list[Transcript], **options: Any) -> KiminaFakeServer:
        return cls(recordings={t.code: t.result for t in transcripts}, **options)

    # ------------------------------------------------------------------------------------------ control
    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, code: str, result: dict[str, Any]) -> None:
        """Answer ``code`` with ``result`` (backward shape: ``{"error": ..., "response": {..., "time"}}``)."""
        self.recordings[code] = result

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(faults)

    def start(self) -> KiminaFakeServer:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="kimina-fake", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a slow fault
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> KiminaFakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------------------------------ answers
    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _recorded(self, code: str) -> dict[str, Any]:
        recorded = self.recordings.get(code)
        if recorded is None:
            return {"error": NO_RECORDING, "response": None}
        response = recorded.get("response")
        if response is not None and self.lines == "file":
            response = _shift(response, _header_line_count(code))
        return {"error": recorded.get("error"), "response": copy.deepcopy(response)}

    def answer_verify(self, body: dict[str, Any]) -> tuple[int, Any]:
        codes = body.get("codes")
        if not isinstance(codes, list) or not isinstance(body.get("timeout", 300), int):
            return 422, {"detail": "codes: field required"}
        results = []
        for item in codes:
            code = item.get("proof") if item.get("proof") is not None else item.get("code")
            if "custom_id" not in item or not isinstance(code, str):
                return 422, {"detail": "custom_id and proof/code required"}
            results.append({"custom_id": item["custom_id"], **self._recorded(code)})
        return 200, {"results": results}

    def answer_check(self, body: dict[str, Any]) -> tuple[int, Any]:
        snippets = body.get("snippets")
        timeout = body.get("timeout", 30)
        if not isinstance(snippets, list) or not snippets or not isinstance(timeout, int):
            return 422, {"detail": "snippets must be a non-empty list and timeout an int"}
        if any(not isinstance(s, dict) or set(s) != {"id", "code"} for s in snippets):
            return 422, {"detail": "a snippet is {id, code}"}
        if len({s["id"] for s in snippets}) != len(snippets):
            return 422, {"detail": "`snippets` must have unique ids"}
        results = []
        for snippet in snippets:
            recorded = self._recorded(snippet["code"])
            result: dict[str, Any] = {"id": snippet["id"]}
            response = recorded["response"]
            if recorded["error"] is not None:
                result.update(time=float(timeout), error=recorded["error"])
            else:
                result["time"] = response.pop("time", 0.0)
                result["response"] = response
            results.append(result)
        return 200, {"results": results}


def _handler_for(fake: KiminaFakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            del format, args

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            fault = fake._next_fault()
            try:
                body = json.loads(raw)
            except json.JSONDecodeError:
                body = None
            with fake._lock:
                fake.requests.append(SeenRequest(self.path, body, dict(self.headers.items()), fault))
            if fault is not None:
                match fault.kind:
                    case "drop":
                        self.close_connection = True
                        return
                    case "rate_limit":
                        extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                        self._send(429, {"detail": "No available REPLs"}, extra)
                        return
                    case "server_error":
                        self._send(500, {"detail": "Internal Server Error"})
                        return
                    case "slow":
                        if fake._stopping.wait(fault.delay_s):
                            return
            if fake.latency_s and fake._stopping.wait(fake.latency_s):
                return
            if fake.api_key is not None:
                token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
                if token != fake.api_key:
                    self._send(401, {"detail": "Invalid API key"})
                    return
            if not isinstance(body, dict):
                self._send(422, {"detail": "body is not a JSON object"})
                return
            match self.path:
                case "/api/check" | "/api/check/":
                    status, answer = fake.answer_check(body)
                case "/verify" | "/one_pass_verify_batch":
                    status, answer = fake.answer_verify(body)
                case _:
                    status, answer = 404, {"detail": "Not Found"}
            self._send(status, answer)

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (a read timeout): nothing to answer

    return Handler
