import pytest

from prover.errors import LeanSourceError
from prover.lean.sketch import goal_to_lemma, goals_to_lemmas, parse_goals
from prover.lean.text import parse_file


def test_simple_goal() -> None:
    lemma = goal_to_lemma("x y : ℝ\nh₀ : 0 < x\n⊢ x + y = 2", "g")
    assert lemma == "theorem g (x y : ℝ) (h₀ : 0 < x) : x + y = 2 := by sorry"


def test_instance_and_inaccessible_names_are_made_writable() -> None:
    goal = "p : ℕ\ninst✝ : Fact (Nat.Prime p)\nx✝ : ℕ\nh✝ : x✝ > 0\nx_1 : ℤ\n⊢ x✝ ≠ 0"
    lemma = goal_to_lemma(goal, "g")
    assert "[Fact (Nat.Prime p)]" in lemma
    assert "✝" not in lemma
    declaration = parse_file(lemma).declarations[0]
    # x_1 is taken, so x✝ becomes x_2, consistently in the hypothesis and the target
    assert "(x_2 : ℕ)" in declaration.binders and "(h_1 : x_2 > 0)" in declaration.binders
    assert declaration.type == "x_2 ≠ 0"


def test_let_bound_hypothesis_becomes_binder_and_equation() -> None:
    lemma = goal_to_lemma("n : ℕ := 3\nh : n > 2\n⊢ n = 3", "g")
    assert lemma == "theorem g (n : ℕ) (n_def : n = 3) (h : n > 2) : n = 3 := by sorry"


def test_multi_line_types_and_case_tags() -> None:
    goal = "case succ\nf : ℕ → ℕ\nh :\n  ∀ (x : ℕ),\n    f x = x\n⊢ f 1 =\n    1"
    (parsed,) = parse_goals(goal)
    assert parsed.case == "succ"
    assert goal_to_lemma(goal, "g") == "theorem g (f : ℕ → ℕ) (h : ∀ (x : ℕ), f x = x) : f 1 = 1 := by sorry"


def test_several_goals_give_several_lemmas() -> None:
    lemmas = goals_to_lemmas("case left\nx : ℝ\n⊢ x = x\n\ncase right\nx : ℝ\n⊢ 0 ≤ x ^ 2", "g")
    assert lemmas == (
        "theorem g (x : ℝ) : x = x := by sorry",
        "theorem g_2 (x : ℝ) : 0 ≤ x ^ 2 := by sorry",
    )
    assert goal_to_lemma("⊢ True\n\n⊢ False", "g").count("theorem") == 2


def test_this_is_renamed() -> None:
    assert goal_to_lemma("this : 1 = 1\n⊢ True", "g") == "theorem g (h_this : 1 = 1) : True := by sorry"


@pytest.mark.parametrize("bad", ["", "x : ℕ", "⊢ a\n⊢ b", "no colon here\n⊢ True"])
def test_unparseable_goals_raise(bad: str) -> None:
    with pytest.raises(LeanSourceError):
        goal_to_lemma(bad, "g")
