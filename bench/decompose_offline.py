"""Decomposition offline, on the DSP+ published miniF2F proofs (real data, no Lean).

For every published proof whose theorem has ``have`` steps: sorrify it (``prover.lean.sketch.sorrify``), give
each ``have`` hole the goal Lean would print, approximated from the text (``decompose.textual``: the theorem's
binders, the earlier ``have``s, ``⊢`` the step), split the holes into standalone lemmas
(``decompose.subgoals.split_holes``), and decide each lemma with Z3 (``prover.smt.SmtEngine``).

Prints: holes per proof (mean, max; all holes and ``have`` holes), how many hole statements become lemmas that
parse, the Z3 classification of the lemmas, and every Refuted lemma with its counterexample. Published proofs
are machine-checked by their authors, so each Refuted is an engine bug, a step whose truth depends on context
the textual goal lacks (a ``clear``, an ``obtain``, an earlier case split), or a real finding.

    python bench/decompose_offline.py [--timeout 1.0] [--limit N] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from decompose.subgoals import SubgoalError, split_holes  # noqa: E402
from decompose.textual import sketch_of  # noqa: E402
from prover.lean.lexer import tokenize  # noqa: E402
from prover.lean.text import LineIndex, expand_binders, parse_file  # noqa: E402
from prover.search.strategies.base import goal_source  # noqa: E402
from prover.settings import SmtSettings  # noqa: E402
from prover.smt.engine import SmtEngine  # noqa: E402
from prover.types import CheckResult, Goal, SmtStatus, SorryGoal, Verdict  # noqa: E402

PROOFS = ROOT.parent / "shared" / "datasets" / "minif2f-proofs" / "dspplus_minif2f_test.jsonl"


def reported(source: str, goals: list[str]) -> CheckResult:
    """What a REPL would report for ``source`` if each `sorry` stood for the given goal (no Lean involved)."""
    index = LineIndex(source)
    offsets = [t.start for t in tokenize(source) if t.text == "sorry" and not t.is_comment]
    return CheckResult(
        verdict=Verdict.sorry,
        sorries=tuple(SorryGoal(goal=g, pos=index.pos(o)) for o, g in zip(offsets, goals, strict=True)),
    )


CONTEXT_STEP = re.compile(
    r"^\s*(intro|intros|rintro|by_contra!?|push_neg|obtain|rcases|cases'?|induction'?|subst|interval_cases|"
    r"(rw|simp|simp_all|norm_num|field_simp|ring_nf)\b[^\n]*\bat\b)",
    re.MULTILINE,
)


def _explain(subgoal: Goal, model: dict[str, str], before: str) -> str:
    """Why a step of a machine-checked proof can be refuted here (``before``: the proof text before its hole)."""
    declaration = parse_file(f"{subgoal.statement} := by sorry").find(subgoal.name)
    bound = {b.name for b in expand_binders(declaration.binders)} if declaration is not None else set()
    if any(name not in bound for name in model):
        return (
            "a name introduced by the proof (set/let/obtain/intro) is free in the textual goal; "
            "Lean's printed goal binds it"
        )
    if CONTEXT_STEP.search(before):
        return (
            "an earlier step (intro, by_contra, obtain, cases, rw … at) changed the hypotheses; "
            "the textual goal misses that, Lean's printed goal has it"
        )
    return "needs inspection: an engine bug or a real finding"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=1.0, help="Z3 seconds per lemma")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    if not PROOFS.exists():
        print(f"no data: {PROOFS} is absent", file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in PROOFS.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if args.only in r["name"]][: args.limit or None]
    started = time.perf_counter()
    holes_all: list[int] = []
    holes_have: list[int] = []
    lemmas_total = lemmas_parsed = 0
    skipped: Counter[str] = Counter()
    z3: Counter[SmtStatus] = Counter()
    refuted: list[tuple[str, str, str, str]] = []
    z3_times: list[float] = []
    with SmtEngine(SmtSettings(timeout_s=args.timeout)) as engine:
        for row in rows:
            name = row["name"]
            parsed = parse_file(row["proof"])
            theorem = parsed.find(name)
            if theorem is None or theorem.proof is None:
                skipped["no theorem of that name"] += 1
                continue
            sorrified, holes = sketch_of(row["proof"], name)
            sketch_theorem = parse_file(sorrified.text).find(name)
            assert sketch_theorem is not None and sketch_theorem.proof is not None
            proof = sketch_theorem.proof.strip()
            all_holes = sum(1 for h in sorrified.holes if h.declaration == name)
            if not holes:
                skipped["no `have` step"] += 1
                continue
            holes_all.append(all_holes)
            holes_have.append(len(holes))
            if all_holes != len(holes):
                skipped["holes that are not `have`s (cases, bullets): lemma step skipped"] += 1
                continue
            header = sorrified.text[: sketch_theorem.span.start_offset]
            goal = Goal(name=name, statement=sketch_theorem.signature.rstrip(), header=header)
            try:
                split = split_holes(goal, proof, reported(goal_source(goal, proof), [h.goal for h in holes]))
            except SubgoalError as error:
                skipped[f"split failed: {error.message[:60]}"] += 1
                continue
            for subgoal in split.subgoals:
                lemmas_total += 1
                declaration = parse_file(f"{subgoal.statement} := by sorry").find(subgoal.name)
                if declaration is None or not declaration.type:
                    continue
                lemmas_parsed += 1
                t0 = time.perf_counter()
                result = engine.decide_statement(subgoal.statement)
                z3_times.append(time.perf_counter() - t0)
                z3[result.status] += 1
                if result.status is SmtStatus.refuted:
                    model = ", ".join(f"{k} = {v}" for k, v in sorted((result.model or {}).items()))
                    use = next(u for u in split.holes if u.lemma == subgoal.name)
                    before = proof[: LineIndex(proof).offset(use.pos)]
                    why = _explain(subgoal, result.model or {}, before)
                    refuted.append((subgoal.name, subgoal.statement, model, why))
    wall = time.perf_counter() - started

    print(f"DSP+ published proofs: {len(rows)} rows, {len(holes_all)} with `have` holes in the theorem\n")
    print("| measure | mean | median | max |")
    print("|---|---|---|---|")
    for label, values in (("holes per proof (all kinds)", holes_all), ("`have` holes per proof", holes_have)):
        print(
            f"| {label} | {statistics.mean(values):.2f} | {statistics.median(values):.0f} | {max(values)} |"
        )
    print(
        f"\nhole statements → standalone lemmas: {lemmas_parsed} of {lemmas_total} parse "
        f"({100 * lemmas_parsed / max(1, lemmas_total):.1f}%)"
    )
    print("\n| Z3 verdict on the lemmas | count | share |")
    print("|---|---|---|")
    decided = sum(z3.values())
    for status in SmtStatus:
        print(f"| {status.value} | {z3[status]} | {100 * z3[status] / max(1, decided):.1f}% |")
    if z3_times:
        print(
            f"\nZ3 time per lemma: median {statistics.median(z3_times) * 1000:.0f} ms, "
            f"p95 {sorted(z3_times)[int(0.95 * (len(z3_times) - 1))] * 1000:.0f} ms; wall {wall:.1f} s"
        )
    print("\n| skipped | proofs |")
    print("|---|---|")
    for reason, count in skipped.most_common():
        print(f"| {reason} | {count} |")
    print(f"\nRefuted lemmas ({len(refuted)}):")
    explanations = Counter(why for *_, why in refuted)
    print("\n| why refuted | lemmas |")
    print("|---|---|")
    for why, count in explanations.most_common():
        print(f"| {why} | {count} |")
    print()
    for lemma, statement, model, why in refuted:
        print(f"- {lemma}: {model} ({why})\n    {statement}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
