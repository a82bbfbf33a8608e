from __future__ import annotations

import pytest

from prover.lean.goal_compare import explain_binder_names, opens_of, same_modulo_printing

OPENS = opens_of("import Mathlib\nopen BigOperators Real Nat Topology Rat\n")
LOCALS = {"x": "ℝ", "a": "ℕ", "b": "ℕ", "σ": "Equiv ℝ ℝ"}


@pytest.mark.parametrize(
    ("source", "printed"),
    [
        ("Nat.Prime (a + b)", "(a + b).Prime"),
        ("Real.logb 8 x = 5", "logb 8 x = 5"),
        ("abs (x - 2) = Int.floor (Real.sqrt x)", "|x - 2| = ↑⌊√x⌋"),
        ("(∑ k in Finset.range a, Nat.choose a k) - 2 = 1", "∑ k ∈ Finset.range a, a.choose k - 2 = 1"),
        ("Finset.card (Nat.divisors (2 * a)) = 28", "(2 * a).divisors.card = 28"),
        ("∀ (y) (_ : y ≠ 0), y = (2 : ℝ)", "∀ (y : ℝ), y ≠ 0 → y = 2"),
        ("∀ n, n < 1000 → n = a", "∀ n < 1000, n = a"),
        ("List.Pairwise (· ≠ ·) [a, b]", "List.Pairwise (fun x x_1 => x ≠ x_1) [a, b]"),
        ("σ.1 (σ.2 x) = x", "σ.toFun (σ.invFun x) = x"),
        ("{ y : ℝ | ¬ (y = 2) }", "{y | y ≠ 2}"),
        ("Equiv ℝ ℝ", "ℝ ≃ ℝ"),
        ("Nat.floor x = 3", "⌊x⌋₊ = 3"),
    ],
)
def test_printing_differences_are_equal(source: str, printed: str) -> None:
    result = same_modulo_printing(source, printed, opens=OPENS, locals_=LOCALS)
    assert result.same, result.reason


@pytest.mark.parametrize(
    ("source", "printed"),
    [
        ("x < 3", "x ≤ 3"),
        ("a - b = 1", "b - a = 1"),
        ("0 < x ∧ x < 1", "0 < x"),  # a dropped conjunct
        ("0 < x → x < 1", "x < 1"),  # a dropped hypothesis
        ("(a + b) * 2 = 4", "a + b * 2 = 4"),  # parentheses that matter
        ("∀ (n : ℕ), n = a", "∀ (n : ℤ), n = a"),  # a wrong binder type
        ("Nat.Prime (a + b)", "(a - b).Prime"),
        ("(∑ k in Finset.range a, k) - 2 = 1", "∑ k ∈ Finset.range a, (k - 2) = 1"),
        ("Real.logb 8 x = 5", "logb x 8 = 5"),
    ],
)
def test_true_mismatches_are_caught(source: str, printed: str) -> None:
    assert not same_modulo_printing(source, printed, opens=OPENS, locals_=LOCALS).same


def test_binder_name_explanations() -> None:
    assert explain_binder_names(["n", "h₀", "h₀"], ["n", "h₀_1", "h₀"]).reason == "shadowed"
    assert explain_binder_names(["a", "_"], ["a", "x_1"]).reason == "anonymous"
    assert explain_binder_names(["n"], ["k", "n"]).reason == "auto-bound"
    assert not explain_binder_names(["n", "h"], ["m", "h"]).same
