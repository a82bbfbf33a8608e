"""The goal a failing tactic itself had to close, as a lemma statement Z3 can be asked about (tool correction).

Lean prints that goal after the error text: ``linarith failed to find a contradiction`` is followed by the
state linarith reached (``case a``, the hypotheses, the negated target as an inaccessible hypothesis
``a✝ : t > s``, then ``⊢ False``), ``unsolved goals`` by the goals left. Where the message prints no goal, the
stated type of the enclosing ``have``/``show``/``suffices`` stands in, under the hypotheses of a ``sorry`` goal
Lean reported before the site, else under the theorem's own binders.

Everything here only chooses which statement Z3 gives *hints* for: the hints are tactics that are tried, and
Lean decides. Turning linarith's ``a✝ : t > s ⊢ False`` back into ``⊢ t ≤ s`` states the same goal (over the
linear orders linarith works in, ``¬ t > s ↔ t ≤ s``), and is never used as a claim about a proof.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from prover.errors import LeanSourceError
from prover.lean.goals import Hypothesis, PrintedGoal, lemma_of_goal, parse_goals
from prover.lean.sketch import sorrify
from prover.lean.text import parse_file
from prover.types import Message, SorryGoal

LEMMA = "repair_local_goal"
# The relation of linarith's negated-target hypothesis → the relation of the target it negates.
_NEGATED = {">": "≤", "≥": "<", "<": "≥", "≤": ">"}
_FIRST_LINES = (
    re.compile(r"^linarith failed(?: to find a contradiction)?\s*$", re.IGNORECASE),
    re.compile(r"^unsolved goals\s*$", re.IGNORECASE),
)


def printed_state(message: Message) -> str | None:
    """The goal text Lean printed under a ``linarith failed`` or ``unsolved goals`` error, or None."""
    first, _, rest = message.text.strip("\n").partition("\n")
    if not any(p.match(first.strip()) for p in _FIRST_LINES) or "⊢" not in rest:
        return None
    lines = rest.split("\n")
    # Keep the goal(s) up to the last `⊢` entry and its continuation lines; anything after is not a goal.
    last = max(i for i, line in enumerate(lines) if line.lstrip().startswith("⊢"))
    end = last + 1
    while end < len(lines) and lines[end][:1].isspace() and lines[end].strip():
        end += 1
    return "\n".join(lines[:end])


def _top_relation(text: str) -> tuple[str, str, str] | None:
    """``lhs``, relation, ``rhs`` when ``text`` is one comparison ``lhs R rhs`` at bracket depth 0."""
    depth = 0
    found: list[tuple[int, str]] = []
    for i, c in enumerate(text):
        if c in "([{⟨⦃":
            depth += 1
        elif c in ")]}⟩⦄":
            depth -= 1
        elif depth == 0 and c in _NEGATED and text[i - 1 : i] == " " and text[i + 1 : i + 2] == " ":
            found.append((i, c))
        elif depth == 0 and c in "∧∨→↔=≠¬∀∃":
            return None  # more than one comparison, or not a comparison
    if len(found) != 1:
        return None
    i, relation = found[0]
    return text[:i].strip(), relation, text[i + 1 :].strip()


def undo_negation(goal: PrintedGoal) -> PrintedGoal:
    """linarith's ``a✝ : t > s ⊢ False`` as ``⊢ t ≤ s`` (the same goal); other goals unchanged."""
    if goal.target.strip() != "False" or not goal.hypotheses:
        return goal
    last = goal.hypotheses[-1]
    if len(last.names) != 1 or "✝" not in last.names[0] or last.value is not None:
        return goal
    comparison = _top_relation(" ".join(last.type.split()))
    if comparison is None:
        return goal
    lhs, relation, rhs = comparison
    return PrintedGoal(
        case=goal.case, hypotheses=goal.hypotheses[:-1], target=f"{lhs} {_NEGATED[relation]} {rhs}"
    )


def statement_from_message(message: Message) -> str | None:
    """The first goal printed under ``message`` as a lemma statement (without ``:= by``), or None."""
    state = printed_state(message)
    if state is None:
        return None
    try:
        goal = parse_goals(state)[0]
    except LeanSourceError:
        return None
    return _statement(undo_negation(goal))


def _statement(goal: PrintedGoal) -> str:
    return lemma_of_goal(goal, LEMMA).removesuffix(" := by sorry")


def enclosing_statement(text: str, offset: int) -> str | None:
    """The stated type of the top-level ``have``/``show``/``suffices`` whose proof contains ``offset``."""
    for hole in sorrify(text).holes:
        span = hole.original_span
        if hole.statement and span.start_offset <= offset < span.end_offset:
            return " ".join(hole.statement.split())
    return None


def statement_for_target(
    target: str, *, theorem: str, sorries: Sequence[SorryGoal], before: tuple[int, int]
) -> str | None:
    """``target`` under the hypotheses of the last ``sorry`` goal at or before ``before`` (line, column), else
    under the binders of ``theorem`` (a ``theorem name binders : type`` statement)."""
    earlier = [s for s in sorries if (s.pos.line, s.pos.column) <= before]
    if earlier:
        nearest = max(earlier, key=lambda s: (s.pos.line, s.pos.column))
        try:
            hypotheses: tuple[Hypothesis, ...] = parse_goals(nearest.goal)[0].hypotheses
        except LeanSourceError:
            hypotheses = ()
        else:
            return _statement(PrintedGoal(hypotheses=hypotheses, target=target))
    declarations = parse_file(theorem).declarations
    if not declarations:
        return None
    binders = " ".join(declarations[0].binders.split())
    return f"theorem {LEMMA} {binders} : {target}" if binders else f"theorem {LEMMA} : {target}"
