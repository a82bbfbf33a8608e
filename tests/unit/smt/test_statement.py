"""Splitting theorem statements and printed goals into variables, hypotheses and a target."""

from __future__ import annotations

from prover.smt.core import Sort, Var
from prover.smt.statement import query_from_goal, query_from_statement, split_declarations, split_goal

GOEDEL_STYLE = """import Mathlib
import Aesop

open BigOperators Real Nat Topology Rat

/-- The volume of a cone: $V = \\frac{1}{3}Bh$ (a docstring with a colon : here). Show that it is 65.-/
theorem mathd_algebra_478 (b h v : ℝ) (h₀ : 0 < b ∧ 0 < h ∧ 0 < v) (h₁ : v = 1 / 3 * (b * h))
    (h₂ : b = 30) (h₃ : h = 13 / 2) : v = 65 := by
"""


def test_statement_with_header_docstring_and_multiline_binders() -> None:
    [declaration] = split_declarations(GOEDEL_STYLE)
    assert declaration.name == "mathd_algebra_478"
    assert [b.names for b in declaration.binders] == [("b", "h", "v"), ("h₀",), ("h₁",), ("h₂",), ("h₃",)]
    assert declaration.type_text == "v = 65"


def test_statement_query_types_variables_and_keeps_hypothesis_names() -> None:
    query = query_from_statement(GOEDEL_STYLE)
    assert query.variables == (Var("b", Sort.real), Var("h", Sort.real), Var("v", Sort.real))
    assert [h.name for h in query.hypotheses] == ["h₀", "h₁", "h₂", "h₃"]
    assert query.goal is not None and not query.dropped


def test_goal_with_case_line_and_wrapped_hypothesis() -> None:
    entries, target = split_goal("case h\nx y : ℕ\nh₀ : x + y = 10 ∧\n    x - y = 2\n⊢ x = 6")
    assert entries == [(("x", "y"), "ℕ"), (("h₀",), "x + y = 10 ∧ x - y = 2")]
    assert target == "x = 6"


def test_unknown_binder_types_are_dropped_hypotheses_not_silently_ignored() -> None:
    query = query_from_goal("u : ℕ\nS : Set ℕ\nh₁ : IsLeast S u\n⊢ u = 2")
    assert query.dropped == ("h₁",)
    assert query.variables == (Var("u", Sort.nat),)


def test_function_binders_become_uninterpreted_functions() -> None:
    query = query_from_statement("theorem t (f : ℝ → ℝ) (h : ∀ x, f x = 2 * x) : f 3 = 6 := by")
    assert [f.name for f in query.functions] == ["f"]
    assert query.hypotheses and query.goal is not None


def test_instance_binders_are_kept_as_hypotheses_so_they_block_refutation() -> None:
    query = query_from_statement("theorem t (p : ℕ) [Fact (Nat.Prime p)] : 2 ≤ p := by")
    assert query.dropped == ("inst1✝",)
