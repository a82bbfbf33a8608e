"""Certifying published proofs (static gate on the real releases; the Lean part through a fake backend), and
the theorem under the cursor."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from prover.data.problems import load_problems
from prover.data.proofs import PublishedProof, load_published_proofs
from prover.errors import LeanSourceError
from prover.eval.published import certify_published
from prover.lean.cursor import theorem_at
from prover.types import (
    CheckResult,
    Message,
    Pos,
    Problem,
    Severity,
    StateRef,
    StepResult,
    StepStatus,
    Verdict,
)

STATEMENT = Problem(
    name="toy",
    formal_statement="theorem toy (x : ℕ) (h : x = 2) : x + 1 = 3 := by",
    header="import Mathlib\n",
)
GOOD = "import Mathlib\n\ntheorem toy (x : ℕ) (h : x = 2) : x + 1 = 3 := by\n  omega\n"


class AxiomsBackend:
    """Accepts every file and answers its `#print axioms` probes with ``axioms``."""

    def __init__(self, axioms: str) -> None:
        self.axioms = axioms
        self.sent: list[tuple[str, bool]] = []

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset({"command"})

    async def check(self, code: str, *, timeout: float | None = None, fresh: bool = False) -> CheckResult:
        self.sent.append((code, fresh))
        line = code.rstrip("\n").count("\n") + 1
        text = f"'toy' depends on axioms: [{self.axioms}]"
        return CheckResult(
            verdict=Verdict.valid,
            messages=(Message(severity=Severity.info, pos=Pos(line=line, column=0), text=text),),
        )

    async def check_many(self, codes: Sequence[str], *, timeout: float | None = None) -> list[CheckResult]:
        return [await self.check(c) for c in codes]

    async def run_tactic(self, state: StateRef, tactic: str, *, timeout: float | None = None) -> StepResult:
        return StepResult(status=StepStatus.error)

    async def close(self) -> None:
        pass


def proof(text: str, name: str = "toy") -> PublishedProof:
    return PublishedProof(name=name, proof=text, source="test", line=1)


def test_static_gate_reasons() -> None:
    proofs = [
        proof(GOOD),
        proof(GOOD.replace("x + 1 = 3", "x + 1 = 3 ∨ True")),
        proof(GOOD.replace("omega", "sorry")),
        proof(GOOD.replace("omega", "native_decide")),
        proof(GOOD, name="unknown"),
    ]
    report = certify_published(proofs, [STATEMENT], source="t", statements="s")
    assert [row.certified for row in report.rows] == [True, False, False, False, False]
    reasons = [" ".join(row.reasons) for row in report.rows]
    assert "statement guard" in reasons[1] and "sorry" in reasons[2] and "native_decide" in reasons[3]
    assert "no problem of this name" in reasons[4]
    assert not report.lean_checked
    allowed = certify_published(
        [proofs[3]], [STATEMENT], source="t", statements="s", allow_native_decide=True
    )
    assert allowed.certified == 1


def test_with_lean_each_statically_clean_proof_is_checked_fresh_with_its_axioms() -> None:
    backend = AxiomsBackend("propext, sorryAx")
    proofs = [proof(GOOD), proof(GOOD.replace("omega", "sorry"))]
    report = certify_published(proofs, [STATEMENT], source="t", statements="s", backend=backend)
    assert report.lean_checked and [row.certified for row in report.rows] == [False, False]
    assert "sorryAx" in report.rows[0].reasons[0]
    assert (
        len(backend.sent) == 1 and backend.sent[0][1] is True
    )  # fresh; the static reject never reached Lean
    clean = certify_published(
        [proof(GOOD)], [STATEMENT], source="t", statements="s", backend=AxiomsBackend("propext")
    )
    assert clean.certified == 1


def test_published_kimina_proofs_with_native_decide_are_rejected(datasets_dir: Path) -> None:
    proofs = load_published_proofs(datasets_dir / "minif2f-proofs" / "kimina_prover_minif2f_test.jsonl")
    problems = load_problems(datasets_dir / "minif2f" / "deepseek_v15_minif2f.jsonl")
    report = certify_published(proofs, problems, source="kimina", statements="deepseek_v15")
    by_name = {row.name: row for row in report.rows}
    assert len(report.rows) == 225
    assert any("native_decide" in r for r in by_name["amc12a_2020_p4"].reasons)
    native = [row for row in report.rows if any("native_decide" in r for r in row.reasons)]
    assert len(native) == 16  # the README counts 16 files that use it
    assert report.certified > 150


LEAN = """import Mathlib

/-- doc -/
theorem first : 1 = 1 := by
  sorry

theorem second (x : ℕ) :
    x = x := by
  sorry
"""


def test_theorem_at_the_cursor() -> None:
    assert theorem_at(LEAN, 3) == "first" and theorem_at(LEAN, 5) == "first"
    assert theorem_at(LEAN, 8) == "second" and theorem_at(LEAN, 9) == "second"
    with pytest.raises(LeanSourceError, match="no theorem at line 1"):
        theorem_at(LEAN, 1, source="f.lean")
