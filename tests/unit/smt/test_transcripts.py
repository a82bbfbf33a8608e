"""Goals copied verbatim from the real Lean REPL transcripts in ../shared/data/lean-repl-transcripts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from prover.smt.engine import SmtEngine
from prover.types import SmtStatus

GOAL_FIELD = re.compile(r'"goals?": *("(?:[^"\\]|\\.)*"|\[(?:"(?:[^"\\]|\\.)*",? *)*\])')


def transcript_goals(shared_dir: Path) -> set[str]:
    goals: set[str] = set()
    for path in (shared_dir / "data" / "lean-repl-transcripts").rglob("*.expected.out"):
        for match in GOAL_FIELD.finditer(path.read_text(encoding="utf-8")):
            value = json.loads(match.group(1))
            goals.update([value] if isinstance(value, str) else value)
    return goals


EXPECTED = {
    "x : ℝ\nh0 : |x| > 1\n⊢ x < 0 ∨ 2 * x > 2": SmtStatus.valid,
    "x : ℕ\nh : 2 * (2 * (2 * (2 * x))) = 48\n⊢ x = 3": SmtStatus.valid,
    "⊢ 9! % 10 = 0": SmtStatus.valid,
    "x y z : Nat\nh1 : x = y\nh2 : y = z\n⊢ x = z": SmtStatus.valid,
    "case succ\nx : Nat\nhx : x + 1 > x\n⊢ x + 1 + 1 > x + 1": SmtStatus.valid,
    "x : Int\n⊢ x = 1": SmtStatus.refuted,
    "x : Int\nh0 : x > 0\n⊢ False": SmtStatus.refuted,
    "⊢ 3 = 4": SmtStatus.refuted,
    "case intro\nn : ℕ\nh : n ≠ 2\n⊢ 1 = 0": SmtStatus.refuted,
    "p q : Prop\n⊢ p ∧ q → q ∧ p": SmtStatus.unsupported,
    "f : Nat → Nat\nn : Nat\nh : n = 3\n⊢ f n = f 3": SmtStatus.valid,
}


def test_expected_goals_are_really_in_the_transcripts(shared_dir: Path) -> None:
    goals = transcript_goals(shared_dir)
    missing = [goal for goal in EXPECTED if goal not in goals]
    assert not missing


@pytest.mark.parametrize(("goal", "expected"), list(EXPECTED.items()))
def test_transcript_goal(engine: SmtEngine, goal: str, expected: SmtStatus) -> None:
    assert engine.decide_goal(goal).status is expected


def test_no_transcript_goal_breaks_the_engine_and_refutations_are_false_statements(
    engine: SmtEngine, shared_dir: Path
) -> None:
    goals = sorted(transcript_goals(shared_dir))
    assert len(goals) > 30
    results = {goal: engine.decide_goal(goal) for goal in goals}
    refuted = {goal for goal, result in results.items() if result.status is SmtStatus.refuted}
    # every refutation among them is a goal that is false as printed (checked by hand)
    assert refuted <= {
        "x : Int\n⊢ x = 1",
        "x : Int\nh0 : x > 0\n⊢ False",
        "x : Int\nh0 h : x > 0\n⊢ False",
        "⊢ 1 = 0",
        "⊢ 3 = 4",
        "⊢ 3 = 5",
        "⊢ 3 = 7",
        "⊢ 4 = 5",
        "⊢ False",
        "case intro\nn : ℕ\nh : n ≠ 2\n⊢ 1 = 0",
        "case succ\nn✝ : Nat\n⊢ n✝ + 1 = 0",
        "case succ\nn✝ : Nat\nthis : true = true\n⊢ n✝ + 1 = 0",
    }
