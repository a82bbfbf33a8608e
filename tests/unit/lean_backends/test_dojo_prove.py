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
