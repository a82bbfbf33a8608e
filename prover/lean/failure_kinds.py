"""Why Lean rejected a text, as one of a few kinds a person can read at a glance.

The patterns follow Lean's own wording, in both spellings the recorded transcripts show (``unknown
identifier 'g'`` up to v4.2x, ``Unknown identifier `g` `` at HEAD): the kind is read from the start of an
error's text, timeouts and heartbeats first because their text may mention anything. Only error-severity
messages are failures; warnings, infos and ``declaration uses 'sorry'`` are not counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

from prover.types import CheckResult, Message, Severity, Verdict


class FailureKind(StrEnum):
    """One reason Lean rejected a proof; ``other`` is everything the patterns do not name."""

    unknown_identifier = "unknown_identifier"
    type_mismatch = "type_mismatch"
    unsolved_goals = "unsolved_goals"
    timeout = "timeout"
    syntax = "syntax"
    linarith_failed = "linarith_failed"
    other = "other"


# Ordered: the first pattern that matches names the kind.
_PATTERNS: tuple[tuple[FailureKind, re.Pattern[str]], ...] = (
    (
        FailureKind.timeout,
        re.compile(
            r"\(deterministic\) timeout|maximum number of heartbeats|maximum recursion depth"
            r"|^timeout\b|timed out",
            re.IGNORECASE,
        ),
    ),
    (
        FailureKind.unknown_identifier,
        re.compile(r"^unknown (?:identifier|constant|declaration|namespace)\b", re.IGNORECASE),
    ),
    (FailureKind.linarith_failed, re.compile(r"^linarith failed\b", re.IGNORECASE)),
    (FailureKind.type_mismatch, re.compile(r"^(?:application )?type mismatch\b", re.IGNORECASE)),
    (FailureKind.unsolved_goals, re.compile(r"^unsolved goals\b", re.IGNORECASE)),
    (
        FailureKind.syntax,
        re.compile(
            r"^unexpected (?:token|identifier|end of input|command)\b|^expected\b|^unknown tactic\b"
            r"|^invalid syntax\b|^missing end of character literal",
            re.IGNORECASE,
        ),
    ),
)

# Verdicts that carry no Lean message of their own but still say why the check failed.
_VERDICT_KIND: dict[Verdict, FailureKind] = {
    Verdict.timeout: FailureKind.timeout,
    Verdict.crash: FailureKind.other,
    Verdict.backend_error: FailureKind.other,
}


def classify_text(text: str) -> FailureKind:
    """The kind of one error text (the ``data`` of a Lean message)."""
    stripped = text.lstrip()
    for kind, pattern in _PATTERNS:
        if pattern.search(stripped):
            return kind
    return FailureKind.other


def classify(message: Message) -> FailureKind:
    """The kind of one Lean message, whatever its severity (callers count only errors)."""
    return classify_text(message.text)


def count_failures(messages: Iterable[Message]) -> dict[FailureKind, int]:
    """How many error-severity messages of each kind; kinds with no message are absent."""
    counts: dict[FailureKind, int] = {}
    for message in messages:
        if message.severity is Severity.error:
            kind = classify(message)
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def count_verdict_failures(verdict: Verdict | None, messages: Iterable[Message]) -> dict[FailureKind, int]:
    """Failures of one check given its verdict and messages.

    A timeout counts once as ``timeout`` even when Lean printed nothing; a crash or backend error with no
    error message counts once as ``other``; a valid (or sorry-only) check counts nothing.
    """
    counts = count_failures(messages)
    if verdict in _VERDICT_KIND and not counts:
        counts[_VERDICT_KIND[verdict]] = 1
    elif verdict is Verdict.timeout and FailureKind.timeout not in counts:
        counts[FailureKind.timeout] = 1
    elif verdict is Verdict.lean_error and not counts:
        counts[FailureKind.other] = 1
    return counts


def count_result_failures(result: CheckResult) -> dict[FailureKind, int]:
    """Failures of one :class:`CheckResult` (see :func:`count_verdict_failures`)."""
    return count_verdict_failures(result.verdict, result.messages)


def primary_kind(verdict: Verdict | None, messages: Iterable[Message]) -> FailureKind | None:
    """The kind of the first failure of a check (file order), or None when nothing failed."""
    if verdict is Verdict.timeout:
        return FailureKind.timeout
    errors = sorted(
        (m for m in messages if m.severity is Severity.error), key=lambda m: (m.pos.line, m.pos.column)
    )
    if errors:
        return classify(errors[0])
    if verdict in _VERDICT_KIND or verdict is Verdict.lean_error:
        return FailureKind.other
    return None


def merge_counts(*counts: dict[FailureKind, int]) -> dict[FailureKind, int]:
    """Sum of several counts, in the enum's order (a stable order for tables and JSON)."""
    total: dict[FailureKind, int] = {}
    for kind in FailureKind:
        n = sum(c.get(kind, 0) for c in counts)
        if n:
            total[kind] = n
    return total
