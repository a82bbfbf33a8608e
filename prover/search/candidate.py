"""Untrusted LLM text -> a proof or tactic that may reach Lean, or a rejection saying why.

Every model answer goes through: ``extract_code`` -> ``normalize_syntax`` -> ``scan_forbidden`` (no sorry, no
``#eval``/IO, no new axioms, no ``native_decide`` unless allowed), and only then is parsed. What reaches Lean
is the goal's own statement with the proof taken from the answer, so a model cannot change the statement or
smuggle in other commands: anything outside the proof of the named theorem is dropped.
"""

from __future__ import annotations

from prover.lean.guard import DEFAULT_IMPORT_ROOTS, scan_forbidden
from prover.lean.normalize import extract_code, normalize_syntax
from prover.lean.text import parse_file
from prover.types import Frozen, Goal


class Candidate(Frozen):
    proof: str  # the text after ``:=`` (for tactics: the tactic itself)


class Rejected(Frozen):
    reason: str


def clean_code(llm_text: str, *, allow_native_decide: bool, allow_sorry: bool = False) -> str | Rejected:
    """The normalised Lean code of an answer once the forbidden-construct scan passes, or why it cannot be used
    (``allow_sorry`` for sketches, whose holes are the point)."""
    code = extract_code(llm_text)
    if not code or not code.strip():
        return Rejected(reason="no Lean code in the answer")
    code = normalize_syntax(code)
    # Imports are harmless here (only the proof is kept), but an unknown one still marks a suspicious answer.
    findings = scan_forbidden(
        code,
        allow_sorry=allow_sorry,
        allow_native_decide=allow_native_decide,
        allowed_imports=DEFAULT_IMPORT_ROOTS,
    )
    if findings:
        return Rejected(reason="forbidden: " + "; ".join(f.message for f in findings))
    return str(code)


def whole_proof(llm_text: str, goal: Goal, *, allow_native_decide: bool = False) -> Candidate | Rejected:
    """The proof of ``goal`` inside a model's whole-proof answer."""
    code = clean_code(llm_text, allow_native_decide=allow_native_decide)
    if isinstance(code, Rejected):
        return code
    parsed = parse_file(code)
    declaration = parsed.find(goal.name)
    if declaration is None:
        theorems = parsed.theorems
        if len(theorems) != 1:
            return Rejected(reason=f"no theorem {goal.name} in the answer")
        declaration = theorems[0]  # a renamed copy: its proof is still checked against our statement
    if declaration.proof is None or not declaration.proof.strip():
        return Rejected(reason="the answer has no proof")
    if declaration.where_clause:
        return Rejected(reason="the proof needs a where/termination clause")
    return Candidate(proof=declaration.proof.strip())


def tactic(llm_text: str, *, allow_native_decide: bool = False) -> Candidate | Rejected:
    """One tactic from a model's next-tactic answer (the first non-empty line of its code)."""
    code = clean_code(llm_text, allow_native_decide=allow_native_decide)
    if isinstance(code, Rejected):
        return code
    for line in code.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            return Candidate(proof=stripped)
    return Rejected(reason="empty tactic")
