"""Cutting failing steps at Lean's error positions keeps every other step byte for byte."""

from __future__ import annotations

from prover.lean.text import LineIndex
from prover.types import Message, Severity
from repair.cut import CutKind, cut_failures

SOURCE = """import Mathlib

theorem t (a b : ℝ) (h₀ : 0 < a) (h₁ : 0 < b) : a * b ≤ (a ^ 2 + b ^ 2) / 2 := by
  have h₂ : 0 ≤ (a - b) ^ 2 := by
    positivity
  have h₃ : (a - b) ^ 2 = a ^ 2 - 2 * a * b + b ^ 2 := by
    ring
  have h₄ : 0 < a * b := mul_pos h₀ h₁
  nlinarith [h₂, h₃]
"""


def error_at(text: str, at: str, message: str = "linarith failed", nth: int = 0) -> Message:
    offset = -1
    for _ in range(nth + 1):
        offset = text.index(at, offset + 1)
    return Message(severity=Severity.error, pos=LineIndex(text).pos(offset), text=message)


def test_error_in_a_have_body_sorries_that_body_only() -> None:
    cut = cut_failures(SOURCE, [error_at(SOURCE, "ring", "ring failed")])
    assert [e.kind for e in cut.edits] == [CutKind.sorry_body]
    assert cut.text == SOURCE.replace("    ring\n", "    sorry\n")


def test_error_on_the_last_step_replaces_it_with_sorry() -> None:
    cut = cut_failures(SOURCE, [error_at(SOURCE, "nlinarith")])
    assert cut.text == SOURCE.replace("nlinarith [h₂, h₃]", "sorry")
    assert cut.edits[0].kind is CutKind.sorry_step and cut.edits[0].replaced == "nlinarith [h₂, h₃]"


def test_error_in_an_earlier_step_comments_it_out_and_keeps_the_line_count() -> None:
    cut = cut_failures(SOURCE, [error_at(SOURCE, "have h₄", "unknown identifier 'mul_pos'")])
    assert "  -- have h₄ : 0 < a * b := mul_pos h₀ h₁\n" in cut.text
    assert cut.text.count("\n") == SOURCE.count("\n")
    assert cut.text.replace("-- have h₄", "have h₄") == SOURCE


def test_error_in_a_term_body_of_a_have_keeps_its_statement() -> None:
    cut = cut_failures(SOURCE, [error_at(SOURCE, "mul_pos", "type mismatch")])
    assert "  have h₄ : 0 < a * b := sorry\n" in cut.text


def test_unsolved_goals_on_by_append_a_final_sorry() -> None:
    unsolved = error_at(SOURCE, "by\n  have h₂", "unsolved goals\na b : ℝ\n⊢ a * b ≤ (a ^ 2 + b ^ 2) / 2")
    cut = cut_failures(SOURCE, [unsolved])
    assert cut.text == SOURCE.rstrip("\n") + "\n  sorry\n"
    assert [e.kind for e in cut.edits] == [CutKind.append_sorry]


def test_several_errors_in_one_round_and_warnings_ignored() -> None:
    warning = error_at(SOURCE, "positivity").model_copy(update={"severity": Severity.warning})
    errors = [error_at(SOURCE, "ring"), error_at(SOURCE, "nlinarith"), warning]
    cut = cut_failures(SOURCE, errors)
    assert "positivity" in cut.text  # a warning is no failure
    assert cut.text == SOURCE.replace("    ring\n", "    sorry\n").replace("nlinarith [h₂, h₃]", "sorry")


def test_an_error_in_the_statement_is_reported_unplaced() -> None:
    cut = cut_failures(SOURCE, [error_at(SOURCE, "(a b : ℝ)", "unknown identifier 'ℝ'")])
    assert not cut.changed and cut.text == SOURCE and len(cut.unplaced) == 1


def test_no_errors_no_change() -> None:
    assert cut_failures(SOURCE, []).text == SOURCE
