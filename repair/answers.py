"""A repair model's answer → a candidate proof, through the same gate as every other answer, plus one rule.

``prover.search.candidate.whole_proof`` extracts the code, normalises it, runs the forbidden-construct scan and
keeps only the proof of the goal's theorem, so nothing else in the answer can reach Lean. A repair prompt shows
the model the whole theorem, so an answer that edits the statement (a weaker claim, a changed hypothesis) is
rejected here instead of having its proof quietly checked against the original statement.
"""

from __future__ import annotations

from prover.lean.lexer import tokenize
from prover.lean.normalize import extract_code, normalize_syntax
from prover.lean.text import Declaration, parse_file
from prover.search import candidate
from prover.types import Goal


def _claim(declaration: Declaration) -> list[str]:
    """Binders and type of a declaration as tokens (layout and comments do not count)."""
    return [t.text for t in tokenize(f"{declaration.binders} : {declaration.type}") if not t.is_comment]


def statement_changed(llm_text: str, goal: Goal) -> bool:
    """Whether the answer states the goal's theorem with other binders or another type."""
    code = extract_code(llm_text)
    if not code:
        return False
    answer = parse_file(normalize_syntax(code))
    declaration = answer.find(goal.name)
    if declaration is None and len(answer.theorems) == 1:
        declaration = answer.theorems[0]
    original = parse_file(f"{goal.statement.rstrip()} := sorry\n").find(goal.name)
    if declaration is None or original is None:
        return False  # no statement in the answer to compare: whole_proof decides
    return _claim(declaration) != _claim(original)


def repaired_proof(
    llm_text: str, goal: Goal, *, allow_native_decide: bool
) -> candidate.Candidate | candidate.Rejected:
    """The proof in a repair answer, or why it may not reach Lean."""
    cleaned = candidate.whole_proof(llm_text, goal, allow_native_decide=allow_native_decide)
    if isinstance(cleaned, candidate.Rejected):
        return cleaned
    if statement_changed(llm_text, goal):
        return candidate.Rejected(reason="the answer changes the theorem statement")
    return cleaned
