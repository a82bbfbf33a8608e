"""Real material for decomposition tests: DSP+ published proofs (their ``have stepN`` structure) on miniF2F
statements, sorrified, with the goals Lean would report for each hole approximated from the text.

Nothing here was checked by Lean: the hole goals come from ``decompose.textual`` (binders + earlier haves).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from decompose.textual import sketch_of
from prover.lean.lexer import tokenize
from prover.lean.text import LineIndex, parse_file
from prover.types import CheckResult, Goal, SorryGoal, Verdict


@dataclass(frozen=True)
class Material:
    goal: Goal  # the miniF2F statement and header
    published: str  # the DSP+ proof (text after `:=`)
    sketch: str  # the same with every `have` proof replaced by `sorry`
    hole_goals: tuple[str, ...]  # approximated printed goal of each hole, in order
    labels: tuple[str, ...]
    informal_proof: str | None


@cache
def _rows(path: Path) -> dict[str, dict[str, str]]:
    return {row["name"]: row for row in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def load(datasets_dir: Path, name: str) -> Material:
    published_rows = _rows(datasets_dir / "minif2f-proofs" / "dspplus_minif2f_test.jsonl")
    problems = _rows(datasets_dir / "minif2f" / "dspplus_minif2f.jsonl")
    problem = problems[name]
    statement = problem["formal_statement"].rstrip().removesuffix(":= by").rstrip()
    goal = Goal(name=name, statement=statement, header=problem["header"])
    published_file = published_rows[name]["proof"]
    declaration = parse_file(published_file).find(name)
    assert declaration is not None and declaration.proof is not None
    sorrified, holes = sketch_of(published_file, name)
    sketch_declaration = parse_file(sorrified.text).find(name)
    assert sketch_declaration is not None and sketch_declaration.proof is not None
    return Material(
        goal=goal,
        published=declaration.proof.strip(),
        sketch=sketch_declaration.proof.strip(),
        hole_goals=tuple(h.goal for h in holes),
        labels=tuple(h.label for h in holes),
        informal_proof=problem.get("informal_proof"),
    )


def reported(source: str, goals: list[str]) -> CheckResult:
    """What the REPL reports for ``source``: each `sorry` token in place, the i-th with ``goals[i]``."""
    index = LineIndex(source)
    offsets = [t.start for t in tokenize(source) if t.text == "sorry" and not t.is_comment]
    assert len(offsets) == len(goals)
    sorries = tuple(
        SorryGoal(goal=g, pos=index.pos(o), end_pos=index.pos(o + 5))
        for o, g in zip(offsets, goals, strict=True)
    )
    return CheckResult(verdict=Verdict.sorry, sorries=sorries)
