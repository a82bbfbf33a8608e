"""``KiminaBackend``: checks Lean text on a Kimina Lean Server over HTTP (several servers behind a balancer scale
verification past one machine).

- Capacity: the server runs ``lean.kimina_server_repls`` REPLs. Never more snippets than that are in flight
  (a batch is at most that large, and requests wait for free slots), so the server has a free REPL for
  every snippet it receives from this client.
- Batching: ``check_many`` sends up to ``lean.kimina_batch_size`` snippets per request.
- Backpressure: a per-snippet "No available REPLs" (what the published server answers, with HTTP 200, when
  its REPLs stayed busy) is re-sent after a jittered backoff and counted in ``stats.busy_retries``; it is
  never a verdict. After ``max_attempts`` busy rounds in a row: ``LeanUnavailable``. Each sign of overload
  (this, or a request past its read limit) halves the snippets allowed in flight (``stats.capacity``).
- Retries: 429 (honouring ``Retry-After``), 5xx and connection errors are retried with exponential backoff and
  jitter, ``max_attempts`` in all; then ``LeanUnavailable``. A 401/403 is a ``ConfigError`` (the API key),
  any other 4xx a ``ProtocolError``.
- Timeouts: the server spends up to ``timeout`` on a snippet's header and up to ``timeout`` on its body, so
  a request of ``n`` snippets needs at most ``ceil(n / kimina_server_repls)`` such rounds: the HTTP read
  limit is that times ``2 * timeout``, plus ``http_grace_s``. A request that passes it was queued behind
  someone else's work, not stopped by Lean: its snippets are re-sent (``stats.client_wait_retries``), never
  reported as timeouts; after ``max_attempts`` waits, ``LeanUnavailable``. Only the server's own "timed
  out" errors are ``Verdict.timeout``.
- Positions come back file-relative whatever the server counts from: ``lean.kimina_lines = "auto"`` sends
  ``LINE_PROBE`` once (the first check) and reads the answer; ``"file"``/``"body"`` override it.
- Authentication: ``Authorization: Bearer <key>`` (as the Kimina client sends it), the key read from the
  environment variable named by ``lean.kimina_api_key_env``.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import math
import os
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from prover.errors import BackendError, ConfigError, LeanUnavailable, ProtocolError
from prover.lean.backend import CAP_COMMAND
from prover.lean.kimina_wire import (
    BUSY_ERROR,
    ENDPOINT_PATHS,
    LINE_PROBE,
    KiminaEndpoint,
    KiminaLines,
    is_busy,
    line_offset,
    lines_from_probe,
    parse_result,
    request_body,
    results_by_id,
)
from prover.settings import LeanSettings
from prover.types import CheckResult, Frozen, StateRef, StepResult

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
RETRY_AFTER_MAX_S = 60.0
"""A server asking for a longer pause than this is waited on for this long only (the budget stays bounded)."""

Sleep = Callable[[float], Awaitable[None]]


class KiminaStats(Frozen):
    """Counters of one backend since it was made (benches, tests, ``-v`` logs)."""

    requests: int  # HTTP requests sent, retries included
    snippets: int  # snippets answered with a result (not counting re-sends)
    busy_retries: int  # snippets re-sent after "No available REPLs"
    client_wait_retries: int  # snippets re-sent after the HTTP read limit passed
    http_retries: int  # requests re-sent after 429 / 5xx / a connection error
    lines: str | None  # what the server counts lines from, once known
    capacity: int  # snippets allowed in flight now (lean.kimina_server_repls, halved on overload)


@dataclass
class _Counters:
    requests: int = 0
    snippets: int = 0
    busy_retries: int = 0
    client_wait_retries: int = 0
    http_retries: int = 0


class KiminaBackend:
    """A ``LeanBackend`` that checks whole texts on a Kimina Lean Server (no tactic mode)."""

    def __init__(
        self,
        lean: LeanSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        max_attempts: int = 4,
        backoff_s: float = 0.5,
        backoff_max_s: float = 10.0,
        http_grace_s: float = 10.0,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._lean = lean
        self._endpoint = KiminaEndpoint(lean.kimina_endpoint)
        self._lines: KiminaLines | None = (
            None if lean.kimina_lines == "auto" else KiminaLines(lean.kimina_lines)
        )
        self._probe_lock = asyncio.Lock()
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._backoff_max_s = backoff_max_s
        self._http_grace_s = http_grace_s
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._url = lean.kimina_url.rstrip("/")
        self._client = httpx.AsyncClient(base_url=self._url, transport=transport, headers=_auth_headers(lean))
        self._capacity = lean.kimina_server_repls  # snippets allowed in flight; halved on signs of overload
        self._in_flight = 0
        self._flight = asyncio.Condition()
        self._counters = _Counters()

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset({CAP_COMMAND})

    @property
    def stats(self) -> KiminaStats:
        lines = None if self._lines is None else self._lines.value
        return KiminaStats(**vars(self._counters), lines=lines, capacity=self._capacity)

    async def check(self, code: str, *, timeout: float | None = None, fresh: bool = False) -> CheckResult:
        limit = self._lean.timeout_s if timeout is None else timeout
        return (await self._check_batch([code], limit, fresh=fresh))[0]

    async def check_many(self, codes: Sequence[str], *, timeout: float | None = None) -> list[CheckResult]:
        limit = self._lean.timeout_s if timeout is None else timeout
        size = min(self._lean.kimina_batch_size, self._lean.kimina_server_repls)
        batches = [list(codes[start : start + size]) for start in range(0, len(codes), size)]
        try:
            async with asyncio.TaskGroup() as group:  # one failing batch cancels the others
                tasks = [group.create_task(self._check_batch(batch, limit)) for batch in batches]
        except ExceptionGroup as failed:  # callers catch ProverError, not groups: raise the first cause
            raise failed.exceptions[0] from None
        return [result for task in tasks for result in task.result()]

    async def run_tactic(self, state: StateRef, tactic: str, *, timeout: float | None = None) -> StepResult:
        raise BackendError(
            "the Kimina backend checks whole texts only; tactic-level interaction needs lean.backend "
            "'repl' or 'dojo'"
        )

    async def close(self) -> None:
        await self._client.aclose()

    # ------------------------------------------------------------------------------------------ internals
    async def _server_lines(self) -> KiminaLines:
        """What the server counts lines from: the setting, or (``auto``) one probe per backend."""
        async with self._probe_lock:
            if self._lines is None:
                (answer,) = await self._answers([LINE_PROBE], self._lean.timeout_s, fresh=False)
                probed = lines_from_probe(parse_result(answer[1], offset=0, elapsed_s=0.0))
                if probed is None:
                    log.warning(
                        "could not tell what the Kimina server at %s counts lines from (probe answer: %s); "
                        "assuming the body, as kimina-ast-server 2.1.3 does; set lean.kimina_lines",
                        self._url,
                        str(answer[1])[:200],
                    )
                    probed = KiminaLines.body
                log.info("Kimina server at %s reports %s lines", self._url, probed.value)
                self._lines = probed
            return self._lines

    async def _check_batch(
        self, codes: list[str], timeout: float, *, fresh: bool = False
    ) -> list[CheckResult]:
        lines = await self._server_lines()
        answers = await self._answers(codes, timeout, fresh=fresh)
        return [
            parse_result(result, offset=line_offset(code, lines), elapsed_s=elapsed)
            for code, (elapsed, result) in zip(codes, answers, strict=True)
        ]

    async def _answers(
        self, codes: list[str], timeout: float, *, fresh: bool
    ) -> list[tuple[float, dict[str, Any]]]:
        """``(elapsed, per-snippet result)`` for each code, after re-sending what the server could not run."""
        ids = [uuid.uuid4().hex for _ in codes]
        answered: dict[str, tuple[float, dict[str, Any]]] = {}
        pending = list(zip(ids, codes, strict=True))
        busy_rounds = waits = 0  # consecutive
        while pending:
            chunk, rest = pending[: self._capacity], pending[self._capacity :]
            body = request_body(self._endpoint, chunk, timeout, fresh=fresh)
            started = time.monotonic()
            async with self._flying(len(chunk)):
                answer = await self._post(body, timeout, len(chunk))
            elapsed = time.monotonic() - started
            if answer is None:  # our own wait ran out: the snippets were queued, not timed out by Lean
                waits += 1
                self._counters.client_wait_retries += len(chunk)
                if waits >= self._max_attempts:
                    raise LeanUnavailable(
                        f"Kimina server gave no answer within the read limit {waits} times; it runs fewer "
                        f"REPLs than lean.kimina_server_repls = {self._lean.kimina_server_repls} says, or "
                        "serves other clients: lower that setting",
                        where=self._url,
                    )
                self._overloaded("no answer within the read limit")
                await self._sleep(self._backoff(waits - 1))
                continue
            waits = 0
            found = results_by_id(self._endpoint, answer, [ident for ident, _ in chunk])
            busy = []
            for ident, code in chunk:
                if is_busy(found[ident]):
                    busy.append((ident, code))
                else:
                    answered[ident] = (elapsed, found[ident])
                    self._counters.snippets += 1
            if busy:
                busy_rounds += 1
                self._counters.busy_retries += len(busy)
                if busy_rounds >= self._max_attempts:
                    raise LeanUnavailable(
                        f"Kimina server answered {BUSY_ERROR!r} {busy_rounds} times in a row; it is "
                        "overloaded: lower lean.kimina_server_repls or add REPLs to the server",
                        where=self._url,
                    )
                self._overloaded(f"{len(busy)} snippet(s) answered {BUSY_ERROR!r}")
                delay = self._backoff(busy_rounds - 1)
                log.info("Kimina server busy for %d snippet(s); retry in %.2f s", len(busy), delay)
                await self._sleep(delay)
            else:
                busy_rounds = 0
            pending = busy + rest
        return [answered[ident] for ident in ids]

    def _overloaded(self, sign: str) -> None:
        """The server runs fewer snippets at once than we send: halve what we send from now on."""
        if self._capacity > 1:
            self._capacity = max(1, self._capacity // 2)
            log.warning(
                "Kimina server at %s is overloaded (%s): at most %d snippets in flight from now on "
                "(lean.kimina_server_repls = %d)",
                self._url,
                sign,
                self._capacity,
                self._lean.kimina_server_repls,
            )

    @contextlib.asynccontextmanager
    async def _flying(self, count: int) -> AsyncIterator[None]:
        """Hold ``count`` in-flight places while a request is out (all at once, so no two requests are
        half admitted); a request is always admitted when nothing else is in flight."""
        async with self._flight:
            await self._flight.wait_for(
                lambda: self._in_flight == 0 or self._in_flight + count <= self._capacity
            )
            self._in_flight += count
        try:
            yield
        finally:
            async with self._flight:
                self._in_flight -= count
                self._flight.notify_all()

    async def _post(self, body: dict[str, Any], timeout: float, count: int) -> Any | None:
        """The decoded JSON answer, or ``None`` when the server did not answer within the read limit."""
        path = ENDPOINT_PATHS[self._endpoint]
        rounds = math.ceil(count / self._lean.kimina_server_repls)
        read = rounds * 2 * max(1, math.ceil(timeout)) + self._http_grace_s
        limits = httpx.Timeout(CONNECT_TIMEOUT_S, read=read, connect=CONNECT_TIMEOUT_S)
        last_failure = ""
        for attempt in range(self._max_attempts):
            delay = self._backoff(attempt)
            self._counters.requests += 1
            try:
                response = await self._client.post(path, json=body, timeout=limits)
            except httpx.ReadTimeout:
                log.warning("Kimina server at %s did not answer within %.1f s", self._url, read)
                return None
            except httpx.TransportError as exc:  # refused, reset, dropped, connect/write timeouts
                last_failure = f"{type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                if status < 400:
                    try:
                        return response.json()
                    except ValueError as exc:
                        raise ProtocolError(f"Kimina server at {self._url} answered non-JSON") from exc
                if status in (401, 403):
                    raise ConfigError(
                        f"Kimina server at {self._url} refused the API key (HTTP {status}); "
                        "set the variable named by lean.kimina_api_key_env"
                    )
                if status != 429 and status < 500:
                    raise ProtocolError(
                        f"Kimina server rejected the request: HTTP {status}: {response.text[:200]}"
                    )
                last_failure = f"HTTP {status}"
                asked = _retry_after_s(response) if status == 429 else None
                delay = delay if asked is None else asked
            if attempt + 1 < self._max_attempts:
                self._counters.http_retries += 1
                log.info("Kimina request failed (%s); retry %d in %.2f s", last_failure, attempt + 1, delay)
                await self._sleep(delay)
        raise LeanUnavailable(
            f"Kimina server did not answer after {self._max_attempts} attempts (last: {last_failure})",
            where=self._url,
        )

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._backoff_max_s, self._backoff_s * 2.0**attempt)
        return ceiling * self._rng.uniform(0.5, 1.0)


def _auth_headers(lean: LeanSettings) -> dict[str, str]:
    if lean.kimina_api_key_env is None:
        return {}
    key = os.environ.get(lean.kimina_api_key_env)
    if not key:
        raise ConfigError(
            f"environment variable {lean.kimina_api_key_env} (named by lean.kimina_api_key_env) is not set"
        )
    return {"Authorization": f"Bearer {key}"}


def _retry_after_s(response: httpx.Response) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or an HTTP date), capped."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            log.warning("ignoring unreadable Retry-After header %r", value)
            return None
        seconds = float(moment.timestamp()) - time.time()
    return min(max(seconds, 0.0), RETRY_AFTER_MAX_S)
