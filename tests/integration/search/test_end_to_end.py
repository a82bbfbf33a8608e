"""End-to-end search on real miniF2F statements: the REPL double (scripted) plays Lean, the fake OpenAI server
plays the models. What "Lean" accepts is scripted here, so these tests check the orchestration (what reaches
Lean, what is reported proved), never mathematics.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from prover.lean.repl import ReplBackend
from prover.llm.base import ProofModel, Role
from prover.llm.factory import build_model
from prover.search.prove_file import FileReport, ProveSession, prove_text
from prover.search.prove_path import prove_path
from prover.search.strategies.base import Decomposed, Outcome, SmtDecider, Strategy, StrategyContext
from prover.search.strategies.direct import DirectProof
from prover.search.strategies.step import StepSearch
from prover.search.strategies.symbolic import SymbolicCascade
from prover.search.trace import load_trace
from prover.search.tree import Decomposition, NodeKind, NodeStatus
from prover.settings import RoleSettings, Settings
from prover.smt.engine import SmtEngine
from prover.types import Goal, ProofStatus
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.repl_script import Script, requests
from tests.integration.search.conftest import MiniF2F, accept, make_settings, rejecting

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(model="fake-prover", default_answer="I cannot help.") as fake:
        yield fake


def model(role: Role, fake: FakeOpenAI, *, n: int = 2) -> ProofModel:
    cfg = RoleSettings(
        provider="openai", base_url=fake.base_url, model="fake-prover", n=n, timeout_s=10, max_retries=0
    )
    built = build_model(role, cfg, cache=None, budget=None, accounting=None)
    assert built is not None
    return built


async def run(
    tmp_path: Path,
    script: Script,
    text: str,
    *,
    settings: Settings,
    models: dict[Role, ProofModel | None] | None = None,
    strategies: Sequence[Strategy] | None = None,
    smt: SmtDecider | None = None,
) -> FileReport:
    backend = ReplBackend(settings.lean, command=script.command(tmp_path))
    session = ProveSession(
        settings=settings,
        backend=backend,
        models=models or {Role.prover: None, Role.step: None},
        smt=smt,
        strategies=strategies,
    )
    try:
        return await prove_text(session, text, source="test.lean")
    finally:
        await backend.close()
        for built in (models or {}).values():
            if built is not None:
                await built.close()


def sent_commands(tmp_path: Path) -> list[str]:
    return [r.get("cmd", "") for r in requests(tmp_path)] + [r.get("tactic", "") for r in requests(tmp_path)]


async def test_goal_closed_by_the_cascade(tmp_path: Path, minif2f: MiniF2F) -> None:
    name = "mathd_algebra_478"
    script = rejecting(Script().on_cmd(r":= by\n  linarith\s*(#print|$)", messages=accept(name)))
    report = await run(tmp_path, script, minif2f.file(name), settings=make_settings(tmp_path))
    result = report.theorems[0].result
    assert result.status is ProofStatus.proved, result.reason
    assert f"{minif2f.statement(name)} := by\n  linarith" in report.text
    assert "sorry" not in report.text
    assert any("#print axioms" in c for c in sent_commands(tmp_path))  # it was certified


async def test_goal_closed_by_a_direct_proof(
    tmp_path: Path, minif2f: MiniF2F, fake_openai: FakeOpenAI
) -> None:
    name = "mathd_algebra_141"
    proof = "nlinarith [sq_nonneg (a + b), sq_nonneg (a - b)]"
    answer = f"Plan: expand.\n```lean4\n{minif2f.statement(name)} := by\n  {proof}\n```"
    fake_openai.script(r"Complete the following Lean 4 code", [answer])
    script = rejecting(Script().on_cmd(r"sq_nonneg \(a \+ b\), sq_nonneg \(a - b\)\]", messages=accept(name)))
    script.default_tactic = {"error": "no progress"}
    settings = make_settings(tmp_path, direct_samples=2)
    report = await run(
        tmp_path,
        script,
        minif2f.file(name),
        settings=settings,
        models={Role.prover: model(Role.prover, fake_openai), Role.step: None},
    )
    assert report.theorems[0].result.status is ProofStatus.proved, report.theorems[0].result.reason
    assert proof in report.text
    assert report.theorems[0].result.llm_calls == 1
    direct = [
        n for n in report.theorems[0].trace.nodes if n.attempt and n.attempt.attempt.strategy == "direct"
    ]
    assert direct and direct[-1].status is NodeStatus.proved


async def test_goal_closed_by_step_search_with_model_tactics(
    tmp_path: Path, minif2f: MiniF2F, fake_openai: FakeOpenAI
) -> None:
    name = "imo_1959_p1"
    fake_openai.script(r"Current proof state:\n```\n⊢ True", ["```lean4\nrw [Nat.gcd_rec]\n```"])
    fake_openai.script(r"after rw", ["```lean4\nsimp [Nat.gcd_comm]\n```"])
    script = Script(default_goal="⊢ True", default_tactic={"error": "tactic failed"})
    script.on_tactic(r"^rw \[Nat\.gcd_rec\]$", goals=["n : ℕ\n⊢ after rw"])
    script.on_tactic(r"^simp \[Nat\.gcd_comm\]$", goals=[])
    script.on_cmd(r"rw \[Nat\.gcd_rec\]\n  simp \[Nat\.gcd_comm\]", messages=accept(name))
    rejecting(script)
    models: dict[Role, ProofModel | None] = {Role.prover: None, Role.step: model(Role.step, fake_openai)}
    report = await run(tmp_path, script, minif2f.file(name), settings=make_settings(tmp_path), models=models)
    result = report.theorems[0].result
    assert result.status is ProofStatus.proved, result.reason
    assert "by\n  rw [Nat.gcd_rec]\n  simp [Nat.gcd_comm]" in report.text
    tactics = [r["tactic"] for r in requests(tmp_path) if "tactic" in r]
    assert tactics.index("rw [Nat.gcd_rec]") < tactics.index("simp [Nat.gcd_comm]")


def test_budget_exhaustion_gives_not_proved_with_a_trace(tmp_path: Path, minif2f: MiniF2F) -> None:
    name = "mathd_algebra_10"
    (tmp_path / "p.lean").write_text(minif2f.file(name), encoding="utf-8")
    script = rejecting(Script(default_tactic={"error": "tactic failed"}))
    settings = make_settings(tmp_path, max_lean_checks=3)
    backend = ReplBackend(settings.lean, command=script.command(tmp_path))
    outcome = prove_path(
        settings, tmp_path / "p.lean", use_llm=False, trace_dir=tmp_path / "traces", backend=backend
    )
    result = outcome.report.theorems[0].result
    assert result.status is ProofStatus.not_proved
    assert "budget exhausted: lean_checks" in result.reason
    trace = load_trace(outcome.traces[0])
    assert trace.stopped == "budget exhausted: lean_checks" and trace.status is ProofStatus.not_proved
    assert len([r for r in requests(tmp_path) if "cmd" in r and ":= by" in r["cmd"]]) <= 3
    assert outcome.written is None and (tmp_path / "p.lean").read_text() == minif2f.file(name)


@dataclass
class SplitInTwo:
    """Test decomposition (the real one is another issue's): a true and a false subgoal."""

    false_part: str
    name: str = "split"
    stage: int = 1
    cost: float = 1.0

    def applicable(self, goal: Goal, ctx: StrategyContext) -> bool:
        return goal.depth == 0

    async def run(self, goal: Goal, ctx: StrategyContext) -> Outcome:
        subgoals = (
            Goal(
                name="h_true",
                statement="theorem h_true : (120 : ℝ) / 100 * 30 = 36",
                header=goal.header,
                depth=1,
            ),
            Goal(
                name="h_false", statement=f"theorem h_false : {self.false_part}", header=goal.header, depth=1
            ),
        )
        return Decomposed(
            decomposition=Decomposition(strategy=self.name, subgoals=subgoals, main_proof="by simp_all")
        )


async def test_refuted_subgoal_is_pruned_without_any_llm_call(
    tmp_path: Path, minif2f: MiniF2F, fake_openai: FakeOpenAI
) -> None:
    name = "mathd_algebra_10"
    false_part = "(130 : ℝ) / 100 * 20 = 27"
    script = rejecting(Script(default_tactic={"error": "tactic failed"}))
    strategies = [SymbolicCascade(), SplitInTwo(false_part), DirectProof(samples=1)]
    settings = make_settings(tmp_path, smt=True)
    with SmtEngine(settings.smt) as z3:  # the real engine: the closed subgoal evaluates to false
        report = await run(
            tmp_path,
            script,
            minif2f.file(name),
            settings=settings,
            models={Role.prover: model(Role.prover, fake_openai), Role.step: None},
            strategies=strategies,
            smt=z3,
        )
    trace = report.theorems[0].trace
    by_name = {n.name: n for n in trace.nodes if n.kind is NodeKind.goal}
    assert by_name["h_false"].status is NodeStatus.refuted
    assert by_name["h_true"].status in (NodeStatus.pruned, NodeStatus.failed)
    decomposition = next(n for n in trace.nodes if n.kind is NodeKind.decomposition)
    assert decomposition.status is NodeStatus.failed
    prompts = [json.dumps(r.body) for r in fake_openai.requests]
    assert not any("h_false" in p or "27" in p for p in prompts)  # only the root ever reached the model
    assert not any("h_false" in c for c in sent_commands(tmp_path))  # nor Lean: Z3 refuted it first
    assert "Z3" in by_name["h_false"].reason
    assert report.theorems[0].result.status is ProofStatus.not_proved


async def test_tactic_mode_success_that_fails_certification_is_not_proved(
    tmp_path: Path, minif2f: MiniF2F
) -> None:
    name = "mathd_numbertheory_3"
    script = Script(default_tactic={"error": "tactic failed"})
    script.on_tactic(r"^norm_num$", goals=[])  # tactic mode says: no goals left
    # The command-mode recheck passes, but the fresh whole-file certification finds a hidden sorryAx.
    script.on_cmd(r":= by\n  norm_num", messages=accept(name, axioms="sorryAx, propext"))
    rejecting(script)
    settings = make_settings(tmp_path, cascade_tactics=["norm_num"])
    report = await run(tmp_path, script, minif2f.file(name), settings=settings, strategies=[StepSearch()])
    result = report.theorems[0].result
    assert result.status is ProofStatus.not_proved
    assert "failed certification" in result.reason and "sorryAx" in result.reason
    assert report.text == minif2f.file(name)  # nothing written for it
    assert report.theorems[0].trace.certification


async def test_llm_answer_with_eval_never_reaches_lean(
    tmp_path: Path, minif2f: MiniF2F, fake_openai: FakeOpenAI
) -> None:
    name = "mathd_algebra_478"
    answers = [
        f'```lean4\n{minif2f.statement(name)} := by\n  norm_num\n#eval IO.println "pwned"\n```',
        f'```lean4\n#eval IO.println "pwned"\n{minif2f.statement(name)} := by\n  linarith\n```',
    ]
    fake_openai.script(r"Complete the following Lean 4 code", answers)
    script = rejecting(Script(default_tactic={"error": "tactic failed"}))
    report = await run(
        tmp_path,
        script,
        minif2f.file(name),
        settings=make_settings(tmp_path, direct_samples=2),
        models={Role.prover: model(Role.prover, fake_openai), Role.step: None},
        strategies=[DirectProof()],
    )
    assert fake_openai.request_count == 1
    assert all("#eval" not in c and "pwned" not in c for c in sent_commands(tmp_path))
    notes = [n.attempt.attempt.note for n in report.theorems[0].trace.nodes if n.attempt is not None]
    assert sum("rejected: forbidden" in note for note in notes) == 2
    assert report.theorems[0].result.status is ProofStatus.not_proved
