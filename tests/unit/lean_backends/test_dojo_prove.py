"""``prover dojo prove`` (``prover.search.dojo_prove``): LeanDojo step search, certified in the traced checkout.

LeanDojo is the stand-in package (``tests/fakes/lean_dojo_double.py``: ``omega`` finishes, ``constructor``
splits, everything else is a Lean error); the command-mode checker in the checkout is the REPL double. A
"proved" here is the doubles', not Lean's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from prover.errors import LeanUnavailable
from prover.lean.backend import LeanBackend
from prover.lean.dojo import DojoBackend, DojoTheorem
from prover.lean.repl import ReplBackend
from prover.llm.base import Choice, LLMRequest, LLMResponse
from prover.search.dojo_prove import dojo_prove
from prover.settings import LeanSettings, SearchSettings, Settings
from tests.fakes import lean_dojo_double
from tests.fakes.lean_dojo_double import Dojo, stand_in_module
from tests.fakes.repl_script import Script, error, requests

SOURCE = """import Mathlib

/-- The human proof LeanDojo traced. -/
theorem lt_succ (a b : ℕ) (h : a ≤ b) : a < b + 1 := by
  exact Nat.lt_succ_of_le h

theorem after : True := trivial
"""
THEOREM = DojoTheorem(
    repo_url="https://example.org/repo", commit="abc", file_path="A.lean", full_name="lt_succ"
)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    lean_dojo_double.TRACED_ROOT[0] = tmp_path / "traced"
    root = tmp_path / "traced" / "repo"
    root.mkdir(parents=True)
    (root / "A.lean").write_text(SOURCE, encoding="utf-8")
    Dojo.instances.clear()
    return root


def settings(*tactics: str) -> Settings:
    return Settings(
        lean=LeanSettings(backend="dojo", timeout_s=7), search=SearchSettings(cascade_tactics=list(tactics))
    )


def checker_from(script: Script, workdir: Path, seen: list[Path]) -> Callable[[Path], LeanBackend]:
    def open_checker(checkout: Path) -> LeanBackend:
        seen.append(checkout)
        return ReplBackend(LeanSettings(workers=1), command=script.command(workdir))

    return open_checker


async def test_a_tactic_proof_is_certified_in_the_traced_checkout(checkout: Path, tmp_path: Path) -> None:
    seen: list[Path] = []
    dojo = DojoBackend(LeanSettings(backend="dojo"), dojo_module=stand_in_module())
    result = await dojo_prove(
        settings("nonsense", "constructor", "omega"),
        THEOREM,
        dojo=dojo,
        open_checker=checker_from(Script(), tmp_path, seen),
    )
    await dojo.close()
    assert result.status == "proved" and result.proof == "by\n  omega"
    assert result.certification is not None and result.certification.ok and seen == [checkout]
    (certified,) = [r["cmd"] for r in requests(tmp_path) if "cmd" in r]
    assert "theorem lt_succ (a b : ℕ) (h : a ≤ b) : a < b + 1 := by\n  omega" in certified
    assert "/-- The human proof LeanDojo traced. -/" in certified and "theorem after" not in certified
    assert "#print axioms lt_succ" in certified


async def test_a_proof_that_fails_certification_is_not_proved(checkout: Path, tmp_path: Path) -> None:
    del checkout
    script = Script().on_cmd("omega", messages=[error("omega could not prove the goal", at="omega")])
    dojo = DojoBackend(LeanSettings(backend="dojo"), dojo_module=stand_in_module())
    result = await dojo_prove(
        settings("omega"),
        THEOREM,
        dojo=dojo,
        open_checker=checker_from(script, tmp_path, []),
    )
    await dojo.close()
    assert result.status == "not_proved" and result.proof is None
    assert "failed certification" in result.reason


async def test_no_tactic_closes_the_goal(checkout: Path, tmp_path: Path) -> None:
    del checkout
    seen: list[Path] = []
    dojo = DojoBackend(LeanSettings(backend="dojo"), dojo_module=stand_in_module())
    result = await dojo_prove(
        settings("nonsense", "constructor"),
        THEOREM,
        dojo=dojo,
        open_checker=checker_from(Script(), tmp_path, seen),
    )
    await dojo.close()
    assert result.status == "not_proved" and seen == []  # nothing to certify
    assert result.expansions == 2  # the root, then the state `constructor` opened (seen once)


async def test_an_untraced_repository_is_refused_before_any_search(tmp_path: Path) -> None:
    dojo = DojoBackend(LeanSettings(backend="dojo"), dojo_module=stand_in_module())
    with pytest.raises(LeanUnavailable, match="prover dojo trace"):
        await dojo_prove(
            settings("omega"),
            THEOREM.model_copy(update={"repo_url": "https://example.org/untraced"}),
            dojo=dojo,
            open_checker=checker_from(Script(), tmp_path, []),
        )


class StepModel:
    """A ``ProofModel`` for the step role answering every state with the same scored tactics."""

    def __init__(self, *answers: tuple[str, float]) -> None:
        self.answers = answers
        self.requests: list[LLMRequest] = []

    @property
    def role(self) -> str:
        return "step"

    @property
    def model_name(self) -> str:
        return "scripted"

    async def generate(self, request: LLMRequest) -> LLMResponse:
        self.requests.append(request)
        choices = tuple(
            Choice(text=f"```lean4\n{t}\n```", logprob=lp, index=i) for i, (t, lp) in enumerate(self.answers)
        )
        return LLMResponse(role="step", model="scripted", choices=choices)

    async def close(self) -> None:
        return None


async def test_step_model_tactics_are_scanned_then_tried_best_first(checkout: Path, tmp_path: Path) -> None:
    del checkout
    model = StepModel(("sorry", -0.1), ("constructor", -0.5), ("omega", -0.9))
    dojo = DojoBackend(LeanSettings(backend="dojo"), dojo_module=stand_in_module())
    result = await dojo_prove(
        settings(), THEOREM, dojo=dojo, open_checker=checker_from(Script(), tmp_path, []), model=model
    )
    await dojo.close()
    assert result.status == "proved" and result.proof == "by\n  omega"
    assert Dojo.instances[0].tactics == ["constructor", "omega"]  # `sorry` never reached LeanDojo
    assert "a b : ℕ" in model.requests[0].messages[-1].content  # the state's goals went into the prompt


async def test_a_tactic_timeout_ends_the_search(checkout: Path, tmp_path: Path) -> None:
    del checkout
    dojo = DojoBackend(LeanSettings(backend="dojo"), dojo_module=stand_in_module())
    result = await dojo_prove(
        settings("slow", "omega"), THEOREM, dojo=dojo, open_checker=checker_from(Script(), tmp_path, [])
    )
    await dojo.close()
    assert result.status == "not_proved" and "session ended (timeout on 'slow')" in result.reason
    assert Dojo.instances[0].tactics == ["slow"]
