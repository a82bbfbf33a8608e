"""Which rejected attempts to repair first: fewest errors, then most top-level steps Lean accepted.

An attempt of the symbolic cascade is one closing tactic on the whole goal (nothing to keep), and repair never
repairs its own attempts (its recursion does that within one run), so both are left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from prover.lean.text import LineIndex
from prover.search.strategies.base import goal_source
from prover.search.tree import AttemptRecord
from prover.types import Goal, Message, Severity
from repair.cut import top_level_steps

NOT_REPAIRED = frozenset({"symbolic", "repair", "lemma_cache"})


def accepted_steps(source: str, name: str, errors: Sequence[Message]) -> int:
    """Top-level tactic steps of declaration ``name`` in ``source`` that end before the first error."""
    index = LineIndex(source)
    offsets = []
    for message in errors:
        if message.severity is Severity.error:
            try:
                offsets.append(index.offset(message.pos))
            except ValueError:
                continue
    first_error = min(offsets, default=len(source))
    return sum(1 for step in top_level_steps(source, name) if step.end < first_error)


def repairable(records: Sequence[AttemptRecord]) -> list[AttemptRecord]:
    """The records repair may work from (Lean's verdict, a proof text, not the cascade's nor its own)."""
    return [
        r
        for r in records
        if r.attempt.proof.strip()
        and r.attempt.verdict is not None
        and r.attempt.strategy not in NOT_REPAIRED
    ]


def rank(goal: Goal, records: Sequence[AttemptRecord]) -> list[AttemptRecord]:
    """``repairable(records)``, most promising first; equal proofs once (the first recorded)."""
    scored: list[tuple[int, int, int, AttemptRecord]] = []
    seen: set[str] = set()
    for order, record in enumerate(repairable(records)):
        proof = record.attempt.proof.strip()
        if proof in seen:
            continue
        seen.add(proof)
        errors = [m for m in record.attempt.messages if m.severity is Severity.error]
        kept = accepted_steps(goal_source(goal, proof), goal.name, errors)
        scored.append((max(1, len(errors)), -kept, order, record))
    return [record for *_, record in sorted(scored, key=lambda item: item[:3])]
