"""Pure parts of repair: name fixes, tool-correction sites, ranking, the answer gate, the prompt fields."""

from __future__ import annotations

from prover.lean.text import LineIndex
from prover.search.tree import AttemptRecord
from prover.types import Attempt, Goal, Message, Pos, Premise, PremiseHit, Severity, SorryGoal, Verdict
from repair.answers import repaired_proof, statement_changed
from repair.feedback import render_errors, render_goals, repair_request
from repair.names import name_fixes, replace_name, unknown_names
from repair.ranking import accepted_steps, rank
from repair.tools import allowed_tactics, failing_sites, partner_tactics, tool_variants

GOAL = Goal(
    name="amgm2",
    statement="theorem amgm2 (a b : ℝ) (h₀ : 0 < a) : a * b ≤ (a ^ 2 + b ^ 2) / 2",
    header="import Mathlib",
)


def at(text: str, needle: str, message: str) -> Message:
    return Message(severity=Severity.error, pos=LineIndex(text).pos(text.index(needle)), text=message)


def test_unknown_names_in_both_spellings_and_every_occurrence_replaced() -> None:
    text = "theorem x : True := by\n  have := Nat.succ_le_iff_x\n  exact Nat.succ_le_iff_x -- Nat.succ_le_iff_x\n"
    errors = [
        at(text, "Nat.succ", "unknown identifier 'Nat.succ_le_iff_x'"),
        at(text, "exact", "Unknown constant `Foo.bar`"),
    ]
    assert unknown_names(errors) == ["Nat.succ_le_iff_x", "Foo.bar"]
    replaced = replace_name(text, "Nat.succ_le_iff_x", "Nat.succ_le_iff")
    assert replaced.count("Nat.succ_le_iff_x") == 1  # only the comment keeps it
    assert replaced.count("Nat.succ_le_iff ") + replaced.count("Nat.succ_le_iff\n") == 2


def test_name_fixes_offer_each_candidate_then_all_best_together() -> None:
    text = "theorem x : True := by\n  exact foo_x bar_y\n"
    errors = [
        at(text, "foo_x", "unknown identifier 'foo_x'"),
        at(text, "bar_y", "unknown identifier 'bar_y'"),
    ]
    table = {"foo_x": ["foo", "foo'"], "bar_y": ["bar"]}
    fixes = name_fixes(text, errors, lambda name: table.get(name, []))
    assert [f.note for f in fixes] == [
        "foo_x -> foo",
        "foo_x -> foo'",
        "bar_y -> bar",
        "foo_x -> foo, bar_y -> bar",
    ]
    assert fixes[-1].text == "theorem x : True := by\n  exact foo bar\n"
    assert name_fixes(text, [at(text, "exact", "type mismatch")], lambda name: ["z"]) == []


def test_tool_sites_and_variants_never_offer_native_decide() -> None:
    text = f"{GOAL.statement} := by\n  have h : 0 ≤ (a - b) ^ 2 := by positivity\n  linarith [h]\n"
    sites = failing_sites(text, [at(text, "linarith", "linarith failed to find a contradiction")])
    assert [s.tactic for s in sites] == ["linarith [h]"]
    tactics = allowed_tactics(
        [
            "nlinarith [sq_nonneg (a - b)]",
            "native_decide",
            "decide +native",
            "linarith [h]",
            "nlinarith [sq_nonneg (a - b)]",
        ],
        allow_native_decide=False,
    )
    assert tactics == ["nlinarith [sq_nonneg (a - b)]", "linarith [h]"]
    variants = tool_variants(text, sites[0], tactics)
    assert [v.tactic for v in variants] == ["nlinarith [sq_nonneg (a - b)]"]  # never the tactic that failed
    assert variants[0].text == text.replace("linarith [h]", "nlinarith [sq_nonneg (a - b)]")
    assert "native_decide" in allowed_tactics(["native_decide"], allow_native_decide=True)


def test_tool_site_from_unsolved_goals_on_a_by_block() -> None:
    text = f"{GOAL.statement} := by\n  have h : 0 ≤ a := by\n    norm_num\n  nlinarith\n"
    sites = failing_sites(text, [at(text, "by\n    norm_num", "unsolved goals\n⊢ 0 ≤ a")])
    assert [s.tactic for s in sites] == ["norm_num"]
    assert failing_sites(text, [at(text, "have", "type mismatch")]) == []


def record(proof: str, *errors: Message, strategy: str = "direct") -> AttemptRecord:
    attempt = Attempt(
        goal_key=GOAL.key, strategy=strategy, proof=proof, verdict=Verdict.lean_error, messages=errors
    )
    return AttemptRecord(attempt=attempt)


def test_rank_prefers_fewer_errors_then_more_accepted_steps() -> None:
    three = "by\n  have h₁ : 0 ≤ a := by positivity\n  have h₂ : 0 ≤ b ^ 2 := by positivity\n  nlinarith"
    source = f"{GOAL.header}\n\n{GOAL.statement} := {three}\n"
    late = record(three, at(source, "nlinarith", "linarith failed"))
    early = record(three.replace("h₁", "g₁"), at(source, "have", "linarith failed"))
    two_errors = record("by\n  simp\n  ring", at(source, ":=", "x"), at(source, "by", "y"))
    cascade = record("by\n  linarith", at(source, "by", "linarith failed"), strategy="symbolic")
    assert accepted_steps(source, GOAL.name, late.attempt.messages) == 2
    ranked = rank(GOAL, [two_errors, early, cascade, late, late])
    assert ranked == [late, early, two_errors]


def test_answer_gate_rejects_a_changed_statement_and_forbidden_code() -> None:
    good = f"```lean4\n{GOAL.statement} := by\n  nlinarith [sq_nonneg (a - b)]\n```"
    weaker = good.replace("(h₀ : 0 < a)", "(h₀ : 0 < a) (h₁ : 0 < b)")
    evil = f"```lean4\n#eval IO.println 1\n{GOAL.statement} := by\n  nlinarith [sq_nonneg (a - b)]\n```"
    assert (
        repaired_proof(good, GOAL, allow_native_decide=False).proof == "by\n  nlinarith [sq_nonneg (a - b)]"
    )  # type: ignore[union-attr]
    assert statement_changed(weaker, GOAL) and not statement_changed(good, GOAL)
    assert "statement" in repaired_proof(weaker, GOAL, allow_native_decide=False).reason  # type: ignore[union-attr]
    assert "forbidden" in repaired_proof(evil, GOAL, allow_native_decide=False).reason  # type: ignore[union-attr]


def test_prompt_fields_show_errors_real_names_goals_and_premises() -> None:
    source = f"{GOAL.statement} := by\n  exact foo_x\n"
    errors = [at(source, "foo_x", "unknown identifier 'foo_x'")]
    assert render_errors(errors, {"foo_x": ["foo"]}) == (
        "2:8: unknown identifier 'foo_x'\n  (no constant foo_x exists; real names nearby: foo)"
    )
    hole = SorryGoal(goal="a b : ℝ\n⊢ 0 ≤ a", pos=Pos(line=2, column=2))
    assert render_goals(errors, [hole]) == "at 2:2:\na b : ℝ\n⊢ 0 ≤ a"
    unsolved = [at(source, "by", "unsolved goals\na : ℝ\n⊢ a = a")]
    assert render_goals(unsolved, []) == "at 1:" + str(source.index("by")) + ":\na : ℝ\n⊢ a = a"
    premise = PremiseHit(premise=Premise(name="sq_nonneg", signature="(a : α) : 0 ≤ a ^ 2"), score=1.0)
    request = repair_request(endpoint="chat", code=source, errors=errors, premises=[premise], n=1)
    user = request.messages[-1].content
    assert "exact foo_x" in user and "sq_nonneg : (a : α) : 0 ≤ a ^ 2" in user and request.n == 1


def test_the_linarith_partner_keeps_the_arguments_verbatim() -> None:
    text = f"{GOAL.statement} := by\n  nlinarith [sq_nonneg (a - b),\n    sq_nonneg (a + b)]\n"
    (site,) = failing_sites(text, [at(text, "nlinarith", "linarith failed")])
    assert partner_tactics(site) == ["linarith [sq_nonneg (a - b),\n    sq_nonneg (a + b)]"]
    tactics = allowed_tactics([*partner_tactics(site), "nlinarith"], allow_native_decide=False)
    variants = tool_variants(text, site, tactics)
    assert variants[0].text == text.replace("  nlinarith [", "  linarith [")
    assert partner_tactics(site.model_copy(update={"tactic": "norm_num"})) == []
