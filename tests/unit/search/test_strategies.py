from __future__ import annotations

from prover.llm.base import Role
from prover.search import candidate
from prover.search.budget import Limits, SearchBudget
from prover.search.strategies.base import Failed, LeanPool, Proved, StrategyContext
from prover.search.strategies.direct import DirectProof
from prover.search.strategies.step import StepSearch, rebuild_proof
from prover.settings import Settings
from prover.types import Goal, Verdict
from tests.unit.search.conftest import FakeLean, FakeModel

GOAL = Goal(
    name="mathd_algebra_478",
    statement="theorem mathd_algebra_478 (b h v : ℝ) (h₁ : v = 1 / 3 * (b * h)) (h₂ : b = 30) (h₃ : h = 13 / 2) : v = 65",
    header="import Mathlib",
)


def context(settings: Settings, lean: FakeLean, **models: FakeModel) -> StrategyContext:
    limits = Limits(llm_calls=10, tokens=10_000, cost_usd=1.0, lean_checks=100, wall_s=60.0)
    return StrategyContext(
        settings=settings,
        lean=LeanPool(backend=lean, workers=2, timeout_s=5.0),
        budget=SearchBudget(limits),
        models={Role.prover: models.get("prover"), Role.step: models.get("step")},
    )


def test_candidate_takes_only_the_proof_of_the_named_theorem() -> None:
    answer = f"Sure.\n```lean4\nimport Mathlib\n\n{GOAL.statement} := by\n  subst h₂ h₃\n  linarith\n```"
    assert candidate.whole_proof(answer, GOAL) == candidate.Candidate(proof="by\n  subst h₂ h₃\n  linarith")
    assert isinstance(candidate.whole_proof("no code here", GOAL), candidate.Rejected)
    sneaky = f"```lean4\n{GOAL.statement} := by\n  sorry\n```"
    rejected = candidate.whole_proof(sneaky, GOAL)
    assert isinstance(rejected, candidate.Rejected) and "sorry" in rejected.reason
    assert isinstance(candidate.tactic("```lean4\n#eval 1\n```"), candidate.Rejected)
    assert candidate.tactic("```lean4\nnorm_num [h₂]\n```") == candidate.Candidate(proof="norm_num [h₂]")


async def test_direct_checks_each_sample_with_our_statement(settings: Settings) -> None:
    renamed = GOAL.statement.replace("v = 65", "True")  # a model that changed the statement
    answers = [
        [f"```lean4\n{renamed} := by\n  trivial\n```", f"```lean4\n{GOAL.statement} := by\n  linarith\n```"]
    ]
    lean = FakeLean(rules=[(r"(?s): v = 65 := by\n  linarith", Verdict.valid)])
    prover = FakeModel(answers)
    outcome = await DirectProof(samples=2).run(GOAL, context(settings, lean, prover=prover))
    assert isinstance(outcome, Proved) and outcome.proof == "by\n  linarith"
    assert all(": v = 65 := by" in code for code in lean.log)  # the changed statement never reached Lean
    assert prover.requests[0].n == 2
    assert sum(a.llm_calls for a in outcome.attempts) == 1 and sum(a.tokens for a in outcome.attempts) == 10


async def test_step_search_dedups_states_rechecks_and_respects_limits(settings: Settings) -> None:
    lean = FakeLean(
        rules=[(r"norm_num\n  linarith", Verdict.valid)],
        tactics=[(r"^norm_num$", ["⊢ same"]), (r"^omega$", ["⊢ same"]), (r"^linarith$", [])],
    )
    outcome = await StepSearch(max_expansions=5).run(GOAL, context(settings, lean))
    assert isinstance(outcome, Proved)
    assert outcome.proof == rebuild_proof(("norm_num", "linarith")) == "by\n  norm_num\n  linarith"
    # `linarith` closed the goal in tactic mode at the root too, but the recheck of that alone failed
    assert any("tactic mode closed" in a.attempt.note for a in outcome.attempts)

    stuck = FakeLean(tactics=[(r".*", ["⊢ same"])])
    outcome = await StepSearch(max_expansions=3).run(GOAL, context(settings, stuck))
    assert isinstance(outcome, Failed)
    assert "2 expansions (2 states)" in outcome.reason  # root, one new state, then only duplicates
