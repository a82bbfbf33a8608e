"""A real HTTP server on 127.0.0.1 that speaks the OpenAI wire format, for tests and benchmarks.

Usage::

    from tests.fakes.openai_server import FakeOpenAI, Fault

    with FakeOpenAI(model="fake-prover") as fake:
        fake.script(r"Complete the following Lean 4 code", ["```lean4\\nby norm_num\\n```"])
        fake.fault(Fault.rate_limit, times=2, retry_after=1)   # the next 2 requests get 429 + Retry-After: 1
        cfg = RoleSettings(provider="openai", base_url=fake.base_url, model="fake-prover")
        ...                                                     # the real openai SDK talks to fake.base_url
        assert fake.request_count == 3
        fake.requests[-1].body["messages"]                      # what the client sent

Endpoints: ``POST /v1/chat/completions``, ``POST /v1/completions``, ``GET /v1/models``.

Answers: ``script(pattern, answers)`` answers a request whose prompt text (the prompt, or every message's
content joined by newlines) matches the regular expression ``pattern`` (``re.search``; first script added
wins). Choice ``i`` of ``n`` gets ``answers[i % len(answers)]``. Unmatched requests get ``default_answer``.
Usage counts whitespace-separated words: prompt words for ``prompt_tokens``, the words of all choices for
``completion_tokens``. When the request asks for ``logprobs``, every answer word gets log-probability
``-0.1 * (choice index + 1)``, so choice ``i``'s sum is ``-0.1 * (i + 1) * words``.

Faults: ``fault(kind, times=1, ...)`` queues a fault for the next ``times`` requests (in order, before any
later-queued fault). Kinds: ``rate_limit`` (429 with ``Retry-After``), ``server_error`` (500), ``slow`` (waits
``delay_s`` before answering), ``malformed_json`` (200 with a broken JSON body), ``drop_mid_body`` (announces
a body, sends half, closes the connection), ``truncated`` (a normal answer with ``finish_reason: length``).
Every request, faulty or not, is counted in ``request_count`` and kept in ``requests``; ``max_in_flight``
is the most requests handled at once. ``fault(Fault.slow, delay_s=...)`` with no timeout on the client side
is also how a test holds requests open to observe a concurrency limit.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


class Fault(StrEnum):
    rate_limit = "rate_limit"
    server_error = "server_error"
    slow = "slow"
    malformed_json = "malformed_json"
    drop_mid_body = "drop_mid_body"
    truncated = "truncated"


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    body: dict[str, Any]
    fault: Fault | None


@dataclass(frozen=True)
class _Script:
    pattern: re.Pattern[str]
    answers: tuple[str, ...]


@dataclass(frozen=True)
class _QueuedFault:
    kind: Fault
    retry_after: float
    delay_s: float


@dataclass
class _State:
    model: str
    default_answer: str
    scripts: list[_Script] = field(default_factory=list)
    faults: deque[_QueuedFault] = field(default_factory=deque)
    requests: list[RecordedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    usages: list[dict[str, int]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the listen backlog: many clients connect at once in benchmarks


class FakeOpenAI:
    """The fake server; a context manager that serves on a free loopback port in a background thread."""

    def __init__(self, *, model: str = "fake-model", default_answer: str = "fake answer") -> None:
        self._state = _State(model=model, default_answer=default_answer)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeOpenAI:
        state = self._state

        class Handler(_Handler):
            shared = state

        server = _Server(("127.0.0.1", 0), Handler)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._state.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ scripting
    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeOpenAI is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, pattern: str, answers: str | list[str] | tuple[str, ...]) -> None:
        chosen = (answers,) if isinstance(answers, str) else tuple(answers)
        if not chosen:
            raise ValueError("a script needs at least one answer")
        with self._state.lock:
            self._state.scripts.append(_Script(re.compile(pattern), chosen))

    def fault(self, kind: Fault, *, times: int = 1, retry_after: float = 0.0, delay_s: float = 5.0) -> None:
        with self._state.lock:
            for _ in range(times):
                self._state.faults.append(_QueuedFault(kind, retry_after, delay_s))

    @property
    def request_count(self) -> int:
        with self._state.lock:
            return len(self._state.requests)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._state.lock:
            return list(self._state.requests)

    @property
    def reported_usage(self) -> list[dict[str, int]]:
        """The ``usage`` object of every complete answer sent (faulty answers report none)."""
        with self._state.lock:
            return list(self._state.usages)

    @property
    def max_in_flight(self) -> int:
        """The most chat/completion requests the server was handling at one time."""
        with self._state.lock:
            return self._state.max_in_flight

    def reset_counts(self) -> None:
        with self._state.lock:
            self._state.requests.clear()
            self._state.usages.clear()


def prompt_text(body: dict[str, Any]) -> str:
    if "messages" in body:
        return "\n".join(str(m.get("content", "")) for m in body["messages"])
    prompt = body.get("prompt", "")
    return "\n".join(prompt) if isinstance(prompt, list) else str(prompt)


def _words(text: str) -> list[str]:
    return text.split()


class _Handler(BaseHTTPRequestHandler):
    shared: _State
    protocol_version = "HTTP/1.1"  # keep-alive, like real servers

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests read ``requests`` instead of logs."""

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            self._send_json(200, {"object": "list", "data": [{"id": self.shared.model, "object": "model"}]})
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send_json(
                400, {"error": {"message": "request body is not JSON", "type": "invalid_request"}}
            )
            return
        path = self.path.rstrip("/")
        if path not in ("/v1/chat/completions", "/v1/completions"):
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        with self.shared.lock:
            fault = self.shared.faults.popleft() if self.shared.faults else None
            self.shared.requests.append(RecordedRequest(path, body, fault.kind if fault else None))
            self.shared.in_flight += 1
            self.shared.max_in_flight = max(self.shared.max_in_flight, self.shared.in_flight)
        try:
            self._respond(path, body, fault)
        finally:
            with self.shared.lock:
                self.shared.in_flight -= 1

    def _respond(self, path: str, body: dict[str, Any], fault: _QueuedFault | None) -> None:
        match fault.kind if fault else None:
            case Fault.rate_limit:
                assert fault is not None
                self._send_json(
                    429,
                    {"error": {"message": "Rate limit reached (fake)", "type": "rate_limit"}},
                    headers={"Retry-After": f"{fault.retry_after:g}"},
                )
                return
            case Fault.server_error:
                self._send_json(500, {"error": {"message": "internal error (fake)", "type": "server_error"}})
                return
            case Fault.slow:
                assert fault is not None
                if self.shared.stopping.wait(fault.delay_s):
                    return
            case Fault.malformed_json:
                self._send_raw(200, b'{"id": "x", "choices": [ {"index": 0, "message": ', close=False)
                return
            case Fault.drop_mid_body:
                payload = json.dumps(self._answer(path, body, truncated=False)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            case _:
                pass
        truncated = fault is not None and fault.kind is Fault.truncated
        answer = self._answer(path, body, truncated=truncated)
        with self.shared.lock:
            self.shared.usages.append(answer["usage"])
        self._send_json(200, answer)

    def _answers_for(self, text: str) -> tuple[str, ...]:
        with self.shared.lock:
            for scripted in self.shared.scripts:
                if scripted.pattern.search(text):
                    return scripted.answers
        return (self.shared.default_answer,)

    def _answer(self, path: str, body: dict[str, Any], *, truncated: bool) -> dict[str, Any]:
        text = prompt_text(body)
        answers = self._answers_for(text)
        n = int(body.get("n") or 1)
        chat = path.endswith("chat/completions")
        wants_logprobs = bool(body.get("logprobs"))
        choices = []
        completion_tokens = 0
        for index in range(n):
            answer = answers[index % len(answers)]
            words = _words(answer)
            completion_tokens += len(words)
            per_token = -0.1 * (index + 1)
            choice: dict[str, Any] = {"index": index, "finish_reason": "length" if truncated else "stop"}
            if chat:
                choice["message"] = {"role": "assistant", "content": answer}
                choice["logprobs"] = (
                    {
                        "content": [
                            {"token": w, "logprob": per_token, "bytes": None, "top_logprobs": []}
                            for w in words
                        ]
                    }
                    if wants_logprobs
                    else None
                )
            else:
                choice["text"] = answer
                choice["logprobs"] = (
                    {
                        "tokens": words,
                        "token_logprobs": [per_token] * len(words),
                        "top_logprobs": None,
                        "text_offset": [0] * len(words),
                    }
                    if wants_logprobs
                    else None
                )
            choices.append(choice)
        prompt_tokens = len(_words(text))
        return {
            "id": f"fake-{time.monotonic_ns()}",
            "object": "chat.completion" if chat else "text_completion",
            "created": int(time.time()),
            "model": str(body.get("model", self.shared.model)),
            "choices": choices,
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    def _send_json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._send_raw(status, json.dumps(payload).encode(), headers=headers, close=False)

    def _send_raw(
        self, status: int, payload: bytes, *, headers: dict[str, str] | None = None, close: bool
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (for example after its timeout): nothing left to answer.
            self.close_connection = True
        if close:
            self.close_connection = True
