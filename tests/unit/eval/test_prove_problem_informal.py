"""A dataset's informal proof (DSP+) reaches decomposition through the eval path."""

from __future__ import annotations

from prover.eval.prove_problem import informal_proofs, problem_file
from prover.types import Problem


def _problem(informal: str | None) -> Problem:
    return Problem(
        name="mathd_algebra_10",
        formal_statement="theorem mathd_algebra_10 (x : ℝ) (h : x = 2) : x + 1 = 3 := by",
        header="import Mathlib",
        informal_proof=informal,
    )


def test_informal_proof_is_keyed_by_the_theorem_of_the_problem_file() -> None:
    problem = _problem("1. Substitute x = 2. 2. Then 2 + 1 = 3.")
    assert informal_proofs(problem, problem_file(problem)) == {
        "mathd_algebra_10": "1. Substitute x = 2. 2. Then 2 + 1 = 3."
    }


def test_no_informal_proof_gives_nothing() -> None:
    problem = _problem(None)
    assert informal_proofs(problem, problem_file(problem)) == {}
