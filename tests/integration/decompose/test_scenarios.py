"""Decomposition scenarios end to end: the scripted REPL double plays Lean, the fake OpenAI server the reasoner.

Material is real: the DSP+ published proof of ``mathd_algebra_176`` (its ``have h1/h2/h3`` structure,
sorrified) on the miniF2F statement. What "Lean" accepts is scripted, so these tests check the orchestration
(what reaches Lean and the reasoner, what is reported proved, what the output file holds), never mathematics;
nothing here was checked by a real Lean.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from decompose.strategy import Decompose
from decompose.subgoals import split_holes
from prover.lean.repl import ReplBackend
from prover.llm.base import ProofModel, Role
from prover.llm.factory import build_model
from prover.search.prove_file import FileReport, ProveSession, prove_text
from prover.search.strategies.base import SmtDecider, goal_source
from prover.search.strategies.symbolic import SymbolicCascade
from prover.search.trace_view import rich_tree, to_html
from prover.settings import RoleSettings, Settings
from prover.smt.engine import SmtEngine
from prover.types import ProofStatus
from tests.fakes.openai_server import FakeOpenAI, prompt_text
from tests.fakes.repl_script import Script, error, requests
from tests.integration.search.conftest import REJECT_ANY_PROOF
from tests.unit.decompose.material import Material, load, reported

pytestmark = pytest.mark.timeout(180)  # generous: the shared test machines run loaded

NAME = "mathd_algebra_176"
ROOT_SKETCH_PROMPT = r"(?s)Turn the informal proof.*theorem mathd_algebra_176 \("
H3_SKETCH_PROMPT = r"(?s)Turn the informal proof.*theorem mathd_algebra_176_h3 \("
REFINEMENT_PROMPT = r"A previous Lean 4 proof sketch of this theorem failed"
PP = r"set_option pp\.numericTypes true"


@pytest.fixture
def material(datasets_dir: Path) -> Material:
    return load(datasets_dir, NAME)


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(model="fake-reasoner", default_answer="I cannot help.") as server:
        yield server


def reasoner(fake: FakeOpenAI) -> ProofModel:
    cfg = RoleSettings(
        provider="openai", base_url=fake.base_url, model="fake-reasoner", timeout_s=10, max_retries=0
    )
    built = build_model(Role.reasoner, cfg, cache=None, budget=None, accounting=None)
    assert built is not None
    return built


def settings_for(tmp_path: Path, *, smt: bool = False, **decompose: Any) -> Settings:
    return Settings(
        lean={"workers": 2, "timeout_s": 20.0},
        search={"cascade_tactics": ["norm_num", "nlinarith"], "lemma_cache": False},
        smt={"enabled": smt},
        decompose={"sketches": 1, "refinements": 1, "sketch_corrections": 1, "judge": False, **decompose},
        cache_dir=tmp_path / "cache",
    )


def answer(statement: str, proof: str) -> str:
    return f"<think>plan the steps</think>Here is the sketch.\n```lean4\n{statement} := {proof}\n```"


def closes_by_cascade(script: Script, lemma: str) -> Script:
    """Lemma ``lemma`` is closed by the cascade's ``nlinarith`` (and nothing else)."""
    return script.on_cmd(rf"theorem {lemma} [^\n]*:= by\n  nlinarith\s*$", messages=[])


async def prove(
    tmp_path: Path,
    script: Script,
    material: Material,
    settings: Settings,
    fake: FakeOpenAI,
    smt: SmtDecider | None = None,
    informal: bool = False,
) -> FileReport:
    script.on_cmd(REJECT_ANY_PROOF, messages=[error("linarith failed to find a contradiction")])
    backend = ReplBackend(settings.lean, command=script.command(tmp_path))
    model = reasoner(fake)
    session = ProveSession(
        settings=settings,
        backend=backend,
        models={Role.reasoner: model, Role.prover: None, Role.step: None},
        smt=smt,
        strategies=[SymbolicCascade(), Decompose()],
    )
    try:
        proofs = {NAME: material.informal_proof} if informal and material.informal_proof else None
        return await prove_text(session, source_file(material), source="test.lean", informal_proofs=proofs)
    finally:
        await backend.close()
        await model.close()


def source_file(material: Material) -> str:
    return f"{material.goal.header.rstrip()}\n\n{material.goal.statement} := by\n  sorry\n"


def lean_commands(tmp_path: Path) -> list[str]:
    return [r["cmd"] for r in requests(tmp_path) if "cmd" in r]


def notes(report: FileReport) -> list[str]:
    trace = report.theorems[0].trace
    return [
        n.attempt.attempt.note for n in trace.nodes if n.attempt and n.attempt.attempt.strategy == "decompose"
    ]


def h3_statement(material: Material) -> str:
    """The statement Lean's goal for hole h3 turns into (what the subgoal's sketch must keep)."""
    checked = reported(goal_source(material.goal, material.sketch), list(material.hole_goals))
    return split_holes(material.goal, material.sketch, checked).subgoals[2].statement


def accept_root_sketch(script: Script, material: Material, marker: str = "have h1") -> Script:
    # The REPL backend sends the header (imports, pp options) once and each body on top of its environment.
    return script.on_sketch(rf"(?s)^theorem mathd_algebra_176 \(.*{marker}", list(material.hole_goals))


def accept_root_assembly(script: Script) -> Script:
    # The assembly (lemmas `:= by sorry`) and, later, the certification text (no sorry; `#print axioms`
    # answered with standard axioms) both cite the lemmas this way.
    return script.on_sketch(r"exact \(mathd_algebra_176_h3 x h1 h2\)", ["⊢ True"] * 3)


# ---------------------------------------------------------------------------------------------- scenarios
async def test_two_level_decomposition_is_proved_end_to_end(
    tmp_path: Path, material: Material, fake: FakeOpenAI
) -> None:
    h3 = h3_statement(material)
    h3_sketch = "by\n  have s1 : (x + 1) ^ 2 * x = (x ^ 2 + 2 * x + 1) * x := by sorry\n  rw [s1, h2]"
    fake.script(ROOT_SKETCH_PROMPT, [answer(material.goal.statement, material.sketch)])
    fake.script(H3_SKETCH_PROMPT, [answer(h3, h3_sketch)])
    s1_goal = (
        "x : ℝ\nh1 : (x + 1) ^ 2 = x ^ 2 + 2 * x + 1\nh2 : (x ^ 2 + 2 * x + 1) * x = x ^ 3 + 2 * x ^ 2 + x\n"
        "⊢ (x + 1) ^ 2 * x = (x ^ 2 + 2 * x + 1) * x"
    )
    script = Script()
    accept_root_sketch(script, material)
    script.on_sketch(r"(?s)^theorem mathd_algebra_176_h3 \(.*have s1", [s1_goal])
    script.on_sketch(r"exact \(mathd_algebra_176_h3_s1 x h1 h2\)", ["⊢ True"])
    accept_root_assembly(script)
    for lemma in ("mathd_algebra_176_h1", "mathd_algebra_176_h2", "mathd_algebra_176_h3_s1"):
        closes_by_cascade(script, lemma)
    report = await prove(tmp_path, script, material, settings_for(tmp_path), fake)

    result = report.theorems[0].result
    assert result.status is ProofStatus.proved, result.reason
    text = report.text
    # Hilbert's shape: every helper lemma before its theorem, the deepest first, each closed by the cascade
    order = [text.index(f"theorem {n} ") for n in ("mathd_algebra_176_h1", "mathd_algebra_176_h3_s1")]
    assert order[0] < text.index("theorem mathd_algebra_176_h3 (") < text.index("theorem mathd_algebra_176 (")
    assert order[1] < text.index("theorem mathd_algebra_176_h3 (")
    assert (
        "exact (mathd_algebra_176_h3_s1 x h1 h2)" in text and "exact (mathd_algebra_176_h3 x h1 h2)" in text
    )
    assert not re.search(r"\bsorry\b", text)
    assert any("#print axioms" in c for c in lean_commands(tmp_path))  # certified (by the double)
    # the sketch checks carried the pp options; the subgoals' statements came from the reported goals
    commands = lean_commands(tmp_path)
    sketch_check = next(
        i for i, c in enumerate(commands) if c.startswith("theorem mathd_algebra_176 (") and "have h1" in c
    )
    assert re.search(PP, commands[sketch_check - 1])  # the environment it was checked in
    assert any(n.startswith("assembly: accepted") for n in notes(report))
    trace = report.theorems[0].trace
    decompositions = [n for n in trace.nodes if n.kind == "decomposition"]
    assert len(decompositions) == 2 and all(n.status == "proved" for n in decompositions)
    # prover show: the draft (collapsed in HTML), each sketch with its verdict, holes → subgoals with the
    # assembly check, and which strategy closed each subgoal
    console = Console(record=True, width=400)
    console.print(rich_tree(trace))
    shown = console.export_text()
    assert "draft: by the reasoner" in shown
    assert re.search(
        r"decompose `by ⏎ -- Step 1.*`: sorry .* — sketch 1\.1: accepted with holes \(h1 → mathd_algebra_176_h1",
        shown,
    )
    assert "AND decompose: 3 subgoals — sketch 1.1: 3 holes → 3 subgoals" in shown
    assert "assembly: accepted for sketch 1.1 (3 lemmas)" in shown
    assert "goal mathd_algebra_176_h1 (depth 1) — symbolic" in shown
    assert "goal mathd_algebra_176_h3 (depth 1) — decompose" in shown
    page = to_html(trace)
    assert "<details><summary>text</summary><pre>I cannot help.</pre></details>" in page
    assert html.escape("exact (mathd_algebra_176_h3 x h1 h2)") in page


async def test_a_sketch_that_weakens_the_statement_is_rejected_before_lean(
    tmp_path: Path, material: Material, fake: FakeOpenAI
) -> None:
    weakened = material.goal.statement.replace("(x : ℝ)", "(x : ℝ) (hx : x = 0)")
    fake.script(ROOT_SKETCH_PROMPT, [answer(weakened, material.sketch)])
    report = await prove(tmp_path, Script(), material, settings_for(tmp_path, refinements=0), fake)
    assert report.theorems[0].result.status is ProofStatus.not_proved
    assert not report.changed
    assert not any("hx : x = 0" in c for c in lean_commands(tmp_path))
    assert any("rejected: statement changed" in n for n in notes(report))


async def test_a_sketch_with_one_bad_line_is_masked_and_accepted(
    tmp_path: Path, material: Material, fake: FakeOpenAI
) -> None:
    bad = material.sketch.replace(
        "  -- Step 2", "  have bad : x ≥ undefined_thing := by norm_num\n  -- Step 2"
    )
    fake.script(ROOT_SKETCH_PROMPT, [answer(material.goal.statement, bad)])
    script = Script()
    # the sketch as written: Lean rejects the bad line (its holes are reported as usual)
    script.on_sketch(
        r"(?s)^theorem mathd_algebra_176 \(.*\n  have bad",
        list(material.hole_goals),
        messages=[error("unknown identifier 'undefined_thing'", at="undefined_thing")],
    )
    accept_root_sketch(script, material)
    accept_root_assembly(script)
    for lemma in ("mathd_algebra_176_h1", "mathd_algebra_176_h2", "mathd_algebra_176_h3"):
        closes_by_cascade(script, lemma)
    report = await prove(tmp_path, script, material, settings_for(tmp_path, sketch_corrections=0), fake)
    result = report.theorems[0].result
    assert result.status is ProofStatus.proved, result.reason
    assert any("masked (comment_out" in n for n in notes(report))
    assert not re.search(r"^\s*have bad", report.text, re.MULTILINE)  # only its commented-out form is left
    assert fake.request_count == 2  # the draft and the sketch: masking needed no correction call


async def test_a_step_z3_refutes_sends_its_counterexample_to_the_reasoner_and_the_refined_sketch_is_proved(
    tmp_path: Path, material: Material, fake: FakeOpenAI
) -> None:
    false_sketch = material.sketch.replace(
        "have h1 : (x + 1) ^ 2 = x ^ 2 + 2 * x + 1", "have h1 : (x + 1) ^ 2 = x ^ 2 + 1"
    )
    fake.script(ROOT_SKETCH_PROMPT, [answer(material.goal.statement, false_sketch)])
    fake.script(REFINEMENT_PROMPT, [answer(material.goal.statement, material.sketch)])
    false_goals = [g.replace("x ^ 2 + 2 * x + 1", "x ^ 2 + 1", 1) for g in material.hole_goals[:1]]
    script = Script()
    script.on_sketch(
        r"(?s)^theorem mathd_algebra_176 \(.*h1 : \(x \+ 1\) \^ 2 = x \^ 2 \+ 1 :=",
        [*false_goals, *material.hole_goals[1:]],
    )
    accept_root_sketch(script, material)
    accept_root_assembly(script)
    for lemma in ("mathd_algebra_176_h1", "mathd_algebra_176_h2", "mathd_algebra_176_h3"):
        closes_by_cascade(script, lemma)
    settings = settings_for(tmp_path, smt=True)
    with SmtEngine(settings.smt) as z3:
        report = await prove(tmp_path, script, material, settings, fake, smt=z3)
    result = report.theorems[0].result
    assert result.status is ProofStatus.proved, result.reason
    refinements = [prompt_text(r.body) for r in fake.requests if REFINEMENT_PROMPT in prompt_text(r.body)]
    assert len(refinements) == 1
    assert "step `h1` is false" in refinements[0]
    assert re.search(r"counterexample, confirmed by exact evaluation: x = -?\d", refinements[0])
    assert "x ^ 2 + 1" in refinements[0]  # the false step itself, as Lean read it
    console = Console(record=True, width=600)
    console.print(rich_tree(report.theorems[0].trace))
    assert re.search(
        r"refinement 1: step `h1` is false: Z3 found a counterexample.*x = -?\d", console.export_text()
    )
    # the refuted sketch never reached the lemma-statement or assembly checks
    assert not any(
        "theorem mathd_algebra_176_h1 (x : ℝ) : (x + 1) ^ 2 = x ^ 2 + 1" in c for c in lean_commands(tmp_path)
    )


async def test_a_failed_assembly_leads_to_a_new_sketch(
    tmp_path: Path, material: Material, fake: FakeOpenAI
) -> None:
    unassemblable = material.sketch.replace("exact h3", "nlinarith [h1, h2, h3, sq_nonneg x]")
    fake.script(ROOT_SKETCH_PROMPT, [answer(material.goal.statement, unassemblable)])
    fake.script(REFINEMENT_PROMPT, [answer(material.goal.statement, material.sketch)])
    script = Script()
    accept_root_sketch(script, material, marker=r"sq_nonneg x\]")
    script.on_cmd(
        r"sq_nonneg x\]", messages=[error("linarith failed to find a contradiction", at="nlinarith")]
    )
    accept_root_sketch(script, material)
    accept_root_assembly(script)
    for lemma in ("mathd_algebra_176_h1", "mathd_algebra_176_h2", "mathd_algebra_176_h3"):
        closes_by_cascade(script, lemma)
    report = await prove(tmp_path, script, material, settings_for(tmp_path), fake)
    result = report.theorems[0].result
    assert result.status is ProofStatus.proved, result.reason
    assert any(n.startswith("assembly: failed for sketch 1.1") for n in notes(report))
    assert any(n.startswith("assembly: accepted for sketch 2.1") for n in notes(report))
    refinements = [prompt_text(r.body) for r in fake.requests if REFINEMENT_PROMPT in prompt_text(r.body)]
    assert refinements and "does not close from its lemmas" in refinements[0]
    assert "sq_nonneg x" not in report.text


async def test_the_depth_limit_stops_recursion(tmp_path: Path, material: Material, fake: FakeOpenAI) -> None:
    fake.script(ROOT_SKETCH_PROMPT, [answer(material.goal.statement, material.sketch)])
    script = Script()
    accept_root_sketch(script, material)
    accept_root_assembly(script)
    for lemma in ("mathd_algebra_176_h1", "mathd_algebra_176_h2"):
        closes_by_cascade(script, lemma)  # h3 resists the cascade and may not be decomposed
    report = await prove(tmp_path, script, material, settings_for(tmp_path, max_depth=1), fake)
    assert report.theorems[0].result.status is ProofStatus.not_proved
    assert not report.changed
    prompts = [prompt_text(r.body) for r in fake.requests]
    assert any(re.search(ROOT_SKETCH_PROMPT, p) for p in prompts)
    assert not any("theorem mathd_algebra_176_h3 (" in p for p in prompts)  # never drafted or sketched


async def test_a_budget_exhausted_mid_recursion_leaves_the_file_unchanged(
    tmp_path: Path, material: Material, fake: FakeOpenAI
) -> None:
    fake.script(ROOT_SKETCH_PROMPT, [answer(material.goal.statement, material.sketch)])
    script = Script()
    accept_root_sketch(script, material)
    accept_root_assembly(script)
    for lemma in ("mathd_algebra_176_h1", "mathd_algebra_176_h2"):
        closes_by_cascade(script, lemma)
    settings = settings_for(tmp_path).model_copy(
        update={"search": settings_for(tmp_path).search.model_copy(update={"max_llm_calls": 3})}
    )
    report = await prove(tmp_path, script, material, settings, fake)
    result = report.theorems[0].result
    assert result.status is ProofStatus.not_proved
    assert "budget exhausted: llm_calls" in result.reason
    assert report.text == report.original
    assert result.llm_calls == 3
    # the root was decomposed before the budget ran out inside the subgoal h3's own decomposition
    trace = report.theorems[0].trace
    assert [n for n in trace.nodes if n.kind == "decomposition"]
    assert any("theorem mathd_algebra_176_h3 (" in prompt_text(r.body) for r in fake.requests)


async def test_the_problems_informal_proof_replaces_the_draft_call(
    tmp_path: Path, material: Material, fake: FakeOpenAI
) -> None:
    assert material.informal_proof
    fake.script(ROOT_SKETCH_PROMPT, [answer(material.goal.statement, material.sketch)])
    script = Script()
    accept_root_sketch(script, material)
    accept_root_assembly(script)
    for lemma in ("mathd_algebra_176_h1", "mathd_algebra_176_h2", "mathd_algebra_176_h3"):
        closes_by_cascade(script, lemma)
    report = await prove(tmp_path, script, material, settings_for(tmp_path), fake, informal=True)
    assert report.theorems[0].result.status is ProofStatus.proved, report.theorems[0].result.reason
    prompts = [prompt_text(r.body) for r in fake.requests]
    assert len(prompts) == 1  # no draft call: only the sketch
    assert material.informal_proof.strip() in prompts[0]
    assert "draft: the problem's informal proof" in notes(report)


async def test_a_hole_that_restates_the_goal_is_no_progress(
    tmp_path: Path, material: Material, fake: FakeOpenAI
) -> None:
    restating = "by\n  have h : (x + 1) ^ 2 * x = x ^ 3 + 2 * x ^ 2 + x := by sorry\n  exact h"
    fake.script(ROOT_SKETCH_PROMPT, [answer(material.goal.statement, restating)])
    script = Script()
    script.on_sketch(
        r"(?s)^theorem mathd_algebra_176 \(.*have h :", ["x : ℝ\n⊢ (x + 1) ^ 2 * x = x ^ 3 + 2 * x ^ 2 + x"]
    )
    report = await prove(tmp_path, script, material, settings_for(tmp_path, refinements=0), fake)
    assert report.theorems[0].result.status is ProofStatus.not_proved
    assert any("restates the goal or an ancestor" in n for n in notes(report))
    assert not [n for n in report.theorems[0].trace.nodes if n.kind == "decomposition"]


async def test_a_subgoal_the_reasoner_judges_false_is_not_decomposed_and_never_counts_as_proved(
    tmp_path: Path, material: Material, fake: FakeOpenAI
) -> None:
    fake.script(ROOT_SKETCH_PROMPT, [answer(material.goal.statement, material.sketch)])
    fake.script(r"(?s)theorem mathd_algebra_176_h3 \(.*exactly `YES` or `NO`", ["NO\nThe step is misstated."])
    script = Script()
    accept_root_sketch(script, material)
    accept_root_assembly(script)
    for lemma in ("mathd_algebra_176_h1", "mathd_algebra_176_h2"):
        closes_by_cascade(script, lemma)
    report = await prove(tmp_path, script, material, settings_for(tmp_path, judge=True, refinements=0), fake)
    assert report.theorems[0].result.status is ProofStatus.not_proved
    assert not report.changed
    prompts = [prompt_text(r.body) for r in fake.requests]
    assert any("exactly `YES` or `NO`" in p and "mathd_algebra_176_h3 (" in p for p in prompts)
    assert not any(re.search(H3_SKETCH_PROMPT, p) for p in prompts)  # the NO stopped its decomposition
    trace = report.theorems[0].trace
    h3 = next(n for n in trace.nodes if n.name == "mathd_algebra_176_h3")
    assert h3.status == "failed" and "judged this subgoal false: The step is misstated." in h3.reason


async def test_a_failed_and_node_sends_its_failed_subgoal_back_to_the_reasoner_and_the_refined_sketch_is_proved(
    tmp_path: Path, material: Material, fake: FakeOpenAI
) -> None:
    """The subgoal h3 resists its cheaper strategies and the reasoner judges it false: its AND node fails, the
    scheduler runs the parent's decomposition again, and the refinement prompt names h3 and why it failed."""
    refined = material.sketch.split("  -- Step 3")[0].rstrip() + "\n  rw [← h2, ← h1]"
    fake.script(ROOT_SKETCH_PROMPT, [answer(material.goal.statement, material.sketch)])
    fake.script(r"(?s)theorem mathd_algebra_176_h3 \(.*exactly `YES` or `NO`", ["NO\nThe step is misstated."])
    fake.script(REFINEMENT_PROMPT, [answer(material.goal.statement, refined)])
    script = Script()
    script.on_sketch(r"(?s)^theorem mathd_algebra_176 \(.*rw \[← h2, ← h1\]", list(material.hole_goals[:2]))
    script.on_sketch(r"exact \(mathd_algebra_176_h2 x h1\)\s*rw \[← h2, ← h1\]", ["⊢ True"] * 2)
    accept_root_sketch(script, material)
    accept_root_assembly(script)
    for lemma in ("mathd_algebra_176_h1", "mathd_algebra_176_h2"):
        closes_by_cascade(script, lemma)
    report = await prove(tmp_path, script, material, settings_for(tmp_path, judge=True), fake)
    result = report.theorems[0].result
    assert result.status is ProofStatus.proved, result.reason
    refinements = [prompt_text(r.body) for r in fake.requests if REFINEMENT_PROMPT in prompt_text(r.body)]
    assert len(refinements) == 1
    assert "mathd_algebra_176_h3 (failed)" in refinements[0] and "The step is misstated." in refinements[0]
    assert "rw [← h2, ← h1]" in report.text and "mathd_algebra_176_h3" not in report.text
    trace = report.theorems[0].trace
    statuses = sorted(n.status.value for n in trace.nodes if n.kind == "decomposition")
    assert statuses == ["failed", "proved"]
