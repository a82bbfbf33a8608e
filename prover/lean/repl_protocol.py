"""The Lean REPL wire format: requests out, responses in, nothing else (no processes, no I/O).

Framing (``REPL/Main.lean``): the REPL reads lines up to a blank line and joins them *without* newlines, so a
request must be one line of JSON followed by a blank line; two blank lines in a row would make it parse an
empty query and die. A response is pretty-printed JSON followed by one empty line; pretty JSON escapes
newlines inside strings, so the first empty line always ends the response.

Positions of messages and sorries are shifted by ``line_offset`` so that they refer to the text the caller
passed in when the REPL only saw a later part of it (see ``split_header``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from prover.errors import ProtocolError
from prover.lean.verdict import decide
from prover.types import CheckResult, Message, Pos, Severity, SorryGoal, StateRef, StepResult, StepStatus

REQUEST_END = b"\n\n"

_HEADER_LINE = re.compile(r"^\s*(import\s|open\s|set_option\s|--|$)")
_MODIFIER_LINE = re.compile(r"\sin\s*$")  # `open X in` / `set_option o v in` belong to the next command


class ReplFailure(Exception):
    """The REPL answered ``{"message": ...}``: it refused the request (no id was consumed)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def encode_request(payload: dict[str, Any]) -> bytes:
    """One request: single-line JSON (newlines inside strings are escaped) and the blank line ending it."""
    return json.dumps(payload, ensure_ascii=False).encode("utf-8") + REQUEST_END


def decode_response(text: bytes) -> dict[str, Any]:
    """Parse one response; ``ProtocolError`` when it is not a JSON object."""
    try:
        value = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"REPL answered something that is not JSON: {text[:200]!r}") from exc
    if not isinstance(value, dict):
        raise ProtocolError(f"REPL answered JSON that is not an object: {text[:200]!r}")
    return value


def failure_of(raw: dict[str, Any]) -> str | None:
    """The text of a ``{"message": ...}`` refusal, or None for a regular answer."""
    if set(raw) == {"message"} and isinstance(raw["message"], str):
        return raw["message"]
    return None


def split_header(code: str) -> tuple[str, str, int]:
    """``(header, body, header_lines)``: the leading import/open/set_option lines, the rest, and how many
    lines the header spans (positions in the body shift down by that many). Blank lines and line comments
    between header lines belong to the header; a header that is all blank is returned as ``""``."""
    lines = code.split("\n")
    count = 0
    for line in lines:
        if not _HEADER_LINE.match(line) or _MODIFIER_LINE.search(line):
            break
        count += 1
    header = "\n".join(lines[:count])
    body = "\n".join(lines[count:])
    if not header.strip():
        return "", code, 0
    return header, body, count


def parse_pos(raw: Any, line_offset: int = 0) -> Pos:
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("line"), int)
        or not isinstance(raw.get("column"), int)
    ):
        raise ProtocolError(f"bad position in REPL answer: {raw!r}")
    line = raw["line"]
    # Line 0 is the REPL's "no position" (tactic mode); it is never shifted.
    return Pos(line=line + line_offset if line > 0 else line, column=raw["column"])


_SEVERITIES = {
    "trace": Severity.info,  # the REPL's `trace` level; prover has none, and `raw` keeps the original
    "info": Severity.info,
    "warning": Severity.warning,
    "error": Severity.error,
}


def parse_message(raw: Any, line_offset: int = 0) -> Message:
    if not isinstance(raw, dict) or not isinstance(raw.get("data"), str):
        raise ProtocolError(f"bad message in REPL answer: {raw!r}")
    severity = _SEVERITIES.get(str(raw.get("severity")))
    if severity is None:
        raise ProtocolError(f"bad severity in REPL answer: {raw!r}")
    end = raw.get("endPos")
    return Message(
        severity=severity,
        pos=parse_pos(raw.get("pos"), line_offset),
        end_pos=parse_pos(end, line_offset) if end is not None else None,
        text=raw["data"],
    )


def parse_sorry(raw: Any, state_of: StateFactory | None, line_offset: int = 0) -> SorryGoal:
    if not isinstance(raw, dict) or not isinstance(raw.get("goal"), str):
        raise ProtocolError(f"bad sorry in REPL answer: {raw!r}")
    proof_state = raw.get("proofState")
    end = raw.get("endPos")
    pos = raw.get("pos")
    return SorryGoal(
        goal=raw["goal"],
        pos=parse_pos(pos, line_offset) if pos is not None else Pos(line=0, column=0),
        end_pos=parse_pos(end, line_offset) if end is not None else None,
        state=state_of(proof_state) if state_of is not None and isinstance(proof_state, int) else None,
    )


class StateFactory:
    """Turns REPL proof-state ids into ``StateRef``s of one process generation."""

    def __init__(self, backend: str, worker: int, generation: int) -> None:
        self.backend = backend
        self.worker = worker
        self.generation = generation

    def __call__(self, proof_state: int) -> StateRef:
        return StateRef(
            backend=self.backend, worker=self.worker, generation=self.generation, proof_state=proof_state
        )


def list_field(raw: dict[str, Any], key: str) -> list[Any]:
    """A list field of an answer; the REPL omits empty lists, so absent means empty."""
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise ProtocolError(f"REPL answer field {key!r} is not a list: {value!r}")
    return value


def parse_command_response(
    raw: dict[str, Any],
    *,
    state_of: StateFactory | None = None,
    line_offset: int = 0,
    extra_messages: tuple[Message, ...] = (),
    elapsed_s: float = 0.0,
) -> CheckResult:
    """A command-mode answer as a ``CheckResult``; a ``{"message"}`` refusal raises ``ReplFailure``."""
    failure = failure_of(raw)
    if failure is not None:
        raise ReplFailure(failure)
    env = raw.get("env")
    if not isinstance(env, int):
        raise ProtocolError(f"REPL command answer without env: {raw!r}")
    messages = extra_messages + tuple(parse_message(m, line_offset) for m in list_field(raw, "messages"))
    sorries = tuple(parse_sorry(s, state_of, line_offset) for s in list_field(raw, "sorries"))
    return CheckResult(
        verdict=decide(messages, sorries),
        messages=messages,
        sorries=sorries,
        env=env,
        elapsed_s=elapsed_s,
        raw=raw,
    )


def parse_tactic_response(
    raw: dict[str, Any], *, state_of: StateFactory | None = None, elapsed_s: float = 0.0
) -> StepResult:
    """A tactic-mode answer as a ``StepResult``. A ``{"message"}`` refusal (the tactic threw) is an
    ``error`` step; error messages or sorries in a regular answer are an ``error`` step too (the REPL
    recovers from elaboration errors and would otherwise report ``goals: []``)."""
    failure = failure_of(raw)
    if failure is not None:
        return StepResult(
            status=StepStatus.error,
            messages=(Message(severity=Severity.error, pos=Pos(line=0, column=0), text=failure),),
            elapsed_s=elapsed_s,
            raw=raw,
        )
    proof_state = raw.get("proofState")
    goals = list_field(raw, "goals")
    if not isinstance(proof_state, int) or not all(isinstance(g, str) for g in goals):
        raise ProtocolError(f"bad REPL tactic answer: {raw!r}")
    messages = tuple(parse_message(m) for m in list_field(raw, "messages"))
    sorries = list_field(raw, "sorries")
    if any(m.severity is Severity.error for m in messages) or sorries:
        status = StepStatus.error
    elif goals:
        status = StepStatus.open
    else:
        status = StepStatus.proved
    return StepResult(
        status=status,
        goals=tuple(goals),
        state=state_of(proof_state) if state_of is not None else None,
        messages=messages,
        elapsed_s=elapsed_s,
        raw=raw,
    )
