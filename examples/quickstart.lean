import Mathlib

open Real

/-- A linear fact over ℝ: closed by the symbolic cascade (`linarith`). -/
theorem quickstart_linear (x y : ℝ) (h₀ : x + y = 10) (h₁ : x - y = 2) : x = 6 := by
  sorry

/-- Natural-number arithmetic with truncated subtraction: `omega`. -/
theorem quickstart_nat (n : ℕ) (h : 3 ≤ n) : n - 3 + 3 = n := by
  sorry

/-- A polynomial inequality: `nlinarith [sq_nonneg (a - b)]`. -/
theorem quickstart_amgm (a b : ℝ) : 2 * a * b ≤ a ^ 2 + b ^ 2 := by
  sorry
