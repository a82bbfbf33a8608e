"""The goal a failing tactic had to close, read from Lean's message (or the enclosing ``have``) as a statement."""

from __future__ import annotations

from prover.lean.goals import parse_goals
from prover.lean.text import LineIndex
from prover.types import Message, Pos, Severity, SorryGoal
from repair.local_goal import (
    enclosing_statement,
    printed_state,
    statement_for_target,
    statement_from_message,
    undo_negation,
)

# The shape Mathlib's linarith prints (`throwError "linarith failed to find a contradiction\n{g}\n{e}"`), as a
# REPL answer carries it: the case tag, the hypotheses, the negated target `a✝`, `⊢ False`, then `failed`.
LINARITH = (
    "linarith failed to find a contradiction\ncase a\na b : ℝ\nh₀ : 3 * a + 2 * b = 12\nh₁ : a = 4\n"
    "a✝ : 2 * a * b > a ^ 2 + b ^ 2\n⊢ False\nfailed"
)
THEOREM = "theorem mathd_algebra_109 (a b : ℝ) (h₀ : 3 * a + 2 * b = 12) (h₁ : a = 4) : b = 0"


def error(text: str, line: int = 3, column: int = 4) -> Message:
    return Message(severity=Severity.error, pos=Pos(line=line, column=column), text=text)


def test_linarith_failure_gives_the_negated_target_back_as_the_goal() -> None:
    assert statement_from_message(error(LINARITH)) == (
        "theorem repair_local_goal (a b : ℝ) (h₀ : 3 * a + 2 * b = 12) (h₁ : a = 4) : 2 * a * b ≤ a ^ 2 + b ^ 2"
    )


def test_printed_state_stops_at_the_goal_and_keeps_continuation_lines() -> None:
    text = "linarith failed to find a contradiction\nx : ℝ\na✝ : x ^ 2 +\n    1 < 0\n⊢ False\nfailed"
    assert printed_state(error(text)) == "x : ℝ\na✝ : x ^ 2 +\n    1 < 0\n⊢ False"
    assert printed_state(error("linarith failed to find a contradiction")) is None  # older Mathlib: no goal
    assert printed_state(error("type mismatch\n  h\nhas type\n  ⊢ x")) is None  # not a goal-carrying error


def test_each_relation_is_negated_back_and_other_shapes_stay_false() -> None:
    def target(hypothesis: str) -> str:
        return undo_negation(parse_goals(f"x y : ℝ\na✝ : {hypothesis}\n⊢ False")[0]).target

    assert target("x > y") == "x ≤ y"
    assert target("x ≥ y + 1") == "x < y + 1"
    assert target("x < (y ≤ 2 : Prop)") == "x ≥ (y ≤ 2 : Prop)"  # only the relation outside brackets counts
    assert target("x ≤ y") == "x > y"
    for not_simple in ("x = y", "x < y ∧ y < 1", "0 < x → x < 1", "¬x < y", "x < y < 1"):
        assert target(not_simple) == "False", not_simple
    named = parse_goals("x : ℝ\nh : x > 0\n⊢ False")[0]
    assert undo_negation(named) == named  # a user's hypothesis, not linarith's negation


def test_unsolved_goals_give_their_first_goal() -> None:
    text = "unsolved goals\ncase zero\n⊢ 0 + 1 > 0\n\ncase succ\nx : Nat\nhx : x + 1 > x\n⊢ x + 1 + 1 > x + 1"
    assert statement_from_message(error(text)) == "theorem repair_local_goal : 0 + 1 > 0"
    assert statement_from_message(error("unsolved goals\nx : ℕ\nbroken")) is None


def test_without_a_printed_goal_the_enclosing_have_is_the_target() -> None:
    source = f"{THEOREM} := by\n  have h : 2 * a * b ≤ a ^ 2 + b ^ 2 := by\n    linarith\n  linarith\n"
    inner = source.index("    linarith") + 4
    assert enclosing_statement(source, inner) == "2 * a * b ≤ a ^ 2 + b ^ 2"
    assert enclosing_statement(source, source.rindex("linarith")) is None  # the last step: no have around it
    before = LineIndex(source).pos(inner)
    # Under the theorem's binders when Lean reported no sorry goal before the site...
    assert statement_for_target(
        "2 * a * b ≤ a ^ 2 + b ^ 2", theorem=THEOREM, sorries=(), before=(before.line, before.column)
    ) == (
        "theorem repair_local_goal (a b : ℝ) (h₀ : 3 * a + 2 * b = 12) (h₁ : a = 4) : 2 * a * b ≤ a ^ 2 + b ^ 2"
    )
    # ... under the hypotheses of the nearest earlier sorry goal when there is one (a later one is ignored).
    sorries = (
        SorryGoal(goal="a b : ℝ\nhx : a = b\n⊢ a = b", pos=Pos(line=2, column=2)),
        SorryGoal(goal="late : ℕ\n⊢ True", pos=Pos(line=9, column=2)),
    )
    assert (
        statement_for_target("a ≤ b", theorem=THEOREM, sorries=sorries, before=(before.line, before.column))
        == "theorem repair_local_goal (a b : ℝ) (hx : a = b) : a ≤ b"
    )
