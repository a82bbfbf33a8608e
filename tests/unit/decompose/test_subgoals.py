"""Holes → subgoals on DSP+ sketches: lemma statements from the reported goals, names, uses, assembly text."""

from __future__ import annotations

from pathlib import Path

import pytest

from decompose.subgoals import (
    HoleSplit,
    SubgoalError,
    assembly_problems,
    assembly_source,
    split_holes,
)
from prover.lean.lexer import tokenize
from prover.lean.text import parse_file
from prover.search.strategies.base import goal_source
from prover.types import CheckResult, Goal, Message, Pos, Severity, Verdict
from tests.unit.decompose.material import Material, load, reported


@pytest.fixture
def algebra_176(datasets_dir: Path) -> Material:
    return load(datasets_dir, "mathd_algebra_176")


def test_each_hole_becomes_a_lemma_named_after_its_have(algebra_176: Material) -> None:
    m = algebra_176
    split = split_holes(m.goal, m.sketch, reported(goal_source(m.goal, m.sketch), list(m.hole_goals)))
    assert [s.name for s in split.subgoals] == [f"mathd_algebra_176_{label}" for label in ("h1", "h2", "h3")]
    second = split.subgoals[1]
    assert second.statement == (
        "theorem mathd_algebra_176_h2 (x : ℝ) (h1 : (x + 1) ^ 2 = x ^ 2 + 2 * x + 1) : "
        "(x ^ 2 + 2 * x + 1) * x = x ^ 3 + 2 * x ^ 2 + x"
    )
    assert all(s.depth == 1 and s.header == m.goal.header for s in split.subgoals)
    assert all(s.ancestors == (m.goal.key,) for s in split.subgoals)
    # each hole (tactic position, after `by`) now applies its lemma to the hypotheses in binding order
    assert "exact (mathd_algebra_176_h2 x h1)" in split.main_proof
    assert "exact (mathd_algebra_176_h3 x h1 h2)" in split.main_proof
    assert "sorry" not in split.main_proof
    assert split.main_proof.rstrip().endswith("exact h3")


def test_holes_with_the_same_goal_share_one_lemma(algebra_176: Material) -> None:
    m = algebra_176
    goals = [m.hole_goals[0], m.hole_goals[0], m.hole_goals[2]]
    split = split_holes(m.goal, m.sketch, reported(goal_source(m.goal, m.sketch), goals))
    assert len(split.subgoals) == 2
    assert split.main_proof.count("exact (mathd_algebra_176_h1 x)") == 2


def test_names_never_clash_with_the_header_or_reserved_names(algebra_176: Material) -> None:
    m = algebra_176
    goal = m.goal.model_copy(
        update={"header": m.goal.header + "\ntheorem mathd_algebra_176_h1 : True := trivial\n"}
    )
    split = split_holes(
        goal,
        m.sketch,
        reported(goal_source(goal, m.sketch), list(m.hole_goals)),
        reserved_names={"mathd_algebra_176_h2"},
    )
    names = [s.name for s in split.subgoals]
    assert names == ["mathd_algebra_176_h1_2", "mathd_algebra_176_h2_2", "mathd_algebra_176_h3"]


def test_names_never_clash_with_a_later_declaration_of_the_file(algebra_176: Material) -> None:
    m = algebra_176
    goal = m.goal.model_copy(update={"reserved_names": ("mathd_algebra_176_h3",)})
    split = split_holes(goal, m.sketch, reported(goal_source(goal, m.sketch), list(m.hole_goals)))
    assert [s.name for s in split.subgoals] == [
        "mathd_algebra_176_h1",
        "mathd_algebra_176_h2",
        "mathd_algebra_176_h3_2",
    ]
    # subgoals carry the file's names down, so deeper splits avoid them too
    assert all(s.reserved_names == ("mathd_algebra_176_h3",) for s in split.subgoals)


def test_inaccessible_this_instances_and_let_values_are_used_correctly() -> None:
    goal = Goal(name="t", statement="theorem t (n : ℕ) (h : 0 < n) : 1 ≤ n", header="import Mathlib\n")
    proof = "by\n  have := h\n  have key : 1 ≤ n := sorry\n  exact key"
    printed = "α : Type\ninst✝ : Fintype α\nn : ℕ\nx✝ : ℕ\nh✝ : 0 < n\nthis : 0 < n\nm : ℕ := 3\n⊢ 1 ≤ n"
    split = split_holes(goal, proof, reported(goal_source(goal, proof), [printed]))
    (lemma,) = split.subgoals
    assert lemma.statement == (
        "theorem t_key (α : Type) [Fintype α] (n : ℕ) (x_1 : ℕ) (h_1 : 0 < n) (h_this : 0 < n) (m : ℕ) "
        "(m_def : m = 3) : 1 ≤ n"
    )
    # term position: no `exact`; inaccessible data is `_`, an inaccessible proof is found by assumption
    assert "have key : 1 ≤ n := (t_key α n _ (by assumption) this m rfl)" in split.main_proof


def test_a_sorry_outside_the_proof_or_an_unreadable_goal_raises(algebra_176: Material) -> None:
    m = algebra_176
    source = goal_source(m.goal, m.sketch)
    good = reported(source, list(m.hole_goals))
    moved = good.model_copy(
        update={
            "sorries": (good.sorries[0].model_copy(update={"pos": Pos(line=1, column=0)}), *good.sorries[1:])
        }
    )
    with pytest.raises(SubgoalError, match="no hole"):
        split_holes(m.goal, m.sketch, moved)
    unreadable = reported(source, ["no turnstile here", *m.hole_goals[1:]])
    with pytest.raises(SubgoalError, match="hole 1"):
        split_holes(m.goal, m.sketch, unreadable)
    with pytest.raises(SubgoalError, match="no hole"):
        split_holes(m.goal, m.sketch, CheckResult(verdict=Verdict.valid))


def test_positions_follow_a_pp_options_header(algebra_176: Material) -> None:
    m = algebra_176
    pp = "set_option pp.numericTypes true\n"
    checked = m.goal.model_copy(update={"header": m.goal.header.rstrip() + "\n" + pp})
    split = split_holes(
        m.goal, m.sketch, reported(goal_source(checked, m.sketch), list(m.hole_goals)), pp_header=pp
    )
    assert len(split.subgoals) == 3
    assert all("set_option" not in s.header for s in split.subgoals)


def _assembly(split: HoleSplit, goal: Goal) -> tuple[str, CheckResult]:
    source = assembly_source(goal, split)
    return source, reported(source, ["⊢ True"] * len(split.subgoals))


def test_assembly_is_accepted_only_with_the_lemmas_sorries(algebra_176: Material) -> None:
    m = algebra_176
    split = split_holes(m.goal, m.sketch, reported(goal_source(m.goal, m.sketch), list(m.hole_goals)))
    source, result = _assembly(split, m.goal)
    parsed = parse_file(source)
    assert [d.name for d in parsed.declarations] == [*(s.name for s in split.subgoals), m.goal.name]
    assert assembly_problems(m.goal, split, result) == ()
    error = Message(
        severity=Severity.error, pos=Pos(line=source.count("\n"), column=2), text="linarith failed"
    )
    assert assembly_problems(m.goal, split, result.model_copy(update={"messages": (error,)}))
    # a sorry left in the parent's proof is no assembly
    leaky = split.model_copy(update={"main_proof": split.main_proof + "\n  sorry"})
    source = assembly_source(m.goal, leaky)
    problems = assembly_problems(m.goal, leaky, reported(source, ["⊢ True"] * 4))
    assert any("assembled proof" in p for p in problems)


def test_every_dspplus_sketch_splits(datasets_dir: Path) -> None:
    """All published DSP+ proofs whose theorem has `have` holes split into lemmas that parse."""
    names = [
        line.split('"name": "')[1].split('"')[0]
        for line in (datasets_dir / "minif2f-proofs" / "dspplus_minif2f_test.jsonl").read_text().splitlines()
    ]
    split_count = 0
    for name in names:
        try:
            m = load(datasets_dir, name)
        except (KeyError, AssertionError):
            continue
        holes = len([t for t in tokenize(m.sketch) if t.text == "sorry" and not t.is_comment])
        if not m.hole_goals or holes != len(m.hole_goals):
            continue  # holes that are not `have`s (bullets, cases) have no textual goal
        split = split_holes(m.goal, m.sketch, reported(goal_source(m.goal, m.sketch), list(m.hole_goals)))
        for subgoal in split.subgoals:
            declaration = parse_file(subgoal.statement + " := by sorry").find(subgoal.name)
            assert declaration is not None and declaration.type, subgoal.statement
        assert not [t for t in tokenize(split.main_proof) if t.text == "sorry" and not t.is_comment]
        split_count += 1
    assert split_count >= 150
