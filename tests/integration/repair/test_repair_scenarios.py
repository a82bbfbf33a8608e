"""Repair scenarios on real miniF2F statements: the REPL double (scripted) plays Lean, the fake OpenAI server
plays the models, the real Z3 engine gives hints. What "Lean" accepts is scripted, so these tests check what
repair sends to Lean and what it keeps, never mathematics; a double's "valid" is only a double's.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import repair.strategy as repair_strategy
from prover.lean.failure_kinds import FailureKind
from prover.lean.repl import ReplBackend
from prover.lean.text import LineIndex
from prover.llm.base import ProofModel, Role
from prover.llm.factory import build_model
from prover.search.budget import Limits, SearchBudget
from prover.search.prove_file import FileReport, ProveSession, prove_text
from prover.search.prove_path import ProveRun
from prover.search.report_view import as_json
from prover.search.strategies.base import Failed, LeanPool, Proved, SmtGate, StrategyContext, goal_source
from prover.search.strategies.direct import DirectProof
from prover.search.strategies.symbolic import SymbolicCascade
from prover.search.trace_view import failure_counts, summary_line
from prover.search.tree import AttemptRecord
from prover.settings import RoleSettings, Settings
from prover.smt.engine import SmtEngine
from prover.types import (
    Attempt,
    Goal,
    Message,
    Premise,
    PremiseHit,
    ProofStatus,
    Severity,
    SmtResult,
    SmtStatus,
    Verdict,
)
from repair.strategy import Repair
from retrieval.names import NameMatcher
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.repl_script import Script, error, requests
from tests.integration.search.conftest import MiniF2F, accept, make_settings, rejecting

pytestmark = pytest.mark.timeout(300)
# Every wall-clock limit a scenario could reach (a Lean check, an LLM call, a Z3 query, the goal's wall budget)
# is far above what a step takes on a loaded 2-core machine: the scenarios assert what repair sends and keeps,
# never speed (bench/ measures that). With the defaults (20 s per check, 10 s per LLM call, 2 s per Z3 query)
# a slow moment under load would turn into a verdict (a timeout, a lost candidate, no hints) and a failure.
LIMIT_S = 120.0

NAME = "mathd_algebra_478"
FIVE_STEPS = """by
  have hb : b = 30 := h₂
  have hh : h = 13 / 2 := h₃
  have hbh : b * h = 195 := by
    rw [hb, hh]
    norm_num
  have hv : v = 1 / 3 * 195 := by
    rw [h₁, hbh]
  exact hv"""
KEPT = FIVE_STEPS.removesuffix("  exact hv").removeprefix("by\n")
HOLE_GOAL = (
    "b h v : ℝ\nh₀ : 0 < b ∧ 0 < h ∧ 0 < v\nh₁ : v = 1 / 3 * (b * h)\nh₂ : b = 30\nh₃ : h = 13 / 2\n"
    "hb : b = 30\nhh : h = 13 / 2\nhbh : b * h = 195\nhv : v = 1 / 3 * 195\n⊢ v = 65"
)
MISMATCH = (
    "type mismatch\n  hv\nhas type\n  v = 1 / 3 * 195 : Prop\nbut is expected to have type\n  v = 65 : Prop"
)


@pytest.fixture(scope="module")
def minif2f(datasets_dir: Path) -> MiniF2F:
    return MiniF2F(datasets_dir)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(model="fake-prover", default_answer="I cannot help.") as fake:
        yield fake


def scenario_settings(tmp_path: Path, *, smt: bool = False) -> Settings:
    settings = make_settings(tmp_path, smt=smt)
    return settings.model_copy(
        update={
            "lean": settings.lean.model_copy(update={"timeout_s": LIMIT_S}),
            "smt": settings.smt.model_copy(update={"timeout_s": LIMIT_S}),
        }
    )


def model(fake: FakeOpenAI, *, n: int = 1) -> ProofModel:
    cfg = RoleSettings(
        provider="openai", base_url=fake.base_url, model="fake-prover", n=n, timeout_s=LIMIT_S, max_retries=0
    )
    built = build_model(Role.prover, cfg, cache=None, budget=None, accounting=None)
    assert built is not None
    return built


def goal_of(minif2f: MiniF2F, name: str = NAME) -> Goal:
    return Goal(name=name, statement=minif2f.statement(name), header=minif2f.header(name))


def rejected(goal: Goal, proof: str, *messages: Message) -> AttemptRecord:
    attempt = Attempt(
        goal_key=goal.key, strategy="direct", proof=proof, verdict=Verdict.lean_error, messages=messages
    )
    return AttemptRecord(attempt=attempt)


def message_at(goal: Goal, proof: str, needle: str, text: str) -> Message:
    """An error placed like Lean would: at the last ``needle`` inside ``goal_source(goal, proof)``."""
    from prover.lean.text import LineIndex
    from prover.search.strategies.base import goal_source

    source = goal_source(goal, proof)
    return Message(severity=Severity.error, pos=LineIndex(source).pos(source.rindex(needle)), text=text)


class Names:
    """A retriever whose name lookup is the real fuzzy matcher over a few real Mathlib names."""

    def __init__(self, names: list[str]) -> None:
        self.matcher = NameMatcher(names)
        self.looked_up: list[str] = []

    def search(self, query: str, k: int = 10) -> list[PremiseHit]:
        return []

    def lookup_name(self, name: str, k: int = 5) -> list[PremiseHit]:
        self.looked_up.append(name)
        return [
            PremiseHit(premise=Premise(name=self.matcher.names[i]), score=score)
            for i, score in self.matcher.lookup(name, k)
        ]


class Harness:
    """A StrategyContext on the scripted double, for running Repair alone on given rejected attempts."""

    def __init__(self, tmp_path: Path, script: Script, settings: Settings) -> None:
        self.tmp_path = tmp_path
        self.settings = settings
        self.backend = ReplBackend(settings.lean, command=script.command(tmp_path))
        self.budget = SearchBudget(
            Limits(llm_calls=20, tokens=100_000, cost_usd=1.0, lean_checks=60, wall_s=10 * LIMIT_S)
        )

    def context(self, rejected: tuple[AttemptRecord, ...], **extra: Any) -> StrategyContext:
        return StrategyContext(
            settings=self.settings,
            lean=LeanPool(backend=self.backend, workers=2, timeout_s=LIMIT_S),
            budget=extra.pop("budget", self.budget),
            models=extra.pop("models", {Role.prover: None}),
            rejected=rejected,
            **extra,
        )

    def commands(self) -> list[str]:
        return [r["cmd"] for r in requests(self.tmp_path) if "cmd" in r]


@pytest.fixture
async def harness_factory(tmp_path: Path) -> AsyncIterator[Any]:
    made: list[Harness] = []

    def make(script: Script, settings: Settings | None = None) -> Harness:
        made.append(Harness(tmp_path, script, settings or scenario_settings(tmp_path)))
        return made[-1]

    yield make
    for harness in made:
        await harness.backend.close()


async def prove(
    tmp_path: Path,
    script: Script,
    text: str,
    settings: Settings,
    models: dict[Role, ProofModel | None],
    smt: SmtEngine | None = None,
) -> FileReport:
    backend = ReplBackend(settings.lean, command=script.command(tmp_path))
    strategies = [SymbolicCascade(), DirectProof(samples=1), Repair()]
    session = ProveSession(settings=settings, backend=backend, models=models, strategies=strategies, smt=smt)
    try:
        return await prove_text(session, text, source="test.lean")
    finally:
        await backend.close()
        for built in models.values():
            if built is not None:
                await built.close()


# ------------------------------------------------------------------------------------------ scenarios
async def test_five_steps_one_failing_keeps_four_verbatim_and_the_cascade_reproves_the_fifth(
    tmp_path: Path, minif2f: MiniF2F, fake_openai: FakeOpenAI
) -> None:
    statement = minif2f.statement(NAME)
    fake_openai.script(r"Complete the following Lean 4 code", [f"```lean4\n{statement} := {FIVE_STEPS}\n```"])
    lemma = f"{NAME}_hole_1"
    script = Script()
    script.on_cmd(r"#print axioms", messages=accept(NAME))  # certification of the assembled file
    script.on_cmd(rf"(?s)theorem {lemma} .*:= by\n  linarith\s*$")  # the cascade closes the subgoal
    script.on_cmd(r"\n  exact hv\s*$", messages=[error(MISMATCH, at="exact hv")])  # the direct proof
    script.on_sketch(r"rw \[h₁, hbh\]\n  sorry\s*$", [HOLE_GOAL])  # the fifth step cut to a hole
    script.on_sketch(rf"(?s){lemma} .*:= by sorry.*exact \(?{lemma}", [])  # the assembly, lemma sorried
    rejecting(script)
    settings = scenario_settings(tmp_path)
    report = await prove(tmp_path, script, minif2f.file(NAME), settings, {Role.prover: model(fake_openai)})
    result = report.theorems[0].result
    assert result.status is ProofStatus.proved, result.reason
    assert KEPT in report.text  # the four good steps, byte for byte
    assert f"theorem {lemma} " in report.text and ":= by\n  linarith" in report.text
    assert "exact hv" not in report.text and "sorry" not in report.text
    sent = [r["cmd"] for r in requests(tmp_path) if "cmd" in r]
    assert any("#print axioms" in c and KEPT in c for c in sent)  # what was certified is what was written
    notes = [n.attempt.attempt.note for n in report.theorems[0].trace.nodes if n.attempt]
    assert any(note.startswith("cut") for note in notes) and any(
        note.startswith("subgoals") for note in notes
    )
    # Failure kinds: the cascade's three linarith failures at the root, one at the hole, the direct type mismatch.
    trace = report.theorems[0].trace
    counts = failure_counts(trace)
    assert counts == {FailureKind.type_mismatch: 1, FailureKind.linarith_failed: 4}
    assert summary_line(trace).endswith("Lean failures: type_mismatch 1, linarith_failed 4")
    theorem_json = json.loads(as_json(ProveRun(report=report)))["theorems"][0]
    assert theorem_json["failures"] == {"type_mismatch": 1, "linarith_failed": 4}


async def test_unknown_identifier_is_replaced_by_the_retrieved_real_name(
    harness_factory: Any, minif2f: MiniF2F
) -> None:
    goal = goal_of(minif2f)
    proof = "by\n  rw [h₁, h₂, h₃]\n  norm_num [mul_comm_x]"
    script = Script().on_cmd(r"norm_num \[mul_comm\]\s*$")  # only the real name is accepted
    harness = harness_factory(rejecting(script))
    names = Names(["mul_comm", "mul_assoc", "add_comm", "Nat.mul_comm", "mul_one"])
    failed = rejected(goal, proof, message_at(goal, proof, "mul_comm_x", "unknown identifier 'mul_comm_x'"))
    outcome = await Repair().run(goal, harness.context((failed,), retriever=names))
    assert isinstance(outcome, Proved) and outcome.proof == "by\n  rw [h₁, h₂, h₃]\n  norm_num [mul_comm]"
    assert names.looked_up == ["mul_comm_x"]
    assert any(a.attempt.note == "names: mul_comm_x -> mul_comm" for a in outcome.attempts)


async def test_failed_linarith_is_swapped_for_nlinarith_from_z3_hints_never_native_decide(
    harness_factory: Any, minif2f: MiniF2F, tmp_path: Path
) -> None:
    name = "mathd_algebra_141"
    goal = goal_of(minif2f, name)
    proof = "by\n  have h₃ : a ^ 2 + b ^ 2 = (a + b) ^ 2 - 2 * (a * b) := by ring\n  linarith"
    script = Script().on_cmd(r"\n  nlinarith \[sq_nonneg \(a - b\)[^\n]*\]\s*$")
    settings = scenario_settings(tmp_path, smt=True).model_copy(
        update={
            "repair": make_settings(tmp_path).repair.model_copy(
                update={"tool_alternatives": ["native_decide", "nlinarith"]}
            )
        }
    )
    harness = harness_factory(rejecting(script), settings)
    failed = rejected(
        goal,
        proof,
        message_at(
            goal,
            proof,
            "linarith",
            "linarith failed to find a contradiction",
        ),
    )
    with SmtEngine(settings.smt) as z3:
        gate = SmtGate(z3, timeout_s=LIMIT_S)
        try:
            outcome = await Repair().run(goal, harness.context((failed,), smt=gate))
        finally:
            gate.close()
    assert isinstance(outcome, Proved), outcome
    assert re.search(r"\n  nlinarith \[sq_nonneg \(a - b\)", outcome.proof)
    assert outcome.proof.startswith("by\n  have h₃ : a ^ 2 + b ^ 2 = (a + b) ^ 2 - 2 * (a * b) := by ring\n")
    tools = [a.attempt.note for a in outcome.attempts if a.attempt.note.startswith("tools")]
    assert tools and "linarith -> nlinarith [sq_nonneg (a - b)" in tools[0]  # Z3's hint came first
    assert not any("native_decide" in c for c in harness.commands())


async def test_a_repair_loop_that_never_converges_stops_at_its_rounds_and_depth(
    harness_factory: Any, minif2f: MiniF2F, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    goal = goal_of(minif2f)
    proof = "by\n  nlinarith [h₁, h₂, h₃]"
    fake_openai.script(r"does not compile", [f"```lean4\n{goal.statement} := by\n  simp [h₁, h₂, h₃]\n```"])
    harness = harness_factory(rejecting(Script()))
    settings = harness.settings
    failed = rejected(goal, proof, message_at(goal, proof, "nlinarith", "linarith failed"))
    llm = model(fake_openai)
    try:
        outcome = await Repair().run(goal, harness.context((failed,), models={Role.prover: llm}))
    finally:
        await llm.close()
    assert isinstance(outcome, Failed)
    # rounds LLM calls at each of max_depth levels, then it stops
    assert fake_openai.request_count == settings.repair.rounds * settings.repair.max_depth == 4
    assert sum(a.llm_calls for a in outcome.attempts) == 4


async def test_a_repair_loop_stops_when_the_budget_is_spent(
    harness_factory: Any, minif2f: MiniF2F, fake_openai: FakeOpenAI
) -> None:
    goal = goal_of(minif2f)
    proof = "by\n  nlinarith [h₁, h₂, h₃]"
    fake_openai.script(r"does not compile", [f"```lean4\n{goal.statement} := by\n  simp [h₁, h₂, h₃]\n```"])
    harness = harness_factory(rejecting(Script()))
    failed = rejected(goal, proof, message_at(goal, proof, "nlinarith", "linarith failed"))
    budget = SearchBudget(Limits(llm_calls=1, tokens=100_000, cost_usd=1.0, lean_checks=60, wall_s=60.0))
    llm = model(fake_openai)
    try:
        outcome = await Repair().run(
            goal, harness.context((failed,), models={Role.prover: llm}, budget=budget)
        )
    finally:
        await llm.close()
    assert isinstance(outcome, Failed) and "budget exhausted" in outcome.reason
    assert fake_openai.request_count == 1


async def test_a_repair_answer_with_eval_never_reaches_lean(
    harness_factory: Any, minif2f: MiniF2F, fake_openai: FakeOpenAI
) -> None:
    goal = goal_of(minif2f)
    proof = "by\n  nlinarith [h₁, h₂, h₃]"
    evil = f'```lean4\n#eval IO.println "hi"\n{goal.statement} := by\n  rw [h₁, h₂, h₃]\n  norm_num\n```'
    fake_openai.script(r"does not compile", [evil])
    harness = harness_factory(rejecting(Script()))
    failed = rejected(goal, proof, message_at(goal, proof, "nlinarith", "linarith failed"))
    llm = model(fake_openai)
    try:
        outcome = await Repair().run(goal, harness.context((failed,), models={Role.prover: llm}))
    finally:
        await llm.close()
    assert isinstance(outcome, Failed)
    assert fake_openai.request_count >= 1
    assert not any("#eval" in c or "IO.println" in c for c in harness.commands())
    assert any("forbidden" in a.attempt.note for a in outcome.attempts)


async def test_llm_repair_is_certified_and_a_changed_statement_is_rejected(
    tmp_path: Path, minif2f: MiniF2F, fake_openai: FakeOpenAI
) -> None:
    statement = minif2f.statement(NAME)
    weaker = statement.replace("(h₃ : h = 13 / 2)", "(h₃ : h = 13 / 2) (h₄ : v = 65)")
    fake_openai.script(
        r"Complete the following Lean 4 code", [f"```lean4\n{statement} := by\n  nlinarith [h₁]\n```"]
    )
    fake_openai.script(
        r"does not compile",
        [
            f"```lean4\n{weaker} := by\n  exact h₄\n```",  # choice 0: a weaker statement, proved trivially
            f"```lean4\n{statement} := by\n  rw [h₁, h₂, h₃]\n  norm_num\n```",  # choice 1: a real fix
        ],
    )
    script = Script()
    script.on_cmd(r"rw \[h₁, h₂, h₃\]\n  norm_num\s*(\n#print axioms[^\n]*\s*)?$", messages=accept(NAME))
    script.on_cmd(r"exact h₄")  # would be "accepted": it must never get here
    rejecting(script)
    settings = scenario_settings(tmp_path)
    report = await prove(
        tmp_path, script, minif2f.file(NAME), settings, {Role.prover: model(fake_openai, n=2)}
    )
    result = report.theorems[0].result
    assert result.status is ProofStatus.proved, result.reason
    assert f"{statement} := by\n  rw [h₁, h₂, h₃]\n  norm_num" in report.text
    sent = [r["cmd"] for r in requests(tmp_path) if "cmd" in r]
    assert not any("exact h₄" in c or "h₄ : v = 65" in c for c in sent)
    assert any("#print axioms" in c and "rw [h₁, h₂, h₃]" in c for c in sent)  # certified
    notes = [n.attempt.attempt.note for n in report.theorems[0].trace.nodes if n.attempt]
    assert any("changes the theorem statement" in note for note in notes)
    assert any(note.startswith("llm (model: prover") for note in notes)


# ------------------------------------------------------------------------------ tool correction, local goal
LOCAL_NAME = "mathd_algebra_109"  # linear: Z3's hints for the theorem are linarith / nlinarith / norm_num
LOCAL_PROOF = "by\n  have h : 2 * a * b ≤ a ^ 2 + b ^ 2 := by\n    linarith\n  linarith"
# As Mathlib prints it: the state linarith reached, the have's target negated into `a✝`, then `failed`.
LOCAL_LINARITH = (
    "linarith failed to find a contradiction\ncase a\na b : ℝ\nh₀ : 3 * a + 2 * b = 12\nh₁ : a = 4\n"
    "a✝ : 2 * a * b > a ^ 2 + b ^ 2\n⊢ False\nfailed"
)
LOCAL_FIX = r"\n    nlinarith \[sq_nonneg \(a - b\)[^\n]*\]\n  linarith"


def tool_notes(attempts: list[str]) -> list[str]:
    return [note.removeprefix("tools: ") for note in attempts if note.startswith("tools")]


async def test_failing_linarith_in_a_have_gets_hints_for_its_own_goal_first_and_certifies(
    tmp_path: Path, minif2f: MiniF2F, fake_openai: FakeOpenAI
) -> None:
    statement = minif2f.statement(LOCAL_NAME)
    settings = scenario_settings(tmp_path, smt=True)
    fake_openai.script(
        r"Complete the following Lean 4 code", [f"```lean4\n{statement} := {LOCAL_PROOF}\n```"]
    )
    script = Script()
    script.on_cmd(LOCAL_FIX + r"\s*(\n#print axioms[^\n]*\s*)?$", messages=accept(LOCAL_NAME))
    script.on_cmd(r":= by\n    linarith\n  linarith\s*$", messages=[error(LOCAL_LINARITH, at="linarith")])
    rejecting(script)
    with SmtEngine(settings.smt) as z3:
        whole = z3.decide_statement(statement)  # the theorem's own hints would not close the have
        assert whole.hints and not any("sq_nonneg" in hint for hint in whole.hints)
        models: dict[Role, ProofModel | None] = {Role.prover: model(fake_openai)}
        report = await prove(tmp_path, script, minif2f.file(LOCAL_NAME), settings, models, smt=z3)
    result = report.theorems[0].result
    assert result.status is ProofStatus.proved, result.reason
    assert re.search(r"have h : 2 \* a \* b ≤ a \^ 2 \+ b \^ 2 := by" + LOCAL_FIX, report.text)
    sent = [r["cmd"] for r in requests(tmp_path) if "cmd" in r]
    assert any("#print axioms" in c and re.search(LOCAL_FIX, c) for c in sent)  # certified as written
    notes = tool_notes([n.attempt.attempt.note for n in report.theorems[0].trace.nodes if n.attempt])
    assert re.match(r"linarith -> nlinarith \[sq_nonneg \(a - b\)", notes[0]), notes  # the local goal's hint
    assert "linarith -> nlinarith" in notes[1:]  # the theorem's hints, partner and alternatives after it
    assert len(notes) == len(set(notes))  # each replacement once


async def test_without_a_printed_goal_the_have_statement_under_the_theorem_binders_gives_the_hints(
    harness_factory: Any, minif2f: MiniF2F, tmp_path: Path
) -> None:
    goal = goal_of(minif2f, LOCAL_NAME)
    settings = scenario_settings(tmp_path, smt=True)
    harness = harness_factory(rejecting(Script().on_cmd(LOCAL_FIX + r"\s*$")), settings)
    # An older linarith prints no goal: the enclosing have's statement stands in for it.
    failed = rejected(
        goal,
        LOCAL_PROOF,
        message_at(goal, LOCAL_PROOF, "    linarith", "linarith failed to find a contradiction"),
    )
    with SmtEngine(settings.smt) as z3:
        gate = SmtGate(z3, timeout_s=LIMIT_S)
        try:
            outcome = await Repair().run(goal, harness.context((failed,), smt=gate))
        finally:
            gate.close()
    assert isinstance(outcome, Proved), outcome
    assert re.search(LOCAL_FIX, outcome.proof)
    notes = tool_notes([a.attempt.note for a in outcome.attempts])
    assert re.match(r"linarith -> nlinarith \[sq_nonneg \(a - b\)", notes[0]), notes


class RecordingZ3:
    """Stands in for the Z3 gate: every statement is 'valid' with one hint naming it; records the questions."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def decide_statement(self, statement: str) -> SmtResult:
        self.asked.append(statement)
        return SmtResult(status=SmtStatus.valid, hints=(f"nlinarith [hint_{len(self.asked)}]",))


TWO_HAVES = (
    "by\n  have h : 2 * a * b ≤ a ^ 2 + b ^ 2 := by\n    linarith\n"
    "  have k : 0 ≤ (a - b) ^ 2 := by\n    linarith\n  linarith"
)


def two_have_failure(goal: Goal, proof: str) -> tuple[Message, ...]:
    source = goal_source(goal, proof)
    index = LineIndex(source)
    first = source.index("    linarith") + 4
    second = source.index("    linarith", first) + 4
    return (
        Message(severity=Severity.error, pos=index.pos(first), text="linarith failed"),
        Message(severity=Severity.error, pos=index.pos(second), text="linarith failed"),
    )


async def test_local_goals_are_asked_once_per_statement_and_at_most_max_local_z3_per_attempt(
    harness_factory: Any, minif2f: MiniF2F, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    goal = goal_of(minif2f, LOCAL_NAME)
    settings = scenario_settings(tmp_path, smt=True)
    harness = harness_factory(rejecting(Script()), settings)
    # Two rejected attempts with the same two failing haves: the second attempt's questions are cached.
    attempts = tuple(
        rejected(goal, TWO_HAVES + "\n" * i, *two_have_failure(goal, TWO_HAVES)) for i in range(2)
    )
    z3 = RecordingZ3()
    outcome = await Repair().run(goal, harness.context(attempts, smt=z3))
    assert isinstance(outcome, Failed)
    local_h = "theorem repair_local_goal (a b : ℝ) (h₀ : 3 * a + 2 * b = 12) (h₁ : a = 4) : 2 * a * b ≤ a ^ 2 + b ^ 2"
    local_k = "theorem repair_local_goal (a b : ℝ) (h₀ : 3 * a + 2 * b = 12) (h₁ : a = 4) : 0 ≤ (a - b) ^ 2"
    assert sorted(z3.asked) == sorted([local_h, goal.statement, local_k])  # each statement once
    assert z3.asked[0] == local_h  # the first site's own goal before the theorem's
    # The second site is replaced where it stands after the first site's replacement moved it.
    assert any(
        "have k : 0 ≤ (a - b) ^ 2 := by\n    nlinarith [hint_3]\n  linarith" in c for c in harness.commands()
    )
    # With a bound of one local question per attempt the second have gets the theorem's hints only.
    monkeypatch.setattr(repair_strategy, "MAX_LOCAL_Z3", 1)
    z3 = RecordingZ3()
    await Repair().run(goal, harness.context(attempts[:1], smt=z3))
    assert z3.asked == [local_h, goal.statement]
