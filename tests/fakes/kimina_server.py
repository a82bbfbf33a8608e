"""A real local HTTP server that behaves like the published Kimina Lean Server (``kimina-ast-server`` 2.1.3).

It listens on 127.0.0.1 (a free port) and serves what the published server serves, as it answers it:

- ``GET /health`` (and ``/``): ``{"status": "ok"}``.
- ``POST /api/check`` and the backward-compatible ``POST /verify`` (alias ``/one_pass_verify_batch``), bodies
  validated by pydantic models with the fields, types and constraints of the server's ``kimina_client``
  models: unknown keys ignored, a snippet ``id`` must be a string (an integer is rejected), ``timeout: "5"``
  is coerced, a negative timeout is rejected, snippets non-empty with unique ids. A rejected body is answered
  422 with FastAPI's body: ``{"detail": [{"type", "loc", "msg", "input"}, ...]}``. A ``/verify`` code with
  neither ``proof`` nor ``code`` passes validation and then fails: 500, ``Internal Server Error`` (text).
- Answers leave out ``None`` fields (``response_model_exclude_none``): ``error`` is absent on success, and a
  ``/verify`` result the server gave up on is ``{"custom_id", "error"}`` only. ``custom_id`` is echoed as a
  string. ``diagnostics`` (``{"repl_uuid"}``) come with the server's timeout errors, and with every result
  when the request asks ``debug``.
- A snippet's answer: its recording, looked up by exact code (``../shared/data/kimina-verify-transcripts``
  or ``add``), or else what the project's REPL double (``ScriptedLean``, default rules) answers for the body.
- Capacity (``repls``): each snippet holds one of ``repls`` REPLs for ``snippet_latency_s``; a snippet that
  waits longer than ``max_wait_s`` for one gets ``{"id", "time": 0.0, "error": "No available REPLs"}``
  with HTTP 200, as the published server answers (it has no 429). ``max_in_flight`` records the most
  snippets that were being checked at once.

Positions: like the published server, the REPL sees only the body (the snippet minus its leading import and
blank lines), so lines count from the body (``lines="body"``, the recordings too); ``lines="file"`` adds the
header lines back, as the server's GitHub HEAD does.

Fault injection (``inject``): each queued fault is spent on one request, in order:
``Fault.rate_limit(retry_after)`` (429), ``Fault.server_error()`` (500), ``Fault.slow(seconds)`` (answers
late), ``Fault.drop()`` (closes the connection without answering), ``Fault.busy()`` (every snippet of the
request answered "No available REPLs").
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from tests.fakes.repl_double import ScriptedLean

BUSY_ERROR = "No available REPLs"


# ------------------------------------------------------------ request models, as in the server's kimina_client
class Snippet(BaseModel):
    id: str
    code: str


class CheckRequest(BaseModel):
    snippets: list[Snippet]
    timeout: int = Field(30, ge=0)
    debug: bool = False
    reuse: bool = True
    infotree: Literal["full", "tactics", "original", "substantive"] | None = None

    @model_validator(mode="after")
    def check_snippets(self) -> CheckRequest:
        if not self.snippets:
            raise ValueError("`snippets` must be non empty")
        if len({s.id for s in self.snippets}) != len(self.snippets):
            raise ValueError("`snippets` must have unique ids")
        return self


class Code(BaseModel):
    custom_id: str | int
    proof: str | None = None
    code: str | None = None


class VerifyRequestBody(BaseModel):
    codes: list[Code]
    timeout: int = 300
    infotree_type: Literal["full", "tactics", "original", "substantive"] | None = None
    disable_cache: bool = False


def fastapi_422(error: ValidationError) -> dict[str, Any]:
    """FastAPI's body for a request that fails validation (``loc`` starts with ``"body"``)."""
    return {
        "detail": [
            {"type": e["type"], "loc": ["body", *e["loc"]], "msg": e["msg"], "input": e["input"]}
            for e in error.errors(include_url=False, include_context=False)
        ]
    }


class InternalServerError(Exception):
    """What the published server fails with (an unhandled exception: plain-text 500)."""


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
    kind: Literal["rate_limit", "server_error", "slow", "drop", "busy"]
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

    @classmethod
    def busy(cls) -> Fault:
        return cls("busy")


@dataclass
class SeenRequest:
    path: str
    body: Any
    headers: dict[str, str]
    fault: Fault | None = None


def split_snippet(code: str) -> tuple[str, str, int]:
    """Header, body and the number of header lines, as the server's ``split_snippet`` splits a snippet."""
    lines = code.splitlines()
    count = 0
    while count < len(lines) and (not lines[count].strip() or lines[count].strip().startswith("import ")):
        count += 1
    header = "\n".join(line.strip() for line in lines[:count] if line.strip())
    return header, "\n".join(lines[count:]), count


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
    latency_s: float = 0.0  # every HTTP answer waits this long (benchmarks)
    repls: int | None = None  # None: a REPL for every snippet at once
    max_wait_s: float = 3600.0  # the server's LEAN_SERVER_MAX_WAIT for a free REPL
    snippet_latency_s: float = 0.0  # how long one snippet holds its REPL
    requests: list[SeenRequest] = field(default_factory=list)
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._free = threading.Semaphore(self.repls) if self.repls is not None else None
        self._in_flight = 0
        self._lean = ScriptedLean(profile="v4.15")

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

    def _run(self, code: str, timeout: int, debug: bool, busy: bool) -> dict[str, Any]:
        """One snippet as ``run_checks`` answers it: ``{"time", "error"?, "response"?, "diagnostics"?}``."""
        if busy or (self._free is not None and not self._free.acquire(timeout=self.max_wait_s)):
            return {"time": 0.0, "error": BUSY_ERROR}
        repl = uuid.uuid4().hex
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if self.snippet_latency_s:
                self._stopping.wait(self.snippet_latency_s)
            return self._answer(code, timeout, debug, repl)
        finally:
            with self._lock:
                self._in_flight -= 1
            if self._free is not None:
                self._free.release()

    def _answer(self, code: str, timeout: int, debug: bool, repl: str) -> dict[str, Any]:
        _, body, header_lines = split_snippet(code)
        recorded = self.recordings.get(code)
        if recorded is None:
            with self._lock:  # the REPL double's answer for the body, as the REPL behind the server sees it
                response: dict[str, Any] = self._lean.command({"cmd": body}, body)
            elapsed = 0.001
        elif recorded.get("error") is not None:
            return {"time": float(timeout), "error": recorded["error"], "diagnostics": {"repl_uuid": repl}}
        else:
            response = copy.deepcopy(recorded["response"])
            elapsed = response.pop("time", 0.0)
        if self.lines == "file" and "message" not in response:
            response = _shift(response, header_lines)
        result: dict[str, Any] = {"time": elapsed, "response": response}
        if debug:
            result["diagnostics"] = {"repl_uuid": repl, "cpu_max": 0.0, "memory_max": 0}
        return result

    def _run_all(self, codes: list[str], timeout: int, debug: bool, busy: bool) -> list[dict[str, Any]]:
        """Every snippet at once (the server gathers them), each waiting for its own REPL."""
        results: list[dict[str, Any]] = [{} for _ in codes]

        def one(index: int) -> None:
            results[index] = self._run(codes[index], timeout, debug, busy)

        workers = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(codes))]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return results

    def answer_check(self, body: Any, busy: bool = False) -> tuple[int, Any]:
        try:
            request = CheckRequest.model_validate(body)
        except ValidationError as exc:
            return 422, fastapi_422(exc)
        runs = self._run_all([s.code for s in request.snippets], request.timeout, request.debug, busy)
        return 200, {"results": [{"id": s.id, **run} for s, run in zip(request.snippets, runs, strict=True)]}

    def answer_verify(self, body: Any, busy: bool = False) -> tuple[int, Any]:
        try:
            request = VerifyRequestBody.model_validate(body)
        except ValidationError as exc:
            return 422, fastapi_422(exc)
        codes = [c.proof if c.proof is not None else c.code for c in request.codes]
        if any(code is None for code in codes):
            raise InternalServerError("a code has no proof/code content")
        runs = self._run_all([c for c in codes if c is not None], request.timeout, False, busy)
        results = []
        for item, run in zip(request.codes, runs, strict=True):
            result: dict[str, Any] = {"custom_id": str(item.custom_id)}
            if "error" in run:
                result["error"] = run["error"]
            if "response" in run:
                result["response"] = {**run["response"], "time": run["time"]}
            results.append(result)
        return 200, {"results": results}


def _handler_for(fake: KiminaFakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            del format, args

        def do_GET(self) -> None:
            if self.path in ("/health", "/health/", "/"):
                self._send(200, {"status": "ok"})
            else:
                self._send(404, {"detail": "Not Found"})

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
                        self._send(429, {"detail": "Too Many Requests"}, extra)
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
            if body is None:
                self._send(
                    422,
                    {
                        "detail": [
                            {
                                "type": "json_invalid",
                                "loc": ["body", 0],
                                "msg": "JSON decode error",
                                "input": {},
                            }
                        ]
                    },
                )
                return
            busy = fault is not None and fault.kind == "busy"
            try:
                match self.path:
                    case "/api/check" | "/api/check/":
                        status, answer = fake.answer_check(body, busy)
                    case "/verify" | "/one_pass_verify_batch":
                        status, answer = fake.answer_verify(body, busy)
                    case _:
                        status, answer = 404, {"detail": "Not Found"}
            except InternalServerError:
                self._send_text(500, "Internal Server Error")
                return
            self._send(status, answer)

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            self._send_bytes(status, json.dumps(payload).encode(), "application/json", headers)

        def _send_text(self, status: int, text: str) -> None:
            self._send_bytes(status, text.encode(), "text/plain; charset=utf-8", None)

        def _send_bytes(
            self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None
        ) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (a read timeout): nothing to answer

    return Handler
