"""Each Lean semantic rule, with a case where naive SMT / integer semantics give the wrong answer."""

from __future__ import annotations

import pytest

from prover.smt.engine import SmtEngine
from prover.types import SmtStatus

VALID, REFUTED = SmtStatus.valid, SmtStatus.refuted


def decide(engine: SmtEngine, binders_and_type: str) -> SmtStatus:
    return engine.decide_statement(f"theorem t {binders_and_type} := by sorry").status


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        # ℕ subtraction truncates (Nat.sub_eq_zero_of_le): with plain integers a - 7 + 7 = a always
        (": (5 : ℕ) - 7 + 7 = 7", VALID),
        ("(a : ℕ) : a - 7 + 7 = a", REFUTED),
        ("(a : ℤ) : a - 7 + 7 = a", VALID),
        # ℕ division is floor (Nat.div): rationals say 7 / 2 = 7/2
        (": (7 : ℕ) / 2 = 3", VALID),
        # ℤ division is Euclidean (Int.ediv): truncation gives -3, floor division of 7 by -2 gives -4
        (": (-7 : ℤ) / 2 = -4", VALID),
        (": (7 : ℤ) / (-2) = -3", VALID),
        (": (-7 : ℤ) % 2 = 1", VALID),
        (": (7 : ℤ) % (-2) = 1", VALID),
        ("(a b : ℤ) (hb : b ≠ 0) : 0 ≤ a % b", VALID),
        # division by zero is 0 (Nat.div_zero, Int.ediv_zero, div_zero); SMT-LIB leaves it unspecified
        ("(x : ℕ) : x / 0 = 0", VALID),
        ("(x : ℤ) : x / 0 = 0", VALID),
        ("(x : ℝ) : x / 0 = 0", VALID),
        ("(x : ℚ) : x / 0 = 0", VALID),
        # x % 0 = x (Nat.mod_zero, Int.emod_zero)
        ("(x : ℤ) : x % 0 = x", VALID),
        ("(x : ℕ) : x % 0 = 0", REFUTED),
        # inverse of zero is zero (inv_zero)
        (": (0 : ℝ)⁻¹ = 0", VALID),
        # Real.sqrt of a negative is 0 (Real.sqrt_eq_zero_of_nonpos)
        (": Real.sqrt (-4) = 0", VALID),
        ("(x : ℝ) (h : x < 0) : Real.sqrt x = 0", VALID),
        ("(x : ℝ) : Real.sqrt (x ^ 2) = x", REFUTED),
        # 0 ^ 0 = 1 (pow_zero)
        (": (0 : ℝ) ^ 0 = 1", VALID),
        ("(x : ℕ) : x ^ 0 = 1", VALID),
        # ℕ variables are non-negative; casts preserve order and are injective (Nat.cast_le, Nat.cast_inj)
        ("(n : ℕ) : 0 ≤ n", VALID),
        ("(n : ℕ) : (n : ℤ) - 1 < n", VALID),
        ("(n : ℕ) : n - 1 < n", REFUTED),
        ("(a b : ℕ) (h : (a : ℝ) = b) : a = b", VALID),
        # a numeral exponent is ℕ (Monoid.npow), so 1 / 3 is 0 there: x ^ (1 / 3) = x ^ 0 = 1
        ("(x : ℝ) (h : 0 < x) : x ^ (1 / 3) = 1", VALID),
        ("(x : ℝ) (h : 0 < x) : x ^ ((1 : ℝ) / 3) = 1", REFUTED),  # x = 2: an exact cube root interval
        # the tree's largest type wins, casts go to the leaves: (u + v : ℚ) / 2 is ℚ division
        ("(u v : ℕ) (h₀ : u = 1) (h₁ : v = 2) : (u + v : ℚ) / 2 = 3 / 2", VALID),
        ("(u v : ℕ) (h₀ : u = 1) (h₁ : v = 2) : (u + v) / 2 = 1", VALID),
        # 0 ∣ x ↔ x = 0 (zero_dvd_iff)
        ("(x : ℕ) (h : 0 ∣ x) : x = 0", VALID),
        (": (3 : ℤ) ∣ -6", VALID),
        # floor rounds down, not toward zero (Int.floor_le, Int.lt_floor_add_one)
        (": ⌊(-1 / 2 : ℝ)⌋ = -1", VALID),
        (": ⌈(1 / 2 : ℝ)⌉ = 1", VALID),
        # Even/Odd on negative integers (Int.odd_iff: n % 2 = 1 with Euclidean %)
        (": Odd (-3 : ℤ)", VALID),
        ("(p : ℕ) (h : Nat.Prime p) : Odd p", REFUTED),
        ("(p : ℕ) (h₀ : Nat.Prime p) (h₁ : 7 < p) (h₂ : p < 11) : False", SmtStatus.vacuous),
        ("(p : ℕ) (h₀ : Nat.Prime p) (h₁ : 7 < p) (h₂ : p < 12) : p = 11", VALID),
        (": 9! % 10 = 0", VALID),
        (": Nat.factorial 5 = 120", VALID),
        (": ∑ k in Finset.range 5, k = 10", VALID),
        (": ∑ k in Finset.Icc 1 4, k ^ 2 = 30", VALID),
        (": ∏ k in Finset.Icc 1 4, k = 24", VALID),
        (": (Finset.filter (fun n => 3 ∣ n) (Finset.range 30)).card = 10", VALID),
        ("(n : ℕ) : ∑ k in Finset.range n, (2 * k + 1) = n ^ 2 + 1", REFUTED),
        (": |(-3 : ℤ)| = 3", VALID),
        ("(a b : ℝ) : min a b ≤ max a b", VALID),
        ("(x : ℝ) (h : x = 2) : Real.sqrt x * Real.sqrt x = x", VALID),
        ("(x : ℝ) (h : 0 ≤ x) : Real.sqrt x < x", REFUTED),
    ],
)
def test_lean_semantics(engine: SmtEngine, statement: str, expected: SmtStatus) -> None:
    assert decide(engine, statement) is expected


def test_refutation_carries_a_model_that_breaks_the_statement(engine: SmtEngine) -> None:
    result = engine.decide_statement("theorem t (a : ℕ) (h : a < 5) : a - 3 + 3 = a := by sorry")
    assert result.status is REFUTED
    assert result.model is not None and int(result.model["a"]) < 3


def test_inconsistent_hypotheses_are_vacuous_and_named(engine: SmtEngine) -> None:
    result = engine.decide_statement("theorem t (x : ℝ) (h₀ : 2 < x) (h₁ : 0 < 1) (h₂ : x < 1) : x = 7 := by")
    assert result.status is SmtStatus.vacuous
    assert "h₀" in result.reason and "h₂" in result.reason and "h₁" not in result.reason


def test_uninterpreted_function_never_confirms_a_counterexample(engine: SmtEngine) -> None:
    assert decide(engine, "(x : ℝ) : Real.log x = 0") is SmtStatus.unknown
    assert decide(engine, "(x : ℝ) (h : Real.log x = 1) : Real.log x + 1 = 2") is VALID


def test_unsupported_hypothesis_blocks_refutation_but_not_validity(engine: SmtEngine) -> None:
    assert decide(engine, "(S : Set ℕ) (x : ℕ) (h : IsLeast S x) : x = 5") is SmtStatus.unknown
    assert decide(engine, "(S : Set ℕ) (x : ℕ) (h : IsLeast S x) : x + 1 > x") is VALID


def test_outside_the_fragment_is_unsupported(engine: SmtEngine) -> None:
    result = engine.decide_statement("theorem t (p : Polynomial ℝ) : p * 1 = p := by sorry")
    assert result.status is SmtStatus.unsupported and result.reason
    ordered = engine.decide_statement("theorem t (z : ℂ) (h : 0 < z) : z ≠ 0 := by sorry")  # no order on ℂ
    assert ordered.status is not SmtStatus.refuted


def test_goal_text_hiding_a_cast_target_is_unsupported(engine: SmtEngine) -> None:
    assert engine.decide_goal("u v : ℕ\n⊢ (↑u + ↑v) / 2 = 64").status is SmtStatus.unsupported
    assert engine.decide_goal("u : ℕ\nx : ℝ\nh : x = ↑u\n⊢ (↑u + x) / 2 = x").status is VALID


def test_valid_goals_get_closer_hints(engine: SmtEngine) -> None:
    linear_int = engine.decide_statement("theorem t (x y : ℤ) (h : x < y) : x + 1 ≤ y := by")
    assert linear_int.hints[0] == "omega"
    linear_real = engine.decide_statement("theorem t (x y : ℝ) (h : x < y) : x < y + 1 := by")
    assert linear_real.hints[0] == "linarith"
    polynomial = engine.decide_statement("theorem t (a b : ℝ) : 2 * a * b ≤ a ^ 2 + b ^ 2 := by")
    assert polynomial.hints[0].startswith("nlinarith [") and "sq_nonneg (a - b)" in polynomial.hints[0]
    closed = engine.decide_statement("theorem t : (2 : ℝ) + 2 = 4 := by")
    assert closed.hints[0] == "norm_num"
    assert all(result.elapsed_s > 0 for result in (linear_int, linear_real, polynomial, closed))


@pytest.mark.parametrize(
    "goal",
    [
        # real miniF2F goals (deepseek_v15 `goal` fields) whose printed text hides ℤ/ℝ inside |…| or ∏:
        # reading them in ℕ would "refute" true statements
        "⊢ |(3491 - 60) * (3491 + 60) - 3491 ^ 2| = 3600",
        "⊢ ∏ k ∈ Finset.Icc 1 501, (4 * ↑k + 4) / (4 * ↑k) = 502",
        "a b q r : ℕ\nh₀ : r < a + b\nh₁ : a ^ 2 + b ^ 2 = (a + b) * q + r\nh₂ : q ^ 2 + r = 1977\n"
        "⊢ |↑a - 22| = 15 ∧ |↑b - 22| = 28 ∨ |↑a - 22| = 28 ∧ |↑b - 22| = 15",
    ],
)
def test_goal_text_hiding_types_inside_leaves_is_not_refuted(engine: SmtEngine, goal: str) -> None:
    assert engine.decide_goal(goal).status is SmtStatus.unsupported
