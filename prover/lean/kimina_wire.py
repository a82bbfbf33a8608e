"""The Kimina Lean Server's JSON, both ways: request bodies and per-snippet results to ``CheckResult``.

Two endpoints (field names as in the server's ``kimina`` client models):

- ``POST /api/check``: ``{"snippets": [{"id", "code"}], "timeout": int, "debug", "reuse"}`` answered by
  ``{"results": [{"id", "time", "error"?, "response"?}]}`` (``ReplResponse``, ``None`` fields omitted).
- ``POST /verify`` (backward compatible): ``{"codes": [{"custom_id", "proof"}], "timeout": int,
  "infotree_type", "disable_cache"}`` answered by ``{"results": [{"custom_id", "error", "response"}]}`` where
  ``response`` also carries ``time``.

``response`` is the REPL's own command response (``messages``, ``sorries``, ``env``) or a REPL-level
``{"message": ...}`` error. An ``error`` string means the server gave up on the snippet; one containing
``timed out`` ("Lean process timed out", "Lean REPL command timed out in 60 seconds") is a timeout.

The published server (``kimina-ast-server`` 2.1.3) answers HTTP 200 even when it is full: a snippet that
waited past the server's ``LEAN_SERVER_MAX_WAIT`` for a REPL comes back as ``{"id", "time": 0.0, "error":
"No available REPLs"}`` (``is_busy``). That is backpressure, never a verdict. Fields that are ``None`` are
left out of its answers (``response_model_exclude_none``).

Lines: the published server sends only the body (the snippet minus its leading import/blank lines) to the
REPL and reports body lines; its GitHub HEAD adds the header lines back. ``LINE_PROBE`` is a snippet whose
one message sits on a known line either way (``lines_from_probe``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from prover.errors import ProtocolError
from prover.lean.positions import kimina_header_line_count
from prover.lean.repl_protocol import list_field, parse_message, parse_sorry
from prover.lean.verdict import decide
from prover.types import CheckResult, Verdict

log = logging.getLogger(__name__)


class KiminaEndpoint(StrEnum):
    check = "check"  # POST /api/check
    verify = "verify"  # POST /verify, the backward-compatible endpoint


class KiminaLines(StrEnum):
    """What reported line numbers count from."""

    file = "file"  # the server's GitHub HEAD (from commit e2cdc1f, 2025-10) adds the header lines back
    body = "body"  # kimina-ast-server 2.1.3 as published, and older servers: lines of the body


BUSY_ERROR = "No available REPLs"
"""The per-snippet ``error`` of a server whose REPLs all stayed busy past its wait (HTTP 200, not 429)."""

LINE_PROBE = "\n\ntheorem prover_kimina_line_probe : True := sorry\n"
"""Two header (blank) lines, then one declaration: its ``sorry`` warning is on body line 1, file line 3."""
_PROBE_LINES = {1: KiminaLines.body, 3: KiminaLines.file}


ENDPOINT_PATHS: dict[KiminaEndpoint, str] = {
    KiminaEndpoint.check: "/api/check",
    KiminaEndpoint.verify: "/verify",
}
ID_KEYS: dict[KiminaEndpoint, str] = {KiminaEndpoint.check: "id", KiminaEndpoint.verify: "custom_id"}


def request_body(
    endpoint: KiminaEndpoint, snippets: Sequence[tuple[str, str]], timeout: float, *, fresh: bool = False
) -> dict[str, Any]:
    """The JSON body for ``(id, code)`` snippets. The server takes whole seconds; round up.

    ``fresh``: the server must not reuse a REPL that already elaborated a header (certification)."""
    seconds = max(1, math.ceil(timeout))
    match endpoint:
        case KiminaEndpoint.check:
            return {
                "snippets": [{"id": ident, "code": code} for ident, code in snippets],
                "timeout": seconds,
                "debug": False,
                "reuse": not fresh,
            }
        case KiminaEndpoint.verify:
            return {
                "codes": [{"custom_id": ident, "proof": code} for ident, code in snippets],
                "timeout": seconds,
                "infotree_type": None,
                "disable_cache": fresh,
            }


def results_by_id(
    endpoint: KiminaEndpoint, body: Any, expected_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The per-snippet results of a response body, keyed by snippet id; every expected id must be present."""
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise ProtocolError("Kimina response has no 'results' list")
    key = ID_KEYS[endpoint]
    found: dict[str, dict[str, Any]] = {}
    for result in body["results"]:
        if not isinstance(result, dict) or not isinstance(result.get(key), str | int):
            raise ProtocolError(f"Kimina result without {key!r}: {str(result)[:200]}")
        found[str(result[key])] = result
    missing = [ident for ident in expected_ids if ident not in found]
    if missing:
        raise ProtocolError(f"Kimina response lacks results for snippets {missing[:5]}")
    return found


def line_offset(code: str, lines: KiminaLines) -> int:
    """Lines to add to reported lines so that they count from the top of ``code``."""
    match lines:
        case KiminaLines.file:
            return 0
        case KiminaLines.body:
            return kimina_header_line_count(code)


def is_busy(result: dict[str, Any]) -> bool:
    """Whether a per-snippet result is the server's "No available REPLs" (retry it later)."""
    error = result.get("error")
    return isinstance(error, str) and error.strip().startswith(BUSY_ERROR)


def lines_from_probe(result: CheckResult) -> KiminaLines | None:
    """What the server counts lines from, read off its answer to ``LINE_PROBE`` (parsed with offset 0);
    ``None`` when the answer does not say (an error, no message, an unexpected line)."""
    reported = {m.pos.line for m in result.messages} | {s.pos.line for s in result.sorries}
    if len(reported) != 1:
        return None
    return _PROBE_LINES.get(reported.pop())


def parse_result(result: dict[str, Any], *, offset: int, elapsed_s: float) -> CheckResult:
    """One per-snippet result as a ``CheckResult`` with file-relative positions; ``raw`` is ``result`` itself.

    ``offset`` is added to every reported line (see ``line_offset``). ``elapsed_s`` is used when the server
    reported no time.
    """
    error = result.get("error")
    response = result.get("response")
    top_time = result.get("time")
    if error is not None:
        if not isinstance(error, str):
            raise ProtocolError(f"Kimina 'error' is not a string: {error!r}")
        timed_out = "timed out" in error
        if not timed_out:
            log.warning("Kimina server could not check a snippet: %s", error)
        elapsed = float(top_time) if isinstance(top_time, int | float) else elapsed_s
        verdict = decide((), timed_out=True) if timed_out else Verdict.backend_error
        return CheckResult(verdict=verdict, elapsed_s=elapsed, raw=result)
    if not isinstance(response, dict):
        raise ProtocolError("Kimina result has neither 'error' nor 'response'")
    if "message" in response:  # the REPL itself refused the command (unknown env, unparsable input, ...)
        log.warning("Lean REPL behind the Kimina server answered an error: %s", response["message"])
        return CheckResult(verdict=Verdict.backend_error, elapsed_s=elapsed_s, raw=result)
    messages = tuple(parse_message(m, offset) for m in list_field(response, "messages"))
    sorries = tuple(parse_sorry(s, None, offset) for s in list_field(response, "sorries"))
    server_time = response.get("time")
    if isinstance(top_time, int | float):
        elapsed = float(top_time)
    else:
        elapsed = float(server_time) if isinstance(server_time, int | float) else elapsed_s
    env = response.get("env")
    return CheckResult(
        verdict=decide(messages, sorries),
        messages=messages,
        sorries=sorries,
        env=env if isinstance(env, int) else None,
        elapsed_s=elapsed,
        raw=result,
    )
