"""``KiminaBackend``: checks Lean text on a Kimina Lean Server over HTTP (several servers behind a balancer scale
verification past one machine).

- Batching: ``check_many`` sends ``lean.kimina_batch_size`` snippets per request, at most ``lean.workers``
  requests at a time.
- Retries: 429 (honouring ``Retry-After``), 5xx and connection errors are retried with exponential backoff and
  jitter, ``max_attempts`` in all; then ``LeanUnavailable``. A 401/403 is a ``ConfigError`` (the API key),
  any other 4xx a ``ProtocolError``.
- Timeouts: the server spends up to ``timeout`` on a snippet's header and up to ``timeout`` on its body, so
  the HTTP read limit is ``2 * timeout + http_grace_s``; past it every snippet of the batch gets
  ``Verdict.timeout``. The server's own "timed out" errors are ``Verdict.timeout`` as well.
- Positions come back file-relative whatever the server counts from (``lean.kimina_lines``).
- Authentication: ``Authorization: Bearer <key>`` (as the Kimina client sends it), the key read from the
  environment variable named by ``lean.kimina_api_key_env``.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx

from prover.errors import BackendError, ConfigError, LeanUnavailable, ProtocolError
from prover.lean.backend import CAP_COMMAND
from prover.lean.kimina_wire import (
    ENDPOINT_PATHS,
    KiminaEndpoint,
    KiminaLines,
    line_offset,
    parse_result,
    request_body,
    results_by_id,
)
from prover.lean.verdict import decide
from prover.settings import LeanSettings
from prover.types import CheckResult, StateRef, StepResult

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
RETRY_AFTER_MAX_S = 60.0
"""A server asking for a longer pause than this is waited on for this long only (the budget stays bounded)."""

Sleep = Callable[[float], Awaitable[None]]


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
        self._lines = KiminaLines(lean.kimina_lines)
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._backoff_max_s = backoff_max_s
        self._http_grace_s = http_grace_s
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._url = lean.kimina_url.rstrip("/")
        self._client = httpx.AsyncClient(base_url=self._url, transport=transport, headers=_auth_headers(lean))
        self._requests = asyncio.Semaphore(lean.workers)

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset({CAP_COMMAND})

    async def check(self, code: str, *, timeout: float | None = None, fresh: bool = False) -> CheckResult:
        limit = self._lean.timeout_s if timeout is None else timeout
        return (await self._check_batch([code], limit, fresh=fresh))[0]

    async def check_many(self, codes: Sequence[str], *, timeout: float | None = None) -> list[CheckResult]:
        limit = self._lean.timeout_s if timeout is None else timeout
        size = self._lean.kimina_batch_size
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
    async def _check_batch(
        self, codes: list[str], timeout: float, *, fresh: bool = False
    ) -> list[CheckResult]:
        ids = [uuid.uuid4().hex for _ in codes]
        body = request_body(self._endpoint, list(zip(ids, codes, strict=True)), timeout, fresh=fresh)
        started = time.monotonic()
        async with self._requests:
            answer = await self._post(body, timeout)
        elapsed = time.monotonic() - started
        if answer is None:
            return [CheckResult(verdict=decide((), timed_out=True), elapsed_s=elapsed) for _ in codes]
        found = results_by_id(self._endpoint, answer, ids)
        return [
            parse_result(found[ident], offset=line_offset(code, self._lines), elapsed_s=elapsed)
            for ident, code in zip(ids, codes, strict=True)
        ]

    async def _post(self, body: dict[str, Any], timeout: float) -> Any | None:
        """The decoded JSON answer, or ``None`` when the server did not answer within the read limit."""
        path = ENDPOINT_PATHS[self._endpoint]
        limits = httpx.Timeout(
            CONNECT_TIMEOUT_S, read=2 * timeout + self._http_grace_s, connect=CONNECT_TIMEOUT_S
        )
        last_failure = ""
        for attempt in range(self._max_attempts):
            delay = self._backoff(attempt)
            try:
                response = await self._client.post(path, json=body, timeout=limits)
            except httpx.ReadTimeout:
                log.warning("Kimina server at %s did not answer within %.1f s", self._url, limits.read or 0.0)
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
