"""The one rule that decides whether Lean accepted a text, for every backend.

Valid only if: no error-severity message, no reported sorries, no "declaration uses sorry" warning (quoted
``'sorry'`` before Lean v4.28, `` `sorry` `` from v4.28 on), and the check neither timed out nor crashed.
Tactic-mode success is never final (REPL issue #44): callers recompile the whole text in command mode.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from prover.types import Message, Severity, SorryGoal, Verdict

_USES_SORRY = re.compile(r"declaration uses ['`]sorry['`]")


def uses_sorry(message: Message) -> bool:
    return message.severity is Severity.warning and _USES_SORRY.search(message.text) is not None


def decide(
    messages: Iterable[Message],
    sorries: Iterable[SorryGoal] = (),
    *,
    timed_out: bool = False,
    crashed: bool = False,
) -> Verdict:
    """The verdict for one command-mode check. Timeout and crash dominate; errors dominate sorry."""
    if timed_out:
        return Verdict.timeout
    if crashed:
        return Verdict.crash
    messages = tuple(messages)
    if any(m.severity is Severity.error for m in messages):
        return Verdict.lean_error
    if tuple(sorries) or any(uses_sorry(m) for m in messages):
        return Verdict.sorry
    return Verdict.valid
