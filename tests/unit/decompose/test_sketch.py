"""Sketch text: the gates before Lean (statement guard, whole-proof hole, scan), the long-step rule, pp options."""

from __future__ import annotations

from pathlib import Path

import pytest

from decompose.sketch import PP_OPTIONS, Sketch, SketchRejected, clean_sketch, pp_header
from decompose.strategy import Decompose
from prover.lean.backend import LeanBackend
from prover.llm.base import ProofModel, Role
from prover.search.budget import Limits, SearchBudget
from prover.search.strategies.base import LeanPool, StrategyContext
from prover.settings import PROFILE_DIRS, Settings
from prover.types import Goal
from tests.unit.decompose.material import Material, load
from tests.unit.search.conftest import FakeLean


@pytest.fixture
def material(datasets_dir: Path) -> Material:
    return load(datasets_dir, "mathd_algebra_176")


def fenced(statement: str, proof: str) -> str:
    return f"<think>Let me think.\n```lean4\ntheorem wrong : False := sorry\n```</think>\n```lean4\n{statement} := {proof}\n```"


def test_a_dspplus_sketch_passes_with_its_holes(material: Material) -> None:
    cleaned = clean_sketch(fenced(material.goal.statement, material.sketch), material.goal)
    assert isinstance(cleaned, Sketch)
    assert cleaned.holes == 3 and cleaned.proof == material.sketch


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda s: s.replace("(x : ℝ)", "(x : ℝ) (hx : 0 < x)"), "statement changed"),
        (
            lambda s: s.replace("= x ^ 3 + 2 * x ^ 2 + x", "= x ^ 3 + 2 * x ^ 2 + x ∨ True"),
            "statement changed",
        ),
    ],
)
def test_a_weaker_or_different_statement_is_rejected(material: Material, change, reason: str) -> None:  # type: ignore[no-untyped-def]
    cleaned = clean_sketch(fenced(change(material.goal.statement), material.sketch), material.goal)
    assert isinstance(cleaned, SketchRejected) and reason in cleaned.reason


@pytest.mark.parametrize("proof", ["by sorry", "by\n  sorry", "by\n  exact sorry"])
def test_a_single_hole_for_the_whole_proof_is_no_decomposition(material: Material, proof: str) -> None:
    cleaned = clean_sketch(fenced(material.goal.statement, proof), material.goal)
    assert isinstance(cleaned, SketchRejected) and "no decomposition" in cleaned.reason


def test_forbidden_constructs_and_missing_code_are_rejected(material: Material) -> None:
    sneaky = material.sketch + "\n\naxiom cheat : False"
    cleaned = clean_sketch(fenced(material.goal.statement, sneaky), material.goal)
    assert isinstance(cleaned, SketchRejected) and "forbidden" in cleaned.reason
    assert isinstance(clean_sketch("I cannot do this.", material.goal), SketchRejected)


def test_a_long_step_proof_becomes_a_hole_and_a_short_one_stays(material: Material) -> None:
    long_proof = "by\n" + "\n".join(["    norm_num"] * 6)
    proof = material.sketch.replace(
        "have h1 : (x + 1) ^ 2 = x ^ 2 + 2 * x + 1 := by\n    sorry",
        "have h1 : (x + 1) ^ 2 = x ^ 2 + 2 * x + 1 := " + long_proof,
    )
    proof = proof.replace(
        "have h2 : (x ^ 2 + 2 * x + 1) * x = x ^ 3 + 2 * x ^ 2 + x := by\n    sorry",
        "have h2 : (x ^ 2 + 2 * x + 1) * x = x ^ 3 + 2 * x ^ 2 + x := by ring",
    )
    kept = clean_sketch(fenced(material.goal.statement, proof), material.goal, long_proof_lines=0)
    cut = clean_sketch(fenced(material.goal.statement, proof), material.goal, long_proof_lines=5)
    assert isinstance(kept, Sketch) and kept.holes == 1
    assert isinstance(cut, Sketch) and cut.holes == 2 and cut.cut_long_steps == ("h1",)
    assert "by ring" in cut.proof and "norm_num" not in cut.proof


def test_pp_options_exist_for_every_profile() -> None:
    assert set(PP_OPTIONS) == set(PROFILE_DIRS)
    for profile in PROFILE_DIRS:
        assert "set_option pp.numericTypes true\n" in pp_header(profile)
        assert "set_option pp.coercions.types true\n" in pp_header(profile)


def _ctx(settings: Settings, reasoner: ProofModel | None) -> StrategyContext:
    backend: LeanBackend = FakeLean()  # type: ignore[assignment]
    limits = Limits(llm_calls=1, tokens=1, cost_usd=1.0, lean_checks=1, wall_s=1.0)
    return StrategyContext(
        settings=settings,
        lean=LeanPool(backend=backend, workers=1, timeout_s=1.0),
        budget=SearchBudget(limits),
        models={Role.reasoner: reasoner},
    )


def test_decompose_needs_a_reasoner_and_stops_at_the_depth_limit() -> None:
    settings = Settings(decompose={"max_depth": 2})
    reasoner: ProofModel = object()  # type: ignore[assignment]  # never called by applicable()
    strategy = Decompose()
    assert (strategy.stage, strategy.cost) == (2, 4.0)
    goal = Goal(name="g", statement="theorem g : True")
    assert strategy.applicable(goal, _ctx(settings, reasoner))
    assert strategy.applicable(goal.model_copy(update={"depth": 1}), _ctx(settings, reasoner))
    assert not strategy.applicable(goal.model_copy(update={"depth": 2}), _ctx(settings, reasoner))
    assert not strategy.applicable(goal, _ctx(settings, None))
    off = Settings(decompose={"enabled": False})
    assert not strategy.applicable(goal, _ctx(off, reasoner))
