"""The statement classes the audit decides with Lean's exact semantics, each with a wrong statement that must
be flagged (with evidence a user can check) and a true one that must not be refuted.

A wrong "refuted" is worse than "unknown": every rule below has its true control.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from prover.settings import SmtSettings
from prover.smt.audit import audit_path
from prover.smt.engine import SmtEngine
from prover.smt.statement import query_from_statement
from prover.types import SmtResult, SmtStatus

VALID, REFUTED, VACUOUS = SmtStatus.valid, SmtStatus.refuted, SmtStatus.vacuous


def decide(engine: SmtEngine, binders_and_type: str) -> SmtResult:
    return engine.decide_statement(f"theorem t {binders_and_type} := by sorry")


def never_refuted(engine: SmtEngine, binders_and_type: str) -> None:
    result = decide(engine, binders_and_type)
    assert result.status not in (REFUTED, VACUOUS), (binders_and_type, result)


# ------------------------------------------------------------------------ function-definition hypotheses
def test_function_definition_hypothesis_is_used_as_a_definition(engine: SmtEngine) -> None:
    # Euler's polynomial: f 41 = 41 ^ 2 is not prime
    wrong = decide(engine, "(f : ℕ → ℕ) (h₀ : ∀ x, f x = x ^ 2 - x + 41) : Nat.Prime (f 41)")
    assert wrong.status is REFUTED and "f as defined by h₀" in wrong.reason
    assert decide(engine, "(f : ℝ → ℝ) (h₀ : ∀ x, f x = 2 * x + 1) : f 3 = 8").status is REFUTED
    assert decide(engine, "(f : ℝ → ℝ) (h₀ : ∀ x, f x = 2 * x + 1) : f 3 = 7").status is VALID


def test_function_definition_controls(engine: SmtEngine) -> None:
    never_refuted(
        engine, "(f : ℕ → ℕ) (h₀ : ∀ x, f x = x ^ 2 - x + 41) (n : ℕ) (h : n < 10) : Nat.Prime (f n)"
    )
    # a guarded definition says nothing outside its guard: f (-1) is free
    never_refuted(engine, "(f : ℝ → ℝ) (h₀ : ∀ x > 0, f x = 1 / x) : f (-1) = 5")
    assert decide(engine, "(f : ℝ → ℝ) (h₀ : ∀ x > 0, f x = 1 / x) : f 2 = 1 / 2").status is VALID
    # ℕ subtraction inside the definition truncates (Nat.sub_eq_zero_of_le): f 0 = 0 - 0 + 41 = 41
    assert decide(engine, "(f : ℕ → ℕ) (h₀ : ∀ x, f x = x - 5 + 41) : f 0 = 41").status is VALID
    # a recursive "definition" is not a definition
    never_refuted(engine, "(f : ℕ → ℕ) (h₀ : ∀ x, f x = f x + 0) : f 3 = 3")


# ------------------------------------------------------------------ universally quantified hypotheses
def test_false_universal_hypothesis_names_its_instance(engine: SmtEngine) -> None:
    result = decide(engine, "(S : Finset ℕ) (h₀ : ∀ n : ℕ, n ∣ Nat.sqrt 196) : (∑ k in S, k) = 24")
    assert result.status is VACUOUS
    assert "h₀ is false at n = 0" in result.reason  # 0 ∣ 14 is false (zero_dvd_iff)
    two = decide(engine, "(h : ∀ a b : ℤ, a * b ≤ a + b + 1) : 1 = 2")
    assert two.status is VACUOUS and "h is false at a = 0, b = -2" in two.reason  # 0 ≤ -1 is false


def test_true_universal_hypotheses_are_not_vacuous(engine: SmtEngine) -> None:
    assert decide(engine, "(h₀ : ∀ n : ℕ, 1 ∣ n) (x : ℕ) (h : x = 2) : x + 1 = 3").status is VALID
    never_refuted(engine, "(h₀ : ∀ n : ℕ, n % 2 = 0 ∨ n % 2 = 1) (x : ℕ) : x % 2 < 2")
    # a hypothesis with a free variable is not false on its own
    never_refuted(engine, "(a : ℕ) (h : ∀ n : ℕ, a ∣ n) : a = 1")


# -------------------------------------------------------------------------------------- real powers
@pytest.mark.parametrize(
    "statement",
    [
        "(a : ℝ) (h : 0 < a) : a ^ (1 / 4) = 1",  # ℕ exponent: 1 / 4 = 0 (Nat.div), a ^ 0 = 1
        "(y : ℝ) : (1 : ℝ) ^ y = 1",  # Real.one_rpow
        ": (0 : ℝ) ^ (0 : ℝ) = 1",  # Real.rpow_zero
        "(n : ℕ) (h : 0 < n) : (1 : ℝ) ^ ((1 : ℝ) / n) = 1",
        ": (8 : ℝ) ^ ((1 : ℝ) / 3) = 2",  # a perfect power
        ": (2 : ℝ) ^ ((1 : ℝ) / 2) < 1.5",  # an outward-rounded interval decides
        ": (4 : ℝ) ^ ((-1 : ℝ) / 2) = 1 / 2",
    ],
)
def test_exact_real_powers(engine: SmtEngine, statement: str) -> None:
    assert decide(engine, statement).status is VALID


def test_real_powers_refute_only_when_the_interval_decides(engine: SmtEngine) -> None:
    assert decide(engine, ": (8 : ℝ) ^ ((1 : ℝ) / 3) = 3").status is REFUTED
    assert decide(engine, "(x : ℝ) (h : 0 < x) : x ^ ((1 : ℝ) / 2) = x / 2").status is REFUTED
    # (√x)² = x holds, but intervals cannot show an equality: never refuted
    never_refuted(engine, "(x : ℝ) (h : 0 ≤ x) : (x ^ ((1 : ℝ) / 2)) ^ 2 = x")
    # Real.rpow_def_of_neg: (-8) ^ (1/3) = 2 * cos (π / 3) = 1 in Lean, not -2: a negative base is left alone
    never_refuted(engine, ": (-8 : ℝ) ^ ((1 : ℝ) / 3) = 1")


# ---------------------------------------------------- gcd, lcm, sqrt, %, / on non-numerals (small instances)
def test_nat_functions_on_variables(engine: SmtEngine) -> None:
    gcd = decide(engine, "(n : ℕ) (h : 0 < n) : Nat.gcd n 6 = 1")
    assert gcd.status is REFUTED and gcd.model == {"n": "2"}
    assert decide(engine, "(n : ℕ) : Nat.sqrt n ^ 2 = n").status is REFUTED
    assert decide(engine, "(a b : ℕ) : a / b * b = a").status is REFUTED
    assert decide(engine, "(a b : ℕ) (h : 0 < a) : Nat.lcm a b = a * b").status is REFUTED
    assert (
        decide(engine, "(n k : ℕ) (h : k ≤ n) : Nat.choose n k = Nat.choose n (n - k)").status is not REFUTED
    )


def test_nat_function_controls(engine: SmtEngine) -> None:
    never_refuted(engine, "(n : ℕ) : Nat.gcd n (n + 1) = 1")
    never_refuted(engine, "(n : ℕ) : Nat.sqrt (n ^ 2) = n")
    never_refuted(engine, "(a b : ℕ) (h : 0 < b) : a % b < b")
    never_refuted(engine, "(a b : ℕ) : Nat.gcd a b * Nat.lcm a b = a * b")
    assert decide(engine, "(x : ℤ) : Int.natAbs x = Int.natAbs (-x)").status is not REFUTED
    assert decide(engine, ": Nat.choose 5 2 = 10").status is VALID


# --------------------------------------------------------------- binders without a type, auto-bound, shadowing
def test_untyped_binders_default_to_nat(engine: SmtEngine) -> None:
    assert decide(engine, "(n) (h : n + 1 = 5) : n = 4").status is VALID
    assert decide(engine, "(n) (h : n - 5 = 0) : n ≤ 5").status is VALID  # ℕ: truncating
    wrong = decide(engine, "(n) (h : n - 5 = 0) : n = 5")
    assert wrong.status is REFUTED and wrong.model == {"n": "0"}


def test_untyped_binders_take_their_partners_type(engine: SmtEngine) -> None:
    assert decide(engine, "(x : ℝ) (y) (h : y = x / 2) (hx : x = 1) : y = 1 / 2").status is VALID
    # an ascription types it as Lean's unification does (x : ℝ), never as the default ℕ
    assert decide(engine, "(x) (h : (x : ℝ) = 1 / 2) : 2 * x = 1").status is VALID
    query = query_from_statement("theorem t (x) (h : (x : ℝ) = 1 / 2) : 2 * x = 1 := by")
    assert [(var.name, var.sort.lean) for var in query.variables] == [("x", "ℝ")]
    # typed only through a function we do not know the parameter of: left alone rather than guessed ℕ
    never_refuted(engine, "(x) (h : Real.sqrt x = 1 / 2) : x = 1 / 4")
    assert query_from_statement("theorem t (x) (h : Real.sqrt x = 1 / 2) : x = 1 / 4 := by").variables == ()


def test_auto_bound_implicits_and_escaping_big_operator_bodies(engine: SmtEngine) -> None:
    assert decide(engine, "(h : n + 1 = 5) : n = 4").status is VALID
    # `∑ k in range 5, a + k * d` is `(∑ k in range 5, a) + k * d` with `k` auto-bound (body at precedence 67)
    escaped = decide(engine, "(a d : ℕ) : ∑ k in Finset.range 5, a + k * d = 5 * a + 10 * d")
    assert escaped.status is REFUTED and escaped.model is not None and "k" in escaped.model
    assert decide(engine, "(a d : ℕ) : ∑ k in Finset.range 5, (a + k * d) = 5 * a + 10 * d").status is VALID


def test_shadowed_binders_keep_their_hypotheses(engine: SmtEngine) -> None:
    shadowed = decide(engine, "(n : ℕ) (h : n = 2) (n : ℕ) : n = 2")
    assert shadowed.status is REFUTED and shadowed.model is not None
    assert shadowed.model["n✝"] == "2" and shadowed.model["n"] != "2"
    assert decide(engine, "(n : ℕ) (h : n = 2) (n : ℕ) (h' : n = 3) : n = 3").status is VALID
    assert decide(engine, "(x : ℝ) (h : x = 1) (x : ℝ) (h : x = 2) : x = 2").status is VALID


# ------------------------------------------------------------------------------------------ finite sets
def test_finite_sets_by_membership(engine: SmtEngine) -> None:
    assert (
        decide(engine, "(S : Finset ℕ) (h₀ : ∀ n : ℕ, n ∈ S ↔ n ∣ 36) : (∑ k in S, k) = 91").status is VALID
    )
    wrong = decide(engine, "(S : Finset ℕ) (h₀ : ∀ n : ℕ, n ∈ S ↔ n ∣ 36) : (∑ k in S, k) = 90")
    assert wrong.status is REFUTED and "S = the finite set h₀ describes" in wrong.reason
    square = "(S : Finset ℕ) (h₀ : ∀ x, x ∈ S ↔ 0 < x ∧ x ^ 2 + 4 * x + 4 < 20) : S.card = 2"
    assert decide(engine, square).status is VALID
    integers = "(S : Finset ℤ) (h₀ : ∀ n : ℤ, n ∈ S ↔ -2 ≤ n ∧ n ≤ 2 ∧ n ≠ 0) : S.card = 4"
    assert decide(engine, integers).status is VALID
    assert decide(engine, ": (Nat.divisors 36).card = 9").status is VALID


def test_finite_set_controls(engine: SmtEngine) -> None:
    # true, but not bounded by a conjunct we read: the set is not enumerated, nothing is claimed
    never_refuted(engine, "(S : Finset ℕ) (h₀ : ∀ n : ℕ, n ∈ S ↔ Real.sqrt n < 3) : S.card = 9")
    # ℤ needs both bounds: `n ≤ 2` alone does not make a finite set
    never_refuted(engine, "(S : Finset ℤ) (h₀ : ∀ n : ℤ, n ∈ S ↔ n ≤ 2 ∧ n ^ 2 ≤ 4) : S.card = 5")


# ------------------------------------------------------------------------- congruences, extrema, ℂ, subtypes
def test_congruence_extremum_complex_and_subtypes(engine: SmtEngine) -> None:
    assert decide(engine, ": 171 ≡ 80 [MOD 7]").status is VALID  # Nat.ModEq: 171 % 7 = 80 % 7
    assert decide(engine, "(n : ℕ) (h : 2 ≤ n) : 171 ≡ 80 [MOD n]").status is REFUTED  # n = 2
    assert decide(engine, ": (-1 : ℤ) ≡ 4 [ZMOD 5]").status is VALID  # Int.emod: -1 % 5 = 4
    assert decide(engine, ": IsLeast { t : ℕ | 0 < t ∧ Nat.lcm 12 t ^ 3 = (12 * t) ^ 2 } 18").status is VALID
    assert (
        decide(engine, ": IsLeast { t : ℕ | 0 < t ∧ Nat.lcm 12 t ^ 3 = (12 * t) ^ 2 } 19").status is REFUTED
    )
    complex_wrong = decide(
        engine, "(q e : ℂ) (h₀ : q = 9 - 4 * Complex.I) (h₁ : e = -3 - 4 * Complex.I) : q - e = 13"
    )
    assert (
        complex_wrong.status is REFUTED and complex_wrong.model is not None and "q.re" in complex_wrong.model
    )
    assert decide(engine, "(z : ℂ) (h : z = 3 + 4 * Complex.I) : Complex.abs z = 5").status is VALID
    assert decide(engine, "(z : ℂ) : z * z⁻¹ = 1").status is REFUTED  # inv_zero: z = 0
    assert decide(engine, "(n : ℕ+) (h : n * 2 = 6) : n = 3").status is VALID
    never_refuted(engine, "(x y : NNReal) (h : x - y = 0) : x ≤ y")  # truncated subtraction: not modelled
    equiv = "(σ : Equiv ℝ ℝ) (h₀ : σ.2 2 = 10) (h₁ : σ.2 10 = 1) (h₂ : σ.2 1 = 2) : σ.1 (σ.1 10) = 1"
    assert decide(engine, equiv).status is VALID


def test_sets_given_by_a_set_builder(engine: SmtEngine) -> None:
    assert decide(engine, ": Set.ncard {x : ℤ | -3 ≤ x ∧ x ≤ 7} = 11").status is VALID
    pinned = "(S : Set ℕ) (h : S = {n : ℕ | n < 10 ∧ Even n}) : S.ncard = 4"
    assert decide(engine, pinned).status is REFUTED  # {0, 2, 4, 6, 8}
    never_refuted(engine, ": Set.ncard {x : ℤ | x ≤ 7 ∧ -3 ≤ x ^ 3} = 11")  # no lower bound we read
    # bounds through a cast and abs (Int.le_floor, Int.ceil_le, abs_le): |x - 2| ≤ 5.6 is -3 ≤ x ≤ 7
    assert decide(engine, ": Set.ncard {x : ℤ | abs (x - 2) ≤ (5.6 : ℝ)} = 11").status is VALID
    assert decide(engine, ": Set.ncard {x : ℤ | abs x < 3 * Real.pi} = 18").status is REFUTED  # it is 19
    assert decide(engine, "(S : Finset ℕ) (h₀ : ∀ n : ℕ, n ∈ S ↔ (n : ℝ) < 4.5) : S.card = 5").status is VALID


# ------------------------------------------------------------------------------------ the audit's rows
def test_audit_rows_name_the_evidence_and_report_progress(tmp_path: Path) -> None:
    source = tmp_path / "statements.lean"
    source.write_text(
        "theorem euler (f : ℕ → ℕ) (h₀ : ∀ x, f x = x ^ 2 - x + 41) : Nat.Prime (f 41) := by sorry\n"
        "theorem gcd_wrong (n : ℕ) (h : 0 < n) : Nat.gcd n 6 = 1 := by sorry\n"
        "theorem divides (S : Finset ℕ) (h₀ : ∀ n : ℕ, n ∣ 14) : S.card = 3 := by sorry\n",
        encoding="utf-8",
    )
    seen: list[tuple[int, int]] = []
    rows = audit_path(
        source, SmtSettings(timeout_s=2.0), progress=lambda done, total: seen.append((done, total))
    )
    assert [row.name for row in rows] == ["euler", "gcd_wrong", "divides"]  # file order, two workers
    by_name = {row.name: row for row in rows}
    assert by_name["euler"].status is REFUTED and by_name["euler"].counterexample == {}
    assert "f as defined by h₀" in by_name["euler"].evidence
    assert by_name["gcd_wrong"].counterexample == {"n": "2"}
    assert by_name["gcd_wrong"].evidence.startswith("counterexample: n = 2")
    assert by_name["divides"].status is VACUOUS and "h₀ is false at n = 0" in by_name["divides"].evidence
    assert by_name["divides"].counterexample is None
    assert seen[-1] == (3, 3) and [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_zmod_by_representatives(engine: SmtEngine) -> None:
    # ZMod.intCast_eq_intCast_iff: equal in ZMod m ↔ congruent mod m; ⁻¹ of a unit is the unique inverse
    chain = "(x y z : ZMod 31) (h₀ : x = 3⁻¹) (h₁ : y = 5⁻¹) (h₂ : z = (x + y)⁻¹)"
    assert decide(engine, f"{chain} : z = 29").status is VALID
    wrong = decide(engine, f"{chain} : z = 28")
    assert wrong.status is REFUTED and wrong.model == {"x": "21", "y": "25", "z": "29"}
    assert decide(engine, ": (9 : ZMod 100)⁻¹ = 89").status is VALID
    assert decide(engine, "(b : ZMod (11 ^ 2)) (h₀ : b = 24⁻¹) : b = 116").status is VALID
    assert decide(engine, "(x : ZMod 6) : x ^ 2 = x").status is REFUTED  # x = 2
    # ZMod.inv of a non-unit is not the naive inverse (it is gcdA): never evaluated, never refuted
    never_refuted(engine, ": (4 : ZMod 6)⁻¹ = 0")
    never_refuted(engine, "(x : ZMod 6) (h : x = 2) : x⁻¹ = 2")
    # Nat.Coprime m n := Nat.gcd m n = 1
    assert decide(engine, "(b : ℕ) (h : Nat.Coprime 4 b) : b = 1").status is REFUTED  # b = 3
    never_refuted(engine, "(b : ℕ) (h : Nat.Coprime 4 b) : b % 2 = 1")
